import Foundation
import GrustreamDSP
import GrustreamIO
import GrustreamNeural

/// The network's outputs → activation → detector → events, scores and clips, frame by frame.
extension StreamProcessor {
    /// The pending frames' outputs (all computed) through activation → detector → events; none are pending after.
    /// A non-finite output resets the hidden state and runs the frames after it again from the zero state; the
    /// frame itself reaches no detector.
    func publishPending() {
        let n = input
        let o = output
        for k in 0..<pending {
            let output = outputs.baseAddress! + k * o
            if gate == nil || gateOpen[k] {
                pipeline.outputActivation.apply(output, o)
                ensembleRunners?.average(into: output, row: k)
            }
            let first = firstSample(ofFrame: frames)
            let start = Double(max(0, first)) / sampleRate
            let end = Double(max(0, first + frameLength)) / sampleRate
            if !NumericHealth.allFinite(output, o) {
                resetState(at: end)
                runGRU(from: k + 1)
                frames += 1
                continue
            }
            let frame = DetectorFrame(
                index: frames, start: start, end: end,
                input: UnsafeBufferPointer(start: inputs.baseAddress! + k * n, count: n),
                output: UnsafeBufferPointer(start: output, count: o))
            let ts = timestamp(ofFrame: frames)
            if frames == rangeRestartFrame {
                detector.restartRange(low: rangeRestart.low, high: rangeRestart.high)
                rangeRestartFrame = -1
            }
            detector.process(frame) { event in if !paused { publish(event, at: end, ts: ts) } }
            frameObserver?(frame)
            for recorder in clipRecorders where recorder.watchesScores && !paused && !isLane {
                detector.withScores { recorder.observe($0, start: start, end: end) }
            }
            if paused {
                pausedFrames += 1
            } else if scoresEnabled || bus.scoresWatched {
                let onlyWatchers = !scoresEnabled
                detector.withScores { scores in
                    bus.publishScores(
                        stream: name, t: end, frame: frames, labels: detector.labels, fields: scoreFields,
                        scores: scores, ts: ts, model: pipeline.modelName,
                        attention: attentionRows.map {
                            UnsafeBufferPointer(start: $0.baseAddress! + k * attentionWidth, count: attentionWidth)
                        }, onlyWatchers: onlyWatchers)
                }
            }
            frames += 1
        }
        pending = 0
        if !runner.hasFiniteState || !(ensembleRunners?.hasFiniteState ?? true) {
            resetState(at: Double(max(0, firstSample(ofFrame: frames))) / sampleRate)
        }
    }

    /// `ts`: the input timestamp of the frame that made the event, printed last as `"ts"` when known.
    func publish(_ event: DetectorEvent, at t: Double, ts: Double?) {
        events += 1
        eventObserver?(event)
        var published: Event
        switch event.kind {
        case .detection:
            lastEvent = (detector.labels[event.label], t)
            for recorder in clipRecorders {
                recorder.detected(
                    label: detector.labels[event.label], score: Double(event.score), start: event.start,
                    end: event.end, t: t, model: pipeline.modelName.map { _ in pipeline.modelURL.lastPathComponent })
            }
            published = .detection(
                stream: name, t: t, label: detector.labels[event.label], score: Double(event.score),
                start: event.start, end: event.end)
        case .anomaly:
            lastEvent = ("", t)
            published = .anomaly(
                stream: name, t: t, phase: event.phase.rawValue, score: Double(event.score),
                likelihood: Double(event.likelihood), threshold: Double(event.threshold), start: event.start,
                end: event.end)
        }
        if let model = pipeline.modelName { published.fields.append(Event.Field("model", .string(model))) }
        if let frameSequence, let seq = frameSequence(max(0, Int((t * sampleRate).rounded()) - 1)) {
            published.fields.append(Event.Field("seq", .integer(Int(clamping: seq))))
        }
        if let ts { published.fields.append(Event.Field("ts", .double(ts))) }
        bus.publish(published)
    }
}
