/* cmd_inspect.c -- `kiln inspect [--json | --wat] FILE`: what a module contains.
 *
 * Reads and decodes the module, validates it if it decoded, then hands everything to one of
 * three views: inspect_text.c (for people), inspect_json.c (one JSON document) or
 * kiln_wat_print (toolchain/wat_print.c: the module as text; only for a module that decoded). A
 * module that fails is still shown: whatever the decoder filled in before it stopped, then
 * the error (on stderr in text mode, as an "error" member in JSON), and the exit status is 1.
 * An unreadable file has nothing to show, so it gets only the error.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cli_inspect_help[] =
    "Usage: kiln inspect [--json | --wat] FILE\n"
    "\n"
    "Show what the WebAssembly module FILE contains: its sections (offsets, sizes, custom\n"
    "section names), types, imports, functions (signature, code size, locals, names from\n"
    "the name section), tables, memories, globals (with their initialisers), exports, the\n"
    "start function, and element and data segments. FILE '-' reads standard input. Module\n"
    "text (.wat, told apart by its content) is shown as its binary encoding.\n"
    "\n"
    "The module is also validated. If it fails to decode or validate, what could be decoded\n"
    "is still shown, followed by the error (FILE:0xOFFSET: error: MESSAGE on standard error,\n"
    "or an \"error\" member in JSON), and the exit status is 1.\n"
    "\n"
    "Options:\n"
    "  --json      print one JSON document instead of text (schema in docs/cli.md)\n"
    "  --wat       print the module as WebAssembly text (docs/text-format.md, Printing);\n"
    "              a module that does not decode prints nothing but the error\n"
    "  -h, --help  show this help\n"
    "  --          treat the next argument as FILE even if it starts with '-'\n"
    "\n"
    "Exit status: 0 for a valid module, 1 for an invalid or unreadable one, 2 for a usage\n"
    "error.\n";

/* --wat: the text of a module that decoded (even if it is not valid); nothing otherwise. */
static bool inspect_wat(cli_inspection *in)
{
    if (!in->decoded)
        return true;
    char *text;
    size_t size;
    kiln_diag d;
    kiln_diag_init(&d);
    if (!kiln_wat_print(in->m, &text, &size, &d)) {
        if (in->error.code == KILN_OK)
            in->error = d;
        return true;
    }
    fwrite(text, 1, size, stdout);
    free(text);
    return true;
}

int cli_inspect(int argc, char **argv)
{
    bool json = false, wat = false;
    const char *path = NULL;
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
            if (path)
                return cli_usage_error("inspect", "only one FILE can be inspected at a time");
            path = a;
        } else if (strcmp(a, "--") == 0) {
            options_done = true;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--wat") == 0) {
            wat = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(cli_inspect_help, stdout);
            return CLI_EXIT_OK;
        } else {
            return cli_usage_error("inspect", "unknown option '%s'", a);
        }
    }
    if (!path)
        return cli_usage_error("inspect", "no input file");
    if (json && wat)
        return cli_usage_error("inspect", "--json and --wat cannot be combined");

    cli_inspection in = {0};
    in.file = cli_display_name(path);
    kiln_diag_init(&in.error);

    host_file file;
    wasm_module m;
    uint8_t *converted = NULL;
    bool read = host_read_file(path, &file, &in.error);
    if (read &&
        !kiln_module_input(file.data, file.size, &in.bytes, &in.size, &converted, &in.error)) {
        host_file_free(&file);
        read = false; /* malformed text: nothing to show but the error */
    }
    if (read) {
        in.decoded = kiln_decode(&m, in.bytes, in.size, NULL, &in.error);
        in.m = &m;
        if (in.decoded)
            kiln_validate(&m, NULL, &in.error);
    }

    bool printed;
    if (wat)
        printed = inspect_wat(&in);
    else
        printed = json ? cli_inspect_json(&in, stdout) : cli_inspect_text(&in, stdout);
    if (!printed && in.error.code == KILN_OK)
        kiln_diag_set(&in.error, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
    if (in.error.code != KILN_OK && (!json || !printed)) {
        fflush(stdout);
        cli_print_diag(stderr, &in.error, in.file);
    }

    if (read) {
        wasm_module_free(&m);
        free(converted);
        host_file_free(&file);
    }
    return in.error.code == KILN_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
