/* runtime.c -- process-wide facts about the runtime: its version.
 *
 * Everything else lives in one file per concern: os_posix.c (address space), signal_posix.c
 * (fault handling, kiln_runtime_init), trap.c (entries and traps), sig.c (signature ids),
 * memory.c / table.c (memories, tables and the ABI's bulk operations), module.c (descriptor
 * checks), pool.c (pools and slots), call.c (calls) and instance.c (instantiation);
 * runtime_impl.h lists the order they call each other in. Calls nothing.
 */
#include "runtime_impl.h"

#define KILN_STR2(x) #x
#define KILN_STR(x)  KILN_STR2(x)

KILN_API const char *kiln_runtime_version(void)
{
    return KILN_STR(KILN_VERSION_MAJOR) "." KILN_STR(KILN_VERSION_MINOR) "." KILN_STR(
        KILN_VERSION_PATCH);
}
