#!/usr/bin/env bash
# word2vec.c, the original C program, as a third reference for word2vec
# quality next to gensim (benches/compare_word2vec.sh): trains it R times on
# the same corpus with the same settings, evaluates each run's vectors with
# `seqmodels embed eval` (gensim's questions-words.txt and WordSim-353, case
# insensitive), and prints the means with their standard errors.
#
#   benches/peers/word2vec_c.sh [--corpus FILE] [--method cbow|sgns]
#                               [--threads N] [--iter 5] [--rounds R]
#
# Nothing of word2vec.c is committed here. At bench time the script takes
# word2vec.c from the source distribution of the PyPI package `word2vec`
# 0.11.1 (`pip download`), into the git-ignored benches/peers/.cache/, and
# compiles a copy with gcc. The program has no seed option (its generators
# start from 1 and from the thread id), so the copy gets one: two start
# values are offset by SEED from the environment, and round r runs with
# SEED=r. Its vocabulary also holds "</s>" (a line end), which it never
# trains on but which counts in the negative-sampling table.
# Needs: gcc, pip, and gensim for the evaluation files.
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=""; method=cbow; threads=1; iter=5; rounds=12
while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) corpus=$2; shift 2;;
    --method) method=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --iter) iter=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
case "$method" in
  cbow) cbow=1; alpha=0.05;;
  sgns) cbow=0; alpha=0.025;;
  *) echo "--method must be cbow or sgns" >&2; exit 2;;
esac
[ -n "$corpus" ] || corpus="benches/peers/$(benches/peers/fetch_kjv.sh)"
cache=benches/peers/.cache/word2vec_c
mkdir -p "$cache"
if [ ! -x "$cache/w2v" ]; then
  (cd "$cache" && pip download --quiet --no-deps --no-binary :all: word2vec==0.11.1 \
     && tar xzf word2vec-0.11.1.tar.gz word2vec-0.11.1/word2vec/includes/word2vec.c)
  src="$cache/word2vec-0.11.1/word2vec/includes/word2vec.c"
  sed -e 's/unsigned long long next_random = 1;/unsigned long long next_random = 1 + (getenv("SEED") ? atoll(getenv("SEED")) * 7919 : 0);/' \
      -e 's/unsigned long long next_random = (long long)id;/unsigned long long next_random = (long long)id + (getenv("SEED") ? atoll(getenv("SEED")) * 104729 : 0);/' \
      "$src" > "$cache/w2v_seeded.c"
  [ "$(grep -c 'getenv("SEED")' "$cache/w2v_seeded.c")" -ge 2 ] \
    || { echo "word2vec_c.sh: could not add the seed to $src" >&2; exit 1; }
  gcc -O3 -march=native -funroll-loops "$cache/w2v_seeded.c" -o "$cache/w2v" -lm -pthread
fi
data=$(python3 -c "from gensim.test.utils import datapath; print(datapath(''))")
cargo build --release --quiet
key() { grep -o "\"$1\": *[-0-9.e]*" | tail -1 | sed "s/.*: *//"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
an=""; rho=""
for r in $(seq "$rounds"); do
  SEED=$r "$cache/w2v" -train "$corpus" -output "$tmp/v.bin" -cbow $cbow -size 100 -window 5 \
    -negative 5 -hs 0 -sample 1e-3 -min-count 5 -iter "$iter" -threads "$threads" \
    -alpha $alpha -binary 1 > /dev/null
  out=$(target/release/seqmodels embed eval --vectors "$tmp/v.bin" --analogies "$data/questions-words.txt" \
    --pairs "$data/wordsim353.tsv" --case-insensitive 2>/dev/null | tail -1)
  echo "seed $r: $out" >&2
  an="$an $(echo "$out" | key analogy_total)"; rho="$rho $(echo "$out" | key pairs_spearman)"
done
stats() { tr ' ' '\n' | grep -v '^$' | awk '{s+=$1; q+=$1*$1} END{m=s/NR; v=(NR>1)?(q-s*s/NR)/(NR-1):0; if (v<0) v=0; printf "%.3f ± %.3f", m, sqrt(v/NR)}'; }
echo "word2vec.c $method, $threads thread(s), $rounds seeds: analogy % $(echo "$an" | stats), WS353 ρ $(echo "$rho" | stats)"
