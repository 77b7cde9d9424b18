/// `[detector]` keys of `kind = "precise"` (precise-runner's `PreciseRunner(trigger_level, sensitivity)` and
/// `PreciseEngine(chunk_size)`).
extension PreciseOptions {
    public static let fields: [OptionField<PreciseOptions>] = [
        .number("sensitivity", \.sensitivity, "a chunk is hot when its score > 1 − sensitivity", .within(0, 1)),
        .integer(
            "trigger_level", \.triggerLevel, "hot chunks needed; fires when the count exceeds it",
            ConfigLimits.triggerLevel),
        .integer(
            "chunk_bytes", \.chunkBytes, "bytes of 16-bit audio per trigger update (precise-runner: 2048)",
            ConfigLimits.chunkBytes),
        .choice("score", \.score, "decoded (Precise's ThresholdDecoder, as the engine prints) | raw (the sigmoid)"),
    ]
}
