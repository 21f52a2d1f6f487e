#!/usr/bin/env bash
# Side-by-side GEMM comparison: seqmodels against numpy/OpenBLAS, in one run,
# with the same thread count. Each shape is timed alternately (ours, theirs,
# ours, theirs, …) for --rounds rounds so machine noise hits both alike, and
# the medians of the per-round medians are compared.
#
#   benches/compare_gemm.sh [--threads N] [--dtype f32|f64] [--rounds R]
#
# Prints one row per shape: shape, our GFLOP/s (plain and pre-packed),
# numpy's GFLOP/s, and the ratios ours/numpy. Needs: pip install numpy
set -euo pipefail
cd "$(dirname "$0")/.."
threads=1; dtype=f32; rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2;;
    --dtype) dtype=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
cargo build --release --quiet
bin=target/release/seqmodels
shapes="64,64,64 256,256,256 512,512,512 1024,1024,1024 32,512,2048 32,1024,4096 64,256,1024 1,512,2048"
gf() { grep -o '"gflops":[0-9.]*' | cut -d: -f2; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf "%-16s %8s %10s %10s %12s %14s\n" "m,k,n ($dtype)" threads "ours" "ours-pre" "numpy" "ratio(plain/pre)"
for s in $shapes; do
  IFS=, read -r m k n <<< "$s"
  ours=""; pre=""; np_=""
  for r in $(seq "$rounds"); do
    ours="$ours $($bin bench gemm --m "$m" --k "$k" --n "$n" --dtype "$dtype" --threads "$threads" | gf)"
    np_="$np_ $(python3 benches/peers/gemm_numpy.py --m "$m" --k "$k" --n "$n" --dtype "$dtype" --threads "$threads" | gf)"
    pre="$pre $($bin bench gemm --m "$m" --k "$k" --n "$n" --dtype "$dtype" --threads "$threads" --prepacked | gf)"
  done
  o=$(echo "$ours" | median); p=$(echo "$pre" | median); q=$(echo "$np_" | median)
  awk -v s="$s" -v t="$threads" -v o="$o" -v p="$p" -v q="$q" \
    'BEGIN { printf "%-16s %8s %10.1f %10.1f %12.1f %7.2f / %.2f\n", s, t, o, p, q, o / q, p / q }'
done
