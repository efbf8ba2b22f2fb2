/* micro_util.h -- timing for the microbenchmarks: batches timed with clock_gettime, one
 * result line per measurement.
 *
 * A sample is the wall time of one batch divided by its operations; a measurement is
 * MICRO_SAMPLES samples after MICRO_WARMUP untimed batches. Each program prints lines
 *   <measurement> <engine> <operations per batch> <sample seconds>...
 * which run.sh turns into JSON (and the median).
 */
#ifndef MICRO_UTIL_H
#define MICRO_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Byte `index` of a data segment that data_wat.py generated with `seed` (its 32-bit LCG). */
static inline int micro_data_byte(uint32_t seed, uint32_t index)
{
    uint32_t x = seed;
    for (uint32_t i = 0; i <= index; i++)
        x = x * 1664525u + 1013904223u;
    return (int)(x >> 24);
}

#define MICRO_SAMPLES 51
#define MICRO_WARMUP  5

static inline double micro_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void micro_report(const char *measurement, const char *engine, long batch,
                                const double *samples)
{
    printf("%s %s %ld", measurement, engine, batch);
    for (int i = 0; i < MICRO_SAMPLES; i++)
        printf(" %.4e", samples[i]);
    printf("\n");
    fflush(stdout);
}

static inline void micro_fail(const char *what)
{
    fprintf(stderr, "micro: %s\n", what);
    exit(1);
}

/* Runs body (a statement block using `batch`) MICRO_WARMUP + MICRO_SAMPLES times and stores
 * per-operation seconds of the timed runs in samples[]. setup/teardown run untimed around each
 * batch. */
#define MICRO_MEASURE(samples, batch, setup, body, teardown)                                       \
    do {                                                                                           \
        for (int micro_run = 0; micro_run < MICRO_WARMUP + MICRO_SAMPLES; micro_run++) {           \
            setup;                                                                                 \
            double micro_t0 = micro_now();                                                         \
            body;                                                                                  \
            double micro_t1 = micro_now();                                                         \
            teardown;                                                                              \
            if (micro_run >= MICRO_WARMUP)                                                         \
                (samples)[micro_run - MICRO_WARMUP] = (micro_t1 - micro_t0) / (double)(batch);     \
        }                                                                                          \
    } while (0)

#endif
