import Foundation
import GrustreamIO

/// The benchmark's input signal: a deterministic, speech-like test signal (no files needed), or a recording.
public enum BenchAudio {
    /// `seconds` of mono audio at `sampleRate`, in [-1, 1): voiced segments (a 90–220 Hz glottal pulse train
    /// through three resonances, like vowels) alternating with fricative noise and short pauses, at a syllable
    /// rate of ~4 Hz, plus a little background noise. Same values on every machine (a fixed LCG seed).
    /// The feature code does the same work whatever the signal; realistic levels keep the log and DCT stages
    /// away from special cases (zeros, denormals).
    public static func speechLike(seconds: Double, sampleRate: Double = 16000, seed: UInt64 = 0x5eed) -> [Float] {
        var state = seed
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)  // [-1, 1)
        }
        let count = Int(seconds * sampleRate)
        var out = [Float](repeating: 0, count: count)
        let syllable = Int(sampleRate / 4)
        // Two-pole resonators (formants) for voiced segments.
        let formants: [(Float, Float)] = [(700, 110), (1220, 120), (2600, 160)]
        let coefficients = formants.map { (f, bandwidth) -> (Float, Float) in
            let r = Float(exp(-Double.pi * Double(bandwidth) / sampleRate))
            let theta = Float(2 * Double.pi * Double(f) / sampleRate)
            return (2 * r * cos(theta), -r * r)
        }
        var y1 = [Float](repeating: 0, count: 3)
        var y2 = [Float](repeating: 0, count: 3)
        var phase: Float = 0
        var previousNoise: Float = 0
        for i in 0..<count {
            let segment = i / syllable
            let within = Float(i % syllable) / Float(syllable)
            let envelope = sin(Float.pi * within)
            let pitch = 90 + 130 * (0.5 + 0.5 * sin(Float(segment) * 1.7))
            var sample: Float = 0
            switch segment % 4 {
            case 0, 2:  // voiced: pulse train through the formants
                phase += pitch / Float(sampleRate)
                var pulse: Float = 0
                if phase >= 1 { phase -= 1; pulse = 1 }
                for k in 0..<3 {
                    let y = pulse + coefficients[k].0 * y1[k] + coefficients[k].1 * y2[k]
                    y2[k] = y1[k]
                    y1[k] = y
                    sample += y * (k == 0 ? 0.05 : 0.03)
                }
                sample *= envelope
            case 1:  // fricative: high-passed noise
                let noise = uniform()
                sample = 0.15 * envelope * (noise - 0.9 * previousNoise)
                previousNoise = noise
            default:  // pause
                sample = 0
            }
            out[i] = max(-0.99, min(0.99, sample + 0.002 * uniform()))
        }
        return out
    }
}

extension BenchAudio {
    /// The signal for the feature cases: a WAV file (down-mixed to mono) or 60 s of `speechLike` at 16 kHz.
    /// Returns the samples, their rate and a one-line description for the report.
    public static func input(path: String?) throws -> (samples: [Float], sampleRate: Double, description: String) {
        guard let path else {
            return (speechLike(seconds: 60, sampleRate: 16000), 16000, "60 s generated speech-like audio, 16 kHz")
        }
        let decoded = try AudioFile.read(path: path, container: .wav)
        let rate = Double(decoded.format.sampleRate)
        let seconds = String(format: "%.1f", Double(decoded.frameCount) / rate)
        return (decoded.downmix(), rate, "\(path): \(seconds) s at \(decoded.format.sampleRate) Hz, mono")
    }
}
