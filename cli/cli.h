/* cli.h -- the `kiln` program: what its files share.
 *
 * The program is the only part of Kiln that prints, reads files by name or exits: main.c
 * holds main() and the subcommand table, cmd_<name>.c one subcommand each (the spec-script
 * runner behind `kiln wast` has its own folder, wast/), and the helpers below (diagnostics,
 * a JSON writer, growable strings, aligned text tables, one-line descriptions of module
 * entities, the module loader) are shared by them. The compiler (toolchain.h) knows nothing
 * of the program. Allocation failure is an error message, never a crash; nothing calls exit().
 */
#ifndef KILN_CLI_H
#define KILN_CLI_H

#include <stdio.h>

#include "kiln/kiln.h"
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
 * common.c
 */

/* The name used for path in messages: "<stdin>" for "-", else path itself. */
const char *cli_display_name(const char *path);
/* Prints kiln_diag_format's line for d plus a newline. */
void cli_print_diag(FILE *out, const kiln_diag *d, const char *file);
/* Matches argv[*i] as "--name VALUE" or "--name=VALUE", sets *out and advances *i past what
 * it used; *missing when VALUE is absent. False if argv[*i] is another option. */
bool cli_option_value(int argc, char **argv, int *i, const char *name, const char **out,
                      bool *missing);
/* "signal", "full" or "none" (--interrupt-checks); false for anything else. */
bool cli_interrupt_mode(const char *name, kiln_interrupt_mode *out);
/* --disable-FEATURE: false if arg is another option; else adds FEATURE's KILN_FEAT_* bit to
 * *bits, or sets *status to a usage error of cmd for an unknown feature. */
bool cli_disable_option(const char *cmd, const char *arg, uint32_t *bits, int *status);
/* A duration: a decimal number (fractions allowed) and a unit, ns, us, ms, s, m or h (none:
 * seconds), as nanoseconds. False for anything else or more than 2^64 ns. */
bool cli_duration(const char *text, uint64_t *out_ns);

/*
 * json_writer.c -- a streaming JSON writer.
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
 * text.c -- growable strings and aligned text tables.
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
 * describe.c -- module entities as short strings, shared by the text and JSON views of
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
 * The subcommands: cmd_compile.c, cmd_validate.c, cmd_inspect.c (+ inspect_text.c,
 * inspect_json.c), cmd_build.c, cmd_run.c, and wast/wast_run.c. Each takes the arguments
 * after its name and returns the process exit status (CLI_EXIT_*; run: the guest's).
 */

extern const char cli_compile_help[];
int cli_compile(int argc, char **argv);

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

extern const char cli_build_help[];
int cli_build(int argc, char **argv);
extern const char cli_run_help[];
int cli_run(int argc, char **argv);
extern const char cli_wast_help[];
int cli_wast(int argc, char **argv);

/* The options `kiln build` and `kiln run` share (cmd_build.c parses them). */
#define CLI_MAX_DIRS     256
#define CLI_MAX_ENVS     1024
#define CLI_MAX_HOSTS    64 /* build --host files */
#define CLI_MAX_PRELOADS 16 /* run --preload modules */
/* The WASI modules build and run bind at run time; every other module's functions are
 * sealed to --host code (kiln_compile_options.sealed_imports). */
#define CLI_APP_SEALED "*,-wasi_snapshot_preview1,-wasi"
#define CLI_APP_PREFIX "kiln_app" /* the symbol prefix of the module build and run compile */

typedef struct cli_app_opts {
    const char *cmd; /* "build" or "run" */
    const char *input, *output;
    const char *dir_hosts[CLI_MAX_DIRS], *dir_guests[CLI_MAX_DIRS];
    uint32_t dir_flags[CLI_MAX_DIRS]; /* KILN_WASI_PREOPEN_READONLY for --ro-dir */
    size_t dir_count;
    bool allow_special_fs; /* --allow-special-fs: every directory gets PREOPEN_SPECIAL_FS */
    bool verbose;          /* run -v: the sandbox's refusals on stderr (KILN_WASI_VERBOSE) */
    const char *envs[CLI_MAX_ENVS];
    size_t env_count;
    bool inherit_env;
    bool dynamic; /* build: link the C library dynamically (default: static) */
    int opt_level;
    int size_level;                 /* -Os 1, -Oz 2 */
    bool bounds_checks;             /* --bounds-checks */
    bool debug_info;                /* -g */
    bool relaxed_dead_loads;        /* --relaxed-dead-loads */
    bool no_address_facts;          /* --no-address-facts */
    kiln_interrupt_mode interrupts; /* --interrupt-checks, --no-interrupt-checks */
    uint32_t disabled_features;     /* --disable-FEATURE (KILN_FEAT_* bits) */
    uint64_t timeout_ns;            /* --timeout; 0 = none */
    const char *triple, *cpu;
    const char *hosts[CLI_MAX_HOSTS]; /* build --host: C sources, objects, archives */
    size_t host_count;
    const char *header; /* build --header: where to write the module's C header */
    const char *preload_names[CLI_MAX_PRELOADS], *preload_files[CLI_MAX_PRELOADS];
    size_t preload_count;                                        /* run --preload NAME=FILE */
    char *owned[CLI_MAX_DIRS + CLI_MAX_ENVS + CLI_MAX_PRELOADS]; /* strings split or built here */
    size_t owned_count;
} cli_app_opts;

/* `kiln build` (run false) or `kiln run`: parses the command line into fresh options, calls
 * go with them and the module's own arguments (run: FILE.wasm ARGS...; build: none), frees
 * them. Returns go's status, or the exit status of --help or a usage error. */
int cli_app_main(const char *cmd, bool run, int argc, char **argv,
                 int (*go)(cli_app_opts *o, int argc, char **argv));
/* The KILN_WASI_PREOPEN_* flags of directory i (--ro-dir, --allow-special-fs). */
uint32_t cli_app_dir_flags(const cli_app_opts *o, size_t i);
/* Prints "kiln CMD: error: MESSAGE" to stderr; returns CLI_EXIT_FAIL. */
int cli_app_fail(const char *cmd, const char *fmt, ...) KILN_PRINTF(2, 3);
/* Compiles the module in f (read from o->input) with prefix CLI_APP_PREFIX to DIR/OBJ
 * (NULL: app.o); with --host (o->host_count), its imports other than WASI's are sealed and
 * its header goes to DIR/kiln_app.h (and o->header). Prints the diagnostic and returns
 * CLI_EXIT_FAIL if it does not compile. */
int cli_app_compile(const cli_app_opts *o, const host_file *f, const char *dir, const char *obj);

/*
 * loader.c -- compiled modules into this process, for `kiln run` and `kiln wast`: objects are
 * linked into a shared object with ld.lld and the shared object is dlopen'ed. Its calls into
 * the runtime resolve against the kiln program, which exports the whole runtime.
 */

/* Links count objects (and extra, e.g. the target's libgcc.a, when not NULL) into so_path
 * with `linker -shared --build-id=none`. False with the linker's failure in err, and no
 * so_path left behind. */
bool loader_link(const char *linker, const char *const *objects, size_t count, const char *extra,
                 const char *so_path, char *err, size_t err_size);
/* dlopens so_path (RTLD_NOW | RTLD_LOCAL) and finds the module descriptor `symbol`. The
 * handle is never closed: the module's code stays registered with the runtime's fault
 * handler for the life of the process. False with the reason in err. */
bool loader_open(const char *so_path, const char *symbol, const kiln_module **out, char *err,
                 size_t err_size);

#endif
