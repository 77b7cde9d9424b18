import GrustreamKernels

extension GRUModel {
    /// Run the network over a whole sequence (tests, `grustream infer`).
    /// - input: [T, input], finite.
    /// - chunk: feed this many frames at a time, carrying state (nil: all at once). The result does not depend on it.
    /// - h0: initial state [layers × directions, hidden]; nil → zeros.
    /// - mode: nil → the model's mode. A bidirectional model in carry mode runs the whole sequence offline
    ///   (then `chunk` must be nil: a reverse direction cannot be streamed).
    /// - Returns: outputs [T, outputSize], hidden [T, topSize] (the top layer's output at each frame),
    ///   final [layers × directions, hidden].
    public func infer(
        _ input: Tensor, chunk: Int? = nil, h0: Tensor? = nil, mode: InferenceMode? = nil,
        applyNormalisation: Bool = false
    ) throws -> (outputs: Tensor, hidden: Tensor, final: Tensor) {
        guard input.shape.count == 2, input.shape[1] == inputSize else {
            throw ModelLoadError("\(name): input is \(input.shapeDescription), expected [frames, \(inputSize)]")
        }
        if let bad = input.scalars.firstIndex(where: { !$0.isFinite }) {
            throw ModelLoadError(
                "\(name): input frame \(bad / inputSize), column \(bad % inputSize) is \(input.scalars[bad]); "
                    + "inputs must be finite")
        }
        if let chunk, chunk < 1 { throw ModelLoadError("\(name): chunk \(chunk), expected ≥ 1") }
        let frames = input.shape[0]
        let mode = mode ?? self.mode
        try requirePoolingMode(mode)
        var outputs = [Float](repeating: 0, count: frames * outputSize)
        var hidden = [Float](repeating: 0, count: frames * topSize)
        if bidirectional && mode == .carry {
            if chunk != nil {
                throw ModelLoadError(
                    "\(name): a bidirectional GRU cannot be fed in chunks in carry mode (its reverse direction needs "
                        + "the whole sequence); omit the chunk size or use mode window:N")
            }
            let final = try inferWholeSequence(input, h0: h0, applyNormalisation: applyNormalisation, &outputs, &hidden)
            return (
                Tensor(shape: [frames, outputSize], scalars: outputs),
                Tensor(shape: [frames, topSize], scalars: hidden),
                final
            )
        }
        let runner = try GRURunner(model: self, mode: mode, initialState: h0, applyNormalisation: applyNormalisation)
        let size = chunk ?? max(frames, 1)
        input.scalars.withUnsafeBufferPointer { x in
            outputs.withUnsafeMutableBufferPointer { y in
                hidden.withUnsafeMutableBufferPointer { top in
                    var t = 0
                    while t < frames {
                        let n = min(size, frames - t)
                        runner.run(
                            UnsafeBufferPointer(rebasing: x[(t * inputSize)..<((t + n) * inputSize)]), count: n,
                            outputs: UnsafeMutableBufferPointer(rebasing: y[(t * outputSize)..<((t + n) * outputSize)]),
                            topHidden: UnsafeMutableBufferPointer(rebasing: top[(t * topSize)..<((t + n) * topSize)]))
                        t += n
                    }
                }
            }
        }
        return (
            Tensor(shape: [frames, outputSize], scalars: outputs), Tensor(shape: [frames, topSize], scalars: hidden),
            runner.hidden
        )
    }

    /// Offline run of a bidirectional model over the whole sequence; returns the final state.
    private func inferWholeSequence(
        _ input: Tensor, h0: Tensor?, applyNormalisation: Bool, _ outputs: inout [Float], _ hidden: inout [Float]
    ) throws -> Tensor {
        let frames = input.shape[0]
        let stride = paddedWidth(inputSize)
        let hiddenStride = stateStride
        let workspace = GRUSequenceWorkspace(model: self, capacity: max(frames, 1))
        let scratch = FloatScratch()
        let initial = scratch.allocate(stateRows * hiddenStride)
        let state = scratch.allocate(stateRows * hiddenStride)
        let head = scratch.allocate(max(frames, 1) * paddedWidth(outputSize))
        if let h0 { try GRURunner.copyState(h0, model: self, to: initial, stride: hiddenStride) }
        state.update(from: initial, count: stateRows * hiddenStride)
        for t in 0..<frames {
            let row = workspace.frames + t * stride
            input.scalars.withUnsafeBufferPointer { row.update(from: $0.baseAddress! + t * inputSize, count: inputSize) }
            if applyNormalisation, let norm = normalisation { norm.apply(row, into: row) }
        }
        if frames > 0 {
            let top = workspace.run(count: frames, initial: initial, final: state)
            for t in 0..<frames {
                for j in 0..<topSize { hidden[t * topSize + j] = top[t * workspace.topStride + j] }
            }
            outputs.withUnsafeMutableBufferPointer { y in
                if let packedHead {
                    workspace.kernels.headStep(
                        packedHead, activation: outputActivation, inputs: top, inputStride: workspace.topStride,
                        count: frames, scratch: head, outputs: y.baseAddress!)
                } else {
                    for t in 0..<frames {
                        for j in 0..<topSize { y[t * topSize + j] = top[t * workspace.topStride + j] }
                    }
                }
            }
        }
        var final = [Float](repeating: 0, count: stateRows * hiddenSize)
        for r in 0..<stateRows {
            for j in 0..<hiddenSize { final[r * hiddenSize + j] = state[r * hiddenStride + j] }
        }
        return Tensor(shape: [stateRows, hiddenSize], scalars: final)
    }
}
