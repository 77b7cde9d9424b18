// libFuzzer's driver, for grustream-fuzz. The symbol comes from the runtime that `-sanitize=fuzzer` links;
// the declaration alone links nothing, so ordinary builds of grustream-fuzz need no fuzzer runtime.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
