#!/usr/bin/env python3
"""Reference timings for the GRU benchmarks: onnxruntime and PyTorch, one thread, on a grustream PyTorch-form
model file (default: the 2 × 128, input 40, 12-output golden). Prints one line per measurement, in the units the
grustream figures use (µs per step, frames/s, GFLOP/s), so ratios can be taken from numbers measured in one run:

    taskset -c 1 scripts/bench-gru-references.py [MODEL.safetensors] [--streams 64] [--chunk 100]

onnxruntime runs the ONNX `GRU` op (linear_before_reset=1, PyTorch's form; one node per layer, gates reordered
r, z, n → z, r, h) plus a MatMul/Add head; PyTorch runs nn.GRU + nn.Linear under inference_mode.
Each figure is the median of 15 timed runs. The step is also timed through IOBinding (less Python overhead). Needs numpy, torch, onnx, onnxruntime, safetensors.
"""
import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

root = Path(__file__).resolve().parent.parent


def timed(fn, inner, runs=15):
    """Median seconds per call of fn over `runs` runs of `inner` calls (after a warm-up)."""
    for _ in range(max(1, inner // 4)):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def load(path):
    t = load_file(str(path))
    layers = []
    k = 0
    while f"gru.weight_ih_l{k}" in t:
        layers.append({n: t.get(f"gru.{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
        k += 1
    return layers, t.get("linear.weight"), t.get("linear.bias")


def onnx_model(layers, head_w, head_b, o):
    """GRU nodes (one per layer) + head, X [T, B, I] → Y [T, B, O]; initial states as inputs."""
    h = layers[0]["weight_hh"].shape[1]
    zrn = np.concatenate([np.arange(h, 2 * h), np.arange(0, h), np.arange(2 * h, 3 * h)])  # r,z,n → z,r,n
    nodes, inits, inputs, outputs = [], [], [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["T", "B", None])], []
    x = "X"
    for k, l in enumerate(layers):
        w, r = l["weight_ih"][zrn][None], l["weight_hh"][zrn][None]
        b = np.zeros((1, 6 * h), np.float32)
        if l["bias_ih"] is not None:
            b = np.concatenate([l["bias_ih"][zrn], l["bias_hh"][zrn]])[None]
        inits += [numpy_helper.from_array(a.astype(np.float32), f"{n}{k}") for a, n in ((w, "W"), (r, "R"), (b, "B"))]
        inputs.append(helper.make_tensor_value_info(f"H{k}", TensorProto.FLOAT, [1, "B", h]))
        outputs.append(helper.make_tensor_value_info(f"HN{k}", TensorProto.FLOAT, [1, "B", h]))
        nodes.append(
            helper.make_node("GRU", [x, f"W{k}", f"R{k}", f"B{k}", "", f"H{k}"], [f"Y{k}", f"HN{k}"],
                             hidden_size=h, linear_before_reset=1))
        nodes.append(helper.make_node("Squeeze", [f"Y{k}", "axis1"], [f"S{k}"]))
        x = f"S{k}"
    inits.append(numpy_helper.from_array(np.array([1], np.int64), "axis1"))
    top = x
    if head_w is not None:
        inits.append(numpy_helper.from_array(head_w.T.astype(np.float32).copy(), "HW"))
        inits.append(numpy_helper.from_array((head_b if head_b is not None else np.zeros(len(head_w))).astype(np.float32), "HB"))
        nodes += [helper.make_node("MatMul", [x, "HW"], ["HM"]), helper.make_node("Add", ["HM", "HB"], ["OUT"])]
        top = "OUT"
    else:
        nodes.append(helper.make_node("Identity", [x], ["OUT"]))
    outputs.insert(0, helper.make_tensor_value_info("OUT", TensorProto.FLOAT, ["T", "B", o]))
    graph = helper.make_graph(nodes, "gru", inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m.SerializeToString()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default=root / "Tests/Fixtures/gru/torch_l2_h128/model.safetensors")
    ap.add_argument("--streams", type=int, default=64)
    ap.add_argument("--chunk", type=int, default=100)
    a = ap.parse_args()
    layers, head_w, head_b = load(a.model)
    L, h, i = len(layers), layers[0]["weight_hh"].shape[1], layers[0]["weight_ih"].shape[1]
    o = len(head_w) if head_w is not None else h
    flops = sum(2 * 3 * h * (l["weight_ih"].shape[1] + h) for l in layers) + (2 * head_w.size if head_w is not None else 0)
    name = f"{L}x{h} I={i} O={o}"
    print(f"model {a.model}: {name}, {flops} FLOP/step; torch {torch.__version__}, onnxruntime {ort.__version__}")
    rng = np.random.default_rng(0)

    # onnxruntime, one thread.
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(onnx_model(layers, head_w, head_b, o), so, providers=["CPUExecutionProvider"])

    def ort_case(T, B, inner):
        feed = {"X": rng.standard_normal((T, B, i), np.float32)}
        feed.update({f"H{k}": np.zeros((1, B, h), np.float32) for k in range(L)})
        return timed(lambda: sess.run(None, feed), inner)

    def ort_bound_step():
        """One frame through IOBinding (inputs bound once): less Python overhead than `run`."""
        io = sess.io_binding()
        io.bind_cpu_input("X", rng.standard_normal((1, 1, i), np.float32))
        for k in range(L):
            io.bind_cpu_input(f"H{k}", np.zeros((1, 1, h), np.float32))
        for out in sess.get_outputs():
            io.bind_output(out.name)
        return timed(lambda: sess.run_with_iobinding(io), 2000)

    # PyTorch, one thread.
    torch.set_num_threads(1)
    gru = torch.nn.GRU(i, h, L, bias=layers[0]["bias_ih"] is not None)
    with torch.no_grad():
        for k, l in enumerate(layers):
            for n, v in l.items():
                if v is not None:
                    getattr(gru, f"{n}_l{k}").copy_(torch.from_numpy(v))
    lin = torch.nn.Linear(h, o) if head_w is not None else torch.nn.Identity()
    if head_w is not None:
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(head_w))
            if head_b is not None:
                lin.bias.copy_(torch.from_numpy(head_b))

    def torch_case(T, B, inner):
        x = torch.randn(T, B, i)
        state = torch.zeros(L, B, h)

        def run():
            nonlocal state
            y, state = gru(x, state)
            lin(y)

        with torch.inference_mode():
            return timed(run, inner)

    s = ort_bound_step()
    print(f"onnxruntime step (IOBinding): {s * 1e6:.2f} µs  ({flops / s / 1e9:.2f} GFLOP/s)")
    for lib, case in (("onnxruntime", ort_case), ("pytorch", torch_case)):
        s = case(1, 1, 2000)
        print(f"{lib} step: {s * 1e6:.2f} µs  ({flops / s / 1e9:.2f} GFLOP/s)")
        s = case(a.chunk, 1, 40)
        print(f"{lib} chunk{a.chunk}: {s / a.chunk * 1e6:.2f} µs/frame  {a.chunk / s:.0f} frames/s")
        s = case(1, a.streams, 200)
        print(f"{lib} batch{a.streams}: {s * 1e6:.2f} µs/step  {flops * a.streams / s / 1e9:.2f} GFLOP/s")


if __name__ == "__main__":
    main()
