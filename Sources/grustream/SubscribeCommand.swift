import ArgumentParser
import GrustreamDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// `grustream subscribe [SOCKET] [--class DETECTION,ANOMALY] [--scores]`
struct SubscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Connect to a running pipeline's event socket and print its events as JSON Lines.",
        discussion: """
            Each line is one JSON object with "class", "stream", "time" (RFC 3339, UTC) and "t" (seconds of \
            stream time). The first line is always VERSION. Lines are printed as they arrive, so the output \
            can be piped into jq. Exits 0 when the server closes the connection, 1 when it cannot connect, 2 when \
            the server sends a line longer than 1 MiB (not an event socket).

            Without --class, every class except SCORES is received; SCORES (one line per frame) only with \
            --scores or --class SCORES: the pipeline then computes them for as long as a client watches them.

            Without an argument: the demo pipeline. A name NAME connects to $XDG_RUNTIME_DIR/grustream/NAME.sock (where \
            `grustream run NAME` listens; /run/grustream for root without XDG_RUNTIME_DIR, /tmp/grustream-UID for \
            others), or, when that does not exist, to the system service's /run/grustream/NAME.sock.

            Examples:
              grustream subscribe kws --class DETECTION | jq -r .label
              grustream subscribe /run/grustream/kws.sock --scores
            """
    )

    @Argument(
        help: ArgumentHelp(
            "A pipeline name (its socket where `grustream run` puts it) or a socket path (holds a / or ends in .sock).",
            valueName: "PIPELINE|SOCKET"))
    var socket: String?

    @Option(
        name: .customLong("class"),
        help: ArgumentHelp(
            "Only these event classes, comma-separated or repeated: VERSION, DETECTION, ANOMALY, SCORES, STATS, ERROR.",
            valueName: "CLASSES"))
    var classes: [String] = []

    @Flag(help: "Also receive SCORES, the per-frame scores (many lines per second).")
    var scores = false

    func validate() throws {
        do {
            _ = try EventSubscriber.parseClasses(classes)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let kinds = try EventSubscriber.parseClasses(classes)
        let subscriber = EventSubscriber(
            path: EventSubscriber.socketPath(for: socket),
            watch: EventSubscriber.watch(classes: kinds.isEmpty ? nil : kinds, scores: scores))
        do {
            try subscriber.run()
        } catch {
            var message = "grustream subscribe: \(error.description)\n"
            message.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
            throw ExitCode(error.isBadInput ? 2 : 1)
        }
    }
}
