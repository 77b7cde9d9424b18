import Foundation
import GrustreamIO
import GrustreamPipeline

extension TrainingFeatures {
    /// The text format of a recording: CSV or JSON Lines by its extension, else by `source.format` (WAV and raw
    /// PCM: nil). CSV takes the pipeline's `[source]` keys (`timestamp_column`, `header`).
    func textFormat(_ path: String) -> InputFormat? {
        var source = pipeline.source
        source.channels = isSensor ? options.channels : 1
        let name = path.lowercased()
        if name.hasSuffix(".csv") { source.format = .csv }
        if name.hasSuffix(".jsonl") { source.format = .jsonl }
        if name.hasSuffix(".wav") { return nil }
        switch source.format {
        case .csv, .jsonl: return SourceFactory.inputFormat(source)
        case .s16le, .s32le, .f32le, .wav: return nil
        }
    }

    /// A CSV or JSON Lines recording through the decoder `run` uses, with the pipeline's bad-frame policy and the
    /// features' sample limit: the same frames `run` would process. Refused as `run` refuses it: no good frame, or
    /// `FileSource.unusablePrefixFrames` bad lines before the first good one (the wrong shape).
    func readTextFrames(_ path: String, format: InputFormat) throws -> [Float] {
        guard let data = FileManager.default.contents(atPath: path) else { throw TrainingError("\(path): cannot read") }
        let channels = isSensor ? options.channels : 1
        let decoder = InputDecoder(
            format: format, channels: channels, policy: SourceFactory.badFramePolicy(pipeline.source), name: path,
            limits: InputLimits(sampleLimit: options.sampleLimit))
        var samples: [Float] = []
        samples.reserveCapacity(min(data.count / 2, 1 << 26))
        var badBeforeFirstGood: Int?
        let emit: (UnsafeBufferPointer<Float>) -> Void = { frames in
            if badBeforeFirstGood == nil { badBeforeFirstGood = decoder.badFrames.count }
            samples.append(contentsOf: frames)
        }
        do {
            try data.withUnsafeBytes { bytes in
                try decoder.decode(bytes, emit: emit)
                try decoder.finish(partialLineIsBad: false, emit: emit)
            }
        } catch {
            throw TrainingError("\(error)")
        }
        let log = decoder.badFrames
        let unusable = badBeforeFirstGood.map { $0 >= FileSource.unusablePrefixFrames } ?? true
        guard !unusable, !samples.isEmpty else {
            let place = "\(path):\(log.firstLine ?? 1)"
            let reason = log.firstReason ?? "no frames"
            throw TrainingError("\(place): \(reason) (the input has no usable frames; expected \(format) input)")
        }
        return samples
    }
}
