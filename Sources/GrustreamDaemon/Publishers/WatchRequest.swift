import GrustreamNeural
import GrustreamPipeline

/// What a socket client asks for: one line `{"class":"WATCH","classes":["DETECTION"],"scores":false}`.
///
/// - `classes`: the event classes to receive; absent means every class except `SCORES`.
/// - `scores`: `true` adds `SCORES` (per-frame, so opt-in); `false` removes it even if listed in `classes`;
///   absent leaves `classes` alone.
/// Whitespace and unknown fields are ignored (newer clients may send more); anything that is not such an
/// object is refused with a message saying what was expected.
public struct WatchRequest: Sendable, Equatable {
    /// The classes sent to this client.
    public var classes: Set<Event.Kind>

    /// The filter a client has before it sends anything: everything except `SCORES`.
    public static let `default` = WatchRequest(classes: Set(Event.Kind.allCases).subtracting([.scores]))

    public init(classes: Set<Event.Kind>) { self.classes = classes }

    @inline(__always) public func accepts(_ kind: Event.Kind) -> Bool { classes.contains(kind) }

    /// Decode one client line (without or with its `\n`) that must be a `WATCH` request.
    public static func decode(_ line: some Collection<UInt8>) throws(PublisherError) -> WatchRequest {
        switch try SocketRequest.decode(line) {
        case .watch(let request): return request
        case .control(let command):
            throw PublisherError("bad request: \(command.command.rawValue) where a WATCH request was expected")
        }
    }

    /// Decode the members of a request object whose `class` is `WATCH`.
    static func decode(members: [(String, JSONParser.Value)]) throws(PublisherError) -> WatchRequest {
        func member(_ name: String) -> JSONParser.Value? { members.last { $0.0 == name }?.1 }
        var request = WatchRequest.default
        switch member("classes") {
        case nil, .null?: break
        case .array(let items)?:
            var classes = Set<Event.Kind>()
            for item in items {
                guard case .string(let name) = item, let kind = Event.Kind(rawValue: name) else {
                    let allowed = Event.Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                    throw PublisherError("bad request: \"classes\" holds \(item.literal); expected some of \(allowed)")
                }
                classes.insert(kind)
            }
            request.classes = classes
        case let other?:
            throw PublisherError("bad request: \"classes\" is \(other.literal); expected a list like [\"DETECTION\"]")
        }
        switch member("scores") {
        case nil, .null?: break
        case .bool(true)?: request.classes.insert(.scores)
        case .bool(false)?: request.classes.remove(.scores)
        case let other?: throw PublisherError("bad request: \"scores\" is \(other.literal); expected true or false")
        }
        return request
    }

    /// The line a client sends for this filter, `\n` included.
    public func line() -> String {
        let names = Event.Kind.allCases.filter { classes.contains($0) && $0 != .scores }.map { "\"\($0.rawValue)\"" }
        return #"{"class":"WATCH","classes":["# + names.joined(separator: ",") + #"],"scores":"#
            + (classes.contains(.scores) ? "true" : "false") + "}\n"
    }
}
