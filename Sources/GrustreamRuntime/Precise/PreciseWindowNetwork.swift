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
/// goldens). Recurrent weights are stored transposed and zero-padded to SIMD8 blocks ([H][r | z] and [H][n]), so
/// each hidden unit adds one column to every output with whole-vector multiply-adds. Padding lanes of h stay 0
/// (their weights, projections and candidates are 0). Nothing is allocated per frame.
final class PreciseWindowNetwork {
    typealias Vector = SIMD8<Float>
    let inputSize: Int
    let hiddenSize: Int
    let windowFrames: Int
    /// SIMD8 blocks per hidden-sized vector (H padded to a multiple of 8 with zeros).
    private let blocks: Int
    private let hardSigmoid: Bool
    private let tanhCandidate: Bool
    /// [3H, I] input weights, rows r, z, n
    private let inputWeights: [Float]
    /// [3H] input bias (zeros without one)
    private let inputBias: [Float]
    /// [H][2·blocks]: row j = (column j of W_hr, padded | column j of W_hz, padded)
    private let recurrentRZ: UnsafeMutablePointer<Vector>
    /// [H][blocks]: row j = column j of W_hn, padded
    private let recurrentN: UnsafeMutablePointer<Vector>
    /// [H] head weight, and its bias
    private let headWeight: [Float]
    private let headBias: Float
    /// [N][3·blocks] ring of input projections (r | z | n, each padded); slot `newest` holds the newest frame's
    private let projections: UnsafeMutablePointer<Vector>
    private var newest: Int
    /// [blocks] h; [2·blocks] r | z; [blocks] r ⊙ h; [blocks] n. Padding lanes stay 0 in h.
    private let hidden: UnsafeMutablePointer<Vector>
    private let gates: UnsafeMutablePointer<Vector>
    private let resetHidden: UnsafeMutablePointer<Vector>
    private let candidate: UnsafeMutablePointer<Vector>

    /// nil when the model is not a single-layer, unidirectional `reset_after=False` GRU with one sigmoid output
    /// (callers then use the general `GRURunner`).
    init?(model: GRUModel, windowFrames: Int) {
        guard model.layerCount == 1, !model.bidirectional, model.normalisation == nil, model.headSize == 1,
            let layer = model.layers.first, !layer.resetAfter, layer.biasHH == nil,
            model.outputActivation == .sigmoid, model.gateActivation != .hardSigmoidV3,
            let head = model.headWeight
        else { return nil }
        let h = model.hiddenSize
        let b = (h + 7) / 8
        inputSize = model.inputSize
        hiddenSize = h
        blocks = b
        self.windowFrames = windowFrames
        hardSigmoid = model.gateActivation == .hardSigmoid
        tanhCandidate = model.candidateActivation == .tanh
        inputWeights = layer.weightIH
        inputBias = layer.biasIH ?? [Float](repeating: 0, count: 3 * h)
        func vectors(_ count: Int) -> UnsafeMutablePointer<Vector> {
            let p = UnsafeMutablePointer<Vector>.allocate(capacity: count)
            p.initialize(repeating: Vector(repeating: 0), count: count)
            return p
        }
        recurrentRZ = vectors(h * 2 * b)
        recurrentN = vectors(h * b)
        for j in 0..<h {
            for k in 0..<h {
                recurrentRZ[j * 2 * b + k / 8][k % 8] = layer.weightHH[k * h + j]  // W_hr[k, j]
                recurrentRZ[j * 2 * b + b + k / 8][k % 8] = layer.weightHH[(h + k) * h + j]  // W_hz[k, j]
                recurrentN[j * b + k / 8][k % 8] = layer.weightHH[(2 * h + k) * h + j]  // W_hn[k, j]
            }
        }
        headWeight = head
        headBias = model.headBias?.first ?? 0
        projections = vectors(windowFrames * 3 * b)
        hidden = vectors(b)
        gates = vectors(2 * b)
        resetHidden = vectors(b)
        candidate = vectors(b)
        newest = windowFrames - 1
        reset()
    }

    deinit {
        for p in [recurrentRZ, recurrentN, projections, hidden, gates, resetHidden, candidate] { p.deallocate() }
    }

    /// A window of zero frames (each projects to the input bias).
    func reset() {
        for slot in 0..<windowFrames { project(nil, into: projections + slot * 3 * blocks) }
        newest = windowFrames - 1
    }

    /// p = W_i·x + b_i (x nil: a zero frame), gate g's H values at vector block g·blocks.
    private func project(_ frame: UnsafePointer<Float>?, into p: UnsafeMutablePointer<Vector>) {
        let h = hiddenSize
        inputWeights.withUnsafeBufferPointer { w in
            for row in 0..<(3 * h) {
                var acc = inputBias[row]
                if let frame {
                    let wr = w.baseAddress! + row * inputSize
                    for c in 0..<inputSize { acc += wr[c] * frame[c] }
                }
                let gate = row / h
                let k = row % h
                p[gate * blocks + k / 8][k % 8] = acc
            }
        }
    }

    /// Shift `frame` [input] into the window and return the network's output for the window.
    func push(_ frame: UnsafePointer<Float>) -> Float {
        newest = newest + 1 == windowFrames ? 0 : newest + 1
        project(frame, into: projections + newest * 3 * blocks)
        return evaluate()
    }

    /// Run the window, oldest frame first, from a zero state.
    private func evaluate() -> Float {
        let h = hiddenSize
        let b = blocks
        let zero = Vector(repeating: 0)
        let one = Vector(repeating: 1)
        hidden.update(repeating: zero, count: b)
        var slot = newest + 1 == windowFrames ? 0 : newest + 1
        let hiddenScalars = UnsafeMutableRawPointer(hidden).assumingMemoryBound(to: Float.self)
        let resetScalars = UnsafeMutableRawPointer(resetHidden).assumingMemoryBound(to: Float.self)
        for _ in 0..<windowFrames {
            let p = projections + slot * 3 * b
            // r | z pre-activations: p + (W_hr | W_hz) h, one column of both per hidden unit j
            Self.multiplyAdd(into: gates, from: p, width: 2 * b, rows: recurrentRZ, scalars: hiddenScalars, count: h)
            // (scalar loops over the flat lanes: they vectorise to min/max; SIMD8's generic pointwiseMin does not)
            let g = UnsafeMutableRawPointer(gates).assumingMemoryBound(to: Float.self)
            if hardSigmoid {
                for k in 0..<(16 * b) { g[k] = min(max(0.2 * g[k] + 0.5, 0), 1) }
            } else {
                for k in 0..<(16 * b) { g[k] = 1 / (1 + expf(-g[k])) }
            }
            for v in 0..<b { resetHidden[v] = gates[v] * hidden[v] }
            Self.multiplyAdd(
                into: candidate, from: p + 2 * b, width: b, rows: recurrentN, scalars: resetScalars, count: h)
            if tanhCandidate {
                let c = UnsafeMutableRawPointer(candidate).assumingMemoryBound(to: Float.self)
                for k in 0..<h { c[k] = tanhf(c[k]) }
            }
            for v in 0..<b {
                let z = gates[b + v]
                hidden[v] = (one - z) * candidate[v] + z * hidden[v]
            }
            slot = slot + 1 == windowFrames ? 0 : slot + 1
        }
        var logit = headBias
        for k in 0..<h { logit += headWeight[k] * hiddenScalars[k] }
        return 1 / (1 + expf(-logit))
    }

    /// out[v] = initial[v] + Σ_j scalars[j] · rows[j · width + v] for v < width, with the accumulators in registers
    /// (tiles of 4 vectors; otherwise each step of j would reload and store `out`, a memory dependency chain).
    @inline(__always)
    private static func multiplyAdd(
        into out: UnsafeMutablePointer<Vector>, from initial: UnsafePointer<Vector>, width: Int,
        rows: UnsafePointer<Vector>, scalars: UnsafePointer<Float>, count: Int
    ) {
        var v = 0
        while v + 4 <= width {
            var a0 = initial[v], a1 = initial[v + 1], a2 = initial[v + 2], a3 = initial[v + 3]
            for j in 0..<count {
                let s = Vector(repeating: scalars[j])
                let r = rows + j * width + v
                a0 += s * r[0]
                a1 += s * r[1]
                a2 += s * r[2]
                a3 += s * r[3]
            }
            out[v] = a0
            out[v + 1] = a1
            out[v + 2] = a2
            out[v + 3] = a3
            v += 4
        }
        while v + 2 <= width {
            var a0 = initial[v], a1 = initial[v + 1]
            var b0 = Vector(repeating: 0), b1 = Vector(repeating: 0)
            var j = 0
            while j + 1 < count {
                let s = Vector(repeating: scalars[j])
                let t = Vector(repeating: scalars[j + 1])
                let r = rows + j * width + v
                let q = r + width
                a0 += s * r[0]
                a1 += s * r[1]
                b0 += t * q[0]
                b1 += t * q[1]
                j += 2
            }
            if j < count {
                let s = Vector(repeating: scalars[j])
                let r = rows + j * width + v
                a0 += s * r[0]
                a1 += s * r[1]
            }
            out[v] = a0 + b0
            out[v + 1] = a1 + b1
            v += 2
        }
        while v < width {
            var a0 = initial[v]
            var b0 = Vector(repeating: 0)
            var j = 0
            while j + 1 < count {
                a0 += Vector(repeating: scalars[j]) * rows[j * width + v]
                b0 += Vector(repeating: scalars[j + 1]) * rows[(j + 1) * width + v]
                j += 2
            }
            if j < count { a0 += Vector(repeating: scalars[j]) * rows[j * width + v] }
            out[v] = a0 + b0
            v += 1
        }
    }
}
