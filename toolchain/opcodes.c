/* opcodes.c -- the tables derived from opcodes.def, and the names of value and extern types.
 *
 * opcodes.def is expanded twice here: once into wasm_ops[], the per-op facts the decoder
 * and validator read, and once into the maps from encoding to op that the decoder uses.
 * Everything is built with designated initializers at compile time: there is no init
 * function, nothing is written at run time, and every function here is thread-safe.
 *
 * The maps hold WASM_OP_x + 1, so that 0, the value of every slot no row fills, means "no
 * such opcode". There is one map per prefix; a row reaches its map by pasting its prefix column
 * onto OP_MAP_ (OP_MAP_0, OP_MAP_0xFC, OP_MAP_0xFD), so a misspelled prefix does not compile.
 * A code past the end of its map is an "exceeds array bounds" error, and two rows with
 * one encoding are an initializer-overrides warning (-Wextra, an error with -Werror).
 */
#include <stdio.h>
#include <string.h>

#include "toolchain.h"

_Static_assert(WASM_OP_COUNT < UINT16_MAX, "the maps store WASM_OP_x + 1 in a uint16_t");

const wasm_opinfo wasm_ops[WASM_OP_COUNT] = {
#define OP(ID, NAME, PREFIX, CODE, IMM, IN, OUT, SIZE)                                             \
    [WASM_OP_##ID] = {.name = NAME,                                                                \
                      .prefix = PREFIX,                                                            \
                      .code = CODE,                                                                \
                      .imm = IMM,                                                                  \
                      .in = IN,                                                                    \
                      .out = OUT,                                                                  \
                      .size = SIZE},
#include "opcodes.def"
#undef OP
};

/* 0xFC codes run 0..22 (0-17 Wasm 2.0, 19-22 wide arithmetic) and 0xFD codes 0..0x113
 * (0x100-0x113 relaxed SIMD), 0xFE codes 0..0x4E (threads); anything later falls outside
 * the maps and is unknown. */
enum { OP_MAP_FC_SIZE = 32, OP_MAP_FD_SIZE = 0x120, OP_MAP_FE_SIZE = 0x50 };

static const struct {
    uint16_t single[256];
    uint16_t fc[OP_MAP_FC_SIZE];
    uint16_t fd[OP_MAP_FD_SIZE];
    uint16_t fe[OP_MAP_FE_SIZE];
} op_map = {
#define OP_MAP_0    single
#define OP_MAP_0xFC fc
#define OP_MAP_0xFD fd
#define OP_MAP_0xFE fe

#define OP(ID, NAME, PREFIX, CODE, IMM, IN, OUT, SIZE) .OP_MAP_##PREFIX[CODE] = WASM_OP_##ID + 1,
#include "opcodes.def"
#undef OP
#undef OP_MAP_0
#undef OP_MAP_0xFC
#undef OP_MAP_0xFD
#undef OP_MAP_0xFE
};

uint16_t wasm_op_lookup(uint8_t prefix, uint32_t code)
{
    uint16_t entry = 0;
    switch (prefix) {
    case 0:
        if (code < KILN_ARRAY_LEN(op_map.single))
            entry = op_map.single[code];
        break;
    case 0xFC:
        if (code < KILN_ARRAY_LEN(op_map.fc))
            entry = op_map.fc[code];
        break;
    case 0xFD:
        if (code < KILN_ARRAY_LEN(op_map.fd))
            entry = op_map.fd[code];
        break;
    case 0xFE:
        if (code < KILN_ARRAY_LEN(op_map.fe))
            entry = op_map.fe[code];
        break;
    default:
        break;
    }
    return entry ? (uint16_t)(entry - 1) : (uint16_t)WASM_OP_COUNT;
}

const char *wasm_valtype_name(wasm_valtype t)
{
    switch (t) {
    case WASM_VT_I32:
        return "i32";
    case WASM_VT_I64:
        return "i64";
    case WASM_VT_F32:
        return "f32";
    case WASM_VT_F64:
        return "f64";
    case WASM_VT_V128:
        return "v128";
    case WASM_VT_FUNCREF:
        return "funcref";
    case WASM_VT_EXTERNREF:
        return "externref";
    case WASM_VT_EXNREF:
        return "exnref";
    case WASM_VT_ANYREF:
        return "anyref";
    default:
        break;
    }
    if (!(t & WASM_VT_REF))
        return "?";
    static _Thread_local char ring[8][40];
    static _Thread_local unsigned next;
    char *buf = ring[next++ % 8];
    uint32_t h = wasm_ref_heap(t);
    const char *null = wasm_ref_nullable(t) ? "null " : "";
    if (wasm_heap_is_type(h))
        snprintf(buf, sizeof ring[0], "(ref %s%u)", null, (unsigned)(h - WASM_HT_TYPE));
    else if (strcmp(wasm_heap_name(h), "?") != 0)
        snprintf(buf, sizeof ring[0], "(ref %s%s)", null, wasm_heap_name(h));
    else
        return "?";
    return buf;
}

const char *wasm_heap_name(uint32_t h)
{
    switch (h) {
    case WASM_HT_FUNC:
        return "func";
    case WASM_HT_EXTERN:
        return "extern";
    case WASM_HT_NOFUNC:
        return "nofunc";
    case WASM_HT_NOEXTERN:
        return "noextern";
    case WASM_HT_EXN:
        return "exn";
    case WASM_HT_NOEXN:
        return "noexn";
    case WASM_HT_ANY:
        return "any";
    case WASM_HT_EQ:
        return "eq";
    case WASM_HT_I31:
        return "i31";
    case WASM_HT_STRUCT:
        return "struct";
    case WASM_HT_ARRAY:
        return "array";
    case WASM_HT_NONE:
        return "none";
    default:
        return "?";
    }
}

bool wasm_valtype_is_num(wasm_valtype t)
{
    return t == WASM_VT_I32 || t == WASM_VT_I64 || t == WASM_VT_F32 || t == WASM_VT_F64 ||
           t == WASM_VT_V128;
}

const char *wasm_externkind_name(uint8_t kind)
{
    switch (kind) {
    case WASM_EXTERN_FUNC:
        return "func";
    case WASM_EXTERN_TABLE:
        return "table";
    case WASM_EXTERN_MEMORY:
        return "memory";
    case WASM_EXTERN_GLOBAL:
        return "global";
    case WASM_EXTERN_TAG:
        return "tag";
    default:
        return "?";
    }
}
