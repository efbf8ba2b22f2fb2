/* cli.h -- declarations shared by the files of the `kiln` command-line program.
 *
 * The CLI is the only part of Kiln that prints, reads files by name or exits: kiln.c holds
 * main() and the subcommand table, cli_<command>.c one subcommand each, and the helpers
 * below (file input, a JSON writer, growable strings, aligned text tables and one-line
 * descriptions of module entities) are shared by them. Nothing here is used by the toolchain
 * library or its tests, so it may print and allocate with malloc freely; it still never calls
 * exit() and reports allocation failure as an error instead of crashing.
 */
#ifndef KILN_TOOLCHAIN_CLI_H
#define KILN_TOOLCHAIN_CLI_H

#include <stdio.h>

#include "toolchain.h"

/* Exit statuses of every subcommand (docs/cli.md). */
enum {
    CLI_EXIT_OK = 0,    /* success; for validate: every file is valid */
    CLI_EXIT_FAIL = 1,  /* a module is malformed/invalid/over a limit, or I/O failed */
    CLI_EXIT_USAGE = 2, /* bad command line */
};

/* Prints "kiln CMD: MESSAGE" and a pointer to the help to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) KILN_PRINTF(2, 3);

/*
 * cli_io.c -- reading modules and printing diagnostics.
 */

typedef struct cli_file {
    uint8_t *data; /* malloc'd; NULL for an empty file */
    size_t size;
} cli_file;

/* Reads a whole file ("-" = standard input) into memory. Fails with class "io" (the message
 * carries strerror), "limit" for files over KILN_MAX_MODULE_SIZE, or "nomem". */
bool cli_read_file(const char *path, cli_file *out, kiln_diag *d);
void cli_file_free(cli_file *f);
/* The name used for path in messages: "<stdin>" for "-", else path itself. */
const char *cli_display_name(const char *path);
/* Prints kiln_diag_format's line for d plus a newline. */
void cli_print_diag(FILE *out, const kiln_diag *d, const char *file);

/*
 * cli_json.c -- a streaming JSON writer.
 *
 * Compact mode writes everything on one line with no spaces (one record per line, for
 * `validate --json`). Pretty mode indents by two spaces; a container opened with
 * inline_ = true is written on one line, with everything inside it.
 */

#define CLI_JSON_MAX_DEPTH 16

typedef struct cli_json {
    FILE *out;
    bool pretty;
    bool after_key;
    int depth;
    int inline_level; /* level of the outermost inline container; MAX_DEPTH if none */
    bool has_items[CLI_JSON_MAX_DEPTH];
} cli_json;

void cli_json_init(cli_json *j, FILE *out, bool pretty);
void cli_json_object(cli_json *j, bool inline_);
void cli_json_object_end(cli_json *j);
void cli_json_array(cli_json *j, bool inline_);
void cli_json_array_end(cli_json *j);
void cli_json_key(cli_json *j, const char *key);
/* Any bytes, through json_write_string: always valid JSON, U+FFFD for bytes that are not
 * UTF-8. */
void cli_json_string(cli_json *j, const char *s, size_t n);
void cli_json_cstring(cli_json *j, const char *s);
void cli_json_uint(cli_json *j, uint64_t v);
void cli_json_bool(cli_json *j, bool v);
/* Key + value shorthands for object members. */
void cli_json_kv_string(cli_json *j, const char *key, const char *s, size_t n);
void cli_json_kv_cstring(cli_json *j, const char *key, const char *s);
void cli_json_kv_uint(cli_json *j, const char *key, uint64_t v);
void cli_json_kv_bool(cli_json *j, const char *key, bool v);
/* A file name: "key": the name (U+FFFD for bytes that are not UTF-8), and, only when the name
 * is not valid UTF-8, "key_hex": its exact bytes as lower-case hex. */
void cli_json_kv_path(cli_json *j, const char *key, const char *path);
/* {"class":..., "offset":..., "function":..., "message":...} members for a diagnostic;
 * offset and function are left out when the diagnostic has none. */
void cli_json_diag_members(cli_json *j, const kiln_diag *d);

/*
 * cli_text.c -- growable strings and aligned text tables.
 */

typedef struct cli_buf {
    char *data; /* NUL-terminated once anything was written; NULL before */
    size_t len, cap;
    bool failed; /* an allocation failed; the contents are truncated */
} cli_buf;

void cli_buf_init(cli_buf *b);
void cli_buf_free(cli_buf *b);
void cli_buf_clear(cli_buf *b);
void cli_buf_put(cli_buf *b, const char *s, size_t n);
void cli_buf_printf(cli_buf *b, const char *fmt, ...) KILN_PRINTF(2, 3);
/* The contents as a C string ("" when empty). */
const char *cli_buf_str(const cli_buf *b);
/* A name for human eyes: as is when it is non-empty printable UTF-8 without spaces or quotes,
 * else in double quotes with C escapes (\n, \", \xNN for other controls and bad bytes). */
void cli_buf_name(cli_buf *b, const char *s, size_t n);
/* Always quoted, escaped as above. */
void cli_buf_quoted(cli_buf *b, const char *s, size_t n);

/* Tables are printed in two passes over a row callback: the first measures the widest cell of
 * each column, the second prints rows padded to those widths, two spaces apart, with no
 * trailing blanks. Only one row is held in memory, so a module with a million functions
 * costs no more than one with ten. Widths count UTF-8 code points and stop growing at
 * CLI_TABLE_MAX_WIDTH; a longer cell pushes the rest of its row to the right. */
#define CLI_TABLE_MAX_WIDTH 56
#define CLI_TABLE_MAX_COLS  8

typedef struct cli_table {
    const char *align; /* one 'l' or 'r' per column */
    size_t cols, col;
    size_t widths[CLI_TABLE_MAX_COLS];
    cli_buf cells[CLI_TABLE_MAX_COLS];
} cli_table;

/* Fills row `row` with cli_table_cell/cli_table_skip; called twice per row, so it must
 * produce the same cells both times. */
typedef void (*cli_table_row_fn)(cli_table *t, const void *ctx, size_t row);

/* Appends a cell to the current row. */
void cli_table_cell(cli_table *t, const char *fmt, ...) KILN_PRINTF(2, 3);
void cli_table_skip(cli_table *t); /* an empty cell */
/* The next cell's buffer, for appending to it directly (cli_buf_name ...). */
cli_buf *cli_table_next(cli_table *t);
/* Prints rows 0..rows-1. Returns false if an allocation failed (output may be partial). */
bool cli_table_run(const char *align, size_t rows, cli_table_row_fn fn, const void *ctx, FILE *out,
                   const char *indent);

/*
 * cli_describe.c -- module entities as short strings, shared by the text and JSON views of
 * `kiln inspect`. Every lookup is bounds-checked: inspect also shows modules that failed to
 * decode or validate, whose indices may point anywhere.
 */

const char *cli_section_name(uint8_t id); /* "type" ... "datacount", "custom"; "unknown" */
const wasm_functype *cli_type(const wasm_module *m, uint32_t type_index); /* NULL if none */
const wasm_functype *cli_func_type(const wasm_module *m, uint32_t func_index);
bool cli_func_name(const wasm_module *m, uint32_t func_index, wasm_str *out);
/* "(i32, i32) -> i32", "() -> ()", "(i32) -> (i32, i64)"; "?" for NULL. */
void cli_buf_functype(cli_buf *b, const wasm_functype *t);
/* "min 1 max 2" / "min 1". */
void cli_buf_limits(cli_buf *b, const wasm_limits *l);
/* A constant expression as text, instructions separated by ", " without the final end:
 * "i32.const 42", "global.get 0", "ref.null func"; "<malformed>" if it does not decode. */
void cli_buf_expr(cli_buf *b, const wasm_module *m, wasm_expr e);
/* Bytes of a defined function's code entry (the size field's value: locals + body).
 * Returns false for imported functions or if the entry is not readable. */
bool cli_code_entry_size(const wasm_module *m, const wasm_func *f, uint32_t *out);
/* The sum of cli_code_entry_size over defined functions. */
uint64_t cli_code_size(const wasm_module *m);
/* The WebAssembly version from the header; false if the magic is missing. */
bool cli_module_version(const uint8_t *bytes, size_t size, uint32_t *out);

/*
 * Subcommands: cli_validate.c, cli_inspect.c (+ cli_inspect_text.c, cli_inspect_json.c).
 * Each takes the arguments after its name and returns the process exit status.
 */

extern const char cli_validate_help[];
int cli_validate(int argc, char **argv);

extern const char cli_inspect_help[];
int cli_inspect(int argc, char **argv);

/* What inspect prints, gathered once. The module is whatever kiln_decode produced, even when
 * it failed; decoded says whether decoding finished. error.code is KILN_OK for a valid module. */
typedef struct cli_inspection {
    const char *file; /* display name */
    const uint8_t *bytes;
    size_t size;
    const wasm_module *m; /* NULL if the file could not be read */
    bool decoded;
    kiln_diag error;
} cli_inspection;

bool cli_inspect_text(const cli_inspection *in, FILE *out);
bool cli_inspect_json(const cli_inspection *in, FILE *out);

#endif
