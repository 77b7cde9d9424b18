import Foundation

/// A whole recording in memory: interleaved Float samples in [-1, 1) and their format.
public struct DecodedAudio: Sendable {
    public var format: PCMFormat
    /// Interleaved samples, `frames * format.channels` values.
    public var samples: [Float]

    public init(format: PCMFormat, samples: [Float]) {
        self.format = format
        self.samples = samples
    }

    /// Samples per channel.
    public var frameCount: Int { samples.count / max(format.channels, 1) }

    /// One channel (0-based) as a mono signal.
    public func channel(_ index: Int) -> [Float] {
        let c = format.channels
        return stride(from: index, to: samples.count, by: c).map { samples[$0] }
    }

    /// The average of all channels.
    public func downmix() -> [Float] {
        let c = format.channels
        if c == 1 { return samples }
        return (0..<frameCount).map { f in
            var sum: Float = 0
            for k in 0..<c { sum += samples[f * c + k] }
            return sum / Float(c)
        }
    }
}

/// Reads whole recordings (WAV or raw PCM) from a file or standard input.
public enum AudioFile {
    /// `path` "-" reads standard input. Container: `.wav`, or `.raw(format)` for headerless PCM.
    public static func read(path: String, container: AudioContainer) throws -> DecodedAudio {
        let data: Data
        let name = path == "-" ? "stdin" : path
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard FileManager.default.fileExists(atPath: path) else { throw InputError("\(path): no such file") }
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw InputError("\(path): cannot read")
            }
            data = contents
        }
        return try decode(data, container: container, name: name)
    }

    public static func decode(_ data: Data, container: AudioContainer, name: String) throws -> DecodedAudio {
        var decoder = AudioStreamDecoder(container: container, name: name)
        var samples: [Float] = []
        samples.reserveCapacity(data.count / 2)
        try data.withUnsafeBytes { raw in
            try decoder.decode(raw) { samples.append(contentsOf: $0) }
        }
        try decoder.finish()
        guard let format = decoder.format else { throw InputError("\(name): no audio format") }
        if samples.isEmpty { throw InputError("\(name): no samples (empty audio)") }
        if let index = samples.firstIndex(where: { !$0.isFinite }) {
            throw InputError(
                "\(name): sample \(index / format.channels) of channel \(index % format.channels) is \(samples[index]); expected finite values"
            )
        }
        if samples.count % format.channels != 0 {
            throw InputError(
                "\(name): \(samples.count) samples is not a whole number of \(format.channels)-channel frames")
        }
        return DecodedAudio(format: format, samples: samples)
    }
}
