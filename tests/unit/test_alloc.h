/* test_alloc.h -- the unit tests' counting, failing kiln_allocator (Lua's ltests.c idea).
 *
 * Counts allocation attempts, live blocks and the largest request, and fails either the
 * fail_at-th attempt only or every attempt from fail_from on (1-based; 0 = never), so a test
 * can walk "fail the N-th allocation" or "allow only N allocations" up to success and check
 * that every failure is a clean KILN_ERR_NOMEM with nothing leaked (live == 0).
 * Header-only, all functions static; shared by test_read, test_decode, test_validate and
 * test_json.
 */
#ifndef KILN_TESTS_TEST_ALLOC_H
#define KILN_TESTS_TEST_ALLOC_H

#include <stdlib.h>
#include <string.h>

#include "toolchain.h"

typedef struct counting_allocator {
    kiln_allocator base;
    size_t calls;     /* allocation attempts */
    size_t live;      /* blocks not yet freed */
    size_t fail_at;   /* the attempt (1-based) that fails; 0 = never */
    size_t fail_from; /* every attempt from this one (1-based) on fails; 0 = never */
    size_t largest;   /* largest request */
} counting_allocator;

static void *counting_realloc(void *ud, void *ptr, size_t size)
{
    counting_allocator *a = ud;
    if (size == 0) {
        if (ptr)
            a->live--;
        free(ptr);
        return NULL;
    }
    a->calls++;
    if (size > a->largest)
        a->largest = size;
    if ((a->fail_at && a->calls == a->fail_at) || (a->fail_from && a->calls >= a->fail_from))
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        a->live++;
    return p;
}

/* Fails the fail_at-th attempt only (0 = never). */
static inline void counting_init(counting_allocator *a, size_t fail_at)
{
    memset(a, 0, sizeof *a);
    a->base.realloc = counting_realloc;
    a->base.ud = a;
    a->fail_at = fail_at;
}

/* Lets the first `allowed` attempts succeed and fails every later one. */
static inline void counting_init_budget(counting_allocator *a, size_t allowed)
{
    counting_init(a, 0);
    a->fail_from = allowed + 1;
}

#endif
