/* sig.c -- process-wide canonical function signature ids.
 *
 * call_indirect compares one 32-bit id instead of a type, so equivalent function types must
 * get equal ids in every module linked into the process, and an imported function's funcref
 * carries the id its exporter interned. Types are equivalent under Wasm 3.0's iso-recursive
 * rule: a recursion group (types that may name each other) is interned as a whole, and two
 * groups are the same when their members agree one by one on parameter and result kinds and
 * reference words, where a typed heap names a member of its own group by position (REL) and
 * an earlier type by its canonical id (ABS: earlier groups are interned first, so a key never
 * expands another group and its size stays linear in the group's text). A group's members get
 * consecutive ids; equal groups get the same ids. A type defined on its own without reference
 * words is a group of one whose key is its kinds alone (kiln_sig_intern), as before typed
 * references.
 * Groups live in an open-addressing hash table of their first ids under a mutex (interning
 * only runs at instantiation; kiln_call's checks never take it). Ids are never freed.
 * The signature behind an id is read without the lock (kiln_call checks arguments against it
 * on every call): entries live in chunks that never move, published with release stores before
 * the id count that makes them visible. Chunk c holds SIG_CHUNK0 << c entries, so a process
 * with a handful of signatures touches one small chunk (a fixed 32 KiB chunk cost a sealed
 * executable eight page faults at start-up) and 2^20 ids still fit in 14 chunks.
 * Calls trap.c (errors). Called by module.c (interning) and call.c, task.c (kiln_call's
 * checks).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

typedef struct sig_entry {
    uint32_t param_count, result_count;
    uint64_t hash;        /* of the whole group (the bucket table reads its first member's) */
    uint32_t group;       /* id of the group's first member */
    uint32_t group_size;  /* members in the group */
    const uint32_t *refs; /* canonical words [param_count + result_count], or NULL: all 0 */
    uint8_t types[];      /* params then results; the words follow, 4-byte aligned */
} sig_entry;

#define SIG_CHUNK0_BITS 6u
#define SIG_CHUNK0      (1u << SIG_CHUNK0_BITS)
#define SIG_MAX_CHUNKS  14u                                          /* chunks 0..13 */
#define SIG_MAX_IDS     (SIG_CHUNK0 * ((1u << SIG_MAX_CHUNKS) - 1u)) /* 1,048,512 */

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static sig_entry **_Atomic sig_chunks[SIG_MAX_CHUNKS];
static _Atomic uint32_t sig_count; /* ids 1..sig_count are issued */
static uint32_t *sig_buckets;      /* first ids of groups; 0 = empty */
static uint32_t sig_bucket_count;  /* power of two */

#define FNV_PRIME UINT64_C(0x100000001b3)

/* FNV-1a over each member's kinds and, if it has any, its key words. A lone member without
 * words hashes as it did before typed references. */
static uint64_t group_hash(uint32_t count, const kiln_sig_member *members)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (uint32_t k = 0; k < count; k++) {
        const kiln_sig_member *m = &members[k];
        h = (h ^ m->param_count) * FNV_PRIME;
        for (uint32_t i = 0; i < m->param_count; i++)
            h = (h ^ m->params[i]) * FNV_PRIME;
        h = (h ^ 0xFFu) * FNV_PRIME; /* separator: (i32)->() differs from ()->(i32) */
        h = (h ^ m->result_count) * FNV_PRIME;
        for (uint32_t i = 0; i < m->result_count; i++)
            h = (h ^ m->results[i]) * FNV_PRIME;
        if (m->refs != NULL) {
            h = (h ^ 0xFEu) * FNV_PRIME;
            for (uint32_t i = 0; i < m->param_count + m->result_count; i++)
                h = (h ^ m->refs[i]) * FNV_PRIME;
        }
    }
    return h;
}

/* Where id lives: chunk c starts at index SIG_CHUNK0 * (2^c - 1). */
static uint32_t chunk_of(uint32_t id, uint32_t *slot)
{
    uint32_t q = ((id - 1) >> SIG_CHUNK0_BITS) + 1; /* in [2^c, 2^(c+1)) */
    uint32_t c = 31u - (uint32_t)__builtin_clz(q);
    *slot = (id - 1) - SIG_CHUNK0 * ((1u << c) - 1u);
    return c;
}

static sig_entry *entry_of(uint32_t id)
{
    uint32_t slot;
    uint32_t c = chunk_of(id, &slot);
    sig_entry **chunk = atomic_load_explicit(&sig_chunks[c], memory_order_acquire);
    return chunk[slot];
}

/* A member's words, or NULL if all are 0 (the form entries and hashes use). */
static const uint32_t *words_or_null(const kiln_sig_member *m)
{
    if (m->refs == NULL)
        return NULL;
    for (uint32_t i = 0; i < m->param_count + m->result_count; i++)
        if (m->refs[i] != 0)
            return m->refs;
    return NULL;
}

/* Whether m's key words name only members of its group of count (REL) or issued ids (ABS). */
static bool words_ok(const kiln_sig_member *m, uint32_t count)
{
    uint32_t issued = atomic_load_explicit(&sig_count, memory_order_acquire);
    for (uint32_t i = 0; m->refs != NULL && i < m->param_count + m->result_count; i++) {
        uint32_t word = m->refs[i], heap = word & KILN_REF_HEAP & ~KILN_SIG_REL;
        if (word & KILN_SIG_REL) {
            if (heap < KILN_HEAP_TYPE || heap - KILN_HEAP_TYPE >= count)
                return false;
        } else if (heap >= KILN_HEAP_TYPE &&
                   (heap == KILN_HEAP_TYPE || heap - KILN_HEAP_TYPE > issued)) {
            return false;
        }
    }
    return true;
}

/* The key word of a canonical word of a member of the group [base, base + size). */
static uint32_t key_word(uint32_t word, uint32_t base, uint32_t size)
{
    uint32_t heap = word & KILN_REF_HEAP;
    if (heap < KILN_HEAP_TYPE || heap - KILN_HEAP_TYPE < base ||
        heap - KILN_HEAP_TYPE - base >= size)
        return word;
    return (word & KILN_REF_NON_NULL) | KILN_SIG_REL |
           (KILN_HEAP_TYPE + (heap - KILN_HEAP_TYPE - base));
}

static bool member_equals(const sig_entry *e, const kiln_sig_member *m)
{
    uint32_t np = m->param_count, nr = m->result_count;
    if (e->param_count != np || e->result_count != nr ||
        (np != 0 && memcmp(e->types, m->params, np) != 0) ||
        (nr != 0 && memcmp(e->types + np, m->results, nr) != 0) ||
        (e->refs == NULL) != (m->refs == NULL))
        return false;
    for (uint32_t i = 0; e->refs != NULL && i < np + nr; i++)
        if (key_word(e->refs[i], e->group, e->group_size) != m->refs[i])
            return false;
    return true;
}

/* Whether the group whose first id is first has the key members[0..count). */
static bool group_equals(uint32_t first, uint64_t hash, uint32_t count,
                         const kiln_sig_member *members)
{
    const sig_entry *e = entry_of(first);
    if (e->hash != hash || e->group_size != count)
        return false;
    for (uint32_t k = 0; k < count; k++)
        if (!member_equals(k == 0 ? e : entry_of(first + k), &members[k]))
            return false;
    return true;
}

static bool grow_buckets(void)
{
    uint32_t count = sig_bucket_count ? sig_bucket_count * 2 : 256;
    uint32_t *buckets = calloc(count, sizeof *buckets);
    if (buckets == NULL)
        return false;
    for (uint32_t i = 0; i < sig_bucket_count; i++) {
        uint32_t id = sig_buckets[i];
        if (id == 0)
            continue;
        uint32_t b = (uint32_t)entry_of(id)->hash & (count - 1);
        while (buckets[b] != 0)
            b = (b + 1) & (count - 1);
        buckets[b] = id;
    }
    free(sig_buckets);
    sig_buckets = buckets;
    sig_bucket_count = count;
    return true;
}

/* A new entry for member m as id first + k of its group; its REL words become canonical. */
static sig_entry *new_entry(const kiln_sig_member *m, uint64_t hash, uint32_t first, uint32_t count)
{
    uint32_t np = m->param_count, nr = m->result_count;
    size_t types = ((size_t)np + nr + 3) & ~(size_t)3;
    size_t words = m->refs != NULL ? ((size_t)np + nr) * sizeof(uint32_t) : 0;
    sig_entry *e = malloc(sizeof *e + types + words);
    if (e == NULL)
        return NULL;
    e->param_count = np;
    e->result_count = nr;
    e->hash = hash;
    e->group = first;
    e->group_size = count;
    e->refs = NULL;
    if (np)
        memcpy(e->types, m->params, np);
    if (nr)
        memcpy(e->types + np, m->results, nr);
    if (m->refs != NULL) {
        uint32_t *refs = (uint32_t *)(void *)(e->types + types);
        for (uint32_t i = 0; i < np + nr; i++) {
            uint32_t w = m->refs[i];
            if (w & KILN_SIG_REL)
                w = (w & KILN_REF_NON_NULL) |
                    (KILN_HEAP_TYPE + first +
                     ((w & KILN_REF_HEAP & ~KILN_SIG_REL) - KILN_HEAP_TYPE));
            refs[i] = w;
        }
        e->refs = refs;
    }
    return e;
}

/* Issues ids for a new group; caller holds sig_lock. */
static kiln_status add_group(uint64_t hash, uint32_t count, const kiln_sig_member *members,
                             uint32_t *first_out)
{
    uint32_t issued = atomic_load_explicit(&sig_count, memory_order_relaxed);
    if (count > SIG_MAX_IDS - issued) {
        kiln_set_error("too many distinct function types: the runtime holds at most %u",
                       (unsigned)SIG_MAX_IDS);
        return KILN_STATUS_LIMIT;
    }
    if ((uint64_t)(issued + count) * 2 > sig_bucket_count && !grow_buckets())
        goto nomem;
    uint32_t first = issued + 1;
    uint32_t k = 0;
    for (; k < count; k++) {
        uint32_t slot;
        uint32_t chunk_index = chunk_of(first + k, &slot);
        sig_entry **chunk = atomic_load_explicit(&sig_chunks[chunk_index], memory_order_relaxed);
        if (chunk == NULL) {
            chunk = calloc((size_t)SIG_CHUNK0 << chunk_index, sizeof *chunk);
            if (chunk == NULL)
                break;
            atomic_store_explicit(&sig_chunks[chunk_index], chunk, memory_order_release);
        }
        sig_entry *e = new_entry(&members[k], hash, first, count);
        if (e == NULL)
            break;
        chunk[slot] = e;
    }
    if (k < count) { /* unpublished: free what was made */
        while (k-- > 0) {
            uint32_t slot;
            sig_entry **chunk = sig_chunks[chunk_of(first + k, &slot)];
            free(chunk[slot]);
            chunk[slot] = NULL;
        }
        goto nomem;
    }
    uint32_t b = (uint32_t)hash & (sig_bucket_count - 1);
    while (sig_buckets[b] != 0)
        b = (b + 1) & (sig_bucket_count - 1);
    sig_buckets[b] = first;
    atomic_store_explicit(&sig_count, issued + count, memory_order_release);
    *first_out = first;
    return KILN_STATUS_OK;
nomem:
    kiln_set_error("out of memory interning function types");
    return KILN_STATUS_NOMEM;
}

kiln_status kiln_sig_intern_group(uint32_t count, const kiln_sig_member *members, uint32_t *ids)
{
    if (count == 0 || members == NULL || ids == NULL) {
        kiln_set_error("kiln_sig_intern_group: empty group");
        return KILN_STATUS_ARG;
    }
    /* Small groups (every one a module without recursion has) use a stack copy. */
    kiln_sig_member small[8];
    kiln_sig_member *key = count <= KILN_ARRAY_LEN(small) ? small : malloc(count * sizeof *key);
    if (key == NULL) {
        kiln_set_error("out of memory interning function types");
        return KILN_STATUS_NOMEM;
    }
    for (uint32_t k = 0; k < count; k++) {
        key[k] = members[k];
        key[k].refs = words_or_null(&members[k]);
        if ((key[k].param_count && key[k].params == NULL) ||
            (key[k].result_count && key[k].results == NULL) || !words_ok(&key[k], count)) {
            if (key != small)
                free(key);
            kiln_set_error("kiln_sig_intern_group: malformed member %u", (unsigned)k);
            return KILN_STATUS_ARG;
        }
    }
    uint64_t hash = group_hash(count, key);
    uint32_t first = 0;
    kiln_status s = KILN_STATUS_OK;
    pthread_mutex_lock(&sig_lock);
    if (sig_bucket_count != 0) {
        for (uint32_t b = (uint32_t)hash & (sig_bucket_count - 1); sig_buckets[b] != 0;
             b = (b + 1) & (sig_bucket_count - 1)) {
            if (group_equals(sig_buckets[b], hash, count, key)) {
                first = sig_buckets[b];
                break;
            }
        }
    }
    if (first == 0)
        s = add_group(hash, count, key, &first);
    pthread_mutex_unlock(&sig_lock);
    if (key != small)
        free(key);
    for (uint32_t k = 0; s == KILN_STATUS_OK && k < count; k++)
        ids[k] = first + k;
    return s;
}

uint32_t kiln_sig_intern(uint32_t param_count, const uint8_t *params, uint32_t result_count,
                         const uint8_t *results)
{
    kiln_sig_member m = {param_count, result_count, params, results, NULL};
    uint32_t id;
    return kiln_sig_intern_group(1, &m, &id) == KILN_STATUS_OK ? id : 0;
}

bool kiln_sig_get(uint32_t id, uint32_t *param_count, const uint8_t **params,
                  uint32_t *result_count, const uint8_t **results)
{
    if (id == 0 || id > atomic_load_explicit(&sig_count, memory_order_acquire))
        return false;
    const sig_entry *e = entry_of(id);
    *param_count = e->param_count;
    *result_count = e->result_count;
    *params = e->types;
    *results = e->types + e->param_count;
    return true;
}

const uint32_t *kiln_sig_refs(uint32_t id)
{
    if (id == 0 || id > atomic_load_explicit(&sig_count, memory_order_acquire))
        return NULL;
    return entry_of(id)->refs;
}

const char *kiln_ref_name(uint8_t kind, uint32_t word, bool canonical, char *buf)
{
    uint32_t heap = word == 0 ? kind : word & KILN_REF_HEAP;
    bool null = !(word & KILN_REF_NON_NULL);
    const char *name = heap == KILN_HEAP_FUNC       ? "func"
                       : heap == KILN_HEAP_EXTERN   ? "extern"
                       : heap == KILN_HEAP_EXN      ? "exn"
                       : heap == KILN_HEAP_NOFUNC   ? "nofunc"
                       : heap == KILN_HEAP_NOEXTERN ? "noextern"
                       : heap == KILN_HEAP_NOEXN    ? "noexn"
                       : heap == KILN_HEAP_ANY      ? "any"
                       : heap == KILN_HEAP_EQ       ? "eq"
                       : heap == KILN_HEAP_I31      ? "i31"
                       : heap == KILN_HEAP_STRUCT   ? "struct"
                       : heap == KILN_HEAP_ARRAY    ? "array"
                       : heap == KILN_HEAP_NONE     ? "none"
                                                    : NULL;
    if (null && (heap == KILN_HEAP_FUNC || heap == KILN_HEAP_EXTERN || heap == KILN_HEAP_EXN ||
                 heap == KILN_HEAP_ANY))
        snprintf(buf, KILN_REF_NAME_SIZE, "%sref", name);
    else if (name != NULL)
        snprintf(buf, KILN_REF_NAME_SIZE, "(ref %s%s)", null ? "null " : "", name);
    else if (heap >= KILN_HEAP_TYPE)
        snprintf(buf, KILN_REF_NAME_SIZE, "(ref %s%s%u)", null ? "null " : "",
                 canonical ? "sig#" : "", (unsigned)(heap - KILN_HEAP_TYPE));
    else
        snprintf(buf, KILN_REF_NAME_SIZE, "(ref %s0x%x)", null ? "null " : "", (unsigned)heap);
    return buf;
}
