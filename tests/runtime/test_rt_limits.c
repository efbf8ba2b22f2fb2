/* test_rt_limits.c -- per-instance limits, host stack headroom, and stack overflows of host
 * code called from wasm.
 *
 * Module L stands for a small compiled module (rt_test.h): three host imports, env.big (a
 * host function with a 100 KB frame), env.deep (host code recursing in 1 KiB frames) and
 * env.nest (enters another instance); a function that recurses to a given depth (with the
 * prologue check) and calls env.big at the bottom, callers of the other two imports,
 * memory.grow and table.grow; one memory (2 pages) and one table (3 elements), neither with
 * a maximum, so that the limits are the pool's and the instance's.
 *
 * The case a new user met: on a thread of 256 KiB, a guest that recurses to its deepest
 * working depth and then calls a host import with a 100 KB frame killed the process with
 * SIGSEGV. Now the import runs (the wasm stack limit leaves it room), and host code that
 * needs more stack than the headroom gives becomes a "call stack exhausted" trap of the call
 * into wasm, not a crash. The limits (kiln_instance_new_ex): memory pages, table elements
 * and stack budget, each the smaller of the pool's and the instance's, in both kinds of
 * pool; initial sizes over them; the grow callback.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rt_test.h"

/* ---- Module L ---- */

enum { F_BIG, F_DEEP, F_NEST, F_DIVE, F_CALL_DEEP, F_CALL_NEST, F_MGROW, F_TGROW, F_COUNT };

static volatile int32_t max_depth;

KILN_GEN static int32_t gen_adapter_big(kiln_vmctx *vm, int32_t x)
{
    uint64_t ar[2] = {0, 0};
    memcpy(ar, &x, 4);
    kiln_host_call(vm, F_BIG, ar);
    int32_t r;
    memcpy(&r, ar, 4);
    return r;
}

KILN_GEN static int32_t gen_adapter_deep(kiln_vmctx *vm, int32_t x)
{
    uint64_t ar[2] = {0, 0};
    memcpy(ar, &x, 4);
    kiln_host_call(vm, F_DEEP, ar);
    int32_t r;
    memcpy(&r, ar, 4);
    return r;
}

KILN_GEN static int32_t gen_adapter_nest(kiln_vmctx *vm, int32_t x)
{
    uint64_t ar[2] = {0, 0};
    memcpy(ar, &x, 4);
    kiln_host_call(vm, F_NEST, ar);
    int32_t r;
    memcpy(&r, ar, 4);
    return r;
}

/* (n) -> i32: env.nest(n) */
KILN_GEN static int32_t gen_call_nest(kiln_vmctx *vm, int32_t n)
{
    RT_PROLOGUE(vm);
    kiln_import_slot *slot = &kiln_vm_imports(vm)[F_NEST];
    return ((rt_fn_i_i)slot->code.p)(slot->vmctx.p, n);
}

/* (delta) -> i32: memory.grow 0 */
KILN_GEN static int32_t gen_mgrow(kiln_vmctx *vm, int32_t delta)
{
    RT_PROLOGUE(vm);
    return (int32_t)kiln_memory_grow(vm, 0, (uint32_t)delta);
}

/* (delta) -> i32: table.grow 0 (ref.null) */
KILN_GEN static int32_t gen_tgrow(kiln_vmctx *vm, int32_t delta)
{
    RT_PROLOGUE(vm);
    return (int32_t)kiln_table_grow(vm, 0, NULL, (uint32_t)delta);
}

/* (n) -> i32: env.deep(n) */
KILN_GEN static int32_t gen_call_deep(kiln_vmctx *vm, int32_t n)
{
    RT_PROLOGUE(vm);
    kiln_import_slot *slot = &kiln_vm_imports(vm)[F_DEEP];
    return ((rt_fn_i_i)slot->code.p)(slot->vmctx.p, n);
}

/* (n, target) -> i32: recurses from depth n to depth target, then returns env.big(target).
 * A target that is never reached recurses until the stack is exhausted; max_depth is the
 * deepest frame that passed the prologue check. */
KILN_GEN static int32_t gen_dive(kiln_vmctx *vm, int32_t n, int32_t target)
{
    RT_PROLOGUE(vm);
    volatile char pad[64];
    pad[0] = (char)n;
    if (n > max_depth)
        max_depth = n;
    if (n >= target) {
        kiln_import_slot *slot = &kiln_vm_imports(vm)[F_BIG];
        return ((rt_fn_i_i)slot->code.p)(slot->vmctx.p, n);
    }
    return gen_dive(vm, n + 1, target) + pad[0] - (char)n;
}

/* env.big: a host function with a 100 KB frame, every byte of it written: from the top down
 * (the order a stack probe takes), or with env non-NULL from the bottom up. Returns its
 * argument + 1. */
#define BIG_FRAME (100u * 1000u)

__attribute__((noinline)) static kiln_trap big_fn(void *env, kiln_instance *caller,
                                                  const kiln_val *args, kiln_val *results)
{
    (void)caller;
    volatile char frame[BIG_FRAME];
    if (env == NULL)
        for (size_t i = BIG_FRAME; i-- > 0;)
            frame[i] = (char)i;
    else
        for (size_t i = 0; i < BIG_FRAME; i++)
            frame[i] = (char)i;
    int32_t x = args[0].of.i32;
    results[0].of.i32 = x + 1 + frame[(uint32_t)x % BIG_FRAME] - (char)((uint32_t)x % BIG_FRAME);
    return KILN_TRAP_NONE;
}

/* A host function with a 12 KB frame, written from the top down: fits the least headroom the
 * runtime keeps (KILN_MIN_STACK_HEADROOM, 16 KiB), whatever smaller one is configured. */
#define MID_FRAME (12u * 1000u)

__attribute__((noinline)) static kiln_trap mid_fn(void *env, kiln_instance *caller,
                                                  const kiln_val *args, kiln_val *results)
{
    (void)env;
    (void)caller;
    volatile char frame[MID_FRAME];
    for (size_t i = MID_FRAME; i-- > 0;)
        frame[i] = (char)i;
    int32_t x = args[0].of.i32;
    results[0].of.i32 = x + 1 + frame[(uint32_t)x % MID_FRAME] - (char)((uint32_t)x % MID_FRAME);
    return KILN_TRAP_NONE;
}

/* env.deep: host code recursing n levels deep in frames of 1 KiB (a host function with a
 * recursion bug, when n is large). Returns n. */
__attribute__((noinline)) static int32_t host_recurse(int32_t n)
{
    volatile char frame[1024];
    frame[sizeof frame - 1] = (char)n;
    frame[0] = (char)n;
    if (n <= 0)
        return 0;
    return host_recurse(n - 1) + 1 + frame[0] - frame[sizeof frame - 1];
}

static kiln_trap deep_fn(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)env;
    (void)caller;
    results[0].of.i32 = host_recurse(args[0].of.i32);
    return KILN_TRAP_NONE;
}

/* env.nest: enters *env (another instance) from host code and returns how deep its F_DIVE
 * got before the stack limit: the depth of a nested entry. */
static kiln_trap nest_fn(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)caller;
    (void)args;
    max_depth = 0;
    kiln_trap t = rt_invoke_i(*(kiln_instance **)env, F_DIVE, 2, 0, INT32_MAX, 0, NULL);
    results[0].of.i32 = t == KILN_TRAP_STACK_EXHAUSTED ? max_depth : -1;
    return KILN_TRAP_NONE;
}

static kiln_instance *nest_target;
static int bottom_up = 1;
static const kiln_host_func big = {big_fn, NULL, 1, 1, rt_types_i_i, rt_types_i_i + 1};
static const kiln_host_func big_up = {big_fn, &bottom_up, 1, 1, rt_types_i_i, rt_types_i_i + 1};
static const kiln_host_func mid = {mid_fn, NULL, 1, 1, rt_types_i_i, rt_types_i_i + 1};
static const kiln_host_func deep = {deep_fn, NULL, 1, 1, rt_types_i_i, rt_types_i_i + 1};
static const kiln_host_func nest = {nest_fn, &nest_target, 1, 1, rt_types_i_i, rt_types_i_i + 1};
static desc_builder module_desc;
static kiln_module_desc *module;

static void build_module(void)
{
    desc_builder *m = &module_desc;
    desc_begin(m, "limits");
    uint32_t t_i_i = desc_type(m, 1, 1, rt_types_i_i);
    uint32_t t_ii_i = desc_type(m, 2, 1, rt_types_ii_i);
    desc_import_func(m, "env", "big", t_i_i, (void *)gen_adapter_big, rt_entry_i_i);
    desc_import_func(m, "env", "deep", t_i_i, (void *)gen_adapter_deep, rt_entry_i_i);
    desc_import_func(m, "env", "nest", t_i_i, (void *)gen_adapter_nest, rt_entry_i_i);
    desc_func(m, (void *)gen_dive, rt_entry_ii_i, t_ii_i);
    desc_func(m, (void *)gen_call_deep, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_call_nest, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_mgrow, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_tgrow, rt_entry_i_i, t_i_i);
    desc_memory(m, rt_limits(2));
    desc_table(m, KILN_TYPE_FUNCREF, rt_limits(3));
    module = desc_end(m);
}

/* kiln_instance_new_ex with module L's imports (env.big bound to big_host). */
static kiln_status instantiate(kiln_pool *pool, const kiln_instance_limits *limits,
                               const kiln_host_func *big_host, kiln_instance **out)
{
    kiln_import items[] = {
        {"env", "big", {.kind = KILN_KIND_HOST_FUNC, .of.host = big_host}},
        {"env", "deep", {.kind = KILN_KIND_HOST_FUNC, .of.host = &deep}},
        {"env", "nest", {.kind = KILN_KIND_HOST_FUNC, .of.host = &nest}},
    };
    kiln_imports list = {items, KILN_ARRAY_LEN(items)};
    kiln_trap trap = KILN_TRAP_UNREACHABLE;
    kiln_status s = kiln_instance_new_ex(pool, module, &list, limits, out, &trap);
    assert_int_equal(trap, KILN_TRAP_NONE);
    return s;
}

static kiln_instance *new_instance_with(kiln_pool *pool, const kiln_host_func *big_host)
{
    kiln_instance *inst = NULL;
    assert_int_equal(instantiate(pool, NULL, big_host, &inst), KILN_STATUS_OK);
    assert_non_null(inst);
    return inst;
}

static kiln_instance *new_limited(kiln_pool *pool, const kiln_instance_limits *limits)
{
    kiln_instance *inst = NULL;
    assert_int_equal(instantiate(pool, limits, &big, &inst), KILN_STATUS_OK);
    assert_non_null(inst);
    return inst;
}

static kiln_instance *new_instance(kiln_pool *pool)
{
    return new_instance_with(pool, &big);
}

/* ---- Host stack headroom ---- */

typedef struct dive_result {
    kiln_instance *inst;
    kiln_trap probe, dive, after;
    int32_t depth, value, after_value;
} dive_result;

/* On a fresh thread: find the deepest working depth, dive to exactly that depth and call
 * env.big there, then check the thread can still call into wasm. */
static void *dive_thread(void *arg)
{
    dive_result *res = arg;
    max_depth = 0;
    res->probe = rt_invoke_i(res->inst, F_DIVE, 2, 0, INT32_MAX, 0, NULL);
    res->depth = max_depth;
    res->dive = rt_invoke_i(res->inst, F_DIVE, 2, 0, res->depth, 0, &res->value);
    res->after = rt_invoke_i(res->inst, F_DIVE, 2, 0, 3, 0, &res->after_value);
    return NULL;
}

static dive_result dive_with_attr(kiln_instance *inst, const pthread_attr_t *attr)
{
    dive_result res = {.inst = inst};
    pthread_t th;
    assert_int_equal(pthread_create(&th, attr, dive_thread, &res), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    return res;
}

/* guard: the thread's guard region, 0 for the default (one page on Linux). */
static dive_result dive_on_thread(kiln_instance *inst, size_t stack, size_t guard)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    assert_int_equal(pthread_attr_setstacksize(&attr, stack), 0);
    if (guard != 0)
        assert_int_equal(pthread_attr_setguardsize(&attr, guard), 0);
    dive_result res = dive_with_attr(inst, &attr);
    pthread_attr_destroy(&attr);
    return res;
}

static void test_host_import_at_deepest_depth_on_256k_thread(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance(NULL);
    dive_result res = dive_on_thread(inst, 256 * 1024, 0);
    assert_int_equal(res.probe, KILN_TRAP_STACK_EXHAUSTED);
    assert_true(res.depth > 100);
    /* The import ran, with its whole frame, at the deepest depth wasm can reach. */
    assert_int_equal(res.dive, KILN_TRAP_NONE);
    assert_int_equal(res.value, res.depth + 1);
    assert_int_equal(res.after, KILN_TRAP_NONE);
    assert_int_equal(res.after_value, 4);
    kiln_instance_free(inst);
}

/* The safety net: a headroom too small for env.big. The import's frame runs into the
 * thread's guard region, and the fault in host code becomes a trap of the call into wasm.
 * The guard is made larger than the frame, so that the fault is in it whichever byte of the
 * frame the compiler touches first (with the default one-page guard, a frame written from its
 * lowest byte could land in whatever is mapped below; docs/abi.md). */
static void test_host_frame_over_small_headroom_traps(void **state)
{
    (void)state;
    rt_arm();
    /* The headroom set on the pool, and on the instance (in the default pool). */
    kiln_pool_config cfg = {.slots = 1, .stack_headroom = 16 * 1024};
    kiln_pool *pool;
    assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
    kiln_instance_limits limits = {.stack_headroom = 16 * 1024};
    kiln_instance *insts[2] = {new_instance(pool), new_limited(NULL, &limits)};
    for (int i = 0; i < 4; i++) {
        dive_result res = dive_on_thread(insts[i % 2], 256 * 1024, 128 * 1024);
        assert_int_equal(res.probe, KILN_TRAP_STACK_EXHAUSTED);
        assert_true(res.depth > 100);
        assert_int_equal(res.dive, KILN_TRAP_STACK_EXHAUSTED);
        assert_int_equal(res.after, KILN_TRAP_NONE);
        assert_int_equal(res.after_value, 4);
    }
    kiln_instance_free(insts[0]);
    kiln_instance_free(insts[1]);
    kiln_pool_free(pool);
}

/* A headroom configured below 16 KiB keeps 16 KiB (docs/abi.md, "Stack headroom": small wasm
 * functions that call no wasm code run there without a check of their own): a 12 KB host frame
 * at the deepest depth runs. With 2 KiB honoured it would run into the guard page and trap. */
static void test_headroom_has_a_minimum(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config cfg = {.slots = 1, .stack_headroom = 2 * 1024};
    kiln_pool *pool;
    assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
    kiln_instance_limits limits = {.stack_headroom = 1024};
    kiln_instance *insts[2] = {new_instance_with(pool, &mid), NULL};
    assert_int_equal(instantiate(NULL, &limits, &mid, &insts[1]), KILN_STATUS_OK);
    for (int i = 0; i < 2; i++) {
        dive_result res = dive_on_thread(insts[i], 256 * 1024, 0);
        assert_int_equal(res.probe, KILN_TRAP_STACK_EXHAUSTED);
        assert_true(res.depth > 100);
        assert_int_equal(res.dive, KILN_TRAP_NONE);
        assert_int_equal(res.value, res.depth + 1);
        assert_int_equal(res.after, KILN_TRAP_NONE);
        assert_int_equal(res.after_value, 4);
    }
    kiln_instance_free(insts[0]);
    kiln_instance_free(insts[1]);
    kiln_pool_free(pool);
}

/* The same with the frame written from its lowest byte: the stack pointer itself leaves the
 * stack, and the first write lands 80 KB below it, far past a one-page guard. The thread
 * runs on a stack of our own with 256 KiB of PROT_NONE below it, so that address is known to
 * be unmapped (on an ordinary thread it may belong to another mapping: no runtime can see
 * such a write, docs/abi.md). */
static void test_host_frame_skipping_the_guard_traps(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config cfg = {.slots = 1, .stack_headroom = 16 * 1024};
    kiln_pool *pool;
    assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
    kiln_instance *inst = new_instance_with(pool, &big_up);
    size_t below = 256 * 1024, stack = 256 * 1024;
    char *map = mmap(NULL, below + stack, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + below, stack, PROT_READ | PROT_WRITE), 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    assert_int_equal(pthread_attr_setstack(&attr, map + below, stack), 0);
    for (int round = 0; round < 2; round++) {
        dive_result res = dive_with_attr(inst, &attr);
        assert_int_equal(res.probe, KILN_TRAP_STACK_EXHAUSTED);
        assert_int_equal(res.dive, KILN_TRAP_STACK_EXHAUSTED);
        assert_int_equal(res.after, KILN_TRAP_NONE);
        assert_int_equal(res.after_value, 4);
    }
    pthread_attr_destroy(&attr);
    munmap(map, below + stack);
    kiln_instance_free(inst);
    kiln_pool_free(pool);
}

typedef struct deep_result {
    kiln_instance *inst;
    kiln_trap runaway, runaway_again, shallow;
    int32_t value;
    uint32_t depth_after;
} deep_result;

static void *deep_thread(void *arg)
{
    deep_result *res = arg;
    res->runaway = rt_invoke_i(res->inst, F_CALL_DEEP, 1, INT32_MAX, 0, 0, NULL);
    res->runaway_again = rt_invoke_i(res->inst, F_CALL_DEEP, 1, INT32_MAX, 0, 0, NULL);
    res->shallow = rt_invoke_i(res->inst, F_CALL_DEEP, 1, 50, 0, 0, &res->value);
    res->depth_after = kiln_tls.depth;
    return NULL;
}

/* A host function that recurses without bound (1 KiB frames, the default one-page guard):
 * "call stack exhausted" for the wasm call that reached it, every time, and the thread goes
 * on. */
static void test_runaway_host_recursion_traps(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance(NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    assert_int_equal(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
    deep_result res = {.inst = inst};
    pthread_t th;
    assert_int_equal(pthread_create(&th, &attr, deep_thread, &res), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
    assert_int_equal(res.runaway, KILN_TRAP_STACK_EXHAUSTED);
    assert_int_equal(res.runaway_again, KILN_TRAP_STACK_EXHAUSTED);
    assert_int_equal(res.shallow, KILN_TRAP_NONE);
    assert_int_equal(res.value, 50);
    assert_int_equal(res.depth_after, 0);
    kiln_instance_free(inst);
}

/* ---- Per-instance limits ---- */

static int32_t call(kiln_instance *inst, uint32_t func, int32_t arg)
{
    int32_t r = 0;
    assert_int_equal(rt_invoke_i(inst, func, 1, arg, 0, 0, &r), KILN_TRAP_NONE);
    return r;
}

static uint64_t memory_pages(kiln_instance *inst)
{
    return kiln_instance_memory(inst, 0)->size / 65536;
}

static uint32_t table_size(kiln_instance *inst)
{
    return kiln_vm_table(inst->vmctx, 0)->pub.size;
}

static void test_memory_limit_per_instance(void **state)
{
    (void)state;
    rt_arm();
    /* The module declares no maximum: the instance's limit is the bound. */
    kiln_instance_limits limits = {.max_memory_pages = 5};
    kiln_instance *inst = new_limited(NULL, &limits);
    assert_int_equal(call(inst, F_MGROW, 3), 2);
    assert_int_equal(call(inst, F_MGROW, 1), -1);
    assert_int_equal(call(inst, F_MGROW, 100000), -1);
    assert_int_equal(memory_pages(inst), 5);
    assert_int_equal(call(inst, F_MGROW, 0), 5);
    kiln_instance_free(inst);

    /* Without limits, the same instance of the same pool grows further. */
    inst = new_instance(NULL);
    assert_int_equal(call(inst, F_MGROW, 8), 2);
    assert_int_equal(memory_pages(inst), 10);
    kiln_instance_free(inst);

    /* The smaller wins: a pool's 4 pages over an instance's 100. */
    kiln_pool_config cfg = {.slots = 1, .max_memory_pages = 4};
    kiln_pool *pool;
    assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
    limits.max_memory_pages = 100;
    inst = new_limited(pool, &limits);
    assert_int_equal(call(inst, F_MGROW, 2), 2);
    assert_int_equal(call(inst, F_MGROW, 1), -1);
    assert_int_equal(memory_pages(inst), 4);
    kiln_instance_free(inst);
    kiln_pool_free(pool);
}

static void test_table_limit_per_instance(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance_limits limits = {.max_table_elems = 4};
    kiln_instance *inst = new_limited(NULL, &limits);
    assert_int_equal(call(inst, F_TGROW, 1), 3);
    assert_int_equal(call(inst, F_TGROW, 1), -1);
    assert_int_equal(call(inst, F_TGROW, INT32_MAX), -1);
    assert_int_equal(table_size(inst), 4);
    assert_int_equal(call(inst, F_TGROW, 0), 4);
    kiln_instance_free(inst);

    inst = new_instance(NULL);
    assert_int_equal(call(inst, F_TGROW, 100), 3);
    kiln_instance_free(inst);

    kiln_pool_config cfg = {.slots = 1, .max_table_elems = 5};
    kiln_pool *pool;
    assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
    limits.max_table_elems = 1000;
    inst = new_limited(pool, &limits);
    assert_int_equal(call(inst, F_TGROW, 2), 3);
    assert_int_equal(call(inst, F_TGROW, 1), -1);
    kiln_instance_free(inst);
    kiln_pool_free(pool);
}

/* An initial size over the instance's limit: KILN_STATUS_LIMIT, a message naming it, nothing
 * left behind (the pool's only slot is free again), in both kinds of pool. */
static void test_initial_size_over_limit_fails(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config cfg = {.slots = 1};
    kiln_pool *pools[2];
    assert_int_equal(kiln_pool_new(&cfg, &pools[0]), KILN_STATUS_OK);
    assert_int_equal(kiln_module_pool_new(module, &cfg, &pools[1]), KILN_STATUS_OK);
    for (int i = 0; i < 2; i++) {
        kiln_instance *inst = NULL;
        kiln_instance_limits limits = {.max_memory_pages = 1};
        assert_int_equal(instantiate(pools[i], &limits, &big, &inst), KILN_STATUS_LIMIT);
        assert_null(inst);
        assert_string_equal(kiln_last_error(),
                            "memory 0 of 2 pages is over the instance's limit of 1 pages");
        limits = (kiln_instance_limits){.max_table_elems = 2};
        assert_int_equal(instantiate(pools[i], &limits, &big, &inst), KILN_STATUS_LIMIT);
        assert_null(inst);
        assert_string_equal(kiln_last_error(),
                            "table 0 of 3 elements is over the instance's limit of 2");
        /* Exactly at the limits is fine. */
        limits = (kiln_instance_limits){.max_memory_pages = 2, .max_table_elems = 3};
        inst = new_limited(pools[i], &limits);
        assert_int_equal(call(inst, F_MGROW, 1), -1);
        assert_int_equal(call(inst, F_TGROW, 1), -1);
        kiln_instance_free(inst);
        kiln_pool_free(pools[i]);
    }
}

/* A module pool's slot goes to the next instance with the pool's limits, not the previous
 * instance's. */
static void test_limits_in_module_pool(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config cfg = {.slots = 1, .max_memory_pages = 8, .max_table_elems = 10};
    kiln_pool *pool;
    assert_int_equal(kiln_module_pool_new(module, &cfg, &pool), KILN_STATUS_OK);
    for (int round = 0; round < 2; round++) {
        kiln_instance_limits limits = {.max_memory_pages = 3, .max_table_elems = 4};
        kiln_instance *inst = new_limited(pool, &limits);
        assert_int_equal(call(inst, F_MGROW, 1), 2);
        assert_int_equal(call(inst, F_MGROW, 1), -1);
        assert_int_equal(call(inst, F_TGROW, 1), 3);
        assert_int_equal(call(inst, F_TGROW, 1), -1);
        kiln_instance_free(inst);
        inst = new_instance(pool);
        assert_int_equal(call(inst, F_MGROW, 6), 2);
        assert_int_equal(call(inst, F_MGROW, 1), -1);
        assert_int_equal(call(inst, F_TGROW, 7), 3);
        assert_int_equal(call(inst, F_TGROW, 1), -1);
        kiln_instance_free(inst);
    }
    kiln_pool_free(pool);
}

typedef struct grow_log {
    int calls;
    kiln_instance *inst;
    kiln_grow_kind kind;
    uint32_t index;
    uint64_t current, requested;
    uint64_t allow_up_to; /* the callback allows sizes up to this */
} grow_log;

static bool on_grow(void *env, kiln_instance *inst, kiln_grow_kind kind, uint32_t index,
                    uint64_t current, uint64_t requested)
{
    grow_log *log = env;
    log->calls++;
    log->inst = inst;
    log->kind = kind;
    log->index = index;
    log->current = current;
    log->requested = requested;
    return requested <= log->allow_up_to;
}

static void check_log(const grow_log *log, int calls, kiln_instance *inst, kiln_grow_kind kind,
                      uint64_t current, uint64_t requested)
{
    assert_int_equal(log->calls, calls);
    assert_ptr_equal(log->inst, inst);
    assert_int_equal(log->kind, kind);
    assert_int_equal(log->index, 0);
    assert_int_equal(log->current, current);
    assert_int_equal(log->requested, requested);
}

static void test_grow_callback(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config cfg = {.slots = 1};
    kiln_pool *pools[2];
    assert_int_equal(kiln_pool_new(&cfg, &pools[0]), KILN_STATUS_OK);
    assert_int_equal(kiln_module_pool_new(module, &cfg, &pools[1]), KILN_STATUS_OK);
    for (int i = 0; i < 2; i++) {
        grow_log log = {.allow_up_to = 4};
        kiln_instance_limits limits = {
            .max_memory_pages = 6, .max_table_elems = 8, .on_grow = on_grow, .on_grow_env = &log};
        kiln_instance *inst = new_limited(pools[i], &limits);
        /* Memory: allowed, refused, not asked for 0 or over the limit. */
        assert_int_equal(call(inst, F_MGROW, 1), 2);
        check_log(&log, 1, inst, KILN_GROW_MEMORY, 2, 3);
        assert_int_equal(call(inst, F_MGROW, 2), -1);
        check_log(&log, 2, inst, KILN_GROW_MEMORY, 3, 5);
        assert_int_equal(memory_pages(inst), 3);
        assert_int_equal(call(inst, F_MGROW, 0), 3);
        assert_int_equal(call(inst, F_MGROW, 4), -1);
        assert_int_equal(log.calls, 2);
        log.allow_up_to = 6;
        assert_int_equal(call(inst, F_MGROW, 3), 3);
        check_log(&log, 3, inst, KILN_GROW_MEMORY, 3, 6);
        /* Tables. */
        log.allow_up_to = 4;
        assert_int_equal(call(inst, F_TGROW, 1), 3);
        check_log(&log, 4, inst, KILN_GROW_TABLE, 3, 4);
        assert_int_equal(call(inst, F_TGROW, 1), -1);
        check_log(&log, 5, inst, KILN_GROW_TABLE, 4, 5);
        assert_int_equal(table_size(inst), 4);
        assert_int_equal(call(inst, F_TGROW, 0), 4);
        assert_int_equal(call(inst, F_TGROW, 5), -1);
        assert_int_equal(log.calls, 5);
        kiln_instance_free(inst);
        /* The next instance of the slot has no callback. */
        inst = new_instance(pools[i]);
        assert_int_equal(call(inst, F_MGROW, 1), 2);
        assert_int_equal(log.calls, 5);
        kiln_instance_free(inst);
        kiln_pool_free(pools[i]);
    }
}

/* How deep F_DIVE gets from this thread before "call stack exhausted". */
static int32_t probe_depth(kiln_instance *inst)
{
    max_depth = 0;
    assert_int_equal(rt_invoke_i(inst, F_DIVE, 2, 0, INT32_MAX, 0, NULL),
                     KILN_TRAP_STACK_EXHAUSTED);
    return max_depth;
}

static void test_stack_size_per_instance(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance(NULL);
    int32_t full = probe_depth(inst);
    kiln_instance_free(inst);
    kiln_instance_limits limits = {.stack_size = 64 * 1024};
    inst = new_limited(NULL, &limits);
    int32_t small = probe_depth(inst);
    kiln_instance_free(inst);
    assert_true(small > 10);
    assert_true(small < full / 8);
    /* The smaller wins: a pool's 64 KiB over an instance's 4 MiB. */
    kiln_pool_config cfg = {.slots = 1, .stack_size = 64 * 1024};
    kiln_pool *pool;
    assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
    limits.stack_size = 4096 * 1024;
    inst = new_limited(pool, &limits);
    assert_int_equal(probe_depth(inst), small);
    kiln_instance_free(inst);
    kiln_pool_free(pool);
}

/* An instance entered from a host function (wasm -> host -> wasm) keeps its own budget. */
static void test_nested_entry_keeps_its_budget(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance_limits limits = {.stack_size = 64 * 1024};
    nest_target = new_limited(NULL, &limits);
    int32_t direct = probe_depth(nest_target);
    kiln_instance *outer = new_instance(NULL);
    int32_t nested = call(outer, F_CALL_NEST, 0);
    assert_true(nested > direct / 2);
    assert_true(nested <= direct);
    /* And an outer instance with the smaller budget still bounds the nested one. */
    kiln_instance *small = new_limited(NULL, &(kiln_instance_limits){.stack_size = 32 * 1024});
    kiln_instance_free(nest_target);
    nest_target = new_instance(NULL);
    nested = call(small, F_CALL_NEST, 0);
    assert_true(nested < direct);
    kiln_instance_free(small);
    kiln_instance_free(outer);
    kiln_instance_free(nest_target);
    nest_target = NULL;
}

static void test_new_ex_arguments(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = NULL;
    kiln_trap trap = KILN_TRAP_UNREACHABLE;
    assert_int_equal(kiln_instance_new_ex(NULL, NULL, NULL, NULL, &inst, &trap), KILN_STATUS_ARG);
    assert_int_equal(trap, KILN_TRAP_NONE);
    assert_int_equal(kiln_instance_new_ex(NULL, module, NULL, NULL, NULL, NULL), KILN_STATUS_ARG);
    /* A module pool takes only its module. */
    kiln_pool_config cfg = {.slots = 1};
    kiln_pool *pool;
    desc_builder other = module_desc;
    assert_int_equal(kiln_module_pool_new(module, &cfg, &pool), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_new_ex(pool, desc_end(&other), NULL, NULL, &inst, NULL),
                     KILN_STATUS_ARG);
    assert_null(inst);
    kiln_pool_free(pool);
    /* Missing imports are still a link error. */
    assert_int_equal(kiln_instance_new_ex(NULL, module, NULL, NULL, &inst, NULL), KILN_STATUS_LINK);
    assert_null(inst);
}

int main(void)
{
    build_module();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_import_at_deepest_depth_on_256k_thread),
        cmocka_unit_test(test_host_frame_over_small_headroom_traps),
        cmocka_unit_test(test_headroom_has_a_minimum),
        cmocka_unit_test(test_host_frame_skipping_the_guard_traps),
        cmocka_unit_test(test_runaway_host_recursion_traps),
        cmocka_unit_test(test_memory_limit_per_instance),
        cmocka_unit_test(test_table_limit_per_instance),
        cmocka_unit_test(test_initial_size_over_limit_fails),
        cmocka_unit_test(test_limits_in_module_pool),
        cmocka_unit_test(test_grow_callback),
        cmocka_unit_test(test_stack_size_per_instance),
        cmocka_unit_test(test_nested_entry_keeps_its_budget),
        cmocka_unit_test(test_new_ex_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
