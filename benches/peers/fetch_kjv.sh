#!/usr/bin/env bash
# Installs the King James Bible (public domain; Debian package `bible-kjv`,
# whose text package `bible-kjv-text` states that its copyright has expired)
# and writes a tokenized copy for the word2vec comparison:
#
#   benches/peers/.cache/kjv.txt     one verse per line, lower case, words of
#                                     [a-z0-9'] separated by single spaces
#
# About 31 000 lines and 790 000 words. The cache directory is git-ignored;
# nothing here is committed. Needs root for apt-get (or `bible` already on PATH).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p .cache
out=.cache/kjv.txt
if [ -s "$out" ]; then echo "$out"; exit 0; fi
if ! command -v bible >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bible-kjv >/dev/null \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bible-kjv >/dev/null; }
  else
    echo "fetch_kjv.sh: install the Debian package bible-kjv (sudo apt-get install bible-kjv)" >&2
    exit 1
  fi
fi
bible gen1:1-rev22:21 </dev/null > .cache/kjv_raw.txt
python3 - .cache/kjv_raw.txt "$out" <<'PY'
import re, sys
src, dst = sys.argv[1], sys.argv[2]
verses, cur = [], None
for line in open(src, encoding="utf-8", errors="replace"):
    m = re.match(r"^\s+(\d+)\s+(.*)$", line)
    if m:                       # "  12 text of verse 12"
        if cur is not None:
            verses.append(cur)
        cur = m.group(2)
    elif re.match(r"^\S.*\s\d+\s*$", line):   # "Genesis 1": a chapter heading
        continue
    elif line.strip() and cur is not None:   # a wrapped verse continues
        cur += " " + line.strip()
if cur is not None:
    verses.append(cur)
n = 0
with open(dst, "w", encoding="utf-8") as f:
    for v in verses:
        toks = [t.strip("'") for t in re.sub(r"[^a-z0-9']+", " ", v.lower()).split()]
        toks = [t for t in toks if t]
        n += len(toks)
        f.write(" ".join(toks) + "\n")
print(f"{dst}: {len(verses)} verses, {n} words", file=sys.stderr)
PY
echo "$out"
