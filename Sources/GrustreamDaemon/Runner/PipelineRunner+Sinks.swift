import Foundation
import GrustreamPipeline
import Logging

/// What the runner has said about its sinks: readers gone, refused socket requests.
struct SinkReports {
    var goneSinks = 0
    var badRequests = 0
    var lastBadRequestLog: UInt64 = 0
    /// Nanoseconds between two log lines about refused socket requests (each request is answered anyway).
    static let badRequestLogInterval: UInt64 = 10_000_000_000
}

extension PipelineRunner {
    /// A few times a second, on the processing thread.
    /// - A sink whose reader went away (stdout closed: `| head`): with other sinks left, log it once and go on;
    ///   when it was the last one, stop as if the input had ended (what was read is processed, state is saved,
    ///   exit status 0), as a Unix filter whose reader has gone does.
    /// - Socket clients' refused request lines: logged with a count, at most once per `badRequestLogInterval`.
    func watchSinks(now: UInt64) {
        let (gone, all) = bus.goneCount()
        if gone > sinkReports.goneSinks {
            sinkReports.goneSinks = gone
            if gone == all {
                logger.notice("standard output closed and no other sink is left: stopping")
                requestStop()
            } else {
                logger.warning("standard output closed; events go on to the other sink(s)")
            }
        }
        guard now - sinkReports.lastBadRequestLog >= SinkReports.badRequestLogInterval else { return }
        var badRequests = 0
        var last: String?
        for case let socket as UnixSocketPublisher in bus.publishers {
            badRequests += socket.badRequests
            last = socket.lastBadRequest ?? last
        }
        guard badRequests > sinkReports.badRequests else { return }
        let count = badRequests - sinkReports.badRequests
        logger.warning(
            "\(count) socket client request line(s) refused (each got an ERROR line), the last: \(last ?? "")")
        sinkReports.badRequests = badRequests
        sinkReports.lastBadRequestLog = now
    }
}

extension PipelineRunner {
    /// One `ClipRecorder` per `[[sink]] kind = "clips"` for a new stream (`path` relative to the pipeline file).
    func makeClipRecorders(stream: String) -> [ClipRecorder] {
        // the scores near misses watch: a classifier's posterior of each label that can trigger; a Precise
        // detector's decoded (or raw, with `score = "raw"`) score; none for an anomaly detector
        let triggering = pipeline.triggeringLabels
        var nearMissLabels: [(label: String, score: Int)] = []
        switch pipeline.detector.kind {
        case .classify:
            nearMissLabels = pipeline.labels.enumerated().filter { triggering.contains($0.1) }.map { ($0.1, $0.0) }
        case .precise:
            nearMissLabels = triggering.prefix(1).map { ($0, pipeline.detector.precise.score == .raw ? 0 : 1) }
        case .anomaly: break
        }
        return pipeline.config.sinks.filter { $0.kind == .clips }.map { sink in
            var options = ClipRecorder.Options(
                folder: pipeline.config.resolve(sink.path).path, preRollSeconds: Double(sink.preRollMs) / 1000,
                postRollSeconds: Double(sink.postRollMs) / 1000, maxClips: sink.maxClips, maxBytes: sink.maxBytes,
                model: URL(fileURLWithPath: pipeline.config.model.path).lastPathComponent)
            options.nearMiss = sink.nearMiss
            options.nearMissLabels = nearMissLabels
            return ClipRecorder(
                options: options, stream: stream, sampleRate: Double(pipeline.features.sampleRate),
                channels: max(1, pipeline.features.channels), logger: logger)
        }
    }
}
