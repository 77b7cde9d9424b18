/// Fixed FFTW plans for the common transform sizes, so that plans are fast (as `FFTW_MEASURE` finds them) and yet
/// the same in every run: `FFTW_MEASURE` times candidate plans at start-up and may choose differently from run
/// to run (seen here for n = 2048), which would change results in the last bits between runs.
///
/// The wisdom below was measured once (`fftwf_plan_dft_r2c_1d(n, in, out, FFTW_MEASURE)`, out of place,
/// `fftwf_alloc_*` buffers, n = 256, 512, 1024, 2048, 4096; FFTW 3.3.10, Intel Xeon Skylake-SP, AVX2 codelets)
/// and is imported once per process; `RealFFT` plans with `FFTW_MEASURE | FFTW_WISDOM_ONLY`, i.e. only from this
/// wisdom, and falls back to `FFTW_ESTIMATE` when it does not apply (another size, another FFTW version, or
/// a CPU without the codelets' SIMD). Callgrind on the Kaldi MFCC frame (n = 512): the estimate plan
/// (`t3fv_16_avx`, `n2fv_16_avx`) costs ~5,000 instructions, the measured one (`n2fv_64_avx`) fewer; ~30 % more
/// frames/s in `grustream bench features --filter kaldi`.
///
/// To regenerate: plan the sizes with `FFTW_MEASURE` in a fresh process on an idle core (`taskset -c 1`), check
/// the plans with `fftwf_sprint_plan` over a few runs, and paste `fftwf_export_wisdom_to_string()`.
enum FFTWWisdom {
    static let measured = """
        (fftw-3.3.10 fftwf_wisdom #x9e7d4dee #xdb14fed1 #x34bf76a4 #xeb6e8fdf
          (fftwf_codelet_hc2cfdftv_16_sse2 0 #x11bdd #x11bdd #x0 #x3f67885c #x1d118905 #x1b4c027b #x7ecffc87)
          (fftwf_codelet_r2cfII_8 2 #x11bdd #x11bdd #x0 #x23fb2e26 #x3fe4d3f4 #x78d7c0db #xaba9deb1)
          (fftwf_codelet_r2cf_16 2 #x11bdd #x11bdd #x0 #x47d0a12e #xc910d204 #x3dc4a7f4 #x4c581c0f)
          (fftwf_codelet_n2fv_16_avx 0 #x11bdd #x11bdd #x0 #xf246dd1d #x433be1dd #x669fbc87 #xe433ec82)
          (fftwf_codelet_r2cf_2 2 #x11bdd #x11bdd #x0 #xfe444ab2 #x3f245c61 #x5e91f2fc #xe780a02d)
          (fftwf_codelet_n2fv_64_avx 0 #x11bdd #x11bdd #x0 #x60f7dd6b #xe5962c71 #x960dc0f4 #x2fbec2ab)
          (fftwf_codelet_n2fv_64_avx 0 #x11bdd #x11bdd #x0 #x03406dff #xc8fa0a2c #x62a9a61e #xa394d874)
          (fftwf_codelet_r2cfII_8 2 #x11bdd #x11bdd #x0 #x76fa2a50 #xf4668261 #xbf8b003e #xbfa64206)
          (fftwf_codelet_hc2cfdft_2 0 #x11bdd #x11bdd #x0 #x42ead677 #x86451fba #xaefc212f #xfe3ad2af)
          (fftwf_codelet_r2cf_8 2 #x11bdd #x11bdd #x0 #xaae37515 #xc366903c #xc804fee2 #x44fc70a7)
          (fftwf_codelet_r2cf_8 2 #x11bdd #x11bdd #x0 #xe75b944c #x09ac1906 #x449b29ce #x7b6666b0)
          (fftwf_codelet_hc2cfdftv_8_sse2 0 #x11bdd #x11bdd #x0 #x4bb69ce7 #x4599107c #x14ecc846 #x282ba2c3)
          (fftwf_codelet_hc2cfdftv_8_sse2 0 #x11bdd #x11bdd #x0 #x85773c49 #x9a968ccc #xbd37e819 #xac77e6a4)
          (fftwf_codelet_r2cfII_2 2 #x11bdd #x11bdd #x0 #x762c26e8 #xabff79e3 #x3a063506 #x18c57a3c)
          (fftwf_codelet_n2fv_64_avx 0 #x11bdd #x11bdd #x0 #xb8f48902 #x3e3cffd5 #x0902e318 #xff82254a)
          (fftwf_codelet_hc2cfdft_2 0 #x11bdd #x11bdd #x0 #xc447d79d #x3bb36c12 #x2e7c8386 #xc241521c)
          (fftwf_codelet_r2cfII_16 2 #x11bdd #x11bdd #x0 #xe7fc0162 #x17132a32 #x3dd3993f #xb8e0890f)
          (fftwf_codelet_n2fv_32_avx 0 #x11bdd #x11bdd #x0 #x12d24524 #x289b57fa #x2bd8cbf3 #xaac91103)
          (fftwf_codelet_r2cf_2 2 #x11bdd #x11bdd #x0 #xc4589152 #x2c904887 #x3df0c9d3 #x054d1070)
          (fftwf_codelet_t2fv_64_avx 0 #x11bdd #x11bdd #x0 #xc6ca45ce #xf08c5f4a #x61a53ade #xe5e374c8)
          (fftwf_codelet_t2fv_32_avx 0 #x11bdd #x11bdd #x0 #xa5af12be #x8ea95383 #xcd10c847 #xe6812dfa)
          (fftwf_codelet_r2cfII_2 2 #x11bdd #x11bdd #x0 #xf4706e13 #x6e8bbca0 #x9c704b36 #x8e8181fc)
        )

        """
}
