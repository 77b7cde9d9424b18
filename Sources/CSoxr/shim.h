// The SoX resampler library (libsoxr-dev, pkg-config soxr).
#include <soxr.h>
