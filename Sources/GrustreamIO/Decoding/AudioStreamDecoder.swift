/// The container of an audio byte stream.
public enum AudioContainer: Sendable, Equatable {
    /// Headerless interleaved PCM in the given format.
    case raw(PCMFormat)
    /// RIFF/WAVE: the format comes from the header.
    case wav
}

/// Streaming decoder for raw PCM or WAV bytes arriving in chunks of any size (from a pipe, a file or a socket).
/// Samples come out as interleaved Float in [-1, 1) exactly as if the whole stream had been decoded at once.
public struct AudioStreamDecoder: Sendable {
    public let container: AudioContainer
    /// Used in error messages: a path, "stdin", a socket name.
    public let name: String
    /// Known from the start for raw input, after the header for WAV.
    public private(set) var format: PCMFormat?
    /// Channels and sample rate (Hz) a WAV header must give (nil: any within `WAVHeader`'s limits); a header
    /// that gives others is refused before any sample is decoded.
    public var requiredChannels: Int?
    public var requiredSampleRate: Int?
    /// The WAV header's bytes so far (at most `WAVHeader.maximumHeaderBytes`).
    private var header: [UInt8] = []
    private var scan = WAVHeader.Scan()
    private var pcm: PCMDecoder?
    /// Data bytes still to come when the WAV header gave a size (trailing chunks after it are ignored).
    private var remainingDataBytes: Int?

    public init(container: AudioContainer, name: String) {
        self.container = container
        self.name = name
        if case .raw(let format) = container {
            self.format = format
            self.pcm = PCMDecoder(format: format)
        }
    }

    /// Interleaved samples decoded so far (all channels counted).
    public var samplesDecoded: Int { pcm?.samplesDecoded ?? 0 }

    public mutating func decode(
        _ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void
    ) throws {
        try decode(bytes, onFormat: { _ in }, emit: emit)
    }

    /// As `decode(_:emit:)`; `onFormat` is called once, when the WAV header has been read and before the first
    /// samples are emitted (callers that need the format inside `emit` keep it from here: `self` is being
    /// mutated during the call and cannot be read).
    public mutating func decode(
        _ bytes: UnsafeRawBufferPointer, onFormat: (PCMFormat) -> Void, emit: (UnsafeBufferPointer<Float>) -> Void
    ) throws {
        if pcm == nil {
            let taken = min(bytes.count, WAVHeader.maximumHeaderBytes - header.count)
            header.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<taken]))
            let parsed = try header.withUnsafeBytes { try WAVHeader.parse($0, name: name, scan: &scan) }
            guard let parsed else { return }
            try check(parsed.format)
            format = parsed.format
            onFormat(parsed.format)
            remainingDataBytes = parsed.dataBytes
            pcm = PCMDecoder(format: parsed.format)
            let rest = Array(header[parsed.dataOffset...])
            header = []
            rest.withUnsafeBytes { feed($0, emit: emit) }
            feed(UnsafeRawBufferPointer(rebasing: bytes[taken...]), emit: emit)
            return
        }
        feed(bytes, emit: emit)
    }

    private func check(_ format: PCMFormat) throws {
        if let requiredChannels, format.channels != requiredChannels {
            throw InputError(
                "\(name): WAV header says \(format.channels) channel\(format.channels == 1 ? "" : "s"), but the pipeline expects \(requiredChannels)"
            )
        }
        if let requiredSampleRate, format.sampleRate != requiredSampleRate {
            throw InputError(
                "\(name): WAV header says \(format.sampleRate) Hz, but the pipeline expects \(requiredSampleRate) Hz")
        }
    }

    private mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void) {
        var usable = bytes
        if let remaining = remainingDataBytes {
            usable = UnsafeRawBufferPointer(rebasing: bytes[0..<min(bytes.count, remaining)])
            remainingDataBytes = remaining - usable.count
        }
        pcm?.decode(usable, emit: emit)
    }

    /// End of stream: a header that never completed or a sample cut in half is an error naming the stream.
    public func finish() throws {
        guard let pcm else {
            if header.isEmpty { throw InputError("\(name): empty input (no WAV header)") }
            throw InputError("\(name): truncated WAV header (\(header.count) bytes, no \"data\" chunk found)")
        }
        if pcm.pendingBytes > 0 {
            throw InputError(
                "\(name): input ends inside a sample (\(pcm.pendingBytes) trailing bytes of a \(pcm.format.encoding.bytesPerSample)-byte \(pcm.format.encoding.rawValue) sample)"
            )
        }
        if let remaining = remainingDataBytes, remaining > 0 {
            throw InputError("\(name): truncated WAV data (\(remaining) bytes missing of the size the header gives)")
        }
    }
}
