import Foundation

/// Activation of the reset and update gates r, z.
public enum GateActivation: String, Sendable, CaseIterable {
    /// 1 / (1 + e^−x) (PyTorch, Keras default).
    case sigmoid
    /// Keras 2 / Mycroft Precise `hard_sigmoid`: clip(0.2·x + 0.5, 0, 1).
    case hardSigmoid = "hard_sigmoid"
    /// Keras 3 `hard_sigmoid`: relu6(x + 3) / 6.
    case hardSigmoidV3 = "hard_sigmoid_v3"

    /// values[i] = f(values[i]) for i in 0..<count.
    @inline(__always)
    func apply(_ values: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .sigmoid:
            FastMath.map(values, count, FastMath.sigmoid)
        case .hardSigmoid:
            for i in 0..<count { values[i] = min(max(0.2 * values[i] + 0.5, 0), 1) }
        case .hardSigmoidV3:
            for i in 0..<count { values[i] = min(max(values[i] + 3, 0), 6) / 6 }
        }
    }
}

/// Activation of the candidate state n.
public enum CandidateActivation: String, Sendable, CaseIterable {
    case tanh
    /// The identity (Mycroft Precise uses `activation="linear"`).
    case linear

    @inline(__always)
    func apply(_ values: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .tanh: FastMath.map(values, count, FastMath.tanh)
        case .linear: break
        }
    }
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

/// How frames are fed to the network.
public enum InferenceMode: Sendable, Equatable, CustomStringConvertible {
    /// The hidden state is carried from frame to frame forever (until `reset()`).
    case carry
    /// On each new frame, re-run the last N frames from the initial state (the buffer starts as N zero frames);
    /// the output is the network's output at the newest frame. As Mycroft Precise does.
    case window(Int)

    /// Largest N of `window:N`: every frame re-runs N steps and keeps N frames of input and projections.
    public static let maximumWindowFrames = 4096

    /// Parses `"carry"` or `"window:N"` (1 ≤ N ≤ `maximumWindowFrames`).
    public init?(_ text: String) {
        if text == "carry" {
            self = .carry
        } else if text.hasPrefix("window:"), let n = Int(text.dropFirst("window:".count)),
            (1...Self.maximumWindowFrames).contains(n)
        {
            self = .window(n)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .carry: return "carry"
        case .window(let n): return "window:\(n)"
        }
    }
}
