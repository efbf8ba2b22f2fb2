/* kt_common.c -- the parts of kt.h both implementations share: formatted output (so the wasm
 * and the native builds print byte-identical lines), the barrier and argument parsing. */
#include <stdarg.h>
#include <stdbool.h>

#include "kt.h"

typedef struct out {
    char buf[512];
    size_t len;
} out;

static void put(out *o, char c)
{
    if (o->len == sizeof o->buf) {
        kt_write(1, o->buf, o->len);
        o->len = 0;
    }
    o->buf[o->len++] = c;
}

static void put_num(out *o, uint64_t v, unsigned base, bool neg, unsigned width, char pad)
{
    char digits[24];
    unsigned n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    if (neg)
        digits[n++] = '-';
    for (unsigned i = n; i < width; i++)
        put(o, pad);
    while (n > 0)
        put(o, digits[--n]);
}

void kt_printf(const char *fmt, ...)
{
    out o = {.len = 0};
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        p++;
        char pad = ' ';
        unsigned width = 0, longs = 0;
        if (*p == '0')
            pad = '0';
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (unsigned)(*p++ - '0');
        while (*p == 'l') {
            longs++;
            p++;
        }
        switch (*p) {
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++)
                put(&o, *s);
            break;
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 'd': {
            int64_t v = longs == 0   ? va_arg(ap, int)
                        : longs == 1 ? va_arg(ap, long)
                                     : va_arg(ap, long long);
            put_num(&o, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 10, v < 0, width, pad);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = longs == 0   ? va_arg(ap, unsigned)
                         : longs == 1 ? va_arg(ap, unsigned long)
                                      : va_arg(ap, unsigned long long);
            put_num(&o, v, *p == 'u' ? 10 : 16, false, width, pad);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        default:
            return; /* not supported: a test bug */
        }
    }
    va_end(ap);
    kt_write(1, o.buf, o.len);
}

void kt_barrier_init(kt_barrier *b, uint32_t count)
{
    *b = (kt_barrier){.lock = KT_MUTEX_INIT, .cond = KT_COND_INIT, .count = count};
}

/* The last of count threads to arrive starts a new generation and wakes the others; they
 * wait for the generation to change (so spurious wake-ups and the next round's early
 * arrivals cannot let anyone through too soon). */
void kt_barrier_wait(kt_barrier *b)
{
    kt_mutex_lock(&b->lock);
    uint32_t gen = b->generation;
    if (++b->waiting == b->count) {
        b->waiting = 0;
        b->generation++;
        kt_cond_broadcast(&b->cond);
    } else {
        while (gen == b->generation)
            kt_cond_wait(&b->cond, &b->lock);
    }
    kt_mutex_unlock(&b->lock);
}

uint64_t kt_arg_u64(int argc, char **argv, int i, uint64_t dflt)
{
    if (i >= argc || argv[i][0] == '\0')
        return dflt;
    uint64_t v = 0;
    for (const char *s = argv[i]; *s; s++) {
        if (*s < '0' || *s > '9')
            return dflt;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    return v;
}
