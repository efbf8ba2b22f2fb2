/* hello.c -- Kiln's first sample: a small WASI command that prints and computes.
 *
 * Built to wasm32-wasi at build time (samples/CMakeLists.txt) and used by the demo and the
 * CLI tests as a real compiler-produced module: it imports WASI functions, exports _start and
 * memory, has a table for indirect calls, data segments with strings and a name section.
 * Run it with any WASI runtime: `wasmtime hello.wasm Ada`. Kiln will run it natively once
 * code generation exists.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Collatz steps for n: a loop with a data-dependent trip count, so the optimiser keeps it. */
static unsigned collatz_steps(uint64_t n)
{
    unsigned steps = 0;
    while (n != 1) {
        n = (n % 2 == 0) ? n / 2 : 3 * n + 1;
        steps++;
    }
    return steps;
}

/* Sieve of Eratosthenes over [0, limit); returns how many primes were found. */
static unsigned count_primes(unsigned limit)
{
    unsigned char *composite = calloc(limit, 1);
    if (!composite)
        return 0;
    unsigned count = 0;
    for (unsigned i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        for (unsigned long long j = (unsigned long long)i * i; j < limit; j += i)
            composite[j] = 1;
    }
    free(composite);
    return count;
}

typedef uint64_t (*sequence_fn)(unsigned);

static uint64_t fibonacci(unsigned n)
{
    uint64_t a = 0, b = 1;
    for (unsigned i = 0; i < n; i++) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t triangular(unsigned n)
{
    return (uint64_t)n * (n + 1) / 2;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "world";
    printf("Hello, %s, from WebAssembly!\n", name);

    /* Called through a table of function pointers: call_indirect in the module. */
    static const struct {
        const char *label;
        sequence_fn fn;
    } sequences[] = {{"fibonacci", fibonacci}, {"triangular", triangular}};
    for (size_t s = 0; s < sizeof sequences / sizeof sequences[0]; s++) {
        printf("%-10s:", sequences[s].label);
        for (unsigned i = 1; i <= 10; i++)
            printf(" %llu", (unsigned long long)sequences[s].fn(i));
        printf("\n");
    }

    unsigned best = 1, best_steps = 0;
    for (unsigned n = 1; n < 10000; n++) {
        unsigned steps = collatz_steps(n);
        if (steps > best_steps) {
            best = n;
            best_steps = steps;
        }
    }
    printf("longest Collatz chain below 10000 starts at %u (%u steps)\n", best, best_steps);
    printf("primes below 100000: %u\n", count_primes(100000));
    printf("name length: %zu\n", strlen(name));
    return 0;
}
