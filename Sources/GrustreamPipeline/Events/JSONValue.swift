/// A JSON value, as read by `JSONParser` and written compactly (Wyoming event data, Home Assistant discovery configs).
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
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

    package init(_ value: JSONParser.Value) {
        switch value {
        case .string(let s): self = .string(s)
        case .number(let d): self = .number(d)
        case .bool(let b): self = .bool(b)
        case .null: self = .null
        case .array(let items): self = .array(items.map(JSONValue.init))
        case .object(let members): self = .object(members.map { ($0.0, JSONValue($0.1)) })
        }
    }

    /// A whole number in Int range, or nil.
    public var integer: Int? {
        guard case .number(let d) = self, d.rounded() == d, abs(d) < 0x1p53 else { return nil }
        return Int(d)
    }

    /// Short text for messages.
    package var literal: String {
        switch self {
        case .string(let s): "\"\(s.prefix(40))\""
        case .number(let d): integer.map(String.init) ?? d.description
        case .bool(let b): b.description
        case .null: "null"
        case .array: "a list"
        case .object: "an object"
        }
    }

    package func append(into buffer: inout [UInt8]) {
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
