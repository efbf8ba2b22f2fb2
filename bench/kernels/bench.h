/* bench.h -- what every benchmark kernel shares: a checksum mixer and one output line.
 *
 * The kernels are WASI commands: `int main(void)`, no input files, no arguments, and one line
 * "NAME CHECKSUM" on stdout. They are compiled natively and to wasm32-wasi from the same
 * source, and the harness (scripts/bench.sh) checks that every engine prints the same line.
 *
 * Output goes through write() rather than printf so that the wasm modules import only
 * fd_write (and proc_exit): the wasm2c WASI shim in bench/wasm2c/ implements only that.
 * Floating-point results are reported by their bit patterns, never through a libm or printf
 * conversion that could differ between glibc and wasi-libc.
 */
#ifndef KILN_BENCH_H
#define KILN_BENCH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A run-time 1 the optimiser cannot see through, so problem sizes are not constant-folded. */
static volatile uint32_t bench_one = 1;

static inline uint64_t bench_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static inline uint64_t bench_double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* Writes "NAME 0123456789abcdef\n" to stdout; returns main's exit status. */
static int bench_report(const char *name, uint64_t checksum)
{
    char line[96];
    size_t n = 0;
    while (name[n] && n < 64) {
        line[n] = name[n];
        n++;
    }
    line[n++] = ' ';
    for (int shift = 60; shift >= 0; shift -= 4)
        line[n++] = "0123456789abcdef"[(checksum >> shift) & 15];
    line[n++] = '\n';
    return write(1, line, n) == (ssize_t)n ? 0 : 1;
}

/* xorshift64*: the kernels' deterministic input generator. */
static inline uint64_t bench_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* size bytes of bench_rand(seed) output in a fresh malloc'ed buffer; NULL if out of memory. */
static inline uint8_t *bench_random_bytes(size_t size, uint64_t seed)
{
    uint8_t *buf = malloc(size);
    for (size_t i = 0; buf && i < size; i++)
        buf[i] = (uint8_t)bench_rand(&seed);
    return buf;
}

#endif
