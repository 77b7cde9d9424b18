import Foundation
import GrustreamKernels

/// An immutable GRU network: stacked (optionally bidirectional) GRU layers, an optional linear head, optional
/// input normalisation. Shapes are checked once at load; weights are stored packed for the kernels.
/// Per-stream state lives in `GRURunner` / `GRUBatchRunner` (weights apart from state).
public final class GRUModel: Sendable {
    /// File name used in messages.
    public let name: String
    public let inputSize: Int
    public let hiddenSize: Int
    public let layerCount: Int
    public let bidirectional: Bool
    /// Width of the head's output, nil without a head.
    public let headSize: Int?
    /// The fields of `__metadata__["grustream"]` the network itself needs (form, mode, cell, activations, labels).
    public let metadata: GRUModelMetadata
    /// The whole `__metadata__` of the file, as written (for tools that report or copy it).
    public let fileMetadata: [String: String]
    /// Input normalisation x' = (x − mean) / std, each [input]; nil when the file has none.
    /// Applied by the runners only when asked (`applyNormalisation`); a pipeline normaliser may apply it instead.
    public let normalisation: InputNormalisation?

    /// [layer * directions + direction], PyTorch layout.
    package let layers: [GRULayerWeights]
    /// [head, top width] and [head]; nil without a head (bias nil for `bias=False`).
    package let headWeight: [Float]?
    package let headBias: [Float]?
    /// Attention pooling weights (metadata `pooling` = `"attention"`); nil otherwise.
    public let attention: AttentionWeights?

    let arena: WeightArena
    /// [layer * directions + direction]
    let packedLayers: [PackedGRULayer]
    let packedHead: PackedHead?
    /// The attention projection W [A, top] and b [A] as the kernels read them (the head kernel computes W h + b).
    let packedAttention: PackedHead?

    public var form: GRUForm { metadata.form }
    /// How a window's outputs are pooled before the head (anything but `last` needs window mode).
    public var pooling: Pooling { metadata.pooling }
    public var mode: InferenceMode { metadata.mode }
    public var labels: [String] { metadata.labels }
    public var gateActivation: GateActivation { metadata.gateActivation }
    public var candidateActivation: CandidateActivation { metadata.candidateActivation }
    public var outputActivation: OutputActivation { metadata.outputActivation }
    public var directions: Int { bidirectional ? 2 : 1 }
    /// Width of the top layer's output: hidden (× 2 when bidirectional).
    public var topSize: Int { hiddenSize * directions }
    /// The head's output width, or the top layer's width without a head.
    public var outputSize: Int { headSize ?? topSize }
    /// Rows of the hidden state: layers × directions (PyTorch's h_n layout).
    public var stateRows: Int { layerCount * directions }
    /// The recurrent cell of every layer (metadata `cell`).
    public var cell: RecurrentCell { metadata.cell }
    /// Whether the state holds a cell state c beside h (LSTM).
    public var hasCellState: Bool { cell == .lstm }
    /// Floats of one padded state row: h [paddedWidth(hidden)], then for an LSTM c [paddedWidth(hidden)].
    var stateStride: Int { paddedWidth(hiddenSize) * (hasCellState ? 2 : 1) }
    /// Gate blocks per hidden unit: 3 (GRU) or 4 (LSTM).
    public var gateCount: Int { hasCellState ? 4 : 3 }

    /// `__metadata__["grustream"]` parsed (nil when absent): the sections other modules read and this one keeps
    /// opaque (`features`, `detector`, `calibration`, `task`). The fields the network needs are `metadata`.
    public var grustreamMetadata: [String: Any]? {
        fileMetadata["grustream"].flatMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// Number of weights and biases in the GRU and the head.
    public var parameterCount: Int {
        let recurrent = layers.reduce(0) { $0 + $1.parameterCount }
        let head = (headWeight?.count ?? 0) + (headBias?.count ?? 0)
        return recurrent + head + (attention?.parameterCount ?? 0)
    }

    /// Multiply-adds × 2 of one frame in carry mode (matrix products only).
    public var flopsPerStep: Int {
        layers.reduce(0) { $0 + 2 * $1.gateCount * $1.hiddenSize * ($1.inputSize + $1.hiddenSize) } + 2
            * (headWeight?.count ?? 0)
    }

    public static func load(_ url: URL) throws -> GRUModel {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(contentsOf: url) } catch let error as TensorFileError {
            throw ModelLoadError(error.description)
        }
        return try GRUModel(file: file, name: url.path)
    }

    /// Built by the loader (`GRUModel+Loading.swift`) once every shape has been checked.
    init(
        name: String, inputSize: Int, hiddenSize: Int, layerCount: Int, bidirectional: Bool,
        layers: [GRULayerWeights], headWeight: [Float]?, headBias: [Float]?, headSize: Int?,
        attention: AttentionWeights? = nil, normalisation: InputNormalisation?, metadata: GRUModelMetadata,
        fileMetadata: [String: String]
    ) {
        self.name = name
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.bidirectional = bidirectional
        self.layers = layers
        self.headWeight = headWeight
        self.headBias = headBias
        self.headSize = headSize
        self.attention = attention
        self.normalisation = normalisation
        self.metadata = metadata
        self.fileMetadata = fileMetadata

        var builder = ArenaBuilder()
        let offsets = layers.map { layer -> (ih: Int, hh: Int, hn: Int?, bih: Int, bhh: Int?) in
            let h = layer.hiddenSize
            let w = layer.weightHH
            let gates = layer.gateCount
            return (
                builder.addPanels(layer.weightIH, rows: gates * h, columns: layer.inputSize),
                layer.resetAfter
                    ? builder.addPanels(w, rows: gates * h, columns: h)
                    : builder.addPanels(Array(w[..<(2 * h * h)]), rows: 2 * h, columns: h),
                layer.resetAfter ? nil : builder.addPanels(Array(w[(2 * h * h)...]), rows: h, columns: h),
                builder.addVector(layer.biasIH ?? [Float](repeating: 0, count: gates * h)),
                layer.resetAfter ? layer.biasHH.map { builder.addVector($0) } : nil
            )
        }
        let top = hiddenSize * (bidirectional ? 2 : 1)
        let headOffsets = headSize.map { o in
            (
                builder.addPanels(headWeight!, rows: o, columns: top),
                builder.addVector(headBias ?? [Float](repeating: 0, count: o))
            )
        }
        let attentionOffsets = attention.map { a in
            (
                builder.addPanels(a.projectionWeight, rows: a.size, columns: top),
                builder.addVector(a.projectionBias ?? [Float](repeating: 0, count: a.size))
            )
        }
        arena = builder.build()
        let base = UnsafePointer(arena.base)
        packedLayers = zip(layers, offsets).map { layer, o in
            let h = layer.hiddenSize
            let gates = layer.gateCount
            return PackedGRULayer(
                inputSize: layer.inputSize, hiddenSize: h,
                inputWeights: PanelMatrix(rows: gates * h, columns: layer.inputSize, panels: base + o.ih),
                recurrentWeights: PanelMatrix(
                    rows: (layer.resetAfter ? gates : 2) * h, columns: h, panels: base + o.hh),
                candidateWeights: o.hn.map { PanelMatrix(rows: h, columns: h, panels: base + $0) },
                inputBias: base + o.bih, recurrentBias: o.bhh.map { base + $0 }, resetAfter: layer.resetAfter,
                lstm: layer.lstm)
        }
        if let o = headSize, let offsets = headOffsets {
            packedHead = PackedHead(
                outputSize: o, weight: PanelMatrix(rows: o, columns: top, panels: base + offsets.0),
                bias: base + offsets.1)
        } else {
            packedHead = nil
        }
        if let a = attention, let offsets = attentionOffsets {
            packedAttention = PackedHead(
                outputSize: a.size, weight: PanelMatrix(rows: a.size, columns: top, panels: base + offsets.0),
                bias: base + offsets.1)
        } else {
            packedAttention = nil
        }
    }

    /// Check the model against the width a pipeline will feed it; `source` says where that width comes from.
    /// `kws.safetensors: "gru.weight_ih_l0" is [384, 40], expected [384, 13] (pipelines/kws.toml: ...)`.
    public func requireInputSize(_ expected: Int, source: String) throws {
        guard expected != inputSize else { return }
        let tensor: String
        let found: String
        let wanted: String
        switch form {
        case .pytorch:
            tensor = "\(metadata.gruPrefix)weight_ih_l0"
            (found, wanted) = (
                "[\(gateCount * hiddenSize), \(inputSize)]", "[\(gateCount * hiddenSize), \(expected)]"
            )
        case .keras:
            tensor = "\(metadata.gruPrefix)kernel_l0"
            (found, wanted) = ("[\(inputSize), \(3 * hiddenSize)]", "[\(expected), \(3 * hiddenSize)]")
        }
        throw ModelLoadError("\(name): \"\(tensor)\" is \(found), expected \(wanted) (\(source))")
    }

    /// One line: "kws.safetensors: pytorch GRU 40 → 2×128 → head 12 (softmax), carry, 123456 parameters"
    /// (with pooling: "… 2×128 → attention pooling (16) → head 12 …").
    public var summary: String {
        let head = headSize.map { "head \($0) (\(outputActivation.rawValue))" } ?? "no head"
        let pooled: String
        switch pooling {
        case .last: pooled = ""
        case .mean: pooled = " → mean pooling"
        case .attention: pooled = " → attention pooling (\(attention?.size ?? 0))"
        }
        return "\(name): \(form.rawValue) \(cell.displayName) \(inputSize) → \(layerCount)×\(hiddenSize)"
            + (bidirectional ? " bidirectional" : "") + pooled + " → \(head), \(gateActivation.rawValue)/"
            + "\(candidateActivation.rawValue), \(mode), \(parameterCount) parameters"
    }
}
