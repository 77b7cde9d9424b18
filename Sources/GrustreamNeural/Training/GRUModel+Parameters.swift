import Foundation
import GrustreamKernels

extension GRUModel {
    /// A private copy of this model (same weights, normalisation and metadata) whose weights `overwrite(with:)` may
    /// change: for one stream that learns online. Needs a unidirectional PyTorch-form GRU with a head.
    public func trainableCopy() throws -> (model: GRUModel, parameters: GRUParameters) {
        guard !hasCellState else {
            throw ModelLoadError("\(name): online learning needs a GRU (this model is an LSTM)")
        }
        guard pooling == .last else {
            throw ModelLoadError(
                "\(name): online learning needs a carry-mode model (this one has \(pooling.rawValue) pooling)")
        }
        let parameters = try GRUParameters(model: self)
        let tensors = parameters.fileTensors(normalisation: normalisation)
        let data = SafetensorsFile.encode(tensors, metadata: fileMetadata)
        let copy = try GRUModel(file: SafetensorsFile(data: data, name: name), name: name)
        return (copy, parameters)
    }

    /// Repack `parameters` into this model's weight arena in place (no allocation). Only for a model made by
    /// `trainableCopy()` and used by one stream: every runner of the model sees the new weights at its next frame.
    /// The unpacked `layers` and head arrays keep the weights the copy started from (the trainer's parameters are
    /// the learned ones).
    public func overwrite(with parameters: GRUParameters) {
        let a = parameters.architecture
        precondition(
            a.inputSize == inputSize && a.hiddenSize == hiddenSize && a.layerCount == layerCount && !bidirectional
                && headSize == a.outputSize && layers.allSatisfy(\.resetAfter) && !hasCellState)
        parameters.values.withUnsafeBufferPointer { p in
            let w = p.baseAddress!
            for k in 0..<layerCount {
                let o = parameters.layerOffsets(k)
                let layer = packedLayers[k]
                Self.pack(w + o.weightIH, into: layer.inputWeights)
                Self.pack(w + o.weightHH, into: layer.recurrentWeights)
                UnsafeMutablePointer(mutating: layer.inputBias).update(from: w + o.biasIH, count: 3 * hiddenSize)
                if let bias = layer.recurrentBias {
                    UnsafeMutablePointer(mutating: bias).update(from: w + o.biasHH, count: 3 * hiddenSize)
                }
            }
            if let head = packedHead {
                let o = parameters.headOffsets
                Self.pack(w + o.weight, into: head.weight)
                UnsafeMutablePointer(mutating: head.bias).update(from: w + o.bias, count: head.outputSize)
            }
        }
    }

    /// Row-major [rows, columns] into panels (the layout `ArenaBuilder` writes).
    private static func pack(_ values: UnsafePointer<Float>, into matrix: PanelMatrix) {
        let panels = UnsafeMutablePointer(mutating: matrix.panels)
        let columns = matrix.columns
        for r in 0..<matrix.rows {
            for k in 0..<columns { panels[(r / 16) * 16 * columns + k * 16 + r % 16] = values[r * columns + k] }
        }
    }
}

extension GRURunner {
    /// The carried hidden state [layers, hidden] into `buffer` (no allocation).
    public func copyHiddenState(into buffer: UnsafeMutablePointer<Float>) {
        let stride = (model.hiddenSize + 15) & ~15
        for r in 0..<model.stateRows {
            (buffer + r * model.hiddenSize).update(from: hiddenState + r * stride, count: model.hiddenSize)
        }
    }
}
