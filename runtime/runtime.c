/* runtime.c -- process-wide runtime entry points (version; later init and signal setup). */
#include "kiln/kiln.h"

#define KILN_STR2(x) #x
#define KILN_STR(x) KILN_STR2(x)

__attribute__((visibility("default"))) const char *kiln_runtime_version(void)
{
    return KILN_STR(KILN_VERSION_MAJOR) "." KILN_STR(KILN_VERSION_MINOR) "." KILN_STR(
        KILN_VERSION_PATCH);
}
