/* test_opcodes.c -- the instruction table (opcodes.def) and the maps built from it (opcodes.c).
 *
 * The table is data, so most tests check it against facts that do not come from the table:
 * the spec's opcode ranges, the text-format names (ids, access sizes and lane counts can be
 * derived from them), and hand-written rows for the tricky instructions.
 *
 * Wasm 2.0 has 437 instructions: 183 single-byte, 18 behind 0xFC (0-7 saturating truncation,
 * 8-17 bulk memory and table ops) and 236 behind 0xFD (fixed-width SIMD: codes 0x00-0xFF
 * minus 20 unassigned ones). The table also has what Kiln compiles beyond 2.0: the
 * wide-arithmetic proposal's four (0xFC 19-22), relaxed SIMD's twenty (0xFD 0x100-0x113) and
 * the tail calls return_call and return_call_indirect (0x12, 0x13): 463 rows.
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

enum {
    SINGLE_BYTE_OPS = 198, /* 183 + return_call(_indirect, _ref), call_ref, ref.as_non_null,
                              br_on_null, br_on_non_null, try, catch, throw, rethrow,
                              throw_ref, delegate, catch_all, try_table */
    FC_OPS = 22,
    FD_OPS = 256, /* 236 fixed-width + 20 relaxed */
    FE_OPS = 67,  /* threads: notify, wait32, wait64, fence, 63 atomic accesses */
};

/* The ids as spelled in opcodes.def, to check them against the names. */
static const char *const op_ids[WASM_OP_COUNT] = {
#define OP(ID, NAME, PREFIX, CODE, IMM, IN, OUT, SIZE) [WASM_OP_##ID] = #ID,
#include "opcodes.def"
#undef OP
};

/* The 0xFD codes below 0x100 that Wasm 2.0 leaves unassigned (gaps in the final SIMD
 * numbering; 0x9A, 0xA2, ... once held instructions that were dropped or renumbered). */
static const uint32_t fd_gaps[] = {0x9A, 0xA2, 0xA5, 0xA6, 0xAF, 0xB0, 0xB2, 0xB3, 0xB4, 0xBB,
                                   0xC2, 0xC5, 0xC6, 0xCF, 0xD0, 0xD2, 0xD3, 0xD4, 0xE2, 0xEE};

/* Single-byte opcode ranges, inclusive, from the spec's binary-format chapter. */
static const struct {
    uint8_t first, last;
} single_byte_ranges[] = {
    {0x00, 0x0A}, /* unreachable nop block loop if else try catch throw rethrow throw_ref */
    {0x0B, 0x15}, /* end br br_if br_table return call call_indirect return_call(_indirect)
                     call_ref return_call_ref */
    {0x18, 0x19}, /* delegate catch_all */
    {0x1A, 0x1C}, /* drop select select t* */
    {0x1F, 0x1F}, /* try_table */
    {0x20, 0x26}, /* local.* global.* table.get table.set */
    {0x28, 0xC4}, /* loads, stores, memory.size/grow, consts, numeric, sign extension */
    {0xD0, 0xD2}, /* ref.null ref.is_null ref.func */
    {0xD4, 0xD6}, /* ref.as_non_null br_on_null br_on_non_null */
};

static bool is_single_byte_op(uint32_t code)
{
    for (size_t i = 0; i < KILN_ARRAY_LEN(single_byte_ranges); i++)
        if (code >= single_byte_ranges[i].first && code <= single_byte_ranges[i].last)
            return true;
    return false;
}

static bool is_fd_gap(uint32_t code)
{
    for (size_t i = 0; i < KILN_ARRAY_LEN(fd_gaps); i++)
        if (fd_gaps[i] == code)
            return true;
    return false;
}

static size_t count_rows(uint8_t prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < WASM_OP_COUNT; i++)
        if (wasm_ops[i].prefix == prefix)
            n++;
    return n;
}

static void test_op_lookup_round_trips_every_row(void **state)
{
    (void)state;
    for (size_t i = 0; i < WASM_OP_COUNT; i++) {
        const wasm_opinfo *op = &wasm_ops[i];
        assert_non_null(op->name);
        assert_int_equal(wasm_op_lookup(op->prefix, op->code), i);
    }
}

static void test_op_encodings_are_unique(void **state)
{
    (void)state;
    for (size_t i = 0; i < WASM_OP_COUNT; i++)
        for (size_t j = i + 1; j < WASM_OP_COUNT; j++)
            assert_false(wasm_ops[i].prefix == wasm_ops[j].prefix &&
                         wasm_ops[i].code == wasm_ops[j].code);
}

static void test_op_names_are_unique_except_select(void **state)
{
    (void)state;
    for (size_t i = 0; i < WASM_OP_COUNT; i++) {
        for (size_t j = i + 1; j < WASM_OP_COUNT; j++) {
            if (i == WASM_OP_SELECT && j == WASM_OP_SELECT_T)
                continue;
            if (strcmp(wasm_ops[i].name, wasm_ops[j].name) == 0)
                fail_msg("%s appears twice", wasm_ops[i].name);
        }
    }
    assert_string_equal(wasm_ops[WASM_OP_SELECT_T].name, "select");
}

/* id = name in upper case with '.' -> '_'; only SELECT_T differs. */
static void test_op_ids_match_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < WASM_OP_COUNT; i++) {
        char want[64];
        const char *name = wasm_ops[i].name;
        size_t n = strlen(name);
        assert_true(n < sizeof(want));
        for (size_t k = 0; k <= n; k++) {
            char c = name[k];
            want[k] = c == '.' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        }
        if (i == WASM_OP_SELECT_T)
            assert_string_equal(op_ids[i], "SELECT_T");
        else
            assert_string_equal(op_ids[i], want);
    }
}

static void test_op_counts_per_prefix(void **state)
{
    (void)state;
    assert_int_equal(count_rows(0), SINGLE_BYTE_OPS);
    assert_int_equal(count_rows(0xFC), FC_OPS);
    assert_int_equal(count_rows(0xFD), FD_OPS);
    assert_int_equal(count_rows(0xFE), FE_OPS);
    assert_int_equal(WASM_OP_COUNT, SINGLE_BYTE_OPS + FC_OPS + FD_OPS + FE_OPS);
    assert_int_equal(KILN_ARRAY_LEN(fd_gaps), 256 - (FD_OPS - 20));
}

/* Every code of every prefix, against the spec's ranges rather than against the table. */
static void test_op_lookup_knows_exactly_the_compiled_codes(void **state)
{
    (void)state;
    for (uint32_t code = 0; code < 0x200; code++) {
        bool single = code < 256 && is_single_byte_op(code);
        bool fc = code < 18 || (code >= 19 && code <= 22);
        bool fd = (code < 256 && !is_fd_gap(code)) || (code >= 0x100 && code <= 0x113);
        bool fe = code <= 0x03 || (code >= 0x10 && code <= 0x4E);
        if (single != (wasm_op_lookup(0, code) != WASM_OP_COUNT))
            fail_msg("single-byte 0x%02X: expected %s", (unsigned)code,
                     single ? "an op" : "unknown");
        if (fc != (wasm_op_lookup(0xFC, code) != WASM_OP_COUNT))
            fail_msg("0xFC %u: expected %s", code, fc ? "an op" : "unknown");
        if (fd != (wasm_op_lookup(0xFD, code) != WASM_OP_COUNT))
            fail_msg("0xFD 0x%02X: expected %s", code, fd ? "an op" : "unknown");
        if (fe != (wasm_op_lookup(0xFE, code) != WASM_OP_COUNT))
            fail_msg("0xFE 0x%02X: expected %s", code, fe ? "an op" : "unknown");
    }
}

static void test_op_lookup_rejects_unknown_codes(void **state)
{
    (void)state;
    assert_int_equal(wasm_op_lookup(0, 0x1E), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0, 0x17), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0, 0x27), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0, 0xC5), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0, 0xD3), WASM_OP_COUNT); /* ref.eq (GC) */
    assert_int_equal(wasm_op_lookup(0, 0xFC), WASM_OP_COUNT); /* prefixes are not ops */
    assert_int_equal(wasm_op_lookup(0, 0xFD), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0, 0xFE), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0, 0xFF), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0, 0x100 + 0x6A), WASM_OP_COUNT); /* i32.add + 256 */
    assert_int_equal(wasm_op_lookup(0xFC, 18), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFC, 31), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFC, 32), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFC, UINT32_MAX), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFD, 0x9A), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFD, 0xA2), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFD, 0xEE), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFD, 0x100), WASM_OP_I8X16_RELAXED_SWIZZLE);
    assert_int_equal(wasm_op_lookup(0xFD, 0x113), WASM_OP_I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S);
    assert_int_equal(wasm_op_lookup(0xFD, 0x114), WASM_OP_COUNT); /* past relaxed SIMD */
    assert_int_equal(wasm_op_lookup(0xFD, UINT32_MAX), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFE, 0x00), WASM_OP_MEMORY_ATOMIC_NOTIFY);
    assert_int_equal(wasm_op_lookup(0xFE, 0x03), WASM_OP_ATOMIC_FENCE);
    assert_int_equal(wasm_op_lookup(0xFE, 0x04), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFE, 0x0F), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFE, 0x10), WASM_OP_I32_ATOMIC_LOAD);
    assert_int_equal(wasm_op_lookup(0xFE, 0x4E), WASM_OP_I64_ATOMIC_RMW32_CMPXCHG_U);
    assert_int_equal(wasm_op_lookup(0xFE, 0x4F), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFE, UINT32_MAX), WASM_OP_COUNT);
    assert_int_equal(wasm_op_lookup(0xFB, 0x00), WASM_OP_COUNT); /* struct.new (GC) */
    assert_int_equal(wasm_op_lookup(0x41, 0x00), WASM_OP_COUNT); /* not a prefix */
}

static void expect_row(wasm_op id, const char *name, uint8_t prefix, uint32_t code, wasm_imm imm,
                       const char *in, const char *out, uint8_t size)
{
    const wasm_opinfo *op = &wasm_ops[id];
    assert_string_equal(op->name, name);
    assert_int_equal(op->prefix, prefix);
    assert_int_equal(op->code, code);
    assert_int_equal(op->imm, imm);
    if (in) {
        assert_non_null(op->in);
        assert_string_equal(op->in, in);
    } else {
        assert_null(op->in);
    }
    if (out) {
        assert_non_null(op->out);
        assert_string_equal(op->out, out);
    } else {
        assert_null(op->out);
    }
    assert_int_equal(op->size, size);
    assert_int_equal(wasm_op_lookup(prefix, code), id);
}

static void test_op_rows_spot_check(void **state)
{
    (void)state;
    /* Context-dependent types: NULL. */
    expect_row(WASM_OP_SELECT, "select", 0, 0x1B, IMM_NONE, NULL, NULL, 0);
    expect_row(WASM_OP_SELECT_T, "select", 0, 0x1C, IMM_SELECT_T, NULL, NULL, 0);
    expect_row(WASM_OP_CALL_INDIRECT, "call_indirect", 0, 0x11, IMM_CALL_INDIRECT, NULL, NULL, 0);
    expect_row(WASM_OP_REF_NULL, "ref.null", 0, 0xD0, IMM_REFTYPE, NULL, NULL, 0);
    expect_row(WASM_OP_REF_FUNC, "ref.func", 0, 0xD2, IMM_FUNC, NULL, NULL, 0);
    expect_row(WASM_OP_TABLE_GET, "table.get", 0, 0x25, IMM_TABLE, NULL, NULL, 0);
    expect_row(WASM_OP_TABLE_INIT, "table.init", 0xFC, 12, IMM_TABLE_INIT, NULL, NULL, 0);
    expect_row(WASM_OP_TABLE_FILL, "table.fill", 0xFC, 17, IMM_TABLE, NULL, NULL, 0);

    /* Memory. */
    expect_row(WASM_OP_I32_LOAD8_U, "i32.load8_u", 0, 0x2D, IMM_MEMARG, "i", "i", 1);
    expect_row(WASM_OP_I64_LOAD32_S, "i64.load32_s", 0, 0x34, IMM_MEMARG, "i", "I", 4);
    expect_row(WASM_OP_I64_STORE, "i64.store", 0, 0x37, IMM_MEMARG, "iI", "", 8);
    expect_row(WASM_OP_F32_STORE, "f32.store", 0, 0x38, IMM_MEMARG, "if", "", 4);
    expect_row(WASM_OP_MEMORY_SIZE, "memory.size", 0, 0x3F, IMM_MEMORY, "", "i", 0);
    expect_row(WASM_OP_MEMORY_GROW, "memory.grow", 0, 0x40, IMM_MEMORY, "i", "i", 0);
    expect_row(WASM_OP_MEMORY_INIT, "memory.init", 0xFC, 8, IMM_MEMORY_INIT, "iii", "", 0);
    expect_row(WASM_OP_DATA_DROP, "data.drop", 0xFC, 9, IMM_DATA, "", "", 0);
    expect_row(WASM_OP_MEMORY_COPY, "memory.copy", 0xFC, 10, IMM_MEMORY_COPY, "iii", "", 0);
    expect_row(WASM_OP_MEMORY_FILL, "memory.fill", 0xFC, 11, IMM_MEMORY, "iii", "", 0);
    expect_row(WASM_OP_ELEM_DROP, "elem.drop", 0xFC, 13, IMM_ELEM, "", "", 0);

    /* Scalar numeric. */
    expect_row(WASM_OP_I64_CONST, "i64.const", 0, 0x42, IMM_I64, "", "I", 0);
    expect_row(WASM_OP_I32_WRAP_I64, "i32.wrap_i64", 0, 0xA7, IMM_NONE, "I", "i", 0);
    expect_row(WASM_OP_I64_EXTEND_I32_S, "i64.extend_i32_s", 0, 0xAC, IMM_NONE, "i", "I", 0);
    expect_row(WASM_OP_F32_DEMOTE_F64, "f32.demote_f64", 0, 0xB6, IMM_NONE, "F", "f", 0);
    expect_row(WASM_OP_I32_REINTERPRET_F32, "i32.reinterpret_f32", 0, 0xBC, IMM_NONE, "f", "i", 0);
    expect_row(WASM_OP_I64_EXTEND32_S, "i64.extend32_s", 0, 0xC4, IMM_NONE, "I", "I", 0);
    expect_row(WASM_OP_I32_TRUNC_SAT_F64_U, "i32.trunc_sat_f64_u", 0xFC, 3, IMM_NONE, "F", "i", 0);
    expect_row(WASM_OP_I64_TRUNC_SAT_F64_U, "i64.trunc_sat_f64_u", 0xFC, 7, IMM_NONE, "F", "I", 0);

    /* SIMD. */
    expect_row(WASM_OP_V128_CONST, "v128.const", 0xFD, 0x0C, IMM_V128, "", "v", 0);
    expect_row(WASM_OP_I8X16_SHUFFLE, "i8x16.shuffle", 0xFD, 0x0D, IMM_SHUFFLE, "vv", "v", 32);
    expect_row(WASM_OP_V128_LOAD8X8_S, "v128.load8x8_s", 0xFD, 0x01, IMM_MEMARG, "i", "v", 8);
    expect_row(WASM_OP_V128_LOAD32_SPLAT, "v128.load32_splat", 0xFD, 0x09, IMM_MEMARG, "i", "v", 4);
    expect_row(WASM_OP_V128_STORE, "v128.store", 0xFD, 0x0B, IMM_MEMARG, "iv", "", 16);
    expect_row(WASM_OP_V128_LOAD16_LANE, "v128.load16_lane", 0xFD, 0x55, IMM_MEMARG_LANE, "iv", "v",
               2);
    expect_row(WASM_OP_V128_LOAD64_LANE, "v128.load64_lane", 0xFD, 0x57, IMM_MEMARG_LANE, "iv", "v",
               8);
    expect_row(WASM_OP_V128_STORE64_LANE, "v128.store64_lane", 0xFD, 0x5B, IMM_MEMARG_LANE, "iv",
               "", 8);
    expect_row(WASM_OP_V128_LOAD32_ZERO, "v128.load32_zero", 0xFD, 0x5C, IMM_MEMARG, "i", "v", 4);
    expect_row(WASM_OP_I8X16_REPLACE_LANE, "i8x16.replace_lane", 0xFD, 0x17, IMM_LANE, "vi", "v",
               16);
    expect_row(WASM_OP_I64X2_EXTRACT_LANE, "i64x2.extract_lane", 0xFD, 0x1D, IMM_LANE, "v", "I", 2);
    expect_row(WASM_OP_F64X2_REPLACE_LANE, "f64x2.replace_lane", 0xFD, 0x22, IMM_LANE, "vF", "v",
               2);
    expect_row(WASM_OP_I64X2_SPLAT, "i64x2.splat", 0xFD, 0x12, IMM_NONE, "I", "v", 0);
    expect_row(WASM_OP_V128_BITSELECT, "v128.bitselect", 0xFD, 0x52, IMM_NONE, "vvv", "v", 0);
    expect_row(WASM_OP_V128_ANY_TRUE, "v128.any_true", 0xFD, 0x53, IMM_NONE, "v", "i", 0);
    expect_row(WASM_OP_F64X2_PROMOTE_LOW_F32X4, "f64x2.promote_low_f32x4", 0xFD, 0x5F, IMM_NONE,
               "v", "v", 0);
    expect_row(WASM_OP_I8X16_SHL, "i8x16.shl", 0xFD, 0x6B, IMM_NONE, "vi", "v", 0);
    expect_row(WASM_OP_I16X8_Q15MULR_SAT_S, "i16x8.q15mulr_sat_s", 0xFD, 0x82, IMM_NONE, "vv", "v",
               0);
    expect_row(WASM_OP_I16X8_BITMASK, "i16x8.bitmask", 0xFD, 0x84, IMM_NONE, "v", "i", 0);
    expect_row(WASM_OP_F64X2_NEAREST, "f64x2.nearest", 0xFD, 0x94, IMM_NONE, "v", "v", 0);
    expect_row(WASM_OP_I32X4_DOT_I16X8_S, "i32x4.dot_i16x8_s", 0xFD, 0xBA, IMM_NONE, "vv", "v", 0);
    expect_row(WASM_OP_I64X2_GE_S, "i64x2.ge_s", 0xFD, 0xDB, IMM_NONE, "vv", "v", 0);
    expect_row(WASM_OP_F32X4_PMAX, "f32x4.pmax", 0xFD, 0xEB, IMM_NONE, "vv", "v", 0);
    expect_row(WASM_OP_I32X4_TRUNC_SAT_F64X2_S_ZERO, "i32x4.trunc_sat_f64x2_s_zero", 0xFD, 0xFC,
               IMM_NONE, "v", "v", 0);
    expect_row(WASM_OP_F64X2_CONVERT_LOW_I32X4_U, "f64x2.convert_low_i32x4_u", 0xFD, 0xFF, IMM_NONE,
               "v", "v", 0);
}

static void test_op_types_use_only_known_letters(void **state)
{
    (void)state;
    for (size_t i = 0; i < WASM_OP_COUNT; i++) {
        const wasm_opinfo *op = &wasm_ops[i];
        /* Special ops have both columns NULL, never just one. */
        assert_true((op->in == NULL) == (op->out == NULL));
        if (!op->in)
            continue;
        if (strspn(op->in, "iIfFv") != strlen(op->in) ||
            strspn(op->out, "iIfFv") != strlen(op->out))
            fail_msg("%s: bad type letters \"%s\" -> \"%s\"", op->name, op->in, op->out);
        if (op->prefix == 0xFC && op->code >= 19) /* wide arithmetic: 128-bit pairs */
            assert_true(strlen(op->in) <= 4 && strlen(op->out) == 2);
        else
            assert_true(strlen(op->in) <= 3 && strlen(op->out) <= 1);
    }
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The stack letter of a type or shape: "i32" 'i', "f64" 'F', "v128" 'v', "i64x2" 'I'. */
static char type_letter(const char *t)
{
    static const struct {
        const char *prefix;
        char letter;
    } letters[] = {{"v128", 'v'}, {"i8x16", 'i'}, {"i16x8", 'i'}, {"i32", 'i'},
                   {"i64", 'I'},  {"f32", 'f'},   {"f64", 'F'}};
    for (size_t k = 0; k < KILN_ARRAY_LEN(letters); k++)
        if (starts_with(t, letters[k].prefix))
            return letters[k].letter;
    return '?';
}

/* What the operand and result types must be, from the name alone; false if the name does not
 * determine them (special ops, memory.*, pure vector ops whose arity is not in the name). */
static bool types_from_name(const wasm_opinfo *op, char in[4], char out[2])
{
    const char *name = op->name, *dot = strchr(name, '.');
    const char *what = dot ? dot + 1 : "";
    char t = dot ? type_letter(name) : '?';
    memset(in, 0, 4);
    memset(out, 0, 2);
    if (!op->in || t == '?')
        return false;
    if (starts_with(what, "load") || starts_with(what, "store")) {
        bool load = starts_with(what, "load");
        bool lane = strstr(what, "_lane") != NULL;
        strcpy(in, "i");
        if (!load || lane)
            in[1] = t; /* the value stored, or the vector whose lane is replaced */
        if (load)
            out[0] = t;
        return true;
    }
    if (strcmp(what, "const") == 0) {
        out[0] = t;
        return true;
    }
    if (op->prefix == 0xFD) {
        if (strcmp(what, "splat") == 0) {
            in[0] = t;
            out[0] = 'v';
        } else if (starts_with(what, "extract_lane")) {
            in[0] = 'v';
            out[0] = t;
        } else if (strcmp(what, "replace_lane") == 0) {
            in[0] = 'v';
            in[1] = t;
            out[0] = 'v';
        } else if (strcmp(what, "shl") == 0 || starts_with(what, "shr_")) {
            strcpy(in, "vi");
            out[0] = 'v';
        } else if (strcmp(what, "any_true") == 0 || strcmp(what, "all_true") == 0 ||
                   strcmp(what, "bitmask") == 0) {
            in[0] = 'v';
            out[0] = 'i';
        } else {
            return false;
        }
        return true;
    }
    /* Scalar numeric. A conversion names its source type: i32.wrap_i64, f64.promote_f32. */
    static const char *const sources[] = {"_i32", "_i64", "_f32", "_f64"};
    for (size_t k = 0; k < KILN_ARRAY_LEN(sources); k++) {
        const char *src = strstr(what, sources[k]);
        if (src) {
            in[0] = type_letter(src + 1);
            out[0] = t;
            return true;
        }
    }
    static const char *const unary[] = {
        "eqz",   "clz",   "ctz",     "popcnt", "abs",       "neg",        "ceil",
        "floor", "trunc", "nearest", "sqrt",   "extend8_s", "extend16_s", "extend32_s",
    };
    bool is_unary = false;
    for (size_t k = 0; k < KILN_ARRAY_LEN(unary); k++)
        is_unary |= strcmp(what, unary[k]) == 0;
    bool is_compare = strcmp(what, "eqz") == 0 || strcmp(what, "eq") == 0 ||
                      strcmp(what, "ne") == 0 || starts_with(what, "lt") ||
                      starts_with(what, "gt") || starts_with(what, "le") || starts_with(what, "ge");
    in[0] = t;
    if (!is_unary)
        in[1] = t;
    out[0] = is_compare ? 'i' : t;
    return true;
}

static void test_op_types_follow_names(void **state)
{
    (void)state;
    size_t derived = 0;
    for (size_t i = 0; i < WASM_OP_COUNT; i++) {
        const wasm_opinfo *op = &wasm_ops[i];
        char in[4], out[2];
        if (op->prefix == 0xFE)
            continue; /* test_atomic_rows */
        if (op->prefix == 0xFC && op->code >= 19) {
            /* Wide arithmetic: i64 pairs, from the spec of the proposal. */
            bool two = op->code <= 20; /* add128, sub128: two 128-bit operands */
            if (strcmp(op->in, two ? "IIII" : "II") != 0 || strcmp(op->out, "II") != 0)
                fail_msg("%s: \"%s\" -> \"%s\"", op->name, op->in, op->out);
            continue;
        }
        if (!types_from_name(op, in, out)) {
            /* What the name does not pin down: all-vector SIMD ops take and give v128. */
            if (op->prefix == 0xFD && strspn(op->in, "v") != strlen(op->in))
                fail_msg("%s: expected only v128 operands, got \"%s\"", op->name, op->in);
            if (op->prefix == 0xFD && strcmp(op->out, "v") != 0)
                fail_msg("%s: expected a v128 result, got \"%s\"", op->name, op->out);
            continue;
        }
        if (strcmp(op->in, in) != 0 || strcmp(op->out, out) != 0)
            fail_msg("%s: \"%s\" -> \"%s\", expected \"%s\" -> \"%s\"", op->name, op->in, op->out,
                     in, out);
        derived++;
    }
    /* 406 rows are typed. Not derived: memory.size/grow/init/copy/fill, data.drop, elem.drop (7)
     * and the all-vector SIMD ops: 236 - 22 memory - v128.const - 6 splats - 14 lane ops
     * - 12 shifts - 9 any_true/all_true/bitmask = 172. */
    assert_int_equal(derived, 406 - 7 - 172);
}

/* Bytes accessed, from the name alone: "i64.load32_s" 4, "v128.load8x8_s" 8,
 * "v128.store16_lane" 2, "f64.store" 8, "v128.load" 16. */
static unsigned access_bytes_from_name(const char *name)
{
    const char *dot = strchr(name, '.');
    const char *p = dot + 1 + (strncmp(dot + 1, "load", 4) == 0 ? 4 : 5);
    unsigned bits = 0, count = 1;
    if (*p < '0' || *p > '9') {
        /* full width: the type before the dot */
        if (strncmp(name, "v128", 4) == 0)
            return 16;
        return name[1] == '6' ? 8 : 4; /* i64 f64 : i32 f32 */
    }
    while (*p >= '0' && *p <= '9')
        bits = bits * 10 + (unsigned)(*p++ - '0');
    if (*p == 'x') /* v128.loadNxM_s/u: M lanes of N bits */
        count = (unsigned)strtoul(p + 1, NULL, 10);
    return bits * count / 8;
}

/* Lanes, from the shape: "i8x16.replace_lane" 16, "f64x2.extract_lane" 2. */
static unsigned lanes_from_name(const char *name)
{
    return (unsigned)strtoul(strchr(name, 'x') + 1, NULL, 10);
}

/* The threads rows (0xFE), from their names: "T.atomic.loadN_u" reads N bits into a T (the
 * full width without N), "T.atomic.storeN" writes a T's low N bits, "T.atomic.rmwN.OP_u"
 * takes and returns a T (cmpxchg takes two), every one with a memarg; wait32/64 take the
 * address, the expected value and an i64 timeout, notify the address and a count. */
static void test_atomic_rows(void **state)
{
    (void)state;
    size_t rows = 0;
    for (size_t i = 0; i < WASM_OP_COUNT; i++) {
        const wasm_opinfo *op = &wasm_ops[i];
        if (op->prefix != 0xFE)
            continue;
        rows++;
        const char *name = op->name;
        if (strncmp(name, "memory.atomic.", 14) == 0 || strcmp(name, "atomic.fence") == 0) {
            static const struct {
                const char *name, *in, *out;
                uint8_t size, imm;
            } fixed[] = {{"memory.atomic.notify", "ii", "i", 4, IMM_MEMARG},
                         {"memory.atomic.wait32", "iiI", "i", 4, IMM_MEMARG},
                         {"memory.atomic.wait64", "iII", "i", 8, IMM_MEMARG},
                         {"atomic.fence", "", "", 0, IMM_ZERO}};
            bool found = false;
            for (size_t k = 0; k < KILN_ARRAY_LEN(fixed); k++) {
                if (strcmp(name, fixed[k].name) != 0)
                    continue;
                found = true;
                assert_string_equal(op->in, fixed[k].in);
                assert_string_equal(op->out, fixed[k].out);
                assert_int_equal(op->size, fixed[k].size);
                assert_int_equal(op->imm, fixed[k].imm);
                assert_int_equal(op->code, k);
            }
            assert_true(found);
            continue;
        }
        assert_true(strncmp(name + 3, ".atomic.", 8) == 0);
        char t = name[1] == '6' ? 'I' : 'i';
        unsigned full = t == 'I' ? 8 : 4;
        const char *what = name + 11;
        const char *digits = what + (strncmp(what, "load", 4) == 0    ? 4
                                     : strncmp(what, "store", 5) == 0 ? 5
                                                                      : 3); /* rmw */
        unsigned bits = (unsigned)strtoul(digits, NULL, 10);
        unsigned size = bits ? bits / 8 : full;
        char in[4] = "i", out[2] = "";
        if (strncmp(what, "load", 4) == 0) {
            out[0] = t;
        } else if (strncmp(what, "store", 5) == 0) {
            in[1] = t;
        } else {
            assert_true(strncmp(what, "rmw", 3) == 0);
            in[1] = t;
            if (strstr(what, ".cmpxchg") != NULL)
                in[2] = t;
            out[0] = t;
        }
        /* A narrow form says so: _u for loads and read-modify-writes. */
        assert_int_equal(bits != 0 && strncmp(what, "store", 5) != 0,
                         name[strlen(name) - 2] == '_' && name[strlen(name) - 1] == 'u');
        if (strcmp(op->in, in) != 0 || strcmp(op->out, out) != 0 || op->size != size)
            fail_msg("%s: \"%s\" -> \"%s\" size %u, expected \"%s\" -> \"%s\" size %u", name,
                     op->in, op->out, (unsigned)op->size, in, out, size);
        assert_int_equal(op->imm, IMM_MEMARG);
        assert_true(op->code >= 0x10 && op->code <= 0x4E);
    }
    assert_int_equal(rows, FE_OPS);
}

static void test_op_size_column(void **state)
{
    (void)state;
    size_t memory_ops = 0, lane_ops = 0;
    for (size_t i = 0; i < WASM_OP_COUNT; i++) {
        const wasm_opinfo *op = &wasm_ops[i];
        const char *dot = strchr(op->name, '.');
        if (op->prefix == 0xFE)
            continue; /* test_atomic_rows */
        bool is_access =
            dot && (strncmp(dot + 1, "load", 4) == 0 || (strncmp(dot + 1, "store", 5) == 0));
        switch (op->imm) {
        case IMM_MEMARG:
        case IMM_MEMARG_LANE:
            assert_true(is_access);
            if (op->size != access_bytes_from_name(op->name))
                fail_msg("%s: size %u, expected %u", op->name, (unsigned)op->size,
                         access_bytes_from_name(op->name));
            assert_true((strstr(op->name, "_lane") != NULL) == (op->imm == IMM_MEMARG_LANE));
            memory_ops++;
            break;
        case IMM_LANE:
            assert_true(strstr(op->name, "extract_lane") || strstr(op->name, "replace_lane"));
            if (op->size != lanes_from_name(op->name))
                fail_msg("%s: size %u, expected %u lanes", op->name, (unsigned)op->size,
                         lanes_from_name(op->name));
            lane_ops++;
            break;
        case IMM_SHUFFLE:
            assert_int_equal(i, WASM_OP_I8X16_SHUFFLE);
            assert_int_equal(op->size, 32);
            break;
        default:
            assert_false(is_access);
            if (op->size != 0)
                fail_msg("%s: size %u, expected 0", op->name, (unsigned)op->size);
            break;
        }
    }
    /* 14 scalar loads + 9 stores; v128: load, 6 extending loads, 4 splats, store,
     * 4 load_lane, 4 store_lane, 2 load_zero. */
    assert_int_equal(memory_ops, 23 + 22);
    /* 3 per i8x16/i16x8 shape, 2 per i32x4/i64x2/f32x4/f64x2 shape. */
    assert_int_equal(lane_ops, 14);
}

static void test_valtype_names_and_classes(void **state)
{
    (void)state;
    assert_string_equal(wasm_valtype_name(WASM_VT_I32), "i32");
    assert_string_equal(wasm_valtype_name(WASM_VT_I64), "i64");
    assert_string_equal(wasm_valtype_name(WASM_VT_F32), "f32");
    assert_string_equal(wasm_valtype_name(WASM_VT_F64), "f64");
    assert_string_equal(wasm_valtype_name(WASM_VT_V128), "v128");
    assert_string_equal(wasm_valtype_name(WASM_VT_FUNCREF), "funcref");
    assert_string_equal(wasm_valtype_name(WASM_VT_EXTERNREF), "externref");
    assert_string_equal(wasm_valtype_name(WASM_VT_EXNREF), "exnref");
    assert_string_equal(wasm_valtype_name(wasm_ref(WASM_HT_NOEXN, true)), "(ref null noexn)");
    assert_string_equal(wasm_valtype_name(wasm_ref(WASM_HT_TYPE + 7, false)), "(ref 7)");
    assert_string_equal(wasm_valtype_name(wasm_ref(WASM_HT_FUNC, false)), "(ref func)");
    assert_int_equal(wasm_ref(WASM_HT_FUNC, true), WASM_VT_FUNCREF); /* one spelling */
    assert_int_equal(wasm_valtype_repr(wasm_ref(WASM_HT_TYPE + 7, false)), WASM_VT_FUNCREF);
    assert_int_equal(wasm_valtype_repr(wasm_ref(WASM_HT_NOEXTERN, true)), WASM_VT_EXTERNREF);
    assert_int_equal(wasm_valtype_repr(wasm_ref(WASM_HT_NOEXN, false)), WASM_VT_EXNREF);
    assert_int_equal(wasm_ref(WASM_HT_ANY, true), WASM_VT_ANYREF);
    assert_int_equal(wasm_valtype_repr(wasm_ref(WASM_HT_NONE, false)), WASM_VT_ANYREF);
    assert_int_equal(wasm_valtype_repr(wasm_ref(WASM_HT_I31, true)), WASM_VT_ANYREF);
    assert_int_equal(wasm_valtype_repr(wasm_ref(WASM_HT_STRUCT, false)), WASM_VT_ANYREF);
    assert_string_equal(wasm_valtype_name(WASM_VT_ANYREF), "anyref");
    assert_string_equal(wasm_valtype_name(wasm_ref(WASM_HT_EQ, false)), "(ref eq)");
    assert_string_equal(wasm_valtype_name(wasm_ref(WASM_HT_NONE, true)), "(ref null none)");
    assert_string_equal(wasm_valtype_name(WASM_VT_UNKNOWN), "?");
    assert_string_equal(wasm_valtype_name(0x40), "?"); /* the empty block type */
    assert_string_equal(wasm_valtype_name(0x7A), "?");

    for (unsigned t = 0; t < 256; t++) {
        bool num = t == WASM_VT_I32 || t == WASM_VT_I64 || t == WASM_VT_F32 || t == WASM_VT_F64 ||
                   t == WASM_VT_V128;
        bool ref = t == WASM_VT_FUNCREF || t == WASM_VT_EXTERNREF || t == WASM_VT_EXNREF ||
                   t == WASM_VT_ANYREF;
        assert_int_equal(wasm_valtype_is_num((wasm_valtype)t), num);
        assert_int_equal(wasm_valtype_is_ref((wasm_valtype)t), ref);
    }
}

static void test_extern_names(void **state)
{
    (void)state;
    assert_string_equal(wasm_externkind_name(WASM_EXTERN_FUNC), "func");
    assert_string_equal(wasm_externkind_name(WASM_EXTERN_TABLE), "table");
    assert_string_equal(wasm_externkind_name(WASM_EXTERN_MEMORY), "memory");
    assert_string_equal(wasm_externkind_name(WASM_EXTERN_GLOBAL), "global");
    assert_string_equal(wasm_externkind_name(4), "tag"); /* exceptions (Wasm 3.0) */
    assert_string_equal(wasm_externkind_name(5), "?");
    assert_string_equal(wasm_externkind_name(0xFF), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_lookup_round_trips_every_row),
        cmocka_unit_test(test_op_encodings_are_unique),
        cmocka_unit_test(test_op_names_are_unique_except_select),
        cmocka_unit_test(test_op_ids_match_names),
        cmocka_unit_test(test_op_counts_per_prefix),
        cmocka_unit_test(test_op_lookup_knows_exactly_the_compiled_codes),
        cmocka_unit_test(test_op_lookup_rejects_unknown_codes),
        cmocka_unit_test(test_op_rows_spot_check),
        cmocka_unit_test(test_op_types_use_only_known_letters),
        cmocka_unit_test(test_op_types_follow_names),
        cmocka_unit_test(test_op_size_column),
        cmocka_unit_test(test_atomic_rows),
        cmocka_unit_test(test_valtype_names_and_classes),
        cmocka_unit_test(test_extern_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
