import GrustreamIO
import GrustreamTestSupport
import Testing

/// Time-series files as they come: header lines, timestamps kept with their frames and carried through the ring.
@Suite("time-series input: CSV headers, timestamps, the ring")
struct TimeSeriesInputTests {
    /// Decode `text` in chunks of random size; the frames, their timestamps and the bad-frame log.
    func decode(_ text: String, _ format: InputFormat, channels: Int = 1, policy: BadFramePolicy = .skip)
        -> (values: [Float], timestamps: [Double], log: BadFrameLog)
    {
        let csvDecoder: CSVFrameDecoder?
        let jsonDecoder: JSONLinesFrameDecoder?
        switch format {
        case .csv(let options):
            csvDecoder = CSVFrameDecoder(options: options, policy: policy)
            jsonDecoder = nil
        default:
            csvDecoder = nil
            jsonDecoder = JSONLinesFrameDecoder(channels: channels, policy: policy)
        }
        var values: [Float] = []
        var timestamps: [Double] = []
        let emit: (UnsafeBufferPointer<Float>) -> Void = { frames in
            values += frames
            let stamps = csvDecoder?.emittedTimestamps ?? jsonDecoder?.emittedTimestamps
            timestamps += stamps.map(Array.init) ?? []
        }
        var generator = SeededGenerator(seed: 5)
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = min(Int.random(in: 1...17, using: &generator), bytes.count - offset)
            bytes[offset..<(offset + n)].withUnsafeBytes { piece in
                csvDecoder?.decode(piece, emit: emit)
                jsonDecoder?.decode(piece, emit: emit)
            }
            offset += n
        }
        csvDecoder?.finish(emit: emit)
        jsonDecoder?.finish(emit: emit)
        return (values, timestamps, csvDecoder?.badFrames ?? jsonDecoder?.badFrames ?? BadFrameLog())
    }

    static let nab = "timestamp,value\n2014-07-01 00:00:00,10844\n2014-07-01 00:30:00,8127\n2014-07-01 01:00:00,6210\n"
    static let nabStart = 1_404_172_800.0

    @Test func aNABFileDecodesWithItsTimestamps() {
        let result = decode(Self.nab, .csv(CSVOptions(channels: 1, timestampColumn: true)))
        #expect(result.values == [10844, 8127, 6210])
        #expect(result.timestamps == [Self.nabStart, Self.nabStart + 1800, Self.nabStart + 3600])
        #expect(result.log.count == 0)
    }

    @Test func headerAutoSkipsColumnNamesOnly() {
        let auto = CSVOptions(channels: 2)
        #expect(decode("x,y\n1,2\n", .csv(auto)).values == [1, 2])
        #expect(decode("# comment\n\n time , value \n1,2\n", .csv(auto)).values == [1, 2])
        // A first line with a value, or without a letter, is data: a damaged first row stays a counted bad frame.
        let damaged = decode("1,x\n3,4\n", .csv(auto))
        #expect(damaged.values == [3, 4] && damaged.log.count == 1)
        let otherSeparator = decode("1;2\n3;4\n", .csv(auto))
        #expect(otherSeparator.log.count == 2 && otherSeparator.log.firstLine == 1)
        // Only the first line can be a header.
        let late = decode("1,2\nx,y\n", .csv(auto))
        #expect(late.values == [1, 2] && late.log.count == 1)
        // In the timestamp column a timestamp is a value.
        let stamped = CSVOptions(channels: 1, timestampColumn: true)
        #expect(decode("2014-07-01,abc\n2014-07-02,5\n", .csv(stamped)).log.firstLine == 1)
    }

    @Test func headerTrueAndFalse() {
        let present = CSVOptions(channels: 2, header: .present)
        #expect(decode("1,2\n3,4\n", .csv(present)).values == [3, 4])
        let absent = CSVOptions(channels: 2, header: .absent)
        let result = decode("x,y\n3,4\n", .csv(absent))
        #expect(result.values == [3, 4] && result.log.count == 1 && result.log.firstLine == 1)
    }

    @Test func everyTimestampFormInOneFile() {
        let text = """
            1404172800,1
            1404172800.5,2
            2014-07-01T00:00:01Z,3
            2014-07-01T02:00:02+02:00,4
            2014-07-01 00:00:02.75,5
            """
        let result = decode(text, .csv(CSVOptions(channels: 1, timestampColumn: true)))
        #expect(result.values == [1, 2, 3, 4, 5])
        #expect(result.timestamps.map { $0 - Self.nabStart } == [0, 0.5, 1, 2, 2.75])
    }

    /// Irregular intervals and repeats are fine; a row going back is a bad frame, counted, and the next row is
    /// compared with the last good one.
    @Test func aTimestampGoingBackIsABadFrame() {
        let text = "10,1\n10,2\n3600,3\n100,4\n3601,5\n"
        let result = decode(text, .csv(CSVOptions(channels: 1, timestampColumn: true)))
        #expect(result.values == [1, 2, 3, 5])
        #expect(result.timestamps == [10, 10, 3600, 3601])
        #expect(result.log.count == 1 && result.log.firstLine == 4)
        #expect(result.log.firstReason?.contains("goes back") == true, "\(result.log.firstReason ?? "")")
        let held = decode(text, .csv(CSVOptions(channels: 1, timestampColumn: true)), policy: .hold)
        #expect(held.values == [1, 2, 3, 3, 5])
        #expect(held.timestamps == [10, 10, 3600, 3600, 3601])
    }

    @Test func aBadTimestampNamesItsField() {
        let result = decode("2014-02-30 00:00:00,1\n", .csv(CSVOptions(channels: 1, timestampColumn: true)))
        #expect(result.log.count == 1)
        #expect(
            result.log.firstReason?.hasPrefix("column 1 is not a timestamp: \"2014-02-30 00:00:00\", expected ISO 8601")
                == true, "\(result.log.firstReason ?? "")")
    }

    @Test func jsonLinesTakeNumberOrStringTimestamps() {
        let text = """
            {"t": "2014-07-01T00:00:00Z", "v": [1]}
            {"v": [2]}
            {"t": 1404172801.5, "v": [3]}
            {"t": "1404172802", "v": [4]}
            {"t": "2014-07-01T00:00:00Z", "v": [5]}
            {"t": "yesterday", "v": [6]}
            """
        let result = decode(text, .jsonLines)
        #expect(result.values == [1, 2, 3, 4])
        #expect(result.timestamps[0] == Self.nabStart && result.timestamps[1].isNaN)
        #expect(Array(result.timestamps[2...]) == [Self.nabStart + 1.5, Self.nabStart + 2])
        #expect(result.log.count == 2)
        #expect(result.log.last?.hasPrefix("line 6: \"t\" is not a timestamp: \"yesterday\"") == true)
    }

    /// The ring keeps each frame's timestamp with it, across wrap-around, partial reads and waiting writers.
    @Test func theRingCarriesTimestampsWithTheirFrames() {
        let ring = SampleRing(capacityFrames: 5, channels: 2, timestamped: true)
        var nextFrame = 0
        var received: [(Float, Double)] = []
        var out = [Float](repeating: 0, count: 6)
        var stamps = [Double](repeating: 0, count: 3)
        for round in 0..<7 {
            let frames = round % 3 + 1
            let samples = (0..<frames).flatMap { [Float(nextFrame + $0), -Float(nextFrame + $0)] }
            let times = (0..<frames).map { 1000 + Double(nextFrame + $0) / 4 }
            samples.withUnsafeBufferPointer { s in
                times.withUnsafeBufferPointer { t in _ = ring.write(s, timestamps: t, policy: .dropOldest) }
            }
            nextFrame += frames
            let read = out.withUnsafeMutableBufferPointer { o in
                stamps.withUnsafeMutableBufferPointer { ring.read(into: o, timestamps: $0) }
            }
            for k in 0..<(read.sampleCount / 2) { received.append((out[2 * k], stamps[k])) }
        }
        #expect(!received.isEmpty)
        for (value, stamp) in received { #expect(stamp == 1000 + Double(value) / 4, "frame \(value)") }
        // A ring without timestamps reads NaN; one with them, NaN for frames written without.
        let plain = SampleRing(capacityFrames: 4, channels: 1)
        _ = [Float(1)].withUnsafeBufferPointer { plain.write($0) }
        let read = out.withUnsafeMutableBufferPointer { o in
            stamps.withUnsafeMutableBufferPointer { plain.read(into: o, timestamps: $0) }
        }
        #expect(read.sampleCount == 1 && stamps[0].isNaN && !plain.isTimestamped)
    }
}
