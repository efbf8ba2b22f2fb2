/* rt_test.h -- shared helpers for the runtime tests: hand-written "generated code".
 *
 * Until the code generator exists, tests stand in for it: functions that take kiln_vmctx *
 * first, array entries, host-import adapters and hand-built module descriptors. Everything a
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

#include "runtime_impl.h"
#include "kiln/kiln.h"

#define KILN_GEN                                                                                   \
    __attribute__((section("kiln_text"), noinline, used, no_sanitize("address", "undefined")))

extern char __start_kiln_text[], __stop_kiln_text[];

/* The prologue check the code generator emits. */
#define RT_PROLOGUE(vm)                                                                            \
    do {                                                                                           \
        if ((uintptr_t)__builtin_frame_address(0) < (vm)->stack_limit)                             \
            kiln_trap_raise((vm), KILN_TRAP_STACK_EXHAUSTED);                                      \
    } while (0)

/* Call first in every test: CMocka replaces the SIGSEGV/SIGBUS handlers with its own around
 * each test (with signal()), so Kiln's must be put back; its recorded previous handlers stay. */
void rt_arm(void);

/* abi_version, code range, start = none; the caller fills the rest, then calls rt_layout. */
/* The flags a module compiled for this host carries: 32-bit targets always get bounds checks
 * (docs/abi.md), and a 32-bit host instantiates no guard-page memory. */
#define RT_MODULE_FLAGS (sizeof(void *) < 8 ? (uint32_t)KILN_MODULE_BOUNDS_CHECKED : 0u)
/* A module descriptor with no contents, RT_MODULE_FLAGS. */
void rt_module_init(kiln_module_desc *m);
/* Lays out the per-module vmctx area from the descriptor's counts, as the compiler does. */
void rt_layout(kiln_module_desc *m);
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

static inline kiln_str_desc rt_str(const char *s)
{
    kiln_str_desc d;
    memset(&d, 0, sizeof d);
    d.ptr.p = (void *)(uintptr_t)s;
    d.len = (uint32_t)strlen(s);
    return d;
}

static inline kiln_functype_desc rt_type(uint32_t np, uint32_t nr, const uint8_t *types)
{
    kiln_functype_desc t;
    memset(&t, 0, sizeof t);
    t.param_count = np;
    t.result_count = nr;
    t.types.p = (void *)(uintptr_t)types;
    return t;
}

static inline kiln_func_desc rt_func(void *code, kiln_array_fn entry, uint32_t type_index)
{
    kiln_func_desc f;
    memset(&f, 0, sizeof f);
    f.code.p = code;
    f.array_entry.p = (void *)entry;
    f.type_index = type_index;
    return f;
}

static inline kiln_export_desc rt_export(const char *name, uint8_t kind, uint32_t index)
{
    kiln_export_desc e;
    memset(&e, 0, sizeof e);
    e.name = rt_str(name);
    e.kind = kind;
    e.index = index;
    return e;
}

static inline kiln_init_desc rt_init_i32(int32_t v)
{
    kiln_init_desc d;
    memset(&d, 0, sizeof d);
    d.kind = KILN_INIT_CONST;
    d.type = KILN_TYPE_I32;
    d.value.u.i32 = v;
    return d;
}

static inline kiln_init_desc rt_init_func(uint32_t index)
{
    kiln_init_desc d;
    memset(&d, 0, sizeof d);
    d.kind = KILN_INIT_REF_FUNC;
    d.type = KILN_TYPE_FUNCREF;
    d.index = index;
    return d;
}

#endif
