/* read.c -- a bounds-checked cursor over untrusted bytes: LEB128, floats, names, vectors.
 *
 * Invariant: base <= p <= end, and no function ever forms a pointer outside [base, end]:
 * lengths are compared with the bytes left (`n > (size_t)(r->end - r->p)`) before any
 * pointer arithmetic. Every read names what it reads, and every failure goes through
 * rd_fail, which records the first error (class, offset, message) in r->diag and returns
 * false. Messages use the wording of the spec's reference interpreter, which the spec test
 * suite matches by prefix: "integer too large: type count".
 * The LEB128 rules follow the binary format exactly (an N-bit integer has at most
 * ceil(N/7) bytes, and the unused bits of the last byte must be zero, or copies of the sign
 * bit for signed integers). Called by decode.c, and by validate.c through dec_instr.
 */
#include <stdarg.h>
#include <stdio.h>

#include "toolchain.h"

#define MSG_END "unexpected end of section or function"

void rd_init(kiln_reader *r, const uint8_t *bytes, size_t size, kiln_diag *diag)
{
    static const uint8_t empty[1];
    if (!bytes) {
        bytes = empty; /* NULL + 0 is not a valid pointer computation in C */
        size = 0;
    }
    r->base = bytes;
    r->p = bytes;
    r->end = bytes + size;
    r->diag = diag;
    r->multi_memory = false;
    r->memory64 = false;
    r->later = NULL;
    r->wasm2 = NULL;
}

static bool vfail_at(kiln_reader *r, size_t offset, kiln_err code, const char *fmt, va_list ap)
    KILN_PRINTF(4, 0);

static bool vfail_at(kiln_reader *r, size_t offset, kiln_err code, const char *fmt, va_list ap)
{
    char msg[sizeof r->diag->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return kiln_diag_set(r->diag, code, offset, "%s", msg);
}

bool rd_fail(kiln_reader *r, kiln_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(r, rd_offset(r), code, fmt, ap);
    va_end(ap);
    return false;
}

bool rd_fail_at(kiln_reader *r, size_t offset, kiln_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(r, offset, code, fmt, ap);
    va_end(ap);
    return false;
}

static void vunsupported(kiln_diag *d, size_t offset, const char *feature, const char *fmt,
                         va_list ap) KILN_PRINTF(4, 0);

static void vunsupported(kiln_diag *d, size_t offset, const char *feature, const char *fmt,
                         va_list ap)
{
    if (d->code != KILN_OK)
        return;
    char what[128];
    vsnprintf(what, sizeof what, fmt, ap);
    kiln_diag_set(d, KILN_ERR_UNSUPPORTED, offset, "unsupported feature: %s (%s)", feature, what);
    d->feature = feature;
}

bool rd_unsupported(kiln_reader *r, size_t offset, const char *feature, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vunsupported(r->diag, offset, feature, fmt, ap);
    va_end(ap);
    return false;
}

bool rd_unsupported_later(kiln_reader *r, size_t offset, const char *feature, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vunsupported(r->later ? r->later : r->diag, offset, feature, fmt, ap);
    va_end(ap);
    return r->later != NULL;
}

bool rd_u8(kiln_reader *r, uint8_t *out, const char *what)
{
    if (r->p == r->end)
        return rd_fail(r, KILN_ERR_MALFORMED, MSG_END ": %s", what);
    *out = *r->p++;
    return true;
}

bool rd_bytes(kiln_reader *r, size_t n, const uint8_t **out, const char *what)
{
    *out = NULL; /* defined on failure too */
    if (n > rd_left(r))
        return rd_fail(r, KILN_ERR_MALFORMED, MSG_END ": %s", what);
    *out = r->p;
    r->p += n;
    return true;
}

/* An unsigned (is_signed false) or two's-complement LEB128 integer of `bits` bits, as the
 * reference interpreter reads it: before each byte at most `bits` bits may remain, and the
 * bits of the last byte beyond them must be 0 (unsigned) or equal to the sign bit (signed).
 *   too many bytes                    -> "integer representation too long" (at the next byte)
 *   unused bits of the last byte set  -> "integer too large" (at that byte) */
static bool read_leb(kiln_reader *r, unsigned bits, bool is_signed, uint64_t *out, const char *what)
{
    uint64_t result = 0;
    unsigned shift = 0;
    for (;;) {
        unsigned left = bits - shift; /* value bits this byte and later ones may still hold */
        if (r->p == r->end)
            return rd_fail(r, KILN_ERR_MALFORMED, MSG_END ": %s", what);
        uint8_t b = *r->p;
        if (left < 7) {
            uint8_t mask = is_signed ? (uint8_t)((0x7fu << (left - 1)) & 0x7fu)
                                     : (uint8_t)((0x7fu << left) & 0x7fu);
            uint8_t high = b & mask;
            if (is_signed ? (high != 0 && high != mask) : high != 0)
                return rd_fail(r, KILN_ERR_MALFORMED, "integer too large: %s", what);
        }
        r->p++;
        result |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (is_signed && shift < 64 && (b & 0x40))
                result |= ~(uint64_t)0 << shift; /* sign-extend */
            break;
        }
        if (shift >= bits)
            return rd_fail(r, KILN_ERR_MALFORMED, "integer representation too long: %s", what);
    }
    *out = result;
    return true;
}

bool rd_u32(kiln_reader *r, uint32_t *out, const char *what)
{
    uint64_t v;
    if (!read_leb(r, 32, false, &v, what))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool rd_u64(kiln_reader *r, uint64_t *out, const char *what)
{
    return read_leb(r, 64, false, out, what);
}

bool rd_u32_u64(kiln_reader *r, uint64_t *out, const char *what)
{
    kiln_diag as_u32, as_u64;
    kiln_diag_init(&as_u32);
    kiln_diag_init(&as_u64);
    kiln_reader p32 = *r, p64 = *r;
    p32.diag = &as_u32;
    p64.diag = &as_u64;
    uint32_t v32;
    if (rd_u32(&p32, &v32, what)) {
        r->p = p32.p;
        *out = v32;
        return true;
    }
    if (!rd_u64(&p64, out, what)) {
        if (r->diag->code == KILN_OK)
            *r->diag = as_u32; /* malformed in both versions: the error a u32 read gives */
        return false;
    }
    r->p = p64.p;
    if (r->wasm2 && r->wasm2->code == KILN_OK)
        *r->wasm2 = as_u32;
    return true;
}

bool rd_s32(kiln_reader *r, int32_t *out, const char *what)
{
    uint64_t v;
    if (!read_leb(r, 32, true, &v, what))
        return false;
    *out = (int32_t)(uint32_t)v; /* the value fits: its bits 31..63 are sign copies */
    return true;
}

bool rd_s33(kiln_reader *r, int64_t *out, const char *what)
{
    uint64_t v;
    if (!read_leb(r, 33, true, &v, what))
        return false;
    *out = (int64_t)v;
    return true;
}

bool rd_s64(kiln_reader *r, int64_t *out, const char *what)
{
    uint64_t v;
    if (!read_leb(r, 64, true, &v, what))
        return false;
    *out = (int64_t)v;
    return true;
}

bool rd_f32(kiln_reader *r, uint32_t *out_bits, const char *what)
{
    const uint8_t *b;
    if (!rd_bytes(r, 4, &b, what))
        return false;
    *out_bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

bool rd_f64(kiln_reader *r, uint64_t *out_bits, const char *what)
{
    const uint8_t *b;
    if (!rd_bytes(r, 8, &b, what))
        return false;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    *out_bits = v;
    return true;
}

/* The reference interpreter's rule for a length n read at start (the first byte of its LEB):
 * more than the bytes from start to the end is "length out of bounds"; a length that
 * reaches past the end only because of the LEB's own bytes runs off the end. */
static bool check_length(kiln_reader *r, const uint8_t *start, uint64_t n, uint64_t need,
                         const char *what)
{
    if (n > (size_t)(r->end - start))
        return rd_fail_at(r, (size_t)(start - r->base), KILN_ERR_MALFORMED,
                          "length out of bounds: %s", what);
    if (need > rd_left(r))
        return rd_fail_at(r, (size_t)(start - r->base), KILN_ERR_MALFORMED, MSG_END ": %s", what);
    return true;
}

// name ::= b*:vec(byte) (if utf8(name) = b*)
bool rd_name(kiln_reader *r, const char **out, uint32_t *out_len, const char *what)
{
    const uint8_t *start = r->p;
    uint32_t n;
    const uint8_t *bytes;
    if (!rd_u32(r, &n, what) || !check_length(r, start, n, n, what))
        return false;
    if (n > KILN_MAX_NAME_SIZE)
        return rd_fail_at(r, (size_t)(start - r->base), KILN_ERR_LIMIT,
                          "%s of %u bytes exceeds the limit of %u (KILN_MAX_NAME_SIZE)", what,
                          (unsigned)n, KILN_MAX_NAME_SIZE);
    if (!rd_bytes(r, n, &bytes, what))
        return false;
    if (!kiln_utf8_valid(bytes, n))
        return rd_fail_at(r, (size_t)(start - r->base), KILN_ERR_MALFORMED,
                          "malformed UTF-8 encoding: %s", what);
    *out = (const char *)bytes;
    *out_len = n;
    return true;
}

bool rd_count(kiln_reader *r, uint32_t *out, size_t min_entry_bytes, uint64_t limit,
              const char *what)
{
    const uint8_t *start = r->p;
    uint32_t n;
    if (!rd_u32(r, &n, what))
        return false;
    uint64_t min = min_entry_bytes ? min_entry_bytes : 1;
    if (!check_length(r, start, n, (uint64_t)n * min, what))
        return false;
    if (n > limit)
        return rd_fail_at(r, (size_t)(start - r->base), KILN_ERR_LIMIT,
                          "%s %u exceeds the implementation limit of %llu", what, (unsigned)n,
                          (unsigned long long)limit);
    *out = n;
    return true;
}

bool rd_sub(kiln_reader *r, size_t len, kiln_reader *out, const char *what)
{
    if (len > rd_left(r))
        return rd_fail(r, KILN_ERR_MALFORMED, "length out of bounds: %s", what);
    out->base = r->base;
    out->p = r->p;
    out->end = r->p + len;
    out->diag = r->diag;
    out->multi_memory = r->multi_memory;
    out->memory64 = r->memory64;
    out->later = r->later;
    out->wasm2 = r->wasm2;
    r->p += len;
    return true;
}

/* UTF-8 as the spec defines it (Unicode's well-formed byte sequences, table 3-7):
 *   00..7F | C2..DF 80..BF | E0 A0..BF 80..BF | E1..EC 80..BF 80..BF | ED 80..9F 80..BF
 *   | EE..EF 80..BF 80..BF | F0 90..BF 80..BF 80..BF | F1..F3 80..BF 80..BF 80..BF
 *   | F4 80..8F 80..BF 80..BF
 * which rules out overlong forms, surrogates (U+D800..DFFF) and code points > U+10FFFF. */
bool kiln_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint8_t lo = 0x80, hi = 0xBF; /* the range of the second byte */
        if (b >= 0xC2 && b <= 0xDF) {
            len = 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            if (b == 0xE0)
                lo = 0xA0;
            else if (b == 0xED)
                hi = 0x9F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4;
            if (b == 0xF0)
                lo = 0x90;
            else if (b == 0xF4)
                hi = 0x8F;
        } else {
            return false;
        }
        if (len > n - i)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}
