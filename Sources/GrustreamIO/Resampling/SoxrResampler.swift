import CSoxr

/// A libsoxr streaming resampler of interleaved Float samples (`soxr_process`), one per stream. C types stay in
/// this file. Buffers are allocated once, here: a call converts at most `maximumInputFrames` frames into an
/// output buffer sized for them, so the work and memory per call are bounded.
final class SoxrResampler {
    /// soxr's own "high quality" recipe (`SOXR_HQ`): 20-bit precision, linear phase, pass band to 91.4 % of the
    /// lower rate's Nyquist frequency, stop band from its Nyquist frequency, attenuated by ~120 dB.
    static let recipe = "soxr HQ (20-bit precision, linear phase, pass band 0–91.4 % of the lower Nyquist frequency)"
    private let handle: OpaquePointer
    let inputRate: Int
    let outputRate: Int
    let channels: Int
    let maximumInputFrames: Int
    /// [outputCapacityFrames × channels] interleaved output of one call.
    private let output: UnsafeMutablePointer<Float>
    private let outputCapacityFrames: Int
    /// The first error soxr reported (nil: none).
    private(set) var failure: String?

    init(inputRate: Int, outputRate: Int, channels: Int, maximumInputFrames: Int) throws(InputError) {
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        var runtime = soxr_runtime_spec(1)
        var error: soxr_error_t?
        let created = soxr_create(
            Double(inputRate), Double(outputRate), UInt32(channels), &error, nil, &quality, &runtime)
        guard let created, error == nil else {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            if let created { soxr_delete(created) }
            throw InputError("cannot resample \(inputRate) Hz to \(outputRate) Hz: libsoxr: \(message)")
        }
        handle = created
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.channels = channels
        self.maximumInputFrames = maximumInputFrames
        let ratio = Double(outputRate) / Double(inputRate)
        outputCapacityFrames = Int((Double(maximumInputFrames) * ratio).rounded(.up)) + 64
        output = .allocate(capacity: outputCapacityFrames * channels)
    }

    deinit {
        soxr_delete(handle)
        output.deallocate()
    }

    /// Output frames soxr holds back (its filter's delay), at the output rate.
    var delayFrames: Double { soxr_delay(handle) }

    /// Resample `frames` interleaved frames (≤ `maximumInputFrames`); `emit` gets the output as it comes.
    func process(_ input: UnsafePointer<Float>, frames: Int, emit: (UnsafeBufferPointer<Float>) -> Void) {
        precondition(frames <= maximumInputFrames, "SoxrResampler: \(frames) frames > \(maximumInputFrames)")
        var consumed = 0
        var produced = 0
        repeat {
            var used = 0
            produced = 0
            let error = soxr_process(
                handle, input + consumed * channels, frames - consumed, &used, output, outputCapacityFrames, &produced)
            if let error, failure == nil { failure = String(cString: error) }
            consumed += used
            if produced > 0 { emit(UnsafeBufferPointer(start: output, count: produced * channels)) }
            if error != nil { return }
        } while consumed < frames || produced == outputCapacityFrames
    }

    /// End of input: the samples still in the filter.
    func flush(emit: (UnsafeBufferPointer<Float>) -> Void) {
        var produced = 0
        repeat {
            produced = 0
            let error = soxr_process(handle, nil, 0, nil, output, outputCapacityFrames, &produced)
            if let error, failure == nil { failure = String(cString: error) }
            if produced > 0 { emit(UnsafeBufferPointer(start: output, count: produced * channels)) }
            if error != nil { return }
        } while produced > 0
    }
}
