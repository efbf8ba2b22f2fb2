/* sums.c -- 128-bit sums as C compilers write them for WebAssembly (64-bit halves, carries
 * recovered by unsigned compares), for toolchain/idiom_carry.c: test_carry.sh builds this for
 * wasm32-wasi and natively, and `kiln run` must print what the native build prints. Inputs
 * mix random words with all-ones and zero, so every carry is taken and not taken. The last
 * two functions add compares that are not carries (a <=, a signed compare) in chains of two
 * adds: they must keep their own results. */
#include <stdint.h>
#include <stdio.h>

typedef unsigned __int128 u128;

static uint64_t state = 0x9E3779B97F4A7C15u;

static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    switch (state % 8) { /* edge values a quarter of the time */
    case 0:
        return UINT64_MAX;
    case 1:
        return 0;
    default:
        return state;
    }
}

/* Kept out of line, each as its own function in the module (see main). */
#define OPAQUE __attribute__((noinline))

/* Five products added, as a field multiply does. */
OPAQUE u128 sum5(const uint64_t *x, const uint64_t *y)
{
    return (u128)x[0] * y[0] + (u128)x[1] * y[4] + (u128)x[2] * y[3] + (u128)x[3] * y[2] +
           (u128)x[4] * y[1];
}

/* 64-bit words accumulated into 128 bits (high halves 0). */
OPAQUE u128 accumulate(const uint64_t *w, int n)
{
    u128 s = 0;
    for (int i = 0; i < n; i++)
        s += w[i];
    return s;
}

/* A product plus two words, as a bignum's multiply-add step does. */
OPAQUE u128 mul_add2(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return (u128)a * b + c + d;
}

/* 128-bit values from halves, added: the hand-written form. */
OPAQUE void add_halves(uint64_t *lo, uint64_t *hi, uint64_t alo, uint64_t ahi, uint64_t blo,
                       uint64_t bhi, uint64_t clo, uint64_t chi)
{
    uint64_t s1 = alo + blo, c1 = s1 < alo;
    uint64_t s2 = s1 + clo, c2 = s2 < clo;
    *lo = s2;
    *hi = ahi + c1 + bhi + chi + c2;
}

/* Chains whose first compare is not a carry: <= (also 1 when b is 0 and nothing wrapped),
 * and a signed compare. */
OPAQUE void not_carry_le(uint64_t *lo, uint64_t *hi, uint64_t a, uint64_t b, uint64_t c,
                         uint64_t ah)
{
    uint64_t s1 = a + b, s2 = s1 + c;
    *lo = s2;
    *hi = ah + (s1 <= a) + (s2 < s1);
}

OPAQUE void not_carry_signed(uint64_t *lo, uint64_t *hi, uint64_t a, uint64_t b, uint64_t c,
                             uint64_t ah)
{
    uint64_t s1 = a + b, s2 = s1 + c;
    *lo = s2;
    *hi = ah + ((int64_t)s1 < (int64_t)a) + (s2 < s1);
}

static uint64_t mix(uint64_t h, u128 v)
{
    h ^= (uint64_t)v + 0x9E3779B97F4A7C15u + (h << 6) + (h >> 2);
    h ^= (uint64_t)(v >> 64) + 0x9E3779B97F4A7C15u + (h << 6) + (h >> 2);
    return h;
}

/* Called through pointers the compilers cannot see through, so that the functions run as
 * compiled on their own: LLVM would otherwise inline them into main (clang's noinline does
 * not reach Kiln's optimiser), where the checked bodies would never run. */
static u128 (*volatile sum5_p)(const uint64_t *, const uint64_t *) = sum5;
static u128 (*volatile accumulate_p)(const uint64_t *, int) = accumulate;
static u128 (*volatile mul_add2_p)(uint64_t, uint64_t, uint64_t, uint64_t) = mul_add2;
static void (*volatile add_halves_p)(uint64_t *, uint64_t *, uint64_t, uint64_t, uint64_t, uint64_t,
                                     uint64_t, uint64_t) = add_halves;
typedef void not_carry_fn(uint64_t *, uint64_t *, uint64_t, uint64_t, uint64_t, uint64_t);
static not_carry_fn *volatile not_carry_le_p = not_carry_le;
static not_carry_fn *volatile not_carry_signed_p = not_carry_signed;

int main(void)
{
    uint64_t h[6] = {0, 0, 0, 0, 0, 0};
    for (int round = 0; round < 20000; round++) {
        uint64_t x[5], y[5], w[9];
        for (int i = 0; i < 5; i++) {
            x[i] = next();
            y[i] = next();
        }
        for (int i = 0; i < 9; i++)
            w[i] = next();
        h[0] = mix(h[0], sum5_p(x, y));
        h[1] = mix(h[1], accumulate_p(w, 1 + round % 9));
        h[2] = mix(h[2], mul_add2_p(w[0], w[1], w[2], w[3]));
        uint64_t lo, hi;
        add_halves_p(&lo, &hi, w[0], w[1], w[2], w[3], w[4], w[5]);
        h[3] = mix(h[3], ((u128)hi << 64) | lo);
        not_carry_le_p(&lo, &hi, w[6], w[7], w[8], w[0]);
        h[4] = mix(h[4], ((u128)hi << 64) | lo);
        not_carry_signed_p(&lo, &hi, w[6], w[7], w[8], w[0]);
        h[5] = mix(h[5], ((u128)hi << 64) | lo);
    }
    printf("sum5 %016llx\naccumulate %016llx\nmul_add2 %016llx\nadd_halves %016llx\n"
           "not_carry_le %016llx\nnot_carry_signed %016llx\n",
           (unsigned long long)h[0], (unsigned long long)h[1], (unsigned long long)h[2],
           (unsigned long long)h[3], (unsigned long long)h[4], (unsigned long long)h[5]);
    return 0;
}
