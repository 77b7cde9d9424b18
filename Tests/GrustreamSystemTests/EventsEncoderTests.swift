import Foundation
import Glibc
import GrustreamPipeline
import Testing

@Suite("event encoder")
struct EventsEncoderTests {
    @Test func versionLine() {
        let event = Event.version(stream: "kws", pipeline: "kws", time: fixedTime)
        #expect(
            text(line(event))
                == #"{"class":"VERSION","stream":"kws","time":"2026-11-26T15:33:20.123Z","t":0.0,"release":""#
                + Event.release + #"","proto_major":1,"proto_minor":5,"pipeline":"kws"}"#)
        #expect(Event.protocolMajor == 1 && Event.protocolMinor == 5)
    }

    @Test func everyKindInItsKeyOrder() {
        let t = Event.seconds(sample: 48001, rate: 16000)
        #expect(t.description == "3.0000625")
        let header = #""stream":"s","time":"2026-11-26T15:33:20.123Z","t":3.0000625,"#
        #expect(
            text(
                line(
                    .detection(
                        stream: "s", t: t, label: "yes", score: 0.93, start: 2.5, end: 3.0000625, time: fixedTime)))
                == #"{"class":"DETECTION","# + header + #""label":"yes","score":0.93,"start":2.5,"end":3.0000625}"#)
        #expect(
            text(line(.anomaly(stream: "s", t: t, score: 4.5, threshold: 2, start: 1, end: 3, time: fixedTime)))
                == #"{"class":"ANOMALY","# + header
                + #""phase":"close","score":4.5,"likelihood":0.0,"threshold":2.0,"start":1.0,"end":3.0}"#)
        #expect(
            text(
                line(
                    .anomaly(
                        stream: "s", t: t, phase: "open", score: 4.5, likelihood: 0.999, threshold: 0.99, start: 1,
                        end: 3, time: fixedTime)))
                == #"{"class":"ANOMALY","# + header
                + #""phase":"open","score":4.5,"likelihood":0.999,"threshold":0.99,"start":1.0,"end":3.0}"#)
        #expect(
            text(
                line(
                    .scores(
                        stream: "s", t: t, frame: 300, labels: ["yes", "no"], scores: [0.25, 0.75], time: fixedTime)))
                == #"{"class":"SCORES","# + header + #""scores":{"yes":0.25,"no":0.75},"frame":300}"#)
        #expect(
            text(line(.scores(stream: "s", t: t, frame: 7, labels: [], scores: [0.5], time: fixedTime)))
                == #"{"class":"SCORES","# + header + #""score":0.5,"frame":7}"#)
        let anomalyFields = ["score", "likelihood", "log_likelihood"]
        #expect(
            text(
                line(
                    .scores(
                        stream: "s", t: t, frame: 7, labels: [], fields: anomalyFields, scores: [2.5, 0.75, 0.125],
                        time: fixedTime)))
                == #"{"class":"SCORES","# + header + #""score":2.5,"likelihood":0.75,"log_likelihood":0.125,"frame":7}"#
        )
        var stats = Event.Stats()
        stats.frames = 1000
        stats.events = 3
        stats.droppedSamples = 16
        stats.xruns = 1
        stats.badFrames = 2
        stats.stateResets = 3
        stats.badRequests = 6
        stats.refusedProducers = 7
        stats.clients = 4
        stats.droppedClients = 5
        stats.latencyP50Microseconds = 120.5
        stats.latencyP99Microseconds = 800
        stats.pausedSeconds = 2.5
        #expect(
            text(line(.stats(stream: "s", t: t, stats, time: fixedTime)))
                == #"{"class":"STATS","# + header
                + #""frames":1000,"events":3,"dropped_samples":16,"xruns":1,"bad_frames":2,"state_resets":3,"#
                + #""bad_requests":6,"refused_producers":7,"clients":4,"#
                + #""dropped_clients":5,"latency_p50_us":120.5,"latency_p99_us":800.0,"paused_s":2.5}"#)
        #expect(
            text(
                line(
                    .control(
                        stream: "s", t: t, command: "THRESHOLD", streams: 2, paused: false, pausedSeconds: 0,
                        label: nil, threshold: 0.9, time: fixedTime)))
                == #"{"class":"CONTROL","# + header
                + #""command":"THRESHOLD","streams":2,"paused":false,"paused_s":0.0,"label":null,"threshold":0.9}"#)
        #expect(
            text(line(.error(stream: "s", t: t, message: "ring overflow", time: fixedTime)))
                == #"{"class":"ERROR","# + header + #""message":"ring overflow"}"#)
    }

    @Test func everyLineIsOneJSONObjectEndingInNewline() throws {
        let events: [Event] = [
            .version(stream: "a", pipeline: "p"), detection(3), .error(stream: "e", t: 1, message: "x\ny"),
            .scores(stream: "s", t: 0.01, frame: 1, labels: ["a"], scores: [1, 2]),
        ]
        for event in events {
            let bytes = line(event)
            #expect(bytes.last == 0x0A && bytes.filter { $0 == 0x0A }.count == 1)
            let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
            #expect(object?["class"] as? String == event.kind.rawValue)
        }
    }

    @Test func stringsAreEscapedAndUnicodePassesThrough() throws {
        let nasty = "q\"b\\s/\n\r\t\u{08}\u{0C}\u{01}\u{1F}\u{7F} é ünï 😀 \u{2028}"
        let bytes = line(.error(stream: "ström", t: 0, message: nasty, time: fixedTime))
        let expected =
            #"{"class":"ERROR","stream":"ström","time":"2026-11-26T15:33:20.123Z","t":0.0,"message":"#
            + #""q\"b\\s/\n\r\t\b\f\u0001\u001f"# + "\u{7F} é ünï 😀 \u{2028}\"}"
        #expect(text(bytes) == expected)
        let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        #expect(object?["message"] as? String == nasty)
        #expect(object?["stream"] as? String == "ström")
    }

    @Test func nonFiniteNumbersBecomeNull() {
        let event = Event.detection(
            stream: "s", t: .nan, label: "x", score: .infinity, start: -.infinity, end: 1, time: fixedTime)
        #expect(text(line(event)).hasSuffix(#""t":null,"label":"x","score":null,"start":null,"end":1.0}"#))
        let scores = Event.scores(
            stream: "s", t: 0, frame: 0, labels: ["a", "b"], scores: [.nan, -.infinity], time: fixedTime)
        #expect(text(line(scores)).hasSuffix(#""scores":{"a":null,"b":null},"frame":0}"#))
    }

    @Test func numbersPrintShortestRoundTrip() {
        let doubles: [Double] = [
            0, -0.0, 0.1, 1.0 / 3, 1e-5, 1e16, 1e300, .leastNonzeroMagnitude, 123_456_789.125, -2.5, .pi,
            Double(Int64.max),
            Event.seconds(sample: 1, rate: 44100), Event.seconds(sample: 123_456_789, rate: 48000),
        ]
        for value in doubles {
            var buffer: [UInt8] = []
            EventEncoder.appendDouble(value, into: &buffer)
            #expect(String(decoding: buffer, as: UTF8.self) == value.description)
            #expect(Double(String(decoding: buffer, as: UTF8.self)) == value)
        }
        let floats: [Float] = [0.1, 0.9, 1e-8, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.123456789, -1]
        for value in floats {
            var buffer: [UInt8] = []
            EventEncoder.appendFloat(value, into: &buffer)
            #expect(String(decoding: buffer, as: UTF8.self) == value.description)
        }
        for value in [0, 7, -7, 1_000_000, Int.max, Int.min] {
            var buffer: [UInt8] = []
            EventEncoder.appendInteger(value, into: &buffer)
            #expect(String(decoding: buffer, as: UTF8.self) == String(value))
        }
    }

    @Test func wallClockIsRFC3339WithMilliseconds() {
        let cases: [(Int64, String)] = [
            (0, "1970-01-01T00:00:00.000Z"), (1_795_707_200_123, "2026-11-26T15:33:20.123Z"),
            (1_709_251_199_999, "2024-02-29T23:59:59.999Z"), (951_868_800_001, "2000-03-01T00:00:00.001Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
        ]
        for (ms, expected) in cases {
            var buffer: [UInt8] = []
            EventEncoder.appendTime(WallTime(millisecondsSinceEpoch: ms), into: &buffer)
            #expect(String(decoding: buffer, as: UTF8.self) == expected)
        }
        // now() agrees with gmtime to the second.
        let now = WallTime.now()
        var seconds = time_t(now.millisecondsSinceEpoch / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer: [UInt8] = []
        EventEncoder.appendTime(now, into: &buffer)
        let expected = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec)
        #expect(String(decoding: buffer, as: UTF8.self).hasPrefix(expected))
    }

    @Test func encodeScoresMatchesTheGenericPath() {
        let cases: [([String], [String], [Float])] = [
            (["yes", "no", "_silence_"], [], [0.125, 0.5, 0.375]), ([], [], [0.75]), (["a"], [], [0.1, 0.2, 0.3]),
            ([], [], [1, 2]), (["\"q\""], [], [.nan]),
            ([], ["score", "likelihood", "log_likelihood"], [3, 0.5, 0.25]),
            ([], ["score"], [2]),
        ]
        for (labels, fields, scores) in cases {
            let t = Event.seconds(sample: 123_457, rate: 16000)
            var fast: [UInt8] = []
            scores.withUnsafeBufferPointer {
                EventEncoder.encodeScores(
                    stream: "kws", t: t, frame: 771, labels: labels, fields: fields, scores: $0, time: fixedTime,
                    into: &fast)
            }
            let generic = line(
                .scores(
                    stream: "kws", t: t, frame: 771, labels: labels, fields: fields, scores: scores, time: fixedTime))
            #expect(text(fast) == text(generic))
        }
    }

    /// With input timestamps, `"ts"` (epoch seconds) is the last field, in both paths.
    @Test func scoresCarryTheInputTimestampLast() {
        var fast: [UInt8] = []
        [Float(0.5)].withUnsafeBufferPointer {
            EventEncoder.encodeScores(
                stream: "nab", t: 2, frame: 1, labels: [], scores: $0, ts: 1_404_174_600, time: fixedTime,
                into: &fast)
        }
        let expected =
            #"{"class":"SCORES","stream":"nab","time":"2026-11-26T15:33:20.123Z","t":2.0,"score":0.5,"frame":1,"ts":1404174600.0}"#
        #expect(text(fast) == expected)
        let generic = line(
            .scores(stream: "nab", t: 2, frame: 1, labels: [], scores: [0.5], ts: 1_404_174_600, time: fixedTime))
        #expect(text(generic) == expected)
    }

    /// An attention-pooling model's window weights follow `"frame"`, as a JSON array, in both paths.
    @Test func scoresCarryAttentionWeightsAfterTheFrame() {
        var fast: [UInt8] = []
        let weights: [Float] = [0.25, 0.125, 0.625]
        [Float(0.5), 0.5].withUnsafeBufferPointer { scores in
            weights.withUnsafeBufferPointer {
                EventEncoder.encodeScores(
                    stream: "kws", t: 2, frame: 7, labels: ["a", "b"], scores: scores, model: "m", attention: $0,
                    time: fixedTime, into: &fast)
            }
        }
        let expected =
            #"{"class":"SCORES","stream":"kws","time":"2026-11-26T15:33:20.123Z","t":2.0,"scores":{"a":0.5,"b":0.5},"frame":7,"attention":[0.25,0.125,0.625],"model":"m"}"#
        #expect(text(fast) == expected)
        let generic = line(
            .scores(
                stream: "kws", t: 2, frame: 7, labels: ["a", "b"], scores: [0.5, 0.5], model: "m", attention: weights,
                time: fixedTime))
        #expect(text(generic) == expected)
    }

    @Test func theBufferIsReusedWithoutGrowing() {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(EventEncoder.typicalLineCapacity)
        let labels = (0..<12).map { "label\($0)" }
        let scores = (0..<12).map { Float($0) / 7 }
        let capacity = buffer.capacity
        let base = buffer.withUnsafeBufferPointer { $0.baseAddress }
        for frame in 0..<2000 {
            buffer.removeAll(keepingCapacity: true)
            scores.withUnsafeBufferPointer {
                EventEncoder.encodeScores(
                    stream: "kws", t: Event.seconds(sample: Int64(frame) * 160, rate: 16000), frame: frame,
                    labels: labels, scores: $0, into: &buffer)
            }
            EventEncoder.encode(detection(frame), into: &buffer)
        }
        #expect(buffer.capacity == capacity)
        #expect(buffer.withUnsafeBufferPointer { $0.baseAddress } == base)
    }
}
