/* test_rt_trap.c -- traps: explicit ones of every kind, guard-page faults, nesting, stack
 * exhaustion (prologue check and guard page, main thread and a 64 KiB pthread), resource
 * flatness over 100,000 traps, and concurrent trapping threads.
 *
 * The "module" is hand-written generated code (rt_test.h): functions in kiln_text, one host
 * import with its adapter, one memory of 1 page.
 */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "rt_test.h"

enum {
    F_HOST,        /* import env.host: (i32) -> i32 */
    F_RAISE,       /* (i32) -> (): kiln_trap_raise(arg) */
    F_STORE,       /* (i32) -> (): store at one of the addresses below */
    F_LOAD,        /* (i32) -> i32: load u32 at base + arg */
    F_RECURSE,     /* (i32) -> i32: recursion with the prologue check */
    F_RECURSE_RAW, /* (i32) -> i32: recursion without it (guard page) */
    F_CALL_HOST,   /* (i32) -> i32: import 0 + 1000 */
    F_INNER,       /* (i32) -> i32: 0 = unreachable, 1 = fault, else 2x */
    F_COUNT
};
enum { STORE_5GIB, STORE_END, STORE_LAST_GUARD_BYTE, STORE_VALID };

static volatile int32_t max_depth;

KILN_GEN static int32_t gen_adapter_host(kiln_vmctx *vm, int32_t x)
{
    uint64_t ar[2] = {0, 0};
    memcpy(ar, &x, 4);
    kiln_host_call(vm, 0, ar);
    int32_t r;
    memcpy(&r, ar, 4);
    return r;
}

KILN_GEN static void gen_raise(kiln_vmctx *vm, int32_t trap)
{
    RT_PROLOGUE(vm);
    kiln_trap_raise(vm, (uint32_t)trap);
}

KILN_GEN static void gen_store(kiln_vmctx *vm, int32_t which)
{
    RT_PROLOGUE(vm);
    uint8_t *base = vm->mem0_base.p;
    const kiln_memory *mem = vm->memory0.p;
    uint64_t where = 16;
    if (which == STORE_5GIB)
        where = UINT64_C(5) << 30;
    else if (which == STORE_END)
        where = mem->size;
    else if (which == STORE_LAST_GUARD_BYTE)
        where = KILN_MEMORY_RESERVATION - 1;
    *(volatile uint8_t *)(base + where) = 0x5A;
}

KILN_GEN static int32_t gen_load(kiln_vmctx *vm, int32_t addr)
{
    RT_PROLOGUE(vm);
    uint32_t v;
    memcpy(&v, (uint8_t *)vm->mem0_base.p + (uint32_t)addr, 4);
    return (int32_t)v;
}

KILN_GEN static int32_t gen_recurse(kiln_vmctx *vm, int32_t n)
{
    RT_PROLOGUE(vm);
    volatile char pad[64];
    pad[0] = (char)n;
    if (n > max_depth)
        max_depth = n;
    if (n == -1)
        return 0;
    return gen_recurse(vm, n + 1) + pad[0];
}

KILN_GEN static int32_t gen_recurse_raw(kiln_vmctx *vm, int32_t n)
{
    volatile char pad[64];
    pad[0] = (char)n;
    if (n > max_depth)
        max_depth = n;
    if (n == -1)
        return 0;
    return gen_recurse_raw(vm, n + 1) + pad[0];
}

KILN_GEN static int32_t gen_call_host(kiln_vmctx *vm, int32_t x)
{
    RT_PROLOGUE(vm);
    kiln_import_slot *slot = &kiln_vm_imports(vm)[0];
    return ((rt_fn_i_i)slot->code.p)(slot->vmctx.p, x) + 1000;
}

KILN_GEN static int32_t gen_inner(kiln_vmctx *vm, int32_t x)
{
    RT_PROLOGUE(vm);
    if (x == 0)
        kiln_trap_raise(vm, KILN_TRAP_UNREACHABLE);
    if (x == 1)
        *(volatile uint8_t *)((uint8_t *)vm->mem0_base.p + (UINT64_C(5) << 30)) = 1;
    return 2 * x;
}

/* The host import: runs F_INNER (or, for x >= 100, F_CALL_HOST with x - 100) as a nested
 * entry and returns the trap it saw; x == 42 fails the host call itself. */
static kiln_trap host_fn(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    int *calls = env;
    __atomic_fetch_add(calls, 1, __ATOMIC_RELAXED); /* two threads share this host function */
    int32_t x = args[0].of.i32;
    if (x == 42)
        return KILN_TRAP_INT_OVERFLOW;
    uint32_t depth_before = kiln_tls.depth;
    int32_t r = 0;
    kiln_trap t = x >= 100 ? rt_invoke_i(caller, F_CALL_HOST, 1, x - 100, 0, 0, &r)
                           : rt_invoke_i(caller, F_INNER, 1, x, 0, 0, &r);
    assert_int_equal(kiln_tls.depth, depth_before);
    results[0].of.i32 = t != KILN_TRAP_NONE ? (int32_t)t : (x >= 100 ? r : 0);
    return KILN_TRAP_NONE;
}

static int host_calls;
static const kiln_host_func host = {host_fn, &host_calls, 1, 1, rt_types_i_i, rt_types_i_i + 1};
static desc_builder module_desc;
static kiln_module_desc *module;

static void build_module(void)
{
    desc_builder *m = &module_desc;
    desc_begin(m, "test");
    uint32_t t_i_i = desc_type(m, 1, 1, rt_types_i_i);
    uint32_t t_i_v = desc_type(m, 1, 0, rt_types_i);
    desc_import_func(m, "env", "host", t_i_i, (void *)gen_adapter_host, rt_entry_i_i);
    desc_func(m, (void *)gen_raise, rt_entry_i_v, t_i_v);
    desc_func(m, (void *)gen_store, rt_entry_i_v, t_i_v);
    desc_func(m, (void *)gen_load, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_recurse, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_recurse_raw, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_call_host, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_inner, rt_entry_i_i, t_i_i);
    desc_memory(m, rt_limits_max(1, 2));
    module = desc_end(m);
}

static kiln_instance *new_instance(kiln_pool *pool)
{
    kiln_import item = {"env", "host", {.kind = KILN_KIND_HOST_FUNC, .of.host = &host}};
    kiln_imports list = {&item, 1};
    kiln_instance *inst = NULL;
    kiln_trap trap;
    kiln_status s = pool != NULL ? kiln_instance_new_in(pool, module, &list, &inst, &trap)
                                 : kiln_instance_new(module, &list, &inst);
    assert_int_equal(s, KILN_STATUS_OK);
    assert_non_null(inst);
    return inst;
}

static bool segv_blocked(void)
{
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, SIGSEGV) || sigismember(&cur, SIGBUS);
}

static void test_every_explicit_trap_kind(void **state)
{
    (void)state;
    rt_arm();
    static const char *const wording[KILN_TRAP_COUNT] = {
        "no trap",
        "unreachable",
        "out of bounds memory access",
        "integer divide by zero",
        "integer overflow",
        "invalid conversion to integer",
        "out of bounds table access",
        "undefined element",
        "uninitialized element",
        "indirect call type mismatch",
        "call stack exhausted",
        "host function failed",
        "exit",
        "interrupted",
        "null function reference",
        "null reference",
        "null exception reference",
        "uncaught exception",
        "unaligned atomic",
        "expected shared memory",
    };
    kiln_instance *inst = new_instance(NULL);
    for (int t = 1; t < KILN_TRAP_COUNT; t++) {
        assert_int_equal(rt_invoke_i(inst, F_RAISE, 1, t, 0, 0, NULL), t);
        assert_string_equal(kiln_trap_message((kiln_trap)t), wording[t]);
        assert_int_equal(kiln_tls.depth, 0);
    }
    assert_string_equal(kiln_trap_message(KILN_TRAP_NONE), "no trap");
    assert_string_equal(kiln_trap_message((kiln_trap)999), "unknown trap");
    /* Out-of-range codes from buggy callers still unwind, as a host trap. */
    assert_int_equal(rt_invoke_i(inst, F_RAISE, 1, 0, 0, 0, NULL), KILN_TRAP_HOST);
    assert_int_equal(rt_invoke_i(inst, F_RAISE, 1, 999, 0, 0, NULL), KILN_TRAP_HOST);
    assert_string_equal(kiln_status_message(KILN_STATUS_OK), "ok");
    assert_string_equal(kiln_status_message(KILN_STATUS_LINK), "unknown or incompatible import");
    kiln_instance_free(inst);
}

static void test_guard_page_faults_are_memory_traps(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance(NULL);
    kiln_vmctx *vm = inst->vmctx;
    assert_int_equal(vm->stack_limit, 0);
    assert_int_equal(rt_invoke_i(inst, F_STORE, 1, STORE_5GIB, 0, 0, NULL), KILN_TRAP_MEMORY_OOB);
    assert_false(segv_blocked());         /* the fault path unblocked the signal */
    assert_int_equal(vm->stack_limit, 0); /* restored by the unwound entry */
    assert_int_equal(rt_invoke_i(inst, F_STORE, 1, STORE_END, 0, 0, NULL), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(rt_invoke_i(inst, F_STORE, 1, STORE_LAST_GUARD_BYTE, 0, 0, NULL),
                     KILN_TRAP_MEMORY_OOB);
    /* Still usable: a valid store and load. */
    assert_int_equal(rt_invoke_i(inst, F_STORE, 1, STORE_VALID, 0, 0, NULL), KILN_TRAP_NONE);
    int32_t v = 0;
    assert_int_equal(rt_invoke_i(inst, F_LOAD, 1, 16, 0, 0, &v), KILN_TRAP_NONE);
    assert_int_equal(v, 0x5A);
    /* A load of the last 4 bytes is fine, one byte further faults. */
    assert_int_equal(rt_invoke_i(inst, F_LOAD, 1, 65532, 0, 0, &v), KILN_TRAP_NONE);
    assert_int_equal(rt_invoke_i(inst, F_LOAD, 1, 65533, 0, 0, &v), KILN_TRAP_MEMORY_OOB);
    /* After growing, the same address is valid. */
    assert_int_equal(kiln_memory_grow(vm, 0, 1), 1);
    assert_int_equal(rt_invoke_i(inst, F_LOAD, 1, 65533, 0, 0, &v), KILN_TRAP_NONE);
    assert_int_equal(rt_invoke_i(inst, F_STORE, 1, STORE_END, 0, 0, NULL), KILN_TRAP_MEMORY_OOB);
    kiln_instance_free(inst);
}

static void test_nested_trap_unwinds_only_the_inner_entry(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance(NULL);
    int32_t r = 0;
    host_calls = 0;
    /* wasm -> host -> wasm(unreachable): the host sees the trap, the outer call returns. */
    assert_int_equal(rt_invoke_i(inst, F_CALL_HOST, 1, 0, 0, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 1000 + KILN_TRAP_UNREACHABLE);
    /* ... a guard-page fault in the inner wasm likewise. */
    assert_int_equal(rt_invoke_i(inst, F_CALL_HOST, 1, 1, 0, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 1000 + KILN_TRAP_MEMORY_OOB);
    assert_int_equal(rt_invoke_i(inst, F_CALL_HOST, 1, 5, 0, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 1000);
    /* Three levels: wasm -> host -> wasm -> host -> wasm(trap). */
    assert_int_equal(rt_invoke_i(inst, F_CALL_HOST, 1, 100, 0, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 1000 + 1000 + KILN_TRAP_UNREACHABLE);
    /* A host function's own trap unwinds the wasm that called it. */
    assert_int_equal(rt_invoke_i(inst, F_CALL_HOST, 1, 42, 0, 0, &r), KILN_TRAP_INT_OVERFLOW);
    assert_int_equal(host_calls, 6);
    assert_int_equal(kiln_tls.depth, 0);
    assert_null(kiln_tls.top);
    assert_int_equal(inst->vmctx->stack_limit, 0);
    kiln_instance_free(inst);
}

static void test_stack_exhaustion_main_thread(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance(NULL);
    max_depth = 0;
    assert_int_equal(rt_invoke_i(inst, F_RECURSE, 1, 0, 0, 0, NULL), KILN_TRAP_STACK_EXHAUSTED);
    int32_t default_depth = max_depth;
    assert_true(default_depth > 1000);
    assert_int_equal(rt_invoke_i(inst, F_LOAD, 1, 0, 0, 0, NULL), KILN_TRAP_NONE);
    kiln_instance_free(inst);

    /* A pool with a 64 KiB stack budget gives far less depth. */
    kiln_pool_config cfg = {.slots = 1, .stack_size = 64 * 1024};
    kiln_pool *pool;
    assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
    inst = new_instance(pool);
    max_depth = 0;
    assert_int_equal(rt_invoke_i(inst, F_RECURSE, 1, 0, 0, 0, NULL), KILN_TRAP_STACK_EXHAUSTED);
    assert_true(max_depth > 10);
    assert_true(max_depth < default_depth / 4);
    kiln_instance_free(inst);
    kiln_pool_free(pool);
}

typedef struct thread_result {
    kiln_instance *inst;
    kiln_trap checked, raw, after;
    int32_t checked_depth, raw_depth;
} thread_result;

static void *small_stack_thread(void *arg)
{
    thread_result *res = arg;
    max_depth = 0;
    res->checked = rt_invoke_i(res->inst, F_RECURSE, 1, 0, 0, 0, NULL);
    res->checked_depth = max_depth;
    max_depth = 0;
    res->raw = rt_invoke_i(res->inst, F_RECURSE_RAW, 1, 0, 0, 0, NULL);
    res->raw_depth = max_depth;
    res->after = rt_invoke_i(res->inst, F_STORE, 1, STORE_VALID, 0, 0, NULL);
    return NULL;
}

static void test_stack_exhaustion_small_pthread(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance(NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* 64 KiB, or the platform's minimum if larger (aarch64 glibc: 128 KiB). */
    size_t stack = 64 * 1024;
    long min = sysconf(_SC_THREAD_STACK_MIN);
    if (min > 0 && (size_t)min > stack)
        stack = (size_t)min;
    assert_int_equal(pthread_attr_setstacksize(&attr, stack), 0);
    for (int round = 0; round < 3; round++) { /* fresh threads: setup and exit each time */
        thread_result res = {.inst = inst};
        pthread_t th;
        assert_int_equal(pthread_create(&th, &attr, small_stack_thread, &res), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_int_equal(res.checked, KILN_TRAP_STACK_EXHAUSTED);
        assert_true(res.checked_depth > 10);
        /* Without the prologue check the guard page catches it, on the alternate stack. */
        assert_int_equal(res.raw, KILN_TRAP_STACK_EXHAUSTED);
        assert_true(res.raw_depth > res.checked_depth);
        assert_int_equal(res.after, KILN_TRAP_NONE);
    }
    pthread_attr_destroy(&attr);
    kiln_instance_free(inst);
}

static void test_100000_traps_keep_memory_flat(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance(NULL);
    /* Warm-up: under ASan every abandoned frame lives on its FakeStack (detect_stack_use_
     * after_return), a fixed region used round-robin whose pages become resident during the
     * first few thousand traps; afterwards it is flat like everything else. */
    for (int i = 0; i < 10000; i++) {
        rt_invoke_i(inst, F_RAISE, 1, KILN_TRAP_INT_DIV_ZERO, 0, 0, NULL);
        rt_invoke_i(inst, F_STORE, 1, STORE_5GIB, 0, 0, NULL);
    }
    long before = rt_rss_pages();
    assert_true(before > 0);
    int wrong = 0;
    for (int i = 0; i < 100000; i++) {
        if (rt_invoke_i(inst, F_RAISE, 1, KILN_TRAP_INT_DIV_ZERO, 0, 0, NULL) !=
            KILN_TRAP_INT_DIV_ZERO)
            wrong++;
        if (rt_invoke_i(inst, F_STORE, 1, STORE_5GIB, 0, 0, NULL) != KILN_TRAP_MEMORY_OOB)
            wrong++;
    }
    long after = rt_rss_pages();
    assert_int_equal(wrong, 0);
    assert_int_equal(kiln_tls.depth, 0);
    print_message("RSS %ld -> %ld pages over 200,000 traps\n", before, after);
    assert_true(after - before < 64);
    kiln_instance_free(inst);
}

typedef struct worker {
    kiln_instance *inst;
    pthread_barrier_t *barrier;
    int wrong;
} worker;

static void *trapping_worker(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(w->barrier);
    for (int i = 0; i < 20000; i++) {
        kiln_trap want = (kiln_trap)(1 + i % (KILN_TRAP_COUNT - 1));
        if (rt_invoke_i(w->inst, F_RAISE, 1, (int32_t)want, 0, 0, NULL) != want)
            w->wrong++;
        if (rt_invoke_i(w->inst, F_STORE, 1, STORE_END, 0, 0, NULL) != KILN_TRAP_MEMORY_OOB)
            w->wrong++;
        int32_t r = 0;
        if (rt_invoke_i(w->inst, F_CALL_HOST, 1, i % 2, 0, 0, &r) != KILN_TRAP_NONE ||
            r != 1000 + (i % 2 ? KILN_TRAP_MEMORY_OOB : KILN_TRAP_UNREACHABLE))
            w->wrong++;
    }
    return NULL;
}

static void test_two_threads_trap_concurrently(void **state)
{
    (void)state;
    rt_arm();
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    worker w[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        w[i] = (worker){new_instance(NULL), &barrier, 0};
        assert_int_equal(pthread_create(&th[i], NULL, trapping_worker, &w[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].wrong, 0);
        kiln_instance_free(w[i].inst);
    }
    pthread_barrier_destroy(&barrier);
}

static void test_invoke_argument_errors(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance(NULL);
    uint64_t ar[2] = {0, 0};
    assert_int_equal(kiln_invoke(inst, F_COUNT, ar), KILN_TRAP_HOST);
    assert_non_null(strstr(kiln_last_error(), "no function"));
    assert_int_equal(kiln_invoke(NULL, 0, ar), KILN_TRAP_HOST);
    kiln_instance_free(inst);
}

int main(void)
{
    build_module();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_explicit_trap_kind),
        cmocka_unit_test(test_guard_page_faults_are_memory_traps),
        cmocka_unit_test(test_nested_trap_unwinds_only_the_inner_entry),
        cmocka_unit_test(test_stack_exhaustion_main_thread),
        cmocka_unit_test(test_stack_exhaustion_small_pthread),
        cmocka_unit_test(test_100000_traps_keep_memory_flat),
        cmocka_unit_test(test_two_threads_trap_concurrently),
        cmocka_unit_test(test_invoke_argument_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
