import Foundation

/// A model file that cannot be used, or an input that does not fit the model. One line naming the file, the
/// tensor or field, what was found and what was expected.
public struct ModelLoadError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Which set of GRU equations and tensor names a model file uses.
public enum GRUForm: String, Sendable {
    /// PyTorch `nn.GRU` tensors (`weight_ih_l{k}`, ...), reset gate applied after the recurrent product.
    case pytorch
    /// Keras tensors (`kernel_l{k}`, `recurrent_kernel_l{k}`, `bias_l{k}`), converted by `GRULayerWeights.fromKeras`.
    case keras
}

/// The recurrent cell of a model's layers (metadata `cell`).
public enum RecurrentCell: String, Sendable, Codable {
    /// PyTorch `nn.GRU` (gates r, z, n; state h).
    case gru
    /// PyTorch `nn.LSTM` (gates i, f, g, o; states h and c).
    case lstm

    /// "GRU" or "LSTM", for summaries.
    public var displayName: String { rawValue.uppercased() }
}

/// How the outputs of a window's frames become one vector for the head (metadata `pooling`). Anything but `last`
/// needs window mode: the head then sees one pooled vector per window instead of the newest frame's output.
public enum Pooling: String, Sendable, Codable, CaseIterable {
    /// The newest frame's top-layer output (every frame in carry mode).
    case last
    /// The mean of the window's top-layer outputs.
    case mean
    /// Additive attention: e_t = v · tanh(W h_t + b), α = softmax over the window, context Σ_t α_t h_t
    /// (`attention.proj` = nn.Linear(top, A), `attention.score` = nn.Linear(A, 1, bias=False)).
    case attention
}

/// The model side of the `grustream` metadata: a JSON object stored as a string in `__metadata__["grustream"]`.
/// Every field is optional; the defaults describe a plain PyTorch `nn.GRU` + `nn.Linear` model.
/// Fields read by other modules (`features`, `detector`, `calibration`, ...) are kept in the raw JSON
/// (`GRUModel.grustreamMetadata`). See Sources/GrustreamNeural/README.md for the whole schema.
public struct GRUModelMetadata: Sendable, Equatable {
    /// Prefix of the GRU tensors (`"gru."` → `gru.weight_ih_l0`).
    public var gruPrefix = "gru."
    /// Prefix of the head tensors (`"linear."` → `linear.weight`); the head is optional.
    public var headPrefix = "linear."
    /// Prefix of the attention pooling tensors (`"attention."` → `attention.proj.weight`, `attention.proj.bias`,
    /// `attention.score.weight`).
    public var attentionPrefix = "attention."
    /// How a window's outputs are pooled before the head; when the metadata does not say, the loader takes
    /// `attention` if the file has the attention tensors.
    public var pooling = Pooling.last
    /// Whether the metadata named the pooling.
    public var poolingStated = false
    /// Prefix of the input normalisation tensors (`"norm."` → `norm.mean`, `norm.std`).
    public var normPrefix = "norm."
    public var form = GRUForm.pytorch
    /// The cell; when the metadata does not say, the loader takes it from the shape of `weight_hh_l0`
    /// ([3H, H]: GRU, [4H, H]: LSTM).
    public var cell = RecurrentCell.gru
    /// Whether the metadata named the cell.
    public var cellStated = false
    public var gateActivation = GateActivation.sigmoid
    public var candidateActivation = CandidateActivation.tanh
    /// Keras form without biases only: which candidate equation (with biases the bias shape says it).
    public var resetAfter: Bool? = nil
    public var mode = InferenceMode.carry
    public var outputActivation = OutputActivation.none
    /// One name per output (empty: unnamed).
    public var labels: [String] = []
    /// `"classify"` | `"predict"` (nil: not stated).
    public var task: String? = nil

    public init() {}

    /// Parse the JSON text; `file` names the model in error messages.
    public init(json text: String, file: String) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw ModelLoadError("\(file): __metadata__[\"grustream\"] is not a JSON object")
        }
        func string(_ key: String) throws -> String? {
            guard let value = object[key], !(value is NSNull) else { return nil }
            guard let s = value as? String else {
                throw ModelLoadError("\(file): grustream metadata \"\(key)\" is \(value), expected a string")
            }
            return s
        }
        func choice<T: RawRepresentable>(_ key: String, _: T.Type) throws -> T? where T.RawValue == String {
            guard let s = try string(key) else { return nil }
            guard let value = T(rawValue: s) else {
                throw ModelLoadError("\(file): grustream metadata \"\(key)\" is \"\(s)\", not a known value")
            }
            return value
        }
        if let s = try string("gru_prefix") { gruPrefix = s }
        if let s = try string("head_prefix") { headPrefix = s }
        if let s = try string("norm_prefix") { normPrefix = s }
        if let s = try string("attention_prefix") { attentionPrefix = s }
        if let p = try choice("pooling", Pooling.self) {
            pooling = p
            poolingStated = true
        }
        if let f = try choice("form", GRUForm.self) { form = f }
        if let c = try choice("cell", RecurrentCell.self) {
            cell = c
            cellStated = true
        }
        if let g = try choice("gate_activation", GateActivation.self) { gateActivation = g }
        if let c = try choice("candidate_activation", CandidateActivation.self) { candidateActivation = c }
        if let o = try choice("output_activation", OutputActivation.self) { outputActivation = o }
        if let m = try string("mode") {
            guard let parsed = InferenceMode(m) else {
                throw ModelLoadError(
                    "\(file): grustream metadata \"mode\" is \"\(m)\", expected \"carry\" or \"window:N\"")
            }
            mode = parsed
        }
        if let value = object["reset_after"] {
            guard let b = value as? Bool else {
                throw ModelLoadError("\(file): grustream metadata \"reset_after\" is \(value), expected true or false")
            }
            resetAfter = b
        }
        if let value = object["labels"] {
            guard let list = value as? [String] else {
                throw ModelLoadError("\(file): grustream metadata \"labels\" is not a list of strings")
            }
            labels = list
        }
        task = try string("task")
    }
}
