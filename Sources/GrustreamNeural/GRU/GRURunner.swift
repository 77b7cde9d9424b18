import Foundation
import GrustreamKernels

/// A snapshot of one stream's state, for saving and restoring (not used on the hot path).
public struct GRUState: Sendable, Equatable {
    /// [layers × directions, hidden], PyTorch's h_n layout.
    public var hidden: Tensor
    /// Window mode: the last N frames [N, input], oldest first (nil in carry mode).
    public var window: Tensor?
    /// LSTM: the cell state c [layers × directions, hidden], PyTorch's c_n layout (nil for a GRU).
    public var cell: Tensor?

    public init(hidden: Tensor, window: Tensor? = nil, cell: Tensor? = nil) {
        self.hidden = hidden
        self.window = window
        self.cell = cell
    }
}

/// One stream: the model, its mutable state and preallocated scratch. `step` and `run` never allocate.
/// Carry mode runs chunks layer-major (`GRUSequenceWorkspace`); window mode keeps the first layer's input
/// projections of the last N frames in a ring, so a new frame costs one projection and N recurrent steps per
/// layer (layers above the first depend on the state and are re-run in full), bit-identical to a fresh re-run.
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
    /// [layers × directions, hiddenStride] carry: the carried state; window: the state after the last window run
    /// (`GRUBatchRunner.load/store` copy it in and out: the same layout as one stream of a batch)
    let hiddenState: UnsafeMutablePointer<Float>
    /// window: [N, inputStride] the last N frames, oldest first (nil in carry mode)
    private let window: UnsafeMutablePointer<Float>?
    /// window: the first layer's projections of the window's frames (nil in carry mode)
    private var ring: ProjectionRing?
    /// [capacity, paddedWidth(output)] head outputs before they are copied out
    private let headScratch: UnsafeMutablePointer<Float>
    private let sequence: GRUSequenceWorkspace
    /// window mode with mean or attention pooling: the head's input from the window's outputs (nil otherwise)
    private let pooler: WindowPooler?
    private let windowLength: Int
    /// The kernel family this runner runs (the one current when it was made).
    private var kernels: KernelTable { sequence.kernels }
    /// Frames per layer-major chunk in carry mode (longer runs are cut; the results do not depend on it).
    public static let chunkCapacity = 32

    /// - mode: nil → the model's mode. Carry mode refuses a bidirectional model.
    /// - initialState: [layers × directions, hidden] (or [layers × directions, 1, hidden]); nil → zeros.
    /// - initialCell: an LSTM's initial c, the same shape; nil → zeros.
    public init(
        model: GRUModel, mode: InferenceMode? = nil, initialState: Tensor? = nil, applyNormalisation: Bool = false,
        initialCell: Tensor? = nil
    ) throws {
        self.model = model
        self.mode = mode ?? model.mode
        self.applyNormalisation = applyNormalisation && model.normalisation != nil
        try model.requirePoolingMode(mode ?? model.mode)
        inputStride = paddedWidth(model.inputSize)
        hiddenStride = model.stateStride
        initial = scratch.allocate(model.stateRows * hiddenStride)
        hiddenState = scratch.allocate(model.stateRows * hiddenStride)
        switch self.mode {
        case .carry:
            if model.bidirectional {
                throw ModelLoadError(
                    "\(model.name): carry mode cannot run a bidirectional GRU (its reverse direction needs frames "
                        + "that have not arrived yet); use mode \"window:N\" or a whole-sequence infer")
            }
            windowLength = 0
            window = nil
            sequence = GRUSequenceWorkspace(model: model, capacity: Self.chunkCapacity)
            pooler = nil
        case .window(let n):
            guard (1...InferenceMode.maximumWindowFrames).contains(n) else {
                throw ModelLoadError(
                    "\(model.name): window length \(n), expected 1 to \(InferenceMode.maximumWindowFrames) frames")
            }
            windowLength = n
            window = scratch.allocate(n * inputStride)
            let slotStride = model.directions * model.packedLayers[0].projectionStride
            ring = ProjectionRing(base: scratch.allocate(n * slotStride), slots: n, slotStride: slotStride)
            sequence = GRUSequenceWorkspace(model: model, capacity: n)
            pooler = model.pooling == .last ? nil : WindowPooler(model: model, frames: n, kernels: sequence.kernels)
        }
        headScratch = scratch.allocate(sequence.capacity * paddedWidth(model.outputSize))
        if let initialState {
            try Self.copyState(initialState, model: model, to: initial, stride: hiddenStride)
        }
        if let initialCell {
            guard model.hasCellState else {
                throw ModelLoadError("\(model.name): an initial cell state was given, but the model is a GRU")
            }
            try Self.copyState(
                initialCell, model: model, to: initial + paddedWidth(model.hiddenSize), stride: hiddenStride)
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
        if let window {
            window.update(repeating: 0, count: windowLength * inputStride)
            projectWindow()
        }
    }

    /// Window mode: the ring's projections of every frame in `window`, oldest in slot 0 (the same kernel and
    /// order as a frame's projection when it arrives).
    private func projectWindow() {
        guard let window, var ring else { return }
        for d in 0..<model.directions {
            kernels.project(
                model.packedLayers[d], inputs: window, inputStride: inputStride, count: windowLength,
                projections: ring.base + d * model.packedLayers[d].projectionStride, projectionStride: ring.slotStride)
        }
        ring.oldest = 0
        self.ring = ring
    }

    /// The current hidden state [layers × directions, hidden] (window mode: after the last window run).
    public var hidden: Tensor { stateTensor(offset: 0) }

    /// LSTM: the current cell state c [layers × directions, hidden]; nil for a GRU.
    public var cell: Tensor? { model.hasCellState ? stateTensor(offset: paddedWidth(model.hiddenSize)) : nil }

    /// [stateRows, hidden] from each padded state row, starting `offset` floats into the row.
    private func stateTensor(offset: Int) -> Tensor {
        let h = model.hiddenSize
        var values = [Float](repeating: 0, count: model.stateRows * h)
        for r in 0..<model.stateRows {
            for j in 0..<h { values[r * h + j] = hiddenState[r * hiddenStride + offset + j] }
        }
        return Tensor(shape: [model.stateRows, h], scalars: values)
    }

    /// One frame: input [input] → output [outputSize].
    public func step(_ input: UnsafeBufferPointer<Float>, output: UnsafeMutableBufferPointer<Float>) {
        precondition(
            input.count == model.inputSize, "GRURunner.step: \(input.count) inputs, expected \(model.inputSize)")
        precondition(output.count >= model.outputSize, "GRURunner.step: output has room for \(output.count)")
        run(input.baseAddress!, count: 1, outputs: output.baseAddress!, top: nil)
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
        run(frames.baseAddress!, count: count, outputs: outputs.baseAddress!, top: topHidden?.baseAddress)
    }

    private func run(
        _ input: UnsafePointer<Float>, count: Int, outputs: UnsafeMutablePointer<Float>,
        top: UnsafeMutablePointer<Float>?
    ) {
        let i = model.inputSize
        var t = 0
        while t < count {
            let n = window == nil ? min(sequence.capacity, count - t) : 1
            let frameTop = top.map { $0 + t * model.topSize }
            runChunk(input + t * i, count: n, outputs: outputs + t * model.outputSize, top: frameTop)
            t += n
        }
    }

    /// carry: `count` ≤ capacity frames; window: one frame.
    private func runChunk(
        _ input: UnsafePointer<Float>, count: Int, outputs: UnsafeMutablePointer<Float>,
        top: UnsafeMutablePointer<Float>?
    ) {
        let n = model.inputSize
        let topOutput: UnsafePointer<Float>
        var headInput: UnsafePointer<Float>? = nil
        if let window, var ring {
            // The new frame replaces the oldest: shifted into `window`, projected into the oldest slot of the ring.
            window.update(from: window + inputStride, count: (windowLength - 1) * inputStride)
            let x = window + (windowLength - 1) * inputStride
            normalise(input, into: x)
            for d in 0..<model.directions {
                let layer = model.packedLayers[d]
                kernels.project(
                    layer, inputs: x, inputStride: inputStride, count: 1,
                    projections: ring.base + ring.oldest * ring.slotStride + d * layer.projectionStride,
                    projectionStride: ring.slotStride)
            }
            ring.oldest = ring.oldest + 1 == windowLength ? 0 : ring.oldest + 1
            self.ring = ring
            let all = sequence.run(count: windowLength, initial: initial, final: hiddenState, ring: ring)
            topOutput = all + (windowLength - 1) * sequence.topStride
            if let pooler {
                pooler.pool(all, stride: sequence.topStride)
                headInput = UnsafePointer(pooler.context)
            }
        } else {
            for t in 0..<count { normalise(input + t * n, into: sequence.frames + t * inputStride) }
            topOutput = sequence.run(count: count, initial: hiddenState, final: hiddenState)
        }
        let topSize = model.topSize
        if let top {
            for t in 0..<count { (top + t * topSize).update(from: topOutput + t * sequence.topStride, count: topSize) }
        }
        if let head = model.packedHead {
            kernels.headStep(
                head, activation: model.outputActivation, inputs: headInput ?? topOutput,
                inputStride: sequence.topStride, count: count, scratch: headScratch, outputs: outputs)
        } else if let headInput {
            outputs.update(from: headInput, count: topSize)
        } else {
            for t in 0..<count {
                (outputs + t * topSize).update(from: topOutput + t * sequence.topStride, count: topSize)
            }
        }
    }

    /// Window mode with mean or attention pooling: the pooling weights of the last window (attention: α, mean: 1/N),
    /// [N], oldest frame first; nil otherwise. Valid until the next frame.
    public var poolingWeights: UnsafeBufferPointer<Float>? {
        pooler.map { UnsafeBufferPointer(start: $0.weights, count: $0.frames) }
    }

    /// x = (input − mean) / std with `applyNormalisation`, else a copy; [input] each.
    @inline(__always)
    private func normalise(_ input: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>) {
        let n = model.inputSize
        if applyNormalisation, let norm = model.normalisation {
            norm.apply(input, into: x)
        } else {
            x.update(from: input, count: n)
        }
    }

    /// A snapshot of the stream's state.
    public var state: GRUState {
        guard let window else { return GRUState(hidden: hidden, cell: cell) }
        var values: [Float] = []
        for t in 0..<windowLength {
            values += UnsafeBufferPointer(start: window + t * inputStride, count: model.inputSize)
        }
        return GRUState(
            hidden: hidden, window: Tensor(shape: [windowLength, model.inputSize], scalars: values), cell: cell)
    }

    /// Continue from a snapshot taken with `state`.
    /// An LSTM snapshot without a cell state starts from c = 0; a GRU model ignores a snapshot's cell state.
    public func restore(_ snapshot: GRUState) throws {
        try Self.copyState(snapshot.hidden, model: model, to: hiddenState, stride: hiddenStride)
        if model.hasCellState {
            let c = hiddenState + paddedWidth(model.hiddenSize)
            if let cell = snapshot.cell {
                try Self.copyState(cell, model: model, to: c, stride: hiddenStride)
            } else {
                for r in 0..<model.stateRows { (c + r * hiddenStride).update(repeating: 0, count: model.hiddenSize) }
            }
        }
        guard let frames = window, let window = snapshot.window else { return }
        guard window.shape == [windowLength, model.inputSize] else {
            throw ModelLoadError(
                "\(model.name): window snapshot is \(window.shapeDescription), expected [\(windowLength), \(model.inputSize)]"
            )
        }
        for t in 0..<windowLength {
            for j in 0..<model.inputSize { frames[t * inputStride + j] = window.scalars[t * model.inputSize + j] }
        }
        projectWindow()
    }
}
