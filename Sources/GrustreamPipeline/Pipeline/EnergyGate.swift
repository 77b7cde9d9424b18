import Foundation

/// `[gate] kind = "energy"`: voice activity from the input's level, one decision per 10 ms block of input (by
/// stream sample index, so the decisions do not depend on how the input was read). A block's level is
/// `10 log10(mean square)` dBFS over its samples (every channel); the noise floor follows a 100 ms average of the
/// level down at once and up by at most `floor_rise_db_per_s`; a block is voice when its level is at least
/// `margin_db` above the floor (the floor before the block) and at least `min_db`. The gate is open on a voice block and for `hold_ms` after it.
/// The decisions of the most recent blocks are kept in a ring (allocated once) for the models to look up by sample.
final class EnergyGate {
    let options: GateOptions
    /// Samples per channel in a block.
    let blockSamples: Int
    let sampleRate: Double
    private let channels: Int
    private let holdBlocks: Int
    private let riseDecibelsPerBlock: Double
    /// Ring of decisions, by block index (a power of two).
    private let open: UnsafeMutableBufferPointer<Bool>
    /// Blocks decided so far (the next block's index) and the partial block's sum of squares and sample count.
    private(set) var decidedBlocks = 0
    /// `[blockSamples × channels]` the partial block, `filled` values of it.
    private let block: UnsafeMutableBufferPointer<Float>
    private var filled = 0
    private var smoothedDecibels = Double.nan
    private var floorDecibels = Double.nan
    private var blocksSinceVoice = Int.max
    /// Blocks decided voice, and blocks decided open, so far.
    private(set) var voiceBlocks = 0
    private(set) var openBlocks = 0

    /// - waitingSamples: input frames that can lie between a sample's arrival and the look-up of its frame.
    init(options: GateOptions, sampleRate: Double, channels: Int, waitingSamples: Int) {
        self.options = options
        self.sampleRate = sampleRate
        blockSamples = max(1, Int((sampleRate / 100).rounded()))
        self.channels = max(1, channels)
        let blockSeconds = Double(blockSamples) / sampleRate
        holdBlocks = Int((options.holdMilliseconds / 1000 / blockSeconds).rounded())
        riseDecibelsPerBlock = options.floorRiseDecibelsPerSecond * blockSeconds
        let blocks = waitingSamples / blockSamples + 4
        let capacity = 1 << (Int.bitWidth - (max(blocks, 2) - 1).leadingZeroBitCount)
        open = .allocate(capacity: capacity)
        open.initialize(repeating: true)
        block = .allocate(capacity: blockSamples * self.channels)
        block.initialize(repeating: 0)
    }

    deinit {
        open.deallocate()
        block.deallocate()
    }

    /// The stream's next interleaved samples (any count): copied into the block (`block`), which is summed when
    /// complete, always in the same order (so the decisions do not depend on how the input was read).
    func append(_ samples: UnsafeBufferPointer<Float>) {
        var index = 0
        let width = blockSamples * channels
        while index < samples.count {
            let take = min(width - filled, samples.count - index)
            (block.baseAddress! + filled).update(from: samples.baseAddress! + index, count: take)
            filled += take
            index += take
            if filled == width { decide() }
        }
    }

    private func decide() {
        let width = blockSamples * channels
        var lanes = SIMD8<Float>()
        var k = 0
        while k + 8 <= width {
            let x = UnsafeRawPointer(block.baseAddress! + k).loadUnaligned(as: SIMD8<Float>.self)
            lanes += x * x
            k += 8
        }
        var sum = Double(lanes.sum())
        while k < width {
            sum += Double(block[k] * block[k])
            k += 1
        }
        let level = 10 * log10(max(sum / Double(width), 1e-15))
        // The floor follows a 100 ms average of the level, so one quiet block does not pull it down.
        smoothedDecibels = smoothedDecibels.isNaN ? level : smoothedDecibels + 0.1 * (level - smoothedDecibels)
        let floor = floorDecibels.isNaN ? smoothedDecibels : floorDecibels
        let voice = level >= floor + options.marginDecibels && level >= options.minimumDecibels
        floorDecibels =
            smoothedDecibels < floor ? smoothedDecibels : min(smoothedDecibels, floor + riseDecibelsPerBlock)
        if voice {
            blocksSinceVoice = 0
            voiceBlocks += 1
        } else if blocksSinceVoice < Int.max {
            blocksSinceVoice += 1
        }
        let isOpen = blocksSinceVoice <= holdBlocks
        if isOpen { openBlocks += 1 }
        open[decidedBlocks & (open.count - 1)] = isOpen
        decidedBlocks += 1
        filled = 0
    }

    /// Whether the gate is open at stream sample `sample`: the decision of the last block that ends at or before it
    /// (decided once the sample has arrived, whatever the reads), closed before the first block, open when the
    /// block has left the ring.
    func isOpen(atSample sample: Int) -> Bool {
        let block = (sample + 1) / blockSamples - 1
        guard block >= 0 else { return false }
        guard block < decidedBlocks else { return decidedBlocks > 0 && open[(decidedBlocks - 1) & (open.count - 1)] }
        guard decidedBlocks - block <= open.count else { return true }
        return open[block & (open.count - 1)]
    }
}

/// The most recent rows of a model's input while its gate is closed: run from the initial state when the gate
/// opens, so the model does not start cold on the first voiced frame. Allocated once.
final class PreRollRows {
    let capacity: Int
    let width: Int
    let outputWidth: Int
    /// [capacity, width], in arrival order from `oldest` (a ring).
    private let rows: UnsafeMutableBufferPointer<Float>
    /// [capacity, width] the rows in order, for the runner, and its outputs (discarded).
    let ordered: UnsafeMutableBufferPointer<Float>
    let outputs: UnsafeMutableBufferPointer<Float>
    private(set) var count = 0
    private var next = 0

    init(capacity: Int, width: Int, outputWidth: Int) {
        self.capacity = capacity
        self.width = width
        self.outputWidth = outputWidth
        rows = .allocate(capacity: max(1, capacity * width))
        rows.initialize(repeating: 0)
        ordered = .allocate(capacity: max(1, capacity * width))
        ordered.initialize(repeating: 0)
        outputs = .allocate(capacity: max(1, capacity * outputWidth))
        outputs.initialize(repeating: 0)
    }

    deinit {
        rows.deallocate()
        ordered.deallocate()
        outputs.deallocate()
    }

    func push(_ row: UnsafePointer<Float>) {
        guard capacity > 0 else { return }
        (rows.baseAddress! + next * width).update(from: row, count: width)
        next = next + 1 == capacity ? 0 : next + 1
        count = min(count + 1, capacity)
    }

    /// The kept rows, oldest first, into `ordered`; returns how many. Empties the ring.
    func takeOrdered() -> Int {
        let n = count
        let oldest = (next - n + capacity) % max(1, capacity)
        for k in 0..<n {
            (ordered.baseAddress! + k * width).update(
                from: rows.baseAddress! + ((oldest + k) % capacity) * width, count: width)
        }
        count = 0
        return n
    }
}
