import Foundation
import GrustreamNeural

/// The Precise network evaluated over a sliding window, computing each frame's input projection once.
///
/// Precise re-runs its single-layer GRU over the last N frames from a zero state for every new frame, so frame t
/// enters N windows. The input projection W_i·x_t + b_i does not depend on the window: it is computed once when
/// the frame arrives and kept in a ring of N slots (zero frames project to b_i); each window evaluation then only
/// does the recurrent products. Same equations as the GRU engine's Keras form (`reset_after=False`, converted to
/// PyTorch order r, z, n by `GRULayerWeights.fromKeras`):
///   r = g(p_r + W_hr h), z = g(p_z + W_hz h), n = c(p_n + W_hn (r ⊙ h)), h' = (1 − z) ⊙ n + z ⊙ h,
/// then y = sigmoid(w·h + b); g = `hard_sigmoid` clip(0.2x + 0.5, 0, 1) or `sigmoid`, c = linear or tanh.
/// Results equal `GRURunner` in `window:N` mode up to float rounding (≤ 1.5e-6 here; tests compare both with the
/// goldens). Recurrent weights are stored transposed ([H][2H] for r, z and [H][H] for n) so the inner loops run
/// over contiguous outputs and vectorise. Nothing is allocated per frame.
final class PreciseWindowNetwork {
    let inputSize: Int
    let hiddenSize: Int
    let windowFrames: Int
    private let hardSigmoid: Bool
    private let tanhCandidate: Bool
    /// [3H, I] input weights, rows r, z, n
    private let inputWeights: [Float]
    /// [3H] input bias (zeros without one)
    private let inputBias: [Float]
    /// [H][2H]: column j of W_hr and W_hz, i.e. (W_hr | W_hz)ᵀ
    private let recurrentRZ: UnsafeMutablePointer<Float>
    /// [H][H]: W_hnᵀ
    private let recurrentN: UnsafeMutablePointer<Float>
    /// [H] head weight, and its bias
    private let headWeight: [Float]
    private let headBias: Float
    /// [N][3H] ring of input projections; slot `newest` holds the newest frame's
    private let projections: UnsafeMutablePointer<Float>
    private var newest: Int
    /// [H], [2H], [H], [H] scratch
    private let hidden: UnsafeMutablePointer<Float>
    private let gates: UnsafeMutablePointer<Float>
    private let resetHidden: UnsafeMutablePointer<Float>
    private let candidate: UnsafeMutablePointer<Float>

    /// nil when the model is not a single-layer, unidirectional `reset_after=False` GRU with one sigmoid output
    /// (callers then use the general `GRURunner`).
    init?(model: GRUModel, windowFrames: Int) {
        guard model.layerCount == 1, !model.bidirectional, model.normalisation == nil, model.headSize == 1,
            let layer = model.layers.first, !layer.resetAfter, layer.biasHH == nil,
            model.outputActivation == .sigmoid, model.gateActivation != .hardSigmoidV3,
            let head = model.headWeight
        else { return nil }
        let h = model.hiddenSize
        let i = model.inputSize
        inputSize = i
        hiddenSize = h
        self.windowFrames = windowFrames
        hardSigmoid = model.gateActivation == .hardSigmoid
        tanhCandidate = model.candidateActivation == .tanh
        inputWeights = layer.weightIH
        inputBias = layer.biasIH ?? [Float](repeating: 0, count: 3 * h)
        recurrentRZ = .allocate(capacity: h * 2 * h)
        recurrentN = .allocate(capacity: h * h)
        for j in 0..<h {
            for k in 0..<(2 * h) { recurrentRZ[j * 2 * h + k] = layer.weightHH[k * h + j] }
            for k in 0..<h { recurrentN[j * h + k] = layer.weightHH[(2 * h + k) * h + j] }
        }
        headWeight = head
        headBias = model.headBias?.first ?? 0
        projections = .allocate(capacity: windowFrames * 3 * h)
        hidden = .allocate(capacity: h)
        gates = .allocate(capacity: 2 * h)
        resetHidden = .allocate(capacity: h)
        candidate = .allocate(capacity: h)
        newest = windowFrames - 1
        reset()
    }

    deinit {
        for p in [recurrentRZ, recurrentN, projections, hidden, gates, resetHidden, candidate] { p.deallocate() }
    }

    /// A window of zero frames.
    func reset() {
        let h3 = 3 * hiddenSize
        for slot in 0..<windowFrames {
            for k in 0..<h3 { projections[slot * h3 + k] = inputBias[k] }
        }
        newest = windowFrames - 1
    }

    /// Shift `frame` [input] into the window and return the network's output for the window.
    func push(_ frame: UnsafePointer<Float>) -> Float {
        let h3 = 3 * hiddenSize
        newest = newest + 1 == windowFrames ? 0 : newest + 1
        let p = projections + newest * h3
        inputWeights.withUnsafeBufferPointer { w in
            for row in 0..<h3 {
                var acc = inputBias[row]
                let wr = w.baseAddress! + row * inputSize
                for c in 0..<inputSize { acc += wr[c] * frame[c] }
                p[row] = acc
            }
        }
        return evaluate()
    }

    /// Run the window, oldest frame first, from a zero state.
    private func evaluate() -> Float {
        let h = hiddenSize
        let h2 = 2 * h
        let h3 = 3 * h
        hidden.update(repeating: 0, count: h)
        var slot = newest + 1 == windowFrames ? 0 : newest + 1
        for _ in 0..<windowFrames {
            let p = projections + slot * h3
            // r, z pre-activations: p + (W_hr | W_hz) h
            for k in 0..<h2 { gates[k] = p[k] }
            for j in 0..<h {
                let hj = hidden[j]
                let row = recurrentRZ + j * h2
                for k in 0..<h2 { gates[k] += hj * row[k] }
            }
            if hardSigmoid {
                for k in 0..<h2 { gates[k] = min(max(0.2 * gates[k] + 0.5, 0), 1) }
            } else {
                for k in 0..<h2 { gates[k] = 1 / (1 + expf(-gates[k])) }
            }
            for k in 0..<h { resetHidden[k] = gates[k] * hidden[k] }
            for k in 0..<h { candidate[k] = p[h2 + k] }
            for j in 0..<h {
                let rj = resetHidden[j]
                let row = recurrentN + j * h
                for k in 0..<h { candidate[k] += rj * row[k] }
            }
            if tanhCandidate { for k in 0..<h { candidate[k] = tanhf(candidate[k]) } }
            for k in 0..<h {
                let z = gates[h + k]
                hidden[k] = (1 - z) * candidate[k] + z * hidden[k]
            }
            slot = slot + 1 == windowFrames ? 0 : slot + 1
        }
        var logit = headBias
        for k in 0..<h { logit += headWeight[k] * hidden[k] }
        return 1 / (1 + expf(-logit))
    }
}
