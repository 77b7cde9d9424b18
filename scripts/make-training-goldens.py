#!/usr/bin/env python3
"""Golden files for grustream training (GrustreamNeural/Training): Tests/Fixtures/training/<case>.safetensors.

Each case is a stacked PyTorch nn.GRU or nn.LSTM (batch_first=False) + nn.Linear with random weights and inputs, evaluated
in float64 (the exact reference; stored as float32). Pooled cases (`PooledNet`) pool the top layer's outputs over
the steps (mean, or AttentionPool of scripts/make-attention-goldens.py) and apply the head once: their output is
zero except at the last step, and the loss is the last-frame cross-entropy.
  param.<name>      the parameters, PyTorch state_dict names (gru.weight_ih_l0 or lstm.weight_ih_l0, ...,
                    attention.proj.weight, attention.proj.bias, attention.score.weight, linear.weight, linear.bias)
  input             [T, B, I] time-major inputs;  h0 [L, B, H] initial state (zeros when absent); an LSTM's h0 is
                    [2L, B, H]: h of each layer, then c of each layer
  target            classify: [T, B] class index (-1 = no target: last-frame loss); predict: [T, B, O]
  output            [T, B, O] head outputs; loss [1]
  grad.<name>       d loss / d parameter (autograd)
  adam.<name>       parameters after 3 steps of torch.optim.Adam (grads recomputed at each step, clip_grad_norm_)
  sgd.<name>        parameters after 3 steps of torch.optim.SGD with momentum, weight decay and an L1 term
The hyper-parameters and library versions are in the file's __metadata__["golden"].
Deterministic: fixed seeds, one thread. Run: python3 scripts/make-training-goldens.py
"""
import json
import os
import sys

import numpy as np
import safetensors
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "training")

CASES = {
    # name: (input, hidden, layers, output, batch, steps, loss, with h0, cell)
    "classify_frames": (5, 6, 2, 4, 3, 7, "ce_frames", False, "gru"),
    "classify_last": (4, 9, 1, 3, 4, 6, "ce_last", False, "gru"),
    "predict_mse": (4, 5, 2, 4, 2, 8, "mse", True, "gru"),
    "wide_two_layers": (13, 20, 2, 12, 3, 5, "ce_frames", True, "gru"),
    "lstm_classify_frames": (5, 6, 2, 4, 3, 7, "ce_frames", False, "lstm"),
    "lstm_classify_last": (4, 9, 1, 3, 4, 6, "ce_last", True, "lstm"),
    "lstm_predict_mse": (4, 5, 2, 4, 2, 8, "mse", True, "lstm"),
    "lstm_wide_two_layers": (13, 20, 2, 12, 3, 5, "ce_frames", True, "lstm"),
    # pooled: (…, pooling, attention width)
    "attention_last": (4, 9, 1, 3, 4, 6, "ce_last", False, "gru", "attention", 5),
    "lstm_attention_two_layers": (5, 7, 2, 4, 3, 8, "ce_last", True, "lstm", "attention", 6),
    "mean_last": (5, 6, 2, 4, 3, 7, "ce_last", True, "gru", "mean", 0),
}
ADAM = dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-3, clip=0.5)
SGD = dict(lr=0.05, momentum=0.9, weight_decay=1e-3, l1=1e-3)


class Net(nn.Module):
    def __init__(self, i, h, layers, o):
        super().__init__()
        self.gru = nn.GRU(i, h, num_layers=layers)
        self.linear = nn.Linear(h, o)

    def forward(self, x, h0):
        y, _ = self.gru(x, h0)
        return self.linear(y)


class LSTMNet(nn.Module):
    """h0 is [2L, B, H]: h of each layer, then c of each layer (grustream's training state layout)."""

    def __init__(self, i, h, layers, o):
        super().__init__()
        self.layers = layers
        self.lstm = nn.LSTM(i, h, num_layers=layers)
        self.linear = nn.Linear(h, o)

    def forward(self, x, h0):
        y, _ = self.lstm(x, (h0[:self.layers].contiguous(), h0[self.layers:].contiguous()))
        return self.linear(y)


class AttentionPool(nn.Module):
    """e_t = v · tanh(W h_t + b), α = softmax over time, context = Σ_t α_t h_t (time-major: h [T, B, H])."""

    def __init__(self, width, size):
        super().__init__()
        self.proj = nn.Linear(width, size)
        self.score = nn.Linear(size, 1, bias=False)

    def forward(self, h):
        alpha = torch.softmax(self.score(torch.tanh(self.proj(h))).squeeze(-1), dim=0)
        return (alpha.unsqueeze(-1) * h).sum(dim=0)


class PooledNet(nn.Module):
    """nn.GRU / nn.LSTM → mean or attention pooling over the steps → nn.Linear at the last step (zeros before)."""

    def __init__(self, i, h, layers, o, cell, pooling, attention):
        super().__init__()
        self.layers = layers
        self.cell = cell
        self.pooling = pooling
        setattr(self, cell, (nn.LSTM if cell == "lstm" else nn.GRU)(i, h, num_layers=layers))
        if pooling == "attention":
            self.attention = AttentionPool(h, attention)
        self.linear = nn.Linear(h, o)

    def forward(self, x, h0):
        state = (h0[:self.layers].contiguous(), h0[self.layers:].contiguous()) if self.cell == "lstm" else h0
        y, _ = getattr(self, self.cell)(x, state)
        context = self.attention(y) if self.pooling == "attention" else y.mean(dim=0)
        out = torch.zeros(y.shape[0], y.shape[1], self.linear.out_features, dtype=y.dtype)
        out[-1] = self.linear(context)
        return out


def loss_of(kind, y, target):
    if kind == "mse":
        return F.mse_loss(y, target)
    return F.cross_entropy(y.reshape(-1, y.shape[-1]), target.reshape(-1).long(), ignore_index=-1)


def make(name, seed, i, h, layers, o, b, t, kind, with_h0, cell, pooling="last", attention=0):
    g = torch.Generator().manual_seed(seed)
    if pooling == "last":
        net = (LSTMNet if cell == "lstm" else Net)(i, h, layers, o).double()
    else:
        net = PooledNet(i, h, layers, o, cell, pooling, attention).double()
    state_rows = 2 * layers if cell == "lstm" else layers
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.4)
    # Round the weights and inputs to float32 first, so both sides start from identical values.
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(p.float().double())
    x = torch.randn(t, b, i, generator=g, dtype=torch.float64).float().double()
    h0 = (torch.randn(state_rows, b, h, generator=g, dtype=torch.float64) * 0.5).float().double() if with_h0 \
        else torch.zeros(state_rows, b, h, dtype=torch.float64)
    if kind == "mse":
        target = torch.randn(t, b, o, generator=g, dtype=torch.float64).float().double()
    else:
        target = torch.randint(0, o, (t, b), generator=g).double()
        if kind == "ce_last":
            target[:-1] = -1
    tensors = {f"param.{k}": v.detach().float().contiguous() for k, v in net.state_dict().items()}
    y = net(x, h0)
    loss = loss_of(kind, y, target)
    loss.backward()
    tensors.update({f"grad.{k}": p.grad.detach().float().clone() for k, p in net.named_parameters()})
    tensors.update(input=x.float(), h0=h0.float(), target=target.float(), output=y.detach().float(),
                   loss=loss.detach().float().reshape(1))
    state = {k: v.clone() for k, v in net.state_dict().items()}

    # Adam, 3 steps, gradients clipped by global norm.
    opt = torch.optim.Adam(net.parameters(), lr=ADAM["lr"], betas=ADAM["betas"], eps=ADAM["eps"],
                           weight_decay=ADAM["weight_decay"])
    for _ in range(3):
        opt.zero_grad()
        loss_of(kind, net(x, h0), target).backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), ADAM["clip"])
        opt.step()
    tensors.update({f"adam.{k}": v.detach().float().clone() for k, v in net.state_dict().items()})

    # SGD with momentum, weight decay, and an L1 term in the loss, 3 steps.
    net.load_state_dict(state)
    opt = torch.optim.SGD(net.parameters(), lr=SGD["lr"], momentum=SGD["momentum"], weight_decay=SGD["weight_decay"])
    for _ in range(3):
        opt.zero_grad()
        l1 = sum(p.abs().sum() for p in net.parameters())
        (loss_of(kind, net(x, h0), target) + SGD["l1"] * l1).backward()
        opt.step()
    tensors.update({f"sgd.{k}": v.detach().float().clone() for k, v in net.state_dict().items()})

    meta = dict(generator="scripts/make-training-goldens.py", torch=torch.__version__, numpy=np.__version__,
                safetensors=safetensors.__version__, python=sys.version.split()[0], seed=seed, input=i, hidden=h,
                layers=layers, output=o, cell=cell, pooling=pooling, attention=attention, batch=b, steps=t, loss=kind, h0=with_h0, adam=ADAM, sgd=SGD,
                precision="float64 reference, stored as float32")
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(ROOT, f"{name}.safetensors"),
              metadata={"golden": json.dumps(meta)})
    print(f"{name}: loss {loss.item():.6f}")


def main():
    """Every case, or only those named on the command line."""
    os.makedirs(ROOT, exist_ok=True)
    for seed, (name, spec) in enumerate(CASES.items()):
        if len(sys.argv) < 2 or name in sys.argv[1:]:
            make(name, 1000 + seed, *spec)


if __name__ == "__main__":
    main()
