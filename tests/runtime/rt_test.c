/* rt_test.c -- shared helpers for the runtime tests (see rt_test.h): the vmctx layout the
 * compiler would choose, array entries (generated code, so in kiln_text), /proc RSS.
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

void rt_module_init(kiln_module_desc *m)
{
    memset(m, 0, sizeof *m);
    m->abi_version = KILN_ABI_VERSION;
    m->name = rt_str("test");
    m->start = UINT32_MAX;
    m->flags = RT_MODULE_FLAGS;
    m->code_begin.p = __start_kiln_text;
    m->code_end.p = __stop_kiln_text;
}

static uint32_t align_to(uint32_t n, uint32_t a)
{
    return (n + a - 1) & ~(a - 1);
}

void rt_layout(kiln_module_desc *m)
{
    const kiln_global_desc *globals = m->globals.p;
    uint32_t global_imports = 0;
    for (uint32_t i = 0; i < m->global_count; i++)
        global_imports += globals[i].imported ? 1 : 0;
    kiln_vmctx_layout *l = &m->layout;
    uint32_t off = KILN_VMCTX_HEADER_SIZE;
    l->imports = off;
    off += m->func_import_count * (uint32_t)sizeof(kiln_import_slot);
    l->tables = off;
    off += m->table_count * 8u;
    l->globals = off;
    off += m->global_count * 8u;
    off = align_to(off, 16);
    l->global_cells = off;
    off += (m->global_count - global_imports) * 16u;
    l->sig_ids = off;
    off += m->type_count * 4u;
    off = align_to(off, 8);
    l->funcrefs = off;
    off += (m->func_count - m->func_import_count) * (uint32_t)sizeof(kiln_funcref);
    l->elem_dropped = off;
    off += m->elem_count;
    l->data_dropped = off;
    off += m->data_count;
    l->size = align_to(off, 16);
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
