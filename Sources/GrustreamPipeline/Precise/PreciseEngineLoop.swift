import Foundation
import GrustreamIO

#if canImport(Glibc)
    import Glibc
#endif

/// A failure reading stdin or writing stdout in the engine loop.
public struct PreciseEngineError: Error, CustomStringConvertible {
    public let description: String
}

/// The stdin/stdout loop of Precise's engine (`precise/scripts/engine.py`): read exactly `chunkBytes` bytes (fewer
/// only at the end of input), feed them, write `"<score>\n"` and flush (one `write(2)` per line), until end of
/// input. Scores are printed as Python's `str()` prints them (shortest round-trip decimal: Swift's `description`
/// is the same algorithm): decoded scores are float64, raw scores float32 (`--raw`).
public struct PreciseEngineLoop {
    public let engine: PreciseEngine
    public let chunkBytes: Int
    public let raw: Bool

    public init(engine: PreciseEngine, chunkBytes: Int, raw: Bool) {
        self.engine = engine
        self.chunkBytes = chunkBytes
        self.raw = raw
    }

    /// The line printed for the engine's current window.
    public func line() -> String {
        (raw ? engine.rawScore.description : engine.decodedScore.description) + "\n"
    }

    public func run(input: Int32, output: Int32) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            var filled = 0
            while filled < chunkBytes {
                let n = POSIX.retrying { read(input, buffer.baseAddress! + filled, chunkBytes - filled) }
                if n == 0 { break }
                if n < 0 {
                    throw PreciseEngineError(description: "reading stdin: \(POSIX.message(errno))")
                }
                filled += n
            }
            if filled == 0 { return }
            engine.accept(UnsafeRawBufferPointer(rebasing: buffer[0..<filled]))
            var text = line()
            try text.withUTF8 { bytes in
                let code = POSIX.writeAll(output, UnsafeRawBufferPointer(bytes))
                if code != 0 { throw PreciseEngineError(description: "writing stdout: \(POSIX.message(code))") }
            }
            if filled < chunkBytes { return }
        }
    }
}
