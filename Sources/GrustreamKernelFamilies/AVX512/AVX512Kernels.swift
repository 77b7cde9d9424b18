import GrustreamKernelInterface

/// The avx512 family's entry points (the kernel sources in Shared, compiled with this target's flags in Package.swift).
package let avx512Kernels = makeKernelTable()
