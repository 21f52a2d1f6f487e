"""Writes data/names.txt from the PyPI package `names` 0.3.0.

The package (MIT licence, by Trey Hunner) ships the US Census 1990 first-name
lists `dist.male.first` and `dist.female.first` (public domain, "derived from
1990 Census data", as its README states). Each line there is
`NAME  frequency  cumulative-frequency  rank`; this script keeps the first
field, lower-cases it, removes duplicates (names on both lists), sorts the
result and writes one name per line.

Usage (see data/README.md):
    pip download names==0.3.0 --no-deps --no-binary :all: -d /tmp/names
    python3 data/make_names.py /tmp/names/names-0.3.0.tar.gz data/names.txt
"""

import hashlib
import sys
import tarfile

# sha256 of names-0.3.0.tar.gz as downloaded from PyPI for this project.
EXPECTED_SHA256 = "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671"
MEMBERS = ["names-0.3.0/names/dist.male.first", "names-0.3.0/names/dist.female.first"]


def main(tarball, out_path):
    with open(tarball, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != EXPECTED_SHA256:
        sys.exit(f"{tarball}: sha256 {digest}, expected {EXPECTED_SHA256}")
    names = set()
    with tarfile.open(tarball, "r:gz") as tar:
        for member in MEMBERS:
            text = tar.extractfile(member).read().decode("ascii")
            for line in text.splitlines():
                fields = line.split()
                if fields:
                    names.add(fields[0].lower())
    with open(out_path, "w", encoding="ascii", newline="\n") as f:
        for name in sorted(names):
            f.write(name + "\n")
    print(f"wrote {len(names)} names to {out_path}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make_names.py names-0.3.0.tar.gz names.txt")
    main(sys.argv[1], sys.argv[2])
