import GrustreamNeural

extension PipelineValidation {
    /// `[model] online_learning = true` needs a next-frame predictor the training code can train (a carry-mode,
    /// unidirectional PyTorch-form GRU whose head predicts the input, no output activation, an anomaly detector),
    /// and its per-stream state must fit the state file's share of one stream.
    static func checkOnlineLearning(_ resolved: ResolvedPipeline) throws {
        let config = resolved.config
        let file = config.file?.path ?? config.name
        let model = resolved.model
        let options = config.model
        func refuse(_ reason: String) -> PipelineConfigError {
            PipelineConfigError("\(file): model.online_learning = true: \(reason)")
        }
        guard resolved.detector.kind == .anomaly else {
            throw refuse(
                "needs [detector] kind = \"anomaly\" (a next-frame predictor), found \"\(resolved.detector.kind.rawValue)\""
            )
        }
        guard resolved.mode == .carry else {
            throw refuse("needs model.mode = \"carry\", found \"\(resolved.mode)\"")
        }
        guard model.outputSize == model.inputSize, resolved.outputActivation == .none,
            model.outputActivation == .none
        else {
            throw refuse(
                "\(model.name) predicts \(model.outputSize) values (activation \(model.outputActivation.rawValue)) from \(model.inputSize); expected a next-frame predictor (grustream train --task predict)"
            )
        }
        guard !model.hasCellState else {
            throw refuse("\(model.name) is an LSTM; online learning needs a GRU")
        }
        do { _ = try GRUParameters(model: model) } catch let error as ModelLoadError { throw refuse("\(error)") }
        let bytes = OnlineLearner.stateBytes(
            parameters: model.parameterCount, dimension: model.inputSize, layers: model.layerCount,
            hidden: model.hiddenSize, window: options.onlineWindowFrames, every: options.onlineEveryFrames)
        guard bytes <= ConfigLimits.maximumOnlineStateBytes else {
            throw refuse(
                "\(model.name) (\(model.parameterCount) parameters) with online_window_frames = \(options.onlineWindowFrames) keeps \(bytes) bytes per stream; expected at most \(ConfigLimits.maximumOnlineStateBytes) (the state file's \(StateFile.maximumFileBytes) bytes over \(StateKeeper.maximumSavedStreams) streams): use a smaller model or window"
            )
        }
    }
}
