/* pool.c -- pools of instance slots.
 *
 * Two kinds of pool share the slot machinery: pools of any module (kiln_pool_new, and the
 * default pool behind kiln_instance_new), described first, and module pools
 * (kiln_module_pool_new), which prepare everything about one module once, described below.
 *
 * A pool bounds how many instances live at once (kiln_pool_config.slots) and caps what each
 * may use (memory pages, table elements, wasm stack). Slots are taken from a free list under
 * the pool's mutex. A freed slot keeps two things for its next instance: the allocation that
 * held the instance record + vmctx (reused when big enough, zeroed), and one linear-memory
 * reservation, decommitted but still reserved and registered with the signal handler, so a
 * warm slot instantiates without mmap/munmap.
 *
 * The default pool (kiln_instance_new) is created on first use and lives until exit.
 * kiln_pool_free with instances still alive defers the release to the last kiln_instance_free.
 * Instances that trapped during instantiation after publishing references to their functions
 * (see instance.c) stay in their slot as zombies until the pool is freed.
 *
 * Module pools. At creation the descriptor is checked once, its signatures interned once into
 * a vmctx template, every active data segment with a constant offset laid out into one image
 * of memory 0, and every slot pre-reserved: one mapping holds all slots' instance blocks
 * (instance record, vmctx, memory and table records, inline table elements), and the slots'
 * linear memories are carved out of a few large PROT_NONE reservations ("chunks"), one
 * 8 GiB stride per memory per slot, each chunk registered once with the signal handler.
 * (Modules compiled with bounds checks need no guard: their stride is the memory's growth
 * limit on 64-bit hosts, and on 32-bit ones kiln_checked_capacity, max(initial size,
 * 16 MiB) when the limit is larger; memory.grow past it copies the memory out of the slot
 * into its own reservation, and resetting the slot releases that and moves it back.)
 * The 8 GiB is not negotiable without bounds checks: generated code reaches
 * base + zext(i32) + u32 offset + access size, so two memories' bases must be at least
 * 8 GiB apart, and the stride is exactly that (the next slot's first page is never reachable:
 * the highest access starts at base + 8 GiB - 2 and so always overlaps the guard). A 47-bit
 * address space (128 TiB) therefore holds at most ~16,000 such memories in one process; the
 * chunks let them use every hole big enough rather than one 80 TiB run. Without memories
 * a slot costs no address space at all.
 * A slot's memory pages are committed (mprotect) at its first instantiation and stay
 * committed. Instantiating then takes a slot from the free list (one mutex) and fills its
 * block: no system call, no allocation, no descriptor walk. Freeing resets the slot
 * (memory.c: kiln_memory_reset; tables back to their inline arrays) before it goes back
 * on the free list, so the cost of cleaning is paid on release, proportional to what the
 * instance touched or grew.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

static void bound_free(kiln_pool *pool)
{
    kiln_bound *b = pool->bound;
    if (b == NULL)
        return;
    for (uint32_t i = 0; i < b->chunk_count; i++) {
        if (b->chunks[i] == NULL)
            continue;
        uint32_t first = i * b->chunk_slots;
        uint32_t n = pool->config.slots - first < b->chunk_slots ? pool->config.slots - first
                                                                 : b->chunk_slots;
        if (!(b->module->flags & KILN_MODULE_BOUNDS_CHECKED))
            kiln_signal_remove_memory((uintptr_t)b->chunks[i]);
        kiln_os_release(b->chunks[i], (size_t)n * b->span);
    }
    if (b->blocks != NULL)
        kiln_os_release(b->blocks, b->blocks_size);
    free(b->chunks);
    free(b->mem_offsets);
    free(b->mem_strides);
    free(b->elem_offsets);
    free(b->vmctx_template);
    free(b->image);
    free(b);
    pool->bound = NULL;
}

/* A zombie of a module pool: only heap copies of grown tables and memories that grew out of
 * their slot (bounds-checked, 32-bit hosts) are its own. */
static void bound_zombie_free(kiln_instance *inst)
{
    const kiln_module_desc *m = inst->module;
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++)
        if (!tables[i].imported)
            kiln_table_teardown(&inst->own_tables[i]);
    const kiln_memory_desc *memories = m->memories.p;
    for (uint32_t i = 0; i < m->memory_count; i++) {
        kiln_memory_impl *mem = &inst->own_memories[i];
        if (!memories[i].imported && mem->home != NULL) {
            kiln_os_release(mem->pub.base.p, (size_t)mem->pub.reserved);
            mem->pub.base.p = mem->home;
            mem->home = NULL;
        }
    }
}

static void pool_destroy(kiln_pool *pool)
{
    for (uint32_t i = 0; i < pool->config.slots; i++) {
        kiln_slot *slot = &pool->slots[i];
        if (slot->inst != NULL && pool->bound != NULL)
            bound_zombie_free(slot->inst);
        else if (slot->inst != NULL) /* a zombie */
            kiln_instance_destroy(slot->inst, false);
        if (slot->reservation != NULL) {
            kiln_signal_remove_memory((uintptr_t)slot->reservation);
            kiln_os_release(slot->reservation, KILN_MEMORY_RESERVATION);
        }
        free(slot->block);
    }
    bound_free(pool);
    pthread_mutex_destroy(&pool->lock);
    free(pool->slots);
    free(pool->free_list);
    free(pool);
}

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

kiln_status kiln_pool_acquire(kiln_pool *pool, uint32_t *slot)
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
    }
    pthread_mutex_unlock(&pool->lock);
    return s;
}

void *kiln_pool_block(kiln_pool *pool, uint32_t slot_index, size_t size)
{
    kiln_slot *slot = &pool->slots[slot_index];
    size = (size + 63) & ~(size_t)63;
    if (slot->block == NULL || slot->block_size < size) {
        free(slot->block);
        slot->block = NULL;
        slot->block_size = 0;
        void *block = NULL;
        if (posix_memalign(&block, 64, size) != 0)
            return NULL;
        slot->block = block;
        slot->block_size = size;
    }
    memset(slot->block, 0, size);
    return slot->block;
}

void kiln_pool_release(kiln_pool *pool, uint32_t slot)
{
    pthread_mutex_lock(&pool->lock);
    pool->slots[slot].inst = NULL;
    pool->free_list[pool->free_count++] = slot;
    pool->live--;
    bool destroy = pool->closing && pool->live == pool->zombies;
    pthread_mutex_unlock(&pool->lock);
    if (destroy)
        pool_destroy(pool);
}

void kiln_pool_keep_zombie(kiln_pool *pool, uint32_t slot)
{
    pthread_mutex_lock(&pool->lock);
    pool->slots[slot].inst->zombie = true;
    pool->zombies++;
    pthread_mutex_unlock(&pool->lock);
}

/* ---- Module pools ---- */

/* Address space per chunk of slot memories: 2 TiB = 256 slots of one 8 GiB memory. Large
 * enough that 10,000 slots are 40 mappings, small enough to fit the holes of a fragmented
 * address space. */
#define BOUND_CHUNK_BYTES (UINT64_C(2) << 40)

static size_t align_size(size_t n, size_t a)
{
    return (n + a - 1) & ~(a - 1);
}

char *kiln_bound_block(const kiln_pool *pool, uint32_t slot)
{
    return pool->bound->blocks + (size_t)slot * pool->bound->block_size;
}

char *kiln_bound_memory_base(const kiln_pool *pool, uint32_t slot, uint32_t memory)
{
    const kiln_bound *b = pool->bound;
    return b->chunks[slot / b->chunk_slots] + (size_t)(slot % b->chunk_slots) * b->span +
           b->mem_offsets[memory];
}

/* The limits kiln_memory_setup/kiln_table_setup would refuse, checked once. */
static kiln_status bound_check_limits(const kiln_pool *pool, const kiln_module_desc *m)
{
    const kiln_memory_desc *memories = m->memories.p;
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (memories[i].imported)
            continue;
        const kiln_limits_desc *lim = &memories[i].limits;
        uint64_t limit;
        kiln_status s =
            kiln_memory_check(lim->min, lim->has_max, lim->max, pool->config.max_memory_pages,
                              !(m->flags & KILN_MODULE_BOUNDS_CHECKED), &limit);
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

/* The instance block: instance | vmctx | memory pointers | memories | tables | host funcrefs
 * | inline elements of each defined table. Same order as instance.c's for pools of any
 * module, plus the elements. */
static kiln_status bound_layout(kiln_bound *b, const kiln_module_desc *m)
{
    b->off_vmctx = align_size(sizeof(kiln_instance), 64);
    b->off_memory_ptrs = b->off_vmctx + align_size(m->layout.size, 64);
    b->off_memories = b->off_memory_ptrs + align_size((size_t)m->memory_count * sizeof(void *), 16);
    b->off_tables =
        b->off_memories + align_size((size_t)m->memory_count * sizeof(kiln_memory_impl), 16);
    b->off_host = b->off_tables + align_size((size_t)m->table_count * sizeof(kiln_table_impl), 16);
    size_t off = align_size(b->off_host + (size_t)m->func_import_count * sizeof(kiln_funcref), 16);
    if (m->table_count != 0) {
        b->elem_offsets = calloc(m->table_count, sizeof *b->elem_offsets);
        if (b->elem_offsets == NULL)
            return KILN_STATUS_NOMEM;
    }
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++) {
        if (tables[i].imported)
            continue;
        b->elem_offsets[i] = off;
        /* min <= max_table_elems <= UINT32_MAX was checked: no overflow on 64-bit hosts. */
        off += (size_t)tables[i].limits.min * sizeof(void *);
    }
    b->block_size = align_size(off, 64);
    return KILN_STATUS_OK;
}

/* Memory 0's image, if every active data segment has a constant offset into a defined
 * memory 0 and fits its initial size (then none can trap). Otherwise instantiation applies
 * the segments one by one, with the spec's bounds checks. */
static kiln_status bound_image(kiln_bound *b, const kiln_module_desc *m)
{
    const kiln_memory_desc *memories = m->memories.p;
    if (m->memory_count == 0 || memories[0].imported)
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
        uint64_t start = (uint32_t)d->offset.value.u.i32;
        if (start + d->size > min_bytes)
            return KILN_STATUS_OK;
        if (d->size == 0)
            continue;
        lo = start < lo ? start : lo;
        hi = start + d->size > hi ? start + d->size : hi;
    }
    b->has_image = true;
    if (hi == 0)
        return KILN_STATUS_OK;
    b->image = calloc(1, (size_t)(hi - lo));
    if (b->image == NULL)
        return KILN_STATUS_NOMEM;
    for (uint32_t i = 0; i < m->data_count; i++) {
        const kiln_data_desc *d = &datas[i];
        if (d->mode == KILN_SEG_MODE_ACTIVE && d->size != 0)
            memcpy(b->image + ((uint32_t)d->offset.value.u.i32 - lo), d->bytes.p, d->size);
    }
    b->image_lo = (uint32_t)lo;
    b->image_hi = (uint32_t)hi;
    return KILN_STATUS_OK;
}

static kiln_status bound_reserve(kiln_pool *pool, kiln_bound *b, const kiln_module_desc *m)
{
    uint32_t slots = pool->config.slots;
    if (b->block_size > SIZE_MAX / slots) {
        kiln_set_error("a module pool of %u slots of %zu bytes is too large", (unsigned)slots,
                       b->block_size);
        return KILN_STATUS_LIMIT;
    }
    b->blocks_size = align_size((size_t)slots * b->block_size, kiln_os_page_size());
    b->blocks = kiln_os_map(b->blocks_size);
    if (b->blocks == NULL) {
        kiln_set_error("cannot map %zu bytes for %u instance slots", b->blocks_size,
                       (unsigned)slots);
        return KILN_STATUS_NOMEM;
    }
    /* Guard-page memories need 8 GiB strides (see the top of this file); bounds-checked
     * ones only room to grow to their limit (at least a page, for a distinct base). */
    bool guarded = !(m->flags & KILN_MODULE_BOUNDS_CHECKED);
    const kiln_memory_desc *memories = m->memories.p;
    uint32_t defined = 0;
    if (m->memory_count != 0) {
        b->mem_offsets = calloc(m->memory_count, sizeof *b->mem_offsets);
        b->mem_strides = calloc(m->memory_count, sizeof *b->mem_strides);
        if (b->mem_offsets == NULL || b->mem_strides == NULL)
            return KILN_STATUS_NOMEM;
    }
    size_t page = kiln_os_page_size();
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (memories[i].imported)
            continue;
        uint64_t stride = KILN_MEMORY_RESERVATION;
        if (!guarded) {
            const kiln_limits_desc *lim = &memories[i].limits;
            uint64_t limit =
                kiln_memory_limit(lim->has_max, lim->max, pool->config.max_memory_pages, false);
            /* The growth limit on 64-bit hosts; on 32-bit ones a memory that outgrows this
             * moves out of its slot until the slot is reset (memory.c). */
            stride = kiln_checked_capacity(memories[i].limits.min, limit);
            stride = stride < page ? page : (stride + page - 1) / page * page;
        }
        if (stride == 0 || stride > SIZE_MAX - b->span) {
            kiln_set_error(guarded ? "a module compiled for guard pages needs a 64-bit host: "
                                     "compile it with --bounds-checks"
                                   : "the module's memories do not fit this host's address "
                                     "space; lower the pool's max_memory_pages");
            return guarded ? KILN_STATUS_ARG : KILN_STATUS_LIMIT;
        }
        b->mem_offsets[i] = b->span;
        b->mem_strides[i] = (size_t)stride;
        b->span += (size_t)stride;
        defined++;
    }
    if (defined == 0)
        return KILN_STATUS_OK;
    b->chunk_slots = BOUND_CHUNK_BYTES / b->span > 0 ? (uint32_t)(BOUND_CHUNK_BYTES / b->span) : 1;
    if (b->chunk_slots > slots)
        b->chunk_slots = slots;
    if (b->span > SIZE_MAX / b->chunk_slots) {
        kiln_set_error("the module's memories do not fit this host's address space");
        return KILN_STATUS_LIMIT;
    }
    uint32_t count = slots / b->chunk_slots + (slots % b->chunk_slots != 0);
    b->chunks = calloc(count, sizeof *b->chunks);
    if (b->chunks == NULL)
        return KILN_STATUS_NOMEM;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t first = i * b->chunk_slots;
        uint32_t n = slots - first < b->chunk_slots ? slots - first : b->chunk_slots;
        size_t size = (size_t)n * b->span;
        b->chunks[i] = kiln_os_reserve(size);
        if (b->chunks[i] == NULL) {
            kiln_set_error("cannot reserve address space for %u memories of %zu bytes (%u "
                           "reserved; a 47-bit address space holds about 16,000 of 8 GiB)",
                           (unsigned)(slots * defined), (size_t)(b->span / defined),
                           (unsigned)(first * defined));
            return KILN_STATUS_NOMEM;
        }
        b->chunk_count = i + 1;
        if (guarded &&
            !kiln_signal_add_memory((uintptr_t)b->chunks[i], (uintptr_t)b->chunks[i] + size)) {
            kiln_os_release(b->chunks[i], size);
            b->chunks[i] = NULL;
            kiln_set_error("too many linear-memory ranges registered with the signal handler");
            return KILN_STATUS_LIMIT;
        }
    }
    return KILN_STATUS_OK;
}

static kiln_status bound_create(kiln_pool *pool, const kiln_module_desc *m, uint32_t global_imports)
{
    kiln_status s = bound_check_limits(pool, m);
    if (s != KILN_STATUS_OK)
        return s;
    kiln_bound *b = calloc(1, sizeof *b);
    if (b == NULL)
        return KILN_STATUS_NOMEM;
    pool->bound = b;
    b->module = m;
    b->global_imports = global_imports;
    b->vmctx_template = calloc(1, m->layout.size);
    if (b->vmctx_template == NULL)
        return KILN_STATUS_NOMEM;
    s = kiln_module_intern(m, (uint32_t *)(b->vmctx_template + m->layout.sig_ids));
    if (s == KILN_STATUS_OK)
        s = bound_layout(b, m);
    if (s == KILN_STATUS_OK)
        s = bound_image(b, m);
    if (s == KILN_STATUS_OK)
        s = bound_reserve(pool, b, m);
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
    s = bound_create(pool, module, global_imports);
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
    return pool != NULL && pool->bound != NULL ? pool->bound->module : NULL;
}

bool kiln_bound_reset(kiln_pool *pool, kiln_instance *inst)
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
    /* Warm: reused often enough that keeping all its initial pages resident (and zeroing
     * them with one memset) beats asking the kernel which ones were touched (mincore). With
     * the LIFO free list, the slots a workload keeps cycling get warm; the others of a big
     * pool keep only the pages their instances touched. */
    bool warm = slot->resets >= KILN_POOL_WARM_RESETS;
    if (slot->resets < UINT32_MAX)
        slot->resets++;
    bool ok = true;
    const kiln_memory_desc *memories = m->memories.p;
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (memories[i].imported)
            continue;
        ok &= kiln_memory_reset(&inst->own_memories[i], memories[i].limits.min * KILN_WASM_PAGE,
                                warm);
    }
    return ok;
}

void kiln_pool_retire(kiln_pool *pool, uint32_t slot)
{
    pthread_mutex_lock(&pool->lock);
    pool->slots[slot].inst = NULL;
    pool->live--;
    bool destroy = pool->closing && pool->live == pool->zombies;
    pthread_mutex_unlock(&pool->lock);
    if (destroy)
        pool_destroy(pool);
}
