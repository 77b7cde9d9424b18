import CFFTW
import Foundation

/// Linear convolution of a signal with a fixed impulse response through FFTW (real-to-complex forward, complex-to-real
/// inverse, both `FFTW_ESTIMATE`, planned once). Used off the hot path (training-data augmentation); not thread-safe.
public final class FFTConvolver {
    /// Transform size: the smallest power of two ≥ signal + impulse response − 1.
    public let length: Int
    public let maxSignal: Int
    public let maxResponse: Int
    private let real: UnsafeMutablePointer<Float>
    private let spectrum: OpaquePointer
    private let response: UnsafeMutablePointer<Float>
    private let forward: fftwf_plan
    private let inverse: fftwf_plan

    /// Convolves signals of up to `maxSignal` samples with responses of up to `maxResponse` samples.
    public init(maxSignal: Int, maxResponse: Int) throws {
        precondition(maxSignal >= 1 && maxResponse >= 1)
        var n = 1
        while n < maxSignal + maxResponse - 1 { n *= 2 }
        length = n
        self.maxSignal = maxSignal
        self.maxResponse = maxResponse
        let bins = n / 2 + 1
        guard let r = fftwf_alloc_real(n), let c = fftwf_alloc_complex(bins), let h = fftwf_alloc_real(2 * bins) else {
            throw FeatureConfigError(key: "augmentation", "FFTW could not allocate buffers for \(n) points")
        }
        real = r
        response = h
        spectrum = OpaquePointer(c)
        let (f, i) = FFTWPlanner.serialised {
            (
                fftwf_plan_dft_r2c_1d(Int32(n), r, c, UInt32(FFTW_ESTIMATE)),
                fftwf_plan_dft_c2r_1d(Int32(n), c, r, UInt32(FFTW_ESTIMATE))
            )
        }
        guard let f, let i else {
            throw FeatureConfigError(key: "augmentation", "FFTW could not plan a convolution of \(n) points")
        }
        forward = f
        inverse = i
    }

    deinit {
        FFTWPlanner.serialised {
            fftwf_destroy_plan(forward)
            fftwf_destroy_plan(inverse)
        }
        fftwf_free(real)
        fftwf_free(UnsafeMutableRawPointer(spectrum))
        fftwf_free(response)
    }

    /// `signal` ∗ `impulseResponse`, the first `signal.count` samples (the tail past the signal is dropped).
    public func convolve(_ signal: [Float], _ impulseResponse: [Float]) -> [Float] {
        precondition(signal.count <= maxSignal && impulseResponse.count <= maxResponse)
        let bins = length / 2 + 1
        let complex = UnsafeMutableRawPointer(spectrum).assumingMemoryBound(to: Float.self)
        real.update(repeating: 0, count: length)
        for (i, v) in impulseResponse.enumerated() { real[i] = v }
        fftwf_execute(forward)
        response.update(from: complex, count: 2 * bins)
        real.update(repeating: 0, count: length)
        for (i, v) in signal.enumerated() { real[i] = v }
        fftwf_execute(forward)
        let scale = 1 / Float(length)
        for k in 0..<bins {
            let (a, b) = (complex[2 * k], complex[2 * k + 1])
            let (c, d) = (response[2 * k], response[2 * k + 1])
            complex[2 * k] = (a * c - b * d) * scale
            complex[2 * k + 1] = (a * d + b * c) * scale
        }
        fftwf_execute(inverse)
        return Array(UnsafeBufferPointer(start: real, count: signal.count))
    }
}
