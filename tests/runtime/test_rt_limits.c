/* test_rt_limits.c -- host stack headroom.
 *
 * Module L stands for a small compiled module (rt_test.h): one host import env.big, whose
 * host function has a 100 KB frame, and a function that recurses to a given depth (with the
 * prologue check) and calls that import at the bottom.
 *
 * The case a new user met: on a thread of 256 KiB, a guest that recurses to its deepest
 * working depth and then calls a host import with a 100 KB frame killed the process with
 * SIGSEGV. Now the import runs: the wasm stack limit leaves it room.
 */
#include <pthread.h>
#include <unistd.h>

#include "rt_test.h"

/* ---- Module L ---- */

enum { F_BIG, F_DIVE, F_COUNT };

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

/* env.big: a host function with a 100 KB frame, every byte of it written from the top down
 * (the order a stack probe takes). Returns its argument + 1. */
#define BIG_FRAME (100u * 1000u)

__attribute__((noinline)) static kiln_trap big_fn(void *env, kiln_instance *caller,
                                                  const kiln_val *args, kiln_val *results)
{
    (void)env;
    (void)caller;
    volatile char frame[BIG_FRAME];
    for (size_t i = BIG_FRAME; i-- > 0;)
        frame[i] = (char)i;
    int32_t x = args[0].of.i32;
    results[0].of.i32 = x + 1 + frame[(uint32_t)x % BIG_FRAME] - (char)((uint32_t)x % BIG_FRAME);
    return KILN_TRAP_NONE;
}

static const kiln_host_func big = {big_fn, NULL, 1, 1, rt_types_i_i, rt_types_i_i + 1};
static desc_builder module_desc;
static kiln_module_desc *module;

static void build_module(void)
{
    desc_builder *m = &module_desc;
    desc_begin(m, "limits");
    uint32_t t_i_i = desc_type(m, 1, 1, rt_types_i_i);
    uint32_t t_ii_i = desc_type(m, 2, 1, rt_types_ii_i);
    desc_import_func(m, "env", "big", t_i_i, (void *)gen_adapter_big, rt_entry_i_i);
    desc_func(m, (void *)gen_dive, rt_entry_ii_i, t_ii_i);
    module = desc_end(m);
}

static kiln_instance *new_instance_with(kiln_pool *pool, const kiln_host_func *big_host)
{
    kiln_import items[] = {
        {"env", "big", {.kind = KILN_KIND_HOST_FUNC, .of.host = big_host}},
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

int main(void)
{
    build_module();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_import_at_deepest_depth_on_256k_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
