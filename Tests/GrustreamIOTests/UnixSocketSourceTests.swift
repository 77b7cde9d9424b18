import Foundation
import GrustreamIO
import Testing

@Suite("Unix socket source")
struct UnixSocketSourceTests {
    /// Connect to `path`; the descriptor, or -1.
    static func connectTo(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 {
            close(fd)
            return -1
        }
        return fd
    }

    /// Start a source on a fresh path; returns it with its hub.
    func startSource(_ options: UnixSocketSource.Options, in directory: TemporaryDirectory) throws -> (
        UnixSocketSource, SourceHub
    ) {
        let source = try UnixSocketSource(path: directory.file("s.sock"), options: options)
        try source.open()
        let hub = SourceHub()
        try source.start(hub: hub)
        return (source, hub)
    }

    /// Collect until `streams` streams have closed, then stop the source and drain.
    func collect(_ source: UnixSocketSource, _ hub: SourceHub, streams: Int) -> HubDrainer {
        var drainer = HubDrainer()
        let finished = drainer.run(
            hub, timeout: .seconds(15), until: { $0.collected.values.filter(\.closed).count >= streams },
            stop: { source.stop() })
        #expect(finished)
        return drainer
    }

    static func frames(_ producer: Int, count: Int, channels: Int) -> [Float] {
        (0..<(count * channels)).map { Float(producer * 100_000 + $0) / 4 }
    }

    static func encode(_ values: [Float], format: String, channels: Int) -> Data {
        switch format {
        case "csv":
            return Data(
                stride(from: 0, to: values.count, by: channels).map { i in
                    values[i..<(i + channels)].map { "\($0)" }.joined(separator: ",") + "\n"
                }.joined().utf8)
        case "jsonl":
            return Data(
                stride(from: 0, to: values.count, by: channels).enumerated().map { n, i in
                    "{\"t\":\(Double(n) / 100),\"v\":["
                        + values[i..<(i + channels)].map { "\($0)" }.joined(separator: ",") + "]}\n"
                }.joined().utf8)
        default:
            return values.withUnsafeBytes { Data($0) }
        }
    }

    @Test(arguments: ["csv", "jsonl", "f32le"])
    func concurrentProducersArriveCompleteInOrderWithTheirNames(format: String) throws {
        let directory = TemporaryDirectory()
        let channels = 3
        let inputFormat: InputFormat =
            format == "csv" ? .csv(CSVOptions(channels: channels)) : format == "jsonl" ? .jsonLines : .raw(.f32le)
        var options = UnixSocketSource.Options(format: inputFormat, sampleRate: 100, channels: channels)
        options.ringCapacityFrames = 1 << 16
        let (source, hub) = try startSource(options, in: directory)
        let producers = 8
        let count = 2000
        let path = directory.file("s.sock")
        for producer in 0..<producers {
            let named = producer % 2 == 0
            let header = producer % 4 == 0 ? "stream pump-\(producer)\n" : "{\"stream\":\"pump-\(producer)\"}\n"
            let data =
                (named ? Data(header.utf8) : Data())
                + Self.encode(
                    Self.frames(producer, count: count, channels: channels), format: format, channels: channels)
            let fd = Self.connectTo(path)
            #expect(fd >= 0)
            _ = writeInChunks(data, to: fd, seed: UInt64(producer), maximumChunk: 300)
        }
        let drainer = collect(source, hub, streams: producers)
        #expect(drainer.collected.count == producers)
        for producer in 0..<producers {
            let streams = drainer.collected.values.filter {
                $0.samples.first == Self.frames(producer, count: 1, channels: channels).first
            }
            let stream = try #require(streams.first, "producer \(producer)")
            if producer % 2 == 0 {
                #expect(stream.stream.name == "pump-\(producer)")
            } else {
                #expect(stream.stream.name.hasPrefix(path + "#"))
            }
            #expect(stream.samples == Self.frames(producer, count: count, channels: channels), "producer \(producer)")
            #expect(stream.stream.badFrames == 0 && stream.stream.droppedFrames == 0)
            #expect(stream.stream.channels == channels && stream.stream.sampleRate == 100)
        }
        #expect(!FileManager.default.fileExists(atPath: path))  // removed at stop
    }

    @Test(arguments: BadFramePolicy.allCases)
    func vanishingProducersAndBadFrames(policy: BadFramePolicy) throws {
        let directory = TemporaryDirectory()
        var options = UnixSocketSource.Options(format: .csv(CSVOptions(channels: 2)), sampleRate: 100, channels: 2)
        options.badFramePolicy = policy
        let (source, hub) = try startSource(options, in: directory)
        let path = directory.file("s.sock")
        let inputs = [
            "stream cut\n1,2\n3,4\n5,",  // vanishes mid-line
            "stream bad\n1,2\nx,y\n3\n5,6\n1,nan\n",
            "{\"stream\":\"binary-name-but-csv\"}\n7,8\n",
            "stream only-bad\n1;2\n3\n",  // no letters: not a header line
        ]
        for (index, text) in inputs.enumerated() {
            let fd = Self.connectTo(path)
            #expect(fd >= 0)
            writeInChunks(Data(text.utf8), to: fd, seed: UInt64(index), maximumChunk: 3).join()
        }
        let drainer = collect(source, hub, streams: inputs.count)
        let cut = try #require(drainer.byName("cut"))
        #expect(cut.samples == (policy == .skip ? [1, 2, 3, 4] : [1, 2, 3, 4, 3, 4]))
        #expect(cut.stream.badFrames == 1)
        #expect(cut.stream.lastBadFrame == "line 3: input ends inside a line (2 bytes without a newline)")
        let bad = try #require(drainer.byName("bad"))
        #expect(bad.stream.badFrames == 3)
        #expect(bad.stream.lastBadFrame == "line 5: column 2 is not finite: \"nan\"")
        #expect(bad.samples == (policy == .skip ? [1, 2, 5, 6] : [1, 2, 1, 2, 1, 2, 5, 6, 5, 6]))
        #expect(drainer.byName("binary-name-but-csv")?.samples == [7, 8])
        let onlyBad = try #require(drainer.byName("only-bad"), "a stream with only bad frames still opens")
        #expect(onlyBad.samples.isEmpty && onlyBad.stream.badFrames == 2)
        #expect(hub.totalCounters.badFrames == 1 + 3 + 2)
    }

    @Test func staleSocketIsReplacedLiveOneRefused() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("s.sock")
        // A stale socket file: bound, then its owner went away without unlinking it.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(stale)
        #expect(FileManager.default.fileExists(atPath: path))
        let options = UnixSocketSource.Options(format: .jsonLines, sampleRate: 100, channels: 1)
        let first = try UnixSocketSource(path: path, options: options)
        try first.open()  // replaces the stale file
        let second = try UnixSocketSource(path: path, options: options)
        let error = #expect(throws: InputError.self) { try second.open() }
        #expect(
            error?.description.hasPrefix("unix:\(path): socket is in use by another process") == true,
            "\(error?.description ?? "")")
        // A regular file is never removed.
        let plain = directory.file("plain")
        #expect(FileManager.default.createFile(atPath: plain, contents: Data("keep".utf8)))
        let third = try UnixSocketSource(path: plain, options: options)
        let error3 = #expect(throws: InputError.self) { try third.open() }
        #expect(
            error3?.description
                == "unix:\(plain): \(plain) exists and is not a socket; remove it or choose another path")
        #expect(FileManager.default.fileExists(atPath: plain))
    }

    /// The target load: 1,000 producers at 100 Hz. Each sends 1 s of frames (100) in 10 writes of 10 frames,
    /// all connections open at once; everything must arrive, in order, in well under the 1 s it represents.
    @Test func thousandConcurrentStreams() throws {
        let directory = TemporaryDirectory()
        var options = UnixSocketSource.Options(format: .raw(.s16le), sampleRate: 100, channels: 1)
        options.ringCapacityFrames = 200
        let (source, hub) = try startSource(options, in: directory)
        let path = directory.file("s.sock")
        let connections = 1000
        var fds: [Int32] = []
        for _ in 0..<connections {
            let fd = Self.connectTo(path)
            #expect(fd >= 0)
            fds.append(fd)
        }
        let start = ContinuousClock.now
        let producers = fds
        let sender = Thread {
            for round in 0..<10 {
                for (index, fd) in producers.enumerated() {
                    let values = (0..<10).map { Int16(truncatingIfNeeded: index &* 7 + round * 10 + $0) }
                    _ = values.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                }
            }
            for fd in producers { close(fd) }
        }
        sender.start()
        let drainer = collect(source, hub, streams: connections)
        let elapsed = ContinuousClock.now - start
        #expect(drainer.collected.count == connections)
        let wrong = drainer.collected.values.filter {
            $0.samples.count != 100 || $0.stream.droppedFrames != 0 || $0.gaps != 0
        }
        #expect(
            wrong.isEmpty,
            "\(wrong.prefix(5).map { "\($0.stream.name): \($0.samples.count) dropped \($0.stream.droppedFrames)" })")
        #expect(source.connectionsAccepted == connections)
        #expect(elapsed < .seconds(8), "1,000 × 100 frames took \(elapsed)")
        print("1,000 streams × 100 frames (1 s at 100 Hz) delivered in \(elapsed)")
    }
}

extension UnixSocketSourceTests {
    /// A live stream whose reader is away: the ring keeps the newest frames, drops and counts the oldest.
    @Test func liveStreamDropsTheOldestWhenTheReaderIsAway() throws {
        let directory = TemporaryDirectory()
        var options = UnixSocketSource.Options(format: .raw(.f32le), sampleRate: 100, channels: 2)
        options.ringCapacityFrames = 16
        let (source, hub) = try startSource(options, in: directory)
        defer { source.stop() }
        let values = (0..<2000).map(Float.init)  // 1,000 frames
        let fd = Self.connectTo(directory.file("s.sock"))
        writeInChunks(values.withUnsafeBytes { Data($0) }, to: fd, seed: 3, maximumChunk: 500).join()
        // Do not read until the producer's stream has closed.
        var closed: SourceStream?
        let deadline = ContinuousClock.now + .seconds(10)
        while closed == nil && ContinuousClock.now < deadline {
            hub.wait(timeout: .milliseconds(50))
            for case .closed(let stream) in hub.takeEvents() { closed = stream }
        }
        let stream = try #require(closed)
        var buffer = [Float](repeating: 0, count: 100)
        let read = buffer.withUnsafeMutableBufferPointer { stream.read(into: $0) }
        #expect(read.sampleCount == 32 && read.firstFrame == 984)
        #expect(Array(buffer[0..<32]) == Array(values[1968...]))
        #expect(stream.droppedFrames == 984)
        #expect(stream.bytesReceived == 8000)
    }
}
