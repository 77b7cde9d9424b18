import Foundation

/// Set by SIGINT during training: the loop finishes its batch, saves the best model so far and exits.
nonisolated(unsafe) private var trainingInterrupted: sig_atomic_t = 0

/// Progress of a training run on standard error: a live bar on a terminal (epoch, batch, loss, validation
/// metric, ETA), one line per epoch otherwise (logs, pipes). Also owns the Ctrl-C handling.
public final class TrainingProgress {
    public let totalEpochs: Int
    private let live: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    public var lastValidation = ""

    public init(totalEpochs: Int, live: Bool? = nil) {
        self.totalEpochs = totalEpochs
        self.live = live ?? (isatty(STDERR_FILENO) == 1)
    }

    /// Route SIGINT to a flag instead of killing the process.
    public static func catchInterrupt() {
        trainingInterrupted = 0
        signal(SIGINT) { _ in trainingInterrupted = 1 }
    }

    public static var interrupted: Bool { trainingInterrupted != 0 }

    /// During an epoch (redrawn at most 10 times a second on a terminal).
    public func batch(epoch: Int, batch: Int, of batches: Int, loss: Float) {
        guard live else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || batch == batches else { return }
        lastDraw = now
        let done = (Double(epoch) + Double(batch) / Double(max(batches, 1))) / Double(max(totalEpochs, 1))
        let elapsed = now.timeIntervalSince(start)
        let eta = done > 0 ? elapsed / done - elapsed : 0
        let width = 24
        let filled = Int(Double(width) * Double(batch) / Double(max(batches, 1)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let text = String(
            format: "\r\u{1B}[2Kepoch %d/%d %@ %d/%d loss %.4f %@ ETA %@", epoch + 1, totalEpochs, bar, batch, batches,
            loss, lastValidation, Self.clock(eta))
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// At the end of an epoch.
    public func epoch(
        _ epoch: Int, trainLoss: Float, validation: String, learningRate: Float, framesPerSecond: Double, best: Bool
    ) {
        lastValidation = validation
        let elapsed = Date().timeIntervalSince(start)
        let eta = elapsed / Double(epoch + 1) * Double(totalEpochs - epoch - 1)
        let line = String(
            format: "epoch %d/%d loss %.4f %@ lr %.2e %.0f frames/s elapsed %@ ETA %@%@", epoch + 1, totalEpochs,
            trainLoss, validation, learningRate, framesPerSecond, Self.clock(elapsed), Self.clock(eta), best ? " *" : ""
        )
        FileHandle.standardError.write(Data(((live ? "\r\u{1B}[2K" : "") + line + "\n").utf8))
    }

    public func note(_ text: String) {
        FileHandle.standardError.write(Data(((live ? "\r\u{1B}[2K" : "") + text + "\n").utf8))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(max(seconds, 0).rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
