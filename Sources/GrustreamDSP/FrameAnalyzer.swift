import Foundation

/// Turns one channel's frame (`frameLength` samples, already scaled) into that channel's base feature values.
/// Owns every per-frame buffer, allocated once; `analyze` allocates nothing.
///
/// Order (kaldi-native-fbank `ProcessWindow` then `Compute`): dither → DC removal → raw log-energy →
/// pre-emphasis (within the frame) → window → [log-energy after window] → zero-pad to `fftLength` → r2c FFT →
/// power/magnitude → kind (spectrum | mel → log [→ DCT, lifter, energy as c0] | bands → log).
final class FrameAnalyzer {
    let options: FeatureOptions
    let frameLength: Int
    let outputCount: Int
    private let fft: RealFFT?
    private let window: UnsafeMutableBufferPointer<Float>
    private let spectrum: UnsafeMutableBufferPointer<Float>
    private let filterOutput: UnsafeMutableBufferPointer<Float>
    private let bank: FilterBank?
    private let bankWeights: UnsafeMutableBufferPointer<Float>
    private let cepstrum: Cepstrum?
    private let dctMatrix: UnsafeMutableBufferPointer<Float>
    private let lifter: UnsafeMutableBufferPointer<Float>
    private let logEnergyFloor: Float

    init(options: FeatureOptions) throws {
        self.options = options
        frameLength = options.frameLength
        outputCount = options.baseDimensionPerChannel
        let needsFFT = options.kind != .raw
        fft = needsFFT ? try RealFFT(length: options.fftLength) : nil
        window = .copy(needsFFT ? Window.frameWindow(options) : [])
        spectrum = .copy([Float](repeating: 0, count: needsFFT ? options.spectrumBins : 0))
        switch options.kind {
        case .mfcc, .fbank: bank = FilterBank.mel(options)
        case .bands: bank = FilterBank.bands(options)
        case .spectrum, .raw: bank = nil
        }
        bankWeights = .copy(bank?.weights ?? [])
        filterOutput = .copy([Float](repeating: 0, count: bank?.count ?? 0))
        cepstrum =
            options.kind == .mfcc
            ? Cepstrum(
                coefficients: options.cepstrum.coefficients, melBins: options.mel.bins, lifter: options.cepstrum.lifter)
            : nil
        dctMatrix = .copy(cepstrum?.matrix ?? [])
        lifter = .copy(cepstrum?.lifterCoefficients ?? [])
        logEnergyFloor = options.energy.energyFloor > 0 ? log(options.energy.energyFloor) : -.infinity
    }

    deinit {
        for b in [window, spectrum, filterOutput, bankWeights, dctMatrix, lifter] { b.deallocate() }
    }

    /// `x`: the frame (modified in place). `out`: `outputCount` values. `frame`, `channel`: dither seed only.
    func analyze(_ x: UnsafeMutablePointer<Float>, frame: Int, channel: Int, into out: UnsafeMutablePointer<Float>) {
        let n = frameLength
        let f = options.frame
        if options.kind == .raw {
            var sum: Float = 0
            for i in 0..<n { sum += x[i] }
            out[0] = n == 1 ? sum : sum / Float(n)
            return
        }
        guard let fft else { return }
        if f.dither != 0 {
            var g = Dither(seed: f.ditherSeed, frame: frame, channel: channel)
            for i in 0..<n { x[i] += f.dither * g.gaussian() }
        }
        if f.removeDCOffset {
            var sum: Float = 0
            for i in 0..<n { sum += x[i] }
            let mean = sum / Float(n)
            for i in 0..<n { x[i] -= mean }
        }
        let useEnergy = options.energy.useEnergy && options.kind != .bands
        var logEnergy: Float = 0
        if useEnergy && options.energy.rawEnergy && !options.energy.fromSpectrum { logEnergy = Self.logEnergy(x, n) }
        if f.preemphasis != 0 {
            let p = f.preemphasis
            var i = n - 1
            while i > 0 {
                x[i] -= p * x[i - 1]
                i -= 1
            }
            x[0] -= p * x[0]
        }
        let input = fft.input.baseAddress!
        let used = min(n, fft.length)  // < n only with fft_truncate (numpy rfft(frame, n) keeps the first n)
        for i in 0..<used { input[i] = x[i] * window[i] }
        for i in used..<fft.length { input[i] = 0 }
        if useEnergy && !options.energy.rawEnergy && !options.energy.fromSpectrum { logEnergy = Self.logEnergy(input, used) }
        logEnergy = max(logEnergy, logEnergyFloor)
        fft.execute()
        fft.spectrum(into: spectrum, magnitude: options.spectrum.scale == .magnitude)
        if options.spectrum.normalise || options.energy.fromSpectrum {
            logEnergy = SonopySpectrum.finish(spectrum, fftLength: fft.length, options: options, logEnergy: logEnergy)
            logEnergy = max(logEnergy, logEnergyFloor)
        }

        switch options.kind {
        case .spectrum:
            compress(spectrum.baseAddress!, count: spectrum.count, into: out)
            if useEnergy { out[0] = logEnergy }
        case .fbank:
            let offset = useEnergy ? 1 : 0
            bank!.apply(spectrum.baseAddress!, weights: bankWeights.baseAddress!, into: filterOutput.baseAddress!)
            compress(filterOutput.baseAddress!, count: filterOutput.count, into: out + offset)
            if offset == 1 { out[0] = logEnergy }
        case .mfcc:
            bank!.apply(spectrum.baseAddress!, weights: bankWeights.baseAddress!, into: filterOutput.baseAddress!)
            compress(filterOutput.baseAddress!, count: filterOutput.count, into: filterOutput.baseAddress!)
            cepstrum!.apply(
                filterOutput.baseAddress!, matrix: dctMatrix.baseAddress!, lifter: lifter.baseAddress!, into: out)
            if useEnergy { out[0] = logEnergy }
        case .bands:
            bank!.apply(spectrum.baseAddress!, weights: bankWeights.baseAddress!, into: filterOutput.baseAddress!)
            compress(filterOutput.baseAddress!, count: filterOutput.count, into: out)
        case .raw:
            break
        }
    }

    /// ln(max(Σ x², FLT_EPSILON)), as Kaldi.
    @inline(__always)
    static func logEnergy(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var e: Float = 0
        for i in 0..<n { e += x[i] * x[i] }
        return log(max(e, Float.ulpOfOne))
    }

    /// The `log` stage: natural (floored), decibel (librosa `power_to_db` without `top_db`) or none.
    @inline(__always)
    func compress(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        let l = options.log
        switch l.scale {
        case .none:
            for i in 0..<count { out[i] = x[i] }
        case .natural:
            for i in 0..<count { out[i] = log(max(x[i], l.floor)) }
        case .decibel:
            let refDB = 10 * log10(max(l.amin, l.reference))
            for i in 0..<count { out[i] = 10 * log10(max(l.amin, x[i])) - refDB }
        }
    }
}

extension UnsafeMutableBufferPointer where Element == Float {
    /// A new buffer holding a copy of `values` (deallocate it yourself).
    static func copy(_ values: [Float]) -> UnsafeMutableBufferPointer<Float> {
        let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: values.count)
        _ = b.initialize(from: values)
        return b
    }
}
