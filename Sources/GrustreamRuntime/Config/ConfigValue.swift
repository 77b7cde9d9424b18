import Foundation
import TOMLKit

/// A value from a pipeline file (TOML) or a model's metadata (JSON), independent of either parser,
/// so one set of option tables decodes both.
public indirect enum ConfigValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([ConfigValue])
    /// Keys in file order (TOML: sorted by the parser).
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
        case .string(let s): "\"\(s)\""
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
        do {
            return try ConfigValue(toml: TOMLTable(string: text), file: file, path: "")
        } catch let error as TOMLParseError {
            throw PipelineConfigError(
                "\(file):\(error.source.begin.line):\(error.source.begin.column): TOML syntax error: \(error.description)"
            )
        }
    }

    private init(toml value: TOMLValueConvertible, file: String, path: String) throws {
        switch value.type {
        case .table:
            var entries: [(String, ConfigValue)] = []
            for (key, child) in value.table! {
                entries.append(
                    (key, try ConfigValue(toml: child, file: file, path: path.isEmpty ? key : path + "." + key)))
            }
            self = .table(entries)
        case .array:
            self = .array(try value.array!.map { try ConfigValue(toml: $0, file: file, path: path) })
        case .string: self = .string(value.string!)
        case .int: self = .integer(value.int!)
        case .double: self = .float(value.double!)
        case .bool: self = .bool(value.bool!)
        case .date, .time, .dateTime:
            throw PipelineConfigError("\(file): \(path): dates and times are not used by grustream")
        }
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
