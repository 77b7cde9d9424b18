/// One event of the Wyoming protocol (Home Assistant's voice services): a JSON header line
/// `{"type":"audio-chunk","data":{...},"data_length":N,"payload_length":M}`, then N bytes of JSON data (merged into
/// `data`), then M bytes of binary payload (audio).
public struct WyomingEvent: Sendable, Equatable {
    public var type: String
    /// The data object's members (header `data` and the `data_length` bytes merged; the latter win).
    public var data: [(String, WyomingValue)]
    public var payload: [UInt8]

    public init(type: String, data: [(String, WyomingValue)] = [], payload: [UInt8] = []) {
        self.type = type
        self.data = data
        self.payload = payload
    }

    public static func == (a: WyomingEvent, b: WyomingEvent) -> Bool {
        a.type == b.type && a.payload == b.payload && a.data.count == b.data.count
            && zip(a.data, b.data).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    /// The value of data member `key` (the last one when repeated).
    public subscript(key: String) -> WyomingValue? { data.last { $0.0 == key }?.1 }

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
            WyomingValue.object(data).append(into: &line)
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

/// A JSON value of a Wyoming event's data.
public indirect enum WyomingValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([WyomingValue])
    case object([(String, WyomingValue)])

    public static func == (a: WyomingValue, b: WyomingValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.null, .null): true
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    init(_ value: JSONParser.Value) {
        switch value {
        case .string(let s): self = .string(s)
        case .number(let d): self = .number(d)
        case .bool(let b): self = .bool(b)
        case .null: self = .null
        case .array(let items): self = .array(items.map(WyomingValue.init))
        case .object(let members): self = .object(members.map { ($0.0, WyomingValue($0.1)) })
        }
    }

    /// A whole number in Int range, or nil.
    public var integer: Int? {
        guard case .number(let d) = self, d.rounded() == d, abs(d) < 0x1p53 else { return nil }
        return Int(d)
    }

    /// Short text for messages.
    var literal: String {
        switch self {
        case .string(let s): "\"\(s.prefix(40))\""
        case .number(let d): integer.map(String.init) ?? d.description
        case .bool(let b): b.description
        case .null: "null"
        case .array: "a list"
        case .object: "an object"
        }
    }

    func append(into buffer: inout [UInt8]) {
        switch self {
        case .string(let s): EventEncoder.appendString(s, into: &buffer)
        case .number(let d):
            if let i = integer {
                EventEncoder.appendInteger(i, into: &buffer)
            } else {
                EventEncoder.appendDouble(d, into: &buffer)
            }
        case .bool(let b): buffer.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: buffer.append(contentsOf: "null".utf8)
        case .array(let items):
            buffer.append(0x5B)
            for (i, item) in items.enumerated() {
                if i > 0 { buffer.append(0x2C) }
                item.append(into: &buffer)
            }
            buffer.append(0x5D)
        case .object(let members):
            buffer.append(0x7B)
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { buffer.append(0x2C) }
                EventEncoder.appendString(key, into: &buffer)
                buffer.append(0x3A)
                value.append(into: &buffer)
            }
            buffer.append(0x7D)
        }
    }
}
