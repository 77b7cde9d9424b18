import ArgumentParser
import Foundation
import GrustreamDaemon
import GrustreamPipeline

/// `grustream ha-discovery PIPELINE [--class DETECTION|ANOMALY] [--host NAME] [--prefix homeassistant]`
struct HADiscoveryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ha-discovery",
        abstract: "Print Home Assistant's MQTT discovery config for a pipeline's events: one line, TOPIC CONFIG.",
        discussion: """
            The MQTT bridge (systemd/grustream-mqtt@.service) publishes it retained before it forwards events, so \
            DETECTION events appear in Home Assistant as an event entity (one event type per label) and ANOMALY \
            events as a problem binary sensor, with the availability topic grustream/HOST/PIPELINE/status.

            Example:
              grustream ha-discovery kws --host kitchen | { read -r topic config; mosquitto_pub -r -t "$topic" -m "$config"; }
            """)

    @Argument(help: "Pipeline file or name.")
    var pipeline: String

    @Option(name: .customLong("class"), help: "DETECTION or ANOMALY.")
    var eventClass = "DETECTION"

    @Option(help: "The host name in the topics (the bridge uses systemd's %H).")
    var host = ProcessInfo.processInfo.hostName

    @Option(help: "Home Assistant's discovery prefix.")
    var prefix = "homeassistant"

    func run() throws {
        try runReportingErrors("ha-discovery") {
            guard let kind = Event.Kind(rawValue: eventClass.uppercased()), kind == .detection || kind == .anomaly
            else {
                throw ValidationError("--class \(eventClass): expected DETECTION or ANOMALY")
            }
            guard !host.isEmpty, !host.contains(where: { $0 == "/" || $0 == "#" || $0 == "+" || $0.isWhitespace })
            else {
                throw ValidationError("--host \(host): expected a name without /, #, + or spaces (an MQTT topic level)")
            }
            let resolved = try PipelineValidation.validate(PipelineLocator.load(pipeline))
            var discovery = HomeAssistantDiscovery(
                pipeline: resolved.config.name, host: host, kind: kind, labels: resolved.triggeringLabels,
                model: (resolved.config.model.path as NSString).lastPathComponent)
            discovery.prefix = prefix
            if kind == .detection && discovery.labels.isEmpty {
                throw ValidationError("\(pipeline): an anomaly pipeline has no DETECTION events; use --class ANOMALY")
            }
            if kind == .anomaly && resolved.detector.kind != .anomaly {
                throw ValidationError(
                    "\(pipeline): a \(resolved.detector.kind.rawValue) pipeline has no ANOMALY events; use --class DETECTION"
                )
            }
            print(discovery.configTopic + " " + (try discovery.config()))
        }
    }
}
