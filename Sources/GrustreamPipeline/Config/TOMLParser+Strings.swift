/// Strings: `"basic"` with escapes, `'literal'`, and their `"""` / `'''` multi-line forms; and the UTF-8 check
/// of the whole input (done first, so string bytes can be decoded as they are).
extension TOMLParser {
    /// A string opened by `quote` at the cursor: `"…"` takes escapes, `'…'` does not; neither may span lines.
    /// Three quotes open the multi-line form, where a line break right after the opening quotes is dropped, up to
    /// two quotes may end the content and, in `"""…"""`, `\` at the end of a line drops the line break and the
    /// blanks that follow.
    mutating func parseString(quote: UInt8) throws -> String {
        let start = mark
        let multiLine = peek(1) == quote && peek(2) == quote
        let escapes = quote == 0x22
        position += multiLine ? 3 : 1
        if multiLine { _ = try consumeNewline() }
        var text: [UInt8] = []
        while true {
            guard let b = peek else {
                let closing = Self.quotes(quote, count: multiLine ? 3 : 1)
                throw error(
                    found: "end of file", "\(closing) closing the string opened at \(start.line):\(column(of: start))")
            }
            switch b {
            case quote where multiLine:
                if let closed = try closeMultiLine(quote: quote, into: &text) { return closed }
            case quote:
                position += 1
                return String(decoding: text, as: UTF8.self)
            case 0x5C where escapes:
                if multiLine, try skipLineEndingBackslash() { continue }
                try parseEscape(into: &text)
            case 0x0A, 0x0D:
                guard multiLine else {
                    let triple = String(repeating: Character(Unicode.Scalar(quote)), count: 3)
                    throw error(
                        found: "a line break",
                        "\(Self.quotes(quote, count: 1)) closing the string (use \(triple) for a multi-line string)")
                }
                _ = try consumeNewline()
                text.append(0x0A)
            case _ where Self.isControl(b):
                let hint = escapes ? " (write an escape)" : ""
                throw error(found: describe(at: position), "a string without control characters\(hint)")
            default:
                text.append(b)
                position += 1
            }
        }
    }

    /// `'"'`, `'"""'`, `"'"`, `"'''"`: closing quotes as messages name them.
    private static func quotes(_ quote: UInt8, count: Int) -> String {
        let run = String(repeating: Character(Unicode.Scalar(quote)), count: count)
        return quote == 0x22 ? "'\(run)'" : "\"\(run)\""
    }

    /// At `\` in a multi-line basic string: if only blanks follow it to the line end, skip them, the line break and
    /// the blank lines and blanks after it, and return true; otherwise (an escape) return false.
    private mutating func skipLineEndingBackslash() throws -> Bool {
        var after = position + 1
        while after < bytes.count, bytes[after] == 0x20 || bytes[after] == 0x09 { after += 1 }
        guard after < bytes.count, bytes[after] == 0x0A || bytes[after] == 0x0D else { return false }
        position = after
        while try consumeNewline() { skipWhitespace() }
        return true
    }

    /// At a run of quotes in a multi-line string: fewer than three are content; three to five close the string
    /// (the extra one or two are content); six or more are an error.
    private mutating func closeMultiLine(quote: UInt8, into text: inout [UInt8]) throws -> String? {
        let runStart = mark
        var run = 0
        while peek == quote {
            run += 1
            position += 1
        }
        if run < 3 {
            text.append(contentsOf: repeatElement(quote, count: run))
            return nil
        }
        guard run <= 5 else {
            throw error(
                at: runStart, "found \(run) quotes in a row, expected at most 5 (2 in the text, then 3 closing)")
        }
        text.append(contentsOf: repeatElement(quote, count: run - 3))
        return String(decoding: text, as: UTF8.self)
    }

    /// `\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX`; a `\u` must name a Unicode scalar (no surrogates, ≤ 10FFFF).
    private mutating func parseEscape(into text: inout [UInt8]) throws {
        let start = mark
        let expected = "an escape: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX or \\UXXXXXXXX"
        guard let letter = peek(1) else { throw error(found: "end of file", expected) }
        let simple: [UInt8: UInt8] = [
            0x62: 0x08, 0x74: 0x09, 0x6E: 0x0A, 0x66: 0x0C, 0x72: 0x0D, 0x22: 0x22, 0x5C: 0x5C,
        ]
        if let byte = simple[letter] {
            text.append(byte)
            position += 2
            return
        }
        guard letter == 0x75 || letter == 0x55 else {
            throw error(found: "'\\' followed by \(describe(at: position + 1))", expected)
        }
        let count = letter == 0x75 ? 4 : 8
        var value: UInt32 = 0
        for offset in 0..<count {
            guard let digit = peek(2 + offset)?.hexValue else {
                throw error(
                    at: start,
                    "found an incomplete \\\(letter == 0x75 ? "u" : "U") escape, expected \(count) hex digits")
            }
            value = value << 4 | UInt32(digit)
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw error(
                at: start,
                "found \\\(letter == 0x75 ? "u" : "U")\(Self.hex(value, digits: count)), expected a Unicode scalar value (not a surrogate D800–DFFF, at most 10FFFF)"
            )
        }
        text.append(contentsOf: String(Character(scalar)).utf8)
        position += 2 + count
    }

    // MARK: UTF-8

    /// The input must be UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
    mutating func checkUTF8() throws {
        var index = 0
        while index < bytes.count {
            let length = Self.validSequenceLength(bytes, at: index)
            guard length > 0 else {
                while position < index {
                    if bytes[position] == 0x0A {
                        line += 1
                        lineStart = position + 1
                    }
                    position += 1
                }
                throw error(
                    "found byte 0x\(Self.hex(UInt32(bytes[index]), digits: 2)) that is not UTF-8, expected UTF-8 text")
            }
            index += length
        }
    }

    /// Bytes of the well-formed UTF-8 sequence at `index`, or 0.
    private static func validSequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        if lead < 0x80 { return 1 }
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default: return 0
        }
        guard bytes.count - index >= length, secondRange.contains(bytes[index + 1]) else { return 0 }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { return 0 }
        return length
    }
}

extension UInt8 {
    fileprivate var hexValue: UInt8? {
        switch self {
        case 0x30...0x39: self - 0x30
        case 0x41...0x46: self - 0x41 + 10
        case 0x61...0x66: self - 0x61 + 10
        default: nil
        }
    }
}
