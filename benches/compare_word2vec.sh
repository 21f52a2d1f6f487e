#!/usr/bin/env bash
# word2vec side by side: `seqmodels embed train` against gensim's Word2Vec on
# the same corpus with the same settings, with 1 and 2 threads, for skip-gram
# (SGNS) and CBOW. Prints words/s for both and their ratio, and the analogy
# accuracy (questions-words.txt) and WordSim-353 Spearman ρ of both.
#
#   benches/compare_word2vec.sh [--corpus FILE] [--methods "sgns cbow"] [--threads "1 2"]
#                               [--size 100] [--iter 5] [--rounds R]
#
# Each configuration runs ours and gensim alternately R times (default 3) and
# compares the medians of words/s, so load from other processes hits both
# alike. Round r uses --seed r for both, and the quality figures are the means
# over the R rounds with their standard errors: on this corpus only about 50
# WordSim-353 pairs and 5% of the analogy questions are in the vocabulary, so
# one seed's ρ moves by ±0.05, and telling means 2 points apart takes 20 or
# more rounds (--methods cbow --threads 1 --rounds 24 takes about 5 minutes).
# gensim runs with PYTHONHASHSEED=0 so its runs depend only on --seed.
#
# The default corpus is the King James Bible (public domain), installed from
# Debian's bible-kjv package by benches/peers/fetch_kjv.sh into a git-ignored
# cache. questions-words.txt and wordsim353.tsv are the copies that ship with
# gensim (gensim/test/test_data). Needs: pip install gensim.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=""; methods="sgns cbow"; threads_list="1 2"; size=100; iter=5; rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) corpus=$2; shift 2;;
    --methods) methods=$2; shift 2;;
    --threads) threads_list=$2; shift 2;;
    --size) size=$2; shift 2;;
    --iter) iter=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
[ -n "$corpus" ] || corpus="benches/peers/$(benches/peers/fetch_kjv.sh)"
data=$(python3 -c "from gensim.test.utils import datapath; print(datapath(''))")
qw="$data/questions-words.txt"; ws="$data/wordsim353.tsv"
cargo build --release --quiet
bin=target/release/seqmodels
common=(--size "$size" --window 5 --negative 5 --hs 0 --sample 1e-3 --min-count 5 --iter "$iter"
        --eval-analogies "$qw" --eval-pairs "$ws" --case-insensitive)
key() { grep -o "\"$1\": *[-0-9.e]*" | tail -1 | sed "s/.*: *//"; }
mean() { tr ' ' '\n' | grep -v '^$' | awk '{s+=$1} END{print s/NR}'; }
# Standard error of the mean (sample standard deviation / √R; 0 for one round).
se() { tr ' ' '\n' | grep -v '^$' | awk '{s+=$1; q+=$1*$1} END{v=(NR>1)?(q-s*s/NR)/(NR-1):0; if (v<0) v=0; print sqrt(v/NR)}'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf "%-6s %7s %12s %12s %7s   %-27s %-29s %-15s\n" method threads "ours w/s" "gensim w/s" ratio "analogy % ours / gen (±se)" "WS353 ρ ours / gen (±se)" "vocab ours/gen"
for m in $methods; do
  for t in $threads_list; do
    ow=""; gw=""; ao=""; ag=""; so=""; sg=""
    for r in $(seq "$rounds"); do
      ours=$($bin embed train --corpus "$corpus" --method "$m" --threads "$t" --out "$tmp/v.bin" "${common[@]}" --seed "$r" 2>/dev/null | tail -1)
      theirs=$(PYTHONHASHSEED=0 python3 benches/peers/word2vec_gensim.py --corpus "$corpus" --method "$m" --threads "$t" "${common[@]}" --seed "$r" 2>/dev/null | tail -1)
      echo "ours:   $ours" >&2
      echo "gensim: $theirs" >&2
      ow="$ow $(echo "$ours" | key words_per_sec)"; gw="$gw $(echo "$theirs" | key words_per_sec)"
      ao="$ao $(echo "$ours" | key analogy_total)"; ag="$ag $(echo "$theirs" | key analogy_total)"
      so="$so $(echo "$ours" | key pairs_spearman)"; sg="$sg $(echo "$theirs" | key pairs_spearman)"
    done
    awk -v m="$m" -v t="$t" \
        -v o="$(echo "$ow" | median)" -v g="$(echo "$gw" | median)" \
        -v ao="$(echo "$ao" | mean)" -v ag="$(echo "$ag" | mean)" \
        -v so="$(echo "$so" | mean)" -v sg="$(echo "$sg" | mean)" \
        -v eao="$(echo "$ao" | se)" -v eag="$(echo "$ag" | se)" \
        -v eso="$(echo "$so" | se)" -v esg="$(echo "$sg" | se)" \
        -v vo="$(echo "$ours" | key vocab)" -v vg="$(echo "$theirs" | key vocab)" \
      'BEGIN { printf "%-6s %7s %12.0f %12.0f %6.2fx   %5.2f±%.2f / %5.2f±%-6.2f   %5.3f±%.3f / %5.3f±%-7.3f %s / %s\n", m, t, o, g, o / g, ao, eao, ag, eag, so, eso, sg, esg, vo, vg }'
  done
done
