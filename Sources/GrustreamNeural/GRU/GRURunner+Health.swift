import GrustreamKernels

extension GRURunner {
    /// False when the hidden state holds a NaN or ±Inf (then `reset()` it: it would never recover). One pass of
    /// integer maxima over the state's magnitude bits (vectorised), `layers × directions × hidden` values.
    public var hasFiniteState: Bool {
        let count = model.stateRows * paddedWidth(model.hiddenSize)
        return hiddenState.withMemoryRebound(to: UInt32.self, capacity: count) { bits in
            var largest: UInt32 = 0
            for i in 0..<count { largest = max(largest, bits[i] & 0x7FFF_FFFF) }
            return largest < 0x7F80_0000
        }
    }
}
