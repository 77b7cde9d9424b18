import Foundation
import GrustreamKernels

/// The weights of attention pooling, PyTorch layout (`nn.Linear(top, A)` then `nn.Linear(A, 1, bias=False)`):
/// e_t = v · tanh(W h_t + b) over the window's top-layer outputs h_t, α = softmax(e) over the window,
/// context = Σ_t α_t h_t.
public struct AttentionWeights: Sendable, Equatable {
    /// Width A of the attention projection.
    public let size: Int
    /// [A, top] `attention.proj.weight`
    public let projectionWeight: [Float]
    /// [A] `attention.proj.bias` (nil for `bias=False`)
    public let projectionBias: [Float]?
    /// [A] `attention.score.weight` (stored [1, A])
    public let score: [Float]

    public init(size: Int, projectionWeight: [Float], projectionBias: [Float]?, score: [Float]) {
        self.size = size
        self.projectionWeight = projectionWeight
        self.projectionBias = projectionBias
        self.score = score
    }

    public var parameterCount: Int { projectionWeight.count + (projectionBias?.count ?? 0) + score.count }
}

/// Window-mode pooling of one stream: the head's input from the window's top-layer outputs, into preallocated
/// scratch (no allocation per frame). `weights` holds the last window's pooling weights (attention: α; mean: 1/N).
final class WindowPooler {
    let pooling: Pooling
    let frames: Int
    private let topSize: Int
    private let scratch = FloatScratch()
    /// [paddedWidth(top)] the pooled vector
    let context: UnsafeMutablePointer<Float>
    /// [frames] the pooling weights of the last window, oldest frame first
    let weights: UnsafeMutablePointer<Float>
    /// attention: [frames, A] W h_t + b, and [frames, paddedWidth(A)] the head kernel's scratch
    private let projected: UnsafeMutablePointer<Float>?
    private let projectionScratch: UnsafeMutablePointer<Float>?
    private let attention: PackedHead?
    private let score: [Float]
    private let kernels: KernelTable

    init(model: GRUModel, frames: Int, kernels: KernelTable) {
        pooling = model.pooling
        self.frames = frames
        self.kernels = kernels
        topSize = model.topSize
        context = scratch.allocate(paddedWidth(model.topSize))
        weights = scratch.allocate(frames)
        attention = model.packedAttention
        score = model.attention?.score ?? []
        if let a = model.attention?.size {
            projected = scratch.allocate(frames * a)
            projectionScratch = scratch.allocate(frames * paddedWidth(a))
        } else {
            projected = nil
            projectionScratch = nil
        }
    }

    /// Pool `frames` rows of top-layer outputs (row t at `top + t * stride`, t = 0 the oldest) into `context`.
    func pool(_ top: UnsafePointer<Float>, stride: Int) {
        let n = frames
        if let attention, let projected, let projectionScratch {
            let a = attention.outputSize
            kernels.headStep(
                attention, activation: .none, inputs: top, inputStride: stride, count: n, scratch: projectionScratch,
                outputs: projected)
            var largest = -Float.infinity
            score.withUnsafeBufferPointer { v in
                for t in 0..<n {
                    var e: Float = 0
                    for k in 0..<a { e += v[k] * tanhf(projected[t * a + k]) }
                    weights[t] = e
                    largest = max(largest, e)
                }
            }
            var sum: Float = 0
            for t in 0..<n {
                weights[t] = expf(weights[t] - largest)
                sum += weights[t]
            }
            for t in 0..<n { weights[t] /= sum }
        } else {
            let w = 1 / Float(n)
            for t in 0..<n { weights[t] = w }
        }
        context.update(repeating: 0, count: topSize)
        for t in 0..<n {
            let w = weights[t]
            let h = top + t * stride
            for j in 0..<topSize { context[j] += w * h[j] }
        }
    }
}
