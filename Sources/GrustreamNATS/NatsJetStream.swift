import CNATS
import Foundation

/// JetStream on a connection: the durable stream of sensor frames, a pull consumer per partition, and the
/// key-value bucket where each stream's state is saved.
public final class NatsJetStream: @unchecked Sendable {
    let context: OpaquePointer
    public let connection: NatsConnection

    public init(connection: NatsConnection) throws {
        self.connection = connection
        var context: OpaquePointer?
        try NatsConnection.check("JetStream", natsConnection_JetStream(&context, connection.handle, nil))
        self.context = context!
    }

    deinit { jsCtx_Destroy(context) }

    /// Make the stream `name` over `subjects` unless it exists (file storage, `replicas` copies in a cluster).
    public func ensureStream(name: String, subjects: [String], replicas: Int) throws {
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var code = jsErrCode(0)
        if js_GetStreamInfo(&info, context, name, nil, &code) == NATS_OK {
            jsStreamInfo_Destroy(info)
            return
        }
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        var subjectCopies = subjects.map { UnsafePointer(strdup($0)) }
        defer { subjectCopies.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        let status = name.withCString { cName in
            subjectCopies.withUnsafeMutableBufferPointer { list -> natsStatus in
                config.Name = cName
                config.Subjects = UnsafeMutablePointer(mutating: list.baseAddress)
                config.SubjectsLen = Int32(list.count)
                config.Storage = js_FileStorage
                config.Replicas = Int64(replicas)
                return js_AddStream(&info, context, &config, nil, &code)
            }
        }
        if status == NATS_OK {
            jsStreamInfo_Destroy(info)
            return
        }
        // Another daemon may have made it meanwhile.
        if js_GetStreamInfo(&info, context, name, nil, &code) == NATS_OK {
            jsStreamInfo_Destroy(info)
            return
        }
        throw NatsError("cannot create JetStream stream \(name) over \(subjects.joined(separator: ", "))", status)
    }

    /// A durable pull consumer `durable` of `stream` filtered to `subject`, acknowledged cumulatively (acking a
    /// message acknowledges every earlier one), created if missing; a restarted or new reader continues after the
    /// last acknowledged message. At most `maximumPending` messages are out unacknowledged.
    public func pullSubscribe(stream: String, subject: String, durable: String, maximumPending: Int)
        throws -> NatsSubscription
    {
        var options = jsSubOptions()
        jsSubOptions_Init(&options)
        var code = jsErrCode(0)
        var subscription: OpaquePointer?
        let status = stream.withCString { cStream in
            durable.withCString { cDurable in
                options.Stream = cStream
                options.Config.Durable = cDurable
                options.Config.AckPolicy = js_AckAll
                options.Config.AckWait = 30_000_000_000  // ns: a message not acknowledged by then is sent again
                options.Config.MaxAckPending = Int64(maximumPending)
                options.Config.DeliverPolicy = js_DeliverAll
                options.ManualAck = true
                return js_PullSubscribe(&subscription, context, subject, cDurable, nil, &options, &code)
            }
        }
        try NatsConnection.check(
            "pull consumer \(durable) of \(stream) on \(subject) (JetStream error \(code.rawValue))", status)
        return NatsSubscription(subscription!, subject: subject)
    }

    /// The key-value bucket `name`, created (one value per key, `replicas` copies) if missing.
    public func keyValue(bucket name: String, replicas: Int) throws -> NatsKeyValue {
        var store: OpaquePointer?
        if js_KeyValue(&store, context, name) == NATS_OK { return NatsKeyValue(store!, bucket: name) }
        var config = kvConfig()
        kvConfig_Init(&config)
        let status = name.withCString { cName in
            config.Bucket = cName
            config.History = 1
            config.Replicas = Int32(replicas)
            return js_CreateKeyValue(&store, context, &config)
        }
        if status != NATS_OK, js_KeyValue(&store, context, name) != NATS_OK {
            throw NatsError("cannot create key-value bucket \(name)", status)
        }
        return NatsKeyValue(store!, bucket: name)
    }
}

extension NatsSubscription {
    /// Up to `batch` messages of a pull consumer, waiting at most `timeoutMilliseconds` for the first; empty when
    /// none came. Throws when the subscription is closed.
    public func fetch(batch: Int, timeoutMilliseconds: Int64) throws -> [NatsMessage] {
        var list = natsMsgList()
        var code = jsErrCode(0)
        let status = natsSubscription_Fetch(&list, handle, Int32(batch), timeoutMilliseconds, &code)
        if status == NATS_TIMEOUT { return [] }
        try NatsConnection.check("fetch on \(subject)", status)
        var messages: [NatsMessage] = []
        messages.reserveCapacity(Int(list.Count))
        for i in 0..<Int(list.Count) {
            if let message = list.Msgs[i] {
                messages.append(NatsMessage(message))
                list.Msgs[i] = nil  // owned by the NatsMessage now
            }
        }
        natsMsgList_Destroy(&list)
        return messages
    }
}

extension NatsMessage {
    /// The JetStream stream sequence of a message from a consumer (nil for a core NATS message).
    public var streamSequence: UInt64? {
        var meta: UnsafeMutablePointer<jsMsgMetaData>?
        guard natsMsg_GetMetaData(&meta, handle) == NATS_OK, let meta else { return nil }
        defer { jsMsgMetaData_Destroy(meta) }
        return meta.pointee.Sequence.Stream
    }
}

/// A JetStream key-value bucket.
public final class NatsKeyValue: @unchecked Sendable {
    let handle: OpaquePointer
    public let bucket: String

    init(_ handle: OpaquePointer, bucket: String) {
        self.handle = handle
        self.bucket = bucket
    }

    deinit { kvStore_Destroy(handle) }

    /// The value of `key`, nil when it has none (or was deleted). At most `maximumBytes` are read.
    public func get(_ key: String, maximumBytes: Int) throws -> Data? {
        var entry: OpaquePointer?
        let status = kvStore_Get(&entry, handle, key)
        if status == NATS_NOT_FOUND { return nil }
        try NatsConnection.check("\(bucket)/\(key): read", status)
        defer { kvEntry_Destroy(entry) }
        let count = Int(kvEntry_ValueLen(entry))
        guard count > 0, let value = kvEntry_Value(entry) else { return nil }
        guard count <= maximumBytes else {
            throw NatsError("\(bucket)/\(key): \(count) bytes, more than \(maximumBytes)", NATS_INVALID_ARG)
        }
        return Data(bytes: value, count: count)
    }

    public func put(_ key: String, _ value: Data) throws {
        var revision: UInt64 = 0
        let status = value.withUnsafeBytes { kvStore_Put(&revision, handle, key, $0.baseAddress, Int32($0.count)) }
        try NatsConnection.check("\(bucket)/\(key): write", status)
    }
}
