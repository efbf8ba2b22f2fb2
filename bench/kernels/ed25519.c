/* ed25519.c -- arithmetic in GF(2^255 - 19) as ed25519 implementations do it: five 51-bit
 * limbs, products accumulated in unsigned __int128 (a 64x64 -> 128-bit multiply, which
 * WebAssembly lacks: clang lowers it to a call of compiler-rt's __multi3 there). The loop
 * raises field elements to large powers by square-and-multiply, like an inversion. */
#include "bench.h"

typedef unsigned __int128 u128;
typedef struct {
    uint64_t v[5];
} fe;

#define MASK51 ((1ull << 51) - 1)
#ifndef ROUNDS /* bench.smoke (tests/cli) builds a shorter run */
#define ROUNDS 40000
#endif

static void fe_carry(fe *r, u128 t[5])
{
    uint64_t c;
    c = (uint64_t)(t[0] >> 51);
    t[1] += c;
    r->v[0] = (uint64_t)t[0] & MASK51;
    c = (uint64_t)(t[1] >> 51);
    t[2] += c;
    r->v[1] = (uint64_t)t[1] & MASK51;
    c = (uint64_t)(t[2] >> 51);
    t[3] += c;
    r->v[2] = (uint64_t)t[2] & MASK51;
    c = (uint64_t)(t[3] >> 51);
    t[4] += c;
    r->v[3] = (uint64_t)t[3] & MASK51;
    c = (uint64_t)(t[4] >> 51);
    r->v[4] = (uint64_t)t[4] & MASK51;
    r->v[0] += c * 19;
    r->v[1] += r->v[0] >> 51;
    r->v[0] &= MASK51;
}

static void fe_mul(fe *r, const fe *a, const fe *b)
{
    const uint64_t *x = a->v, *y = b->v;
    uint64_t y1 = y[1] * 19, y2 = y[2] * 19, y3 = y[3] * 19, y4 = y[4] * 19;
    u128 t[5];
    t[0] =
        (u128)x[0] * y[0] + (u128)x[1] * y4 + (u128)x[2] * y3 + (u128)x[3] * y2 + (u128)x[4] * y1;
    t[1] =
        (u128)x[0] * y[1] + (u128)x[1] * y[0] + (u128)x[2] * y4 + (u128)x[3] * y3 + (u128)x[4] * y2;
    t[2] = (u128)x[0] * y[2] + (u128)x[1] * y[1] + (u128)x[2] * y[0] + (u128)x[3] * y4 +
           (u128)x[4] * y3;
    t[3] = (u128)x[0] * y[3] + (u128)x[1] * y[2] + (u128)x[2] * y[1] + (u128)x[3] * y[0] +
           (u128)x[4] * y4;
    t[4] = (u128)x[0] * y[4] + (u128)x[1] * y[3] + (u128)x[2] * y[2] + (u128)x[3] * y[1] +
           (u128)x[4] * y[0];
    fe_carry(r, t);
}

static void fe_sq(fe *r, const fe *a)
{
    const uint64_t *x = a->v;
    uint64_t d0 = x[0] * 2, d1 = x[1] * 2, d3_19 = x[3] * 19 * 2, x4_19 = x[4] * 19;
    u128 t[5];
    t[0] = (u128)x[0] * x[0] + (u128)d1 * x4_19 + (u128)(x[2] * 2) * (x[3] * 19);
    t[1] = (u128)d0 * x[1] + (u128)(x[2] * 2) * x4_19 + (u128)x[3] * (x[3] * 19);
    t[2] = (u128)d0 * x[2] + (u128)x[1] * x[1] + (u128)d3_19 * x[4];
    t[3] = (u128)d0 * x[3] + (u128)d1 * x[2] + (u128)x[4] * x4_19;
    t[4] = (u128)d0 * x[4] + (u128)d1 * x[3] + (u128)x[2] * x[2];
    fe_carry(r, t);
}

/* r = a^e for a 256-bit exponent given as four 64-bit words, most significant first. */
static void fe_pow(fe *r, const fe *a, const uint64_t e[4])
{
    fe acc = {{1, 0, 0, 0, 0}};
    for (int w = 0; w < 4; w++)
        for (int b = 63; b >= 0; b--) {
            fe_sq(&acc, &acc);
            if ((e[w] >> b) & 1)
                fe_mul(&acc, &acc, a);
        }
    *r = acc;
}

/* Fully reduced canonical value, as the low 64 bits of its little-endian encoding. */
static uint64_t fe_low64(const fe *a)
{
    fe t = *a;
    for (int k = 0; k < 2; k++) {
        uint64_t c = 0;
        for (int i = 0; i < 5; i++) {
            t.v[i] += c;
            c = t.v[i] >> 51;
            t.v[i] &= MASK51;
        }
        t.v[0] += c * 19;
    }
    /* subtract p if t >= p */
    uint64_t ge = t.v[0] >= MASK51 - 18 && t.v[1] == MASK51 && t.v[2] == MASK51 &&
                  t.v[3] == MASK51 && t.v[4] == MASK51;
    if (ge) {
        t.v[0] -= MASK51 - 18;
        t.v[1] = t.v[2] = t.v[3] = t.v[4] = 0;
    }
    return t.v[0] | t.v[1] << 51;
}

int main(void)
{
    /* p - 2: a^(p-2) is the inverse of a */
    const uint64_t p_minus_2[4] = {0x7fffffffffffffffull, 0xffffffffffffffffull,
                                   0xffffffffffffffffull, 0xffffffffffffffebull};
    uint64_t seed = 25519, h = 0;
    int rounds = ROUNDS * (int)bench_one;
    fe x = {{0}};
    for (int i = 0; i < 5; i++)
        x.v[i] = bench_rand(&seed) & MASK51;
    for (int r = 0; r < rounds; r++) {
        fe inv, check;
        fe_pow(&inv, &x, p_minus_2);
        fe_mul(&check, &inv, &x);
        if (fe_low64(&check) != 1)
            return 3;
        h = bench_mix(h, fe_low64(&inv));
        x = inv;
        x.v[r % 5] ^= bench_rand(&seed) & 0xffff;
    }
    return bench_report("ed25519", h);
}
