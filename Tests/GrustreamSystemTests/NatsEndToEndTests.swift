import Foundation
import GrustreamNATS
import GrustreamTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Sensor streams over NATS (a `nats-server` of the test's own on loopback): each subject `sensors.<id>` is its
/// own stream, with the events each recording gives alone through the file source; events also go out on
/// `grustream.events.<CLASS>.<stream>` (the `nats` sink), the same lines as on stdout.
@Suite("NATS end to end", .serialized)
struct NatsEndToEndTests {
    let temp: URL

    init() throws { temp = try SensorFixture.folder(prefix: "gs-nats") }

    func pipeline(_ name: String, source: String, sinks: String = "") throws -> String {
        try SensorFixture.writePipeline(
            name, in: temp, source: source + "\nbuffer_seconds = 10", detector: "threshold = 3\nsmooth_ms = 30",
            runtime: "stats_interval_s = \(source.contains("nats") ? "0.1" : "0")\n" + sinks)
    }

    @Test func subjectsAreStreamsWithTheEventsOfEachRecordingAlone() throws {
        let server = try NatsTestServer()
        let phases = [0.0, 0.5, 1.0]
        var alone: [[NSDictionary]] = []
        for (n, phase) in phases.enumerated() {
            let file = temp.appendingPathComponent("pump-\(n).csv")
            try SensorFixture.csv(phase: phase).write(to: file, atomically: true, encoding: .utf8)
            let result = try CommandLineTool.run([
                "run", try pipeline("file-\(n).toml", source: "kind = \"file\"\npath = \"pump-\(n).csv\""),
                "--log-level", "error",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            alone.append(normalisedEvents(result.stdoutText).filter { ($0["class"] as? String) == "ANOMALY" })
            #expect(alone[n].count >= 1, "the burst in pump-\(n) should be an anomaly")
        }
        let listener = try NatsConnection(servers: [server.url], name: "test listener")
        let anomalies = try listener.subscribe("grustream.events.ANOMALY.>")
        let sinks = """
            [[sink]]
            kind = "stdout"
            [[sink]]
            kind = "nats"
            servers = ["\(server.url)"]
            """
        let daemon = try SpawnedTool([
            "run",
            try pipeline("nats.toml", source: "kind = \"nats\"\nservers = [\"\(server.url)\"]", sinks: sinks),
            "--log-level", "error",
        ])
        #expect(daemon.waitForOutput { $0.contains("\"class\":\"STATS\"") }, "the daemon never ran")
        let producer = try NatsConnection(servers: [server.url], name: "test producer")
        var generator = SystemRandomNumberGenerator()
        for (n, phase) in phases.enumerated() {
            let lines = SensorFixture.csv(phase: phase).split(separator: "\n")
            var offset = 0
            while offset < lines.count {  // 1 to 10 frames per message, the last newline left out
                let count = min(Int.random(in: 1...10, using: &generator), lines.count - offset)
                try producer.publish("sensors.pump-\(n)", lines[offset..<(offset + count)].joined(separator: "\n"))
                offset += count
            }
        }
        try producer.publish("sensors.pump-0", String(repeating: "1,2,3\n", count: 20000))  // > 64 KiB: malformed
        try producer.flush()
        let all = daemon.waitForOutput { $0.contains("\"frames\":\(600 * phases.count),") }
        #expect(all, "not every frame arrived: \(daemon.outputSoFar.split(separator: "\n").last ?? "")")
        daemon.signal(SIGTERM)
        let result = daemon.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let events = normalisedEvents(result.stdoutText)
        expectEachStreamAsAlone(events, alone: alone)
        #expect(
            events.contains {
                ($0["class"] as? String) == "ERROR"
                    && (($0["message"] as? String)?.contains("malformed message") ?? false)
            }, "the oversized message should be reported")
        // The nats sink: the same ANOMALY lines, each on its stream's subject.
        var received: [(String, String)] = []
        while let message = try anomalies.next(timeoutMilliseconds: 500) {
            received.append((message.subject, message.withPayload { String(decoding: $0, as: UTF8.self) }))
        }
        let stdoutAnomalies = result.stdoutText.split(separator: "\n").filter { $0.contains("\"class\":\"ANOMALY\"") }
        #expect(received.map(\.1) == stdoutAnomalies.map(String.init))
        for (subject, line) in received {
            let stream = (normalisedEvents(line).first?["stream"] as? String) ?? "?"
            #expect(subject == "grustream.events.ANOMALY.\(stream)")
        }
    }

    @Test func natsConfigurationErrorsAreOneLineAndExit2AnUnreachableServer1() throws {
        let cases: [(String, String)] = [
            ("kind = \"nats\"\nservers = [\"http://127.0.0.1:4222\"]", "source.servers[0]"),
            ("kind = \"nats\"\nservers = []", "source.servers"),
            ("kind = \"nats\"\nsubject = \"sensors. x\"", "source.subject"),
            ("kind = \"nats\"\npartitions = [1, 1]", "source.partitions[1]"),
        ]
        for (n, (source, expected)) in cases.enumerated() {
            let result = try CommandLineTool.run([
                "run", try pipeline("bad-\(n).toml", source: source), "--log-level", "critical",
            ])
            #expect(result.status == 2, "\(source): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && result.stderr.contains(expected), "\(source): \(result.stderr)")
        }
        // A server that cannot be reached is a runtime failure (status 1: a service manager retries), one line.
        let unreachable = try CommandLineTool.run([
            "run", try pipeline("down.toml", source: "kind = \"nats\"\nservers = [\"nats://127.0.0.1:1\"]"),
            "--log-level", "critical",
        ])
        #expect(unreachable.status == 1, "\(unreachable.stderr)")
        #expect(unreachable.stderr.split(separator: "\n").count == 1, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("cannot connect to NATS at nats://127.0.0.1:1"), "\(unreachable.stderr)")
        let wavPipeline = try SensorFixture.writePipeline(
            "bad-wav.toml", in: temp, source: "kind = \"nats\"", format: "wav", runtime: "")
        let wav = try CommandLineTool.run(["run", wavPipeline, "--log-level", "critical"])
        #expect(wav.status == 2, "\(wav.stderr)")
        #expect(wav.stderr.contains("cannot be read from NATS messages"), "\(wav.stderr)")
    }
}
