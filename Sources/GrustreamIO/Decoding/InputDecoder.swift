/// The byte format of a stdin/file/socket input (`--format`).
public enum InputFormat: Sendable, Equatable, CustomStringConvertible {
    /// Headerless interleaved samples; rate and channels are given by the source options.
    case raw(SampleEncoding)
    /// RIFF/WAVE: rate, channels and encoding from the header.
    case wav
    /// Text, one frame per line.
    case csv(CSVOptions)
    /// `{"t": ..., "v": [...]}` per line.
    case jsonLines

    public var description: String {
        switch self {
        case .raw(let encoding): encoding.rawValue
        case .wav: "wav"
        case .csv: "csv"
        case .jsonLines: "jsonl"
        }
    }
}

/// One decoder for any `InputFormat`, as the sources use it: bytes in, whole frames out.
final class InputDecoder {
    let name: String
    private var wav: AudioStreamDecoder?
    private let binary: BinaryFrameDecoder?
    private let csv: CSVFrameDecoder?
    private let jsonLines: JSONLinesFrameDecoder?
    /// Channels from the options (nil for WAV until its header has been read).
    private(set) var channels: Int?

    init(format: InputFormat, channels: Int, policy: BadFramePolicy, name: String) {
        self.name = name
        switch format {
        case .raw(let encoding):
            binary = BinaryFrameDecoder(encoding: encoding, channels: channels, policy: policy)
            (csv, jsonLines, wav) = (nil, nil, nil)
            self.channels = channels
        case .wav:
            wav = AudioStreamDecoder(container: .wav, name: name)
            (binary, csv, jsonLines) = (nil, nil, nil)
        case .csv(let options):
            csv = CSVFrameDecoder(options: options, policy: policy)
            (binary, jsonLines, wav) = (nil, nil, nil)
            self.channels = options.channels
        case .jsonLines:
            jsonLines = JSONLinesFrameDecoder(channels: channels, policy: policy)
            (binary, csv, wav) = (nil, nil, nil)
            self.channels = channels
        }
    }

    /// The WAV header's format once read (nil for other formats). A property of its own, set from inside
    /// `wav.decode` (before the first samples), so `emit` callbacks may read it while `wav` is being mutated.
    private(set) var wavFormat: PCMFormat?

    var badFrames: BadFrameLog { binary?.badFrames ?? csv?.badFrames ?? jsonLines?.badFrames ?? BadFrameLog() }

    func decode(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Float>) -> Void) throws {
        if let binary { return binary.decode(bytes, emit: emit) }
        if let csv { return csv.decode(bytes, emit: emit) }
        if let jsonLines { return jsonLines.decode(bytes, emit: emit) }
        try wav!.decode(
            bytes,
            onFormat: { format in
                wavFormat = format
                channels = format.channels
            }, emit: emit)
    }

    /// End of input. `partialLineIsBad`: see `LineFramer.finish`. Throws for a truncated WAV stream.
    func finish(partialLineIsBad: Bool, emit: (UnsafeBufferPointer<Float>) -> Void) throws {
        if let binary { return binary.finish(emit: emit) }
        if let csv { return csv.finish(partialLineIsBad: partialLineIsBad, emit: emit) }
        if let jsonLines { return jsonLines.finish(partialLineIsBad: partialLineIsBad, emit: emit) }
        try wav!.finish()
    }
}
