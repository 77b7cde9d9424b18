import Foundation

extension GRUModel {
    /// The attention tensors of `file` when the model pools by attention (metadata `pooling`, or, when the metadata
    /// does not say, the presence of `<attention_prefix>proj.weight`), checked against the top layer's width `top`:
    /// `proj.weight` [A, top], optional `proj.bias` [A], `score.weight` [1, A]. Sets `fields.pooling`.
    static func loadPooling(
        file: SafetensorsFile, name: String, fields: inout GRUModelMetadata, top: Int, tensors: inout TensorLoader
    ) throws -> AttentionWeights? {
        let p = fields.attentionPrefix
        let projection = "\(p)proj.weight"
        let present = [projection, "\(p)proj.bias", "\(p)score.weight"].contains { file.info($0) != nil }
        if present && !fields.poolingStated { fields.pooling = .attention }
        guard fields.pooling == .attention else { return nil }
        guard let shape = file.info(projection)?.shape else {
            throw ModelLoadError(
                "\(name): metadata pooling \"attention\" needs tensor \"\(projection)\" [attention, \(top)] "
                    + "(nn.Linear(\(top), A)), \"\(p)proj.bias\" [A] and \"\(p)score.weight\" [1, A]; "
                    + "the file has \(file.tensorNames.prefix(8))")
        }
        guard shape.count == 2, shape[0] >= 1, shape[1] == top else {
            throw ModelLoadError(
                "\(name): \"\(projection)\" is \(TensorLoader.describe(shape)), expected [attention, \(top)] "
                    + "(attention ≥ 1; \(top) = the top layer's width)")
        }
        let a = shape[0]
        let weight = try tensors.require(projection, [a, top])
        let bias = try tensors.optional("\(p)proj.bias", [a])
        let score = try tensors.require("\(p)score.weight", [1, a])
        return AttentionWeights(
            size: a, projectionWeight: weight.scalars, projectionBias: bias?.scalars, score: score.scalars)
    }

    /// A runner's check that this model can run in `mode`: pooling other than `last` needs window mode.
    func requirePoolingMode(_ mode: InferenceMode) throws {
        guard pooling != .last, mode == .carry else { return }
        throw ModelLoadError(
            "\(name): \(pooling.rawValue) pooling needs window mode (it pools the outputs of the last N frames); "
                + "set mode \"window:N\" (metadata \"mode\" or the pipeline's model.mode)")
    }
}
