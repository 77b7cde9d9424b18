/// How one sample is stored in a byte stream (raw PCM or a WAV data chunk). All little-endian.
public enum SampleEncoding: String, Sendable, CaseIterable, Equatable {
    case u8, s16le, s24le, s32le, f32le, f64le

    /// Bytes per sample of one channel.
    public var bytesPerSample: Int {
        switch self {
        case .u8: 1
        case .s16le: 2
        case .s24le: 3
        case .s32le, .f32le: 4
        case .f64le: 8
        }
    }

    /// `count` whole samples from `source` into `destination`, each exactly as `decode(_:)`: the switch is taken
    /// once, so each encoding is one tight loop the compiler vectorises (s16le: 16 samples per instruction
    /// group instead of one sample per branchy call).
    public func decode(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        @inline(__always) func each(_ one: (UnsafeRawPointer) -> Float) {
            let width = bytesPerSample
            for i in 0..<count { destination[i] = one(source + i * width) }
        }
        switch self {
        case .u8: each { SampleEncoding.u8.decode($0) }
        case .s16le: each { SampleEncoding.s16le.decode($0) }
        case .s24le: each { SampleEncoding.s24le.decode($0) }
        case .s32le: each { SampleEncoding.s32le.decode($0) }
        case .f32le: each { SampleEncoding.f32le.decode($0) }
        case .f64le: each { SampleEncoding.f64le.decode($0) }
        }
    }

    /// One sample at `pointer` as a Float: integers scaled to [-1, 1) (÷ 2^(bits−1)), floats as they are.
    @inline(__always)
    func decode(_ pointer: UnsafeRawPointer) -> Float {
        switch self {
        case .u8: return (Float(pointer.load(as: UInt8.self)) - 128) * (1 / 128)
        case .s16le: return Float(Int16(littleEndian: pointer.loadUnaligned(as: Int16.self))) * (1 / 32768)
        case .s24le:
            let b0 = UInt32(pointer.load(fromByteOffset: 0, as: UInt8.self))
            let b1 = UInt32(pointer.load(fromByteOffset: 1, as: UInt8.self))
            let b2 = UInt32(pointer.load(fromByteOffset: 2, as: UInt8.self))
            let value = Int32(bitPattern: (b0 << 8) | (b1 << 16) | (b2 << 24)) >> 8
            return Float(value) * (1 / 8_388_608)
        case .s32le: return Float(Int32(littleEndian: pointer.loadUnaligned(as: Int32.self))) * (1 / 2_147_483_648)
        case .f32le: return Float(bitPattern: UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self)))
        case .f64le: return Float(Double(bitPattern: UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self))))
        }
    }
}

/// Sample rate, channel count and encoding of a PCM stream.
public struct PCMFormat: Sendable, Equatable, CustomStringConvertible {
    /// Samples per second per channel (Hz).
    public var sampleRate: Int
    /// Interleaved channels per frame.
    public var channels: Int
    /// Storage of each sample.
    public var encoding: SampleEncoding

    public init(sampleRate: Int, channels: Int, encoding: SampleEncoding) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.encoding = encoding
    }

    /// Bytes of one frame (one sample of every channel).
    public var bytesPerFrame: Int { channels * encoding.bytesPerSample }

    public var description: String {
        "\(encoding.rawValue), \(sampleRate) Hz, \(channels) channel\(channels == 1 ? "" : "s")"
    }
}
