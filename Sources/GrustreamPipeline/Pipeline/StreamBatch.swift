import GrustreamNeural

/// The frames waiting in many streams of one model, through the GRU together: round r steps, as one batch, the
/// r-th waiting frame of every stream that has one (`GRUBatchRunner`: each weight panel is loaded once for four
/// streams). Each stream keeps its state in its own `GRURunner`; it is loaded into a row of the batch and stored
/// back around each step. When a single stream has frames left, they run on its own runner as one layer-major
/// chunk. Outputs equal, bit for bit, each stream run alone. Nothing is allocated per frame: the batch grows
/// (`reserve`) when a stream opens.
package final class StreamBatch {
    package let model: GRUModel
    private var runner: GRUBatchRunner
    /// [capacity, input], [capacity, output]
    private var inputs: UnsafeMutableBufferPointer<Float>
    private var outputs: UnsafeMutableBufferPointer<Float>
    /// The streams with waiting frames; the first `active` of them have a frame in the current round.
    private var members: [StreamProcessor] = []

    package init(model: GRUModel, capacity: Int) throws {
        self.model = model
        runner = try GRUBatchRunner(model: model, streams: max(1, capacity))
        inputs = .allocate(capacity: runner.streamCount * model.inputSize)
        outputs = .allocate(capacity: runner.streamCount * model.outputSize)
        members.reserveCapacity(runner.streamCount)
    }

    deinit {
        inputs.deallocate()
        outputs.deallocate()
    }

    package var capacity: Int { runner.streamCount }

    /// Room for `streams` streams (doubling; call when a stream opens, not per frame).
    package func reserve(_ streams: Int) throws {
        guard streams > capacity else { return }
        let grown = max(streams, 2 * capacity)
        runner = try GRUBatchRunner(model: model, streams: grown)
        inputs.deallocate()
        outputs.deallocate()
        inputs = .allocate(capacity: grown * model.inputSize)
        outputs = .allocate(capacity: grown * model.outputSize)
        members.reserveCapacity(grown)
    }

    /// Every waiting frame of `processors` (at most `capacity` of them, all of this model in carry mode) through
    /// the GRU, then each stream's detector and events.
    package func run(_ processors: some Sequence<StreamProcessor>) {
        members.removeAll(keepingCapacity: true)
        for processor in processors where processor.pendingFrames > 0 { members.append(processor) }
        let n = model.inputSize
        let o = model.outputSize
        var active = members.count
        var round = 0
        while active > 1 {
            // The streams with a frame in this round to the front.
            var kept = 0
            for i in 0..<active where members[i].pendingFrames > round {
                members.swapAt(kept, i)
                kept += 1
            }
            active = kept
            guard active > 1 else { break }
            for row in 0..<active {
                (inputs.baseAddress! + row * n).update(from: members[row].pendingInput(round), count: n)
                runner.load(stream: row, from: members[row].runner)
            }
            runner.step(UnsafeBufferPointer(inputs), outputs: outputs, count: active)
            for row in 0..<active {
                runner.store(stream: row, into: members[row].runner)
                members[row].pendingOutput(round).update(from: outputs.baseAddress! + row * o, count: o)
            }
            round += 1
        }
        if active == 1 { members[0].runGRU(from: round) }
        for member in members { member.publishPending() }
        members.removeAll(keepingCapacity: true)
    }
}
