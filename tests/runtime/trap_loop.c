/* trap_loop.c -- traps are cheap, clean and repeatable with compiled code.
 *
 * Links the compiled traps.wat (prefix traps) with libkiln_runtime and checks, for each of
 * three trap kinds -- an out-of-bounds store caught by the MMU, an integer division by zero
 * (an explicit check), and stack exhaustion (the prologue check) -- that 100,000 traps in a
 * loop each come back as the right kiln_trap value, that the instance keeps working after
 * them, and that resident memory does not grow (measured from /proc/self/statm after a
 * warm-up). Then stack exhaustion on a thread with a 64 KiB stack must also be a clean trap.
 * Run by ctest as traps.loop, in the sanitizer build too. Checks: tests/lib/check.h.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/check.h"
#include "traps.h"

#define ITERATIONS 100000
#define WARMUP     2000
/* Resident memory may grow by at most this much per trap kind. Under AddressSanitizer the
 * shadow of every stack page a trap path touched (and its allocator's quarantine) counts too:
 * bounded, but ~1 MiB for an 8 MiB stack, so it gets more room. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KILN_TEST_ASAN 1
#endif
#endif
#ifdef KILN_TEST_ASAN
#define MAX_GROWTH_KIB 4096
#else
#define MAX_GROWTH_KIB 1024
#endif

static long resident_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

typedef kiln_trap (*trap_fn)(kiln_instance *inst, int i);

static kiln_trap oob_store(kiln_instance *inst, int i)
{
    return traps_store(inst, 65536 - 3 + (i % 7) * 4096, i); /* every one out of bounds */
}

static kiln_trap div_zero(kiln_instance *inst, int i)
{
    int32_t r;
    return traps_div(inst, i, 0, &r);
}

static kiln_trap exhaust(kiln_instance *inst, int i)
{
    int64_t r;
    (void)i;
    return traps_down(inst, INT64_C(1) << 40, &r);
}

static void loop(kiln_instance *inst, const char *what, trap_fn fn, kiln_trap want)
{
    long before = 0;
    int wrong = 0;
    for (int i = 0; i < ITERATIONS; i++) {
        if (i == WARMUP)
            before = resident_kib();
        kiln_trap t = fn(inst, i);
        if (t != want && wrong++ < 5)
            CHECK_MSG(false, "%s #%d: got trap %d (%s), want %d (%s)", what, i, t,
                      kiln_trap_message(t), want, kiln_trap_message(want));
    }
    long after = resident_kib();
    CHECK_MSG(before > 0 && after > 0, "%s: cannot read /proc/self/statm", what);
    CHECK_MSG(after - before <= MAX_GROWTH_KIB, "%s: resident memory grew by %ld KiB over %d traps",
              what, after - before, ITERATIONS - WARMUP);

    /* The instance is still usable: memory, arithmetic and calls work. */
    int32_t v = 0;
    CHECK_MSG(traps_store(inst, 100, 0x12345678) == KILN_TRAP_NONE, "%s: store after traps", what);
    CHECK_MSG(traps_load(inst, 100, &v) == KILN_TRAP_NONE && v == 0x12345678,
              "%s: load after traps gave %d", what, v);
    CHECK_MSG(traps_div(inst, 42, 6, &v) == KILN_TRAP_NONE && v == 7, "%s: div after traps", what);
    int64_t d = 0;
    CHECK_MSG(traps_down(inst, 1000, &d) == KILN_TRAP_NONE && d == 1000, "%s: down(1000) = %lld",
              what, (long long)d);
    printf("%s: %d traps, resident %+ld KiB\n", what, ITERATIONS, after - before);
}

static void *small_stack_thread(void *arg)
{
    kiln_instance *inst = arg;
    static kiln_trap t[2];
    int64_t r = 0;
    t[0] = traps_down(inst, INT64_C(1) << 40, &r);
    t[1] = traps_down(inst, 100, &r);
    t[1] = t[1] == KILN_TRAP_NONE && r == 100 ? KILN_TRAP_NONE : KILN_TRAP_HOST;
    return t;
}

int main(void)
{
    kiln_pool_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.slots = 4;
    cfg.stack_size = 256 * 1024; /* keeps each exhaustion trap quick */
    kiln_pool *pool;
    kiln_status s = kiln_pool_new(&cfg, &pool);
    if (s != KILN_STATUS_OK) {
        fprintf(stderr, "kiln_pool_new: %s\n", kiln_status_message(s));
        return 1;
    }
    kiln_instance *inst;
    kiln_trap trap = KILN_TRAP_NONE;
    s = kiln_instance_new_in(pool, &traps_module, NULL, &inst, &trap);
    if (s != KILN_STATUS_OK) {
        fprintf(stderr, "kiln_instance_new_in: %s: %s\n", kiln_status_message(s),
                kiln_last_error());
        return 1;
    }

    loop(inst, "out-of-bounds store", oob_store, KILN_TRAP_MEMORY_OOB);
    loop(inst, "integer divide by zero", div_zero, KILN_TRAP_INT_DIV_ZERO);
    loop(inst, "call stack exhausted", exhaust, KILN_TRAP_STACK_EXHAUSTED);

    pthread_attr_t attr;
    pthread_t th;
    void *res = NULL;
    pthread_attr_init(&attr);
    /* 64 KiB, or the platform's minimum if larger (aarch64 glibc: 128 KiB). */
    long min = sysconf(_SC_THREAD_STACK_MIN);
    pthread_attr_setstacksize(&attr, min > 64 * 1024 ? (size_t)min : 64 * 1024);
    CHECK_MSG(pthread_create(&th, &attr, small_stack_thread, inst) == 0, "pthread_create");
    CHECK_MSG(pthread_join(th, &res) == 0, "pthread_join");
    pthread_attr_destroy(&attr);
    const kiln_trap *t = res;
    CHECK_MSG(t && t[0] == KILN_TRAP_STACK_EXHAUSTED, "64 KiB thread: got trap %d (%s)",
              t ? (int)t[0] : -1, t ? kiln_trap_message(t[0]) : "-");
    CHECK_MSG(t && t[1] == KILN_TRAP_NONE, "64 KiB thread: the instance failed after the trap");

    kiln_instance_free(inst);
    kiln_pool_free(pool);
    return check_finish();
}
