/// Finiteness checks for the hot path: a vector reduction, no branch per value, no allocation.
public enum NumericHealth {
    /// True when none of `x[0..<count]` is NaN or ±Inf. One pass taking the integer maximum of the values'
    /// magnitude bits (the compiler vectorises it): a float is non-finite exactly when its exponent bits are all
    /// ones, i.e. when its magnitude bits are ≥ 0x7F80_0000.
    @inline(__always)
    public static func allFinite(_ x: UnsafePointer<Float>, _ count: Int) -> Bool {
        x.withMemoryRebound(to: UInt32.self, capacity: count) { bits in
            var largest: UInt32 = 0
            for i in 0..<count { largest = max(largest, bits[i] & 0x7FFF_FFFF) }
            return largest < 0x7F80_0000
        }
    }
}
