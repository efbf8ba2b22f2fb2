/* sha256.c -- SHA-256 (FIPS 180-4) of a generated buffer, chained over many rounds. */
#include <stdlib.h>

#include "bench.h"
#include "sha256_compress.h"

#define BUF_SIZE (1 << 20)
#define ROUNDS   64

static void sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    uint32_t st[8];
    sha256_hash(st, data, len);
    for (int j = 0; j < 8; j++)
        for (int b = 0; b < 4; b++)
            out[4 * j + b] = (uint8_t)(st[j] >> (24 - 8 * b));
}

int main(void)
{
    size_t size = BUF_SIZE * bench_one;
    uint8_t *buf = bench_random_bytes(size, 7);
    if (!buf)
        return 2;
    /* Known-answer check: SHA-256("abc"). */
    uint8_t digest[32];
    sha256((const uint8_t *)"abc", 3, digest);
    if (digest[0] != 0xba || digest[1] != 0x78 || digest[31] != 0xad)
        return 3;
    uint64_t h = 0;
    for (int r = 0; r < ROUNDS; r++) {
        sha256(buf, size - (size_t)r, digest);
        memcpy(buf + (r * 32) % (size - 32), digest, 32);
        for (int j = 0; j < 32; j += 8) {
            uint64_t v;
            memcpy(&v, digest + j, 8);
            h = bench_mix(h, v);
        }
    }
    return bench_report("sha256", h);
}
