/* multi3_e2e.c -- end-to-end test of the __multi3 idiom (lower.c): fixtures/multi3.wat compiled
 * by `kiln compile` at -O0, -O2 and -O2 --bounds-checks. The recognised body must give the exact
 * low 128 bits of (a_hi:a_lo) * (b_hi:b_lo), stored low half at ret and high half at ret + 8,
 * for edge operands and a sweep of pseudo-random ones, checked against unsigned __int128; an
 * access past the end of memory traps before anything is written, as the Wasm body does (the
 * high half is stored first). near_local (the product in another encoding, recognised too)
 * must give the product; the other near misses must keep their own, different semantics,
 * checked against a C model of their instructions: were one recognised, it would store the
 * true product instead. Checks: tests/lib/check.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../lib/check.h"
#include "multi3.h"

typedef unsigned __int128 u128;

#define M32      UINT64_C(0xffffffff)
#define SENTINEL UINT64_C(0x5a5a5a5a5a5a5a5a)

/* The Wasm body instruction by instruction; shl is the last shift's amount (32 in __multi3). */
static void model(uint64_t a_lo, uint64_t a_hi, uint64_t b_lo, uint64_t b_hi, unsigned shl,
                  uint64_t *lo, uint64_t *hi)
{
    uint64_t l1 = a_lo, l2 = a_hi, l3 = b_lo, l4 = b_hi, l5;
    uint64_t t = l4 * l1 + l2 * l3;
    l2 = l3 >> 32;
    l4 = l1 >> 32;
    t += l2 * l4;
    l3 &= M32;
    l1 &= M32;
    l5 = l3 * l1;
    l3 = (l5 >> 32) + l3 * l4;
    t += l3 >> 32;
    l1 = (l3 & M32) + l2 * l1;
    *hi = t + (l1 >> 32);
    *lo = (l1 << shl) | (l5 & M32);
}

/* The generated wrappers take Wasm integers as signed C types. */
typedef kiln_trap (*mul_fn)(kiln_instance *, int32_t, int64_t, int64_t, int64_t, int64_t);

static uint64_t load(kiln_instance *in, uint32_t addr)
{
    int64_t v = 0;
    EXPECT_TRAP(multi3_load(in, (int32_t)addr, &v), KILN_TRAP_NONE);
    return (uint64_t)v;
}

/* Calls fn(ret, a, b) with sentinels at ret, ret + 8 and ret + 16; returns the three words. */
static void run(kiln_instance *in, mul_fn fn, uint32_t ret, u128 a, u128 b, uint64_t out[3])
{
    for (uint32_t i = 0; i < 3; i++)
        EXPECT_TRAP(multi3_store(in, (int32_t)(ret + 8 * i), (int64_t)SENTINEL), KILN_TRAP_NONE);
    CHECK(fn(in, (int32_t)ret, (int64_t)(uint64_t)a, (int64_t)(uint64_t)(a >> 64),
             (int64_t)(uint64_t)b, (int64_t)(uint64_t)(b >> 64)) == KILN_TRAP_NONE);
    for (uint32_t i = 0; i < 3; i++)
        out[i] = load(in, ret + 8 * i);
}

static int distinguished; /* operand pairs where the near misses differ from the product */

static void check_pair(kiln_instance *in, u128 a, u128 b)
{
    u128 p = a * b;
    uint64_t a_lo = (uint64_t)a, a_hi = (uint64_t)(a >> 64);
    uint64_t b_lo = (uint64_t)b, b_hi = (uint64_t)(b >> 64);
    uint64_t out[3];

    run(in, multi3_mul, 1000, a, b, out);
    CHECK_MSG(out[0] == (uint64_t)p && out[1] == (uint64_t)(p >> 64) && out[2] == SENTINEL,
              "mul(%016llx%016llx, %016llx%016llx) = %016llx%016llx, want %016llx%016llx",
              (unsigned long long)a_hi, (unsigned long long)a_lo, (unsigned long long)b_hi,
              (unsigned long long)b_lo, (unsigned long long)out[1], (unsigned long long)out[0],
              (unsigned long long)(uint64_t)(p >> 64), (unsigned long long)(uint64_t)p);
    /* The model is the product for the real body (it checks the model). */
    uint64_t lo, hi;
    model(a_lo, a_hi, b_lo, b_hi, 32, &lo, &hi);
    CHECK(lo == (uint64_t)p && hi == (uint64_t)(p >> 64));

    run(in, multi3_near_local, 2000, a, b, out);
    CHECK(out[0] == (uint64_t)p && out[1] == (uint64_t)(p >> 64) && out[2] == SENTINEL);

    model(a_lo, a_hi, b_lo, b_hi, 31, &lo, &hi);
    run(in, multi3_near_shift, 3000, a, b, out);
    CHECK(out[0] == lo && out[1] == hi && out[2] == SENTINEL);
    bool differs = lo != (uint64_t)p;

    run(in, multi3_near_offset, 4000, a, b, out);
    CHECK(out[0] == (uint64_t)p && out[1] == SENTINEL && out[2] == (uint64_t)(p >> 64));
    if (differs)
        distinguished++;

    int64_t sum_lo = 0, sum_hi = 0;
    EXPECT_TRAP(multi3_mul_add(in, (int64_t)a_lo, (int64_t)b_lo, (int64_t)a_hi, (int64_t)b_hi,
                               &sum_lo, &sum_hi),
                KILN_TRAP_NONE);
    u128 sum = (u128)a_lo * b_lo + (u128)a_hi * b_hi;
    CHECK((uint64_t)sum_lo == (uint64_t)sum && (uint64_t)sum_hi == (uint64_t)(sum >> 64));

    /* Two products in a frame at 5000, read back through address facts. */
    u128 ab = (u128)a_lo * b_lo, cd = (u128)a_hi * b_hi;
    int64_t mixed = 0;
    EXPECT_TRAP(multi3_mul_frame(in, 5000, (int64_t)a_lo, (int64_t)b_lo, (int64_t)a_hi,
                                 (int64_t)b_hi, &mixed),
                KILN_TRAP_NONE);
    CHECK((uint64_t)mixed ==
          (((uint64_t)ab + (uint64_t)cd) ^ ((uint64_t)(ab >> 64) + (uint64_t)(cd >> 64))));
    CHECK(load(in, 5000) == (uint64_t)ab && load(in, 5008) == (uint64_t)(ab >> 64));
    CHECK(load(in, 5016) == (uint64_t)cd && load(in, 5024) == (uint64_t)(cd >> 64));
}

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t next(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(0x2545f4914f6cdd1d);
}

int main(void)
{
    kiln_instance *in = NULL;
    kiln_status s = kiln_instance_new(&multi3_module, NULL, &in);
    if (!CHECK_MSG(s == KILN_STATUS_OK, "instantiating multi3: %s", kiln_status_message(s)))
        return check_finish();

    static const uint64_t edges[] = {0,
                                     1,
                                     2,
                                     M32,
                                     M32 + 1,
                                     UINT64_C(0x7fffffffffffffff),
                                     UINT64_C(0x8000000000000000),
                                     UINT64_C(0xffffffff00000000),
                                     UINT64_MAX - 1,
                                     UINT64_MAX};
    const size_t n = sizeof edges / sizeof edges[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < n; k += 3)
                for (size_t l = 0; l < n; l += 3) {
                    u128 a = (u128)edges[k] << 64 | edges[i];
                    u128 b = (u128)edges[l] << 64 | edges[j];
                    check_pair(in, a, b);
                }
    for (int i = 0; i < 2000; i++) {
        u128 a = (u128)next() << 64 | next();
        u128 b = (u128)next() << 64 | next();
        check_pair(in, a, b);
        check_pair(in, (uint64_t)a, (uint64_t)b); /* the 64x64 case __int128 code uses */
    }
    /* The near misses were told apart from the product on most operands. */
    CHECK(distinguished > 1000);

    /* One page of memory: ret + 16 = 65536 is the last fit; ret + 8 in bounds but ret + 16
     * out traps before the low half is written (the high half is stored first). */
    uint64_t out[3];
    u128 a = ((u128)3 << 64) | 5, b = ((u128)7 << 64) | 11;
    EXPECT_TRAP(multi3_store(in, 65520, (int64_t)SENTINEL), KILN_TRAP_NONE);
    EXPECT_TRAP(multi3_mul(in, 65520, 5, 3, 11, 7), KILN_TRAP_NONE);
    CHECK(load(in, 65520) == 55 && load(in, 65528) == 3 * 11 + 5 * 7);
    EXPECT_TRAP(multi3_store(in, 65524, (int64_t)SENTINEL), KILN_TRAP_NONE);
    EXPECT_TRAP(multi3_mul(in, 65524, 5, 3, 11, 7), KILN_TRAP_MEMORY_OOB);
    EXPECT_UINT(load(in, 65524), SENTINEL);
    EXPECT_TRAP(multi3_mul(in, 65536, 5, 3, 11, 7), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(multi3_mul(in, (int32_t)(UINT32_MAX - 7), 5, 3, 11, 7), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(multi3_mul(in, -1, 5, 3, 11, 7), KILN_TRAP_MEMORY_OOB);
    /* mul_frame's second product ends at p + 32: the last fit, then one byte too far. */
    int64_t mixed = 0;
    EXPECT_TRAP(multi3_mul_frame(in, 65504, 5, 3, 11, 7, &mixed), KILN_TRAP_NONE);
    CHECK(mixed == ((5 * 3 + 11 * 7) ^ 0));
    CHECK(load(in, 65520) == 77 && load(in, 65528) == 0);
    EXPECT_TRAP(multi3_mul_frame(in, 65505, 5, 3, 11, 7, &mixed), KILN_TRAP_MEMORY_OOB);
    /* The instance stays usable after the traps. */
    run(in, multi3_mul, 0, a, b, out);
    CHECK(out[0] == 55 && out[1] == 3 * 11 + 5 * 7 && out[2] == SENTINEL);

    kiln_instance_free(in);
    return check_finish();
}
