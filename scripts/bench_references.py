#!/usr/bin/env python3
"""Reference libraries measured in the same run as `grustream bench --json`, on the same inputs.

  prepare DIR     write DIR/audio.wav (60 s of speech: espeak-ng + sox when present, else a generated
                  speech-like signal) and DIR/gru-i40-h{64,128,256}-l{1,2}.safetensors (PyTorch nn.GRU weights,
                  fixed seed), which `grustream bench --audio --models` then loads.
  combine DIR MD|- RUN...  median over the runs' DIRs (each with grustream.json, references.json) into DIR.
  render DIR [MD] print the comparison (and update MD) again from DIR/grustream.json and DIR/references.json.
  run DIR [MD]    measure kaldi-native-fbank (OnlineMfcc/OnlineFbank streamed in 10 ms chunks and whole-file),
                  librosa (melspectrogram + power_to_db, mfcc; whole-file), PyTorch and onnxruntime GRU (batch 1,
                  one frame per call with the state fed back; chunks of 100 frames) and numpy float32 matmul
                  (the machine's single-core sgemm peak); read DIR/grustream.json; print grustream vs reference
                  with ratios; write DIR/references.json; update the generated section of BENCHMARKS.md.

Every reference runs on one thread (torch.set_num_threads(1), onnxruntime intra/inter_op_num_threads=1,
threadpoolctl limit 1). scripts/bench sets OMP_NUM_THREADS=1 and unsets OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for
this command only; the BLAS kernel that threadpoolctl reports is written into the report.
Timing: calibrated rounds, median of 7 (as grustream's BenchClock).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

SAMPLE_RATE = 16000
AUDIO_SECONDS = 60
CHUNK = 160  # 10 ms at 16 kHz
SHAPES = [(40, h, l) for h in (64, 128, 256) for l in (1, 2)]
CHUNK_FRAMES = 100
ROUNDS = 7
SECONDS = float(os.environ.get("BENCH_SECONDS", "1.0"))


def shape_id(i, h, l):
    return f"i{i}-h{h}-l{l}"


def measure(body, seconds=None, rounds=ROUNDS):
    """(CPU, wall) nanoseconds per iteration of body(n) for each round, calibrated like grustream's BenchClock:
    process CPU time (all threads) is the reported figure, wall time is kept to show how shared the core was."""
    seconds = SECONDS if seconds is None else seconds
    round_ns = seconds / rounds * 1e9
    n = 1
    while True:
        t = time.process_time_ns()
        body(n)
        elapsed = time.process_time_ns() - t
        if elapsed >= round_ns / 8 or n >= 1 << 30:
            break
        n *= 2
    iterations = max(1, int(round_ns / max(elapsed / n, 1)))
    body(iterations)
    cpu, wall = [], []
    for _ in range(rounds):
        w = time.perf_counter_ns()
        t = time.process_time_ns()
        body(iterations)
        cpu.append((time.process_time_ns() - t) / iterations)
        wall.append((time.perf_counter_ns() - w) / iterations)
    return cpu, wall


def result(name, description, timings, items, flops=0.0, audio_seconds=0.0):
    samples, wall = timings
    med = float(np.median(samples)) / items
    return {
        "name": name, "description": description, "samples_ns_per_iteration": samples,
        "items_per_iteration": items, "median_ns_per_item": med, "items_per_second": 1e9 / med,
        "us_per_item": med / 1000, "gflops": flops / med if flops else 0.0,
        "real_time_factor": (med / 1e9) / audio_seconds if audio_seconds else 0.0,
        "spread": (max(samples) - min(samples)) / float(np.median(samples)),
        "wall_ns_per_iteration": wall, "wall_over_cpu": float(np.median(wall)) / float(np.median(samples)),
    }


# ---------------------------------------------------------------- prepare

def speech_like(seconds, rate, seed=1):
    """Fallback when espeak-ng/sox are missing: pulse-train vowels through formants, fricative noise, pauses."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    syllable = (t * 4).astype(int)
    env = np.sin(np.pi * ((t * 4) % 1.0))
    pitch = 90 + 130 * (0.5 + 0.5 * np.sin(syllable * 1.7))
    phase = np.cumsum(pitch / rate)
    pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(np.float64)
    from scipy.signal import lfilter
    voiced = np.zeros(n)
    for f, bw, g in ((700, 110, 0.05), (1220, 120, 0.03), (2600, 160, 0.03)):
        r = np.exp(-np.pi * bw / rate)
        voiced += g * lfilter([1], [1, -2 * r * np.cos(2 * np.pi * f / rate), r * r], pulses)
    noise = rng.uniform(-1, 1, n)
    fricative = 0.15 * np.append(noise[:1], noise[1:] - 0.9 * noise[:-1])
    kind = syllable % 4
    y = np.where((kind == 0) | (kind == 2), voiced, np.where(kind == 1, fricative, 0.0)) * env
    return np.clip(y + 0.002 * rng.uniform(-1, 1, n), -0.99, 0.99).astype(np.float32)


def prepare(out):
    os.makedirs(out, exist_ok=True)
    wav = os.path.join(out, "audio.wav")
    text = ("The quick brown fox jumps over the lazy dog. Turn the lights on in the kitchen. "
            "Yes, no, up, down, left, right, on, off, stop, go. ") * 3
    source = "generated speech-like signal (numpy)"
    if shutil.which("espeak-ng") and shutil.which("sox"):
        with tempfile.TemporaryDirectory() as tmp:
            raw = os.path.join(tmp, "speech.wav")
            subprocess.run(["espeak-ng", "-s", "160", "-w", raw, text], check=True)
            subprocess.run(["sox", raw, "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", wav, "repeat", "20",
                            "trim", "0", str(AUDIO_SECONDS)], check=True)
        source = "espeak-ng speech, sox → 16 kHz mono int16, repeated to 60 s"
    else:
        import wave
        y = (speech_like(AUDIO_SECONDS, SAMPLE_RATE) * 32767).astype("<i2")
        with wave.open(wav, "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(SAMPLE_RATE), w.writeframes(y.tobytes())
    import torch
    import safetensors.torch
    for i, h, l in SHAPES:
        torch.manual_seed(1000 + h * 10 + l)
        gru = torch.nn.GRU(i, h, l)
        tensors = {f"gru.{k}": v.detach().contiguous() for k, v in gru.state_dict().items()}
        safetensors.torch.save_file(tensors, os.path.join(out, f"gru-{shape_id(i, h, l)}.safetensors"))
    with open(os.path.join(out, "inputs.json"), "w") as f:
        json.dump({"audio": source, "models": "torch.nn.GRU default init, seed 1000 + 10·H + L"}, f)
    print(f"bench inputs in {out}: audio.wav ({source}), {len(SHAPES)} GRU models", file=sys.stderr)


# ---------------------------------------------------------------- references

def read_audio(out):
    import wave
    with wave.open(os.path.join(out, "audio.wav")) as w:
        assert w.getframerate() == SAMPLE_RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768


def feature_references(y):
    import kaldi_native_fbank as knf
    import librosa
    out = []
    audio_seconds = len(y) / SAMPLE_RATE
    scaled = y * 32768  # Kaldi works on int16-range values (grustream's kaldi preset: input_scale 32768)
    chunks = [scaled[s:s + CHUNK] for s in range(0, len(scaled), CHUNK)]

    def knf_options(kind):
        o = knf.MfccOptions() if kind == "mfcc" else knf.FbankOptions()
        o.frame_opts.dither = 0.0
        o.frame_opts.samp_freq = SAMPLE_RATE
        o.use_energy = kind == "mfcc"
        return o

    for kind in ("mfcc", "fbank"):
        make = (lambda: knf.OnlineMfcc(knf_options("mfcc"))) if kind == "mfcc" else (lambda: knf.OnlineFbank(knf_options("fbank")))
        probe = make()
        probe.accept_waveform(SAMPLE_RATE, scaled)
        probe.input_finished()
        frames = probe.num_frames_ready

        def streamed(n, make=make):
            for _ in range(n):
                f = make()
                for c in chunks:
                    f.accept_waveform(SAMPLE_RATE, c)
                    ready = f.num_frames_ready
                    if ready:  # a capture loop takes its frames as they come
                        f.get_frame(ready - 1)
                f.input_finished()

        def whole(n, make=make):
            for _ in range(n):
                f = make()
                f.accept_waveform(SAMPLE_RATE, scaled)
                f.input_finished()
                f.get_frame(f.num_frames_ready - 1)

        out.append(result(f"knf-{kind}-stream-10ms", f"kaldi-native-fbank Online{kind.capitalize()}, 10 ms chunks",
                          measure(streamed), frames, audio_seconds=audio_seconds / frames))
        out.append(result(f"knf-{kind}-whole", f"kaldi-native-fbank Online{kind.capitalize()}, whole file",
                          measure(whole), frames, audio_seconds=audio_seconds / frames))

    kw = dict(sr=SAMPLE_RATE, n_fft=2048, hop_length=512, n_mels=128, center=True, pad_mode="constant")
    frames = 1 + len(y) // 512

    def logmel(n):
        for _ in range(n):
            librosa.power_to_db(librosa.feature.melspectrogram(y=y, **kw), ref=1.0, amin=1e-10, top_db=None)

    def mfcc(n):
        for _ in range(n):
            librosa.feature.mfcc(y=y, n_mfcc=20, **kw)

    assert librosa.feature.melspectrogram(y=y, **kw).shape[1] == frames
    out.append(result("librosa-logmel-whole", "librosa melspectrogram + power_to_db, whole file", measure(logmel),
                      frames, audio_seconds=audio_seconds / frames))
    out.append(result("librosa-mfcc-whole", "librosa mfcc, whole file", measure(mfcc), frames,
                      audio_seconds=audio_seconds / frames))
    return out


def sgemm_peak():
    from threadpoolctl import threadpool_info, threadpool_limits
    out = []
    with threadpool_limits(limits=1):
        info = [{k: d.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "threading_layer")}
                for d in threadpool_info()]
        for n in (256, 1024):
            a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
            b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
            c = np.empty((n, n), np.float32)

            def body(k, a=a, b=b, c=c):
                for _ in range(k):
                    np.matmul(a, b, out=c)

            out.append(result(f"numpy-sgemm-{n}", f"numpy float32 matmul {n}×{n}×{n}, 1 thread", measure(body), 1,
                              2.0 * n ** 3))
    return out, info


# ---------------------------------------------------------------- comparison

def versions():
    import importlib.metadata as md
    names = ["numpy", "torch", "onnxruntime", "onnx", "kaldi-native-fbank", "librosa", "threadpoolctl"]
    return {n: md.version(n) for n in names}


def run(out_dir, markdown, command):
    from bench_report import compare, render_markdown, render_table, update_markdown
    with open(os.path.join(out_dir, "grustream.json")) as f:
        ours = json.load(f)
    load_before = open("/proc/loadavg").read().split()[:3]
    y = read_audio(out_dir)
    refs = feature_references(y)
    from bench_gru_references import gru_references, ort_call_overhead
    refs += gru_references(out_dir)
    refs += ort_call_overhead()
    peak, blas = sgemm_peak()
    refs += peak
    with open(os.path.join(out_dir, "inputs.json")) as f:
        inputs = json.load(f)
    meta = {"versions": versions(), "blas": blas, "inputs": inputs, "command": command,
            "environment": ours["environment"], "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "build_flags": os.environ.get("GRUSTREAM_BUILD_FLAGS", "?"),
            "load": f"{' '.join(load_before)} before the references, {' '.join(open('/proc/loadavg').read().split()[:3])} after"}
    with open(os.path.join(out_dir, "references.json"), "w") as f:
        json.dump({"meta": meta, "results": refs}, f, indent=1)
    rows, goals = compare({r["name"]: r for r in ours["results"]}, {r["name"]: r for r in refs})
    print(render_table(rows, goals, meta))
    if markdown:
        update_markdown(markdown, render_markdown(rows, goals, meta))
        print(f"updated {markdown}", file=sys.stderr)


def combine(run_dirs, out_dir, markdown):
    """Median over several runs of scripts/bench (each run: grustream, then the references): for each case the
    median of the runs' medians. Load on a shared machine changes from minute to minute; repeating the whole
    comparison and taking medians keeps one bad minute from deciding a ratio."""
    from bench_report import compare, render_markdown, render_table, update_markdown

    def merged(kind):
        runs = []
        for d in run_dirs:
            with open(os.path.join(d, kind)) as f:
                runs.append(json.load(f))
        out = json.loads(json.dumps(runs[-1]))
        for r in out["results"]:
            per_run = [next(x for x in run["results"] if x["name"] == r["name"])["median_ns_per_item"] for run in runs]
            med = float(np.median(per_run))
            scale = r["median_ns_per_item"] / med
            r.update(median_ns_per_item=med, items_per_second=1e9 / med, us_per_item=med / 1000,
                     gflops=r["gflops"] * scale, real_time_factor=r["real_time_factor"] / scale,
                     runs_median_ns_per_item=per_run, spread=(max(per_run) - min(per_run)) / med)
        return runs, out

    _, ours = merged("grustream.json")
    runs, refs = merged("references.json")
    meta = refs["meta"]
    meta["command"] += f" (median of {len(run_dirs)} runs)"
    meta["load"] = " | ".join(run["meta"].get("load", "?") for run in runs)
    meta["date"] = runs[0]["meta"]["date"] + " … " + meta["date"]
    for name, data in (("grustream.json", ours), ("references.json", refs)):
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(data, f, indent=1)
    rows, goals = compare({r["name"]: r for r in ours["results"]}, {r["name"]: r for r in refs["results"]})
    print(render_table(rows, goals, meta))
    if markdown:
        update_markdown(markdown, render_markdown(rows, goals, meta))
        print(f"updated {markdown}", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if len(sys.argv) >= 3 and sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "combine":  # combine OUT MD|- RUN_DIR...
        combine(sys.argv[4:], sys.argv[2], None if sys.argv[3] == "-" else sys.argv[3])
    elif len(sys.argv) >= 3 and sys.argv[1] == "render":  # table and BENCHMARKS.md again from DIR's JSON files
        from bench_report import compare, render_markdown, render_table, update_markdown
        with open(os.path.join(sys.argv[2], "grustream.json")) as f:
            ours = {r["name"]: r for r in json.load(f)["results"]}
        with open(os.path.join(sys.argv[2], "references.json")) as f:
            saved = json.load(f)
        rows, goals = compare(ours, {r["name"]: r for r in saved["results"]})
        print(render_table(rows, goals, saved["meta"]))
        if len(sys.argv) > 3:
            update_markdown(sys.argv[3], render_markdown(rows, goals, saved["meta"]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None, os.environ.get("BENCH_COMMAND", "scripts/bench"))
    else:
        sys.exit(__doc__)
