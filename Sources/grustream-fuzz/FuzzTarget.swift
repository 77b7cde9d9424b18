import Foundation
import GrustreamDaemon
import GrustreamIO
import GrustreamNeural

/// One fuzz target per parser that reads untrusted bytes. Each runs the real parser on the input; a trap, an
/// address-sanitizer report, a leak or a timeout is a finding. The streaming decoders also check streaming
/// exactness: the input cut into chunks must decode to exactly what the whole input decodes to.
enum FuzzTarget: String, CaseIterable {
    /// A socket client's line (`WATCH` requests and runtime commands) through the events JSON parser.
    case watch
    /// A pipeline file, parsed and validated against a small model as `grustream check` does.
    case toml
    /// A model file: safetensors header, every tensor, then the GRU model built from it.
    case safetensors
    /// A `.npy` array.
    case npy
    /// A WAV file, whole and streamed in chunks.
    case wav
    /// Raw PCM of every encoding, streamed in chunks.
    case pcm
    /// CSV sensor frames, streamed in chunks.
    case csv
    /// JSON Lines sensor frames, streamed in chunks.
    case jsonl
    /// A state file (safetensors with the streams' hidden, detector and decomposition state), each stream's
    /// decomposition state then restored into a decomposition of the configuration it claims.
    case state
    /// A Unix-socket producer: name line, then frames in one of the source formats, whole and in chunks.
    case producer
    /// A Wyoming client's byte stream: frames (header line, data, payload), whole and in chunks.
    case wyoming

    nonisolated(unsafe) static var selected: FuzzTarget = .watch

    static func runSelected(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        selected.run(bytes)
    }

    func run(_ bytes: [UInt8]) {
        switch self {
        case .watch: FuzzRequests.socketLine(bytes)
        case .toml: FuzzPipeline.run(bytes)
        case .safetensors: FuzzFiles.safetensors(bytes)
        case .npy: _ = try? NPYFile.decode(Data(bytes), name: "fuzz.npy")
        case .wav: FuzzDecoders.wav(bytes)
        case .pcm: FuzzDecoders.pcm(bytes)
        case .csv: FuzzDecoders.csv(bytes)
        case .jsonl: FuzzDecoders.jsonl(bytes)
        case .state: FuzzFiles.state(bytes)
        case .producer: FuzzProducer.run(bytes)
        case .wyoming: FuzzWyoming.run(bytes)
        }
    }
}

/// Input bytes as a few option bytes, then the payload. Options read past the end are zero.
struct FuzzInput {
    let options: [UInt8]
    let payload: [UInt8]

    init(_ bytes: [UInt8], optionBytes: Int) {
        options = Array(bytes.prefix(optionBytes)) + Array(repeating: 0, count: max(0, optionBytes - bytes.count))
        payload = Array(bytes.dropFirst(optionBytes))
    }

    /// Chunk sizes for streaming: 1...64 bytes, from an option byte, so the fuzzer explores the cuttings.
    func chunkSize(_ index: Int) -> Int { Int(options[index] % 64) + 1 }
}

/// Streams `bytes` through `decode` in chunks of `chunk` bytes.
func inChunks(_ bytes: [UInt8], of chunk: Int, _ decode: (UnsafeRawBufferPointer) -> Void) {
    bytes.withUnsafeBytes { all in
        var start = 0
        while start < all.count {
            let end = min(all.count, start + chunk)
            decode(UnsafeRawBufferPointer(rebasing: all[start..<end]))
            start = end
        }
    }
}

/// A finding of the differential checks: stops the fuzzer with the reason (libFuzzer saves the input).
func fuzzFailure(_ message: String) -> Never {
    FileHandle.standardError.write(Data("grustream-fuzz: \(message)\n".utf8))
    abort()
}

/// Float arrays equal bit for bit (NaN payloads included: the decoders must be deterministic).
func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// A socket client's line: what decodes must encode back to a line that decodes to the same request.
enum FuzzRequests {
    static func socketLine(_ bytes: [UInt8]) {
        guard let request = try? SocketRequest.decode(bytes) else { return }
        let again: SocketRequest?
        switch request {
        case .watch(let watch): again = try? SocketRequest.decode(Array(watch.line().utf8))
        case .control(let command): again = try? SocketRequest.decode(Array(command.line().utf8))
        }
        if again != request { fuzzFailure("socket request \(request) re-encodes to \(String(describing: again))") }
    }
}

/// The Wyoming frame reader: the same events (or the same failure) whole and cut into chunks; each event re-encoded
/// reads back as itself.
enum FuzzWyoming {
    static func run(_ bytes: [UInt8]) {
        let input = FuzzInput(bytes, optionBytes: 1)
        var whole = WyomingFrameReader()
        let all = try? whole.feed(input.payload)
        var cut = WyomingFrameReader()
        var pieces: [WyomingEvent]? = []
        inChunks(input.payload, of: input.chunkSize(0)) { chunk in
            guard pieces != nil else { return }
            do { pieces! += try cut.feed(chunk) } catch { pieces = nil }
        }
        if all != pieces && all != nil && pieces != nil {
            fuzzFailure("wyoming: \(all!.count) events whole, \(pieces!.count) in chunks")
        }
        for event in all ?? [] {
            var again = WyomingFrameReader()
            let decoded = try? again.feed(event.encoded())
            if decoded != [event] { fuzzFailure("wyoming: \(event.type) does not read back as itself") }
        }
    }
}
