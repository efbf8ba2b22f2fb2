/* cmocka_min.c -- the part of CMocka's API Kiln's runtime and WASI tests use, for targets
 * without a CMocka package (cross builds: Debian 12 has none for riscv64).
 *
 * Compiled against the host's cmocka.h (an architecture-independent header, copied into the
 * build tree), it implements what that header's macros call: _assert_true, _assert_int_equal,
 * _assert_memory_equal, _assert_string_equal and their _not_ forms, _fail, _skip,
 * print_message, print_error and _cmocka_run_group_tests. A failed assertion prints where and
 * why, then longjmps back to the runner, which runs the test's teardown and goes on with the
 * next test; skip() leaves the same way and counts the test as skipped (neither passed nor
 * failed); the summary lines and the return value (the number of failed tests) are CMocka's. What it
 * leaves out: mocks, expected parameters, leak checks, test timeouts, and CMocka's own signal
 * handlers (a crash ends the test program, which ctest reports as failed).
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static jmp_buf *current_jmp;

void vprint_message(const char *const format, va_list args)
{
    vprintf(format, args);
    fflush(stdout);
}

void vprint_error(const char *const format, va_list args)
{
    vfprintf(stderr, format, args);
    fflush(stderr);
}

void print_message(const char *const format, ...)
{
    va_list ap;
    va_start(ap, format);
    vprint_message(format, ap);
    va_end(ap);
}

void print_error(const char *const format, ...)
{
    va_list ap;
    va_start(ap, format);
    vprint_error(format, ap);
    va_end(ap);
}

/* How run_part's setjmp returns: a failure, or skip(). */
enum { JMP_FAILED = 1, JMP_SKIPPED = 2 };
static bool skipped;

void _skip(const char *const file, const int line)
{
    (void)file;
    (void)line;
    skipped = true;
    if (current_jmp != NULL)
        longjmp(*current_jmp, JMP_SKIPPED);
    abort();
}

void _fail(const char *const file, const int line)
{
    print_error("[   LINE   ] --- %s:%d: Failure!\n", file, line);
    if (current_jmp != NULL)
        longjmp(*current_jmp, JMP_FAILED);
    print_error("[  ERROR   ] --- assertion outside a test\n");
    _Exit(1);
}

void _assert_true(const LargestIntegralType result, const char *const expression,
                  const char *const file, const int line)
{
    if (!result) {
        print_error("%s\n", expression);
        _fail(file, line);
    }
}

void _assert_int_equal(const LargestIntegralType a, const LargestIntegralType b,
                       const char *const file, const int line)
{
    if (a != b) {
        print_error("%#" PRIxMAX " != %#" PRIxMAX "\n", (uintmax_t)a, (uintmax_t)b);
        _fail(file, line);
    }
}

void _assert_int_not_equal(const LargestIntegralType a, const LargestIntegralType b,
                           const char *const file, const int line)
{
    if (a == b) {
        print_error("%#" PRIxMAX " == %#" PRIxMAX "\n", (uintmax_t)a, (uintmax_t)b);
        _fail(file, line);
    }
}

void _assert_string_equal(const char *const a, const char *const b, const char *const file,
                          const int line)
{
    if (a == NULL || b == NULL ? a != b : strcmp(a, b) != 0) {
        print_error("\"%s\" != \"%s\"\n", a ? a : "(null)", b ? b : "(null)");
        _fail(file, line);
    }
}

void _assert_memory_equal(const void *const a, const void *const b, const size_t size,
                          const char *const file, const int line)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < size; i++) {
        if (x[i] != y[i]) {
            print_error("difference at offset %zu: 0x%02x != 0x%02x\n", i, x[i], y[i]);
            _fail(file, line);
        }
    }
}

void _assert_string_not_equal(const char *const a, const char *const b, const char *file,
                              const int line)
{
    if (a == NULL || b == NULL ? a == b : strcmp(a, b) == 0) {
        print_error("\"%s\" == \"%s\"\n", a ? a : "(null)", b ? b : "(null)");
        _fail(file, line);
    }
}

void _assert_memory_not_equal(const void *const a, const void *const b, const size_t size,
                              const char *const file, const int line)
{
    if (memcmp(a, b, size) == 0) {
        print_error("%zu bytes are equal\n", size);
        _fail(file, line);
    }
}

/* Runs one fixture or test body; false if it failed (an assertion or a non-zero fixture). */
static bool run_part(CMFixtureFunction fixture, CMUnitTestFunction test, void **state)
{
    jmp_buf jmp;
    jmp_buf *volatile saved = current_jmp;
    volatile bool ok = true;
    switch (setjmp(jmp)) {
    case 0:
        current_jmp = &jmp;
        if (fixture != NULL)
            ok = fixture(state) == 0;
        else
            test(state);
        break;
    case JMP_SKIPPED:
        break; /* not a failure: `skipped` says what happened */
    default:
        ok = false;
        break;
    }
    current_jmp = saved;
    return ok;
}

int _cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                            const size_t num_tests, CMFixtureFunction group_setup,
                            CMFixtureFunction group_teardown)
{
    void *group_state = NULL;
    size_t failed = 0, passed = 0, skips = 0;
    print_message("[==========] %s: Running %zu test(s).\n", group_name, num_tests);
    if (group_setup != NULL && !run_part(group_setup, NULL, &group_state)) {
        print_error("[  ERROR   ] %s: group setup failed\n", group_name);
        return (int)num_tests;
    }
    bool *failures = calloc(num_tests ? num_tests : 1, sizeof(*failures));
    for (size_t i = 0; i < num_tests; i++) {
        const struct CMUnitTest *t = &tests[i];
        void *state = t->initial_state != NULL ? t->initial_state : group_state;
        print_message("[ RUN      ] %s\n", t->name);
        skipped = false;
        bool ok = t->setup_func == NULL || run_part(t->setup_func, NULL, &state);
        if (ok && !skipped)
            ok = run_part(NULL, t->test_func, &state);
        bool was_skipped = skipped;
        if (t->teardown_func != NULL && !run_part(t->teardown_func, NULL, &state))
            ok = false;
        if (ok && was_skipped) {
            skips++;
            print_message("[  SKIPPED ] %s\n", t->name);
        } else if (ok) {
            passed++;
            print_message("[       OK ] %s\n", t->name);
        } else {
            failed++;
            if (failures != NULL)
                failures[i] = true;
            print_message("[  FAILED  ] %s\n", t->name);
        }
    }
    if (group_teardown != NULL && !run_part(group_teardown, NULL, &group_state))
        print_error("[  ERROR   ] %s: group teardown failed\n", group_name);
    print_message("[==========] %s: %zu test(s) run.\n", group_name, num_tests);
    print_message("[  PASSED  ] %zu test(s).\n", passed);
    if (skips > 0)
        print_message("[  SKIPPED ] %zu test(s).\n", skips);
    if (failed > 0) {
        print_message("[  FAILED  ] %s: %zu test(s), listed below:\n", group_name, failed);
        for (size_t i = 0; i < num_tests && failures != NULL; i++)
            if (failures[i])
                print_message("[  FAILED  ] %s\n", tests[i].name);
    }
    free(failures);
    return (int)failed;
}
