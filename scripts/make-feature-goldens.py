#!/usr/bin/env python3
"""Golden files for the GrustreamDSP feature tests (Tests/Fixtures/features/).

Deterministic and re-runnable: `python3 scripts/make-feature-goldens.py`. Needs numpy, scipy, librosa,
kaldi-native-fbank, espeak-ng and sox. The Swift tests only read the committed files (never Python).

Inputs
  speech_16k.npy, speech_8k.npy   int16 [n] : espeak-ng speech + 440 Hz tone + 1.5 kHz tone + white noise
                                   (seeded), quantised to int16. Swift feeds int16/32768 (floats in [-1, 1));
                                   Kaldi cases see the int16 values (input_scale 32768), librosa cases the floats.
  accel_1k.npy                     float32 [n, 3] : synthetic 3-axis accelerometer at 1 kHz (gravity, sines,
                                   a chirp, impulses, seeded noise), interleaved by row.
Outputs (float32 [frames, dims]) and the reference each comes from are listed in manifest.json, with every
parameter, the library versions and the seed (like llm.c's write_state).
"""
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np
import scipy
import scipy.signal
import librosa
import kaldi_native_fbank as knf

SEED = 20261126
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "features")
TEXT = "turn on the lights, yes"
VOICE = "en-us+f3"

manifest = {
    "generator": "scripts/make-feature-goldens.py",
    "seed": SEED,
    "versions": {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "librosa": librosa.__version__,
        "kaldi_native_fbank": getattr(knf, "__version__", "unknown"),
        "espeak_ng": subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.strip(),
        "sox": subprocess.run(["sox", "--version"], capture_output=True, text=True).stdout.strip(),
    },
    "inputs": {},
    "cases": [],
}


def save(name, array):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array))
    return name


def speech(sr, seconds=2.0):
    """espeak-ng speech resampled by sox, mixed with tones and seeded noise, as int16."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "speech.raw")
        espeak = subprocess.run(["espeak-ng", "-v", VOICE, "-s", "170", "--stdout", TEXT], capture_output=True,
                                check=True).stdout
        subprocess.run(["sox", "-R", "-D", "-t", "wav", "-", "-r", str(sr), "-c", "1", "-b", "16", "-e", "signed-integer",
                        "-t", "raw", raw], input=espeak, check=True)
        voice = np.fromfile(raw, dtype="<i2").astype(np.float64) / 32768.0
    n = int(sr * seconds)
    voice = np.pad(voice, (0, max(0, n - len(voice))))[:n]
    voice *= 0.5 / max(1e-9, np.max(np.abs(voice)))
    t = np.arange(n) / sr
    rng = np.random.default_rng(SEED + sr)
    x = voice + 0.05 * np.sin(2 * np.pi * 440 * t) + 0.02 * np.sin(2 * np.pi * 1500 * t + 0.3)
    x += 0.003 * rng.standard_normal(n)
    return np.clip(np.round(x * 32768), -32768, 32767).astype(np.int16)


def accelerometer(sr=1000, seconds=3.0):
    n = int(sr * seconds)
    t = np.arange(n) / sr
    rng = np.random.default_rng(SEED)
    x = 0.5 * np.sin(2 * np.pi * 12 * t) + 0.01 * rng.standard_normal(n)
    y = 0.2 * np.sin(2 * np.pi * 47 * t) + 0.1 * np.sin(2 * np.pi * 130 * t + 1) + 0.01 * rng.standard_normal(n)
    z = 1.0 + 0.3 * scipy.signal.chirp(t, f0=5, t1=seconds, f1=200) + 0.01 * rng.standard_normal(n)
    z[::400] += 2.0
    return np.stack([x, y, z], axis=1).astype(np.float32)


def knf_run(online_cls, opts, wave_int16, sr):
    comp = online_cls(opts)
    comp.accept_waveform(sr, wave_int16.astype(np.float32).tolist())
    comp.input_finished()
    return np.array([comp.get_frame(i) for i in range(comp.num_frames_ready)], dtype=np.float32)


def kaldi_case(name, kind, wave, sr, input_name, bins=23, tweak=None):
    if kind == "mfcc":
        opts = knf.MfccOptions()
        opts.mel_opts.num_bins = bins
        online = knf.OnlineMfcc
    else:
        opts = knf.FbankOptions()
        opts.mel_opts.num_bins = bins
        online = knf.OnlineFbank
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = float(sr)
    if tweak:
        tweak(opts)
    feats = knf_run(online, opts, wave, sr)
    params = {"convention": "kaldi", "kind": kind, "sample_rate": sr, "mel_bins": bins, "dither": 0.0,
              "knf_options": str(opts).replace("\n", " ")}
    manifest["cases"].append({"name": name, "input": input_name, "output": save(name + ".npy", feats),
                              "reference": f"kaldi_native_fbank.Online{kind.capitalize()}", "params": params,
                              "shape": list(feats.shape)})
    return feats


def librosa_case(name, kind, wave, sr, input_name, n_fft, hop, win, center, n_mels=40, n_mfcc=20):
    y = wave.astype(np.float32) / 32768.0
    common = dict(n_fft=n_fft, hop_length=hop, win_length=win, window="hann", center=center, pad_mode="constant")
    if kind == "spectrum":
        S = np.abs(librosa.stft(y, **common)) ** 2
        out = librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=None)
        reference = "librosa.power_to_db(abs(librosa.stft)**2)"
    else:
        S = librosa.feature.melspectrogram(y=y, sr=sr, power=2.0, n_mels=n_mels, fmin=0.0, fmax=None, htk=False,
                                           norm="slaney", **common)
        out = librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=None)
        reference = "librosa.power_to_db(librosa.feature.melspectrogram)"
        if kind == "mfcc":
            out = librosa.feature.mfcc(S=out, n_mfcc=n_mfcc, dct_type=2, norm="ortho", lifter=0)
            reference = "librosa.feature.mfcc(S=power_to_db(melspectrogram))"
    out = np.ascontiguousarray(out.T.astype(np.float32))
    params = {"convention": "librosa", "kind": kind, "sample_rate": sr, "n_fft": n_fft, "hop_length": hop,
              "win_length": win, "window": "hann (periodic)", "center": center, "pad_mode": "constant",
              "power": 2.0, "n_mels": n_mels, "fmin": 0.0, "fmax": sr / 2, "htk": False, "norm": "slaney",
              "ref": 1.0, "amin": 1e-10, "top_db": None, "n_mfcc": n_mfcc, "dct_type": 2, "dct_norm": "ortho",
              "lifter": 0}
    manifest["cases"].append({"name": name, "input": input_name, "output": save(name + ".npy", out),
                              "reference": reference, "params": params, "shape": list(out.shape)})


def band_energies(signal, sr, frame, hop, bands, low, high, spacing, floor=1e-10):
    """Reference for kind = "bands", in float64 numpy:
    per channel c and frame t (snip edges): x = s[t*hop : t*hop+frame, c]; x -= mean(x); x *= hann_periodic(frame);
    P = |rfft(x, n=next_pow2(frame))|^2; E_b = sum of P[k] over bins with edge[b] <= k*sr/n < edge[b+1]
    (last band also includes its upper edge); value = ln(max(E_b, floor)); vector = [channel 0 bands, 1, 2]."""
    n_fft = 1 << (frame - 1).bit_length()
    if spacing == "linear":
        edges = low + (high - low) * np.arange(bands + 1) / bands
    else:
        edges = low * (high / low) ** (np.arange(bands + 1) / bands)
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    window = scipy.signal.get_window("hann", frame, fftbins=True)
    frames = 1 + (len(signal) - frame) // hop
    out = np.zeros((frames, signal.shape[1] * bands))
    for t in range(frames):
        for c in range(signal.shape[1]):
            x = signal[t * hop:t * hop + frame, c].astype(np.float64)
            x = (x - x.mean()) * window
            P = np.abs(np.fft.rfft(x, n=n_fft)) ** 2
            for b in range(bands):
                last = b == bands - 1
                sel = (freqs >= edges[b]) & ((freqs < edges[b + 1]) | (last & (freqs <= edges[b + 1])))
                out[t, c * bands + b] = np.log(max(P[sel].sum(), floor))
    return out.astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".npy") or f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    s16 = speech(16000)
    s8 = speech(8000)
    acc = accelerometer()
    for name, arr, what in [("speech_16k.npy", s16, f"espeak-ng -v {VOICE} -s 170 '{TEXT}' at 16 kHz + tones + noise"),
                            ("speech_8k.npy", s8, f"espeak-ng -v {VOICE} -s 170 '{TEXT}' at 8 kHz + tones + noise"),
                            ("accel_1k.npy", acc, "3-axis accelerometer at 1 kHz, [n, 3] float32")]:
        manifest["inputs"][name] = {"description": what, "shape": list(arr.shape), "dtype": str(arr.dtype)}
        save(name, arr)

    kaldi_mfcc = kaldi_case("kaldi_mfcc_16k", "mfcc", s16, 16000, "speech_16k.npy")
    kaldi_case("kaldi_mfcc_8k", "mfcc", s8, 8000, "speech_8k.npy")
    kaldi_case("kaldi_fbank80_16k", "fbank", s16, 16000, "speech_16k.npy", bins=80)
    kaldi_case("kaldi_fbank23_8k", "fbank", s8, 8000, "speech_8k.npy", bins=23)

    def fbank_energy(o):
        o.use_energy = True

    def mfcc_variant(o):
        o.frame_opts.window_type = "hamming"
        o.frame_opts.remove_dc_offset = False
        o.frame_opts.preemph_coeff = 0.9
        o.mel_opts.low_freq = 60.0
        o.mel_opts.high_freq = -400.0
        o.num_ceps = 20
        o.raw_energy = False
        o.cepstral_lifter = 0.0

    kaldi_case("kaldi_fbank23_energy_8k", "fbank", s8, 8000, "speech_8k.npy", bins=23, tweak=fbank_energy)
    kaldi_case("kaldi_mfcc_hamming_8k", "mfcc", s8, 8000, "speech_8k.npy", bins=30, tweak=mfcc_variant)

    deltas = knf.compute_deltas(knf.DeltaOptions(order=2, window=2), kaldi_mfcc)
    d1 = librosa.feature.delta(kaldi_mfcc.T, width=5, order=1, mode="nearest", axis=-1).T
    assert np.max(np.abs(d1 - deltas[:, 13:26])) < 1e-4, "order-1 Kaldi deltas must equal librosa nearest deltas"
    manifest["cases"].append({"name": "kaldi_mfcc_16k_deltas", "input": "kaldi_mfcc_16k.npy",
                              "output": save("kaldi_mfcc_16k_deltas.npy", deltas),
                              "reference": "kaldi_native_fbank.compute_deltas(order=2, window=2) of kaldi_mfcc_16k "
                                           "(Kaldi add-deltas; order-1 block checked equal to librosa.feature.delta("
                                           "width=5, mode='nearest'))",
                              "params": {"delta_order": 2, "delta_window": 2}, "shape": list(deltas.shape)})

    librosa_case("librosa_mfcc_16k_center", "mfcc", s16, 16000, "speech_16k.npy", 512, 160, 400, True)
    librosa_case("librosa_logmel_16k_center", "fbank", s16, 16000, "speech_16k.npy", 512, 160, 400, True, n_mels=64)
    librosa_case("librosa_logmel_16k_nocenter", "fbank", s16, 16000, "speech_16k.npy", 512, 160, 400, False)
    librosa_case("librosa_mfcc_8k_nocenter", "mfcc", s8, 8000, "speech_8k.npy", 256, 80, 200, False, n_mels=32,
                 n_mfcc=13)
    librosa_case("librosa_spectrum_db_8k_center", "spectrum", s8, 8000, "speech_8k.npy", 256, 128, 256, True)

    for spacing, low, high in [("linear", 0.0, 500.0), ("log", 5.0, 400.0)]:
        name = f"bands_{spacing}_accel_1k"
        out = band_energies(acc, 1000, 256, 128, 16, low, high, spacing)
        params = {"kind": "bands", "sample_rate": 1000, "channels": 3, "frame_samples": 256, "hop_samples": 128,
                  "edges": "snip", "remove_dc_offset": True, "preemphasis": 0, "window": "hann (periodic)",
                  "fft_length": 256, "spectrum": "power", "band_count": 16, "band_low_hz": low,
                  "band_high_hz": high, "band_spacing": spacing, "log": "natural", "log_floor": 1e-10}
        manifest["cases"].append({"name": name, "input": "accel_1k.npy", "output": save(name + ".npy", out),
                                  "reference": "numpy float64, see band_energies() in the script",
                                  "params": params, "shape": list(out.shape)})

    # Filter banks and windows, for the stage tests.
    lm = librosa.filters.mel(sr=16000, n_fft=512, n_mels=40, fmin=0.0, fmax=None, htk=False, norm="slaney")
    manifest["cases"].append({"name": "librosa_mel_16k_512_40", "output": save("librosa_mel_16k_512_40.npy", lm),
                              "reference": "librosa.filters.mel(sr=16000, n_fft=512, n_mels=40, htk=False, "
                                           "norm='slaney')", "params": {}, "shape": list(lm.shape)})
    lmh = librosa.filters.mel(sr=8000, n_fft=256, n_mels=20, fmin=100.0, fmax=3800.0, htk=True, norm=None)
    manifest["cases"].append({"name": "librosa_mel_htk_8k_256_20", "output": save("librosa_mel_htk_8k_256_20.npy", lmh),
                              "reference": "librosa.filters.mel(sr=8000, n_fft=256, n_mels=20, fmin=100, fmax=3800, "
                                           "htk=True, norm=None)", "params": {}, "shape": list(lmh.shape)})
    mo = knf.MelBanksOptions()
    mo.num_bins = 23
    km = np.array(knf.MelBanks(mo, knf.FrameExtractionOptions(), 1.0).get_matrix(), dtype=np.float32)
    manifest["cases"].append({"name": "kaldi_mel_16k_512_23", "output": save("kaldi_mel_16k_512_23.npy", km),
                              "reference": "kaldi_native_fbank.MelBanks(num_bins=23, low 20, high 0, 16 kHz, 25 ms)"
                                           ".get_matrix()", "params": {}, "shape": list(km.shape)})
    rows, names = [], []
    for kind in ["rectangular", "hanning", "hamming", "povey", "blackman"]:
        fo = knf.FrameExtractionOptions()
        fo.window_type = kind
        rows.append(np.array(knf.FeatureWindowFunction(fo).window, dtype=np.float32))
        names.append(f"kaldi {kind} (symmetric, 400)")
    for kind in ["hann", "hamming", "blackman"]:
        rows.append(scipy.signal.get_window(kind, 400, fftbins=True).astype(np.float32))
        names.append(f"scipy {kind} (periodic, 400)")
    win = np.stack(rows)
    manifest["cases"].append({"name": "windows_400", "output": save("windows_400.npy", win),
                              "reference": "kaldi_native_fbank.FeatureWindowFunction and scipy.signal.get_window",
                              "params": {"rows": names}, "shape": list(win.shape)})

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(manifest['cases'])} cases to {os.path.normpath(OUT)} ({total / 1024:.0f} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
