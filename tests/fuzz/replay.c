/* replay.c -- runs fuzz inputs through LLVMFuzzerTestOneInput without libFuzzer.
 *
 * The repository holds no binaries, so the corpus (tests/fuzz/corpus/) is text: one input
 * per `.hex` file, hex byte pairs separated by any whitespace, `#` comments to the end of the
 * line, and a first line that is a comment saying what the input exercises or which bug it
 * found. A .hex file that breaks these rules fails the run, as does a crash or sanitizer
 * report in the target (ctest `fuzz.replay`, in every build; ASan/UBSan with KILN_SANITIZE).
 *   fuzz_replay PATH...             run each .hex file, each .hex file in a directory
 *                                   (sorted), or any other file as raw bytes (a crash-*)
 *   fuzz_replay --unhex DIR PATH... write each .hex input to DIR/NAME as raw bytes instead
 *                                   (scripts/fuzz.sh makes its seed corpus this way)
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "toolchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct replay {
    const char *unhex_dir; /* NULL: run the inputs */
    long inputs;           /* inputs run or written */
    long errors;           /* bad .hex files, unreadable paths */
} replay;

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int hex_value(uint8_t c)
{
    static const char digits[] = "0123456789abcdef";
    const char *p = c ? strchr(digits, tolower(c)) : NULL;
    return p ? (int)(p - digits) : -1;
}

static bool hex_error(const char *path, unsigned line, const char *msg)
{
    fprintf(stderr, "%s:%u: error: %s\n", path, line, msg);
    return false;
}

// hexfile = comment-line *( pair | whitespace | comment )     pair = HEXDIG HEXDIG
// comment = '#' *(any byte but newline)                          (the first must say something)
static bool parse_hex(const char *path, const uint8_t *text, size_t size, uint8_t *out,
                      size_t *out_size)
{
    unsigned line = 1;
    size_t i = 0, n = 0;
    if (size == 0 || text[0] != '#')
        return hex_error(path, 1, "the first line must be a '#' comment describing the input");
    bool described = false;
    for (i = 1; i < size && text[i] != '\n'; i++)
        described |= text[i] != ' ' && text[i] != '\t' && text[i] != '\r';
    if (!described)
        return hex_error(path, 1, "the first comment is empty");
    while (i < size) {
        uint8_t c = text[i];
        if (c == '\n') {
            line++;
            i++;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            i++;
        } else if (c == '#') {
            while (i < size && text[i] != '\n')
                i++;
        } else if (hex_value(c) >= 0) {
            if (i + 1 >= size || hex_value(text[i + 1]) < 0)
                return hex_error(path, line, "odd number of hex digits");
            out[n++] = (uint8_t)(hex_value(c) * 16 + hex_value(text[i + 1]));
            i += 2;
        } else {
            char msg[64];
            snprintf(msg, sizeof(msg), "unexpected byte 0x%02x (not hex, space or '#')", c);
            return hex_error(path, line, msg);
        }
    }
    *out_size = n;
    return true;
}

/* Runs (or with --unhex, writes out) one input file. */
static void replay_file(replay *r, const char *path)
{
    host_file file;
    kiln_diag d;
    if (!host_read_file(path, &file, &d)) {
        fprintf(stderr, "%s: error: %s\n", path, d.msg);
        r->errors++;
        return;
    }
    uint8_t *text = file.data;
    size_t size = file.size;
    bool hex = ends_with(path, ".hex");
    uint8_t *data = text;
    size_t data_size = size;
    if (hex) {
        data = malloc(size / 2 + 1);
        if (!data || !parse_hex(path, text, size, data, &data_size)) {
            r->errors++;
            free(data);
            host_file_free(&file);
            return;
        }
    }
    if (r->unhex_dir) {
        if (hex) {
            const char *base = strrchr(path, '/');
            base = base ? base + 1 : path;
            char out[4096];
            int n = snprintf(out, sizeof(out), "%s/%.*s", r->unhex_dir,
                             (int)(strlen(base) - strlen(".hex")), base);
            if (n < 0 || (size_t)n >= sizeof(out) ||
                !host_write_file(out, data, data_size, 0666, &d)) {
                fprintf(stderr, "%s: error: cannot write %s\n", path, out);
                r->errors++;
            } else {
                r->inputs++;
            }
        }
    } else {
        /* An exact-size copy, so ASan sees any read past the end of the input. */
        uint8_t *exact = malloc(data_size ? data_size : 1);
        if (exact) {
            memcpy(exact, data, data_size);
            LLVMFuzzerTestOneInput(exact, data_size);
            free(exact);
            r->inputs++;
        } else {
            r->errors++;
        }
    }
    if (data != text)
        free(data);
    host_file_free(&file);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays the .hex files directly inside dir, in name order. */
static void replay_dir(replay *r, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: error: cannot open: %s\n", dir, strerror(errno));
        r->errors++;
        return;
    }
    char **paths = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!ends_with(e->d_name, ".hex"))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(paths, cap * sizeof(*paths));
            if (!grown)
                break;
            paths = grown;
        }
        size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
        char *p = malloc(len);
        if (!p)
            break;
        snprintf(p, len, "%s/%s", dir, e->d_name);
        paths[count++] = p;
    }
    closedir(d);
    if (count == 0) {
        fprintf(stderr, "%s: error: no .hex inputs\n", dir);
        r->errors++;
    }
    if (count)
        qsort(paths, count, sizeof(*paths), compare_names);
    for (size_t i = 0; i < count; i++) {
        replay_file(r, paths[i]);
        free(paths[i]);
    }
    free(paths);
}

int main(int argc, char **argv)
{
    replay r = {0};
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--unhex") == 0) {
        r.unhex_dir = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: fuzz_replay [--unhex OUTDIR] FILE.hex|DIR|RAWFILE...\n");
        return 2;
    }
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            replay_dir(&r, argv[i]);
        else
            replay_file(&r, argv[i]);
    }
    printf("fuzz_replay: %ld inputs %s, %ld errors\n", r.inputs, r.unhex_dir ? "written" : "ran",
           r.errors);
    return r.errors ? 1 : 0;
}
