/* opcodes3.h -- the WebAssembly 3.0 instructions of opcodes3.def: their ids and the kinds of
 * their immediates. The table itself is opcodes3.def (an X-macro file); this header turns it
 * into enum wasm_op3 and declares the immediate kinds its imm column names. Included by the
 * text reader (wat.h); the decoder can include it to name 3.0 instructions it does not
 * compile. Only constants: no table with storage, so nothing here needs a .c file.
 */
#ifndef KILN_TOOLCHAIN_OPCODES3_H
#define KILN_TOOLCHAIN_OPCODES3_H

/* The imm column of opcodes3.def; the comment there says what each one reads. */
typedef enum wasm_imm3 {
    IMM3_NONE,
    IMM3_FUNC,
    IMM3_CALL_INDIRECT,
    IMM3_TYPE,
    IMM3_TYPE_TYPE,
    IMM3_TYPE_FIELD,
    IMM3_TYPE_COUNT,
    IMM3_TYPE_DATA,
    IMM3_TYPE_ELEM,
    IMM3_LABEL,
    IMM3_TAG,
    IMM3_HEAPTYPE,
    IMM3_BR_ON_CAST,
    IMM3_BLOCK,
    IMM3_TRY_TABLE,
    IMM3_MEMARG1,
    IMM3_MEMARG2,
    IMM3_MEMARG4,
    IMM3_MEMARG8,
    IMM3_ZERO,
} wasm_imm3;

typedef enum wasm_op3 {
#define OP3(id, name, prefix, code, imm, feature) WASM_OP3_##id,
#include "opcodes3.def"
#undef OP3
    WASM_OP3_COUNT
} wasm_op3;

#endif
