import GrustreamKernelInterface

/// The family this module is compiled as (its defines, Package.swift).
#if GRUSTREAM_AVX512
    let compiledFamily = KernelFamily.avx512
#elseif GRUSTREAM_FMA
    let compiledFamily = KernelFamily.avx2
#else
    let compiledFamily = KernelFamily.baseline
#endif

/// This module's entry points. Each is a whole loop compiled for the family's CPU level.
func makeKernelTable() -> KernelTable {
    KernelTable(
        family: compiledFamily,
        product: { w, bias, inputs, inputStride, count, outputs, outputStride, reversed in
            GRUKernels.product(
                w, bias: bias, inputs: inputs, inputStride: inputStride, count: count, outputs: outputs,
                outputStride: outputStride, reversed: reversed)
        },
        recurrentStep: {
            layer, gate, candidate, projections, projectionStride, hidden, hiddenStride, batch, gates, recurrent,
            resetHidden, reversed in
            GRUKernels.recurrentStep(
                layer, gate: gate, candidate: candidate, projections: projections, projectionStride: projectionStride,
                hidden: hidden, hiddenStride: hiddenStride, batch: batch, gates: gates, recurrent: recurrent,
                resetHidden: resetHidden, reversed: reversed)
        },
        headStep: { head, activation, inputs, inputStride, count, scratch, outputs in
            GRUKernels.headStep(
                head, activation: activation, inputs: inputs, inputStride: inputStride, count: count,
                scratch: scratch, outputs: outputs)
        },
        gateMath: { f, values, count in
            switch f {
            case .exp: FastMath.map(values, count, FastMath.exp)
            case .sigmoid: FastMath.map(values, count, FastMath.sigmoid)
            case .tanh: FastMath.map(values, count, FastMath.tanh)
            }
        },
        gateLanes: GateVector.scalarCount,
        multiplyAddCeiling: { iterations, weight in Ceilings.multiplyAdd(iterations: iterations, weight: weight) },
        ceilingFlopsPerIteration: Ceilings.flopsPerIteration,
        readCeiling: { Ceilings.read($0) },
        multiply: { rows, columns, depth, a, aRowStride, aColumnStride, b, ldb, c, ldc, accumulate in
            TrainingKernels.multiply(
                rows: rows, columns: columns, depth: depth, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride,
                b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        },
        transpose: { m, rows, columns, out in TrainingKernels.transpose(m, rows: rows, columns: columns, into: out) },
        addColumnSums: { x, rows, columns, sums in
            TrainingKernels.addColumnSums(x, rows: rows, columns: columns, into: sums)
        },
        addBias: { bias, x, rows, columns in TrainingKernels.addBias(bias, to: x, rows: rows, columns: columns) },
        trainingGatesForward: { gates, recurrent, biasHH, candidateRecurrent, previous, next, batch, hidden in
            TrainingGates.forward(
                gates: gates, recurrent: recurrent, biasHH: biasHH, candidateRecurrent: candidateRecurrent,
                previous: previous, next: next, batch: batch, hidden: hidden)
        },
        trainingGatesBackward: {
            gates, previous, candidateRecurrent, outputGradient, hiddenGradient, inputGateGradient,
            recurrentGateGradient, batch, hidden in
            TrainingGates.backward(
                gates: gates, previous: previous, candidateRecurrent: candidateRecurrent,
                outputGradient: outputGradient, hiddenGradient: hiddenGradient, inputGateGradient: inputGateGradient,
                recurrentGateGradient: recurrentGateGradient, batch: batch, hidden: hidden)
        },
        lstmTrainingGatesForward: { gates, recurrent, biasHH, cellPrevious, cellNext, next, batch, hidden in
            LSTMTrainingGates.forward(
                gates: gates, recurrent: recurrent, biasHH: biasHH, cellPrevious: cellPrevious, cellNext: cellNext,
                next: next, batch: batch, hidden: hidden)
        },
        lstmTrainingGatesBackward: {
            gates, cellPrevious, cellNext, outputGradient, hiddenGradient, cellGradient, gateGradient, batch, hidden in
            LSTMTrainingGates.backward(
                gates: gates, cellPrevious: cellPrevious, cellNext: cellNext, outputGradient: outputGradient,
                hiddenGradient: hiddenGradient, cellGradient: cellGradient, gateGradient: gateGradient, batch: batch,
                hidden: hidden)
        },
        sum: { x, n in FrameKernels.sum(x, n) },
        sumOfSquares: { x, n, offset in FrameKernels.sumOfSquares(x, n, minus: offset) },
        scaledCopy: { x, n, scale, out in FrameKernels.scaledCopy(x, n, scale: scale, into: out) },
        centreEmphasiseWindow: { x, n, mean, p, w, out in
            FrameKernels.centreEmphasiseWindow(x, n, mean: mean, preemphasis: p, window: w, into: out)
        },
        powerSpectrum: { complex, bins, magnitude, out in
            FrameKernels.powerSpectrum(complex, bins: bins, magnitude: magnitude, into: out)
        },
        paddedRows: { weights, offsets, firsts, widths, rows, x, out in
            FrameKernels.paddedRows(
                weights, offsets: offsets, firsts: firsts, widths: widths, rows: rows, x, into: out)
        })
}
