/* micro_wasm2c.c -- the same modules through wasm2c (Debian's wabt) for comparison: its
 * runtime (wasm-rt-impl.c) with guard pages, as a wasm2c host would use it.
 *
 *   instantiate  Z_micro_instantiate, the instance ready to call (batches of live instances;
 *                freeing them is outside the timed part)
 *   cycle        Z_micro_instantiate + Z_microZ_empty + Z_micro_free (each instance reserves
 *                and frees its own guarded memory, copies its data segments, allocates its
 *                table)
 *   call         Z_microZ_empty under wasm_rt_impl_try (what a host needs to catch traps)
 *   trap         Z_microZ_trap under wasm_rt_impl_try, returning WASM_RT_TRAP_UNREACHABLE
 *   instantiate_4seg, cycle_4seg, instantiate_1mib, cycle_1mib
 *                the same for the data-heavy modules of data_wat.py
 */
#include "data1mib_w2c.h"
#include "data4seg_w2c.h"
#include "micro_util.h"
#include "micro_w2c.h"
#include "wasm-rt-impl.h"

/* measure_M(instantiate, cycle, live, cycles, segments, first, stride, size): instantiate and
 * cycle of wasm2c's module M, its data checked as micro_kiln.c checks it (no segments for
 * micro, whose data is checked in main). */
#define DEFINE_MEASURE(M)                                                                          \
    static void check_##M(Z_##M##_instance_t *inst, uint32_t segments, uint32_t first,             \
                          uint32_t stride, uint32_t size)                                          \
    {                                                                                              \
        for (uint32_t k = 0; k < segments; k++) {                                                  \
            uint32_t at = first + k * stride;                                                      \
            if ((int)Z_##M##Z_read(inst, at) != micro_data_byte(1 + k, 0) ||                       \
                (int)Z_##M##Z_read(inst, at + size - 1) != micro_data_byte(1 + k, size - 1))       \
                micro_fail("data segment not in place");                                           \
        }                                                                                          \
    }                                                                                              \
    static void measure_##M(const char *instantiate, const char *cycle, long live, long cycles,    \
                            uint32_t segments, uint32_t first, uint32_t stride, uint32_t size)     \
    {                                                                                              \
        static Z_##M##_instance_t insts[64];                                                       \
        double samples[MICRO_SAMPLES];                                                             \
        if (live > 64)                                                                             \
            micro_fail("too many live instances");                                                 \
        MICRO_MEASURE(                                                                             \
            samples, live, (void)0,                                                                \
            {                                                                                      \
                for (long i = 0; i < live; i++)                                                    \
                    Z_##M##_instantiate(&insts[i]);                                                \
            },                                                                                     \
            {                                                                                      \
                for (long i = 0; i < live; i++) {                                                  \
                    check_##M(&insts[i], segments, first, stride, size);                           \
                    Z_##M##_free(&insts[i]);                                                       \
                }                                                                                  \
            });                                                                                    \
        micro_report(instantiate, "wasm2c", live, samples);                                        \
        MICRO_MEASURE(                                                                             \
            samples, cycles, (void)0,                                                              \
            {                                                                                      \
                for (long i = 0; i < cycles; i++) {                                                \
                    Z_##M##_instance_t inst;                                                       \
                    Z_##M##_instantiate(&inst);                                                    \
                    Z_##M##Z_empty(&inst);                                                         \
                    Z_##M##_free(&inst);                                                           \
                }                                                                                  \
            },                                                                                     \
            (void)0);                                                                              \
        micro_report(cycle, "wasm2c", cycles, samples);                                            \
    }

DEFINE_MEASURE(micro)
DEFINE_MEASURE(data4seg)
DEFINE_MEASURE(data1mib)

int main(void)
{
    wasm_rt_init();
    Z_micro_init_module();
    Z_data4seg_init_module();
    Z_data1mib_init_module();
    double samples[MICRO_SAMPLES];
    volatile int failures = 0;

    measure_micro("instantiate", "cycle", 20, 20, 0, 0, 0, 0);

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

    measure_data4seg("instantiate_4seg", "cycle_4seg", 20, 20, 4, 1024, 16384, 1024);
    measure_data1mib("instantiate_1mib", "cycle_1mib", 8, 8, 16, 1024, 65536, 65536);
    wasm_rt_free();
    return 0;
}
