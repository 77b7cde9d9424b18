import Foundation
import GrustreamTestSupport
import Testing

/// A stream with a trend + seasonal decomposition stopped and restarted with `[runtime] state_file`: the second run
/// continues exactly where the first stopped (the decomposition's period and estimates, the GRU's hidden state and
/// the detector's state all restored), so its SCORES are those of one uninterrupted run.
@Suite("decomposition state across a restart")
struct SeasonalStateRestartTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("grustream-seasonal-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    func scores(_ pipeline: URL, _ rows: ArraySlice<Double>) throws -> [String] {
        let input = temp.appendingPathComponent("rows-\(rows.startIndex).csv")
        try rows.map { String(format: "%.4f\n", $0) }.joined().write(to: input, atomically: true, encoding: .utf8)
        let result = try CommandLineTool.run([
            "run", pipeline.path, "--source", input.path, "--scores", "--log-level", "notice",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        // The per-frame figures, without the wall-clock time and the frame numbers (counted per run).
        return result.stdoutText.split(separator: "\n").filter { $0.contains("\"SCORES\"") }.map { line in
            let fields = ["likelihood", "log_likelihood", "peak", "error"].compactMap { key -> String? in
                guard let range = line.range(of: "\"\(key)\":") else { return nil }
                return key + "=" + line[range.upperBound...].prefix { $0 != "," && $0 != "}" }
            }
            return fields.joined(separator: " ")
        }
    }

    @Test func aRestartedStreamContinuesWithoutANewPeriodSearch() throws {
        let rows = (0..<400).map { t in 10 + 5 * sin(2 * Double.pi * Double(t) / 12) + 0.3 * sin(Double(t) * 1.7) }
        var text = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("pipelines/nab.toml"), encoding: .utf8)
        text = text.replacingOccurrences(
            of: "\"../models/", with: "\"\(Fixtures.repositoryRoot.appendingPathComponent("models").path)/")
        text = text.replacingOccurrences(of: "seasonal_search_frames = 750", with: "seasonal_search_frames = 48")
        let whole = temp.appendingPathComponent("whole.toml")
        try text.write(to: whole, atomically: true, encoding: .utf8)
        let kept = temp.appendingPathComponent("kept.toml")
        let state = temp.appendingPathComponent("nab.state")
        try (text + "[runtime]\nstate_file = \"\(state.path)\"\n").write(to: kept, atomically: true, encoding: .utf8)

        let once = try scores(whole, rows[...])
        let first = try scores(kept, rows[..<150])
        let second = try scores(kept, rows[150...])
        #expect(once.count == 400 && first.count == 150 && second.count == 250)
        #expect(first + second == once)
        // Without the saved state the second half searches its period again: its scores differ.
        try FileManager.default.removeItem(at: state)
        #expect(try scores(kept, rows[150...]) != second)
    }
}
