import Foundation
import GrustreamKernelInterface

/// The activations live with the kernels that apply them (`GrustreamKernelInterface`); these names are the model API's.
public typealias GateActivation = GrustreamKernelInterface.GateActivation
public typealias CandidateActivation = GrustreamKernelInterface.CandidateActivation
public typealias OutputActivation = GrustreamKernelInterface.OutputActivation

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
