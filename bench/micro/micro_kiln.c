/* micro_kiln.c -- Kiln's side of the microbenchmarks (bench/micro/run.sh).
 *
 *   instantiate  kiln_pool_instantiate from a warm module pool, the instance ready to call
 *                (batches of 64 live instances; freeing them is outside the timed part)
 *   cycle        kiln_pool_instantiate + micro_empty() + kiln_instance_free
 *   call         the empty export through the generated wrapper (kiln_invoke), and through
 *                kiln_call with a funcref (signature-checked, kiln_val arrays)
 *   trap         a call that executes `unreachable` and returns KILN_TRAP_UNREACHABLE
 *
 * Every operation's status is checked; a failure exits with status 1.
 */
#include "micro.h"
#include "micro_util.h"

#define LIVE 64

int main(void)
{
    kiln_pool_config cfg = {.slots = 256};
    kiln_pool *pool = NULL;
    if (kiln_module_pool_new(&micro_module, &cfg, &pool) != KILN_STATUS_OK)
        micro_fail(kiln_last_error());
    kiln_instance *insts[LIVE];
    double samples[MICRO_SAMPLES];

    /* Warm the slots the measurements use: each instantiated and freed many times. */
    for (int round = 0; round < 32; round++) {
        for (int i = 0; i < LIVE; i++)
            if (kiln_pool_instantiate(pool, NULL, &insts[i], NULL) != KILN_STATUS_OK)
                micro_fail(kiln_last_error());
        for (int i = 0; i < LIVE; i++) {
            int32_t byte = 0;
            if (micro_read(insts[i], 1, &byte) != KILN_TRAP_NONE || byte != 'b')
                micro_fail("data segment not in place");
            kiln_instance_free(insts[i]);
        }
    }

    int failures = 0;
    MICRO_MEASURE(
        samples, LIVE, (void)0,
        {
            for (int i = 0; i < LIVE; i++)
                failures += kiln_pool_instantiate(pool, NULL, &insts[i], NULL) != KILN_STATUS_OK;
        },
        {
            for (int i = 0; i < LIVE; i++)
                kiln_instance_free(insts[i]);
        });
    if (failures)
        micro_fail("instantiate failed");
    micro_report("instantiate", "kiln", LIVE, samples);

    const long cycles = 500;
    MICRO_MEASURE(
        samples, cycles, (void)0,
        {
            for (long i = 0; i < cycles; i++) {
                kiln_instance *inst = NULL;
                failures += kiln_pool_instantiate(pool, NULL, &inst, NULL) != KILN_STATUS_OK;
                failures += micro_empty(inst) != KILN_TRAP_NONE;
                kiln_instance_free(inst);
            }
        },
        (void)0);
    if (failures)
        micro_fail("instantiate + call + free failed");
    micro_report("cycle", "kiln", cycles, samples);

    kiln_instance *inst = NULL;
    if (kiln_pool_instantiate(pool, NULL, &inst, NULL) != KILN_STATUS_OK)
        micro_fail(kiln_last_error());
    const long calls = 20000;
    MICRO_MEASURE(
        samples, calls, (void)0,
        {
            for (long i = 0; i < calls; i++)
                failures += micro_empty(inst) != KILN_TRAP_NONE;
        },
        (void)0);
    if (failures)
        micro_fail("call failed");
    micro_report("call", "kiln", calls, samples);

    kiln_extern empty;
    if (kiln_instance_export(inst, "empty", &empty) != KILN_STATUS_OK)
        micro_fail("no export \"empty\"");
    MICRO_MEASURE(
        samples, calls, (void)0,
        {
            for (long i = 0; i < calls; i++)
                failures += kiln_call(inst, empty.of.func, NULL, 0, NULL, 0) != KILN_TRAP_NONE;
        },
        (void)0);
    if (failures)
        micro_fail("kiln_call failed");
    micro_report("call", "kiln_call", calls, samples);

    const long traps = 5000;
    MICRO_MEASURE(
        samples, traps, (void)0,
        {
            for (long i = 0; i < traps; i++)
                failures += micro_trap(inst) != KILN_TRAP_UNREACHABLE;
        },
        (void)0);
    if (failures)
        micro_fail("trap round trip failed");
    micro_report("trap", "kiln", traps, samples);

    kiln_instance_free(inst);
    kiln_pool_free(pool);
    return 0;
}
