/* cli_wast.h -- the interface between the two halves of `kiln wast`.
 *
 * cli_wast.c runs a spec script: options, wast2json, compiling and linking each module into a
 * shared object, the commands in order, values to and from the JSON, the report and crash
 * isolation. cli_wast_host.c is the runtime side: it dlopens the shared objects, provides the
 * spectest host module, keeps the instances and the names registered with `register`, and
 * calls exports. They are separate files because kiln.h's embedder types (wasm_module,
 * wasm_import, wasm_memory, wasm_table, wasm_externkind) share their names with internal.h's
 * decoded-module types, so no file can include both headers. Values cross this interface as
 * wast_value and instances as an opaque pointer; this header includes neither.
 */
#ifndef KILN_TOOLCHAIN_CLI_WAST_H
#define KILN_TOOLCHAIN_CLI_WAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value types as the binary format encodes them (the same numbers as KILN_VT_* in
 * internal.h and KILN_TYPE_* in abi.h). */
enum {
    WAST_I32 = 0x7F,
    WAST_I64 = 0x7E,
    WAST_F32 = 0x7D,
    WAST_F64 = 0x7C,
    WAST_V128 = 0x7B,
    WAST_FUNCREF = 0x70,
    WAST_EXTERNREF = 0x6F,
};

/* A value. Numbers are their bits in lo (i32/f32 in the low 32 bits); a v128 is bytes 0-7 in
 * lo and 8-15 in hi, little-endian; a reference is its pointer in lo, 0 for null. */
typedef struct wast_value {
    uint8_t type;
    uint64_t lo, hi;
} wast_value;

#define WAST_MAX_VALUES 256 /* arguments or results of one call */

typedef enum wast_status {
    WAST_OK,
    WAST_LINK,        /* instantiation: an import is missing or does not match its type */
    WAST_TRAP,        /* the call or the instantiation (segments, start) trapped */
    WAST_UNAVAILABLE, /* instantiation: imports a registered name whose module is not there */
    WAST_ERROR,       /* anything else (no such export, bad arguments, a runtime error) */
} wast_status;

typedef struct wast_host wast_host;
typedef struct wast_instance wast_instance; /* a kiln_instance */

/* What a call or a global read produced. */
typedef struct wast_result {
    const char *trap; /* WAST_TRAP: the trap's message in the spec's wording (static) */
    bool exhausted;   /* WAST_TRAP: it is call stack exhaustion */
    size_t count;
    wast_value values[WAST_MAX_VALUES];
} wast_result;

/* Creates the host: an instance pool, and spectest's memory (1..2 pages), table (funcref
 * 10..20) and globals (666, 666, 666.6f, 666.6). False with a message on failure. */
bool wast_host_new(wast_host **out, char *msg, size_t msg_size);
/* Frees every instance, the pool and spectest's memory and table. NULL is ignored. */
void wast_host_free(wast_host *h);

/* dlopens so_path (RTLD_NOW | RTLD_LOCAL; the runtime functions it calls resolve against this
 * program) and looks up the module descriptor symbol. The handle stays open until exit. */
bool wast_host_load(wast_host *h, const char *so_path, const char *symbol, const void **module,
                    char *msg, size_t msg_size);

/* Instantiates a loaded module with imports resolved by (module, name): "spectest", or the
 * exports of a registered instance. On WAST_LINK msg has the runtime's reason, on WAST_TRAP
 * the trap's message, on WAST_UNAVAILABLE *tag is the tag registered for the missing name. */
wast_status wast_host_instantiate(wast_host *h, const void *module, wast_instance **out,
                                  size_t *tag, char *msg, size_t msg_size);

/* Makes inst's exports importable under module name `as` (later registrations of a name win).
 * inst may be NULL for a module that is not available; importing from it then gives
 * WAST_UNAVAILABLE with tag. False if out of memory. */
bool wast_host_register(wast_host *h, const char *as, wast_instance *inst, size_t tag);

/* Frees inst, which no later command can name (neither current nor named in the script),
 * unless it is registered or imported a table, a global or another instance's function (its
 * functions may then be referenced elsewhere). Its pool slot is reused. NULL is ignored. */
void wast_host_release(wast_host *h, wast_instance *inst);

/* Calls the exported function field (field_len bytes, NUL bytes allowed) with args (types must
 * match its parameters exactly). WAST_OK: out holds the results; WAST_TRAP: out->trap says which;
 * WAST_ERROR: msg says why it could not be called. */
wast_status wast_host_invoke(wast_host *h, wast_instance *inst, const char *field, size_t field_len,
                             const wast_value *args, size_t arg_count, wast_result *out, char *msg,
                             size_t msg_size);

/* Reads the exported global field into out (one value). */
wast_status wast_host_get(wast_host *h, wast_instance *inst, const char *field, size_t field_len,
                          wast_result *out, char *msg, size_t msg_size);

#endif
