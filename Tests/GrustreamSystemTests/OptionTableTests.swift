import GrustreamBench
import GrustreamPipeline
import Testing

/// A stand-in for a stage's options, to test the table machinery apart from any real stage.
struct Sample {
    enum Shape: String, CaseIterable { case hann, povey }
    struct Inner { var count = 3 }
    var lengthMilliseconds: Double = 25
    var shape: Shape = .povey
    var enabled = false
    var inner = Inner()
    var weights: [Float] = []

    static let fields: [OptionField<Sample>] = [
        .number("frame_ms", \.lengthMilliseconds, "frame length (ms)", .positive),
        .choice("window", \.shape, "window function"),
        .bool("enabled", \.enabled, "switch"),
        .section("inner", \.inner, "nested", [.integer("count", \.count, "how many", .atLeast(1))]),
        .numbers("weights", \.weights, "per-dimension weights"),
    ]
}

@Suite("option tables")
struct OptionTableTests {
    func decode(_ toml: String) throws -> Sample {
        var sample = Sample()
        let document = try ConfigValue.parseTOML(toml, file: "test.toml")
        try OptionTable.apply(document["features"]!, to: &sample, fields: Sample.fields, path: "features")
        return sample
    }

    func error(_ toml: String) -> String {
        do { _ = try decode(toml); return "no error" } catch { return "\(error)" }
    }

    @Test func setsEveryKindOfField() throws {
        let s = try decode(
            """
            [features]
            frame_ms = 32
            window = "hann"
            enabled = true
            weights = [1, 2.5]
            [features.inner]
            count = 7
            """)
        #expect(
            s.lengthMilliseconds == 32 && s.shape == .hann && s.enabled && s.inner.count == 7 && s.weights == [1, 2.5])
    }

    @Test func defaultsStayWhenKeysAreAbsent() throws {
        let s = try decode("[features]\n")
        #expect(s.lengthMilliseconds == 25 && s.shape == .povey && s.inner.count == 3)
    }

    @Test func errorsNameTheKeyPathAndWhatIsAllowed() {
        #expect(
            error("[features]\nframe_len = 3")
                == "features.frame_len: unknown key; allowed keys here: frame_ms, window, enabled, inner, weights")
        #expect(
            error("[features]\nwindow = \"hamming\"")
                == "features.window = \"hamming\" is not allowed; expected one of \"hann\", \"povey\"")
        #expect(error("[features]\nframe_ms = -1") == "features.frame_ms = -1 is out of range; expected > 0")
        #expect(error("[features]\nframe_ms = \"x\"") == "features.frame_ms = \"x\" is a string; expected a number")
        #expect(error("[features.inner]\ncount = 0") == "features.inner.count = 0 is out of range; expected ≥ 1")
        #expect(error("[features.inner]\nbogus = 0").hasPrefix("features.inner.bogus: unknown key"))
        #expect(
            error("[features]\nweights = [1, \"a\"]") == "features.weights[1] = \"a\" is a string; expected a number")
        #expect(error("[features\nx=1").hasPrefix("test.toml:1:"))
    }

    @Test func describesEveryFieldWithItsValue() {
        let rows = OptionTable.describe(Sample(), fields: Sample.fields)
        #expect(rows.map(\.key) == ["frame_ms", "window", "enabled", "inner.count", "weights"])
        #expect(rows[1].value == "\"povey\"")
        #expect(OptionTable.format(rows, prefix: "features.").contains("features.inner.count = 3"))
    }

    @Test func jsonDecodesToTheSameValues() throws {
        let value = try ConfigValue(json: ["frame_ms": 10, "enabled": true, "window": "hann", "weights": [0.5]])
        var s = Sample()
        try OptionTable.apply(value, to: &s, fields: Sample.fields, path: "model.features")
        #expect(s.lengthMilliseconds == 10 && s.enabled && s.shape == .hann && s.weights == [0.5])
    }
}
