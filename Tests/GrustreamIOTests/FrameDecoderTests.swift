import GrustreamTestSupport
import Foundation
import GrustreamIO
import Testing

@Suite("sensor frame decoders")
struct FrameDecoderTests {
    /// Feed `text` in chunks of `chunk` bytes (0: random sizes) and collect the frames.
    func run(
        _ text: String, chunk: Int, decode: (UnsafeRawBufferPointer, (UnsafeBufferPointer<Float>) -> Void) -> Void,
        finish: ((UnsafeBufferPointer<Float>) -> Void) -> Void
    ) -> [Float] {
        var out: [Float] = []
        let bytes = Array(text.utf8)
        var generator = SeededGenerator(seed: UInt64(chunk) + 7)
        var offset = 0
        while offset < bytes.count {
            let n = min(chunk > 0 ? chunk : Int.random(in: 1...23, using: &generator), bytes.count - offset)
            bytes[offset..<(offset + n)].withUnsafeBytes { piece in decode(piece) { out.append(contentsOf: $0) } }
            offset += n
        }
        finish { out.append(contentsOf: $0) }
        return out
    }

    func csv(
        _ text: String, _ options: CSVOptions, policy: BadFramePolicy = .skip, chunk: Int = 0,
        partialIsBad: Bool = false, maximumLineBytes: Int = 65536
    )
        -> ([Float], BadFrameLog)
    {
        let decoder = CSVFrameDecoder(options: options, policy: policy, maximumLineBytes: maximumLineBytes)
        let out = run(
            text, chunk: chunk, decode: { decoder.decode($0, emit: $1) },
            finish: { decoder.finish(partialLineIsBad: partialIsBad, emit: $0) })
        return (out, decoder.badFrames)
    }

    func jsonl(
        _ text: String, channels: Int, policy: BadFramePolicy = .skip, chunk: Int = 0, partialIsBad: Bool = false
    ) -> ([Float], BadFrameLog) {
        let decoder = JSONLinesFrameDecoder(channels: channels, policy: policy)
        let out = run(
            text, chunk: chunk, decode: { decoder.decode($0, emit: $1) },
            finish: { decoder.finish(partialLineIsBad: partialIsBad, emit: $0) })
        return (out, decoder.badFrames)
    }

    @Test(arguments: [0, 1, 2, 3, 5, 1000])
    func csvAnyChunking(chunk: Int) {
        let text = "# comment\n1,2,3\n 4.5 , -6e-1 ,7\r\n\n8,9,10"
        let (out, log) = csv(text, CSVOptions(channels: 3), chunk: chunk)
        #expect(out == [1, 2, 3, 4.5, -0.6, 7, 8, 9, 10])
        #expect(log.count == 0)
    }

    @Test func csvTimestampAndHeader() {
        let decoder = CSVFrameDecoder(options: CSVOptions(channels: 2, timestampColumn: true, header: .present))
        var out: [Float] = []
        let text = "t,x,y\n1700000000.25,1,2\n1700000000.5,3,4\n"
        Array(text.utf8).withUnsafeBytes { decoder.decode($0) { out += $0 } }
        #expect(out == [1, 2, 3, 4])
        #expect(decoder.lastTimestamp == 1_700_000_000.5)
    }

    @Test func csvBadFramesSkip() {
        let text = "1,2\n3\n4,x\n5,nan\n6,inf\n7,1e999\n8,,\n9,10\n"
        let (out, log) = csv(text, CSVOptions(channels: 2))
        #expect(out == [1, 2, 9, 10])
        #expect(log.count == 6)
        #expect(log.last == "line 7: expected 2 numeric columns separated by \",\", found 3: \"8,,\"")
        #expect(log.lastLine == 7)
        let (_, log2) = csv("1,2\n4,x\n", CSVOptions(channels: 2))
        #expect(log2.last == "line 2: column 2 is not a number: \"x\" in \"4,x\"")
        let (_, log3) = csv("1,nan\n", CSVOptions(channels: 2))
        #expect(log3.last == "line 1: column 2 is not finite: \"nan\"")
    }

    @Test func csvBadFramesHold() {
        let text = "x,y\n1,2\n3\n4,x\n5,6\nbad\n"
        let (out, log) = csv(text, CSVOptions(channels: 2, header: .absent), policy: .hold)
        // Nothing to repeat before the first good frame; then each bad one repeats the last good one.
        #expect(out == [1, 2, 1, 2, 1, 2, 5, 6, 5, 6])
        #expect(log.count == 4)
    }

    @Test func overlongLinesAreBadAndDoNotPoisonTheNext() {
        let long = String(repeating: "1", count: 300)
        let text = "1,2\n\(long),2\n3,4\n\(long)"
        let (out, log) = csv(text, CSVOptions(channels: 2), chunk: 0, maximumLineBytes: 100)
        #expect(out == [1, 2, 3, 4])
        #expect(log.count == 2)
        #expect(log.last == "line 4: line longer than 100 bytes")
    }

    @Test func partialLastLine() {
        #expect(csv("1,2\n3,4", CSVOptions(channels: 2)).0 == [1, 2, 3, 4])  // a file without a final newline
        let (out, log) = csv("1,2\n3,4", CSVOptions(channels: 2), partialIsBad: true)  // a producer that vanished
        #expect(out == [1, 2])
        #expect(log.last == "line 2: input ends inside a line (3 bytes without a newline)")
    }

    @Test(arguments: [0, 1, 4, 1000])
    func jsonLinesAnyChunking(chunk: Int) {
        let text = """
            {"t": 0.5, "v": [1, 2.5, -3]}
            {"v":[4,5,6],"t":1,"extra":{"a":[1,{"b":"x,]}"}],"c":null}}

            {"unit":"bar","v":[ 7 , 8 , 9 ]}
            """
        let (out, log) = jsonl(text + "\n", channels: 3, chunk: chunk)
        #expect(out == [1, 2.5, -3, 4, 5, 6, 7, 8, 9])
        #expect(log.count == 0, "\(log.last ?? "")")
    }

    @Test func jsonLinesBadFrames() {
        let cases: [(String, String)] = [
            ("[1,2]", "not a JSON object, expected {\"v\": [...]}: \"[1,2]\""),
            ("{\"t\":1}", "no \"v\" array of values, expected {\"v\": [2 numbers]}: \"{\"t\":1}\""),
            ("{\"v\":[1]}", "expected 2 values in \"v\", found 1"),
            ("{\"v\":[1,2,3]}", "expected 2 values in \"v\", found more"),
            ("{\"v\":[1,null]}", "v[1] is null or NaN"),
            ("{\"v\":[1,\"2\"]}", "v[1] is not a number"),
            ("{\"v\":[1,1e999]}", "v[1] is not finite: \"1e999\""),
            ("{\"v\":[1,2]} x", "text after the JSON object"),
            ("{\"v\":[1,2]", "expected ',' or '}' in the object"),
            (
                "{\"t\":\"now\",\"v\":[1,2]}",
                "\"t\" is not a timestamp: \"now\", expected epoch seconds or ISO 8601 / RFC 3339 (\"2014-07-01T00:00:00Z\")"
            ),
        ]
        for (index, (line, reason)) in cases.enumerated() {
            let (out, log) = jsonl("{\"v\":[0,0]}\n" + line + "\n", channels: 2)
            #expect(out == [0, 0], "case \(index)")
            #expect(log.count == 1 && log.last == "line 2: \(reason)", "case \(index): \(log.last ?? "none")")
        }
        let (held, log) = jsonl("{\"v\":[1,2]}\n{\"v\":[1]}\n{\"v\":[3,4]}\n", channels: 2, policy: .hold)
        #expect(held == [1, 2, 1, 2, 3, 4] && log.count == 1)
    }

    @Test func binaryFramesAnyChunkingNaNAndPartialFrame() {
        var values: [Float] = [1, 2, 3, 4, .nan, 6, 7, 8]  // 4 frames of 2; frame 3 has a NaN
        let bytes = values.withUnsafeBytes { Array($0) } + [0, 0, 0x80]  // and 3 bytes of a 5th frame
        for policy in BadFramePolicy.allCases {
            for chunk in [1, 3, 8, 100] {
                let decoder = BinaryFrameDecoder(encoding: .f32le, channels: 2, policy: policy)
                var out: [Float] = []
                var offset = 0
                while offset < bytes.count {
                    let n = min(chunk, bytes.count - offset)
                    bytes[offset..<(offset + n)].withUnsafeBytes { decoder.decode($0) { out += $0 } }
                    offset += n
                }
                decoder.finish { out += $0 }
                let expected: [Float] = policy == .skip ? [1, 2, 3, 4, 7, 8] : [1, 2, 3, 4, 3, 4, 7, 8]
                #expect(out == expected, "\(policy) chunk \(chunk)")
                #expect(decoder.badFrames.count == 2)
                #expect(decoder.badFrames.last == "frame 5: input ends inside a frame (3 of 8 bytes)")
            }
        }
        values = []
    }
}
