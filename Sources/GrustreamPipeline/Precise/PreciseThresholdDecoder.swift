import Foundation

/// Mycroft Precise's `ThresholdDecoder` (precise/threshold_decoder.py), which turns the network's raw sigmoid
/// output into the score Precise's engine prints, so that a fixed sensitivity means the same across models.
///
/// Construction (`threshold_config` = ((μ, σ), …) of the logits of the training positives, `threshold_center` c):
///   min_out = int(min(μ − 4σ)), max_out = int(max(μ + 4σ)) (truncation toward zero), range = max_out − min_out;
///   points = linspace(min_out, max_out, 200 · range);
///   pd = Σ_models N(points; μ, σ) / (200 · models);  cd = cumsum(pd)  (a sampled normal CDF of the logit).
/// Decoding a raw output y:
///   y = 0 or 1 → y itself; else ratio = clamp((logit(y) − min_out) / range, 0, 1),
///   p = cd[int(ratio · (count − 1) + 0.5)],
///   score = p < c ? 0.5 · p / c : 0.5 + 0.5 · (p − c) / (1 − c)   (so p = c maps to 0.5).
/// With range 0: p = y > min_out ? 1 : 0. Everything in Double, as numpy does.
public struct PreciseThresholdDecoder: Sendable {
    /// ((mean, std)) of the positive logits, per training set.
    public let meanStds: [(mean: Double, std: Double)]
    public let center: Double
    public let minimumLogit: Int
    public let maximumLogit: Int
    /// [200 · range] the sampled cumulative distribution.
    public let cumulative: [Double]

    /// Precise's `ListenerParams` defaults: threshold_config ((6, 4),), threshold_center 0.2.
    public static let preciseDefaults = (config: [(mean: 6.0, std: 4.0)], center: 0.2)

    public init(meanStds: [(mean: Double, std: Double)], center: Double, resolution: Int = 200) {
        precondition(!meanStds.isEmpty)
        self.meanStds = meanStds
        self.center = center
        minimumLogit = Int(meanStds.map { $0.mean - 4 * $0.std }.min()!)
        maximumLogit = Int(meanStds.map { $0.mean + 4 * $0.std }.max()!)
        let range = maximumLogit - minimumLogit
        let count = resolution * range
        var cd = [Double](repeating: 0, count: max(count, 0))
        if count > 0 {
            let start = Double(minimumLogit)
            let stop = Double(maximumLogit)
            let step = count > 1 ? (stop - start) / Double(count - 1) : 0
            var total = 0.0
            for i in 0..<count {
                let x = i == count - 1 ? stop : start + Double(i) * step
                var density = 0.0
                for (mu, std) in meanStds where std != 0 {
                    density +=
                        (1.0 / (std * (2 * Double.pi).squareRoot())) * exp(-((x - mu) * (x - mu)) / (2 * std * std))
                }
                total += density / Double(resolution * meanStds.count)
                cd[i] = total
            }
        }
        cumulative = cd
    }

    /// The decoded score of a raw network output.
    public func decode(_ raw: Double) -> Double {
        if raw == 1 || raw == 0 { return raw }
        let range = maximumLogit - minimumLogit
        let p: Double
        if range == 0 {
            p = raw > Double(minimumLogit) ? 1 : 0
        } else {
            let logit = -log(1 / raw - 1)
            let ratio = min(max((logit - Double(minimumLogit)) / Double(range), 0), 1)
            p = cumulative[Int(ratio * Double(cumulative.count - 1) + 0.5)]
        }
        return p < center ? 0.5 * p / center : 0.5 + 0.5 * (p - center) / (1 - center)
    }
}
