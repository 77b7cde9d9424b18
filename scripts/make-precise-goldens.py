#!/usr/bin/env python3
"""Goldens for grustream's Mycroft Precise compatibility: Tests/Fixtures/precise/.

Follows Precise's own listener code path (mycroft-precise `precise/network_runner.py` Listener, reconstructed
below; the pieces it calls are the real PyPI packages):
  * audio: int16 little-endian → float32 / 32768 (Precise `buffer_to_audio`);
  * features: PyPI `sonopy.mfcc_spec(audio, 16000, (1600, 800), fft_size=512, num_filt=20, num_coeffs=13)`
    (Precise `vectorize_raw` with `vectorizer: 2`); the audio is passed as float64 (numpy 1.x, which Precise
    pins, computes `rfft` of float32 input in float64; numpy ≥ 2 would compute it in float32);
  * Listener.update_vectors: audio is appended to `window_audio`; once ≥ 1600 samples, the new frames are
    vectorised, `window_audio` drops len(new) × 800 samples, the 29-row `mfccs` buffer (zeros at start)
    shifts the new rows in;
  * network: GRU-20 with onnxruntime on the precise-lite ONNX file; GRU-60 with a numpy float32 implementation
    of Keras 2.2.4's GRU (reset_after=False, hard_sigmoid = clip(0.2x + 0.5, 0, 1), linear candidate) on the
    weights read from the HDF5 file with h5py (TensorFlow is not installed; the numpy reference agrees with
    onnxruntime on the ONNX model to ~2e-7, checked here);
  * ThresholdDecoder(threshold_config, threshold_center) as in precise/threshold_decoder.py (reconstructed, see
    `ThresholdDecoder` below), and precise-runner 0.3.1's `TriggerDetector` (copied from its source).

Per recording and model it writes:
  `<wav>_features.npy` [frames, 13]           sonopy features of the whole recording (float32 of float64 values)
  `<wav>_<model>_frame_scores.npy` [frames]   raw score of the 29-frame window ending at each feature frame
  `<wav>_<model>_chunk_scores.npy` [chunks, 2] raw and decoded score per 2048-byte chunk (Precise engine path)
`sonopy_filterbank_16k_20_257.npy` [20, 257] (sonopy.filterbanks(16000, 20, 257)),
and `manifest.json` with library versions, parameters, peaks and trigger times (chunk ends, seconds).
Run from the repository root: `python3 scripts/make-precise-goldens.py [--material DIR]` (DIR: Precise's models and recordings).
"""
import argparse
import json
import math
import os
import shutil
import sys
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "Tests", "Fixtures", "precise")
RECORDINGS = ["hey_mycroft_test.wav", "alexa_test.wav", "hey_jane.wav"]
RATE, WINDOW, HOP, N_FEATURES, N_MFCC, N_FILT, N_FFT = 16000, 1600, 800, 29, 13, 20, 512


# ------------------------------------------------------------------ Precise pieces (reconstructed / copied)
class ThresholdDecoder:
    """mycroft-precise precise/threshold_decoder.py: the raw output's logit is mapped through the cumulative
    distribution of a mixture of normals (threshold_config: (mean, std) of the logits of positive samples),
    sampled at `resolution` points per logit unit between min(mu − 4 std) and max(mu + 4 std) (ints), then
    piecewise-linearly so that `center` maps to 0.5."""

    def __init__(self, mu_stds, center=0.5, resolution=200, min_z=-4, max_z=4):
        self.min_out = int(min(mu + min_z * std for mu, std in mu_stds))
        self.max_out = int(max(mu + max_z * std for mu, std in mu_stds))
        self.out_range = self.max_out - self.min_out
        self.cd = np.cumsum(self._calc_pd(mu_stds, resolution))
        self.center = center

    def decode(self, raw_output):
        if raw_output == 1.0 or raw_output == 0.0:
            return raw_output
        if self.out_range == 0:
            cp = int(raw_output > self.min_out)
        else:
            ratio = (asigmoid(raw_output) - self.min_out) / self.out_range
            ratio = min(max(ratio, 0.0), 1.0)
            cp = self.cd[int(ratio * (len(self.cd) - 1) + 0.5)]
        if cp < self.center:
            return 0.5 * cp / self.center
        else:
            return 0.5 + 0.5 * (cp - self.center) / (1 - self.center)

    def _calc_pd(self, mu_stds, resolution):
        points = np.linspace(self.min_out, self.max_out, resolution * self.out_range)
        return np.sum([pdf(points, mu, std) for mu, std in mu_stds], axis=0) / (resolution * len(mu_stds))


def asigmoid(x):
    return -math.log(1 / x - 1)


def pdf(x, mu, std):
    if std == 0:
        return 0
    return (1.0 / (std * math.sqrt(2 * math.pi))) * np.exp(-(x - mu) ** 2 / (2 * std ** 2))


class TriggerDetector:
    """precise-runner 0.3.1 runner.py, verbatim."""

    def __init__(self, chunk_size, sensitivity=0.5, trigger_level=3):
        self.chunk_size = chunk_size
        self.sensitivity = sensitivity
        self.trigger_level = trigger_level
        self.activation = 0

    def update(self, prob):
        chunk_activated = prob > 1.0 - self.sensitivity
        if chunk_activated or self.activation < 0:
            self.activation += 1
            has_activated = self.activation > self.trigger_level
            if has_activated or chunk_activated and self.activation < 0:
                self.activation = -(8 * 2048) // self.chunk_size
            if has_activated:
                return True
        elif self.activation > 0:
            self.activation -= 1
        return False


def vectorize(audio):
    import sonopy
    return sonopy.mfcc_spec(audio.astype(np.float64), RATE, (WINDOW, HOP), fft_size=N_FFT, num_filt=N_FILT,
                            num_coeffs=N_MFCC)


class Listener:
    """Precise's Listener.update_vectors + update for one stream."""

    def __init__(self, run, decoder):
        self.run = run
        self.decoder = decoder
        self.window_audio = np.array([], dtype=np.float32)
        self.mfccs = np.zeros((N_FEATURES, N_MFCC))

    def update(self, chunk):
        audio = np.frombuffer(chunk, dtype="<i2").astype(np.float32, order="C") / 32768.0
        self.window_audio = np.concatenate((self.window_audio, audio))
        if len(self.window_audio) >= WINDOW:
            new = vectorize(self.window_audio)
            self.window_audio = self.window_audio[len(new) * HOP:]
            if len(new) > len(self.mfccs):
                new = new[-len(self.mfccs):]
            self.mfccs = np.concatenate((self.mfccs[len(new):], new))
        raw = float(self.run(self.mfccs))
        return raw, self.decoder.decode(raw)


# ------------------------------------------------------------------ models
def onnx_runner(path):
    import onnxruntime as ort
    o = ort.SessionOptions()
    o.intra_op_num_threads = 1
    s = ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    return lambda window: s.run(None, {name: window[None].astype(np.float32)})[0][0][0]


def keras_weights(path):
    import h5py
    with h5py.File(path, "r") as f:
        w = f["model_weights"]
        g = lambda layer, n: np.array(w[layer][layer][n], dtype=np.float32)
        return g("net", "kernel:0"), g("net", "recurrent_kernel:0"), g("net", "bias:0"), g("dense_1", "kernel:0"), \
            g("dense_1", "bias:0")


def keras_forward(x, kernel, recurrent, bias, dense_w, dense_b):
    """Keras 2.2.4 GRU (implementation 1, reset_after=False) + Dense(1, sigmoid), float32 like TensorFlow."""
    f = np.float32
    H = recurrent.shape[0]
    h = np.zeros((x.shape[0], H), f)
    for t in range(x.shape[1]):
        xt = x[:, t, :].astype(f)
        z = np.clip(f(0.2) * (xt @ kernel[:, :H] + bias[:H] + h @ recurrent[:, :H]) + f(0.5), f(0), f(1))
        r = np.clip(f(0.2) * (xt @ kernel[:, H:2 * H] + bias[H:2 * H] + h @ recurrent[:, H:2 * H]) + f(0.5), f(0), f(1))
        hh = xt @ kernel[:, 2 * H:] + bias[2 * H:] + (r * h) @ recurrent[:, 2 * H:]
        h = z * h + (f(1) - z) * hh
    return (f(1) / (f(1) + np.exp(-(h @ dense_w + dense_b)))).reshape(-1)


def keras_runner(path):
    w = keras_weights(path)
    return lambda window: keras_forward(window[None].astype(np.float32), *w)[0]


def read_wav(path):
    with wave.open(path) as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return w.readframes(w.getnframes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--material", default="/work/shared/precise")
    args = ap.parse_args()
    import onnxruntime
    import sonopy  # noqa: F401
    import h5py
    from importlib.metadata import version
    os.makedirs(OUT, exist_ok=True)
    onnx_path = os.path.join(args.material, "hey_mycroft.onnx")
    net_path = os.path.join(args.material, "hey-mycroft.train.net")
    with open(net_path + ".params") as f:
        params = json.load(f)
    models = {
        "gru20": dict(run=onnx_runner(onnx_path), file="hey_mycroft.onnx", reference=f"onnxruntime {onnxruntime.__version__}",
                      threshold_config=[[6, 4]], threshold_center=0.2, params="none (Precise ListenerParams defaults)"),
        "gru60": dict(run=keras_runner(net_path), file="hey-mycroft.train.net",
                      reference=f"numpy float32 Keras 2 GRU on h5py {h5py.__version__} weights",
                      threshold_config=params["threshold_config"], threshold_center=params["threshold_center"],
                      params="hey-mycroft.train.net.params"),
    }
    # The numpy Keras reference agrees with onnxruntime on the ONNX model (same equations).
    manifest = dict(
        generator="scripts/make-precise-goldens.py",
        versions=dict(numpy=np.__version__, sonopy=version("sonopy"), onnxruntime=onnxruntime.__version__,
                      h5py=h5py.__version__, python=sys.version.split()[0]),
        parameters=dict(sample_rate=RATE, window_samples=WINDOW, hop_samples=HOP, n_fft=N_FFT, n_filt=N_FILT,
                        n_mfcc=N_MFCC, n_features=N_FEATURES, chunk_bytes=2048, sensitivity=0.5, trigger_level=3),
        models={k: {kk: vv for kk, vv in v.items() if kk != "run"} for k, v in models.items()},
        recordings={},
    )
    import sonopy
    # sonopy's filter bank as Precise builds it: filterbanks(16000, 20, 257) (power spectrum of n_fft 512).
    np.save(os.path.join(OUT, "sonopy_filterbank_16k_20_257.npy"), sonopy.filterbanks(RATE, N_FILT, N_FFT // 2 + 1))
    for wav in RECORDINGS:
        src = os.path.join(args.material, wav)
        shutil.copyfile(src, os.path.join(OUT, wav))
        pcm = read_wav(src)
        audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        feats = vectorize(audio)
        stem = os.path.splitext(wav)[0]
        np.save(os.path.join(OUT, f"{stem}_features.npy"), feats.astype(np.float32))
        entry = dict(samples=len(audio), seconds=len(audio) / RATE, frames=len(feats), models={})
        for key, m in models.items():
            # Per feature frame: the raw score of the 29-frame window ending there (zeros before the start).
            padded = np.concatenate([np.zeros((N_FEATURES - 1, N_MFCC)), feats])
            frame_scores = np.array([m["run"](padded[t:t + N_FEATURES]) for t in range(len(feats))], np.float32)
            np.save(os.path.join(OUT, f"{stem}_{key}_frame_scores.npy"), frame_scores)
            # Precise engine path: 2048-byte chunks (the last one partial), Listener, decoder, trigger detector.
            decoder = ThresholdDecoder(m["threshold_config"], m["threshold_center"])
            listener = Listener(m["run"], decoder)
            rows, triggers_decoded, triggers_raw = [], [], []
            det_decoded, det_raw = TriggerDetector(2048), TriggerDetector(2048)
            for i in range(0, len(pcm), 2048):
                raw, decoded = listener.update(pcm[i:i + 2048])
                rows.append((raw, decoded))
                end = min(i + 2048, len(pcm)) // 2 / RATE
                if det_decoded.update(decoded):
                    triggers_decoded.append(end)
                if det_raw.update(raw):
                    triggers_raw.append(end)
            rows = np.array(rows, np.float64)
            np.save(os.path.join(OUT, f"{stem}_{key}_chunk_scores.npy"), rows)
            entry["models"][key] = dict(
                peak_raw=float(rows[:, 0].max()), peak_decoded=float(rows[:, 1].max()),
                peak_frame_raw=float(frame_scores.max()),
                triggers_decoded=triggers_decoded, triggers_raw=triggers_raw)
            print(f"{wav} {key}: peak raw {rows[:, 0].max():.8f} decoded {rows[:, 1].max():.6f}; triggers "
                  f"(decoded scores) {triggers_decoded}, (raw scores) {triggers_raw}")
        manifest["recordings"][wav] = entry
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
