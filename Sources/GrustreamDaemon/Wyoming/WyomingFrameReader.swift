import GrustreamPipeline

/// Reads Wyoming events from a byte stream fed in any chunks (`feed`), strictly and within bounds:
///
/// - the header line is at most `Limits.headerBytes` (without its `\n`) and must be a JSON object with `type` (a
///   non-empty string of at most 128 bytes), optional `data` (an object), `data_length` and `payload_length` (whole
///   numbers ≥ 0, at most `Limits.dataBytes` and `Limits.payloadBytes`), `version` (a string); other keys are
///   ignored (newer peers may add some);
/// - the `data_length` bytes must be a JSON object; its members are merged over the header's `data`.
/// Anything else is an error naming what was expected; the connection cannot continue after one (the byte stream
/// has lost its framing). Memory: the buffer holds at most one header, data and payload at once.
public struct WyomingFrameReader: Sendable {
    public struct Limits: Sendable {
        /// Longest header line.
        public var headerBytes = 16 * 1024
        /// Longest data part.
        public var dataBytes = 64 * 1024
        /// Longest payload (an audio chunk: ~2–10 KB in practice; 1 MiB is 32 s of 16 kHz 16-bit mono).
        public var payloadBytes = 1 << 20
        public init() {}
    }

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public let limits: Limits
    private var buffer: [UInt8] = []
    /// Parsed header waiting for its data and payload bytes.
    private var pending: (type: String, data: [(String, JSONValue)], dataLength: Int, payloadLength: Int)?
    private var failed = false

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Bytes received so far that do not yet make a whole event.
    public var bufferedBytes: Int { buffer.count }

    /// Append received bytes; every event they complete, in order. After an error every call throws it again.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(Failure) -> [WyomingEvent] {
        guard !failed else { throw Failure("the stream is no longer framed after an earlier error") }
        buffer.append(contentsOf: bytes)
        var events: [WyomingEvent] = []
        var start = 0
        defer { if start > 0 { buffer.removeSubrange(0..<start) } }
        do throws(Failure) {
            while true {
                if let header = pending {
                    let need = header.dataLength + header.payloadLength
                    guard buffer.count - start >= need else { break }
                    var data = header.data
                    if header.dataLength > 0 {
                        let extra = try Self.object(
                            Array(buffer[start..<start + header.dataLength]), what: "the data_length bytes")
                        for (key, value) in extra {
                            data.removeAll { $0.0 == key }
                            data.append((key, value))
                        }
                    }
                    let payloadStart = start + header.dataLength
                    events.append(
                        WyomingEvent(
                            type: header.type, data: data,
                            payload: Array(buffer[payloadStart..<payloadStart + header.payloadLength])))
                    start += need
                    pending = nil
                    continue
                }
                guard let newline = buffer[start...].firstIndex(of: 0x0A) else {
                    guard buffer.count - start <= limits.headerBytes else {
                        throw Failure("a header line longer than \(limits.headerBytes) bytes")
                    }
                    break
                }
                guard newline - start <= limits.headerBytes else {
                    throw Failure("a header line longer than \(limits.headerBytes) bytes")
                }
                let line = Array(buffer[start..<newline])
                start = newline + 1
                pending = try header(line)
            }
        } catch {
            failed = true
            throw error
        }
        return events
    }

    private func header(_ line: [UInt8]) throws(Failure) -> (
        type: String, data: [(String, JSONValue)], dataLength: Int, payloadLength: Int
    ) {
        let members = try Self.object(line, what: "the header line")
        func member(_ key: String) -> JSONValue? { members.last { $0.0 == key }?.1 }
        guard case .string(let type)? = member("type"), !type.isEmpty, type.utf8.count <= 128 else {
            throw Failure(
                "header without a \"type\" string of 1 to 128 bytes (got \(member("type")?.literal ?? "none"))")
        }
        var data: [(String, JSONValue)] = []
        switch member("data") {
        case nil, .null?: break
        case .object(let items)?: data = items
        case let other?: throw Failure("\(type): \"data\" is \(other.literal); expected an object")
        }
        if let version = member("version"), version != .null {
            guard case .string = version else {
                throw Failure("\(type): \"version\" is \(version.literal); expected a string")
            }
        }
        func length(_ key: String, limit: Int) throws(Failure) -> Int {
            guard let value = member(key), value != .null else { return 0 }
            guard let n = value.integer, n >= 0, n <= limit else {
                throw Failure("\(type): \"\(key)\" is \(value.literal); expected a whole number from 0 to \(limit)")
            }
            return n
        }
        return (
            type, data, try length("data_length", limit: limits.dataBytes),
            try length("payload_length", limit: limits.payloadBytes)
        )
    }

    /// `bytes` as one JSON object (strict RFC 8259, nesting bounded).
    static func object(_ bytes: [UInt8], what: String) throws(Failure) -> [(String, JSONValue)] {
        var parser = JSONParser(bytes: bytes)
        let value: JSONParser.Value
        do { value = try parser.parseDocument() } catch { throw Failure("\(what): \(error.description)") }
        guard case .object(let members) = value else {
            throw Failure("\(what) is \(value.literal); expected an object")
        }
        return members.map { ($0.0, JSONValue($0.1)) }
    }
}
