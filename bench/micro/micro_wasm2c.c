/* micro_wasm2c.c -- the same module through wasm2c (Debian's wabt) for comparison: its
 * runtime (wasm-rt-impl.c) with guard pages, as a wasm2c host would use it.
 *
 *   cycle  Z_micro_instantiate + Z_microZ_empty + Z_micro_free (each instance reserves and
 *          frees its own guarded memory, copies its data segment, allocates its table)
 *   call   Z_microZ_empty under wasm_rt_impl_try (what a host needs to catch traps)
 *   trap   Z_microZ_trap under wasm_rt_impl_try, returning WASM_RT_TRAP_UNREACHABLE
 */
#include "micro_util.h"
#include "micro_w2c.h"
#include "wasm-rt-impl.h"

int main(void)
{
    wasm_rt_init();
    Z_micro_init_module();
    double samples[MICRO_SAMPLES];
    volatile int failures = 0;

    const long cycles = 20;
    MICRO_MEASURE(
        samples, cycles, (void)0,
        {
            for (long i = 0; i < cycles; i++) {
                Z_micro_instance_t inst;
                Z_micro_instantiate(&inst);
                Z_microZ_empty(&inst);
                Z_micro_free(&inst);
            }
        },
        (void)0);
    micro_report("cycle", "wasm2c", cycles, samples);

    static Z_micro_instance_t inst;
    Z_micro_instantiate(&inst);
    if (Z_microZ_read(&inst, 1) != 'b')
        micro_fail("data segment not in place");
    const long calls = 2000;
    MICRO_MEASURE(
        samples, calls, (void)0,
        {
            for (long i = 0; i < calls; i++) {
                wasm_rt_trap_t code = wasm_rt_impl_try();
                if (code == WASM_RT_TRAP_NONE)
                    Z_microZ_empty(&inst);
                else
                    failures++;
            }
        },
        (void)0);
    if (failures)
        micro_fail("call failed");
    micro_report("call", "wasm2c", calls, samples);

    const long traps = 1000;
    MICRO_MEASURE(
        samples, traps, (void)0,
        {
            for (long i = 0; i < traps; i++) {
                wasm_rt_trap_t code = wasm_rt_impl_try();
                if (code == WASM_RT_TRAP_NONE)
                    Z_microZ_trap(&inst);
                else
                    failures += code != WASM_RT_TRAP_UNREACHABLE;
            }
        },
        (void)0);
    if (failures)
        micro_fail("trap round trip failed");
    micro_report("trap", "wasm2c", traps, samples);

    Z_micro_free(&inst);
    wasm_rt_free();
    return 0;
}
