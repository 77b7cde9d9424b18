import Foundation

extension FilterBank {
    /// sonopy's `filterbanks(sample_rate, num_filt, fft_len)` (Mycroft Precise), with `fft_len` = the number of
    /// spectrum bins (257 for n_fft 512), reproduced step by step:
    ///
    /// 1. `grid_mels = linspace(mel(low), mel(high), bins + 2)`, mel(f) = 1127·ln(1 + f/700)
    ///    (sonopy: low 0, high = the sample rate, so the filters span the bins as if they covered 0 … rate);
    /// 2. `grid_indices = int(hertz(grid_mels) · fft_len / sample_rate)` (truncation);
    /// 3. `correct_grid`: each index is pushed forward so that it is > the previous one (every filter ≥ 1 bin);
    /// 4. filter i over (left, middle, right) = grid[i ..< i+3]: `linspace(0, 1, middle − left, endpoint=False)`
    ///    on bins left ..< middle, `linspace(1, 0, right − middle, endpoint=False)` on middle ..< right; bins past
    ///    the last spectrum bin are dropped (numpy slicing).
    public static func sonopy(_ options: FeatureOptions) -> FilterBank {
        let bins = options.fftLength / 2 + 1
        let count = options.mel.bins
        let rate = options.sampleRate
        let toMel = { (f: Double) in 1127 * log(1 + f / 700) }
        let toHertz = { (m: Double) in 700 * (exp(m / 1127) - 1) }
        let low = toMel(options.mel.lowHertz)
        let high = toMel(options.resolvedMelHighHertz)
        let points = count + 2
        let step = (high - low) / Double(points - 1)
        // numpy.linspace: start + i·step, the last point exactly `stop`.
        let mels = (0..<points).map { $0 == points - 1 ? high : low + Double($0) * step }
        var grid = mels.map { Int(toHertz($0) * Double(bins) / rate) }
        var offset = 0
        var previous = grid[0] - 1
        for i in grid.indices {
            let original = grid[i]
            offset = max(0, offset + previous + 1 - original)
            previous = original
            grid[i] = original + offset
        }
        var dense = [[Double]](repeating: [Double](repeating: 0, count: bins), count: count)
        for f in 0..<count {
            let (left, middle, right) = (grid[f], grid[f + 1], grid[f + 2])
            for j in left..<middle where j < bins { dense[f][j] = Double(j - left) / Double(middle - left) }
            for j in middle..<right where j < bins { dense[f][j] = 1 - Double(j - middle) / Double(right - middle) }
        }
        return FilterBank(dense: dense, spectrumBins: bins)
    }
}

/// The spectrum steps sonopy adds after the FFT: |X|² / n_fft (`spectrum_normalise`) and the energy
/// ln(max(Σ bins, log_floor)) (`energy_from_spectrum`).
enum SonopySpectrum {
    /// Normalises `spectrum` in place when asked; returns the spectral log energy (or `logEnergy` unchanged).
    @inline(__always)
    static func finish(
        _ spectrum: UnsafeMutableBufferPointer<Float>, fftLength: Int, options: FeatureOptions, logEnergy: Float
    ) -> Float {
        if options.spectrum.normalise {
            let n = Float(fftLength)
            for k in spectrum.indices { spectrum[k] /= n }
        }
        guard options.energy.fromSpectrum else { return logEnergy }
        var total: Float = 0
        for v in spectrum { total += v }
        return log(max(total, options.log.floor))
    }
}
