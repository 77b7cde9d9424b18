import Foundation
import GrustreamDSP
import GrustreamIO
import GrustreamNeural

/// The pending frames through the network: the stream's runner over rows of open gate (a chunk at a time), the
/// pre-roll when the gate opens, and the ensemble's runners beside it.
extension StreamProcessor {
    /// Pending frames `from`..< `pendingFrames` through this stream's own runner (as one layer-major chunk).
    func runGRU(from first: Int) {
        guard pending > first else { return }
        if let learner, first == 0 { return runLearning(learner) }
        guard gate != nil else { return runRows(first: first, count: pending - first) }
        var k = first
        while k < pending {
            guard gateOpen[k] else {
                (outputs.baseAddress! + k * output).update(repeating: 0, count: output)
                attentionRows.map { ($0.baseAddress! + k * attentionWidth).update(repeating: 0, count: attentionWidth) }
                preRoll?.push(inputs.baseAddress! + k * input)
                ensembleRunners?.keepForPreRoll(row: k)
                gatedFrames += 1
                gateWasOpen = false
                k += 1
                continue
            }
            if !gateWasOpen { catchUp() }
            var end = k + 1
            while end < pending && gateOpen[end] { end += 1 }
            runRows(first: k, count: end - k)
            k = end
        }
    }

    /// Rows `first ..< first + count` of the pending frames through the network (and the ensemble's).
    private func runRows(first: Int, count: Int) {
        if let attentionRows {
            // Frame by frame, keeping each window's attention weights for its SCORES event.
            for k in first..<(first + count) {
                runner.run(
                    UnsafeBufferPointer(rebasing: inputs[(k * input)...]), count: 1,
                    outputs: UnsafeMutableBufferPointer(rebasing: outputs[(k * output)...]))
                if let weights = runner.poolingWeights, weights.count == attentionWidth {
                    (attentionRows.baseAddress! + k * attentionWidth).update(
                        from: weights.baseAddress!, count: weights.count)
                }
            }
        } else {
            runner.run(
                UnsafeBufferPointer(rebasing: inputs[(first * input)...]), count: count,
                outputs: UnsafeMutableBufferPointer(rebasing: outputs[(first * output)...]))
        }
        ensembleRunners?.run(first: first, count: count)
    }

    /// The gate opened: the network from its initial state over the pre-roll (the frames before the opening).
    private func catchUp() {
        gateWasOpen = true
        runner.reset()
        ensembleRunners?.catchUp()
        guard let preRoll else { return }
        let n = preRoll.takeOrdered()
        if n > 0 { runner.run(UnsafeBufferPointer(preRoll.ordered), count: n, outputs: preRoll.outputs) }
    }
}
