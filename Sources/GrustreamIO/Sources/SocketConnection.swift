/// One producer connected to a `UnixSocketSource`: its optional name line, its decoder, its stream.
///
/// Naming: a connection may start with one line naming its stream, in either form
///     stream pump-3\n
///     {"stream":"pump-3"}\n
/// (recognised by those exact first bytes, for every format, binary included). Without it the stream is
/// named `PATH#N` (N counts connections from 1). Names longer than 128 bytes or with control characters
/// fall back to the default. A name another open connection of the source holds is refused (`claimName`):
/// `receive` throws, and the source closes the connection.
package final class SocketConnection {
    let fileDescriptor: Int32
    let number: Int
    let defaultName: String
    let decoder: InputDecoder
    package private(set) var stream: SourceStream?
    private var nameLine: [UInt8] = []
    private var naming = true
    package private(set) var name: String?
    private var plainPossible = true
    private var jsonPossible = true
    private var bytesReceived = 0
    private static let plainPrefix = Array("stream ".utf8)
    private static let jsonPrefix = Array("{\"stream\"".utf8)
    private static let maximumNameLine = 512

    /// Opens the stream in the hub: name, whether the producer named it, channels, sample rate from a WAV header
    /// (nil: the options').
    private let openStream: (String, Bool, Int, Int?) -> SourceStream
    /// Takes a stream name for this connection; false when another open connection holds it.
    private let claimName: (String) -> Bool
    /// The name this connection holds (to give back when it closes).
    package private(set) var claimedName: String?

    package init(
        fileDescriptor: Int32, number: Int, defaultName: String, decoder: InputDecoder,
        claimName: @escaping (String) -> Bool, openStream: @escaping (String, Bool, Int, Int?) -> SourceStream
    ) {
        self.openStream = openStream
        self.claimName = claimName
        self.fileDescriptor = fileDescriptor
        self.number = number
        self.defaultName = defaultName
        self.decoder = decoder
    }

    /// Feed received bytes. `open(name, channels)` creates the stream once the name and format are known.
    package func receive(_ bytes: UnsafeRawBufferPointer) throws {
        bytesReceived += bytes.count
        var data = bytes
        var replay: [UInt8] = []
        if naming {
            switch scanNameLine(bytes) {
            case .needMore: return
            case .noName(let rest):
                replay = nameLine
                data = rest
            case .named(let rest): data = rest
            }
            nameLine = []
            naming = false
            try claim()
            openIfKnown()  // now, so that a producer sending only bad frames still shows up with its counters
        }
        if !replay.isEmpty { try replay.withUnsafeBytes { try decoder.decode($0, emit: deliver) } }
        try decoder.decode(data, emit: deliver)
        updateCounters()
    }

    /// End of input (the producer closed): a cut line or frame is a bad frame.
    package func finish() throws {
        if naming && !nameLine.isEmpty {  // a few bytes that never became a name line: data
            let replay = nameLine
            nameLine = []
            try replay.withUnsafeBytes { try decoder.decode($0, emit: deliver) }
        }
        if naming {
            naming = false
            try claim()
        }
        try decoder.finish(partialLineIsBad: true, emit: deliver)
        openIfKnown()
        updateCounters()
    }

    private func claim() throws {
        let wanted = name ?? defaultName
        guard claimName(wanted) else {
            throw InputError(
                "\(defaultName): stream name \"\(wanted)\" is in use by another producer; connection refused (give each producer its own name)"
            )
        }
        claimedName = wanted
    }

    private func deliver(_ samples: UnsafeBufferPointer<Float>) {
        openIfKnown()
        stream?.write(samples, timestamps: decoder.emittedTimestamps)
    }

    /// Open the stream once the name and the channel count (WAV: after its header) are known.
    private func openIfKnown() {
        if stream == nil, let channels = decoder.channels {
            stream = openStream(name ?? defaultName, name != nil, channels, decoder.streamRate)
        }
    }

    private func updateCounters() {
        guard let stream else { return }
        stream.setBytesReceived(bytesReceived)
        stream.setBadFrames(decoder.badFrames.count, last: decoder.badFrames.last)
    }

    private enum NameScan {
        case needMore
        case noName(rest: UnsafeRawBufferPointer)
        case named(rest: UnsafeRawBufferPointer)
    }

    /// Keep the first bytes in `nameLine` while they may be a name line.
    private func scanNameLine(_ bytes: UnsafeRawBufferPointer) -> NameScan {
        for (index, byte) in bytes.enumerated() {
            let position = nameLine.count
            if position < Self.plainPrefix.count { plainPossible = plainPossible && Self.plainPrefix[position] == byte }
            if position < Self.jsonPrefix.count { jsonPossible = jsonPossible && Self.jsonPrefix[position] == byte }
            if !plainPossible && !jsonPossible {
                return .noName(rest: UnsafeRawBufferPointer(rebasing: bytes[index...]))
            }
            if byte == UInt8(ascii: "\n") {
                name = Self.parseName(nameLine)
                return .named(rest: UnsafeRawBufferPointer(rebasing: bytes[(index + 1)...]))
            }
            nameLine.append(byte)
            if nameLine.count > Self.maximumNameLine {  // not a sensible name line: drop it, default name
                nameLine = []
                return .named(rest: UnsafeRawBufferPointer(rebasing: bytes[(index + 1)...]))
            }
        }
        return .needMore
    }

    static func parseName(_ line: [UInt8]) -> String? {
        var text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        var name: Substring
        if text.hasPrefix("stream ") {
            name = text.dropFirst(7)
        } else {  // {"stream":"NAME"}
            let afterKey = text.dropFirst(9).drop(while: { $0 == " " })
            guard afterKey.first == ":" else { return nil }
            let value = afterKey.dropFirst().drop(while: { $0 == " " })
            guard value.first == "\"", let close = value.dropFirst().firstIndex(of: "\"") else { return nil }
            name = value[value.index(after: value.startIndex)..<close]
        }
        name = name.drop(while: { $0 == " " })
        while name.last == " " { name.removeLast() }
        guard !name.isEmpty, name.utf8.count <= 128,
            !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return nil }
        return String(name)
    }
}
