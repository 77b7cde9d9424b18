import Foundation
import GrustreamIO
import GrustreamPipeline
import GrustreamTestSupport
import Testing

/// NAB-shaped files (`timestamp,value` header, `2014-07-01 00:00:00,10844` rows) go into `train`, `eval` and `run`
/// with one pipeline file; `SCORES` rows carry their input row's timestamp; slow rates do not slow a file run.
@Suite("time-series files: train, eval and run", .serialized)
struct TimeSeriesFileTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gs-series-\(UUID().uuidString)")
    static let start = 1_404_172_800  // 2014-07-01T00:00:00Z

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { temp.appendingPathComponent(name).path }

    /// `rows` rows `timestamp,value` from 2014-07-01 00:00:00, `step` seconds apart (every 7th row 17 s later:
    /// irregular intervals), ISO timestamps without a zone as NAB writes them. Returns the epoch seconds per row.
    @discardableResult
    func writeSeries(_ name: String, rows: Int, stepSeconds: Int, spike: Range<Int> = 0..<0) throws -> [Int] {
        var formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var lines = ["timestamp,value"]
        var stamps: [Int] = []
        var generator = SeededGenerator(seed: 3)
        for i in 0..<rows {
            let t = Self.start + i * stepSeconds + (i % 7 == 0 ? 17 : 0)
            stamps.append(t)
            let value =
                10000 + 3000 * sin(Double(i) / 8) + Double.random(in: -200...200, using: &generator)
                + (spike.contains(i) ? 40000 : 0)
            lines.append("\(formatter.string(from: Date(timeIntervalSince1970: Double(t)))),\(Int(value))")
        }
        formatter = DateFormatter()
        try (lines.joined(separator: "\n") + "\n").write(toFile: path(name), atomically: true, encoding: .utf8)
        return stamps
    }

    /// The pipeline a NAB file runs under: one channel at a nominal 1 Hz, raw features, the anomaly detector.
    func writePipeline(_ data: String, scores: Bool = true) throws -> String {
        let file = path("nab-\(UUID().uuidString.prefix(6)).toml")
        try """
        [source]
        kind = "file"
        path = "\(data)"
        format = "csv"
        rate = 1
        channels = 1
        timestamp_column = true
        header = "auto"
        [features]
        kind = "raw"
        channels = 1
        [model]
        path = "model.safetensors"
        [detector]
        kind = "anomaly"
        scores = \(scores)
        [runtime]
        stats_interval_s = 0
        """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func train(_ pipeline: String, data: String) throws {
        let result = try CommandLineTool.run(
            [
                "train", "--task", "predict", "--pipeline", pipeline, "--data", data, "--output",
                path("model.safetensors"), "--hidden", "4", "--layers", "1", "--epochs", "2", "--window", "16",
            ], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("a NAB file through train, eval and run with one pipeline; every SCORES row carries its row's timestamp")
    func nabFileThroughTrainEvalAndRun() throws {
        try writeSeries("normal.csv", rows: 300, stepSeconds: 1800)
        let stamps = try writeSeries("nab.csv", rows: 300, stepSeconds: 1800, spike: 200..<210)
        let pipeline = try writePipeline("nab.csv")
        try train(pipeline, data: path("normal.csv"))
        try "start,end\n100,120\n".write(toFile: path("spans.csv"), atomically: true, encoding: .utf8)
        let eval = try CommandLineTool.run([
            "eval", "--model", path("model.safetensors"), "--pipeline", pipeline, "--recording", path("nab.csv"),
            "--spans-csv", path("spans.csv"),
        ])
        #expect(eval.status == 0, "\(eval.stderr)")
        let run = try CommandLineTool.run(["run", pipeline, "--log-level", "error"])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let scores = rows.filter { $0["class"] as? String == "SCORES" }
        #expect(scores.count == stamps.count)
        for (row, stamp) in zip(scores, stamps) {
            #expect(row["ts"] as? Double == Double(stamp), "frame \(row["frame"] ?? "?")")
        }
        let anomalies = rows.filter { $0["class"] as? String == "ANOMALY" }
        #expect(!anomalies.isEmpty, "the spike at rows 200..<210 is an anomaly")
        for anomaly in anomalies {
            let ts = anomaly["ts"] as? Double
            #expect(ts.map { stamps.contains(Int($0)) && $0 >= Double(stamps[200]) } == true, "\(anomaly)")
        }
        let stats = rows.first { $0["class"] as? String == "STATS" }
        #expect(stats?["bad_frames"] as? Int == 0, "the header line is not a bad frame")
    }

    /// `[source] header`: `"auto"` by default, `true` or `false`; anything else names the key and what it takes.
    @Test func headerIsASourceKey() throws {
        func header(_ line: String) throws -> CSVOptions.Header {
            try PipelineConfig.parse("[source]\nformat = \"csv\"\n\(line)\n", file: nil, name: "h").source.header
        }
        #expect(try header("") == .auto)
        #expect(try header("header = \"auto\"") == .auto)
        #expect(try header("header = true") == .present)
        #expect(try header("header = false") == .absent)
        #expect(throws: PipelineConfigError.self) { try header("header = \"yes\"") }
        do {
            _ = try header("header = 1")
        } catch {
            #expect("\(error)".contains("source.header"), "\(error)")
            #expect("\(error)".contains("true, false or \"auto\""), "\(error)")
        }
        let config = try PipelineConfig.parse(
            "[source]\nformat = \"csv\"\ntimestamp_column = true\nheader = false\n", file: nil, name: "h")
        #expect(
            SourceFactory.inputFormat(config.source)
                == .csv(CSVOptions(channels: 1, timestampColumn: true, header: .absent)))
    }

    /// `train` reads CSV as `run` does: commas only (a space-separated file was accepted by train and refused by run).
    @Test func trainRefusesWhatRunRefuses() throws {
        let rows = (0..<100).map { "\(Self.start + 60 * $0) \($0 % 5)" }.joined(separator: "\n")
        try rows.write(toFile: path("spaces.csv"), atomically: true, encoding: .utf8)
        let pipeline = try writePipeline("spaces.csv")
        let result = try CommandLineTool.run(
            [
                "train", "--task", "predict", "--pipeline", pipeline, "--data", path("spaces.csv"), "--output",
                path("model.safetensors"), "--hidden", "4", "--layers", "1", "--epochs", "1",
            ], timeout: 120)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("spaces.csv:1: expected a timestamp and 1 numeric column"), "\(result.stderr)")
    }

    /// 10,000 rows at one row per hour (a 2-frame ring at `buffer_seconds` × rate) through a file run.
    @Test func slowRatesDoNotSlowAFileRun() throws {
        try writeSeries("train.csv", rows: 300, stepSeconds: 3600)
        try writeSeries("hourly.csv", rows: 10_000, stepSeconds: 3600)
        try train(try writePipeline("train.csv"), data: path("train.csv"))
        let pipeline = try writePipeline("hourly.csv", scores: false)
        let started = Date()
        let run = try CommandLineTool.run(["run", pipeline, "--log-level", "error"], timeout: 120)
        let seconds = Date().timeIntervalSince(started)
        #expect(run.status == 0, "\(run.stderr)")
        let stats = String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").last { $0.contains("STATS") }
        #expect(stats?.contains("\"frames\":10000") == true, "\(stats ?? "no STATS")")
        #expect(seconds < 1.5, "10k rows took \(seconds) s")
    }
}
