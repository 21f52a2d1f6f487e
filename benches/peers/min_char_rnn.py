"""A character-level vanilla RNN in numpy, trained the min-char-rnn way.

Written for this project from the published algorithm (A. Karpathy's
min-char-rnn, 2015): one-hot characters, a tanh RNN of H = 100 units,
softmax output, truncated BPTT over chunks of T = 25 characters read in order
(the hidden state carried from chunk to chunk, reset at the end of the text),
the loss summed over the chunk, every gradient element clipped to [-5, 5],
Adagrad with learning rate 0.1. Weights start as N(0, 0.01^2), biases at 0.

    a<t>  = tanh(Wax x<t> + Waa a<t-1> + ba)      x<t> one-hot, (V,)
    y^<t> = softmax(Wya a<t> + by)
    L     = sum_t -log y^<t>[target<t>]

It is the peer of

    seqmodels train --mode stream --cell rnn --hidden 100 --seq 25 --batch 1
                    --embed-dim 0 --optim adagrad --lr 0.1 --clip-value 5

and prints one JSON line with the same keys (see benches/compare_min_char_rnn.sh).
Only the training iterations are timed (no sampling). loss_tail is the mean
loss per character over the last tenth of the iterations.

usage: python3 benches/peers/min_char_rnn.py --data FILE [--steps N] [--seed S]
"""

import argparse
import json
import math
import time

import numpy as np


def train(text, steps, hidden=100, seq=25, lr=0.1, clip=5.0, seed=42):
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = np.array([index[c] for c in text], dtype=np.int64)
    V, H, T = len(chars), hidden, seq
    rng = np.random.default_rng(seed)
    Wax = rng.standard_normal((H, V)) * 0.01
    Waa = rng.standard_normal((H, H)) * 0.01
    Wya = rng.standard_normal((V, H)) * 0.01
    ba = np.zeros(H)
    by = np.zeros(V)
    params = [Wax, Waa, Wya, ba, by]
    sum_sq = [np.zeros_like(p) for p in params]  # Adagrad's accumulators

    a_prev = np.zeros(H)
    pos = 0
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        if pos + T + 1 > len(data):
            a_prev = np.zeros(H)
            pos = 0
        xs = data[pos:pos + T]
        ys = data[pos + 1:pos + T + 1]

        # Forward: keep a<t> and the softmax of every step.
        a = np.zeros((T + 1, H))
        a[0] = a_prev
        probs = np.zeros((T, V))
        loss = 0.0
        for t in range(T):
            # Wax x<t> for a one-hot x<t> is column xs[t] of Wax.
            a[t + 1] = np.tanh(Wax[:, xs[t]] + Waa @ a[t] + ba)
            z = Wya @ a[t + 1] + by
            e = np.exp(z - z.max())
            probs[t] = e / e.sum()
            loss -= math.log(probs[t, ys[t]])

        # Backward through time.
        dWax, dWaa, dWya = np.zeros_like(Wax), np.zeros_like(Waa), np.zeros_like(Wya)
        dba, dby = np.zeros_like(ba), np.zeros_like(by)
        da_next = np.zeros(H)
        for t in reversed(range(T)):
            dz = probs[t].copy()
            dz[ys[t]] -= 1.0                      # dL/dz = y^ - onehot(y)
            dWya += np.outer(dz, a[t + 1])
            dby += dz
            da = Wya.T @ dz + da_next             # from the output and from step t+1
            dpre = (1.0 - a[t + 1] ** 2) * da     # through tanh
            dba += dpre
            dWax[:, xs[t]] += dpre
            dWaa += np.outer(dpre, a[t])
            da_next = Waa.T @ dpre
        grads = [dWax, dWaa, dWya, dba, dby]

        for p, g, m in zip(params, grads, sum_sq):
            np.clip(g, -clip, clip, out=g)
            m += g * g
            p -= lr * g / np.sqrt(m + 1e-8)

        a_prev = a[T]
        pos += T
        losses.append(loss / T)
    seconds = time.perf_counter() - start
    tail = losses[-max(1, math.ceil(steps / 10)):]
    return {
        "name": "min_char_rnn",
        "impl": "numpy " + np.__version__,
        "hidden": H,
        "seq": T,
        "batch": 1,
        "vocab": V,
        "steps": steps,
        "seconds": seconds,
        "steps_per_s": steps / seconds,
        "tokens_per_s": steps * T / seconds,
        "loss_tail": sum(tail) / len(tail),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    with open(args.data, encoding="utf-8") as f:
        text = f.read()
    print(json.dumps(train(text, args.steps, seed=args.seed)))


if __name__ == "__main__":
    main()
