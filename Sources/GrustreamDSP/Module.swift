import CFFTW
// Framing, windows, FFT, mel, MFCC, sensor bands, normalisation.
