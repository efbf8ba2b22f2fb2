/* json.c -- a JSON parser (objects, arrays, strings with escapes, integers, decimals, literals)
 * over a generated document, computing a digest of its contents. Numbers are parsed to
 * fixed point by hand so no libc conversion is involved. */
#include <stdlib.h>

#include "bench.h"

#define DOC_SIZE (1 << 20)
#define ROUNDS   200

struct parser {
    const char *p, *end;
    uint64_t digest;
    uint32_t depth, values;
    int error;
};

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r'))
        ps->p++;
}

static void parse_value(struct parser *ps);

static void parse_string(struct parser *ps)
{
    uint64_t h = 1469598103934665603ull;
    ps->p++; /* opening quote */
    while (ps->p < ps->end && *ps->p != '"') {
        char c = *ps->p++;
        if (c == '\\') {
            char e = *ps->p++;
            switch (e) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'u': {
                uint32_t cp = 0;
                for (int k = 0; k < 4; k++) {
                    char d = *ps->p++;
                    cp = cp * 16 + (uint32_t)(d <= '9' ? d - '0' : (d | 32) - 'a' + 10);
                }
                c = (char)cp;
                break;
            }
            default:
                c = e;
                break;
            }
        }
        h = (h ^ (uint8_t)c) * 1099511628211ull;
    }
    if (ps->p >= ps->end) {
        ps->error = 1;
        return;
    }
    ps->p++;
    ps->digest = bench_mix(ps->digest, h);
}

static void parse_number(struct parser *ps)
{
    int neg = 0;
    if (*ps->p == '-') {
        neg = 1;
        ps->p++;
    }
    int64_t v = 0;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        v = v * 10 + (*ps->p++ - '0');
    int frac_digits = 0;
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            if (frac_digits < 6) {
                v = v * 10 + (*ps->p - '0');
                frac_digits++;
            }
            ps->p++;
        }
    }
    for (; frac_digits < 6; frac_digits++)
        v *= 10;
    ps->digest += (uint64_t)(neg ? -v : v);
}

static void parse_value(struct parser *ps)
{
    skip_ws(ps);
    if (ps->p >= ps->end || ps->depth > 64) {
        ps->error = 1;
        return;
    }
    ps->values++;
    char c = *ps->p;
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        ps->p++;
        ps->depth++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            ps->depth--;
            return;
        }
        for (;;) {
            if (c == '{') {
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != '"') {
                    ps->error = 1;
                    return;
                }
                parse_string(ps);
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p++ != ':') {
                    ps->error = 1;
                    return;
                }
            }
            parse_value(ps);
            if (ps->error)
                return;
            skip_ws(ps);
            if (ps->p >= ps->end) {
                ps->error = 1;
                return;
            }
            if (*ps->p == ',') {
                ps->p++;
                continue;
            }
            if (*ps->p++ != close)
                ps->error = 1;
            ps->depth--;
            return;
        }
    }
    if (c == '"') {
        parse_string(ps);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        parse_number(ps);
    } else if (ps->end - ps->p >= 4 && memcmp(ps->p, "true", 4) == 0) {
        ps->p += 4;
        ps->digest = bench_mix(ps->digest, 1);
    } else if (ps->end - ps->p >= 5 && memcmp(ps->p, "false", 5) == 0) {
        ps->p += 5;
        ps->digest = bench_mix(ps->digest, 2);
    } else if (ps->end - ps->p >= 4 && memcmp(ps->p, "null", 4) == 0) {
        ps->p += 4;
        ps->digest = bench_mix(ps->digest, 3);
    } else {
        ps->error = 1;
    }
}

/* Appends decimal v; returns the new end. */
static char *put_uint(char *o, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *o++ = tmp[--n];
    return o;
}

static char *put_str(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

/* One record: an object with strings, numbers, a nested array and literals. */
static char *gen_record(char *o, uint64_t *seed, uint32_t id)
{
    static const char *names[] = {"alpha", "beta", "gamma", "delta\\n", "eps\\u0041lon", "zeta"};
    uint64_t r = bench_rand(seed);
    o = put_str(o, "{\"id\": ");
    o = put_uint(o, id);
    o = put_str(o, ", \"name\": \"");
    o = put_str(o, names[r % 6]);
    o = put_str(o, "\", \"score\": ");
    if (r & 0x100)
        *o++ = '-';
    o = put_uint(o, (r >> 12) % 100000);
    *o++ = '.';
    o = put_uint(o, (r >> 32) % 1000);
    o = put_str(o, ", \"tags\": [");
    int tags = (int)((r >> 40) % 6);
    for (int t = 0; t < tags; t++) {
        if (t)
            o = put_str(o, ", ");
        o = put_uint(o, bench_rand(seed) % 1000000);
    }
    o = put_str(o, "], \"ok\": ");
    o = put_str(o, (r >> 50) & 1 ? "true" : ((r >> 51) & 1 ? "false" : "null"));
    o = put_str(o,
                ", \"nested\": {\"a\": [1, 2, {\"b\": \"c\"}], \"d\": \"quoted \\\"text\\\"\"}}");
    return o;
}

int main(void)
{
    size_t cap = DOC_SIZE * bench_one;
    char *doc = malloc(cap + 512);
    if (!doc)
        return 2;
    uint64_t seed = 77;
    char *o = doc;
    *o++ = '[';
    uint32_t id = 0;
    while ((size_t)(o - doc) < cap) {
        if (id)
            o = put_str(o, ",\n ");
        o = gen_record(o, &seed, id++);
    }
    *o++ = ']';
    size_t len = (size_t)(o - doc);
    uint64_t h = 0;
    for (int r = 0; r < ROUNDS; r++) {
        struct parser ps = {doc, doc + len, (uint64_t)r, 0, 0, 0};
        parse_value(&ps);
        if (ps.error)
            return 3;
        h = bench_mix(h, ps.digest);
        h = bench_mix(h, ps.values);
    }
    return bench_report("json", h);
}
