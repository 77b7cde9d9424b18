import Foundation
import GrustreamTestSupport
import Testing

/// SIGHUP with a pipeline that aborted the TOML library or wedged validation (an unbounded size, a loop to the next
/// power of two): the daemon refuses it within the reload, keeps the running pipeline, and loses no event.
extension DaemonLifecycleTests {
    static let hostileReloads: [(String, @Sendable (String) -> String)] = [
        ("[[[source] as the first line", { "[[[source]\n" + $0 }),
        (
            "frame_samples = 2^63 - 1",
            { $0.replacingOccurrences(of: "mel_bins = 40", with: "mel_bins = 40\nframe_samples = 9223372036854775807") }
        ),
        (
            "fft_length = 2^31",
            { $0.replacingOccurrences(of: "mel_bins = 40", with: "mel_bins = 40\nfft_length = 2147483648") }
        ),
        (
            "stats_interval_s = 1e300",
            { $0.replacingOccurrences(of: "stats_interval_s = 0", with: "stats_interval_s = 1e300") }
        ),
        (
            "window:100000",
            { $0.replacingOccurrences(of: "output_activation", with: "mode = \"window:100000\"\noutput_activation") }
        ),
    ]

    @Test("SIGHUP with a hostile pipeline keeps the old one running", arguments: hostileReloads.indices)
    func sighupWithAHostilePipelineKeepsTheOldOneRunning(index: Int) throws {
        let (name, edit) = Self.hostileReloads[index]
        let (result, _) = try runWithReload { url in
            try edit(try DaemonPipelines.fixtureText()).write(to: url, atomically: true, encoding: .utf8)
        }
        #expect(result.status == 0, "\(name): \(result.stderr)")
        #expect(
            result.stderr.contains("reload failed, still running the previous pipeline"), "\(name): \(result.stderr)")
        let events = normalisedEvents(result.stdoutText)
        let errors = events.filter { $0.eventClass == "ERROR" }
        #expect(errors.count == 1, "\(name): \(errors)")
        #expect(
            sameEvents(
                events.filter { $0.eventClass == "DETECTION" },
                try DaemonPipelines.expected.filter { $0.eventClass == "DETECTION" }), "\(name)")
    }
}
