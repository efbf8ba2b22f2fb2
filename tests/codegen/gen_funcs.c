/* gen_funcs.c -- writes a module of many small functions for codegen.many_parts:
 *
 *     gen_funcs COUNT out.wasm
 *
 * Functions f0 .. f<COUNT-1>, all of type () -> i32: f0 returns 1, every other fk returns
 * f<k-1>() + 1, so the export "last" (f<COUNT-1>) returns COUNT only if every function and
 * every call between them survived compilation in parts. Each body is a few bytes, so
 * `--partition-size 1` makes one part per function.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
    unsigned char *data;
    size_t len, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->data = realloc(b->data, b->cap);
        if (b->data == NULL) {
            fputs("gen_funcs: out of memory\n", stderr);
            exit(1);
        }
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void byte(buf *b, unsigned char c)
{
    put(b, &c, 1);
}

static void uleb(buf *b, unsigned long v)
{
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        byte(b, (unsigned char)(c | (v ? 0x80 : 0)));
    } while (v);
}

/* A section: id, size, contents. */
static void section(buf *out, unsigned char id, buf *contents)
{
    byte(out, id);
    uleb(out, contents->len);
    put(out, contents->data, contents->len);
    contents->len = 0;
}

int main(int argc, char **argv)
{
    long count = argc == 3 ? strtol(argv[1], NULL, 10) : 0;
    if (count < 1 || count > 1000000) {
        fputs("usage: gen_funcs COUNT(1..1000000) out.wasm\n", stderr);
        return 2;
    }
    buf out = {0}, s = {0}, body = {0};
    put(&out, "\0asm\1\0\0\0", 8);
    /* type 0: () -> i32 */
    uleb(&s, 1);
    put(&s, "\x60\x00\x01\x7f", 4);
    section(&out, 1, &s);
    uleb(&s, (unsigned long)count);
    for (long k = 0; k < count; k++)
        uleb(&s, 0);
    section(&out, 3, &s);
    uleb(&s, 1);
    uleb(&s, 4);
    put(&s, "last", 4);
    byte(&s, 0);
    uleb(&s, (unsigned long)(count - 1));
    section(&out, 7, &s);
    uleb(&s, (unsigned long)count);
    for (long k = 0; k < count; k++) {
        byte(&body, 0); /* no locals */
        if (k > 0) {
            byte(&body, 0x10); /* call f<k-1> */
            uleb(&body, (unsigned long)(k - 1));
        }
        put(&body, "\x41\x01", 2); /* i32.const 1 */
        if (k > 0)
            byte(&body, 0x6a); /* i32.add */
        byte(&body, 0x0b);
        uleb(&s, body.len);
        put(&s, body.data, body.len);
        body.len = 0;
    }
    section(&out, 10, &s);
    FILE *f = fopen(argv[2], "wb");
    if (f == NULL || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
        perror(argv[2]);
        return 1;
    }
    free(out.data);
    free(s.data);
    free(body.data);
    return 0;
}
