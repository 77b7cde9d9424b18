import Foundation
import GrustreamKernels

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
    /// [frameLength] the window laid out over the frame.
    private let window: UnsafeMutableBufferPointer<Float>
    /// [spectrumBins] power or magnitude per bin: a view of the first bins of `spectrumStorage`.
    private let spectrum: UnsafeMutableBufferPointer<Float>
    /// [bank.paddedColumns] (≥ spectrumBins) zeros past the spectrum, for the padded filter rows.
    private let spectrumStorage: UnsafeMutableBufferPointer<Float>
    /// [filters, padded to dct.paddedColumns] filter outputs, then their logs (MFCC), zeros past the filters.
    private let filterOutput: UnsafeMutableBufferPointer<Float>
    /// The filter bank (mel or sensor bands), rows padded to whole vectors.
    private let bank: PaddedRows?
    /// [coefficients, melBins] the DCT rows (MFCC only).
    private let dct: PaddedRows?
    /// [coefficients] Kaldi lifter weights (MFCC only).
    private let lifter: UnsafeMutableBufferPointer<Float>
    private let logEnergyFloor: Float
    /// The kernel family of the frame's vector loops (the one current when the analyser was made).
    let kernels = Kernels.current

    init(options: FeatureOptions) throws {
        self.options = options
        frameLength = options.frameLength
        outputCount = options.baseDimensionPerChannel
        let needsFFT = options.kind != .raw
        fft = needsFFT ? try RealFFT(length: options.fftLength) : nil
        window = .copy(needsFFT ? Window.frameWindow(options) : [])
        let filters: FilterBank?
        switch options.kind {
        case .mfcc, .fbank: filters = FilterBank.mel(options)
        case .bands: filters = FilterBank.bands(options)
        case .spectrum, .raw: filters = nil
        }
        bank = filters.map { PaddedRows($0) }
        let bins = needsFFT ? options.spectrumBins : 0
        spectrumStorage = .copy([Float](repeating: 0, count: max(bins, bank?.paddedColumns ?? 0)))
        spectrum = UnsafeMutableBufferPointer(rebasing: spectrumStorage[0..<bins])
        let cepstrum =
            options.kind == .mfcc
            ? Cepstrum(
                coefficients: options.cepstrum.coefficients, melBins: options.mel.bins, lifter: options.cepstrum.lifter)
            : nil
        dct = cepstrum.map { PaddedRows(dense: $0.matrix, rows: $0.coefficients, columns: $0.melBins) }
        lifter = .copy(cepstrum?.lifterCoefficients ?? [])
        let filterCount = filters?.count ?? 0
        filterOutput = .copy([Float](repeating: 0, count: max(filterCount, dct?.paddedColumns ?? 0)))
        logEnergyFloor = options.energy.energyFloor > 0 ? log(options.energy.energyFloor) : -.infinity
    }

    deinit {
        for b in [window, spectrumStorage, filterOutput, lifter] { b.deallocate() }
    }

    /// `x`: the frame (modified in place). `out`: `outputCount` values. `frame`, `channel`: dither seed only.
    func analyze(_ x: UnsafeMutablePointer<Float>, frame: Int, channel: Int, into out: UnsafeMutablePointer<Float>) {
        let n = frameLength
        let f = options.frame
        if options.kind == .raw {
            let sum = kernels.sum(x, n)
            out[0] = n == 1 ? sum : sum / Float(n)
            return
        }
        guard let fft else { return }
        if f.dither != 0 {
            var g = Dither(seed: f.ditherSeed, frame: frame, channel: channel)
            for i in 0..<n { x[i] += f.dither * g.gaussian() }
        }
        // DC removal, pre-emphasis and window in one pass into the FFT input; the raw energy before it.
        let mean = f.removeDCOffset ? kernels.sum(x, n) / Float(n) : 0
        let useEnergy = options.energy.useEnergy && options.kind != .bands
        var logEnergy: Float = 0
        if useEnergy && options.energy.rawEnergy && !options.energy.fromSpectrum {
            logEnergy = Self.logOfEnergy(kernels.sumOfSquares(x, n, minus: mean))
        }
        let input = fft.input.baseAddress!
        let used = min(n, fft.length)  // < n only with fft_truncate (numpy rfft(frame, n) keeps the first n)
        kernels.centreEmphasiseWindow(
            x, used, mean: mean, preemphasis: f.preemphasis, window: window.baseAddress!, into: input)
        for i in used..<fft.length { input[i] = 0 }
        if useEnergy && !options.energy.rawEnergy && !options.energy.fromSpectrum {
            logEnergy = Self.logOfEnergy(kernels.sumOfSquares(input, used))
        }
        logEnergy = max(logEnergy, logEnergyFloor)
        fft.execute()
        kernels.powerSpectrum(
            fft.output.baseAddress!, bins: spectrum.count, magnitude: options.spectrum.scale == .magnitude,
            into: spectrum.baseAddress!)
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
            bank!.apply(spectrum.baseAddress!, into: filterOutput.baseAddress!)
            compress(filterOutput.baseAddress!, count: bank!.rows, into: out + offset)
            if offset == 1 { out[0] = logEnergy }
        case .mfcc:
            bank!.apply(spectrum.baseAddress!, into: filterOutput.baseAddress!)
            compress(filterOutput.baseAddress!, count: bank!.rows, into: filterOutput.baseAddress!)
            dct!.apply(filterOutput.baseAddress!, into: out)
            for k in 0..<dct!.rows { out[k] *= lifter[k] }
            if useEnergy { out[0] = logEnergy }
        case .bands:
            bank!.apply(spectrum.baseAddress!, into: filterOutput.baseAddress!)
            compress(filterOutput.baseAddress!, count: bank!.rows, into: out)
        case .raw:
            break
        }
    }

    /// ln(max(energy, FLT_EPSILON)), as Kaldi (energy = Σ x² of the frame).
    @inline(__always)
    static func logOfEnergy(_ energy: Float) -> Float { log(max(energy, Float.ulpOfOne)) }

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
