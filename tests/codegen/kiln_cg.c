/* kiln_cg.c -- the test suite's `kiln compile`: runs cli_compile, exactly what the
 * `kiln compile` subcommand runs, linked with the code generator instead of its plugin, so
 * the codegen tests do not depend on how the program dispatches or finds the plugin.
 * Usage: kiln_cg FILE.wasm [compile options...]
 */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_compile(argc - 1, argv + 1);
}
