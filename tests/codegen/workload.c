/* workload.c -- freestanding C compiled twice: to wasm32 (clang --target=wasm32, then
 * `kiln compile`) and natively into workload_main.c, which checks that both give the same
 * results. Compiler-generated Wasm exercises what hand-written .wat rarely does: the shadow
 * stack in a mutable global, function pointers through call_indirect, byte/halfword memory
 * traffic, 64-bit division, float conversions, bulk memory and deep recursion.
 * Every export takes plain numbers and returns a checksum; no pointers cross the boundary.
 */
#include <stddef.h>
#include <stdint.h>

#include "../../bench/kernels/sha256_compress.h" /* the sha256 kernel's */
#include "workload_native.h"

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(#name)))
/* -nostdlib: the compiler may still call these for struct copies and loops. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n)
{
    __builtin_memcpy(dst, src, n); /* memory.copy (-mbulk-memory) */
    return dst;
}
void *memmove(void *dst, const void *src, size_t n)
{
    __builtin_memmove(dst, src, n);
    return dst;
}
void *memset(void *dst, int c, size_t n)
{
    __builtin_memset(dst, c, n); /* memory.fill */
    return dst;
}
#else
#define EXPORT(name)
#endif

static uint8_t buffer[1 << 16];
static uint32_t rng_state;

static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static void fill(uint32_t seed, uint32_t len)
{
    rng_state = seed ? seed : 1;
    for (uint32_t i = 0; i < len; i++)
        buffer[i] = (uint8_t)rng();
}

/* SHA-256 (FIPS 180-4) of buffer[0, len), folded to one word. */
EXPORT(sha) uint32_t wl_sha(uint32_t seed, uint32_t len)
{
    if (len > sizeof buffer - 128)
        len = sizeof buffer - 128;
    fill(seed, len);
    uint32_t h[8];
    sha256_hash(h, buffer, len);
    uint32_t x = 0;
    for (int i = 0; i < 8; i++)
        x = ror(x, 5) ^ h[i];
    return x;
}

/* Sorting with a comparator chosen at run time: indirect calls. */
typedef int (*compare_fn)(int32_t, int32_t);
static int up(int32_t a, int32_t b)
{
    return a < b ? -1 : a > b;
}
static int down(int32_t a, int32_t b)
{
    return up(b, a);
}
static int by_low_byte(int32_t a, int32_t b)
{
    int c = up(a & 0xff, b & 0xff);
    return c ? c : up(a, b);
}
static compare_fn const comparators[] = {up, down, by_low_byte};

static void merge_sort(int32_t *v, int32_t *tmp, uint32_t n, compare_fn cmp)
{
    if (n < 2)
        return;
    uint32_t h = n / 2;
    merge_sort(v, tmp, h, cmp);
    merge_sort(v + h, tmp, n - h, cmp);
    uint32_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp(v[j], v[i]) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    for (k = 0; k < n; k++)
        v[k] = tmp[k];
}

EXPORT(sort) uint64_t wl_sort(uint32_t seed, uint32_t n, uint32_t order)
{
    static int32_t values[4096], tmp[4096];
    if (n > 4096)
        n = 4096;
    rng_state = seed ? seed : 1;
    for (uint32_t i = 0; i < n; i++) {
        int32_t v = (int32_t)rng();
        values[i] = v >> (rng() & 15);
    }
    compare_fn cmp = comparators[order % 3];
    merge_sort(values, tmp, n, cmp);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && cmp(values[i - 1], values[i]) > 0)
            return 0; /* not sorted */
        sum = sum * 31 + (uint32_t)values[i];
    }
    return sum;
}

EXPORT(matmul) uint64_t wl_matmul(uint32_t n)
{
    static double a[32][32], b[32][32], c[32][32];
    if (n > 32)
        n = 32;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            a[i][j] = (double)(i * n + j) / 7.0 - 3.25;
            b[i][j] = (double)(j + 1) / (double)(i + 2);
        }
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            double s = 0;
            for (uint32_t k = 0; k < n; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
    uint64_t h = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            union {
                double d;
                uint64_t u;
            } bits = {c[i][j]};
            h = (h << 7 | h >> 57) ^ bits.u;
        }
    return h;
}

EXPORT(crc) uint32_t wl_crc(uint32_t seed, uint32_t len)
{
    static uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    if (len > sizeof buffer)
        len = sizeof buffer;
    fill(seed, len);
    uint32_t crc = 0xffffffffu;
    for (uint32_t i = 0; i < len; i++)
        crc = table[(crc ^ buffer[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

EXPORT(divs) int64_t wl_divs(int64_t a, int64_t b)
{
    uint64_t acc = 0; /* unsigned: wrapping sums, no C undefined behaviour */
    for (int i = 0; i < 64; i++) {
        int64_t d = ((b >> i) & 0x7fffffffffff) | 1; /* positive: no INT_MIN / -1 */
        int32_t d32 = (int32_t)(d & 0x7fffffff) | 1;
        acc += (uint64_t)(a / d + a % d);
        acc ^= (uint64_t)a / (uint64_t)d + (uint64_t)a % (uint64_t)d;
        acc += (uint64_t)((int32_t)a / d32) + (uint32_t)a % (uint32_t)d32;
        a = (int64_t)((uint64_t)a * 6364136223846793005u + 1442695040888963407u);
    }
    return (int64_t)acc;
}

static double sqrt_newton(double x)
{
    return __builtin_sqrt(x);
}

EXPORT(floats) uint64_t wl_floats(uint32_t seed)
{
    rng_state = seed ? seed : 1;
    uint64_t h = 0;
    for (int i = 0; i < 1000; i++) {
        double x = (double)(int32_t)rng() / 1024.0;
        float f = (float)x;
        int64_t as_int = (int64_t)(x * 3.5);
        uint32_t as_u = (uint32_t)(f < 0 ? -f : f);
        double r = sqrt_newton(x < 0 ? -x : x) + __builtin_floor(x) + __builtin_ceil(f) +
                   __builtin_trunc(x / 3) + (double)as_int + (float)as_u + (x < f ? x : (double)f) +
                   (x > -x ? x : -x) + __builtin_copysign(2.0, x) + __builtin_nearbyint(x / 1000);
        union {
            double d;
            uint64_t u;
        } bits = {r};
        h = h * 1099511628211u ^ bits.u;
    }
    return h;
}

EXPORT(ack) uint32_t wl_ack(uint32_t m, uint32_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return wl_ack(m - 1, 1);
    return wl_ack(m - 1, wl_ack(m, n - 1));
}

typedef struct record {
    uint8_t tag;
    uint16_t small;
    int32_t mid;
    int64_t big;
    float f;
} record;

EXPORT(bytes) uint32_t wl_bytes(uint32_t seed)
{
    static record recs[512];
    rng_state = seed ? seed : 1;
    for (int i = 0; i < 512; i++) {
        record r;
        r.tag = (uint8_t)rng();
        r.small = (uint16_t)rng();
        r.mid = (int32_t)rng();
        r.big = (int64_t)rng() << 20;
        r.big |= rng();
        r.f = (float)(int32_t)rng();
        recs[i] = r;
    }
    __builtin_memmove(recs + 1, recs, 300 * sizeof *recs);
    __builtin_memset(recs + 400, 0x5a, 50 * sizeof *recs);
    uint32_t h = 0;
    for (int i = 0; i < 512; i++) {
        h = h * 33 + recs[i].tag + (int8_t)recs[i].tag;
        h = h * 33 + recs[i].small + (int16_t)recs[i].small;
        h = h * 33 + (uint32_t)recs[i].mid + (uint32_t)(recs[i].big >> 7);
        union {
            float f;
            uint32_t u;
        } bits = {recs[i].f}; /* not (int32_t)f: 0x5a5a5a5a as a float is out of range */
        h = h * 33 + bits.u;
    }
    return h;
}
