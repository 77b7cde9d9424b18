import Foundation
import Glibc
import GrustreamIO
import GrustreamTestSupport
import Logging
import Testing

@testable import GrustreamPipeline
@testable import GrustreamDaemon
@testable import GrustreamTraining

/// The Wyoming wake-word server: the frame reader, a session on its own, and the server over TCP and a Unix socket
/// with a client written here (`WyomingTestClient`). The Python `wyoming` package as the client: scripts/test-wyoming.
@Suite("wyoming", .serialized)
struct WyomingTests {
    static let models: WyomingModels = {
        let pipelines = ["hey-mycroft", "kws"].map {
            try! PipelineValidation.validate(
                PipelineConfig.load(Fixtures.repositoryRoot.appendingPathComponent("pipelines/\($0).toml")))
        }
        return try! WyomingModels(pipelines)
    }()

    static let recording: [UInt8] = {
        let audio = try! AudioFile.read(
            path: Fixtures.repositoryRoot.appendingPathComponent("samples/hey-mycroft-demo.wav").path, container: .wav)
        return Array(WAVEncoder.encodePCM(audio.samples, encoding: .s16le))
    }()

    static func format(_ rate: Int = 16000, width: Int = 2) -> [(String, JSONValue)] {
        [("rate", .number(Double(rate))), ("width", .number(Double(width))), ("channels", .number(1))]
    }

    /// detect, audio-start, the recording in 1024-sample chunks with timestamps, audio-stop.
    static func conversation(_ audio: [UInt8] = recording, names: [String]? = ["hey-mycroft"]) -> [WyomingEvent] {
        var events = [
            WyomingEvent(type: "detect", data: [("names", names.map { .array($0.map { .string($0) }) } ?? .null)]),
            WyomingEvent(type: "audio-start", data: format()),
        ]
        for offset in stride(from: 0, to: audio.count, by: 2048) {
            events.append(
                WyomingEvent(
                    type: "audio-chunk", data: format() + [("timestamp", .number(Double(offset / 32)))],
                    payload: Array(audio[offset..<min(audio.count, offset + 2048)])))
        }
        events.append(WyomingEvent(type: "audio-stop"))
        return events
    }

    @Test func framesReadTheSameInAnyChunks() throws {
        var bytes: [UInt8] = []
        let events = [
            WyomingEvent(type: "describe"),
            WyomingEvent(
                type: "audio-chunk", data: Self.format() + [("timestamp", .number(64))], payload: [1, 0, 255, 127]),
            WyomingEvent(type: "detect", data: [("names", .array([.string("hey-mycroft")]))]),
        ]
        for event in events { bytes += event.encoded() }
        // The wyoming package's writer puts data after the header line (data_length): merged over the header's data.
        bytes += Array(#"{"type":"audio-stop","data":{"timestamp":1,"x":2},"data_length":15,"version":"1.5.2"}"#.utf8)
        bytes += Array("\n".utf8) + Array(#"{"timestamp":9}"#.utf8)
        let expected =
            events + [WyomingEvent(type: "audio-stop", data: [("x", .number(2)), ("timestamp", .number(9))])]
        var whole = WyomingFrameReader()
        #expect(try whole.feed(bytes) == expected)
        for size in [1, 2, 7, 100] {
            var reader = WyomingFrameReader()
            var got: [WyomingEvent] = []
            for start in stride(from: 0, to: bytes.count, by: size) {
                got += try reader.feed(bytes[start..<min(bytes.count, start + size)])
            }
            #expect(got == expected, "chunks of \(size)")
            #expect(reader.bufferedBytes == 0)
        }
    }

    @Test func hostileFramesAreRefusedWithinBounds() {
        func failure(_ text: String, limits: WyomingFrameReader.Limits = .init()) -> String {
            var reader = WyomingFrameReader(limits: limits)
            do {
                _ = try reader.feed(Array(text.utf8))
                return "no error"
            } catch { return error.description }
        }
        #expect(failure("[1]\n") == "the header line is a list; expected an object")
        #expect(failure("{\"data\":{}}\n").hasPrefix("header without a \"type\" string"))
        #expect(
            failure(#"{"type":"x","payload_length":-1}"# + "\n").contains(
                "\"payload_length\" is -1; expected a whole number from 0 to 1048576"))
        #expect(failure(#"{"type":"x","payload_length":2.5}"# + "\n").contains("expected a whole number"))
        #expect(
            failure(#"{"type":"x","data_length":1e9}"# + "\n").contains(
                "\"data_length\" is 1000000000; expected a whole number from 0 to 65536"))
        #expect(failure(#"{"type":"x","data":[1]}"# + "\n") == "x: \"data\" is a list; expected an object")
        #expect(failure(#"{"type":"x","data_length":3}"# + "\n[1]").hasPrefix("the data_length bytes is a list"))
        var small = WyomingFrameReader.Limits()
        small.headerBytes = 64
        #expect(failure(String(repeating: " ", count: 65), limits: small) == "a header line longer than 64 bytes")
        var reader = WyomingFrameReader()
        #expect(throws: WyomingFrameReader.Failure.self) { _ = try reader.feed(Array("nope\n".utf8)) }
        #expect(throws: WyomingFrameReader.Failure.self) {
            _ = try reader.feed(Array(WyomingEvent(type: "describe").encoded()))
        }
    }

    @Test func aSessionAnswersAsTheProtocolSays() throws {
        let session = WyomingSession(models: Self.models)
        let info = session.handle(WyomingEvent(type: "describe"))
        #expect(info.count == 1 && info[0].type == "info")
        guard case .array(let programs)? = info[0]["wake"], case .object(let program)? = programs.first,
            case .array(let models)? = program.first(where: { $0.0 == "models" })?.1
        else { Issue.record("no wake program in \(info)"); return }
        let names = models.compactMap { model -> String? in
            guard case .object(let fields) = model, case .string(let name)? = fields.first(where: { $0.0 == "name" })?.1
            else { return nil }
            return name
        }
        #expect(
            names == [
                "hey-mycroft", "kws:yes", "kws:no", "kws:up", "kws:down", "kws:left", "kws:right", "kws:stop", "kws:go",
            ])
        #expect(
            session.handle(WyomingEvent(type: "ping", data: [("text", .string("a"))])) == [
                WyomingEvent(type: "pong", data: [("text", .string("a"))])
            ])
        let unknown = session.handle(WyomingEvent(type: "detect", data: [("names", .array([.string("okay-nabu")]))]))
        #expect(unknown.first?["code"] == .string("unknown-wake-word"))
        let wide = session.handle(WyomingEvent(type: "audio-start", data: Self.format(16000, width: 3)))
        #expect(wide.first?["code"] == .string("unsupported-audio-format"))
        #expect(
            wide.first?["text"]
                == .string(
                    "unsupported audio: 24-bit samples; this server takes signed 16- or 32-bit PCM, 1 to 256 channels, 1000–384000 Hz (converted to 16000 Hz mono)"
                ))
        #expect(session.handle(WyomingEvent(type: "audio-start", data: Self.format(44100))).isEmpty)
        #expect(session.handle(WyomingEvent(type: "audio-stop")) == [WyomingEvent(type: "not-detected")])
        let odd = session.handle(WyomingEvent(type: "audio-chunk", data: Self.format(), payload: [1, 2, 3]))
        #expect(odd.first?["code"] == .string("bad-audio-chunk"))
        #expect(session.handle(WyomingEvent(type: "select-program", data: [("name", .string("x"))])).isEmpty)

        let answers = Self.conversation().flatMap { session.handle($0) }
        #expect(answers.map(\.type) == ["detection", "detection"])
        #expect(answers.map { $0["name"] } == [.string("hey-mycroft"), .string("hey-mycroft")])
        // The timestamps are the chunks' in which the detections were made (grustream run: ends 2.24 s, 6.912 s).
        #expect(answers.map { $0["timestamp"]?.integer } == [2240, 6912])
        let silence = Self.conversation([UInt8](repeating: 0, count: 64000)).flatMap { session.handle($0) }
        #expect(silence == [WyomingEvent(type: "not-detected")])
        let other = Self.conversation(names: ["kws:yes"]).flatMap { session.handle($0) }
        #expect(!other.contains { $0["name"] == .string("hey-mycroft") }, "only the words asked for")
    }

    /// The recording at 48 kHz in two channels (libsoxr up, each sample in both channels), 32-bit: converted back by
    /// the server, it gives the same two detections, in the chunks (64 ms) where 16 kHz mono gives them or the next.
    @Test func audioAtAnotherRateAndWidthIsConverted() throws {
        let audio = try AudioFile.read(
            path: Fixtures.repositoryRoot.appendingPathComponent("samples/hey-mycroft-demo.wav").path, container: .wav)
        let up = try AudioConverter(
            inputRate: 16000, inputChannels: 1, target: AudioTarget(sampleRate: 48000, channels: 1), name: "test")
        var high: [Float] = []
        audio.samples.withUnsafeBufferPointer { up.process($0) { high.append(contentsOf: $0) } }
        try up.finish { high.append(contentsOf: $0) }
        var bytes: [UInt8] = []
        for sample in high {
            let value = Int32(max(-1, min(1 - 1e-7, Double(sample))) * 2_147_483_648)
            for _ in 0..<2 { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        }
        let format: [(String, JSONValue)] = [
            ("rate", .number(48000)), ("width", .number(4)), ("channels", .number(2)),
        ]
        var events = [WyomingEvent(type: "audio-start", data: format)]
        let chunk = 3 * 1024 * 8  // 64 ms of 48 kHz, 2 channels, 4 bytes
        for offset in stride(from: 0, to: bytes.count, by: chunk) {
            events.append(
                WyomingEvent(
                    type: "audio-chunk", data: format + [("timestamp", .number(Double(offset / chunk * 64)))],
                    payload: Array(bytes[offset..<min(bytes.count, offset + chunk)])))
        }
        events.append(WyomingEvent(type: "audio-stop"))
        let session = WyomingSession(models: Self.models)
        let detections = events.flatMap { session.handle($0) }
        #expect(detections.map(\.type) == ["detection", "detection"])
        let times = detections.compactMap { $0["timestamp"]?.integer }
        #expect(times.count == 2 && (2240...2304).contains(times[0]) && (6912...6976).contains(times[1]), "\(times)")
    }

    @Test func theServerServesManyClientsAtOnceOverTCP() throws {
        var options = WyomingServer.Options()
        options.maximumClients = 6
        let server = try WyomingServer(
            models: Self.models, address: .tcp(host: "127.0.0.1", port: 0), options: options,
            logger: Logger(label: "test"))
        let port = try #require(server.boundPort)
        let serving = Thread { server.run() }
        serving.start()
        defer { server.stop() }
        let results = ResultsBox()
        let clients = (0..<6).map { index in
            Thread {
                do {
                    let client = try WyomingTestClient(port: port)
                    let answers = try client.converse(Self.conversation())
                    results.add(index, answers.map { "\($0.type) \($0["timestamp"]?.integer ?? -1)" })
                } catch { results.add(index, ["\(error)"]) }
            }
        }
        for client in clients { client.start() }
        #expect(waitFor(seconds: 120) { results.count == 6 })
        for index in 0..<6 {
            #expect(results.get(index) == ["detection 2240", "detection 6912", "pong -1"], "client \(index)")
        }
        #expect(waitFor { server.clientCount == 0 })
        #expect(server.servedCount == 6)
    }

    @Test func oneClientTooManyGetsAnErrorAndAUnixSocketWorks() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var options = WyomingServer.Options()
        options.maximumClients = 1
        let path = directory.file("wyoming.sock")
        let server = try WyomingServer(
            models: Self.models, address: .unix(path: path), options: options, logger: Logger(label: "test"))
        let serving = Thread { server.run() }
        serving.start()
        let first = try WyomingTestClient(path: path)
        #expect(try first.converse([WyomingEvent(type: "describe")]).first?.type == "info")
        let second = try WyomingTestClient(path: path)
        let refused = try second.readEvents(until: "error")
        #expect(refused.last?["code"] == .string("too-many-clients"))
        let garbage = try WyomingTestClient(path: path, waitForSlot: { server.clientCount == 0 }, closing: first)
        garbage.send(Array("{\"type\":\"x\",\"payload_length\":99999999}\n".utf8))
        let answer = try garbage.readEvents(until: "error")
        #expect(answer.last?["code"] == .string("bad-frame"))
        #expect(garbage.readsEndOfStream())
        server.stop()
        #expect(waitFor { !FileManager.default.fileExists(atPath: path) })
    }

    @Test func urisParse() throws {
        #expect(try WyomingServer.Address(parsing: "tcp://0.0.0.0:10400") == .tcp(host: "0.0.0.0", port: 10400))
        #expect(try WyomingServer.Address(parsing: "tcp://[::1]:10400") == .tcp(host: "::1", port: 10400))
        #expect(try WyomingServer.Address(parsing: "unix:///run/x.sock") == .unix(path: "/run/x.sock"))
        for bad in ["tcp://host", "tcp://:10400", "tcp://h:0", "tcp://h:70000", "http://h:1", "unix://"] {
            #expect(throws: PipelineConfigError.self, "\(bad)") { try WyomingServer.Address(parsing: bad) }
        }
    }
}

final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Int: [String]] = [:]
    func add(_ index: Int, _ value: [String]) { lock.withLock { results[index] = value } }
    func get(_ index: Int) -> [String]? { lock.withLock { results[index] } }
    var count: Int { lock.withLock { results.count } }
}

/// A Wyoming client in Swift: connect, send events, read answers (framed by `WyomingFrameReader`).
final class WyomingTestClient {
    let fd: Int32
    private var reader = WyomingFrameReader()
    private var queued: [WyomingEvent] = []

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw PipelineConfigError("connect: \(errno)") }
    }

    init(path: String, waitForSlot: () -> Bool = { true }, closing other: WyomingTestClient? = nil) throws {
        other?.close()
        _ = waitFor(waitForSlot)
        fd = try TestSocket.connect(path)
    }

    deinit { Glibc.close(fd) }
    func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    func send(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// Events until one of type `type` (included); throws after 60 s or at the end of the stream.
    func readEvents(until type: String) throws -> [WyomingEvent] {
        var events: [WyomingEvent] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            while !queued.isEmpty {
                let event = queued.removeFirst()
                events.append(event)
                if event.type == type { return events }
            }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 100) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw PipelineConfigError("end of stream after \(events.map(\.type))") }
            queued += try reader.feed(buffer[0..<n])
        }
        throw PipelineConfigError("no \(type) within 60 s: \(events.map(\.type))")
    }

    /// Send the events, then a ping; every answer up to the pong (answers come in order).
    func converse(_ events: [WyomingEvent]) throws -> [WyomingEvent] {
        for event in events { send(event.encoded()) }
        send(WyomingEvent(type: "ping").encoded())
        return try readEvents(until: "pong")
    }

    func readsEndOfStream() -> Bool {
        var byte: UInt8 = 0
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 5000) > 0 && recv(fd, &byte, 1, 0) == 0
    }
}
