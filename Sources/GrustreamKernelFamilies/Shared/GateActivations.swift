import GrustreamKernelInterface

extension GateActivation {
    /// values[i] = f(values[i]) for i in 0..<count.
    @inline(__always)
    func apply(_ values: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .sigmoid:
            FastMath.map(values, count, FastMath.sigmoid)
        case .hardSigmoid:
            for i in 0..<count { values[i] = min(max(0.2 * values[i] + 0.5, 0), 1) }
        case .hardSigmoidV3:
            for i in 0..<count { values[i] = min(max(values[i] + 3, 0), 6) / 6 }
        }
    }
}

extension CandidateActivation {
    @inline(__always)
    func apply(_ values: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .tanh: FastMath.map(values, count, FastMath.tanh)
        case .linear: break
        }
    }
}
