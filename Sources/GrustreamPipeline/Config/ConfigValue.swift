import Foundation

/// A value from a pipeline file (TOML) or a model's metadata (JSON), independent of either parser,
/// so one set of option tables decodes both.
public indirect enum ConfigValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([ConfigValue])
    /// Keys in file order.
    case table([(String, ConfigValue)])

    public static func == (a: ConfigValue, b: ConfigValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.integer(let x), .integer(let y)): x == y
        case (.float(let x), .float(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.table(let x), .table(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// What a user would call this value's type in a message.
    public var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a number"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }

    /// The value as written in TOML, for messages.
    public var literal: String {
        switch self {
        case .string(let s):
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .integer(let i): String(i)
        case .float(let d): String(d)
        case .bool(let b): String(b)
        case .array(let values): "[" + values.map(\.literal).joined(separator: ", ") + "]"
        case .table(let entries): "{ " + entries.map { "\($0.0) = \($0.1.literal)" }.joined(separator: ", ") + " }"
        }
    }

    public var tableEntries: [(String, ConfigValue)]? {
        if case .table(let entries) = self { return entries }
        return nil
    }

    public subscript(key: String) -> ConfigValue? { tableEntries?.first { $0.0 == key }?.1 }

    // MARK: Parsing

    /// Parse TOML text. Syntax errors name the file, line and column.
    public static func parseTOML(_ text: String, file: String) throws -> ConfigValue {
        try parseTOML(Array(text.utf8), file: file)
    }

    /// Parse TOML bytes (at most `TOMLParser.maximumBytes`; UTF-8 is checked). Every byte sequence gives a value or
    /// a `PipelineConfigError` naming the file, line and column.
    package static func parseTOML(_ bytes: [UInt8], file: String) throws -> ConfigValue {
        try TOMLParser.parse(bytes, file: file)
    }

    /// Convert a JSON object (from `JSONSerialization`) such as a model's `grustream` metadata.
    public init(json: Any, path: String = "") throws {
        switch json {
        case let dictionary as [String: Any]:
            self = .table(
                try dictionary.keys.sorted().map { ($0, try ConfigValue(json: dictionary[$0]!, path: path + "." + $0)) }
            )
        case let array as [Any]: self = .array(try array.map { try ConfigValue(json: $0, path: path) })
        case let string as String: self = .string(string)
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" {  // JSON true/false
                self = .bool(number.boolValue)
            } else if let int = Int(exactly: number.doubleValue), !"\(number)".contains(".") {
                self = .integer(int)
            } else {
                self = .float(number.doubleValue)
            }
        default: throw PipelineConfigError("\(path): unsupported JSON value \(json)")
        }
    }
}
