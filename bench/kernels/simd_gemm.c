/* simd_gemm.c -- an int16 matrix multiply written with 128-bit vectors (GCC/clang vector
 * extensions: SSE natively, wasm SIMD with -msimd128), plus a byte-shuffle and clamp stage,
 * as quantised inference code does: C = clamp(A * B) repacked. What the target CPU gives a
 * SIMD program (pshufb, pmaxsd, ... from SSSE3/SSE4.1 up) shows here, where the scalar
 * kernels barely care.
 * bench-wasm-flags: -msimd128
 */
#include <stdlib.h>

#include "bench.h"

#define N    256
#define REPS 120

typedef int16_t v8s __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
typedef uint8_t v16u __attribute__((vector_size(16)));

static v8s load8(const int16_t *p)
{
    v8s v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void store8(int16_t *p, v8s v)
{
    memcpy(p, &v, sizeof v);
}

/* max(lo, min(v, hi)) lane by lane, with compare masks (pminsd/pmaxsd where the CPU has them). */
static v4i clamp(v4i v, v4i lo, v4i hi)
{
    v4i below = v < lo;
    v4i above = v > hi;
    v = (below & lo) | (~below & v);
    return (above & hi) | (~above & v);
}

int main(void)
{
    int n = N * (int)bench_one;
    int16_t *a = malloc(sizeof(int16_t) * n * n);
    int16_t *b = malloc(sizeof(int16_t) * n * n);
    int16_t *c = malloc(sizeof(int16_t) * n * n);
    uint8_t *packed = malloc((size_t)n * n);
    if (!a || !b || !c || !packed)
        return 2;
    uint64_t seed = 7;
    for (int i = 0; i < n * n; i++) {
        a[i] = (int16_t)(bench_rand(&seed) % 17) - 8;
        b[i] = (int16_t)(bench_rand(&seed) % 17) - 8;
    }
    uint64_t h = 0;
    const v4i lo = {-2000, -2000, -2000, -2000}, hi = {2000, 2000, 2000, 2000};
    for (int rep = 0; rep < REPS; rep++) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j += 8)
                store8(&c[i * n + j], (v8s){0});
            for (int k = 0; k < n; k++) {
                v8s aik = (v8s){0} + a[i * n + k];
                for (int j = 0; j < n; j += 8)
                    store8(&c[i * n + j], load8(&c[i * n + j]) + aik * load8(&b[k * n + j]));
            }
        }
        /* Clamp (widened to 32 bits), then keep each value's low byte, reversed per 16. */
        for (int i = 0; i < n * n; i += 16) {
            v16u out;
            for (int half = 0; half < 2; half++) {
                v8s v = load8(&c[i + 8 * half]);
                v4i w0 = __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3), v4i);
                v4i w1 = __builtin_convertvector(__builtin_shufflevector(v, v, 4, 5, 6, 7), v4i);
                w0 = clamp(w0, lo, hi);
                w1 = clamp(w1, lo, hi);
                v16u bytes0, bytes1;
                memcpy(&bytes0, &w0, 16);
                memcpy(&bytes1, &w1, 16);
                v16u both = __builtin_shufflevector(bytes0, bytes1, 0, 4, 8, 12, 16, 20, 24, 28, 1,
                                                    5, 9, 13, 17, 21, 25, 29);
                for (int l = 0; l < 8; l++)
                    out[8 * half + l] = both[l] ^ both[8 + l];
            }
            out = __builtin_shufflevector(out, out, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
                                          1, 0);
            memcpy(&packed[i], &out, 16);
        }
        for (int i = 0; i < n * n; i += 8) {
            uint64_t word;
            memcpy(&word, &packed[i], 8);
            h = bench_mix(h, word);
        }
        a[rep] = (int16_t)(packed[rep] & 7);
    }
    return bench_report("simd_gemm", h);
}
