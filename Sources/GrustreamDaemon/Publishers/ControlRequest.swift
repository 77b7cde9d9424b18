import GrustreamPipeline

/// A command a socket client sends to the running pipeline, one JSON line (README "Runtime control"):
///
/// - `{"class":"PAUSE"}`: stop publishing detections (`DETECTION`, `ANOMALY`, `SCORES`) while the audio still
///   runs through the features, the network and the detector, so their state stays current (mute while the
///   assistant speaks); `{"class":"RESUME"}` publishes again. Paused stream time is counted (`STATS` `paused_s`,
///   and the acknowledgement's).
/// - `{"class":"RESET"}`: the hidden state to zeros and the detector to its initial state, from the next frame.
/// - `{"class":"THRESHOLD","value":0.9}`: the detection threshold; `"label":"yes"` for one label of a classify
///   detector (else every non-background label); for a Precise detector, 1 − sensitivity.
///
/// Each may name a `"stream"` (else: every stream, and for PAUSE, RESUME and THRESHOLD the streams opened later
/// too). Strict: unknown fields, wrong types and out-of-range values are refused with a message saying what was
/// expected (a mistyped command must not half-work).
public struct ControlRequest: Sendable, Equatable {
    public enum Command: String, Sendable, CaseIterable {
        case pause = "PAUSE"
        case resume = "RESUME"
        case reset = "RESET"
        case threshold = "THRESHOLD"
    }

    public var command: Command
    /// The stream it applies to; nil: all of them.
    public var stream: String?
    /// `THRESHOLD`: the new value (finite).
    public var value: Double?
    /// `THRESHOLD`: the label it applies to (classify); nil: every label.
    public var label: String?

    public init(command: Command, stream: String? = nil, value: Double? = nil, label: String? = nil) {
        self.command = command
        self.stream = stream
        self.value = value
        self.label = label
    }

    /// Longest stream or label name accepted (bytes).
    public static let maximumNameBytes = 256

    /// The line a client sends for this command, `\n` included.
    public func line() -> String {
        var fields = [#""class":"\#(command.rawValue)""#]
        func quoted(_ s: String) -> String {
            var out: [UInt8] = []
            EventEncoder.appendString(s, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
        if let stream { fields.append(#""stream":"# + quoted(stream)) }
        if let label { fields.append(#""label":"# + quoted(label)) }
        if let value {
            var out: [UInt8] = []
            EventEncoder.appendDouble(value, into: &out)
            fields.append(#""value":"# + String(decoding: out, as: UTF8.self))
        }
        return "{" + fields.joined(separator: ",") + "}\n"
    }

    /// Decode the members of a request object whose `class` is one of `Command`'s.
    static func decode(_ command: Command, members: [(String, JSONParser.Value)]) throws(PublisherError)
        -> ControlRequest
    {
        let commandName = command.rawValue
        var allowed = ["class", "stream"]
        if command == .threshold { allowed += ["value", "label"] }
        var seen = Set<String>()
        for (key, _) in members {
            guard allowed.contains(key) else {
                throw PublisherError(
                    "bad request: \(commandName) has no field \"\(key.prefix(40))\"; expected \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))"
                )
            }
            guard seen.insert(key).inserted else {
                throw PublisherError("bad request: \(commandName) has \"\(key)\" twice")
            }
        }
        func member(_ key: String) -> JSONParser.Value? { members.first { $0.0 == key }?.1 }
        func name(_ key: String) throws(PublisherError) -> String? {
            switch member(key) {
            case nil: return nil
            case .string(let s)? where !s.isEmpty && s.utf8.count <= maximumNameBytes: return s
            case let other?:
                throw PublisherError(
                    "bad request: \(commandName).\(key) is \(other.literal); expected a name of 1 to \(maximumNameBytes) bytes"
                )
            }
        }
        var request = ControlRequest(command: command, stream: try name("stream"))
        if command == .threshold {
            guard case .number(let value)? = member("value"), value.isFinite else {
                throw PublisherError(
                    "bad request: THRESHOLD needs \"value\", a number (got \(member("value")?.literal ?? "none"))")
            }
            request.value = value
            request.label = try name("label")
        }
        return request
    }
}

/// One line a socket client sends: a filter or a command.
public enum SocketRequest: Sendable, Equatable {
    case watch(WatchRequest)
    case control(ControlRequest)

    /// The request classes, for messages.
    static let classes = ["WATCH"] + ControlRequest.Command.allCases.map(\.rawValue)

    /// Decode one client line (without or with its `\n`).
    public static func decode(_ line: some Collection<UInt8>) throws(PublisherError) -> SocketRequest {
        var parser = JSONParser(bytes: Array(line))
        let value: JSONParser.Value
        let expected =
            "expected {\"class\":\"WATCH\",...} or a command (\(classes.dropFirst().joined(separator: ", ")))"
        do {
            value = try parser.parseDocument()
        } catch {
            throw PublisherError("bad request: \(error.description); \(expected)")
        }
        guard case .object(let members) = value else {
            throw PublisherError("bad request: not a JSON object; \(expected)")
        }
        guard case .string(let requestClass)? = members.last(where: { $0.0 == "class" })?.1 else {
            throw PublisherError("bad request: missing \"class\"; \(expected)")
        }
        if requestClass == "WATCH" { return .watch(try WatchRequest.decode(members: members)) }
        guard let command = ControlRequest.Command(rawValue: requestClass) else {
            throw PublisherError(
                "bad request: unknown class \"\(requestClass.prefix(40))\"; the requests are \(classes.joined(separator: ", "))"
            )
        }
        return .control(try ControlRequest.decode(command, members: members))
    }
}
