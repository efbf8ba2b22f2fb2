/* wasm_builder.h -- tiny helpers to build WebAssembly binaries byte by byte in unit tests.
 *
 * A wasm_builder is a growable byte buffer. Sections are built in a buffer of their own and
 * appended with wb_section, which writes the id and the LEB128 size. Encodings are the
 * plainest ones (minimal LEB128); write anything unusual (overlong LEBs, wrong sizes) with
 * WB_BYTES. Out of memory aborts: this is test code. Header-only, all functions static.
 *
 *     wasm_builder mod = {0}, types = {0};
 *     wb_header(&mod);
 *     WB_BYTES(&types, 0x01, 0x60, 0x00, 0x00);   // one type: [] -> []
 *     wb_section(&mod, 1, &types);
 *     ... kiln_decode(&m, mod.data, mod.len, NULL, &d) ...
 *     wb_free(&mod); wb_free(&types);
 */
#ifndef KILN_TESTS_WASM_BUILDER_H
#define KILN_TESTS_WASM_BUILDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct wasm_builder {
    uint8_t *data;
    size_t len, cap;
} wasm_builder;

static inline void wb_free(wasm_builder *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static inline void wb_reset(wasm_builder *b)
{
    b->len = 0;
}

static inline void wb_raw(wasm_builder *b, const void *bytes, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown) {
            fprintf(stderr, "wasm_builder: out of memory\n");
            abort();
        }
        b->data = grown;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

static inline void wb_byte(wasm_builder *b, uint8_t v)
{
    wb_raw(b, &v, 1);
}

/* Appends literal bytes: WB_BYTES(b, 0x41, 0x00, 0x0b). */
#define WB_BYTES(b, ...)                                                                           \
    wb_raw((b), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static inline void wb_fill(wasm_builder *b, uint8_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        wb_byte(b, v);
}

/* Unsigned LEB128, minimal length. */
static inline void wb_u64(wasm_builder *b, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        wb_byte(b, (uint8_t)(byte | (v ? 0x80 : 0)));
    } while (v);
}

static inline void wb_u32(wasm_builder *b, uint32_t v)
{
    wb_u64(b, v);
}

/* Signed LEB128, minimal length. */
static inline void wb_s64(wasm_builder *b, int64_t v)
{
    for (;;) {
        uint8_t byte = (uint8_t)(v & 0x7f);
        v >>= 7; /* arithmetic on every compiler Kiln supports */
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        wb_byte(b, (uint8_t)(byte | (done ? 0 : 0x80)));
        if (done)
            return;
    }
}

/* name ::= vec(byte) */
static inline void wb_name_n(wasm_builder *b, const char *s, size_t n)
{
    wb_u32(b, (uint32_t)n);
    wb_raw(b, s, n);
}

static inline void wb_name(wasm_builder *b, const char *s)
{
    wb_name_n(b, s, strlen(s));
}

static inline void wb_append(wasm_builder *b, const wasm_builder *other)
{
    wb_raw(b, other->data, other->len);
}

/* "\0asm" and version 1. */
static inline void wb_header(wasm_builder *b)
{
    WB_BYTES(b, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
}

/* id, size, content. */
static inline void wb_section(wasm_builder *b, uint8_t id, const wasm_builder *content)
{
    wb_byte(b, id);
    wb_u32(b, (uint32_t)content->len);
    wb_append(b, content);
}

/* A section from literal content bytes: WB_SECTION(b, 1, 0x01, 0x60, 0x00, 0x00). */
#define WB_SECTION(b, id, ...)                                                                     \
    do {                                                                                           \
        wb_byte((b), (id));                                                                        \
        wb_u32((b), (uint32_t)sizeof((const uint8_t[]){__VA_ARGS__}));                             \
        WB_BYTES((b), __VA_ARGS__);                                                                \
    } while (0)

/* A custom section: id 0, size, name, payload. */
static inline void wb_custom(wasm_builder *b, const char *name, const void *payload, size_t n)
{
    wasm_builder c = {0};
    wb_name(&c, name);
    wb_raw(&c, payload, n);
    wb_section(b, 0, &c);
    wb_free(&c);
}

/* A code entry: size, then the body (locals and instructions) given in body. */
static inline void wb_code_entry(wasm_builder *b, const wasm_builder *body)
{
    wb_u32(b, (uint32_t)body->len);
    wb_append(b, body);
}

#endif
