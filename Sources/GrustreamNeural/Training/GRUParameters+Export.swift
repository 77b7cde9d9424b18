import Foundation

extension GRUParameters {
    /// The tensors of a model file in PyTorch `state_dict` order (`gru.*`, `linear.*`), then `norm.mean` and
    /// `norm.std` [input] when given.
    public func fileTensors(normalisation: InputNormalisation?) -> [(String, Tensor)] {
        var tensors = namedTensors
        if let normalisation {
            tensors.append(("norm.mean", Tensor(shape: [architecture.inputSize], scalars: normalisation.mean)))
            tensors.append(("norm.std", Tensor(shape: [architecture.inputSize], scalars: normalisation.std)))
        }
        return tensors
    }

    /// `metadata`: the `grustream` JSON object (stored as a string in `__metadata__["grustream"]`). With mean or
    /// attention pooling, `pooling` is added when absent (such a model also needs a `"mode": "window:N"`).
    public func fileData(normalisation: InputNormalisation?, metadata: [String: Any]) throws -> Data {
        var metadata = metadata
        if architecture.pooling != .last && metadata["pooling"] == nil {
            metadata["pooling"] = architecture.pooling.rawValue
        }
        let json = try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys])
        return SafetensorsFile.encode(
            fileTensors(normalisation: normalisation), metadata: ["grustream": String(decoding: json, as: UTF8.self)])
    }

    /// Write a model file (atomically: a partial file never replaces a good one).
    public func write(to url: URL, normalisation: InputNormalisation?, metadata: [String: Any]) throws {
        let data = try fileData(normalisation: normalisation, metadata: metadata)
        do { try data.write(to: url, options: .atomic) } catch {
            throw TensorFileError("\(url.path): cannot write: \(error.localizedDescription)")
        }
    }

    /// The inference engine's model of these parameters (same file bytes as `write` would produce), so that
    /// evaluation and the training forward pass can be compared with `GRURunner`.
    public func inferenceModel(
        normalisation: InputNormalisation? = nil, metadata: [String: Any] = [:], name: String = "training"
    ) throws -> GRUModel {
        let data = try fileData(normalisation: normalisation, metadata: metadata)
        return try GRUModel(file: SafetensorsFile(data: data, name: name), name: name)
    }
}
