import Foundation

/// FFTW's planner (plan creation, plan destruction, wisdom import) keeps global state and is not thread-safe; only
/// `fftwf_execute` of an existing plan is. Every planner call in the project runs inside `FFTWPlanner.serialised`,
/// one process-wide lock, so transforms of different kinds (`RealFFT`, `FFTConvolver`) may be made on any thread.
enum FFTWPlanner {
    private static let lock = NSLock()

    static func serialised<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
