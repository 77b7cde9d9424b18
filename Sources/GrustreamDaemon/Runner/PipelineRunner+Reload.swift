import Foundation
import GrustreamPipeline
import Synchronization

/// A re-read pipeline on its way from the thread that loaded it (SIGHUP) to the processing thread.
final class ReloadMailbox: Sendable {
    enum Outcome: @unchecked Sendable {
        case loaded(ResolvedPipeline, notes: [String])
        case failed(String)
    }
    private let slot = Mutex<Outcome?>(nil)

    func post(_ outcome: Outcome) { slot.withLock { $0 = outcome } }
    func take() -> Outcome? {
        slot.withLock { outcome in
            defer { outcome = nil }; return outcome
        }
    }
}

extension PipelineRunner {
    /// SIGHUP, from any thread but the processing one: `RELOADING=1`, then `load` runs here (reading files and
    /// loading the model off the processing thread); the processing thread swaps the result in between frames
    /// (within half a second) and sends `READY=1`. When `load` throws, the pipeline keeps running unchanged, the
    /// error is logged, published as an `ERROR` event and shown in `STATUS=`.
    public func reload(using load: () throws -> (ResolvedPipeline, notes: [String])) {
        guard !stopRequested.load(ordering: .relaxed) else { return }  // stopping: nothing to reload
        notifier.reloading()
        logger.notice("SIGHUP: reloading the pipeline and its model")  // `pipeline` belongs to the processing thread
        do {
            let (resolved, notes) = try load()
            reloads.post(.loaded(resolved, notes: notes))
        } catch {
            reloads.post(.failed("\(error)"))
        }
    }

    /// On the processing thread, between frames.
    func applyPendingReload() {
        guard let outcome = reloads.take() else { return }
        switch outcome {
        case .failed(let message):
            refuseReload(message)
        case .loaded(let new, let notes):
            for note in notes { logger.warning("\(note)") }
            var replaced: [Int: StreamProcessor] = [:]
            do {
                for (id, old) in processors {
                    replaced[id] = try StreamProcessor(name: old.name, pipeline: new, bus: bus, replacing: old)
                }
            } catch {
                refuseReload("\(error)")
                return
            }
            let kept = replaced.values.filter(\.carriedHiddenState).count
            processors = replaced
            pipeline = new
            controls.thresholds = []  // the file's thresholds are in force again
            do { try prepareBatch() } catch { batch = nil }  // without a batch, each stream steps alone
            status.problem = nil
            if let problem = stateKeeper?.pipelineChanged(to: new) { reportStateProblem(problem) }
            logger.notice(
                "reloaded \(new.config.name): \(new.model.summary); hidden state kept for \(kept) of \(replaced.count) stream(s)"
            )
            notifier.ready(
                status: status.line(pipeline: new.config.name, clients: bus.clientCount, lastEvent: lastEvent))
        }
    }

    private func refuseReload(_ message: String) {
        logger.error("reload failed, still running the previous pipeline: \(message)")
        bus.publish(.error(stream: pipeline.config.name, t: streamTime, message: "reload failed: \(message)"))
        status.problem = "reload failed: \(message)"
        notifier.ready(
            status: status.line(pipeline: pipeline.config.name, clients: bus.clientCount, lastEvent: lastEvent))
    }
}
