/// Counters of one stream, or summed over streams, for `STATS` events and logs.
public struct SourceCounters: Sendable, Equatable {
    /// Frames dropped because the processing side fell behind (live sources).
    public var droppedFrames = 0
    /// ALSA overruns/suspends recovered.
    public var xruns = 0
    /// Sensor frames rejected by a decoder.
    public var badFrames = 0
    /// Input bytes received or captured.
    public var bytesReceived = 0
    /// Devices reopened after they vanished.
    public var reconnects = 0

    public init() {}

    public static func + (a: SourceCounters, b: SourceCounters) -> SourceCounters {
        var sum = a
        sum.droppedFrames += b.droppedFrames
        sum.xruns += b.xruns
        sum.badFrames += b.badFrames
        sum.bytesReceived += b.bytesReceived
        sum.reconnects += b.reconnects
        return sum
    }
}

extension SourceStream {
    /// A snapshot of every counter (no allocation).
    public var counters: SourceCounters {
        var counters = SourceCounters()
        counters.droppedFrames = droppedFrames
        counters.xruns = xruns
        counters.badFrames = badFrames
        counters.bytesReceived = bytesReceived
        counters.reconnects = reconnects
        return counters
    }
}
