/* micro_kiln.c -- Kiln's side of the microbenchmarks (bench/micro/run.sh).
 *
 *   instantiate  kiln_pool_instantiate from a warm module pool, the instance ready to call
 *                (batches of 64 live instances; freeing them is outside the timed part)
 *   cycle        kiln_pool_instantiate + micro_empty() + kiln_instance_free
 *   call         the empty export through the generated wrapper (kiln_invoke), and through
 *                kiln_call with a funcref (signature-checked, kiln_val arrays)
 *   trap         a call that executes `unreachable` and returns KILN_TRAP_UNREACHABLE
 *   instantiate_4seg, cycle_4seg, instantiate_1mib, cycle_1mib
 *                instantiate and cycle for the data-heavy modules of data_wat.py: four 1 KiB
 *                segments spread over one page, and 1 MiB of data
 *   yield_resume a task's host import yields and the host resumes it (yield.wat's count):
 *                two stack switches, the host call and its value conversions (docs/yield.md)
 *   task         kiln_task_start of a call that returns at once (yield.wat's seven) +
 *                kiln_task_free: a stack from the pool and back
 *   host_call    one call of a host function from wasm (hostcall.wat's loop, per iteration):
 *                kiln_adapter, a kiln_host_func through the generic adapter (values packed
 *                into 16-byte slots, kiln_host_call, kiln_val arrays); kiln_typed, the same
 *                import sealed to a typed C function the code calls directly (docs/abi.md)
 *   access_sum_KIND, access_hist_KIND
 *                access.wat.in's loops (one round over 256 KiB: a load per word; a byte
 *                histogram, a load and a data-dependent load and store per byte) in a memory of
 *                each KIND: i32 (guard pages, the default), checked (--bounds-checks), i64
 *                (memory64) and bytes (1-byte pages); every kind must compute the same sums
 *
 * Every operation's status is checked, and every instance's data where the module has data
 * outside the measured loops; a failure exits with status 1.
 */
#include "data1mib.h"
#include "data4seg.h"
#include "hostcall_dynamic.h"
#include "hostcall_sealed.h"
#include "micro.h"
#include "micro_util.h"
#include "access_bytes.h"
#include "access_checked.h"
#include "access_i32.h"
#include "access_i64.h"
#include "yielder.h"

#include <string.h>

#define LIVE 64

typedef kiln_trap (*empty_fn)(kiln_instance *inst);
typedef kiln_trap (*read_fn)(kiln_instance *inst, int32_t at, int32_t *out);

/* A data module: its exports and where data_wat.py put its segments. */
typedef struct data_module {
    const char *name;
    const kiln_module *module;
    empty_fn empty;
    read_fn read;
    uint32_t segments, first, stride, size;
} data_module;

/* Every segment's first and last byte, as data_wat.py wrote them. */
static void check_data(const data_module *d, kiln_instance *inst)
{
    for (uint32_t k = 0; k < d->segments; k++) {
        uint32_t at = d->first + k * d->stride;
        int32_t first = -1, last = -1;
        if (d->read(inst, (int32_t)at, &first) != KILN_TRAP_NONE ||
            d->read(inst, (int32_t)(at + d->size - 1), &last) != KILN_TRAP_NONE ||
            first != micro_data_byte(1 + k, 0) || last != micro_data_byte(1 + k, d->size - 1))
            micro_fail("data segment not in place");
    }
}

static void measure_data(const data_module *d)
{
    kiln_pool_config cfg = {.slots = 256};
    kiln_pool *pool = NULL;
    if (kiln_module_pool_new(d->module, &cfg, &pool) != KILN_STATUS_OK)
        micro_fail(kiln_last_error());
    kiln_instance *insts[LIVE];
    double samples[MICRO_SAMPLES];
    char name[64];
    for (int round = 0; round < 32; round++) {
        for (int i = 0; i < LIVE; i++)
            if (kiln_pool_instantiate(pool, NULL, &insts[i], NULL) != KILN_STATUS_OK)
                micro_fail(kiln_last_error());
        for (int i = 0; i < LIVE; i++) {
            if (round == 0)
                check_data(d, insts[i]);
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
    snprintf(name, sizeof name, "instantiate_%s", d->name);
    micro_report(name, "kiln", LIVE, samples);

    const long cycles = 500;
    MICRO_MEASURE(
        samples, cycles, (void)0,
        {
            for (long i = 0; i < cycles; i++) {
                kiln_instance *inst = NULL;
                failures += kiln_pool_instantiate(pool, NULL, &inst, NULL) != KILN_STATUS_OK;
                failures += d->empty(inst) != KILN_TRAP_NONE;
                kiln_instance_free(inst);
            }
        },
        (void)0);
    if (failures)
        micro_fail("instantiate + call + free failed");
    snprintf(name, sizeof name, "cycle_%s", d->name);
    micro_report(name, "kiln", cycles, samples);

    /* The slots the measurements cycled are still as fresh. */
    if (kiln_pool_instantiate(pool, NULL, &insts[0], NULL) != KILN_STATUS_OK)
        micro_fail(kiln_last_error());
    check_data(d, insts[0]);
    kiln_instance_free(insts[0]);
    kiln_pool_free(pool);
}

/* One memory kind of access.wat.in. */
typedef struct access_module {
    const char *name;
    const kiln_module *module;
    kiln_trap (*fill)(kiln_instance *);
    kiln_trap (*sum)(kiln_instance *, int32_t, int32_t *);
    kiln_trap (*hist)(kiln_instance *, int32_t, int32_t *);
} access_module;

static void measure_access(void)
{
    static const access_module kinds[] = {
        {"i32", &access_i32_module, access_i32_fill, access_i32_sum, access_i32_hist},
        {"checked", &access_checked_module, access_checked_fill, access_checked_sum,
         access_checked_hist},
        {"i64", &access_i64_module, access_i64_fill, access_i64_sum, access_i64_hist},
        {"bytes", &access_bytes_module, access_bytes_fill, access_bytes_sum, access_bytes_hist},
    };
    int32_t want_sum = 0, want_hist = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        const access_module *a = &kinds[k];
        kiln_instance *inst = NULL;
        int32_t sum = 0, hist = 0;
        if (kiln_instance_new(a->module, NULL, &inst) != KILN_STATUS_OK)
            micro_fail(kiln_last_error());
        if (a->fill(inst) != KILN_TRAP_NONE || a->sum(inst, 1, &sum) != KILN_TRAP_NONE ||
            a->hist(inst, 1, &hist) != KILN_TRAP_NONE)
            micro_fail("access: a call trapped");
        if (k == 0) {
            want_sum = sum;
            want_hist = hist;
        } else if (sum != want_sum || hist != want_hist) {
            micro_fail("access: memory kinds compute different results");
        }
        double samples[MICRO_SAMPLES];
        char name[64];
        int failures = 0;
        const int rounds = 16; /* 4 MiB of loads per call */
        MICRO_MEASURE(
            samples, rounds, (void)0, { failures += a->sum(inst, rounds, &sum) != 0; }, (void)0);
        snprintf(name, sizeof name, "access_sum_%s", a->name);
        micro_report(name, "kiln", rounds, samples);
        MICRO_MEASURE(
            samples, rounds, (void)0, { failures += a->hist(inst, rounds, &hist) != 0; }, (void)0);
        snprintf(name, sizeof name, "access_hist_%s", a->name);
        micro_report(name, "kiln", rounds, samples);
        if (failures)
            micro_fail("access: a call trapped");
        kiln_instance_free(inst);
    }
}

static kiln_trap host_yield(void *env, kiln_instance *caller, const kiln_val *args,
                            kiln_val *results)
{
    (void)env;
    kiln_val resumed;
    if (kiln_yield(caller, &args[0], &resumed) != KILN_STATUS_OK)
        return KILN_TRAP_HOST;
    results[0] = resumed;
    return KILN_TRAP_NONE;
}

static void measure_tasks(void)
{
    static const uint8_t i32[] = {KILN_TYPE_I32};
    static const kiln_host_func yield_fn = {host_yield, NULL, 1, 1, i32, i32};
    static const kiln_import items[] = {
        {"env", "yield", {.kind = KILN_KIND_HOST_FUNC, .of.host = &yield_fn}},
    };
    static const kiln_imports imports = {items, 1};
    kiln_instance *inst = NULL;
    kiln_extern count, seven;
    if (kiln_instance_new(&yielder_module, &imports, &inst) != KILN_STATUS_OK ||
        kiln_instance_export(inst, "count", &count) != KILN_STATUS_OK ||
        kiln_instance_export(inst, "seven", &seven) != KILN_STATUS_OK)
        micro_fail(kiln_last_error());
    double samples[MICRO_SAMPLES];
    int failures = 0;

    kiln_val n = {.type = KILN_TYPE_I32, .of.i32 = INT32_MAX};
    kiln_task *task = NULL;
    if (kiln_task_start(NULL, inst, count.of.func, &n, 1, &task) != KILN_STATUS_OK)
        micro_fail(kiln_last_error());
    const long resumes = 20000;
    kiln_val one = {.type = KILN_TYPE_I32, .of.i32 = 1};
    MICRO_MEASURE(
        samples, resumes, (void)0,
        {
            for (long i = 0; i < resumes; i++)
                failures += kiln_task_resume(task, &one) != KILN_STATUS_OK;
        },
        (void)0);
    if (failures || kiln_task_get_state(task) != KILN_TASK_SUSPENDED)
        micro_fail("yield/resume failed");
    micro_report("yield_resume", "kiln", resumes, samples);
    kiln_task_free(task);

    const long tasks = 5000;
    MICRO_MEASURE(
        samples, tasks, (void)0,
        {
            for (long i = 0; i < tasks; i++) {
                kiln_task *t = NULL;
                failures +=
                    kiln_task_start(NULL, inst, seven.of.func, NULL, 0, &t) != KILN_STATUS_OK ||
                    kiln_task_results(t, NULL) == NULL || kiln_task_results(t, NULL)[0].of.i32 != 7;
                kiln_task_free(t);
            }
        },
        (void)0);
    if (failures)
        micro_fail("task start + finish failed");
    micro_report("task", "kiln", tasks, samples);
    kiln_instance_free(inst);
}

static kiln_trap host_inc(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)env;
    (void)caller;
    results[0].of.i32 = args[0].of.i32 + 1;
    return KILN_TRAP_NONE;
}

static void measure_host_calls(void)
{
    static const uint8_t i32[] = {KILN_TYPE_I32};
    static const kiln_host_func inc = {host_inc, NULL, 1, 1, i32, i32};
    const kiln_import items[] = {
        {"bench", "inc", {.kind = KILN_KIND_HOST_FUNC, .of.host = &inc}},
    };
    const kiln_imports imports = {items, 1};
    kiln_instance *dynamic = NULL, *sealed = NULL;
    if (kiln_instance_new(&hostcall_dynamic_module, &imports, &dynamic) != KILN_STATUS_OK ||
        kiln_instance_new(&hostcall_sealed_module, NULL, &sealed) != KILN_STATUS_OK)
        micro_fail(kiln_last_error());
    const int32_t calls = 100000;
    double samples[MICRO_SAMPLES];
    int failures = 0;
    int32_t r = 0;
    MICRO_MEASURE(
        samples, calls, (void)0,
        { failures += hostcall_dynamic_run(dynamic, calls, &r) != KILN_TRAP_NONE || r != calls; },
        (void)0);
    if (failures)
        micro_fail("host call through the adapter failed");
    micro_report("host_call", "kiln_adapter", calls, samples);
    MICRO_MEASURE(
        samples, calls, (void)0,
        { failures += hostcall_sealed_run(sealed, calls, &r) != KILN_TRAP_NONE || r != calls; },
        (void)0);
    if (failures)
        micro_fail("typed host call failed");
    micro_report("host_call", "kiln_typed", calls, samples);
    kiln_instance_free(dynamic);
    kiln_instance_free(sealed);
}

int main(int argc, char **argv)
{
    /* micro_kiln host_call: that measurement alone. */
    if (argc > 1 && strcmp(argv[1], "host_call") == 0) {
        measure_host_calls();
        return 0;
    }
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

    measure_data(&(data_module){"4seg", &data4seg_module, data4seg_empty, data4seg_read, 4, 1024,
                                16384, 1024});
    measure_data(&(data_module){"1mib", &data1mib_module, data1mib_empty, data1mib_read, 16, 1024,
                                65536, 65536});
    measure_tasks();
    measure_access();
    measure_host_calls();
    return 0;
}
