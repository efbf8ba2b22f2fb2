/* strings.c -- wasi-libc's memcpy, memset and memcmp, which Kiln gives a native fast path
 * (toolchain/lower_libc.c): long and short, aligned and not, overlapping, equal and unequal.
 * Every result is printed; test_e2e.sh compares them with expected/strings.out both with guard
 * pages (fast path) and with --bounds-checks (musl's own loops only). `strings oob` copies
 * across the end of memory: the copy must trap inside memcpy, as musl's loop does. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t sum(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Calls through a volatile pointer so clang keeps the libc calls instead of inlining them. */
static void *(*volatile copy)(void *, const void *, size_t) = memcpy;
static void *(*volatile fill)(void *, int, size_t) = memset;
static int (*volatile cmp)(const void *, const void *, size_t) = memcmp;
/* Added to sizes so clang cannot see them: direct calls of the three stay calls (Kiln inlines
 * their n == 0 check into the caller, lower_libc_entry). */
static volatile size_t zero;

int main(int argc, char **argv)
{
    enum { N = 4096 };
    unsigned char *a = malloc(N), *b = malloc(N);
    if (!a || !b)
        return 2;
    for (int i = 0; i < N; i++)
        a[i] = (unsigned char)(i * 7 + 3);

    if (argc > 1 && strcmp(argv[1], "oob") == 0) {
        size_t top = __builtin_wasm_memory_size(0) * 65536;
        fill(b, 0, N);
        copy((unsigned char *)top - 100, a, 200); /* 100 bytes past the end */
        puts("not reached");
        return 1;
    }

    static const size_t sizes[] = {0, 1, 7, 63, 64, 65, 100, 1000, 4000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        memset(b, 0xEE, N);
        void *r = copy(b + 3, a + 1, n);
        printf("memcpy n=%zu ret=%d sum=%08x\n", n, r == b + 3, (unsigned)sum(b, N));
        r = fill(b + 5, 0x1A5 + (int)n, n); /* only the low byte counts */
        printf("memset n=%zu ret=%d sum=%08x\n", n, r == b + 5, (unsigned)sum(b, N));
        memcpy(b, a, N);
        printf("memcmp n=%zu equal=%d", n, cmp(a, b, n));
        if (n > 0) {
            b[n - 1] ^= 0x55;
            printf(" last=%d", cmp(a, b, n));
            b[n - 1] ^= 0x55;
            b[0] = 0;
            printf(" first=%d", cmp(a, b, n));
        }
        printf("\n");
    }
    /* n == 0 touches no memory, so pointers past the end of memory are fine. */
    unsigned char *past = (unsigned char *)(__builtin_wasm_memory_size(0) * 65536 + 4096);
    printf("empty memcpy=%d memset=%d memcmp=%d\n", copy(past, past + 8, 0) == past,
           fill(past, 1, 0) == past, cmp(past, a, 0));
    /* The same through direct calls, with sizes clang cannot see. */
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k] + zero;
        memset(b, 0xEE, N);
        int ret = memcpy(b + 3, a + 1, n) == b + 3;
        int c = memcmp(b + 3, a + 1, n);
        uint32_t h = sum(b, N);
        ret &= memset(b + 5, 0x1A5 + (int)n, n) == b + 5;
        printf("direct n=%zu ret=%d sum=%08x equal=%d sum=%08x\n", n, ret, (unsigned)h, c,
               (unsigned)sum(b, N));
    }
    printf("direct empty memcpy=%d memset=%d memcmp=%d\n", memcpy(past, past + 8, zero) == past,
           memset(past, 1, zero) == past, memcmp(past, a, zero));
    /* Overlapping copies: musl's forward copy order decides the bytes. */
    for (int shift = 1; shift <= 9; shift += 4) {
        memcpy(b, a, N);
        copy(b + shift, b, 1000);
        printf("overlap +%d sum=%08x\n", shift, (unsigned)sum(b, N));
        memcpy(b, a, N);
        copy(b, b + shift, 1000);
        printf("overlap -%d sum=%08x\n", shift, (unsigned)sum(b, N));
    }
    return 0;
}
