import Foundation
import GrustreamIO
import GrustreamTestSupport
import Testing

@testable import GrustreamNATS

/// All frames of the hub's open streams, by stream name (after taking the hub's events).
private func framesByStream(_ hub: SourceHub) -> [String: [Float]] {
    _ = hub.takeEvents()
    var result: [String: [Float]] = [:]
    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 4096)
    defer { buffer.deallocate() }
    for stream in hub.streams {
        while case let read = stream.read(into: buffer), read.sampleCount > 0 {
            result[stream.name, default: []] += buffer[0..<read.sampleCount]
        }
    }
    return result
}

private func routerOptions(format: InputFormat, channels: Int = 2) -> NatsStreamRouter.Options {
    NatsStreamRouter.Options(
        format: format, sampleRate: 100, channels: channels, badFramePolicy: .skip, ringCapacityFrames: 4096,
        limits: InputLimits(), maximumMessageBytes: 64)
}

@Suite("NATS source")
struct NatsSourceTests {
    @Test func streamIDsAreTheLastSubjectTokenWhenItIsSafe() {
        #expect(NatsStreamRouter.streamID(subject: "sensors.pump1") == "pump1")
        #expect(NatsStreamRouter.streamID(subject: "part.2.sensors.pump-3_b") == "pump-3_b")
        #expect(NatsStreamRouter.streamID(subject: "pump1") == "pump1")
        #expect(NatsStreamRouter.streamID(subject: "sensors.") == nil)
        #expect(NatsStreamRouter.streamID(subject: "sensors.pü") == nil)
        #expect(NatsStreamRouter.streamID(subject: "sensors.a b") == nil)
        #expect(NatsStreamRouter.streamID(subject: "sensors." + String(repeating: "x", count: 65)) == nil)
        #expect(NatsStreamRouter.streamID(subject: "sensors." + String(repeating: "x", count: 64))?.count == 64)
    }

    @Test func partitionSubjects() {
        #expect(NatsSource.subjects(subject: "sensors.*", partitions: []) == ["sensors.*"])
        #expect(
            NatsSource.subjects(subject: "sensors.*", partitions: [0, 3]) == ["part.0.sensors.*", "part.3.sensors.*"])
    }

    @Test func textMessagesBecomeFramesOfTheirSubjectsStream() {
        let hub = SourceHub()
        let router = NatsStreamRouter(
            options: routerOptions(format: .csv(CSVOptions(channels: 2))), hub: hub,
            registry: NatsStreamRegistry(limit: 10))
        func send(_ subject: String, _ text: String) -> Bool {
            Array(text.utf8).withUnsafeBytes { router.receive(subject: subject, payload: $0) } != nil
        }
        #expect(send("sensors.a", "1,2\n3,4\n"))
        #expect(send("sensors.b", "5,6"))  // the last line of a message needs no newline
        #expect(send("sensors.a", "7,8"))
        #expect(send("sensors.a", "9,x\n10,11\n"))  // a bad frame inside a good message: the decoder's
        let frames = framesByStream(hub)
        #expect(frames["a"] == [1, 2, 3, 4, 7, 8, 10, 11])
        #expect(frames["b"] == [5, 6])
        #expect(hub.streams.first { $0.name == "a" }?.badFrames == 1)
        #expect(router.malformedMessages == 0)
    }

    @Test func hostileMessagesAreCountedAndSkipped() {
        let hub = SourceHub()
        let registry = NatsStreamRegistry(limit: 2)
        let router = NatsStreamRouter(options: routerOptions(format: .raw(.f32le)), hub: hub, registry: registry)
        func send(_ subject: String, _ values: [Float], extraBytes: Int = 0) -> Bool {
            var bytes = values.withUnsafeBytes { Array($0) }
            bytes += [UInt8](repeating: 0, count: extraBytes)
            return bytes.withUnsafeBytes { router.receive(subject: subject, payload: $0) } != nil
        }
        #expect(send("sensors.a", [1, 2]))
        #expect(!send("sensors.a", [1, 2], extraBytes: 3))  // cut inside a frame
        #expect(!send("sensors.a", [Float](repeating: 0, count: 18)))  // 72 bytes > 64
        #expect(!send("sensors.bad id", [1, 2]))
        #expect(send("sensors.b", [3, 4]))
        #expect(!send("sensors.c", [5, 6]))  // beyond the stream limit
        #expect(router.malformedMessages == 4)
        #expect(router.lastMalformed?.contains("c: stream refused") == true)
        let frames = framesByStream(hub)
        #expect(frames == ["a": [1, 2], "b": [3, 4]])
        router.closeAll()
        #expect(registry.count == 0)
    }

    @Test func aStreamIDIsHeldByOneSubscriptionOnly() {
        let hub = SourceHub()
        let registry = NatsStreamRegistry(limit: 10)
        let first = NatsStreamRouter(options: routerOptions(format: .jsonLines), hub: hub, registry: registry)
        let second = NatsStreamRouter(options: routerOptions(format: .jsonLines), hub: hub, registry: registry)
        let line = Array(#"{"v":[1,2]}"#.utf8)
        #expect(line.withUnsafeBytes { first.receive(subject: "part.1.sensors.a", payload: $0) } != nil)
        #expect(line.withUnsafeBytes { second.receive(subject: "part.2.sensors.a", payload: $0) } == nil)
        #expect(second.malformedMessages == 1)
    }

    @Test func framesPublishedOnSubjectsArriveAsStreams() throws {
        let server = try NatsTestServer()
        var options = NatsSource.Options(servers: [server.url], subjects: ["sensors.*"])
        options.format = .csv(CSVOptions(channels: 1))
        options.sampleRate = 100
        let source = NatsSource(options: options)
        let hub = SourceHub()
        try source.open()
        try source.start(hub: hub)
        let producer = try NatsConnection(servers: [server.url], name: "test producer")
        for i in 0..<50 {
            try producer.publish("sensors.p\(i % 2)", "\(i)\n")
            try producer.publish("other.p9", "\(i)\n")  // not subscribed
        }
        try producer.publish("sensors.p0", String(repeating: "1\n", count: 40000))  // > 64 KiB: malformed
        try producer.flush()
        var frames: [String: [Float]] = [:]
        let deadline = Date().addingTimeInterval(10)
        while frames.values.reduce(0, { $0 + $1.count }) < 50 && Date() < deadline {
            hub.wait(timeout: .milliseconds(100))
            for (name, values) in framesByStream(hub) { frames[name, default: []] += values }
        }
        #expect(frames["p0"] == stride(from: 0, to: 50, by: 2).map(Float.init))
        #expect(frames["p1"] == stride(from: 1, to: 50, by: 2).map(Float.init))
        #expect(frames["p9"] == nil)
        let malformedDeadline = Date().addingTimeInterval(5)
        while source.malformedMessages < 1 && Date() < malformedDeadline { usleep(10_000) }
        #expect(source.malformedMessages == 1)
        source.stop()
        let stopDeadline = Date().addingTimeInterval(5)
        while !hub.isFinished && Date() < stopDeadline {
            hub.wait(timeout: .milliseconds(100))
            _ = hub.takeEvents()
        }
        #expect(hub.isFinished)
    }

    @Test func anUnreachableServerIsOneClearError() {
        let source = NatsSource(options: NatsSource.Options(servers: ["nats://127.0.0.1:1"], subjects: ["sensors.*"]))
        #expect {
            try source.open()
        } throws: { error in
            "\(error)".contains("cannot connect to NATS at nats://127.0.0.1:1") && !"\(error)".contains("\n")
        }
    }
}

@Suite("NATS delivery ledger")
struct NatsDeliveryLedgerTests {
    @Test func messagesAreAcknowledgedInOrderOnceSavedStateCoversThem() {
        let ledger = NatsDeliveryLedger()
        ledger.record(partition: 0, sequence: 10, stream: "a", frames: 3, reply: "r10")
        ledger.record(partition: 0, sequence: 11, stream: nil, frames: 0, reply: "r11")  // malformed
        ledger.record(partition: 0, sequence: 12, stream: "b", frames: 2, reply: "r12")
        ledger.record(partition: 0, sequence: 13, stream: "a", frames: 2, reply: "r13")
        #expect(ledger.takeAcknowledgeable().isEmpty)
        #expect(ledger.coverage("a", inputFrames: 4) == NatsResumePoint(sequence: 13, frames: 1))
        #expect(ledger.coverage("a", inputFrames: 3) == NatsResumePoint(sequence: 10, frames: 3))
        #expect(ledger.coverage("a", inputFrames: 0) == nil)
        ledger.markSaved("a", inputFrames: 3)
        #expect(ledger.takeAcknowledgeable().map(\.reply) == ["r11"])  // 10 and the malformed 11; 12 waits for b
        ledger.markSaved("a", inputFrames: 5)
        #expect(ledger.takeAcknowledgeable().isEmpty)
        ledger.markSaved("b", inputFrames: 2)
        #expect(ledger.takeAcknowledgeable().map(\.reply) == ["r13"])
        #expect(ledger.unacknowledged == 0)
        #expect(ledger.sequence("a", frame: 4) == 13)  // the newest, after acknowledgement
    }

    @Test func aResumedStreamSkipsWhatItsStateCovers() {
        let ledger = NatsDeliveryLedger()
        ledger.setResume("a", NatsResumePoint(sequence: 20, frames: 2))
        #expect(ledger.framesToSkip("a", sequence: 19) == Int.max)
        #expect(ledger.framesToSkip("a", sequence: 20) == 2)
        #expect(ledger.framesToSkip("a", sequence: 21) == 0)
        #expect(ledger.framesToSkip("b", sequence: 1) == 0)
        ledger.record(partition: 1, sequence: 20, stream: "a", frames: 3, reply: "r20")  // frames 2...4 of 20
        ledger.record(partition: 1, sequence: 21, stream: "a", frames: 1, reply: "r21")
        #expect(ledger.coverage("a", inputFrames: 1) == NatsResumePoint(sequence: 20, frames: 3))
        #expect(ledger.coverage("a", inputFrames: 4) == NatsResumePoint(sequence: 21, frames: 1))
        #expect(ledger.sequence("a", frame: 0) == 20)
        #expect(ledger.sequence("a", frame: 3) == 21)
    }

    @Test func recordsRoundTripAndHostileOnesAreRefused() {
        let point = NatsResumePoint(sequence: 1 << 40, frames: 7)
        let record = NatsSource.encodeRecord(point, state: Data([1, 2, 3]))
        #expect(NatsSource.decodeRecord(record)?.0 == point)
        #expect(NatsSource.decodeRecord(record)?.1 == Data([1, 2, 3]))
        #expect(NatsSource.decodeRecord(Data(record.prefix(19))) == nil)
        var wrong = record
        wrong[0] = UInt8(ascii: "X")
        #expect(NatsSource.decodeRecord(wrong) == nil)
        var huge = record
        huge[19] = 0xFF  // a frame count beyond Int32
        #expect(NatsSource.decodeRecord(huge) == nil)
    }
}
