// The CPU's feature bits and the register state the OS saves, for choosing the kernel family at run time.
// x86-64 only: other architectures run the baseline kernels and never include these.
#include <stdint.h>

#if defined(__x86_64__)
#include <cpuid.h>

// regs[0..3] = eax, ebx, ecx, edx of cpuid(leaf, subleaf); returns 0 when the leaf is beyond the CPU's maximum.
static inline int grustream_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *regs) {
    return __get_cpuid_count(leaf, subleaf, &regs[0], &regs[1], &regs[2], &regs[3]);
}

// XCR0: the register state the OS saves and restores (bits 1-2 SSE/AVX, 5-7 AVX-512). Only valid when
// cpuid(1).ecx bit 27 (OSXSAVE) is set.
static inline uint64_t grustream_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}
#endif
