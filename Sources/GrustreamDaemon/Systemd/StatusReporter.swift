import GrustreamIO

/// The one-line `STATUS=` that `systemctl status` shows: frames per second, clients, the last event and any
/// problem (a failed reload, an unusable state file), sent every `interval` while under systemd.
/// Times are `MonotonicClock` nanoseconds (`due` is asked on every wake-up of the processing loop).
final class StatusReporter {
    let interval: UInt64
    /// A problem to show until it is resolved (a failed reload until the next good one).
    var problem: String?
    private var lastReport = MonotonicClock.nanoseconds()
    private var framesAtLastReport = 0
    private var framesPerSecond = 0.0
    private var lastEvent: (label: String, t: Double)?
    private var lastEventSeen: UInt64?

    init(interval: Duration = .seconds(5)) { self.interval = interval.nanoseconds }

    /// Whether a report is due at `now`; updates the rate.
    func due(now: UInt64, frames: Int) -> Bool {
        guard now >= lastReport, now - lastReport >= interval else { return false }
        let seconds = Double(now - lastReport) * 1e-9
        framesPerSecond = Double(frames - framesAtLastReport) / seconds
        framesAtLastReport = frames
        lastReport = now
        return true
    }

    /// `kws: 100 frames/s, 2 clients, last event yes 3 s ago` (+ `; reload failed: …`).
    func line(
        pipeline: String, clients: Int, lastEvent event: (label: String, t: Double)?,
        now: UInt64 = MonotonicClock.nanoseconds()
    ) -> String {
        if let event, event.t != lastEvent?.t || event.label != lastEvent?.label {
            lastEvent = event
            lastEventSeen = now
        }
        var text =
            "\(pipeline): \(Int(framesPerSecond.rounded())) frames/s, \(clients) client\(clients == 1 ? "" : "s")"
        if let lastEvent, let seen = lastEventSeen {
            let name = lastEvent.label.isEmpty ? "anomaly" : lastEvent.label
            text += ", last event \(name) \(now >= seen ? (now - seen) / 1_000_000_000 : 0) s ago"
        } else {
            text += ", no event yet"
        }
        if let problem { text += "; " + problem }
        return text
    }
}
