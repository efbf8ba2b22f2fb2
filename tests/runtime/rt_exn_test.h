/* rt_exn_test.h -- what the runtime's exception tests share (test_rt_exn.c,
 * test_rt_host_exn.c): RT_GEN for the stand-ins for generated code, watching the runtime free
 * one exception (the executables link with -Wl,--wrap=free), rt_exn_try (exn_try.ll's
 * landing pads, where the build has them) and the REQUIRE_* skips. Included by one source
 * file per test executable: it defines __wrap_free and static state.
 */
#ifndef KILN_RT_EXN_TEST_H
#define KILN_RT_EXN_TEST_H

#include "rt_test.h"

/* Generated code is not instrumented, and the functions here that exceptions unwind through
 * must not be under ThreadSanitizer (exn.c, KILN_UNWOUND): all of them are left alone. */
#if defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define RT_GEN KILN_GEN __attribute__((disable_sanitizer_instrumentation))
#endif
#endif
#ifndef RT_GEN
#define RT_GEN KILN_GEN
#endif

/* ---- Watching the runtime free one exception ---- */

void __real_free(void *p);
void __wrap_free(void *p);

static uintptr_t watched; /* the block of a kiln_exn */
static int watched_frees;

void __wrap_free(void *p)
{
    if (p != NULL && (uintptr_t)p == watched)
        watched_frees++;
    __real_free(p);
}

/* Counts the frees of exn's block, which starts with the unwinder's header: kiln_exn_get
 * tells how far after it the kiln_exn lies. */
static void watch(const void *exn)
{
    uintptr_t at = (uintptr_t)kiln_exn_get((void *)(uintptr_t)4096) - 4096;
    watched = exn != NULL ? (uintptr_t)exn - at : 0;
    watched_frees = 0;
}

/* ---- The landing pads (exn_try.ll) ---- */

typedef int32_t (*rt_body)(kiln_vmctx *);

#ifdef RT_EXN_TRY
int32_t rt_exn_try(kiln_vmctx *vm, rt_body body, const kiln_tag *tag, uint32_t as_ref,
                   kiln_exn **out);
#define REQUIRE_TRY()                 ((void)0)
#define REQUIRE_TRY_OR(with, without) (with)
#else
static int32_t rt_exn_try(kiln_vmctx *vm, rt_body body, const kiln_tag *tag, uint32_t as_ref,
                          kiln_exn **out)
{
    (void)tag;
    (void)as_ref;
    *out = NULL;
    return body(vm);
}
#define REQUIRE_TRY_OR(with, without) (without)
#define REQUIRE_TRY()                                                                              \
    do {                                                                                           \
        print_message("skipped: no landing pads in this build (exn_try.ll needs clang and a "      \
                      "an unwinder)\n");                                                           \
        skip();                                                                                    \
    } while (0)
#endif

#define REQUIRE_UNWINDER()                                                                         \
    do {                                                                                           \
        if (!kiln_exn_unwinds) {                                                                   \
            print_message("skipped: exceptions are not supported on this target\n");               \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

#endif
