/* interrupt_loop.c -- stopping running calls of compiled code (kiln_instance_interrupt).
 *
 * Links interrupt.wat compiled three times with libkiln_runtime: in the default signal mode
 * (prefix intr: a signal stops loops, checks sit at entries and in loops that call), in full
 * mode (prefix full: a check on every back-edge, no signal) and with --no-interrupt-checks
 * (prefix plain). For both interruptible builds, checks that a `loop br` stopped from
 * another thread, by kiln_instance_interrupt and by the epoch advance that reaches a
 * deadline, returns KILN_TRAP_INTERRUPTED within 1 ms of the request, 1,000 times in a row
 * each, counted in the running thread's CPU time (on a loaded machine the thread may wait for
 * a CPU for many milliseconds, which says nothing about Kiln; wall times are reported too);
 * that a recursion without any loop stops too, and so does an endless cycle of tail calls
 * (constant stack, no loop in the Wasm); that the instance computes normally
 * afterwards; that a request made while no call runs stops the next call, and a cancelled one
 * does not; deadlines through manual epochs and through the ticker thread; a request from a
 * signal handler; a host import that waits for the stop; and that a module without checks
 * refuses requests. Checks:
 * tests/lib/check.h. Run by ctest as runtime.interrupt.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../lib/check.h"
#include "full.h"
#include "intr.h"
#include "plain.h"

/* One interruptible build of interrupt.wat: its module and exports. */
typedef struct variant {
    const char *name;
    const kiln_module *module;
    kiln_trap (*spin)(kiln_instance *);
    kiln_trap (*fib)(kiln_instance *, int32_t, int32_t *);
    kiln_trap (*count)(kiln_instance *, int32_t, int32_t *);
    kiln_trap (*sleep_on)(kiln_instance *);
    kiln_trap (*tail_spin)(kiln_instance *);
} variant;

static const variant variants[] = {
    {"signal mode", &intr_module, intr_spin, intr_fib, intr_count, intr_sleep_on, intr_tail_spin},
    {"full mode", &full_module, full_spin, full_fib, full_count, full_sleep_on, full_tail_spin},
};
static const variant *cur; /* the one under test */

#define ROUNDS 1000
/* The bar: every one of ROUNDS requests is answered within this long, on the hardware. Under
 * an emulator (qemu-user: scripts/test-cross.sh sets KILN_TEST_TIME_SCALE=10) code and signal
 * delivery run an order of magnitude slower and less evenly, so the bar scales with it:
 * there the test checks that stopping works, and the latency figures are the hardware's. */
#define MAX_LATENCY_BASE_NS 1000000u
static uint64_t max_latency_ns = MAX_LATENCY_BASE_NS;
#define MAX_LATENCY_NS max_latency_ns

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ---- A thread that interrupts the main thread's call ---- */

typedef struct requester {
    kiln_instance *inst;
    clockid_t caller_cpu;   /* the calling thread's CPU-time clock */
    uint64_t delay_ns;      /* after the call started */
    int by_deadline;        /* stop by kiln_epoch_advance(1) (a 1-epoch deadline) instead */
    int running;            /* atomic: the main thread is about to call */
    uint64_t requested;     /* atomic: when the request was made */
    uint64_t requested_cpu; /* the caller's CPU time then */
    int quit;               /* atomic */
    pthread_t thread;
} requester;

static uint64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *requester_main(void *arg)
{
    requester *r = arg;
    for (;;) {
        while (!__atomic_load_n(&r->running, __ATOMIC_ACQUIRE))
            if (__atomic_load_n(&r->quit, __ATOMIC_ACQUIRE))
                return NULL;
        __atomic_store_n(&r->running, 0, __ATOMIC_RELAXED);
        sleep_ns(r->delay_ns);
        if (r->by_deadline)
            kiln_epoch_advance(1);
        else
            kiln_instance_interrupt(r->inst);
        r->requested_cpu = clock_ns(r->caller_cpu);
        __atomic_store_n(&r->requested, now_ns(), __ATOMIC_RELEASE);
    }
}

/* Runs call (started on this thread) with r interrupting it after r->delay_ns; returns the
 * calling thread's CPU time from the request (the moment kiln_instance_interrupt returned)
 * to the return, 0 if the call came back first, and that span in wall time in *wall. */
static uint64_t interrupted(requester *r, kiln_trap (*call)(kiln_instance *), kiln_trap *trap,
                            uint64_t *wall)
{
    __atomic_store_n(&r->requested, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&r->running, 1, __ATOMIC_RELEASE);
    *trap = call(r->inst);
    uint64_t back_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID), back = now_ns();
    uint64_t asked;
    while ((asked = __atomic_load_n(&r->requested, __ATOMIC_ACQUIRE)) == 0)
        ; /* the requester's clock reads after its request */
    *wall = back > asked ? back - asked : 0;
    return back_cpu > r->requested_cpu ? back_cpu - r->requested_cpu : 0;
}

static kiln_trap call_spin(kiln_instance *inst)
{
    return cur->spin(inst);
}

static kiln_trap call_fib(kiln_instance *inst)
{
    int32_t r;
    return cur->fib(inst, 45, &r);
}

static kiln_trap call_tail_spin(kiln_instance *inst)
{
    return cur->tail_spin(inst);
}

static kiln_trap call_sleep_on(kiln_instance *inst)
{
    return cur->sleep_on(inst);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void expect_count(kiln_instance *inst, int32_t n, const char *after)
{
    int32_t sum = -1;
    kiln_trap t = cur->count(inst, n, &sum);
    CHECK_MSG(t == KILN_TRAP_NONE && sum == n * (n + 1) / 2, "%s: count %d after %s: %s, %d",
              cur->name, n, after, kiln_trap_message(t), sum);
}

static void report(const char *what, uint64_t *ns, size_t n)
{
    qsort(ns, n, sizeof *ns, compare_u64);
    printf("%s, %s, %zu rounds: median %.1f us, p99 %.1f us, max %.1f us\n", cur->name, what, n,
           ns[n / 2] / 1e3, ns[n * 99 / 100] / 1e3, ns[n - 1] / 1e3);
}

/* The bar: ROUNDS interruptions of `loop br` in a row, each answered within MAX_LATENCY_NS
 * of the running thread's CPU time. */
static void test_latency(requester *r, int by_deadline)
{
    static uint64_t cpu[ROUNDS], wall[ROUNDS];
    const char *how = by_deadline ? "deadline" : "interrupt";
    int wrong = 0, slow = 0;
    r->by_deadline = by_deadline;
    for (int i = 0; i < ROUNDS; i++) {
        kiln_trap t;
        r->delay_ns = 20000 + (uint64_t)(i % 10) * 10000; /* 20-110 us into the call */
        if (by_deadline && kiln_instance_set_deadline(r->inst, 1) != KILN_STATUS_OK)
            wrong++;
        cpu[i] = interrupted(r, call_spin, &t, &wall[i]);
        wrong += t != KILN_TRAP_INTERRUPTED;
        slow += cpu[i] > MAX_LATENCY_NS;
    }
    r->by_deadline = 0;
    CHECK_MSG(wrong == 0,
              "%s: %d of %d spin calls stopped by %s did not return "
              "KILN_TRAP_INTERRUPTED",
              cur->name, wrong, ROUNDS, how);
    char what[64];
    snprintf(what, sizeof what, "%s latency in the caller's CPU time", how);
    report(what, cpu, ROUNDS);
    snprintf(what, sizeof what, "%s latency in wall time", how);
    report(what, wall, ROUNDS);
    CHECK_MSG(slow == 0, "%s: %d of %d stops by %s took more than %u us of CPU time", cur->name,
              slow, ROUNDS, how, (unsigned)(MAX_LATENCY_NS / 1000));
    expect_count(r->inst, 100, "1,000 stops");
}

/* Code with no loop in the Wasm, stopped 5 ms into the call (in full mode by the entry check
 * of a function that calls, in signal mode by the signal): call runs it, name says which. */
static void test_no_loop(requester *r, kiln_trap (*call)(kiln_instance *), const char *name,
                         const char *what)
{
    kiln_trap t;
    uint64_t wall;
    r->delay_ns = 5000000;
    uint64_t ns = interrupted(r, call, &t, &wall);
    CHECK_MSG(t == KILN_TRAP_INTERRUPTED, "%s: %s: %s", cur->name, name, kiln_trap_message(t));
    CHECK_MSG(ns <= MAX_LATENCY_NS, "%s: %s stopped %.1f us of CPU time after the request",
              cur->name, name, ns / 1e3);
    expect_count(r->inst, 1000, what);
}

/* A host import waiting for the stop, as WASI's poll_oneoff does. */
static kiln_trap host_wait(void *env, kiln_instance *caller, const kiln_val *args,
                           kiln_val *results)
{
    (void)env, (void)args, (void)results;
    uint64_t give_up = now_ns() + 2000000000u;
    while (!kiln_instance_interrupted(caller) && now_ns() < give_up)
        sleep_ns(20000);
    return KILN_TRAP_NONE;
}

static void test_host_wait(requester *r)
{
    kiln_trap t;
    uint64_t wall;
    r->delay_ns = 2000000;
    interrupted(r, call_sleep_on, &t, &wall);
    CHECK_MSG(t == KILN_TRAP_INTERRUPTED, "%s: sleep_on: %s", cur->name, kiln_trap_message(t));
    CHECK_MSG(wall <= 1000000000u, "the waiting import noticed the stop after %.1f us", wall / 1e3);
}

/* A request stays pending until a check takes it; a cancelled one is gone. */
static void test_pending(kiln_instance *inst)
{
    CHECK(!kiln_instance_interrupted(inst));
    EXPECT_INT(kiln_instance_interrupt(inst), KILN_STATUS_OK);
    CHECK(kiln_instance_interrupted(inst));
    EXPECT_TRAP(cur->spin(inst), KILN_TRAP_INTERRUPTED);
    CHECK(!kiln_instance_interrupted(inst));
    expect_count(inst, 10, "a pending request was taken");
    EXPECT_INT(kiln_instance_interrupt(inst), KILN_STATUS_OK);
    kiln_instance_cancel_interrupt(inst);
    expect_count(inst, 10, "a cancelled request");
}

/* Deadlines in epochs advanced by hand, from another thread. */
typedef struct advancer {
    int quit; /* atomic */
    pthread_t thread;
} advancer;

static void *advancer_main(void *arg)
{
    advancer *a = arg;
    while (!__atomic_load_n(&a->quit, __ATOMIC_ACQUIRE)) {
        sleep_ns(1000000);
        kiln_epoch_advance(1);
    }
    return NULL;
}

static void test_deadlines(kiln_instance *inst)
{
    /* An expired deadline stops the next call, once. */
    EXPECT_INT(kiln_instance_set_deadline(inst, 2), KILN_STATUS_OK);
    uint64_t e = kiln_epoch_now();
    EXPECT_UINT(kiln_epoch_advance(1), e + 1);
    CHECK(!kiln_instance_interrupted(inst));
    kiln_epoch_advance(1);
    CHECK(kiln_instance_interrupted(inst));
    EXPECT_TRAP(cur->spin(inst), KILN_TRAP_INTERRUPTED);
    expect_count(inst, 10, "a spent deadline");
    /* A new deadline replaces the old one; 0 removes it. */
    EXPECT_INT(kiln_instance_set_deadline(inst, 1), KILN_STATUS_OK);
    EXPECT_INT(kiln_instance_set_deadline(inst, 0), KILN_STATUS_OK);
    kiln_epoch_advance(5);
    expect_count(inst, 10, "a removed deadline");
    /* Running calls stop when another thread's advance reaches the deadline. */
    advancer a = {0};
    CHECK(pthread_create(&a.thread, NULL, advancer_main, &a) == 0);
    for (int i = 0; i < 20; i++) {
        EXPECT_INT(kiln_instance_set_deadline(inst, 3), KILN_STATUS_OK);
        uint64_t t0 = now_ns();
        EXPECT_TRAP(cur->spin(inst), KILN_TRAP_INTERRUPTED);
        uint64_t ms = (now_ns() - t0) / 1000000u;
        CHECK_MSG(ms <= 2000, "a 3-epoch deadline (1 ms epochs) took %llu ms",
                  (unsigned long long)ms);
    }
    __atomic_store_n(&a.quit, 1, __ATOMIC_RELEASE);
    pthread_join(a.thread, NULL);
    /* The runtime's ticker thread. */
    EXPECT_INT(kiln_epoch_ticker_start(0), KILN_STATUS_ARG);
    EXPECT_INT(kiln_epoch_ticker_start(1000000), KILN_STATUS_OK);
    EXPECT_INT(kiln_epoch_ticker_start(500000), KILN_STATUS_OK); /* a new period */
    EXPECT_INT(kiln_instance_set_deadline(inst, 10), KILN_STATUS_OK);
    uint64_t t0 = now_ns();
    EXPECT_TRAP(cur->spin(inst), KILN_TRAP_INTERRUPTED);
    uint64_t elapsed = now_ns() - t0;
    CHECK_MSG(elapsed >= 3000000u && elapsed <= 2000000000u, "10 epochs of 0.5 ms took %.2f ms",
              elapsed / 1e6);
    kiln_epoch_ticker_stop();
    kiln_epoch_ticker_stop(); /* stopping twice is harmless */
    expect_count(inst, 10, "the ticker's deadline");
}

/* From a signal handler: one atomic OR. */
static kiln_instance *signalled;

static void on_alarm(int sig)
{
    (void)sig;
    kiln_instance_interrupt(signalled);
}

static void test_signal_handler(kiln_instance *inst)
{
    signalled = inst;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    struct itimerval it = {{0, 0}, {0, 5000}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    EXPECT_TRAP(cur->spin(inst), KILN_TRAP_INTERRUPTED);
    expect_count(inst, 10, "a request from a signal handler");
}

/* A module compiled with --no-interrupt-checks cannot be stopped: requests are refused. */
static void test_without_checks(const kiln_imports *imports)
{
    kiln_instance *inst;
    if (!CHECK(kiln_instance_new(&plain_module, imports, &inst) == KILN_STATUS_OK))
        return;
    EXPECT_INT(kiln_instance_interrupt(inst), KILN_STATUS_ARG);
    EXPECT_INT(kiln_instance_set_deadline(inst, 1), KILN_STATUS_ARG);
    CHECK(!kiln_instance_interrupted(inst));
    int32_t sum = -1;
    EXPECT_TRAP(plain_count(inst, 10, &sum), KILN_TRAP_NONE);
    EXPECT_INT(sum, 55);
    kiln_instance_free(inst);
    EXPECT_INT(kiln_instance_interrupt(NULL), KILN_STATUS_ARG);
    CHECK(!kiln_instance_interrupted(NULL));
}

int main(void)
{
    static const uint8_t no_types[1];
    kiln_host_func wait_fn = {.fn = host_wait, .params = no_types, .results = no_types};
    kiln_import items[] = {
        {.module = "env",
         .name = "wait",
         .value = {.kind = KILN_KIND_HOST_FUNC, .of.host = &wait_fn}},
    };
    kiln_imports imports = {items, 1};
    const char *scale = getenv("KILN_TEST_TIME_SCALE");
    if (scale != NULL && atoi(scale) > 1) {
        max_latency_ns = MAX_LATENCY_BASE_NS * (uint64_t)atoi(scale);
        printf("latency bar scaled by KILN_TEST_TIME_SCALE=%d: %u us\n", atoi(scale),
               (unsigned)(max_latency_ns / 1000));
    }
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        cur = &variants[i];
        kiln_instance *inst;
        if (!CHECK_MSG(kiln_instance_new(cur->module, &imports, &inst) == KILN_STATUS_OK,
                       "%s: instantiation failed: %s", cur->name, kiln_last_error()))
            return check_finish();
        requester r = {.inst = inst};
        if (!CHECK(pthread_getcpuclockid(pthread_self(), &r.caller_cpu) == 0))
            return check_finish();
        if (!CHECK(pthread_create(&r.thread, NULL, requester_main, &r) == 0))
            return check_finish();
        test_latency(&r, 0);
        test_latency(&r, 1);
        /* fib: doubly recursive; tail_spin: tail calls that never end, a jump each. */
        test_no_loop(&r, call_fib, "fib", "an interrupted recursion");
        test_no_loop(&r, call_tail_spin, "tail_spin", "an interrupted cycle of tail calls");
        test_host_wait(&r);
        __atomic_store_n(&r.quit, 1, __ATOMIC_RELEASE);
        pthread_join(r.thread, NULL);
        test_pending(inst);
        test_deadlines(inst);
        test_signal_handler(inst);
        kiln_instance_free(inst);
    }
    test_without_checks(&imports);
    return check_finish();
}
