/// Values: strings (see `TOMLParser+Strings`), booleans, numbers, arrays and inline tables.
extension TOMLParser {
    mutating func parseValue(path: [String], depth: Int) throws -> ConfigValue {
        switch peek {
        case let quote? where quote == 0x22 || quote == 0x27: return .string(try parseString(quote: quote))
        case 0x5B: return try parseArray(path: path, depth: depth + 1)
        case 0x7B: return try parseInlineTable(path: path, depth: depth + 1)
        case 0x74 where startsWith("true"):
            position += 4
            return .bool(true)
        case 0x66 where startsWith("false"):
            position += 5
            return .bool(false)
        case let b? where (0x30...0x39).contains(b) || b == 0x2B || b == 0x2D:
            return try parseNumber(path: path)
        case 0x69 where startsWith("inf"), 0x6E where startsWith("nan"):
            return try parseNumber(path: path)
        case let b? where Self.isBareKeyByte(b):
            let start = position
            while let b = peek, Self.isBareKeyByte(b) { position += 1 }
            let word = String(decoding: bytes[start..<position], as: UTF8.self)
            position = start
            throw error(found: word, "a value; a string needs quotes: \"\(word)\"")
        default:
            throw error(
                found: describe(at: position), "a value (a \"string\", a number, true, false, [array] or { table })")
        }
    }

    private mutating func enter(_ depth: Int, _ what: String) throws {
        guard depth <= Self.maximumDepth else {
            throw error("\(what) nested deeper than \(Self.maximumDepth) tables and arrays")
        }
        position += 1
    }

    /// `[ v, v, ]`: line breaks, comments and a trailing comma allowed; types may mix.
    private mutating func parseArray(path: [String], depth: Int) throws -> ConfigValue {
        let start = mark
        try enter(depth, "an array")
        var items: [ConfigValue] = []
        while true {
            try skipBlank()
            if peek == 0x5D {
                position += 1
                return .array(items)
            }
            if atEnd { throw error(found: "end of file", "']' closing the array opened at line \(start.line)") }
            items.append(try parseValue(path: path, depth: depth))
            try skipBlank()
            switch peek {
            case 0x2C: position += 1
            case 0x5D:
                position += 1
                return .array(items)
            default:
                throw error(
                    found: describe(at: position), "',' or ']' in the array opened at line \(start.line)")
            }
        }
    }

    /// `{ k = v, a.b = v }` on one line, no trailing comma (TOML 1.0).
    private mutating func parseInlineTable(path: [String], depth: Int) throws -> ConfigValue {
        try enter(depth, "an inline table")
        let table = TOMLTable(origin: .header)
        skipWhitespace()
        if peek == 0x7D {
            position += 1
            return table.value
        }
        while true {
            skipWhitespace()
            try parseKeyValue(into: table, path: path, depth: depth)
            skipWhitespace()
            switch peek {
            case 0x2C: position += 1
            case 0x7D:
                position += 1
                return table.value
            default:
                throw error(found: describe(at: position), "',' or '}' in the inline table (it must fit on one line)")
            }
        }
    }

    // MARK: Numbers

    /// Integers (decimal, 0x, 0o, 0b; `_` between digits), floats (fraction, exponent, inf, nan).
    /// Dates and times, which start like numbers, are refused with the key path.
    private mutating func parseNumber(path: [String]) throws -> ConfigValue {
        let start = mark
        while let b = peek, Self.isNumberByte(b) { position += 1 }
        let token = Array(bytes[start.position..<position])
        if Self.looksLikeDate(token) {
            throw PipelineConfigError(
                "\(file):\(start.line):\(column(of: start)): \(Self.quoted(path)): dates and times are not used by grustream; write a number or a string"
            )
        }
        func invalid(_ expected: String) -> PipelineConfigError {
            error(at: start, "found \(String(decoding: token, as: UTF8.self)), expected \(expected)")
        }
        var body = token[...]
        var negative = false
        if let sign = body.first, sign == 0x2B || sign == 0x2D {
            negative = sign == 0x2D
            body = body.dropFirst()
        }
        if body.elementsEqual("inf".utf8) { return .float(negative ? -.infinity : .infinity) }
        if body.elementsEqual("nan".utf8) { return .float(.nan) }
        if body.count > 2, body.first == 0x30, let radix = [0x78: 16, 0x6F: 8, 0x62: 2][body[body.startIndex + 1]] {
            guard token.count == body.count else { throw invalid("no sign before a 0x, 0o or 0b integer") }
            guard let digits = Self.digits(body.dropFirst(2), radix: radix) else {
                throw invalid("base-\(radix) digits, '_' only between digits")
            }
            guard let value = Self.magnitude(digits, radix: radix), value <= UInt64(Int.max) else {
                throw invalid("an integer from 0 to \(Int.max)")
            }
            return .integer(Int(value))
        }
        // Decimal: int part [. fraction] [e|E [+|-] exponent].
        let exponentAt = body.firstIndex { $0 == 0x65 || $0 == 0x45 }
        let mantissa = body[..<(exponentAt ?? body.endIndex)]
        let dotAt = mantissa.firstIndex(of: 0x2E)
        let integerPart = mantissa[..<(dotAt ?? mantissa.endIndex)]
        guard let integerDigits = Self.digits(integerPart, radix: 10),
            integerDigits.count == 1 || integerDigits.first != 0x30
        else { throw invalid("a number (digits without leading zeros, '_' only between digits)") }
        if let dotAt {
            guard Self.digits(mantissa[(dotAt + 1)...], radix: 10) != nil else {
                throw invalid("digits after the decimal point")
            }
        }
        if let exponentAt {
            var exponent = body[(exponentAt + 1)...]
            if let sign = exponent.first, sign == 0x2B || sign == 0x2D { exponent = exponent.dropFirst() }
            guard Self.digits(exponent, radix: 10) != nil else { throw invalid("digits in the exponent") }
        }
        if dotAt == nil && exponentAt == nil {
            let limit = negative ? UInt64(Int.max) + 1 : UInt64(Int.max)
            guard let value = Self.magnitude(integerDigits, radix: 10), value <= limit else {
                throw invalid("an integer from \(Int.min) to \(Int.max)")
            }
            return .integer(negative ? Int(truncatingIfNeeded: 0 &- value) : Int(value))
        }
        let text = String(decoding: token.filter { $0 != 0x5F }, as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw invalid("a number within ±1.8e308") }
        return .float(value)
    }

    private static func isNumberByte(_ b: UInt8) -> Bool {
        isBareKeyByte(b) || b == 0x2B || b == 0x2E || b == 0x3A
    }

    /// `1979-05-27`, `07:32:00`: four digits and '-', or two digits and ':'.
    private static func looksLikeDate(_ token: [UInt8]) -> Bool {
        func digits(_ n: Int) -> Bool { token.count > n && token.prefix(n).allSatisfy { (0x30...0x39).contains($0) } }
        return (digits(4) && token[4] == 0x2D) || (digits(2) && token[2] == 0x3A)
    }

    /// The digits with `_` removed, or nil when empty, an `_` is not between two digits, or a digit is not of `radix`.
    private static func digits(_ text: ArraySlice<UInt8>, radix: Int) -> [UInt8]? {
        var result: [UInt8] = []
        var previousWasDigit = false
        for b in text {
            if b == 0x5F {
                guard previousWasDigit else { return nil }
                previousWasDigit = false
                continue
            }
            guard let value = digitValue(b), value < radix else { return nil }
            result.append(b)
            previousWasDigit = true
        }
        return previousWasDigit ? result : nil
    }

    private static func digitValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x41...0x46: Int(b - 0x41 + 10)
        case 0x61...0x66: Int(b - 0x61 + 10)
        default: nil
        }
    }

    /// The value of validated digits, or nil past `UInt64.max`.
    private static func magnitude(_ digits: [UInt8], radix: Int) -> UInt64? {
        var value: UInt64 = 0
        for b in digits {
            guard let digit = digitValue(b) else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: UInt64(radix))
            let (sum, carry) = shifted.addingReportingOverflow(UInt64(digit))
            if overflow || carry { return nil }
            value = sum
        }
        return value
    }
}
