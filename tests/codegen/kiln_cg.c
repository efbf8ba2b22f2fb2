/* kiln_cg.c -- the test suite's `kiln compile`: runs kiln_cli_compile, exactly what the
 * `kiln compile` subcommand runs, so the codegen tests do not depend on how the CLI
 * dispatches. Usage: kiln_cg FILE.wasm [compile options...]
 */
#include "toolchain.h"

int main(int argc, char **argv)
{
    return kiln_cli_compile(argc - 1, argv + 1);
}
