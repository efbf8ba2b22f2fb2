/* rt_test.c -- shared helpers for the runtime tests (see rt_test.h): array entries (generated
 * code, so in kiln_text), kiln_invoke with i32 arguments, /proc RSS.
 */
#include <stdio.h>

#include "rt_test.h"

const uint8_t rt_types_i_i[2] = {KILN_TYPE_I32, KILN_TYPE_I32};
const uint8_t rt_types_ii_i[3] = {KILN_TYPE_I32, KILN_TYPE_I32, KILN_TYPE_I32};
const uint8_t rt_types_iii[3] = {KILN_TYPE_I32, KILN_TYPE_I32, KILN_TYPE_I32};
const uint8_t rt_types_i[1] = {KILN_TYPE_I32};
const uint8_t rt_types_iI_I[3] = {KILN_TYPE_I32, KILN_TYPE_I64, KILN_TYPE_I64};

void rt_arm(void)
{
    assert_int_equal(kiln_runtime_init(), KILN_STATUS_OK);
    kiln_signal_rearm();
}

long rt_rss_pages(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = -1;
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident;
}

static int32_t get_i32(const uint64_t *ar, int i)
{
    int32_t v;
    memcpy(&v, &ar[2 * i], 4);
    return v;
}

static int64_t get_i64(const uint64_t *ar, int i)
{
    int64_t v;
    memcpy(&v, &ar[2 * i], 8);
    return v;
}

static void put_i32(uint64_t *ar, int i, int32_t v)
{
    ar[2 * i] = ar[2 * i + 1] = 0;
    memcpy(&ar[2 * i], &v, 4);
}

static void put_i64(uint64_t *ar, int i, int64_t v)
{
    ar[2 * i] = ar[2 * i + 1] = 0;
    memcpy(&ar[2 * i], &v, 8);
}

KILN_GEN void rt_entry_v_v(kiln_vmctx *vm, void *code, uint64_t *ar)
{
    (void)ar;
    ((rt_fn_v_v)code)(vm);
}

KILN_GEN void rt_entry_v_i(kiln_vmctx *vm, void *code, uint64_t *ar)
{
    put_i32(ar, 0, ((rt_fn_v_i)code)(vm));
}

KILN_GEN void rt_entry_i_v(kiln_vmctx *vm, void *code, uint64_t *ar)
{
    ((rt_fn_i_v)code)(vm, get_i32(ar, 0));
}

KILN_GEN void rt_entry_i_i(kiln_vmctx *vm, void *code, uint64_t *ar)
{
    put_i32(ar, 0, ((rt_fn_i_i)code)(vm, get_i32(ar, 0)));
}

KILN_GEN void rt_entry_ii_i(kiln_vmctx *vm, void *code, uint64_t *ar)
{
    put_i32(ar, 0, ((rt_fn_ii_i)code)(vm, get_i32(ar, 0), get_i32(ar, 1)));
}

KILN_GEN void rt_entry_iii_v(kiln_vmctx *vm, void *code, uint64_t *ar)
{
    ((rt_fn_iii_v)code)(vm, get_i32(ar, 0), get_i32(ar, 1), get_i32(ar, 2));
}

KILN_GEN void rt_entry_iI_I(kiln_vmctx *vm, void *code, uint64_t *ar)
{
    put_i64(ar, 0, ((rt_fn_iI_I)code)(vm, get_i32(ar, 0), get_i64(ar, 1)));
}

kiln_trap rt_invoke_i(kiln_instance *inst, uint32_t func, int nargs, int32_t a, int32_t b,
                      int32_t c, int32_t *result)
{
    uint64_t ar[6] = {0, 0, 0, 0, 0, 0};
    if (nargs > 0)
        put_i32(ar, 0, a);
    if (nargs > 1)
        put_i32(ar, 1, b);
    if (nargs > 2)
        put_i32(ar, 2, c);
    kiln_trap t = kiln_invoke(inst, func, ar);
    if (result != NULL)
        *result = get_i32(ar, 0);
    return t;
}
