import Foundation
import GrustreamTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Input in the wrong shape is never silently ignored: a file or stdin input fails with its first problem; a live
/// stream reports its bad frames (counter, rate-limited `ERROR` events, log) and keeps going.
@Suite("malformed stream input", .serialized)
struct MalformedInputTests {
    let temp: URL

    init() throws { temp = try SensorFixture.folder(prefix: "gs-malformed") }

    /// A 3-channel sensor pipeline at 100 Hz reading `source` (TOML lines) in `format`.
    func pipeline(_ source: String, format: String = "csv") throws -> String {
        try SensorFixture.writePipeline(
            "sensor-\(UUID().uuidString.prefix(6)).toml", in: temp, source: source + "\nbuffer_seconds = 10",
            format: format, runtime: "stats_interval_s = \(source.contains("unix") ? "0.2" : "0")")
    }

    static let wrongShapes: [(format: String, line: String, problem: String)] = [
        (
            "csv", "2014-07-01 00:00:00,10844",
            #"stdin:1: expected 3 numeric columns separated by ",", found 2: "2014-07-01 00:00:00,10844""#
        ),
        ("csv", "1;2;3", #"stdin:1: expected 3 numeric columns separated by ",", found 1: "1;2;3""#),
        ("csv", "1,2,x", #"stdin:1: column 3 is not a number: "x" in "1,2,x""#),
        (
            "jsonl", #"{"x":[1,2,3]}"#,
            #"stdin:1: no "v" array of values, expected {"v": [3 numbers]}: "{"x":[1,2,3]}""#
        ),
    ]

    @Test(arguments: 0..<4)
    func inputWhoseFirstLinesAreAllBadFailsWithTheFirstProblem(_ index: Int) throws {
        let shape = Self.wrongShapes[index]
        let text = String(repeating: shape.line + "\n", count: 200)
        let result = try CommandLineTool.run(
            ["run", try pipeline("kind = \"stdin\"", format: shape.format), "--log-level", "error"],
            stdin: Data(text.utf8))
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(shape.problem), "\(result.stderr)")
        #expect(result.stderr.contains("the first 16 lines are all bad"), "\(result.stderr)")
    }

    /// Fewer bad lines than the prefix, then the end: still no good frame, still refused.
    @Test func aShortInputWithOnlyBadLinesFails() throws {
        let file = temp.appendingPathComponent("short.csv")
        try "# x,y,z\n1;2;3\n4;5;6\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try CommandLineTool.run([
            "run", try pipeline("kind = \"file\"\npath = \"short.csv\""), "--log-level", "error",
        ])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("short.csv:2: expected 3 numeric columns"), "\(result.stderr)")
        #expect(result.stderr.contains("the input has no good line"), "\(result.stderr)")
    }

    /// Good input with a few bad lines is a good stream: it runs, and counts them.
    @Test func aFewBadLinesAmongGoodOnesAreCounted() throws {
        var lines = SensorFixture.csv(phase: 0).split(separator: "\n").map(String.init)
        lines[3] = "1;2;3"
        lines[40] = "2014-07-01 00:00:00,1"
        let result = try CommandLineTool.run(
            ["run", try pipeline("kind = \"stdin\""), "--log-level", "error"],
            stdin: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let stats = normalisedEvents(result.stdoutText).last { ($0["class"] as? String) == "STATS" }
        #expect(stats?["bad_frames"] as? Int == 2 && stats?["frames"] as? Int == 598, "\(String(describing: stats))")
    }

    /// A live producer sending only bad lines: counted in STATS, one `ERROR` event (rate-limited: at most one per
    /// stream per 10 s), a log line; a producer taking its name is refused (`refused_producers`); the daemon keeps
    /// serving a good producer.
    @Test func aLiveStreamReportsItsBadLinesAndKeepsGoing() throws {
        let socket = temp.appendingPathComponent("sensors.sock").path
        let daemon = try SpawnedTool([
            "run", try pipeline("kind = \"unix\"\npath = \"sensors.sock\""), "--log-level", "warning",
        ])
        #expect(waitFor { acceptsConnections(socket) }, "socket never accepted a connection")
        let bad = connectUnix(socket)
        #expect(bad >= 0)
        let garbage = Array(("stream bad\n" + String(repeating: "2014-07-01 00:00:00,10844\n", count: 50)).utf8)
        _ = garbage.withUnsafeBytes { send(bad, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        #expect(daemon.waitForOutput { $0.contains("\"bad_frames\":50,") }, "\(daemon.outputSoFar)")
        // A second producer naming the stream the first one holds is refused, and counted in STATS.
        let impostor = connectUnix(socket)
        let naming = Array("stream bad\n1,2,3\n".utf8)
        _ = naming.withUnsafeBytes { send(impostor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        #expect(daemon.waitForOutput { $0.contains("\"refused_producers\":1,") }, "\(daemon.outputSoFar)")
        close(impostor)
        let good = connectUnix(socket)
        let frames = Array(("stream good\n" + SensorFixture.csv(phase: 0)).utf8)
        _ = frames.withUnsafeBytes { send(good, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(good)
        #expect(daemon.waitForOutput { $0.contains("\"frames\":600,") }, "\(daemon.outputSoFar)")
        close(bad)
        daemon.signal(SIGTERM)
        let result = daemon.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let errors = normalisedEvents(result.stdoutText).filter {
            ($0["class"] as? String) == "ERROR" && ($0["stream"] as? String) == "bad"
        }
        #expect(errors.count == 1, "\(errors)")
        let message = errors.first?["message"] as? String ?? ""
        #expect(message.contains("bad: ") && message.contains("expected 3 numeric columns"), "\(message)")
        #expect(result.stderr.contains("expected 3 numeric columns"), "no log line: \(result.stderr)")
    }
}
