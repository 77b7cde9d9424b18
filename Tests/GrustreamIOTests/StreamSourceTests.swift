import Foundation
import GrustreamIO
import Testing

@Suite("stdin and file sources")
struct StreamSourceTests {
    let signal: [Float] = (0..<8000).map { Float(sin(Double($0) * 0.01)) * 0.8 }

    /// Run a source on the read end of a pipe while another thread writes `data` in random chunks.
    func pipeRun(_ data: Data, options: FileSource.Options, seed: UInt64, timeout: Duration = .seconds(10)) throws
        -> (HubDrainer, Duration)
    {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let source = try FileSource(fileDescriptor: ends[0], name: "stdin", options: options)
        try source.open()
        let hub = SourceHub()
        let start = ContinuousClock.now
        try source.start(hub: hub)
        _ = writeInChunks(data, to: ends[1], seed: seed, maximumChunk: 211)
        var drainer = HubDrainer()
        let finished = drainer.run(hub, timeout: timeout)
        #expect(finished, "the stream did not finish in time")
        return (drainer, ContinuousClock.now - start)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func wavThroughAPipeInRandomChunks(seed: UInt64) throws {
        let format = PCMFormat(sampleRate: 8000, channels: 2, encoding: .s16le)
        let wav = WAVEncoder.encode(signal, format: format)
        var options = FileSource.Options(format: .wav)
        options.ringCapacityFrames = 100  // much smaller than the input: back-pressure, nothing lost
        let (drainer, _) = try pipeRun(wav, options: options, seed: seed)
        let stream = try #require(drainer.byName("stdin"))
        #expect(stream.stream.sampleRate == 8000 && stream.stream.channels == 2)
        let expected = signal.map { Float(Int16(($0 * 32768).rounded())) / 32768 }
        #expect(stream.samples == expected)
        #expect(stream.gaps == 0 && stream.stream.droppedFrames == 0 && stream.closed)
        #expect(stream.stream.error == nil)
    }

    /// Back-pressure through rings of a few frames, with frames split across writes: everything arrives, in
    /// order, and the reader never waits for room without having woken the processing side.
    @Test(arguments: [1, 2, 3, 5])
    func tinyRingsDeliverEverything(capacityFrames: Int) throws {
        let values = (0..<900).map { Float($0) }  // 300 frames of 3 channels
        var options = FileSource.Options(format: .raw(.f32le), sampleRate: 100, channels: 3)
        options.ringCapacityFrames = capacityFrames
        let (drainer, _) = try pipeRun(
            WAVEncoder.encodePCM(values, encoding: .f32le), options: options, seed: UInt64(capacityFrames))
        let stream = try #require(drainer.byName("stdin"))
        #expect(stream.samples == values)
        #expect(stream.gaps == 0 && stream.stream.droppedFrames == 0 && stream.closed)
    }

    @Test(arguments: [SampleEncoding.s16le, .f32le, .s24le])
    func rawThroughAPipe(encoding: SampleEncoding) throws {
        let raw = WAVEncoder.encodePCM(signal, encoding: encoding)
        let options = FileSource.Options(format: .raw(encoding), sampleRate: 16000, channels: 1)
        let (drainer, _) = try pipeRun(raw, options: options, seed: 9)
        let stream = try #require(drainer.byName("stdin"))
        var decoder = AudioStreamDecoder(
            container: .raw(PCMFormat(sampleRate: 16000, channels: 1, encoding: encoding)), name: "x")
        var expected: [Float] = []
        try raw.withUnsafeBytes { try decoder.decode($0) { expected += $0 } }
        #expect(stream.samples == expected)
        #expect(stream.stream.bytesReceived == raw.count)
    }

    @Test func csvFromAPipe() throws {
        let text = (0..<500).map { "\($0),\(-$0)" }.joined(separator: "\n") + "\nbad\n"
        var options = FileSource.Options(format: .csv(CSVOptions(channels: 2)), sampleRate: 100)
        options.ringCapacityFrames = 16
        let (drainer, _) = try pipeRun(Data(text.utf8), options: options, seed: 4)
        let stream = try #require(drainer.byName("stdin"))
        #expect(stream.samples == (0..<500).flatMap { [Float($0), Float(-$0)] })
        #expect(stream.stream.badFrames == 1)
        #expect(
            stream.stream.lastBadFrame == "line 501: expected 2 numeric columns separated by \",\", found 1: \"bad\"")
    }

    @Test func realtimePacing() throws {
        let half = [Float](repeating: 0.25, count: 4000)  // 0.5 s at 8 kHz
        let raw = WAVEncoder.encodePCM(half, encoding: .s16le)
        var options = FileSource.Options(format: .raw(.s16le), sampleRate: 8000, channels: 1)
        let (_, fast) = try pipeRun(raw, options: options, seed: 5)
        options.realtime = true
        let (drainer, paced) = try pipeRun(raw, options: options, seed: 5)
        #expect(drainer.byName("stdin")?.samples.count == 4000)
        #expect(paced >= .milliseconds(450), "paced: \(paced)")
        #expect(paced < .milliseconds(1500), "paced: \(paced)")
        #expect(fast < .milliseconds(400), "unpaced: \(fast)")
    }

    /// A live pipe (`arecord | grustream`): what was written reaches the processing side at once, while the pipe
    /// stays open — the reader wakes the processing thread before it waits for more, whatever the ring's fill.
    @Test func pipedSamplesArriveBeforeTheWriterCloses() throws {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let options = FileSource.Options(format: .raw(.s16le), sampleRate: 8000, channels: 1)  // 2 s ring
        let source = try FileSource(fileDescriptor: ends[0], name: "stdin", options: options)
        try source.open()
        let hub = SourceHub()
        try source.start(hub: hub)
        let piece = WAVEncoder.encodePCM([Float](repeating: 0.25, count: 800), encoding: .s16le)  // 0.1 s
        #expect(piece.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) } == piece.count)
        // Every wake-up must come from a signal (a timeout fails): the stream opening, then its samples.
        let start = ContinuousClock.now
        var stream: SourceStream?
        while (stream?.ring.availableFrames ?? 0) < 800 && ContinuousClock.now - start < .seconds(5) {
            #expect(hub.wait(timeout: .seconds(3)), "not woken for the samples in the ring")
            for case .opened(let opened) in hub.takeEvents() { stream = opened }
        }
        #expect(stream?.ring.availableFrames == 800)
        #expect(ContinuousClock.now - start < .seconds(1), "\(ContinuousClock.now - start)")
        close(ends[1])
    }

    @Test func fileSourceAndStop() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("in.wav")
        try WAVEncoder.encode(signal, format: PCMFormat(sampleRate: 8000, channels: 1, encoding: .f32le))
            .write(to: URL(fileURLWithPath: path))
        let source = try FileSource(path: path, options: FileSource.Options(format: .wav))
        try source.open()
        let hub = SourceHub()
        try source.start(hub: hub)
        var drainer = HubDrainer()
        let done = drainer.run(hub)
        #expect(done)
        #expect(drainer.byName(path)?.samples == signal)

        // stop() while a realtime file plays: the stream closes early, with what was delivered.
        var paced = FileSource.Options(format: .wav)
        paced.realtime = true
        let slow = try FileSource(path: path, options: paced)
        try slow.open()
        let hub2 = SourceHub()
        try slow.start(hub: hub2)
        var drainer2 = HubDrainer()
        let start = ContinuousClock.now
        let finished = drainer2.run(
            hub2, timeout: .seconds(5), until: { ($0.byName(path)?.samples.count ?? 0) > 0 }, stop: { slow.stop() })
        #expect(finished)
        #expect(ContinuousClock.now - start < .seconds(1))
        let count = drainer2.byName(path)?.samples.count ?? 0
        #expect(count > 0 && count < signal.count)
    }

    @Test func errorsAreOneClearLine() throws {
        let missing = try FileSource(path: "/nonexistent/x.wav", options: FileSource.Options())
        let error = #expect(throws: InputError.self) { try missing.open() }
        #expect(
            error?.description
                == "/nonexistent/x.wav: cannot open input: No such file or directory; check the path, or use --source - to read stdin"
        )

        // A bad WAV header arrives as a source error through the hub (the stream never opened).
        let (drainer, _) = try pipeRun(
            Data("RIFX1234WAVEfmt ".utf8), options: FileSource.Options(format: .wav), seed: 1)
        #expect(
            drainer.sourceErrors.map(\.description) == [
                "stdin: not a WAV file (starts with \"RIFX\", expected \"RIFF\")"
            ])
        #expect(drainer.collected.isEmpty)
    }
}
