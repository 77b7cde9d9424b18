import Foundation

/// A snapshot of one stream's state, for saving and restoring (not used on the hot path).
public struct GRUState: Sendable, Equatable {
    /// [layers × directions, hidden], PyTorch's h_n layout.
    public var hidden: Tensor
    /// Window mode: the last N frames [N, input], oldest first (nil in carry mode).
    public var window: Tensor?

    public init(hidden: Tensor, window: Tensor? = nil) {
        self.hidden = hidden
        self.window = window
    }
}

/// One stream: the model, its mutable state and preallocated scratch. `step` and `run` never allocate.
public final class GRURunner {
    public let model: GRUModel
    public let mode: InferenceMode
    /// Whether inputs are normalised with the model's `norm.mean` / `norm.std` before the GRU.
    public let applyNormalisation: Bool
    private let scratch = FloatScratch()
    private let inputStride: Int
    private let hiddenStride: Int
    /// [layers × directions, hiddenStride] the state `reset()` returns to
    private let initial: UnsafeMutablePointer<Float>
    /// carry: [layers, hiddenStride] the carried state
    private let hiddenState: UnsafeMutablePointer<Float>
    /// carry: [paddedWidth(input)] the current frame; window: [N, paddedWidth(input)], oldest first
    private let frames: UnsafeMutablePointer<Float>
    /// [3*hidden] each
    private let gates: UnsafeMutablePointer<Float>
    private let recurrent: UnsafeMutablePointer<Float>
    /// [hiddenStride]
    private let resetHidden: UnsafeMutablePointer<Float>
    private let sequence: GRUSequenceWorkspace?
    private let windowLength: Int

    /// - mode: nil → the model's mode. Carry mode refuses a bidirectional model.
    /// - initialState: [layers × directions, hidden] (or [layers × directions, 1, hidden]); nil → zeros.
    public init(
        model: GRUModel, mode: InferenceMode? = nil, initialState: Tensor? = nil, applyNormalisation: Bool = false
    ) throws {
        self.model = model
        self.mode = mode ?? model.mode
        self.applyNormalisation = applyNormalisation && model.normalisation != nil
        inputStride = paddedWidth(model.inputSize)
        hiddenStride = paddedWidth(model.hiddenSize)
        initial = scratch.allocate(model.stateRows * hiddenStride)
        hiddenState = scratch.allocate(model.stateRows * hiddenStride)
        gates = scratch.allocate(3 * model.hiddenSize)
        recurrent = scratch.allocate(3 * model.hiddenSize)
        resetHidden = scratch.allocate(hiddenStride)
        switch self.mode {
        case .carry:
            if model.bidirectional {
                throw ModelLoadError(
                    "\(model.name): carry mode cannot run a bidirectional GRU (its reverse direction needs frames "
                        + "that have not arrived yet); use mode \"window:N\" or a whole-sequence infer")
            }
            windowLength = 1
            sequence = nil
        case .window(let n):
            guard n >= 1 else { throw ModelLoadError("\(model.name): window length \(n), expected ≥ 1") }
            windowLength = n
            sequence = GRUSequenceWorkspace(model: model, capacity: n)
        }
        frames = scratch.allocate(windowLength * inputStride)
        if let initialState {
            try Self.copyState(initialState, model: model, to: initial, stride: hiddenStride)
        }
        reset()
    }

    /// Copy a [rows, hidden] (or [rows, 1, hidden]) tensor into a padded [rows, stride] buffer.
    static func copyState(_ t: Tensor, model: GRUModel, to p: UnsafeMutablePointer<Float>, stride: Int) throws {
        let rows = model.stateRows
        let h = model.hiddenSize
        guard t.shape == [rows, h] || t.shape == [rows, 1, h] else {
            throw ModelLoadError(
                "\(model.name): initial state is \(t.shapeDescription), expected [\(rows), \(h)] (layers × directions, hidden)"
            )
        }
        guard t.scalars.allSatisfy(\.isFinite) else {
            throw ModelLoadError("\(model.name): initial state holds a non-finite value")
        }
        for r in 0..<rows {
            for j in 0..<h { p[r * stride + j] = t.scalars[r * h + j] }
        }
    }

    /// Back to the initial state (and, in window mode, a window of zero frames).
    public func reset() {
        hiddenState.update(from: initial, count: model.stateRows * hiddenStride)
        sequence?.final.update(from: initial, count: model.stateRows * hiddenStride)
        frames.update(repeating: 0, count: windowLength * inputStride)
    }

    /// The current hidden state [layers × directions, hidden] (window mode: after the last window run).
    public var hidden: Tensor {
        let h = model.hiddenSize
        let source = sequence?.final ?? hiddenState
        var values = [Float](repeating: 0, count: model.stateRows * h)
        for r in 0..<model.stateRows { for j in 0..<h { values[r * h + j] = source[r * hiddenStride + j] } }
        return Tensor(shape: [model.stateRows, h], scalars: values)
    }

    /// One frame: input [input] → output [outputSize].
    public func step(_ input: UnsafeBufferPointer<Float>, output: UnsafeMutableBufferPointer<Float>) {
        precondition(
            input.count == model.inputSize, "GRURunner.step: \(input.count) inputs, expected \(model.inputSize)")
        precondition(output.count >= model.outputSize, "GRURunner.step: output has room for \(output.count)")
        step(input.baseAddress!, output: output.baseAddress!, top: nil)
    }

    /// A chunk: frames [count, input] → outputs [count, outputSize]; `topHidden` [count, topSize] if given
    /// receives the top layer's output. Same results, bit for bit, however the stream is cut into chunks.
    public func run(
        _ frames: UnsafeBufferPointer<Float>, count: Int, outputs: UnsafeMutableBufferPointer<Float>,
        topHidden: UnsafeMutableBufferPointer<Float>? = nil
    ) {
        let i = model.inputSize
        let o = model.outputSize
        let top = model.topSize
        precondition(frames.count >= count * i && outputs.count >= count * o, "GRURunner.run: buffers too small")
        precondition((topHidden?.count ?? count * top) >= count * top, "GRURunner.run: topHidden too small")
        guard count > 0 else { return }
        for t in 0..<count {
            step(
                frames.baseAddress! + t * i, output: outputs.baseAddress! + t * o,
                top: topHidden?.baseAddress.map { $0 + t * top })
        }
    }

    private func step(
        _ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, top: UnsafeMutablePointer<Float>?
    ) {
        let n = model.inputSize
        // The new frame goes to the end of the window (carry: the window is that one frame).
        if windowLength > 1 { frames.update(from: frames + inputStride, count: (windowLength - 1) * inputStride) }
        let x = frames + (windowLength - 1) * inputStride
        if applyNormalisation, let norm = model.normalisation {
            norm.mean.withUnsafeBufferPointer { mean in
                norm.std.withUnsafeBufferPointer { std in for j in 0..<n { x[j] = (input[j] - mean[j]) / std[j] } }
            }
        } else {
            x.update(from: input, count: n)
        }
        let topOutput: UnsafePointer<Float>
        if let sequence {
            let outputs = sequence.run(frames: frames, count: windowLength, initial: initial)
            topOutput = outputs + (windowLength - 1) * sequence.topStride
        } else {
            var layerInput = UnsafePointer(x)
            for k in 0..<model.layerCount {
                let state = hiddenState + k * hiddenStride
                GRUKernels.layerStep(
                    model.packedLayers[k], gate: model.gateActivation, candidate: model.candidateActivation,
                    inputs: layerInput, inputStride: 0, hidden: state, hiddenStride: 0, batch: 1, gates: gates,
                    recurrent: recurrent, resetHidden: resetHidden)
                layerInput = UnsafePointer(state)
            }
            topOutput = layerInput
        }
        top?.update(from: topOutput, count: model.topSize)
        if let head = model.packedHead {
            GRUKernels.headStep(
                head, activation: model.outputActivation, inputs: topOutput, inputStride: 0, batch: 1, outputs: output)
        } else {
            output.update(from: topOutput, count: model.topSize)
        }
    }

    /// A snapshot of the stream's state.
    public var state: GRUState {
        guard sequence != nil else { return GRUState(hidden: hidden) }
        var values: [Float] = []
        for t in 0..<windowLength {
            values += UnsafeBufferPointer(start: frames + t * inputStride, count: model.inputSize)
        }
        return GRUState(hidden: hidden, window: Tensor(shape: [windowLength, model.inputSize], scalars: values))
    }

    /// Continue from a snapshot taken with `state`.
    public func restore(_ snapshot: GRUState) throws {
        try Self.copyState(snapshot.hidden, model: model, to: sequence?.final ?? hiddenState, stride: hiddenStride)
        guard let window = snapshot.window else { return }
        guard window.shape == [windowLength, model.inputSize] else {
            throw ModelLoadError(
                "\(model.name): window snapshot is \(window.shapeDescription), expected [\(windowLength), \(model.inputSize)]"
            )
        }
        for t in 0..<windowLength {
            for j in 0..<model.inputSize { frames[t * inputStride + j] = window.scalars[t * model.inputSize + j] }
        }
    }
}
