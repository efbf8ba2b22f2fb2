/* test_decode.c -- unit tests for decode.c: kiln_decode, dec_instr and the module helpers.
 *
 * Modules are built with wasm_builder.h. Failure cases assert the class, the byte offset and
 * the exact message (the spec's wording first, as the spec test suite matches it by prefix).
 * Resource cases run on a counting allocator: huge counts must fail before allocating,
 * and failing the N-th allocation must give KILN_ERR_NOMEM, for every N, without leaks
 * (run under ASan/LSan to make that last part bite).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "toolchain.h"
#include "test_alloc.h"
#include "wasm_builder.h"

#define END   "unexpected end of section or function"
#define ORDER "unexpected content after last section"

static void expect_error(const kiln_diag *d, kiln_err code, size_t offset, const char *msg)
{
    assert_string_equal(d->msg, msg);
    assert_int_equal(d->code, code);
    assert_int_equal(d->offset, offset);
}

static bool decode(const wasm_builder *b, wasm_module *m, kiln_diag *d)
{
    return kiln_decode(m, b->data, b->len, NULL, d);
}

/* Decodes b, expects failure with exactly this class, offset and message, frees. */
static void expect_decode_error(const wasm_builder *b, kiln_err code, size_t offset,
                                const char *msg)
{
    wasm_module m;
    kiln_diag d;
    assert_false(decode(b, &m, &d));
    expect_error(&d, code, offset, msg);
    wasm_module_free(&m);
}

static void expect_decode_ok(const wasm_builder *b)
{
    wasm_module m;
    kiln_diag d;
    bool ok = decode(b, &m, &d);
    if (!ok)
        print_error("unexpected error at 0x%zx: %s\n", d.offset, d.msg);
    assert_true(ok);
    wasm_module_free(&m);
}

/* type 0: [] -> [] */
static void add_void_type(wasm_builder *mod)
{
    WB_SECTION(mod, 1, 0x01, 0x60, 0x00, 0x00);
}

/* A module with type 0 = [] -> [], an optional memory and data count section, and one
 * function whose body (locals and instructions) is `body`; more sections may be appended.
 * Returns the offset of the body's first byte. */
static size_t one_func_module(wasm_builder *mod, const void *body, size_t n, bool memory,
                              bool data_count)
{
    wb_header(mod);
    add_void_type(mod);
    WB_SECTION(mod, 3, 0x01, 0x00);
    if (memory)
        WB_SECTION(mod, 5, 0x01, 0x00, 0x01);
    if (data_count)
        WB_SECTION(mod, 12, 0x01);
    wasm_builder code = {0};
    wb_u32(&code, 1);
    wb_u32(&code, (uint32_t)n);
    size_t body_in_code = code.len;
    wb_raw(&code, body, n);
    wb_byte(mod, 10);
    wb_u32(mod, (uint32_t)code.len);
    size_t at = mod->len + body_in_code;
    wb_append(mod, &code);
    wb_free(&code);
    return at;
}
#define ONE_FUNC(mod, ...)                                                                         \
    one_func_module((mod), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), \
                    false, false)

/*
 * A module with every section kind, used by several tests.
 */

static void build_full_module(wasm_builder *mod, bool with_names)
{
    wasm_builder s = {0};
    wb_header(mod);
    wb_custom(mod, "first", "xyz", 3);

    /* type 0: (i32 i64) -> (f32); type 1: [] -> [] */
    WB_SECTION(mod, 1, 0x02, 0x60, 0x02, 0x7f, 0x7e, 0x01, 0x7d, 0x60, 0x00, 0x00);

    /* imports: func env.f type 1, table env.t externref 1..2, memory env.m 1, global env.g
     * mut i32 */
    wb_u32(&s, 4);
    wb_name(&s, "env"), wb_name(&s, "f"), WB_BYTES(&s, 0x00, 0x01);
    wb_name(&s, "env"), wb_name(&s, "t"), WB_BYTES(&s, 0x01, 0x6f, 0x01, 0x01, 0x02);
    wb_name(&s, "env"), wb_name(&s, "m"), WB_BYTES(&s, 0x02, 0x00, 0x01);
    wb_name(&s, "env"), wb_name(&s, "g"), WB_BYTES(&s, 0x03, 0x7f, 0x01);
    wb_section(mod, 2, &s);

    WB_SECTION(mod, 3, 0x02, 0x00, 0x01);       /* functions 1, 2: types 0, 1 */
    WB_SECTION(mod, 4, 0x01, 0x70, 0x00, 0x03); /* table 1: funcref 3.. */
    WB_SECTION(mod, 5, 0x01, 0x01, 0x01, 0x02); /* memory 1: 1..2 (invalid, decodes) */
    WB_SECTION(mod, 6, 0x01, 0x7c, 0x00, 0x44,  /* global 1: f64 const 1.0 */
               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x0b);

    wb_reset(&s);
    wb_u32(&s, 2);
    wb_name(&s, "run"), WB_BYTES(&s, 0x00, 0x02);
    wb_name(&s, "mem"), WB_BYTES(&s, 0x02, 0x00);
    wb_section(mod, 7, &s);

    WB_SECTION(mod, 8, 0x02); /* start: function 2 */

    wb_reset(&s);
    wb_u32(&s, 8);
    WB_BYTES(&s, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x01, 0x02);             /* 0: active t0 */
    WB_BYTES(&s, 0x01, 0x00, 0x01, 0x00);                               /* 1: passive */
    WB_BYTES(&s, 0x02, 0x01, 0x41, 0x05, 0x0b, 0x00, 0x01, 0x01);       /* 2: active t1 */
    WB_BYTES(&s, 0x03, 0x00, 0x00);                                     /* 3: declarative */
    WB_BYTES(&s, 0x04, 0x41, 0x01, 0x0b, 0x01, 0xd2, 0x01, 0x0b);       /* 4: exprs, t0 */
    WB_BYTES(&s, 0x05, 0x6f, 0x02, 0xd0, 0x6f, 0x0b, 0xd0, 0x6f, 0x0b); /* 5: passive ext */
    WB_BYTES(&s, 0x06, 0x01, 0x41, 0x00, 0x0b, 0x70, 0x00);             /* 6: active t1 */
    WB_BYTES(&s, 0x07, 0x70, 0x01, 0xd2, 0x02, 0x0b);                   /* 7: declarative */
    wb_section(mod, 9, &s);

    WB_SECTION(mod, 12, 0x03); /* data count 3 */

    wb_reset(&s);
    wb_u32(&s, 2);
    /* function 1: locals 2 x i32, 1 x f64; local.get 0 drop; memory.init 1; end */
    WB_BYTES(&s, 0x13, 0x02, 0x02, 0x7f, 0x01, 0x7c, 0x20, 0x00, 0x1a, 0x41, 0x00, 0x41, 0x00, 0x41,
             0x00, 0xfc, 0x08, 0x01, 0x00, 0x0b);
    WB_BYTES(&s, 0x02, 0x00, 0x0b); /* function 2: end */
    wb_section(mod, 10, &s);

    wb_reset(&s);
    wb_u32(&s, 3);
    WB_BYTES(&s, 0x00, 0x41, 0x08, 0x0b, 0x02, 'h', 'i'); /* active memory 0 at 8 */
    WB_BYTES(&s, 0x01, 0x03, 'a', 'b', 'c');              /* passive */
    WB_BYTES(&s, 0x02, 0x01, 0x41, 0x00, 0x0b, 0x00);     /* active memory 1, empty */
    wb_section(mod, 11, &s);

    if (with_names) {
        wb_reset(&s);
        wb_name(&s, "name");
        WB_BYTES(&s, 0x00, 0x04, 0x03, 'm', 'o', 'd');              /* module name */
        WB_BYTES(&s, 0x01, 0x0b, 0x03, 0x00, 0x01, 'f', 0x01, 0x02, /* function names */
                 'f', '1', 0x02, 0x01, 'g');
        WB_BYTES(&s, 0x02, 0x09, 0x01, 0x01, 0x02, 0x00, 0x01, 'a', /* local names */
                 0x03, 0x01, 'c');
        wb_section(mod, 0, &s);
    }
    wb_custom(mod, "last", "", 0);
    wb_free(&s);
}

/*
 * Whole modules
 */

static void test_decode_empty_module(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    wb_header(&mod);
    wasm_module m;
    kiln_diag d;
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(d.code, KILN_OK);
    assert_ptr_equal(m.bytes, mod.data);
    assert_int_equal(m.size, 8);
    assert_int_equal(m.section_count, 0);
    assert_int_equal(m.type_count + m.import_count + m.func_count + m.table_count + m.memory_count +
                         m.global_count + m.export_count + m.elem_count + m.data_seg_count,
                     0);
    assert_false(m.has_start);
    assert_false(m.has_data_count);
    assert_int_equal(m.name_section_error.code, KILN_OK);
    wasm_module_free(&m);
    wasm_module_free(&m); /* idempotent on a freed module */
    wb_free(&mod);
}

static void test_decode_preamble_errors(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        size_t offset;
        const char *msg;
    } cases[] = {
        {"", 0, 0, END ": magic header"},
        {"\x00", 1, 0, END ": magic header"},
        {"\x00"
         "as",
         3, 0, END ": magic header"},
        {"asm\x00", 4, 0, "magic header not detected"},
        {"\x00"
         "ASM\x01\x00\x00\x00",
         8, 0, "magic header not detected"},
        {"\x00"
         "asm",
         4, 4, END ": binary version"},
        {"\x00"
         "asm\x01\x00\x00",
         7, 4, END ": binary version"},
        {"\x00"
         "asm\x00\x00\x00\x00",
         8, 4, "unknown binary version 0x00000000"},
        {"\x00"
         "asm\x02\x00\x00\x00",
         8, 4, "unknown binary version 0x00000002"},
        {"\x00"
         "asm\x00\x00\x00\x01",
         8, 4, "unknown binary version 0x01000000"},
        {"\x00"
         "asm\x0d\x00\x01\x00",
         8, 4, "unknown binary version 0x0001000d"},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++) {
        wasm_module m;
        kiln_diag d;
        assert_false(kiln_decode(&m, (const uint8_t *)cases[i].bytes, cases[i].len, NULL, &d));
        expect_error(&d, KILN_ERR_MALFORMED, cases[i].offset, cases[i].msg);
        wasm_module_free(&m);
    }
    wasm_module m;
    kiln_diag d;
    assert_false(kiln_decode(&m, NULL, 0, NULL, &d));
    expect_error(&d, KILN_ERR_MALFORMED, 0, END ": magic header");
    wasm_module_free(&m);
}

static void test_decode_full_module(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    build_full_module(&mod, true);
    wasm_module m;
    kiln_diag d;
    assert_true(decode(&mod, &m, &d));

    /* Sections in file order, custom ones included. */
    static const uint8_t ids[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11, 0, 0};
    assert_int_equal(m.section_count, KILN_ARRAY_LEN(ids));
    for (size_t i = 0; i < KILN_ARRAY_LEN(ids); i++)
        assert_int_equal(m.sections[i].id, ids[i]);
    assert_int_equal(m.sections[0].offset, 8);
    assert_int_equal(m.sections[0].content, 10);
    assert_int_equal(m.sections[0].size, 9);
    assert_int_equal(m.sections[0].name.len, 5);
    assert_memory_equal(m.sections[0].name.ptr, "first", 5);
    assert_memory_equal(m.sections[13].name.ptr, "name", 4);
    assert_memory_equal(m.sections[14].name.ptr, "last", 4);
    assert_int_equal(m.sections[1].offset, m.sections[0].content + m.sections[0].size);

    assert_int_equal(m.type_count, 2);
    assert_int_equal(m.types[0].param_count, 2);
    assert_int_equal(m.types[0].params[0], WASM_VT_I32);
    assert_int_equal(m.types[0].params[1], WASM_VT_I64);
    assert_int_equal(m.types[0].result_count, 1);
    assert_int_equal(m.types[0].results[0], WASM_VT_F32);
    assert_int_equal(m.types[1].param_count + m.types[1].result_count, 0);

    assert_int_equal(m.import_count, 4);
    assert_memory_equal(m.imports[0].module.ptr, "env", 3);
    assert_int_equal(m.imports[0].name.len, 1);
    assert_int_equal(m.imports[0].kind, WASM_EXTERN_FUNC);
    assert_int_equal(m.imports[0].u.type_index, 1);
    assert_int_equal(m.imports[0].offset, m.sections[2].content + 1);
    assert_int_equal(m.imports[1].kind, WASM_EXTERN_TABLE);
    assert_int_equal(m.imports[1].u.table.elem, WASM_VT_EXTERNREF);
    assert_true(m.imports[1].u.table.limits.has_max);
    assert_int_equal(m.imports[1].u.table.limits.min, 1);
    assert_int_equal(m.imports[1].u.table.limits.max, 2);
    assert_int_equal(m.imports[2].kind, WASM_EXTERN_MEMORY);
    assert_false(m.imports[2].u.memory.limits.has_max);
    assert_int_equal(m.imports[3].kind, WASM_EXTERN_GLOBAL);
    assert_int_equal(m.imports[3].u.global.type, WASM_VT_I32);
    assert_true(m.imports[3].u.global.mut);

    /* Index spaces: imports first. */
    assert_int_equal(m.func_count, 3);
    assert_int_equal(m.func_import_count, 1);
    assert_true(m.funcs[0].imported);
    assert_int_equal(m.funcs[0].type_index, 1);
    assert_false(m.funcs[1].imported);
    assert_int_equal(m.funcs[1].type_index, 0);
    assert_int_equal(m.funcs[2].type_index, 1);
    assert_ptr_equal(wasm_module_func_type(&m, 0), &m.types[1]);
    assert_ptr_equal(wasm_module_func_type(&m, 1), &m.types[0]);

    assert_int_equal(m.funcs[1].local_group_count, 2);
    assert_int_equal(m.funcs[1].local_count, 3);
    assert_int_equal(m.funcs[1].local_groups[0].count, 2);
    assert_int_equal(m.funcs[1].local_groups[0].type, WASM_VT_I32);
    assert_int_equal(m.funcs[1].local_groups[1].type, WASM_VT_F64);
    size_t code = m.sections[11].content;
    assert_int_equal(m.funcs[1].code_offset, code + 1);
    assert_int_equal(m.funcs[1].body.offset, code + 1 + 1 + 5); /* after size and locals */
    assert_int_equal(m.funcs[1].body.size, 14);
    assert_int_equal(mod.data[m.funcs[1].body.offset + m.funcs[1].body.size - 1], 0x0b);
    assert_int_equal(m.funcs[2].body.size, 1);

    assert_int_equal(m.table_count, 2);
    assert_int_equal(m.table_import_count, 1);
    assert_true(m.tables[0].imported);
    assert_int_equal(m.tables[0].type.elem, WASM_VT_EXTERNREF);
    assert_int_equal(m.tables[1].type.elem, WASM_VT_FUNCREF);
    assert_int_equal(m.tables[1].type.limits.min, 3);
    assert_false(m.tables[1].type.limits.has_max);

    assert_int_equal(m.memory_count, 2);
    assert_true(m.memories[0].imported);
    assert_int_equal(m.memories[1].type.limits.max, 2);

    assert_int_equal(m.global_count, 2);
    assert_true(m.globals[0].imported);
    assert_int_equal(m.globals[1].type.type, WASM_VT_F64);
    assert_false(m.globals[1].type.mut);
    assert_int_equal(m.globals[1].init.size, 10); /* f64.const + 8 bytes + end */
    assert_int_equal(mod.data[m.globals[1].init.offset], 0x44);

    assert_int_equal(m.export_count, 2);
    assert_memory_equal(m.exports[0].name.ptr, "run", 3);
    assert_int_equal(m.exports[0].kind, WASM_EXTERN_FUNC);
    assert_int_equal(m.exports[0].index, 2);
    assert_int_equal(m.exports[1].kind, WASM_EXTERN_MEMORY);

    assert_true(m.has_start);
    assert_int_equal(m.start, 2);
    assert_int_equal(m.start_offset, m.sections[8].content);

    assert_int_equal(m.elem_count, 8);
    /* function indices are (ref func) in Wasm 3.0, expressions name their type */
    const wasm_valtype REF_FUNC = wasm_ref(WASM_HT_FUNC, false);
    const struct {
        uint8_t mode;
        wasm_valtype type;
        uint32_t table, count;
        bool exprs;
    } el[] = {
        {WASM_SEG_ACTIVE, REF_FUNC, 0, 2, false},
        {WASM_SEG_PASSIVE, REF_FUNC, 0, 1, false},
        {WASM_SEG_ACTIVE, REF_FUNC, 1, 1, false},
        {WASM_SEG_DECLARATIVE, REF_FUNC, 0, 0, false},
        {WASM_SEG_ACTIVE, WASM_VT_FUNCREF, 0, 1, true},
        {WASM_SEG_PASSIVE, WASM_VT_EXTERNREF, 0, 2, true},
        {WASM_SEG_ACTIVE, WASM_VT_FUNCREF, 1, 0, true},
        {WASM_SEG_DECLARATIVE, WASM_VT_FUNCREF, 0, 1, true},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(el); i++) {
        const wasm_elem *e = &m.elems[i];
        assert_int_equal(e->mode, el[i].mode);
        assert_int_equal(e->type, el[i].type);
        assert_int_equal(e->table, el[i].table);
        assert_int_equal(e->count, el[i].count);
        assert_true(el[i].exprs ? e->exprs != NULL : e->func_indices != NULL);
        assert_true(el[i].exprs ? e->func_indices == NULL : e->exprs == NULL);
        if (e->mode == WASM_SEG_ACTIVE)
            assert_int_equal(mod.data[e->offset_expr.offset + e->offset_expr.size - 1], 0x0b);
    }
    assert_int_equal(m.elems[0].func_indices[0], 1);
    assert_int_equal(m.elems[0].func_indices[1], 2);
    assert_int_equal(m.elems[0].offset, m.sections[9].content + 1);
    assert_int_equal(m.elems[4].exprs[0].size, 3); /* ref.func 1, end */
    assert_int_equal(m.elems[5].exprs[1].size, 3); /* ref.null extern, end */

    assert_true(m.has_data_count);
    assert_int_equal(m.data_count, 3);
    assert_int_equal(m.data_seg_count, 3);
    assert_int_equal(m.datas[0].mode, WASM_SEG_ACTIVE);
    assert_int_equal(m.datas[0].memory, 0);
    assert_int_equal(m.datas[0].size, 2);
    assert_memory_equal(m.datas[0].bytes, "hi", 2);
    assert_int_equal(m.datas[0].offset_expr.size, 3);
    assert_int_equal(m.datas[1].mode, WASM_SEG_PASSIVE);
    assert_memory_equal(m.datas[1].bytes, "abc", 3);
    assert_int_equal(m.datas[2].memory, 1);
    assert_int_equal(m.datas[2].size, 0);

    /* The name section. */
    assert_int_equal(m.name_section_error.code, KILN_OK);
    assert_true(m.has_module_name);
    assert_memory_equal(m.module_name.ptr, "mod", 3);
    assert_int_equal(m.func_name_count, 3);
    wasm_str name;
    assert_true(wasm_module_func_name(&m, 0, &name));
    assert_memory_equal(name.ptr, "f", 1);
    assert_true(wasm_module_func_name(&m, 1, &name));
    assert_int_equal(name.len, 2);
    assert_memory_equal(name.ptr, "f1", 2);
    assert_true(wasm_module_func_name(&m, 2, &name));
    assert_memory_equal(name.ptr, "g", 1);
    assert_false(wasm_module_func_name(&m, 3, &name));
    assert_int_equal(m.local_name_count, 1);
    assert_int_equal(m.local_names[0].func_index, 1);
    assert_int_equal(m.local_names[0].count, 2);
    assert_int_equal(m.local_names[0].names[1].index, 3);
    assert_memory_equal(m.local_names[0].names[1].name.ptr, "c", 1);

    wasm_module_free(&m);
    wb_free(&mod);
}

static void test_func_name_lookup_sparse(void **state)
{
    (void)state;
    wasm_builder mod = {0}, s = {0};
    wb_header(&mod);
    wb_name(&s, "name");
    WB_BYTES(&s, 0x01, 0x0d, 0x04, 0x00, 0x01, 'a', 0x05, 0x01, 'b', 0x09, 0x01, 'c', 0x80, 0x01,
             0x00);
    wb_section(&mod, 0, &s);
    wasm_module m;
    kiln_diag d;
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.name_section_error.code, KILN_OK);
    wasm_str n;
    static const uint32_t present[] = {0, 5, 9, 128};
    static const uint32_t absent[] = {1, 4, 6, 10, 127, 129, UINT32_MAX};
    for (size_t i = 0; i < KILN_ARRAY_LEN(present); i++)
        assert_true(wasm_module_func_name(&m, present[i], &n));
    assert_int_equal(n.len, 0); /* 128 has the empty name */
    for (size_t i = 0; i < KILN_ARRAY_LEN(absent); i++)
        assert_false(wasm_module_func_name(&m, absent[i], &n));
    wasm_module_free(&m);
    wb_free(&mod);
    wb_free(&s);
}

/*
 * Section order, duplicates, sizes, ids
 */

/* Minimal content for each non-custom section id that decodes on its own. */
static void add_minimal_section(wasm_builder *mod, uint8_t id)
{
    if (id == 12)
        WB_SECTION(mod, 12, 0x00); /* data count 0 */
    else
        WB_SECTION(mod, id, 0x00); /* empty vector, or start function 0 */
}

static unsigned rank_of(uint8_t id)
{
    static const unsigned rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
    return rank[id];
}

static const char *name_of(uint8_t id)
{
    static const char *const names[13] = {"custom", "type",   "import",    "function", "table",
                                          "memory", "global", "export",    "start",    "element",
                                          "code",   "data",   "data count"};
    return names[id];
}

static void test_section_order(void **state)
{
    (void)state;
    for (uint8_t a = 1; a <= 12; a++) {
        for (uint8_t b = 1; b <= 12; b++) {
            wasm_builder mod = {0};
            wb_header(&mod);
            add_minimal_section(&mod, a);
            size_t at = mod.len;
            add_minimal_section(&mod, b);
            if (rank_of(a) < rank_of(b)) {
                expect_decode_ok(&mod);
            } else {
                char msg[128];
                if (a == b)
                    snprintf(msg, sizeof msg, ORDER ": duplicate %s section", name_of(b));
                else
                    snprintf(msg, sizeof msg, ORDER ": %s section after %s section", name_of(b),
                             name_of(a));
                expect_decode_error(&mod, KILN_ERR_MALFORMED, at, msg);
            }
            wb_free(&mod);
        }
    }
}

static void test_every_section_in_order_with_customs_between(void **state)
{
    (void)state;
    static const uint8_t order[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11};
    wasm_builder mod = {0};
    wb_header(&mod);
    wb_custom(&mod, "a", NULL, 0);
    for (size_t i = 0; i < KILN_ARRAY_LEN(order); i++) {
        add_minimal_section(&mod, order[i]);
        wb_custom(&mod, "b", "payload", 7);
        wb_custom(&mod, "name", "\x01", 1); /* only the first name section is parsed */
    }
    wasm_module m;
    kiln_diag d;
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.section_count, 1 + 3 * KILN_ARRAY_LEN(order));
    /* The first name section was malformed (subsection 1 without a size): recorded only. */
    assert_int_equal(m.name_section_error.code, KILN_ERR_MALFORMED);
    wasm_module_free(&m);
    wb_free(&mod);
}

static void test_malformed_section_ids(void **state)
{
    (void)state;
    static const uint8_t ids[] = {13, 0x7f, 0x80, 0x81, 0xff};
    for (size_t i = 0; i < KILN_ARRAY_LEN(ids); i++) {
        wasm_builder mod = {0};
        wb_header(&mod);
        add_void_type(&mod);
        WB_BYTES(&mod, ids[i], 0x00);
        char msg[64];
        snprintf(msg, sizeof msg, "malformed section id %u", ids[i]);
        expect_decode_error(&mod, KILN_ERR_MALFORMED, 14, msg);
        wb_free(&mod);
    }
}

static void test_section_size_mismatch_every_kind(void **state)
{
    (void)state;
    for (uint8_t id = 1; id <= 12; id++) {
        wasm_builder mod = {0};
        wb_header(&mod);
        WB_SECTION(&mod, id, 0x00, 0x00); /* an empty vector or a u32, then one byte more */
        char msg[64];
        snprintf(msg, sizeof msg, "section size mismatch: %s section", name_of(id));
        expect_decode_error(&mod, KILN_ERR_MALFORMED, 11, msg);
        wb_free(&mod);
    }
    /* A custom section's payload is all of its content: no mismatch possible. */
    wasm_builder mod = {0};
    wb_header(&mod);
    wb_custom(&mod, "x", "\x00\x00", 2);
    expect_decode_ok(&mod);
    wb_free(&mod);
}

static void test_section_content_runs_off_its_end(void **state)
{
    (void)state;
    /* type count 2, one type given: the section ends, the module does not. */
    wasm_builder mod = {0};
    wb_header(&mod);
    WB_SECTION(&mod, 1, 0x02, 0x60, 0x00, 0x00);
    WB_SECTION(&mod, 3, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 14, END ": function type form");
    wb_free(&mod);

    /* One type declared, two given. */
    wb_header(&mod);
    WB_SECTION(&mod, 1, 0x01, 0x60, 0x00, 0x00, 0x60, 0x00, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 14, "section size mismatch: type section");
    wb_free(&mod);
}

static void test_section_size_bounds(void **state)
{
    (void)state;
    /* Size 7 read at offset 9, 5 bytes from there to the end: out of bounds. */
    wasm_builder mod = {0};
    wb_header(&mod);
    WB_BYTES(&mod, 0x01, 0x07, 0x02, 0x60, 0x00, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 9, "length out of bounds: section size");
    wb_free(&mod);

    /* Size 5: fits from the size byte on, but not after it. */
    wb_header(&mod);
    WB_BYTES(&mod, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 9, END ": section size");
    wb_free(&mod);

    /* An id with no size, and a size LEB cut short. */
    wb_header(&mod);
    wb_byte(&mod, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 9, END ": section size");
    wb_free(&mod);
    wb_header(&mod);
    WB_BYTES(&mod, 0x01, 0x80);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 10, END ": section size");
    wb_free(&mod);

    /* A custom section whose size cannot even hold its name. */
    wb_header(&mod);
    WB_BYTES(&mod, 0x00, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 10, END ": custom section name");
    wb_free(&mod);

    /* A second header where a section is expected (concatenated modules): custom section
     * id 0 with size 0x61. */
    wb_header(&mod);
    wb_header(&mod);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 9, "length out of bounds: section size");
    wb_free(&mod);
}

/*
 * Counts: consistency and resource bounds
 */

static void test_function_and_code_counts(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    /* Two functions, one body. */
    wb_header(&mod);
    add_void_type(&mod);
    WB_SECTION(&mod, 3, 0x02, 0x00, 0x00);
    size_t code_at = mod.len;
    WB_SECTION(&mod, 10, 0x01, 0x02, 0x00, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, code_at,
                        "function and code section have inconsistent lengths: 2 functions, "
                        "1 bodies");
    wb_free(&mod);

    /* A function section and no code section. */
    wb_header(&mod);
    add_void_type(&mod);
    size_t func_at = mod.len;
    WB_SECTION(&mod, 3, 0x01, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, func_at,
                        "function and code section have inconsistent lengths: 1 functions, "
                        "0 bodies");
    wb_free(&mod);

    /* Bodies without a function section: still decoded (an illegal opcode in the second
     * one wins over the count mismatch, as in the spec). */
    wb_header(&mod);
    WB_SECTION(&mod, 10, 0x02, 0x02, 0x00, 0x0b, 0x03, 0x00, 0x27, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 16, "illegal opcode 0x27");
    wb_free(&mod);
    wb_header(&mod);
    WB_SECTION(&mod, 10, 0x01, 0x02, 0x00, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 8,
                        "function and code section have inconsistent lengths: 0 functions, "
                        "1 bodies");
    wb_free(&mod);

    /* Empty function and code sections agree. */
    wb_header(&mod);
    WB_SECTION(&mod, 3, 0x00);
    WB_SECTION(&mod, 10, 0x00);
    expect_decode_ok(&mod);
    wb_free(&mod);
}

static void test_data_count_rules(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    /* data count 3, two passive segments */
    wb_header(&mod);
    WB_SECTION(&mod, 12, 0x03);
    size_t data_at = mod.len;
    WB_SECTION(&mod, 11, 0x02, 0x01, 0x00, 0x01, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, data_at,
                        "data count and data section have inconsistent lengths: 3 in the data "
                        "count section, 2 segments");
    wb_free(&mod);

    /* data count 1 and no data section */
    wb_header(&mod);
    WB_SECTION(&mod, 12, 0x01);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 8,
                        "data count and data section have inconsistent lengths: 1 in the data "
                        "count section, 0 segments");
    wb_free(&mod);

    /* data count 0 and no data section; data section without data count: both fine. */
    wb_header(&mod);
    WB_SECTION(&mod, 12, 0x00);
    expect_decode_ok(&mod);
    wb_free(&mod);
    wb_header(&mod);
    WB_SECTION(&mod, 11, 0x01, 0x01, 0x00);
    expect_decode_ok(&mod);
    wb_free(&mod);

    /* memory.init and data.drop need the data count section... */
    size_t body = one_func_module(
        &mod,
        (const uint8_t[]){0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00, 0x0b},
        12, true, false);
    WB_SECTION(&mod, 11, 0x01, 0x01, 0x00);
    wasm_module m;
    kiln_diag d;
    assert_false(decode(&mod, &m, &d));
    expect_error(&d, KILN_ERR_MALFORMED, body + 7,
                 "data count section required: for memory.init or data.drop");
    assert_int_equal(d.func_index, 0);
    wasm_module_free(&m);
    wb_free(&mod);

    body = ONE_FUNC(&mod, 0x00, 0xfc, 0x09, 0x00, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 1,
                        "data count section required: for memory.init or data.drop");
    wb_free(&mod);

    /* ... and are fine with it (the index is the validator's business). */
    one_func_module(&mod, (const uint8_t[]){0x00, 0xfc, 0x09, 0x05, 0x0b}, 5, false, true);
    WB_SECTION(&mod, 11, 0x01, 0x01, 0x00);
    expect_decode_ok(&mod);
    wb_free(&mod);

    /* The count mismatch is reported before the missing data count (the spec's order). */
    one_func_module(&mod, (const uint8_t[]){0x00, 0xfc, 0x09, 0x00, 0x0b}, 5, false, false);
    WB_SECTION(&mod, 3, 0x00); /* out of order: this one wins over everything */
    expect_decode_error(&mod, KILN_ERR_MALFORMED, mod.len - 3,
                        ORDER ": function section after code section");
    wb_free(&mod);
}

static void test_huge_counts_fail_without_allocating(void **state)
{
    (void)state;
    /* Every vector section with a count of 0xFFFFFFFF (5-byte LEB) and 3 bytes after it. */
    static const struct {
        uint8_t id;
        const char *what;
    } cases[] = {
        {1, "type count"},          {2, "import count"},          {3, "function count"},
        {4, "table count"},         {5, "memory count"},          {6, "global count"},
        {7, "export count"},        {9, "element segment count"}, {10, "function body count"},
        {11, "data segment count"},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++) {
        wasm_builder mod = {0};
        wb_header(&mod);
        WB_SECTION(&mod, cases[i].id, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00, 0x00);
        counting_allocator ca;
        counting_init(&ca, 0);
        wasm_module m;
        kiln_diag d;
        assert_false(kiln_decode(&m, mod.data, mod.len, &ca.base, &d));
        char msg[96];
        snprintf(msg, sizeof msg, "length out of bounds: %s", cases[i].what);
        expect_error(&d, KILN_ERR_MALFORMED, 10, msg);
        assert_true(ca.largest <= 8192); /* the section list's first chunk at most */
        wasm_module_free(&m);
        assert_int_equal(ca.live, 0);
        wb_free(&mod);
    }

    /* A count that fits the bytes but not the entries: 20000 types in 20000 bytes of 0x60
     * (each type needs at least 2: 3.0's empty struct 5f 00). Allocation stays proportional
     * to what can really be there: 10,001 entries at most, not 20,000. */
    wasm_builder mod = {0}, s = {0};
    wb_header(&mod);
    wb_u32(&s, 20000);
    wb_fill(&s, 0x60, 20000);
    wb_section(&mod, 1, &s);
    counting_allocator ca;
    counting_init(&ca, 0);
    wasm_module m;
    kiln_diag d;
    assert_false(kiln_decode(&m, mod.data, mod.len, &ca.base, &d));
    assert_int_equal(d.code, KILN_ERR_MALFORMED);
    assert_string_equal(d.msg, "malformed value type 0x60: parameter count");
    assert_true(ca.largest < 10001 * sizeof(wasm_functype) + 256); /* + the arena's header */
    wasm_module_free(&m);
    assert_int_equal(ca.live, 0);
    wb_free(&mod);
    wb_free(&s);

    /* Local groups and br_table targets likewise. */
    size_t body = ONE_FUNC(&mod, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b);
    counting_init(&ca, 0);
    assert_false(kiln_decode(&m, mod.data, mod.len, &ca.base, &d));
    expect_error(&d, KILN_ERR_MALFORMED, body, "length out of bounds: local group count");
    assert_true(ca.largest <= 8192);
    wasm_module_free(&m);
    wb_free(&mod);
    body = ONE_FUNC(&mod, 0x00, 0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 2,
                        "length out of bounds: br_table target count");
    wb_free(&mod);
}

static void test_limits_are_class_limit(void **state)
{
    (void)state;
    /* KILN_MAX_BR_TABLE_SIZE + 1 targets. */
    wasm_builder body = {0}, mod = {0};
    WB_BYTES(&body, 0x00, 0x41, 0x00, 0x0e);
    wb_u32(&body, KILN_MAX_BR_TABLE_SIZE + 1);
    wb_fill(&body, 0x00, KILN_MAX_BR_TABLE_SIZE + 2);
    wb_byte(&body, 0x0b);
    size_t at = one_func_module(&mod, body.data, body.len, false, false);
    expect_decode_error(&mod, KILN_ERR_LIMIT, at + 4,
                        "br_table target count 65521 exceeds the implementation limit of 65520");
    wb_free(&mod);

    /* Exactly at the limit decodes. */
    wb_reset(&body);
    WB_BYTES(&body, 0x00, 0x41, 0x00, 0x0e);
    wb_u32(&body, KILN_MAX_BR_TABLE_SIZE);
    wb_fill(&body, 0x00, KILN_MAX_BR_TABLE_SIZE + 1);
    wb_byte(&body, 0x0b);
    one_func_module(&mod, body.data, body.len, false, false);
    expect_decode_ok(&mod);
    wb_free(&mod);

    /* A function body over KILN_MAX_FUNCTION_SIZE. */
    wb_reset(&body);
    wb_byte(&body, 0x00);
    wb_fill(&body, 0x01, KILN_MAX_FUNCTION_SIZE - 1); /* nops */
    wb_byte(&body, 0x0b);
    at = one_func_module(&mod, body.data, body.len, false, false);
    char msg[128];
    snprintf(msg, sizeof msg,
             "function body of %u bytes exceeds the limit of %u (KILN_MAX_FUNCTION_SIZE)",
             KILN_MAX_FUNCTION_SIZE + 1, KILN_MAX_FUNCTION_SIZE);
    expect_decode_error(&mod, KILN_ERR_LIMIT, at - 4, msg); /* at the body size */
    wb_free(&mod);
    wb_free(&body);

    /* Too many types. */
    wasm_builder s = {0};
    wb_header(&mod);
    wb_u32(&s, KILN_MAX_TYPES + 1);
    for (uint32_t i = 0; i <= KILN_MAX_TYPES; i++)
        WB_BYTES(&s, 0x60, 0x00, 0x00);
    wb_section(&mod, 1, &s);
    expect_decode_error(&mod, KILN_ERR_LIMIT, 13,
                        "type count 1000001 exceeds the implementation limit of 1000000");
    wb_free(&mod);
    wb_free(&s);
    /* Too many memories (multi-memory): imports count against the limit too. */
    wasm_builder imp = {0}, mem = {0};
    wb_header(&mod);
    WB_BYTES(&imp, 0x01, 0x01, 'm', 0x01, 'x', 0x02, 0x00, 0x00); /* one memory import */
    wb_section(&mod, 2, &imp);
    wb_u32(&mem, KILN_MAX_MEMORIES);
    for (uint32_t i = 0; i < KILN_MAX_MEMORIES; i++)
        WB_BYTES(&mem, 0x00, 0x00);
    size_t count_at = mod.len + 1 + 3; /* the count, after the id and a 3-byte size */
    wb_section(&mod, 5, &mem);
    expect_decode_error(&mod, KILN_ERR_LIMIT, count_at,
                        "memory count 100000 exceeds the implementation limit of 99999");
    wb_free(&mod);
    wb_free(&imp);
    wb_free(&mem);
}

/*
 * Function bodies: locals and structure
 */

static void test_locals(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    /* 0xFFFFFFFF i32 + 2 i64: more than 2^32 - 1 in total is malformed. */
    size_t body = ONE_FUNC(&mod, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x02, 0x7e, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body, "too many locals: 4294967297");
    wb_free(&mod);

    /* 4 x 2^30: exactly 2^32. */
    body =
        ONE_FUNC(&mod, 0x04, 0x80, 0x80, 0x80, 0x80, 0x04, 0x7f, 0x80, 0x80, 0x80, 0x80, 0x04, 0x7e,
                 0x80, 0x80, 0x80, 0x80, 0x04, 0x7d, 0x80, 0x80, 0x80, 0x80, 0x04, 0x7c, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body, "too many locals: 4294967296");
    wb_free(&mod);

    /* 0xFFFFFFFF alone is well-formed, but over Kiln's limit. */
    body = ONE_FUNC(&mod, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b);
    expect_decode_error(&mod, KILN_ERR_LIMIT, body,
                        "too many locals: 4294967295 exceeds the limit of 50000 "
                        "(KILN_MAX_LOCALS)");
    wb_free(&mod);

    /* Exactly KILN_MAX_LOCALS in two groups. */
    body = ONE_FUNC(&mod, 0x02, 0xcf, 0x86, 0x03, 0x7f, 0x01, 0x7b, 0x0b); /* 49999 + 1 */
    wasm_module m;
    kiln_diag d;
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.funcs[0].local_count, KILN_MAX_LOCALS);
    assert_int_equal(m.funcs[0].local_groups[1].type, WASM_VT_V128);
    wasm_module_free(&m);
    wb_free(&mod);

    /* A local count LEB with unused bits set, and a bad local type. */
    body = ONE_FUNC(&mod, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10, 0x7f, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 5, "integer too large: local count");
    wb_free(&mod);
    body = ONE_FUNC(&mod, 0x01, 0x01, 0x40, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 2,
                        "malformed value type 0x40: local type");
    wb_free(&mod);
}

static void test_body_missing_end(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    /* The body, the code section and the module all end without the final end. */
    size_t body = ONE_FUNC(&mod, 0x00, 0x41, 0x01, 0x1a);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 4, END ": function body has no final end");
    wb_free(&mod);

    /* The next byte is a 0x0B (here the data section id): the body looks one byte longer
     * than its size. */
    body = ONE_FUNC(&mod, 0x00, 0x41, 0x01, 0x1a);
    WB_SECTION(&mod, 11, 0x01, 0x01, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 4,
                        "section size mismatch: function body has no final end");
    wb_free(&mod);

    /* Anything else follows: that is where the end was expected. */
    body = ONE_FUNC(&mod, 0x00, 0x41, 0x01, 0x1a);
    wb_custom(&mod, "x", NULL, 0);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 4,
                        "END opcode expected: function body has no final end");
    wb_free(&mod);

    /* Inside an open block, a following 0x0B does not end the function. */
    body = ONE_FUNC(&mod, 0x00, 0x02, 0x40);
    WB_SECTION(&mod, 11, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 3,
                        "END opcode expected: function body has no final end");
    wb_free(&mod);

    /* Bytes after the final end. */
    body = ONE_FUNC(&mod, 0x00, 0x0b, 0x01);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 2,
                        "section size mismatch: function body continues after its final end");
    wb_free(&mod);

    /* An empty body (size 0) and a body cut inside an immediate. */
    body = one_func_module(&mod, "", 0, false, false);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body, END ": local group count");
    wb_free(&mod);
    body = ONE_FUNC(&mod, 0x00, 0x41);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 2, END ": i32 constant");
    wb_free(&mod);
}

static void test_body_else_placement(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    size_t body = ONE_FUNC(&mod, 0x00, 0x05, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 1,
                        "END opcode expected: else outside an if");
    wb_free(&mod);

    body = ONE_FUNC(&mod, 0x00, 0x02, 0x40, 0x05, 0x0b, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 3,
                        "END opcode expected: else outside an if");
    wb_free(&mod);

    body = ONE_FUNC(&mod, 0x00, 0x41, 0x00, 0x04, 0x40, 0x05, 0x05, 0x0b, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 6,
                        "END opcode expected: else outside an if");
    wb_free(&mod);

    /* if inside an if's else; loop inside if: fine. */
    ONE_FUNC(&mod, 0x00, 0x41, 0x00, 0x04, 0x40, 0x05, 0x41, 0x00, 0x04, 0x40, 0x05, 0x0b, 0x0b,
             0x03, 0x40, 0x0b, 0x0b);
    expect_decode_ok(&mod);
    wb_free(&mod);

    /* else in a block nested in an if's then-branch is still misplaced. */
    body = ONE_FUNC(&mod, 0x00, 0x41, 0x00, 0x04, 0x40, 0x02, 0x40, 0x05, 0x0b, 0x0b, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, body + 7,
                        "END opcode expected: else outside an if");
    wb_free(&mod);
}

static void test_body_nesting_limit(void **state)
{
    (void)state;
    wasm_builder body = {0}, mod = {0};
    wb_byte(&body, 0x00);
    for (unsigned i = 0; i < KILN_MAX_NESTING; i++)
        WB_BYTES(&body, 0x02, 0x40);
    wb_fill(&body, 0x0b, KILN_MAX_NESTING + 1);
    one_func_module(&mod, body.data, body.len, false, false);
    expect_decode_ok(&mod);
    wb_free(&mod);

    wb_reset(&body);
    wb_byte(&body, 0x00);
    for (unsigned i = 0; i <= KILN_MAX_NESTING; i++)
        WB_BYTES(&body, 0x03, 0x40);
    wb_fill(&body, 0x0b, KILN_MAX_NESTING + 2);
    size_t at = one_func_module(&mod, body.data, body.len, false, false);
    expect_decode_error(&mod, KILN_ERR_LIMIT, at + 1 + 2 * KILN_MAX_NESTING,
                        "blocks nested deeper than the limit of 10000 (KILN_MAX_NESTING)");
    wb_free(&mod);
    wb_free(&body);
}

static void test_body_illegal_opcodes(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[4];
        size_t len;
        const char *msg;
    } cases[] = {
        /* unknown in every version, Wasm 3.0 and the proposals included */
        {{0x16}, 1, "illegal opcode 0x16"},
        {{0x27}, 1, "illegal opcode 0x27"},
        {{0xc5}, 1, "illegal opcode 0xc5"},
        {{0xd7}, 1, "illegal opcode 0xd7"},
        {{0xff}, 1, "illegal opcode 0xff"},
        {{0xfc, 0x12}, 2, "illegal opcode 0xfc 0x12"},
        {{0xfc, 0xa0, 0x01}, 3, "illegal opcode 0xfc 0xa0"},
        {{0xfd, 0x94, 0x02}, 3, "illegal opcode 0xfd 0x114"},
        {{0xfb, 0x1f}, 2, "illegal opcode 0xfb"},
        {{0xfe, 0x04}, 2, "illegal opcode 0xfe"},
        {{0xfe, 0x4f}, 2, "illegal opcode 0xfe"},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++) {
        wasm_builder body = {0}, mod = {0};
        wb_byte(&body, 0x00);
        wb_raw(&body, cases[i].bytes, cases[i].len);
        wb_byte(&body, 0x0b);
        size_t at = one_func_module(&mod, body.data, body.len, false, false);
        expect_decode_error(&mod, KILN_ERR_MALFORMED, at + 1, cases[i].msg);
        wb_free(&mod);
        wb_free(&body);
    }
    /* The sub-opcode LEB follows the LEB rules. */
    wasm_builder mod = {0};
    size_t at = ONE_FUNC(&mod, 0x00, 0xfc, 0x87, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, at + 7,
                        "integer representation too long: opcode");
    wb_free(&mod);
}

static void test_malformed_wins_over_invalid(void **state)
{
    (void)state;
    /* i32.add on an empty stack (a type error the validator would report first), then an
     * illegal opcode: decoding sees the whole module first, so it is malformed. */
    wasm_builder mod = {0};
    size_t at = ONE_FUNC(&mod, 0x00, 0x6a, 0x1a, 0x42, 0x00, 0x27, 0x0b);
    wasm_module m;
    kiln_diag d;
    assert_false(decode(&mod, &m, &d));
    expect_error(&d, KILN_ERR_MALFORMED, at + 5, "illegal opcode 0x27");
    assert_int_equal(d.func_index, 0);
    char text[256];
    kiln_diag_format(&d, "t.wasm", text, sizeof text);
    assert_string_equal(text, "t.wasm:0x1b: error: illegal opcode 0x27 (in function 0)");
    wasm_module_free(&m);
    wb_free(&mod);
}

static void test_body_errors_name_the_function(void **state)
{
    (void)state;
    /* Two imported functions, then two bodies; the second body is bad: function 3. */
    wasm_builder mod = {0}, s = {0};
    wb_header(&mod);
    add_void_type(&mod);
    wb_u32(&s, 2);
    wb_name(&s, "m"), wb_name(&s, "a"), WB_BYTES(&s, 0x00, 0x00);
    wb_name(&s, "m"), wb_name(&s, "b"), WB_BYTES(&s, 0x00, 0x00);
    wb_section(&mod, 2, &s);
    WB_SECTION(&mod, 3, 0x02, 0x00, 0x00);
    WB_SECTION(&mod, 10, 0x02, 0x02, 0x00, 0x0b, 0x03, 0x00, 0x3f, 0x0b);
    wasm_module m;
    kiln_diag d;
    assert_false(decode(&mod, &m, &d));
    expect_error(&d, KILN_ERR_MALFORMED, mod.len - 1, "zero byte expected: memory index");
    assert_int_equal(d.func_index, 3);
    wasm_module_free(&m);
    wb_free(&mod);
    wb_free(&s);

    /* Errors outside bodies carry no function. */
    wb_header(&mod);
    WB_SECTION(&mod, 6, 0x01, 0x7f, 0x00, 0x27, 0x0b);
    assert_false(decode(&mod, &m, &d));
    expect_error(&d, KILN_ERR_MALFORMED, 13, "illegal opcode 0x27");
    assert_int_equal(d.func_index, KILN_NO_FUNC);
    wasm_module_free(&m);
    wb_free(&mod);
}

/*
 * Malformed entries in each section
 */

typedef struct entry_case {
    uint8_t id;          /* section */
    uint8_t content[16]; /* section content */
    size_t len;
    size_t offset; /* of the error, from the first content byte */
    const char *msg;
} entry_case;

static void run_entry_cases_as(const entry_case *cases, size_t n, kiln_err code)
{
    for (size_t i = 0; i < n; i++) {
        wasm_builder mod = {0};
        wb_header(&mod);
        wb_byte(&mod, cases[i].id);
        wb_u32(&mod, (uint32_t)cases[i].len);
        size_t content = mod.len;
        wb_raw(&mod, cases[i].content, cases[i].len);
        expect_decode_error(&mod, code, content + cases[i].offset, cases[i].msg);
        wb_free(&mod);
    }
}

static void run_entry_cases(const entry_case *cases, size_t n)
{
    run_entry_cases_as(cases, n, KILN_ERR_MALFORMED);
}

static void test_malformed_types_and_limits(void **state)
{
    (void)state;
    // clang-format off
    static const entry_case cases[] = {
        {1, {0x01, 0x61, 0x00, 0x00}, 4, 1, "malformed function type 0x61"},
        {1, {0x01, 0xe0, 0x7f, 0x00, 0x00}, 5, 2,
         "integer representation too long: function type form"},
        {1, {0x01, 0x60, 0x01, 0x7a, 0x00}, 5, 3, "malformed value type 0x7a: parameter count"},
        {1, {0x01, 0x60, 0x00, 0x01, 0x00}, 5, 4, "malformed value type 0x00: result count"},
        {4, {0x01, 0x7f, 0x00, 0x00}, 4, 1, "malformed reference type 0x7f: table element type"},
        {4, {0x01, 0x70, 0x02}, 3, 2, "integer too large: table limits flag 0x02"},
        {4, {0x01, 0x70, 0x02, 0x00}, 4, 2, "integer too large: table limits flag 0x02"},
        {4, {0x01, 0x70, 0x81, 0x00, 0x00, 0x00}, 6, 3,
         "integer representation too long: table limits flag"},
        {5, {0x01, 0x02}, 2, 1, "integer too large: memory limits flag 0x02"},
        {5, {0x01, 0x03, 0x00}, 3, 1, "integer too large: memory limits flag 0x03"},
        {5, {0x01, 0x10, 0x00}, 3, 1, "integer too large: memory limits flag 0x10"},
        {5, {0x01, 0x08, 0x00}, 3, 1, "integer too large: memory limits flag 0x08"},
        {4, {0x01, 0x70, 0x08, 0x00, 0x00}, 5, 2, "integer too large: table limits flag 0x08"},
        {5, {0x01, 0x81, 0x00, 0x00, 0x00}, 5, 2,
         "integer representation too long: memory limits flag"},
        {5, {0x01, 0x80, 0x00, 0x00}, 4, 2,
         "integer representation too long: memory limits flag"},
        /* Wasm 3.0 reads a u64 (test_limits_and_offsets_u64); malformed beyond it too, with
         * the error of Wasm 2.0's u32 read. */
        {5, {0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, 12, 6,
         "integer too large: limits minimum"},
        {5, {0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 13, 7,
         "integer representation too long: limits minimum"},
        {4, {0x01, 0x70, 0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
         14, 9, "integer representation too long: limits maximum"},
        {5, {0x01, 0x01, 0x00}, 3, 3, END ": limits maximum"},
        {6, {0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b}, 6, 2, "malformed mutability 0x02"},
        {6, {0x01, 0x7f, 0xff, 0x41, 0x00, 0x0b}, 6, 2, "malformed mutability 0xff"},
        {6, {0x01, 0x7f, 0x00, 0x41, 0x00}, 5, 5, END ": constant expression has no end"},
        {6, {0x01, 0x7f, 0x00, 0x41, 0x00, 0x05, 0x0b}, 7, 5,
         "END opcode expected: else outside an if"},
    };
    // clang-format on
    run_entry_cases(cases, KILN_ARRAY_LEN(cases));
}

/* Limits and memarg offsets are u32 in Wasm 2.0 and u64 in 3.0: a value that is no valid u32
 * decodes, and the first such value's 2.0 error is kept in wasm2_malformed. */
static void test_limits_and_offsets_u64(void **state)
{
    (void)state;
    wasm_module m;
    kiln_diag d;
    /* A table of max 2^32 + 1, then a memory of min 2^32 in 6 bytes and max 1 in 6 bytes. */
    wasm_builder mod = {0};
    wb_header(&mod);
    WB_SECTION(&mod, 4, 0x01, 0x70, 0x01, 0x00, 0x81, 0x80, 0x80, 0x80, 0x10);
    size_t table = mod.len - 9;
    WB_SECTION(&mod, 5, 0x01, 0x01, 0x80, 0x80, 0x80, 0x80, 0x90, 0x00, 0x81, 0x80, 0x80, 0x80,
               0x80, 0x00);
    assert_true(decode(&mod, &m, &d));
    assert_true(m.tables[0].type.limits.min == 0);
    assert_true(m.tables[0].type.limits.max == UINT64_C(0x100000001));
    assert_true(m.memories[0].type.limits.min == UINT64_C(0x100000000));
    assert_true(m.memories[0].type.limits.max == 1);
    expect_error(&m.wasm2_malformed, KILN_ERR_MALFORMED, table + 8,
                 "integer too large: limits maximum");
    assert_int_equal(m.wasm2_malformed.func_index, KILN_NO_FUNC);
    wasm_module_free(&m);
    wb_free(&mod);

    /* Only an over-long encoding: "integer representation too long" at its sixth byte. */
    wb_header(&mod);
    WB_SECTION(&mod, 5, 0x01, 0x00, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00);
    size_t memory = mod.len - 8;
    assert_true(decode(&mod, &m, &d));
    assert_true(m.memories[0].type.limits.min == 1);
    expect_error(&m.wasm2_malformed, KILN_ERR_MALFORMED, memory + 7,
                 "integer representation too long: limits minimum");
    wasm_module_free(&m);
    wb_free(&mod);

    /* A memarg offset of 2^32 in function 0: the error names the function. */
    static const uint8_t body[] = {0x00, 0x41, 0x00, 0x28, 0x02, 0x80,
                                   0x80, 0x80, 0x80, 0x10, 0x1a, 0x0b};
    size_t at = one_func_module(&mod, body, sizeof body, true, false);
    assert_true(decode(&mod, &m, &d));
    expect_error(&m.wasm2_malformed, KILN_ERR_MALFORMED, at + 9,
                 "integer too large: memarg offset");
    assert_int_equal(m.wasm2_malformed.func_index, 0);
    wasm_module_free(&m);
    wb_free(&mod);

    /* Nothing to record in a module Wasm 2.0 reads. */
    wb_header(&mod);
    WB_SECTION(&mod, 5, 0x01, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f);
    assert_true(decode(&mod, &m, &d));
    assert_true(m.memories[0].type.limits.max == UINT32_MAX);
    assert_int_equal(m.wasm2_malformed.code, KILN_OK);
    wasm_module_free(&m);
    wb_free(&mod);
}

static void test_malformed_imports_and_exports(void **state)
{
    (void)state;
    // clang-format off
    static const entry_case cases[] = {
        {2, {0x01, 0x00, 0x00, 0x04}, 4, 3, "malformed import kind 0x04"},
        {2, {0x01, 0x00, 0x00, 0x05, 0x00}, 5, 3, "malformed import kind 0x05"},
        {2, {0x01, 0x00, 0x00, 0x80}, 4, 3, "malformed import kind 0x80"},
        {2, {0x01, 0x01, 0xff, 0x00, 0x00, 0x00}, 6, 1,
         "malformed UTF-8 encoding: import module name"},
        {2, {0x01, 0x00, 0x02, 0xc3, 0x28, 0x00, 0x00}, 7, 2,
         "malformed UTF-8 encoding: import field name"},
        {2, {0x01, 0x00, 0x00, 0x03, 0x7f, 0x02}, 6, 5, "malformed mutability 0x02"},
        {2, {0x01, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00}, 7, 4,
         "malformed reference type 0x80: table element type"},
        {2, {0x01, 0x00, 0x00, 0x01, 0x63, 0x40, 0x00, 0x00}, 8, 4,
         "malformed reference type 0x63: table element type"},
        {2, {0x02, 0x00, 0x00, 0x00, 0x00}, 5, 5, END ": import module name"},
        {7, {0x01, 0x00, 0x05, 0x00}, 4, 2, "malformed export kind 0x05"},
        {7, {0x01, 0x00, 0x04}, 3, 2, "malformed export kind 0x04"},
        {7, {0x01, 0x05, 0xed, 0xa0, 0x00}, 5, 1, "length out of bounds: export name"},
        {7, {0x01, 0x03, 0xed, 0xa0, 0x80, 0x00, 0x00}, 7, 1,
         "malformed UTF-8 encoding: export name"},
    };
    // clang-format on
    run_entry_cases(cases, KILN_ARRAY_LEN(cases));
}

/*
 * Wasm 3.0 features: recognised where they decode completely, reported as unsupported
 */

#define UNSUP "unsupported feature: "

static void test_wasm3_section_entries_unsupported(void **state)
{
    (void)state;
    // clang-format off
    static const entry_case cases[] = {
        /* gc type definitions */
        {1, {0x01, 0x5e, 0x7f, 0x00}, 4, 1, UNSUP "gc (array type)"},
        {1, {0x01, 0x5f, 0x02, 0x78, 0x01, 0x6e, 0x00}, 7, 1, UNSUP "gc (struct type)"},
        {1, {0x01, 0x4e, 0x02, 0x60, 0x00, 0x00, 0x5f, 0x00}, 8, 1,
         UNSUP "gc (recursive type group)"},
        {1, {0x01, 0x4e, 0x01, 0x50, 0x00, 0x60, 0x00, 0x00}, 8, 1,
         UNSUP "gc (recursive type group)"},
        {1, {0x01, 0x50, 0x00, 0x60, 0x00, 0x00}, 6, 1, UNSUP "gc (subtype)"},
        {1, {0x01, 0x4f, 0x01, 0x00, 0x5f, 0x00}, 6, 1, UNSUP "gc (final subtype)"},
    };
    /* The same constructs when they do not decode completely: Wasm 2.0's error stands. */
    static const entry_case broken[] = {
        {1, {0x01, 0x5e, 0x78, 0x02}, 4, 1, "malformed function type 0x5e"},
        {1, {0x01, 0x4e, 0x01, 0x61}, 4, 1, "malformed function type 0x4e"},
        {2, {0x01, 0x00, 0x00, 0x04, 0x01, 0x00}, 6, 3, "malformed import kind 0x04"},
        {2, {0x01, 0x00, 0x00, 0x04, 0x00}, 5, 3, "malformed import kind 0x04"},
        {5, {0x01, 0x02, 0x00}, 3, 1, "integer too large: memory limits flag 0x02"},
        {5, {0x01, 0x04}, 2, 1, "integer too large: memory limits flag 0x04"},
        /* a page of 2^64 bytes or more: malformed with custom-page-sizes too */
        {5, {0x01, 0x08, 0x00, 0x40}, 4, 3, "invalid custom page size: 2^64 bytes"},
        {5, {0x01, 0x09, 0x00, 0x01, 0x41}, 5, 4, "invalid custom page size: 2^65 bytes"},
        {6, {0x01, 0x63, 0x7f, 0x00, 0xd0, 0x70, 0x0b}, 7, 1,
         "malformed value type 0x63: global type"},
        {4, {0x01, 0x40, 0x01, 0x70, 0x00, 0x00}, 6, 1,
         "malformed reference type 0x40: table element type"},
    };
    // clang-format on
    run_entry_cases_as(cases, KILN_ARRAY_LEN(cases), KILN_ERR_UNSUPPORTED);
    run_entry_cases(broken, KILN_ARRAY_LEN(broken));

    /* d->feature names the feature, as the message does. */
    wasm_builder mod = {0};
    wb_header(&mod);
    WB_SECTION(&mod, 1, 0x01, 0x5e, 0x7f, 0x00);
    wasm_module m;
    kiln_diag d;
    assert_false(decode(&mod, &m, &d));
    assert_string_equal(d.feature, KILN_FEATURE_GC);
    wasm_module_free(&m);
    /* A page size given as the default (2^16 bytes) is an ordinary memory: it decodes. */
    wb_reset(&mod);
    wb_header(&mod);
    WB_SECTION(&mod, 5, 0x01, 0x09, 0x01, 0x02, 0x10);
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.memory_count, 1);
    assert_int_equal(m.memories[0].type.limits.min, 1);
    assert_int_equal(m.memories[0].type.limits.max, 2);
    assert_true(m.memories[0].type.limits.has_max);
    assert_int_equal(m.memories[0].type.limits.page_log2, 16);
    wasm_module_free(&m);
    /* Other page sizes decode (custom-page-sizes); the validator allows 1 byte only. */
    wb_reset(&mod);
    wb_header(&mod);
    WB_SECTION(&mod, 5, 0x02, 0x08, 0x14, 0x00, 0x08, 0x01, 0x0c);
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.memory_count, 2);
    assert_int_equal(m.memories[0].type.limits.min, 20);
    assert_int_equal(m.memories[0].type.limits.page_log2, 0);
    assert_int_equal(m.memories[0].offset, 11);
    assert_int_equal(m.memories[1].type.limits.page_log2, 12);
    assert_int_equal(m.memories[1].offset, 14);
    wasm_module_free(&m);
    /* Shared memories (threads): flag 0x03, and 0x07 with 64-bit addresses. */
    wb_reset(&mod);
    wb_header(&mod);
    WB_SECTION(&mod, 5, 0x02, 0x03, 0x01, 0x04, 0x07, 0x00, 0x02);
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.memory_count, 2);
    assert_true(m.memories[0].type.limits.shared);
    assert_false(m.memories[0].type.limits.is64);
    assert_int_equal(m.memories[0].type.limits.max, 4);
    assert_true(m.memories[1].type.limits.shared);
    assert_true(m.memories[1].type.limits.is64);
    assert_int_equal(m.memories[1].type.limits.max, 2);
    wasm_module_free(&m);
    /* A shared memory without a maximum stays malformed, naming threads, which decodes it;
     * a table's flag 0x02 means nothing anywhere. */
    wb_reset(&mod);
    wb_header(&mod);
    WB_SECTION(&mod, 5, 0x01, 0x02, 0x00);
    assert_false(decode(&mod, &m, &d));
    assert_int_equal(d.code, KILN_ERR_MALFORMED);
    assert_string_equal(d.msg, "integer too large: memory limits flag 0x02");
    assert_string_equal(d.feature, KILN_FEATURE_THREADS);
    wasm_module_free(&m);
    wb_reset(&mod);
    wb_header(&mod);
    WB_SECTION(&mod, 4, 0x01, 0x70, 0x02, 0x00);
    assert_false(decode(&mod, &m, &d));
    assert_int_equal(d.code, KILN_ERR_MALFORMED);
    assert_null(d.feature);
    wasm_module_free(&m);
    wb_free(&mod);
}

static void test_wasm3_tag_section(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    wb_header(&mod);
    add_void_type(&mod);
    WB_SECTION(&mod, 13, 0x01, 0x00, 0x00); /* one tag of type 0 */
    wasm_module m;
    kiln_diag d;
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.tag_count, 1);
    assert_int_equal(m.tags[0].type_index, 0);
    assert_int_equal(m.tags[0].offset, 17);
    wasm_module_free(&m);
    /* Its place is between memory and global. */
    wb_reset(&mod);
    wb_header(&mod);
    WB_SECTION(&mod, 6, 0x00);
    WB_SECTION(&mod, 13, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 11, ORDER ": tag section after global section");
    /* Not a whole tag section: the id is unknown, as in Wasm 2.0. */
    wb_reset(&mod);
    wb_header(&mod);
    WB_SECTION(&mod, 13, 0x01, 0x01, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 8, "malformed section id 13");
    wb_reset(&mod);
    wb_header(&mod);
    WB_BYTES(&mod, 0x0d, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 8, "malformed section id 13");
    wb_free(&mod);
}

/* Exceptions decode (the compiler refuses them, features.c): tags imported, defined and
 * exported, exnref, try_table's catch clauses, the legacy try structure; and the decoder
 * notes the first exception instruction of the bodies. */
static void test_exceptions_decode(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    wb_header(&mod);
    WB_SECTION(&mod, 1, 0x01, 0x60, 0x01, 0x7f, 0x00);                 /* (i32) -> () */
    WB_SECTION(&mod, 2, 0x01, 0x01, 'm', 0x01, 't', 0x04, 0x00, 0x00); /* tag import */
    WB_SECTION(&mod, 3, 0x01, 0x00);
    WB_SECTION(&mod, 13, 0x01, 0x00, 0x00);           /* tag 1 */
    WB_SECTION(&mod, 7, 0x01, 0x01, 'e', 0x04, 0x01); /* export tag 1 */
    /* body: local exnref; block; try_table (catch 1 0) (catch_all_ref 0) end; end;
     * try; catch 0; catch_all; end; try; delegate 0; end */
    WB_SECTION(&mod, 10, 0x01, 0x1a, 0x01, 0x01, 0x69, 0x02, 0x40, 0x1f, 0x40, 0x02, 0x00, 0x01,
               0x00, 0x03, 0x00, 0x0b, 0x0b, 0x06, 0x40, 0x07, 0x00, 0x19, 0x0b, 0x06, 0x40, 0x18,
               0x00, 0x0b);
    wasm_module m;
    kiln_diag d;
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.tag_import_count, 1);
    assert_int_equal(m.tag_count, 2);
    assert_true(m.tags[0].imported);
    assert_int_equal(m.exports[0].kind, WASM_EXTERN_TAG);
    assert_int_equal(m.exports[0].index, 1);
    assert_int_equal(m.funcs[0].local_groups[0].type, WASM_VT_EXNREF);
    assert_string_equal(m.exception_use.what, "try_table");
    assert_int_equal(m.exception_use.func, 0);
    assert_int_equal(m.bytes[m.exception_use.offset], 0x1f);
    kiln_reader r;
    wasm_expr_reader(&r, &m, m.funcs[0].body, &d);
    wasm_instr ins;
    kiln_arena scratch;
    kiln_arena_init(&scratch, NULL);
    assert_true(dec_instr(&r, &scratch, &ins)); /* block */
    assert_true(dec_instr(&r, &scratch, &ins));
    assert_int_equal(ins.op, WASM_OP_TRY_TABLE);
    assert_int_equal(ins.u.block.catch_count, 2);
    assert_int_equal(ins.u.block.catches[0].kind, WASM_CATCH);
    assert_int_equal(ins.u.block.catches[0].tag, 1);
    assert_int_equal(ins.u.block.catches[0].label, 0);
    assert_int_equal(ins.u.block.catches[1].kind, WASM_CATCH_ALL_REF);
    assert_int_equal(ins.u.block.catches[1].label, 0);
    kiln_arena_free(&scratch);
    wasm_module_free(&m);

    /* The legacy structure: catch only in a try, nothing after catch_all, delegate only
     * before any catch. */
    static const struct {
        uint8_t bytes[8];
        size_t len, at;
        const char *msg;
    } bad[] = {
        {{0x02, 0x40, 0x07, 0x00, 0x0b},
         5,
         2,
         "END opcode expected: catch outside a try or after catch_all"},
        {{0x06, 0x40, 0x19, 0x19, 0x0b},
         5,
         3,
         "END opcode expected: catch_all outside a try or after catch_all"},
        {{0x06, 0x40, 0x07, 0x00, 0x18, 0x00},
         6,
         4,
         "END opcode expected: delegate outside a try or after a catch"},
        {{0x1f, 0x40, 0x01, 0x04, 0x00, 0x0b}, 6, 3, "malformed catch clause 0x04"},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(bad); i++) {
        wasm_builder body = {0}, one = {0};
        wb_byte(&body, 0x00);
        wb_raw(&body, bad[i].bytes, bad[i].len);
        wb_byte(&body, 0x0b);
        size_t at = one_func_module(&one, body.data, body.len, false, false);
        expect_decode_error(&one, KILN_ERR_MALFORMED, at + 1 + bad[i].at, bad[i].msg);
        wb_free(&one);
        wb_free(&body);
    }
    wb_free(&mod);
}

/* Recursion groups of function types decode (plain members and final ones without
 * supertypes); every type records its group. */
static void test_rec_groups_decode(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    wb_header(&mod);
    /* (type (func)) (rec (type (func (param (ref null 2)))) (sub final (func (param (ref 1)))))
     * (rec) */
    WB_SECTION(&mod, 1, 0x03, 0x60, 0x00, 0x00, 0x4e, 0x02, 0x60, 0x01, 0x63, 0x02, 0x00, 0x4f,
               0x00, 0x60, 0x01, 0x64, 0x01, 0x00, 0x4e, 0x00);
    wasm_module m;
    kiln_diag d;
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.type_count, 3);
    assert_int_equal(m.types[0].group, 0);
    assert_int_equal(m.types[0].group_size, 1);
    assert_int_equal(m.types[1].group, 1);
    assert_int_equal(m.types[1].group_size, 2);
    assert_int_equal(m.types[2].group, 1);
    assert_int_equal(m.types[2].group_size, 2);
    assert_int_equal(m.types[1].params[0], wasm_ref(WASM_HT_TYPE + 2, true));
    assert_int_equal(m.types[2].params[0], wasm_ref(WASM_HT_TYPE + 1, false));
    assert_true(kiln_validate_to_compile(&m, NULL, &d));
    wasm_module_free(&m);
    wb_free(&mod);
}

/* Wasm 3.0's typed function references decode: value types carry the heap type and
 * nullability (wasm_ref), the instructions their immediates, a table its initialiser. */
static void test_typed_refs_decode(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    wb_header(&mod);
    /* type 0: (func (param (ref func) (ref null 0) nullfuncref) (result (ref extern))) */
    WB_SECTION(&mod, 1, 0x01, 0x60, 0x03, 0x64, 0x70, 0x63, 0x00, 0x73, 0x01, 0x64, 0x6f);
    WB_SECTION(&mod, 3, 0x01, 0x00);
    /* table: 0x40 0x00 (ref 0) min 1, initialised with ref.func 0 */
    WB_SECTION(&mod, 4, 0x01, 0x40, 0x00, 0x64, 0x00, 0x00, 0x01, 0xd2, 0x00, 0x0b);
    /* elem: declarative, function indices: (ref func) */
    WB_SECTION(&mod, 9, 0x01, 0x03, 0x00, 0x01, 0x00);
    /* body: local (ref null extern)... call_ref 0, return_call_ref 0, ref.as_non_null,
     * br_on_null 0, br_on_non_null 0, ref.null 0, unreachable */
    WB_SECTION(&mod, 10, 0x01, 0x13, 0x01, 0x01, 0x63, 0x6f, 0x14, 0x00, 0x15, 0x00, 0xd4, 0xd5,
               0x00, 0xd6, 0x00, 0xd0, 0x00, 0xd0, 0x72, 0x00, 0x0b);
    wasm_module m;
    kiln_diag d;
    assert_true(decode(&mod, &m, &d));
    const wasm_functype *ft = &m.types[0];
    assert_int_equal(ft->param_count, 3);
    assert_int_equal(ft->params[0], wasm_ref(WASM_HT_FUNC, false));
    assert_int_equal(ft->params[1], WASM_VT_REF | WASM_VT_NULLABLE | (WASM_HT_TYPE + 0));
    assert_int_equal(ft->params[2], wasm_ref(WASM_HT_NOFUNC, true));
    assert_int_equal(ft->results[0], WASM_VT_REF | WASM_HT_EXTERN);
    assert_string_equal(wasm_valtype_name(ft->params[1]), "(ref null 0)");
    assert_string_equal(wasm_valtype_name(ft->results[0]), "(ref extern)");
    assert_true(m.tables[0].has_init);
    assert_int_equal(m.tables[0].type.elem, wasm_ref(WASM_HT_TYPE + 0, false));
    assert_int_equal(m.bytes[m.tables[0].init.offset], 0xd2);
    assert_int_equal(m.elems[0].type, wasm_ref(WASM_HT_FUNC, false));
    assert_int_equal(m.funcs[0].local_groups[0].type, WASM_VT_EXTERNREF); /* (ref null extern) */
    static const struct {
        uint16_t op;
        uint32_t index;
    } want[] = {{WASM_OP_CALL_REF, 0},
                {WASM_OP_RETURN_CALL_REF, 0},
                {WASM_OP_REF_AS_NON_NULL, 0},
                {WASM_OP_BR_ON_NULL, 0},
                {WASM_OP_BR_ON_NON_NULL, 0}};
    kiln_reader r;
    wasm_expr_reader(&r, &m, m.funcs[0].body, &d);
    wasm_instr ins;
    for (size_t i = 0; i < KILN_ARRAY_LEN(want); i++) {
        assert_true(dec_instr(&r, NULL, &ins));
        assert_int_equal(ins.op, want[i].op);
        assert_int_equal(ins.u.index, want[i].index);
    }
    assert_true(dec_instr(&r, NULL, &ins));
    assert_int_equal(ins.u.reftype, WASM_VT_REF | WASM_VT_NULLABLE | (WASM_HT_TYPE + 0));
    assert_true(dec_instr(&r, NULL, &ins));
    assert_int_equal(ins.u.reftype, wasm_ref(WASM_HT_NOEXTERN, true));
    wasm_module_free(&m);
    wb_free(&mod);
}

static void test_wasm3_instructions_unsupported(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[5];
        size_t len, at; /* the error's offset from the instruction */
        const char *msg, *feature;
    } cases[] = {
        {{0xd3}, 1, 0, UNSUP "gc (ref.eq)", "gc"},
        {{0xfb, 0x00, 0x00}, 3, 0, UNSUP "gc (struct.new)", "gc"},
        {{0xfb, 0x1c}, 2, 0, UNSUP "gc (ref.i31)", "gc"},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++) {
        wasm_builder body = {0}, mod = {0};
        wb_byte(&body, 0x00);
        wb_raw(&body, cases[i].bytes, cases[i].len);
        wb_byte(&body, 0x0b);
        size_t at = one_func_module(&mod, body.data, body.len, false, false);
        wasm_module m;
        kiln_diag d;
        assert_false(decode(&mod, &m, &d));
        expect_error(&d, KILN_ERR_UNSUPPORTED, at + 1 + cases[i].at, cases[i].msg);
        assert_string_equal(d.feature, cases[i].feature);
        assert_int_equal(d.func_index, 0);
        wasm_module_free(&m);
        wb_free(&mod);
        wb_free(&body);
    }
}

/* The threads proposal's 0xFE instructions decode with their memargs; atomic.fence's byte
 * must be 0; a code the proposal does not assign is an illegal opcode, as in 2.0. */
static void test_threads_instructions_decode(void **state)
{
    (void)state;
    static const uint8_t body[] = {0x00, 0xfe, 0x03, 0x00,             /* atomic.fence */
                                   0x41, 0x00, 0xfe, 0x10, 0x02, 0x08, /* i32.atomic.load */
                                   0x1a, 0x0b};
    wasm_builder mod = {0};
    size_t at = one_func_module(&mod, body, sizeof body, false, false);
    wasm_module m;
    kiln_diag d;
    assert_true(decode(&mod, &m, &d));
    kiln_reader r;
    wasm_expr_reader(&r, &m, m.funcs[0].body, &d);
    wasm_instr ins;
    assert_true(dec_instr(&r, NULL, &ins));
    assert_int_equal(ins.op, WASM_OP_ATOMIC_FENCE);
    assert_true(dec_instr(&r, NULL, &ins));
    assert_true(dec_instr(&r, NULL, &ins));
    assert_int_equal(ins.op, WASM_OP_I32_ATOMIC_LOAD);
    assert_int_equal(ins.u.memarg.mem.align, 2);
    assert_int_equal(ins.u.memarg.mem.offset, 8);
    wasm_module_free(&m);
    wb_free(&mod);

    static const struct {
        uint8_t bytes[3];
        size_t at; /* the error's offset from the instruction */
        const char *msg;
    } bad[] = {
        {{0xfe, 0x03, 0x01}, 2, "zero byte expected: atomic.fence's reserved byte is 0x01"},
        {{0xfe, 0x04, 0x00}, 0, "illegal opcode 0xfe"},
        {{0xfe, 0x4f, 0x00}, 0, "illegal opcode 0xfe"},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(bad); i++) {
        wasm_builder b = {0}, mb = {0};
        wb_byte(&b, 0x00);
        wb_raw(&b, bad[i].bytes, 3);
        wb_byte(&b, 0x0b);
        at = one_func_module(&mb, b.data, b.len, false, false);
        assert_false(decode(&mb, &m, &d));
        expect_error(&d, KILN_ERR_MALFORMED, at + 1 + bad[i].at, bad[i].msg);
        wasm_module_free(&m);
        wb_free(&mb);
        wb_free(&b);
    }
}

/* GC's abstract heap types (any, eq, i31, struct, array, none) decode wherever a reference
 * type may be, anyref spelt WASM_VT_ANYREF; their values are all null in Kiln. */
static void test_gc_abstract_types_decode(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    wasm_module m;
    kiln_diag d;
    wb_header(&mod);
    WB_SECTION(&mod, 1, 0x02, 0x60, 0x01, 0x6e, 0x00, 0x60, 0x01, 0x63, 0x6c, 0x01, 0x64, 0x71);
    WB_SECTION(&mod, 9, 0x01, 0x05, 0x64, 0x6b, 0x00);
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.types[0].params[0], WASM_VT_ANYREF);
    assert_int_equal(m.types[0].params[0], wasm_ref(WASM_HT_ANY, true));
    assert_int_equal(m.types[1].params[0], wasm_ref(WASM_HT_I31, true));
    assert_int_equal(m.types[1].results[0], wasm_ref(WASM_HT_NONE, false));
    assert_int_equal(m.elems[0].type, wasm_ref(WASM_HT_STRUCT, false));
    wasm_module_free(&m);
    wb_free(&mod);

    static const struct {
        uint8_t bytes[5];
        size_t len;
    } bodies[] = {
        {{0xd0, 0x6e, 0x1a}, 3},       /* ref.null any, drop */
        {{0x02, 0x64, 0x6b, 0x0b}, 4}, /* block (result (ref struct)) */
        {{0x02, 0x63, 0x6d, 0x0b}, 4}, /* block (result (ref null eq)) */
        {{0x1c, 0x01, 0x6a}, 3},       /* select (result arrayref) */
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(bodies); i++) {
        wasm_builder body = {0};
        wb_reset(&mod);
        wb_byte(&body, 0x00);
        wb_raw(&body, bodies[i].bytes, bodies[i].len);
        wb_byte(&body, 0x0b);
        one_func_module(&mod, body.data, body.len, false, false);
        assert_true(decode(&mod, &m, &d));
        wasm_module_free(&m);
        wb_free(&body);
    }
    /* A local of type eqref. */
    wb_reset(&mod);
    ONE_FUNC(&mod, 0x01, 0x01, 0x6d, 0x0b);
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.funcs[0].local_groups[0].type, wasm_ref(WASM_HT_EQ, true));
    wasm_module_free(&m);
    wb_free(&mod);
}

/* A module with two memories and one function whose body is `body`. */
static size_t two_memories_module(wasm_builder *mod, const uint8_t *body, size_t n, bool two)
{
    wb_header(mod);
    add_void_type(mod);
    WB_SECTION(mod, 3, 0x01, 0x00);
    if (two)
        WB_SECTION(mod, 5, 0x02, 0x00, 0x01, 0x00, 0x01);
    else
        WB_SECTION(mod, 5, 0x01, 0x00, 0x01);
    wb_byte(mod, 10);
    wb_u32(mod, (uint32_t)(n + 2));
    wb_byte(mod, 0x01);
    wb_byte(mod, (uint8_t)n);
    size_t at = mod->len;
    wb_raw(mod, body, n);
    return at;
}

static void test_wasm3_memory_indices(void **state)
{
    (void)state;
    /* memory.size 1: with several memories a memory index, else Wasm 2.0's zero byte. */
    static const uint8_t size1[] = {0x00, 0x3f, 0x01, 0x1a, 0x0b};
    wasm_builder mod = {0};
    wasm_module m;
    kiln_diag d;
    size_t at = two_memories_module(&mod, size1, sizeof size1, true);
    assert_true(decode(&mod, &m, &d)); /* multi-memory decodes */
    wasm_module_free(&m);
    wb_reset(&mod);
    at = two_memories_module(&mod, size1, sizeof size1, false);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, at + 2, "zero byte expected: memory index");
    /* memarg flag bit 6: a memory index follows the alignment. */
    static const uint8_t load_mem1[] = {0x00, 0x41, 0x00, 0x28, 0x42, 0x01, 0x00, 0x1a, 0x0b};
    wb_reset(&mod);
    at = two_memories_module(&mod, load_mem1, sizeof load_mem1, true);
    assert_true(decode(&mod, &m, &d));
    wasm_module_free(&m);
    static const uint8_t load_mem0[] = {0x00, 0x41, 0x00, 0x28, 0x42, 0x00, 0x00, 0x1a, 0x0b};
    wb_reset(&mod);
    at = two_memories_module(&mod, load_mem0, sizeof load_mem0, false);
    assert_true(decode(&mod, &m, &d)); /* memory 0, spelt the 3.0 way: decodes */
    wasm_module_free(&m);
    /* Flags of 2^7 and more are malformed. */
    static const uint8_t load_flags128[] = {0x00, 0x41, 0x00, 0x28, 0x80, 0x01, 0x00, 0x1a, 0x0b};
    wb_reset(&mod);
    at = two_memories_module(&mod, load_flags128, sizeof load_flags128, false);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, at + 4, "malformed memop flags 0x80");
    wb_free(&mod);
}

/* A 3.0 construct that is read completely does not stop decoding: a malformed byte after it
 * makes the module malformed, as the spec's decode-then-validate order requires. */
static void test_wasm3_malformed_after_wins(void **state)
{
    (void)state;
    /* A 64-bit memory, then an i32.load whose u64 offset has an unused bit set. */
    static const uint8_t load[] = {0x00, 0x42, 0x00, 0x28, 0x02, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x1a, 0x0b};
    /* The same with a 64-bit table (table64) before the memory. With the offset 2^64 - 1
     * both decode (a 64-bit memory takes any u64 offset). */
    wasm_builder mod = {0};
    for (int table64 = 0; table64 <= 1; table64++) {
        wb_reset(&mod);
        wb_header(&mod);
        add_void_type(&mod);
        WB_SECTION(&mod, 3, 0x01, 0x00);
        if (table64)
            WB_SECTION(&mod, 4, 0x01, 0x70, 0x04, 0x00);
        WB_SECTION(&mod, 5, 0x01, 0x04, 0x00);
        wb_byte(&mod, 10);
        wb_u32(&mod, (uint32_t)(sizeof load + 2));
        wb_byte(&mod, 0x01);
        wb_byte(&mod, (uint8_t)sizeof load);
        size_t at = mod.len;
        wb_raw(&mod, load, sizeof load);
        expect_decode_error(&mod, KILN_ERR_MALFORMED, at + 14, "integer too large: memarg offset");
        mod.data[at + 14] = 0x01;
        wasm_module m64;
        kiln_diag d64;
        assert_true(decode(&mod, &m64, &d64));
        assert_true(m64.memories[0].type.limits.is64);
        if (table64) {
            assert_true(m64.tables[0].type.limits.is64);
            assert_int_equal(m64.tables[0].type.limits.min, 0);
        }
        wasm_module_free(&m64);
    }
    /* A tag import, then a malformed export kind. */
    wb_reset(&mod);
    wb_header(&mod);
    WB_SECTION(&mod, 2, 0x01, 0x00, 0x00, 0x04, 0x00, 0x00);
    WB_SECTION(&mod, 7, 0x01, 0x00, 0x05, 0x00);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 20, "malformed export kind 0x05");
    /* A typed reference local, then an opcode unknown in every version. */
    wb_reset(&mod);
    size_t at = ONE_FUNC(&mod, 0x01, 0x01, 0x64, 0x70, 0x27, 0x0b);
    expect_decode_error(&mod, KILN_ERR_MALFORMED, at + 4, "illegal opcode 0x27");
    /* A gc instruction, then a threads one: the first unsupported construct is reported. */
    wb_reset(&mod);
    at = ONE_FUNC(&mod, 0x00, 0xfb, 0x1c, 0xfe, 0x03, 0x00, 0x0b);
    wasm_module m;
    kiln_diag d;
    assert_false(decode(&mod, &m, &d));
    expect_error(&d, KILN_ERR_UNSUPPORTED, at + 1, UNSUP "gc (ref.i31)");
    assert_int_equal(d.func_index, 0);
    wasm_module_free(&m);
    wb_free(&mod);
}

static void test_malformed_segments(void **state)
{
    (void)state;
    // clang-format off
    static const entry_case cases[] = {
        {9, {0x01, 0x08, 0x00, 0x00}, 4, 1, "malformed elements segment kind 8"},
        {9, {0x01, 0x80, 0x01, 0x00, 0x00}, 5, 1, "malformed elements segment kind 128"},
        {9, {0x01, 0x01, 0x01, 0x00}, 4, 2, "malformed element kind 0x01"},
        {9, {0x01, 0x03, 0x70, 0x00}, 4, 2, "malformed element kind 0x70"},
        {9, {0x01, 0x05, 0x7f, 0x01, 0xd2, 0x00, 0x0b}, 7, 2,
         "malformed reference type 0x7f: element segment type"},
        {9, {0x01, 0x05, 0x70, 0x01, 0xf3, 0x00, 0x0b}, 7, 4, "illegal opcode 0xf3"},
        {9, {0x01, 0x05, 0x70, 0x01, 0xd0, 0x7f, 0x0b}, 7, 5,
         "malformed reference type 0x7f: ref.null type"},
        {9, {0x02, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00}, 7, 7, END ": element segment flags"},
        {11, {0x01, 0x03, 0x00}, 3, 1, "malformed data segment kind 3"},
        {11, {0x01, 0x01, 0x03, 'a', 'b'}, 5, 2, END ": data segment size"},
        {11, {0x01, 0x01, 0x04, 'a', 'b'}, 5, 2, "length out of bounds: data segment size"},
        {11, {0x01, 0x00, 0x41, 0x00, 0x00}, 5, 5, END ": constant expression has no end"},
        {12, {0x80, 0x80, 0x80, 0x80, 0x10}, 5, 4, "integer too large: data count"},
        {8, {0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 6, 5,
         "integer representation too long: start function index"},
    };
    // clang-format on
    run_entry_cases(cases, KILN_ARRAY_LEN(cases));
}

/*
 * Custom sections and the name section
 */

static void test_custom_section_name_must_be_utf8(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    wb_header(&mod);
    WB_SECTION(&mod, 0, 0x02, 0xc0, 0x80, 'p', 'a', 'y');
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 10,
                        "malformed UTF-8 encoding: custom section name");
    wb_free(&mod);

    wb_header(&mod);
    WB_SECTION(&mod, 0, 0x05, 'a', 'b');
    expect_decode_error(&mod, KILN_ERR_MALFORMED, 10, "length out of bounds: custom section name");
    wb_free(&mod);

    /* The payload is opaque, even if it is not UTF-8; an empty name is fine. */
    wb_header(&mod);
    WB_SECTION(&mod, 0, 0x00, 0xff, 0xfe);
    expect_decode_ok(&mod);
    wb_free(&mod);
}

typedef struct name_case {
    uint8_t payload[24]; /* after the name "name" */
    size_t len;
    size_t offset; /* of the error, from the first payload byte */
    const char *msg;
} name_case;

static void test_malformed_name_section_is_ignored(void **state)
{
    (void)state;
    // clang-format off
    static const name_case cases[] = {
        /* function names with invalid UTF-8 */
        {{0x01, 0x05, 0x01, 0x00, 0x02, 0xc0, 0x80}, 7, 4,
         "malformed UTF-8 encoding: function names"},
        /* function name indices not increasing */
        {{0x01, 0x07, 0x02, 0x01, 0x01, 'a', 0x01, 0x01, 'b'}, 9, 6,
         "name map indices not in increasing order: function names"},
        /* subsections out of order / repeated */
        {{0x01, 0x01, 0x00, 0x00, 0x01, 0x00}, 6, 3, "name subsection 0 out of order"},
        {{0x01, 0x01, 0x00, 0x01, 0x01, 0x00}, 6, 3, "name subsection 1 out of order"},
        /* a subsection bigger than the section */
        {{0x01, 0x09, 0x00}, 3, 1, "length out of bounds: name subsection size"},
        /* a subsection with bytes left over */
        {{0x00, 0x03, 0x01, 'm', 0x00}, 5, 4, "section size mismatch: name subsection 0"},
        /* a module name running off its subsection */
        {{0x00, 0x02, 0x03, 'm', 'o', 'd'}, 6, 2, "length out of bounds: module name"},
        /* local names not increasing */
        {{0x02, 0x07, 0x01, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00}, 9, 7,
         "name map indices not in increasing order: local names"},
        /* a subsection id with no size */
        {{0x01}, 1, 1, END ": name subsection size"},
    };
    // clang-format on
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++) {
        wasm_builder mod = {0}, s = {0};
        wb_header(&mod);
        wb_name(&s, "name");
        size_t payload = mod.len + 2 + s.len;
        wb_raw(&s, cases[i].payload, cases[i].len);
        wb_section(&mod, 0, &s);
        add_void_type(&mod);
        wasm_module m;
        kiln_diag d;
        assert_true(decode(&mod, &m, &d));
        assert_int_equal(d.code, KILN_OK);
        assert_int_equal(m.type_count, 1); /* decoding went on */
        expect_error(&m.name_section_error, KILN_ERR_MALFORMED, payload + cases[i].offset,
                     cases[i].msg);
        /* Names parsed before the error are dropped, not half-kept. */
        assert_false(m.has_module_name);
        assert_int_equal(m.func_name_count, 0);
        assert_int_equal(m.local_name_count, 0);
        wasm_module_free(&m);
        wb_free(&mod);
        wb_free(&s);
    }
}

static void test_name_section_unknown_subsections_skipped(void **state)
{
    (void)state;
    wasm_builder mod = {0}, s = {0};
    wb_header(&mod);
    wb_name(&s, "name");
    WB_BYTES(&s, 0x00, 0x02, 0x01, 'x');        /* module name "x" */
    WB_BYTES(&s, 0x04, 0x03, 0xaa, 0xbb, 0xcc); /* type names (extended names): skipped */
    WB_BYTES(&s, 0x07, 0x00);                   /* global names, empty */
    wb_section(&mod, 0, &s);
    wasm_module m;
    kiln_diag d;
    assert_true(decode(&mod, &m, &d));
    assert_int_equal(m.name_section_error.code, KILN_OK);
    assert_true(m.has_module_name);
    assert_memory_equal(m.module_name.ptr, "x", 1);
    wasm_module_free(&m);
    wb_free(&mod);
    wb_free(&s);
}

/*
 * dec_instr
 */

typedef struct instr_fixture {
    kiln_reader r;
    kiln_diag d;
    wasm_instr ins;
} instr_fixture;

static bool decode_instr(instr_fixture *f, const uint8_t *bytes, size_t n, kiln_arena *scratch)
{
    kiln_diag_init(&f->d);
    rd_init(&f->r, bytes, n, &f->d);
    return dec_instr(&f->r, scratch, &f->ins);
}
#define INSTR(f, scratch, ...)                                                                     \
    decode_instr((f), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}),      \
                 (scratch))

static void test_dec_instr_block_types(void **state)
{
    (void)state;
    instr_fixture f;
    assert_true(INSTR(&f, NULL, 0x02, 0x40));
    assert_int_equal(f.ins.op, WASM_OP_BLOCK);
    assert_int_equal(f.ins.u.block.kind, WASM_BT_EMPTY);
    assert_true(INSTR(&f, NULL, 0x03, 0x7b));
    assert_int_equal(f.ins.op, WASM_OP_LOOP);
    assert_int_equal(f.ins.u.block.kind, WASM_BT_VALUE);
    assert_int_equal(f.ins.u.block.value, WASM_VT_V128);
    assert_true(INSTR(&f, NULL, 0x04, 0x6f));
    assert_int_equal(f.ins.u.block.value, WASM_VT_EXTERNREF);
    assert_true(INSTR(&f, NULL, 0x02, 0x05));
    assert_int_equal(f.ins.u.block.kind, WASM_BT_TYPE);
    assert_int_equal(f.ins.u.block.type_index, 5);
    assert_true(INSTR(&f, NULL, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f));
    assert_int_equal(f.ins.u.block.type_index, UINT32_MAX);
    assert_true(rd_done(&f.r));

    /* One-byte negative values that are not value types. */
    assert_false(INSTR(&f, NULL, 0x02, 0x7a));
    expect_error(&f.d, KILN_ERR_MALFORMED, 1, "malformed value type 0x7a: block type");
    assert_false(INSTR(&f, NULL, 0x02, 0x60));
    expect_error(&f.d, KILN_ERR_MALFORMED, 1, "malformed value type 0x60: block type");
    /* A negative s33 spelled with more bytes is no type index either. */
    assert_false(INSTR(&f, NULL, 0x02, 0xff, 0x7f));
    expect_error(&f.d, KILN_ERR_MALFORMED, 1, "malformed block type -1");
    assert_false(INSTR(&f, NULL, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10));
    expect_error(&f.d, KILN_ERR_MALFORMED, 5, "integer too large: block type");
    assert_false(INSTR(&f, NULL, 0x02));
    expect_error(&f.d, KILN_ERR_MALFORMED, 1, END ": block type");
}

static void test_dec_instr_br_table(void **state)
{
    (void)state;
    instr_fixture f;
    kiln_arena scratch;
    kiln_arena_init(&scratch, NULL);
    assert_true(INSTR(&f, &scratch, 0x0e, 0x03, 0x00, 0x01, 0x80, 0x01, 0x02));
    assert_int_equal(f.ins.op, WASM_OP_BR_TABLE);
    assert_int_equal(f.ins.u.br_table.count, 3);
    assert_int_equal(f.ins.u.br_table.targets[0], 0);
    assert_int_equal(f.ins.u.br_table.targets[1], 1);
    assert_int_equal(f.ins.u.br_table.targets[2], 128);
    assert_int_equal(f.ins.u.br_table.default_target, 2);
    /* Without a scratch arena the targets are checked, not kept. */
    assert_true(INSTR(&f, NULL, 0x0e, 0x01, 0x07, 0x00));
    assert_null(f.ins.u.br_table.targets);
    assert_int_equal(f.ins.u.br_table.default_target, 0);
    assert_true(INSTR(&f, &scratch, 0x0e, 0x00, 0x04));
    assert_int_equal(f.ins.u.br_table.count, 0);
    assert_int_equal(f.ins.u.br_table.default_target, 4);
    /* Missing default. */
    assert_false(INSTR(&f, &scratch, 0x0e, 0x01, 0x00));
    expect_error(&f.d, KILN_ERR_MALFORMED, 3, END ": br_table default target");
    kiln_arena_free(&scratch);

    /* The scratch allocation failing is KILN_ERR_NOMEM. */
    counting_allocator ca;
    counting_init(&ca, 1);
    kiln_arena_init(&scratch, &ca.base);
    assert_false(INSTR(&f, &scratch, 0x0e, 0x01, 0x00, 0x00));
    assert_int_equal(f.d.code, KILN_ERR_NOMEM);
    kiln_arena_free(&scratch);
    assert_int_equal(ca.live, 0);
}

static void test_dec_instr_memory_immediates(void **state)
{
    (void)state;
    instr_fixture f;
    assert_true(INSTR(&f, NULL, 0x28, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f));
    assert_int_equal(f.ins.op, WASM_OP_I32_LOAD);
    assert_int_equal(f.ins.u.memarg.mem.align, 2);
    assert_true(f.ins.u.memarg.mem.offset == UINT32_MAX);
    /* Offsets are u64 as in Wasm 3.0 (2.0's u32 error goes to r.wasm2 when that is set; the
     * validator bounds the value) ... */
    assert_true(INSTR(&f, NULL, 0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10));
    assert_true(f.ins.u.memarg.mem.offset == UINT64_C(0x100000000));
    assert_true(
        INSTR(&f, NULL, 0x28, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01));
    assert_true(f.ins.u.memarg.mem.offset == UINT64_MAX);
    /* ... beyond a u64 they are malformed, with the error of 2.0's u32 read. */
    assert_false(
        INSTR(&f, NULL, 0x28, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02));
    expect_error(&f.d, KILN_ERR_MALFORMED, 6, "integer too large: memarg offset");
    assert_false(INSTR(&f, NULL, 0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                       0x80, 0x00));
    expect_error(&f.d, KILN_ERR_MALFORMED, 7, "integer representation too long: memarg offset");
    assert_false(INSTR(&f, NULL, 0x36, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00));
    expect_error(&f.d, KILN_ERR_MALFORMED, 6, "integer representation too long: memarg alignment");

    assert_true(INSTR(&f, NULL, 0x3f, 0x00));
    assert_int_equal(f.ins.op, WASM_OP_MEMORY_SIZE);
    assert_false(INSTR(&f, NULL, 0x40, 0x01));
    expect_error(&f.d, KILN_ERR_MALFORMED, 1, "zero byte expected: memory index");
    assert_false(INSTR(&f, NULL, 0x40, 0x80, 0x00)); /* a byte, not a LEB128 zero */
    expect_error(&f.d, KILN_ERR_MALFORMED, 1, "zero byte expected: memory index");

    assert_true(INSTR(&f, NULL, 0xfc, 0x08, 0x81, 0x01, 0x00));
    assert_int_equal(f.ins.op, WASM_OP_MEMORY_INIT);
    assert_int_equal(f.ins.u.memory_init.data, 129);
    assert_false(INSTR(&f, NULL, 0xfc, 0x08, 0x00, 0x01));
    expect_error(&f.d, KILN_ERR_MALFORMED, 3, "zero byte expected: memory index");
    assert_true(INSTR(&f, NULL, 0xfc, 0x0a, 0x00, 0x00));
    assert_int_equal(f.ins.op, WASM_OP_MEMORY_COPY);
    assert_false(INSTR(&f, NULL, 0xfc, 0x0a, 0x00, 0x01));
    expect_error(&f.d, KILN_ERR_MALFORMED, 3, "zero byte expected: memory index");
    assert_false(INSTR(&f, NULL, 0xfc, 0x0b, 0x02));
    expect_error(&f.d, KILN_ERR_MALFORMED, 2, "zero byte expected: memory index");
    assert_true(INSTR(&f, NULL, 0xfc, 0x09, 0x03));
    assert_int_equal(f.ins.op, WASM_OP_DATA_DROP);
    assert_int_equal(f.ins.u.index, 3);

    /* v128.load16_lane: memarg, then the lane byte. */
    assert_true(INSTR(&f, NULL, 0xfd, 0x55, 0x01, 0x10, 0x07));
    assert_int_equal(f.ins.op, WASM_OP_V128_LOAD16_LANE);
    assert_int_equal(f.ins.u.memarg.mem.align, 1);
    assert_int_equal(f.ins.u.memarg.mem.offset, 16);
    assert_int_equal(f.ins.u.memarg.lane, 7);
}

static void test_dec_instr_other_immediates(void **state)
{
    (void)state;
    instr_fixture f;
    assert_true(INSTR(&f, NULL, 0x41, 0x80, 0x80, 0x80, 0x80, 0x78));
    assert_int_equal(f.ins.op, WASM_OP_I32_CONST);
    assert_int_equal(f.ins.u.i32, INT32_MIN);
    assert_true(INSTR(&f, NULL, 0x42, 0x7f));
    assert_true(f.ins.u.i64 == -1);
    assert_true(INSTR(&f, NULL, 0x43, 0x00, 0x00, 0xc0, 0x7f));
    assert_int_equal(f.ins.u.f32_bits, 0x7fc00000u);
    assert_true(INSTR(&f, NULL, 0x44, 1, 2, 3, 4, 5, 6, 7, 8));
    assert_true(f.ins.u.f64_bits == 0x0807060504030201ull);

    assert_true(INSTR(&f, NULL, 0x11, 0x05, 0x02));
    assert_int_equal(f.ins.op, WASM_OP_CALL_INDIRECT);
    assert_int_equal(f.ins.u.call_indirect.type_index, 5);
    assert_int_equal(f.ins.u.call_indirect.table, 2);
    assert_true(INSTR(&f, NULL, 0xfc, 0x0c, 0x03, 0x01)); /* table.init elem 3, table 1 */
    assert_int_equal(f.ins.op, WASM_OP_TABLE_INIT);
    assert_int_equal(f.ins.u.table_init.elem, 3);
    assert_int_equal(f.ins.u.table_init.table, 1);
    assert_true(INSTR(&f, NULL, 0xfc, 0x0e, 0x04, 0x06)); /* table.copy dst 4, src 6 */
    assert_int_equal(f.ins.u.table_copy.dst, 4);
    assert_int_equal(f.ins.u.table_copy.src, 6);
    assert_true(INSTR(&f, NULL, 0x25, 0x09));
    assert_int_equal(f.ins.op, WASM_OP_TABLE_GET);
    assert_int_equal(f.ins.u.index, 9);
    assert_true(INSTR(&f, NULL, 0xd2, 0x8f, 0x01));
    assert_int_equal(f.ins.op, WASM_OP_REF_FUNC);
    assert_int_equal(f.ins.u.index, 143);

    assert_true(INSTR(&f, NULL, 0xd0, 0x70));
    assert_int_equal(f.ins.u.reftype, WASM_VT_FUNCREF);
    assert_false(INSTR(&f, NULL, 0xd0, 0x7f));
    expect_error(&f.d, KILN_ERR_MALFORMED, 1, "malformed reference type 0x7f: ref.null type");

    assert_true(INSTR(&f, NULL, 0x1c, 0x02, 0x7e, 0x7f));
    assert_int_equal(f.ins.op, WASM_OP_SELECT_T);
    assert_int_equal(f.ins.u.select.count, 2);
    assert_int_equal(f.ins.u.select.type, WASM_VT_I64);
    assert_true(INSTR(&f, NULL, 0x1c, 0x00));
    assert_int_equal(f.ins.u.select.count, 0);
    assert_false(INSTR(&f, NULL, 0x1c, 0x01, 0x40));
    expect_error(&f.d, KILN_ERR_MALFORMED, 2, "malformed value type 0x40: select type");

    assert_true(INSTR(&f, NULL, 0xfd, 0x0c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    assert_int_equal(f.ins.op, WASM_OP_V128_CONST);
    assert_int_equal(f.ins.u.v128[15], 15);
    assert_true(INSTR(&f, NULL, 0xfd, 0x0d, 31, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0));
    assert_int_equal(f.ins.op, WASM_OP_I8X16_SHUFFLE);
    assert_int_equal(f.ins.u.v128[0], 31);
    assert_false(INSTR(&f, NULL, 0xfd, 0x0c, 0, 1, 2));
    expect_error(&f.d, KILN_ERR_MALFORMED, 2, END ": v128 constant");
    assert_true(INSTR(&f, NULL, 0xfd, 0x15, 0x0f));
    assert_int_equal(f.ins.op, WASM_OP_I8X16_EXTRACT_LANE_S);
    assert_int_equal(f.ins.u.lane, 15);

    assert_true(INSTR(&f, NULL, 0xfc, 0x00));
    assert_int_equal(f.ins.op, WASM_OP_I32_TRUNC_SAT_F32_S);
    assert_int_equal(f.ins.offset, 0);
    assert_true(INSTR(&f, NULL, 0x0b));
    assert_int_equal(f.ins.op, WASM_OP_END);
    assert_false(INSTR(&f, NULL, 0xfd));
    expect_error(&f.d, KILN_ERR_MALFORMED, 1, END ": opcode");
}

/*
 * Allocation failure: fail the N-th allocation for every N (Lua's ltests.c).
 */

static void test_nomem_at_every_allocation(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    build_full_module(&mod, true);
    size_t n;
    for (n = 1;; n++) {
        counting_allocator ca;
        counting_init(&ca, n);
        wasm_module m;
        kiln_diag d;
        bool ok = kiln_decode(&m, mod.data, mod.len, &ca.base, &d);
        if (ok) {
            assert_true(ca.calls < n); /* the failure point was never reached */
            assert_int_equal(m.name_section_error.code, KILN_OK);
        } else {
            assert_int_equal(d.code, KILN_ERR_NOMEM);
            assert_int_equal(d.offset, KILN_NO_OFFSET);
            assert_int_equal(d.func_index, KILN_NO_FUNC);
            assert_int_equal(strncmp(d.msg, "out of memory: ", 15), 0);
        }
        wasm_module_free(&m);
        assert_int_equal(ca.live, 0);
        if (ok)
            break;
        assert_true(n < 1000);
    }
    assert_true(n > 1); /* the module needs at least one allocation */
    wb_free(&mod);
}

static void test_decode_with_default_allocator_and_limits(void **state)
{
    (void)state;
    wasm_builder mod = {0};
    build_full_module(&mod, false);
    wasm_module m;
    kiln_diag d;
    assert_true(kiln_decode(&m, mod.data, mod.len, NULL, &d));
    assert_int_equal(m.func_name_count, 0);
    assert_false(wasm_module_func_name(&m, 0, &(wasm_str){0}));
    wasm_module_free(&m);

    /* Modules over KILN_MAX_MODULE_SIZE are refused before reading (nothing is read, so
     * the size alone is enough for the test). */
    assert_false(kiln_decode(&m, mod.data, (size_t)KILN_MAX_MODULE_SIZE + 1, NULL, &d));
    expect_error(&d, KILN_ERR_LIMIT, KILN_NO_OFFSET,
                 "module of 1073741825 bytes exceeds the limit of 1073741824 "
                 "(KILN_MAX_MODULE_SIZE)");
    wasm_module_free(&m);
    wb_free(&mod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_empty_module),
        cmocka_unit_test(test_decode_preamble_errors),
        cmocka_unit_test(test_decode_full_module),
        cmocka_unit_test(test_func_name_lookup_sparse),
        cmocka_unit_test(test_section_order),
        cmocka_unit_test(test_every_section_in_order_with_customs_between),
        cmocka_unit_test(test_malformed_section_ids),
        cmocka_unit_test(test_section_size_mismatch_every_kind),
        cmocka_unit_test(test_section_content_runs_off_its_end),
        cmocka_unit_test(test_section_size_bounds),
        cmocka_unit_test(test_function_and_code_counts),
        cmocka_unit_test(test_data_count_rules),
        cmocka_unit_test(test_huge_counts_fail_without_allocating),
        cmocka_unit_test(test_limits_are_class_limit),
        cmocka_unit_test(test_locals),
        cmocka_unit_test(test_body_missing_end),
        cmocka_unit_test(test_body_else_placement),
        cmocka_unit_test(test_body_nesting_limit),
        cmocka_unit_test(test_body_illegal_opcodes),
        cmocka_unit_test(test_malformed_wins_over_invalid),
        cmocka_unit_test(test_body_errors_name_the_function),
        cmocka_unit_test(test_malformed_types_and_limits),
        cmocka_unit_test(test_limits_and_offsets_u64),
        cmocka_unit_test(test_malformed_imports_and_exports),
        cmocka_unit_test(test_wasm3_section_entries_unsupported),
        cmocka_unit_test(test_wasm3_tag_section),
        cmocka_unit_test(test_typed_refs_decode),
        cmocka_unit_test(test_exceptions_decode),
        cmocka_unit_test(test_rec_groups_decode),
        cmocka_unit_test(test_wasm3_instructions_unsupported),
        cmocka_unit_test(test_threads_instructions_decode),
        cmocka_unit_test(test_gc_abstract_types_decode),
        cmocka_unit_test(test_wasm3_memory_indices),
        cmocka_unit_test(test_wasm3_malformed_after_wins),
        cmocka_unit_test(test_malformed_segments),
        cmocka_unit_test(test_custom_section_name_must_be_utf8),
        cmocka_unit_test(test_malformed_name_section_is_ignored),
        cmocka_unit_test(test_name_section_unknown_subsections_skipped),
        cmocka_unit_test(test_dec_instr_block_types),
        cmocka_unit_test(test_dec_instr_br_table),
        cmocka_unit_test(test_dec_instr_memory_immediates),
        cmocka_unit_test(test_dec_instr_other_immediates),
        cmocka_unit_test(test_nomem_at_every_allocation),
        cmocka_unit_test(test_decode_with_default_allocator_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
