import GrustreamNeural

/// One stream's online learning (`[model] online_learning`): a next-frame predictor that keeps training on the
/// stream's own normalised feature frames with `grustream train`'s code (`TrainingSession`: the BPTT graph,
/// MSE loss, gradient clipping at 1, Adam).
///
/// Schedule, in frames of the stream (never in reads, so any chunking of the input gives the same weights): after
/// frame count n = k · `every` (n > `window`), one step trains on the `window` most recent frames: inputs frames
/// n−1−window … n−2, targets n−window … n−1 (all ≤ the current frame), starting from the hidden state the stream's
/// runner had before frame n−1−window (kept when the stream reached it: truncated BPTT, no gradient into it).
/// The step's new weights are repacked into the stream's own model, used from frame n on.
///
/// Memory, all allocated at start (nothing per frame or per step): the stream's copy of the model, the
/// parameters and Adam's two moments (3 × parameters floats), the training graph for `window` steps, a ring of
/// the last `window` + 1 frames and the starting states of the windows to come.
package final class OnlineLearner {
    /// The stream's own copy of the shared model; its weights change at every step.
    package let model: GRUModel
    let window: Int
    let every: Int
    let session: TrainingSession
    private let dimension: Int
    private let stateSize: Int
    /// The last `window` + 1 frames [window + 1, dimension]; frame f is row f % (window + 1).
    private var ring: [Float]
    /// Window inputs and targets [window, dimension], filled from the ring at each step.
    private var inputs: [Float]
    private var targets: [Float]
    /// Starting states [layers · hidden] of the windows of the coming steps, oldest first (`pendingStates` used).
    private var startStates: [[Float]]
    private var firstPendingState = 0
    private(set) var pendingStates = 0
    /// Frames seen (pushed into the ring).
    private(set) var frames = 0
    /// Optimiser steps taken, and the mean squared error of the last one (before its update).
    private(set) var steps = 0
    private(set) var lastLoss: Float = .nan

    package init(shared: GRUModel, options: ModelOptions) throws {
        let (copy, parameters) = try shared.trainableCopy()
        model = copy
        window = options.onlineWindowFrames
        every = options.onlineEveryFrames
        dimension = shared.inputSize
        stateSize = shared.layerCount * shared.hiddenSize
        var training = TrainingOptions()
        training.task = .predict
        training.optimiser = .adam
        training.learningRate = options.onlineLearningRate
        training.dropout = 0
        session = TrainingSession(parameters: parameters, options: training, maxBatch: 1, maxSteps: window)
        ring = [Float](repeating: 0, count: (window + 1) * dimension)
        inputs = [Float](repeating: 0, count: window * dimension)
        targets = [Float](repeating: 0, count: window * dimension)
        let size = shared.layerCount * shared.hiddenSize
        startStates = (0..<Self.stateSlots(window: window, every: every)).map { _ in
            [Float](repeating: 0, count: size)
        }
        // The first window may start at frame 0, from the runner's zero state.
        if (window + 1) % every == 0 { pendingStates = 1 }
    }

    /// Windows whose starting state is held at once: captures happen window + 1 frames before their step.
    static func stateSlots(window: Int, every: Int) -> Int { (window + 1) / every + 2 }

    /// Bytes of state file one stream adds (parameters and two moments, the ring, the starting states).
    static func stateBytes(parameters: Int, dimension: Int, layers: Int, hidden: Int, window: Int, every: Int) -> Int {
        4 * (3 * parameters + (window + 1) * dimension + stateSlots(window: window, every: every) * layers * hidden)
    }

    /// Frames the runner may run before the learner must see the stream again (a step or a state to keep).
    package var framesToNextEvent: Int {
        let toStep = every - frames % every
        let toCapture = every - (frames + window + 1) % every
        return min(toStep, toCapture)
    }

    /// `count` ≤ `framesToNextEvent` frames [count, dimension] the runner has just run; then the state to keep
    /// and the step due at the new frame count, if any.
    package func append(_ rows: UnsafePointer<Float>, count: Int, runner: GRURunner) {
        let d = dimension
        ring.withUnsafeMutableBufferPointer { r in
            for i in 0..<count {
                (r.baseAddress! + ((frames + i) % (window + 1)) * d).update(from: rows + i * d, count: d)
            }
        }
        frames += count
        if (frames + window + 1) % every == 0 && pendingStates < startStates.count {
            let slot = (firstPendingState + pendingStates) % startStates.count
            startStates[slot].withUnsafeMutableBufferPointer { runner.copyHiddenState(into: $0.baseAddress!) }
            pendingStates += 1
        }
        if frames % every == 0 && frames > window { step() }
    }

    private func step() {
        // The state kept window + 1 frames ago belongs to this window.
        guard pendingStates > 0 else { return }
        let slot = firstPendingState
        firstPendingState = (firstPendingState + 1) % startStates.count
        pendingStates -= 1
        let d = dimension
        let span = window + 1
        let first = frames - 1 - window
        for t in 0..<window {
            let inputRow = ((first + t) % span) * d
            let targetRow = ((first + t + 1) % span) * d
            for j in 0..<d {
                inputs[t * d + j] = ring[inputRow + j]
                targets[t * d + j] = ring[targetRow + j]
            }
        }
        let count = window * d
        lastLoss = session.step(input: inputs, batch: 1, steps: window, initialState: startStates[slot]) {
            outputs, gradient in
            targets.withUnsafeBufferPointer {
                TrainingLoss.meanSquaredError(
                    outputs: outputs, targets: $0.baseAddress!, count: count, gradient: gradient)
            }
        }
        steps += 1
        model.overwrite(with: session.parameters)
    }
}

/// An online learner's state for the state file: the learned weights, Adam's state, the recent frames and the
/// starting states of the windows to come.
public struct OnlineLearnerSnapshot: Sendable, Equatable {
    /// Frames seen, optimiser steps, and the starting states held (`starts` rows, oldest first).
    public var frames: Int
    public var steps: Int
    public var pendingStates: Int
    public var parameters: Tensor
    public var firstMoment: Tensor
    public var secondMoment: Tensor
    /// [window + 1, input], frame f at row f % (window + 1).
    public var ring: Tensor
    /// [pendingStates, layers · hidden]
    public var starts: Tensor
}

extension OnlineLearner {
    var snapshot: OnlineLearnerSnapshot {
        let optimiser = session.optimiserState
        var starts: [Float] = []
        for i in 0..<pendingStates { starts += startStates[(firstPendingState + i) % startStates.count] }
        return OnlineLearnerSnapshot(
            frames: frames, steps: optimiser.steps, pendingStates: pendingStates,
            parameters: Tensor(shape: [session.parameters.count], scalars: session.parameters.values),
            firstMoment: Tensor(shape: [optimiser.first.count], scalars: optimiser.first),
            secondMoment: Tensor(shape: [optimiser.second.count], scalars: optimiser.second),
            ring: Tensor(shape: [window + 1, dimension], scalars: ring),
            starts: Tensor(shape: [pendingStates, stateSize], scalars: starts))
    }

    /// Continue from `saved`; throws, changing nothing, when it does not fit this model, window and schedule.
    func restore(_ saved: OnlineLearnerSnapshot) throws {
        let n = session.parameters.count
        guard saved.parameters.shape == [n], saved.ring.shape == [window + 1, dimension],
            (0...startStates.count).contains(saved.pendingStates),
            saved.starts.shape == [saved.pendingStates, stateSize], saved.frames >= 0, saved.steps >= 0
        else {
            throw StateFileError(
                "online learning state of \(saved.parameters.shape) parameters, ring \(saved.ring.shape), "
                    + "\(saved.pendingStates) starting states; expected [\(n)], [\(window + 1), \(dimension)], "
                    + "at most \(startStates.count) (another model, window or schedule)")
        }
        let tensors = [saved.parameters, saved.firstMoment, saved.secondMoment, saved.ring, saved.starts]
        guard tensors.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) else {
            throw StateFileError("online learning state holds a non-finite value")
        }
        guard
            session.restore(
                parameters: saved.parameters.scalars, steps: saved.steps, first: saved.firstMoment.scalars,
                second: saved.secondMoment.scalars)
        else {
            throw StateFileError(
                "online learning state: Adam moments of \(saved.firstMoment.shape) and \(saved.secondMoment.shape), expected [\(n)]"
            )
        }
        frames = saved.frames
        steps = saved.steps
        ring = saved.ring.scalars
        firstPendingState = 0
        pendingStates = saved.pendingStates
        for i in 0..<saved.pendingStates {
            startStates[i] = Array(saved.starts.scalars[(i * stateSize)..<((i + 1) * stateSize)])
        }
        model.overwrite(with: session.parameters)
    }
}
