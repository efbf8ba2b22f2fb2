/* wat_encode.c -- the binary writer behind the text reader, and its name tables.
 *
 * wat_buf is a growable byte buffer with the writers of the binary format's integers:
 * LEB128 always in its shortest form (as wat2wasm writes them, so the output can be compared
 * byte for byte), little-endian floats, names as vec(byte), and sections as id + size +
 * content. A buffer never grows past KILN_MAX_MODULE_SIZE: the module could not be decoded
 * anyway, and a hostile text cannot make the reader allocate without bound. Allocation
 * failure and that limit set `failed`, which the reader turns into one diagnostic at the end;
 * writers on a failed buffer do nothing.
 *
 * wat_names maps the $names of one index space (functions, locals, ...) to their indices:
 * open addressing with linear probing, FNV-1a hashes, grown to keep the load under one half,
 * in the reader's arena (an old table is left to the arena: at most as much again).
 * Callers: wat_module.c, wat_instr.c.
 */
#include <stdlib.h>
#include <string.h>

#include "wat.h"

/* realloc semantics through the buffer's allocator (size 0 frees). */
static void *buf_realloc(const wat_buf *b, void *ptr, size_t size)
{
    if (b->alloc)
        return b->alloc->realloc(b->alloc->ud, ptr, size);
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

void wat_buf_free(wat_buf *b)
{
    if (b->data)
        buf_realloc(b, b->data, 0);
    if (b->marks)
        buf_realloc(b, b->marks, 0);
    if (b->hints)
        buf_realloc(b, b->hints, 0);
    b->data = NULL;
    b->marks = NULL;
    b->hints = NULL;
    b->len = b->cap = 0;
    b->mark_count = b->mark_cap = 0;
    b->hint_count = b->hint_cap = 0;
}

/* Appends (at, text) to one of b's mark lists (marks or hints, with its count and cap). */
static bool add_to(wat_buf *b, wat_mark **list, size_t *count, size_t *cap, size_t at, size_t text)
{
    if (*count == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 16;
        wat_mark *grown = grown_cap > SIZE_MAX / sizeof *grown
                              ? NULL
                              : buf_realloc(b, *list, grown_cap * sizeof *grown);
        if (!grown) {
            b->failed = true;
            return false;
        }
        *list = grown;
        *cap = grown_cap;
    }
    (*list)[*count].at = at;
    (*list)[*count].text = text;
    (*count)++;
    return true;
}

static bool add_mark(wat_buf *b, size_t at, size_t text)
{
    return add_to(b, &b->marks, &b->mark_count, &b->mark_cap, at, text);
}

void wat_mark_here(wat_buf *b, size_t text_offset)
{
    if (!b->failed)
        add_mark(b, b->len, text_offset);
}

void wat_hint_here(wat_buf *b, uint8_t value)
{
    if (!b->failed)
        add_to(b, &b->hints, &b->hint_count, &b->hint_cap, b->len, value);
}

void wat_put_buf(wat_buf *dst, const wat_buf *src)
{
    if (src->failed) {
        dst->failed = true;
        return;
    }
    size_t base = dst->len;
    wat_put_bytes(dst, src->data, src->len);
    for (size_t i = 0; i < src->mark_count && !dst->failed; i++)
        add_mark(dst, base + src->marks[i].at, src->marks[i].text);
    for (size_t i = 0; i < src->hint_count && !dst->failed; i++)
        add_to(dst, &dst->hints, &dst->hint_count, &dst->hint_cap, base + src->hints[i].at,
               src->hints[i].text);
}

static bool reserve(wat_buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (n > KILN_MAX_MODULE_SIZE || b->len > KILN_MAX_MODULE_SIZE - n) {
        b->failed = true;
        return false;
    }
    if (b->len + n <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *grown = buf_realloc(b, b->data, cap);
    if (!grown) {
        b->failed = true;
        return false;
    }
    b->data = grown;
    b->cap = cap;
    return true;
}

void wat_put_byte(wat_buf *b, uint8_t byte)
{
    if (reserve(b, 1))
        b->data[b->len++] = byte;
}

void wat_put_bytes(wat_buf *b, const void *bytes, size_t n)
{
    if (n && reserve(b, n)) {
        memcpy(b->data + b->len, bytes, n);
        b->len += n;
    }
}

void wat_put_u32(wat_buf *b, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        wat_put_byte(b, v ? (uint8_t)(byte | 0x80) : byte);
    } while (v);
}

void wat_put_u64(wat_buf *b, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        wat_put_byte(b, v ? (uint8_t)(byte | 0x80) : byte);
    } while (v);
}

void wat_put_s64(wat_buf *b, int64_t v)
{
    for (;;) {
        uint8_t byte = (uint8_t)(v & 0x7F);
        v >>= 7; /* arithmetic: implementation-defined in C17, arithmetic on every target */
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        wat_put_byte(b, done ? byte : (uint8_t)(byte | 0x80));
        if (done)
            return;
    }
}

void wat_put_s32(wat_buf *b, int32_t v)
{
    wat_put_s64(b, v);
}

void wat_put_u32le(wat_buf *b, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    wat_put_bytes(b, le, sizeof le);
}

void wat_put_u64le(wat_buf *b, uint64_t v)
{
    wat_put_u32le(b, (uint32_t)v);
    wat_put_u32le(b, (uint32_t)(v >> 32));
}

void wat_put_name(wat_buf *b, const uint8_t *bytes, size_t n)
{
    if (n > UINT32_MAX) {
        b->failed = true;
        return;
    }
    wat_put_u32(b, (uint32_t)n);
    wat_put_bytes(b, bytes, n);
}

void wat_put_section(wat_buf *b, uint8_t id, const wat_buf *src, uint32_t count, bool always)
{
    if (src->failed) {
        b->failed = true;
        return;
    }
    if (count == 0 && !always)
        return;
    wat_buf head = {.alloc = b->alloc};
    wat_put_u32(&head, count);
    if (head.failed || src->len > UINT32_MAX - head.len) {
        b->failed = true;
        wat_buf_free(&head);
        return;
    }
    wat_put_byte(b, id);
    wat_put_u32(b, (uint32_t)(head.len + src->len));
    wat_put_bytes(b, head.data, head.len);
    wat_put_buf(b, src);
    wat_buf_free(&head);
}

struct wat_name_slot {
    const char *name; /* NULL = empty */
    size_t len;
    uint32_t index;
};

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static struct wat_name_slot *find(const wat_names *n, const char *name, size_t len)
{
    uint32_t mask = n->cap - 1;
    for (uint32_t i = hash(name, len) & mask;; i = (i + 1) & mask) {
        struct wat_name_slot *s = &n->slots[i];
        if (!s->name || (s->len == len && memcmp(s->name, name, len) == 0))
            return s;
    }
}

bool wat_names_add(wat_names *n, kiln_arena *a, const char *name, size_t len, uint32_t index,
                   uint32_t *old)
{
    *old = UINT32_MAX;
    if (n->cap == 0 || (n->used + 1) * 2 > n->cap) {
        uint32_t cap = n->cap ? n->cap * 2 : 16;
        if (cap < n->cap)
            return false;
        struct wat_name_slot *slots = ARENA_ARRAY(a, struct wat_name_slot, cap);
        if (!slots)
            return false;
        wat_names grown = {slots, cap, 0};
        for (uint32_t i = 0; i < n->cap; i++) {
            if (n->slots[i].name) {
                *find(&grown, n->slots[i].name, n->slots[i].len) = n->slots[i];
                grown.used++;
            }
        }
        *n = grown;
    }
    struct wat_name_slot *s = find(n, name, len);
    if (s->name) {
        *old = s->index;
        return false;
    }
    s->name = name;
    s->len = len;
    s->index = index;
    n->used++;
    return true;
}

uint32_t wat_names_get(const wat_names *n, const char *name, size_t len)
{
    if (n->cap == 0)
        return UINT32_MAX;
    const struct wat_name_slot *s = find(n, name, len);
    return s->name ? s->index : UINT32_MAX;
}
