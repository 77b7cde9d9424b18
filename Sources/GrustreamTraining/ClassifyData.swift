import Foundation
import GrustreamDSP
import GrustreamNeural

/// Labelled clips in the Speech Commands layout: `ROOT/<label>/*.wav`, `ROOT/_background_noise_/*.wav`.
/// Folders named in `keywords` are classes; every other folder is `_unknown_`; `_silence_` clips are cut
/// from the background noise. File names `<speaker>_nohash_<n>.wav` group clips by speaker, and the
/// validation split is made per speaker (a stable hash), so validation voices are never trained on.
public struct ClassifyClipList {
    public static let silence = "_silence_"
    public static let unknown = "_unknown_"
    public static let backgroundFolder = "_background_noise_"

    public struct Clip {
        public var path: String
        public var label: Int
        public var speaker: String
    }

    /// `_silence_`, `_unknown_`, then the keywords.
    public var labels: [String]
    public var clips: [Clip]
    public var noiseFiles: [String]

    /// - labels: the model's labels (eval) or the keywords (train; empty: every folder but the noise).
    public init(root: String, keywords: [String], modelLabels: [String]? = nil) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrainingError("\(root): no such folder (expected one folder per label of WAV clips)")
        }
        let folders = try fm.contentsOfDirectory(atPath: root).filter {
            var d: ObjCBool = false
            return fm.fileExists(atPath: root + "/" + $0, isDirectory: &d) && d.boolValue
        }.sorted()
        if let modelLabels {
            labels = modelLabels
        } else {
            let words =
                keywords.isEmpty
                ? folders.filter { $0 != Self.backgroundFolder && $0 != Self.silence && $0 != Self.unknown } : keywords
            labels = [Self.silence, Self.unknown] + words
        }
        for keyword in keywords where !folders.contains(keyword) {
            throw TrainingError(
                "\(root): no folder \"\(keyword)\" for label \(keyword); folders are \(folders.joined(separator: ", "))"
            )
        }
        clips = []
        noiseFiles = []
        let unknownIndex = labels.firstIndex(of: Self.unknown)
        for folder in folders {
            let files = try fm.contentsOfDirectory(atPath: root + "/" + folder).filter {
                $0.lowercased().hasSuffix(".wav")
            }.sorted()
            if folder == Self.backgroundFolder {
                noiseFiles = files.map { root + "/" + folder + "/" + $0 }
                continue
            }
            guard let label = labels.firstIndex(of: folder) ?? unknownIndex else { continue }
            for file in files {
                let stem = String(file.dropLast(4))
                let speaker = stem.range(of: "_nohash_").map { String(stem[..<$0.lowerBound]) } ?? stem
                clips.append(Clip(path: root + "/" + folder + "/" + file, label: label, speaker: speaker))
            }
        }
        guard !clips.isEmpty else { throw TrainingError("\(root): no WAV clips in its label folders") }
    }

    /// Whether a speaker falls in the validation split (FNV-1a of the speaker name, modulo 100).
    public static func isValidation(speaker: String, percent: Int) -> Bool {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in speaker.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return Int(hash % 100) < percent
    }
}

/// One clip ready for training: normalised features [frames, dimension] and a target per frame (−1: none).
public struct ClassifyExample {
    public var features: [Float]
    public var targets: [Int32]
    public var label: Int
}

/// Builds the examples of clips: fixed length, augmentation (speed and pitch perturbation, time shift, room
/// reverberation, recorded or generated noise at a random SNR, gain), features through the pipeline's extractor,
/// per-frame or last-frame targets (from the dry clip, after speed perturbation and shift).
public struct ClassifyExampleBuilder {
    public let features: TrainingFeatures
    public let options: TrainingOptions
    public let labels: [String]
    public let clipSamples: Int
    public var noise: [[Float]] = []
    let convolver: FFTConvolver?

    /// `noiseFiles` plus the WAV files of `options.noiseFolders` are the recorded noise.
    public init(features: TrainingFeatures, options: TrainingOptions, labels: [String], noiseFiles: [String]) throws {
        self.features = features
        self.options = options
        self.labels = labels
        let clipSamples = Int(options.clipMilliseconds / 1000 * features.options.sampleRate)
        self.clipSamples = clipSamples
        var files = noiseFiles
        for folder in options.noiseFolders {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                throw TrainingError("--noise-dir \(folder): no such folder (expected WAV noise recordings)")
            }
            files += names.filter { $0.lowercased().hasSuffix(".wav") }.sorted().map { folder + "/" + $0 }
        }
        noise = try files.map { try features.readSamples($0) }.filter { $0.count >= clipSamples }
        if options.reverbProbability > 0 && clipSamples > 0 {
            let response = Int(Double(options.rt60Range.upperBound) * features.options.sampleRate) + 1
            convolver = try FFTConvolver(maxSignal: clipSamples, maxResponse: response)
        } else {
            convolver = nil
        }
    }

    public var framesPerClip: Int {
        let o = features.options
        return clipSamples < o.frameLength ? 0 : 1 + (clipSamples - o.frameLength) / o.hopLength
    }

    func fixedLength(_ samples: [Float]) -> [Float] {
        if samples.count >= clipSamples { return Array(samples[0..<clipSamples]) }
        return samples + [Float](repeating: 0, count: clipSamples - samples.count)
    }

    /// A random stretch of background noise, clip long (zeros when there is no noise).
    func noiseSegment(_ random: inout TrainingRandom) -> [Float] {
        guard !noise.isEmpty else { return [Float](repeating: 0, count: clipSamples) }
        let source = noise[random.index(noise.count)]
        let start = random.index(source.count - clipSamples + 1)
        return Array(source[start..<(start + clipSamples)])
    }

    /// The example of `samples` (nil: a silence clip) with label `label`; augmented when `random` is given.
    public func example(_ samples: [Float]?, label: Int, random: inout TrainingRandom, augment: Bool) -> ClassifyExample
    {
        var clean: [Float]
        if var samples {
            if augment && options.speedRange.lowerBound != options.speedRange.upperBound {
                let factor = random.uniform(options.speedRange.lowerBound, options.speedRange.upperBound)
                samples = Augmentation.resample(samples, factor: factor)
            }
            if augment && options.pitchRange.lowerBound != options.pitchRange.upperBound && random.uniform() < 0.5 {
                let semitones = random.uniform(options.pitchRange.lowerBound, options.pitchRange.upperBound)
                samples = Augmentation.pitchShift(samples, semitones: semitones)
            }
            clean = fixedLength(samples)
            if augment && options.shiftMilliseconds > 0 {
                let maxShift = Int(options.shiftMilliseconds / 1000 * features.options.sampleRate)
                let shift = random.index(2 * maxShift + 1) - maxShift
                if shift > 0 {
                    clean = [Float](repeating: 0, count: shift) + clean.dropLast(shift)
                } else if shift < 0 {
                    clean = Array(clean.dropFirst(-shift)) + [Float](repeating: 0, count: -shift)
                }
            }
        } else {
            clean = [Float](repeating: 0, count: clipSamples)
        }
        var mixed = clean
        if samples == nil {
            let segment = noiseSegment(&random)
            let gain = random.uniform() < 0.1 ? 0 : powf(10, random.uniform(-30, 0) / 20)
            for i in mixed.indices { mixed[i] = segment[i] * gain }
        } else if augment {
            if let convolver, random.uniform() < options.reverbProbability {
                let response = Augmentation.roomImpulseResponse(
                    sampleRate: features.options.sampleRate,
                    rt60: random.uniform(options.rt60Range.lowerBound, options.rt60Range.upperBound),
                    directToReverberantDB: random.uniform(
                        options.directToReverberantRange.lowerBound, options.directToReverberantRange.upperBound),
                    random: &random)
                mixed = convolver.convolve(mixed, response)
            }
            let generated = options.generatedNoiseProbability
            if (!noise.isEmpty || generated > 0) && random.uniform() < options.noiseProbability {
                let useGenerated = generated > 0 && (noise.isEmpty || random.uniform() < generated)
                let segment =
                    useGenerated
                    ? Augmentation.generatedNoise(count: mixed.count, random: &random) : noiseSegment(&random)
                let snr = random.uniform(options.snrRange.lowerBound, options.snrRange.upperBound)
                mixed = Augmentation.mix(mixed, noise: segment, snrDB: snr)
            }
            let gain = powf(10, random.uniform(options.gainRange.lowerBound, options.gainRange.upperBound) / 20)
            for i in mixed.indices { mixed[i] = min(max(mixed[i] * gain, -1), 1) }
        }
        let values = features.extract(mixed)
        let frames = values.count / features.dimension
        return ClassifyExample(
            features: values, targets: targets(clean: clean, frames: frames, label: label, isSilence: samples == nil),
            label: label)
    }

    /// Per-frame targets from the clean clip's frame energies: before the word `_silence_`; during a keyword
    /// none (the word is not complete yet) until 3 frames before its end; then the keyword for
    /// `labelFramesAfter` frames; then `_silence_`. Unknown words are `_unknown_` from start to end + the same tail.
    func targets(clean: [Float], frames: Int, label: Int, isSilence: Bool) -> [Int32] {
        let silenceIndex = Int32(labels.firstIndex(of: ClassifyClipList.silence) ?? -1)
        if options.target == .last {
            var t = [Int32](repeating: -1, count: frames)
            if frames > 0 { t[frames - 1] = Int32(label) }
            return t
        }
        if isSilence || frames == 0 { return [Int32](repeating: Int32(label), count: frames) }
        let o = features.options
        var energies = [Float](repeating: 0, count: frames)
        for f in 0..<frames {
            let start = f * o.hopLength
            var e: Float = 0
            for i in start..<min(start + o.frameLength, clean.count) { e += clean[i] * clean[i] }
            energies[f] = e
        }
        let peak = energies.max() ?? 0
        let active = energies.indices.filter { energies[$0] > peak * 0.01 }
        guard let first = active.first, let last = active.last, peak > 0 else {
            return [Int32](repeating: silenceIndex, count: frames)
        }
        let isUnknown = labels[label] == ClassifyClipList.unknown
        var t = [Int32](repeating: silenceIndex, count: frames)
        let tailEnd = min(frames - 1, last + options.labelFramesAfter)
        for f in first...tailEnd {
            if isUnknown {
                t[f] = Int32(label)
            } else {
                t[f] = f >= last - 3 ? Int32(label) : -1
            }
        }
        return t
    }
}
