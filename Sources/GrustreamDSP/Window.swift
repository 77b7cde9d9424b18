import Foundation

/// Window functions, as Kaldi's `FeatureWindowFunction` (symmetric: a = 2π/(N−1)) and scipy/librosa's
/// periodic windows (`fftbins=True`: a = 2π/N), computed in Double and rounded to Float:
/// - rectangular: 1
/// - hann: 0.5 − 0.5·cos(a·i)
/// - hamming: 0.54 − 0.46·cos(a·i)
/// - povey: (0.5 − 0.5·cos(a·i))^0.85 (Kaldi's default)
/// - blackman: b − 0.5·cos(a·i) + (0.5 − b)·cos(2a·i), b = `blackman_coefficient`
public enum Window {
    /// `length` values of the window shape.
    public static func values(_ kind: WindowKind, length: Int, periodic: Bool, blackmanCoefficient: Double = 0.42)
        -> [Float]
    {
        precondition(length >= 1)
        if length == 1 { return [1] }
        let a = 2 * Double.pi / Double(periodic ? length : length - 1)
        return (0..<length).map { i in
            let c = cos(a * Double(i))
            switch kind {
            case .rectangular: return 1
            case .hann: return Float(0.5 - 0.5 * c)
            case .hamming: return Float(0.54 - 0.46 * c)
            case .povey: return Float(pow(0.5 - 0.5 * c, 0.85))
            case .blackman:
                let b = blackmanCoefficient
                return Float(b - 0.5 * c + (0.5 - b) * cos(2 * a * Double(i)))
            }
        }
    }

    /// The window of `options` laid out over a whole frame: `windowLength` values centred (offset
    /// `(frameLength − windowLength) / 2`, as librosa's `pad_center`), zeros elsewhere.
    public static func frameWindow(_ options: FeatureOptions) -> [Float] {
        let frame = options.frameLength
        let length = options.windowLength
        let w = values(
            options.window.kind, length: length, periodic: options.window.periodic,
            blackmanCoefficient: options.window.blackmanCoefficient)
        var out = [Float](repeating: 0, count: frame)
        let offset = (frame - length) / 2
        for i in 0..<length { out[offset + i] = w[i] }
        return out
    }
}
