/* wast.h -- the spec-script runner behind `kiln wast` (and, for its script half, tests/spec).
 *
 * A spec script (.wast) becomes a JSON command list plus one file per module, written by
 * wast_text.c (the direct route) or by wabt's wast2json. Five files share this header:
 *   wast_text.c    reads a .wast itself and writes wast2json's JSON and module files;
 *   wast_script.c  loads the JSON, finds each command's module file and classifies a binary
 *                  module as valid, invalid or malformed (also used by tests/spec);
 *   wast_run.c     the command: options, wast2json, compiling and linking the modules
 *                  (cli/loader.c), running the commands in a crash-isolated child, the report;
 *   wast_values.c  values: parsed from the JSON, compared (NaN patterns), printed;
 *   wast_host.c    the runtime side: instances in a pool, the spectest host module, names
 *                  registered with `register`, calls and global reads.
 * Values cross between the runner and its host as wast_value (raw bits), so the runner never
 * depends on how the runtime represents them. Nothing here but wast_run.c prints.
 */
#ifndef KILN_CLI_WAST_H
#define KILN_CLI_WAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "json.h"
#include "kiln/kiln.h"
#include "toolchain.h"

#define WAST_EXIT_SKIP 77 /* ctest's SKIP_RETURN_CODE: the test suite or a tool is missing */

/*
 * wast_script.c
 */

bool wast_ends_with(const char *s, const char *suffix);
/* `wast2json [--enable-all] WAST -o JSON`; the module files land beside JSON. */
bool wast_run_wast2json(const char *wast2json, bool enable_all, const char *wast, const char *json,
                        char *err, size_t err_size);

/*
 * wast_text.c
 */

/* Reads the spec script at wast_path itself (no wast2json) and writes what wast2json would:
 * json_path with the commands, and the modules beside it (NAME.N.wasm where NAME is
 * json_path's name without .json; a module text the reader rejects as NAME.N.wat, its
 * command carrying "text_error" and "text_error_at", and "text_error_class": "invalid" when
 * the reader's verdict is invalid; the top level has "converter": "kiln wast"). False with
 * "FILE:LINE:COLUMN: message"
 * in err when the script is not one (json_path is then not written). */
bool wast_text_convert(const char *wast_path, const char *json_path, bool wasm3, char *err,
                       size_t err_size);
/* The same for a script in memory: the JSON to out, the module files NAME.N.wasm/.wat (NAME
 * = stem) into dir, or nowhere when dir is NULL (the JSON still names them); display names
 * the script in messages. wasm3: where the 2.0 and 3.0 specs disagree about a module's text,
 * read it as 3.0 does (wat_to_wasm); else as 2.0. */
bool wast_text_read(const uint8_t *text, size_t size, const char *display, const char *dir,
                    const char *stem, FILE *out, bool wasm3, char *err, size_t err_size);

/* A loaded wast2json script. */
typedef struct wast_script {
    kiln_arena arena; /* owns the JSON tree */
    host_file text;   /* the JSON text */
    const json_value *root;
    const json_value *commands; /* an array of command objects */
    const char *source;         /* "source_filename" (the .wast as given), or NULL */
} wast_script;

bool wast_script_load(wast_script *s, const char *json_path, char *err, size_t err_size);
void wast_script_free(wast_script *s); /* also after a failed load */
/* The module file of a command that has one (module, assert_invalid, assert_malformed,
 * assert_unlinkable, assert_uninstantiable): a plain file name beside the JSON, and whether it
 * is a text module (which tests the text parser; runners skip it). False on output that is
 * not what wast2json writes. */
bool wast_command_module(const json_value *cmd, const char **filename, bool *text, char *err,
                         size_t err_size);

typedef enum wast_expect {
    WAST_EXPECT_VALID,
    WAST_EXPECT_INVALID,
    WAST_EXPECT_MALFORMED
} wast_expect;
const char *wast_expect_name(wast_expect e); /* "valid", "invalid", "malformed" */

typedef struct wast_check {
    bool valid;     /* decoded and validated */
    bool matches;   /* the outcome is the expected one */
    bool patched;   /* checked with an empty data count section added (see wast_check_module) */
    kiln_diag diag; /* why it is not valid */
} wast_check;

/* Decodes and validates a binary module and compares the outcome with want (malformed =
 * kiln_decode fails, invalid = kiln_validate fails). wast2json 1.0.32 writes no data count
 * section for modules without data segments even when code uses memory.init/data.drop, which
 * makes the spec's invalid modules (memory_init.wast:190, 227) malformed; when want is invalid
 * and decoding says "data count section required", the check is repeated with an empty data
 * count section inserted, and patched is set. */
/* wasm3: judge by the 3.0 spec's rules (kiln_validate_to_compile: a construct valid in 3.0
 * but not compiled by Kiln is unsupported, messages in 3.0's wording); else by 2.0's
 * (kiln_validate). */
void wast_check_module(const uint8_t *wasm, size_t size, wast_expect want, bool wasm3,
                       wast_check *out);

/*
 * wast_host.c
 */

/* A value. Numbers are their bits in lo (i32/f32 in the low 32 bits); a v128 is bytes 0-7 in
 * lo and 8-15 in hi, little-endian; a reference is its pointer in lo, 0 for null. */
typedef struct wast_value {
    uint8_t type;
    uint64_t lo, hi;
} wast_value;

/* Arguments and results of one call: as many as a function type may have (the decoder's
 * limits, docs/limits.md), so every function Kiln compiles can be invoked. */
#define WAST_MAX_ARGS    KILN_MAX_PARAMS
#define WAST_MAX_RESULTS KILN_MAX_RESULTS

typedef enum wast_status {
    WAST_OK,
    WAST_LINK,        /* instantiation: an import is missing or does not match its type */
    WAST_TRAP,        /* the call or the instantiation (segments, start) trapped */
    WAST_UNAVAILABLE, /* instantiation: imports a registered name whose module is not there */
    WAST_ERROR,       /* anything else (no such export, bad arguments, a runtime error) */
} wast_status;

typedef struct wast_host wast_host;

/* What a call or a global read produced. */
typedef struct wast_result {
    const char *trap; /* WAST_TRAP: the trap's message in the spec's wording (static) */
    bool exhausted;   /* WAST_TRAP: it is call stack exhaustion */
    bool exception;   /* WAST_TRAP: an uncaught Wasm exception (assert_exception) */
    size_t count;
    wast_value values[WAST_MAX_RESULTS];
} wast_result;

/* Creates the host: an instance pool, and spectest's memory (1..2 pages), shared_memory
 * (shared, 1..2 pages), table (funcref 10..20) and globals (666, 666, 666.6f, 666.6). False
 * with a message on failure. */
bool wast_host_new(wast_host **out, char *msg, size_t msg_size);
/* Frees every instance, the pool and spectest's memory and table. NULL is ignored. */
void wast_host_free(wast_host *h);

/* A host module of the embedding program's own, consulted before "spectest" and the
 * registered names: kiln wast has none; a test driver linking the runner (tests/fuzz's
 * fuzz_exec_host, which supplies binaryen's "fuzzing-support") sets one before cli_wast.
 * resolve fills *out for import d (module and name as C strings) and returns true, or
 * returns false to leave the import to spectest and the registrations. */
typedef struct wast_provider {
    bool (*resolve)(void *env, const char *module, const char *name, const kiln_import_desc *d,
                    kiln_extern *out);
    /* Called when inst has been instantiated (its start function, if any, has returned);
     * may be NULL. */
    void (*instantiated)(void *env, kiln_instance *inst);
    void *env;
} wast_provider;
/* Process-wide; NULL removes it. */
void wast_set_provider(const wast_provider *p);

/* The host functions below are thread-safe: the script's threads (wast_run.c) share one
 * host, and no lock is held while wasm runs. wast_host_new, wast_host_free and
 * wast_set_provider are not: no other thread may use the host then. */

/* Instantiates a loaded module with imports resolved by (module, name): "spectest", or the
 * exports of a registered instance. On WAST_LINK msg has the runtime's reason, on WAST_TRAP
 * the trap's message, on WAST_UNAVAILABLE *tag is the tag registered for the missing name. */
wast_status wast_host_instantiate(wast_host *h, const kiln_module *module, kiln_instance **out,
                                  const void **tag, const void *scope, char *msg, size_t msg_size);

/* Makes inst's exports importable under module name `as` (later registrations of a name win),
 * for every thread. inst may be NULL for a module that is not available; importing from it
 * then gives WAST_UNAVAILABLE with tag (the caller's, e.g. its record of the module). False
 * if out of memory. */
bool wast_host_register(wast_host *h, const char *as, kiln_instance *inst, const void *tag,
                        const void *scope);

/* Frees inst, which no later command can name (neither current nor named in the script),
 * unless it is registered or imported a table, a global or another instance's function (its
 * functions may then be referenced elsewhere). Its pool slot is reused. NULL is ignored. Only
 * for an instance no other thread can reach: one its thread's commands created and never
 * shared or registered. */
void wast_host_release(wast_host *h, kiln_instance *inst);

/* Calls the exported function field (field_len bytes, NUL bytes allowed) with args (types must
 * match its parameters exactly). WAST_OK: out holds the results; WAST_TRAP: out->trap says which;
 * WAST_ERROR: msg says why it could not be called, among others that another thread is
 * calling inst now (an instance is entered by one thread at a time, kiln.h). */
wast_status wast_host_invoke(wast_host *h, kiln_instance *inst, const char *field, size_t field_len,
                             const wast_value *args, size_t arg_count, wast_result *out, char *msg,
                             size_t msg_size);

/* Reads the exported global field into out (one value). */
wast_status wast_host_get(wast_host *h, kiln_instance *inst, const char *field, size_t field_len,
                          wast_result *out, char *msg, size_t msg_size);

/*
 * wast_values.c
 */

typedef enum wast_nan { WAST_NAN_NONE, WAST_NAN_CANONICAL, WAST_NAN_ARITHMETIC } wast_nan;

/* A value from the script: an argument, or an expected result with its patterns. */
/* Pseudo type codes of script values that are no Wasm value type: "ref" (a null of a defined
 * or unnamed heap type, or the pattern (ref)) and "hostref" (ref.host N). The other
 * references keep their Wasm codes (anyref 0x6e, ..., nullexnref 0x74). */
#define WAST_TYPE_REF     0x01
#define WAST_TYPE_HOSTREF 0x02

typedef struct wast_script_value {
    wast_value v;
    bool any_ref;       /* a reference result given without a value: any non-null one */
    bool any_null;      /* a null result of a Wasm 3.0 heap type: any null reference */
    bool unsupported;   /* a value the runner cannot pass or check (a GC or host reference):
                         * commands with one are skipped */
    unsigned lane_bits; /* v128: 8, 16, 32 or 64 */
    bool lane_float;    /* v128: f32 or f64 lanes */
    uint8_t nan[16];    /* wast_nan; f32/f64: nan[0]; v128 float lanes: one per lane */
} wast_script_value;

/* "i32", ..., "externref" for a KILN_TYPE_* code; "?" for others. */
const char *wast_type_name(uint8_t type);
/* Parses a wast2json value ({"type": "i32", "value": "4294967295"}, v128 lanes, NaN patterns
 * when expected is true, references). A reference value compiled code cannot hold (Kiln runs
 * Wasm 2.0: funcref and externref) parses with unsupported set. As arguments, the nulls of
 * nofunc and noextern are funcref and externref nulls; as results, a null of any heap type
 * but func and extern matches every null reference (the reference interpreter's null
 * pattern). False with the reason in err. */
bool wast_parse_value(const json_value *j, bool expected, wast_script_value *out, char *err,
                      size_t err_size);
/* Whether got is what want expects: the same bits, or a NaN of the pattern's kind. */
bool wast_value_matches(const wast_script_value *want, const wast_value *got);
/* Appends "i32:-1", "f32:1.5 (0x3fc00000)", "funcref:null", "v128:i32x4:1,2,3,4", ...; want,
 * if given, supplies the lane shape of a v128 and, with show_patterns, the NaN patterns. */
void wast_format_value(cli_buf *b, const wast_value *v, const wast_script_value *want,
                       bool show_patterns);
/* "[a, b]", or the one value alone. wants may be NULL. */
void wast_format_values(cli_buf *b, const wast_value *values, const wast_script_value *wants,
                        size_t count, bool show_patterns);

#endif
