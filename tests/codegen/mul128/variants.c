/* variants.c -- 64x64->128-bit multiplies written in several ways, for the test of the
 * multiply idiom (toolchain/idiom_mul128.c, test_mul128.sh). Each variant has the shape of a
 * __multi3: unsigned __int128 f(unsigned __int128 a, unsigned __int128 b), which wasm32
 * lowers to (i32 ret, i64 a_lo, i64 a_hi, i64 b_lo, i64 b_hi) -> () storing the result at
 * ret and ret + 8. main() runs each over edge values and a pseudo-random sweep and prints one
 * checksum per variant; the same file built natively gives the expected output (for the
 * deliberately wrong variant too).
 *   mul_builtin   a * b: a call of the toolchain's own __multi3 (compiler-rt's)
 *   mul_halves    schoolbook over 32-bit halves, carries taken with shifts
 *   mul_partials  four 32x32 partial products summed with 64-bit adds, carries from
 *                 comparisons (sum < addend)
 *   mul_rotated   mul_halves with the operands and the sums in another order
 *   mul_dropped   mul_partials without one carry: a wrong product, which must not be taken
 *                 for a multiply
 */
#include <stdint.h>
#include <stdio.h>

typedef unsigned __int128 u128;

#define NOINLINE __attribute__((noinline))
#define M32      UINT64_C(0xffffffff)

NOINLINE u128 mul_builtin(u128 a, u128 b)
{
    return a * b;
}

/* The low 64x64 product from 32-bit halves, and the cross terms of the high words. */
NOINLINE u128 mul_halves(u128 a, u128 b)
{
    uint64_t al = (uint64_t)a, ah = (uint64_t)(a >> 64);
    uint64_t bl = (uint64_t)b, bh = (uint64_t)(b >> 64);
    uint64_t ll = (al & M32) * (bl & M32);
    uint64_t mid = (ll >> 32) + (al >> 32) * (bl & M32);
    uint64_t hi = mid >> 32;
    uint64_t lo_mid = (mid & M32) + (al & M32) * (bl >> 32);
    hi += (lo_mid >> 32) + (al >> 32) * (bl >> 32);
    uint64_t lo = (lo_mid << 32) | (ll & M32);
    hi += al * bh + ah * bl;
    return ((u128)hi << 64) | lo;
}

NOINLINE u128 mul_partials(u128 a, u128 b)
{
    uint64_t al = (uint64_t)a, ah = (uint64_t)(a >> 64);
    uint64_t bl = (uint64_t)b, bh = (uint64_t)(b >> 64);
    uint64_t p00 = (al & M32) * (bl & M32), p01 = (al & M32) * (bl >> 32);
    uint64_t p10 = (al >> 32) * (bl & M32), p11 = (al >> 32) * (bl >> 32);
    uint64_t lo = p00, hi = p11;
    uint64_t s = lo + (p01 << 32);
    hi += (s < lo) + (p01 >> 32);
    lo = s;
    s = lo + (p10 << 32);
    hi += (s < lo) + (p10 >> 32);
    lo = s;
    hi += al * bh + ah * bl;
    return ((u128)hi << 64) | lo;
}

NOINLINE u128 mul_rotated(u128 a, u128 b)
{
    uint64_t bl = (uint64_t)b, bh = (uint64_t)(b >> 64);
    uint64_t al = (uint64_t)a, ah = (uint64_t)(a >> 64);
    uint64_t cross = bh * al + bl * ah;
    uint64_t ll = (bl & M32) * (al & M32);
    uint64_t mid = (bl >> 32) * (al & M32) + (ll >> 32);
    uint64_t lo_mid = (bl & M32) * (al >> 32) + (mid & M32);
    uint64_t hi = (bl >> 32) * (al >> 32) + (mid >> 32) + (lo_mid >> 32) + cross;
    return ((u128)hi << 64) | ((lo_mid << 32) | (ll & M32));
}

NOINLINE u128 mul_dropped(u128 a, u128 b)
{
    uint64_t al = (uint64_t)a, ah = (uint64_t)(a >> 64);
    uint64_t bl = (uint64_t)b, bh = (uint64_t)(b >> 64);
    uint64_t p00 = (al & M32) * (bl & M32), p01 = (al & M32) * (bl >> 32);
    uint64_t p10 = (al >> 32) * (bl & M32), p11 = (al >> 32) * (bl >> 32);
    uint64_t lo = p00, hi = p11;
    uint64_t s = lo + (p01 << 32);
    hi += (s < lo) + (p01 >> 32);
    lo = s;
    s = lo + (p10 << 32);
    hi += p10 >> 32; /* the second carry is lost */
    lo = s;
    hi += al * bh + ah * bl;
    return ((u128)hi << 64) | lo;
}

typedef u128 (*mul_fn)(u128, u128);

static uint64_t state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* Operands: the edges (0, 1, all ones, halves and single bits), then random ones. */
static u128 operand(unsigned i)
{
    static const uint64_t edges[] = {0,
                                     1,
                                     M32,
                                     M32 + 1,
                                     UINT64_MAX,
                                     UINT64_C(1) << 63,
                                     UINT64_C(0x8000000080000000),
                                     UINT64_C(0xfffffffe00000001)};
    unsigned n = sizeof edges / sizeof edges[0];
    if (i < n * n)
        return ((u128)edges[i / n] << 64) | edges[i % n];
    return ((u128)next() << 64) | next();
}

int main(void)
{
    static const struct {
        const char *name;
        mul_fn fn;
    } variants[] = {{"builtin", mul_builtin},
                    {"halves", mul_halves},
                    {"partials", mul_partials},
                    {"rotated", mul_rotated},
                    {"dropped", mul_dropped}};
    for (unsigned v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        state = UINT64_C(0x9E3779B97F4A7C15);
        u128 sum = 0;
        uint64_t mismatches = 0;
        for (unsigned i = 0; i < 20000; i++) {
            u128 a = operand(i), b = operand(i * 7 + 3);
            u128 p = variants[v].fn(a, b);
            sum = sum * 31 + p;
            mismatches += p != a * b;
        }
        printf("%-8s %016llx%016llx mismatches %llu\n", variants[v].name,
               (unsigned long long)(uint64_t)(sum >> 64), (unsigned long long)(uint64_t)sum,
               (unsigned long long)mismatches);
    }
    return 0;
}
