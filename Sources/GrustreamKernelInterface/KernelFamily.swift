#if arch(x86_64)
    import CCPUID
#endif

/// The kernel builds one binary carries. Each family is the same kernel source compiled for a CPU level
/// (Package.swift): the process runs the fastest one its CPU and OS support, or the one `GRUSTREAM_KERNELS` names.
public enum KernelFamily: String, CaseIterable, Sendable {
    /// Any CPU of the architecture (x86-64: SSE2, 128-bit vectors); `acc += a * b`, a multiply then an add.
    case baseline
    /// x86-64 with AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE (LLVM's `haswell`): 256-bit vectors, fused multiply-adds.
    case avx2
    /// x86-64 with AVX-512 F, CD, BW, DQ, VL on top of the AVX2 family's features (LLVM's `skylake-avx512`):
    /// 512-bit vectors, fused multiply-adds, 8-register GRU blocks.
    case avx512

    /// One line for `inspect` and `bench`.
    public var summary: String {
        switch self {
        case .baseline: "baseline (128-bit vectors, separate multiply and add)"
        case .avx2: "avx2 (AVX2 + FMA: 256-bit vectors, fused multiply-adds)"
        case .avx512: "avx512 (AVX-512 F/CD/BW/DQ/VL + FMA: 512-bit vectors, fused multiply-adds)"
        }
    }

    /// Whether the family's results are the baseline's bit for bit: no, with fused multiply-adds (one rounding
    /// instead of two), they differ in the last bits (each family is still exact with itself).
    public var fusesMultiplyAdd: Bool { self != .baseline }
}

/// What this CPU and its OS can run.
package enum CPUFeatures {
    /// The families this CPU supports with the register state its OS saves, baseline first, fastest last.
    package static let runnableFamilies: [KernelFamily] = {
        #if arch(x86_64)
            var families: [KernelFamily] = [.baseline]
            let x86 = X86Features()
            if x86.hasAVX2Family { families.append(.avx2) }
            if x86.hasAVX2Family && x86.hasAVX512Family { families.append(.avx512) }
            return families
        #else
            return [.baseline]
        #endif
    }()
}

#if arch(x86_64)
    /// cpuid leaves 1, 7 and 0x8000_0001 and XCR0 (read only when the OS has enabled XSAVE: OSXSAVE).
    struct X86Features {
        var leaf1 = (ecx: UInt32(0), edx: UInt32(0))
        var leaf7 = (ebx: UInt32(0), ecx: UInt32(0))
        var extended1ecx: UInt32 = 0
        var xcr0: UInt64 = 0

        init() {
            var regs = [UInt32](repeating: 0, count: 4)
            guard grustream_cpuid(0, 0, &regs) != 0 else { return }
            let maximum = regs[0]
            if grustream_cpuid(1, 0, &regs) != 0 { leaf1 = (regs[2], regs[3]) }
            if maximum >= 7, grustream_cpuid(7, 0, &regs) != 0 { leaf7 = (regs[1], regs[2]) }
            if grustream_cpuid(0x8000_0001, 0, &regs) != 0 { extended1ecx = regs[2] }
            if bit(leaf1.ecx, 27) { xcr0 = grustream_xcr0() }
        }

        func bit(_ register: UInt32, _ index: Int) -> Bool { register & (1 << UInt32(index)) != 0 }

        /// LLVM `haswell`'s instruction sets that code generation may use, and the OS saving xmm and ymm state.
        var hasAVX2Family: Bool {
            let (ecx, ebx) = (leaf1.ecx, leaf7.ebx)
            let sse = bit(ecx, 0) && bit(ecx, 9) && bit(ecx, 19) && bit(ecx, 20) && bit(ecx, 23)  // SSE3, SSSE3, 4.1, 4.2, POPCNT
            let avx = bit(ecx, 12) && bit(ecx, 22) && bit(ecx, 28) && bit(ecx, 29)  // FMA, MOVBE, AVX, F16C
            let leaf7 = bit(ebx, 3) && bit(ebx, 5) && bit(ebx, 8)  // BMI1, AVX2, BMI2
            let lzcnt = bit(extended1ecx, 5)
            let osSavesYMM = bit(ecx, 27) && xcr0 & 0b110 == 0b110
            return sse && avx && leaf7 && lzcnt && osSavesYMM
        }

        /// AVX-512 F, DQ, CD, BW, VL and the OS saving opmask and all 32 zmm registers.
        var hasAVX512Family: Bool {
            let ebx = leaf7.ebx
            let avx512 = bit(ebx, 16) && bit(ebx, 17) && bit(ebx, 28) && bit(ebx, 30) && bit(ebx, 31)
            let osSavesZMM = xcr0 & 0b1110_0110 == 0b1110_0110
            return avx512 && osSavesZMM
        }
    }
#endif
