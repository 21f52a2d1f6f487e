#!/usr/bin/env bash
# Side-by-side t-SNE comparison: seqmodels' Barnes-Hut against scikit-learn's,
# on the same generated data, with the same settings and thread count.
#
#   benches/compare_tsne.sh [--n N] [--dim D] [--clusters C] [--threads T] [--iter I]
#
# Defaults: N = 5000 points in D = 50 dimensions from C = 10 clusters, 1 thread,
# 1000 iterations, perplexity 30, θ = 0.5. Prints both JSON lines (seconds, kl,
# trustworthiness) and the ratios. Needs: pip install scikit-learn
set -euo pipefail
cd "$(dirname "$0")/.."
n=5000; dim=50; clusters=10; threads=1; iter=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --n) n=$2; shift 2;;
    --dim) dim=$2; shift 2;;
    --clusters) clusters=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --iter) iter=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
cargo build --release --quiet
bin=target/release/seqmodels
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$bin data clusters --n "$n" --dim "$dim" --clusters "$clusters" --seed 42 --out "$work/points.tsv"
ours=$($bin tsne --input "$work/points.tsv" --labels --method barnes-hut --iter "$iter" \
  --threads "$threads" --out "$work/ours.svg" 2>/dev/null)
# numpy is slowed by these two when set (see the environment notes); the peer
# runs without them, in this command only.
theirs=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benches/peers/tsne_sklearn.py \
  --input "$work/points.tsv" --labels --iter "$iter" --threads "$threads")
echo "seqmodels: $ours"
echo "sklearn:   $theirs"
field() { echo "$1" | grep -o "\"$2\":[-0-9.eE]*" | cut -d: -f2; }
awk -v so="$(field "$ours" seconds)" -v st="$(field "$theirs" seconds)" \
    -v ko="$(field "$ours" kl)" -v kt="$(field "$theirs" kl)" \
    -v to="$(field "$ours" trustworthiness)" -v tt="$(field "$theirs" trustworthiness)" \
  'BEGIN { printf "speed: sklearn/seqmodels time = %.2f (%.2f s vs %.2f s)\n", st / so, st, so;
           printf "KL: seqmodels %.4f, sklearn %.4f, difference %+.2f%%\n", ko, kt, 100 * (ko - kt) / kt;
           printf "trustworthiness(10): seqmodels %.4f, sklearn %.4f\n", to, tt }'
