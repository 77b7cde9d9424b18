import ArgumentParser
import Dispatch
import Foundation
import GrustreamDaemon
import GrustreamPipeline
import GrustreamTraining

/// `grustream wyoming --pipeline P [--pipeline Q ...] --uri tcp://0.0.0.0:10400`
struct WyomingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wyoming",
        abstract: "Serve wake-word detection over the Wyoming protocol (Home Assistant's voice pipeline).",
        discussion: """
            Each --pipeline (a classify or precise pipeline: name or .toml) is a wake word (a classifier of several \
            words: one per label, PIPELINE:LABEL). Clients send describe (answered by info), detect (optionally \
            naming wake words), audio-start, audio-chunk and audio-stop; the server answers detection (name, \
            timestamp) as soon as a word is heard and not-detected at audio-stop. Each client is its own stream with \
            its own state; many at once. Audio: 16-bit mono at the pipelines' rate (Home Assistant's 16 kHz); other \
            formats get an error event. Under systemd, a listening socket passed in LISTEN_FDS is adopted \
            (systemd/grustream-wyoming.socket). Runs until SIGINT/SIGTERM.

            Examples:
              grustream wyoming --pipeline hey-mycroft --uri tcp://0.0.0.0:10400
              grustream wyoming --pipeline hey-mycroft --pipeline kws --uri unix:///run/grustream/wyoming.sock
            """)

    @Option(help: "A wake-word pipeline (name or .toml); repeat for several.")
    var pipeline: [String] = []

    @Option(help: "Where to listen: tcp://HOST:PORT or unix://PATH (default tcp://0.0.0.0:10400).")
    var uri: String = "tcp://0.0.0.0:10400"

    @Option(help: "Clients served at once; one more gets an error.")
    var maxClients: Int = 32

    @Option(help: "Language listed for the wake words in info (repeat for several).")
    var language: [String] = []

    @Option(help: "Log level on stderr: trace | debug | info | notice | warning | error | critical.")
    var logLevel: String = "info"

    func run() throws {
        try runReportingErrors("wyoming") {
            guard (1...1024).contains(maxClients) else {
                throw ValidationError("--max-clients \(maxClients): expected 1 to 1024")
            }
            let logger = try StderrLogHandler.logger(level: logLevel)
            let pipelines = try (pipeline.isEmpty ? ["hey-mycroft"] : pipeline).map {
                try PipelineValidation.validate(PipelineLocator.load($0))
            }
            let models = try WyomingModels(pipelines, languages: language.isEmpty ? ["en"] : language)
            var options = WyomingServer.Options()
            options.maximumClients = maxClients
            let activation = SocketActivation(unsetEnvironment: true)
            let server: WyomingServer
            if let fd = activation.sockets.first?.fd {
                server = try WyomingServer(models: models, listeningFD: fd, options: options, logger: logger)
                logger.info("wyoming: serving on the socket passed by systemd (fd \(fd))")
            } else {
                let address = try WyomingServer.Address(parsing: uri)
                server = try WyomingServer(models: models, address: address, options: options, logger: logger)
                logger.info("wyoming: serving on \(address)\(server.boundPort.map { " (port \($0))" } ?? "")")
            }
            logger.info("wyoming: wake words \(models.words.map(\.name).joined(separator: ", "))")
            SystemdNotifier().ready(status: "wyoming: \(models.words.count) wake word(s)")
            let signals = SignalHandlers(stop: { [server] in server.stop() }, reload: {})
            defer { signals.cancel() }
            server.run()
        }
    }
}
