import Foundation

/// How the learning rate changes over training.
public enum LearningRateSchedule: Sendable, Equatable {
    case constant
    /// Multiply by `factor` every `epochs` epochs (PyTorch `StepLR`).
    case step(epochs: Int, factor: Float)
    /// Cosine from the base rate down to `minimum` over `totalEpochs` (PyTorch `CosineAnnealingLR`, eta_min).
    case cosine(totalEpochs: Int, minimum: Float)

    /// The rate during `epoch` (0-based).
    public func rate(base: Float, epoch: Int) -> Float {
        switch self {
        case .constant: return base
        case .step(let every, let factor): return base * powf(factor, Float(epoch / max(every, 1)))
        case .cosine(let total, let minimum):
            let progress = Float(min(epoch, total)) / Float(max(total, 1))
            return minimum + (base - minimum) * (1 + cosf(.pi * progress)) / 2
        }
    }
}

/// An optimiser updating a flat parameter vector from a gradient of the same layout, with PyTorch's semantics:
/// - `sgd`: `torch.optim.SGD(momentum, dampening=0, nesterov=False, weight_decay)`:
///   g += wd·p; buf = momentum·buf + g (buf = g on the first step); p −= lr·buf.
/// - `adam`: `torch.optim.Adam(betas, eps, weight_decay)` (L2 added to the gradient, not AdamW):
///   g += wd·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + eps).
/// L1 (`l1`) adds l1·sign(p) to the gradient before either, as `loss + l1·Σ|p|` would under autograd.
public struct TrainingOptimiser: Sendable {
    public enum Kind: String, Sendable, CaseIterable { case adam, sgd }
    public var kind: Kind
    public var learningRate: Float
    public var momentum: Float = 0.9
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// L2 penalty coefficient (PyTorch `weight_decay`).
    public var weightDecay: Float = 0
    /// L1 penalty coefficient.
    public var l1: Float = 0
    public private(set) var stepCount = 0
    private var first: [Float] = []
    private var second: [Float] = []

    public init(kind: Kind, learningRate: Float) {
        self.kind = kind
        self.learningRate = learningRate
    }

    /// The moment estimates (Adam: first then second; SGD: momentum buffer), for saving an optimiser mid-run.
    public var moments: (first: [Float], second: [Float]) { (first, second) }

    /// Continue from saved moments and step count (`moments`, `stepCount`); false when they do not fit `count`
    /// parameters of this kind of optimiser.
    public mutating func restore(stepCount: Int, first: [Float], second: [Float], count: Int) -> Bool {
        let secondCount = kind == .adam ? count : 0
        guard stepCount >= 0, first.count == count || (stepCount == 0 && first.isEmpty),
            second.count == secondCount || (stepCount == 0 && second.isEmpty)
        else { return false }
        self.stepCount = stepCount
        self.first = first
        self.second = second
        return true
    }

    /// Allocate the moments for `count` parameters now (so that the first `step` does not).
    public mutating func reserve(count: Int) {
        guard first.count != count else { return }
        first = [Float](repeating: 0, count: count)
        second = [Float](repeating: 0, count: kind == .adam ? count : 0)
    }

    /// One update of `parameters` from `gradients` (which this call may modify: penalties are added to it).
    public mutating func step(parameters: inout [Float], gradients: inout [Float]) {
        precondition(parameters.count == gradients.count)
        let n = parameters.count
        if first.count != n {
            first = [Float](repeating: 0, count: n)
            second = [Float](repeating: 0, count: kind == .adam ? n : 0)
        }
        stepCount += 1
        let lr = learningRate
        let wd = weightDecay
        let l1 = l1
        switch kind {
        case .sgd:
            let mu = momentum
            let firstStep = stepCount == 1
            for i in 0..<n {
                var g = gradients[i]
                if wd != 0 { g += wd * parameters[i] }
                if l1 != 0 { g += l1 * (parameters[i] > 0 ? 1 : parameters[i] < 0 ? -1 : 0) }
                if mu != 0 {
                    first[i] = firstStep ? g : mu * first[i] + g
                    g = first[i]
                }
                parameters[i] -= lr * g
            }
        case .adam:
            let b1 = beta1
            let b2 = beta2
            let correction1 = 1 - powf(b1, Float(stepCount))
            let correction2 = 1 - powf(b2, Float(stepCount))
            let stepSize = lr / correction1
            let root2 = correction2.squareRoot()
            for i in 0..<n {
                var g = gradients[i]
                if wd != 0 { g += wd * parameters[i] }
                if l1 != 0 { g += l1 * (parameters[i] > 0 ? 1 : parameters[i] < 0 ? -1 : 0) }
                first[i] = b1 * first[i] + (1 - b1) * g
                second[i] = b2 * second[i] + (1 - b2) * g * g
                let denominator = second[i].squareRoot() / root2 + epsilon
                parameters[i] -= stepSize * first[i] / denominator
            }
        }
    }

    /// Scale `gradients` so that their global L2 norm is at most `maxNorm` (PyTorch `clip_grad_norm_`:
    /// factor maxNorm / (norm + 1e-6), applied only when below 1). Returns the norm before clipping.
    @discardableResult
    public static func clipGlobalNorm(_ gradients: inout [Float], maxNorm: Float) -> Float {
        var sum = 0.0
        for g in gradients { sum += Double(g) * Double(g) }
        let norm = Float(sum.squareRoot())
        guard maxNorm > 0 else { return norm }
        let factor = maxNorm / (norm + 1e-6)
        if factor < 1 { for i in gradients.indices { gradients[i] *= factor } }
        return norm
    }
}
