import CFFTW
import Foundation

/// Single-precision real-to-complex FFT of a fixed size, planned once (FFTW `r2c`) from the committed wisdom
/// (`FFTWWisdom`: measured plans for n = 256 … 4096) or else with `FFTW_ESTIMATE`: never timed at run time, so
/// the plan and thus the arithmetic are the same in every run. Owns its aligned input and output buffers.
/// Plan creation and destruction go through `FFTWPlanner.serialised`; execution is not locked.
public final class RealFFT {
    /// Transform size in samples.
    public let length: Int
    /// `length` real inputs (FFTW-aligned). Write the frame here, then call `execute()`.
    public let input: UnsafeMutableBufferPointer<Float>
    /// `length / 2 + 1` complex outputs as interleaved (re, im) pairs.
    public let output: UnsafeMutableBufferPointer<Float>
    private let plan: fftwf_plan

    /// `FFTWWisdom.measured` imported into FFTW's global wisdom (once, inside `FFTWPlanner.serialised`; false if
    /// rejected).
    private static let wisdomImported: Bool = fftwf_import_wisdom_from_string(FFTWWisdom.measured) != 0

    public init(length: Int) throws {
        precondition(length >= 1)
        self.length = length
        let bins = length / 2 + 1
        guard let inPtr = fftwf_alloc_real(length), let outPtr = fftwf_alloc_complex(bins) else {
            throw FeatureConfigError(key: "features.fft_length", "FFTW could not allocate buffers for \(length) points")
        }
        input = UnsafeMutableBufferPointer(start: inPtr, count: length)
        input.initialize(repeating: 0)
        let outFloats = UnsafeMutableRawPointer(outPtr).bindMemory(to: Float.self, capacity: 2 * bins)
        output = UnsafeMutableBufferPointer(start: outFloats, count: 2 * bins)
        output.initialize(repeating: 0)
        let made = FFTWPlanner.serialised {
            _ = RealFFT.wisdomImported
            return fftwf_plan_dft_r2c_1d(Int32(length), inPtr, outPtr, UInt32(FFTW_MEASURE | FFTW_WISDOM_ONLY))
                ?? fftwf_plan_dft_r2c_1d(Int32(length), inPtr, outPtr, UInt32(FFTW_ESTIMATE))
        }
        input.initialize(repeating: 0)
        guard let made else {
            fftwf_free(inPtr)
            fftwf_free(outPtr)
            throw FeatureConfigError(
                key: "features.fft_length", "FFTW could not plan a real FFT of \(length) points (fftwf_plan_dft_r2c_1d)"
            )
        }
        plan = made
    }

    deinit {
        FFTWPlanner.serialised { fftwf_destroy_plan(plan) }
        fftwf_free(input.baseAddress)
        fftwf_free(output.baseAddress)
    }

    /// Transforms `input` into `output` (unnormalised: X[k] = Σ x[n]·e^(−2πikn/N)).
    public func execute() { fftwf_execute(plan) }

    /// Writes |X[k]|² (or |X[k]| when `magnitude`) for k = 0 ... length/2 into `spectrum`.
    public func spectrum(into spectrum: UnsafeMutableBufferPointer<Float>, magnitude: Bool) {
        let bins = length / 2 + 1
        for k in 0..<bins {
            let re = output[2 * k]
            let im = output[2 * k + 1]
            let p = re * re + im * im
            spectrum[k] = magnitude ? p.squareRoot() : p
        }
    }
}
