import ArgumentParser
import GrustreamRuntime

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
            --scores or --class SCORES.

            Examples:
              grustream subscribe /run/grustream/kws.sock --class DETECTION | jq -r .label
              grustream subscribe --scores
            """
    )

    @Argument(help: "The pipeline's unix socket (a [[sink]] with kind = \"unix\").")
    var socket: String = EventSubscriber.defaultSocketPath

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
            path: socket, watch: EventSubscriber.watch(classes: kinds.isEmpty ? nil : kinds, scores: scores))
        do {
            try subscriber.run()
        } catch {
            var message = "grustream subscribe: \(error.description)\n"
            message.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
            throw ExitCode(error.isBadInput ? 2 : 1)
        }
    }
}
