// Single-precision FFTW 3 (libfftw3-dev, pkg-config fftw3f).
// <complex.h> is deliberately not included first: fftwf_complex stays float[2] → (Float, Float).
#include <fftw3.h>
