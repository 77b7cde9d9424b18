// ALSA user-space library (libasound2-dev, pkg-config alsa).
#include <alsa/asoundlib.h>
