/* pool.c -- pools of instance slots: pools of any module, and module pools.
 *
 * A pool bounds how many instances live at once (kiln_pool_config.slots) and caps what each
 * may use; slots come from a LIFO free list under the pool's mutex, so a lightly used pool
 * keeps reusing the same warm slots. A slot keeps what its next instance can reuse: in a
 * pool of any module a heap block for the instance record + vmctx and one decommitted but
 * still registered memory reservation; in a module pool its part of the blocks and memory
 * chunks prepared at creation, reset when an instance leaves (docs/pools.md). Taking a slot
 * (kiln_pool_take) lays out the instance's records in its block; returning it
 * (kiln_pool_put) frees or resets what the instance used. Instances that trapped after
 * publishing references stay as zombies until the pool is freed; kiln_pool_free with live
 * instances defers the release to the last one.
 * Exceptions an instance owns (exnref values, exn.c) go when it leaves its slot, and so do its
 * references to shared memories (threads): those are never a slot's but objects of their
 * own, which may outlive the instance that defined them (memory.c, docs/threads.md).
 * Calls module.c, exn.c, memory.c, table.c, trap.c and the platform layer (os_*.c,
 * signal_posix.c).
 * Called by instance.c (take, put, zombies, the default pool) and by embedders.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

/* Address space per chunk of slot memories: 2 TiB = 256 slots of one 8 GiB memory. Large
 * enough that 10,000 slots are 40 mappings, small enough to fit the holes of a fragmented
 * address space. */
#define CHUNK_BYTES (UINT64_C(2) << 40)

static size_t align_size(size_t n, size_t a)
{
    return (n + a - 1) & ~(a - 1);
}

/* The records' offsets in an instance block, the same for both kinds of pool. */
static void block_layout(const kiln_module_desc *m, kiln_block_layout *l)
{
    l->vmctx = align_size(sizeof(kiln_instance), 64);
    l->memory_ptrs = l->vmctx + align_size(m->layout.size, 64);
    l->memories = l->memory_ptrs + align_size((size_t)m->memory_count * sizeof(void *), 16);
    l->tables = l->memories + align_size((size_t)m->memory_count * sizeof(kiln_memory_impl), 16);
    l->host = l->tables + align_size((size_t)m->table_count * sizeof(kiln_table_impl), 16);
    l->records_end = l->host + (size_t)m->func_import_count * sizeof(kiln_funcref);
}

/* Slots of module pool mp in chunk `chunk` of a pool of `slots` slots. */
static uint32_t chunk_length(const kiln_module_pool *mp, uint32_t slots, uint32_t chunk)
{
    uint32_t first = chunk * mp->chunk_slots;
    return slots - first < mp->chunk_slots ? slots - first : mp->chunk_slots;
}

/* ---- Freeing what instances and pools hold ---- */

static void free_tables(kiln_instance *inst)
{
    const kiln_module_desc *m = inst->module;
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++)
        if (!tables[i].imported)
            kiln_table_teardown(&inst->own_tables[i]);
}

/* Pools of any module: frees the tables and memories an instance defines, but for one
 * memory reservation the slot keeps if keep_reservation; drops its references to shared
 * memories. */
static void free_instance(kiln_instance *inst, bool keep_reservation)
{
    free_tables(inst);
    kiln_instance_release_memories(inst);
    const kiln_module_desc *m = inst->module;
    const kiln_memory_desc *memories = m->memories.p;
    kiln_slot *slot = &inst->pool->slots[inst->slot];
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (!kiln_memory_in_slot(&memories[i]))
            continue;
        bool keep = keep_reservation && slot->reservation == NULL;
        void *reservation = kiln_memory_teardown(&inst->own_memories[i], keep);
        if (reservation != NULL)
            slot->reservation = reservation;
    }
}

/* A zombie of a module pool: only heap copies of grown tables and memories that grew out of
 * their slot (bounds-checked, 32-bit hosts) are its own. */
static void free_module_zombie(kiln_instance *inst)
{
    free_tables(inst);
    kiln_instance_release_memories(inst);
    const kiln_module_desc *m = inst->module;
    const kiln_memory_desc *memories = m->memories.p;
    for (uint32_t i = 0; i < m->memory_count; i++) {
        kiln_memory_impl *mem = &inst->own_memories[i];
        if (kiln_memory_in_slot(&memories[i]) && mem->home != NULL) {
            kiln_os_release(mem->pub.base.p, (size_t)mem->pub.reserved);
            mem->pub.base.p = mem->home;
            mem->home = NULL;
        }
    }
}

static void free_module_pool(kiln_pool *pool)
{
    kiln_module_pool *mp = pool->module_pool;
    if (mp == NULL)
        return;
    for (uint32_t i = 0; i < mp->chunk_count; i++) {
        if (mp->chunks[i] == NULL)
            continue;
        if (!(mp->module->flags & KILN_MODULE_BOUNDS_CHECKED))
            kiln_signal_remove_memory((uintptr_t)mp->chunks[i]);
        kiln_os_release(mp->chunks[i], (size_t)chunk_length(mp, pool->config.slots, i) * mp->span);
    }
    if (mp->blocks != NULL)
        kiln_os_release(mp->blocks, mp->blocks_size);
    free(mp->chunks);
    free(mp->mem_offsets);
    free(mp->mem_strides);
    free(mp->elem_offsets);
    free(mp->vmctx_template);
    kiln_os_image_free(&mp->image.file);
    free(mp->image.heap);
    free(mp);
    pool->module_pool = NULL;
}

static void pool_destroy(kiln_pool *pool)
{
    for (uint32_t i = 0; i < pool->config.slots; i++) {
        kiln_slot *slot = &pool->slots[i];
        if (slot->inst != NULL) /* a zombie */
            kiln_exn_release(slot->inst);
        if (slot->inst != NULL && pool->module_pool != NULL)
            free_module_zombie(slot->inst);
        else if (slot->inst != NULL) /* a zombie */
            free_instance(slot->inst, false);
        if (slot->reservation != NULL) {
            kiln_signal_remove_memory((uintptr_t)slot->reservation);
            kiln_os_release(slot->reservation, KILN_MEMORY_RESERVATION);
        }
        free(slot->block);
    }
    free_module_pool(pool);
    pthread_mutex_destroy(&pool->lock);
    free(pool->slots);
    free(pool->free_list);
    free(pool);
}

/* ---- Pools and their free lists ---- */

static kiln_status pool_create(const kiln_pool_config *config, bool is_default, kiln_pool **out)
{
    if (config->slots == 0) {
        kiln_set_error("a pool needs at least one slot");
        return KILN_STATUS_ARG;
    }
    if (config->slots > KILN_MAX_POOL_SLOTS) {
        kiln_set_error("a pool holds at most %u slots", KILN_MAX_POOL_SLOTS);
        return KILN_STATUS_LIMIT;
    }
    kiln_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL)
        return KILN_STATUS_NOMEM;
    pool->config = *config;
    if (pool->config.max_memory_pages == 0 || pool->config.max_memory_pages > KILN_MAX_PAGES)
        pool->config.max_memory_pages = KILN_MAX_PAGES;
    if (pool->config.max_table_elems == 0)
        pool->config.max_table_elems = KILN_DEFAULT_TABLE_ELEMS;
    if (pool->config.stack_size == 0)
        pool->config.stack_size = KILN_DEFAULT_STACK_BUDGET;
    if (pool->config.stack_headroom == 0)
        pool->config.stack_headroom = KILN_DEFAULT_STACK_HEADROOM;
    if (pool->config.cached_memories == 0)
        pool->config.cached_memories = KILN_DEFAULT_CACHED_MEMORIES;
    pool->is_default = is_default;
    pool->slots = calloc(config->slots, sizeof *pool->slots);
    pool->free_list = malloc((size_t)config->slots * sizeof *pool->free_list);
    if (pool->slots == NULL || pool->free_list == NULL ||
        pthread_mutex_init(&pool->lock, NULL) != 0) {
        free(pool->slots);
        free(pool->free_list);
        free(pool);
        return KILN_STATUS_NOMEM;
    }
    /* Lowest index on top, so a lightly used pool keeps reusing the same warm slots. */
    for (uint32_t i = 0; i < config->slots; i++)
        pool->free_list[i] = config->slots - 1 - i;
    pool->free_count = config->slots;
    *out = pool;
    return KILN_STATUS_OK;
}

KILN_API kiln_status kiln_pool_new(const kiln_pool_config *config, kiln_pool **out)
{
    if (config == NULL || out == NULL)
        return KILN_STATUS_ARG;
    kiln_status s = kiln_runtime_init();
    if (s != KILN_STATUS_OK)
        return s;
    return pool_create(config, false, out);
}

KILN_API void kiln_pool_free(kiln_pool *pool)
{
    if (pool == NULL || pool->is_default)
        return;
    pthread_mutex_lock(&pool->lock);
    /* Zombies count as live but are the pool's own to free. */
    bool in_use = pool->live > pool->zombies;
    pool->closing = in_use;
    pthread_mutex_unlock(&pool->lock);
    if (!in_use)
        pool_destroy(pool);
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static kiln_pool *default_pool;
static kiln_status default_status;

static void default_pool_init(void)
{
    kiln_pool_config config = {.slots = KILN_DEFAULT_POOL_SLOTS};
    default_status = pool_create(&config, true, &default_pool);
}

kiln_status kiln_default_pool(kiln_pool **out)
{
    pthread_once(&default_once, default_pool_init);
    *out = default_pool;
    return default_status;
}

static kiln_status acquire(kiln_pool *pool, uint32_t *slot)
{
    kiln_status s = KILN_STATUS_OK;
    pthread_mutex_lock(&pool->lock);
    if (pool->closing) {
        s = KILN_STATUS_ARG;
        kiln_set_error("the pool is being freed");
    } else if (pool->free_count == 0) {
        s = KILN_STATUS_POOL_EXHAUSTED;
        kiln_set_error("all %u slots of the pool are in use", (unsigned)pool->config.slots);
    } else {
        *slot = pool->free_list[--pool->free_count];
        pool->live++;
        if (pool->slots[*slot].reservation != NULL)
            pool->cached--;
    }
    pthread_mutex_unlock(&pool->lock);
    return s;
}

/* Gives a slot back: onto the free list if reusable, else out of service for good (a module
 * pool's slot whose memory could not be reset). A memory reservation it holds (pools of any
 * module) stays with it while fewer than config.cached_memories free slots hold one, and is
 * released otherwise. Frees the pool if it was closing and this was its last live slot. */
static void give_back(kiln_pool *pool, uint32_t slot, bool reusable)
{
    void *release = NULL;
    pthread_mutex_lock(&pool->lock);
    kiln_slot *s = &pool->slots[slot];
    s->inst = NULL;
    if (reusable) {
        pool->free_list[pool->free_count++] = slot;
        if (s->reservation != NULL && pool->cached < pool->config.cached_memories)
            pool->cached++;
        else if (s->reservation != NULL) {
            release = s->reservation;
            s->reservation = NULL;
        }
    }
    pool->live--;
    bool destroy = pool->closing && pool->live == pool->zombies;
    pthread_mutex_unlock(&pool->lock);
    if (release != NULL) {
        kiln_signal_remove_memory((uintptr_t)release);
        kiln_os_release(release, KILN_MEMORY_RESERVATION);
    }
    if (destroy)
        pool_destroy(pool);
}

void kiln_pool_keep_zombie(kiln_instance *inst)
{
    kiln_pool *pool = inst->pool;
    pthread_mutex_lock(&pool->lock);
    inst->zombie = true;
    pool->zombies++;
    pthread_mutex_unlock(&pool->lock);
}

/* ---- Module pools' slots ---- */

static char *slot_block(const kiln_module_pool *mp, uint32_t slot)
{
    return mp->blocks + (size_t)slot * mp->block_size;
}

/* The base of defined memory `memory` (module index) of slot. */
static char *slot_memory_base(const kiln_module_pool *mp, uint32_t slot, uint32_t memory)
{
    return mp->chunks[slot / mp->chunk_slots] + (size_t)(slot % mp->chunk_slots) * mp->span +
           mp->mem_offsets[memory];
}

/* A slot's first instance commits the initial pages of its memories; they stay committed,
 * memory 0 holding the data image from then on: its file mapped copy-on-write over the first
 * pages, or (no file, or the mapping failed) a copy. */
static kiln_status commit_slot(kiln_pool *pool, uint32_t slot)
{
    const kiln_module_pool *mp = pool->module_pool;
    const kiln_memory_image *image = &mp->image;
    const kiln_memory_desc *memories = mp->module->memories.p;
    kiln_slot *s = &pool->slots[slot];
    for (uint32_t i = 0; i < mp->module->memory_count; i++) {
        if (!kiln_memory_in_slot(&memories[i]))
            continue;
        char *base = slot_memory_base(mp, slot, i);
        uint64_t bytes = memories[i].limits.min << kiln_desc_page_log2(&memories[i].limits);
        size_t mapped = 0;
        if (i == 0 && image->file.fd >= 0 && kiln_os_image_map(&image->file, base))
            mapped = image->file.size;
        if (!kiln_os_commit(base + mapped, (size_t)bytes - mapped)) {
            /* Back to PROT_NONE: the slot stays uncommitted and may be retried. */
            kiln_os_decommit(base, (size_t)bytes);
            kiln_set_error("cannot commit %llu pages of linear memory",
                           (unsigned long long)memories[i].limits.min);
            return KILN_STATUS_NOMEM;
        }
        if (i == 0)
            s->mapped = mapped != 0;
    }
    if (image->present && !s->mapped)
        kiln_memory_copy_image((uint8_t *)slot_memory_base(mp, slot, 0), image);
    s->committed = true;
    return KILN_STATUS_OK;
}

/* The records of a slot's instance that do not depend on imports: the defined tables (in
 * their inline arrays, zeroed) and memories (reset to their initial size when the last
 * instance left). */
static void fill_slot_records(const kiln_pool *pool, kiln_instance *inst, char *block)
{
    const kiln_module_pool *mp = pool->module_pool;
    const kiln_module_desc *m = mp->module;
    const kiln_pool_config *cfg = &pool->config;
    kiln_vmctx *vm = inst->vmctx;
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++) {
        if (tables[i].imported)
            continue;
        const kiln_limits_desc *lim = &tables[i].limits;
        kiln_table_impl *t = &inst->own_tables[i];
        void **elems = (void **)(block + mp->elem_offsets[i]);
        uint32_t min = (uint32_t)lim->min;
        uint64_t limit = lim->has_max ? lim->max : UINT32_MAX;
        memset(t, 0, sizeof *t);
        if (min != 0) {
            memset(elems, 0, (size_t)min * sizeof(void *));
            t->pub.elems.p = elems;
            t->inline_elems = elems;
        }
        t->pub.size = min;
        t->pub.capacity = min;
        t->pub.max = lim->has_max && lim->max < UINT32_MAX ? (uint32_t)lim->max : UINT32_MAX;
        t->pub.elem_type = tables[i].elem_type;
        t->pub.elem_ref = kiln_ref_canon(tables[i].elem_ref, kiln_vm_sig_ids(vm));
        t->limit = (uint32_t)(limit < cfg->max_table_elems ? limit : cfg->max_table_elems);
        t->decl_max = lim->max;
        t->has_max = lim->has_max != 0;
        t->is64 = lim->is64 != 0;
        kiln_vm_tables(vm)[i].p = t;
    }
    const kiln_memory_desc *memories = m->memories.p;
    /* Imports and shared memories (objects of their own, instance.c) come later. */
    memset(inst->memories, 0, (size_t)m->memory_count * sizeof *inst->memories);
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (!kiln_memory_in_slot(&memories[i]))
            continue;
        const kiln_limits_desc *lim = &memories[i].limits;
        kiln_memory_impl *mem = &inst->own_memories[i];
        memset(mem, 0, sizeof *mem);
        mem->pub.base.p = slot_memory_base(mp, inst->slot, i);
        uint64_t most = kiln_max_pages(kiln_desc_page_log2(lim));
        mem->pub.size = lim->min << kiln_desc_page_log2(lim);
        mem->pub.max_pages = lim->has_max && lim->max < most ? lim->max : most;
        mem->pub.reserved = mp->mem_strides[i];
        mem->page_log2 = kiln_desc_page_log2(lim);
        mem->limit_pages = kiln_memory_limit(lim->has_max, lim->max, cfg->max_memory_pages,
                                             kiln_desc_page_log2(lim));
        mem->decl_max = lim->max;
        mem->has_max = lim->has_max != 0;
        mem->is64 = lim->is64 != 0;
        inst->memories[i] = mem;
    }
}

/* Returns a slot to its state between instances: tables back to their inline arrays,
 * memories back to their initial size and contents, the data image in memory 0 (memory.c:
 * kiln_memory_reset). false if a memory could not be reset; the slot must then not be
 * reused. */
static bool reset_slot(kiln_pool *pool, kiln_instance *inst)
{
    const kiln_module_desc *m = inst->module;
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++) {
        if (tables[i].imported)
            continue;
        kiln_table_impl *t = &inst->own_tables[i];
        if (t->pub.elems.p != (void *)t->inline_elems)
            free(t->pub.elems.p);
        t->pub.elems.p = t->inline_elems;
    }
    kiln_slot *slot = &pool->slots[inst->slot];
    if (!slot->committed)
        return true;
    /* Warm (where the kernel cannot say which pages were written): reused often enough that
     * keeping all its initial pages resident (and zeroing them with one memset) beats asking
     * the kernel which ones were touched (mincore). With the LIFO free list, the slots a
     * workload keeps cycling get warm; the others of a big pool keep only the pages their
     * instances touched. */
    bool warm = slot->resets >= KILN_POOL_WARM_RESETS;
    if (slot->resets < UINT32_MAX)
        slot->resets++;
    bool ok = true;
    const kiln_memory_image *image = &pool->module_pool->image;
    const kiln_memory_desc *memories = m->memories.p;
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (!kiln_memory_in_slot(&memories[i]))
            continue;
        bool data = i == 0 && image->present && image->hi > image->lo;
        ok &= kiln_memory_reset(&inst->own_memories[i],
                                memories[i].limits.min << kiln_desc_page_log2(&memories[i].limits),
                                data ? image : NULL, data && slot->mapped, warm);
    }
    return ok;
}

/* ---- Taking and returning slots ---- */

/* Points the instance record at the beginning of block and its arrays at their offsets. */
static kiln_instance *place_instance(kiln_pool *pool, uint32_t slot, const kiln_module_desc *m,
                                     char *block, const kiln_block_layout *l)
{
    kiln_instance *inst = (kiln_instance *)block;
    memset(inst, 0, sizeof *inst);
    inst->pool = pool;
    inst->slot = slot;
    inst->module = m;
    inst->stack_budget = pool->config.stack_size;
    inst->stack_headroom = pool->config.stack_headroom;
    inst->vmctx = (kiln_vmctx *)(block + l->vmctx);
    inst->memories = (kiln_memory_impl **)(block + l->memory_ptrs);
    inst->own_memories = (kiln_memory_impl *)(block + l->memories);
    inst->own_tables = (kiln_table_impl *)(block + l->tables);
    inst->host_refs = (kiln_funcref *)(block + l->host);
    pool->slots[slot].inst = inst;
    inst->vmctx->module.p = (void *)(uintptr_t)m;
    inst->vmctx->instance.p = inst;
    return inst;
}

/* Pools of any module: the slot's cached heap block, reallocated if too small, zeroed. */
static kiln_status take_heap_block(kiln_pool *pool, uint32_t slot_index, const kiln_module_desc *m,
                                   kiln_instance **out)
{
    kiln_block_layout l;
    block_layout(m, &l);
    kiln_slot *slot = &pool->slots[slot_index];
    size_t size = align_size(l.records_end, 64);
    if (slot->block == NULL || slot->block_size < size) {
        free(slot->block);
        slot->block = NULL;
        slot->block_size = 0;
        void *block = NULL;
        if (posix_memalign(&block, 64, size) != 0) {
            kiln_set_error("cannot allocate %zu bytes for an instance", l.records_end);
            return KILN_STATUS_NOMEM;
        }
        slot->block = block;
        slot->block_size = size;
    }
    memset(slot->block, 0, size);
    *out = place_instance(pool, slot_index, m, slot->block, &l);
    return KILN_STATUS_OK;
}

/* Module pools: the slot's prepared block, its vmctx copied from the template. */
static kiln_status take_prepared_block(kiln_pool *pool, uint32_t slot, kiln_instance **out)
{
    const kiln_module_pool *mp = pool->module_pool;
    if (!pool->slots[slot].committed) {
        kiln_status s = commit_slot(pool, slot);
        if (s != KILN_STATUS_OK)
            return s;
    }
    char *block = slot_block(mp, slot);
    /* Zero everywhere but the canonical signature ids, interned at pool creation. */
    memcpy(block + mp->layout.vmctx, mp->vmctx_template, mp->module->layout.size);
    kiln_instance *inst = place_instance(pool, slot, mp->module, block, &mp->layout);
    fill_slot_records(pool, inst, block);
    *out = inst;
    return KILN_STATUS_OK;
}

kiln_status kiln_pool_take(kiln_pool *pool, const kiln_module_desc *m, kiln_instance **out)
{
    uint32_t slot;
    kiln_status s = acquire(pool, &slot);
    if (s != KILN_STATUS_OK)
        return s;
    if (pool->module_pool != NULL)
        s = take_prepared_block(pool, slot, out);
    else
        s = take_heap_block(pool, slot, m, out);
    if (s != KILN_STATUS_OK)
        give_back(pool, slot, true);
    return s;
}

void kiln_pool_put(kiln_instance *inst)
{
    kiln_pool *pool = inst->pool;
    uint32_t slot = inst->slot;
    kiln_exn_release(inst);
    if (pool->module_pool != NULL) {
        kiln_instance_release_memories(inst);
        give_back(pool, slot, reset_slot(pool, inst));
        return;
    }
    free_instance(inst, true);
    give_back(pool, slot, true);
}

/* ---- Module pools: what is prepared once ---- */

/* The limits kiln_memory_setup/kiln_table_setup would refuse, checked once. */
static kiln_status check_limits(const kiln_pool *pool, const kiln_module_desc *m)
{
    const kiln_memory_desc *memories = m->memories.p;
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (memories[i].imported)
            continue;
        const kiln_limits_desc *lim = &memories[i].limits;
        uint64_t limit;
        kiln_status s =
            kiln_memory_check(lim->min, lim->has_max, lim->max, pool->config.max_memory_pages,
                              kiln_desc_page_log2(lim), &limit);
        if (s != KILN_STATUS_OK)
            return s;
    }
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++) {
        if (tables[i].imported)
            continue;
        const kiln_limits_desc *lim = &tables[i].limits;
        uint32_t limit;
        kiln_status s = kiln_table_check(tables[i].elem_type, lim->min, lim->has_max, lim->max,
                                         pool->config.max_table_elems, &limit);
        if (s != KILN_STATUS_OK)
            return s;
    }
    return KILN_STATUS_OK;
}

/* A slot's block: the records (block_layout), then the inline elements of each defined
 * table. */
static kiln_status prepare_block_layout(kiln_module_pool *mp, const kiln_module_desc *m)
{
    block_layout(m, &mp->layout);
    size_t off = align_size(mp->layout.records_end, 16);
    if (m->table_count != 0) {
        mp->elem_offsets = calloc(m->table_count, sizeof *mp->elem_offsets);
        if (mp->elem_offsets == NULL)
            return KILN_STATUS_NOMEM;
    }
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++) {
        if (tables[i].imported)
            continue;
        mp->elem_offsets[i] = off;
        /* min <= max_table_elems <= UINT32_MAX was checked: no overflow on 64-bit hosts. */
        off += (size_t)tables[i].limits.min * sizeof(void *);
    }
    mp->block_size = align_size(off, 64);
    return KILN_STATUS_OK;
}

/* Memory 0's image, if every active data segment has a constant offset into a defined
 * memory 0 and fits its initial size (then none can trap). Otherwise instantiation applies
 * the segments one by one, with the spec's bounds checks. The image goes into a file the
 * slots map copy-on-write, covering the memory's wasm pages up to its end (within the initial
 * size, as hi is); without one (kiln_os_image_new refused), slots copy it. */
static kiln_status prepare_image(kiln_memory_image *image, const kiln_module_desc *m)
{
    const kiln_memory_desc *memories = m->memories.p;
    /* Memories of 1-byte pages end anywhere in an OS page: applied per instance. */
    /* A shared memory is not the slot's (instance.c): its segments are applied per instance. */
    if (m->memory_count == 0 || !kiln_memory_in_slot(&memories[0]) ||
        kiln_desc_page_log2(&memories[0].limits) != 16)
        return KILN_STATUS_OK;
    uint64_t min_bytes = memories[0].limits.min * KILN_WASM_PAGE;
    const kiln_data_desc *datas = m->datas.p;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint32_t i = 0; i < m->data_count; i++) {
        const kiln_data_desc *d = &datas[i];
        if (d->mode != KILN_SEG_MODE_ACTIVE)
            continue;
        if (d->memory != 0 || d->offset.kind != KILN_INIT_CONST)
            return KILN_STATUS_OK;
        uint64_t start = d->offset.type == KILN_TYPE_I64 ? (uint64_t)d->offset.value.u.i64
                                                         : (uint32_t)d->offset.value.u.i32;
        if (d->size > min_bytes || start > min_bytes - d->size)
            return KILN_STATUS_OK;
        if (d->size == 0)
            continue;
        lo = start < lo ? start : lo;
        hi = start + d->size > hi ? start + d->size : hi;
    }
    uint64_t file_size = (hi + KILN_WASM_PAGE - 1) / KILN_WASM_PAGE * KILN_WASM_PAGE;
    if (file_size > SIZE_MAX)
        return KILN_STATUS_OK; /* 4 GiB of data on a 32-bit host: applied per instance */
    image->present = true;
    image->datas = datas;
    image->data_count = m->data_count;
    if (hi == 0)
        return KILN_STATUS_OK;
    image->lo = (uint32_t)lo;
    image->hi = (uint32_t)hi;
    /* Into the file segment by segment, in order (later ones overwrite earlier ones): the
     * gaps between segments stay holes that take no memory. */
    bool file = kiln_os_image_new((size_t)file_size, &image->file);
    for (uint32_t i = 0; file && i < m->data_count; i++) {
        const kiln_data_desc *d = &datas[i];
        if (d->mode == KILN_SEG_MODE_ACTIVE && d->size != 0)
            file = kiln_os_image_write(&image->file, (uint32_t)d->offset.value.u.i32, d->bytes.p,
                                       d->size);
    }
    if (file && kiln_os_image_seal(&image->file)) {
        image->bytes = image->file.view + lo;
        return KILN_STATUS_OK;
    }
    kiln_os_image_free(&image->file);
    image->heap = calloc(1, (size_t)(hi - lo));
    if (image->heap == NULL)
        return KILN_STATUS_NOMEM;
    for (uint32_t i = 0; i < m->data_count; i++) {
        const kiln_data_desc *d = &datas[i];
        if (d->mode == KILN_SEG_MODE_ACTIVE && d->size != 0)
            memcpy(image->heap + ((uint32_t)d->offset.value.u.i32 - lo), d->bytes.p, d->size);
    }
    image->bytes = image->heap;
    return KILN_STATUS_OK;
}

/* Maps the slots' blocks and reserves their memories. Guard-page memories need a stride of
 * 8 GiB per memory per slot: generated code reaches base + zext(i32) + u32 offset + access
 * size, so two bases must be at least 8 GiB apart, and exactly that keeps the next slot's
 * first page unreachable (the farthest access starts at base + 8 GiB - 2 and so always
 * overlaps the guard). A 47-bit address space holds about 16,000 of them; chunks let them
 * use every hole big enough rather than one 80 TiB run. Bounds-checked memories need only
 * room to grow to their limit (at least a page, for a distinct base). Without memories a
 * slot costs no address space. */
static kiln_status reserve_slots(kiln_pool *pool, kiln_module_pool *mp, const kiln_module_desc *m)
{
    uint32_t slots = pool->config.slots;
    if (mp->block_size > SIZE_MAX / slots) {
        kiln_set_error("a module pool of %u slots of %zu bytes is too large", (unsigned)slots,
                       mp->block_size);
        return KILN_STATUS_LIMIT;
    }
    mp->blocks_size = align_size((size_t)slots * mp->block_size, kiln_os_page_size());
    mp->blocks = kiln_os_map(mp->blocks_size);
    if (mp->blocks == NULL) {
        kiln_set_error("cannot map %zu bytes for %u instance slots", mp->blocks_size,
                       (unsigned)slots);
        return KILN_STATUS_NOMEM;
    }
    bool guarded = !(m->flags & KILN_MODULE_BOUNDS_CHECKED);
    const kiln_memory_desc *memories = m->memories.p;
    uint32_t defined = 0;
    if (m->memory_count != 0) {
        mp->mem_offsets = calloc(m->memory_count, sizeof *mp->mem_offsets);
        mp->mem_strides = calloc(m->memory_count, sizeof *mp->mem_strides);
        if (mp->mem_offsets == NULL || mp->mem_strides == NULL)
            return KILN_STATUS_NOMEM;
    }
    size_t page = kiln_os_page_size();
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (!kiln_memory_in_slot(&memories[i]))
            continue;
        uint64_t stride = KILN_MEMORY_RESERVATION;
        if (!guarded) {
            const kiln_limits_desc *lim = &memories[i].limits;
            uint64_t limit = kiln_memory_limit(
                lim->has_max, lim->max, pool->config.max_memory_pages, kiln_desc_page_log2(lim));
            /* The growth limit on 64-bit hosts; on 32-bit ones a memory that outgrows this
             * moves out of its slot until the slot is reset (memory.c). */
            stride = kiln_checked_capacity(memories[i].limits.min, limit, kiln_desc_page_log2(lim),
                                           false);
            stride = stride < page ? page : (stride + page - 1) / page * page;
        }
        if (stride == 0 || stride > SIZE_MAX - mp->span) {
            kiln_set_error(guarded ? "a module compiled for guard pages needs a 64-bit host: "
                                     "compile it with --bounds-checks"
                                   : "the module's memories do not fit this host's address "
                                     "space; lower the pool's max_memory_pages");
            return guarded ? KILN_STATUS_ARG : KILN_STATUS_LIMIT;
        }
        mp->mem_offsets[i] = mp->span;
        mp->mem_strides[i] = (size_t)stride;
        mp->span += (size_t)stride;
        defined++;
    }
    if (defined == 0)
        return KILN_STATUS_OK;
    mp->chunk_slots = CHUNK_BYTES / mp->span > 0 ? (uint32_t)(CHUNK_BYTES / mp->span) : 1;
    if (mp->chunk_slots > slots)
        mp->chunk_slots = slots;
    if (mp->span > SIZE_MAX / mp->chunk_slots) {
        kiln_set_error("the module's memories do not fit this host's address space");
        return KILN_STATUS_LIMIT;
    }
    uint32_t count = slots / mp->chunk_slots + (slots % mp->chunk_slots != 0);
    mp->chunks = calloc(count, sizeof *mp->chunks);
    if (mp->chunks == NULL)
        return KILN_STATUS_NOMEM;
    for (uint32_t i = 0; i < count; i++) {
        size_t size = (size_t)chunk_length(mp, slots, i) * mp->span;
        mp->chunks[i] = kiln_os_reserve(size);
        if (mp->chunks[i] == NULL) {
            kiln_set_error("cannot reserve address space for %u memories of %zu bytes (%u "
                           "reserved; a 47-bit address space holds about 16,000 of 8 GiB)",
                           (unsigned)(slots * defined), (size_t)(mp->span / defined),
                           (unsigned)(i * mp->chunk_slots * defined));
            return KILN_STATUS_NOMEM;
        }
        mp->chunk_count = i + 1;
        if (guarded &&
            !kiln_signal_add_memory((uintptr_t)mp->chunks[i], (uintptr_t)mp->chunks[i] + size)) {
            kiln_os_release(mp->chunks[i], size);
            mp->chunks[i] = NULL;
            kiln_set_error("too many linear-memory ranges registered with the signal handler");
            return KILN_STATUS_LIMIT;
        }
    }
    return KILN_STATUS_OK;
}

/* Everything a module pool prepares once; on failure the caller frees what was made
 * (pool_destroy). */
static kiln_status prepare(kiln_pool *pool, const kiln_module_desc *m, uint32_t global_imports)
{
    kiln_status s = check_limits(pool, m);
    if (s != KILN_STATUS_OK)
        return s;
    kiln_module_pool *mp = calloc(1, sizeof *mp);
    if (mp == NULL)
        return KILN_STATUS_NOMEM;
    pool->module_pool = mp;
    mp->module = m;
    mp->global_imports = global_imports;
    mp->image.file.fd = -1;
    mp->vmctx_template = calloc(1, m->layout.size);
    if (mp->vmctx_template == NULL)
        return KILN_STATUS_NOMEM;
    s = kiln_module_intern(m, (uint32_t *)(mp->vmctx_template + m->layout.sig_ids));
    if (s == KILN_STATUS_OK)
        s = prepare_block_layout(mp, m);
    if (s == KILN_STATUS_OK)
        s = prepare_image(&mp->image, m);
    if (s == KILN_STATUS_OK)
        s = reserve_slots(pool, mp, m);
    return s;
}

KILN_API kiln_status kiln_module_pool_new(const kiln_module *module, const kiln_pool_config *config,
                                          kiln_pool **out)
{
    kiln_clear_error();
    if (module == NULL || config == NULL || out == NULL) {
        kiln_set_error("kiln_module_pool_new: NULL argument");
        return KILN_STATUS_ARG;
    }
    uint32_t global_imports = 0;
    kiln_status s = kiln_module_prepare(module, &global_imports);
    if (s != KILN_STATUS_OK)
        return s;
    kiln_pool *pool;
    s = pool_create(config, false, &pool);
    if (s != KILN_STATUS_OK)
        return s;
    s = prepare(pool, module, global_imports);
    if (s != KILN_STATUS_OK) {
        if (s == KILN_STATUS_NOMEM && kiln_last_error()[0] == '\0')
            kiln_set_error("out of memory creating a pool of %u slots", (unsigned)config->slots);
        pool_destroy(pool);
        return s;
    }
    *out = pool;
    return KILN_STATUS_OK;
}

KILN_API const kiln_module *kiln_pool_module(const kiln_pool *pool)
{
    return pool != NULL && pool->module_pool != NULL ? pool->module_pool->module : NULL;
}
