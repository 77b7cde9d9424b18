/// The entry points of one kernel family. Each call runs a whole loop inside the family's module — a matrix
/// product, a GRU layer step for a batch, a training matrix product, a filter bank — so the indirect call is paid
/// once per loop, never per element. Objects that run kernels keep the table they were made with
/// (`Kernels.current`), so the hot path reads no global state and allocates nothing.
/// The argument conventions are those of the family sources (Sources/GrustreamKernelFamilies/Shared).
package final class KernelTable: Sendable {
    package let family: KernelFamily

    // GRU
    @usableFromInline let productEntry:
        @Sendable (
            PanelMatrix, UnsafePointer<Float>?, UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>, Int, Bool
        ) -> Void
    @usableFromInline let recurrentStepEntry:
        @Sendable (
            PackedGRULayer, GateActivation, CandidateActivation, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>,
            Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Bool
        ) -> Void
    @usableFromInline let headStepEntry:
        @Sendable (
            PackedHead, OutputActivation, UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>,
            UnsafeMutablePointer<Float>
        ) -> Void
    @usableFromInline let gateMathEntry: @Sendable (GateFunction, UnsafeMutablePointer<Float>, Int) -> Void
    /// Lanes of the gate arithmetic's vectors (8 or 16).
    package let gateLanes: Int
    @usableFromInline let multiplyAddCeilingEntry: @Sendable (Int, Float) -> Float
    /// Floating-point operations of one iteration of `multiplyAddCeiling`.
    package let ceilingFlopsPerIteration: Int
    @usableFromInline let readCeilingEntry: @Sendable (UnsafeBufferPointer<Float>) -> Float

    // Training
    @usableFromInline let multiplyEntry:
        @Sendable (
            Int, Int, Int, UnsafePointer<Float>, Int, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, Int,
            Bool
        ) -> Void
    @usableFromInline let transposeEntry:
        @Sendable (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>) -> Void
    @usableFromInline let addColumnSumsEntry:
        @Sendable (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>) -> Void
    @usableFromInline let addBiasEntry: @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
    @usableFromInline let trainingGatesForwardEntry:
        @Sendable (
            UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
            UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int
        ) -> Void
    @usableFromInline let trainingGatesBackwardEntry:
        @Sendable (
            UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
            UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int
        ) -> Void

    @usableFromInline let lstmTrainingGatesForwardEntry:
        @Sendable (
            UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
            UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int
        ) -> Void
    @usableFromInline let lstmTrainingGatesBackwardEntry:
        @Sendable (
            UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
            UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int
        ) -> Void

    // Features
    @usableFromInline let sumEntry: @Sendable (UnsafePointer<Float>, Int) -> Float
    @usableFromInline let sumOfSquaresEntry: @Sendable (UnsafePointer<Float>, Int, Float) -> Float
    @usableFromInline let scaledCopyEntry:
        @Sendable (UnsafePointer<Float>, Int, Float, UnsafeMutablePointer<Float>) -> Void
    @usableFromInline let centreEmphasiseWindowEntry:
        @Sendable (UnsafePointer<Float>, Int, Float, Float, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    @usableFromInline let powerSpectrumEntry:
        @Sendable (UnsafePointer<Float>, Int, Bool, UnsafeMutablePointer<Float>) -> Void
    @usableFromInline let paddedRowsEntry:
        @Sendable (
            UnsafePointer<Float>, UnsafePointer<Int>, UnsafePointer<Int>, UnsafePointer<Int>, Int, UnsafePointer<Float>,
            UnsafeMutablePointer<Float>
        ) -> Void

    package init(
        family: KernelFamily,
        product:
            @escaping @Sendable (
                PanelMatrix, UnsafePointer<Float>?, UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>, Int,
                Bool
            ) -> Void,
        recurrentStep:
            @escaping @Sendable (
                PackedGRULayer, GateActivation, CandidateActivation, UnsafePointer<Float>, Int,
                UnsafeMutablePointer<Float>,
                Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Bool
            ) -> Void,
        headStep:
            @escaping @Sendable (
                PackedHead, OutputActivation, UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>,
                UnsafeMutablePointer<Float>
            ) -> Void,
        gateMath: @escaping @Sendable (GateFunction, UnsafeMutablePointer<Float>, Int) -> Void, gateLanes: Int,
        multiplyAddCeiling: @escaping @Sendable (Int, Float) -> Float, ceilingFlopsPerIteration: Int,
        readCeiling: @escaping @Sendable (UnsafeBufferPointer<Float>) -> Float,
        multiply:
            @escaping @Sendable (
                Int, Int, Int, UnsafePointer<Float>, Int, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>,
                Int,
                Bool
            ) -> Void,
        transpose: @escaping @Sendable (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>) -> Void,
        addColumnSums: @escaping @Sendable (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>) -> Void,
        addBias: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void,
        trainingGatesForward:
            @escaping @Sendable (
                UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int
            ) -> Void,
        trainingGatesBackward:
            @escaping @Sendable (
                UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int
            ) -> Void,
        lstmTrainingGatesForward:
            @escaping @Sendable (
                UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int
            ) -> Void,
        lstmTrainingGatesBackward:
            @escaping @Sendable (
                UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int
            ) -> Void,
        sum: @escaping @Sendable (UnsafePointer<Float>, Int) -> Float,
        sumOfSquares: @escaping @Sendable (UnsafePointer<Float>, Int, Float) -> Float,
        scaledCopy: @escaping @Sendable (UnsafePointer<Float>, Int, Float, UnsafeMutablePointer<Float>) -> Void,
        centreEmphasiseWindow:
            @escaping @Sendable (
                UnsafePointer<Float>, Int, Float, Float, UnsafePointer<Float>, UnsafeMutablePointer<Float>
            ) -> Void,
        powerSpectrum: @escaping @Sendable (UnsafePointer<Float>, Int, Bool, UnsafeMutablePointer<Float>) -> Void,
        paddedRows:
            @escaping @Sendable (
                UnsafePointer<Float>, UnsafePointer<Int>, UnsafePointer<Int>, UnsafePointer<Int>, Int,
                UnsafePointer<Float>,
                UnsafeMutablePointer<Float>
            ) -> Void
    ) {
        self.family = family
        productEntry = product
        recurrentStepEntry = recurrentStep
        headStepEntry = headStep
        gateMathEntry = gateMath
        self.gateLanes = gateLanes
        multiplyAddCeilingEntry = multiplyAddCeiling
        self.ceilingFlopsPerIteration = ceilingFlopsPerIteration
        readCeilingEntry = readCeiling
        multiplyEntry = multiply
        transposeEntry = transpose
        addColumnSumsEntry = addColumnSums
        addBiasEntry = addBias
        trainingGatesForwardEntry = trainingGatesForward
        trainingGatesBackwardEntry = trainingGatesBackward
        lstmTrainingGatesForwardEntry = lstmTrainingGatesForward
        lstmTrainingGatesBackwardEntry = lstmTrainingGatesBackward
        sumEntry = sum
        sumOfSquaresEntry = sumOfSquares
        scaledCopyEntry = scaledCopy
        centreEmphasiseWindowEntry = centreEmphasiseWindow
        powerSpectrumEntry = powerSpectrum
        paddedRowsEntry = paddedRows
    }
}

/// The vector functions of the gates, for tests of their accuracy.
package enum GateFunction: Sendable {
    case exp, sigmoid, tanh
}

// The calls, with the argument labels of the family sources.
extension KernelTable {
    /// outputs[c * outputStride + r] = bias[r] + Σ_k W[r, k] · inputs[c * inputStride + k] for c < count.
    @inlinable
    package func product(
        _ w: PanelMatrix, bias: UnsafePointer<Float>?, inputs: UnsafePointer<Float>, inputStride: Int, count: Int,
        outputs: UnsafeMutablePointer<Float>, outputStride: Int, reversed: Bool = false
    ) {
        productEntry(w, bias, inputs, inputStride, count, outputs, outputStride, reversed)
    }

    /// p = W_ih x + b_ih for `count` frames or streams (projections at stride `projectionStride`).
    @inlinable
    package func project(
        _ layer: PackedGRULayer, inputs: UnsafePointer<Float>, inputStride: Int, count: Int,
        projections: UnsafeMutablePointer<Float>, projectionStride: Int
    ) {
        productEntry(
            layer.inputWeights, layer.inputBias, inputs, inputStride, count, projections, projectionStride, false)
    }

    /// One GRU layer (one direction), one frame for `batch` streams, the input projections given.
    @inlinable
    package func recurrentStep(
        _ layer: PackedGRULayer, gate: GateActivation, candidate: CandidateActivation,
        projections: UnsafePointer<Float>, projectionStride: Int, hidden: UnsafeMutablePointer<Float>,
        hiddenStride: Int, batch: Int, gates: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>,
        resetHidden: UnsafeMutablePointer<Float>, reversed: Bool = false
    ) {
        recurrentStepEntry(
            layer, gate, candidate, projections, projectionStride, hidden, hiddenStride, batch, gates, recurrent,
            resetHidden, reversed)
    }

    /// outputs[c * O ..< +O] = activation(W x_c + bias) for c in 0..<count (scratch [count, paddedWidth(O)]).
    @inlinable
    package func headStep(
        _ head: PackedHead, activation: OutputActivation, inputs: UnsafePointer<Float>, inputStride: Int,
        count: Int, scratch: UnsafeMutablePointer<Float>, outputs: UnsafeMutablePointer<Float>
    ) {
        headStepEntry(head, activation, inputs, inputStride, count, scratch, outputs)
    }

    /// values[i] = f(values[i]), i < count, with the gates' vector arithmetic.
    @inlinable
    package func gateMath(_ f: GateFunction, _ values: UnsafeMutablePointer<Float>, _ count: Int) {
        gateMathEntry(f, values, count)
    }

    /// `iterations` rounds of multiply-adds on independent register chains (`grustream bench` fma-peak).
    package func multiplyAddCeiling(iterations: Int, weight: Float = 0x1p-21) -> Float {
        multiplyAddCeilingEntry(iterations, weight)
    }

    /// Σ of `buffer` (a multiple of 128 floats) read as SIMD16 loads (`grustream bench` read-*).
    package func readCeiling(_ buffer: UnsafeBufferPointer<Float>) -> Float { readCeilingEntry(buffer) }

    /// C[m, n] (= or +=) Σ_k A(m, k) · B[k, n]; A(m, k) = a[m * aRowStride + k * aColumnStride].
    @inlinable
    package func multiply(
        rows: Int, columns: Int, depth: Int, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
        b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        multiplyEntry(rows, columns, depth, a, aRowStride, aColumnStride, b, ldb, c, ldc, accumulate)
    }

    /// out[c, r] = m[r, c] for a [rows, columns] matrix.
    @inlinable
    package func transpose(
        _ m: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>
    ) {
        transposeEntry(m, rows, columns, out)
    }

    /// sums[n] += Σ_m x[m, n] for a [rows, columns] matrix.
    @inlinable
    package func addColumnSums(
        _ x: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>
    ) {
        addColumnSumsEntry(x, rows, columns, sums)
    }

    /// Each row of [rows, columns] += bias [columns].
    @inlinable
    package func addBias(_ bias: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        addBiasEntry(bias, x, rows, columns)
    }

    /// The training graph's forward gate pass for one step of `batch` rows (`TrainingGates.forward`).
    @inlinable
    package func trainingGatesForward(
        gates: UnsafeMutablePointer<Float>, recurrent: UnsafePointer<Float>, biasHH: UnsafePointer<Float>,
        candidateRecurrent: UnsafeMutablePointer<Float>, previous: UnsafePointer<Float>,
        next: UnsafeMutablePointer<Float>, batch: Int, hidden: Int
    ) {
        trainingGatesForwardEntry(gates, recurrent, biasHH, candidateRecurrent, previous, next, batch, hidden)
    }

    /// The training graph's backward gate pass for one step of `batch` rows (`TrainingGates.backward`).
    @inlinable
    package func trainingGatesBackward(
        gates: UnsafePointer<Float>, previous: UnsafePointer<Float>, candidateRecurrent: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, hiddenGradient: UnsafeMutablePointer<Float>,
        inputGateGradient: UnsafeMutablePointer<Float>, recurrentGateGradient: UnsafeMutablePointer<Float>,
        batch: Int, hidden: Int
    ) {
        trainingGatesBackwardEntry(
            gates, previous, candidateRecurrent, outputGradient, hiddenGradient, inputGateGradient,
            recurrentGateGradient, batch, hidden)
    }

    /// The training graph's forward LSTM gate pass for one step of `batch` rows (`LSTMTrainingGates.forward`).
    @inlinable
    package func lstmTrainingGatesForward(
        gates: UnsafeMutablePointer<Float>, recurrent: UnsafePointer<Float>, biasHH: UnsafePointer<Float>,
        cellPrevious: UnsafePointer<Float>, cellNext: UnsafeMutablePointer<Float>,
        next: UnsafeMutablePointer<Float>, batch: Int, hidden: Int
    ) {
        lstmTrainingGatesForwardEntry(gates, recurrent, biasHH, cellPrevious, cellNext, next, batch, hidden)
    }

    /// The training graph's backward LSTM gate pass for one step of `batch` rows (`LSTMTrainingGates.backward`).
    @inlinable
    package func lstmTrainingGatesBackward(
        gates: UnsafePointer<Float>, cellPrevious: UnsafePointer<Float>, cellNext: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, hiddenGradient: UnsafeMutablePointer<Float>,
        cellGradient: UnsafeMutablePointer<Float>, gateGradient: UnsafeMutablePointer<Float>,
        batch: Int, hidden: Int
    ) {
        lstmTrainingGatesBackwardEntry(
            gates, cellPrevious, cellNext, outputGradient, hiddenGradient, cellGradient, gateGradient, batch, hidden)
    }

    /// Σ x[i], i < n, in the fixed lane order of the family sources.
    @inlinable
    package func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float { sumEntry(x, n) }

    /// Σ (x[i] − offset)², i < n.
    @inlinable
    package func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int, minus offset: Float = 0) -> Float {
        sumOfSquaresEntry(x, n, offset)
    }

    /// out[i] = x[i] · scale, i < n.
    @inlinable
    package func scaledCopy(
        _ x: UnsafePointer<Float>, _ n: Int, scale: Float, into out: UnsafeMutablePointer<Float>
    ) {
        scaledCopyEntry(x, n, scale, out)
    }

    /// The frame as the FFT input: DC removal, pre-emphasis, window.
    @inlinable
    package func centreEmphasiseWindow(
        _ x: UnsafePointer<Float>, _ n: Int, mean: Float, preemphasis p: Float, window w: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        centreEmphasiseWindowEntry(x, n, mean, p, w, out)
    }

    /// out[k] = re² + im² (or its square root when `magnitude`) of interleaved complex bins, k < bins.
    @inlinable
    package func powerSpectrum(
        _ complex: UnsafePointer<Float>, bins: Int, magnitude: Bool, into out: UnsafeMutablePointer<Float>
    ) {
        powerSpectrumEntry(complex, bins, magnitude, out)
    }

    /// out[r] = Σ_j weights[offsets[r] + j] · x[firsts[r] + j], j < widths[r] (a multiple of 16), r < rows.
    @inlinable
    package func paddedRows(
        _ weights: UnsafePointer<Float>, offsets: UnsafePointer<Int>, firsts: UnsafePointer<Int>,
        widths: UnsafePointer<Int>, rows: Int, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        paddedRowsEntry(weights, offsets, firsts, widths, rows, x, out)
    }
}
