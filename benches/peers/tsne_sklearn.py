#!/usr/bin/env python3
"""scikit-learn peer of `seqmodels tsne`: Barnes-Hut t-SNE on the same TSV with
the same settings, printing the same JSON keys (seconds, kl, trustworthiness).

    python3 benches/peers/tsne_sklearn.py --input points.tsv --labels --threads 1 \
        [--perplexity 30] [--theta 0.5] [--iter 1000] [--seed 42]

Settings matched to seqmodels: method="barnes_hut", angle=theta, init="pca",
early_exaggeration=12 (for 250 iterations, scikit-learn's fixed schedule),
learning_rate=max(N/12, 50), max_iter=--iter. `seconds` times fit_transform
only (affinities and optimisation), as seqmodels times its own run; the
trustworthiness uses k = 10 (fewer for tiny inputs), like seqmodels.

The thread count must be fixed before numpy/OpenMP start, so this script sets
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS and re-executes itself;
threadpoolctl then also caps every pool it finds.
Needs: pip install scikit-learn
"""
import argparse
import json
import os
import sys
import time


def read_points(path, labels):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if labels:
                fields = fields[1:]
            rows.append([float(v) for v in fields])
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--input", required=True)
    p.add_argument("--labels", action="store_true")
    p.add_argument("--perplexity", type=float, default=30.0)
    p.add_argument("--theta", type=float, default=0.5)
    p.add_argument("--iter", type=int, default=1000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    want = str(a.threads)
    if os.environ.get("OMP_NUM_THREADS") != want:
        env = dict(os.environ, OMP_NUM_THREADS=want, OPENBLAS_NUM_THREADS=want, MKL_NUM_THREADS=want)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    import numpy as np
    import sklearn
    from sklearn.manifold import TSNE, trustworthiness
    from threadpoolctl import threadpool_limits

    x = np.asarray(read_points(a.input, a.labels), dtype=np.float64)
    n, dim = x.shape
    lr = max(n / 12.0, 50.0)
    with threadpool_limits(limits=a.threads):
        tsne = TSNE(n_components=2, perplexity=a.perplexity, early_exaggeration=12.0,
                    learning_rate=lr, max_iter=a.iter, init="pca", method="barnes_hut",
                    angle=a.theta, random_state=a.seed, n_jobs=a.threads)
        t = time.perf_counter()
        y = tsne.fit_transform(x)
        seconds = time.perf_counter() - t
        k = max(1, min(10, (n - 1) // 2))
        trust = trustworthiness(x, y, n_neighbors=k)
    print(json.dumps({"name": "tsne", "impl": "sklearn-" + sklearn.__version__, "n": n, "dim": dim,
                      "method": "barnes-hut", "threads": a.threads, "perplexity": a.perplexity,
                      "iterations": a.iter, "theta": a.theta, "seconds": round(seconds, 4),
                      "kl": float(tsne.kl_divergence_), "trustworthiness": float(trust),
                      "n_iter": int(tsne.n_iter_)},
                     separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
