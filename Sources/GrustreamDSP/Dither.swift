import Foundation

/// Gaussian dither noise that depends only on (seed, frame, channel), so it is the same for every chunking.
/// SplitMix64 seeded per frame; Box–Muller (in Double) for the normal deviates.
struct Dither {
    private var state: UInt64

    init(seed: UInt64, frame: Int, channel: Int) {
        state =
            seed ^ (UInt64(truncatingIfNeeded: frame) &* 0x9E37_79B9_7F4A_7C15)
            ^ (UInt64(truncatingIfNeeded: channel) &* 0xD1B5_4A32_D192_ED03)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    mutating func uniform() -> Double { (Double(next() >> 11) + 1) * 0x1p-53 }

    /// A standard normal deviate.
    mutating func gaussian() -> Float {
        let u1 = uniform()
        let u2 = uniform()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
