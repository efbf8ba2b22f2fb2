/* cli_io.c -- reading module files for the CLI, and printing diagnostics.
 *
 * A module is read whole into memory (the decoder borrows the bytes). Regular files are read
 * with one allocation sized by fstat; pipes and standard input grow a buffer by doubling. Both
 * stop at KILN_MAX_MODULE_SIZE, so `kiln validate /dev/zero` ends with a "limit" error instead
 * of exhausting memory. Failures become diagnostics of class "io" carrying strerror's text, so
 * they are reported the same way as a malformed module: one line per file, or one JSON record.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static bool io_error(kiln_diag *d, const char *what, int err)
{
    return kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "%s: %s", what, strerror(err));
}

/* Worded like the decoder's own check of the limit. size is 0 when unknown (a stream). */
static bool too_large(kiln_diag *d, uintmax_t size)
{
    if (size)
        return kiln_diag_set(d, KILN_ERR_LIMIT, KILN_NO_OFFSET,
                             "module of %ju bytes exceeds the limit of %u (KILN_MAX_MODULE_SIZE)",
                             size, (unsigned)KILN_MAX_MODULE_SIZE);
    return kiln_diag_set(d, KILN_ERR_LIMIT, KILN_NO_OFFSET,
                         "module exceeds the limit of %u bytes (KILN_MAX_MODULE_SIZE)",
                         (unsigned)KILN_MAX_MODULE_SIZE);
}

/* Reads fd to its end into out; the first allocation is hint + 1 bytes so that a regular
 * file's end is seen without growing. */
static bool read_all(int fd, size_t hint, cli_file *out, kiln_diag *d)
{
    const size_t limit = KILN_MAX_MODULE_SIZE;
    size_t cap = hint + 1;
    uint8_t *data = malloc(cap);
    size_t size = 0;
    if (!data)
        return kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory reading file");
    for (;;) {
        if (size == cap) {
            if (size > limit) {
                free(data);
                return too_large(d, 0);
            }
            size_t grown = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
            uint8_t *bigger = realloc(data, grown);
            if (!bigger) {
                free(data);
                return kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET,
                                     "out of memory reading file");
            }
            data = bigger;
            cap = grown;
        }
        ssize_t n = read(fd, data + size, cap - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            free(data);
            return io_error(d, "cannot read file", err);
        }
        if (n == 0)
            break;
        size += (size_t)n;
    }
    if (size > limit) {
        free(data);
        return too_large(d, 0);
    }
    out->data = data;
    out->size = size;
    return true;
}

bool cli_read_file(const char *path, cli_file *out, kiln_diag *d)
{
    out->data = NULL;
    out->size = 0;
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_error(d, "cannot open file", errno);

    bool ok;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        ok = io_error(d, "cannot read file", errno);
    } else if (S_ISDIR(st.st_mode)) {
        ok = io_error(d, "cannot read file", EISDIR);
    } else if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > KILN_MAX_MODULE_SIZE) {
        ok = too_large(d, (uintmax_t)st.st_size);
    } else {
        size_t hint = S_ISREG(st.st_mode) ? (size_t)st.st_size : 64 * 1024;
        ok = read_all(fd, hint, out, d);
    }
    if (!is_stdin)
        close(fd);
    return ok;
}

void cli_file_free(cli_file *f)
{
    free(f->data);
    f->data = NULL;
    f->size = 0;
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
