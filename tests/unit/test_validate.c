/* test_validate.c -- kiln_validate: the Wasm 2.0 validation rules, one rule per test.
 *
 * Every test builds a small module in memory with the byte builder below (sections get their
 * sizes computed, code bodies their offsets recorded), runs kiln_decode, which must succeed,
 * and then kiln_validate. Failing cases assert the class, the exact byte offset, the function
 * index and the message prefix (the spec's assert_invalid wording). Offsets of instructions
 * are written as AT(&w, body, k): byte k of code body `body`, counting from its locals vector.
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

/*
 * A tiny module builder
 */

typedef struct wmod {
    uint8_t *b;
    size_t n, cap;
    size_t sec_at[14]; /* offset of each section's content, by id */
    size_t body_at[4]; /* offset of each code body's first byte (its locals vector) */
} wmod;

typedef struct wbytes {
    const uint8_t *p;
    size_t n;
} wbytes;

#define BYTES(...)          (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define SECTION(w, id, ...) add_section((w), (id), BYTES(__VA_ARGS__))
#define CODE1(w, ...)       add_code((w), 1, (const wbytes[]){{BYTES(__VA_ARGS__)}})
#define AT(w, body, k)      ((w)->body_at[(body)] + (k))

enum {
    I32 = 0x7F,
    I64 = 0x7E,
    F32 = 0x7D,
    F64 = 0x7C,
    V128 = 0x7B,
    FUNCREF = 0x70,
    EXTERNREF = 0x6F
};
enum { END = 0x0B, I32_CONST = 0x41, I64_CONST = 0x42, I32_ADD = 0x6A, DROP = 0x1A };

static void put(wmod *w, const uint8_t *p, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2;
        w->b = realloc(w->b, w->cap);
        assert_non_null(w->b);
    }
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void put_leb(wmod *w, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        if (v)
            byte |= 0x80;
        put(w, &byte, 1);
    } while (v);
}

static size_t leb_size(uint64_t v)
{
    size_t n = 1;
    while (v >>= 7)
        n++;
    return n;
}

static void begin(wmod *w)
{
    memset(w, 0, sizeof *w);
    put(w, (const uint8_t[]){0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}, 8);
}

static void add_section(wmod *w, uint8_t id, const uint8_t *content, size_t n)
{
    put(w, &id, 1);
    put_leb(w, n);
    w->sec_at[id] = w->n;
    put(w, content, n);
}

/* A code section; each body is its locals vector, its instructions and its end. */
static void add_code(wmod *w, size_t count, const wbytes *bodies)
{
    size_t size = leb_size(count);
    for (size_t i = 0; i < count; i++)
        size += leb_size(bodies[i].n) + bodies[i].n;
    put(w, (const uint8_t[]){10}, 1);
    put_leb(w, size);
    w->sec_at[10] = w->n;
    put_leb(w, count);
    for (size_t i = 0; i < count; i++) {
        put_leb(w, bodies[i].n);
        w->body_at[i] = w->n;
        put(w, bodies[i].p, bodies[i].n);
    }
}

/* Type section with one type [] -> [results...] and one function of that type. */
static void one_func_header(wmod *w, uint8_t result_count, uint8_t result)
{
    if (result_count)
        SECTION(w, 1, 0x01, 0x60, 0x00, 0x01, result);
    else
        SECTION(w, 1, 0x01, 0x60, 0x00, 0x00);
    SECTION(w, 3, 0x01, 0x00);
}

/*
 * Running the pipeline
 */

static kiln_diag run(wmod *w, const kiln_allocator *alloc)
{
    kiln_diag d;
    kiln_diag_init(&d);
    wasm_module m;
    bool decoded = kiln_decode(&m, w->b, w->n, NULL, &d);
    if (!decoded) {
        char text[256];
        kiln_diag_format(&d, "module", text, sizeof text);
        wasm_module_free(&m);
        fail_msg("the test module does not decode: %s", text);
    }
    bool ok = kiln_validate(&m, alloc, &d);
    assert_true(ok == (d.code == KILN_OK));
    wasm_module_free(&m);
    return d;
}

static void expect_valid(wmod *w)
{
    kiln_diag d = run(w, NULL);
    if (d.code != KILN_OK) {
        char text[256];
        kiln_diag_format(&d, "module", text, sizeof text);
        free(w->b);
        fail_msg("expected a valid module: %s", text);
    }
    free(w->b);
}

static void expect_error(wmod *w, kiln_err code, size_t offset, uint32_t func_index,
                         const char *prefix)
{
    kiln_diag d = run(w, NULL);
    free(w->b);
    if (d.code != code || d.offset != offset || d.func_index != func_index ||
        strncmp(d.msg, prefix, strlen(prefix)) != 0)
        fail_msg("expected %s at 0x%zx in function %d, \"%s...\"; got %s at 0x%zx in function "
                 "%d, \"%s\"",
                 kiln_err_class(code), offset, (int)func_index, prefix, kiln_err_class(d.code),
                 d.offset, (int)d.func_index, d.msg);
}

static void expect_invalid(wmod *w, size_t offset, uint32_t func_index, const char *prefix)
{
    expect_error(w, KILN_ERR_INVALID, offset, func_index, prefix);
}

/* Module-level errors carry no function index. */
static void expect_invalid_module(wmod *w, size_t offset, const char *prefix)
{
    expect_error(w, KILN_ERR_INVALID, offset, KILN_NO_FUNC, prefix);
}

/*
 * Instructions: operand types
 */

static void test_validate_binop_type_mismatch(void **state)
{
    (void)state;
    wmod w;
    begin(&w);
    one_func_header(&w, 1, I32);
    /* (func (result i32) i32.const 1 f32.const 0 i32.add) */
    CODE1(&w, 0x00, I32_CONST, 0x01, 0x43, 0x00, 0x00, 0x00, 0x00, I32_ADD, END);
    expect_invalid(&w, AT(&w, 0, 8), 0, "type mismatch: i32.add expects i32 but got f32");
}

static void test_validate_empty_stack(void **state)
{
    (void)state;
    wmod w;
    begin(&w);
    one_func_header(&w, 1, I32);
    CODE1(&w, 0x00, I32_CONST, 0x01, I32_ADD, END);
    expect_invalid(&w, AT(&w, 0, 3), 0, "type mismatch: i32.add expects i32 but got nothing");
}

static void test_validate_function_result(void **state)
{
    (void)state;
    wmod w;
    /* Missing result: the final end pops i32 from an empty stack. */
    begin(&w);
    one_func_header(&w, 1, I32);
    CODE1(&w, 0x00, END);
    expect_invalid(&w, AT(&w, 0, 1), 0,
                   "type mismatch: instruction requires [i32] but stack has [] (end)");
    /* An extra value at the end of a [] -> [] function. */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, I32_CONST, 0x00, END);
    expect_invalid(&w, AT(&w, 0, 3), 0,
                   "type mismatch: block requires [] but stack has [i32] (end)");
}

static void test_validate_unreachable_polymorphism(void **state)
{
    (void)state;
    static const struct {
        uint8_t body[16];
        size_t n;
    } valid[] = {
        {{0x00, 0x00, I32_ADD, END}, 4},    /* unreachable i32.add */
        {{0x00, 0x00, 0x1B, END}, 4},       /* unreachable select */
        {{0x00, 0x00, 0x1B, 0x45, END}, 5}, /* unreachable select i32.eqz */
        {{0x00, I32_CONST, 0, 0x0F, DROP, DROP, I32_CONST, 0, END}, 9}, /* return drop drop */
        {{0x00, I32_CONST, 0, 0x0C, 0x00, I32_ADD, END}, 7},            /* br 0 i32.add */
        {{0x00, 0x02, I32, 0x00, END, END}, 6}, /* block (result i32) unreachable end */
        {{0x00, 0x00, 0xD1, END}, 4},           /* unreachable ref.is_null */
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(valid); i++) {
        wmod w;
        begin(&w);
        one_func_header(&w, 1, I32);
        add_code(&w, 1, (const wbytes[]){{valid[i].body, valid[i].n}});
        expect_valid(&w);
    }
    /* unreachable i64.const 0 i32.add: known operands still have to match. */
    wmod w;
    begin(&w);
    one_func_header(&w, 1, I32);
    CODE1(&w, 0x00, 0x00, I64_CONST, 0x00, I32_ADD, END);
    expect_invalid(&w, AT(&w, 0, 4), 0, "type mismatch: i32.add expects i32 but got i64");
    /* The polymorphic stack ends with the block: block unreachable end i32.add. */
    begin(&w);
    one_func_header(&w, 1, I32);
    CODE1(&w, 0x00, 0x02, 0x40, 0x00, END, I32_ADD, END);
    expect_invalid(&w, AT(&w, 0, 5), 0, "type mismatch: i32.add expects i32 but got nothing");
    /* select keeps the known operand type: unreachable i64.const 0 i32.const 0 select i32.eqz */
    begin(&w);
    one_func_header(&w, 1, I32);
    CODE1(&w, 0x00, 0x00, I64_CONST, 0x00, I32_CONST, 0x00, 0x1B, 0x45, END);
    expect_invalid(&w, AT(&w, 0, 7), 0, "type mismatch: i32.eqz expects i32 but got i64");
}

/*
 * Instructions: control
 */

/* Types 0: [] -> [i32], 1: [i32 i32] -> [i32], 2: [i32] -> [i32]. */
static void multi_value_header(wmod *w)
{
    SECTION(w, 1, 0x03, 0x60, 0x00, 0x01, I32, 0x60, 0x02, I32, I32, 0x01, I32, 0x60, 0x01, I32,
            0x01, I32);
    SECTION(w, 3, 0x01, 0x00);
}

static void test_validate_multi_value_blocks(void **state)
{
    (void)state;
    wmod w;
    /* i32.const 1 i32.const 2 block (type 1) i32.add end */
    begin(&w);
    multi_value_header(&w);
    CODE1(&w, 0x00, I32_CONST, 1, I32_CONST, 2, 0x02, 0x01, I32_ADD, END, END);
    expect_valid(&w);
    /* if (type 1) with else, both branches consuming the params */
    begin(&w);
    multi_value_header(&w);
    CODE1(&w, 0x00, I32_CONST, 1, I32_CONST, 2, I32_CONST, 0, 0x04, 0x01, I32_ADD, 0x05, 0x6B, END,
          END);
    expect_valid(&w);
    /* loop (type 2): the label takes the params, br_if 0 needs an i32 under the condition */
    begin(&w);
    multi_value_header(&w);
    CODE1(&w, 0x00, I32_CONST, 1, 0x03, 0x02, I32_CONST, 0, 0x0D, 0x00, END, END);
    expect_valid(&w);
    /* Only one of the two params on the stack. */
    begin(&w);
    multi_value_header(&w);
    CODE1(&w, 0x00, I32_CONST, 1, 0x02, 0x01, I32_ADD, END, END);
    expect_invalid(&w, AT(&w, 0, 3), 0,
                   "type mismatch: instruction requires [i32 i32] but stack has [i32] (block)");
    /* The block's params are not visible outside it: block (type 2) drop i32.const 0 end. */
    begin(&w);
    multi_value_header(&w);
    CODE1(&w, 0x00, I32_CONST, 1, 0x02, 0x02, DROP, DROP, I32_CONST, 0, END, END);
    expect_invalid(&w, AT(&w, 0, 6), 0, "type mismatch: drop expects a value but got nothing");
    /* Unknown block type index. */
    begin(&w);
    multi_value_header(&w);
    CODE1(&w, 0x00, 0x02, 0x07, END, I32_CONST, 0, END);
    expect_invalid(&w, AT(&w, 0, 1), 0, "unknown type 7");
}

static void test_validate_if_without_else(void **state)
{
    (void)state;
    wmod w;
    /* i32.const 1 i32.const 0 if (type 2) end: [i32] -> [i32] may omit the else. */
    begin(&w);
    multi_value_header(&w);
    CODE1(&w, 0x00, I32_CONST, 1, I32_CONST, 0, 0x04, 0x02, END, END);
    expect_valid(&w);
    /* i32.const 0 if (result i32) i32.const 1 end: the empty else cannot produce the i32. */
    begin(&w);
    multi_value_header(&w);
    CODE1(&w, 0x00, I32_CONST, 0, 0x04, I32, I32_CONST, 1, END, END);
    expect_invalid(&w, AT(&w, 0, 7), 0, "type mismatch: if without else");
}

static void test_validate_block_result_after_unreachable(void **state)
{
    (void)state;
    wmod w;
    /* block (result i32) unreachable i64.const 0 end: the known i64 must still match. */
    begin(&w);
    one_func_header(&w, 1, I32);
    CODE1(&w, 0x00, 0x02, I32, 0x00, I64_CONST, 0, END, END);
    expect_invalid(&w, AT(&w, 0, 6), 0,
                   "type mismatch: instruction requires [i32] but stack has [... i64] (end)");
    /* block (result i32) br 0 i32.const 0 end: values after br are checked against the end */
    begin(&w);
    one_func_header(&w, 1, I32);
    CODE1(&w, 0x00, 0x02, I32, I32_CONST, 0, 0x0C, 0x00, I32_CONST, 0, END, END);
    expect_valid(&w);
}

static void test_validate_br_table(void **state)
{
    (void)state;
    wmod w;
    /* block (result i32) block i32.const 0 i32.const 0 br_table 0 1 end ... : arities 0 and 1 */
    begin(&w);
    one_func_header(&w, 1, I32);
    CODE1(&w, 0x00, 0x02, I32, 0x02, 0x40, I32_CONST, 0, I32_CONST, 0, 0x0E, 0x01, 0x00, 0x01, END,
          I32_CONST, 0, END, END);
    expect_invalid(&w, AT(&w, 0, 9), 0, "type mismatch: br_table target");
    /* Targets with the same arity but different types are fine in unreachable code
     * (unreached-valid.wast "meet-bottom"). */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0x02, F64, 0x02, F32, 0x00, I32_CONST, 1, 0x0E, 0x02, 0x00, 0x01, 0x01, END,
          DROP, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, END, DROP, END);
    expect_valid(&w);
    /* ... but not with a known operand: f32.const 0 i32.const 1 br_table 0 1 1. */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0x02, F64, 0x02, F32, 0x43, 0, 0, 0, 0, I32_CONST, 1, 0x0E, 0x02, 0x00, 0x01,
          0x01, END, DROP, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, END, DROP, END);
    expect_invalid(&w, AT(&w, 0, 12), 0,
                   "type mismatch: instruction requires [f64] but stack has [f32] (br_table)");
    /* Unknown label in the targets. */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, I32_CONST, 0, 0x0E, 0x01, 0x05, 0x00, END);
    expect_invalid(&w, AT(&w, 0, 3), 0, "unknown label 5");
}

static void test_validate_unknown_indices(void **state)
{
    (void)state;
    wmod w;
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0x0C, 0x01, END);
    expect_invalid(&w, AT(&w, 0, 1), 0, "unknown label 1");

    /* One i64 local group of 2 after no params: locals 0 and 1 exist, 2 does not. */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x01, 0x02, I64, 0x20, 0x01, DROP, 0x20, 0x02, DROP, END);
    expect_invalid(&w, AT(&w, 0, 6), 0, "unknown local 2");

    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0x10, 0x01, END);
    expect_invalid(&w, AT(&w, 0, 1), 0, "unknown function 1");

    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0x23, 0x00, DROP, END);
    expect_invalid(&w, AT(&w, 0, 1), 0, "unknown global 0");

    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0x25, 0x00, DROP, END);
    expect_invalid(&w, AT(&w, 0, 1), 0, "unknown table 0");

    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, I32_CONST, 0, 0x28, 0x02, 0x00, DROP, END);
    expect_invalid(&w, AT(&w, 0, 3), 0, "unknown memory 0");

    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0xFC, 0x0D, 0x00, END);
    expect_invalid(&w, AT(&w, 0, 1), 0, "unknown elem segment 0");
}

static void test_validate_local_groups(void **state)
{
    (void)state;
    wmod w;
    /* (param i32) (local f32 f32 i64): local.get 3 is i64, local.get 2 is f32 */
    begin(&w);
    SECTION(&w, 1, 0x01, 0x60, 0x01, I32, 0x01, I64);
    SECTION(&w, 3, 0x01, 0x00);
    CODE1(&w, 0x02, 0x02, F32, 0x01, I64, 0x20, 0x03, END);
    expect_valid(&w);
    begin(&w);
    SECTION(&w, 1, 0x01, 0x60, 0x01, I32, 0x01, I64);
    SECTION(&w, 3, 0x01, 0x00);
    CODE1(&w, 0x02, 0x02, F32, 0x01, I64, 0x20, 0x02, END);
    expect_invalid(&w, AT(&w, 0, 7), 0,
                   "type mismatch: instruction requires [i64] but stack has [f32] (end)");
}

static void test_validate_select(void **state)
{
    (void)state;
    wmod w;
    /* Untyped select on references: ref.null func ref.null func i32.const 1 select */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0xD0, FUNCREF, 0xD0, FUNCREF, I32_CONST, 1, 0x1B, DROP, END);
    expect_invalid(&w, AT(&w, 0, 7), 0, "type mismatch: select without a type");
    /* Typed select on references is fine. */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0xD0, FUNCREF, 0xD0, FUNCREF, I32_CONST, 1, 0x1C, 0x01, FUNCREF, DROP, END);
    expect_valid(&w);
    /* Typed select needs exactly one type. */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, I32_CONST, 0, I32_CONST, 0, I32_CONST, 1, 0x1C, 0x02, I32, I32, DROP, END);
    expect_invalid(&w, AT(&w, 0, 7), 0, "invalid result arity");
    /* Untyped select with different operand types. */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, I32_CONST, 0, I64_CONST, 0, I32_CONST, 1, 0x1B, DROP, END);
    expect_invalid(&w, AT(&w, 0, 7), 0, "type mismatch: select operands i32 and i64 differ");
    /* Untyped select on v128 is fine. */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD, 0x0C, 0, 0, 0,
          0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, I32_CONST, 1, 0x1B, DROP, END);
    expect_valid(&w);
}

/*
 * Instructions: variables, tables, memories, references
 */

static void test_validate_global_set_immutable(void **state)
{
    (void)state;
    wmod w;
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 6, 0x02, I32, 0x00, I32_CONST, 0, END, I32, 0x01, I32_CONST, 0, END);
    CODE1(&w, 0x00, I32_CONST, 1, 0x24, 0x01, I32_CONST, 1, 0x24, 0x00, END);
    expect_invalid(&w, AT(&w, 0, 7), 0, "global is immutable");
}

static void test_validate_alignment(void **state)
{
    (void)state;
    wmod w;
    /* i32.load align=4 (2^2) is natural; align=8 (2^3) is not. */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0, 0x28, 0x02, 0x00, DROP, I32_CONST, 0, 0x28, 0x03, 0x00, DROP,
          END);
    expect_invalid(&w, AT(&w, 0, 9), 0, "alignment must not be larger than natural");
    /* i64.store8 allows align=1 only. */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0, I64_CONST, 0, 0x3C, 0x01, 0x00, END);
    expect_invalid(&w, AT(&w, 0, 5), 0, "alignment must not be larger than natural");
    /* v128.load8_lane: 1 byte, 16 lanes; v128.load64_lane: 8 bytes, lanes 0 and 1. */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0, 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD,
          0x54, 0x00, 0x00, 15, DROP, END);
    expect_valid(&w);
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0, 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD,
          0x57, 0x04, 0x00, 1, DROP, END);
    expect_invalid(&w, AT(&w, 0, 21), 0, "alignment must not be larger than natural");
}

static void test_validate_lane_index(void **state)
{
    (void)state;
    wmod w;
    /* i8x16.extract_lane_s 16 */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD, 0x15, 16,
          DROP, END);
    expect_invalid(&w, AT(&w, 0, 19), 0, "invalid lane index 16");
    /* f64x2.replace_lane 2 */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x44, 0, 0, 0, 0, 0,
          0, 0, 0, 0xFD, 0x22, 2, DROP, END);
    expect_invalid(&w, AT(&w, 0, 28), 0, "invalid lane index 2");
    /* v128.load64_lane lane 2 */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0, 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD,
          0x57, 0x03, 0x00, 2, DROP, END);
    expect_invalid(&w, AT(&w, 0, 21), 0, "invalid lane index 2");
    /* i8x16.shuffle with a lane index of 32 */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD, 0x0C, 0, 0, 0,
          0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD, 0x0D, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
          12, 13, 14, 32, DROP, END);
    expect_invalid(&w, AT(&w, 0, 37), 0, "invalid lane index 32");
    /* ... and with 31 it is valid. */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD, 0x0C, 0, 0, 0,
          0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD, 0x0D, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
          12, 13, 14, 31, DROP, END);
    expect_valid(&w);
}

static void test_validate_bulk_memory(void **state)
{
    (void)state;
    wmod w;
    /* memory.init 0 with a data count of 1 but no memory */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 12, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0, I32_CONST, 0, I32_CONST, 0, 0xFC, 0x08, 0x00, 0x00, END);
    SECTION(&w, 11, 0x01, 0x01, 0x00);
    expect_invalid(&w, AT(&w, 0, 7), 0, "unknown memory 0");
    /* data.drop 1 with one data segment */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    SECTION(&w, 12, 0x01);
    CODE1(&w, 0x00, 0xFC, 0x09, 0x00, 0xFC, 0x09, 0x01, END);
    SECTION(&w, 11, 0x01, 0x01, 0x00);
    expect_invalid(&w, AT(&w, 0, 4), 0, "unknown data segment 1");
    /* memory.copy without a memory */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, I32_CONST, 0, I32_CONST, 0, I32_CONST, 0, 0xFC, 0x0A, 0x00, 0x00, END);
    expect_invalid(&w, AT(&w, 0, 7), 0, "unknown memory 0");
}

static void test_validate_tables(void **state)
{
    (void)state;
    wmod w;
    /* Tables 0: funcref, 1: externref. table.copy 0 1 mixes them. */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 4, 0x02, FUNCREF, 0x00, 0x01, EXTERNREF, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0, I32_CONST, 0, I32_CONST, 0, 0xFC, 0x0E, 0x00, 0x01, END);
    expect_invalid(&w, AT(&w, 0, 7), 0, "type mismatch: table.copy");
    /* table.init 0 1: passive funcref segment 0 into externref table 1 */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 4, 0x02, FUNCREF, 0x00, 0x01, EXTERNREF, 0x00, 0x01);
    SECTION(&w, 9, 0x01, 0x01, 0x00, 0x00);
    CODE1(&w, 0x00, I32_CONST, 0, I32_CONST, 0, I32_CONST, 0, 0xFC, 0x0C, 0x00, 0x01, END);
    expect_invalid(&w, AT(&w, 0, 7), 0, "type mismatch: table.init");
    /* call_indirect through the externref table */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 4, 0x02, FUNCREF, 0x00, 0x01, EXTERNREF, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0, 0x11, 0x00, 0x01, END);
    expect_invalid(&w, AT(&w, 0, 3), 0, "type mismatch: call_indirect");
    /* table.set 1 with a funcref into the externref table */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 4, 0x02, FUNCREF, 0x00, 0x01, EXTERNREF, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0, 0xD0, FUNCREF, 0x26, 0x01, END);
    expect_invalid(&w, AT(&w, 0, 5), 0,
                   "type mismatch: table.set expects externref but got "
                   "funcref");
}

/* Two types, 0 [] -> [i32] and 1 [] -> [i64] (return_call's tests). */
static const uint8_t return_call_types[] = {0x02, 0x60, 0x00, 0x01, I32, 0x60, 0x00, 0x01, I64};

/* Function 0 (type 0) doing `return_call_indirect (type type) (i32.const 0)` through a table
 * of elem_type. */
static void return_call_indirect_module(wmod *w, uint8_t elem_type, uint8_t type)
{
    begin(w);
    add_section(w, 1, return_call_types, sizeof return_call_types);
    SECTION(w, 3, 0x01, 0x00);
    SECTION(w, 4, 0x01, elem_type, 0x00, 0x01);
    CODE1(w, 0x00, I32_CONST, 0, 0x13, type, 0x00, END);
}

/* return_call / return_call_indirect (0x12, 0x13): the callee's results must be exactly the
 * caller's; the rest of the block is unreachable, as after return. */
static void test_validate_return_call(void **state)
{
    (void)state;
    wmod w;
    /* function 0 (-> i32): return_call 0, then nothing: valid (unreachable after it). */
    begin(&w);
    one_func_header(&w, 1, I32);
    CODE1(&w, 0x00, 0x12, 0x00, END);
    expect_valid(&w);
    /* ... a drop after it takes from the polymorphic stack; an i64 left for the end is wrong. */
    begin(&w);
    one_func_header(&w, 1, I32);
    CODE1(&w, 0x00, 0x12, 0x00, DROP, END);
    expect_valid(&w);
    begin(&w);
    one_func_header(&w, 1, I32);
    CODE1(&w, 0x00, 0x12, 0x00, 0x42, 0x00, END);
    expect_invalid(&w, AT(&w, 0, 5), 0,
                   "type mismatch: instruction requires [i32] but stack has [... i64] (end)");
    /* function 0 (-> i32) return_calls function 1 (-> i64) */
    begin(&w);
    add_section(&w, 1, return_call_types, sizeof return_call_types);
    SECTION(&w, 3, 0x02, 0x00, 0x01);
    add_code(&w, 2,
             (const wbytes[]){{BYTES(0x00, 0x12, 0x01, END)}, {BYTES(0x00, 0x42, 0x00, END)}});
    expect_invalid(&w, AT(&w, 0, 1), 0,
                   "type mismatch: return_call to a function whose results differ from the "
                   "caller's");
    /* function 0 return_call_indirects type 1 through table 0 */
    return_call_indirect_module(&w, FUNCREF, 1);
    expect_invalid(&w, AT(&w, 0, 3), 0,
                   "type mismatch: return_call_indirect to a function whose results differ");
    /* ... type 0 is fine; through an externref table it is not */
    return_call_indirect_module(&w, FUNCREF, 0);
    expect_valid(&w);
    return_call_indirect_module(&w, EXTERNREF, 0);
    expect_invalid(&w, AT(&w, 0, 3), 0,
                   "type mismatch: return_call_indirect through externref table 0");
    /* return_call of an unknown function */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0x12, 0x05, END);
    expect_invalid(&w, AT(&w, 0, 1), 0, "unknown function 5");
}

static void test_validate_ref_func_declaration(void **state)
{
    (void)state;
    wmod w;
    /* ref.func 0 with no declaration: the use in the body itself does not count. */
    begin(&w);
    one_func_header(&w, 0, 0);
    CODE1(&w, 0x00, 0xD2, 0x00, DROP, END);
    expect_invalid(&w, AT(&w, 0, 1), 0, "undeclared function reference");
    /* Declared by a declarative element segment (flags 3). */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 9, 0x01, 0x03, 0x00, 0x01, 0x00);
    CODE1(&w, 0x00, 0xD2, 0x00, DROP, END);
    expect_valid(&w);
    /* Declared by an export. */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 7, 0x01, 0x01, 'f', 0x00, 0x00);
    CODE1(&w, 0x00, 0xD2, 0x00, DROP, END);
    expect_valid(&w);
    /* Declared by a global initializer. */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 6, 0x01, FUNCREF, 0x00, 0xD2, 0x00, END);
    CODE1(&w, 0x00, 0xD2, 0x00, DROP, END);
    expect_valid(&w);
    /* Declaring function 0 does not declare function 1. */
    begin(&w);
    SECTION(&w, 1, 0x01, 0x60, 0x00, 0x00);
    SECTION(&w, 3, 0x02, 0x00, 0x00);
    SECTION(&w, 7, 0x01, 0x01, 'f', 0x00, 0x00);
    add_code(&w, 2,
             (const wbytes[]){{BYTES(0x00, 0xD2, 0x00, DROP, END)},
                              {BYTES(0x00, 0xD2, 0x01, DROP, END)}});
    expect_invalid(&w, AT(&w, 1, 1), 1, "undeclared function reference");
}

/*
 * Module level
 */

static void test_validate_const_exprs(void **state)
{
    (void)state;
    wmod w;
    /* (global i32 (i32.clz (i32.const 0) (i32.const 0))) */
    begin(&w);
    SECTION(&w, 6, 0x01, I32, 0x00, I32_CONST, 0, I32_CONST, 0, 0x67 /* i32.clz */, END);
    expect_invalid_module(&w, w.sec_at[6] + 7, "constant expression required");
    /* (global i32 (i32.const 0)) (global i32 (global.get 0)): only imported globals */
    begin(&w);
    SECTION(&w, 6, 0x02, I32, 0x00, I32_CONST, 0, END, I32, 0x00, 0x23, 0x00, END);
    expect_invalid_module(&w, w.sec_at[6] + 8, "unknown global 0");
    /* An imported mutable global is not constant. */
    begin(&w);
    SECTION(&w, 2, 0x01, 0x00, 0x00, 0x03, I32, 0x01);
    SECTION(&w, 6, 0x01, I32, 0x00, 0x23, 0x00, END);
    expect_invalid_module(&w, w.sec_at[6] + 3, "constant expression required");
    /* An imported immutable one is. */
    begin(&w);
    SECTION(&w, 2, 0x01, 0x00, 0x00, 0x03, I32, 0x00);
    SECTION(&w, 6, 0x01, I32, 0x00, 0x23, 0x00, END);
    expect_valid(&w);
    /* Two values. */
    begin(&w);
    SECTION(&w, 6, 0x01, I32, 0x00, I32_CONST, 0, I32_CONST, 0, END);
    expect_invalid_module(&w, w.sec_at[6] + 5, "type mismatch");
    /* No value. */
    begin(&w);
    SECTION(&w, 6, 0x01, I32, 0x00, END);
    expect_invalid_module(&w, w.sec_at[6] + 3, "type mismatch");
    /* The wrong type. */
    begin(&w);
    SECTION(&w, 6, 0x01, I64, 0x00, I32_CONST, 0, END);
    expect_invalid_module(&w, w.sec_at[6] + 3, "type mismatch: global initializer expects i64");
    /* An i64 data offset. */
    begin(&w);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    SECTION(&w, 11, 0x01, 0x00, I64_CONST, 0, END, 0x00);
    expect_invalid_module(&w, w.sec_at[11] + 2, "type mismatch: data offset expects i32");
    /* ref.func of an unknown function in an element expression (flags 5, passive, funcref). */
    begin(&w);
    SECTION(&w, 9, 0x01, 0x05, FUNCREF, 0x01, 0xD2, 0x03, END);
    expect_invalid_module(&w, w.sec_at[9] + 4, "unknown function 3");
}

/* The exact error (class, offset, message, feature) for module w. */
static void expect_feature(wmod *w, kiln_err code, size_t offset, const char *msg,
                           const char *feature)
{
    kiln_diag d = run(w, NULL);
    free(w->b);
    assert_string_equal(d.msg, msg);
    assert_int_equal(d.code, code);
    assert_int_equal(d.offset, offset);
    assert_int_equal(d.func_index, KILN_NO_FUNC);
    assert_non_null(d.feature);
    assert_string_equal(d.feature, feature);
}

static void test_validate_wasm3_features(void **state)
{
    (void)state;
    wmod w;
    /* extended-const: (global i32 (i32.add (i32.const 0) (i32.const 0))) */
    begin(&w);
    SECTION(&w, 6, 0x01, I32, 0x00, I32_CONST, 0, I32_CONST, 0, I32_ADD, END);
    expect_feature(&w, KILN_ERR_UNSUPPORTED, w.sec_at[6] + 7,
                   "unsupported feature: extended-const (i32.add in global initializer)",
                   KILN_FEATURE_EXTENDED_CONST);
    /* (data (i32.mul (i32.const 0) (i32.const 0))) */
    begin(&w);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    SECTION(&w, 11, 0x01, 0x00, I32_CONST, 0, I32_CONST, 0, 0x6C, END, 0x00);
    expect_feature(&w, KILN_ERR_UNSUPPORTED, w.sec_at[11] + 6,
                   "unsupported feature: extended-const (i32.mul in data offset)",
                   KILN_FEATURE_EXTENDED_CONST);
    /* In an expression of another type it is no extended constant: i64.add in an i32 global. */
    begin(&w);
    SECTION(&w, 6, 0x01, I32, 0x00, I64_CONST, 0, I64_CONST, 0, 0x7C, END);
    expect_invalid_module(&w, w.sec_at[6] + 7, "constant expression required: i64.add");
    /* global.get of an earlier immutable defined global: gc in Wasm 3.0, and "unknown global"
     * (the 2.0 spec tests' verdict) in Wasm 2.0. */
    begin(&w);
    SECTION(&w, 6, 0x02, I32, 0x00, I32_CONST, 0, END, I32, 0x00, 0x23, 0x00, END);
    expect_feature(&w, KILN_ERR_INVALID, w.sec_at[6] + 8, "unknown global 0 (valid in Wasm 3.0)",
                   KILN_FEATURE_GC);
    /* ... but not of itself or a later one, nor of a mutable one. */
    begin(&w);
    SECTION(&w, 6, 0x02, I32, 0x00, 0x23, 0x01, END, I32, 0x00, I32_CONST, 0, END);
    expect_invalid_module(&w, w.sec_at[6] + 3, "unknown global 1");
    begin(&w);
    SECTION(&w, 6, 0x02, I32, 0x01, I32_CONST, 0, END, I32, 0x00, 0x23, 0x00, END);
    expect_invalid_module(&w, w.sec_at[6] + 8, "unknown global 0");
    /* Two memories: multi-memory in Wasm 3.0, invalid in 2.0 (as its spec tests say). */
    begin(&w);
    SECTION(&w, 5, 0x02, 0x00, 0x01, 0x00, 0x01);
    expect_feature(&w, KILN_ERR_INVALID, w.sec_at[5] + 3,
                   "multiple memories: 2 memories, at most 1 (valid in Wasm 3.0)",
                   KILN_FEATURE_MULTI_MEMORY);
}

/* The same modules through kiln_validate_to_compile, which judges by Wasm 3.0. */
static void test_validate_to_compile(void **state)
{
    (void)state;
    /* A global initializer reading an earlier immutable defined global: invalid in 2.0
     * ("unknown global"), valid to the compiler (Wasm 3.0); a later one, itself or a mutable
     * one stays invalid either way. */
    {
        wmod w;
        begin(&w);
        SECTION(&w, 6, 0x02, I32, 0x00, I32_CONST, 0, END, I32, 0x00, 0x23, 0x00, END);
        wasm_module m;
        kiln_diag d;
        assert_true(kiln_decode(&m, w.b, w.n, NULL, &d));
        assert_true(kiln_validate_to_compile(&m, NULL, &d));
        assert_false(kiln_validate(&m, NULL, &d));
        assert_int_equal(d.offset, w.sec_at[6] + 8);
        assert_string_equal(d.msg, "unknown global 0 (valid in Wasm 3.0)");
        wasm_module_free(&m);
        free(w.b);
        static const uint8_t bad[][12] = {
            {0x02, I32, 0x00, 0x23, 0x01, END, I32, 0x00, I32_CONST, 0, END},
            {0x01, I32, 0x00, 0x23, 0x00, END},
            {0x02, I32, 0x01, I32_CONST, 0, END, I32, 0x00, 0x23, 0x00, END},
        };
        static const size_t bad_len[] = {11, 6, 11}, bad_at[] = {3, 3, 8};
        static const char *const bad_msg[] = {"unknown global 1", "unknown global 0",
                                              "constant expression required: global 0 is mutable"};
        for (size_t k = 0; k < KILN_ARRAY_LEN(bad); k++) {
            begin(&w);
            add_section(&w, 6, bad[k], bad_len[k]);
            assert_true(kiln_decode(&m, w.b, w.n, NULL, &d));
            assert_false(kiln_validate_to_compile(&m, NULL, &d));
            assert_int_equal(d.code, KILN_ERR_INVALID);
            assert_int_equal(d.offset, w.sec_at[6] + bad_at[k]);
            assert_string_equal(d.msg, bad_msg[k]);
            wasm_module_free(&m);
            free(w.b);
        }
    }
    /* Two memories: invalid in 2.0, valid (multi-memory) to the compiler. */
    wmod w;
    begin(&w);
    SECTION(&w, 5, 0x02, 0x00, 0x01, 0x00, 0x01);
    {
        wasm_module m2;
        kiln_diag d2;
        assert_true(kiln_decode(&m2, w.b, w.n, NULL, &d2));
        assert_true(kiln_validate_to_compile(&m2, NULL, &d2));
        assert_false(kiln_validate(&m2, NULL, &d2));
        assert_string_equal(d2.msg, "multiple memories: 2 memories, at most 1 (valid in Wasm 3.0)");
        wasm_module_free(&m2);
    }
    free(w.b);
    /* Anything else is as kiln_validate says. */
    begin(&w);
    SECTION(&w, 6, 0x01, I32, 0x00, I32_CONST, 0, 0x67 /* i32.clz */, END);
    wasm_module m;
    kiln_diag d;
    assert_true(kiln_decode(&m, w.b, w.n, NULL, &d));
    assert_false(kiln_validate_to_compile(&m, NULL, &d));
    assert_int_equal(d.code, KILN_ERR_INVALID);
    assert_null(d.feature);
    wasm_module_free(&m);
    free(w.b);
}

/* One global's initializer (content of a one-global section) through the 3.0 view. */
static kiln_diag validate_global_3(const uint8_t *content, size_t len, size_t *section_at)
{
    wmod w;
    begin(&w);
    add_section(&w, 6, content, len);
    wasm_module m;
    kiln_diag d;
    assert_true(kiln_decode(&m, w.b, w.n, NULL, &d));
    kiln_diag_init(&d);
    kiln_validate_to_compile(&m, NULL, &d);
    wasm_module_free(&m);
    *section_at = w.sec_at[6];
    free(w.b);
    return d;
}

/* Extended constant expressions (Wasm 3.0), which Kiln compiles: valid through
 * kiln_validate_to_compile, operand types and the stack checked. */
static void test_validate_extended_const(void **state)
{
    (void)state;
    size_t at;
    /* (global i32 (i32.sub (i32.mul (i32.const 20) (i32.const 2)) (i32.const 2))) */
    static const uint8_t ok[] = {0x01, I32,  0x00,      I32_CONST, 20,   I32_CONST,
                                 2,    0x6C, I32_CONST, 2,         0x6B, END};
    kiln_diag d = validate_global_3(ok, sizeof ok, &at);
    assert_int_equal(d.code, KILN_OK);
    /* i64.add of an i32 and an i64 */
    static const uint8_t mixed[] = {0x01, I64, 0x00, I32_CONST, 1, I64_CONST, 2, 0x7C, END};
    d = validate_global_3(mixed, sizeof mixed, &at);
    assert_int_equal(d.code, KILN_ERR_INVALID);
    assert_string_equal(d.msg,
                        "type mismatch: i64.add expects two i64 operands in global initializer");
    assert_int_equal(d.offset, at + 7);
    /* i32.add with one operand */
    static const uint8_t one[] = {0x01, I32, 0x00, I32_CONST, 1, 0x6A, END};
    d = validate_global_3(one, sizeof one, &at);
    assert_int_equal(d.code, KILN_ERR_INVALID);
    assert_int_equal(d.offset, at + 5);
    /* two values left */
    static const uint8_t two[] = {0x01, I32, 0x00, I32_CONST, 1, I32_CONST, 2, END};
    d = validate_global_3(two, sizeof two, &at);
    assert_int_equal(d.code, KILN_ERR_INVALID);
    assert_string_equal(d.msg,
                        "type mismatch: global initializer leaves 2 values, expected one i32");
    /* deeper than KILN_MAX_CONST_EXPR_DEPTH operands: class limit, at the operand too many */
    uint8_t deep[4 + 2 * (KILN_MAX_CONST_EXPR_DEPTH + 1)];
    size_t n = 0;
    deep[n++] = 0x01;
    deep[n++] = I32;
    deep[n++] = 0x00;
    for (unsigned k = 0; k <= KILN_MAX_CONST_EXPR_DEPTH; k++) {
        deep[n++] = I32_CONST;
        deep[n++] = 1;
    }
    deep[n++] = END;
    d = validate_global_3(deep, n, &at);
    assert_int_equal(d.code, KILN_ERR_LIMIT);
    assert_int_equal(d.offset, at + 3 + 2 * KILN_MAX_CONST_EXPR_DEPTH);
}

static void test_validate_elem_segments(void **state)
{
    (void)state;
    wmod w;
    /* An active funcref segment for an externref table. */
    begin(&w);
    SECTION(&w, 4, 0x01, EXTERNREF, 0x00, 0x01);
    SECTION(&w, 9, 0x01, 0x00, I32_CONST, 0, END, 0x00);
    expect_invalid_module(&w, w.sec_at[9] + 1, "type mismatch");
    /* An active segment without a table. */
    begin(&w);
    SECTION(&w, 9, 0x01, 0x00, I32_CONST, 0, END, 0x00);
    expect_invalid_module(&w, w.sec_at[9] + 1, "unknown table 0");
    /* An unknown function index. */
    begin(&w);
    SECTION(&w, 4, 0x01, FUNCREF, 0x00, 0x01);
    SECTION(&w, 9, 0x01, 0x00, I32_CONST, 0, END, 0x01, 0x00);
    expect_invalid_module(&w, w.sec_at[9] + 1, "unknown function 0");
    /* Externref expressions into an externref table are fine (flags 6). */
    begin(&w);
    SECTION(&w, 4, 0x01, EXTERNREF, 0x00, 0x01);
    SECTION(&w, 9, 0x01, 0x06, 0x00, I32_CONST, 0, END, EXTERNREF, 0x01, 0xD0, EXTERNREF, END);
    expect_valid(&w);
}

static void test_validate_exports(void **state)
{
    (void)state;
    wmod w;
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 7, 0x03, 0x01, 'a', 0x00, 0x00, 0x01, 'b', 0x00, 0x00, 0x01, 'a', 0x00, 0x00);
    CODE1(&w, 0x00, END);
    expect_invalid_module(&w, w.sec_at[7] + 9, "duplicate export name");
    begin(&w);
    SECTION(&w, 7, 0x01, 0x01, 'm', 0x02, 0x00);
    expect_invalid_module(&w, w.sec_at[7] + 1, "unknown memory 0");
}

static void test_validate_start_function(void **state)
{
    (void)state;
    wmod w;
    begin(&w);
    one_func_header(&w, 1, I32);
    SECTION(&w, 8, 0x00);
    CODE1(&w, 0x00, I32_CONST, 0, END);
    expect_invalid_module(&w, w.sec_at[8], "start function");
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 8, 0x01);
    CODE1(&w, 0x00, END);
    expect_invalid_module(&w, w.sec_at[8], "unknown function 1");
}

static void test_validate_memories(void **state)
{
    (void)state;
    wmod w;
    /* min 2 > max 1 */
    begin(&w);
    SECTION(&w, 5, 0x01, 0x01, 0x02, 0x01);
    expect_invalid_module(&w, w.sec_at[5] + 1, "size minimum must not be greater than maximum");
    /* 65537 pages */
    begin(&w);
    SECTION(&w, 5, 0x01, 0x00, 0x81, 0x80, 0x04);
    expect_invalid_module(&w, w.sec_at[5] + 1, "memory size must be at most 65536 pages (4GiB)");
    /* a maximum of 65537 pages */
    begin(&w);
    SECTION(&w, 5, 0x01, 0x01, 0x00, 0x81, 0x80, 0x04);
    expect_invalid_module(&w, w.sec_at[5] + 1, "memory size must be at most 65536 pages (4GiB)");
    /* exactly 65536 is fine */
    begin(&w);
    SECTION(&w, 5, 0x01, 0x01, 0x00, 0x80, 0x80, 0x04);
    expect_valid(&w);
    /* An imported memory with min > max. */
    begin(&w);
    SECTION(&w, 2, 0x01, 0x00, 0x00, 0x02, 0x01, 0x03, 0x02);
    expect_invalid_module(&w, w.sec_at[2] + 1, "size minimum must not be greater than maximum");
    /* A table with min > max. */
    begin(&w);
    SECTION(&w, 4, 0x01, FUNCREF, 0x01, 0x03, 0x02);
    expect_invalid_module(&w, w.sec_at[4] + 1, "size minimum must not be greater than maximum");
    /* Two memories: one imported, one defined. */
    begin(&w);
    SECTION(&w, 2, 0x01, 0x00, 0x00, 0x02, 0x00, 0x01);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    expect_invalid_module(&w, w.sec_at[5] + 1, "multiple memories");
}

/* Decodes w (which must succeed), checks it with kiln_validate or kiln_validate_to_compile and
 * expects exactly this class, offset, function and message; frees w->b if done. */
static void expect_view(wmod *w, bool to_compile, kiln_err code, size_t offset, uint32_t func_index,
                        const char *msg, bool done)
{
    wasm_module m;
    kiln_diag d;
    kiln_diag_init(&d);
    assert_true(kiln_decode(&m, w->b, w->n, NULL, &d));
    bool ok = to_compile ? kiln_validate_to_compile(&m, NULL, &d) : kiln_validate(&m, NULL, &d);
    wasm_module_free(&m);
    if (done)
        free(w->b);
    if (ok != (code == KILN_OK) || d.code != code ||
        (code != KILN_OK &&
         (d.offset != offset || d.func_index != func_index || strcmp(d.msg, msg) != 0)))
        fail_msg("%s: expected %s at 0x%zx in function %d, \"%s\"; got %s at 0x%zx in "
                 "function %d, \"%s\"",
                 to_compile ? "to compile" : "Wasm 2.0", kiln_err_class(code), offset,
                 (int)func_index, msg ? msg : "", kiln_err_class(d.code), d.offset,
                 (int)d.func_index, d.msg);
    assert_null(d.feature);
}

/* Limits and memarg offsets: u32 in Wasm 2.0, u64 in 3.0, where a 32-bit memory or table is
 * invalid past 32 bits. kiln_validate says malformed as 2.0's decoder did (the same offset
 * and words); kiln_validate_to_compile gives 3.0's verdict. */
static void test_validate_u32_in_wasm2_u64_in_wasm3(void **state)
{
    (void)state;
    static const char mem_size[] = "memory size must be at most 65536 pages (4GiB)";
    wmod w;
    /* (memory 0x1_0000_0000) */
    begin(&w);
    SECTION(&w, 5, 0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10);
    expect_view(&w, false, KILN_ERR_MALFORMED, w.sec_at[5] + 6, KILN_NO_FUNC,
                "integer too large: limits minimum", false);
    expect_view(&w, true, KILN_ERR_INVALID, w.sec_at[5] + 1, KILN_NO_FUNC, mem_size, true);
    /* (memory 0 0x1_0000_0000) */
    begin(&w);
    SECTION(&w, 5, 0x01, 0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10);
    expect_view(&w, false, KILN_ERR_MALFORMED, w.sec_at[5] + 7, KILN_NO_FUNC,
                "integer too large: limits maximum", false);
    expect_view(&w, true, KILN_ERR_INVALID, w.sec_at[5] + 1, KILN_NO_FUNC, mem_size, true);
    /* (memory (import "" "") 0x1_0000_0000) */
    begin(&w);
    SECTION(&w, 2, 0x01, 0x00, 0x00, 0x02, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10);
    expect_view(&w, false, KILN_ERR_MALFORMED, w.sec_at[2] + 9, KILN_NO_FUNC,
                "integer too large: limits minimum", false);
    expect_view(&w, true, KILN_ERR_INVALID, w.sec_at[2] + 1, KILN_NO_FUNC, mem_size, true);
    /* (table 0x1_0000_0000 funcref); (table (import "" "") 0 0x1_0000_0000 funcref) */
    begin(&w);
    SECTION(&w, 4, 0x01, FUNCREF, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10);
    expect_view(&w, false, KILN_ERR_MALFORMED, w.sec_at[4] + 7, KILN_NO_FUNC,
                "integer too large: limits minimum", false);
    expect_view(&w, true, KILN_ERR_INVALID, w.sec_at[4] + 1, KILN_NO_FUNC,
                "table size must be at most 2^32-1", true);
    begin(&w);
    SECTION(&w, 2, 0x01, 0x00, 0x00, 0x01, FUNCREF, 0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10);
    expect_view(&w, false, KILN_ERR_MALFORMED, w.sec_at[2] + 11, KILN_NO_FUNC,
                "integer too large: limits maximum", false);
    expect_view(&w, true, KILN_ERR_INVALID, w.sec_at[2] + 1, KILN_NO_FUNC,
                "table size must be at most 2^32-1", true);
    /* (table 0 0xffff_ffff funcref) is valid in both. */
    begin(&w);
    SECTION(&w, 4, 0x01, FUNCREF, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f);
    expect_view(&w, false, KILN_OK, 0, 0, NULL, false);
    expect_view(&w, true, KILN_OK, 0, 0, NULL, true);
    /* (memory 1) written in 6 bytes: malformed in 2.0, valid in 3.0. */
    begin(&w);
    SECTION(&w, 5, 0x01, 0x00, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00);
    expect_view(&w, false, KILN_ERR_MALFORMED, w.sec_at[5] + 7, KILN_NO_FUNC,
                "integer representation too long: limits minimum", false);
    expect_view(&w, true, KILN_OK, 0, 0, NULL, true);

    /* (func (drop (i32.load offset=0x1_0000_0000 (i32.const 0)))) */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0x00, 0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10, DROP, END);
    expect_view(&w, false, KILN_ERR_MALFORMED, AT(&w, 0, 9), 0, "integer too large: memarg offset",
                false);
    expect_view(&w, true, KILN_ERR_INVALID, AT(&w, 0, 3), 0,
                "offset out of range: 4294967296 > 2^32-1 for i32.load", true);
    /* v128.store offset=0xffff_ffff_ffff_ffff */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0x00, 0xFD, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFD, 0x0B, 0x04, 0xff, 0xff, 0xff, 0xff,
          0xff, 0xff, 0xff, 0xff, 0xff, 0x01, END);
    expect_view(&w, false, KILN_ERR_MALFORMED, AT(&w, 0, 28), 0, "integer too large: memarg offset",
                false);
    expect_view(&w, true, KILN_ERR_INVALID, AT(&w, 0, 21), 0,
                "offset out of range: 18446744073709551615 > 2^32-1 for v128.store", true);
    /* The alignment is checked first (align.wast): align=2^63 offset=2^64-1. */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0x00, 0x28, 0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
          0xff, 0x01, DROP, END);
    expect_view(&w, false, KILN_ERR_MALFORMED, AT(&w, 0, 9), 0, "integer too large: memarg offset",
                false);
    expect_view(&w, true, KILN_ERR_INVALID, AT(&w, 0, 3), 0,
                "alignment must not be larger than natural: 2^63 > 4 for i32.load", true);
    /* Offset 0xffff_ffff is the largest in both. */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 5, 0x01, 0x00, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0x00, 0x28, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, DROP, END);
    expect_view(&w, false, KILN_OK, 0, 0, NULL, false);
    expect_view(&w, true, KILN_OK, 0, 0, NULL, true);

    /* The first such value is 2.0's error, before any validation error (here: the body's type
     * mismatch and a memory of 65537 pages); 3.0 validates in its own order. */
    begin(&w);
    one_func_header(&w, 0, 0);
    SECTION(&w, 5, 0x01, 0x00, 0x81, 0x80, 0x04);
    CODE1(&w, 0x00, I32_CONST, 0x00, 0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10, END);
    expect_view(&w, false, KILN_ERR_MALFORMED, AT(&w, 0, 9), 0, "integer too large: memarg offset",
                false);
    expect_view(&w, true, KILN_ERR_INVALID, w.sec_at[5] + 1, KILN_NO_FUNC, mem_size, true);
}

static void test_validate_func_index_counts_imports(void **state)
{
    (void)state;
    wmod w;
    /* One imported function, then defined functions 1 and 2; function 2 is bad. */
    begin(&w);
    SECTION(&w, 1, 0x01, 0x60, 0x00, 0x00);
    SECTION(&w, 2, 0x01, 0x00, 0x00, 0x00, 0x00);
    SECTION(&w, 3, 0x02, 0x00, 0x00);
    add_code(&w, 2,
             (const wbytes[]){{BYTES(0x00, 0x10, 0x00, END)}, {BYTES(0x00, 0x10, 0x03, END)}});
    expect_invalid(&w, AT(&w, 1, 1), 2, "unknown function 3");
    /* An imported function of an unknown type. */
    begin(&w);
    SECTION(&w, 1, 0x01, 0x60, 0x00, 0x00);
    SECTION(&w, 2, 0x01, 0x00, 0x00, 0x00, 0x01);
    expect_invalid_module(&w, w.sec_at[2] + 1, "unknown type 1");
    /* A defined function of an unknown type (function section entry 1). */
    begin(&w);
    SECTION(&w, 1, 0x01, 0x60, 0x00, 0x00);
    SECTION(&w, 3, 0x02, 0x00, 0x05);
    add_code(&w, 2, (const wbytes[]){{BYTES(0x00, END)}, {BYTES(0x00, END)}});
    expect_invalid_module(&w, w.sec_at[3] + 2, "unknown type 5");
}

/*
 * Limits and allocation failure
 */

static void test_validate_operand_stack_limit(void **state)
{
    (void)state;
    uint32_t n = KILN_MAX_OPERAND_STACK + 1;
    size_t size = 1 + 2 * (size_t)n + 1;
    uint8_t *body = malloc(size);
    assert_non_null(body);
    body[0] = 0x00;
    for (uint32_t i = 0; i < n; i++) {
        body[1 + 2 * i] = I32_CONST;
        body[2 + 2 * i] = 0;
    }
    body[size - 1] = END;
    wmod w;
    begin(&w);
    one_func_header(&w, 0, 0);
    add_code(&w, 1, (const wbytes[]){{body, size}});
    free(body);
    expect_error(&w, KILN_ERR_LIMIT, AT(&w, 0, 1 + 2 * (size_t)KILN_MAX_OPERAND_STACK), 0,
                 "operand stack height exceeds the limit");
}

static void test_validate_nesting_limit(void **state)
{
    (void)state;
    uint32_t n = KILN_MAX_NESTING + 1;
    size_t size = 1 + 2 * (size_t)n + n + 1;
    uint8_t *body = malloc(size);
    assert_non_null(body);
    size_t k = 0;
    body[k++] = 0x00;
    for (uint32_t i = 0; i < n; i++) {
        body[k++] = 0x02;
        body[k++] = 0x40;
    }
    for (uint32_t i = 0; i <= n; i++)
        body[k++] = END;
    wmod w;
    begin(&w);
    one_func_header(&w, 0, 0);
    add_code(&w, 1, (const wbytes[]){{body, size}});
    free(body);
    /* The decoder counts the nesting first; the validator's own bound is a second line. */
    kiln_diag d;
    kiln_diag_init(&d);
    wasm_module m;
    if (kiln_decode(&m, w.b, w.n, NULL, &d))
        kiln_validate(&m, NULL, &d);
    wasm_module_free(&m);
    free(w.b);
    assert_int_equal(d.code, KILN_ERR_LIMIT);
    assert_int_equal(d.func_index, 0);
}

/* The positive module below, validated with the N-th allocation failing for every N. */
static void build_feature_module(wmod *w);

static void test_validate_allocation_failure(void **state)
{
    (void)state;
    wmod w;
    begin(&w);
    build_feature_module(&w);
    for (int n = 0;; n++) {
        counting_allocator fa;
        counting_init_budget(&fa, (size_t)n);
        kiln_diag d = run(&w, &fa.base);
        assert_int_equal(fa.live, 0); /* a failed or finished validation frees everything */
        if (d.code == KILN_OK)
            break;
        assert_int_equal(d.code, KILN_ERR_NOMEM);
        assert_true(n < 100);
    }
    free(w.b);
}

/*
 * A valid module that uses many features
 */

static void build_feature_module(wmod *w)
{
    /* types: 0 [] -> [], 1 [i32] -> [i32], 2 [i32 i32] -> [i32 i32], 3 [] -> [v128] */
    SECTION(w, 1, 0x04, 0x60, 0x00, 0x00, 0x60, 0x01, I32, 0x01, I32, 0x60, 0x02, I32, I32, 0x02,
            I32, I32, 0x60, 0x00, 0x01, V128);
    /* import "" "g": immutable i32 global; "" "f": function of type 1 */
    SECTION(w, 2, 0x02, 0x00, 0x01, 'g', 0x03, I32, 0x00, 0x00, 0x01, 'f', 0x00, 0x01);
    /* functions 1, 2, 3 of types 1, 2, 3 */
    SECTION(w, 3, 0x03, 0x01, 0x02, 0x03);
    /* table 0 funcref 2, table 1 externref 1 */
    SECTION(w, 4, 0x02, FUNCREF, 0x00, 0x02, EXTERNREF, 0x00, 0x01);
    SECTION(w, 5, 0x01, 0x01, 0x01, 0x02);
    /* globals 1: mut i32 = global.get 0; 2: funcref = ref.func 2; 3: v128 const */
    SECTION(w, 6, 0x03, I32, 0x01, 0x23, 0x00, END, FUNCREF, 0x00, 0xD2, 0x02, END, V128, 0x00,
            0xFD, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, END);
    SECTION(w, 7, 0x02, 0x03, 'i', 'n', 'c', 0x00, 0x01, 0x03, 'm', 'e', 'm', 0x02, 0x00);
    /* elem: active table 0 offset global.get 0 with functions 1 3; passive expressions */
    SECTION(w, 9, 0x02, 0x00, 0x23, 0x00, END, 0x02, 0x01, 0x03, 0x05, FUNCREF, 0x02, 0xD2, 0x01,
            END, 0xD0, FUNCREF, END);
    SECTION(w, 12, 0x02);
    const wbytes bodies[] = {
        /* function 1 [i32] -> [i32]: locals, loop with params, br_table, memory, select */
        {BYTES(0x01, 0x01, I64,        /* local 1: i64 */
               0x20, 0x00, 0x03, 0x01, /* local.get 0 loop (type 1) */
               I32_CONST, 1, 0x6B, 0x22, 0x00, 0x20, 0x00, 0x0D, 0x00, /* sub tee get br_if 0 */
               END,                                                    /* end loop */
               0x02, I32, 0x20, 0x00, 0x20, 0x00, 0x0E, 0x02, 0x00, 0x01, 0x00, END, /* br_table */
               0x28, 0x02, 0x04,                            /* i32.load offset=4 */
               0x42, 0x05, 0x21, 0x01,                      /* i64.const 5 local.set 1 */
               I32_CONST, 7, 0x20, 0x00, 0x1B,              /* select */
               0x23, 0x01, I32_ADD, 0x24, 0x01, 0x23, 0x01, /* global.get/set 1 */
               0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0xFC, 0x08, 0x00, 0x00, /* memory.init 0 */
               0x3F, 0x00, 0x40, 0x00, DROP, DROP, /* memory.size memory.grow */
               0xFC, 0x09, 0x01, END)},            /* data.drop 1 */
        /* function 2 [i32 i32] -> [i32 i32]: multi-value if, call, call_indirect, tables */
        {BYTES(0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x00,              /* a b (cond a) */
               0x04, 0x02, 0x05, 0x1A, 0x20, 0x00, 0x10, 0x00, END,   /* if (type 2) else .. end */
               0x20, 0x01, 0x10, 0x00, 0x1A,                          /* call 0 (import) */
               0x20, 0x00, 0x20, 0x00, 0x11, 0x01, 0x00, 0x1A,        /* call_indirect type 1 */
               I32_CONST, 0, 0x25, 0x00, 0xD1, 0x1A,                  /* table.get ref.is_null */
               0xD2, 0x01, 0x1A, 0x23, 0x02, 0x1A,                    /* ref.func 1 global.get 2 */
               0xD0, EXTERNREF, I32_CONST, 1, 0xFC, 0x0F, 0x01, 0x1A, /* table.grow 1 */
               I32_CONST, 0, I32_CONST, 0, I32_CONST, 1, 0xFC, 0x0C, 0x01, 0x00, /* table.init */
               0xFC, 0x0D, 0x01, 0xFC, 0x10, 0x00, 0x1A, /* elem.drop 1 table.size */
               I32_CONST, 0, 0xD0, EXTERNREF, I32_CONST, 0, 0xFC, 0x11, 0x01, /* table.fill */
               END)},
        /* function 3 [] -> [v128]: SIMD lanes, shuffle, loads */
        {BYTES(0x00, 0x23, 0x03, 0x23, 0x03, 0xFD, 0x0D, 0, 17, 2, 19, 4, 21, 6, 23, 8, 25, 10, 27,
               12, 29, 14, 31, 0xFD, 0x15, 15, 0xFD, 0x0F,         /* extract_lane_s 15, splat */
               I32_CONST, 0, 0xFD, 0x00, 0x04, 0x00, 0xFD, 0x6E,   /* v128.load i8x16.add */
               I32_CONST, 0, I32_CONST, 0, 0xFD, 0x08, 0x00, 0x00, /* v128.load16_splat */
               0xFD, 0x57, 0x03, 0x00, 0x01, 0xFD, 0x6E,           /* v128.load64_lane 1, add */
               END)},
    };
    add_code(w, KILN_ARRAY_LEN(bodies), bodies);
    SECTION(w, 11, 0x02, 0x01, 0x01, 'x', 0x00, I32_CONST, 0, END, 0x01, 'y');
}

static void test_validate_feature_module(void **state)
{
    (void)state;
    wmod w;
    begin(&w);
    build_feature_module(&w);
    expect_valid(&w);
}

/*
 * Wasm 3.0: typed function references and exceptions
 */

static void test_validate_typed_refs(void **state)
{
    (void)state;
    wmod w;
    /* type 0 (i32) -> i32, type 1 () -> ()  function 0 of type 1 */
    static const uint8_t types[] = {0x02, 0x60, 0x01, I32, 0x01, I32, 0x60, 0x00, 0x00};
    /* call_ref 0 on a (ref null 1): the reference has the wrong type */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0x00, 0xd0, 0x01, 0x14, 0x00, DROP, END);
    expect_invalid(&w, AT(&w, 0, 5), 0,
                   "type mismatch: call_ref expects (ref null 0) but got (ref null 1)");
    /* ... on a (ref null 0): valid (the null traps at run time) */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0x00, 0xd0, 0x00, 0x14, 0x00, DROP, END);
    expect_valid(&w);
    /* a non-nullable local read before it is set */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    CODE1(&w, 0x01, 0x01, 0x64, 0x00, 0x20, 0x00, DROP, END);
    expect_invalid(&w, AT(&w, 0, 4), 0, "uninitialized local 0");
    /* br_on_non_null to a label without a reference result */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    CODE1(&w, 0x00, 0xd0, 0x70, 0xd6, 0x00, END);
    expect_invalid(&w, AT(&w, 0, 3), 0, "type mismatch: br_on_non_null to label 0");
    /* a type naming a later type outside its group */
    begin(&w);
    SECTION(&w, 1, 0x02, 0x60, 0x01, 0x63, 0x01, 0x00, 0x60, 0x00, 0x00);
    expect_invalid_module(&w, w.sec_at[1] + 1, "unknown type 1");
}

static void test_validate_exceptions(void **state)
{
    (void)state;
    wmod w;
    /* types: 0 (i32) -> (), 1 () -> (), 2 () -> (i32) */
    static const uint8_t types[] = {0x03, 0x60, 0x01, I32,  0x00, 0x60,
                                    0x00, 0x00, 0x60, 0x00, 0x01, I32};
    /* a tag whose type has results */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 13, 0x01, 0x00, 0x02);
    expect_invalid_module(&w, w.sec_at[13] + 1, "non-empty tag result type");
    /* throw 0 (param i32) with an i64 */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    SECTION(&w, 13, 0x01, 0x00, 0x00);
    CODE1(&w, 0x00, I64_CONST, 0x00, 0x08, 0x00, END);
    expect_invalid(&w, AT(&w, 0, 3), 0,
                   "type mismatch: instruction requires [i32] but stack has [i64] (throw)");
    /* throw of an unknown tag */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    CODE1(&w, 0x00, 0x08, 0x00, END);
    expect_invalid(&w, AT(&w, 0, 1), 0, "unknown tag 0");
    /* try_table (catch 0 0) to a block that takes nothing: the tag's i32 does not fit */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    SECTION(&w, 13, 0x01, 0x00, 0x00);
    CODE1(&w, 0x00, 0x02, 0x40, 0x1f, 0x40, 0x01, 0x00, 0x00, 0x00, END, END, END);
    expect_invalid(&w, AT(&w, 0, 3), 0, "type mismatch: try_table catch clause for label 0");
    /* ... to a block of (result i32): valid; catch_ref needs an exnref after it */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    SECTION(&w, 13, 0x01, 0x00, 0x00);
    CODE1(&w, 0x00, 0x02, I32, 0x1f, 0x40, 0x01, 0x00, 0x00, 0x00, END, I32_CONST, 0x00, END, DROP,
          END);
    expect_valid(&w);
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    SECTION(&w, 13, 0x01, 0x00, 0x00);
    CODE1(&w, 0x00, 0x02, I32, 0x1f, 0x40, 0x01, 0x01, 0x00, 0x00, END, I32_CONST, 0x00, END, DROP,
          END);
    expect_invalid(&w, AT(&w, 0, 3), 0, "type mismatch: try_table catch clause for label 0");
    /* throw_ref of an i32 */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    CODE1(&w, 0x00, I32_CONST, 0x00, 0x0a, END);
    expect_invalid(&w, AT(&w, 0, 3), 0, "type mismatch: throw_ref expects exnref but got i32");
    /* legacy rethrow 0 inside a plain block: not a catch */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    CODE1(&w, 0x00, 0x02, 0x40, 0x09, 0x00, END, END);
    expect_invalid(&w, AT(&w, 0, 3), 0, "invalid rethrow label 0");
    /* try ... catch_all ... rethrow 0 end: valid */
    begin(&w);
    add_section(&w, 1, types, sizeof types);
    SECTION(&w, 3, 0x01, 0x01);
    CODE1(&w, 0x00, 0x06, 0x40, 0x19, 0x09, 0x00, END, END);
    expect_valid(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_binop_type_mismatch),
        cmocka_unit_test(test_validate_empty_stack),
        cmocka_unit_test(test_validate_function_result),
        cmocka_unit_test(test_validate_unreachable_polymorphism),
        cmocka_unit_test(test_validate_multi_value_blocks),
        cmocka_unit_test(test_validate_if_without_else),
        cmocka_unit_test(test_validate_block_result_after_unreachable),
        cmocka_unit_test(test_validate_br_table),
        cmocka_unit_test(test_validate_unknown_indices),
        cmocka_unit_test(test_validate_local_groups),
        cmocka_unit_test(test_validate_select),
        cmocka_unit_test(test_validate_global_set_immutable),
        cmocka_unit_test(test_validate_alignment),
        cmocka_unit_test(test_validate_lane_index),
        cmocka_unit_test(test_validate_bulk_memory),
        cmocka_unit_test(test_validate_tables),
        cmocka_unit_test(test_validate_return_call),
        cmocka_unit_test(test_validate_typed_refs),
        cmocka_unit_test(test_validate_exceptions),
        cmocka_unit_test(test_validate_ref_func_declaration),
        cmocka_unit_test(test_validate_const_exprs),
        cmocka_unit_test(test_validate_wasm3_features),
        cmocka_unit_test(test_validate_to_compile),
        cmocka_unit_test(test_validate_extended_const),
        cmocka_unit_test(test_validate_elem_segments),
        cmocka_unit_test(test_validate_exports),
        cmocka_unit_test(test_validate_start_function),
        cmocka_unit_test(test_validate_memories),
        cmocka_unit_test(test_validate_u32_in_wasm2_u64_in_wasm3),
        cmocka_unit_test(test_validate_func_index_counts_imports),
        cmocka_unit_test(test_validate_operand_stack_limit),
        cmocka_unit_test(test_validate_nesting_limit),
        cmocka_unit_test(test_validate_allocation_failure),
        cmocka_unit_test(test_validate_feature_module),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
