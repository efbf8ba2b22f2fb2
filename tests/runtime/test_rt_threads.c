/* test_rt_threads.c -- the runtime half of the threads proposal (docs/threads.md): shared
 * memories (defined, imported, made by the host, bounds-checked, in module pools; sharing must
 * match at import), memory.grow from several threads at once, and memory.atomic.wait/notify
 * (runtime/wait.c): not-equal, time-outs, notify counts in FIFO order, unshared memories, and
 * stopping a waiting thread (kiln_instance_interrupt, deadlines).
 *
 * Each thread runs its own instance (an instance is entered by one thread at a time), all of
 * them importing the one shared memory, or defining it. A test knows a thread is parked once
 * its instance counts a waiter (set under the bucket lock after it joined the waiter list);
 * then it notifies or interrupts it. Return values are asserted exactly; "it woke" gets up to a
 * minute (a loaded machine, qemu-user) and "it waited" only a lower bound. CMocka's assertions
 * run on the main thread only: worker threads record what they saw.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "rt_test.h"

#define PAGE 65536u

/* ---- "Generated code": wait, notify, grow on memory 0 ---- */

/* Functions of every test module, in this order (no function imports: indices from 0). */
enum {
    F_WAIT32, /* (addr, expected, timeout_us) -> 0/1/2; timeout_us < 0: forever */
    F_WAIT64, /* (addr, expected i64, timeout_us) -> 0/1/2 */
    F_NOTIFY, /* (addr, count) -> woken */
    F_GROW,   /* (delta) -> old size or -1 */
};

typedef int32_t (*fn_iii_i)(kiln_vmctx *, int32_t, int32_t, int32_t);
typedef int32_t (*fn_iIi_i)(kiln_vmctx *, int32_t, int64_t, int32_t);

static const uint8_t types_iii_i[4] = {KILN_TYPE_I32, KILN_TYPE_I32, KILN_TYPE_I32, KILN_TYPE_I32};
static const uint8_t types_iIi_i[4] = {KILN_TYPE_I32, KILN_TYPE_I64, KILN_TYPE_I32, KILN_TYPE_I32};

/* The host address of a (checked, aligned) access: memory 0's base + addr. A shared memory
 * never moves. */
KILN_GEN static void *at(kiln_vmctx *vm, int32_t addr)
{
    return (uint8_t *)((kiln_memory *)vm->memory0.p)->base.p + (uint32_t)addr;
}

KILN_GEN static int64_t timeout_ns(int32_t us)
{
    return us < 0 ? -1 : (int64_t)us * 1000;
}

KILN_GEN static int32_t gen_wait32(kiln_vmctx *vm, int32_t addr, int32_t expected, int32_t us)
{
    return (int32_t)kiln_atomic_wait32(vm, 0, at(vm, addr), (uint32_t)expected, timeout_ns(us));
}

KILN_GEN static int32_t gen_wait64(kiln_vmctx *vm, int32_t addr, int64_t expected, int32_t us)
{
    return (int32_t)kiln_atomic_wait64(vm, 0, at(vm, addr), (uint64_t)expected, timeout_ns(us));
}

KILN_GEN static int32_t gen_notify(kiln_vmctx *vm, int32_t addr, int32_t count)
{
    return (int32_t)kiln_atomic_notify(vm, 0, at(vm, addr), (uint32_t)count);
}

KILN_GEN static int32_t gen_grow(kiln_vmctx *vm, int32_t delta)
{
    return (int32_t)kiln_memory_grow(vm, 0, (uint32_t)delta);
}

/* Array entries for (i32, i32, i32) -> i32 and (i32, i64, i32) -> i32. */
KILN_GEN static void entry_iii_i(kiln_vmctx *vm, void *code, uint64_t *ar)
{
    int32_t a, b, c;
    memcpy(&a, &ar[0], 4);
    memcpy(&b, &ar[2], 4);
    memcpy(&c, &ar[4], 4);
    int32_t r = ((fn_iii_i)code)(vm, a, b, c);
    ar[0] = ar[1] = 0;
    memcpy(&ar[0], &r, 4);
}

KILN_GEN static void entry_iIi_i(kiln_vmctx *vm, void *code, uint64_t *ar)
{
    int32_t a, c;
    int64_t b;
    memcpy(&a, &ar[0], 4);
    memcpy(&b, &ar[2], 8);
    memcpy(&c, &ar[4], 4);
    int32_t r = ((fn_iIi_i)code)(vm, a, b, c);
    ar[0] = ar[1] = 0;
    memcpy(&ar[0], &r, 4);
}

/* ---- Modules ---- */

static kiln_limits_desc shared_limits(uint64_t min, uint64_t max)
{
    kiln_limits_desc l = rt_limits_max(min, max);
    l.shared = 1;
    return l;
}

static void add_functions(desc_builder *b)
{
    uint32_t t_wait32 = desc_type(b, 3, 1, types_iii_i);
    uint32_t t_wait64 = desc_type(b, 3, 1, types_iIi_i);
    uint32_t t_ii_i = desc_type(b, 2, 1, rt_types_ii_i);
    uint32_t t_i_i = desc_type(b, 1, 1, rt_types_i_i);
    desc_func(b, (void *)gen_wait32, entry_iii_i, t_wait32);
    desc_func(b, (void *)gen_wait64, entry_iIi_i, t_wait64);
    desc_func(b, (void *)gen_notify, rt_entry_ii_i, t_ii_i);
    desc_func(b, (void *)gen_grow, rt_entry_i_i, t_i_i);
}

#define FLAGS (RT_MODULE_FLAGS | KILN_MODULE_INTERRUPT_CHECKS)

/* user: imports a shared memory env.mem (signal-mode interruption); user_full: the same with
 * full interrupt checks (no signal); owner: defines a shared memory of 1..4 pages, exported as
 * "mem"; unshared_user: imports an unshared env.mem; plain: defines an unshared memory. */
static desc_builder user_desc, user_full_desc, owner_desc, unshared_user_desc, plain_desc;
static kiln_module_desc *user, *user_full, *owner, *unshared_user, *plain;

static void build_modules(void)
{
    desc_begin(&user_desc, "user");
    desc_import_memory(&user_desc, "env", "mem", shared_limits(0, 65536));
    add_functions(&user_desc);
    user = desc_end(&user_desc);
    user->flags = FLAGS;
    user_full_desc = user_desc;
    user_full = desc_end(&user_full_desc);
    user_full->flags = FLAGS | KILN_MODULE_INTERRUPT_FULL;

    desc_begin(&owner_desc, "owner");
    desc_memory(&owner_desc, shared_limits(1, 4));
    add_functions(&owner_desc);
    desc_export(&owner_desc, "mem", KILN_KIND_MEMORY, 0);
    owner = desc_end(&owner_desc);
    owner->flags = FLAGS;

    desc_begin(&unshared_user_desc, "unshared_user");
    desc_import_memory(&unshared_user_desc, "env", "mem", rt_limits_max(0, 65536));
    add_functions(&unshared_user_desc);
    unshared_user = desc_end(&unshared_user_desc);
    unshared_user->flags = FLAGS;

    desc_begin(&plain_desc, "plain");
    desc_memory(&plain_desc, rt_limits_max(1, 1));
    add_functions(&plain_desc);
    plain = desc_end(&plain_desc);
    plain->flags = FLAGS;
}

/* An instance of m with env.mem = mem. */
static kiln_status instantiate(const kiln_module_desc *m, kiln_memory *mem, kiln_instance **out)
{
    kiln_import item = {"env", "mem", {.kind = KILN_KIND_MEMORY, .of.memory = mem}};
    kiln_imports imports = {&item, 1};
    *out = NULL;
    return kiln_instance_new(m, &imports, out);
}

static kiln_instance *new_user(const kiln_module_desc *m, kiln_memory *mem)
{
    kiln_instance *inst;
    assert_int_equal(instantiate(m, mem, &inst), KILN_STATUS_OK);
    return inst;
}

static kiln_memory *new_shared(uint64_t min, uint64_t max)
{
    kiln_memory *mem = NULL;
    assert_int_equal(kiln_memory_new_shared(min, max, &mem), KILN_STATUS_OK);
    return mem;
}

/* wait32/wait64/notify/grow called from the host; the trap, and the result in *r. */
static kiln_trap wait32(kiln_instance *inst, int32_t addr, int32_t expected, int32_t us, int32_t *r)
{
    return rt_invoke_i(inst, F_WAIT32, 3, addr, expected, us, r);
}

static kiln_trap wait64(kiln_instance *inst, int32_t addr, int64_t expected, int32_t us, int32_t *r)
{
    uint64_t ar[6] = {0, 0, 0, 0, 0, 0};
    memcpy(&ar[0], &addr, 4);
    memcpy(&ar[2], &expected, 8);
    memcpy(&ar[4], &us, 4);
    kiln_trap t = kiln_invoke(inst, F_WAIT64, ar);
    memcpy(r, &ar[0], 4);
    return t;
}

static int32_t notify(kiln_instance *inst, int32_t addr, int32_t count)
{
    int32_t r = -1;
    assert_int_equal(rt_invoke_i(inst, F_NOTIFY, 2, addr, count, 0, &r), KILN_TRAP_NONE);
    return r;
}

static int32_t grow(kiln_instance *inst, int32_t delta)
{
    int32_t r = 0;
    assert_int_equal(rt_invoke_i(inst, F_GROW, 1, delta, 0, 0, &r), KILN_TRAP_NONE);
    return r;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ---- Waiting threads ---- */

/* One wait32 on a thread of its own: what it returned, and when it finished. */
typedef struct waiter_job {
    kiln_instance *inst;
    int32_t addr, expected, timeout_us;
    kiln_trap trap;
    int32_t result;
    int done; /* atomic */
    pthread_t thread;
} waiter_job;

static void *run_waiter(void *arg)
{
    waiter_job *j = arg;
    j->trap = wait32(j->inst, j->addr, j->expected, j->timeout_us, &j->result);
    __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void start_waiter(waiter_job *j, kiln_instance *inst, int32_t addr, int32_t expected,
                         int32_t timeout_us)
{
    memset(j, 0, sizeof *j);
    j->inst = inst;
    j->addr = addr;
    j->expected = expected;
    j->timeout_us = timeout_us;
    j->result = -1;
    assert_int_equal(pthread_create(&j->thread, NULL, run_waiter, j), 0);
}

static bool job_done(const waiter_job *j)
{
    return __atomic_load_n(&j->done, __ATOMIC_ACQUIRE) != 0;
}

/* Joins j's thread, which should finish (generously) soon. */
static void join_waiter(waiter_job *j)
{
    struct timespec limit;
    clock_gettime(CLOCK_REALTIME, &limit);
    limit.tv_sec += 60;
    assert_int_equal(pthread_timedjoin_np(j->thread, NULL, &limit), 0);
    assert_true(job_done(j));
}

/* Until a thread of inst is parked in memory.atomic.wait (up to a minute). */
static void await_parked(kiln_instance *inst)
{
    for (int i = 0; i < 60000; i++) {
        if (__atomic_load_n(&inst->waiting, __ATOMIC_ACQUIRE) == 1)
            return;
        sleep_ms(1);
    }
    fail_msg("no thread of the instance started waiting within a minute");
}

/* ---- Shared memories ---- */

/* A module defining a shared memory instantiates; another instance imports it (the same
 * record: growth seen by both); sharing must match at import, in both directions; a
 * descriptor's shared memory needs a maximum. */
static void test_shared_memory_defined_and_imported(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *a = NULL;
    assert_int_equal(kiln_instance_new(owner, NULL, &a), KILN_STATUS_OK);
    kiln_memory *mem = kiln_instance_memory(a, 0);
    assert_true(((kiln_memory_impl *)mem)->shared);
    assert_int_equal(mem->size, PAGE);
    assert_int_equal(mem->max_pages, 4);
    kiln_extern ext;
    assert_int_equal(kiln_instance_export(a, "mem", &ext), KILN_STATUS_OK);
    assert_int_equal(ext.kind, KILN_KIND_MEMORY);
    assert_ptr_equal(ext.of.memory, mem);

    kiln_instance *b = new_user(user, ext.of.memory);
    assert_ptr_equal(kiln_instance_memory(b, 0), mem);
    assert_int_equal(grow(b, 2), 1);
    assert_int_equal(mem->size, 3 * PAGE);
    assert_int_equal(grow(a, 1), 3);
    assert_int_equal(grow(b, 1), -1); /* max 4 */
    assert_int_equal(grow(b, 0), 4);

    /* Sharing must match: a shared memory for an unshared import... */
    kiln_instance *c = NULL;
    assert_int_equal(instantiate(unshared_user, mem, &c), KILN_STATUS_LINK);
    assert_string_equal(kiln_last_error(), "incompatible import type: \"env\" \"mem\": memory "
                                           "sharing: the memory is shared, the import is not");
    assert_null(c);
    /* ... and an unshared memory for a shared import. */
    kiln_memory *unshared = NULL;
    assert_int_equal(kiln_memory_new(1, 4, &unshared), KILN_STATUS_OK);
    assert_int_equal(instantiate(user, unshared, &c), KILN_STATUS_LINK);
    assert_string_equal(kiln_last_error(), "incompatible import type: \"env\" \"mem\": memory "
                                           "sharing: the import is shared, the memory is not");
    assert_int_equal(instantiate(unshared_user, unshared, &c), KILN_STATUS_OK);
    kiln_instance_free(c);
    kiln_instance_free(b);
    kiln_instance_free(a);
    kiln_memory_free(unshared);

    /* A shared memory without a maximum, or a shared flag of 2: a broken descriptor. */
    static desc_builder broken_desc;
    desc_begin(&broken_desc, "broken");
    kiln_limits_desc no_max = rt_limits(1);
    no_max.shared = 1;
    desc_memory(&broken_desc, no_max);
    kiln_module_desc *broken = desc_end(&broken_desc);
    assert_int_equal(kiln_instance_new(broken, NULL, &a), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "invalid module descriptor: memory");
    broken_desc.memories[0].limits = shared_limits(1, 2);
    broken_desc.memories[0].limits.shared = 2;
    assert_int_equal(kiln_instance_new(broken, NULL, &a), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "invalid module descriptor: memory");
    desc_begin(&broken_desc, "broken");
    desc_import_memory(&broken_desc, "env", "mem", no_max);
    broken = desc_end(&broken_desc);
    assert_int_equal(instantiate(broken, mem, &a), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "invalid module descriptor: memory import");
}

/* kiln_memory_new_shared: a maximum is required; the spectest one (1, 2) binds to a shared
 * import. */
static void test_memory_new_shared(void **state)
{
    (void)state;
    rt_arm();
    kiln_memory *mem = NULL;
    assert_int_equal(kiln_memory_new_shared(1, UINT64_MAX, &mem), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "kiln_memory_new_shared: a shared memory needs a "
                                           "maximum");
    assert_int_equal(kiln_memory_new_shared(3, 2, &mem), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "kiln_memory_new_shared: invalid memory limits: min "
                                           "3, max 2 pages (at most 65536)");
    assert_int_equal(kiln_memory_new_shared(1, 65537, &mem), KILN_STATUS_ARG);
    assert_int_equal(kiln_memory_new_shared(1, 2, NULL), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "kiln_memory_new_shared: NULL argument");
    assert_null(mem);

    mem = new_shared(1, 2);
    kiln_memory_impl *impl = (kiln_memory_impl *)mem;
    assert_true(impl->shared);
    assert_false(impl->is64);
    assert_int_equal(mem->size, PAGE);
    assert_int_equal(mem->max_pages, 2);
    /* It never moves: guard pages on 64-bit hosts, else its maximum reserved up front. */
    assert_int_equal(mem->reserved, sizeof(void *) >= 8 ? KILN_MEMORY_RESERVATION : 2 * PAGE);
    uint8_t *base = mem->base.p;
    kiln_instance *inst = new_user(user, mem);
    assert_int_equal(grow(inst, 1), 1);
    assert_int_equal(grow(inst, 1), -1);
    assert_ptr_equal(mem->base.p, base);
    base[2 * PAGE - 1] = 1;
    kiln_instance_free(inst);
    kiln_memory_free(mem);

    mem = new_shared(0, 0);
    assert_int_equal(mem->size, 0);
    kiln_memory_free(mem);
}

/* Bounds-checked: a shared memory reserves its whole limit even where others would reserve
 * less and move (kiln_checked_reserve_max lowered to 2 pages), and never moves. */
static void test_bounds_checked_shared_memory_never_moves(void **state)
{
    (void)state;
    rt_arm();
    size_t saved = kiln_checked_reserve_max;
    kiln_checked_reserve_max = 2 * PAGE;
    static desc_builder bc_desc;
    desc_begin(&bc_desc, "bc");
    desc_memory(&bc_desc, shared_limits(1, 20));
    add_functions(&bc_desc);
    kiln_module_desc *bc = desc_end(&bc_desc);
    bc->flags = KILN_MODULE_BOUNDS_CHECKED;
    kiln_instance *inst = NULL;
    assert_int_equal(kiln_instance_new(bc, NULL, &inst), KILN_STATUS_OK);
    kiln_memory *mem = kiln_instance_memory(inst, 0);
    uint8_t *base = mem->base.p;
    assert_int_equal(mem->reserved, 20 * PAGE);
    base[PAGE - 1] = 42;
    assert_int_equal(grow(inst, 2), 1);
    assert_int_equal(grow(inst, 17), 3);
    assert_int_equal(grow(inst, 1), -1);
    assert_int_equal(mem->size, 20 * PAGE);
    assert_ptr_equal(mem->base.p, base);
    assert_int_equal(mem->reserved, 20 * PAGE);
    assert_int_equal(base[PAGE - 1], 42);
    base[20 * PAGE - 1] = 43;
    kiln_instance_free(inst);

    /* The same unshared memory moves (test_rt_memory), which a shared one must never do. */
    bc_desc.memories[0].limits = rt_limits_max(1, 20);
    assert_int_equal(kiln_instance_new(bc, NULL, &inst), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_memory(inst, 0)->reserved, 2 * PAGE);
    kiln_instance_free(inst);
    kiln_checked_reserve_max = saved;
}

/* A shared memory whose reservation fails: instantiation fails with KILN_STATUS_NOMEM (the
 * address space limited with RLIMIT_AS; skipped where that is not enforced: qemu-user keeps
 * it to itself) or, where its maximum cannot fit (32-bit hosts), KILN_STATUS_LIMIT;
 * kiln_last_error says why. */
static void test_shared_reservation_failure(void **state)
{
    (void)state;
    rt_arm();
    if (sizeof(void *) < 8) {
        kiln_memory *mem = NULL;
        assert_int_equal(kiln_memory_new_shared(1, 65536, &mem), KILN_STATUS_LIMIT);
        assert_string_equal(kiln_last_error(),
                            "a shared memory reserves all it may grow to, 4294967296 bytes, "
                            "which does not fit this host's address space; give it a smaller "
                            "maximum or lower the pool's max_memory_pages");
        return;
    }
    static desc_builder big_desc;
    desc_begin(&big_desc, "big");
    desc_memory(&big_desc, shared_limits(1, 65536));
    kiln_module_desc *big = desc_end(&big_desc);
    big->flags = KILN_MODULE_BOUNDS_CHECKED;
    kiln_pool *pool = NULL;
    kiln_pool_config config = {.slots = 1};
    assert_int_equal(kiln_pool_new(&config, &pool), KILN_STATUS_OK);

    /* The address space in use, plus 1 GiB: a 4 GiB reservation cannot fit. */
    long size_pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &size_pages, &resident), 2);
    fclose(f);
    struct rlimit saved, limit;
    assert_int_equal(getrlimit(RLIMIT_AS, &saved), 0);
    limit = saved;
    limit.rlim_cur = (rlim_t)size_pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)1 << 30);
    if (saved.rlim_cur != RLIM_INFINITY && saved.rlim_cur < limit.rlim_cur)
        limit.rlim_cur = saved.rlim_cur;
    assert_int_equal(setrlimit(RLIMIT_AS, &limit), 0);
    void *probe =
        mmap(NULL, (size_t)2 << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (probe != MAP_FAILED) { /* not enforced: qemu-user keeps RLIMIT_AS to itself */
        munmap(probe, (size_t)2 << 30);
        assert_int_equal(setrlimit(RLIMIT_AS, &saved), 0);
        kiln_pool_free(pool);
        print_message("skipped: RLIMIT_AS is not enforced here (an emulator?)\n");
        skip();
    }
    kiln_instance *inst = NULL;
    kiln_status s = kiln_instance_new_in(pool, big, NULL, &inst, NULL);
    char error[256];
    snprintf(error, sizeof error, "%s", kiln_last_error());
    assert_int_equal(setrlimit(RLIMIT_AS, &saved), 0);
    assert_int_equal(s, KILN_STATUS_NOMEM);
    assert_string_equal(error, "cannot reserve 4294967296 bytes for a shared memory (it never "
                               "moves, so it reserves all it may grow to)");
    assert_null(inst);
    /* With the address space back, the same module instantiates. */
    assert_int_equal(kiln_instance_new_in(pool, big, NULL, &inst, NULL), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_memory(inst, 0)->reserved, UINT64_C(1) << 32);
    kiln_instance_free(inst);
    kiln_pool_free(pool);
}

/* Module pools: a shared memory the module defines is not the slot's but an object of its
 * own (it may outlive the instance): its data segments are applied, it grows in place and the
 * slot's next instance gets a fresh one; bounds-checked, it reserves its whole limit. */
static void test_shared_memory_in_module_pool(void **state)
{
    (void)state;
    rt_arm();
    static desc_builder pool_desc;
    desc_begin(&pool_desc, "pooled");
    desc_memory(&pool_desc, shared_limits(1, 4));
    add_functions(&pool_desc);
    desc_active_data(&pool_desc, rt_init_i32(16), "hello", 5);
    kiln_module_desc *pooled = desc_end(&pool_desc);
    size_t saved = kiln_checked_reserve_max;
    for (int checked = 0; checked < 2; checked++) {
        if (!checked && sizeof(void *) < 8)
            continue; /* guard pages: 64-bit hosts only */
        pooled->flags = checked ? KILN_MODULE_BOUNDS_CHECKED : 0;
        kiln_checked_reserve_max = checked ? 2 * PAGE : saved;
        kiln_pool *pool = NULL;
        kiln_pool_config config = {.slots = 1};
        assert_int_equal(kiln_module_pool_new(pooled, &config, &pool), KILN_STATUS_OK);
        kiln_instance *a = NULL;
        kiln_trap trap;
        assert_int_equal(kiln_pool_instantiate(pool, NULL, &a, &trap), KILN_STATUS_OK);
        kiln_memory *mem = kiln_instance_memory(a, 0);
        uint8_t *base = mem->base.p;
        assert_true(((kiln_memory_impl *)mem)->shared);
        assert_int_equal(mem->reserved, checked ? 4 * PAGE : KILN_MEMORY_RESERVATION);
        assert_memory_equal(base + 16, "hello", 5);
        int32_t r = -1;
        assert_int_equal(wait32(a, 16, 0, -1, &r), KILN_TRAP_NONE);
        assert_int_equal(r, 1); /* "hell" is not 0 */
        assert_int_equal(wait32(a, 64, 0, 0, &r), KILN_TRAP_NONE);
        assert_int_equal(r, 2);
        assert_int_equal(grow(a, 3), 1);
        assert_ptr_equal(mem->base.p, base);
        base[4 * PAGE - 1] = 7;
        base[16] = 'j';
        assert_int_equal(((kiln_memory_impl *)mem)->refs, 1);
        kiln_instance_free(a);
        /* The slot again: a fresh memory of one page with the segments. */
        assert_int_equal(kiln_pool_instantiate(pool, NULL, &a, &trap), KILN_STATUS_OK);
        mem = kiln_instance_memory(a, 0);
        base = mem->base.p;
        assert_int_equal(mem->size, PAGE);
        assert_memory_equal(base + 16, "hello", 5);
        assert_int_equal(grow(a, 3), 1);
        assert_int_equal(base[4 * PAGE - 1], 0);
        kiln_instance_free(a);
        kiln_pool_free(pool);
    }
    kiln_checked_reserve_max = saved;
}

/* ---- memory.grow from several threads ---- */

enum { GROWERS = 4, GROWS_EACH = 16, GROW_MAX = 48 };

typedef struct grow_job {
    kiln_instance *inst;
    pthread_barrier_t *start;
    int32_t olds[GROWS_EACH];
    kiln_trap trap;
} grow_job;

static void *run_grower(void *arg)
{
    grow_job *j = arg;
    pthread_barrier_wait(j->start);
    for (int i = 0; i < GROWS_EACH && j->trap == KILN_TRAP_NONE; i++)
        j->trap = rt_invoke_i(j->inst, F_GROW, 1, 1, 0, 0, &j->olds[i]);
    return NULL;
}

/* 4 threads, each with its own instance of the shared memory, grow it by one page 16 times
 * at once: 48 growths succeed (the maximum), each with a distinct old size 0..47, and 16
 * fail; the memory ends at exactly 48 pages. */
static void test_concurrent_grow(void **state)
{
    (void)state;
    rt_arm();
    kiln_memory *mem = new_shared(0, GROW_MAX);
    uint8_t *base = mem->base.p;
    grow_job jobs[GROWERS];
    pthread_t threads[GROWERS];
    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, GROWERS), 0);
    for (int i = 0; i < GROWERS; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].inst = new_user(user, mem);
        jobs[i].start = &start;
    }
    for (int i = 0; i < GROWERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, run_grower, &jobs[i]), 0);
    for (int i = 0; i < GROWERS; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    pthread_barrier_destroy(&start);

    int seen[GROW_MAX] = {0};
    int failed = 0;
    for (int i = 0; i < GROWERS; i++) {
        assert_int_equal(jobs[i].trap, KILN_TRAP_NONE);
        int32_t last = -2;
        for (int k = 0; k < GROWS_EACH; k++) {
            int32_t old = jobs[i].olds[k];
            if (old == -1) {
                failed++;
                continue;
            }
            assert_true(old >= 0 && old < GROW_MAX);
            assert_true(old > last); /* one thread's growths come in order */
            last = old;
            seen[old]++;
        }
    }
    for (int p = 0; p < GROW_MAX; p++)
        assert_int_equal(seen[p], 1);
    assert_int_equal(failed, GROWERS * GROWS_EACH - GROW_MAX);
    assert_int_equal(mem->size, (uint64_t)GROW_MAX * PAGE);
    assert_ptr_equal(mem->base.p, base);
    base[GROW_MAX * PAGE - 1] = 1; /* every page committed */
    for (int i = 0; i < GROWERS; i++)
        kiln_instance_free(jobs[i].inst);
    kiln_memory_free(mem);
}

/* ---- wait and notify ---- */

/* Not equal: 1 at once (wait32 compares 32 bits, wait64 64). Equal: 2 once the timeout has
 * passed (0: at once). */
static void test_wait_not_equal_and_timeout(void **state)
{
    (void)state;
    rt_arm();
    kiln_memory *mem = new_shared(1, 1);
    uint8_t *base = mem->base.p;
    __atomic_store_n((uint32_t *)(base + 64), 5u, __ATOMIC_SEQ_CST);
    __atomic_store_n((uint64_t *)(base + 128), UINT64_C(0x100000005), __ATOMIC_SEQ_CST);
    kiln_instance *inst = new_user(user, mem);
    int32_t r = -1;
    assert_int_equal(wait32(inst, 64, 6, -1, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 1);
    assert_int_equal(wait32(inst, 64, 5, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 2);
    uint64_t t0 = now_ns();
    assert_int_equal(wait32(inst, 64, 5, 20000, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 2);
    assert_true(now_ns() - t0 >= 20000000u);

    assert_int_equal(wait64(inst, 128, 5, -1, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 1); /* the high half differs */
    assert_int_equal(wait64(inst, 128, INT64_C(0x100000005), 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 2);
    t0 = now_ns();
    assert_int_equal(wait64(inst, 128, INT64_C(0x100000005), 10000, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 2);
    assert_true(now_ns() - t0 >= 10000000u);
    assert_int_equal(inst->waiting, 0);
    kiln_instance_free(inst);
    kiln_memory_free(mem);
}

/* A waiter on another thread (an instance importing the memory) is woken by a notify from
 * the instance defining it: notify says 1, wait says 0. A notify of another address, or of
 * count 0, wakes no one; a notify with no waiter left says 0. A waiter with a timeout woken
 * before it returns 0 too. */
static void test_notify_wakes_waiter(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *definer = NULL;
    assert_int_equal(kiln_instance_new(owner, NULL, &definer), KILN_STATUS_OK);
    kiln_memory *mem = kiln_instance_memory(definer, 0);
    kiln_instance *w = new_user(user, mem);
    waiter_job j;
    for (int round = 0; round < 2; round++) {
        start_waiter(&j, w, 256, 0, round == 0 ? -1 : 60000000);
        await_parked(w);
        assert_int_equal(notify(definer, 260, 10), 0);
        assert_int_equal(notify(definer, 256, 0), 0);
        assert_false(job_done(&j));
        assert_int_equal(notify(definer, 256, 1), 1);
        join_waiter(&j);
        assert_int_equal(j.trap, KILN_TRAP_NONE);
        assert_int_equal(j.result, 0);
        assert_int_equal(notify(definer, 256, 1), 0);
        assert_int_equal(w->waiting, 0);
    }
    kiln_instance_free(w);
    kiln_instance_free(definer);
}

/* Three waiters on one address, one on the address next to it: notify 1 wakes the oldest,
 * then the next; a large count wakes those left on the address (and says how many), never
 * the neighbour's. */
static void test_notify_fifo_and_count(void **state)
{
    (void)state;
    rt_arm();
    kiln_memory *mem = new_shared(1, 1);
    kiln_instance *notifier = new_user(user, mem);
    kiln_instance *insts[4];
    waiter_job jobs[4];
    for (int i = 0; i < 4; i++)
        insts[i] = new_user(user, mem);
    for (int i = 0; i < 3; i++) { /* registered in this order */
        start_waiter(&jobs[i], insts[i], 512, 0, -1);
        await_parked(insts[i]);
    }
    start_waiter(&jobs[3], insts[3], 516, 0, -1);
    await_parked(insts[3]);

    assert_int_equal(notify(notifier, 512, 1), 1);
    join_waiter(&jobs[0]);
    assert_int_equal(jobs[0].result, 0);
    assert_false(job_done(&jobs[1]));
    assert_false(job_done(&jobs[2]));
    assert_int_equal(notify(notifier, 512, 1), 1);
    join_waiter(&jobs[1]);
    assert_int_equal(jobs[1].result, 0);
    assert_false(job_done(&jobs[2]));
    assert_int_equal(notify(notifier, 512, 1000), 1);
    join_waiter(&jobs[2]);
    assert_int_equal(jobs[2].result, 0);
    assert_false(job_done(&jobs[3]));

    /* Three again; a count over their number wakes all three, says 3. */
    for (int i = 0; i < 3; i++) {
        start_waiter(&jobs[i], insts[i], 512, 0, -1);
        await_parked(insts[i]);
    }
    assert_int_equal(notify(notifier, 512, -1), 3); /* count 4294967295 */
    for (int i = 0; i < 3; i++) {
        join_waiter(&jobs[i]);
        assert_int_equal(jobs[i].trap, KILN_TRAP_NONE);
        assert_int_equal(jobs[i].result, 0);
    }
    assert_int_equal(notify(notifier, 512, 1), 0);
    assert_false(job_done(&jobs[3]));
    assert_int_equal(notify(notifier, 516, 2), 1);
    join_waiter(&jobs[3]);
    assert_int_equal(jobs[3].result, 0);
    for (int i = 0; i < 4; i++)
        kiln_instance_free(insts[i]);
    kiln_instance_free(notifier);
    kiln_memory_free(mem);
}

/* An unshared memory: notify says 0, wait traps "expected shared memory" (whether the value
 * is equal or not). */
static void test_unshared_memory(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = NULL;
    assert_int_equal(kiln_instance_new(plain, NULL, &inst), KILN_STATUS_OK);
    int32_t r = -1;
    assert_int_equal(notify(inst, 0, 1), 0);
    assert_int_equal(wait32(inst, 0, 0, 0, &r), KILN_TRAP_UNSHARED_WAIT);
    assert_int_equal(wait32(inst, 0, 1, -1, &r), KILN_TRAP_UNSHARED_WAIT);
    assert_int_equal(wait64(inst, 8, 0, -1, &r), KILN_TRAP_UNSHARED_WAIT);
    assert_string_equal(kiln_trap_message(KILN_TRAP_UNSHARED_WAIT), "expected shared memory");
    assert_string_equal(kiln_trap_message(KILN_TRAP_UNALIGNED_ATOMIC), "unaligned atomic");
    kiln_instance_free(inst);

    kiln_memory *mem = NULL;
    assert_int_equal(kiln_memory_new(1, 1, &mem), KILN_STATUS_OK);
    inst = new_user(unshared_user, mem);
    assert_int_equal(notify(inst, 4, 100), 0);
    assert_int_equal(wait32(inst, 4, 0, -1, &r), KILN_TRAP_UNSHARED_WAIT);
    kiln_instance_free(inst);
    kiln_memory_free(mem);
}

/* kiln_instance_interrupt stops a thread parked in wait (KILN_TRAP_INTERRUPTED), with the
 * interrupt signal (user) and without (user_full); a request made before the wait stops it at
 * once, one pending at a not-equal wait stays pending; a deadline stops a waiter too; the
 * stopped waiters are no longer in the list. */
static void test_interrupt_wakes_waiter(void **state)
{
    (void)state;
    rt_arm();
    kiln_memory *mem = new_shared(1, 1);
    const kiln_module_desc *modules[2] = {user, user_full};
    for (int m = 0; m < 2; m++) {
        kiln_instance *w = new_user(modules[m], mem);
        kiln_instance *notifier = new_user(modules[m], mem);
        waiter_job j;
        start_waiter(&j, w, 1024, 0, -1);
        await_parked(w);
        assert_int_equal(kiln_instance_interrupt(w), KILN_STATUS_OK);
        join_waiter(&j);
        assert_int_equal(j.trap, KILN_TRAP_INTERRUPTED);
        assert_false(kiln_instance_interrupted(w)); /* the stop was taken */
        assert_int_equal(w->waiting, 0);

        /* Requested before the wait: it stops at once, on this thread. */
        int32_t r = -1;
        assert_int_equal(kiln_instance_interrupt(w), KILN_STATUS_OK);
        assert_int_equal(wait32(w, 1024, 0, -1, &r), KILN_TRAP_INTERRUPTED);
        assert_false(kiln_instance_interrupted(w));
        /* Not equal: the wait returns 1 and leaves the stop to the next check. */
        assert_int_equal(kiln_instance_interrupt(w), KILN_STATUS_OK);
        assert_int_equal(wait32(w, 1024, 1, -1, &r), KILN_TRAP_NONE);
        assert_int_equal(r, 1);
        assert_true(kiln_instance_interrupted(w));
        kiln_instance_cancel_interrupt(w);

        /* A deadline reached while it waits (with a timeout it would not reach). */
        assert_int_equal(kiln_instance_set_deadline(w, 1), KILN_STATUS_OK);
        start_waiter(&j, w, 1024, 0, 60000000);
        await_parked(w);
        kiln_epoch_advance(1);
        join_waiter(&j);
        assert_int_equal(j.trap, KILN_TRAP_INTERRUPTED);

        /* The waiter usable again, and nothing left to notify. */
        assert_int_equal(wait32(w, 1024, 0, 0, &r), KILN_TRAP_NONE);
        assert_int_equal(r, 2);
        assert_int_equal(notify(notifier, 1024, 100), 0);
        kiln_instance_free(notifier);
        kiln_instance_free(w);
    }
    kiln_memory_free(mem);
}

/* ---- Shared memories outliving their instances ---- */

/* Whether [p, p + one page) is mapped (mincore fails with ENOMEM where it is not). */
static bool mapped(const void *p)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char vec;
    return mincore((void *)((uintptr_t)p & ~(uintptr_t)(page - 1)), page, &vec) == 0;
}

static uint32_t refs_of(const kiln_memory *mem)
{
    return __atomic_load_n(&((const kiln_memory_impl *)mem)->refs, __ATOMIC_ACQUIRE);
}

/* The instance that defined a shared memory is freed while a thread of another instance
 * waits on it (both kinds of pool, guard pages and bounds-checked): the waiter stays parked,
 * a notify through a third instance wakes it with 0, the memory keeps its contents and still
 * grows; a host reference (kiln_memory_retain) keeps it past every instance, and binds it to a
 * new one; the last release unmaps it. A module pool's slot is reused at once, with a fresh
 * memory, while the old one lives on. */
static void test_free_definer_while_waiting(void **state)
{
    (void)state;
    rt_arm();
    static desc_builder bc_owner_desc, bc_user_desc;
    bc_owner_desc = owner_desc;
    kiln_module_desc *bc_owner = desc_end(&bc_owner_desc);
    bc_owner->flags = FLAGS | KILN_MODULE_BOUNDS_CHECKED;
    bc_user_desc = user_desc;
    kiln_module_desc *bc_user = desc_end(&bc_user_desc);
    bc_user->flags = FLAGS | KILN_MODULE_BOUNDS_CHECKED;
    for (int variant = 0; variant < 4; variant++) {
        bool checked = variant & 1, module_pool = variant & 2;
        if (!checked && sizeof(void *) < 8)
            continue; /* guard pages: 64-bit hosts only */
        const kiln_module_desc *o = checked ? bc_owner : owner;
        const kiln_module_desc *u = checked ? bc_user : user;
        kiln_pool *pool = NULL;
        kiln_pool_config config = {.slots = 1};
        kiln_instance *definer = NULL;
        if (module_pool) {
            assert_int_equal(kiln_module_pool_new(o, &config, &pool), KILN_STATUS_OK);
            assert_int_equal(kiln_pool_instantiate(pool, NULL, &definer, NULL), KILN_STATUS_OK);
        } else {
            assert_int_equal(kiln_instance_new(o, NULL, &definer), KILN_STATUS_OK);
        }
        kiln_extern ext;
        assert_int_equal(kiln_instance_export(definer, "mem", &ext), KILN_STATUS_OK);
        kiln_memory *mem = ext.of.memory;
        uint8_t *base = mem->base.p;
        kiln_instance *waiter = new_user(u, mem), *notifier = new_user(u, mem);
        assert_int_equal(refs_of(mem), 3);
        base[100] = 42;

        waiter_job j;
        start_waiter(&j, waiter, 64, 0, -1);
        await_parked(waiter);
        kiln_instance_free(definer);
        assert_int_equal(refs_of(mem), 2);
        assert_true(mapped(base));
        assert_int_equal(base[100], 42);
        assert_int_equal(grow(notifier, 1), 1);
        assert_int_equal(mem->size, 2 * PAGE);
        if (module_pool) { /* the slot again, with a memory of its own */
            assert_int_equal(kiln_pool_instantiate(pool, NULL, &definer, NULL), KILN_STATUS_OK);
            kiln_memory *fresh = kiln_instance_memory(definer, 0);
            assert_ptr_not_equal(fresh, mem);
            assert_int_equal(fresh->size, PAGE);
            assert_int_equal(((uint8_t *)fresh->base.p)[100], 0);
            assert_int_equal(notify(definer, 64, 1), 0); /* not the waiter's memory */
            kiln_instance_free(definer);
        }
        sleep_ms(5);
        assert_false(job_done(&j)); /* nothing woke it */
        assert_int_equal(notify(notifier, 64, 1), 1);
        join_waiter(&j);
        assert_int_equal(j.trap, KILN_TRAP_NONE);
        assert_int_equal(j.result, 0);

        /* A host reference keeps it past every instance and binds it to a new one. */
        assert_int_equal(kiln_memory_retain(mem), KILN_STATUS_OK);
        assert_int_equal(refs_of(mem), 3);
        kiln_instance_free(waiter);
        kiln_instance_free(notifier);
        assert_int_equal(refs_of(mem), 1);
        assert_true(mapped(base));
        base[2 * PAGE - 1] = 9;
        kiln_instance *late = new_user(u, mem);
        assert_int_equal(grow(late, 0), 2);
        int32_t r = -1;
        assert_int_equal(wait32(late, 100, 42, 0, &r), KILN_TRAP_NONE);
        assert_int_equal(r, 2); /* equal: timed out at once */
        kiln_instance_free(late);
        assert_int_equal(refs_of(mem), 1);
        kiln_memory_release(mem);
        assert_false(mapped(base));
        kiln_pool_free(pool);
    }
}

/* kiln_memory_retain/release: unshared memories are not counted; kiln_memory_free drops a
 * host-made shared memory's own reference, so instances importing it may outlive it; a
 * failed instantiation gives back the references it took. */
static void test_shared_memory_references(void **state)
{
    (void)state;
    rt_arm();
    assert_int_equal(kiln_memory_retain(NULL), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "kiln_memory_retain: NULL argument");
    kiln_memory *unshared = NULL;
    assert_int_equal(kiln_memory_new(1, 1, &unshared), KILN_STATUS_OK);
    assert_int_equal(kiln_memory_retain(unshared), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(),
                        "kiln_memory_retain: only shared memories are reference-counted; an "
                        "unshared one lives as long as its instance or until kiln_memory_free");
    kiln_memory_release(unshared); /* ignored */
    kiln_memory_release(NULL);
    kiln_memory_free(unshared);

    kiln_memory *mem = new_shared(1, 2);
    uint8_t *base = mem->base.p;
    assert_int_equal(refs_of(mem), 1);
    kiln_instance *a = new_user(user, mem);
    assert_int_equal(refs_of(mem), 2);
    kiln_memory_free(mem); /* the host's reference; a keeps it */
    assert_int_equal(refs_of(mem), 1);
    assert_true(mapped(base));
    assert_int_equal(grow(a, 1), 1);
    base[2 * PAGE - 1] = 1;

    /* An instantiation that fails after linking the memory (the second import is missing)
     * leaves the count as it was. */
    static desc_builder two_desc;
    desc_begin(&two_desc, "two");
    desc_import_memory(&two_desc, "env", "mem", shared_limits(0, 65536));
    desc_import_memory(&two_desc, "env", "other", shared_limits(0, 65536));
    kiln_module_desc *two = desc_end(&two_desc);
    two->flags = FLAGS;
    kiln_instance *b = NULL;
    assert_int_equal(instantiate(two, mem, &b), KILN_STATUS_LINK);
    assert_null(b);
    assert_int_equal(refs_of(mem), 1);
    kiln_instance_free(a); /* the last reference */
    assert_false(mapped(base));
}

int main(void)
{
    build_modules();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_memory_defined_and_imported),
        cmocka_unit_test(test_memory_new_shared),
        cmocka_unit_test(test_bounds_checked_shared_memory_never_moves),
        cmocka_unit_test(test_shared_reservation_failure),
        cmocka_unit_test(test_shared_memory_in_module_pool),
        cmocka_unit_test(test_concurrent_grow),
        cmocka_unit_test(test_wait_not_equal_and_timeout),
        cmocka_unit_test(test_notify_wakes_waiter),
        cmocka_unit_test(test_notify_fifo_and_count),
        cmocka_unit_test(test_unshared_memory),
        cmocka_unit_test(test_interrupt_wakes_waiter),
        cmocka_unit_test(test_free_definer_while_waiting),
        cmocka_unit_test(test_shared_memory_references),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
