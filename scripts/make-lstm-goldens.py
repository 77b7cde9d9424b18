#!/usr/bin/env python3
"""Golden files for the LSTM cell of the recurrent engine (GrustreamNeural): Tests/Fixtures/lstm/<case>/.

Each case directory holds
  model.safetensors  safetensors.torch.save_file(model.state_dict(), ...) of nn.LSTM (+ nn.Linear) as is
  input.npy          [T, I] float32 frames
  h0.npy, c0.npy     [layers, H] initial states h and c
  output.npy         [T, O] outputs (head, after its activation; no head: top-layer hidden)
  hidden.npy         [T, H] top-layer output per frame
  final.npy          [layers, H] h after the last frame (PyTorch h_n)
  final_cell.npy     [layers, H] c after the last frame (PyTorch c_n)
  window_output.npy  [T, O] window-mode outputs: each frame's window of the last N frames (zero frames before
                     the first), re-run from (h0, c0), output of its newest frame
and manifest.json records the generator, library versions, seeds and parameters.

Reference: PyTorch nn.LSTM + nn.Linear, float32, one CPU thread. Deterministic: fixed seeds.
Run: python3 scripts/make-lstm-goldens.py
"""
import json
import os
import shutil
import sys

import numpy as np
import safetensors.torch
import torch
from torch import nn

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "lstm")


class TorchLSTMModel(nn.Module):
    """nn.LSTM and an optional nn.Linear head, under configurable attribute names."""

    def __init__(self, p):
        super().__init__()
        self.p = p
        setattr(self, p["rnn_attr"], nn.LSTM(p["input"], p["hidden"], p["layers"], bias=p["bias"],
                                             batch_first=True))
        if p["head"]:
            self.linear = nn.Linear(p["hidden"], p["head"])

    def forward(self, x, h0, c0):
        top, (h, c) = getattr(self, self.p["rnn_attr"])(x[None], (h0[:, None, :], c0[:, None, :]))
        top = top[0]
        y = self.linear(top) if self.p["head"] else top
        if self.p["output_activation"] == "softmax":
            y = torch.softmax(y, dim=-1)
        elif self.p["output_activation"] == "sigmoid":
            y = torch.sigmoid(y)
        return y, top, h[:, 0, :], c[:, 0, :]


CASES = [
    # No grustream metadata: the loader finds the `lstm.` prefix and the cell from weight_hh_l0 [4H, H].
    dict(name="lstm_l1_h8", seed=11, input=5, hidden=8, layers=1, head=3, frames=30, window=6),
    dict(name="lstm_l2_h64_prefix_softmax", seed=12, input=13, hidden=64, layers=2, head=4, frames=25,
         rnn_attr="rnn", output_activation="softmax", labels=["yes", "no", "up", "down"], window=9),
    dict(name="lstm_l3_h20_nobias_nohead", seed=13, input=7, hidden=20, layers=3, head=0, frames=33,
         bias=False, window=5),
]
DEFAULTS = dict(bias=True, rnn_attr="lstm", output_activation="none", labels=None, window=None)


def save_arrays(out, arrays):
    for k, v in arrays.items():
        np.save(os.path.join(out, k + ".npy"), np.ascontiguousarray(v, dtype=np.float32))


def make_case(c):
    p = dict(DEFAULTS, **c)
    torch.manual_seed(p["seed"])
    model = TorchLSTMModel(p).eval()
    with torch.no_grad():
        # Twice PyTorch's default init range (capped at 0.6), as for the GRU goldens.
        bound = min(0.6, 2 / p["hidden"] ** 0.5)
        for _, t in model.named_parameters():
            t.uniform_(-bound, bound)
    x = torch.randn(p["frames"], p["input"])
    h0 = torch.randn(p["layers"], p["hidden"]) * 0.5
    c0 = torch.randn(p["layers"], p["hidden"]) * 0.5
    with torch.no_grad():
        y, top, h, cn = model(x, h0, c0)
    g = {"cell": "lstm"} if p["rnn_attr"] != "lstm" else {}
    if p["rnn_attr"] != "lstm":
        g["gru_prefix"] = p["rnn_attr"] + "."
    if p["output_activation"] != "none":
        g["output_activation"] = p["output_activation"]
    if p["labels"]:
        g["labels"] = p["labels"]
        g["task"] = "classify"
    out = os.path.join(ROOT, p["name"])
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    meta = {"grustream": json.dumps(g, sort_keys=True)} if g else None
    safetensors.torch.save_file(model.state_dict(), os.path.join(out, "model.safetensors"), metadata=meta)
    arrays = dict(input=x, h0=h0, c0=c0, output=y, hidden=top, final=h, final_cell=cn)
    if p["window"]:
        n = p["window"]
        rows = []
        with torch.no_grad():
            for t in range(p["frames"]):
                w = torch.zeros(n, p["input"])
                recent = x[max(0, t + 1 - n):t + 1]
                w[n - len(recent):] = recent
                rows.append(model(w, h0, c0)[0][-1])
        arrays["window_output"] = torch.stack(rows)
    save_arrays(out, {k: v.numpy() for k, v in arrays.items()})
    return dict(p, reference="torch.nn.LSTM + nn.Linear", grustream_metadata=g or None,
                files=sorted(os.listdir(out)))


def main():
    os.makedirs(ROOT, exist_ok=True)
    cases = {c["name"]: make_case(c) for c in CASES}
    versions = dict(python=sys.version.split()[0], numpy=np.__version__, torch=torch.__version__)
    manifest = dict(generator="scripts/make-lstm-goldens.py", versions=versions, torch_threads=1, cases=cases)
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    print("wrote", ", ".join(sorted(cases)))


if __name__ == "__main__":
    main()
