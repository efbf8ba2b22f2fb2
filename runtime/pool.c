/* pool.c -- pools of instance slots.
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
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void pool_destroy(kiln_pool *pool)
{
    for (uint32_t i = 0; i < pool->config.slots; i++) {
        kiln_slot *slot = &pool->slots[i];
        if (slot->inst != NULL) /* a zombie */
            kiln_instance_destroy(slot->inst, false);
        if (slot->reservation != NULL) {
            kiln_signal_remove_memory((uintptr_t)slot->reservation);
            kiln_os_release(slot->reservation, KILN_MEMORY_RESERVATION);
        }
        free(slot->block);
    }
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
        kiln_set_error("all %u slots of the pool are in use", pool->config.slots);
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
