#!/usr/bin/env bash
# min-char-rnn against seqmodels, on the same text, for the same number of
# iterations: a vanilla tanh RNN, H = 100, chunks of T = 25 characters, one
# stream (B = 1), one-hot inputs, Adagrad lr 0.1, element-wise clip at 5.
#
#   benches/compare_min_char_rnn.sh [--steps N] [--text FILE] [--threads N] [--rounds R]
#
# Runs the numpy peer (benches/peers/min_char_rnn.py, with OpenBLAS on one
# thread) and `seqmodels train` alternately for --rounds rounds, prints every
# JSON line, then the median iterations/s of each, their ratio, and the mean
# loss per character over the last tenth of the iterations of each (the
# models start from different random weights, so the losses agree only
# roughly). Default text: data/names.txt read as one stream.
# Needs: pip install numpy
set -euo pipefail
cd "$(dirname "$0")/.."
steps=5000; text=data/names.txt; threads=1; rounds=1
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps=$2; shift 2;;
    --text) text=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
cargo build --release --quiet
bin=target/release/seqmodels
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
key() { grep -o "\"$1\": *[0-9.e+-]*" | head -1 | sed 's/.*: *//'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ours_rate=""; peer_rate=""
for r in $(seq "$rounds"); do
  peer=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python3 benches/peers/min_char_rnn.py --data "$text" --steps "$steps")
  ours=$($bin train --data "$text" --mode stream --cell rnn --hidden 100 --seq 25 --batch 1 \
    --embed-dim 0 --optim adagrad --lr 0.1 --clip-value 5 --holdout 0 --steps "$steps" \
    --save-every 0 --threads "$threads" --json --out "$out/ours.safetensors" 2>/dev/null | tail -1)
  echo "$peer"
  echo "$ours"
  peer_rate="$peer_rate $(echo "$peer" | key steps_per_s)"
  ours_rate="$ours_rate $(echo "$ours" | key steps_per_s)"
  peer_loss=$(echo "$peer" | key loss_tail)
  ours_loss=$(echo "$ours" | key loss_tail)
done
o=$(echo "$ours_rate" | median); p=$(echo "$peer_rate" | median)
awk -v o="$o" -v p="$p" -v ol="$ours_loss" -v pl="$peer_loss" -v n="$steps" 'BEGIN {
  printf "iterations/s: seqmodels %.1f, numpy %.1f, ratio %.2fx\n", o, p, o / p
  printf "loss per char over the last tenth of %d iterations: seqmodels %.4f, numpy %.4f\n", n, ol, pl
}'
