#!/usr/bin/env python3
"""Load a grustream-trained model in PyTorch and check it against grustream's own inference.

  scripts/check-torch-load.py MODEL.safetensors [--grustream PATH] [--frames 200]

1. safetensors.torch.load_file → a plain nn.GRU (or nn.LSTM, for lstm.* tensors) + nn.Linear
   (load_state_dict(strict=True) of the gru.*/lstm.* and linear.* tensors; norm.mean/norm.std are the input normalisation), printed with the grustream metadata.
   A model with mean or attention pooling (metadata "pooling", mode window:N) loads into PooledRNN of
   scripts/make-attention-goldens.py (attention.* tensors included), run over each frame's window of N frames.
2. Random inputs [T, I] → PyTorch outputs (normalised inputs, softmax when the metadata says so) and
   `grustream infer --normalise` outputs; prints the largest difference and exits 1 above 1e-4.
"""
import argparse
import json
import os
import subprocess
import sys
import importlib.util
import tempfile

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn

torch.set_num_threads(1)


class GRUModel(nn.Module):
    def __init__(self, i, h, layers, o):
        super().__init__()
        self.gru = nn.GRU(i, h, num_layers=layers, batch_first=True)
        self.linear = nn.Linear(h, o)

    def forward(self, x):
        y, _ = self.gru(x)
        return self.linear(y)


class LSTMModel(nn.Module):
    def __init__(self, i, h, layers, o):
        super().__init__()
        self.lstm = nn.LSTM(i, h, num_layers=layers, batch_first=True)
        self.linear = nn.Linear(h, o)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.linear(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--grustream", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build",
                                                         "release", "grustream"))
    ap.add_argument("--frames", type=int, default=200)
    args = ap.parse_args()
    tensors = load_file(args.model)
    with safe_open(args.model, "pt") as f:
        meta = json.loads((f.metadata() or {}).get("grustream", "{}"))
    prefix = "lstm" if "lstm.weight_ih_l0" in tensors else "gru"
    i = tensors[f"{prefix}.weight_ih_l0"].shape[1]
    h = tensors[f"{prefix}.weight_hh_l0"].shape[1]
    layers = sum(1 for k in tensors if k.startswith(f"{prefix}.weight_ih_l"))
    o = tensors["linear.weight"].shape[0]
    pooling = meta.get("pooling", "attention" if "attention.proj.weight" in tensors else "last")
    window = int(meta.get("mode", "carry").split(":")[1]) if pooling != "last" else 0
    if pooling != "last":
        spec = importlib.util.spec_from_file_location(
            "attention_goldens", os.path.join(os.path.dirname(os.path.abspath(__file__)), "make-attention-goldens.py"))
        goldens = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(goldens)
        a = tensors["attention.proj.weight"].shape[0] if pooling == "attention" else 0
        model = goldens.PooledRNN(dict(cell=prefix, input=i, hidden=h, layers=layers, bidirectional=False,
                                       pooling=pooling, attention=a, attention_bias="attention.proj.bias" in tensors,
                                       head=o, output_activation="none"))
    else:
        model = (LSTMModel if prefix == "lstm" else GRUModel)(i, h, layers, o)
    model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("norm.")}, strict=True)
    model.eval()
    print(model)
    print(f"parameters: {sum(p.numel() for p in model.parameters())}")
    print("metadata:", json.dumps({k: v for k, v in meta.items() if k != "training"}, indent=1))
    if "training" in meta:
        t = meta["training"]
        print("training:", json.dumps({k: t[k] for k in sorted(t) if k not in ("clips_per_label", "data")}))

    rng = np.random.default_rng(0)
    mean = tensors["norm.mean"].numpy() if "norm.mean" in tensors else np.zeros(i, np.float32)
    std = tensors["norm.std"].numpy() if "norm.std" in tensors else np.ones(i, np.float32)
    x = (mean + std * rng.standard_normal((args.frames, i))).astype(np.float32)
    with torch.no_grad():
        xn = torch.from_numpy((x - mean) / std)
        if pooling != "last":
            windows = torch.zeros(args.frames, window, i)
            for t in range(args.frames):
                recent = xn[max(0, t + 1 - window):t + 1]
                windows[t, window - len(recent):] = recent
            y = model(windows)[0]
        else:
            y = model(xn[None])[0]
        if meta.get("output_activation") == "softmax":
            y = torch.softmax(y, -1)
        elif meta.get("output_activation") == "sigmoid":
            y = torch.sigmoid(y)
    y = y.numpy()
    if not os.path.exists(args.grustream):
        print(f"(no grustream binary at {args.grustream}: build it with swift build -c release to compare outputs)")
        return
    with tempfile.TemporaryDirectory() as d:
        np.save(os.path.join(d, "x.npy"), x)
        subprocess.run([args.grustream, "infer", "--model", args.model, "--input", os.path.join(d, "x.npy"),
                        "--output", os.path.join(d, "y.npy"), "--normalise"], check=True, capture_output=True)
        g = np.load(os.path.join(d, "y.npy"))
    diff = np.abs(g - y).max()
    print(f"PyTorch vs grustream infer over {args.frames} random frames: max |difference| {diff:.3g}")
    sys.exit(0 if diff <= 1e-4 else 1)


if __name__ == "__main__":
    main()
