/// The one-line `STATUS=` that `systemctl status` shows: frames per second, clients, the last event and any
/// problem (a failed reload, an unusable state file), sent every `interval` while under systemd.
final class StatusReporter {
    let interval: Duration
    /// A problem to show until it is resolved (a failed reload until the next good one).
    var problem: String?
    private var lastReport = ContinuousClock.now
    private var framesAtLastReport = 0
    private var framesPerSecond = 0.0
    private var lastEvent: (label: String, t: Double)?
    private var lastEventSeen: ContinuousClock.Instant?

    init(interval: Duration = .seconds(5)) { self.interval = interval }

    /// Whether a report is due at `now`; updates the rate.
    func due(now: ContinuousClock.Instant, frames: Int) -> Bool {
        let elapsed = now - lastReport
        guard elapsed >= interval else { return false }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        framesPerSecond = Double(frames - framesAtLastReport) / seconds
        framesAtLastReport = frames
        lastReport = now
        return true
    }

    /// `kws: 100 frames/s, 2 clients, last event yes 3 s ago` (+ `; reload failed: …`).
    func line(
        pipeline: String, clients: Int, lastEvent event: (label: String, t: Double)?,
        now: ContinuousClock.Instant = .now
    ) -> String {
        if let event, event.t != lastEvent?.t || event.label != lastEvent?.label {
            lastEvent = event
            lastEventSeen = now
        }
        var text =
            "\(pipeline): \(Int(framesPerSecond.rounded())) frames/s, \(clients) client\(clients == 1 ? "" : "s")"
        if let lastEvent, let seen = lastEventSeen {
            let name = lastEvent.label.isEmpty ? "anomaly" : lastEvent.label
            text += ", last event \(name) \((now - seen).components.seconds) s ago"
        } else {
            text += ", no event yet"
        }
        if let problem { text += "; " + problem }
        return text
    }
}
