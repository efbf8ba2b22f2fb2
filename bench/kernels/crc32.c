/* crc32.c -- table-driven CRC-32 (IEEE 802.3, reflected) over a generated buffer. */
#include <stdlib.h>

#include "bench.h"

#define BUF_SIZE (1 << 20)
#define ROUNDS   120

static uint32_t table[256];

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int b = 0; b < 8; b++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

int main(void)
{
    make_table();
    if (crc32(0, (const uint8_t *)"123456789", 9) != 0xcbf43926u)
        return 3;
    size_t size = BUF_SIZE * bench_one;
    uint8_t *buf = bench_random_bytes(size, 99);
    if (!buf)
        return 2;
    uint64_t h = 0;
    uint32_t crc = 0;
    for (int r = 0; r < ROUNDS; r++) {
        crc = crc32(crc, buf, size);
        buf[(size_t)r * 4099 % size] ^= (uint8_t)crc;
        h = bench_mix(h, crc);
    }
    return bench_report("crc32", h);
}
