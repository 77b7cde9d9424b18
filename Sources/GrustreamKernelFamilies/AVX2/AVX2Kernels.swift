import GrustreamKernelInterface

/// The avx2 family's entry points (the kernel sources in Shared, compiled with this target's flags in Package.swift).
package let avx2Kernels = makeKernelTable()
