/* matmul.c -- dense double-precision matrix multiply, C = A * B, i-k-j loop order. */
#include <stdlib.h>

#include "bench.h"

#define N    480
#define REPS 8

int main(void)
{
    int n = N * (int)bench_one;
    double *a = malloc(sizeof(double) * n * n);
    double *b = malloc(sizeof(double) * n * n);
    double *c = malloc(sizeof(double) * n * n);
    if (!a || !b || !c)
        return 2;
    uint64_t seed = 42;
    for (int i = 0; i < n * n; i++) {
        a[i] = (double)(bench_rand(&seed) % 2001) / 1000.0 - 1.0;
        b[i] = (double)(bench_rand(&seed) % 2001) / 1000.0 - 1.0;
    }
    uint64_t h = 0;
    for (int rep = 0; rep < REPS; rep++) {
        for (int i = 0; i < n * n; i++)
            c[i] = 0.0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++) {
                double aik = a[i * n + k];
                for (int j = 0; j < n; j++)
                    c[i * n + j] += aik * b[k * n + j];
            }
        double trace = 0.0;
        for (int i = 0; i < n; i++)
            trace += c[i * n + i];
        h = bench_mix(h, bench_double_bits(trace));
        h = bench_mix(h, bench_double_bits(c[(rep * 7919) % (n * n)]));
        /* feed the result back so no repetition is dead code */
        a[rep] = c[rep] * 0.5;
    }
    return bench_report("matmul", h);
}
