// The NATS C client (libnats-dev, pkg-config libnats): core NATS, JetStream and its key-value store.
#include <nats/nats.h>
