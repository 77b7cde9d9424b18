extension ResolvedPipeline {
    /// The labels a detection can name: a classifier's labels but its background ones, a Precise detector's word
    /// (its label, else the pipeline's name); none for an anomaly detector.
    public var triggeringLabels: [String] {
        switch detector.kind {
        case .anomaly: return []
        case .classify:
            guard let detector = try? makeDetector() as? ClassifyDetector else { return labels }
            return zip(detector.labels, detector.currentThresholds).filter { $0.1.isFinite }.map(\.0)
        case .precise: return [labels.first ?? config.name]
        }
    }
}
