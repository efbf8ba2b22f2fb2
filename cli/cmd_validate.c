/* cmd_validate.c -- `kiln validate [--json] [--verbose] FILE...`
 *
 * Runs the front half of the pipeline on each file: read, kiln_decode, and the validation
 * kiln compile does (kiln_validate_to_compile: 3.0's rules, so the two always agree). Each
 * file is checked on its own, and a failure never stops the files after it. The result is
 * reported per file: in text mode one "FILE:0xOFFSET: error: MESSAGE" line on stderr for each
 * failing file (silence for valid ones unless --verbose), with --json one object per file on
 * its own line of stdout. Exit status: 0 if every file is valid, 1 if any is not, 2 for a bad
 * command line. docs/cli.md and docs/errors.md describe the output for users.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cli_validate_help[] =
    "Usage: kiln validate [--json] [--verbose] FILE...\n"
    "\n"
    "Check that each FILE is a well-formed and valid WebAssembly module that Kiln compiles,\n"
    "within its implementation limits (docs/limits.md): a binary module, or module text\n"
    "(.wat, told apart by its content). FILE '-' reads standard input. A module using a\n"
    "WebAssembly 3.0 feature Kiln does not compile yet is 'unsupported', naming the feature.\n"
    "\n"
    "Options:\n"
    "  --json         print one JSON object per file, one per line, on standard output:\n"
    "                 {\"file\":\"a.wasm\",\"valid\":true}\n"
    "                 {\"file\":\"b.wasm\",\"valid\":false,\"class\":\"invalid\",\"offset\":83,\n"
    "                  \"function\":2,\"message\":\"type mismatch: ...\"}\n"
    "  -v, --verbose  also print 'FILE: valid' on standard output for each valid file\n"
    "  -h, --help     show this help\n"
    "  --             treat every later argument as a FILE\n"
    "\n"
    "Without --json, each failing file gets one line on standard error:\n"
    "  FILE:0xOFFSET: error: MESSAGE       (FILE:LINE:COLUMN for malformed text)\n"
    "Error classes: malformed (does not decode), invalid (fails validation), limit (over an\n"
    "implementation limit), unsupported, io (cannot read the file), nomem.\n"
    "\n"
    "Exit status: 0 if every FILE is valid, 1 if any is not, 2 for a usage error.\n";

typedef struct validate_opts {
    bool json;
    bool verbose;
} validate_opts;

/* Reads (converting module text to binary), decodes and validates one file; fills d and returns
 * false on any failure. */
static bool check_file(const char *path, kiln_diag *d)
{
    host_file file;
    if (!host_read_file(path, &file, d))
        return false;
    const uint8_t *bytes;
    size_t size;
    uint8_t *converted;
    if (!kiln_module_input(file.data, file.size, &bytes, &size, &converted, d)) {
        host_file_free(&file);
        return false;
    }
    wasm_module m;
    bool ok = kiln_decode(&m, bytes, size, NULL, d);
    if (ok)
        ok = kiln_validate_to_compile(&m, NULL, d);
    wasm_module_free(&m);
    if (!ok && converted)
        kiln_wat_locate(file.data, file.size, d); /* the instruction's line:column in text */
    free(converted);
    host_file_free(&file);
    return ok;
}

static void report(const validate_opts *o, const char *name, bool valid, const kiln_diag *d)
{
    if (o->json) {
        cli_json j;
        cli_json_init(&j, stdout, false);
        cli_json_object(&j, true);
        cli_json_kv_path(&j, "file", name);
        cli_json_kv_bool(&j, "valid", valid);
        if (!valid)
            cli_json_diag_members(&j, d);
        cli_json_object_end(&j);
        fputc('\n', stdout);
    } else if (!valid) {
        /* Keep stdout (--verbose lines) and stderr in order on a shared terminal. */
        fflush(stdout);
        cli_print_diag(stderr, d, name);
    } else if (o->verbose) {
        printf("%s: valid\n", name);
    }
}

int cli_validate(int argc, char **argv)
{
    validate_opts o = {false, false};
    int files = 0;
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
            files++;
        } else if (strcmp(a, "--") == 0) {
            options_done = true;
        } else if (strcmp(a, "--json") == 0) {
            o.json = true;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            o.verbose = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(cli_validate_help, stdout);
            return CLI_EXIT_OK;
        } else {
            return cli_usage_error("validate", "unknown option '%s'", a);
        }
    }
    if (files == 0)
        return cli_usage_error("validate", "no input files");

    int status = CLI_EXIT_OK;
    options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && a[0] == '-' && strcmp(a, "-") != 0)
            continue;
        kiln_diag d;
        kiln_diag_init(&d);
        bool valid = check_file(a, &d);
        report(&o, cli_display_name(a), valid, &d);
        if (!valid)
            status = CLI_EXIT_FAIL;
    }
    return status;
}
