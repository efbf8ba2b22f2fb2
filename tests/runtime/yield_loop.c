/* yield_loop.c -- tasks: calls that suspend in a host import and resume (kiln_task_start,
 * kiln_yield, kiln_task_resume, kiln_task_free; docs/yield.md).
 *
 * Links yield.wat compiled twice: prefix yg with guard pages and interrupt checks in signal
 * mode (a signal stops a loop without calls), prefix yb with bounds checks and a check on
 * every loop back-edge (--interrupt-checks full). For both: several yields per call with
 * exact values both ways; traps after a resume (unreachable, out-of-bounds load, division by
 * zero); stack exhaustion on a task stack, by wasm recursion and by host code running into
 * the guard, and the same one-stack pool serving the next task; an interrupt of a running
 * task from another thread and of a suspended one (taken when it resumes), and a deadline;
 * a yield from a host function's kiln_call into wasm (nested entries suspend together); a
 * task started by a task's host function, both suspended at once, resumed and freed; a
 * yield outside any task (an error status, nothing suspends); freeing suspended tasks (the
 * host function sees KILN_STATUS_CANCELLED, no wasm runs again, the instance stays usable);
 * resident memory over 20 rounds of 1,000 tasks started, suspended and freed. Then 10,000
 * instances of one module pool suspended at once on this thread and resumed round-robin to
 * completion (--quick, under an emulator: 1,000), and the costs: the bare context switch,
 * a yield/resume round trip, a task's start and finish. Checks: tests/lib/check.h; run by
 * ctest as runtime.yield.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/check.h"
#include "runtime_impl.h"
#include "yb.h"
#include "yg.h"

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
/* Resident memory may grow this much over the rounds of test_memory_flat: a sanitizer keeps
 * shadow memory for every stack page a task touched, also after the page went back, and
 * ThreadSanitizer keeps some state of each fiber it destroyed (one per task, 2.5 KiB). */
#if defined(UNDER_TSAN)
#define RSS_SLACK (96u * 1024u * 1024u)
#elif defined(UNDER_ASAN)
#define RSS_SLACK (32u * 1024u * 1024u)
#else
#define RSS_SLACK (2u * 1024u * 1024u)
#endif

typedef struct variant {
    const char *name;
    const kiln_module *module;
    bool signal_stops_loops; /* a `loop br` without checks stops only by the signal */
} variant;

static const variant variants[] = {
    {"guard pages, signal mode", &yg_module, true},
    {"bounds checks, full checks", &yb_module, false},
};
static const variant *cur;
static bool quick; /* under an emulator: fewer instances and rounds */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f != NULL) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* ---- Host functions ---- */

static int yields;           /* env.yield calls */
static bool call_back_task;  /* env.call_back runs inner as a task of its own */
static int32_t nested_yield; /* what that task yielded to env.call_back */
static int cancelled_seen;   /* kiln_yield returned KILN_STATUS_CANCELLED */
static kiln_trap inner_trap; /* what env.call_back's kiln_call returned */

/* env.yield(x): yields x, returns the resume value; outside a task, -(the status). */
static kiln_trap host_yield(void *env, kiln_instance *caller, const kiln_val *args,
                            kiln_val *results)
{
    (void)env;
    yields++;
    kiln_val v = {.type = KILN_TYPE_I32, .of.i32 = args[0].of.i32};
    kiln_val r;
    memset(&r, 0, sizeof r);
    kiln_status s = kiln_yield(caller, &v, &r);
    if (s == KILN_STATUS_CANCELLED) {
        cancelled_seen++;
        results[0].of.i32 = 12345; /* ignored: the call unwinds all the same */
        return KILN_TRAP_NONE;
    }
    results[0].of.i32 = s == KILN_STATUS_OK ? r.of.i32 : -(int32_t)s;
    return KILN_TRAP_NONE;
}

/* env.call_back(x): inner(x) through kiln_call, nested in this host call; with
 * call_back_task, inner(x) as a task started here (tasks nest): it yields x to us, we yield
 * -1 to whoever runs our own task and resume inner with what we were resumed with. */
static kiln_trap host_call_back(void *env, kiln_instance *caller, const kiln_val *args,
                                kiln_val *results)
{
    (void)env;
    kiln_extern ex;
    if (kiln_instance_export(caller, "inner", &ex) != KILN_STATUS_OK)
        return KILN_TRAP_HOST;
    if (call_back_task) {
        kiln_task *b = NULL;
        if (kiln_task_start(NULL, caller, ex.of.func, args, 1, &b) != KILN_STATUS_OK ||
            kiln_task_get_state(b) != KILN_TASK_SUSPENDED) {
            kiln_task_free(b);
            return KILN_TRAP_HOST;
        }
        nested_yield = kiln_task_yielded(b)->of.i32;
        kiln_val mine = {.type = KILN_TYPE_I32, .of.i32 = -1}, back;
        memset(&back, 0, sizeof back);
        if (kiln_yield(caller, &mine, &back) != KILN_STATUS_OK) {
            kiln_task_free(b);
            return KILN_TRAP_HOST;
        }
        size_t n = 0;
        const kiln_val *r = NULL;
        if (kiln_task_resume(b, &back) == KILN_STATUS_OK)
            r = kiln_task_results(b, &n);
        kiln_trap t = r != NULL && n == 1 ? KILN_TRAP_NONE : KILN_TRAP_HOST;
        if (t == KILN_TRAP_NONE)
            results[0].of.i32 = r[0].of.i32;
        kiln_task_free(b);
        return t;
    }
    kiln_val r;
    inner_trap = kiln_call(caller, ex.of.func, args, 1, &r, 1);
    if (inner_trap != KILN_TRAP_NONE)
        return inner_trap;
    results[0].of.i32 = r.of.i32;
    return KILN_TRAP_NONE;
}

__attribute__((noinline)) static int32_t host_recurse(int32_t n)
{
    volatile char frame[1024];
    frame[0] = (char)n;
    frame[1023] = (char)n;
    if (n <= 0)
        return 0;
    int32_t r = host_recurse(n - 1) + 1;
    /* The frame escapes: no tail-recursion elimination turns this into a loop. */
    __asm__ volatile("" : : "r"(frame) : "memory");
    return r + frame[0] - frame[1023];
}

/* env.deep(n): host code n KiB deep. */
static kiln_trap host_deep(void *env, kiln_instance *caller, const kiln_val *args,
                           kiln_val *results)
{
    (void)env, (void)caller;
    results[0].of.i32 = host_recurse(args[0].of.i32);
    return KILN_TRAP_NONE;
}

static const uint8_t i32_1[] = {KILN_TYPE_I32};
static kiln_host_func yield_fn = {host_yield, NULL, 1, 1, i32_1, i32_1};
static kiln_host_func call_back_fn = {host_call_back, NULL, 1, 1, i32_1, i32_1};
static kiln_host_func deep_fn = {host_deep, NULL, 1, 1, i32_1, i32_1};
static const kiln_import import_items[] = {
    {"env", "yield", {.kind = KILN_KIND_HOST_FUNC, .of.host = &yield_fn}},
    {"env", "call_back", {.kind = KILN_KIND_HOST_FUNC, .of.host = &call_back_fn}},
    {"env", "deep", {.kind = KILN_KIND_HOST_FUNC, .of.host = &deep_fn}},
};
static const kiln_imports imports = {import_items, 3};

/* ---- Helpers ---- */

static kiln_val i32v(int32_t x)
{
    kiln_val v;
    memset(&v, 0, sizeof v);
    v.type = KILN_TYPE_I32;
    v.of.i32 = x;
    return v;
}

static const kiln_funcref *export_func(kiln_instance *inst, const char *name)
{
    kiln_extern ex;
    if (!CHECK_MSG(kiln_instance_export(inst, name, &ex) == KILN_STATUS_OK &&
                       ex.kind == KILN_KIND_FUNC,
                   "%s: no export %s", cur->name, name))
        return NULL;
    return ex.of.func;
}

/* Starts name(args) on stacks; NULL (a failed check) if it did not start. */
static kiln_task *start(kiln_stacks *stacks, kiln_instance *inst, const char *name,
                        const kiln_val *args, size_t n)
{
    const kiln_funcref *f = export_func(inst, name);
    kiln_task *task = NULL;
    if (f == NULL)
        return NULL;
    kiln_status s = kiln_task_start(stacks, inst, f, args, n, &task);
    if (!CHECK_MSG(s == KILN_STATUS_OK, "%s: kiln_task_start %s: %s (%s)", cur->name, name,
                   kiln_status_message(s), kiln_last_error()))
        return NULL;
    return task;
}

static bool expect_suspended(kiln_task *task, int32_t value, int line)
{
    const kiln_val *y = kiln_task_yielded(task);
    return CHECK_MSG(kiln_task_get_state(task) == KILN_TASK_SUSPENDED && y != NULL &&
                         y->type == KILN_TYPE_I32 && y->of.i32 == value,
                     "%s: line %d: want suspended with %d: state %d, trap '%s', yielded %d",
                     cur->name, line, value, (int)kiln_task_get_state(task),
                     kiln_trap_message(kiln_task_trap(task)), y ? y->of.i32 : -1);
}

static bool expect_returned(kiln_task *task, int32_t value, int line)
{
    size_t n = 0;
    const kiln_val *r = kiln_task_results(task, &n);
    return CHECK_MSG(kiln_task_get_state(task) == KILN_TASK_RETURNED && n == 1 && r != NULL &&
                         r[0].type == KILN_TYPE_I32 && r[0].of.i32 == value,
                     "%s: line %d: want returned %d: state %d, trap '%s', %zu results, %d",
                     cur->name, line, value, (int)kiln_task_get_state(task),
                     kiln_trap_message(kiln_task_trap(task)), n, r ? r[0].of.i32 : -1);
}

static bool expect_trapped(kiln_task *task, kiln_trap trap, int line)
{
    return CHECK_MSG(kiln_task_get_state(task) == KILN_TASK_TRAPPED &&
                         kiln_task_trap(task) == trap && kiln_task_results(task, NULL) == NULL,
                     "%s: line %d: want trap '%s': state %d, trap '%s'", cur->name, line,
                     kiln_trap_message(trap), (int)kiln_task_get_state(task),
                     kiln_trap_message(kiln_task_trap(task)));
}

static void resume(kiln_task *task, int32_t value)
{
    kiln_val v = i32v(value);
    kiln_status s = kiln_task_resume(task, &v);
    CHECK_MSG(s == KILN_STATUS_OK, "%s: kiln_task_resume: %s (%s)", cur->name,
              kiln_status_message(s), kiln_last_error());
}

/* The instance computes normally (a plain call). */
static void expect_usable(kiln_instance *inst, const char *after)
{
    const kiln_funcref *f = export_func(inst, "store");
    kiln_val args[2] = {i32v(64), i32v(0x5eed)}, r;
    kiln_trap t = f ? kiln_call(inst, f, args, 2, &r, 1) : KILN_TRAP_HOST;
    CHECK_MSG(t == KILN_TRAP_NONE && r.of.i32 == 0x5eed, "%s: store after %s: '%s', %d", cur->name,
              after, kiln_trap_message(t), r.of.i32);
}

/* ---- Tests ---- */

/* Several yields per call, values both ways, and a task freed after it returned. */
static void test_values(kiln_instance *inst)
{
    kiln_val args[2] = {i32v(5), i32v(4)};
    kiln_task *task = start(NULL, inst, "run", args, 2);
    if (task == NULL)
        return;
    CHECK(kiln_task_instance(task) == inst);
    for (int i = 0; i < 4; i++) {
        if (!expect_suspended(task, 5000 + i, __LINE__))
            break;
        CHECK(kiln_task_trap(task) == KILN_TRAP_NONE && kiln_task_results(task, NULL) == NULL);
        resume(task, 10 * (i + 1));
    }
    expect_returned(task, 5 + 10 + 20 + 30 + 40, __LINE__);
    EXPECT_INT(kiln_task_resume(task, NULL), KILN_STATUS_ARG); /* not suspended */
    EXPECT_INT(kiln_task_free(task), KILN_STATUS_OK);
    /* No yield at all: the start returns the result. */
    args[1] = i32v(0);
    task = start(NULL, inst, "run", args, 2);
    if (task != NULL) {
        expect_returned(task, 5, __LINE__);
        kiln_task_free(task);
    }
    /* Resuming without a value passes a zero value. */
    args[1] = i32v(1);
    task = start(NULL, inst, "run", args, 2);
    if (task != NULL && expect_suspended(task, 5000, __LINE__)) {
        EXPECT_INT(kiln_task_resume(task, NULL), KILN_STATUS_OK);
        expect_returned(task, 5, __LINE__);
    }
    kiln_task_free(task);
    /* Bad arguments start nothing. */
    kiln_task *none = NULL;
    const kiln_funcref *run = export_func(inst, "run");
    EXPECT_INT(kiln_task_start(NULL, inst, run, args, 1, &none), KILN_STATUS_ARG);
    kiln_val wrong[2] = {i32v(1), args[1]};
    wrong[0].type = KILN_TYPE_I64;
    EXPECT_INT(kiln_task_start(NULL, inst, run, wrong, 2, &none), KILN_STATUS_ARG);
    EXPECT_INT(kiln_task_start(NULL, NULL, run, args, 2, &none), KILN_STATUS_ARG);
    CHECK(none == NULL);
    EXPECT_INT(kiln_task_free(NULL), KILN_STATUS_OK);
    EXPECT_INT(kiln_task_resume(NULL, NULL), KILN_STATUS_ARG);
}

/* Traps after a resume, on the task's stack: each ends the task with its trap. */
static void test_traps(kiln_instance *inst)
{
    static const kiln_trap want[3] = {KILN_TRAP_UNREACHABLE, KILN_TRAP_MEMORY_OOB,
                                      KILN_TRAP_INT_DIV_ZERO};
    for (int kind = 0; kind < 3; kind++) {
        kiln_val arg = i32v(kind);
        kiln_task *task = start(NULL, inst, "yield_then_trap", &arg, 1);
        if (task == NULL || !expect_suspended(task, kind, __LINE__))
            continue;
        resume(task, 0);
        expect_trapped(task, want[kind], __LINE__);
        EXPECT_INT(kiln_task_free(task), KILN_STATUS_OK);
    }
    /* Not resumed with 0: a normal return. */
    kiln_val arg = i32v(2);
    kiln_task *task = start(NULL, inst, "yield_then_trap", &arg, 1);
    if (task != NULL) {
        resume(task, 1);
        expect_returned(task, 1, __LINE__);
        kiln_task_free(task);
    }
    expect_usable(inst, "traps on task stacks");
}

/* Stack exhaustion on a task's stack, by wasm (the prologue check) and by host code (the
 * guard page), each a trap; the one stack of a one-stack pool then serves the next task. */
static void test_exhaustion(kiln_instance *inst)
{
    kiln_stacks *one;
    kiln_stacks_config cfg = {.count = 1, .stack_size = 256 * 1024};
    if (!CHECK(kiln_stacks_new(&cfg, &one) == KILN_STATUS_OK))
        return;
    for (int round = 0; round < 3; round++) {
        kiln_task *task = start(one, inst, "yield_then_recurse", NULL, 0);
        if (task == NULL || !expect_suspended(task, 7, __LINE__))
            break;
        /* The pool's only stack is taken. */
        kiln_task *other = NULL;
        EXPECT_INT(kiln_task_start(one, inst, export_func(inst, "spin"), NULL, 0, &other),
                   KILN_STATUS_POOL_EXHAUSTED);
        resume(task, 0);
        expect_trapped(task, KILN_TRAP_STACK_EXHAUSTED, __LINE__);
        kiln_task_free(task);
        /* Host code 2 MiB deep on a 256 KiB stack runs into the guard page. */
        kiln_val arg = i32v(2048);
        task = start(one, inst, "host_deep", &arg, 1);
        if (task == NULL)
            break;
        expect_trapped(task, KILN_TRAP_STACK_EXHAUSTED, __LINE__);
        kiln_task_free(task);
        /* And 64 KiB deep fits in the headroom. */
        arg = i32v(64);
        task = start(one, inst, "host_deep", &arg, 1);
        if (task == NULL)
            break;
        expect_returned(task, 64, __LINE__);
        kiln_task_free(task);
        kiln_val args[2] = {i32v(round), i32v(1)};
        task = start(one, inst, "run", args, 2);
        if (task == NULL || !expect_suspended(task, round * 1000, __LINE__))
            break;
        resume(task, 3);
        expect_returned(task, round + 3, __LINE__);
        kiln_task_free(task);
    }
    kiln_stacks_free(one);
    expect_usable(inst, "stack exhaustion on task stacks");
}

typedef struct interrupter {
    kiln_instance *inst;
    uint64_t delay_ns;
    pthread_t thread;
} interrupter;

static void *interrupter_main(void *arg)
{
    interrupter *it = arg;
    struct timespec ts = {0, (long)it->delay_ns};
    nanosleep(&ts, NULL);
    kiln_instance_interrupt(it->inst);
    return NULL;
}

/* A running task stopped from another thread; a suspended one stopped when it resumes, by a
 * request from another thread and by a deadline. */
static void test_interrupts(kiln_instance *inst)
{
    if (cur->signal_stops_loops) {
#ifdef UNDER_TSAN
        printf("SKIP (not counted): %s: an interrupt of a running `loop br`: ThreadSanitizer "
               "delivers the interrupt signal only when the thread calls into an intercepted "
               "function, which the loop never does\n",
               cur->name);
        goto suspended;
#endif
    }
    for (int round = 0; round < 3; round++) {
        interrupter it = {inst, 20u * 1000u * 1000u, 0};
        if (!CHECK(pthread_create(&it.thread, NULL, interrupter_main, &it) == 0))
            return;
        kiln_task *task = start(NULL, inst, "spin", NULL, 0);
        pthread_join(it.thread, NULL);
        if (task == NULL)
            return;
        expect_trapped(task, KILN_TRAP_INTERRUPTED, __LINE__);
        kiln_task_free(task);
    }
#ifdef UNDER_TSAN
suspended:
#endif
    for (int round = 0; round < 2; round++) {
        kiln_task *task = start(NULL, inst, "yield_then_spin", NULL, 0);
        if (task == NULL || !expect_suspended(task, 9, __LINE__))
            return;
        if (round == 0) {
            interrupter it = {inst, 1000, 0};
            if (!CHECK(pthread_create(&it.thread, NULL, interrupter_main, &it) == 0))
                return;
            pthread_join(it.thread, NULL);
        } else {
            EXPECT_INT(kiln_instance_set_deadline(inst, 1), KILN_STATUS_OK);
            kiln_epoch_advance(1);
        }
        CHECK(kiln_instance_interrupted(inst));
        CHECK_MSG(__atomic_load_n(&inst->runner_tid, __ATOMIC_RELAXED) == 0,
                  "%s: a suspended task's instance names a running thread", cur->name);
        resume(task, 0);
        expect_trapped(task, KILN_TRAP_INTERRUPTED, __LINE__);
        CHECK(!kiln_instance_interrupted(inst));
        kiln_task_free(task);
    }
    expect_usable(inst, "interrupts of tasks");
}

/* wasm -> host -> kiln_call -> wasm -> host -> kiln_yield: the whole task suspends. */
static void test_nested(kiln_instance *inst)
{
    kiln_val arg = i32v(5);
    kiln_task *task = start(NULL, inst, "outer", &arg, 1);
    if (task == NULL || !expect_suspended(task, 5, __LINE__))
        return;
    kiln_thread *t = &kiln_tls;
    CHECK_MSG(t->top == NULL && t->depth == 0 && t->task == NULL,
              "%s: the thread's own state after a nested yield: top %p depth %u task %p", cur->name,
              (void *)t->top, (unsigned)t->depth, (void *)t->task);
    resume(task, 21);
    expect_returned(task, 100042, __LINE__);
    EXPECT_INT(inner_trap, KILN_TRAP_NONE);
    kiln_task_free(task);
    /* A task started by a host function of a task: both suspended at once, each resumed by
     * the code that started it. */
    call_back_task = true;
    arg = i32v(8);
    task = start(NULL, inst, "outer", &arg, 1);
    if (task != NULL && expect_suspended(task, -1, __LINE__)) {
        EXPECT_INT(nested_yield, 8);
        CHECK(t->top == NULL && t->depth == 0 && t->task == NULL);
        resume(task, 50);
        expect_returned(task, 100100, __LINE__);
    }
    kiln_task_free(task);
    /* Freeing the outer one while both are suspended: its host function sees the cancel and
     * frees the inner one, which is cancelled in turn. */
    arg = i32v(9);
    int cancelled_before = cancelled_seen;
    task = start(NULL, inst, "outer", &arg, 1);
    if (task != NULL && expect_suspended(task, -1, __LINE__)) {
        EXPECT_INT(kiln_task_free(task), KILN_STATUS_OK);
        EXPECT_INT(cancelled_seen - cancelled_before, 1); /* inner's env.yield */
        CHECK(t->top == NULL && t->depth == 0 && t->task == NULL);
        CHECK(__atomic_load_n(&inst->runner_tid, __ATOMIC_RELAXED) == 0);
    }
    call_back_task = false;
    expect_usable(inst, "nested tasks");
    /* A yield outside any task is an error status and suspends nothing: run(4, 2) as a
     * plain call gets -KILN_STATUS_ARG from each yield. */
    const kiln_funcref *run = export_func(inst, "run");
    kiln_val args[2] = {i32v(4), i32v(2)}, r;
    kiln_trap trap = run ? kiln_call(inst, run, args, 2, &r, 1) : KILN_TRAP_HOST;
    CHECK_MSG(trap == KILN_TRAP_NONE && r.of.i32 == 4 - 2 * (int32_t)KILN_STATUS_ARG,
              "%s: run outside a task: '%s', %d", cur->name, kiln_trap_message(trap), r.of.i32);
    kiln_val v = i32v(1);
    EXPECT_INT(kiln_yield(inst, &v, NULL), KILN_STATUS_ARG);
    EXPECT_INT(kiln_yield(NULL, &v, NULL), KILN_STATUS_ARG);
}

/* Freeing suspended tasks: the yield returns KILN_STATUS_CANCELLED, the host function's
 * result is dropped, no wasm runs again (run would yield again), the instance is usable. */
static void test_free_suspended(kiln_instance *inst)
{
    kiln_val args[2] = {i32v(3), i32v(5)};
    kiln_task *task = start(NULL, inst, "run", args, 2);
    if (task == NULL || !expect_suspended(task, 3000, __LINE__))
        return;
    int yields_before = yields, cancelled_before = cancelled_seen;
    EXPECT_INT(kiln_task_free(task), KILN_STATUS_OK);
    EXPECT_INT(yields - yields_before, 0);
    EXPECT_INT(cancelled_seen - cancelled_before, 1);
    expect_usable(inst, "a freed suspended task");
    /* Suspended in a nested call: the host function's kiln_call returns the interruption. */
    kiln_val arg = i32v(6);
    task = start(NULL, inst, "outer", &arg, 1);
    if (task == NULL || !expect_suspended(task, 6, __LINE__))
        return;
    EXPECT_INT(kiln_task_free(task), KILN_STATUS_OK);
    EXPECT_INT(inner_trap, KILN_TRAP_INTERRUPTED);
    EXPECT_INT(cancelled_seen - cancelled_before, 2);
    kiln_thread *t = &kiln_tls;
    CHECK(t->top == NULL && t->depth == 0 && t->task == NULL);
    CHECK(__atomic_load_n(&inst->runner_tid, __ATOMIC_RELAXED) == 0);
    expect_usable(inst, "a freed nested task");
}

/* Resident memory stays flat over rounds of tasks started, suspended and freed (a pool of
 * 1,000 stacks of 64 KiB: 32-bit hosts have room for that). */
static void test_memory_flat(kiln_instance *inst)
{
    enum { PER_ROUND = 1000 };
    static kiln_task *tasks[PER_ROUND];
    kiln_stacks *stacks;
    kiln_stacks_config cfg = {.count = PER_ROUND, .stack_size = 64 * 1024};
    if (!CHECK(kiln_stacks_new(&cfg, &stacks) == KILN_STATUS_OK))
        return;
    int rounds = quick ? 4 : 20;
    size_t after_first = 0;
    bool ok = true;
    for (int round = 0; round < rounds && ok; round++) {
        int started = 0;
        for (int i = 0; i < PER_ROUND && ok; i++) {
            kiln_val args[2] = {i32v(i), i32v(2)};
            tasks[i] = start(stacks, inst, "run", args, 2);
            ok = tasks[i] != NULL && expect_suspended(tasks[i], i * 1000, __LINE__);
            started += tasks[i] != NULL;
        }
        for (int i = 0; i < started; i++) {
            if (ok && i % 2) { /* half run to completion, half are cancelled */
                resume(tasks[i], 1);
                resume(tasks[i], 1);
                expect_returned(tasks[i], i + 2, __LINE__);
            }
            kiln_task_free(tasks[i]);
        }
        if (round == 0)
            after_first = resident_bytes();
    }
    kiln_stacks_free(stacks);
    if (!ok)
        return;
    size_t end = resident_bytes();
    printf("%s: resident memory after round 1: %.1f MiB, after round %d: %.1f MiB\n", cur->name,
           after_first / 1048576.0, rounds, end / 1048576.0);
    CHECK_MSG(end <= after_first + RSS_SLACK,
              "%s: resident memory grew by %zu KiB over %d rounds of %d tasks", cur->name,
              (end - after_first) / 1024, rounds - 1, PER_ROUND);
}

/* ---- Many instances suspended at once ---- */

static void test_many(const kiln_module *module, uint32_t n)
{
    kiln_pool *pool;
    kiln_stacks *stacks;
    kiln_pool_config pcfg = {.slots = n};
    kiln_stacks_config scfg = {.count = n};
    if (!CHECK_MSG(kiln_module_pool_new(module, &pcfg, &pool) == KILN_STATUS_OK,
                   "a module pool of %u: %s", (unsigned)n, kiln_last_error()))
        return;
    if (!CHECK(kiln_stacks_new(&scfg, &stacks) == KILN_STATUS_OK)) {
        kiln_pool_free(pool);
        return;
    }
    kiln_instance **insts = calloc(n, sizeof *insts);
    kiln_task **tasks = calloc(n, sizeof *tasks);
    if (!CHECK(insts != NULL && tasks != NULL))
        return;
    size_t rss0 = resident_bytes();
    uint64_t t0 = now_ns();
    uint32_t started = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!CHECK_MSG(kiln_pool_instantiate(pool, &imports, &insts[i], NULL) == KILN_STATUS_OK,
                       "instance %u: %s", (unsigned)i, kiln_last_error()))
            break;
        kiln_val args[2] = {i32v((int32_t)i), i32v(3)};
        tasks[i] = start(stacks, insts[i], "run", args, 2);
        if (tasks[i] == NULL || !expect_suspended(tasks[i], (int32_t)i * 1000, __LINE__))
            break;
        started++;
    }
    uint64_t t1 = now_ns();
    size_t rss1 = resident_bytes();
    CHECK_MSG(started == n, "only %u of %u tasks suspended", (unsigned)started, (unsigned)n);
    /* The first task's stack, by then out of the cache: how little of it is resident. */
    int wrong = 0;
    for (int j = 0; j < 3 && started == n; j++) {
        for (uint32_t i = 0; i < n; i++) {
            const kiln_val *y = kiln_task_yielded(tasks[i]);
            if (y == NULL || y->of.i32 != (int32_t)i * 1000 + j) {
                wrong++;
                continue;
            }
            kiln_val v = i32v((int32_t)i * 7 + j);
            if (kiln_task_resume(tasks[i], &v) != KILN_STATUS_OK)
                wrong++;
        }
    }
    uint64_t t2 = now_ns();
    CHECK_MSG(wrong == 0, "%d of %u resumes went wrong", wrong, (unsigned)n * 3);
    int bad = 0;
    for (uint32_t i = 0; i < started; i++) {
        size_t count = 0;
        const kiln_val *r = kiln_task_results(tasks[i], &count);
        /* i + sum over j of (7i + j) */
        if (r == NULL || count != 1 || r[0].of.i32 != (int32_t)(22 * i + 3))
            bad++;
        kiln_task_free(tasks[i]);
        kiln_instance_free(insts[i]);
    }
    CHECK_MSG(bad == 0, "%d of %u tasks returned a wrong result", bad, (unsigned)started);
    printf("%u instances suspended at once: %.2f us each to instantiate and start; %.2f us per "
           "resume (3 rounds, round-robin); %.1f KiB resident per suspended task and its "
           "instance\n",
           (unsigned)n, (t1 - t0) / 1e3 / n, (t2 - t1) / 1e3 / (3.0 * n),
           (rss1 > rss0 ? rss1 - rss0 : 0) / 1024.0 / n);
    free(insts);
    free(tasks);
    kiln_stacks_free(stacks);
    kiln_pool_free(pool);
}

/* ---- Costs ---- */

static void *bench_back;
static volatile uint64_t bench_count;

__attribute__((unused)) static void bench_main(void *arg)
{
    void *self = arg;
    for (;;) {
        bench_count++;
        kiln_stack_switch(self, bench_back, NULL);
    }
}

/* The bare switch: there and back on a stack of our own (ASan and TSan are not told, so
 * only without sanitizers). */
static void bench_switch(void)
{
#if !defined(UNDER_TSAN) && !defined(UNDER_ASAN)
    enum { SIZE = 64 * 1024 };
    char *stack = malloc(SIZE);
    if (!CHECK(stack != NULL))
        return;
    void *sp = kiln_stack_prepare((void *)(((uintptr_t)stack + SIZE) & ~(uintptr_t)15), bench_main);
    /* bench_main gets &sp (the first switch's arg) and stores its stack pointer there each
     * time it switches back to bench_back. */
    unsigned n = quick ? 100000 : 2000000;
    uint64_t t0 = now_ns();
    for (unsigned i = 0; i < n; i++)
        kiln_stack_switch(&bench_back, sp, &sp);
    uint64_t t1 = now_ns();
    EXPECT_UINT(bench_count, n);
    printf("context switch: %.1f ns (%u round trips, two switches each)\n", (t1 - t0) / (2.0 * n),
           n);
    free(stack);
#endif
}

static void bench_tasks(kiln_instance *inst)
{
    unsigned n = quick ? 2000 : 200000;
    kiln_val args[2] = {i32v(0), i32v((int32_t)n)};
    kiln_task *task = start(NULL, inst, "run", args, 2);
    if (task == NULL)
        return;
    uint64_t t0 = now_ns();
    for (unsigned i = 0; i < n && kiln_task_get_state(task) == KILN_TASK_SUSPENDED; i++)
        resume(task, 1);
    uint64_t t1 = now_ns();
    expect_returned(task, (int32_t)n, __LINE__);
    kiln_task_free(task);
    args[1] = i32v(0);
    const kiln_funcref *run = export_func(inst, "run");
    unsigned m = quick ? 2000 : 200000;
    int wrong = 0;
    uint64_t t2 = now_ns();
    for (unsigned i = 0; i < m; i++) {
        kiln_task *tk = NULL;
        if (kiln_task_start(NULL, inst, run, args, 2, &tk) != KILN_STATUS_OK ||
            kiln_task_get_state(tk) != KILN_TASK_RETURNED)
            wrong++;
        kiln_task_free(tk);
    }
    uint64_t t3 = now_ns();
    CHECK_MSG(wrong == 0, "%d of %u task starts went wrong", wrong, m);
    kiln_val r;
    uint64_t t4 = now_ns();
    for (unsigned i = 0; i < m; i++)
        wrong += kiln_call(inst, run, args, 2, &r, 1) != KILN_TRAP_NONE;
    uint64_t t5 = now_ns();
    double round_trip = (t1 - t0) / (double)n, start_finish = (t3 - t2) / (double)m;
    printf("%s: yield + resume round trip (host call included): %.1f ns; task start + finish "
           "(a call that returns at once, stack from the pool): %.1f ns; the same call with "
           "kiln_call: %.1f ns\n",
           cur->name, round_trip, start_finish, (t5 - t4) / (double)m);
    /* Loose bounds: a slow machine must not fail, a broken cache or a system call per
     * switch would (the figures belong to bench/micro). */
    if (!quick) {
        CHECK_MSG(round_trip < 20000, "a yield/resume round trip took %.0f ns", round_trip);
        CHECK_MSG(start_finish < 50000, "a task start + finish took %.0f ns", start_finish);
    }
}

int main(int argc, char **argv)
{
    quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        cur = &variants[i];
        kiln_instance *inst;
        if (!CHECK_MSG(kiln_instance_new(cur->module, &imports, &inst) == KILN_STATUS_OK,
                       "%s: instantiation failed: %s", cur->name, kiln_last_error()))
            return check_finish();
        test_values(inst);
        test_traps(inst);
        test_exhaustion(inst);
        test_interrupts(inst);
        test_nested(inst);
        test_free_suspended(inst);
        test_memory_flat(inst);
        bench_tasks(inst);
        kiln_instance_free(inst);
    }
    cur = &variants[0];
    bench_switch();
    /* Under an emulator, guard-page module pools take too much host memory (docs/cross.md),
     * and ThreadSanitizer leaves applications less address space than 10,000 of them need:
     * the bounds-checked build's. */
#ifdef UNDER_TSAN
    test_many(&yb_module, 10000u);
#else
    test_many(quick ? &yb_module : &yg_module, quick ? 1000u : 10000u);
#endif
    return check_finish();
}
