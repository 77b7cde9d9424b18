import Foundation
import GrustreamIO
import Testing

/// Two producers may not share a stream name: the second is refused with a one-line reason, reported and counted,
/// and the first one's stream goes on alone.
@Suite("Unix socket source: stream names")
struct StreamNameTests {
    @Test func aSecondProducerWithANameInUseIsRefused() throws {
        let directory = TemporaryDirectory()
        var options = UnixSocketSource.Options(format: .csv(CSVOptions(channels: 1)), sampleRate: 100, channels: 1)
        options.ringCapacityFrames = 1024
        let source = try UnixSocketSource(path: directory.file("s.sock"), options: options)
        try source.open()
        let hub = SourceHub()
        try source.start(hub: hub)
        let first = UnixSocketSourceTests.connectTo(directory.file("s.sock"))
        let firstLines = Array("stream pump-3\n1\n2\n".utf8)
        _ = firstLines.withUnsafeBytes { send(first, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        // The first producer's name is taken before the second connects.
        #expect(waitUntil { hub.totalCounters.bytesReceived >= firstLines.count })
        let second = UnixSocketSourceTests.connectTo(directory.file("s.sock"))
        let secondLines = Array("stream pump-3\n100\n200\n".utf8)
        _ = secondLines.withUnsafeBytes { send(second, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(second, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var reply = [UInt8](repeating: 0, count: 512)
        let received = recv(second, &reply, reply.count, 0)  // the reason, then end of file
        let reason = String(decoding: reply[0..<max(0, received)], as: UTF8.self)
        #expect(reason.hasPrefix("error: ") && reason.contains("stream name \"pump-3\" is in use"), "\(reason)")
        #expect(reason.hasSuffix("\n") && reason.filter { $0 == "\n" }.count == 1)
        #expect(recv(second, &reply, reply.count, 0) == 0)
        close(second)
        _ = Array("3\n".utf8).withUnsafeBytes { send(first, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(first)
        var drainer = HubDrainer()
        let finished = drainer.run(
            hub, timeout: .seconds(15), until: { $0.collected.values.filter(\.closed).count >= 1 },
            stop: { source.stop() })
        #expect(finished)
        #expect(drainer.collected.count == 1)
        #expect(drainer.byName("pump-3")?.samples == [1, 2, 3])
        #expect(drainer.sourceErrors.contains { $0.description.contains("\"pump-3\" is in use") })
        #expect(source.connectionsRefused == 1)
    }

    /// Once the holder has gone, the name is free again (a producer that reconnects keeps its name).
    @Test func aNameIsFreeAgainOnceItsProducerHasGone() throws {
        let directory = TemporaryDirectory()
        let options = UnixSocketSource.Options(format: .csv(CSVOptions(channels: 1)), sampleRate: 100, channels: 1)
        let source = try UnixSocketSource(path: directory.file("s.sock"), options: options)
        try source.open()
        let hub = SourceHub()
        try source.start(hub: hub)
        for value in 1...2 {
            let fd = UnixSocketSourceTests.connectTo(directory.file("s.sock"))
            let lines = Array("stream pump-3\n\(value)\n".utf8)
            _ = lines.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(fd)
            #expect(waitUntil { hub.totalCounters.bytesReceived >= value * lines.count })
            usleep(50_000)
        }
        var drainer = HubDrainer()
        let finished = drainer.run(
            hub, timeout: .seconds(15), until: { $0.collected.values.filter(\.closed).count >= 2 },
            stop: { source.stop() })
        #expect(finished)
        #expect(drainer.collected.values.map(\.samples).sorted { $0.first ?? 0 < $1.first ?? 0 } == [[1], [2]])
        #expect(source.connectionsRefused == 0)
    }
}

/// A socket producer whose WAV header is not the pipeline's format is refused before a stream (and its ring) exists.
@Suite("Unix socket source: WAV producers")
struct WAVProducerTests {
    @Test func aHeaderOtherThanThePipelinesIsRefusedBeforeAStreamOpens() throws {
        let directory = TemporaryDirectory()
        var options = UnixSocketSource.Options(format: .wav, sampleRate: 16000, channels: 1)
        options.limits = InputLimits(wavChannels: 1, wavSampleRate: 16000)
        let source = try UnixSocketSource(path: directory.file("s.sock"), options: options)
        try source.open()
        let hub = SourceHub()
        try source.start(hub: hub)
        let fd = UnixSocketSourceTests.connectTo(directory.file("s.sock"))
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let header = HostileDecoderTests.header(channels: 200, rate: 16000, dataBytes: 0)
        _ = header.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var reply = [UInt8](repeating: 0, count: 512)
        let received = recv(fd, &reply, reply.count, 0)
        let reason = String(decoding: reply[0..<max(0, received)], as: UTF8.self)
        #expect(reason.contains("WAV header says 200 channels, but the pipeline expects 1"), "\(reason)")
        close(fd)
        #expect(waitUntil { source.connectionsRefused == 1 })
        source.stop()
        var drainer = HubDrainer()
        let finished = drainer.run(hub, timeout: .seconds(15))
        #expect(finished)
        #expect(drainer.collected.isEmpty)
        #expect(drainer.sourceErrors.count == 1)
    }
}

/// Poll `condition` for up to 10 s.
func waitUntil(_ condition: () -> Bool) -> Bool {
    for _ in 0..<1000 {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
