import GrustreamNATS
import GrustreamPipeline
import Synchronization

/// `[[sink]] kind = "nats"`: every event line (without its newline) published on
/// `<subject_prefix>.<CLASS>.<stream>`, e.g. `grustream.events.ANOMALY.pump1`, so a consumer subscribes to one
/// class (`grustream.events.ANOMALY.>`), one stream (`grustream.events.*.pump1`) or all. The stream name is taken
/// from the encoded line; bytes that cannot be in a subject token (anything but `A–Z a–z 0–9 _ -`) become `_`.
/// Never waits: the client library buffers while it reconnects (a bounded buffer); an event it cannot take is
/// counted in `droppedEvents`. The subject is built in a buffer allocated once (no allocation per event).
public final class NatsEventPublisher: EventPublisher, @unchecked Sendable {
    private let connection: NatsConnection
    private let prefix: [UInt8]
    /// The subject of the event being published (NUL-terminated), reused.
    private let subject: UnsafeMutablePointer<CChar>
    private static let subjectCapacity = 512
    private let closed = Atomic<Bool>(false)
    private let dropped = Atomic<Int>(0)
    private let published = Atomic<Int>(0)

    public init(servers: [String], subjectPrefix: String, pipeline: String) throws {
        connection = try NatsConnection(servers: servers, name: "grustream \(pipeline) events")
        prefix = Array(subjectPrefix.utf8)
        subject = .allocate(capacity: Self.subjectCapacity)
    }

    deinit { subject.deallocate() }

    /// Events the library refused (its reconnect buffer full, or the connection closed).
    public var droppedEvents: Int { dropped.load(ordering: .relaxed) }
    public var publishedEvents: Int { published.load(ordering: .relaxed) }
    public var clientCount: Int { closed.load(ordering: .relaxed) ? 0 : 1 }
    public var droppedClients: Int { 0 }

    public func publish(_ line: UnsafeRawBufferPointer, kind: Event.Kind) {
        guard !closed.load(ordering: .relaxed) else { return }
        var body = line
        if let last = body.last, last == UInt8(ascii: "\n") { body = UnsafeRawBufferPointer(rebasing: body.dropLast()) }
        makeSubject(kind: kind, line: body)
        if connection.publish(subject: subject, body) {
            published.add(1, ordering: .relaxed)
        } else {
            dropped.add(1, ordering: .relaxed)
        }
    }

    /// `prefix.CLASS.stream` into `subject`, the stream read from the line's `"stream":"…"`.
    private func makeSubject(kind: Event.Kind, line: UnsafeRawBufferPointer) {
        let capacity = Self.subjectCapacity - 1
        var n = 0
        func put(_ byte: UInt8) {
            guard n < capacity else { return }
            subject[n] = CChar(bitPattern: byte)
            n += 1
        }
        for byte in prefix { put(byte) }
        put(UInt8(ascii: "."))
        for byte in kind.rawValue.utf8 { put(byte) }
        put(UInt8(ascii: "."))
        let start = n
        if let value = Self.streamValue(in: line) {
            for byte in line[value] { put(Self.isTokenByte(byte) ? byte : UInt8(ascii: "_")) }
        }
        if n == start { put(UInt8(ascii: "_")) }
        subject[n] = 0
    }

    @inline(__always)
    static func isTokenByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }

    /// The byte range of the stream name in an encoded event (`EventEncoder` writes `"stream":"` early in every
    /// line), without its quotes; nil when there is none.
    static func streamValue(in line: UnsafeRawBufferPointer) -> Range<Int>? {
        let key: StaticString = "\"stream\":\""
        let keyBytes = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        guard line.count > keyBytes.count else { return nil }
        var i = 0
        while i + keyBytes.count <= line.count {
            if line[i] == keyBytes[0] && zip(line[i..<(i + keyBytes.count)], keyBytes).allSatisfy({ $0 == $1 }) {
                let start = i + keyBytes.count
                var end = start
                while end < line.count && line[end] != UInt8(ascii: "\"") {
                    end += line[end] == UInt8(ascii: "\\") ? 2 : 1
                }
                return start..<min(end, line.count)
            }
            i += 1
        }
        return nil
    }

    public func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        try? connection.flush(timeoutMilliseconds: 2000)
        connection.close()
    }
}
