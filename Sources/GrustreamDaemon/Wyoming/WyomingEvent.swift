import GrustreamPipeline

/// One event of the Wyoming protocol (Home Assistant's voice services): a JSON header line
/// `{"type":"audio-chunk","data":{...},"data_length":N,"payload_length":M}`, then N bytes of JSON data (merged into
/// `data`), then M bytes of binary payload (audio).
public struct WyomingEvent: Sendable, Equatable {
    public var type: String
    /// The data object's members (header `data` and the `data_length` bytes merged; the latter win).
    public var data: [(String, JSONValue)]
    public var payload: [UInt8]

    public init(type: String, data: [(String, JSONValue)] = [], payload: [UInt8] = []) {
        self.type = type
        self.data = data
        self.payload = payload
    }

    public static func == (a: WyomingEvent, b: WyomingEvent) -> Bool {
        a.type == b.type && a.payload == b.payload && a.data.count == b.data.count
            && zip(a.data, b.data).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    /// The value of data member `key` (the last one when repeated).
    public subscript(key: String) -> JSONValue? { data.last { $0.0 == key }?.1 }

    /// The protocol version this server writes in its headers.
    public static let protocolVersion = "1.5.2"

    /// The bytes on the wire: the header line with `data` inline (as the `wyoming` package reads it: header `data`
    /// merged with the `data_length` bytes, of which there are none) and the payload after it.
    public func encoded() -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(128 + payload.count)
        line.append(contentsOf: #"{"type":"#.utf8)
        EventEncoder.appendString(type, into: &line)
        line.append(contentsOf: #","version":"#.utf8)
        EventEncoder.appendString(Self.protocolVersion, into: &line)
        if !data.isEmpty {
            line.append(contentsOf: #","data":"#.utf8)
            JSONValue.object(data).append(into: &line)
        }
        if !payload.isEmpty {
            line.append(contentsOf: #","payload_length":"#.utf8)
            EventEncoder.appendInteger(payload.count, into: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        line.append(contentsOf: payload)
        return line
    }
}
