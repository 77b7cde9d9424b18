import ArgumentParser
import Dispatch
import Foundation
import GrustreamDaemon
import GrustreamIO
import GrustreamPipeline
import GrustreamTraining

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline: source → features → GRU → detector → events (JSON Lines).",
        discussion: """
            PIPELINE is a .toml path or a name looked up in ./pipelines/, then /etc/grustream/pipelines/. Without it, \
            the embedded default pipeline "demo" runs: a bundled recording through a bundled model, no sound card needed.
            Options override the file. Runs until the input ends or SIGINT/SIGTERM, then drains: every sample already \
            read is processed and its events published before exit 0. SIGHUP re-reads the pipeline file and its \
            model and swaps them in between frames (a file that does not load is reported and the running pipeline \
            kept). Under systemd: READY=1, STATUS=, WATCHDOG=1, RELOADING=1 and STOPPING=1 on $NOTIFY_SOCKET; the \
            socket passed in LISTEN_FDS whose name matches the unix sink is adopted (see systemd/ and README).
            A unix sink without a path listens on $XDG_RUNTIME_DIR/grustream/PIPELINE.sock ($RUNTIME_DIRECTORY under \
            systemd; /run/grustream for root without XDG_RUNTIME_DIR; /tmp/grustream-UID otherwise), where \
            `grustream subscribe PIPELINE` finds it.

            Examples:
              grustream run
              arecord -q -f S16_LE -r 16000 -c 1 -t raw | grustream run kws --source - --format s16le
              grustream run pipelines/kws.toml --source alsa:plughw:1,0 --socket /run/grustream/kws.sock
              grustream run vibration-anomaly --no-stdout
              grustream run kws --socket none
            """)

    @Argument(help: "Pipeline file or name (default: the embedded demo).")
    var pipeline: String?

    @Option(help: "Input: - (stdin), alsa:DEVICE, unix:PATH, or a file.")
    var source: String?

    @Option(help: "Input format: s16le | s32le | f32le | wav | csv | jsonl.")
    var format: String?

    @Option(help: "Input rate (Hz).")
    var rate: Int?

    @Option(help: "Input channels.")
    var channels: Int?

    @Option(
        help: ArgumentHelp(
            "Publish events on this Unix socket (replaces the pipeline's unix sinks); none: no socket.",
            valueName: "PATH|none"))
    var socket: String?

    @Flag(help: "Do not print events on stdout.")
    var noStdout = false

    @Option(help: "ALSA: stop after this many seconds of audio (like arecord -d).")
    var duration: Double?

    @Flag(help: "Pace file input at its sample rate, as if it were live.")
    var realtime = false

    @Flag(help: "Publish SCORES (per-frame posteriors / anomaly score) too.")
    var scores = false

    @Option(help: "Log level on stderr: trace | debug | info | notice | warning | error | critical.")
    var logLevel: String?

    @Flag(help: "Print every option in force (pipeline, model, overrides) and exit.")
    var printOptions = false

    func run() throws {
        try runReportingErrors("run") {
            var config = try PipelineLocator.load(pipeline ?? "demo")
            var job = PipelineLaunch()
            job.source = source
            if let format {
                guard let parsed = SourceOptions.Format(rawValue: format) else {
                    throw ValidationError(
                        "--format \(format): expected one of \(SourceOptions.Format.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                job.format = parsed
            }
            job.rate = rate
            job.channels = channels
            job.socket = socket
            job.noStdout = noStdout
            job.realtime = realtime
            job.duration = duration
            job.scores = scores
            job.logLevel = logLevel
            try job.apply(to: &config)
            let logger = try StderrLogHandler.logger(level: config.runtime.logLevel)
            let resolved = try PipelineValidation.validate(config)
            if printOptions {
                print(resolved.describe())
                return
            }
            logger.debug("options:\n\(resolved.describe())")
            let activation = SocketActivation(unsetEnvironment: true)
            let source = try SourceFactory.make(resolved)
            let publishers = try PipelineLaunch.makePublishers(resolved, activation: activation, logger: logger)
            let runner = PipelineRunner(
                pipeline: resolved, source: source, publishers: publishers, notifier: SystemdNotifier(), logger: logger)
            let reloadJob = job
            let name = pipeline ?? "demo"
            let running = resolved.config
            let signals = SignalHandlers(
                stop: { [runner] in runner.requestStop() },
                reload: { [runner] in runner.reload { try reloadJob.reloadPipeline(name, running: running) } })
            defer { signals.cancel() }
            try runner.run()
        }
    }
}

/// SIGINT/SIGTERM → drain and exit (a second SIGINT exits at once). SIGHUP → reload (one at a time, on its own
/// queue). SIGPIPE ignored.
final class SignalHandlers: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var interrupts = 0

    init(stop: @escaping @Sendable () -> Void, reload: @escaping @Sendable () -> Void) {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "grustream.reload"))
        hangup.setEventHandler(handler: reload)
        hangup.resume()
        sources.append(hangup)
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                if number == SIGINT {
                    interrupts += 1
                    if interrupts > 1 { exit(130) }
                }
                stop()
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() { for source in sources { source.cancel() } }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a pipeline with its model and source settings; exit 0, or 2 with the problem.")

    @Argument(help: "Pipeline file or name (default: the embedded demo).")
    var pipeline: String?

    @Flag(help: "Print every option in force.")
    var verbose = false

    func run() throws {
        try runReportingErrors("check") {
            let config = try PipelineLocator.load(pipeline ?? "demo")
            let resolved = try PipelineValidation.validate(config)
            _ = try SourceFactory.make(resolved)
            try StateFile.checkWritable(stateFile: resolved.config.runtime.stateFile)
            if verbose { print(resolved.describe()) }
            print("\(config.file?.path ?? config.name): ok (\(resolved.checkSummary))")
        }
    }
}
