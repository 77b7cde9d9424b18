#!/usr/bin/env python3
"""Golden files for grustream's input resampling (GrustreamIO AudioConverter, libsoxr HQ):
Tests/Fixtures/resampling/<case>.in.npy and <case>.out.npy.

The reference is SoX's own `rate` effect (`sox ... rate -h -b 91.4 OUT`: high quality, linear phase, the same
0.913 pass band as libsoxr's HQ recipe), run on raw float32 so no dither or quantisation is involved; it is an
independent implementation (SoX's rate.c, not the libsoxr library grustream links). The input is a sum of
tones below 0.85 × the lower Nyquist frequency (where both filters are flat) plus noise shaped the same way,
0.3 s long, seeded. Stored as float32 .npy: in [frames] at the input rate, out [frames] at the output rate.
Parameters, versions and seed are in Tests/Fixtures/resampling/README.md, written here.
Run: python3 scripts/make-resampling-goldens.py
"""
import os
import subprocess

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "resampling")
CASES = [(48000, 16000), (44100, 16000), (22050, 16000), (8000, 16000)]
SECONDS = 0.3
SEED = 20261203


def signal(rate, band_hz, rng):
    t = np.arange(int(SECONDS * rate)) / rate
    x = np.zeros_like(t)
    for f, a in [(220.0, 0.3), (1000.0, 0.2), (0.6 * band_hz, 0.1)]:
        x += a * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    # Band-limited noise: 200 random tones below band_hz.
    for f, a, p in zip(rng.uniform(50, band_hz, 200), rng.uniform(0, 0.004, 200), rng.uniform(0, 2 * np.pi, 200)):
        x += a * np.sin(2 * np.pi * f * t + p)
    return x.astype(np.float32)


def sox_rate(x, rate_in, rate_out):
    command = ["sox", "-t", "f32", "-r", str(rate_in), "-c", "1", "-", "-t", "f32", "-", "rate", "-h", "-b", "91.4",
               str(rate_out)]
    out = subprocess.run(command, input=x.astype("<f4").tobytes(), capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype="<f4")


def main():
    os.makedirs(ROOT, exist_ok=True)
    rng = np.random.default_rng(SEED)
    version = subprocess.run(["sox", "--version"], capture_output=True, text=True).stdout.strip()
    lines = ["# Resampling goldens", "", "Made by `scripts/make-resampling-goldens.py` (do not edit).", "",
             f"- reference: `{version}`, `rate -h -b 91.4` on raw float32; numpy {np.__version__}; seed {SEED}",
             f"- input: {SECONDS} s of tones (220 Hz, 1 kHz, 0.6 × band) and 200 random tones below the band, "
             "band = 0.85 × the lower Nyquist frequency", ""]
    for rate_in, rate_out in CASES:
        band = 0.85 * min(rate_in, rate_out) / 2
        x = signal(rate_in, band, rng)
        y = sox_rate(x, rate_in, rate_out)
        name = f"{rate_in}_to_{rate_out}"
        np.save(os.path.join(ROOT, f"{name}.in.npy"), x)
        np.save(os.path.join(ROOT, f"{name}.out.npy"), y)
        lines.append(f"- `{name}`: {len(x)} → {len(y)} samples")
    open(os.path.join(ROOT, "README.md"), "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
