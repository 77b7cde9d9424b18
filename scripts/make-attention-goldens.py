#!/usr/bin/env python3
"""Golden files for window pooling (mean and attention) of the recurrent engine: Tests/Fixtures/attention/<case>/.

The reference module is `PooledRNN` below: nn.GRU or nn.LSTM (batch_first, optionally bidirectional), then
  attention pooling  AttentionPool: e_t = v · tanh(W h_t + b), α = softmax over the window, context = Σ_t α_t h_t
                     (W, b: `attention.proj` = nn.Linear(width, A); v: `attention.score` = nn.Linear(A, 1, bias=False))
  mean pooling       context = mean_t h_t
  last               context = h_T (the newest frame)
then an optional nn.Linear head and output activation. Its state_dict (gru.* or lstm.*, attention.proj.weight,
attention.proj.bias, attention.score.weight, linear.*) is the model file, as safetensors.torch.save_file writes it.

Each case directory holds
  model.safetensors    the state_dict, with __metadata__["grustream"] (mode window:N, pooling when stated)
  input.npy            [T, I] float32 frames
  window_output.npy    [T, O] each frame's output: its window of the last N frames (zero frames before the first)
                       run from a zero state, pooled, through the head
  window_weights.npy   [T, N] the pooling weights of each frame's window (attention α; mean 1/N), oldest first
and manifest.json records the generator, library versions, seeds and parameters.

Reference: PyTorch, float32, one CPU thread. Deterministic: fixed seeds.
Run: python3 scripts/make-attention-goldens.py
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
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "attention")


class AttentionPool(nn.Module):
    """Additive attention pooling over time: e_t = v · tanh(W h_t + b), α = softmax_t(e), context = Σ_t α_t h_t."""

    def __init__(self, width, size, bias=True):
        super().__init__()
        self.proj = nn.Linear(width, size, bias=bias)
        self.score = nn.Linear(size, 1, bias=False)

    def forward(self, h):  # h [B, T, width] → context [B, width], α [B, T]
        alpha = torch.softmax(self.score(torch.tanh(self.proj(h))).squeeze(-1), dim=1)
        return (alpha.unsqueeze(-1) * h).sum(dim=1), alpha


class PooledRNN(nn.Module):
    """nn.GRU / nn.LSTM → pooling over the window → optional nn.Linear head (grustream's window-mode model)."""

    def __init__(self, p):
        super().__init__()
        self.p = p
        rnn = nn.LSTM if p["cell"] == "lstm" else nn.GRU
        setattr(self, p["cell"], rnn(p["input"], p["hidden"], p["layers"], batch_first=True,
                                     bidirectional=p["bidirectional"]))
        width = p["hidden"] * (2 if p["bidirectional"] else 1)
        if p["pooling"] == "attention":
            self.attention = AttentionPool(width, p["attention"], bias=p["attention_bias"])
        if p["head"]:
            self.linear = nn.Linear(width, p["head"])

    def forward(self, x):  # x [B, N, I] windows → outputs [B, O], weights [B, N]
        top, _ = getattr(self, self.p["cell"])(x)
        n = top.shape[1]
        if self.p["pooling"] == "attention":
            context, alpha = self.attention(top)
        elif self.p["pooling"] == "mean":
            context, alpha = top.mean(dim=1), torch.full(top.shape[:2], 1 / n)
        else:
            context, alpha = top[:, -1], torch.zeros(top.shape[:2])
        y = self.linear(context) if self.p["head"] else context
        if self.p["output_activation"] == "softmax":
            y = torch.softmax(y, dim=-1)
        return y, alpha


CASES = [
    dict(name="gru_attention_l1_h8", seed=21, cell="gru", input=5, hidden=8, layers=1, attention=4, head=3,
         window=6, frames=20, output_activation="softmax", labels=["a", "b", "c"]),
    # Pooling not stated in the metadata: the loader finds it from the attention tensors.
    dict(name="lstm_attention_l2_h20", seed=22, cell="lstm", input=7, hidden=20, layers=2, attention=8, head=4,
         window=9, frames=24, state_pooling=False),
    dict(name="gru_bidir_attention_nohead", seed=23, cell="gru", input=4, hidden=8, layers=2, attention=5, head=0,
         window=7, frames=18, bidirectional=True, attention_bias=False),
    dict(name="lstm_bidir_mean_l2_h6", seed=24, cell="lstm", input=3, hidden=6, layers=2, pooling="mean", head=3,
         window=5, frames=16, bidirectional=True),
    # A bidirectional LSTM without pooling (window mode, the newest frame's output).
    dict(name="lstm_bidir_last_l1_h10", seed=25, cell="lstm", input=6, hidden=10, layers=1, pooling="last", head=2,
         window=8, frames=17, bidirectional=True),
]
DEFAULTS = dict(bidirectional=False, pooling="attention", attention=0, attention_bias=True, head=0,
                output_activation="none", labels=None, state_pooling=True)


def make_case(c):
    p = dict(DEFAULTS, **c)
    torch.manual_seed(p["seed"])
    model = PooledRNN(p).eval()
    with torch.no_grad():
        # Twice PyTorch's default init range (capped at 0.6), as for the GRU goldens, so that α is far from uniform.
        bound = min(0.6, 2 / p["hidden"] ** 0.5)
        for name, t in model.named_parameters():
            t.uniform_(-1.5, 1.5) if name.startswith("attention.score") else t.uniform_(-bound, bound)
    x = torch.randn(p["frames"], p["input"])
    n = p["window"]
    windows = torch.zeros(p["frames"], n, p["input"])
    for t in range(p["frames"]):
        recent = x[max(0, t + 1 - n):t + 1]
        windows[t, n - len(recent):] = recent
    with torch.no_grad():
        y, alpha = model(windows)
    g = {"mode": f"window:{n}"}
    if p["state_pooling"]:
        g["pooling"] = p["pooling"]
    if p["output_activation"] != "none":
        g["output_activation"] = p["output_activation"]
    if p["labels"]:
        g["labels"] = p["labels"]
    out = os.path.join(ROOT, p["name"])
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    safetensors.torch.save_file(model.state_dict(), os.path.join(out, "model.safetensors"),
                                metadata={"grustream": json.dumps(g, sort_keys=True)})
    for k, v in dict(input=x, window_output=y, window_weights=alpha).items():
        np.save(os.path.join(out, k + ".npy"), np.ascontiguousarray(v.numpy(), dtype=np.float32))
    return dict(p, reference="PooledRNN (scripts/make-attention-goldens.py)", grustream_metadata=g,
                files=sorted(os.listdir(out)))


def main():
    os.makedirs(ROOT, exist_ok=True)
    cases = {c["name"]: make_case(c) for c in CASES}
    versions = dict(python=sys.version.split()[0], numpy=np.__version__, torch=torch.__version__)
    manifest = dict(generator="scripts/make-attention-goldens.py", versions=versions, torch_threads=1, cases=cases)
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    print("wrote", ", ".join(sorted(cases)))


if __name__ == "__main__":
    main()
