/* compile_options.c -- the compile options' defaults and the result's release.
 *
 * Kept apart from compile.c because the kiln program uses them without linking the code
 * generator: kiln_compile itself lives in the codegen plugin (codegen_loader.c). Also the
 * option matcher `kiln compile`, `build` and `run` share.
 */
#include <stdlib.h>
#include <string.h>

#include "toolchain.h"

void kiln_compile_options_init(kiln_compile_options *o)
{
    memset(o, 0, sizeof *o);
    o->opt_level = 2;
    o->emit = KILN_EMIT_OBJ;
}

void kiln_compile_result_free(kiln_compile_result *r)
{
    if (!r)
        return;
    free(r->output);
    free(r->header);
    memset(r, 0, sizeof *r);
}

bool kiln_option_value(int argc, char **argv, int *i, const char *name, const char **out,
                       bool *missing)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return false;
    if (arg[n] == '=') {
        *out = arg + n + 1;
        return true;
    }
    if (arg[n] != '\0')
        return false;
    if (*i + 1 >= argc) {
        *missing = true;
        return true;
    }
    *out = argv[++*i];
    return true;
}
