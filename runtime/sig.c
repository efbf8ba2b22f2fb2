/* sig.c -- process-wide canonical function signature ids.
 *
 * call_indirect compares one 32-bit id instead of a type, so equal signatures must get equal
 * ids in every module linked into the process, and an imported function's funcref carries the
 * id its exporter interned. kiln_sig_intern maps (params, results) to an id >= 1 through an
 * open-addressing hash table under a mutex (it only runs at instantiation and host calls into
 * kiln_call's checks never take it). Ids are never freed.
 * The signature behind an id is read without the lock (kiln_call checks arguments against it
 * on every call): entries live in chunks that never move, published with release stores before
 * the id count that makes them visible. Chunk c holds SIG_CHUNK0 << c entries, so a process
 * with a handful of signatures touches one small chunk (a fixed 32 KiB chunk cost a sealed
 * executable eight page faults at start-up) and 2^20 ids still fit in 14 chunks.
 * Calls nothing else in the runtime. Called by module.c (interning) and call.c (kiln_call).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

typedef struct sig_entry {
    uint32_t param_count, result_count;
    uint64_t hash;
    uint8_t types[]; /* params then results */
} sig_entry;

#define SIG_CHUNK0_BITS 6u
#define SIG_CHUNK0      (1u << SIG_CHUNK0_BITS)
#define SIG_MAX_CHUNKS  14u                                          /* chunks 0..13 */
#define SIG_MAX_IDS     (SIG_CHUNK0 * ((1u << SIG_MAX_CHUNKS) - 1u)) /* 1,048,512 */

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static sig_entry **_Atomic sig_chunks[SIG_MAX_CHUNKS];
static _Atomic uint32_t sig_count; /* ids 1..sig_count are issued */
static uint32_t *sig_buckets;      /* ids; 0 = empty */
static uint32_t sig_bucket_count;  /* power of two */

static uint64_t sig_hash(uint32_t np, const uint8_t *params, uint32_t nr, const uint8_t *results)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */
    const uint64_t prime = UINT64_C(0x100000001b3);
    h = (h ^ np) * prime;
    for (uint32_t i = 0; i < np; i++)
        h = (h ^ params[i]) * prime;
    h = (h ^ 0xFFu) * prime; /* separator: (i32)->() differs from ()->(i32) */
    h = (h ^ nr) * prime;
    for (uint32_t i = 0; i < nr; i++)
        h = (h ^ results[i]) * prime;
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

static bool entry_equals(const sig_entry *e, uint64_t hash, uint32_t np, const uint8_t *params,
                         uint32_t nr, const uint8_t *results)
{
    return e->hash == hash && e->param_count == np && e->result_count == nr &&
           (np == 0 || memcmp(e->types, params, np) == 0) &&
           (nr == 0 || memcmp(e->types + np, results, nr) == 0);
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

/* Issues a new id for the signature; caller holds sig_lock. 0 on failure. */
static uint32_t add_entry(uint64_t hash, uint32_t np, const uint8_t *params, uint32_t nr,
                          const uint8_t *results)
{
    uint32_t count = atomic_load_explicit(&sig_count, memory_order_relaxed);
    if (count >= SIG_MAX_IDS)
        return 0;
    if ((uint64_t)(count + 1) * 2 > sig_bucket_count && !grow_buckets())
        return 0;
    uint32_t id = count + 1;
    uint32_t slot;
    uint32_t chunk_index = chunk_of(id, &slot);
    sig_entry **chunk = atomic_load_explicit(&sig_chunks[chunk_index], memory_order_relaxed);
    if (chunk == NULL) {
        chunk = calloc((size_t)SIG_CHUNK0 << chunk_index, sizeof *chunk);
        if (chunk == NULL)
            return 0;
        atomic_store_explicit(&sig_chunks[chunk_index], chunk, memory_order_release);
    }
    sig_entry *e = malloc(sizeof *e + (size_t)np + nr);
    if (e == NULL)
        return 0;
    e->param_count = np;
    e->result_count = nr;
    e->hash = hash;
    if (np)
        memcpy(e->types, params, np);
    if (nr)
        memcpy(e->types + np, results, nr);
    chunk[slot] = e;
    uint32_t b = (uint32_t)hash & (sig_bucket_count - 1);
    while (sig_buckets[b] != 0)
        b = (b + 1) & (sig_bucket_count - 1);
    sig_buckets[b] = id;
    atomic_store_explicit(&sig_count, id, memory_order_release);
    return id;
}

uint32_t kiln_sig_intern(uint32_t param_count, const uint8_t *params, uint32_t result_count,
                         const uint8_t *results)
{
    if ((param_count && params == NULL) || (result_count && results == NULL))
        return 0;
    uint64_t hash = sig_hash(param_count, params, result_count, results);
    uint32_t id = 0;
    pthread_mutex_lock(&sig_lock);
    if (sig_bucket_count != 0) {
        for (uint32_t b = (uint32_t)hash & (sig_bucket_count - 1); sig_buckets[b] != 0;
             b = (b + 1) & (sig_bucket_count - 1)) {
            if (entry_equals(entry_of(sig_buckets[b]), hash, param_count, params, result_count,
                             results)) {
                id = sig_buckets[b];
                break;
            }
        }
    }
    if (id == 0)
        id = add_entry(hash, param_count, params, result_count, results);
    pthread_mutex_unlock(&sig_lock);
    return id;
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
