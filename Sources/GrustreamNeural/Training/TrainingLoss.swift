import Foundation

/// Losses over the head's outputs [steps, batch, output] (time-major), with their gradients.
public enum TrainingLoss {
    /// Mean softmax cross-entropy over the frames that have a target (PyTorch `F.cross_entropy` with
    /// `ignore_index`): `targets` [steps · batch], class index or −1 for "no target at this frame" (so a
    /// last-frame loss sets only the last step's targets). Writes ∂loss/∂outputs into `gradient`.
    /// Returns (loss, frames counted, frames whose arg-max is the target).
    @discardableResult
    public static func softmaxCrossEntropy(
        outputs: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, classes: Int,
        gradient: UnsafeMutablePointer<Float>
    ) -> (loss: Float, counted: Int, correct: Int) {
        var counted = 0
        for r in 0..<rows where targets[r] >= 0 { counted += 1 }
        gradient.update(repeating: 0, count: rows * classes)
        guard counted > 0 else { return (0, 0, 0) }
        let scale = 1 / Float(counted)
        var total = 0.0
        var correct = 0
        for r in 0..<rows {
            let target = Int(targets[r])
            guard target >= 0 else { continue }
            precondition(target < classes, "target class \(target) ≥ \(classes)")
            let y = outputs + r * classes
            let d = gradient + r * classes
            var largest = y[0]
            var best = 0
            for k in 1..<classes where y[k] > largest { largest = y[k]; best = k }
            if best == target { correct += 1 }
            var sum: Float = 0
            for k in 0..<classes {
                d[k] = expf(y[k] - largest)
                sum += d[k]
            }
            total += Double(logf(sum) + largest - y[target])
            for k in 0..<classes { d[k] = d[k] / sum * scale }
            d[target] -= scale
        }
        return (Float(total / Double(counted)), counted, correct)
    }

    /// Mean squared error over every value (PyTorch `F.mse_loss`, reduction mean); writes the gradient.
    @discardableResult
    public static func meanSquaredError(
        outputs: UnsafePointer<Float>, targets: UnsafePointer<Float>, count: Int, gradient: UnsafeMutablePointer<Float>
    ) -> Float {
        guard count > 0 else { return 0 }
        let scale = 2 / Float(count)
        var total = 0.0
        for i in 0..<count {
            let diff = outputs[i] - targets[i]
            total += Double(diff * diff)
            gradient[i] = scale * diff
        }
        return Float(total / Double(count))
    }
}
