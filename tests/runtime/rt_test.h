/* rt_test.h -- shared helpers for the runtime tests: hand-written "generated code".
 *
 * The tests stand in for the code generator: functions that take kiln_vmctx * first, array
 * entries, host-import adapters, and the module descriptors (desc_builder.h). Everything a
 * compiled module would contain goes into the section kiln_text (KILN_GEN), whose bounds
 * __start_kiln_text/__stop_kiln_text become the descriptor's code range, so the signal
 * handler sees those functions as generated code. KILN_GEN functions are not sanitizer-
 * instrumented, like real generated code, so a fault in them is the access itself.
 */
#ifndef KILN_RT_TEST_H
#define KILN_RT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "desc_builder.h"
#include "runtime_impl.h"
#include "kiln/kiln.h"

#define KILN_GEN                                                                                   \
    __attribute__((section("kiln_text"), noinline, used, no_sanitize("address", "undefined")))

extern char __start_kiln_text[], __stop_kiln_text[];

/* ThreadSanitizer keeps most of the address space for its shadow and leaves applications
 * about 12 TiB (x86-64): a test that reserves tens of TiB of 8 GiB guard-page memories skips
 * itself under it, saying so (skipped, never passed). */
#if defined(__SANITIZE_THREAD__)
#define RT_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RT_UNDER_TSAN 1
#endif
#endif
#ifdef RT_UNDER_TSAN
#define RT_SKIP_UNDER_TSAN(what)                                                                   \
    do {                                                                                           \
        print_message("skipped under ThreadSanitizer: %s needs more address space than it "        \
                      "leaves applications\n",                                                     \
                      what);                                                                       \
        skip();                                                                                    \
    } while (0)
#else
#define RT_SKIP_UNDER_TSAN(what) ((void)0)
#endif

/* The prologue check the code generator emits. */
#define RT_PROLOGUE(vm)                                                                            \
    do {                                                                                           \
        if ((uintptr_t)__builtin_frame_address(0) < (vm)->stack_limit)                             \
            kiln_trap_raise((vm), KILN_TRAP_STACK_EXHAUSTED);                                      \
    } while (0)

/* Call first in every test: CMocka replaces the SIGSEGV/SIGBUS handlers with its own around
 * each test (with signal()), so Kiln's must be put back; its recorded previous handlers stay. */
void rt_arm(void);

/* Resident pages of this process (/proc/self/statm). */
long rt_rss_pages(void);

/* Array entries for the signatures the tests use: v = no value, i = i32, I = i64. */
void rt_entry_v_v(kiln_vmctx *vm, void *code, uint64_t *ar);
void rt_entry_v_i(kiln_vmctx *vm, void *code, uint64_t *ar);
void rt_entry_i_v(kiln_vmctx *vm, void *code, uint64_t *ar);
void rt_entry_i_i(kiln_vmctx *vm, void *code, uint64_t *ar);
void rt_entry_ii_i(kiln_vmctx *vm, void *code, uint64_t *ar);
void rt_entry_iii_v(kiln_vmctx *vm, void *code, uint64_t *ar);
void rt_entry_iI_I(kiln_vmctx *vm, void *code, uint64_t *ar);

typedef void (*rt_fn_v_v)(kiln_vmctx *);
typedef int32_t (*rt_fn_v_i)(kiln_vmctx *);
typedef void (*rt_fn_i_v)(kiln_vmctx *, int32_t);
typedef int32_t (*rt_fn_i_i)(kiln_vmctx *, int32_t);
typedef int32_t (*rt_fn_ii_i)(kiln_vmctx *, int32_t, int32_t);
typedef void (*rt_fn_iii_v)(kiln_vmctx *, int32_t, int32_t, int32_t);
typedef int64_t (*rt_fn_iI_I)(kiln_vmctx *, int32_t, int64_t);

/* kiln_invoke with up to three i32 arguments; the first result in *result. */
kiln_trap rt_invoke_i(kiln_instance *inst, uint32_t func, int nargs, int32_t a, int32_t b,
                      int32_t c, int32_t *result);

/* Function types used by the tests' descriptors (params then results). */
extern const uint8_t rt_types_i_i[2], rt_types_ii_i[3], rt_types_iii[3], rt_types_i[1],
    rt_types_iI_I[3];

#endif
