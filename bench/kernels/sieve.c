/* sieve.c -- sieve of Eratosthenes over a byte array, repeated. */
#include <stdlib.h>

#include "bench.h"

#define LIMIT  20000000
#define ROUNDS 5

int main(void)
{
    size_t limit = LIMIT * (size_t)bench_one;
    uint8_t *composite = malloc(limit);
    if (!composite)
        return 2;
    uint64_t h = 0;
    for (int r = 0; r < ROUNDS; r++) {
        size_t top = limit - (size_t)r * 1000;
        memset(composite, 0, top);
        uint32_t count = 0;
        uint64_t sum = 0;
        for (size_t i = 2; i < top; i++) {
            if (composite[i])
                continue;
            count++;
            sum += i;
            for (uint64_t j = (uint64_t)i * i; j < top; j += i)
                composite[j] = 1;
        }
        h = bench_mix(h, count);
        h = bench_mix(h, sum);
    }
    return bench_report("sieve", h);
}
