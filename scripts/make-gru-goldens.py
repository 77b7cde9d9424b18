#!/usr/bin/env python3
"""Golden files for the GRU engine (GrustreamNeural): Tests/Fixtures/gru/<case>/.

Each case directory holds
  model.safetensors  the model (torch cases: safetensors.torch.save_file(model.state_dict(), ...) as is)
  input.npy          [T, I] float32 frames
  h0.npy             [layers*directions, H] initial state (when the case has one)
  output.npy         [T, O] outputs (head, after its activation; no head: top-layer hidden)
  hidden.npy         [T, top] top-layer output per frame
  final.npy          [layers*directions, H] state after the last frame
  window_output.npy  [T, O] window-mode outputs (cases with a "window" parameter)
and manifest.json records the generator, library versions, seeds and parameters.

References: PyTorch nn.GRU + nn.Linear (pytorch form); Keras 3 keras.layers.GRU on JAX (keras form,
sigmoid/tanh and Keras 3 hard_sigmoid = relu6(x+3)/6); an explicit numpy implementation of the Keras 2 /
Mycroft Precise equations (hard_sigmoid = clip(0.2x+0.5, 0, 1), linear candidate), which Keras 3 cannot
express, checked against Keras 3 on the forms both can compute.

Deterministic: fixed seeds, one CPU thread. Run: python3 scripts/make-gru-goldens.py
"""
import json
import os
import shutil
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import safetensors
import safetensors.numpy
import safetensors.torch
import torch
from torch import nn

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "gru")


# ---------------------------------------------------------------- PyTorch cases

class Normalise(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.register_buffer("mean", torch.zeros(width))
        self.register_buffer("std", torch.ones(width))

    def forward(self, x):
        return (x - self.mean) / self.std


class TorchGRUModel(nn.Module):
    """The classic GRUModel: optional norm, nn.GRU, optional nn.Linear, under configurable attribute names."""

    def __init__(self, p):
        super().__init__()
        self.p = p
        d = 2 if p["bidirectional"] else 1
        if p["norm"]:
            self.norm = Normalise(p["input"])
        setattr(self, p["gru_attr"], nn.GRU(p["input"], p["hidden"], p["layers"], bias=p["bias"],
                                            batch_first=True, bidirectional=p["bidirectional"]))
        if p["head"]:
            setattr(self, p["head_attr"], nn.Linear(p["hidden"] * d, p["head"], bias=p["head_bias"]))

    def forward(self, x, h0):
        if self.p["norm"]:
            x = self.norm(x)
        top, final = getattr(self, self.p["gru_attr"])(x[None], h0[:, None, :])
        top = top[0]
        y = getattr(self, self.p["head_attr"])(top) if self.p["head"] else top
        act = self.p["output_activation"]
        if act == "softmax":
            y = torch.softmax(y, dim=-1)
        elif act == "sigmoid":
            y = torch.sigmoid(y)
        return y, top, final[:, 0, :]


TORCH_CASES = [
    dict(name="torch_l1_h8", seed=1, input=5, hidden=8, layers=1, head=3, frames=30, window=6),
    dict(name="torch_l2_h64_nobias_softmax", seed=2, input=13, hidden=64, layers=2, head=4, frames=25,
         bias=False, head_bias=False, output_activation="softmax", labels=["yes", "no", "up", "down"]),
    dict(name="torch_l2_h128", seed=3, input=40, hidden=128, layers=2, head=12, frames=24, h0=False),
    dict(name="torch_l3_h8_prefix_norm", seed=4, input=6, hidden=8, layers=3, head=1, frames=40,
         gru_attr="rnn", head_attr="fc", norm=True, output_activation="sigmoid", labels=["wake"]),
    dict(name="torch_bidir_l2_h8", seed=5, input=6, hidden=8, layers=2, head=2, frames=22, bidirectional=True),
    dict(name="torch_nohead_l1_h64", seed=6, input=10, hidden=64, layers=1, head=0, frames=20),
]

TORCH_DEFAULTS = dict(bias=True, head_bias=True, bidirectional=False, norm=False, gru_attr="gru",
                      head_attr="linear", output_activation="none", labels=None, h0=True, window=None)


def make_torch_case(c):
    p = dict(TORCH_DEFAULTS, **c)
    torch.manual_seed(p["seed"])
    model = TorchGRUModel(p).eval()
    with torch.no_grad():
        # Twice PyTorch's default init range (capped at 0.6): exercises the nonlinearities while keeping the
        # network well conditioned (float32 PyTorch itself drifts ~3e-5 from float64 at ±0.6 with H = 128).
        bound = min(0.6, 2 / p["hidden"] ** 0.5)
        for name, t in model.named_parameters():
            t.uniform_(-bound, bound)
        if p["norm"]:
            model.norm.mean.copy_(torch.randn(p["input"]) * 0.5)
            model.norm.std.copy_(torch.rand(p["input"]) + 0.5)
    d = 2 if p["bidirectional"] else 1
    x = torch.randn(p["frames"], p["input"])
    h0 = torch.randn(p["layers"] * d, p["hidden"]) * 0.5 if p["h0"] else torch.zeros(p["layers"] * d, p["hidden"])
    with torch.no_grad():
        y, top, final = model(x, h0)
    meta = {}
    g = {}
    if p["gru_attr"] != "gru":
        g["gru_prefix"] = p["gru_attr"] + "."
    if p["head"] and p["head_attr"] != "linear":
        g["head_prefix"] = p["head_attr"] + "."
    if p["output_activation"] != "none":
        g["output_activation"] = p["output_activation"]
    if p["labels"]:
        g["labels"] = p["labels"]
        g["task"] = "classify"
    if g:
        meta["grustream"] = json.dumps(g, sort_keys=True)
    out = case_dir(p["name"])
    safetensors.torch.save_file(model.state_dict(), os.path.join(out, "model.safetensors"),
                                metadata=meta or None)
    arrays = dict(input=x, output=y, hidden=top, final=final)
    if p["h0"]:
        arrays["h0"] = h0
    if p["window"]:
        n = p["window"]
        rows = []
        with torch.no_grad():
            for t in range(p["frames"]):
                w = torch.zeros(n, p["input"])
                recent = x[max(0, t + 1 - n):t + 1]
                w[n - len(recent):] = recent
                rows.append(model(w, h0)[0][-1])
        arrays["window_output"] = torch.stack(rows)
    save_arrays(out, {k: v.numpy() for k, v in arrays.items()})
    return dict(p, reference="torch.nn.GRU + nn.Linear", grustream_metadata=g or None,
                files=sorted(os.listdir(out)))


# ---------------------------------------------------------------- numpy reference (both forms)

def gate_fn(name):
    return {
        "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
        "hard_sigmoid": lambda v: np.clip(0.2 * v + 0.5, 0, 1),  # Keras 2 / Mycroft Precise
        "hard_sigmoid_v3": lambda v: np.minimum(np.maximum(v + 3, 0), 6) / 6,  # Keras 3
    }[name]


def cand_fn(name):
    return {"tanh": np.tanh, "linear": lambda v: v}[name]


def keras_gru_numpy(x, h0, kernel, recurrent, bias, gate, cand):
    """Keras GRU, reset_after=False (bias [3H]) or True (bias [2, 3H]); gate columns z, r, h. float64."""
    H = recurrent.shape[0]
    g, c = gate_fn(gate), cand_fn(cand)
    h = h0.astype(np.float64)
    outs = []
    for xt in x.astype(np.float64):
        if bias.ndim == 1:
            xi = xt @ kernel + bias
            z = g(xi[:H] + h @ recurrent[:, :H])
            r = g(xi[H:2 * H] + h @ recurrent[:, H:2 * H])
            n = c(xi[2 * H:] + (r * h) @ recurrent[:, 2 * H:])
        else:
            xi = xt @ kernel + bias[0]
            hh = h @ recurrent + bias[1]
            z = g(xi[:H] + hh[:H])
            r = g(xi[H:2 * H] + hh[H:2 * H])
            n = c(xi[2 * H:] + r * hh[2 * H:])
        h = z * h + (1 - z) * n
        outs.append(h)
    return np.array(outs), h


def keras_stack_numpy(x, h0s, layers, dense, gate, cand, out_act):
    top = x
    finals = []
    for (k, rk, b), h0 in zip(layers, h0s):
        top, hT = keras_gru_numpy(top, h0, k, rk, b, gate, cand)
        finals.append(hT)
    y = top @ dense[0] + dense[1] if dense is not None else top
    if out_act == "sigmoid":
        y = 1 / (1 + np.exp(-y))
    return y, top, np.array(finals)


# ---------------------------------------------------------------- Keras cases

KERAS_CASES = [
    dict(name="keras_l2_h16_sigmoid_tanh", seed=11, input=7, hidden=16, layers=2, head=3, frames=30,
         gate="sigmoid", cand="tanh", reset_after=False, reference="keras3"),
    dict(name="keras_l1_h8_hard_sigmoid_v3_linear", seed=12, input=5, hidden=8, layers=1, head=2, frames=25,
         gate="hard_sigmoid_v3", cand="linear", reset_after=False, reference="keras3"),
    dict(name="keras_l1_h8_reset_after", seed=13, input=5, hidden=8, layers=1, head=0, frames=20,
         gate="sigmoid", cand="tanh", reset_after=True, reference="keras3"),
    dict(name="keras_precise_h20", seed=14, input=13, hidden=20, layers=1, head=1, frames=40,
         gate="hard_sigmoid", cand="linear", reset_after=False, reference="numpy", output_activation="sigmoid",
         window=12, h0=False, labels=["wake-word"], scale=0.3),
]


def keras_module():
    try:
        import keras
        return keras
    except ImportError:
        return None


def make_keras_case(c, keras):
    p = dict(dict(output_activation="none", window=None, h0=True, labels=None, scale=0.6), **c)
    rng = np.random.default_rng(p["seed"])
    I, H, L, O, T = p["input"], p["hidden"], p["layers"], p["head"], p["frames"]
    layers = []
    for k in range(L):
        width = I if k == 0 else H
        kernel = rng.uniform(-p["scale"], p["scale"], (width, 3 * H)).astype(np.float32)
        recurrent = rng.uniform(-p["scale"], p["scale"], (H, 3 * H)).astype(np.float32)
        bshape = (2, 3 * H) if p["reset_after"] else (3 * H,)
        bias = rng.uniform(-0.3, 0.3, bshape).astype(np.float32)
        layers.append((kernel, recurrent, bias))
    dense = None
    if O:
        dense = (rng.uniform(-0.6, 0.6, (H, O)).astype(np.float32), rng.uniform(-0.3, 0.3, O).astype(np.float32))
    x = rng.standard_normal((T, I)).astype(np.float32)
    h0 = (rng.standard_normal((L, H)) * 0.5).astype(np.float32) if p["h0"] else np.zeros((L, H), np.float32)

    y, top, final = keras_stack_numpy(x, h0, layers, dense, p["gate"], p["cand"], p["output_activation"])
    reference = "numpy (Keras 2 equations)"
    if p["reference"] == "keras3":
        if keras is None:
            reference = "numpy (Keras 3 not installed)"
        else:
            act = {"hard_sigmoid_v3": "hard_sigmoid"}.get(p["gate"], p["gate"])
            seq = keras.Input((T, I))
            states = [keras.Input((H,)) for _ in range(L)]
            t, finals = seq, []
            for k in range(L):
                gru = keras.layers.GRU(H, activation=p["cand"], recurrent_activation=act,
                                       reset_after=p["reset_after"], return_sequences=True, return_state=True)
                t, hT = gru(t, initial_state=[states[k]])
                gru.set_weights(list(layers[k]))
                finals.append(hT)
            outputs = [t, *finals]
            if dense is not None:
                d = keras.layers.Dense(O)
                outputs.insert(0, d(t))
                d.set_weights(list(dense))
            model = keras.Model([seq, *states], outputs)
            res = model.predict([x[None], *[h0[k][None] for k in range(L)]], verbose=0)
            kt = res[1] if dense is not None else res[0]
            kf = np.array([r[0] for r in res[-L:]])
            ky = res[0][0] if dense is not None else kt[0]
            # The numpy reference must agree with Keras 3 where both apply.
            err = max(np.abs(ky - y).max(), np.abs(kt[0] - top).max(), np.abs(kf - final).max())
            assert err < 1e-5, f"{p['name']}: numpy reference differs from Keras 3 by {err}"
            y, top, final = ky, kt[0], kf
            reference = f"keras {keras.__version__} ({keras.backend.backend()} backend); numpy reference agrees to {err:.2e}"

    tensors = {}
    for k, (kernel, recurrent, bias) in enumerate(layers):
        tensors[f"gru.kernel_l{k}"] = kernel
        tensors[f"gru.recurrent_kernel_l{k}"] = recurrent
        tensors[f"gru.bias_l{k}"] = bias
    if dense is not None:
        tensors["linear.weight"] = np.ascontiguousarray(dense[0].T)  # Dense kernel [H, O] stored as [O, H]
        tensors["linear.bias"] = dense[1]
    g = dict(form="keras", gate_activation=p["gate"], candidate_activation=p["cand"])
    if p["output_activation"] != "none":
        g["output_activation"] = p["output_activation"]
    if p["labels"]:
        g["labels"] = p["labels"]
        g["task"] = "classify"
    if p["window"]:
        g["mode"] = f"window:{p['window']}"
    out = case_dir(p["name"])
    safetensors.numpy.save_file(tensors, os.path.join(out, "model.safetensors"),
                                metadata={"grustream": json.dumps(g, sort_keys=True)})
    arrays = dict(input=x, output=y, hidden=top, final=final)
    if p["h0"]:
        arrays["h0"] = h0
    if p["window"]:
        n = p["window"]
        rows = []
        for t in range(T):
            w = np.zeros((n, I), np.float32)
            recent = x[max(0, t + 1 - n):t + 1]
            w[n - len(recent):] = recent
            rows.append(keras_stack_numpy(w, h0, layers, dense, p["gate"], p["cand"], p["output_activation"])[0][-1])
        arrays["window_output"] = np.array(rows)
    save_arrays(out, arrays)
    return dict(p, reference=reference, grustream_metadata=g, files=sorted(os.listdir(out)))


# ---------------------------------------------------------------- dtypes

DTYPE_VALUES = [0.0, 1.0, -2.5, 0.1, 3.140625, -65504.0, 1e-3, 7.0]


def make_dtype_file():
    """dtypes.safetensors: the same values as F32, F16, BF16, F64, I64 (written by safetensors.torch)."""
    v = torch.tensor(DTYPE_VALUES).reshape(2, 4)
    tensors = {"f32": v.float(), "f16": v.half(), "bf16": v.bfloat16(), "f64": v.double(),
               "i64": torch.arange(8, dtype=torch.int64).reshape(2, 4) - 3}
    safetensors.torch.save_file(tensors, os.path.join(ROOT, "dtypes.safetensors"), metadata={"note": "dtype test"})
    # What each dtype holds after rounding, as float32, for the Swift test to compare with.
    expect = {k: (t.float() if k != "i64" else t.float()).numpy() for k, t in tensors.items()}
    np.save(os.path.join(ROOT, "dtypes_expected.npy"), np.stack([expect[k] for k in ["f32", "f16", "bf16", "f64", "i64"]]))


# ---------------------------------------------------------------- files

def case_dir(name):
    path = os.path.join(ROOT, name)
    os.makedirs(path, exist_ok=True)
    return path


def save_arrays(directory, arrays):
    for key, value in arrays.items():
        np.save(os.path.join(directory, key + ".npy"), np.ascontiguousarray(np.asarray(value, dtype=np.float32)))


def main():
    for entry in os.listdir(ROOT) if os.path.isdir(ROOT) else []:
        if os.path.isdir(os.path.join(ROOT, entry)):
            shutil.rmtree(os.path.join(ROOT, entry))
    os.makedirs(ROOT, exist_ok=True)
    keras = keras_module()
    cases = {}
    for c in TORCH_CASES:
        cases[c["name"]] = make_torch_case(c)
    for c in KERAS_CASES:
        cases[c["name"]] = make_keras_case(c, keras)
    make_dtype_file()
    versions = dict(python=sys.version.split()[0], numpy=np.__version__, torch=torch.__version__,
                    safetensors=safetensors.__version__)
    if keras is not None:
        import jax
        versions.update(keras=keras.__version__, jax=jax.__version__)
    manifest = dict(generator="scripts/make-gru-goldens.py", versions=versions, torch_threads=1, cases=cases)
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print(f"wrote {len(cases)} cases to {os.path.normpath(ROOT)} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
