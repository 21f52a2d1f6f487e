#!/usr/bin/env python3
"""numpy/OpenBLAS peer of `seqmodels bench gemm`: the same shapes, the same
timing rule (a warm-up, then repeated runs for at least --min-time seconds,
median reported) and the same JSON keys, one line per shape.

    python3 benches/peers/gemm_numpy.py --threads 1 [--dtype f32|f64] [--m M --k K --n N]

The thread count must be fixed before numpy loads OpenBLAS, so this script sets
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS and re-executes itself.
Needs: pip install numpy
"""
import argparse
import json
import os
import sys
import time

SHAPES = [(64, 64, 64), (256, 256, 256), (512, 512, 512), (1024, 1024, 1024),
          (32, 512, 2048), (32, 1024, 4096), (64, 256, 1024), (1, 512, 2048)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--dtype", choices=["f32", "f64"], default="f32")
    p.add_argument("--m", type=int)
    p.add_argument("--k", type=int)
    p.add_argument("--n", type=int)
    p.add_argument("--min-time", type=float, default=0.5)
    a = p.parse_args()
    want = str(a.threads)
    if os.environ.get("OPENBLAS_NUM_THREADS") != want:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=want, OMP_NUM_THREADS=want, MKL_NUM_THREADS=want)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    import numpy as np

    dtype = np.float32 if a.dtype == "f32" else np.float64
    shapes = [(a.m, a.k, a.n)] if a.m else SHAPES
    rng = np.random.default_rng(42)
    for (m, k, n) in shapes:
        A = rng.uniform(-1, 1, (m, k)).astype(dtype)
        B = rng.uniform(-1, 1, (k, n)).astype(dtype)
        C = np.empty((m, n), dtype=dtype)
        np.matmul(A, B, out=C)
        np.matmul(A, B, out=C)
        times = []
        start = time.perf_counter()
        while len(times) < 5 or time.perf_counter() - start < a.min_time:
            t = time.perf_counter()
            np.matmul(A, B, out=C)
            times.append((time.perf_counter() - t) * 1e3)
        times.sort()
        k2 = len(times)
        med = times[k2 // 2] if k2 % 2 else 0.5 * (times[k2 // 2 - 1] + times[k2 // 2])
        print(json.dumps({"name": "gemm", "m": m, "k": k, "n": n, "dtype": a.dtype, "threads": a.threads,
                          "prepacked": False, "kernel": "numpy-" + np.__version__,
                          "median_ms": round(med, 4), "gflops": round(2 * m * k * n / (med * 1e-3) / 1e9, 2)},
                         separators=(",", ":")),
              flush=True)


if __name__ == "__main__":
    main()
