import Foundation

/// The shape of a trainable network: stacked unidirectional PyTorch-form GRU (or LSTM) layers and a linear head.
public struct GRUArchitecture: Sendable, Equatable, Codable {
    public var inputSize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    /// Width of the linear head's output.
    public var outputSize: Int
    /// The recurrent cell: PyTorch `nn.GRU` (gates r, z, n) or `nn.LSTM` (gates i, f, g, o; states h and c).
    public var cell: RecurrentCell
    /// How the head sees a sequence: `last` applies it to every step's output; `mean` and `attention` pool the
    /// whole sequence (a window) into one vector and apply the head once, at the last step.
    public var pooling: Pooling
    /// Width A of the attention projection (`pooling` = `attention`; 0 otherwise).
    public var attentionSize: Int

    public init(
        inputSize: Int, hiddenSize: Int, layerCount: Int, outputSize: Int, cell: RecurrentCell = .gru,
        pooling: Pooling = .last, attentionSize: Int = 0
    ) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.outputSize = outputSize
        self.cell = cell
        self.pooling = pooling
        self.attentionSize = pooling == .attention ? attentionSize : 0
    }

    /// Gate blocks per layer: 3 (GRU) or 4 (LSTM).
    public var gateCount: Int { cell == .lstm ? 4 : 3 }

    /// Rows of the carried state per batch row: h per layer, then (LSTM) c per layer.
    public var stateRows: Int { cell == .lstm ? 2 * layerCount : layerCount }

    /// Width of layer k's input.
    public func layerInputSize(_ k: Int) -> Int { k == 0 ? inputSize : hiddenSize }
}

/// One named tensor inside the flat parameter vector.
public struct ParameterSlot: Sendable, Equatable {
    /// PyTorch `state_dict` name: `gru.weight_ih_l0`, …, `linear.weight`, `linear.bias`.
    public let name: String
    public let shape: [Int]
    /// First value in `GRUParameters.values`.
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// Every weight of a trainable network in one flat `[Float]` (so that optimisers, clipping and L1/L2 are
/// loops over one array), laid out as named PyTorch tensors. Per layer k: `gru.weight_ih_lk` [3H, I_k],
/// `gru.weight_hh_lk` [3H, H], `gru.bias_ih_lk` [3H], `gru.bias_hh_lk` [3H] (gates r, z, n); then
/// `linear.weight` [O, H] and `linear.bias` [O]; with attention pooling, before the head, `attention.proj.weight`
/// [A, H], `attention.proj.bias` [A], `attention.score.weight` [1, A]. An LSTM has `lstm.*` tensors of 4H rows (gates i, f, g, o).
public struct GRUParameters: Sendable, Equatable {
    public let architecture: GRUArchitecture
    public let slots: [ParameterSlot]
    /// All parameters, slot after slot.
    public var values: [Float]

    public init(architecture a: GRUArchitecture) {
        architecture = a
        var slots: [ParameterSlot] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) {
            slots.append(ParameterSlot(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        let rows = a.gateCount * a.hiddenSize
        let prefix = a.cell == .lstm ? "lstm" : "gru"
        for k in 0..<a.layerCount {
            add("\(prefix).weight_ih_l\(k)", [rows, a.layerInputSize(k)])
            add("\(prefix).weight_hh_l\(k)", [rows, a.hiddenSize])
            add("\(prefix).bias_ih_l\(k)", [rows])
            add("\(prefix).bias_hh_l\(k)", [rows])
        }
        if a.pooling == .attention {
            add("attention.proj.weight", [a.attentionSize, a.hiddenSize])
            add("attention.proj.bias", [a.attentionSize])
            add("attention.score.weight", [1, a.attentionSize])
        }
        add("linear.weight", [a.outputSize, a.hiddenSize])
        add("linear.bias", [a.outputSize])
        self.slots = slots
        values = [Float](repeating: 0, count: offset)
    }

    public var count: Int { values.count }

    /// Offsets of layer k's tensors: (weight_ih, weight_hh, bias_ih, bias_hh).
    public func layerOffsets(_ k: Int) -> (weightIH: Int, weightHH: Int, biasIH: Int, biasHH: Int) {
        (slots[4 * k].offset, slots[4 * k + 1].offset, slots[4 * k + 2].offset, slots[4 * k + 3].offset)
    }

    /// Offsets of the head: (weight [O, H], bias [O]).
    public var headOffsets: (weight: Int, bias: Int) {
        (slots[slots.count - 2].offset, slots[slots.count - 1].offset)
    }

    /// Offsets of the attention pooling weights: (W [A, H], b [A], v [A]); nil without attention pooling.
    public var attentionOffsets: (weight: Int, bias: Int, score: Int)? {
        guard architecture.pooling == .attention else { return nil }
        let k = 4 * architecture.layerCount
        return (slots[k].offset, slots[k + 1].offset, slots[k + 2].offset)
    }

    public func slot(named name: String) -> ParameterSlot? { slots.first { $0.name == name } }

    public func tensor(_ slot: ParameterSlot) -> Tensor {
        Tensor(shape: slot.shape, scalars: Array(values[slot.offset..<(slot.offset + slot.count)]))
    }

    /// Every slot as a named tensor, in layout order (for safetensors).
    public var namedTensors: [(String, Tensor)] { slots.map { ($0.name, tensor($0)) } }

    /// Set one slot's values from a tensor of the same shape.
    public mutating func set(_ name: String, _ t: Tensor) throws {
        guard let slot = slot(named: name) else { throw ModelLoadError("no parameter \"\(name)\" in this network") }
        guard slot.shape == t.shape else {
            throw ModelLoadError(
                "\"\(name)\" is \(t.shapeDescription), expected \(Tensor(zeros: slot.shape).shapeDescription)")
        }
        values.replaceSubrange(slot.offset..<(slot.offset + slot.count), with: t.scalars)
    }

    /// Initialise: input weights (the head and the attention projection and score vector too) Xavier/Glorot-uniform,
    /// per gate block for the input weights,
    /// recurrent weights orthogonal per gate block [H, H], biases zero — except the update gate's input bias,
    /// zero too (PyTorch-compatible equations; no forget-bias trick). Deterministic for a seed.
    public mutating func initialise(seed: UInt64) {
        var random = TrainingRandom(seed: seed)
        let a = architecture
        let h = a.hiddenSize
        for i in values.indices { values[i] = 0 }
        for k in 0..<a.layerCount {
            let o = layerOffsets(k)
            let width = a.layerInputSize(k)
            let bound = (6 / Float(width + h)).squareRoot()
            for i in 0..<(a.gateCount * h * width) { values[o.weightIH + i] = random.uniform(-bound, bound) }
            for gate in 0..<a.gateCount {
                let q = Self.orthogonal(h, random: &random)
                for i in 0..<(h * h) { values[o.weightHH + gate * h * h + i] = q[i] }
            }
        }
        let head = headOffsets
        let bound = (6 / Float(h + a.outputSize)).squareRoot()
        for i in 0..<(a.outputSize * h) { values[head.weight + i] = random.uniform(-bound, bound) }
        if let attention = attentionOffsets {
            let n = a.attentionSize
            let projectionBound = (6 / Float(h + n)).squareRoot()
            for i in 0..<(n * h) { values[attention.weight + i] = random.uniform(-projectionBound, projectionBound) }
            let scoreBound = (6 / Float(n + 1)).squareRoot()
            for i in 0..<n { values[attention.score + i] = random.uniform(-scoreBound, scoreBound) }
        }
    }

    /// A random orthogonal n×n matrix (row-major): Gram–Schmidt (modified, in Double) of a Gaussian matrix.
    static func orthogonal(_ n: Int, random: inout TrainingRandom) -> [Float] {
        var m = (0..<(n * n)).map { _ in Double(random.normal()) }
        for r in 0..<n {
            for p in 0..<r {
                var dot = 0.0
                for c in 0..<n { dot += m[r * n + c] * m[p * n + c] }
                for c in 0..<n { m[r * n + c] -= dot * m[p * n + c] }
            }
            var norm = 0.0
            for c in 0..<n { norm += m[r * n + c] * m[r * n + c] }
            norm = max(norm.squareRoot(), 1e-12)
            for c in 0..<n { m[r * n + c] /= norm }
        }
        return m.map { Float($0) }
    }

    /// The parameters of an inference model of the same form (PyTorch form, unidirectional, with a head);
    /// for fine-tuning and for checking that training and inference agree.
    public init(model: GRUModel) throws {
        guard model.form == .pytorch, !model.bidirectional, let o = model.headSize,
            model.hasCellState || model.layers.allSatisfy(\.resetAfter), model.gateActivation == .sigmoid,
            model.candidateActivation == .tanh
        else {
            throw ModelLoadError(
                "\(model.name): training needs a unidirectional PyTorch-form GRU or LSTM (sigmoid/tanh) with a linear head"
            )
        }
        self.init(
            architecture: GRUArchitecture(
                inputSize: model.inputSize, hiddenSize: model.hiddenSize, layerCount: model.layerCount, outputSize: o,
                cell: model.hasCellState ? .lstm : .gru, pooling: model.pooling,
                attentionSize: model.attention?.size ?? 0))
        for (k, layer) in model.layers.enumerated() {
            let off = layerOffsets(k)
            let h3 = architecture.gateCount * model.hiddenSize
            values.replaceSubrange(off.weightIH..<(off.weightIH + layer.weightIH.count), with: layer.weightIH)
            values.replaceSubrange(off.weightHH..<(off.weightHH + layer.weightHH.count), with: layer.weightHH)
            values.replaceSubrange(
                off.biasIH..<(off.biasIH + h3), with: layer.biasIH ?? [Float](repeating: 0, count: h3))
            values.replaceSubrange(
                off.biasHH..<(off.biasHH + h3), with: layer.biasHH ?? [Float](repeating: 0, count: h3))
        }
        let head = headOffsets
        values.replaceSubrange(head.weight..<(head.weight + o * model.hiddenSize), with: model.headWeight!)
        values.replaceSubrange(head.bias..<(head.bias + o), with: model.headBias ?? [Float](repeating: 0, count: o))
        if let attention = model.attention, let offsets = attentionOffsets {
            let n = attention.size
            values.replaceSubrange(
                offsets.weight..<(offsets.weight + n * model.hiddenSize), with: attention.projectionWeight)
            values.replaceSubrange(
                offsets.bias..<(offsets.bias + n),
                with: attention.projectionBias ?? [Float](repeating: 0, count: n))
            values.replaceSubrange(offsets.score..<(offsets.score + n), with: attention.score)
        }
    }
}
