import GrustreamKernels

/// Zero-filled, 64-byte aligned float buffers handed out by a bump allocator and freed together.
/// Runners allocate all their scratch here at init so that a step never touches the heap.
final class FloatScratch {
    private var blocks: [UnsafeMutableRawPointer] = []

    /// A new zero-filled buffer of `count` floats (at least 16), valid until this object is freed.
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = paddedWidth(max(count, 16))
        let raw = UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 64)
        blocks.append(raw)
        let p = raw.bindMemory(to: Float.self, capacity: n)
        p.initialize(repeating: 0, count: n)
        return p
    }

    deinit { for block in blocks { block.deallocate() } }
}
