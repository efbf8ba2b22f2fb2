/* spec_wat.c -- the text reader (kiln_wat_to_wasm) against the spec test suite's modules.
 *
 * For each .wast file of TESTSUITE/core (or the FILEs given), in sorted order, it runs
 * wast2json into WORK/NAME/ and walks the JSON's commands that carry a module:
 *   - module, assert_invalid, assert_unlinkable, assert_uninstantiable: the command's line
 *     leads to the module's text in the .wast (the "(module" on that line, or the first one
 *     inside the "(assert_... " that starts there). Every one (text, quote or binary) is
 *     converted by Kiln and must be byte-identical to the .wasm
 *     wast2json wrote ("identical"); where it is not, both must decode and give the same
 *     outcome with kiln_validate ("equivalent", each one listed) -- else it fails.
 *   - assert_malformed with a text module (wast2json's .wat file): Kiln must reject it, and
 *     the message is compared with the suite's expected text by prefix, as the reference
 *     interpreter's runner does; a different message is a note, not a failure, unless
 *     --strict-messages.
 * Output: one line per file with its counts, one line per failure or note, then the totals
 * and exactly `N passed, N failed, N skipped`. Exit 0 if nothing failed, 1 if anything did,
 * 2 on a usage error, 77 when the test suite or wast2json is missing (ctest's
 * SKIP_RETURN_CODE): never a pass without having run.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wast.h"
#include "wat.h"

typedef struct options {
    const char *suite, *wast2json, *work;
    bool keep, strict_messages, verbose;
    long expect_identical; /* -1: not checked */
} options;

typedef struct counts {
    long identical, equivalent, skipped, failed;
    long rejected, message_match;
    long invalid, located; /* assert_invalid errors, and those kiln_wat_locate placed */
} counts;

/* A module's text inside the .wast: the "module" keyword at or after the command's line
 * (wast2json gives the keyword's line, which may follow its "(") and everything to its ")".
 * *start is the keyword's offset: the caller converts "(" + text[start, end). A script
 * without any "(module" (fields at the top level, inline-module.wast) is one module: the
 * whole file, *whole set. */
static bool find_module(const char *text, size_t size, const size_t *line_starts, size_t line_count,
                        uint64_t line, size_t *start, size_t *end, bool *binary, bool *whole)
{
    *whole = false;
    if (line == 0 || line > line_count)
        return false;
    kiln_arena arena;
    kiln_arena_init(&arena, NULL);
    kiln_diag d;
    kiln_diag_init(&d);
    wat_lexer lx;
    size_t from = line_starts[line - 1];
    wat_lex_init(&lx, text + from, size - from, &arena, &d);
    bool found = false;
    /* "module", "(module" or "(assert_x (module": at most five tokens. */
    for (int tries = 0; tries < 5 && !found; tries++) {
        if (!wat_next(&lx))
            break;
        if (tries == 1 && lx.tok.kind == WAT_KEYWORD && !wat_is_keyword(&lx.tok, "module") &&
            strncmp(lx.tok.text, "assert_", 7) != 0) {
            *whole = true; /* "(func": a field at the top level */
            kiln_arena_free(&arena);
            return true;
        }
        if (wat_is_keyword(&lx.tok, "module")) {
            *start = from + lx.tok.offset;
            found = true;
        }
    }
    if (found) {
        if (!wat_next(&lx))
            found = false;
        if (found && lx.tok.kind == WAT_ID && !wat_next(&lx))
            found = false;
        *binary = found && wat_is_keyword(&lx.tok, "binary");
        unsigned depth = 1;
        while (found && depth > 0) {
            if (lx.tok.kind == WAT_EOF) {
                found = false;
                break;
            }
            if (lx.tok.kind == WAT_LPAR)
                depth++;
            else if (lx.tok.kind == WAT_RPAR && --depth == 0)
                break;
            if (!wat_next(&lx))
                found = false;
        }
        if (found)
            *end = from + lx.tok.offset + 1;
    }
    kiln_arena_free(&arena);
    return found;
}

static bool decode_validate(const uint8_t *bytes, size_t size, kiln_diag *d)
{
    wasm_module m;
    kiln_diag_init(d);
    bool ok = kiln_decode(&m, bytes, size, NULL, d) && kiln_validate(&m, NULL, d);
    wasm_module_free(&m);
    return ok;
}

static void check_module_command(const options *o, const char *display, uint64_t line,
                                 const char *wast, size_t wast_size, const size_t *lines,
                                 size_t line_count, const char *json_dir, const char *filename,
                                 bool invalid, counts *c)
{
    size_t start = 0, end = 0;
    bool binary = false, whole;
    if (!find_module(wast, wast_size, lines, line_count, line, &start, &end, &binary, &whole)) {
        printf("%s:%llu: FAIL: no (module ...) found at this line\n", display,
               (unsigned long long)line);
        c->failed++;
        return;
    }
    (void)binary; /* (module binary ...) goes through the reader too: its strings, as bytes */
    char path[HOST_PATH_SIZE];
    host_file want;
    kiln_diag d;
    if (!host_path_join(path, sizeof path, json_dir, filename) ||
        !host_read_file(path, &want, &d)) {
        printf("%s:%llu: FAIL: cannot read %s\n", display, (unsigned long long)line, filename);
        c->failed++;
        return;
    }
    uint8_t *got = NULL;
    size_t got_size;
    kiln_diag_init(&d);
    char *module = whole ? NULL : malloc(end - start + 1);
    bool converted;
    if (whole) {
        converted = kiln_wat_to_wasm((const uint8_t *)wast, wast_size, &got, &got_size, &d);
    } else if (!module) {
        converted = kiln_diag_set(&d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
    } else {
        module[0] = '(';
        memcpy(module + 1, wast + start, end - start);
        converted = kiln_wat_to_wasm((const uint8_t *)module, end - start + 1, &got, &got_size, &d);
    }
    free(module);
    module = NULL;
    if (!converted) {
        char msg[512];
        kiln_diag_format(&d, NULL, msg, sizeof msg);
        printf("%s:%llu: FAIL: not converted: %s (at %s:%u:%u)\n", display,
               (unsigned long long)line, d.msg, display, (unsigned)(d.line + line - 1),
               (unsigned)d.column);
        c->failed++;
    } else if (got_size == want.size && memcmp(got, want.data, got_size) == 0) {
        c->identical++;
        kiln_diag dv;
        if (invalid && !decode_validate(got, got_size, &dv)) {
            /* Where the validator's error is in the text: the instruction's line:column. */
            c->invalid++;
            if (whole) {
                c->located += kiln_wat_locate((const uint8_t *)wast, wast_size, &dv);
            } else if ((module = malloc(end - start + 1)) != NULL) {
                module[0] = '(';
                memcpy(module + 1, wast + start, end - start);
                bool placed = kiln_wat_locate((const uint8_t *)module, end - start + 1, &dv);
                c->located += placed;
                if (!placed && o->verbose)
                    printf("%s:%llu: note: not placed: 0x%zx %s\n", display,
                           (unsigned long long)line, dv.offset, dv.msg);
                free(module);
            }
        }
    } else {
        size_t at = 0;
        while (at < got_size && at < want.size && got[at] == want.data[at])
            at++;
        kiln_diag dg, dw;
        bool vg = decode_validate(got, got_size, &dg);
        bool vw = decode_validate(want.data, want.size, &dw);
        if (vg == vw && (vg || dg.code == dw.code)) {
            c->equivalent++;
            printf("%s:%llu: note: bytes differ from %s at 0x%zx; both %s\n", display,
                   (unsigned long long)line, filename, at, vg ? "valid" : kiln_err_class(dg.code));
        } else {
            c->failed++;
            printf("%s:%llu: FAIL: bytes differ from %s at 0x%zx (%zu vs %zu bytes): kiln's "
                   "is %s (%s), wast2json's is %s (%s)\n",
                   display, (unsigned long long)line, filename, at, got_size, want.size,
                   vg ? "valid" : kiln_err_class(dg.code), vg ? "" : dg.msg,
                   vw ? "valid" : kiln_err_class(dw.code), vw ? "" : dw.msg);
        }
    }
    (void)o;
    free(got);
    host_file_free(&want);
}

static void check_malformed_text(const options *o, const char *display, uint64_t line,
                                 const char *json_dir, const char *filename, const char *expect,
                                 counts *c)
{
    char path[HOST_PATH_SIZE];
    host_file text;
    kiln_diag d;
    if (!host_path_join(path, sizeof path, json_dir, filename) ||
        !host_read_file(path, &text, &d)) {
        printf("%s:%llu: FAIL: cannot read %s\n", display, (unsigned long long)line, filename);
        c->failed++;
        return;
    }
    uint8_t *got;
    size_t got_size;
    kiln_diag_init(&d);
    if (kiln_wat_to_wasm(text.data, text.size, &got, &got_size, &d)) {
        /* Accepted text: still malformed if the bytes do not decode (the reference
         * interpreter decodes quoted modules too). */
        kiln_diag dv;
        if (decode_validate(got, got_size, &dv) || dv.code != KILN_ERR_MALFORMED) {
            printf("%s:%llu: FAIL: malformed text accepted (%s) [spec: \"%s\"]\n", display,
                   (unsigned long long)line, filename, expect ? expect : "");
            c->failed++;
        } else {
            c->rejected++;
            if (expect && strncmp(dv.msg, expect, strlen(expect)) == 0)
                c->message_match++;
        }
        free(got);
    } else {
        c->rejected++;
        if (expect && strncmp(d.msg, expect, strlen(expect)) == 0) {
            c->message_match++;
        } else {
            printf("%s:%llu: %s: message differs: expected \"%s\", got \"%s\" (%s:%u:%u)\n",
                   display, (unsigned long long)line, o->strict_messages ? "FAIL" : "note",
                   expect ? expect : "", d.msg, filename, (unsigned)d.line, (unsigned)d.column);
            if (o->strict_messages)
                c->failed++;
        }
    }
    host_file_free(&text);
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
    host_file text;
    kiln_diag d;
    if (!wast_run_wast2json(o->wast2json, false, wast, json, err, sizeof err)) {
        printf("%s: FAIL: %s\n", file, err);
        total->failed++;
        return;
    }
    if (!host_read_file(wast, &text, &d)) {
        printf("%s: FAIL: cannot read it\n", file);
        total->failed++;
        return;
    }
    size_t line_count = 1;
    for (size_t i = 0; i < text.size; i++)
        line_count += text.data[i] == '\n';
    size_t *lines = malloc(line_count * sizeof *lines);
    if (!lines) {
        host_file_free(&text);
        total->failed++;
        return;
    }
    lines[0] = 0;
    for (size_t i = 0, n = 1; i < text.size; i++)
        if (text.data[i] == '\n')
            lines[n++] = i + 1;

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
            if (!type || !json_get_u64(cmd, "line", &line))
                continue;
            bool module = strcmp(type, "module") == 0 || strcmp(type, "assert_invalid") == 0 ||
                          strcmp(type, "assert_unlinkable") == 0 ||
                          strcmp(type, "assert_uninstantiable") == 0;
            bool malformed = strcmp(type, "assert_malformed") == 0;
            if (!module && !malformed)
                continue;
            if (!wast_command_module(cmd, &filename, &is_text, err, sizeof err)) {
                printf("%s:%llu: FAIL: %s\n", file, (unsigned long long)line, err);
                c.failed++;
            } else if (module) {
                check_module_command(o, file, line, (const char *)text.data, text.size, lines,
                                     line_count, json_dir, filename,
                                     strcmp(type, "assert_invalid") == 0, &c);
            } else if (is_text) {
                check_malformed_text(o, file, line, json_dir, filename, json_get_str(cmd, "text"),
                                     &c);
            } else {
                c.skipped++; /* binary modules that must not decode: spec.validate's */
            }
        }
    }
    wast_script_free(&script);
    free(lines);
    host_file_free(&text);
    if (!o->keep)
        host_remove_dir(json_dir);
    printf("%s: %ld identical, %ld equivalent, %ld failed, %ld skipped (malformed binary); "
           "malformed text: %ld rejected, %ld with the expected message\n",
           file, c.identical, c.equivalent, c.failed, c.skipped, c.rejected, c.message_match);
    total->identical += c.identical;
    total->equivalent += c.equivalent;
    total->failed += c.failed;
    total->skipped += c.skipped;
    total->rejected += c.rejected;
    total->message_match += c.message_match;
    total->invalid += c.invalid;
    total->located += c.located;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void usage(FILE *f)
{
    fputs("usage: spec_wat [--work DIR] [--keep] [--strict-messages] [--expect-identical N]\n"
          "                TESTSUITE WAST2JSON [FILE.wast...]\n",
          f);
}

int main(int argc, char **argv)
{
    options o = {.work = "spec-wat-work", .expect_identical = -1};
    const char *pos[64];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--work") == 0 && i + 1 < argc)
            o.work = argv[++i];
        else if (strcmp(argv[i], "--keep") == 0)
            o.keep = true;
        else if (strcmp(argv[i], "--verbose") == 0)
            o.verbose = true;
        else if (strcmp(argv[i], "--strict-messages") == 0)
            o.strict_messages = true;
        else if (strcmp(argv[i], "--expect-identical") == 0 && i + 1 < argc)
            o.expect_identical = strtol(argv[++i], NULL, 10);
        else if (argv[i][0] == '-' && argv[i][1]) {
            usage(stderr);
            return 2;
        } else if (npos < 64)
            pos[npos++] = argv[i];
    }
    if (npos < 2) {
        usage(stderr);
        return 2;
    }
    o.suite = pos[0];
    o.wast2json = pos[1];
    char dir[HOST_PATH_SIZE];
    if (!host_path_join(dir, sizeof dir, o.suite, "core") || !host_is_dir(dir)) {
        printf("spec_wat: SKIP: test suite folder %s/core not found (set KILN_TESTSUITE)\n",
               o.suite);
        return WAST_EXIT_SKIP;
    }
    const char *w = o.wast2json;
    if (w[0] == '\0' || wast_ends_with(w, "-NOTFOUND") || (strchr(w, '/') && access(w, X_OK))) {
        printf("spec_wat: SKIP: wast2json not found (\"%s\"; install wabt)\n", w);
        return WAST_EXIT_SKIP;
    }
    char **names = NULL;
    size_t count = 0;
    if (npos > 2) {
        names = calloc((size_t)(npos - 2), sizeof *names);
        for (int i = 2; names && i < npos; i++)
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
        printf("spec_wat: SKIP: no .wast files in %s\n", dir);
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
    printf("total: %ld identical, %ld equivalent, %ld skipped (malformed binary); malformed "
           "text: %ld rejected, %ld with the expected message\n",
           total.identical, total.equivalent, total.skipped, total.rejected, total.message_match);
    if (o.expect_identical >= 0 && total.identical + total.equivalent < o.expect_identical) {
        printf("FAIL: expected at least %ld modules converted, got %ld\n", o.expect_identical,
               total.identical + total.equivalent);
        total.failed++;
    }
    printf("invalid modules: %ld validation errors, %ld of them placed at a line:column of the "
           "text\n",
           total.invalid, total.located);
    printf("%ld passed, %ld failed, %ld skipped\n",
           total.identical + total.equivalent + total.rejected, total.failed, total.skipped);
    return total.failed ? 1 : 0;
}
