import Foundation

/// A bank of filters over spectrum bins, stored sparsely: filter f covers bins
/// `firstBin[f] ..< firstBin[f] + width[f]` with weights `weights[offset[f] ..< offset[f] + width[f]]`.
/// Used for mel filterbanks and sensor bands. Weights are computed in Double and stored as Float.
public struct FilterBank: Sendable, Equatable {
    /// Number of spectrum bins the bank applies to (`fft/2 + 1`).
    public let spectrumBins: Int
    /// [filters] first covered bin of each filter.
    public let firstBin: [Int]
    /// [filters] number of covered bins of each filter.
    public let width: [Int]
    /// [filters] start of each filter's weights in `weights`.
    public let offset: [Int]
    /// [Σ width] packed weights.
    public let weights: [Float]

    public var count: Int { firstBin.count }

    /// Builds the sparse form of a dense bank `dense[filter][bin]` (zeros at both ends dropped).
    public init(dense: [[Double]], spectrumBins: Int) {
        var first: [Int] = []
        var width: [Int] = []
        var offset: [Int] = []
        var weights: [Float] = []
        for row in dense {
            let lo = row.firstIndex(where: { $0 != 0 }) ?? 0
            let hi = row.lastIndex(where: { $0 != 0 }).map { $0 + 1 } ?? 0
            first.append(lo)
            width.append(max(0, hi - lo))
            offset.append(weights.count)
            if hi > lo { weights += row[lo..<hi].map { Float($0) } }
        }
        self.spectrumBins = spectrumBins
        self.firstBin = first
        self.width = width
        self.offset = offset
        self.weights = weights
    }

    /// The bank as a dense `[filters, spectrumBins]` row-major matrix (for tests and export).
    public var dense: [Float] {
        var out = [Float](repeating: 0, count: count * spectrumBins)
        for f in 0..<count {
            for j in 0..<width[f] { out[f * spectrumBins + firstBin[f] + j] = weights[offset[f] + j] }
        }
        return out
    }

    /// out[f] = Σ_j weights[f][j] · spectrum[firstBin[f] + j], accumulated in Float in bin order.
    @inline(__always)
    func apply(_ spectrum: UnsafePointer<Float>, weights w: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>)
    {
        for f in 0..<firstBin.count {
            let s = spectrum + firstBin[f]
            let ws = w + offset[f]
            var acc: Float = 0
            for j in 0..<width[f] { acc += ws[j] * s[j] }
            out[f] = acc
        }
    }

    // MARK: constructors

    /// Mel filterbank for `options` (`mel_bins`, `mel_low_hz`, `mel_high_hz`, `mel_scale`, `mel_triangles`,
    /// `mel_norm`) over `fftLength / 2 + 1` bins.
    ///
    /// - `kaldi` (kaldi-native-fbank `MelBanks`): edges equally spaced in mel between low and high; bin i
    ///   (frequency i·rate/fft, i < fft/2: the Nyquist bin gets no weight) has weight (mel − left)/(centre − left)
    ///   rising, (right − mel)/(right − centre) falling, for left < mel < right.
    /// - `librosa` (`librosa.filters.mel`): edges equally spaced in mel, converted to Hz; weight
    ///   max(0, min((f − left)/(centre − left), (right − f)/(right − centre))) in Hz; `slaney` norm multiplies
    ///   filter m by 2 / (right − left).
    public static func mel(_ options: FeatureOptions) -> FilterBank {
        if options.mel.triangles == .sonopy { return sonopy(options) }
        let m = options.mel
        let fft = options.fftLength
        let bins = fft / 2 + 1
        let rate = options.sampleRate
        let low = m.lowHertz
        let high = options.resolvedMelHighHertz
        let toMel: (Double) -> Double = { MelScale.mel($0, m.scale) }
        let melLow = toMel(low)
        let melHigh = toMel(high)
        let delta = (melHigh - melLow) / Double(m.bins + 1)
        let edgesMel = (0..<(m.bins + 2)).map { melLow + Double($0) * delta }
        var dense = [[Double]](repeating: [Double](repeating: 0, count: bins), count: m.bins)
        switch m.triangles {
        case .kaldi:
            let binWidth = rate / Double(fft)
            for f in 0..<m.bins {
                let (left, centre, right) = (edgesMel[f], edgesMel[f + 1], edgesMel[f + 2])
                for i in 0..<(fft / 2) {
                    let mel = toMel(binWidth * Double(i))
                    if mel > left && mel < right {
                        dense[f][i] = mel <= centre ? (mel - left) / (centre - left) : (right - mel) / (right - centre)
                    }
                }
            }
        case .sonopy:
            break  // handled above
        case .librosa:
            let edgesHz = edgesMel.map { MelScale.hertz($0, m.scale) }
            for f in 0..<m.bins {
                let (left, centre, right) = (edgesHz[f], edgesHz[f + 1], edgesHz[f + 2])
                let norm = m.norm == .slaney ? 2 / (right - left) : 1
                for i in 0..<bins {
                    let hz = rate * Double(i) / Double(fft)
                    let lower = (hz - left) / (centre - left)
                    let upper = (right - hz) / (right - centre)
                    dense[f][i] = max(0, min(lower, upper)) * norm
                }
            }
        }
        return FilterBank(dense: dense, spectrumBins: bins)
    }

    /// Sensor bands (`band_count`, `band_low_hz`, `band_high_hz`, `band_spacing`): weight 1 for bin k
    /// (frequency k·rate/fft) in band b when edge[b] ≤ f < edge[b+1], and f ≤ edge[last] for the last band.
    public static func bands(_ options: FeatureOptions) -> FilterBank {
        let b = options.bands
        let fft = options.fftLength
        let bins = fft / 2 + 1
        let low = b.lowHertz
        let high = options.resolvedBandHighHertz
        let edges: [Double] = (0...b.count).map { i in
            let t = Double(i) / Double(b.count)
            switch b.spacing {
            case .linear: return low + (high - low) * t
            case .log: return low * pow(high / low, t)
            }
        }
        var dense = [[Double]](repeating: [Double](repeating: 0, count: bins), count: b.count)
        for k in 0..<bins {
            let f = options.sampleRate * Double(k) / Double(fft)
            for band in 0..<b.count {
                let last = band == b.count - 1
                if f >= edges[band] && (f < edges[band + 1] || (last && f <= edges[band + 1])) {
                    dense[band][k] = 1
                    break
                }
            }
        }
        return FilterBank(dense: dense, spectrumBins: bins)
    }
}

/// Mel scales. `htk`: 2595·log10(1 + f/700). `slaney` (Auditory Toolbox, librosa `htk=False`): f/(200/3)
/// below 1 kHz, 15 + ln(f/1000)/(ln(6.4)/27) above.
public enum MelScale {
    public static func mel(_ hertz: Double, _ scale: MelScaleKind) -> Double {
        switch scale {
        case .htk: return 2595 * log10(1 + hertz / 700)
        case .slaney:
            return hertz >= 1000 ? 15 + log(hertz / 1000) / (log(6.4) / 27) : hertz / (200.0 / 3)
        }
    }

    public static func hertz(_ mel: Double, _ scale: MelScaleKind) -> Double {
        switch scale {
        case .htk: return 700 * (pow(10, mel / 2595) - 1)
        case .slaney: return mel >= 15 ? 1000 * exp((log(6.4) / 27) * (mel - 15)) : mel * (200.0 / 3)
        }
    }
}
