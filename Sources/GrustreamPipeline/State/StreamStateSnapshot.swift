import GrustreamNeural

/// One stream's state as kept across restarts and reloads: the GRU's and the detector's.
public struct StreamStateSnapshot: Sendable, Equatable {
    /// The stream name (`"stream"` in events); a restored run matches streams by it.
    public var stream: String
    /// Hidden state [layers × directions, hidden] and, in window mode, the window of inputs.
    public var gru: GRUState
    /// The detector's labels when the state was taken (a classify state only fits the same labels).
    public var labels: [String]
    /// nil for a detector that cannot take snapshots.
    public var detector: DetectorSnapshot?
    /// When the stream was last open (its close, or the save that wrote it while open); nil while it is open.
    /// Kept states expire `StateKeeper.retentionSeconds` after it.
    public var idleSince: WallTime?
    /// With `[model] online_learning`: the stream's learned weights and training state.
    public var online: OnlineLearnerSnapshot?
    /// With a trend + seasonal decomposition (`[features] seasonal_*`): its state (`SeasonalStage.snapshot`), so a
    /// restarted stream continues with the period it found instead of searching again.
    public var seasonal: [String: [Double]]?

    public init(
        stream: String, gru: GRUState, labels: [String], detector: DetectorSnapshot?, idleSince: WallTime? = nil,
        online: OnlineLearnerSnapshot? = nil, seasonal: [String: [Double]]? = nil
    ) {
        self.online = online
        self.seasonal = seasonal
        self.stream = stream
        self.gru = gru
        self.labels = labels
        self.detector = detector
        self.idleSince = idleSince
    }
}
