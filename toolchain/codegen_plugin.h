/* codegen_plugin.h -- the one entry point of libkiln-codegen.so, the code generator plugin.
 *
 * The kiln program does not link LLVM: loading libLLVM (relocations and static constructors)
 * costs ~50 ms, which `kiln run` of a cached module, `kiln validate` and `kiln inspect` never
 * need. The code generator (compile.c, lower*.c, emit.c and LLVM) is built into a plugin that
 * codegen_loader.c opens the first time a command calls kiln_compile. The plugin exports
 * exactly one symbol, a table whose version and struct sizes must match the program's: the
 * two are built from one tree, and a mismatch (a stale plugin beside a newer kiln) is refused
 * with a message instead of calling through a different layout.
 */
#ifndef KILN_TOOLCHAIN_CODEGEN_PLUGIN_H
#define KILN_TOOLCHAIN_CODEGEN_PLUGIN_H

#include "toolchain.h"

#define KILN_CODEGEN_PLUGIN_FILE  "libkiln-codegen.so"
#define KILN_CODEGEN_ENTRY_SYMBOL "kiln_codegen_entry"
#define KILN_CODEGEN_API_VERSION  1u

typedef struct kiln_codegen_api {
    unsigned api_version;  /* KILN_CODEGEN_API_VERSION */
    unsigned options_size; /* sizeof(kiln_compile_options) */
    unsigned result_size;  /* sizeof(kiln_compile_result) */
    unsigned diag_size;    /* sizeof(kiln_diag) */
    const char *version;   /* KILN_VERSION of the build */
    bool (*compile)(const kiln_compile_options *o, kiln_compile_result *result, kiln_diag *d);
} kiln_codegen_api;

#endif
