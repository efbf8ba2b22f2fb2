/* common.c -- what every kiln subcommand shares: usage errors, option values, diagnostics.
 *
 * Files are read with host_read_file (toolchain/host.c), whose failures are diagnostics of
 * class "io" or "limit" carrying strerror's text, so they are reported the same way as a
 * malformed module: one line per file (cli_print_diag), or one JSON record.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kiln%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "\nRun 'kiln help %s' for usage.\n", cmd);
    else
        fputs("\nRun 'kiln --help' for usage.\n", stderr);
    return CLI_EXIT_USAGE;
}

const char *cli_display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

void cli_print_diag(FILE *out, const kiln_diag *d, const char *file)
{
    size_t size = strlen(file) + sizeof d->msg + 96;
    char *line = malloc(size);
    if (!line) {
        /* Still say something useful without the formatted line. */
        fprintf(out, "%s: error: %s\n", file, d->msg);
        return;
    }
    kiln_diag_format(d, file, line, size);
    fprintf(out, "%s\n", line);
    free(line);
}

bool cli_option_value(int argc, char **argv, int *i, const char *name, const char **out,
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

bool cli_duration(const char *text, uint64_t *out_ns)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1},   {"us", 1e3},   {"ms", 1e6}, {"s", 1e9},
                 {"m", 60e9}, {"h", 3600e9}, {"", 1e9}};
    size_t digits = strspn(text, "0123456789");
    if (digits == 0 || (text[digits] == '.' && strspn(text + digits + 1, "0123456789") == 0))
        return false; /* decimal only: no sign, exponent, hex or inf */
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno == ERANGE || end == text)
        return false;
    for (size_t i = 0; i < KILN_ARRAY_LEN(units); i++) {
        if (strcmp(end, units[i].unit) != 0)
            continue;
        double ns = v * units[i].ns;
        if (!(ns >= 0 && ns < 18446744073709551615.0))
            return false;
        *out_ns = (uint64_t)ns;
        return true;
    }
    return false;
}

bool cli_disable_option(const char *cmd, const char *arg, uint32_t *bits, int *status)
{
    static const char prefix[] = "--disable-";
    if (strncmp(arg, prefix, sizeof prefix - 1) != 0)
        return false;
    uint32_t bit;
    *status = CLI_EXIT_OK;
    if (kiln_feature_bit(arg + sizeof prefix - 1, &bit))
        *bits |= bit;
    else
        *status = cli_usage_error(cmd, "unknown feature in '%s' (features: %s)", arg,
                                  kiln_feature_names());
    return true;
}

bool cli_interrupt_mode(const char *name, kiln_interrupt_mode *out)
{
    static const struct {
        const char *name;
        kiln_interrupt_mode mode;
    } modes[] = {{"signal", KILN_INTERRUPT_SIGNAL},
                 {"full", KILN_INTERRUPT_FULL},
                 {"none", KILN_INTERRUPT_NONE}};
    for (size_t i = 0; i < KILN_ARRAY_LEN(modes); i++)
        if (strcmp(name, modes[i].name) == 0) {
            *out = modes[i].mode;
            return true;
        }
    return false;
}
