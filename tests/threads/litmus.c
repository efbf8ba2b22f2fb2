/* litmus.c -- message passing and store buffering over shared memory: litmus [ITERATIONS]
 * (default 1000000 of each).
 *
 * Two threads run each test ITERATIONS times, meeting at a sense-reversing spin barrier (on
 * atomics; it yields after a while, so a descheduled partner costs little) before and after
 * every iteration; thread 0 records the outcome and resets the variables between them.
 *
 *   MP: thread 0: data = 1; flag = 1.       thread 1: f = flag; d = data.
 *       forbidden (by any model with ordered stores and loads): f = 1, d = 0.
 *   SB: thread 0: x = 1; r0 = y.            thread 1: y = 1; r1 = x.
 *       forbidden by sequential consistency: r0 = 0, r1 = 0 (x86's store buffer shows it for
 *       plain or release/acquire accesses; wasm's atomics are sequentially consistent).
 *
 * Every access is an atomic (wasm: i32.atomic.load/store, sequentially consistent). Built
 * with -DLITMUS_WEAK, the accesses are release stores and acquire loads instead: natively
 * SB's forbidden outcome then shows up, in wasm (where the atomics are all seq_cst) it must
 * not. Prints the histograms and "verdict: PASS" (status 0) or "verdict: FAIL" (1).
 */
#include <stdbool.h>

#include "kt.h"

#ifdef LITMUS_WEAK
#define STORE_ORDER __ATOMIC_RELEASE
#define LOAD_ORDER  __ATOMIC_ACQUIRE
#else
#define STORE_ORDER __ATOMIC_SEQ_CST
#define LOAD_ORDER  __ATOMIC_SEQ_CST
#endif

/* Each on its own cache line, as litmus tools lay them out. */
typedef struct {
    int32_t v;
    char pad[60];
} line;
static line data, flag, x, y;
static line out[2]; /* thread 1's two loads */
static line out0[2];

typedef struct spin_barrier {
    int32_t arrived;
    char pad[60];
    int32_t sense;
} spin_barrier;
static spin_barrier barrier;

static uint64_t iterations;
static uint64_t mp[4], sb[4]; /* indexed by (first load << 1) | second load */

static void barrier_wait(int32_t *local_sense)
{
    *local_sense = !*local_sense;
    if (__atomic_add_fetch(&barrier.arrived, 1, __ATOMIC_SEQ_CST) == 2) {
        __atomic_store_n(&barrier.arrived, 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(&barrier.sense, *local_sense, __ATOMIC_SEQ_CST);
        return;
    }
    for (uint32_t spins = 1; __atomic_load_n(&barrier.sense, __ATOMIC_SEQ_CST) != *local_sense;
         spins++)
        if (spins % 256 == 0)
            kt_yield();
}

/* A few iterations of nothing, to shift the threads against each other. */
static void jitter(uint32_t *rng)
{
    *rng ^= *rng << 13;
    *rng ^= *rng >> 17;
    *rng ^= *rng << 5;
    for (uint32_t n = *rng & 7; n > 0; n--)
        __atomic_load_n(&barrier.arrived, __ATOMIC_RELAXED);
}

static void store(line *l, int32_t v)
{
    __atomic_store_n(&l->v, v, STORE_ORDER);
}

static int32_t load(line *l)
{
    return __atomic_load_n(&l->v, LOAD_ORDER);
}

static void *role(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    uint32_t rng = 0x9e3779b9u * (me + 1);
    int32_t sense = 0;
    for (uint64_t i = 0; i < iterations; i++) {
        /* MP */
        barrier_wait(&sense);
        jitter(&rng);
        if (me == 0) {
            store(&data, 1);
            store(&flag, 1);
        } else {
            store(&out[0], load(&flag));
            store(&out[1], load(&data));
        }
        barrier_wait(&sense);
        if (me == 0) {
            mp[(load(&out[0]) << 1) | load(&out[1])]++;
            store(&data, 0);
            store(&flag, 0);
        }
        /* SB */
        barrier_wait(&sense);
        jitter(&rng);
        if (me == 0) {
            store(&x, 1);
            store(&out0[0], load(&y));
        } else {
            store(&y, 1);
            store(&out[0], load(&x));
        }
        barrier_wait(&sense);
        if (me == 0) {
            sb[(load(&out0[0]) << 1) | load(&out[0])]++;
            store(&x, 0);
            store(&y, 0);
        }
    }
    return NULL;
}

int kt_main(int argc, char **argv)
{
    iterations = kt_arg_u64(argc, argv, 1, 1000000);
    kt_thread *t0 = kt_thread_create(role, (void *)0, 0);
    kt_thread *t1 = t0 != NULL ? kt_thread_create(role, (void *)1, 0) : NULL;
    if (t1 == NULL) {
        kt_printf("litmus: cannot start the threads\n");
        return 2;
    }
    kt_thread_join(t0);
    kt_thread_join(t1);
    static const char *const bits[4] = {"0 0", "0 1", "1 0", "1 1"};
    kt_printf("litmus: %llu iterations of each test\n", (unsigned long long)iterations);
    kt_printf("MP (flag data): outcome count\n");
    for (int i = 0; i < 4; i++)
        kt_printf("  %s: %llu%s\n", bits[i], (unsigned long long)mp[i],
                  i == 2 ? "  <- forbidden (flag seen, data not)" : "");
    kt_printf("SB (r0 r1): outcome count\n");
    for (int i = 0; i < 4; i++)
        kt_printf("  %s: %llu%s\n", bits[i], (unsigned long long)sb[i],
                  i == 0 ? "  <- forbidden by sequential consistency" : "");
    bool pass = mp[2] == 0 && sb[0] == 0;
    kt_printf("verdict: %s\n", pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}
