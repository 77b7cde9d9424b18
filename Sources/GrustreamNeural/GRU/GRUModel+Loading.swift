import Foundation

extension GRUModel {
    /// Recognise the GRU layout in `file` (names from the `grustream` metadata, or the defaults `gru.`,
    /// `linear.`, `norm.`), check every name, shape and value, and pack the weights.
    /// Missing or extra tensors, wrong shapes and non-finite values throw a one-line `ModelLoadError`.
    public convenience init(file: SafetensorsFile, name: String? = nil) throws {
        let name = name ?? file.name
        var fields = GRUModelMetadata()
        if let json = file.metadata["grustream"] { fields = try GRUModelMetadata(json: json, file: name) }
        var tensors = TensorLoader(file: file, name: name)
        let keras = fields.form == .keras
        // A plain `nn.LSTM` attribute named `lstm` loads without metadata.
        if !keras, file.metadata["grustream"].map({ !$0.contains("\"gru_prefix\"") }) ?? true,
            file.info("gru.weight_ih_l0") == nil, file.info("lstm.weight_ih_l0") != nil
        {
            fields.gruPrefix = "lstm."
        }
        let p = fields.gruPrefix
        if !keras, let shape = file.info("\(p)weight_hh_l0")?.shape, shape.count == 2, shape[1] > 0,
            shape[0] == 4 * shape[1] || shape[0] == 3 * shape[1]
        {
            let found: RecurrentCell = shape[0] == 4 * shape[1] ? .lstm : .gru
            if fields.cellStated && found != fields.cell {
                throw ModelLoadError(
                    "\(name): \"\(p)weight_hh_l0\" is \(TensorLoader.describe(shape)), expected "
                        + "[\(fields.cell == .lstm ? 4 : 3)*hidden, hidden] (metadata cell \"\(fields.cell.rawValue)\")"
                )
            }
            fields.cell = found
        }
        if keras && fields.cell == .lstm {
            throw ModelLoadError("\(name): an LSTM loads in PyTorch form only (metadata form \"keras\")")
        }
        let lstm = fields.cell == .lstm
        let g = lstm ? 4 : 3
        let first = keras ? "\(p)kernel_l0" : "\(p)weight_ih_l0"
        let expectedFirst = keras ? "[input, 3*hidden]" : "[\(g)*hidden, input]"
        guard let firstShape = file.info(first)?.shape else {
            throw ModelLoadError(
                "\(name): missing tensor \"\(first)\" \(expectedFirst) (\(fields.form.rawValue) form, GRU prefix "
                    + "\"\(p)\"; other prefixes go in __metadata__[\"grustream\"] as {\"gru_prefix\": ...}); "
                    + "the file has \(file.tensorNames.prefix(6))")
        }
        let gateAxis = keras ? 1 : 0
        guard firstShape.count == 2, firstShape[gateAxis] % g == 0, firstShape[gateAxis] > 0,
            firstShape[1 - gateAxis] > 0
        else {
            throw ModelLoadError("\(name): \"\(first)\" is \(firstShape), expected \(expectedFirst)")
        }
        let input = firstShape[1 - gateAxis]
        let hidden = firstShape[gateAxis] / g
        let bidirectional = file.info(first + "_reverse") != nil
        let directions = bidirectional ? 2 : 1
        var layerCount = 0
        while file.info(keras ? "\(p)kernel_l\(layerCount)" : "\(p)weight_ih_l\(layerCount)") != nil { layerCount += 1 }

        var layers: [GRULayerWeights] = []
        for k in 0..<layerCount {
            for d in 0..<directions {
                let suffix = "_l\(k)" + (d == 1 ? "_reverse" : "")
                let width = k == 0 ? input : hidden * directions
                if keras {
                    let kernel = try tensors.require("\(p)kernel\(suffix)", [width, 3 * hidden])
                    let recurrent = try tensors.require("\(p)recurrent_kernel\(suffix)", [hidden, 3 * hidden])
                    let biasName = "\(p)bias\(suffix)"
                    let twoBiases = (file.info(biasName)?.shape.count ?? 1) == 2
                    let bias = try tensors.optional(biasName, twoBiases ? [2, 3 * hidden] : [3 * hidden])
                    layers.append(
                        GRULayerWeights.fromKeras(
                            kernel: kernel, recurrentKernel: recurrent, bias: bias,
                            resetAfter: fields.resetAfter ?? false))
                } else {
                    let wih = try tensors.require("\(p)weight_ih\(suffix)", [g * hidden, width])
                    let whh = try tensors.require("\(p)weight_hh\(suffix)", [g * hidden, hidden])
                    let hasBias = file.info("\(p)bias_ih\(suffix)") != nil || file.info("\(p)bias_hh\(suffix)") != nil
                    let bih = hasBias ? try tensors.require("\(p)bias_ih\(suffix)", [g * hidden]) : nil
                    let bhh = hasBias ? try tensors.require("\(p)bias_hh\(suffix)", [g * hidden]) : nil
                    layers.append(
                        GRULayerWeights.fromPyTorch(weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, lstm: lstm))
                }
            }
        }

        let top = hidden * directions
        var headSize: Int? = nil
        var headWeight: Tensor? = nil
        var headBias: Tensor? = nil
        if let shape = file.info("\(fields.headPrefix)weight")?.shape {
            let o = shape.first ?? 0
            headWeight = try tensors.require("\(fields.headPrefix)weight", [o, top])
            headBias = try tensors.optional("\(fields.headPrefix)bias", [o])
            headSize = o
        } else if fields.outputActivation != .none {
            throw ModelLoadError(
                "\(name): output_activation \"\(fields.outputActivation.rawValue)\" needs a head, "
                    + "but there is no \"\(fields.headPrefix)weight\" [output, \(top)]")
        }

        let attention = try Self.loadPooling(file: file, name: name, fields: &fields, top: top, tensors: &tensors)

        var normalisation: InputNormalisation? = nil
        let meanName = "\(fields.normPrefix)mean"
        let stdName = "\(fields.normPrefix)std"
        if file.info(meanName) != nil || file.info(stdName) != nil {
            let mean = try tensors.require(meanName, [input])
            let std = try tensors.require(stdName, [input])
            if let bad = std.scalars.firstIndex(where: { !($0 >= 1e-6 && $0 <= 1e6) }) {
                throw ModelLoadError(
                    "\(name): \"\(stdName)\"[\(bad)] is \(std.scalars[bad]), expected ≥ 1e-06 and ≤ 1e+06 (a smaller std blows its feature up to infinity)"
                )
            }
            if let bad = mean.scalars.firstIndex(where: { !$0.isFinite }) {
                throw ModelLoadError(
                    "\(name): \"\(meanName)\"[\(bad)] is \(mean.scalars[bad]), expected a finite number")
            }
            normalisation = InputNormalisation(mean: mean.scalars, std: std.scalars)
        }
        try tensors.checkAllUsed(fields)
        let outputSize = headSize ?? top
        if !fields.labels.isEmpty && fields.labels.count != outputSize {
            throw ModelLoadError(
                "\(name): grustream metadata has \(fields.labels.count) labels for \(outputSize) outputs")
        }
        self.init(
            name: name, inputSize: input, hiddenSize: hidden, layerCount: layerCount, bidirectional: bidirectional,
            layers: layers, headWeight: headWeight?.scalars, headBias: headBias?.scalars, headSize: headSize,
            attention: attention, normalisation: normalisation, metadata: fields, fileMetadata: file.metadata)
    }
}

/// Reads tensors by name with shape and value checks, remembering which ones were used.
struct TensorLoader {
    let file: SafetensorsFile
    let name: String
    private(set) var used: Set<String> = []

    init(file: SafetensorsFile, name: String) {
        self.file = file
        self.name = name
    }

    static func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

    mutating func require(_ tensorName: String, _ expected: [Int]) throws -> Tensor {
        guard let tensor = try optional(tensorName, expected) else {
            throw ModelLoadError("\(name): missing tensor \"\(tensorName)\" \(Self.describe(expected))")
        }
        return tensor
    }

    mutating func optional(_ tensorName: String, _ expected: [Int]) throws -> Tensor? {
        guard let info = file.info(tensorName) else { return nil }
        guard info.shape == expected else {
            throw ModelLoadError(
                "\(name): \"\(tensorName)\" is \(Self.describe(info.shape)), expected \(Self.describe(expected))")
        }
        let tensor: Tensor
        do { tensor = try file.tensor(tensorName) } catch let error as TensorFileError {
            throw ModelLoadError(error.description)
        }
        if let bad = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
            throw ModelLoadError(
                "\(name): \"\(tensorName)\" \(Self.describe(info.shape)) holds \(tensor.scalars[bad]) at flat index "
                    + "\(bad); weights must be finite")
        }
        used.insert(tensorName)
        return tensor
    }

    func checkAllUsed(_ fields: GRUModelMetadata) throws {
        if let extra = file.tensorNames.first(where: { !used.contains($0) }) {
            throw ModelLoadError(
                "\(name): unexpected tensor \"\(extra)\" \(Self.describe(file.info(extra)!.shape)) (expected only "
                    + "\(fields.form.rawValue) \(fields.cell.displayName) \"\(fields.gruPrefix)*\" layers 0…, head \"\(fields.headPrefix)"
                    + "weight/bias\", \"\(fields.normPrefix)mean/std\""
                    + (fields.pooling == .attention
                        ? ", attention \"\(fields.attentionPrefix)proj.weight/bias, score.weight\"" : "")
                    + ")")
        }
    }
}
