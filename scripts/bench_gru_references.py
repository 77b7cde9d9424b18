#!/usr/bin/env python3
"""GRU references: PyTorch nn.GRU and an onnxruntime GRU-op graph (IO binding), one thread, on the safetensors
weights grustream loads. Used by scripts/bench_references.py (one frame per call with the state fed back, chunks of
100 frames, for the six benchmark shapes), and on its own for one model file, with its linear head, also for B
streams stepped together:

    taskset -c 1 scripts/bench_gru_references.py [MODEL.safetensors] [--streams 64] [--chunk 100]

(default model: Tests/Fixtures/gru/torch_l2_h128, 2 × 128, input 40, 12-output head). Prints µs per step, frames/s
and GFLOP/s, the units of `grustream bench gru`, from process CPU time (median of 7 rounds, as grustream's bench)."""
import argparse
import os

import numpy as np

from bench_references import CHUNK_FRAMES, SHAPES, measure, result, shape_id


def onnx_gru_model(sd, i, h, layers):
    """ONNX GRU ops (one per layer, linear_before_reset=1), PyTorch weights reordered r,z,n → z,r,h; X [T, B, I],
    H0 [layers, B, H] → Y [T, B, H] (or [T, B, O] through a MatMul/Add head when sd has linear.weight), HN."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def zrn(w):
        r, z, n = np.split(w, 3, axis=0)
        return np.concatenate([z, r, n], axis=0)

    nodes, inits = [], []
    x = "X"
    hs = []
    nodes.append(helper.make_node("Split", ["H0", "split"], [f"h0_{k}" for k in range(layers)], axis=0))
    inits.append(numpy_helper.from_array(np.ones(layers, dtype=np.int64), "split"))
    for k in range(layers):
        w = zrn(sd[f"gru.weight_ih_l{k}"])[None]
        r = zrn(sd[f"gru.weight_hh_l{k}"])[None]
        b = np.concatenate([zrn(sd[f"gru.bias_ih_l{k}"]), zrn(sd[f"gru.bias_hh_l{k}"])])[None]
        for name, v in ((f"W{k}", w), (f"R{k}", r), (f"B{k}", b)):
            inits.append(numpy_helper.from_array(v.astype(np.float32), name))
        nodes.append(helper.make_node("GRU", [x, f"W{k}", f"R{k}", f"B{k}", "", f"h0_{k}"], [f"Y{k}", f"hN{k}"],
                                      hidden_size=h, linear_before_reset=1))
        nodes.append(helper.make_node("Squeeze", [f"Y{k}", "axis1"], [f"Ys{k}"]))
        x = f"Ys{k}"
        hs.append(f"hN{k}")
    inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"))
    nodes.append(helper.make_node("Concat", hs, ["HN"], axis=0))
    o = h
    if "linear.weight" in sd:
        head_w = sd["linear.weight"]
        o = len(head_w)
        head_b = sd.get("linear.bias", np.zeros(o, np.float32))
        inits.append(numpy_helper.from_array(head_w.T.astype(np.float32).copy(), "HW"))
        inits.append(numpy_helper.from_array(head_b.astype(np.float32), "HB"))
        nodes += [helper.make_node("MatMul", [x, "HW"], ["HM"]), helper.make_node("Add", ["HM", "HB"], ["Y"])]
    else:
        nodes.append(helper.make_node("Identity", [x], ["Y"]))
    graph = helper.make_graph(
        nodes, "gru",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["T", "B", i]),
         helper.make_tensor_value_info("H0", TensorProto.FLOAT, [layers, "B", h])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["T", "B", o]),
         helper.make_tensor_value_info("HN", TensorProto.FLOAT, [layers, "B", h])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model.SerializeToString()


def ort_stepper(sess, x, outputs, layers, h):
    """body(n): n calls of the GRU graph on frames x [T, B, I] through IO binding, the state carried from call to
    call: two bindings swap the state buffers, so a call is one run_with_iobinding with no copy in or out.
    No RunOptions argument: passing one (even a default RunOptions()) costs ~40 µs per call here (onnxruntime
    1.32: 2×128 step 20 µs without, 60 µs with) — Python binding overhead, not the GRU."""
    import onnxruntime as ort
    b = x.shape[1]
    xv = ort.OrtValue.ortvalue_from_numpy(x)
    yv = ort.OrtValue.ortvalue_from_numpy(np.zeros((x.shape[0], b, outputs), np.float32))
    states = [ort.OrtValue.ortvalue_from_numpy(np.zeros((layers, b, h), np.float32)) for _ in range(2)]
    bindings = []
    for src, dst in ((states[0], states[1]), (states[1], states[0])):
        io = sess.io_binding()
        io.bind_ortvalue_input("X", xv)
        io.bind_ortvalue_input("H0", src)
        io.bind_ortvalue_output("Y", yv)
        io.bind_ortvalue_output("HN", dst)
        bindings.append(io)

    def body(n):
        for s in range(n):
            sess.run_with_iobinding(bindings[s & 1])
    return body


def gru_references(out_dir):
    import onnxruntime as ort
    import safetensors.numpy
    import torch
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    rng = np.random.default_rng(7)
    out = []
    for i, h, layers in SHAPES:
        sid = shape_id(i, h, layers)
        flops = sum(2 * 3 * h * ((i if k == 0 else h) + h) for k in range(layers))
        sd = safetensors.numpy.load_file(os.path.join(out_dir, f"gru-{sid}.safetensors"))
        frames = rng.uniform(-2, 2, (CHUNK_FRAMES, 1, i)).astype(np.float32)

        # PyTorch
        gru = torch.nn.GRU(i, h, layers)
        gru.load_state_dict({k[len("gru."):]: torch.from_numpy(v) for k, v in sd.items()})
        gru.eval()
        xt = torch.from_numpy(frames)
        with torch.inference_mode():
            state = {"h": torch.zeros(layers, 1, h)}

            def torch_step(n, state=state):
                hcur = state["h"]
                for s in range(n):
                    t = s % CHUNK_FRAMES
                    _, hcur = gru(xt[t:t + 1], hcur)
                state["h"] = hcur

            def torch_chunk(n, state=state):
                hcur = state["h"]
                for _ in range(n):
                    _, hcur = gru(xt, hcur)
                state["h"] = hcur

            out.append(result(f"torch-step-{sid}", f"PyTorch step {layers}×{h}", measure(torch_step), 1, flops))
            out.append(result(f"torch-chunk100-{sid}", f"PyTorch chunks of 100 {layers}×{h}", measure(torch_chunk),
                              CHUNK_FRAMES, flops))
            y_ref, h_ref = gru(xt, torch.zeros(layers, 1, h))

        # onnxruntime, IO binding: two bindings swap the state buffers, so the state never leaves the session.
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(onnx_gru_model(sd, i, h, layers), so, providers=["CPUExecutionProvider"])
        y_chk, h_chk = sess.run(None, {"X": frames, "H0": np.zeros((layers, 1, h), np.float32)})
        assert np.allclose(y_chk, y_ref.numpy(), atol=1e-4) and np.allclose(h_chk, h_ref.numpy(), atol=1e-4), \
            f"onnx GRU differs from torch for {sid}"

        step = ort_stepper(sess, frames[0:1].copy(), h, layers, h)
        chunk = ort_stepper(sess, frames.copy(), h, layers, h)
        out.append(result(f"ort-step-{sid}", f"onnxruntime step {layers}×{h}", measure(step), 1, flops))
        out.append(result(f"ort-chunk100-{sid}", f"onnxruntime chunks of 100 {layers}×{h}", measure(chunk),
                          CHUNK_FRAMES, flops))
    return out


def ort_call_overhead():
    """onnxruntime's fixed cost of one run_with_iobinding from Python: an Identity graph on a [1, 1, 128] tensor,
    bound like the GRU's inputs and outputs. Part of every reference step time; the GRU's own work is the rest."""
    import onnxruntime as ort
    from onnx import TensorProto, helper
    graph = helper.make_graph([helper.make_node("Identity", ["X"], ["Y"])], "identity",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 1, 128])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 1, 128])])
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString(),
                                so, providers=["CPUExecutionProvider"])
    b = sess.io_binding()
    b.bind_ortvalue_input("X", ort.OrtValue.ortvalue_from_numpy(np.zeros((1, 1, 128), np.float32)))
    b.bind_ortvalue_output("Y", ort.OrtValue.ortvalue_from_numpy(np.zeros((1, 1, 128), np.float32)))

    def body(n):
        for _ in range(n):
            sess.run_with_iobinding(b)

    return [result("ort-identity-call", "onnxruntime Identity graph, one run_with_iobinding (call overhead)",
                   measure(body), 1)]


def main():
    import onnxruntime as ort
    import safetensors.numpy
    import torch
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", nargs="?", default=os.path.join(root, "Tests/Fixtures/gru/torch_l2_h128/model.safetensors"))
    ap.add_argument("--streams", type=int, default=64)
    ap.add_argument("--chunk", type=int, default=CHUNK_FRAMES)
    a = ap.parse_args()
    sd = safetensors.numpy.load_file(a.model)
    layers = sum(1 for k in sd if k.startswith("gru.weight_ih_l"))
    h, i = sd["gru.weight_hh_l0"].shape[1], sd["gru.weight_ih_l0"].shape[1]
    head = sd.get("linear.weight")
    flops = sum(2 * 3 * h * ((i if k == 0 else h) + h) for k in range(layers)) + (2 * head.size if head is not None else 0)
    print(f"{a.model}: {layers}×{h}, input {i}, head {len(head) if head is not None else 'none'}, {flops} FLOP/step; "
          f"torch {torch.__version__}, onnxruntime {ort.__version__}, 1 thread")
    rng = np.random.default_rng(0)

    torch.set_num_threads(1)
    gru = torch.nn.GRU(i, h, layers)
    gru.load_state_dict({k[len("gru."):]: torch.from_numpy(v) for k, v in sd.items() if k.startswith("gru.")})
    lin = torch.nn.Identity()
    if head is not None:
        lin = torch.nn.Linear(h, len(head))
        lin.load_state_dict({"weight": torch.from_numpy(head), "bias": torch.from_numpy(sd["linear.bias"])})
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(onnx_gru_model(sd, i, h, layers), so, providers=["CPUExecutionProvider"])

    def ort_body(t, b):
        x = rng.standard_normal((t, b, i)).astype(np.float32)
        return ort_stepper(sess, x, len(head) if head is not None else h, layers, h)

    def torch_body(t, b):
        x = torch.randn(t, b, i)
        state = {"h": torch.zeros(layers, b, h)}

        def body(n):
            with torch.inference_mode():
                for _ in range(n):
                    y, state["h"] = gru(x, state["h"])
                    lin(y)
        return body

    for lib, make in (("onnxruntime", ort_body), ("PyTorch", torch_body)):
        step = result("step", "", measure(make(1, 1)), 1, flops)
        chunk = result("chunk", "", measure(make(a.chunk, 1)), a.chunk, flops)
        batch = result("batch", "", measure(make(1, a.streams)), a.streams, flops)
        print(f"{lib:12} step {step['us_per_item']:.2f} µs ({step['gflops']:.1f} GFLOP/s); "
              f"chunks of {a.chunk} {chunk['items_per_second']:,.0f} frames/s; "
              f"{a.streams} streams {batch['gflops']:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
