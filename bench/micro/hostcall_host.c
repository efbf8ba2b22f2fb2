/* hostcall_host.c -- the typed host function of the host-call microbenchmark (hostcall.wat
 * compiled with "bench" sealed, prefix hostcall_sealed): a C function the generated code
 * calls directly. In a file of its own, so the benchmark's C compiler cannot inline it. */
#include "hostcall_sealed.h"

kiln_trap hostcall_sealed_import_bench_inc(kiln_instance *caller, void *env, int32_t p0,
                                           int32_t *r0)
{
    (void)caller;
    (void)env;
    *r0 = p0 + 1;
    return KILN_TRAP_NONE;
}
