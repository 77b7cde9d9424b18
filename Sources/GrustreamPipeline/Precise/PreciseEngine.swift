import Foundation
import GrustreamDSP
import GrustreamNeural

/// Mycroft Precise's listener for one stream, as grustream runs it: int16 little-endian bytes in (any split, an
/// odd byte is kept for the next call), sonopy-convention features, and for every feature frame the network
/// re-run over the last `windowFrames` frames from a zero state (the window starts as zero frames), giving the raw
/// sigmoid score of the window ending at that frame. Precise scores a chunk with the window as it stands after the
/// chunk: `rawScore` (before the first frame: the score of the all-zero window), decoded by `decoder`.
/// Per-frame scores are bit-identical however the bytes are split. Nothing is allocated per frame.
public final class PreciseEngine {
    public let model: PreciseModel
    private let extractor: FeatureExtractor
    /// The GRU engine's runner in `window:N` mode (it projects each frame's input once and keeps the projections
    /// of the window in a ring, so a new frame costs one projection and N recurrent steps).
    private let runner: GRURunner
    /// [1] the network's output for the newest frame
    private let output: UnsafeMutableBufferPointer<Float>
    /// [sampleCapacity] scratch for the samples converted from one block of bytes
    private let samples: UnsafeMutableBufferPointer<Float>
    private static let sampleCapacity = 4096
    private var pendingByte: UInt8? = nil
    /// Raw score of the all-zero window (what Precise reports before the first feature frame).
    public let initialRawScore: Float
    /// Raw score of the window ending at the newest frame.
    public private(set) var rawScore: Float
    /// Feature frames seen in this stream.
    public private(set) var frames = 0
    /// Samples received in this stream.
    public private(set) var samplesReceived = 0

    public convenience init(modelURL: URL) throws { try self.init(model: PreciseModel.load(modelURL)) }

    public init(model: PreciseModel) throws {
        self.model = model
        extractor = try FeatureExtractor(options: model.features)
        let runner = try GRURunner(model: model.network, mode: .window(model.windowFrames))
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, model.network.outputSize))
        output.initialize(repeating: 0)
        self.runner = runner
        self.output = output
        samples = .allocate(capacity: Self.sampleCapacity)
        initialRawScore = try PreciseModel.zeroWindowRawScore(
            model.network, mode: .window(model.windowFrames), activation: .none)
        rawScore = initialRawScore
    }

    deinit {
        output.deallocate()
        samples.deallocate()
    }

    /// The decoded score (Precise's engine output) of `rawScore`.
    public var decodedScore: Double { model.decoder.decode(Double(rawScore)) }

    /// Feeds int16 LE bytes; `onFrame(index, raw score)` is called for each feature frame completed by them.
    public func accept(_ bytes: UnsafeRawBufferPointer, onFrame: (Int, Float) -> Void = { _, _ in }) {
        var i = 0
        if let low = pendingByte, bytes.count > 0 {
            samples[0] = Self.sample(low, bytes[0])
            pendingByte = nil
            i = 1
            feed(count: 1, onFrame: onFrame)
        }
        while i + 1 < bytes.count {
            let count = min((bytes.count - i) / 2, Self.sampleCapacity)
            let base = bytes.baseAddress! + i
            for k in 0..<count {
                samples[k] =
                    Float(Int16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * k, as: Int16.self))) / 32768
            }
            i += 2 * count
            feed(count: count, onFrame: onFrame)
        }
        if i < bytes.count { pendingByte = bytes[i] }
    }

    private func feed(count: Int, onFrame: (Int, Float) -> Void) {
        samplesReceived += count
        extractor.accept(UnsafeBufferPointer(rebasing: samples[0..<count])) { frame in
            runner.step(frame, output: output)
            rawScore = output[0]
            onFrame(frames, rawScore)
            frames += 1
        }
    }

    public func accept(_ bytes: [UInt8], onFrame: (Int, Float) -> Void = { _, _ in }) {
        bytes.withUnsafeBytes { accept($0, onFrame: onFrame) }
    }

    /// Back to the start of a stream (zero window, no samples).
    public func reset() {
        extractor.reset()
        runner.reset()
        rawScore = initialRawScore
        pendingByte = nil
        frames = 0
        samplesReceived = 0
    }

    /// int16 little-endian → float in [-1, 1) (Precise: `np.frombuffer(chunk, '<i2') / 32768`, exact in float).
    @inline(__always)
    static func sample(_ low: UInt8, _ high: UInt8) -> Float {
        Float(Int16(bitPattern: UInt16(low) | UInt16(high) << 8)) / 32768
    }
}
