/* lz.c -- an LZ77 compressor (hash table of 4-byte sequences, LZ4-like token format) and its
 * decompressor over generated text, round trip checked. */
#include <stdlib.h>

#include "bench.h"

#define BUF_SIZE  (1 << 21)
#define ROUNDS    24
#define HASH_BITS 14
#define MIN_MATCH 4

static uint32_t read32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint32_t hash4(uint32_t v)
{
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static uint8_t *put_length(uint8_t *o, size_t len)
{
    while (len >= 255) {
        *o++ = 255;
        len -= 255;
    }
    *o++ = (uint8_t)len;
    return o;
}

/* Token: high nibble literal count, low nibble match length - 4 (15 = more bytes follow),
 * then literals, then a 16-bit little-endian offset. The last sequence has no match. */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out, uint32_t *table)
{
    memset(table, 0, sizeof(uint32_t) << HASH_BITS);
    uint8_t *o = out;
    size_t anchor = 0, i = 1;
    while (n >= 12 && i + MIN_MATCH + 8 <= n) {
        uint32_t v = read32(in + i);
        uint32_t hsh = hash4(v);
        size_t cand = table[hsh];
        table[hsh] = (uint32_t)i;
        if (cand == 0 || i - cand > 65535 || read32(in + cand) != v) {
            i++;
            continue;
        }
        size_t len = MIN_MATCH;
        while (i + len < n - 5 && in[cand + len] == in[i + len])
            len++;
        size_t lits = i - anchor;
        uint8_t *token = o++;
        *token = (uint8_t)((lits >= 15 ? 15 : lits) << 4 | (len - 4 >= 15 ? 15 : len - 4));
        if (lits >= 15)
            o = put_length(o, lits - 15);
        memcpy(o, in + anchor, lits);
        o += lits;
        *o++ = (uint8_t)(i - cand);
        *o++ = (uint8_t)((i - cand) >> 8);
        if (len - 4 >= 15)
            o = put_length(o, len - 4 - 15);
        i += len;
        anchor = i;
    }
    size_t lits = n - anchor;
    *o++ = (uint8_t)((lits >= 15 ? 15 : lits) << 4);
    if (lits >= 15)
        o = put_length(o, lits - 15);
    memcpy(o, in + anchor, lits);
    o += lits;
    return (size_t)(o - out);
}

static size_t decompress(const uint8_t *in, size_t n, uint8_t *out)
{
    const uint8_t *p = in, *end = in + n;
    uint8_t *o = out;
    for (;;) {
        uint8_t token = *p++;
        size_t lits = token >> 4;
        if (lits == 15) {
            uint8_t b;
            do {
                b = *p++;
                lits += b;
            } while (b == 255);
        }
        memcpy(o, p, lits);
        o += lits;
        p += lits;
        if (p >= end)
            break;
        size_t off = (size_t)p[0] | (size_t)p[1] << 8;
        p += 2;
        size_t len = (token & 15) + 4;
        if ((token & 15) == 15) {
            uint8_t b;
            do {
                b = *p++;
                len += b;
            } while (b == 255);
        }
        const uint8_t *src = o - off;
        for (size_t k = 0; k < len; k++)
            o[k] = src[k];
        o += len;
    }
    return (size_t)(o - out);
}

int main(void)
{
    static const char *words[] = {
        "kiln ",     "wasm ",   "native ", "the ",   "of ",   "compile ", "memory ",   "table ",
        "function ", "export ", "import ", "guard ", "page ", "trap ",    "instance ", "module\n"};
    size_t size = BUF_SIZE * bench_one;
    uint8_t *text = malloc(size), *packed = malloc(size + size / 64 + 64), *back = malloc(size);
    uint32_t *table = malloc(sizeof(uint32_t) << HASH_BITS);
    if (!text || !packed || !back || !table)
        return 2;
    uint64_t seed = 2024;
    size_t fill = 0;
    while (fill < size) {
        uint64_t r = bench_rand(&seed);
        const char *w = words[r % 16];
        size_t wl = strlen(w);
        if ((r >> 8) % 5 == 0) { /* some noise so not everything matches */
            text[fill++] = (uint8_t)('a' + (r >> 16) % 26);
            continue;
        }
        for (size_t k = 0; k < wl && fill < size; k++)
            text[fill++] = (uint8_t)w[k];
    }
    uint64_t h = 0;
    for (int r = 0; r < ROUNDS; r++) {
        size_t pn = compress(text, size, packed, table);
        size_t bn = decompress(packed, pn, back);
        if (bn != size || memcmp(back, text, size) != 0)
            return 3;
        h = bench_mix(h, pn);
        text[(size_t)r * 65537 % size] = (uint8_t)('A' + r);
    }
    return bench_report("lz", h);
}
