/* check.h -- checks for the C tests that are not CMocka: hosts linking compiled modules with
 * libkiln_runtime (the tests/codegen e2e programs, tests/runtime/trap_loop.c). Header-only, so
 * such a test builds with no test library. A failed check prints "FAIL file:line: " and the
 * expression or the got/want values on stdout, is counted, and the test goes on. Every check
 * but EXPECT_CALL is an expression, true if it passed. main() ends `return check_finish();`.
 *
 *   CHECK(cond), CHECK_MSG(cond, fmt, ...)  cond is true (else: the expression / the message)
 *   EXPECT_INT(got, want), EXPECT_UINT(...) exact integers (printed in decimal / hex)
 *   EXPECT_MEM(got, want, n)                n bytes equal (both printed in hex)
 *   EXPECT_TRAP(call, want)                 a kiln_trap value, e.g. KILN_TRAP_NONE
 *   EXPECT_CALL(type, want, call)           an export's one result: call stores a TYPE through
 *                                           &out_, does not trap, and out_ equals want bit for
 *                                           bit; f32_bits/f64_bits/f32_of/f64_of for floats
 */
#ifndef KILN_TEST_CHECK_H
#define KILN_TEST_CHECK_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kiln/kiln.h"

static int check_count;    /* checks run */
static int check_failures; /* checks failed */

/* Counts a check; returns ok. */
static inline bool check_tally(bool ok)
{
    check_count++;
    return ok;
}

/* Reports a failed check: "FAIL file:line: " and the message; counts it. Returns false. */
__attribute__((format(printf, 3, 4))) static inline bool check_fail(const char *file, int line,
                                                                    const char *fmt, ...)
{
    check_failures++;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s:%d: ", file, line);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    return false;
}

static inline bool check_int(int64_t got, int64_t want, const char *file, int line,
                             const char *expr)
{
    return check_tally(got == want || check_fail(file, line, "%s: got %" PRId64 ", want %" PRId64,
                                                 expr, got, want));
}

static inline bool check_uint(uint64_t got, uint64_t want, const char *file, int line,
                              const char *expr)
{
    return check_tally(
        got == want ||
        check_fail(file, line, "%s: got 0x%" PRIx64 ", want 0x%" PRIx64, expr, got, want));
}

static inline void check_print_hex(const char *label, const void *p, size_t n)
{
    const uint8_t *b = p;
    printf("  %s ", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    printf("\n");
}

static inline bool check_mem(const void *got, const void *want, size_t n, const char *file,
                             int line, const char *expr)
{
    if (check_tally(memcmp(got, want, n) == 0))
        return true;
    check_fail(file, line, "%s: %zu bytes differ", expr, n);
    check_print_hex("got ", got, n);
    check_print_hex("want", want, n);
    return false;
}

static inline bool check_trap(kiln_trap got, kiln_trap want, const char *file, int line,
                              const char *expr)
{
    return check_tally(got == want || check_fail(file, line, "%s: got trap '%s', want '%s'", expr,
                                                 kiln_trap_message(got), kiln_trap_message(want)));
}

/* Floats by their bit patterns and back, for exact checks of NaN payloads and signed zeros. */
typedef union check_bits32 {
    float f;
    uint32_t u;
} check_bits32;
typedef union check_bits64 {
    double f;
    uint64_t u;
} check_bits64;
#define f32_bits(x) ((check_bits32){.f = (x)}.u)
#define f64_bits(x) ((check_bits64){.f = (x)}.u)
#define f32_of(x)   ((check_bits32){.u = (x)}.f)
#define f64_of(x)   ((check_bits64){.u = (x)}.f)

/* Prints "ok: N checks" or "FAIL: F of N checks failed"; returns main's exit status. */
static inline int check_finish(void)
{
    if (check_failures == 0) {
        printf("ok: %d checks\n", check_count);
        return 0;
    }
    printf("FAIL: %d of %d checks failed\n", check_failures, check_count);
    return 1;
}

/* The condition is evaluated first; the message's arguments only if it is false. */
#define CHECK(cond)           check_tally((cond) || check_fail(__FILE__, __LINE__, "%s", #cond))
#define CHECK_MSG(cond, ...)  check_tally((cond) || check_fail(__FILE__, __LINE__, __VA_ARGS__))
#define EXPECT_INT(got, want) check_int((int64_t)(got), (int64_t)(want), __FILE__, __LINE__, #got)
#define EXPECT_UINT(got, want)                                                                     \
    check_uint((uint64_t)(got), (uint64_t)(want), __FILE__, __LINE__, #got)
#define EXPECT_MEM(got, want, n) check_mem((got), (want), (n), __FILE__, __LINE__, #got)
#define EXPECT_TRAP(call, want)  check_trap((call), (want), __FILE__, __LINE__, #call)

#define EXPECT_CALL(type, want, call)                                                              \
    do {                                                                                           \
        type out_;                                                                                 \
        memset(&out_, 0xcc, sizeof out_);                                                          \
        if (EXPECT_TRAP(call, KILN_TRAP_NONE))                                                     \
            check_mem(&out_, &(type){want}, sizeof out_, __FILE__, __LINE__, #call);               \
    } while (0)

#endif
