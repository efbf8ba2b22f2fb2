/* test_rt_address_space.c -- pools of any module give freed memories' address space back.
 *
 * Each guard-page memory is 8 GiB of address space, so a 47-bit process holds about 16,000.
 * The default pool (kiln_instance_new) used to keep the reservation of every instance it had
 * held: after 16,381 instances were created and freed, no module pool fit in the process any
 * more. Now a pool of any module keeps at most kiln_pool_config.cached_memories freed
 * reservations (64 by default). The first test fills the address space through
 * kiln_instance_new (until a reservation fails or the default pool's 16,384 slots are used:
 * fewer fit under AddressSanitizer, whose shadow memory takes a sixth of the space), frees
 * everything, then creates a module pool three quarters that size; the second checks the
 * policy's counts on a small pool. A process of its own: it takes all the address space.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rt_test.h"

static desc_builder m_desc;
static kiln_module_desc *mod_m;

/* A module with one memory of one page and nothing else. */
static void build_m(void)
{
    desc_begin(&m_desc, "m");
    desc_memory(&m_desc, rt_limits(1));
    mod_m = desc_end(&m_desc);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void test_default_pool_gives_address_space_back(void **state)
{
    (void)state;
    RT_SKIP_UNDER_TSAN("filling a 47-bit address space with 8 GiB memories");
    rt_arm();
    double t0 = seconds();
    kiln_instance **inst = calloc(KILN_DEFAULT_POOL_SLOTS, sizeof *inst);
    assert_non_null(inst);
    uint32_t count = 0;
    kiln_status last = KILN_STATUS_OK;
    while (count < KILN_DEFAULT_POOL_SLOTS) {
        last = kiln_instance_new(mod_m, NULL, &inst[count]);
        if (last != KILN_STATUS_OK)
            break;
        count++;
    }
    double t1 = seconds();
    /* The address space ran out first (47 bits), or the slots (a larger address space). */
    assert_true(last == KILN_STATUS_NOMEM || last == KILN_STATUS_OK);
    assert_true(count > 1000);
    for (uint32_t i = 0; i < count; i++)
        kiln_instance_free(inst[i]);
    double t2 = seconds();

    kiln_pool_config cfg = {.slots = count / 4 * 3};
    kiln_pool *pool = NULL;
    kiln_status s = kiln_module_pool_new(mod_m, &cfg, &pool);
    if (s != KILN_STATUS_OK)
        fail_msg("a module pool of %u slots after %u instances were freed: %s", cfg.slots, count,
                 kiln_last_error());
    kiln_instance *a = NULL;
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &a, NULL), KILN_STATUS_OK);
    kiln_instance_free(a);
    kiln_pool_free(pool);
    /* The default pool still works, from its kept reservations. */
    assert_int_equal(kiln_instance_new(mod_m, NULL, &a), KILN_STATUS_OK);
    kiln_instance_free(a);
    print_message("# %u instances through kiln_instance_new (then %s) in %.2f s, freed in "
                  "%.2f s; then a module pool of %u slots (%.1f TiB)\n",
                  count, last == KILN_STATUS_OK ? "no slot was left" : "no address space", t1 - t0,
                  t2 - t1, cfg.slots, cfg.slots * 8.0 / 1024);
    free(inst);
}

/* Free slots holding a reservation, counted from the slots themselves. */
static uint32_t holding(const kiln_pool *pool)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < pool->config.slots; i++)
        n += pool->slots[i].reservation != NULL;
    return n;
}

static void test_cached_memories(void **state)
{
    (void)state;
    rt_arm();
    const uint32_t caps[] = {0, 1, 3, UINT32_MAX};
    const uint32_t kept[] = {8, 1, 3, 8}; /* 0 = 64: more than the 8 slots */
    for (size_t c = 0; c < KILN_ARRAY_LEN(caps); c++) {
        kiln_pool_config cfg = {.slots = 8, .cached_memories = caps[c]};
        kiln_pool *pool = NULL;
        assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
        kiln_instance *inst[8];
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 8; i++)
                assert_int_equal(kiln_instance_new_in(pool, mod_m, NULL, &inst[i], NULL),
                                 KILN_STATUS_OK);
            assert_int_equal(pool->cached, 0);
            for (int i = 0; i < 8; i++)
                kiln_instance_free(inst[i]);
            assert_int_equal(pool->cached, kept[c]);
            assert_int_equal(holding(pool), kept[c]);
        }
        /* Half in use, from the slots with reservations first (LIFO), then freed again. */
        for (int i = 0; i < 4; i++)
            assert_int_equal(kiln_instance_new_in(pool, mod_m, NULL, &inst[i], NULL),
                             KILN_STATUS_OK);
        for (int i = 0; i < 4; i++)
            kiln_instance_free(inst[i]);
        assert_int_equal(pool->cached, kept[c]);
        assert_int_equal(holding(pool), kept[c]);
        kiln_pool_free(pool);
    }
}

int main(void)
{
    build_m();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cached_memories),
        cmocka_unit_test(test_default_pool_gives_address_space_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
