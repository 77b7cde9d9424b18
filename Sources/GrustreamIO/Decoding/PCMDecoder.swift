/// Turns a byte stream of interleaved PCM into Float samples in [-1, 1), for any split of the bytes:
/// a sample cut between two chunks is kept and completed by the next. Output goes to a preallocated
/// buffer; nothing is allocated per call once `maximumChunkSamples` is large enough.
public struct PCMDecoder: Sendable {
    public let format: PCMFormat
    /// Bytes of a sample cut by the end of the last chunk (at most `bytesPerSample − 1`).
    private var pending: [UInt8] = []
    private var pendingCount = 0
    private var output: [Float]
    /// Samples (all channels counted) decoded so far.
    public private(set) var samplesDecoded: Int = 0

    public init(format: PCMFormat, maximumChunkSamples: Int = 4096) {
        self.format = format
        self.pending = [UInt8](repeating: 0, count: 8)
        self.output = [Float](repeating: 0, count: max(1, maximumChunkSamples))
    }

    /// Bytes waiting for the rest of their sample.
    public var pendingBytes: Int { pendingCount }

    /// Decode `bytes`; `emit` receives interleaved samples, possibly in several calls.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void) {
        let width = format.encoding.bytesPerSample
        let encoding = format.encoding
        var offset = 0
        var produced = 0
        let capacity = output.count
        output.withUnsafeMutableBufferPointer { out in
            if pendingCount > 0 {
                let take = min(width - pendingCount, bytes.count)
                for i in 0..<take { pending[pendingCount + i] = bytes[i] }
                pendingCount += take
                offset = take
                if pendingCount == width {
                    out[0] = pending.withUnsafeBytes { encoding.decode($0.baseAddress!) }
                    produced = 1
                    pendingCount = 0
                }
            }
            guard let base = bytes.baseAddress else { return }
            while bytes.count - offset >= width {
                if produced == capacity {
                    emit(UnsafeBufferPointer(out))
                    samplesDecoded += produced
                    produced = 0
                }
                let run = min(capacity - produced, (bytes.count - offset) / width)
                encoding.decode(base + offset, count: run, into: out.baseAddress! + produced)
                produced += run
                offset += run * width
            }
            if produced > 0 {
                emit(UnsafeBufferPointer(rebasing: out[0..<produced]))
                samplesDecoded += produced
            }
            for i in 0..<(bytes.count - offset) { pending[pendingCount + i] = bytes[offset + i] }
            pendingCount += bytes.count - offset
        }
    }
}
