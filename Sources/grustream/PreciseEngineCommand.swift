import ArgumentParser
import Foundation
import GrustreamPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// A drop-in for Mycroft Precise's `precise-engine` binary, as `precise-runner`'s `PreciseEngine` drives it.
struct PreciseEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precise-engine",
        abstract: "Mycroft Precise's engine protocol: raw int16 audio on stdin, one score per chunk on stdout.",
        discussion: """
            Reads 16 kHz mono signed 16-bit little-endian audio from stdin in chunks of CHUNK_BYTES (default 2048) \
            and, after each chunk (and a final partial chunk), writes one line with the score of the last 29 feature \
            frames (a decimal number, flushed at once), as Precise's engine does: the output of Precise's \
            ThresholdDecoder (--raw: the network's sigmoid). Exits 0 at the end of stdin; refuses a terminal on stdin.
            MODEL is a grustream model converted with scripts/convert-precise (features, window and decoder are \
            in its metadata).

            With precise-runner:
              PreciseRunner(PreciseEngine(['grustream', 'precise-engine'], 'models/hey-mycroft-gru20.safetensors'), ...)
            By hand:
              sox speech.wav -t raw -r 16000 -c 1 -b 16 -e signed - | grustream precise-engine models/hey-mycroft-gru20.safetensors
            """)

    @Argument(help: "Converted Precise model (.safetensors).")
    var model: String

    @Argument(help: "Bytes of audio per prediction (precise-runner passes its chunk size).")
    var chunkBytes: Int = 2048

    @Flag(help: "Print the raw sigmoid output instead of the decoded score.")
    var raw = false

    func run() throws {
        try runReportingErrors("precise-engine") {
            guard chunkBytes >= 1 else { throw ValidationError("CHUNK_BYTES \(chunkBytes): expected ≥ 1") }
            if isatty(STDIN_FILENO) != 0 {
                throw ValidationError(
                    "stdin is a terminal; pipe raw 16 kHz mono int16 audio in, e.g. grustream precise-engine MODEL < audio.raw"
                )
            }
            let engine = try PreciseEngine(modelURL: URL(fileURLWithPath: model))
            try PreciseEngineLoop(engine: engine, chunkBytes: chunkBytes, raw: raw).run(
                input: STDIN_FILENO, output: STDOUT_FILENO)
        }
    }
}
