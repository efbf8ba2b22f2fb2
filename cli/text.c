/* text.c -- growable strings and aligned tables for the CLI's human-readable output.
 *
 * cli_buf is a NUL-terminated string that grows by doubling. An allocation failure does not
 * stop the caller: the buffer remembers it (failed) and the caller checks once at the end,
 * which keeps the printing code free of an error check after every append.
 * cli_table prints in two passes over a row callback, measuring column widths in the first,
 * so only one row is ever held in memory. Names from a module are untrusted bytes, so
 * cli_buf_name escapes anything that could confuse a terminal (controls, invalid UTF-8)
 * instead of printing it raw.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_buf_init(cli_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = false;
}

void cli_buf_free(cli_buf *b)
{
    free(b->data);
    cli_buf_init(b);
}

void cli_buf_clear(cli_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Makes room for n more bytes plus the NUL. */
static bool buf_reserve(cli_buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (n < b->cap - b->len && b->data)
        return true;
    size_t need = b->len + n + 1;
    if (need < n) {
        b->failed = true;
        return false;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (!data) {
        b->failed = true;
        return false;
    }
    b->data = data;
    b->cap = cap;
    return true;
}

void cli_buf_put(cli_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static KILN_PRINTF(2, 0) void buf_vprintf(cli_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if (!buf_reserve(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *cli_buf_str(const cli_buf *b)
{
    return b->data ? b->data : "";
}

/* Same rules as the JSON writer: the length of a well-formed UTF-8 sequence, or 0. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (len == 0 || len > n || !kiln_utf8_valid(s, len))
        return 0;
    return len;
}

static bool is_plain(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n;) {
        if (s[i] >= 0x80) {
            size_t len = utf8_length(s + i, n - i);
            if (len == 0)
                return false;
            i += len;
            continue;
        }
        if (s[i] <= 0x20 || s[i] == 0x7F || s[i] == '"' || s[i] == '\\')
            return false;
        i++;
    }
    return true;
}

void cli_buf_quoted(cli_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    cli_buf_put(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        if (s[i] >= 0x80) {
            size_t len = utf8_length(s + i, n - i);
            if (len == 0) {
                cli_buf_printf(b, "\\x%02x", s[i]);
                i++;
            } else {
                cli_buf_put(b, str + i, len);
                i += len;
            }
            continue;
        }
        switch (s[i]) {
        case '"':
            cli_buf_put(b, "\\\"", 2);
            break;
        case '\\':
            cli_buf_put(b, "\\\\", 2);
            break;
        case '\n':
            cli_buf_put(b, "\\n", 2);
            break;
        case '\t':
            cli_buf_put(b, "\\t", 2);
            break;
        case '\r':
            cli_buf_put(b, "\\r", 2);
            break;
        default:
            if (s[i] < 0x20 || s[i] == 0x7F)
                cli_buf_printf(b, "\\x%02x", s[i]);
            else
                cli_buf_put(b, str + i, 1);
        }
        i++;
    }
    cli_buf_put(b, "\"", 1);
}

void cli_buf_name(cli_buf *b, const char *s, size_t n)
{
    if (s && is_plain(s, n))
        cli_buf_put(b, s, n);
    else
        cli_buf_quoted(b, s ? s : "", s ? n : 0);
}

void cli_table_skip(cli_table *t)
{
    if (t->col < t->cols)
        t->col++;
}

cli_buf *cli_table_next(cli_table *t)
{
    KILN_ASSERT(t->col < t->cols);
    return &t->cells[t->col++];
}

void cli_table_cell(cli_table *t, const char *fmt, ...)
{
    KILN_ASSERT(t->col < t->cols);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&t->cells[t->col++], fmt, ap);
    va_end(ap);
}

/* Display width: code points, which is right for the names modules carry in practice. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

static void pad(FILE *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc(' ', out);
}

static void measure_row(cli_table *t)
{
    for (size_t c = 0; c < t->cols; c++) {
        size_t w = text_width(cli_buf_str(&t->cells[c]));
        if (w > CLI_TABLE_MAX_WIDTH)
            w = CLI_TABLE_MAX_WIDTH;
        if (w > t->widths[c])
            t->widths[c] = w;
    }
}

static void print_row(const cli_table *t, FILE *out, const char *indent)
{
    size_t last = 0; /* one past the last non-empty cell */
    for (size_t c = 0; c < t->cols; c++)
        if (t->cells[c].len)
            last = c + 1;
    fputs(indent, out);
    size_t carry = 0; /* how far too-wide cells have pushed the line to the right */
    for (size_t c = 0; c < last; c++) {
        const char *cell = cli_buf_str(&t->cells[c]);
        size_t w = text_width(cell);
        size_t room = t->widths[c] > carry ? t->widths[c] - carry : 0;
        carry = carry > t->widths[c] ? carry - t->widths[c] : 0;
        if (c > 0)
            fputs("  ", out);
        if (t->align[c] == 'r' && w < room)
            pad(out, room - w);
        fputs(cell, out);
        if (w > room)
            carry += w - room;
        else if (t->align[c] != 'r' && c + 1 < last)
            pad(out, room - w);
    }
    fputc('\n', out);
}

bool cli_table_run(const char *align, size_t rows, cli_table_row_fn fn, const void *ctx, FILE *out,
                   const char *indent)
{
    cli_table t;
    t.align = align;
    t.cols = strlen(align);
    KILN_ASSERT(t.cols <= CLI_TABLE_MAX_COLS);
    for (size_t c = 0; c < t.cols; c++) {
        t.widths[c] = 0;
        cli_buf_init(&t.cells[c]);
    }
    bool ok = true;
    for (int pass = 0; pass < 2 && ok; pass++) {
        for (size_t r = 0; r < rows; r++) {
            for (size_t c = 0; c < t.cols; c++)
                cli_buf_clear(&t.cells[c]);
            t.col = 0;
            fn(&t, ctx, r);
            for (size_t c = 0; c < t.cols; c++)
                ok = ok && !t.cells[c].failed;
            if (!ok)
                break;
            if (pass == 0)
                measure_row(&t);
            else
                print_row(&t, out, indent);
        }
    }
    for (size_t c = 0; c < t.cols; c++)
        cli_buf_free(&t.cells[c]);
    return ok;
}
