import Foundation

// The activations a model names (metadata `gate_activation`, `candidate_activation`, `output_activation`). The
// kernel families apply the gate and candidate activations inside the GRU step; the head's activation is
// scalar libm arithmetic, the same in every family.

/// Activation of the reset and update gates r, z.
public enum GateActivation: String, Sendable, CaseIterable {
    /// 1 / (1 + e^−x) (PyTorch, Keras default).
    case sigmoid
    /// Keras 2 / Mycroft Precise `hard_sigmoid`: clip(0.2·x + 0.5, 0, 1).
    case hardSigmoid = "hard_sigmoid"
    /// Keras 3 `hard_sigmoid`: relu6(x + 3) / 6.
    case hardSigmoidV3 = "hard_sigmoid_v3"
}

/// Activation of the candidate state n.
public enum CandidateActivation: String, Sendable, CaseIterable {
    case tanh
    /// The identity (Mycroft Precise uses `activation="linear"`).
    case linear
}

/// Activation applied to the head's output.
public enum OutputActivation: String, Sendable, CaseIterable {
    case none
    case sigmoid
    /// exp(x − max) / Σ exp(x − max), summed in index order.
    case softmax

    @inline(__always)
    public func apply(_ values: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .none: break
        case .sigmoid: for i in 0..<count { values[i] = 1 / (1 + expf(-values[i])) }
        case .softmax:
            guard count > 0 else { return }
            var largest = values[0]
            for i in 1..<max(count, 1) { largest = max(largest, values[i]) }
            var total: Float = 0
            for i in 0..<count {
                values[i] = expf(values[i] - largest)
                total += values[i]
            }
            for i in 0..<count { values[i] /= total }
        }
    }
}
