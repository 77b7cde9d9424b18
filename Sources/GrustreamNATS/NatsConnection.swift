import CNATS
import Glibc
import GrustreamIO

/// A NATS failure as one line: what was attempted, and the client library's text for its status.
public struct NatsError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public let status: Int32

    init(_ what: String, _ status: natsStatus) {
        self.status = Int32(bitPattern: status.rawValue)
        description = "\(what): \(String(cString: natsStatus_GetText(status)))"
    }

    /// `error` (one line) after `prefix: `.
    init(prefix: String, _ error: Error) {
        status = (error as? NatsError)?.status ?? -1
        description = "\(prefix): \(error)"
    }

    var isTimeout: Bool { status == Int32(bitPattern: NATS_TIMEOUT.rawValue) }
}

/// One connection to a NATS server or cluster through the C client (`libnats`): it reconnects by itself (to any
/// server of the list, without end) and buffers publications while it does. Thread-safe, as the library is.
public final class NatsConnection: @unchecked Sendable {
    let handle: OpaquePointer
    /// The servers as given (for messages).
    public let servers: [String]

    /// Connect to the first reachable server of `servers` (`nats://HOST:PORT`); `name` is shown by the server's
    /// monitoring. Throws `NatsError` when none answers within `timeoutMilliseconds` each.
    public init(servers: [String], name: String, timeoutMilliseconds: Int64 = 2000) throws {
        self.servers = servers
        var options: OpaquePointer?
        try Self.check("NATS options", natsOptions_Create(&options))
        defer { natsOptions_Destroy(options) }
        var urls = servers.map { strdup($0) }
        defer { urls.forEach { free($0) } }
        let list = servers.joined(separator: ", ")
        try urls.withUnsafeMutableBufferPointer { buffer in
            try buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                try Self.check("NATS servers \(list)", natsOptions_SetServers(options, $0, Int32(buffer.count)))
            }
        }
        try Self.check("NATS options", natsOptions_SetName(options, name))
        try Self.check("NATS options", natsOptions_SetTimeout(options, timeoutMilliseconds))
        try Self.check("NATS options", natsOptions_SetMaxReconnect(options, -1))
        try Self.check("NATS options", natsOptions_SetReconnectWait(options, 250))
        var connection: OpaquePointer?
        try Self.check("cannot connect to NATS at \(list)", natsConnection_Connect(&connection, options))
        handle = connection!
    }

    deinit {
        natsConnection_Close(handle)
        natsConnection_Destroy(handle)
    }

    static func check(_ what: @autoclosure () -> String, _ status: natsStatus) throws {
        guard status == NATS_OK else { throw NatsError(what(), status) }
    }

    /// Publish `bytes` on `subject` (buffered; sent by the library's flusher).
    public func publish(_ subject: String, _ bytes: UnsafeRawBufferPointer) throws {
        try Self.check(
            "publish on \(subject)", natsConnection_Publish(handle, subject, bytes.baseAddress, Int32(bytes.count)))
    }

    /// Publish on a NUL-terminated subject (no allocation: for per-event publishing).
    public func publish(subject: UnsafePointer<CChar>, _ bytes: UnsafeRawBufferPointer) -> Bool {
        natsConnection_Publish(handle, subject, bytes.baseAddress, Int32(bytes.count)) == NATS_OK
    }

    /// Close the connection (what is buffered is sent first by `flush`); later calls fail. Idempotent.
    public func close() { natsConnection_Close(handle) }

    /// Publish `text` (no terminator) on `subject`.
    public func publish(_ subject: String, _ text: String) throws {
        try Self.check("publish on \(subject)", natsConnection_PublishString(handle, subject, text))
    }

    /// Wait until the server has everything published so far.
    public func flush(timeoutMilliseconds: Int64 = 2000) throws {
        try Self.check("NATS flush", natsConnection_FlushTimeout(handle, timeoutMilliseconds))
    }

    /// A subscription read with `NatsSubscription.next` (no library thread calls back into Swift).
    public func subscribe(_ subject: String, queueGroup: String? = nil) throws -> NatsSubscription {
        var subscription: OpaquePointer?
        if let queueGroup {
            try Self.check(
                "subscribe to \(subject) (queue \(queueGroup))",
                natsConnection_QueueSubscribeSync(&subscription, handle, subject, queueGroup))
        } else {
            try Self.check("subscribe to \(subject)", natsConnection_SubscribeSync(&subscription, handle, subject))
        }
        return NatsSubscription(subscription!, subject: subject)
    }
}

/// A synchronous subscription: one reader thread takes its messages with `next`.
public final class NatsSubscription: @unchecked Sendable {
    let handle: OpaquePointer
    public let subject: String

    init(_ handle: OpaquePointer, subject: String) {
        self.handle = handle
        self.subject = subject
    }

    deinit {
        natsSubscription_Unsubscribe(handle)
        natsSubscription_Destroy(handle)
    }

    /// Bound what the library buffers for a slow reader; beyond it messages are dropped (`dropped`).
    public func limitPending(messages: Int32, bytes: Int32) throws {
        try NatsConnection.check(
            "pending limits of \(subject)", natsSubscription_SetPendingLimits(handle, messages, bytes))
    }

    /// Messages the library dropped because the reader fell behind.
    public var dropped: Int64 {
        var count: Int64 = 0
        return natsSubscription_GetDropped(handle, &count) == NATS_OK ? count : 0
    }

    /// The next message, or nil after `timeoutMilliseconds` without one. Throws when the subscription is closed.
    public func next(timeoutMilliseconds: Int64) throws -> NatsMessage? {
        var message: OpaquePointer?
        let status = natsSubscription_NextMsg(&message, handle, timeoutMilliseconds)
        if status == NATS_TIMEOUT { return nil }
        try NatsConnection.check("receive on \(subject)", status)
        return NatsMessage(message!)
    }
}

/// A received message (freed with the object).
public final class NatsMessage {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { natsMsg_Destroy(handle) }

    public var subject: String { String(cString: natsMsg_GetSubject(handle)) }
    /// The reply subject (JetStream: where its acknowledgement goes), nil when there is none.
    public var reply: String? { natsMsg_GetReply(handle).map { String(cString: $0) } }

    /// The payload bytes (valid while the message lives).
    public func withPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let count = Int(max(0, natsMsg_GetDataLength(handle)))
        guard count > 0, let data = natsMsg_GetData(handle) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: data, count: count))
    }

    public var payloadCount: Int { Int(max(0, natsMsg_GetDataLength(handle))) }
}
