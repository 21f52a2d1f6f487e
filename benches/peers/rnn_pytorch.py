#!/usr/bin/env python3
"""PyTorch peer of `seqmodels bench rnn`: the same rows, the same work (one
forward + backward with loss = sum of the outputs, input gradients included),
the same timing rule (a warm-up, then repeated runs for at least --min-time
seconds, median reported) and the same JSON keys, one line per row.

    python3 benches/peers/rnn_pytorch.py --threads 1 [--cell rnn|gru|lstm] [--seq T --batch B --input I --hidden H]
                                          [--layers L] [--bidirectional] [--dtype f32|f64]

torch.set_num_threads is set to --threads (and the interop pool to 1).
Needs: pip install torch
"""
import argparse
import json
import time

import torch

SHAPES = [(64, 1, 64, 128), (64, 32, 64, 256), (64, 32, 128, 512), (128, 64, 256, 1024)]
GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cell", choices=["rnn", "gru", "lstm"])
    p.add_argument("--seq", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--input", type=int)
    p.add_argument("--hidden", type=int)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument("--dtype", choices=["f32", "f64"], default="f32")
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--min-time", type=float, default=0.5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    dtype = torch.float32 if a.dtype == "f32" else torch.float64
    cells = [a.cell] if a.cell else ["rnn", "gru", "lstm"]
    if any(v is not None for v in (a.seq, a.batch, a.input, a.hidden)):
        shapes = [(a.seq or 64, a.batch or 32, a.input or 128, a.hidden or 512)]
    else:
        shapes = SHAPES
    torch.manual_seed(42)
    for cell in cells:
        for (T, B, I, H) in shapes:
            cls = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
            m = cls(I, H, num_layers=a.layers, bidirectional=a.bidirectional).to(dtype)
            x = torch.rand(T, B, I, dtype=dtype) * 2 - 1
            x.requires_grad_()

            def step():
                m.zero_grad(set_to_none=True)
                x.grad = None
                out, _ = m(x)
                out.sum().backward()

            step()
            step()
            times = []
            start = time.perf_counter()
            while len(times) < 5 or time.perf_counter() - start < a.min_time:
                t0 = time.perf_counter()
                step()
                times.append((time.perf_counter() - t0) * 1e3)
            times.sort()
            n = len(times)
            med = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
            D = 2 if a.bidirectional else 1
            flops = 0.0
            for l in range(a.layers):
                inp = I if l == 0 else D * H
                flops += D * 6.0 * T * B * GATES[cell] * H * (inp + H)
            print(json.dumps({"name": "rnn", "cell": cell, "seq": T, "batch": B, "input": I, "hidden": H,
                              "layers": a.layers, "bidirectional": a.bidirectional, "dtype": a.dtype,
                              "threads": a.threads, "median_ms": round(med, 4),
                              "gflops": round(flops / (med * 1e-3) / 1e9, 2)},
                             separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
