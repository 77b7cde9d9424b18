import Foundation
import GrustreamDSP
import GrustreamNeural

/// Waveform and feature augmentations for classify training. Every random choice comes from the `TrainingRandom`
/// passed in, so the same `--seed` gives the same augmented data.
public enum Augmentation {
    /// Speed perturbation: `x` resampled by `factor` (linear interpolation): > 1 is faster and higher,
    /// `count / factor` samples long.
    public static func resample(_ x: [Float], factor: Float) -> [Float] {
        guard factor > 0, x.count > 1 else { return x }
        let n = max(1, Int((Double(x.count) / Double(factor)).rounded()))
        var y = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let position = Double(i) * Double(factor)
            let k = Int(position)
            if k >= x.count - 1 {
                y[i] = x[x.count - 1]
                continue
            }
            let f = Float(position - Double(k))
            y[i] = x[k] + f * (x[k + 1] - x[k])
        }
        return y
    }

    /// Tempo change without a pitch change (WSOLA): Hann-windowed 512-sample frames overlap-added every 128 output
    /// samples; each frame is read near 128 × `rate` × its index in the input, at the offset (±128) whose samples best
    /// correlate with the natural continuation of the previous frame, so periods line up. `count / rate` samples long
    /// (> 1: faster).
    public static func timeStretch(_ x: [Float], rate: Float) -> [Float] {
        let frame = 512
        let hop = 128
        let tolerance = 128
        guard rate > 0, x.count > frame + 2 * tolerance else { return resample(x, factor: rate) }
        let n = max(1, Int((Double(x.count) / Double(rate)).rounded()))
        var y = [Float](repeating: 0, count: n + frame)
        var weight = [Float](repeating: 0, count: n + frame)
        let window = (0..<frame).map { 0.5 - 0.5 * cosf(2 * .pi * Float($0) / Float(frame)) }
        let last = x.count - frame
        var previous = -1
        var out = 0
        while out < n {
            let nominal = min(Int((Double(out) * Double(rate)).rounded()), last)
            var chosen = nominal
            if previous >= 0 {
                let natural = min(previous + hop, last)
                var best = -Float.infinity
                for candidate in max(0, nominal - tolerance)...min(last, nominal + tolerance) {
                    var c: Float = 0
                    var j = 0
                    while j < frame {
                        c += x[natural + j] * x[candidate + j]
                        j += 4
                    }
                    if c > best {
                        best = c
                        chosen = candidate
                    }
                }
            }
            for j in 0..<frame {
                y[out + j] += window[j] * x[chosen + j]
                weight[out + j] += window[j]
            }
            previous = chosen
            out += hop
        }
        for i in 0..<n { y[i] = weight[i] > 1e-3 ? y[i] / weight[i] : 0 }
        return Array(y[0..<n])
    }

    /// Pitch shift by `semitones` keeping the duration: resampling by 2^(s/12), then a time stretch back.
    public static func pitchShift(_ x: [Float], semitones: Float) -> [Float] {
        let factor = powf(2, semitones / 12)
        let shifted = timeStretch(resample(x, factor: factor), rate: 1 / factor)
        if shifted.count >= x.count { return Array(shifted[0..<x.count]) }
        return shifted + [Float](repeating: 0, count: x.count - shifted.count)
    }

    /// A simulated room impulse response: the direct path (1 at sample 0), a few early reflections in the first
    /// 50 ms, and a diffuse tail of exponentially decaying Gaussian noise whose energy falls by 60 dB in `rt60`
    /// seconds, `directToReverberantDB` below the direct path in energy. At most `rt60` seconds long.
    public static func roomImpulseResponse(
        sampleRate: Double, rt60: Float, directToReverberantDB: Float, random: inout TrainingRandom
    ) -> [Float] {
        let length = max(2, Int(Double(rt60) * sampleRate))
        var h = [Float](repeating: 0, count: length)
        let onset = min(length - 1, Int(sampleRate * Double(random.uniform(0.001, 0.005))))
        let decay = 6.9078 / (rt60 * Float(sampleRate))  // ln(1000): amplitude −60 dB at rt60
        var tail: Float = 0
        for i in onset..<length {
            let v = random.normal() * expf(-decay * Float(i - onset))
            h[i] = v
            tail += v * v
        }
        let early = min(length - 1, Int(sampleRate * 0.05))
        for _ in 0..<4 where early > onset {
            let k = onset + random.index(early - onset)
            let v = random.uniform(-0.5, 0.5) * expf(-decay * Float(k))
            h[k] += v
            tail += v * v
        }
        let scale = (powf(10, -directToReverberantDB / 10) / max(tail, 1e-12)).squareRoot()
        for i in h.indices { h[i] *= scale }
        h[0] += 1
        return h
    }

    /// Generated noise of `count` samples: white, pink (Kellet's filter) or brown (leaky integrator) Gaussian noise.
    public static func generatedNoise(count: Int, random: inout TrainingRandom) -> [Float] {
        var y = [Float](repeating: 0, count: count)
        switch random.index(3) {
        case 0:
            for i in 0..<count { y[i] = random.normal() }
        case 1:
            var b = [Float](repeating: 0, count: 6)
            for i in 0..<count {
                let w = random.normal()
                b[0] = 0.99886 * b[0] + w * 0.0555179
                b[1] = 0.99332 * b[1] + w * 0.0750759
                b[2] = 0.96900 * b[2] + w * 0.1538520
                b[3] = 0.86650 * b[3] + w * 0.3104856
                b[4] = 0.55000 * b[4] + w * 0.5329522
                b[5] = -0.7616 * b[5] - w * 0.0168980
                y[i] = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + w * 0.5362
            }
        default:
            var s: Float = 0
            for i in 0..<count {
                s = 0.995 * s + 0.1 * random.normal()
                y[i] = s
            }
        }
        return y
    }

    /// Mean power of `x`.
    public static func power(_ x: [Float]) -> Float {
        x.isEmpty ? 0 : x.reduce(0) { $0 + $1 * $1 } / Float(x.count)
    }

    /// `signal + noise` scaled so that power(signal) / power(scaled noise) is `snrDB` (noise as long as the signal).
    public static func mix(_ signal: [Float], noise: [Float], snrDB: Float) -> [Float] {
        precondition(noise.count >= signal.count)
        let noisePower = max(power(Array(noise[0..<signal.count])), 1e-12)
        let scale = (power(signal) / noisePower / powf(10, snrDB / 10)).squareRoot()
        var y = signal
        for i in y.indices { y[i] += scale * noise[i] }
        return y
    }

    /// A span of feature frames or dimensions set to zero.
    public struct Mask: Equatable, Sendable {
        public var start: Int
        public var width: Int
    }

    /// SpecAugment-style masks on normalised features [frames, dimension] (row-major): `timeMasks` spans of up to
    /// `maxTimeWidth` frames and `bandMasks` spans of up to `maxBandWidth` dimensions (mel bands for filter-bank
    /// features) are set to 0, the training mean. Returns the masks applied (time, band).
    @discardableResult
    public static func maskFeatures(
        _ values: inout [Float], dimension: Int, timeMasks: Int, maxTimeWidth: Int, bandMasks: Int, maxBandWidth: Int,
        random: inout TrainingRandom
    ) -> (time: [Mask], band: [Mask]) {
        guard dimension > 0 else { return ([], []) }
        let frames = values.count / dimension
        var time: [Mask] = []
        var band: [Mask] = []
        if frames > 0 && maxTimeWidth > 0 {
            for _ in 0..<timeMasks {
                let width = min(frames, 1 + random.index(maxTimeWidth))
                let start = random.index(frames - width + 1)
                for f in start..<(start + width) {
                    for j in 0..<dimension { values[f * dimension + j] = 0 }
                }
                time.append(Mask(start: start, width: width))
            }
        }
        if maxBandWidth > 0 {
            for _ in 0..<bandMasks {
                let width = min(dimension, 1 + random.index(maxBandWidth))
                let start = random.index(dimension - width + 1)
                for f in 0..<frames {
                    for j in start..<(start + width) { values[f * dimension + j] = 0 }
                }
                band.append(Mask(start: start, width: width))
            }
        }
        return (time, band)
    }
}
