/* compile_options.c -- the compile options' defaults and the result's release.
 *
 * Kept apart from compile.c because the kiln program uses them without linking the code
 * generator: its kiln_compile opens the codegen plugin (cli/codegen_loader.c).
 */
#include <stdlib.h>
#include <string.h>

#include "toolchain.h"

void kiln_compile_options_init(kiln_compile_options *o)
{
    memset(o, 0, sizeof *o);
    o->opt_level = 2;
    o->emit = KILN_EMIT_OBJ;
    o->interrupts = KILN_INTERRUPT_AUTO;
}

void kiln_compile_result_free(kiln_compile_result *r)
{
    if (!r)
        return;
    free(r->output);
    free(r->header);
    memset(r, 0, sizeof *r);
}
