/* spec_print.c -- the module printer (kiln_wat_print) against the spec test suite's modules.
 *
 * For each .wast file of TESTSUITE/core (--folder F: TESTSUITE/F; or the FILEs given), in sorted
 * order, the script is
 * read by Kiln's own script reader (wast_text_convert, the route of `kiln wast`), which
 * writes every module it converts as WORK/NAME/NAME.N.wasm. Every one of them that decodes
 * and validates (the modules of module, assert_unlinkable and assert_uninstantiable commands;
 * assert_invalid and assert_malformed ones do not) goes round:
 *     b1 --kiln_wat_print--> text1 --kiln_wat_to_wasm--> b2
 * and b2 must equal b1 byte for byte ("identical"). Where the binary says something the text
 * cannot (docs/text-format.md, "Printing": custom sections, longer LEB128s, other segment
 * flags, ...), b2 differs; it must then be valid, and a second round must be a fixed point:
 *     b2 --print--> text2 --read--> b3 --print--> text3,  b3 == b2 and text3 == text2
 * ("stable"; each one listed with the first offset where b1 and b2 differ, the section of b1
 * it is in, and whether text2 is text1 but for the comments on custom sections, "same text":
 * then only the encoding changed, or "other text": the reader wrote the module another way,
 * e.g. a segment of ref.func items as function indices). Anything else fails: text the reader
 * rejects, a b2 that is not valid, a second round that changes again, or a printer error. Output:
 * one line per file, one per stable module or failure, then the totals and exactly `N passed, N
 * failed, N skipped` (skipped: modules that are not valid, which have nothing to round-trip). Exit
 * 0 if nothing failed and the counts are the expected ones, 1 otherwise, 2 on a usage error, 77
 * when the test suite is missing (ctest's SKIP_RETURN_CODE): never a pass without having run.
 * --spec 3.0 reads and judges the modules as `kiln wast --spec 3.0` does (the 3.0 suite): a
 * module using a 3.0 feature Kiln does not compile is skipped with those that do not decode.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wast.h"
#include "wat.h"

typedef struct options {
    const char *suite, *work, *folder;
    bool keep, verbose;
    long expect_identical, expect_stable, expect_invalid, expect_invalid_other; /* -1: any */
} options;

typedef struct counts {
    long identical, stable, same, invalid, skipped, failed; /* same: stable, printed as before */
    long invalid_other; /* invalid, read back in another encoding with the same error */
} counts;

/* --spec 3.0: modules judged by the 3.0 spec's rules (wast_check_module). */
static bool wasm3;

static bool decode_validate(const uint8_t *bytes, size_t size, kiln_diag *d)
{
    wasm_module m;
    kiln_diag_init(d);
    bool ok = kiln_decode(&m, bytes, size, NULL, d) &&
              (wasm3 ? kiln_validate_to_compile(&m, NULL, d) : kiln_validate(&m, NULL, d));
    wasm_module_free(&m);
    return ok;
}

/* bytes -> text -> bytes. False with why filled in when a step fails. */
static bool round_trip(const uint8_t *bytes, size_t size, char **text, size_t *text_size,
                       uint8_t **out, size_t *out_size, char *why, size_t why_size)
{
    *text = NULL;
    *out = NULL;
    wasm_module m;
    kiln_diag d;
    kiln_diag_init(&d);
    bool ok = kiln_decode(&m, bytes, size, NULL, &d);
    if (!ok)
        kiln_msg(why, why_size, "does not decode: %s", d.msg);
    if (ok && !kiln_wat_print(&m, text, text_size, &d)) {
        kiln_msg(why, why_size, "not printed: %s", d.msg);
        ok = false;
    }
    wasm_module_free(&m);
    if (ok && !wat_to_wasm((const uint8_t *)*text, *text_size, NULL, wasm3, out, out_size, &d)) {
        kiln_msg(why, why_size, "printed text not read back: %u:%u: %s", (unsigned)d.line,
                 (unsigned)d.column, d.msg);
        ok = false;
    }
    return ok;
}

/* The next line of text[*at, size) that is not the comment on a custom section: *line and
 * its length (with the newline); false at the end. */
static bool next_line(const char *text, size_t size, size_t *at, const char **line, size_t *len)
{
    static const char custom[] = ";; custom section ";
    while (*at < size) {
        size_t start = *at, end = start;
        while (end < size && text[end] != '\n')
            end++;
        *at = end < size ? end + 1 : end;
        size_t first = start;
        while (first < end && text[first] == ' ')
            first++;
        if (end - first >= sizeof custom - 1 &&
            memcmp(text + first, custom, sizeof custom - 1) == 0)
            continue;
        *line = text + start;
        *len = *at - start;
        return true;
    }
    return false;
}

/* Whether a and b are the same text but for the comment lines on custom sections. */
static bool same_text(const char *a, size_t a_size, const char *b, size_t b_size)
{
    size_t ai = 0, bi = 0;
    for (;;) {
        const char *al, *bl;
        size_t an, bn;
        bool more_a = next_line(a, a_size, &ai, &al, &an);
        bool more_b = next_line(b, b_size, &bi, &bl, &bn);
        if (!more_a || !more_b)
            return more_a == more_b;
        if (an != bn || memcmp(al, bl, an) != 0)
            return false;
    }
}

/* The id of the section of wasm that holds offset at, or -1 (the header). */
static int section_at(const uint8_t *wasm, size_t size, size_t at)
{
    wasm_module m;
    kiln_diag d;
    kiln_diag_init(&d);
    int id = -1;
    if (kiln_decode(&m, wasm, size, NULL, &d)) {
        for (uint32_t i = 0; i < m.section_count; i++)
            if (m.sections[i].offset <= at)
                id = m.sections[i].id;
    }
    wasm_module_free(&m);
    return id;
}

static const char *section_name(int id)
{
    static const char *const names[] = {"custom", "type",   "import",    "function", "table",
                                        "memory", "global", "export",    "start",    "element",
                                        "code",   "data",   "data count"};
    return id >= 0 && (size_t)id < KILN_ARRAY_LEN(names) ? names[id] : "header";
}

static void check_module(const options *o, const char *file, uint64_t line, const char *path,
                         counts *c)
{
    host_file b1;
    kiln_diag d;
    if (!host_read_file(path, &b1, &d)) {
        printf("%s:%llu: FAIL: cannot read %s\n", file, (unsigned long long)line, path);
        c->failed++;
        return;
    }
    bool valid = decode_validate(b1.data, b1.size, &d);
    if (!valid && d.code != KILN_ERR_INVALID) {
        c->skipped++; /* does not decode: nothing to print */
        host_file_free(&b1);
        return;
    }
    char why[300] = "";
    char *text1 = NULL, *text2 = NULL, *text3 = NULL;
    size_t text1_size = 0, text2_size = 0, text3_size = 0, b2_size = 0, b3_size = 0, b4_size = 0;
    uint8_t *b2 = NULL, *b3 = NULL, *b4 = NULL;
    bool ok = round_trip(b1.data, b1.size, &text1, &text1_size, &b2, &b2_size, why, sizeof why);
    bool same_bytes = ok && b2_size == b1.size && memcmp(b2, b1.data, b1.size) == 0;
    if (ok && !valid) {
        /* An invalid module must come back as it is, or, where its binary says something the
         * text cannot (a memory index 0 given in a memarg's flags: 3.0's binary modules), in
         * another encoding that is invalid with the same message. */
        kiln_diag d2;
        if (same_bytes) {
            c->invalid++;
        } else if (!decode_validate(b2, b2_size, &d2) && d2.code == d.code &&
                   strcmp(d2.msg, d.msg) == 0) {
            c->invalid_other++;
            printf("%s:%llu: invalid, read back in another encoding: %s\n", file,
                   (unsigned long long)line, d.msg);
            same_bytes = true;
        } else {
            kiln_msg(why, sizeof why, "an invalid module does not read back to its bytes");
        }
        ok = same_bytes;
    } else if (same_bytes) {
        c->identical++;
    } else if (ok) {
        size_t at = 0;
        while (at < b1.size && at < b2_size && b1.data[at] == b2[at])
            at++;
        if (!decode_validate(b2, b2_size, &d)) {
            kiln_msg(why, sizeof why, "the text's binary is not valid: %s", d.msg);
            ok = false;
        }
        ok = ok && round_trip(b2, b2_size, &text2, &text2_size, &b3, &b3_size, why, sizeof why) &&
             round_trip(b3, b3_size, &text3, &text3_size, &b4, &b4_size, why, sizeof why);
        if (ok && (b3_size != b2_size || memcmp(b3, b2, b2_size) != 0)) {
            kiln_msg(why, sizeof why, "the second round changes the binary");
            ok = false;
        }
        if (ok && (text3_size != text2_size || memcmp(text3, text2, text2_size) != 0)) {
            kiln_msg(why, sizeof why, "the second round changes the text");
            ok = false;
        }
        if (ok) {
            bool same = same_text(text1, text1_size, text2, text2_size);
            c->stable++;
            c->same += same;
            printf("%s:%llu: stable: %s differs at 0x%zx (%zu vs %zu bytes, %s section), %s "
                   "text\n",
                   file, (unsigned long long)line, path, at, b1.size, b2_size,
                   section_name(section_at(b1.data, b1.size, at)), same ? "same" : "other");
        }
    }
    if (!ok) {
        printf("%s:%llu: FAIL: %s: %s\n", file, (unsigned long long)line, path, why);
        c->failed++;
        if (o->verbose && text1)
            printf("%s", text1);
    }
    free(text1);
    free(text2);
    free(text3);
    free(b2);
    free(b3);
    free(b4);
    host_file_free(&b1);
}

static void check_file(const options *o, const char *dir, const char *file, counts *total)
{
    counts c = {0};
    char name[256], wast[HOST_PATH_SIZE], json_dir[HOST_PATH_SIZE], json[HOST_PATH_SIZE];
    size_t len = strlen(file) - strlen(".wast");
    if (len >= sizeof name - 8)
        len = sizeof name - 8;
    memcpy(name, file, len);
    name[len] = '\0';
    char json_name[300];
    snprintf(json_name, sizeof json_name, "%s.json", name);
    if (!host_path_join(wast, sizeof wast, dir, file) ||
        !host_path_join(json_dir, sizeof json_dir, o->work, name) ||
        !host_path_join(json, sizeof json, json_dir, json_name) || !host_make_dirs(json_dir)) {
        printf("%s: FAIL: path too long or no work directory\n", file);
        total->failed++;
        return;
    }
    host_empty_dir(json_dir);
    char err[HOST_PATH_SIZE + 100];
    wast_script script;
    if (!wast_text_convert(wast, json, wasm3, err, sizeof err)) {
        printf("%s: FAIL: %s\n", file, err);
        total->failed++;
        return;
    }
    if (!wast_script_load(&script, json, err, sizeof err)) {
        printf("%s: FAIL: %s\n", file, err);
        c.failed++;
    } else {
        for (size_t i = 0; i < json_len(script.commands); i++) {
            const json_value *cmd = json_at(script.commands, i);
            const char *type = json_get_str(cmd, "type");
            uint64_t line = 0;
            const char *filename;
            bool is_text;
            if (!type || !json_get_u64(cmd, "line", &line) || !json_get_str(cmd, "filename"))
                continue;
            char path[HOST_PATH_SIZE];
            if (!wast_command_module(cmd, &filename, &is_text, err, sizeof err)) {
                printf("%s:%llu: FAIL: %s\n", file, (unsigned long long)line, err);
                c.failed++;
            } else if (is_text) {
                c.skipped++; /* text the reader rejects: no module */
            } else if (!host_path_join(path, sizeof path, json_dir, filename)) {
                printf("%s:%llu: FAIL: path too long\n", file, (unsigned long long)line);
                c.failed++;
            } else {
                check_module(o, file, line, path, &c);
            }
        }
    }
    wast_script_free(&script);
    if (!o->keep)
        host_remove_dir(json_dir);
    printf("%s: %ld identical, %ld stable, %ld failed, %ld skipped\n", file, c.identical, c.stable,
           c.failed, c.skipped);
    total->identical += c.identical;
    total->stable += c.stable;
    total->same += c.same;
    total->invalid += c.invalid;
    total->invalid_other += c.invalid_other;
    total->failed += c.failed;
    total->skipped += c.skipped;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void usage(FILE *f)
{
    fputs("usage: spec_print [--work DIR] [--keep] [--verbose] [--expect-identical N]\n"
          "                  [--expect-stable N] [--expect-invalid N] [--expect-invalid-other N]\n"
          "                  [--folder F] [--spec 3.0]\n"
          "                  TESTSUITE [FILE.wast...]\n",
          f);
}

int main(int argc, char **argv)
{
    options o = {.work = "spec-print-work",
                 .folder = "core",
                 .expect_identical = -1,
                 .expect_stable = -1,
                 .expect_invalid = -1,
                 .expect_invalid_other = -1};
    const char *pos[64];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--work") == 0 && i + 1 < argc)
            o.work = argv[++i];
        else if (strcmp(argv[i], "--keep") == 0)
            o.keep = true;
        else if (strcmp(argv[i], "--folder") == 0 && i + 1 < argc)
            o.folder = argv[++i];
        else if (strcmp(argv[i], "--spec") == 0 && i + 1 < argc &&
                 strcmp(argv[i + 1], "3.0") == 0 && ++i)
            wasm3 = true;
        else if (strcmp(argv[i], "--verbose") == 0)
            o.verbose = true;
        else if (strcmp(argv[i], "--expect-identical") == 0 && i + 1 < argc)
            o.expect_identical = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--expect-stable") == 0 && i + 1 < argc)
            o.expect_stable = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--expect-invalid") == 0 && i + 1 < argc)
            o.expect_invalid = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--expect-invalid-other") == 0 && i + 1 < argc)
            o.expect_invalid_other = strtol(argv[++i], NULL, 10);
        else if (argv[i][0] == '-' && argv[i][1]) {
            usage(stderr);
            return 2;
        } else if (npos < 64)
            pos[npos++] = argv[i];
    }
    if (npos < 1) {
        usage(stderr);
        return 2;
    }
    o.suite = pos[0];
    char dir[HOST_PATH_SIZE];
    if (!host_path_join(dir, sizeof dir, o.suite, o.folder) || !host_is_dir(dir)) {
        printf("spec_print: SKIP: test suite folder %s/%s not found (set KILN_TESTSUITE)\n",
               o.suite, o.folder);
        return WAST_EXIT_SKIP;
    }
    char **names = NULL;
    size_t count = 0;
    if (npos > 1) {
        names = calloc((size_t)(npos - 1), sizeof *names);
        for (int i = 1; names && i < npos; i++)
            names[count++] = strdup(pos[i]);
    } else {
        DIR *dd = opendir(dir);
        struct dirent *e;
        size_t cap = 0;
        while (dd && (e = readdir(dd)) != NULL) {
            if (!wast_ends_with(e->d_name, ".wast"))
                continue;
            if (count == cap) {
                cap = cap ? cap * 2 : 256;
                char **grown = realloc(names, cap * sizeof *names);
                if (!grown)
                    break;
                names = grown;
            }
            names[count++] = strdup(e->d_name);
        }
        if (dd)
            closedir(dd);
        if (count)
            qsort(names, count, sizeof *names, compare_names);
    }
    if (count == 0) {
        printf("spec_print: SKIP: no .wast files in %s\n", dir);
        free(names);
        return WAST_EXIT_SKIP;
    }
    counts total = {0};
    for (size_t i = 0; i < count; i++) {
        if (names[i])
            check_file(&o, dir, names[i], &total);
        free(names[i]);
    }
    free(names);
    printf("total: %ld valid modules round-tripped: %ld identical, %ld stable (%ld of them printed "
           "as the same text as their second binary); %ld invalid modules identical, %ld in "
           "another encoding; %ld skipped (not decoded)\n",
           total.identical + total.stable, total.identical, total.stable, total.same, total.invalid,
           total.invalid_other, total.skipped);
    if (o.expect_identical >= 0 && total.identical != o.expect_identical) {
        printf("FAIL: expected %ld identical modules, got %ld\n", o.expect_identical,
               total.identical);
        total.failed++;
    }
    if (o.expect_invalid >= 0 && total.invalid != o.expect_invalid) {
        printf("FAIL: expected %ld invalid modules identical, got %ld\n", o.expect_invalid,
               total.invalid);
        total.failed++;
    }
    if (o.expect_invalid_other >= 0 && total.invalid_other != o.expect_invalid_other) {
        printf("FAIL: expected %ld invalid modules in another encoding, got %ld\n",
               o.expect_invalid_other, total.invalid_other);
        total.failed++;
    }
    if (o.expect_stable >= 0 && total.stable != o.expect_stable) {
        printf("FAIL: expected %ld stable modules, got %ld\n", o.expect_stable, total.stable);
        total.failed++;
    }
    printf("%ld passed, %ld failed, %ld skipped\n",
           total.identical + total.stable + total.invalid + total.invalid_other, total.failed,
           total.skipped);
    return total.failed ? 1 : 0;
}
