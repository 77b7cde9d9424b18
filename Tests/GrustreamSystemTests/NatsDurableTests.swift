import Foundation
import GrustreamNATS
import GrustreamTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Durable NATS input (a JetStream `nats-server` of the test's own on loopback): a daemon killed mid-stream and
/// its successor, together and after de-duplication by `(stream, phase, seq)`, give the events of one daemon that
/// read everything uninterrupted (same scores), and the successor continues from the saved state.
@Suite("NATS durable input", .serialized)
struct NatsDurableTests {
    let temp: URL

    init() throws { temp = try SensorFixture.folder(prefix: "gs-natsjs") }

    func pipeline(_ name: String, server: String, consumer: String) throws -> String {
        try SensorFixture.writePipeline(
            name, in: temp,
            source: """
                kind = "nats"
                servers = ["\(server)"]
                jetstream = "SENSORS"
                consumer = "\(consumer)"
                state_bucket = "\(consumer)-state"
                save_interval_ms = 50
                buffer_seconds = 10
                """,
            detector: "threshold = 3\nsmooth_ms = 30", runtime: "stats_interval_s = 0.05")
    }

    /// The anomaly events of a run's output, keyed by stream, phase and frame sequence, with their scores.
    func anomalies(_ text: String) -> [String: (Double, Double)] {
        var result: [String: (Double, Double)] = [:]
        for event in normalisedEvents(text) where (event["class"] as? String) == "ANOMALY" {
            let key = "\(event["stream"] ?? "?") \(event["phase"] ?? "?") \(event["seq"] ?? "none")"
            result[key] = ((event["score"] as? Double) ?? .nan, (event["likelihood"] as? Double) ?? .nan)
        }
        return result
    }

    func frames(_ text: String) -> Int {
        normalisedEvents(text).last { ($0["class"] as? String) == "STATS" }?["frames"] as? Int ?? -1
    }

    @Test func aKilledDaemonsSuccessorContinuesFromSavedStateWithoutLossOrRepeats() throws {
        let server = try NatsTestServer(jetStream: true)
        let producer = try NatsConnection(servers: [server.url], name: "test producer")
        try NatsJetStream(connection: producer).ensureStream(name: "SENSORS", subjects: ["sensors.*"], replicas: 1)
        let phases = [0.0, 0.5]
        let lines = phases.map { SensorFixture.csv(phase: $0).split(separator: "\n") }
        func publish(_ range: Range<Int>) throws {
            for i in range {
                for n in phases.indices { try producer.publish("sensors.pump-\(n)", String(lines[n][i])) }
            }
            try producer.flush()
        }
        try publish(0..<300)
        // One daemon through everything.
        let reference = try SpawnedTool([
            "run", try pipeline("ref.toml", server: server.url, consumer: "ref"), "--log-level", "error",
        ])
        // The first of the pair, killed once it has read the first half.
        let first = try SpawnedTool([
            "run", try pipeline("fleet.toml", server: server.url, consumer: "fleet"), "--log-level", "error",
        ])
        #expect(first.waitForOutput { $0.contains("\"frames\":600,") }, "the first daemon never read 600 frames")
        // Killed only once its saved state covers (nearly) all it read: otherwise the successor would have nothing
        // to continue from, and the test would not test a takeover.
        let bucket = try NatsJetStream(connection: producer).keyValue(bucket: "fleet-state", replicas: 1)
        func covered(_ stream: String) -> UInt64 {
            guard let data = try? bucket.get(stream, maximumBytes: 1 << 20),
                let (point, _) = NatsSource.decodeRecord(data)
            else { return 0 }
            return point.sequence
        }
        let deadline = Date().addingTimeInterval(30)
        while (covered("pump-0") < 590 || covered("pump-1") < 590) && Date() < deadline { usleep(20_000) }
        #expect(covered("pump-0") >= 590 && covered("pump-1") >= 590, "the first daemon never saved its state")
        first.signal(SIGKILL)
        let killed = first.finish()
        try publish(300..<600)
        #expect(reference.waitForOutput { $0.contains("\"frames\":1200,") }, "the reference never read 1200 frames")
        reference.signal(SIGTERM)
        let whole = reference.finish()
        #expect(whole.status == 0, "\(whole.stderr)")
        let second = try SpawnedTool([
            "run", try pipeline("fleet.toml", server: server.url, consumer: "fleet"), "--log-level", "info",
        ])
        // The successor reads the second half (and at most the frames after the first's last save again).
        #expect(second.waitForOutput { text in frames(text) >= 600 }, "the successor never read the second half")
        usleep(300_000)
        second.signal(SIGTERM)
        let rest = second.finish()
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(frames(rest.stdoutText) < 700, "the successor ran \(frames(rest.stdoutText)) frames: not resumed")
        #expect(rest.stderr.contains("state restored from fleet-state/pump-0"), "\(rest.stderr)")
        var together = anomalies(killed.stdoutText)
        let successor = anomalies(rest.stdoutText)
        for (key, value) in successor { together[key] = value }
        // The reference's closing events at its stop have no counterpart in the pair, and the other way round.
        let expected = anomalies(whole.stdoutText)
        let reachedKeys = Set(expected.keys).intersection(together.keys)
        #expect(
            expected.keys.filter { !$0.contains(" close ") }.allSatisfy { together[$0] != nil },
            "missing after takeover: \(Set(expected.keys).subtracting(together.keys))")
        #expect(!reachedKeys.isEmpty)
        // The same events (keys), the same scores; the successor's within 1 %: its restored detector reproduces the
        // spans exactly but its smoothed score differs in the last bits for a few frames after the resume point.
        for key in reachedKeys {
            let (a, b) = (expected[key]!, together[key]!)
            let tolerance = successor[key] == nil ? 1e-4 : 1e-2
            #expect(
                abs(a.0 - b.0) <= tolerance * max(1, abs(a.0)) && abs(a.1 - b.1) <= tolerance, "\(key): \(a) vs \(b)")
        }
        #expect(expected.keys.allSatisfy { !$0.hasSuffix(" none") }, "events carry seq: \(expected.keys.sorted())")
    }
}
