/// One documented key of an option struct: how to set it from a `ConfigValue`, and how to print it.
/// Tables of these map pipeline-file sections (and model metadata) onto the stage option structs,
/// so unknown keys, wrong types and out-of-range values are reported with their full key path,
/// and `--print-options` lists every field with its value and meaning.
public struct OptionField<Root>: @unchecked Sendable {
    public let key: String
    public let help: String
    let apply: (inout Root, ConfigValue, _ path: String) throws -> Void
    let render: (Root) -> [(key: String, value: String, help: String)]

    /// A numeric field (TOML integers are accepted for floating-point fields).
    public static func number<V: BinaryFloatingPoint>(
        _ key: String, _ keyPath: WritableKeyPath<Root, V>, _ help: String, _ allowed: NumberRange = .any
    ) -> OptionField {
        OptionField(key: key, help: help) { root, value, path in
            let number: Double
            switch value {
            case .float(let d): number = d
            case .integer(let i): number = Double(i)
            default: throw mismatch(path, value, "a number")
            }
            try allowed.check(number, path: path)
            guard V(number).isFinite else {
                throw PipelineConfigError(
                    "\(path) = \(value.literal) is out of range of a 32-bit float; expected at most 3.4e38")
            }
            root[keyPath: keyPath] = V(number)
        } render: {
            [(key, format(Double($0[keyPath: keyPath])), help)]
        }
    }

    public static func integer(
        _ key: String, _ keyPath: WritableKeyPath<Root, Int>, _ help: String, _ allowed: NumberRange = .any
    ) -> OptionField {
        OptionField(key: key, help: help) { root, value, path in
            guard case .integer(let i) = value else { throw mismatch(path, value, "an integer") }
            try allowed.check(i, path: path)
            root[keyPath: keyPath] = i
        } render: {
            [(key, String($0[keyPath: keyPath]), help)]
        }
    }

    public static func bool(_ key: String, _ keyPath: WritableKeyPath<Root, Bool>, _ help: String) -> OptionField {
        OptionField(key: key, help: help) { root, value, path in
            guard case .bool(let b) = value else { throw mismatch(path, value, "true or false") }
            root[keyPath: keyPath] = b
        } render: {
            [(key, String($0[keyPath: keyPath]), help)]
        }
    }

    public static func string(_ key: String, _ keyPath: WritableKeyPath<Root, String>, _ help: String) -> OptionField {
        OptionField(key: key, help: help) { root, value, path in
            guard case .string(let s) = value else { throw mismatch(path, value, "a string") }
            root[keyPath: keyPath] = s
        } render: {
            [(key, "\"\($0[keyPath: keyPath])\"", help)]
        }
    }

    public static func optionalString(_ key: String, _ keyPath: WritableKeyPath<Root, String?>, _ help: String)
        -> OptionField
    {
        OptionField(key: key, help: help) { root, value, path in
            guard case .string(let s) = value else { throw mismatch(path, value, "a string") }
            root[keyPath: keyPath] = s
        } render: {
            [(key, $0[keyPath: keyPath].map { "\"\($0)\"" } ?? "(unset)", help)]
        }
    }

    /// One of the raw values of a string enum; the message lists them all.
    public static func choice<E: RawRepresentable & CaseIterable>(
        _ key: String, _ keyPath: WritableKeyPath<Root, E>, _ help: String
    ) -> OptionField where E.RawValue == String {
        OptionField(key: key, help: help) { root, value, path in
            let allowed = E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            guard case .string(let s) = value else { throw mismatch(path, value, "one of \(allowed)") }
            guard let e = E(rawValue: s) else {
                throw PipelineConfigError("\(path) = \"\(s)\" is not allowed; expected one of \(allowed)")
            }
            root[keyPath: keyPath] = e
        } render: {
            [(key, "\"\($0[keyPath: keyPath].rawValue)\"", help)]
        }
    }

    /// An array of numbers (e.g. per-dimension mean/std).
    public static func numbers(_ key: String, _ keyPath: WritableKeyPath<Root, [Float]>, _ help: String) -> OptionField
    {
        OptionField(key: key, help: help) { root, value, path in
            guard case .array(let items) = value else { throw mismatch(path, value, "an array of numbers") }
            root[keyPath: keyPath] = try items.enumerated().map { index, item in
                switch item {
                case .float(let d): return Float(d)
                case .integer(let i): return Float(i)
                default: throw mismatch("\(path)[\(index)]", item, "a number")
                }
            }
        } render: { root in
            let values = root[keyPath: keyPath]
            let shown = values.prefix(6).map { format(Double($0)) }.joined(separator: ", ")
            return [(key, "[" + shown + (values.count > 6 ? ", … (\(values.count) values)" : "") + "]", help)]
        }
    }

    /// A nested option struct, written as a sub-table (`[features.mel]` or `mel = { … }`).
    public static func section<Child>(
        _ key: String, _ keyPath: WritableKeyPath<Root, Child>, _ help: String, _ fields: [OptionField<Child>]
    ) -> OptionField {
        OptionField(key: key, help: help) { root, value, path in
            try OptionTable.apply(value, to: &root[keyPath: keyPath], fields: fields, path: path)
        } render: { root in
            OptionTable.describe(root[keyPath: keyPath], fields: fields).map { ("\(key).\($0.key)", $0.value, $0.help) }
        }
    }

    /// A field with its own conversion (for types none of the above covers).
    public static func custom(
        _ key: String, _ help: String,
        apply: @escaping (inout Root, ConfigValue, String) throws -> Void, render: @escaping (Root) -> String
    ) -> OptionField {
        OptionField(key: key, help: help, apply: apply) { [(key, render($0), help)] }
    }

    static func mismatch(_ path: String, _ value: ConfigValue, _ expected: String) -> PipelineConfigError {
        PipelineConfigError("\(path) = \(value.literal) is \(value.typeName); expected \(expected)")
    }

    static func format(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : String(d)
    }
}

/// Allowed range of a numeric option, with the words of the message when a value is outside it.
public struct NumberRange: Sendable {
    let lower: Double?
    let lowerInclusive: Bool
    let upper: Double?
    public static let any = NumberRange(lower: nil, lowerInclusive: true, upper: nil)
    public static let positive = NumberRange(lower: 0, lowerInclusive: false, upper: nil)
    public static let nonNegative = NumberRange(lower: 0, lowerInclusive: true, upper: nil)
    public static func atLeast(_ v: Double) -> NumberRange { NumberRange(lower: v, lowerInclusive: true, upper: nil) }
    public static func within(_ a: Double, _ b: Double) -> NumberRange {
        NumberRange(lower: a, lowerInclusive: true, upper: b)
    }
    public static func positive(upTo b: Double) -> NumberRange {
        NumberRange(lower: 0, lowerInclusive: false, upper: b)
    }

    /// An integer, printed as written in the message (bounds are far below 2^53, so the comparison is exact).
    func check(_ i: Int, path: String) throws { try check(Double(i), path: path, shown: String(i)) }

    func check(_ v: Double, path: String, shown: String? = nil) throws {
        let ok =
            v.isFinite && (lower.map { lowerInclusive ? v >= $0 : v > $0 } ?? true) && (upper.map { v <= $0 } ?? true)
        guard !ok else { return }
        func g(_ d: Double) -> String {
            d == d.rounded() && d.magnitude < 1e15 ? String(format: "%.0f", d) : String(format: "%g", d)
        }
        var expected: [String] = []
        if let lower { expected.append(lowerInclusive ? "≥ \(g(lower))" : "> \(g(lower))") }
        if let upper { expected.append("≤ \(g(upper))") }
        throw PipelineConfigError(
            "\(path) = \(shown ?? g(v)) is out of range; expected \(expected.isEmpty ? "a finite number" : expected.joined(separator: " and "))"
        )
    }
}

/// Applying and describing tables of `OptionField`s.
public enum OptionTable {
    /// Set the fields named in `value` (a table); keys not in `fields` are errors that list the allowed keys.
    public static func apply<Root>(_ value: ConfigValue, to root: inout Root, fields: [OptionField<Root>], path: String)
        throws
    {
        guard let entries = value.tableEntries else {
            throw OptionField<Root>.mismatch(path, value, "a table of \(fields.map(\.key).joined(separator: ", "))")
        }
        for (key, child) in entries {
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            guard let field = fields.first(where: { $0.key == key }) else {
                throw PipelineConfigError(
                    "\(childPath): unknown key; allowed keys here: \(fields.map(\.key).joined(separator: ", "))")
            }
            try field.apply(&root, child, childPath)
        }
    }

    /// Every field with its current value and help, nested keys dotted.
    public static func describe<Root>(_ root: Root, fields: [OptionField<Root>]) -> [(
        key: String, value: String, help: String
    )] {
        fields.flatMap { $0.render(root) }
    }

    /// `key = value   # help` lines, aligned, for `--print-options` and start-up logs.
    public static func format(_ rows: [(key: String, value: String, help: String)], prefix: String = "") -> String {
        let width = rows.map { prefix.count + $0.key.count + 3 + $0.value.count }.max() ?? 0
        return rows.map { row in
            let left = "\(prefix)\(row.key) = \(row.value)"
            return left.padding(toLength: max(width, left.count), withPad: " ", startingAt: 0) + "  # " + row.help
        }.joined(separator: "\n")
    }
}

import Foundation
