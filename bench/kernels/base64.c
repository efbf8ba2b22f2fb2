/* base64.c -- RFC 4648 base64 encode and decode of a generated buffer, round trip checked. */
#include <stdlib.h>

#include "bench.h"

#define BUF_SIZE (1 << 20)
#define ROUNDS   150

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static int8_t reverse[256];

static size_t encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    return o;
}

/* Returns the decoded length, or (size_t)-1 on a character outside the alphabet. */
static size_t decode(const char *in, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        int pad = (in[i + 3] == '=') + (in[i + 2] == '=');
        int c0 = reverse[(uint8_t)in[i]], c1 = reverse[(uint8_t)in[i + 1]];
        int c2 = pad > 1 ? 0 : reverse[(uint8_t)in[i + 2]];
        int c3 = pad > 0 ? 0 : reverse[(uint8_t)in[i + 3]];
        if ((c0 | c1 | c2 | c3) < 0)
            return (size_t)-1;
        uint32_t v = (uint32_t)c0 << 18 | (uint32_t)c1 << 12 | (uint32_t)c2 << 6 | (uint32_t)c3;
        out[o++] = (uint8_t)(v >> 16);
        if (pad < 2)
            out[o++] = (uint8_t)(v >> 8);
        if (pad < 1)
            out[o++] = (uint8_t)v;
    }
    return o;
}

int main(void)
{
    memset(reverse, -1, sizeof reverse);
    for (int i = 0; i < 64; i++)
        reverse[(uint8_t)alphabet[i]] = (int8_t)i;
    size_t size = BUF_SIZE * bench_one;
    uint8_t *data = malloc(size), *back = malloc(size);
    char *text = malloc(size / 3 * 4 + 8);
    if (!data || !back || !text)
        return 2;
    uint64_t seed = 5;
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)bench_rand(&seed);
    uint64_t h = 0;
    for (int r = 0; r < ROUNDS; r++) {
        size_t n = size - (size_t)(r % 3);
        size_t tn = encode(data, n, text);
        size_t bn = decode(text, tn, back);
        if (bn != n || memcmp(back, data, n) != 0)
            return 3;
        h = bench_mix(h, tn);
        h = bench_mix(h, (uint8_t)text[(size_t)r * 7777 % tn]);
        data[(size_t)r * 31337 % size] ^= (uint8_t)text[r];
    }
    return bench_report("base64", h);
}
