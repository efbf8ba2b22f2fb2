/* diag.c -- error records for the whole toolchain: one kiln_diag per run, first error wins.
 *
 * Every stage (reader, decoder, validator, ...) reports through kiln_diag_set or rd_fail, so
 * the message of the first problem found is the one the user sees; later failures that are
 * only consequences of it never overwrite it. Messages are lower-case without a trailing
 * period and start with the specification's wording ("integer too large: type count").
 * kiln_die is for internal bugs only (KILN_ASSERT); input errors never reach it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "toolchain.h"

void kiln_diag_init(kiln_diag *d)
{
    d->code = KILN_OK;
    d->offset = KILN_NO_OFFSET;
    d->func_index = KILN_NO_FUNC;
    d->line = 0;
    d->column = 0;
    d->msg[0] = '\0';
    d->feature = NULL;
}

bool kiln_diag_set(kiln_diag *d, kiln_err code, size_t offset, const char *fmt, ...)
{
    if (d->code != KILN_OK)
        return false;
    KILN_ASSERT(code != KILN_OK);
    d->code = code;
    d->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return false;
}

void kiln_msg(char *out, size_t size, const char *fmt, ...)
{
    if (out == NULL || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

const char *kiln_err_class(kiln_err code)
{
    switch (code) {
    case KILN_OK:
        return "ok";
    case KILN_ERR_MALFORMED:
        return "malformed";
    case KILN_ERR_INVALID:
        return "invalid";
    case KILN_ERR_UNSUPPORTED:
        return "unsupported";
    case KILN_ERR_LIMIT:
        return "limit";
    case KILN_ERR_NOMEM:
        return "nomem";
    case KILN_ERR_IO:
        return "io";
    case KILN_ERR_LLVM:
        return "llvm";
    }
    return "unknown";
}

/* "FILE:0xOFFSET: error: MESSAGE (in function N)", or "FILE:LINE:COLUMN: ..." for module
 * text (line != 0). The offset part is left out when the error
 * is not about a byte of the input ("FILE: error: MESSAGE"), the file part when file is NULL.
 * Returns what snprintf returns: the length the full text needs, so truncation is detectable. */
int kiln_diag_format(const kiln_diag *d, const char *file, char *buf, size_t size)
{
    char func[40] = "";
    if (d->func_index != KILN_NO_FUNC)
        snprintf(func, sizeof func, " (in function %u)", (unsigned)d->func_index);
    bool has_offset = d->offset != KILN_NO_OFFSET;
    if (d->line != 0) {
        if (file)
            return snprintf(buf, size, "%s:%u:%u: error: %s%s", file, (unsigned)d->line,
                            (unsigned)d->column, d->msg, func);
        return snprintf(buf, size, "%u:%u: error: %s%s", (unsigned)d->line, (unsigned)d->column,
                        d->msg, func);
    }
    if (file && has_offset)
        return snprintf(buf, size, "%s:0x%zx: error: %s%s", file, d->offset, d->msg, func);
    if (file)
        return snprintf(buf, size, "%s: error: %s%s", file, d->msg, func);
    if (has_offset)
        return snprintf(buf, size, "0x%zx: error: %s%s", d->offset, d->msg, func);
    return snprintf(buf, size, "error: %s%s", d->msg, func);
}

void kiln_die(const char *file, int line, const char *expr)
{
    fflush(stdout);
    fprintf(stderr, "%s:%d: internal error: assertion failed: %s\n", file, line, expr);
    abort();
}
