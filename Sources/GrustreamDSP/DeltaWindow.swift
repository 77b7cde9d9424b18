/// Delta regression windows, Kaldi `add-deltas` (`DeltaFeatures`) convention.
///
/// Order 1: w1[j] = j / (2 Σ_{k=1..N} k²), j = −N … N (the regression slope, = librosa `delta(width=2N+1)`).
/// Order o: w_o = w_{o−1} ∗ w1 (convolution), width 2·o·N + 1, applied to the *base* features.
/// At the stream edges the base frames are replicated (index clamped to [0, T−1]), as Kaldi does. Inside the
/// stream this equals delta(delta(x)); near the edges it differs from librosa's `delta(order=2)` (Savitzky–Golay)
/// and from repeated `mode="nearest"` deltas.
public enum DeltaWindow {
    /// Windows for orders 1 ... `order`, each of width 2·o·N + 1, index 0 = offset −o·N.
    public static func windows(order: Int, n: Int) -> [[Double]] {
        guard order > 0 else { return [] }
        let denominator = Double(2 * (1...n).reduce(0) { $0 + $1 * $1 })
        let w1 = (-n...n).map { Double($0) / denominator }
        var result = [w1]
        for _ in 1..<order {
            let prev = result.last!
            var next = [Double](repeating: 0, count: prev.count + 2 * n)
            for (i, a) in prev.enumerated() {
                for (j, b) in w1.enumerated() { next[i + j] += a * b }
            }
            result.append(next)
        }
        return result
    }
}
