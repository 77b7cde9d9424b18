import GrustreamNeural

extension StreamProcessor {
    /// The pending frames through the stream's own runner, cut where the learner keeps a state or takes a step
    /// (at fixed frame counts, so the weights each frame sees do not depend on how the input was read).
    func runLearning(_ learner: OnlineLearner) {
        var k = 0
        while k < pending {
            let count = min(pending - k, learner.framesToNextEvent)
            runner.run(
                UnsafeBufferPointer(rebasing: inputs[(k * input)..<((k + count) * input)]), count: count,
                outputs: UnsafeMutableBufferPointer(rebasing: outputs[(k * output)...]))
            learner.append(UnsafePointer(inputs.baseAddress! + k * input), count: count, runner: runner)
            k += count
        }
    }
}
