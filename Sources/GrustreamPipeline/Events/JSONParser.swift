/// A small strict JSON reader (RFC 8259) for client requests: enough to read any value and say where it went
/// wrong. Not for the hot path. Every byte sequence gives a value or a `Failure`: containers nest at most
/// `maximumDepth` deep, `\u` escapes take four hex digits and surrogates only in pairs, numbers follow the RFC
/// grammar and must be finite, strings must be UTF-8. Input length is the caller's bound (socket requests:
/// `SocketClient.maximumRequestBytes`).
package struct JSONParser {
    package indirect enum Value: Equatable {
        case object([(String, Value)])
        case array([Value])
        case string(String)
        case number(Double)
        case bool(Bool)
        case null

        package static func == (a: Value, b: Value) -> Bool { a.literal == b.literal }

        /// Short text for messages.
        package var literal: String {
            switch self {
            case .object: "an object"
            case .array: "a list"
            case .string(let s): "\"\(s.prefix(40))\""
            case .number(let d): d.description
            case .bool(let b): b.description
            case .null: "null"
            }
        }
    }

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// Deepest nesting of objects and lists accepted.
    static let maximumDepth = 32

    let bytes: [UInt8]
    var index = 0
    var depth = 0

    package init(bytes: [UInt8]) { self.bytes = bytes }

    package mutating func parseDocument() throws(Failure) -> Value {
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count { throw fail("unexpected \(peekDescription) after the object") }
        return value
    }

    var peekDescription: String {
        guard index < bytes.count else { return "end of line" }
        let b = bytes[index]
        return b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x" + String(b, radix: 16)
    }

    func fail(_ what: String) -> Failure { Failure(description: "\(what) at column \(index + 1)") }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func expect(_ byte: UInt8) throws(Failure) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else {
            throw fail("expected '\(Character(Unicode.Scalar(byte)))', found \(peekDescription)")
        }
        index += 1
    }

    mutating func parseValue() throws(Failure) -> Value {
        skipWhitespace()
        guard index < bytes.count else { throw fail("expected a value, found end of line") }
        switch bytes[index] {
        case 0x7B: return try parseContainer(close: 0x7D, object: true)
        case 0x5B: return try parseContainer(close: 0x5D, object: false)
        case 0x22: return .string(try parseString())
        case 0x74: try literal("true"); return .bool(true)
        case 0x66: try literal("false"); return .bool(false)
        case 0x6E: try literal("null"); return .null
        case 0x2D, 0x30...0x39: return try parseNumber()
        default: throw fail("unexpected \(peekDescription)")
        }
    }

    mutating func literal(_ word: String) throws(Failure) {
        for byte in word.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw fail("unexpected \(peekDescription)") }
            index += 1
        }
    }

    mutating func parseContainer(close: UInt8, object: Bool) throws(Failure) -> Value {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw fail("nested too deeply (more than \(Self.maximumDepth) levels)")
        }
        index += 1
        var members: [(String, Value)] = []
        var items: [Value] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == close {
            index += 1
        } else {
            while true {
                if object {
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == 0x22 else {
                        throw fail("expected a quoted key, found \(peekDescription)")
                    }
                    let key = try parseString()
                    try expect(0x3A)
                    members.append((key, try parseValue()))
                } else {
                    items.append(try parseValue())
                }
                skipWhitespace()
                if index < bytes.count, bytes[index] == 0x2C {
                    index += 1
                    continue
                }
                try expect(close)
                break
            }
        }
        depth -= 1
        return object ? .object(members) : .array(items)
    }

    mutating func parseString() throws(Failure) -> String {
        index += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let b = bytes[index]
            index += 1
            switch b {
            case 0x22:
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not UTF-8") }
                return s
            case 0..<0x20: throw fail("control character in a string")
            case 0x5C:
                guard index < bytes.count else { throw fail("unterminated string") }
                let e = bytes[index]
                index += 1
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75: try appendEscapedScalar(to: &out)
                default: throw fail("bad escape")
                }
            default: out.append(b)
            }
        }
    }

    /// After `\u`: one scalar, or a surrogate pair `\uD8xx\uDCxx`. A lone or reversed surrogate is not text
    /// and is refused.
    mutating func appendEscapedScalar(to out: inout [UInt8]) throws(Failure) {
        let first = try hex4()
        var scalar = first
        if (0xD800..<0xDC00).contains(first) {
            guard index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else {
                throw fail("lone UTF-16 surrogate \\u\(hexText(first)) (expected a \\uDC00-\\uDFFF escape after it)")
            }
            index += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else {
                throw fail(
                    "UTF-16 surrogate \\u\(hexText(first)) followed by \\u\(hexText(low)), expected \\uDC00-\\uDFFF")
            }
            scalar = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(first) {
            throw fail("lone UTF-16 surrogate \\u\(hexText(first))")
        }
        guard let u = Unicode.Scalar(scalar) else { throw fail("bad \\u escape") }
        out.append(contentsOf: String(Character(u)).utf8)
    }

    private func hexText(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Four hex digits (no sign, no spaces), advancing past them.
    mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("bad \\u escape (expected 4 hex digits)") }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw fail("bad \\u escape (expected 4 hex digits)")
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }

    /// RFC 8259 numbers only (`-? int frac? exp?`, no leading zeros, no `+`, no `.5`), and only finite ones:
    /// `1e400` is refused rather than read as infinity.
    mutating func parseNumber() throws(Failure) -> Value {
        let start = index
        func digits() -> Int {
            let first = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            return index - first
        }
        if bytes[index] == 0x2D { index += 1 }
        let integerStart = index
        let integerDigits = digits()
        var valid = integerDigits > 0 && !(integerDigits > 1 && bytes[integerStart] == 0x30)
        if valid, index < bytes.count, bytes[index] == 0x2E {
            index += 1
            valid = digits() > 0
        }
        if valid, index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
            index += 1
            if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D { index += 1 }
            valid = digits() > 0
        }
        guard valid, let d = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            index = start
            throw fail("bad number")
        }
        guard d.isFinite else {
            index = start
            throw fail("number out of range")
        }
        return .number(d)
    }
}
