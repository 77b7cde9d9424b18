import Foundation
import Glibc
import GrustreamIO
import GrustreamTestSupport
import Testing

@testable import GrustreamPipeline
@testable import GrustreamDaemon
@testable import GrustreamTraining

/// Runtime commands on the events socket: the strict parser, and PAUSE / RESUME / RESET / THRESHOLD end to end
/// through a running `grustream run` (the demo pipeline: two "hey mycroft" detections in its recording).
@Suite("runtime control", .serialized)
struct RuntimeControlTests {
    @Test func commandsDecodeStrictly() throws {
        #expect(try SocketRequest.decode(Array(#"{"class":"PAUSE"}"#.utf8)) == .control(.init(command: .pause)))
        #expect(
            try SocketRequest.decode(Array(#" {"class":"RESET","stream":"kitchen"} "#.utf8))
                == .control(.init(command: .reset, stream: "kitchen")))
        #expect(
            try SocketRequest.decode(Array(#"{"value":0.5,"class":"THRESHOLD","label":"yes"}"#.utf8))
                == .control(.init(command: .threshold, value: 0.5, label: "yes")))
        #expect(try SocketRequest.decode(Array(#"{"class":"WATCH","scores":true}"#.utf8)) != nil)
        func message(_ line: String) -> String {
            do {
                _ = try SocketRequest.decode(Array(line.utf8))
                return "decoded"
            } catch { return error.description }
        }
        #expect(
            message(#"{"class":"PAUSE","for":3}"#)
                == #"bad request: PAUSE has no field "for"; expected "class", "stream""#)
        #expect(message(#"{"class":"THRESHOLD"}"#) == #"bad request: THRESHOLD needs "value", a number (got none)"#)
        #expect(message(#"{"class":"THRESHOLD","value":"0.5"}"#).hasPrefix("bad request: THRESHOLD needs \"value\""))
        #expect(message(#"{"class":"RESET","stream":""}"#).hasPrefix("bad request: RESET.stream is \"\""))
        #expect(message(#"{"class":"RESET","stream":1}"#).hasPrefix("bad request: RESET.stream is 1"))
        #expect(message(#"{"class":"PAUSE","stream":"a","stream":"b"}"#) == #"bad request: PAUSE has "stream" twice"#)
        #expect(
            message(#"{"class":"MUTE"}"#).hasPrefix(
                "bad request: unknown class \"MUTE\"; the requests are WATCH, PAUSE"))
        let long = String(repeating: "x", count: ControlRequest.maximumNameBytes + 1)
        #expect(message(#"{"class":"RESUME","stream":"\#(long)"}"#).hasPrefix("bad request: RESUME.stream is"))
        for request in [
            ControlRequest(command: .threshold, stream: "s \"1\"", value: 1e-7, label: "ü"),
            ControlRequest(command: .resume),
        ] {
            #expect(try SocketRequest.decode(Array(request.line().utf8)) == .control(request))
        }
    }

    @Test func aSocketWithoutControlRefusesCommands() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var options = UnixSocketPublisher.Options()
        options.acceptsControl = false
        let publisher = try UnixSocketPublisher(path: directory.file("e.sock"), pipeline: "p", options: options)
        defer { publisher.close() }
        let client = try TestClient(path: directory.file("e.sock"))
        _ = client.readLine()
        client.send(#"{"class":"PAUSE"}"# + "\n")
        let answer = client.readLine() ?? ""
        #expect(answer.contains(#""class":"ERROR""#) && answer.contains("does not accept commands"), "\(answer)")
        #expect(publisher.takeControls().isEmpty)
        #expect(publisher.badRequests == 1)
    }

    @Test func resetZeroesTheHiddenStateFromTheNextFrame() throws {
        let processor = try StreamProcessor(
            name: "s", pipeline: StreamProcessorTests.pipeline(), bus: PublisherGroup([RecordingPublisher()]))
        let samples = try StreamProcessorTests.recording()
        samples.withUnsafeBufferPointer { processor.accept(UnsafeBufferPointer(rebasing: $0[0..<16000])) }
        #expect(processor.snapshot().gru.hidden.scalars.contains { $0 != 0 })
        processor.resetForCommand()
        #expect(processor.snapshot().gru.hidden.scalars.allSatisfy { $0 == 0 })
        #expect(processor.frames > 0)
    }

    /// `grustream run demo` fed on stdin, its events socket in a temporary folder.
    final class Daemon {
        let folder = TemporaryDirectory()
        let socket: String
        let process: SpawnedTool

        init() throws {
            socket = folder.file("demo.sock")
            process = try SpawnedTool([
                "run", "demo", "--source", "-", "--format", "wav", "--socket", socket, "--log-level", "error",
            ])
            guard waitFor(seconds: 20, { acceptsConnections(socket) }) else {
                throw PipelineConfigError("the socket never appeared")
            }
        }

        func client() throws -> TestClient {
            // The socket file exists from bind(); connections succeed from listen() on, a moment later.
            var attempt: TestClient?
            for _ in 0..<200 where attempt == nil {
                attempt = try? TestClient(path: socket)
                if attempt == nil { usleep(20_000) }
            }
            let client = try attempt ?? TestClient(path: socket)
            #expect(client.readLine(timeout: 10)?.contains(#""class":"VERSION""#) == true)
            return client
        }

        /// Send a command; the first `CONTROL` or `ERROR` line that comes back, as an object.
        func command(_ line: String, on client: TestClient) -> [String: Any] {
            client.send(line + "\n")
            while let answer = client.readLine(timeout: 10) {
                let object = RuntimeControlTests.parse(answer)
                if ["CONTROL", "ERROR"].contains(object["class"] as? String ?? "") { return object }
            }
            return [:]
        }

        /// Feed the recording, close stdin; every event printed on stdout.
        func finish() throws -> [[String: Any]] {
            process.write(
                try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("samples/hey-mycroft-demo.wav")))
            let result = process.finish()
            #expect(result.status == 0, "\(result.stderr)")
            folder.remove()
            return result.stdoutText.split(separator: "\n").map { RuntimeControlTests.parse(String($0)) }
        }
    }

    static func parse(_ line: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    static func count(_ events: [[String: Any]], _ kind: String) -> Int {
        events.filter { $0["class"] as? String == kind }.count
    }

    @Test func pausedDetectionPublishesNothingAndCountsThePausedTime() throws {
        let daemon = try Daemon()
        let client = try daemon.client()
        let ack = daemon.command(#"{"class":"PAUSE"}"#, on: client)
        #expect(ack["class"] as? String == "CONTROL" && ack["command"] as? String == "PAUSE", "\(ack)")
        #expect(ack["paused"] as? Bool == true && ack["stream"] as? String == "demo")
        let events = try daemon.finish()
        #expect(Self.count(events, "DETECTION") == 0)
        #expect(Self.count(events, "CONTROL") == 1, "the acknowledgement goes to stdout too")
        let stats = events.last { $0["class"] as? String == "STATS" }
        let frames = stats?["frames"] as? Int ?? 0
        #expect(frames > 140)
        let paused = stats?["paused_s"] as? Double ?? 0
        #expect(abs(paused - Double(frames) * 0.05) < 1e-9, "every frame paused (50 ms hop): \(paused) s")
        let rest = client.readUntilClosed(timeout: 10) ?? []
        #expect(!rest.contains { $0.contains(#""class":"DETECTION""#) })
    }

    @Test func resumedDetectionFindsBothWakeWords() throws {
        let daemon = try Daemon()
        let client = try daemon.client()
        #expect(daemon.command(#"{"class":"PAUSE"}"#, on: client)["paused"] as? Bool == true)
        let resumed = daemon.command(#"{"class":"RESUME"}"#, on: client)
        #expect(resumed["command"] as? String == "RESUME" && resumed["paused"] as? Bool == false, "\(resumed)")
        #expect(resumed["paused_s"] as? Double == 0)
        let reset = daemon.command(#"{"class":"RESET"}"#, on: client)
        #expect(reset["command"] as? String == "RESET", "\(reset)")
        let events = try daemon.finish()
        #expect(Self.count(events, "DETECTION") == 2)
        #expect(events.last?["paused_s"] as? Double == 0)
    }

    @Test func thresholdChangesAndRefusalsGoOnlyToTheSender() throws {
        let daemon = try Daemon()
        let sender = try daemon.client()
        let watcher = try daemon.client()
        let refused = [
            daemon.command(#"{"class":"THRESHOLD","value":1.5}"#, on: sender),
            daemon.command(#"{"class":"THRESHOLD","value":0.9,"label":"alexa"}"#, on: sender),
            daemon.command(#"{"class":"PAUSE","stream":"kitchen"}"#, on: sender),
            daemon.command(#"{"class":"PAUSE","seconds":3}"#, on: sender),
        ]
        let messages = refused.map { $0["message"] as? String ?? "\($0)" }
        #expect(
            messages[0] == "THRESHOLD refused: threshold 1.5 is out of range; expected ≥ 0 and ≤ 1 (1 − sensitivity)")
        #expect(messages[1] == "THRESHOLD refused: no label \"alexa\"; the wake word is hey-mycroft")
        #expect(messages[2].hasPrefix("PAUSE refused: no open stream \"kitchen\"; open: "))
        #expect(messages[3].hasPrefix("bad request: PAUSE has no field \"seconds\""))
        let ack = daemon.command(#"{"class":"THRESHOLD","value":1}"#, on: sender)
        #expect(ack["command"] as? String == "THRESHOLD" && ack["threshold"] as? Double == 1, "\(ack)")
        #expect(ack.keys.contains("label") && ack["label"] is NSNull)
        let events = try daemon.finish()
        #expect(Self.count(events, "DETECTION") == 0, "no chunk scores above 1")
        #expect(Self.count(events, "ERROR") == 0, "refusals are answers to the sender, not published")
        let seen = (watcher.readUntilClosed(timeout: 10) ?? []).map(Self.parse)
        #expect(Self.count(seen, "ERROR") == 0)
        #expect(Self.count(seen, "CONTROL") == 1, "the acknowledgement is published")
        #expect(events.last?["bad_requests"] as? Int == 1)
    }
}
