/* arena.c -- chunked bump allocation for data whose lifetime is a module or a function.
 *
 * An arena is a list of chunks, newest first, obtained from an injectable kiln_allocator
 * (NULL = the C library), so tests can fail the N-th allocation (Lua's ltests.c). Memory
 * handed out is zeroed and aligned as asked; nothing is freed individually. Every size
 * computation is overflow-checked: a request that cannot be represented returns NULL like
 * an exhausted allocator, and callers report both as KILN_ERR_NOMEM. kiln_arena_reset keeps
 * the oldest chunk for reuse (the per-function scratch pattern, QBE's PFn pool).
 * Default chunks double from 4 KiB to 1 MiB; a request bigger than the next default chunk
 * gets a chunk of its own, linked behind the head so the head's free space stays usable and
 * the doubling is not thrown off by one big array.
 * Used by decode.c (module arena), validate.c and the lowering (scratch arenas).
 */
#include <stdlib.h>
#include <string.h>

#include "toolchain.h"

#define CHUNK_FIRST_SIZE 4096u      /* usable bytes of an arena's first chunk */
#define CHUNK_MAX_SIZE   (1u << 20) /* default chunks stop doubling here */

struct kiln_arena_chunk {
    kiln_arena_chunk *next; /* the chunk allocated before this one */
    size_t size;            /* usable bytes in data */
    size_t used;            /* bytes of data handed out, padding included */
    bool dedicated;         /* made for one big request, not part of the doubling */
    max_align_t data[];
};

static void *libc_realloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

static const kiln_allocator libc_allocator = {libc_realloc, NULL};

void kiln_arena_init(kiln_arena *a, const kiln_allocator *alloc)
{
    a->head = NULL;
    a->alloc = alloc ? alloc : &libc_allocator;
    a->total = 0;
}

static void free_chunk(kiln_arena *a, kiln_arena_chunk *c)
{
    a->alloc->realloc(a->alloc->ud, c, 0);
}

/* Bytes of padding needed to align the next free byte of c to align. */
static size_t padding(const kiln_arena_chunk *c, size_t align)
{
    uintptr_t next = (uintptr_t)((const unsigned char *)c->data + c->used);
    return (size_t)((align - (next & (align - 1))) & (align - 1));
}

/* Adds a chunk that can hold size bytes at any alignment <= align, and returns it. */
static kiln_arena_chunk *add_chunk(kiln_arena *a, size_t size, size_t align)
{
    kiln_arena_chunk *head = a->head;
    size_t want = CHUNK_FIRST_SIZE;
    if (head && !head->dedicated)
        want = head->size >= CHUNK_MAX_SIZE / 2 ? CHUNK_MAX_SIZE : head->size * 2;
    size_t header = offsetof(kiln_arena_chunk, data);
    if (size > SIZE_MAX - header - align)
        return NULL;
    bool dedicated = size + align > want;
    if (dedicated)
        want = size + align;
    kiln_arena_chunk *c = a->alloc->realloc(a->alloc->ud, NULL, header + want);
    if (!c)
        return NULL;
    c->size = want;
    c->used = 0;
    c->dedicated = dedicated;
    if (dedicated && head) {
        c->next = head->next;
        head->next = c;
    } else {
        c->next = head;
        a->head = c;
    }
    return c;
}

void *kiln_arena_alloc(kiln_arena *a, size_t size, size_t align)
{
    KILN_ASSERT(align != 0 && (align & (align - 1)) == 0);
    if (size == 0)
        size = 1; /* distinct non-NULL results for empty arrays */
    kiln_arena_chunk *c = a->head;
    if (!c || c->size - c->used < size || c->size - c->used - size < padding(c, align)) {
        c = add_chunk(a, size, align);
        if (!c)
            return NULL;
    }
    size_t pad = padding(c, align);
    unsigned char *p = (unsigned char *)c->data + c->used + pad;
    c->used += pad + size;
    a->total += size;
    memset(p, 0, size);
    return p;
}

void *kiln_arena_array(kiln_arena *a, size_t n, size_t elem, size_t align)
{
    if (elem != 0 && n > SIZE_MAX / elem)
        return NULL;
    return kiln_arena_alloc(a, n * elem, align);
}

void kiln_arena_reset(kiln_arena *a)
{
    kiln_arena_chunk *c = a->head;
    if (!c)
        return;
    while (c->next) {
        kiln_arena_chunk *older = c->next;
        free_chunk(a, c);
        c = older;
    }
    c->used = 0;
    a->head = c;
    a->total = 0;
}

void kiln_arena_free(kiln_arena *a)
{
    kiln_arena_chunk *c = a->head;
    while (c) {
        kiln_arena_chunk *older = c->next;
        free_chunk(a, c);
        c = older;
    }
    a->head = NULL;
    a->total = 0;
}
