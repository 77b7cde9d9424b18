/// A TOML 1.0 reader for pipeline files, over bytes, returning `ConfigValue` tables with keys in file order.
///
/// Every byte sequence gives a value or a `PipelineConfigError` naming `FILE:LINE:COLUMN`, what was found and what
/// was expected; nothing traps. Input is bounded (`maximumBytes`) and so is nesting (`maximumDepth`, counting
/// header keys, dotted keys, arrays and inline tables together), so recursion depth is bounded too. Dates and
/// times are TOML but no grustream key takes one: they are refused with their key path.
struct TOMLParser {
    /// Largest pipeline file read (bytes). Real pipelines are a few kilobytes.
    static let maximumBytes = 1 << 20
    /// Deepest nesting of tables and arrays.
    static let maximumDepth = 32

    /// A place in the input, for messages.
    struct Mark {
        var position: Int
        var line: Int
        var lineStart: Int
    }

    let bytes: [UInt8]
    let file: String
    var position = 0
    var line = 1
    var lineStart = 0

    private let root = TOMLTable(origin: .header)
    private var current: TOMLTable
    private var currentPath: [String] = []

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
        current = root
    }

    static func parse(_ bytes: [UInt8], file: String) throws -> ConfigValue {
        guard bytes.count <= maximumBytes else {
            throw PipelineConfigError(
                "\(file): more than \(maximumBytes) bytes; a pipeline file is at most 1 MiB")
        }
        var parser = TOMLParser(bytes: bytes, file: file)
        try parser.checkUTF8()
        try parser.parseDocument()
        return parser.root.value
    }

    // MARK: Cursor

    var atEnd: Bool { position >= bytes.count }
    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }
    func peek(_ offset: Int) -> UInt8? { position + offset < bytes.count ? bytes[position + offset] : nil }
    var mark: Mark { Mark(position: position, line: line, lineStart: lineStart) }

    func startsWith(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        return text.withUTF8Buffer { $0.elementsEqual(bytes[position..<position + count]) }
    }

    /// Consume a line break (`\n` or `\r\n`) if one is here.
    mutating func consumeNewline() throws -> Bool {
        if peek == 0x0A {
            position += 1
        } else if peek == 0x0D {
            guard peek(1) == 0x0A else { throw error("a carriage return not followed by a line feed", "\\r\\n or \\n") }
            position += 2
        } else {
            return false
        }
        line += 1
        lineStart = position
        return true
    }

    mutating func skipWhitespace() {
        while let b = peek, b == 0x20 || b == 0x09 { position += 1 }
    }

    /// `# …` to the end of the line; control characters other than tab are not allowed in it.
    mutating func skipComment() throws {
        guard peek == 0x23 else { return }
        while let b = peek, b != 0x0A {
            if b == 0x0D && peek(1) == 0x0A { return }
            if Self.isControl(b) { throw error(found: describe(at: position), "a comment without control characters") }
            position += 1
        }
    }

    /// Spaces, comments and line breaks (inside arrays).
    mutating func skipBlank() throws {
        while true {
            skipWhitespace()
            try skipComment()
            guard try consumeNewline() else { return }
        }
    }

    /// After a key/value pair or a header: only a comment may follow on the line.
    mutating func expectLineEnd(after what: String) throws {
        skipWhitespace()
        try skipComment()
        let ended = try atEnd || consumeNewline()
        guard ended else {
            throw error(found: describe(at: position), "a line break after \(what)")
        }
    }

    static func isControl(_ b: UInt8) -> Bool { (b < 0x20 && b != 0x09) || b == 0x7F }

    // MARK: Messages

    func error(at mark: Mark? = nil, found: String, _ expected: String) -> PipelineConfigError {
        self.error(at: mark, "found \(found), expected \(expected)")
    }

    func error(at mark: Mark? = nil, _ what: String, _ expected: String) -> PipelineConfigError {
        self.error(at: mark, "found \(what), expected \(expected)")
    }

    func error(at mark: Mark? = nil, _ message: String) -> PipelineConfigError {
        let place = mark ?? self.mark
        return PipelineConfigError("\(file):\(place.line):\(column(of: place)): TOML syntax error: \(message)")
    }

    /// 1-based, in characters (UTF-8 continuation bytes do not count).
    func column(of place: Mark) -> Int {
        let end = min(place.position, bytes.count)
        guard place.lineStart < end else { return 1 }
        return bytes[place.lineStart..<end].reduce(1) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    }

    /// What is at `index`, in words: `'x'`, `a line break`, `end of file`, `control character U+0001`.
    func describe(at index: Int) -> String {
        guard index < bytes.count else { return "end of file" }
        let b = bytes[index]
        switch b {
        case 0x0A, 0x0D: return "a line break"
        case 0x09: return "a tab"
        case 0x20: return "a space"
        case _ where Self.isControl(b): return "control character U+\(Self.hex(UInt32(b), digits: 4))"
        case 0x21..<0x7F: return "'\(Character(Unicode.Scalar(b)))'"
        default:
            var end = index + 1
            while end < bytes.count, end - index < 4, bytes[end] & 0xC0 == 0x80 { end += 1 }
            return "'\(String(decoding: bytes[index..<end], as: UTF8.self))'"
        }
    }

    static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func quoted(_ keys: [String]) -> String {
        keys.map { key in
            key.utf8.allSatisfy { Self.isBareKeyByte($0) } && !key.isEmpty ? key : "\"\(key)\""
        }.joined(separator: ".")
    }

    static func isBareKeyByte(_ b: UInt8) -> Bool {
        (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b == 0x5F
            || b == 0x2D
    }

    // MARK: Document

    private mutating func parseDocument() throws {
        if startsWith("\u{FEFF}") { position += 3 }
        lineStart = position
        while true {
            try skipBlank()
            guard let b = peek else { return }
            if b == 0x5B {
                try parseHeader()
                try expectLineEnd(after: "a table header")
            } else {
                try parseKeyValue(into: current, path: currentPath, depth: currentPath.count)
                try expectLineEnd(after: "a value")
            }
        }
    }

    /// `[a.b]` or `[[a.b]]`.
    private mutating func parseHeader() throws {
        let start = mark
        let isArray = peek(1) == 0x5B
        position += isArray ? 2 : 1
        skipWhitespace()
        let keys = try parseKey()
        skipWhitespace()
        let closing: StaticString = isArray ? "]]" : "]"
        guard startsWith(closing) else {
            throw error(
                found: describe(at: position), isArray ? "']]' closing the [[header]]" : "']' closing the [header]")
        }
        position += isArray ? 2 : 1
        guard keys.count <= Self.maximumDepth else {
            throw error(at: start, "\(keys.count) nested keys; at most \(Self.maximumDepth)")
        }
        var table = root
        for (index, key) in keys.dropLast().enumerated() {
            switch table[key.name] {
            case nil:
                let made = TOMLTable(origin: .implicit)
                table.insert(key.name, .table(made))
                table = made
            case .table(let existing): table = existing
            case .tables(let array): table = array.tables.last ?? table
            case .value:
                throw error(
                    at: key.mark,
                    "\(Self.quoted(keys.prefix(index + 1).map(\.name))) is already a value, so it cannot hold a table")
            }
        }
        let last = keys[keys.count - 1]
        let name = Self.quoted(keys.map(\.name))
        let made = TOMLTable(origin: .header)
        switch (table[last.name], isArray) {
        case (nil, false): table.insert(last.name, .table(made))
        case (nil, true):
            let array = TOMLTableArray()
            array.tables.append(made)
            table.insert(last.name, .tables(array))
        case (.tables(let array), true): array.tables.append(made)
        case (.table(let existing), false) where existing.origin == .implicit:
            existing.origin = .header
            current = existing
            currentPath = keys.map(\.name)
            return
        case (.table(let existing), _):
            throw error(
                at: start,
                existing.origin == .dotted
                    ? "table [\(name)] is already defined by dotted keys" : "table [\(name)] is defined twice")
        case (.tables, false): throw error(at: start, "[\(name)] is an array of tables; write [[\(name)]]")
        case (.value, _): throw error(at: start, "\(name) is already a value, so it cannot be a table")
        }
        current = made
        currentPath = keys.map(\.name)
    }

    /// `key = value` (key possibly dotted) added to `table`.
    mutating func parseKeyValue(into table: TOMLTable, path: [String], depth: Int) throws {
        let keys = try parseKey()
        skipWhitespace()
        guard peek == 0x3D else { throw error(found: describe(at: position), "'=' after the key") }
        position += 1
        skipWhitespace()
        let fullPath = path + keys.map(\.name)
        let valueDepth = depth + keys.count
        guard valueDepth <= Self.maximumDepth else {
            throw error(at: keys[0].mark, "nesting deeper than \(Self.maximumDepth) tables and arrays")
        }
        let value = try parseValue(path: fullPath, depth: valueDepth)
        var target = table
        for (index, key) in keys.dropLast().enumerated() {
            switch target[key.name] {
            case nil:
                let made = TOMLTable(origin: .dotted)
                target.insert(key.name, .table(made))
                target = made
            case .table(let existing) where existing.origin != .header: target = existing
            default:
                throw error(
                    at: key.mark,
                    "\(Self.quoted(path + keys.prefix(index + 1).map(\.name))) is already defined, so a dotted key cannot add to it"
                )
            }
        }
        let last = keys[keys.count - 1]
        guard target[last.name] == nil else {
            throw error(at: last.mark, "\(Self.quoted(fullPath)) is defined twice; each key may be set once")
        }
        target.insert(last.name, .value(value))
    }

    /// `a`, `"a b"`, `'a'`, `a.b."c"`.
    mutating func parseKey() throws -> [(name: String, mark: Mark)] {
        var keys: [(name: String, mark: Mark)] = []
        while true {
            let start = mark
            switch peek {
            case 0x22:
                if startsWith("\"\"\"") {
                    throw error(found: "'\"\"\"'", "a key (a key cannot be a multi-line string)")
                }
                keys.append((try parseString(quote: 0x22), start))
            case 0x27:
                if startsWith("'''") { throw error(found: "\"'''\"", "a key (a key cannot be a multi-line string)") }
                keys.append((try parseString(quote: 0x27), start))
            case let b? where Self.isBareKeyByte(b):
                while let b = peek, Self.isBareKeyByte(b) { position += 1 }
                keys.append((String(decoding: bytes[start.position..<position], as: UTF8.self), start))
            default:
                throw error(found: describe(at: position), "a key (letters, digits, '_', '-', or a quoted string)")
            }
            guard keys.count <= Self.maximumDepth else {
                throw error(at: keys[0].mark, "a key of more than \(Self.maximumDepth) dotted parts")
            }
            skipWhitespace()
            guard peek == 0x2E else { return keys }
            position += 1
            skipWhitespace()
        }
    }
}
