#!/usr/bin/env python3
"""Continue in PyTorch from a seqmodels character language model.

    pip install torch safetensors
    cargo build --release
    target/release/seqmodels train --data data/names.txt --steps 300 --out runs/names.safetensors
    python3 data/torch/continue_in_torch.py runs/names.safetensors --data data/names.txt

1. Loads the checkpoint's model tensors into an equivalent torch module
   (children `embedding`, `rnn`, `head`) with load_state_dict(strict=True).
2. Checks that its next-token logits on a prompt match `seqmodels logits` to
   1e-5 (the same token ids are fed to both).
3. Continues training for a few steps with torch (Adam, the checkpoint's
   learning rate and clipping, batches of whole lines like `seqmodels train
   --mode lines`), printing the loss.
4. Saves the torch state_dict (safetensors) and a config file, imports them
   back with `seqmodels import`, and checks that seqmodels' logits match the
   trained torch module's to 1e-5.

The module is an ordinary nn.Module, so from here the usual ways of scaling
out apply (e.g. torch.nn.parallel.DistributedDataParallel; see the README,
"Beyond one machine").
"""
import argparse
import json
import os
import subprocess
import sys

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file

CELLS = {"lstm": (torch.nn.LSTM, {}), "gru": (torch.nn.GRU, {}),
         "rnn": (torch.nn.RNN, {"nonlinearity": "tanh"}), "rnn-relu": (torch.nn.RNN, {"nonlinearity": "relu"})}


class CharLM(torch.nn.Module):
    """embedding (or one-hot) -> stacked RNN/GRU/LSTM -> linear, time-major."""

    def __init__(self, cfg):
        super().__init__()
        V, E, H, L = cfg["vocab_size"], cfg["embed_dim"], cfg["hidden"], cfg["layers"]
        if cfg["cell"] not in CELLS:
            sys.exit(f"cell {cfg['cell']!r} has no torch equivalent (the course's reset-before GRU, "
                     "'gru-course', cannot be expressed with nn.GRU)")
        cls, kw = CELLS[cfg["cell"]]
        self.vocab_size = V
        if E > 0:
            self.embedding = torch.nn.Embedding(V, E)
        self.rnn = cls(E if E > 0 else V, H, num_layers=L, **kw)
        self.head = torch.nn.Linear(H, V)

    def forward(self, ids, state=None):
        x = self.embedding(ids) if hasattr(self, "embedding") else F.one_hot(ids, self.vocab_size).float()
        out, state = self.rnn(x, state)
        return self.head(out), state


def seqmodels_logits(binary, ckpt, prime):
    out = subprocess.run([binary, "logits", "--checkpoint", ckpt, "--prime", prime],
                         check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return j["tokens"], torch.tensor(j["logits"], dtype=torch.float64)


def torch_logits(model, tokens):
    with torch.no_grad():
        z, _ = model(torch.tensor(tokens).reshape(-1, 1))
    return z[-1, 0].double()


def line_batches(path, cfg, vocab, batch, rng):
    index = {t: i for i, t in enumerate(vocab)}
    eos = index["<EOS>"]
    seqs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if cfg["lower"]:
                line = line.lower()
            ids = [index[c] for c in line if c in index]
            if ids:
                seqs.append(ids[: cfg["seq"] - 1])
    while True:
        pick = [seqs[i] for i in torch.randint(len(seqs), (batch,), generator=rng).tolist()]
        T = max(len(s) for s in pick) + 1
        inp = torch.full((T, batch), eos)
        tgt = torch.full((T, batch), -100)  # ignored by cross_entropy
        for b, s in enumerate(pick):
            inp[1:len(s) + 1, b] = torch.tensor(s)
            tgt[:len(s), b] = torch.tensor(s)
            tgt[len(s), b] = eos
        yield inp, tgt


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("--prime", default="mar")
    p.add_argument("--data", default="data/names.txt")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--out", default="runs/torch")
    p.add_argument("--seqmodels", default="target/release/seqmodels")
    a = p.parse_args()
    torch.manual_seed(0)

    with safe_open(a.checkpoint, "pt") as f:
        meta = f.metadata()
        sd = {k: f.get_tensor(k) for k in f.keys() if not k.startswith(("optim.", "train."))}
    cfg, vocab = json.loads(meta["config"]), json.loads(meta["vocab"])
    if cfg["level"] != "char":
        sys.exit("this script continues character models")
    model = CharLM(cfg)
    model.load_state_dict(sd, strict=True)
    print(f"loaded {a.checkpoint} into torch with strict=True: {cfg['layers']} x {cfg['cell']}, "
          f"H={cfg['hidden']}, E={cfg['embed_dim']}, V={cfg['vocab_size']}")

    tokens, ours = seqmodels_logits(a.seqmodels, a.checkpoint, a.prime)
    diff = (torch_logits(model, tokens) - ours).abs().max().item()
    print(f"next-token logits after {a.prime!r}: max |torch - seqmodels| = {diff:.2e}")
    assert diff <= 1e-5, "logits differ"

    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    batches = line_batches(a.data, cfg, vocab, cfg["batch"], torch.Generator().manual_seed(1))
    window = []
    for step in range(1, a.steps + 1):
        inp, tgt = next(batches)
        z, _ = model(inp)
        loss = F.cross_entropy(z.reshape(-1, z.shape[-1]), tgt.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        if cfg["clip"]["kind"] == "norm":
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"]["max"])
        elif cfg["clip"]["kind"] == "value":
            torch.nn.utils.clip_grad_value_(model.parameters(), cfg["clip"]["max"])
        opt.step()
        window.append(loss.item())
        if step % 10 == 0:
            print(f"torch steps {step - 9:4d}-{step:4d}  mean loss {sum(window) / len(window):.4f}")
            window = []

    os.makedirs(a.out, exist_ok=True)
    state_path = os.path.join(a.out, "torch_state.safetensors")
    config_path = os.path.join(a.out, "config.json")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, state_path)
    with open(config_path, "w") as f:
        json.dump({"config": cfg, "vocab": vocab}, f)
    back = os.path.join(a.out, "imported.safetensors")
    subprocess.run([a.seqmodels, "import", "--torch", state_path, "--config", config_path, "--out", back],
                   check=True)
    tokens, ours = seqmodels_logits(a.seqmodels, back, a.prime)
    diff = (torch_logits(model, tokens) - ours).abs().max().item()
    print(f"after {a.steps} torch steps, imported back: max |torch - seqmodels| = {diff:.2e}")
    assert diff <= 1e-5, "logits differ after the round trip"
    print("ok")


if __name__ == "__main__":
    main()
