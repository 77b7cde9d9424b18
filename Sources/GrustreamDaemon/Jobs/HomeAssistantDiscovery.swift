import GrustreamNeural
import GrustreamPipeline

/// Home Assistant's MQTT discovery for what the MQTT bridge (`grustream-mqtt@.service`) publishes: one retained
/// config message makes a pipeline's events an entity with no hand configuration.
///
/// - `DETECTION` → an `event` entity: one event type per label that can trigger, fired by every message on
///   `grustream/HOST/PIPELINE/DETECTION` (its `label` is the event type; `score`, `start`, `end` are attributes).
/// - `ANOMALY` → a `binary_sensor` of class `problem`: on while a span is open (`phase` `open`, `ongoing`), off at
///   `close`; the message's fields (`score`, `likelihood`, …) are its attributes.
/// Both carry the availability topic `grustream/HOST/PIPELINE/status` (`online` / `offline`, retained: the bridge
/// sets it and its broker connection's will clears it) and a device per pipeline and host.
public struct HomeAssistantDiscovery: Sendable {
    public var pipeline: String
    public var host: String
    public var kind: Event.Kind
    /// Labels that can trigger (DETECTION).
    public var labels: [String]
    /// Model summary for the device's `model`.
    public var model: String
    /// Discovery prefix (Home Assistant's default `homeassistant`).
    public var prefix = "homeassistant"

    public init(pipeline: String, host: String, kind: Event.Kind, labels: [String], model: String) {
        self.pipeline = pipeline
        self.host = host
        self.kind = kind
        self.labels = labels
        self.model = model
    }

    /// The bridge's topics: `grustream/HOST/PIPELINE/CLASS` and `…/status`.
    public var stateTopic: String { "grustream/\(host)/\(pipeline)/\(kind.rawValue)" }
    public var availabilityTopic: String { "grustream/\(host)/\(pipeline)/status" }

    /// Home Assistant's ids allow `[a-zA-Z0-9_-]`: anything else becomes `_`.
    static func identifier(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") ? $0 : "_" })
    }

    var objectID: String { Self.identifier("grustream_\(host)_\(pipeline)_\(kind.rawValue.lowercased())") }

    /// Where the config goes: `PREFIX/event|binary_sensor/OBJECT_ID/config`.
    public var configTopic: String {
        "\(prefix)/\(kind == .anomaly ? "binary_sensor" : "event")/\(objectID)/config"
    }

    /// The config message (JSON), or an error for a class the bridge does not forward.
    public func config() throws(PipelineConfigError) -> String {
        var fields: [(String, JSONValue)] = [
            ("name", .string(kind == .anomaly ? "Anomaly" : "Detection")),
            ("unique_id", .string(objectID)),
            ("object_id", .string(objectID)),
            ("state_topic", .string(stateTopic)),
            ("availability_topic", .string(availabilityTopic)),
            ("payload_available", .string("online")),
            ("payload_not_available", .string("offline")),
        ]
        switch kind {
        case .detection:
            fields.append(("event_types", .array(labels.map { .string($0) })))
            fields.append(
                (
                    "value_template",
                    .string(
                        #"{"event_type":{{ value_json.label | tojson }},"score":{{ value_json.score }},"start":{{ value_json.start }},"end":{{ value_json.end }}}"#
                    )
                ))
        case .anomaly:
            fields.append(("device_class", .string("problem")))
            fields.append(
                ("value_template", .string("{{ 'ON' if value_json.phase in ['open', 'ongoing'] else 'OFF' }}")))
            fields.append(("json_attributes_topic", .string(stateTopic)))
        default:
            throw PipelineConfigError(
                "ha-discovery: \(kind.rawValue) is not forwarded as an entity; expected DETECTION or ANOMALY")
        }
        fields.append(
            (
                "device",
                .object([
                    ("identifiers", .array([.string(Self.identifier("grustream_\(host)_\(pipeline)"))])),
                    ("name", .string("grustream \(pipeline) on \(host)")),
                    ("manufacturer", .string("grustream")),
                    ("model", .string(model)),
                    ("sw_version", .string(Event.release)),
                ])
            ))
        var buffer: [UInt8] = []
        JSONValue.object(fields).append(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
