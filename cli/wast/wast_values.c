/* wast_values.c -- values of spec scripts: parsed from wast2json's JSON, compared, printed.
 *
 * wast2json writes every number as the decimal of its bit pattern and a v128 as lanes of a
 * given shape; expected floats may be the patterns nan:canonical / nan:arithmetic (per lane
 * in a v128). Results are compared bit for bit, except where a pattern allows any NaN of its
 * kind; a reference result without a value accepts any non-null reference. Wasm 3.0's
 * references (anyref ... nullexnref, hostref, ref: docs/cli.md#wast) parse too: a null
 * result of those matches any null, the rest are "unsupported" values compiled code cannot
 * hold, which the runner skips. Failures print both sides, floats with their bits. Used by
 * wast_run.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wast.h"

static const struct {
    const char *name;
    uint8_t type;
} value_types[] = {
    {"i32", KILN_TYPE_I32},
    {"i64", KILN_TYPE_I64},
    {"f32", KILN_TYPE_F32},
    {"f64", KILN_TYPE_F64},
    {"v128", KILN_TYPE_V128},
    {"funcref", KILN_TYPE_FUNCREF},
    {"externref", KILN_TYPE_EXTERNREF},
    /* Wasm 3.0 references: parsed, never held by Kiln's code (wast_parse_value) */
    {"anyref", 0x6e},
    {"eqref", 0x6d},
    {"i31ref", 0x6c},
    {"structref", 0x6b},
    {"arrayref", 0x6a},
    {"exnref", 0x69},
    {"nullref", 0x71},
    {"nullexternref", 0x72},
    {"nullfuncref", 0x73},
    {"nullexnref", 0x74},
    {"ref", WAST_TYPE_REF},
    {"hostref", WAST_TYPE_HOSTREF},
};

const char *wast_type_name(uint8_t type)
{
    for (size_t i = 0; i < KILN_ARRAY_LEN(value_types); i++)
        if (value_types[i].type == type)
            return value_types[i].name;
    return "?";
}

/* wast2json writes numbers as unsigned decimal bit patterns; a '-' is accepted too and
 * wrapped. False unless text is a decimal number that fits in bits bits. */
static bool parse_bits(const char *text, unsigned bits, uint64_t *out)
{
    bool negative = text[0] == '-';
    const char *p = negative ? text + 1 : text;
    if (*p < '0' || *p > '9')
        return false;
    uint64_t v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    uint64_t mask = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    if (negative) {
        if (v - 1 > mask >> 1 && v != 0)
            return false; /* below the signed minimum */
        v = (0 - v) & mask;
    } else if (v > mask) {
        return false;
    }
    *out = v;
    return true;
}

static wast_nan parse_nan(const char *text)
{
    if (strcmp(text, "nan:canonical") == 0)
        return WAST_NAN_CANONICAL;
    if (strcmp(text, "nan:arithmetic") == 0)
        return WAST_NAN_ARITHMETIC;
    return WAST_NAN_NONE;
}

/* Lane i (of width bits) of a v128. */
static uint64_t lane_get(const wast_value *v, unsigned bits, unsigned i)
{
    unsigned bit = i * bits;
    uint64_t word = bit < 64 ? v->lo : v->hi;
    uint64_t mask = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    return (word >> (bit % 64)) & mask;
}

static void lane_set(wast_value *v, unsigned bits, unsigned i, uint64_t x)
{
    unsigned bit = i * bits;
    uint64_t *word = bit < 64 ? &v->lo : &v->hi;
    *word |= x << (bit % 64);
}

static bool parse_v128(const json_value *j, wast_script_value *out, bool expected, char *err,
                       size_t err_size)
{
    static const struct {
        const char *name;
        unsigned bits;
        bool is_float;
    } lanes[] = {{"i8", 8, false},   {"i16", 16, false}, {"i32", 32, false},
                 {"i64", 64, false}, {"f32", 32, true},  {"f64", 64, true}};
    const char *lane_type = json_get_str(j, "lane_type");
    const json_value *values = json_get(j, "value");
    size_t k = 0;
    while (lane_type && k < KILN_ARRAY_LEN(lanes) && strcmp(lanes[k].name, lane_type) != 0)
        k++;
    if (!lane_type || k == KILN_ARRAY_LEN(lanes) || !values || values->kind != JSON_ARRAY ||
        json_len(values) != 128 / lanes[k].bits) {
        kiln_msg(err, err_size, "bad v128 value");
        return false;
    }
    out->lane_bits = lanes[k].bits;
    out->lane_float = lanes[k].is_float;
    for (unsigned i = 0; i < 128 / out->lane_bits; i++) {
        const json_value *lane = json_at(values, i);
        const char *text = lane && lane->kind == JSON_STRING ? lane->u.str.ptr : NULL;
        uint64_t bits = 0;
        wast_nan nan = text && expected && out->lane_float ? parse_nan(text) : WAST_NAN_NONE;
        if (nan != WAST_NAN_NONE) {
            out->nan[i] = (uint8_t)nan;
        } else if (!text || !parse_bits(text, out->lane_bits, &bits)) {
            kiln_msg(err, err_size, "bad v128 lane \"%s\"", text ? text : "?");
            return false;
        } else {
            lane_set(&out->v, out->lane_bits, i, bits);
        }
    }
    return true;
}

/* A reference value of type out->v.type, text its "value" (NULL if none); see
 * wast_parse_value. */
static bool parse_ref(const char *type, const char *text, bool expected, wast_script_value *out,
                      char *err, size_t err_size)
{
    uint8_t t = out->v.type;
    bool null = text && strcmp(text, "null") == 0;
    uint64_t n = 0;
    if (t == KILN_TYPE_FUNCREF || t == KILN_TYPE_EXTERNREF) {
        if (null)
            return true;
        if (!text && expected) {
            out->any_ref = true;
            return true;
        }
        if (t == KILN_TYPE_EXTERNREF && text && parse_bits(text, 32, &n)) {
            out->v.lo = n + 1; /* non-null, and distinct per N */
            return true;
        }
    } else if (t == WAST_TYPE_HOSTREF) {
        if (text && parse_bits(text, 32, &n)) {
            out->v.lo = n + 1;
            out->unsupported = true;
            return true;
        }
    } else if (null && expected) {
        out->any_null = true;
        return true;
    } else if (null && (t == 0x73 || t == 0x72 || t == 0x74 || t == KILN_TYPE_EXNREF)) {
        /* (ref.null nofunc) / (ref.null noextern) / (ref.null [no]exn): nulls that compiled
         * code can take */
        out->v.type = t == 0x73   ? KILN_TYPE_FUNCREF
                      : t == 0x72 ? KILN_TYPE_EXTERNREF
                                  : KILN_TYPE_EXNREF;
        return true;
    } else if (null && ((t >= 0x6a && t <= 0x6e) || t == 0x71)) {
        /* (ref.null any), eq, i31, struct, array, none: GC's hierarchy, whose only value
         * compiled code has is null */
        out->v.type = KILN_TYPE_ANYREF;
        return true;
    } else if (null || (!text && expected)) {
        out->any_ref = !null;
        out->unsupported = true;
        return true;
    }
    kiln_msg(err, err_size, "bad %s value \"%s\"", type, text ? text : "(none)");
    return false;
}

/* Parses {"type": T, "value": V}. Patterns (nan:*, references without a value) are only
 * allowed in expected results. A script's `ref.extern N` becomes the host pointer N + 1. */
bool wast_parse_value(const json_value *j, bool expected, wast_script_value *out, char *err,
                      size_t err_size)
{
    memset(out, 0, sizeof(*out));
    const char *type = json_get_str(j, "type");
    size_t t = 0;
    while (type && t < KILN_ARRAY_LEN(value_types) && strcmp(value_types[t].name, type) != 0)
        t++;
    if (!type || t == KILN_ARRAY_LEN(value_types)) {
        kiln_msg(err, err_size, "unknown value type \"%s\"", type ? type : "?");
        return false;
    }
    out->v.type = value_types[t].type;
    if (out->v.type == KILN_TYPE_V128)
        return parse_v128(j, out, expected, err, err_size);
    const char *text = json_get_str(j, "value");
    switch (out->v.type) {
    case KILN_TYPE_I32:
    case KILN_TYPE_I64:
    case KILN_TYPE_F32:
    case KILN_TYPE_F64: {
        unsigned bits = out->v.type == KILN_TYPE_I32 || out->v.type == KILN_TYPE_F32 ? 32 : 64;
        bool is_float = out->v.type == KILN_TYPE_F32 || out->v.type == KILN_TYPE_F64;
        wast_nan nan = text && expected && is_float ? parse_nan(text) : WAST_NAN_NONE;
        if (nan != WAST_NAN_NONE) {
            out->nan[0] = (uint8_t)nan;
            return true;
        }
        if (text && parse_bits(text, bits, &out->v.lo))
            return true;
        break;
    }
    default:
        return parse_ref(type, text, expected, out, err, err_size);
    }
    kiln_msg(err, err_size, "bad %s value \"%s\"", type, text ? text : "(none)");
    return false;
}

static bool float_matches(uint64_t bits, unsigned width, wast_nan nan, uint64_t want)
{
    uint64_t quiet = width == 32 ? UINT64_C(0x7fc00000) : UINT64_C(0x7ff8000000000000);
    uint64_t sign = width == 32 ? UINT64_C(0x80000000) : UINT64_C(0x8000000000000000);
    switch (nan) {
    case WAST_NAN_CANONICAL: /* either sign, only the quiet bit in the payload */
        return (bits & ~sign) == quiet;
    case WAST_NAN_ARITHMETIC: /* either sign, any payload with the quiet bit set */
        return (bits & quiet) == quiet;
    default:
        return bits == want;
    }
}

/* Whether type is a reference type compiled code has. */
static bool is_ref_type(uint8_t type)
{
    return type == KILN_TYPE_FUNCREF || type == KILN_TYPE_EXTERNREF || type == KILN_TYPE_EXNREF ||
           type == KILN_TYPE_ANYREF;
}

bool wast_value_matches(const wast_script_value *want, const wast_value *got)
{
    if (want->any_null)
        return is_ref_type(got->type) && got->lo == 0;
    if (want->unsupported || want->v.type != got->type)
        return false;
    switch (got->type) {
    case KILN_TYPE_I32:
        return (uint32_t)got->lo == (uint32_t)want->v.lo;
    case KILN_TYPE_I64:
        return got->lo == want->v.lo;
    case KILN_TYPE_F32:
        return float_matches((uint32_t)got->lo, 32, want->nan[0], want->v.lo);
    case KILN_TYPE_F64:
        return float_matches(got->lo, 64, want->nan[0], want->v.lo);
    case KILN_TYPE_V128:
        for (unsigned i = 0; i < 128 / want->lane_bits; i++) {
            uint64_t g = lane_get(got, want->lane_bits, i);
            uint64_t w = lane_get(&want->v, want->lane_bits, i);
            bool ok =
                want->lane_float ? float_matches(g, want->lane_bits, want->nan[i], w) : g == w;
            if (!ok)
                return false;
        }
        return true;
    default: /* references */
        return want->any_ref ? got->lo != 0 : got->lo == want->v.lo;
    }
}

static void format_float(cli_buf *b, uint64_t bits, unsigned width)
{
    if (width == 32) {
        uint32_t u = (uint32_t)bits;
        float f;
        memcpy(&f, &u, 4);
        cli_buf_printf(b, "%.9g (0x%08" PRIx32 ")", (double)f, u);
    } else {
        double d;
        memcpy(&d, &bits, 8);
        cli_buf_printf(b, "%.17g (0x%016" PRIx64 ")", d, bits);
    }
}

static const char *const nan_names[] = {"", "nan:canonical", "nan:arithmetic"};

/* Appends a value: "i32:-1", "f32:1.5 (0x3fc00000)", "externref:2", "funcref:null", or a
 * v128 by lanes ("v128:i32x4:1,2,3,4"). want, if given, supplies the patterns to print and the
 * lane shape for a v128 result. */
void wast_format_value(cli_buf *b, const wast_value *v, const wast_script_value *want,
                       bool show_patterns)
{
    cli_buf_printf(b, "%s:", wast_type_name(v->type));
    switch (v->type) {
    case KILN_TYPE_I32:
        cli_buf_printf(b, "%" PRId32, (int32_t)(uint32_t)v->lo);
        break;
    case KILN_TYPE_I64:
        cli_buf_printf(b, "%" PRId64, (int64_t)v->lo);
        break;
    case KILN_TYPE_F32:
    case KILN_TYPE_F64:
        if (show_patterns && want && want->nan[0])
            cli_buf_printf(b, "%s", nan_names[want->nan[0]]);
        else
            format_float(b, v->lo, v->type == KILN_TYPE_F32 ? 32 : 64);
        break;
    case KILN_TYPE_V128: {
        unsigned bits = want && want->lane_bits ? want->lane_bits : 32;
        bool is_float = want && want->lane_bits ? want->lane_float : false;
        cli_buf_printf(b, "%c%ux%u:", is_float ? 'f' : 'i', bits, 128 / bits);
        for (unsigned i = 0; i < 128 / bits; i++) {
            uint64_t lane = lane_get(v, bits, i);
            if (i)
                cli_buf_put(b, ",", 1);
            if (show_patterns && want && want->nan[i])
                cli_buf_printf(b, "%s", nan_names[want->nan[i]]);
            else if (is_float)
                format_float(b, lane, bits);
            else if (bits == 64)
                cli_buf_printf(b, "%" PRId64, (int64_t)lane);
            else /* sign-extend the lane */
                cli_buf_printf(b, "%" PRId64,
                               (int64_t)(lane ^ (UINT64_C(1) << (bits - 1))) -
                                   (int64_t)(UINT64_C(1) << (bits - 1)));
        }
        break;
    }
    case KILN_TYPE_EXTERNREF:
    case WAST_TYPE_HOSTREF:
        if (show_patterns && want && want->any_ref)
            cli_buf_printf(b, "non-null");
        else if (v->lo == 0)
            cli_buf_printf(b, "null");
        else if (v->lo - 1 <= UINT32_MAX) /* a script's ref.extern N */
            cli_buf_printf(b, "%" PRIu64, v->lo - 1);
        else
            cli_buf_printf(b, "host pointer");
        break;
    default: /* funcref (the pointer means nothing to a reader), the references of Wasm 3.0 */
        if ((show_patterns && want && want->any_ref) || v->lo != 0)
            cli_buf_printf(b, "non-null");
        else
            cli_buf_printf(b, "null");
        break;
    }
}

/* Appends "[a, b]" (or the one value alone). */
void wast_format_values(cli_buf *b, const wast_value *values, const wast_script_value *wants,
                        size_t count, bool show_patterns)
{
    if (count != 1)
        cli_buf_put(b, "[", 1);
    for (size_t i = 0; i < count; i++) {
        if (i)
            cli_buf_put(b, ", ", 2);
        wast_format_value(b, &values[i], wants ? &wants[i] : NULL, show_patterns);
    }
    if (count != 1)
        cli_buf_put(b, "]", 1);
}
