/* test_rt_limits.c -- host stack headroom, and stack overflows of host code called from wasm.
 *
 * Module L stands for a small compiled module (rt_test.h): two host imports, env.big (a host
 * function with a 100 KB frame) and env.deep (host code recursing in 1 KiB frames), a
 * function that recurses to a given depth (with the prologue check) and calls env.big at the
 * bottom, and one that calls env.deep.
 *
 * The case a new user met: on a thread of 256 KiB, a guest that recurses to its deepest
 * working depth and then calls a host import with a 100 KB frame killed the process with
 * SIGSEGV. Now the import runs (the wasm stack limit leaves it room), and host code that
 * needs more stack than the headroom gives becomes a "call stack exhausted" trap of the call
 * into wasm, not a crash.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rt_test.h"

/* ---- Module L ---- */

enum { F_BIG, F_DEEP, F_DIVE, F_CALL_DEEP, F_COUNT };

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

static int bottom_up = 1;
static const kiln_host_func big = {big_fn, NULL, 1, 1, rt_types_i_i, rt_types_i_i + 1};
static const kiln_host_func big_up = {big_fn, &bottom_up, 1, 1, rt_types_i_i, rt_types_i_i + 1};
static const kiln_host_func deep = {deep_fn, NULL, 1, 1, rt_types_i_i, rt_types_i_i + 1};
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
    desc_func(m, (void *)gen_dive, rt_entry_ii_i, t_ii_i);
    desc_func(m, (void *)gen_call_deep, rt_entry_i_i, t_i_i);
    module = desc_end(m);
}

static kiln_instance *new_instance_with(kiln_pool *pool, const kiln_host_func *big_host)
{
    kiln_import items[] = {
        {"env", "big", {.kind = KILN_KIND_HOST_FUNC, .of.host = big_host}},
        {"env", "deep", {.kind = KILN_KIND_HOST_FUNC, .of.host = &deep}},
    };
    kiln_imports list = {items, KILN_ARRAY_LEN(items)};
    kiln_instance *inst = NULL;
    kiln_trap trap;
    kiln_status s = pool != NULL ? kiln_instance_new_in(pool, module, &list, &inst, &trap)
                                 : kiln_instance_new(module, &list, &inst);
    assert_int_equal(s, KILN_STATUS_OK);
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
    kiln_pool_config cfg = {.slots = 1, .stack_headroom = 16 * 1024};
    kiln_pool *pool;
    assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
    kiln_instance *inst = new_instance(pool);
    for (int round = 0; round < 2; round++) {
        dive_result res = dive_on_thread(inst, 256 * 1024, 128 * 1024);
        assert_int_equal(res.probe, KILN_TRAP_STACK_EXHAUSTED);
        assert_true(res.depth > 100);
        assert_int_equal(res.dive, KILN_TRAP_STACK_EXHAUSTED);
        assert_int_equal(res.after, KILN_TRAP_NONE);
        assert_int_equal(res.after_value, 4);
    }
    kiln_instance_free(inst);
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

int main(void)
{
    build_module();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_import_at_deepest_depth_on_256k_thread),
        cmocka_unit_test(test_host_frame_over_small_headroom_traps),
        cmocka_unit_test(test_host_frame_skipping_the_guard_traps),
        cmocka_unit_test(test_runaway_host_recursion_traps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
