/// A model's input normalisation x′ = (x − mean) / std, each `[input]`: the one definition used by the daemon
/// (`StreamProcessor`), the runners, `infer`, `eval` and training, so all of them see the same numbers bit for bit.
/// It divides, as PyTorch's `(x - mean) / std` does; multiplying by a precomputed 1/std would round differently.
public struct InputNormalisation: Sendable, Equatable {
    public let mean: [Float]
    public let std: [Float]

    /// `mean` and `std` have one value per input; the model loader checks that std is finite and positive.
    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "InputNormalisation: \(mean.count) means, \(std.count) stds")
        self.mean = mean
        self.std = std
    }

    /// The number of inputs.
    public var count: Int { mean.count }

    /// One frame: `x[j] = (input[j] − mean[j]) / std[j]` for the `count` inputs (`x` may be `input`).
    @inlinable
    public func apply(_ input: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>) {
        mean.withUnsafeBufferPointer { mean in
            std.withUnsafeBufferPointer { std in
                for j in 0..<mean.count { x[j] = (input[j] - mean[j]) / std[j] }
            }
        }
    }

    /// Frames of `count` values each, in place.
    public func apply(frames values: inout [Float]) {
        let n = count
        guard n > 0 else { return }
        values.withUnsafeMutableBufferPointer { values in
            var start = 0
            while start + n <= values.count {
                let row = values.baseAddress! + start
                apply(row, into: row)
                start += n
            }
        }
    }

    /// `values` (frames of `count` values each), normalised.
    public func applied(frames values: [Float]) -> [Float] {
        var copy = values
        apply(frames: &copy)
        return copy
    }
}
