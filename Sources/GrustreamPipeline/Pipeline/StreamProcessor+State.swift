import Foundation
import GrustreamDSP
import GrustreamIO
import GrustreamNeural

/// A stream's controls and saved state: `PAUSE`/`RESUME`, `RESET`, the reset after a non-finite hidden state, and
/// the snapshot a state file or key-value bucket keeps (off the hot path).
extension StreamProcessor {
    /// Stream time of `frameCount` frames (seconds).
    package func seconds(frames frameCount: Int) -> Double {
        Double(frameCount * pipeline.features.hopLength) / pipeline.features.sampleRate
    }

    /// Pause or resume publishing; returns the stream time paused by the pause this ends (RESUME) or so far.
    @discardableResult
    public func setPaused(_ pause: Bool) -> Double {
        for lane in lanes { lane.setPaused(pause) }
        if pause && !paused { pauseStartFrames = pausedFrames }
        let pausedNow = seconds(frames: pausedFrames - pauseStartFrames)
        paused = pause
        return pausedNow
    }

    /// `RESET`: from the next frame on, the hidden state is the initial one and the detector starts afresh (a
    /// snapshottable detector is put in the state a new one has, on this stream's frame and chunk grid).
    public func resetForCommand() {
        for lane in lanes { lane.resetForCommand() }
        runner.reset()
        ensembleRunners?.reset()
        if let restorable = detector as? SnapshottableDetector, let fresh = try? pipeline.makeDetector(),
            let snapshot = (fresh as? SnapshottableDetector)?.snapshot(nextFrame: 0, nextTime: 0),
            (try? restorable.restore(snapshot, nextFrame: frames, nextTime: nextFrameTime)) != nil
        {
            return
        }
        detector.reset()
    }

    /// A non-finite hidden state: back to the zero state, counted, reported (rate-limited).
    func resetState(at t: Double) {
        runner.reset()
        ensembleRunners?.reset()
        stateResets += 1
        guard let count = resetReports.note(now: MonotonicClock.nanoseconds()) else { return }
        let message =
            "stream \(name): non-finite hidden state, reset to the zero state at t = \(t) s"
            + (count > 1 ? " (\(count) resets since the last report)" : "")
        logger?.error("\(message)")
        bus.publish(.error(stream: name, t: t, message: message))
    }

    /// The stream's GRU and detector state, to save (not on the hot path: it allocates).
    public func snapshot() -> StreamStateSnapshot {
        StreamStateSnapshot(
            stream: stateKey, gru: runner.state, labels: detector.labels,
            detector: (detector as? SnapshottableDetector)?.snapshot(nextFrame: frames, nextTime: nextFrameTime),
            online: learner?.snapshot, seasonal: extractor.seasonalSnapshot())
    }

    /// Continue from a saved state (at stream start). Throws, leaving the initial state, when it does not fit
    /// this network or detector.
    public func restore(_ snapshot: StreamStateSnapshot) throws {
        guard snapshot.labels == detector.labels else {
            throw StateFileError("saved for labels \(snapshot.labels), the detector has \(detector.labels)")
        }
        let initial = runner.state
        do {
            try runner.restore(snapshot.gru)
            if let saved = snapshot.detector {
                guard let restorable = detector as? SnapshottableDetector else {
                    throw StateFileError("this detector cannot restore a saved state")
                }
                try restorable.restore(saved, nextFrame: frames, nextTime: nextFrameTime)
            }
            // A state saved without online learning leaves the learner at its start (the shared model).
            if let learner, let online = snapshot.online { try learner.restore(online) }
            // A state saved without the decomposition leaves it to search for its period.
            if let seasonal = snapshot.seasonal { try extractor.restoreSeasonal(seasonal) }
        } catch {
            try? runner.restore(initial)
            detector.reset()
            throw error
        }
    }
}
