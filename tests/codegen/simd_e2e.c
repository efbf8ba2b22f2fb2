/* simd_e2e.c -- end-to-end test of the hand-written SIMD lowerings (lower_simd.c):
 * simd_edge.wat, compiled by `kiln compile` at -O0 and at -O2 (prefix simd_edge), linked
 * with libkiln_runtime and called through the generated header. Each operation is compared
 * exactly against a scalar reference written from the spec's definition, over edge operands:
 * shuffle, swizzle with out-of-range indices, saturating narrowing, NaN and signed-zero cases
 * of min/max/pmin/pmax, trunc_sat (NaN, overflow, the _zero upper lanes), q15mulr_sat_s at
 * -32768 * -32768, bitmask/all_true/any_true, avgr_u, abs, dot, shift counts >= the lane
 * width, lane extraction, lane and extending loads, and an out-of-bounds v128 load (trap).
 * Lanes are little-endian in kiln_v128 (docs/abi.md); this test runs on little-endian hosts.
 * Checks: tests/lib/check.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../lib/check.h"
#include "simd_edge.h"

static kiln_v128 of_bytes(const void *p)
{
    kiln_v128 v;
    memcpy(v.bytes, p, 16);
    return v;
}

static const int16_t i16_edges[] = {0,   1,   -1,   127,   128,    -128,   -129,    255,
                                    256, 300, -300, 32767, -32768, 0x4000, -0x4000, 181};
static const int32_t i32_edges[] = {0,         1,     -1,     32767,  32768,   -32768,
                                    -32769,    65535, 65536,  100000, -100000, INT32_MAX,
                                    INT32_MIN, 40000, -40000, 12345};

static int32_t clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static void test_shuffle_swizzle(kiln_instance *in)
{
    static const uint8_t idx[16] = {0, 17, 2, 19, 31, 16, 15, 1, 8, 24, 7, 23, 30, 14, 3, 0};
    uint8_t a[16], b[16], want[16];
    for (int i = 0; i < 16; i++) {
        a[i] = (uint8_t)(0x10 + i);
        b[i] = (uint8_t)(0xA0 + i);
    }
    for (int i = 0; i < 16; i++)
        want[i] = idx[i] < 16 ? a[idx[i]] : b[idx[i] - 16];
    kiln_v128 r;
    EXPECT_TRAP(simd_edge_shuffle(in, of_bytes(a), of_bytes(b), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, want, 16);

    /* Indices 16..255 select 0, including those with the high bit set (pshufb zeroes only
     * those) and those whose low 4 bits are in range (16, 0x7f). */
    static const uint8_t sel[16] = {0,    15, 16, 255, 0x80, 17,   7, 0x7f,
                                    0x8f, 31, 32, 1,   14,   0x10, 3, 0xf0};
    for (int i = 0; i < 16; i++)
        want[i] = sel[i] < 16 ? a[sel[i]] : 0;
    EXPECT_TRAP(simd_edge_swizzle(in, of_bytes(a), of_bytes(sel), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, want, 16);
}

static void test_narrow(kiln_instance *in)
{
    int16_t a16[8], b16[8];
    memcpy(a16, i16_edges, 16);
    memcpy(b16, i16_edges + 8, 16);
    int8_t s8[16];
    uint8_t u8[16];
    for (int i = 0; i < 16; i++) {
        s8[i] = (int8_t)clamp(i16_edges[i], -128, 127);
        u8[i] = (uint8_t)clamp(i16_edges[i], 0, 255);
    }
    kiln_v128 r;
    EXPECT_TRAP(simd_edge_narrow_s8(in, of_bytes(a16), of_bytes(b16), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, s8, 16);
    EXPECT_TRAP(simd_edge_narrow_u8(in, of_bytes(a16), of_bytes(b16), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, u8, 16);

    for (int k = 0; k < 16; k += 8) {
        int16_t s16[8];
        uint16_t u16[8];
        for (int i = 0; i < 8; i++) {
            s16[i] = (int16_t)clamp(i32_edges[k + i], -32768, 32767);
            u16[i] = (uint16_t)clamp(i32_edges[k + i], 0, 65535);
        }
        EXPECT_TRAP(
            simd_edge_narrow_s16(in, of_bytes(i32_edges + k), of_bytes(i32_edges + k + 4), &r),
            KILN_TRAP_NONE);
        EXPECT_MEM(r.bytes, s16, 16);
        EXPECT_TRAP(
            simd_edge_narrow_u16(in, of_bytes(i32_edges + k), of_bytes(i32_edges + k + 4), &r),
            KILN_TRAP_NONE);
        EXPECT_MEM(r.bytes, u16, 16);
    }
}

static void test_float_minmax(kiln_instance *in)
{
    const float qnan = f32_of(0x7fc00000u), snan = f32_of(0x7fa00000u);
    kiln_v128 r;
    uint32_t got[4];

    /* min/max: NaN in either operand gives a quiet NaN (a signaling one is quieted), and
     * -0 < +0. */
    float a[4] = {qnan, 1.0f, -0.0f, 0.0f}, b[4] = {1.0f, snan, 0.0f, -0.0f};
    EXPECT_TRAP(simd_edge_fmin32(in, of_bytes(a), of_bytes(b), &r), KILN_TRAP_NONE);
    memcpy(got, r.bytes, 16);
    CHECK(got[0] == 0x7fc00000u);
    CHECK((got[1] & 0x7fc00000u) == 0x7fc00000u);
    CHECK(got[2] == 0x80000000u && got[3] == 0x80000000u);
    EXPECT_TRAP(simd_edge_fmax32(in, of_bytes(a), of_bytes(b), &r), KILN_TRAP_NONE);
    memcpy(got, r.bytes, 16);
    CHECK(got[0] == 0x7fc00000u);
    CHECK((got[1] & 0x7fc00000u) == 0x7fc00000u);
    CHECK(got[2] == 0 && got[3] == 0);

    double da[2] = {-0.0, f64_of(0x7ff4000000000000u)}, db[2] = {0.0, 2.0};
    uint64_t got64[2];
    EXPECT_TRAP(simd_edge_fmin64(in, of_bytes(da), of_bytes(db), &r), KILN_TRAP_NONE);
    memcpy(got64, r.bytes, 16);
    EXPECT_UINT(got64[0], 0x8000000000000000u);
    EXPECT_UINT(got64[1] & 0x7ff8000000000000u, 0x7ff8000000000000u);
    EXPECT_TRAP(simd_edge_fmax64(in, of_bytes(da), of_bytes(db), &r), KILN_TRAP_NONE);
    memcpy(got64, r.bytes, 16);
    EXPECT_UINT(got64[0], 0);
    EXPECT_UINT(got64[1] & 0x7ff8000000000000u, 0x7ff8000000000000u);

    /* pmin = b < a ? b : a, pmax = a < b ? b : a: the first operand whenever the comparison
     * is false (NaN in either, or equal zeros), bit for bit, signaling NaNs included. */
    float pa[4] = {snan, 1.0f, -0.0f, 0.0f}, pb[4] = {1.0f, snan, 0.0f, -0.0f};
    EXPECT_TRAP(simd_edge_pmin32(in, of_bytes(pa), of_bytes(pb), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, pa, 16);
    EXPECT_TRAP(simd_edge_pmax32(in, of_bytes(pa), of_bytes(pb), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, pa, 16);
    float lo[4] = {1.0f, -2.0f, 3.0f, -INFINITY}, hi[4] = {2.0f, -1.0f, INFINITY, 0.0f};
    EXPECT_TRAP(simd_edge_pmin32(in, of_bytes(hi), of_bytes(lo), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, lo, 16);
    EXPECT_TRAP(simd_edge_pmax32(in, of_bytes(lo), of_bytes(hi), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, hi, 16);
    double pda[2] = {f64_of(0x7ff4000000000000u), 0.0}, pdb[2] = {1.0, -0.0};
    EXPECT_TRAP(simd_edge_pmin64(in, of_bytes(pda), of_bytes(pdb), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, pda, 16);
    EXPECT_TRAP(simd_edge_pmax64(in, of_bytes(pda), of_bytes(pdb), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, pda, 16);

    /* x * 1 is lowered as x with NaN lanes quieted (LLVM would fold it to x). */
    float m[4] = {snan, -0.0f, 1.5f, -INFINITY};
    EXPECT_TRAP(simd_edge_mul1(in, of_bytes(m), &r), KILN_TRAP_NONE);
    memcpy(got, r.bytes, 16);
    CHECK(got[0] == 0x7fe00000u && got[1] == f32_bits(-0.0f) && got[2] == f32_bits(1.5f) &&
          got[3] == f32_bits(-INFINITY));
}

static void test_trunc_sat(kiln_instance *in)
{
    kiln_v128 r;
    float f[4] = {NAN, 3e9f, -3e9f, -1.9f};
    int32_t s[4] = {0, INT32_MAX, INT32_MIN, -1};
    uint32_t u[4] = {0, 3000000000u, 0, 0};
    EXPECT_TRAP(simd_edge_trunc_s32(in, of_bytes(f), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, s, 16);
    EXPECT_TRAP(simd_edge_trunc_u32(in, of_bytes(f), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, u, 16);
    float g[4] = {5e9f, INFINITY, 4294967040.0f, 0.99f};
    uint32_t ug[4] = {UINT32_MAX, UINT32_MAX, 4294967040u, 0};
    EXPECT_TRAP(simd_edge_trunc_u32(in, of_bytes(g), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, ug, 16);

    double d[2] = {-2147483648.9, 2147483647.9};
    int32_t sd[4] = {INT32_MIN, INT32_MAX, 0, 0};
    EXPECT_TRAP(simd_edge_trunc_s64z(in, of_bytes(d), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, sd, 16);
    double e[2] = {-INFINITY, 4294967295.5};
    uint32_t ue[4] = {0, UINT32_MAX, 0, 0};
    EXPECT_TRAP(simd_edge_trunc_u64z(in, of_bytes(e), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, ue, 16);
    double n[2] = {NAN, 1e300};
    uint32_t un[4] = {0, UINT32_MAX, 0, 0};
    EXPECT_TRAP(simd_edge_trunc_u64z(in, of_bytes(n), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, un, 16);
}

static void test_integer(kiln_instance *in)
{
    kiln_v128 r;
    /* q15mulr_sat_s: (a * b + 0x4000) >> 15, saturated; -32768 * -32768 gives 32767. */
    int16_t a[8], b[8], want[8];
    for (int k = 0; k < 16; k++) {
        for (int i = 0; i < 8; i++) {
            a[i] = i16_edges[(i + k) % 16];
            b[i] = i16_edges[(3 * i + k) % 16];
            int32_t p = ((int32_t)a[i] * b[i] + 0x4000) >> 15;
            want[i] = (int16_t)clamp(p, -32768, 32767);
        }
        EXPECT_TRAP(simd_edge_q15(in, of_bytes(a), of_bytes(b), &r), KILN_TRAP_NONE);
        EXPECT_MEM(r.bytes, want, 16);
    }
    int16_t m[8] = {-32768, -32768, -32768, 32767, -32768, 1, 0, -1};
    int16_t mb[8] = {-32768, 32767, -1, 32767, 1, 1, -32768, -1};
    for (int i = 0; i < 8; i++)
        want[i] = (int16_t)clamp(((int32_t)m[i] * mb[i] + 0x4000) >> 15, -32768, 32767);
    CHECK(want[0] == 32767 && want[1] == -32767);
    EXPECT_TRAP(simd_edge_q15(in, of_bytes(m), of_bytes(mb), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, want, 16);

    /* dot: -32768 * -32768 * 2 wraps to INT32_MIN. */
    int16_t dm[8] = {-32768, -32768, 3, 4, -5, 6, 7, -8},
            dn[8] = {-32768, -32768, 3, 4, 5, 6, 7, 8};
    int32_t dw[4];
    for (int i = 0; i < 4; i++)
        dw[i] = (int32_t)((uint32_t)(dm[2 * i] * dn[2 * i]) +
                          (uint32_t)(dm[2 * i + 1] * dn[2 * i + 1]));
    EXPECT_TRAP(simd_edge_dot(in, of_bytes(dm), of_bytes(dn), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, dw, 16);
    EXPECT_INT(dw[0], INT32_MIN);

    /* avgr_u: (a + b + 1) / 2 without overflow; abs(-128) = -128. */
    uint8_t x[16], y[16], avg[16];
    int8_t ab[16], abw[16];
    for (int i = 0; i < 16; i++) {
        x[i] = (uint8_t)(i * 17);
        y[i] = (uint8_t)(255 - i * 3);
        avg[i] = (uint8_t)((x[i] + y[i] + 1) / 2);
        ab[i] = (int8_t)(i * 17 - 128);
        abw[i] = ab[i] == -128 ? -128 : (int8_t)(ab[i] < 0 ? -ab[i] : ab[i]);
    }
    EXPECT_TRAP(simd_edge_avgr8(in, of_bytes(x), of_bytes(y), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, avg, 16);
    EXPECT_TRAP(simd_edge_abs8(in, of_bytes(ab), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, abw, 16);

    /* Shift counts are taken modulo the lane width. */
    uint8_t sh[16];
    for (int i = 0; i < 16; i++)
        sh[i] = (uint8_t)(x[i] << 3);
    EXPECT_TRAP(simd_edge_shl8(in, of_bytes(x), 11, &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, sh, 16);
    int64_t s64[2] = {INT64_MIN, 0x4000000000000000},
            s64w[2] = {INT64_MIN >> 1, 0x2000000000000000};
    EXPECT_TRAP(simd_edge_shr_s64(in, of_bytes(s64), 65, &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, s64w, 16);

    /* bitmask: lane sign bits; all_true / any_true. */
    int32_t out = 0;
    int8_t bm8[16];
    for (int i = 0; i < 16; i++)
        bm8[i] = (int8_t)((0xA5C3 >> i) & 1 ? -1 - i : i);
    EXPECT_TRAP(simd_edge_bitmask8(in, of_bytes(bm8), &out), KILN_TRAP_NONE);
    EXPECT_INT(out, 0xA5C3);
    int16_t bm16[8] = {-1, 0, 32767, -32768, 1, -2, 0, -32768};
    EXPECT_TRAP(simd_edge_bitmask16(in, of_bytes(bm16), &out), KILN_TRAP_NONE);
    EXPECT_INT(out, 0xA9);
    int32_t bm32[4] = {INT32_MIN, 0, -1, INT32_MAX};
    EXPECT_TRAP(simd_edge_bitmask32(in, of_bytes(bm32), &out), KILN_TRAP_NONE);
    EXPECT_INT(out, 0x5);
    int64_t bm64[2] = {1, -1};
    EXPECT_TRAP(simd_edge_bitmask64(in, of_bytes(bm64), &out), KILN_TRAP_NONE);
    EXPECT_INT(out, 0x2);
    EXPECT_TRAP(simd_edge_all_true16(in, of_bytes(bm16), &out), KILN_TRAP_NONE);
    EXPECT_INT(out, 0);
    int16_t nz[8] = {1, -1, 256, 2, 3, 4, 5, -32768};
    EXPECT_TRAP(simd_edge_all_true16(in, of_bytes(nz), &out), KILN_TRAP_NONE);
    EXPECT_INT(out, 1);
    uint8_t one_bit[16] = {0};
    one_bit[15] = 0x80;
    EXPECT_TRAP(simd_edge_any_true(in, of_bytes(one_bit), &out), KILN_TRAP_NONE);
    EXPECT_INT(out, 1);
    one_bit[15] = 0;
    EXPECT_TRAP(simd_edge_any_true(in, of_bytes(one_bit), &out), KILN_TRAP_NONE);
    EXPECT_INT(out, 0);

    /* Lane extraction sign- or zero-extends. */
    uint8_t lanes[16];
    memset(lanes, 0xff, 16);
    lanes[15] = 0x80;
    EXPECT_TRAP(simd_edge_extract_s8(in, of_bytes(lanes), &out), KILN_TRAP_NONE);
    EXPECT_INT(out, -128);
    EXPECT_TRAP(simd_edge_extract_u16(in, of_bytes(lanes), &out), KILN_TRAP_NONE);
    EXPECT_INT(out, 0x80ff);
}

static void test_memory(kiln_instance *in)
{
    kiln_v128 r;
    uint8_t v[16];
    for (int i = 0; i < 16; i++)
        v[i] = (uint8_t)(0xF0 + i);
    /* store at 100 + 3, then load8x8_s of its first 8 bytes. */
    int16_t ext[8];
    for (int i = 0; i < 8; i++)
        ext[i] = (int8_t)v[i];
    EXPECT_TRAP(simd_edge_store_load(in, 100, of_bytes(v), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, ext, 16);
    /* load16_lane 5 from 100 + 1: bytes 103 and 104 are v[0], v[1]... of the store at 103,
     * so memory[101..102] (still 0) goes to lane 5. */
    uint8_t want[16];
    memcpy(want, v, 16);
    want[10] = 0;
    want[11] = 0;
    EXPECT_TRAP(simd_edge_load_lane(in, 100, of_bytes(v), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, want, 16);
    want[10] = v[0];
    want[11] = v[1];
    EXPECT_TRAP(simd_edge_load_lane(in, 102, of_bytes(v), &r), KILN_TRAP_NONE);
    EXPECT_MEM(r.bytes, want, 16);
    /* Guard-page addressing: the last in-bounds offset works, one past it traps. */
    EXPECT_TRAP(simd_edge_load_lane(in, 65533, of_bytes(v), &r), KILN_TRAP_NONE);
    CHECK(simd_edge_load_lane(in, 65534, of_bytes(v), &r) == KILN_TRAP_MEMORY_OOB);
    CHECK(simd_edge_store_load(in, 65533 - 16, of_bytes(v), &r) == KILN_TRAP_NONE);
    CHECK(simd_edge_store_load(in, 65534 - 16, of_bytes(v), &r) == KILN_TRAP_MEMORY_OOB);
    CHECK(simd_edge_store_load(in, 0xffffffffu, of_bytes(v), &r) == KILN_TRAP_MEMORY_OOB);
}

int main(void)
{
    kiln_instance *in = NULL;
    kiln_status s = kiln_instance_new(&simd_edge_module, NULL, &in);
    if (!CHECK_MSG(s == KILN_STATUS_OK, "instantiating simd_edge: %s", kiln_status_message(s)))
        return check_finish();
    test_shuffle_swizzle(in);
    test_narrow(in);
    test_float_minmax(in);
    test_trunc_sat(in);
    test_integer(in);
    test_memory(in);
    kiln_instance_free(in);
    return check_finish();
}
