import Foundation

/// DCT-II (orthonormal) of log mel energies, truncated to `coefficients`, and Kaldi's cepstral lifter.
///
/// c_k = s_k · Σ_n x_n · cos(π k (n + ½) / N), s_0 = √(1/N), s_k = √(2/N): Kaldi's `ComputeDctMatrix`
/// and scipy `dct(type=2, norm="ortho")`. Lifter (Kaldi): c_k ·= 1 + Q/2 · sin(π k / Q).
public struct Cepstrum: Sendable {
    /// [coefficients, melBins] row-major, lifter folded in.
    public let matrix: [Float]
    public let coefficients: Int
    public let melBins: Int

    public init(coefficients: Int, melBins: Int, lifter: Float) {
        self.coefficients = coefficients
        self.melBins = melBins
        var m = [Float](repeating: 0, count: coefficients * melBins)
        let n = Double(melBins)
        for k in 0..<coefficients {
            let scale = k == 0 ? (1 / n).squareRoot() : (2 / n).squareRoot()
            for j in 0..<melBins {
                m[k * melBins + j] = Float(scale * cos(Double.pi / n * (Double(j) + 0.5) * Double(k)))
            }
        }
        self.matrix = m
        self.lifterCoefficients = Cepstrum.lifter(coefficients, q: lifter)
    }

    /// [coefficients] Kaldi lifter weights (all 1 when Q = 0).
    public let lifterCoefficients: [Float]

    public static func lifter(_ count: Int, q: Float) -> [Float] {
        (0..<count).map { i in
            q == 0 ? 1 : Float(1 + 0.5 * Double(q) * sin(Double.pi * Double(i) / Double(q)))
        }
    }

    /// out[k] = lifter[k] · Σ_j matrix[k, j] · x[j] (accumulated in Float, j ascending).
    @inline(__always)
    func apply(
        _ x: UnsafePointer<Float>, matrix mp: UnsafePointer<Float>, lifter lp: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        for k in 0..<coefficients {
            let row = mp + k * melBins
            var acc: Float = 0
            for j in 0..<melBins { acc += row[j] * x[j] }
            out[k] = acc * lp[k]
        }
    }
}
