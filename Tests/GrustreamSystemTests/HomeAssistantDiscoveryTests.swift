import Foundation
import GrustreamDaemon
import GrustreamPipeline
import GrustreamTestSupport
import Testing

/// Home Assistant's MQTT discovery configs of the MQTT bridge (scripts/test-mqtt sends them through Mosquitto).
@Suite("Home Assistant discovery")
struct HomeAssistantDiscoveryTests {
    func object(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func detectionsAreAnEventEntityWithOneTypePerLabel() throws {
        let kws = try PipelineValidation.validate(
            PipelineLocator.load(Fixtures.repositoryRoot.appendingPathComponent("pipelines/kws.toml").path))
        let discovery = HomeAssistantDiscovery(
            pipeline: "kws", host: "pi.lan", kind: .detection, labels: kws.triggeringLabels, model: "kws-demo")
        #expect(discovery.configTopic == "homeassistant/event/grustream_pi_lan_kws_detection/config")
        let config = try object(discovery.config())
        #expect(config["event_types"] as? [String] == ["yes", "no", "up", "down", "left", "right", "stop", "go"])
        #expect(config["state_topic"] as? String == "grustream/pi.lan/kws/DETECTION")
        #expect(config["availability_topic"] as? String == "grustream/pi.lan/kws/status")
        #expect(config["unique_id"] as? String == "grustream_pi_lan_kws_detection")
        #expect((config["value_template"] as? String)?.contains("value_json.label | tojson") == true)
        let device = try #require(config["device"] as? [String: Any])
        #expect(device["identifiers"] as? [String] == ["grustream_pi_lan_kws"])
    }

    @Test func anomaliesAreAProblemSensorOnWhileASpanIsOpen() throws {
        let discovery = HomeAssistantDiscovery(
            pipeline: "pump", host: "h", kind: .anomaly, labels: [], model: "m")
        #expect(discovery.configTopic == "homeassistant/binary_sensor/grustream_h_pump_anomaly/config")
        let config = try object(discovery.config())
        #expect(config["device_class"] as? String == "problem")
        #expect(config["json_attributes_topic"] as? String == "grustream/h/pump/ANOMALY")
        #expect(
            (config["value_template"] as? String) == "{{ 'ON' if value_json.phase in ['open', 'ongoing'] else 'OFF' }}")
        #expect(throws: PipelineConfigError.self) {
            try HomeAssistantDiscovery(pipeline: "p", host: "h", kind: .stats, labels: [], model: "m").config()
        }
    }

    @Test func theCommandPrintsTopicAndConfigOnOneLine() throws {
        let result = try CommandLineTool.run(["ha-discovery", "hey-mycroft", "--host", "kitchen"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.stdoutText.trimmingCharacters(in: .newlines)
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        #expect(parts.first == "homeassistant/event/grustream_kitchen_hey-mycroft_detection/config")
        #expect(try object(parts.last ?? "")["event_types"] as? [String] == ["hey-mycroft"])
        let wrong = try CommandLineTool.run(["ha-discovery", "hey-mycroft", "--class", "ANOMALY"])
        #expect(wrong.status == 2 && wrong.stderr.contains("has no ANOMALY events"), "\(wrong.stderr)")
    }
}
