import Foundation
import GrustreamTestSupport
import Testing

@testable import GrustreamPipeline

@Suite("TOML parser")
struct TOMLParserTests {
    static let valid: [(String, ConfigValue)] = [
        ("", .table([])),
        ("# only a comment\n\n", .table([])),
        ("b = 1\na = 2", .table([("b", .integer(1)), ("a", .integer(2))])),
        ("\"a b\" = 1\n'c.d' = 2\n\"\" = 3", .table([("a b", .integer(1)), ("c.d", .integer(2)), ("", .integer(3))])),
        ("a.b . c = 1\na.d = 2", .table([("a", .table([("b", .table([("c", .integer(1))])), ("d", .integer(2))]))])),
        (
            "s = \"t\\tq\\\"\\\\\\n\\u00e9\\U0001F600\\b\\f\\r\"",
            .table([("s", .string("t\tq\"\\\n\u{e9}\u{1F600}\u{8}\u{C}\r"))])
        ),
        ("s = 'C:\\path\\no\"escape'", .table([("s", .string("C:\\path\\no\"escape"))])),
        ("s = \"\"\"\nline1\nline2\\\n    joined\"\"\"", .table([("s", .string("line1\nline2joined"))])),
        ("s = \"\"\"two \"\" quotes\"\"\"\"\"", .table([("s", .string("two \"\" quotes\"\""))])),
        ("s = '''\nraw \\n\n'''", .table([("s", .string("raw \\n\n"))])),
        ("s = \"é ü 日本\" # comment é", .table([("s", .string("é ü 日本"))])),
        ("s = \"a\"\r\nt = 1\r\n", .table([("s", .string("a")), ("t", .integer(1))])),
        (
            "i = [+17, -17, 0, -0, 1_000, 0xDEAD_beef, 0o755, 0b1101]",
            .table([("i", .array([17, -17, 0, 0, 1000, 0xDEAD_BEEF, 0o755, 0b1101].map { .integer($0) }))])
        ),
        (
            "i = 9223372036854775807\nj = -9223372036854775808",
            .table([("i", .integer(Int.max)), ("j", .integer(Int.min))])
        ),
        (
            "f = [1.0, 3.1415, -0.01, 5e+22, 1e06, -2E-2, 6.626e-34, 224_617.445_991, +1.5]",
            .table([
                (
                    "f",
                    .array([1.0, 3.1415, -0.01, 5e22, 1e6, -2e-2, 6.626e-34, 224_617.445_991, 1.5].map { .float($0) })
                )
            ])
        ),
        ("f = [inf, +inf, -inf]", .table([("f", .array([.float(.infinity), .float(.infinity), .float(-.infinity)]))])),
        ("t = true\nf = false", .table([("t", .bool(true)), ("f", .bool(false))])),
        (
            "a = [ [1, 2], [\"x\", 1.5], [] , ]",
            .table([
                ("a", .array([.array([.integer(1), .integer(2)]), .array([.string("x"), .float(1.5)]), .array([])]))
            ])
        ),
        ("a = [\n  1, # one\n  2,\n]", .table([("a", .array([.integer(1), .integer(2)]))])),
        (
            "t = { x = 1, y.z = \"w\" }\ne = {}",
            .table([("t", .table([("x", .integer(1)), ("y", .table([("z", .string("w"))]))])), ("e", .table([]))])
        ),
        (
            "[a]\nx = 1\n[b]\n[a.c]\ny = 2",
            .table([("a", .table([("x", .integer(1)), ("c", .table([("y", .integer(2))]))])), ("b", .table([]))])
        ),
        ("[x.y.z]\n[x]\nk = 1", .table([("x", .table([("y", .table([("z", .table([]))])), ("k", .integer(1))]))])),
        (
            "[fruit]\napple.color = \"red\"\n[fruit.apple.texture]\nsmooth = true",
            .table([
                (
                    "fruit",
                    .table([
                        ("apple", .table([("color", .string("red")), ("texture", .table([("smooth", .bool(true))]))]))
                    ])
                )
            ])
        ),
        (
            "[[sink]]\nkind = \"stdout\"\n[[sink]]\nkind = \"unix\"\n[sink.extra]\nn = 1",
            .table([
                (
                    "sink",
                    .array([
                        .table([("kind", .string("stdout"))]),
                        .table([("kind", .string("unix")), ("extra", .table([("n", .integer(1))]))]),
                    ])
                )
            ])
        ),
        ("\u{FEFF}a = 1", .table([("a", .integer(1))])),
    ]

    @Test("valid TOML gives the expected values in file order", arguments: valid.indices)
    func validSnippet(index: Int) throws {
        let (text, expected) = Self.valid[index]
        let parsed = try ConfigValue.parseTOML(text, file: "t.toml")
        #expect(parsed == expected, "\(text.debugDescription)")
    }

    @Test func nanIsAFloat() throws {
        guard case .float(let value)? = try ConfigValue.parseTOML("n = -nan", file: "t.toml")["n"] else {
            Issue.record("nan is not a float")
            return
        }
        #expect(value.isNaN)
    }

    /// Input, then the start of the message after `t.toml:`.
    static let malformed: [(String, String)] = [
        ("[[[source]\nkind = \"stdin\"", "1:3: TOML syntax error: found '[', expected a key"),
        ("[source", "1:8: TOML syntax error: found end of file, expected ']'"),
        ("a = \"open", "1:10: TOML syntax error: found end of file, expected '\"' closing the string opened at 1:5"),
        ("a = \"open\nb = 1", "1:10: TOML syntax error: found a line break, expected '\"'"),
        ("a = '''never closed", "1:20: TOML syntax error: found end of file"),
        ("a = \"\\q\"", "1:6: TOML syntax error: found '\\' followed by 'q', expected an escape"),
        ("a = \"\\uD800\"", "1:6: TOML syntax error: found \\uD800, expected a Unicode scalar value"),
        ("a = \"\\uDFFF\\u0041\"", "1:6: TOML syntax error: found \\uDFFF"),
        ("a = \"\\U00110000\"", "1:6: TOML syntax error: found \\U00110000"),
        ("a = \"\\u12\"", "1:6: TOML syntax error: found an incomplete \\u escape"),
        ("a = \"tab\tok but \u{1} not\"", "1:17: TOML syntax error: found control character U+0001"),
        ("a = 1\na = 2", "2:1: TOML syntax error: a is defined twice"),
        ("[a]\n[a]", "2:1: TOML syntax error: table [a] is defined twice"),
        ("[a]\nb.c = 1\n[a.b]", "3:1: TOML syntax error: table [a.b] is already defined by dotted keys"),
        ("a = 1\n[a]", "2:1: TOML syntax error: a is already a value"),
        ("a = [1]\n[[a]]", "2:1: TOML syntax error: a is already a value"),
        ("[[a]]\n[a]", "2:1: TOML syntax error: [a] is an array of tables"),
        ("t = { x = 1 }\nt.y = 2", "2:1: TOML syntax error: t is already defined"),
        ("t = { x = 1, x = 2 }", "1:14: TOML syntax error: t.x is defined twice"),
        ("t = { x = 1, }", "1:14: TOML syntax error: found '}', expected a key"),
        ("t = { x = 1,\n y = 2 }", "1:13: TOML syntax error: found a line break, expected a key"),
        ("i = 9223372036854775808", "1:5: TOML syntax error: found 9223372036854775808, expected an integer from"),
        ("i = -9223372036854775809", "1:5: TOML syntax error: found -9223372036854775809"),
        ("i = 99999999999999999999999999999", "1:5: TOML syntax error: found 99999999999999999999999999999"),
        ("i = 0x1_0000_0000_0000_0000", "1:5: TOML syntax error: found 0x1_0000_0000_0000_0000"),
        ("i = 0xFFFFFFFFFFFFFFFF", "1:5: TOML syntax error: found 0xFFFFFFFFFFFFFFFF, expected an integer from 0"),
        ("i = 012", "1:5: TOML syntax error: found 012, expected a number"),
        ("i = 1__0", "1:5: TOML syntax error: found 1__0"),
        ("i = _1", "1:5: TOML syntax error: found _1, expected a value"),
        ("i = -0x1", "1:5: TOML syntax error: found -0x1, expected no sign"),
        ("f = 1.", "1:5: TOML syntax error: found 1., expected digits after the decimal point"),
        ("f = .5", "1:5: TOML syntax error: found '.', expected a value"),
        ("f = 1e", "1:5: TOML syntax error: found 1e, expected digits in the exponent"),
        ("f = 1e400", "1:5: TOML syntax error: found 1e400, expected a number within"),
        ("d = 1979-05-27", "1:5: d: dates and times are not used by grustream"),
        ("[t]\nd = 07:32:00", "2:5: t.d: dates and times are not used by grustream"),
        ("k = stdin", "1:5: TOML syntax error: found stdin, expected a value; a string needs quotes"),
        ("k = ", "1:5: TOML syntax error: found end of file, expected a value"),
        ("k = 1 2", "1:7: TOML syntax error: found '2', expected a line break after a value"),
        ("k", "1:2: TOML syntax error: found end of file, expected '='"),
        ("= 1", "1:1: TOML syntax error: found '=', expected a key"),
        ("a = [1 2]", "1:8: TOML syntax error: found '2', expected ',' or ']'"),
        ("a = [1,,2]", "1:8: TOML syntax error: found ',', expected a value"),
        ("a = [", "1:6: TOML syntax error: found end of file, expected ']' closing the array"),
        ("a = 1\r", "1:6: TOML syntax error: found a carriage return not followed by a line feed"),
        ("\"\"\"k\"\"\" = 1", "1:1: TOML syntax error: found '\"\"\"', expected a key"),
        ("a = \"\"\"x\"\"\"\"\"\"", "1:9: TOML syntax error: found 6 quotes in a row"),
        ("# bad \u{7F} comment", "1:7: TOML syntax error: found control character U+007F"),
    ]

    @Test("malformed TOML gives one line naming the line and column", arguments: malformed.indices)
    func malformedSnippet(index: Int) {
        let (text, expected) = Self.malformed[index]
        expectError(Array(text.utf8), "t.toml:" + expected)
    }

    @Test func invalidUTF8IsAnErrorWithItsPlace() {
        expectError(
            [0x61, 0x3D, 0x31, 0x0A, 0x62, 0x20, 0xFF],
            "t.toml:2:3: TOML syntax error: found byte 0xFF that is not UTF-8")
        expectError(Array("a = \"".utf8) + [0xED, 0xA0, 0x80, 0x22], "t.toml:1:6: TOML syntax error: found byte 0xED")
        expectError(Array("a = \"".utf8) + [0xC0, 0xAF, 0x22], "t.toml:1:6: TOML syntax error: found byte 0xC0")
        expectError(Array("a = \"".utf8) + [0xE2, 0x82], "t.toml:1:6: TOML syntax error: found byte 0xE2")
    }

    @Test func deepNestingIsRefusedWithoutRecursingFurther() {
        let brackets = String(repeating: "[", count: 100_000)
        expectError(Array(("a = " + brackets).utf8), "t.toml:1:36: TOML syntax error: an array nested deeper than 32")
        expectError(Array(brackets.utf8), "t.toml:1:3: TOML syntax error: found '[', expected a key")
        let inline = String(repeating: "{a=", count: 100_000)
        expectError(Array(("t = " + inline).utf8), "t.toml:1:")
        let dotted = Array(repeating: "k", count: 100_000).joined(separator: ".")
        expectError(Array((dotted + " = 1").utf8), "t.toml:1:1: TOML syntax error: a key of more than 32 dotted parts")
        expectError(
            Array(("[" + dotted + "]").utf8), "t.toml:1:2: TOML syntax error: a key of more than 32 dotted parts")
        let header = Array(repeating: "k", count: 20).joined(separator: ".")
        expectError(Array("[\(header)]\n\(header) = [[[[[[[[[[[[[1]]]]]]]]]]]]]".utf8), "t.toml:2:")
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let depth = TOMLParser.maximumDepth - 1
        let text = "a = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: Never.self) { try ConfigValue.parseTOML(text, file: "t.toml") }
    }

    @Test func oversizedInputIsRefusedBeforeParsing() {
        let bytes = [UInt8](repeating: 0x20, count: TOMLParser.maximumBytes + 1)
        expectError(bytes, "t.toml: more than 1048576 bytes; a pipeline file is at most 1 MiB")
    }

    private func expectError(_ bytes: [UInt8], _ prefix: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let value = try ConfigValue.parseTOML(bytes, file: "t.toml")
            Issue.record(
                "parsed as \(value.literal.prefix(80)); expected an error \(prefix)", sourceLocation: sourceLocation)
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix(prefix), "\(message)", sourceLocation: sourceLocation)
            #expect(!message.contains("\n"), sourceLocation: sourceLocation)
        }
    }
}

/// The project's pipeline files through the parser: the same tables the TOML library gave (recorded in
/// `Tests/Fixtures/pipelines/parsed.tsv` with keys sorted, as that library returned them), sections in file order,
/// and a syntax error in a pipeline file is one line with exit status 2 from `check`.
@Suite("TOML pipeline files")
struct TOMLPipelineFileTests {
    static func sorted(_ value: ConfigValue) -> ConfigValue {
        switch value {
        case .table(let entries): .table(entries.map { ($0.0, sorted($0.1)) }.sorted { $0.0 < $1.0 })
        case .array(let items): .array(items.map(sorted))
        default: value
        }
    }

    @Test func fixturePipelinesParseToTheRecordedTables() throws {
        let folder = Fixtures.url("pipelines")
        let recorded = try String(contentsOf: folder.appendingPathComponent("parsed.tsv"), encoding: .utf8)
        var compared = 0
        for row in recorded.split(separator: "\n") {
            let columns = row.split(separator: "\t", maxSplits: 1).map(String.init)
            let text = try String(contentsOf: folder.appendingPathComponent(columns[0]), encoding: .utf8)
            #expect(
                Self.sorted(try ConfigValue.parseTOML(text, file: columns[0])).literal == columns[1], "\(columns[0])")
            compared += 1
        }
        #expect(compared == 2)
    }

    @Test func shippedPipelinesKeepTheirSectionsInFileOrder() throws {
        let folder = Fixtures.repositoryRoot.appendingPathComponent("pipelines")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".toml") }
        #expect(names.count >= 5)
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            var headers: [String] = []
            for line in text.split(separator: "\n") where line.hasPrefix("[") {
                let header = line.split(separator: "]")[0].trimmingCharacters(in: CharacterSet(charactersIn: "[ "))
                if !headers.contains(header) { headers.append(header) }
            }
            let keys = try ConfigValue.parseTOML(text, file: name).tableEntries?.map(\.0) ?? []
            #expect(keys == headers, "\(name)")
            #expect(throws: Never.self) { try PipelineConfig.parse(text, file: folder.appendingPathComponent(name)) }
        }
    }

    @Test func aValueWithLineBreaksIsQuotedOnOneLineInMessages() {
        #expect {
            _ = try PipelineConfig.parse("[source]\nkind = \"\"\"\nstd\\\"\nin\\u0001\"\"\"", file: nil)
        } throws: { error in
            "\(error)"
                == "(built-in pipeline): source.kind = \"std\"\\nin\\u{01}\" is not allowed; expected one of \"alsa\", \"stdin\", \"file\", \"unix\""
        }
    }

    @Test func checkReportsASyntaxErrorAsOneLineWithStatus2() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gs-toml-\(UUID().uuidString.prefix(8)).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "[[[source]\nkind = \"stdin\"\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try CommandLineTool.run(["check", file.path])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(
            result.stderr
                == "grustream check: \(file.path):1:3: TOML syntax error: found '[', expected a key (letters, digits, '_', '-', or a quoted string)\n"
        )
    }
}
