extension AnomalyDetector: SnapshottableDetector {
    public func snapshot(nextFrame: Int, nextTime: Double) -> DetectorSnapshot {
        var values: [String: [Double]] = [
            "previous_prediction": previousPrediction.map(Double.init),
            "have_prediction": [havePrediction ? 1 : 0],
            "mean": [mean], "std": [std],
            "warm_count": [Double(warmCount)], "warm_mean": [warmMean], "warm_m2": [warmM2],
            "learned": [learned ? 1 : 0],
            "score": [Double(score[0])], "smoothed_valid": [smoothedValid ? 1 : 0],
            "span_open": [spanOpen ? 1 : 0], "span_reported": [spanReported ? 1 : 0],
            "span_start": [spanStart - nextTime],
            "span_start_frame": [Double(spanStartFrame - nextFrame)], "span_end": [spanEnd - nextTime],
            "span_peak": [Double(spanPeak)], "span_peak_likelihood": [Double(spanPeakLikelihood)],
            "next_alert_frame": [Double(nextAlertFrame - nextFrame)],
            "range_low": rangeLow.map(Double.init), "range_high": rangeHigh.map(Double.init),
            "have_range": [haveRange ? 1 : 0], "recent_scores": recentScores.map(Double.init),
            "recent_scores_position": [Double(recentScoresNext), Double(recentScoresCount)],
        ]
        values.merge(likelihood.values()) { a, _ in a }
        return DetectorSnapshot(kind: "anomaly", values: values)
    }

    public func restore(_ snapshot: DetectorSnapshot, nextFrame: Int, nextTime: Double) throws {
        guard snapshot.kind == "anomaly" else {
            throw StateFileError("the saved detector state is \(snapshot.kind), the detector is anomaly")
        }
        let prediction = try snapshot.array("previous_prediction", count: previousPrediction.count)
        var scalars: [String: Double] = [:]
        for key in [
            "have_prediction", "mean", "std", "warm_count", "warm_mean", "warm_m2", "learned", "score",
            "smoothed_valid", "span_open", "span_reported", "span_start", "span_start_frame", "span_end", "span_peak",
            "span_peak_likelihood", "next_alert_frame", "have_range",
        ] {
            scalars[key] = try snapshot.scalar(key)
        }
        func scalar(_ key: String) -> Double { scalars[key] ?? 0 }
        let frameOffsets = ["warm_count", "span_start_frame", "next_alert_frame"].map(scalar)
        guard frameOffsets.allSatisfy({ abs($0) <= Double(Int32.max) }) else {
            throw StateFileError("detector state frame counts \(frameOffsets) are out of range")
        }
        let low = try snapshot.array("range_low", count: rangeLow.count)
        let high = try snapshot.array("range_high", count: rangeHigh.count)
        let scores = try snapshot.array("recent_scores", count: recentScores.count)
        let position = try snapshot.array("recent_scores_position", count: 2)
        guard position.allSatisfy({ $0 >= 0 && $0 == $0.rounded() && $0 <= Double(recentScores.count) }),
            position[0] < Double(max(1, recentScores.count))
        else {
            throw StateFileError(
                "detector state \"recent_scores_position\" \(position) does not fit a window of \(recentScores.count) frames"
            )
        }
        var restoredLikelihood = likelihood
        try restoredLikelihood.restore(snapshot)
        likelihood = restoredLikelihood
        previousPrediction = prediction.map { Float($0) }
        rangeLow = low.map { Float($0) }
        rangeHigh = high.map { Float($0) }
        haveRange = scalar("have_range") != 0
        recentScores = scores.map { Float($0) }
        recentScoresNext = Int(position[0])
        recentScoresCount = Int(position[1])
        havePrediction = scalar("have_prediction") != 0
        if options.errorStd == 0 {  // statistics learned online: keep what the previous run learned
            mean = scalar("mean")
            std = scalar("std")
            warmCount = Int(scalar("warm_count"))
            warmMean = scalar("warm_mean")
            warmM2 = scalar("warm_m2")
            learned = scalar("learned") != 0
        }
        score[0] = Float(scalar("score"))
        score[1] = Float(likelihood.likelihood)
        score[2] = Float(likelihood.logLikelihood)
        smoothedValid = scalar("smoothed_valid") != 0
        spanOpen = scalar("span_open") != 0
        spanReported = scalar("span_reported") != 0
        spanStart = max(0, nextTime + scalar("span_start"))
        spanStartFrame = nextFrame + Int(scalar("span_start_frame"))
        spanEnd = max(0, nextTime + scalar("span_end"))
        spanPeak = Float(scalar("span_peak"))
        spanPeakLikelihood = Float(scalar("span_peak_likelihood"))
        nextAlertFrame = nextFrame + Int(scalar("next_alert_frame"))
    }
}
