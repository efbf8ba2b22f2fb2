/* kiln_limits.h -- Kiln's implementation limits, enforced by the decoder and the validator.
 *
 * The specification lets an implementation bound the sizes of a module; going over one of
 * these is reported as class "limit" (KILN_ERR_LIMIT) with the limit's name, never as
 * malformed or invalid. The values follow the limits every web engine enforces (the JS API's
 * "Implementation-defined limits"), so any module that loads in a browser loads in Kiln.
 * docs/limits.md lists them for users; keep the two in sync.
 */
#ifndef KILN_TOOLCHAIN_LIMITS_H
#define KILN_TOOLCHAIN_LIMITS_H

#define KILN_MAX_MODULE_SIZE       (1024u * 1024u * 1024u) /* bytes of one .wasm file */
#define KILN_MAX_TYPES             1000000u
#define KILN_MAX_FUNCTIONS         1000000u /* imported + defined */
#define KILN_MAX_IMPORTS           100000u
#define KILN_MAX_EXPORTS           100000u
#define KILN_MAX_GLOBALS           1000000u
#define KILN_MAX_TAGS              1000000u /* exceptions: tags, imports counted */
#define KILN_MAX_DATA_SEGMENTS     100000u
#define KILN_MAX_ELEM_SEGMENTS     10000000u
#define KILN_MAX_ELEM_SEGMENT_SIZE 10000000u /* entries of one element segment */
#define KILN_MAX_TABLES            100000u
#define KILN_MAX_MEMORIES          100000u /* imported + defined (multi-memory; 2.0 allows one) */
#define KILN_MAX_PARAMS            1000u   /* of one function type */
#define KILN_MAX_RESULTS           1000u   /* of one function type */
#define KILN_MAX_LOCALS            50000u /* declared locals of one function, parameters excluded */
#define KILN_MAX_FUNCTION_SIZE     7654321u /* bytes of one function body */
#define KILN_MAX_BR_TABLE_SIZE     65520u   /* targets of one br_table */
#define KILN_MAX_NESTING           10000u   /* nested blocks/loops/ifs in one function */
#define KILN_MAX_OPERAND_STACK     100000u  /* operand stack height in one function */
#define KILN_MAX_NAME_SIZE         100000u  /* bytes of one import/export/custom-section name */
#define KILN_MAX_SECTIONS          100000u  /* sections of all kinds, custom ones included */
#define KILN_MAX_TEXT_DEPTH        1000u    /* folded instructions nested in the text format */
#define KILN_MAX_SELECT_TYPES      1000u    /* types in `select t*` (only 1 is valid) */
#define KILN_MAX_CONST_EXPR_DEPTH                                                                  \
    256u /* operands on the stack of a constant expression                                         \
            (extended ones); = KILN_INIT_EXPR_MAX_DEPTH */

#endif
