/// A comparison of computed values with a reference, reported the way llm.c's `check_tensor` does:
/// the largest difference, where it is, both values there, and how many values are out of tolerance.
public struct Closeness: CustomStringConvertible, Sendable {
    public let count: Int
    public let maxAbsoluteError: Float
    public let maxRelativeError: Float
    public let worstIndex: Int
    public let worstComputed: Float
    public let worstExpected: Float
    public let failures: Int
    public let tolerance: Float
    public let relative: Bool
    public let label: String

    /// Compare element-wise. `relative`: tolerance applies to |a−b| / max(|b|, floor); else to |a−b|.
    public init<A: Collection, B: Collection>(
        _ label: String, computed: A, expected: B, tolerance: Float, relative: Bool = false, floor: Float = 1e-6
    ) where A.Element == Float, B.Element == Float {
        self.label = label
        self.tolerance = tolerance
        self.relative = relative
        var maxAbs: Float = 0
        var maxRel: Float = 0
        var worst = 0
        var worstA: Float = 0
        var worstB: Float = 0
        var failures = 0
        var n = 0
        var worstScore: Float = -1
        for (i, (a, b)) in zip(computed, expected).enumerated() {
            n += 1
            let abs = a.isNaN || b.isNaN ? Float.infinity : Swift.abs(a - b)
            let rel = abs / Swift.max(Swift.abs(b), floor)
            maxAbs = Swift.max(maxAbs, abs)
            maxRel = Swift.max(maxRel, rel)
            let score = relative ? rel : abs
            if score > tolerance { failures += 1 }
            if score > worstScore { worstScore = score; worst = i; worstA = a; worstB = b }
        }
        if computed.count != expected.count { failures += Swift.max(computed.count, expected.count) - n + 1 }
        self.count = n
        self.maxAbsoluteError = maxAbs
        self.maxRelativeError = maxRel
        self.worstIndex = worst
        self.worstComputed = worstA
        self.worstExpected = worstB
        self.failures = failures
    }

    public var passed: Bool { failures == 0 }

    public var description: String {
        "\(label): \(count) values, max |error| \(maxAbsoluteError), max rel \(maxRelativeError) "
            + "(tolerance \(tolerance) \(relative ? "relative" : "absolute")); worst at [\(worstIndex)]: "
            + "computed \(worstComputed), expected \(worstExpected); \(failures) out of tolerance"
    }
}
