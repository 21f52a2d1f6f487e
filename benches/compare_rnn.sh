#!/usr/bin/env bash
# Side-by-side recurrent training speed: `seqmodels bench rnn` against
# benches/peers/rnn_pytorch.py, in one run, with the same thread count. Each
# row is timed alternately (ours, torch, ours, torch, …) for --rounds rounds so
# that machine noise hits both alike; the medians of the per-round medians are
# compared, and the ratio torch_ms / seqmodels_ms is printed (> 1: we are faster).
#
#   benches/compare_rnn.sh [--threads N] [--dtype f32|f64] [--rounds R] [--cell C] [extra bench rnn flags…]
#
# Needs: pip install torch
set -euo pipefail
cd "$(dirname "$0")/.."
threads=1; dtype=f32; rounds=3; cells="rnn gru lstm"; extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2;;
    --dtype) dtype=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    --cell) cells=$2; shift 2;;
    *) extra+=("$1"); shift;;
  esac
done
cargo build --release --quiet
bin=target/release/seqmodels
if [ ${#extra[@]} -gt 0 ]; then shapes="custom"; else shapes="64,1,64,128 64,32,64,256 64,32,128,512 128,64,256,1024"; fi
ms() { grep -o '"median_ms":[0-9.]*' | cut -d: -f2; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf "%-5s %-20s %4s %3s %12s %12s %8s\n" cell "T,B,I,H" dtype thr "seqmodels_ms" "torch_ms" "ratio"
for cell in $cells; do
  for s in $shapes; do
    if [ "$s" = custom ]; then args=("${extra[@]}"); label=custom; else
      IFS=, read -r T B I H <<< "$s"; args=(--seq "$T" --batch "$B" --input "$I" --hidden "$H"); label=$s; fi
    ours=""; theirs=""
    for r in $(seq "$rounds"); do
      ours="$ours $($bin bench rnn --cell "$cell" "${args[@]}" --dtype "$dtype" --threads "$threads" | ms)"
      theirs="$theirs $(python3 benches/peers/rnn_pytorch.py --cell "$cell" "${args[@]}" --dtype "$dtype" --threads "$threads" | ms)"
    done
    o=$(echo "$ours" | median); t=$(echo "$theirs" | median)
    awk -v c="$cell" -v s="$label" -v d="$dtype" -v n="$threads" -v o="$o" -v t="$t" \
      'BEGIN { printf "%-5s %-20s %4s %3s %12.2f %12.2f %8.2f\n", c, s, d, n, o, t, t / o }'
  done
done
