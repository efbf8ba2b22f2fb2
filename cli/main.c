/* main.c -- main() of the `kiln` program: global options and the subcommand table.
 *
 *   kiln --help | --version
 *   kiln help [COMMAND]
 *   kiln COMMAND [ARGS...]        (COMMAND --help shows the command's help)
 *
 * Each subcommand lives in its own cmd_<name>.c (wast: wast/wast_run.c), takes the arguments after
 * its name and returns the exit status; this file only dispatches. Exit statuses are shared by
 * every command: 0 success, 1 failure (a module is not valid, a file cannot be read), 2 usage
 * error. main() is the only place the process ends: a write error on stdout (a full disk, a closed
 * pipe's EPIPE) turns a would-be success into status 1, so no output is silently truncated.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

#ifndef KILN_VERSION
#define KILN_VERSION "unknown"
#endif

typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *help;
    int (*run)(int argc, char **argv);
} cli_command;

static const cli_command commands[] = {
    {"compile", "compile a module (.wasm or .wat) to a native object and a C header",
     cli_compile_help, cli_compile},
    {"validate", "check that modules (.wasm or .wat) are well-formed and valid", cli_validate_help,
     cli_validate},
    {"inspect", "show what a module contains: sections, imports, functions, exports ...",
     cli_inspect_help, cli_inspect},
    {"wast", "run a WebAssembly spec test script against compiled code", cli_wast_help, cli_wast},
    {"build", "build a native executable from a WASI command module", cli_build_help, cli_build},
    {"run", "compile a WASI command module (cached) and run it", cli_run_help, cli_run},
};

static const char help_help[] = "Usage: kiln help [COMMAND]\n"
                                "\n"
                                "Show the help of COMMAND, or the list of commands.\n";

static void print_main_help(FILE *out)
{
    fputs("Usage: kiln COMMAND [OPTIONS] [ARGS...]\n"
          "\n"
          "Kiln is an ahead-of-time WebAssembly toolchain: it turns .wasm modules into native\n"
          "objects that link statically with a small runtime.\n"
          "\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < KILN_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("  help       show the help of a command\n"
          "\n"
          "Options:\n"
          "  -h, --help  show this help\n"
          "  --version   show the version\n"
          "\n"
          "Run 'kiln help COMMAND' or 'kiln COMMAND --help' for a command's options.\n"
          "Exit status: 0 success, 1 a module is not valid or a file cannot be read,\n"
          "2 usage error.\n",
          out);
}

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < KILN_ARRAY_LEN(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int run_help(int argc, char **argv)
{
    if (argc == 0) {
        print_main_help(stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 1)
        return cli_usage_error("help", "expected at most one COMMAND");
    if (strcmp(argv[0], "help") == 0) {
        fputs(help_help, stdout);
        return CLI_EXIT_OK;
    }
    const cli_command *c = find_command(argv[0]);
    if (!c)
        return cli_usage_error(NULL, "unknown command '%s'", argv[0]);
    fputs(c->help, stdout);
    return CLI_EXIT_OK;
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        print_main_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        print_main_help(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("kiln %s\n", KILN_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        for (int i = 2; i < argc; i++)
            if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                fputs(help_help, stdout);
                return CLI_EXIT_OK;
            }
        return run_help(argc - 2, argv + 2);
    }
    if (cmd[0] == '-')
        return cli_usage_error(NULL, "unknown option '%s'", cmd);
    const cli_command *c = find_command(cmd);
    if (!c)
        return cli_usage_error(NULL, "unknown command '%s'", cmd);
    return c->run(argc - 2, argv + 2);
}

int main(int argc, char **argv)
{
    int status = run(argc, argv);
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "kiln: error writing output: %s\n",
                errno ? strerror(errno) : "unknown error");
        if (status == CLI_EXIT_OK)
            status = CLI_EXIT_FAIL;
    }
    return status;
}
