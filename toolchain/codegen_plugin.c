/* codegen_plugin.c -- the exported table of libkiln-codegen.so (codegen_plugin.h). */
#include "codegen_plugin.h"

#ifndef KILN_VERSION
#define KILN_VERSION "unknown"
#endif

__attribute__((visibility("default"))) const kiln_codegen_api kiln_codegen_entry = {
    .api_version = KILN_CODEGEN_API_VERSION,
    .options_size = sizeof(kiln_compile_options),
    .result_size = sizeof(kiln_compile_result),
    .diag_size = sizeof(kiln_diag),
    .version = KILN_VERSION,
    .compile = kiln_compile,
};
