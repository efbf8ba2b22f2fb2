/* json.h -- a strict JSON reader (RFC 8259) into an arena tree, and a JSON string writer.
 *
 * The kiln program's JSON: `kiln wast` reads wast2json's scripts with it (every value keeps
 * its byte offset, so a bad script is reported where it is wrong), and the --json outputs of
 * validate and inspect write strings through json_write_string. docs/design.md says why this
 * is Kiln's own code rather than a packaged JSON library.
 */
#ifndef KILN_CLI_JSON_H
#define KILN_CLI_JSON_H

#include <stdio.h>

#include "toolchain.h"

#define JSON_MAX_DEPTH 512 /* nested arrays + objects; deeper input is KILN_ERR_LIMIT */

typedef enum json_kind {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} json_kind;

typedef struct json_member json_member;

/* A parsed value. Everything it points to lives in the arena given to json_parse.
 * Iterate an array with `for (size_t i = 0; i < json_len(v); i++) json_at(v, i)`, or
 * directly over v->u.array.items / v->u.object.members. */
typedef struct json_value {
    uint8_t kind;  /* json_kind */
    size_t offset; /* of the value's first byte in the input */
    union {
        struct {
            const char *ptr; /* decoded UTF-8, NUL-terminated; may hold NULs ("\u0000") */
            size_t len;      /* bytes, without the terminating NUL */
        } str;
        struct {
            const char *text; /* the source text, NUL-terminated, e.g. "-1.5e3" */
            size_t len;
            double value; /* nearest double (strtod); +-HUGE_VAL when out of range */
            bool is_u64;  /* an integer in [0, UINT64_MAX] (no '-', '.', 'e'): u64 is exact */
            uint64_t u64;
        } num;
        struct {
            size_t count;
            struct json_value *items; /* NULL if count == 0 */
        } array;
        struct {
            size_t count;
            json_member *members; /* in input order; keys are unique; NULL if count == 0 */
        } object;
    } u;
} json_value;

struct json_member {
    const char *key; /* decoded, NUL-terminated */
    size_t key_len;
    size_t offset; /* of the key's opening quote */
    json_value value;
};

/* Parses the whole of text[0, size) (no NUL needed) into arena. On success *out is the root.
 * On failure returns false with d set: KILN_ERR_MALFORMED (syntax, bad UTF-8, duplicate
 * key), KILN_ERR_LIMIT (nesting deeper than JSON_MAX_DEPTH) or KILN_ERR_NOMEM, with the
 * byte offset of the problem; what was allocated stays in the arena. Never reads outside
 * text[0, size). The tree does not point into text. */
bool json_parse(const char *text, size_t size, kiln_arena *arena, const json_value **out,
                kiln_diag *d);
/* Member key of an object; NULL if obj is NULL or not an object or has no such key. */
const json_value *json_get(const json_value *obj, const char *key);
/* The string member key of obj, or NULL if it is absent or not a string. */
const char *json_get_str(const json_value *obj, const char *key);
/* The member key of obj if it is a number with an exact uint64 value; else false. */
bool json_get_u64(const json_value *obj, const char *key, uint64_t *out);
/* Entries of an array or object; 0 for other kinds and for NULL. */
size_t json_len(const json_value *v);
/* Element i of an array; NULL if v is not an array or i is out of range. */
const json_value *json_at(const json_value *array, size_t i);
/* True if v is a string equal to s (a NUL-terminated string). */
bool json_str_eq(const json_value *v, const char *s);
const char *json_kind_name(uint8_t kind); /* "null", ..., "object"; "?" for others */
/* Writes s[0, len) as a JSON string literal with its quotes. Quotes, backslashes and control
 * characters are escaped; bytes that are not valid UTF-8 are written as \ufffd so the output
 * is always valid JSON. Returns false if the stream reports an error. */
bool json_write_string(FILE *f, const char *s, size_t len);

#endif
