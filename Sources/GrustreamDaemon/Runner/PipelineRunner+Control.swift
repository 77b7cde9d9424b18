import GrustreamPipeline

/// What the runtime commands (`ControlRequest`) have set for the whole pipeline: it applies to streams opened later.
struct RuntimeControlState {
    /// A pipeline-wide `PAUSE` is in force (new streams start paused).
    var pausedAll = false
    /// Pipeline-wide `THRESHOLD` commands in order, applied to every new stream; a reload (the file wins) clears them.
    var thresholds: [(label: String?, value: Double)] = []
    /// Seconds paused by streams that have closed.
    var pausedSecondsOfClosedStreams = 0.0
}

extension PipelineRunner {
    /// On the processing thread, once per pass: carry out the commands socket clients sent, in order, each answered
    /// by a `CONTROL` event (to every sink; the sender receives it whatever its filter) or, when it cannot be
    /// carried out, an `ERROR` to the sender only.
    func applyControls() {
        for case let socket as UnixSocketPublisher in bus.publishers {
            for (client, request) in socket.takeControls() {
                let event: Event
                do {
                    event = try apply(request)
                } catch {
                    let message = "\(request.command.rawValue) refused: \(error)"
                    logger.warning("\(message)")
                    var line: [UInt8] = []
                    EventEncoder.encode(
                        .error(stream: pipeline.config.name, t: streamTime, message: message), into: &line)
                    line.withUnsafeBytes { socket.publish($0, kind: .error, client: client, exclusive: true) }
                    continue
                }
                logger.info("\(request.command.rawValue)\(request.stream.map { " \($0)" } ?? ""): done")
                var line: [UInt8] = []
                EventEncoder.encode(event, into: &line)
                line.withUnsafeBytes { bytes in
                    for publisher in bus.publishers {
                        if publisher === socket {
                            socket.publish(bytes, kind: .control, client: client, exclusive: false)
                        } else {
                            publisher.publish(bytes, kind: .control)
                        }
                    }
                }
            }
        }
    }

    /// Carry out one command; the acknowledgement, or an error naming what did not fit (nothing changed then).
    private func apply(_ request: ControlRequest) throws(PipelineConfigError) -> Event {
        let targets: [StreamProcessor]
        if let name = request.stream {
            targets = processors.values.filter { $0.name == name }
            guard !targets.isEmpty else {
                let open = processors.values.map(\.name).sorted()
                throw PipelineConfigError(
                    "no open stream \"\(name)\"; open: \(open.isEmpty ? "none" : open.joined(separator: ", "))")
            }
        } else {
            targets = Array(processors.values)
        }
        let streamName = request.stream ?? pipeline.config.name
        var pausedSeconds = 0.0
        switch request.command {
        case .pause, .resume:
            let pause = request.command == .pause
            if request.stream == nil { controls.pausedAll = pause }
            for target in targets { pausedSeconds = max(pausedSeconds, target.setPaused(pause)) }
        case .reset:
            for target in targets { target.resetForCommand() }
        case .threshold:
            let value = request.value ?? .nan
            // Checked on a fresh detector of the pipeline first, so a refusal changes no stream.
            if pipeline.companions.isEmpty {
                if let probe = try? pipeline.makeDetector() { try probe.setThreshold(value, label: request.label) }
                for target in targets { try target.detector.setThreshold(value, label: request.label) }
            } else {
                for target in targets { try target.setThreshold(value, label: request.label) }
            }
            if request.stream == nil { controls.thresholds.append((request.label, value)) }
        }
        let paused = request.stream == nil ? controls.pausedAll : targets.allSatisfy(\.paused)
        if request.command != .resume && request.command != .pause {
            pausedSeconds = targets.map { $0.seconds(frames: $0.pausedFrames) }.max() ?? 0
        }
        return .control(
            stream: streamName, t: streamTime, command: request.command.rawValue, streams: targets.count,
            paused: paused, pausedSeconds: pausedSeconds, label: request.label,
            threshold: request.command == .threshold ? request.value : nil)
    }

    /// A stream just opened: the pipeline-wide pause and thresholds in force.
    func applyControlState(to processor: StreamProcessor) {
        if controls.pausedAll { processor.setPaused(true) }
        for (label, value) in controls.thresholds { try? processor.setThreshold(value, label: label) }
    }

    /// Paused stream time of every stream so far (for `STATS`).
    var pausedSeconds: Double {
        controls.pausedSecondsOfClosedStreams + processors.values.reduce(0) { $0 + $1.seconds(frames: $1.pausedFrames) }
    }
}
