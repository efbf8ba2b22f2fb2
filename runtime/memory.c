/* memory.c -- linear memories and the bulk-memory instructions.
 *
 * A guard-page memory owns an 8 GiB PROT_NONE reservation (4 GiB addressable + 4 GiB guard)
 * registered with the signal handler; its first min pages are committed read/write and
 * growing commits more with mprotect. The base never moves, and zext(i32 address) + u32
 * offset + access size always lands inside the reservation, so an access past the committed
 * size faults and becomes "out of bounds memory access". Modules compiled with
 * --bounds-checks get bounds-checked memories instead (below); so does every access to a
 * 64-bit memory (memory64), which the generated code checks in any mode, and whose memory is
 * otherwise an ordinary one of at most 65,536 pages. memory.grow returns -1 (as
 * u64; never traps or aborts) beyond the declared maximum, the pool's max_memory_pages or
 * the instance's (kiln_instance_limits), when the instance's grow callback refuses, or when
 * the kernel refuses to commit. memory.copy/fill/init check the whole ranges in 64-bit
 * arithmetic before writing anything (zero length exactly at the end is fine, one past traps).
 * Shared memories (threads, docs/threads.md) never move: guard-page ones by construction,
 * bounds-checked ones by reserving their whole limit up front. They grow under a lock, so
 * that threads growing one at once each get their own old size, and publish the new size
 * with a release store, which their readers load with acquire ordering (kiln_memory_size).
 * Calls trap.c and the platform layer (os_*.c, signal_posix.c). Called by instance.c and
 * pool.c (set-up, teardown, module pools' reset), generated code and embedders.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

uint64_t kiln_memory_limit(bool has_max, uint64_t max, uint64_t cap_pages, unsigned page_log2)
{
    uint64_t limit = has_max ? max : kiln_max_pages(page_log2);
    uint64_t cap = kiln_cap_pages(cap_pages, page_log2);
    if (limit > cap)
        limit = cap;
    return limit;
}

kiln_status kiln_memory_check(uint64_t min, bool has_max, uint64_t max, uint64_t cap_pages,
                              unsigned page_log2, uint64_t *out_limit)
{
    /* A 64-bit memory may declare a maximum up to 2^64 bytes; it grows to 4 GiB. */
    uint64_t declarable = page_log2 == 16 ? KILN_MAX_PAGES64 : UINT64_MAX;
    if ((page_log2 != 16 && page_log2 != 0) || (has_max && (max < min || max > declarable))) {
        kiln_set_error("invalid memory limits");
        return KILN_STATUS_ARG;
    }
    if (min > kiln_max_pages(page_log2)) {
        kiln_set_error("memory of %llu pages of %llu bytes: Kiln's memories hold at most 4 GiB",
                       (unsigned long long)min, (unsigned long long)1 << page_log2);
        return KILN_STATUS_ARG;
    }
    uint64_t limit = kiln_memory_limit(has_max, max, cap_pages, page_log2);
    if (min > limit) {
        kiln_set_error("memory of %llu pages is over the limit of %llu pages",
                       (unsigned long long)min, (unsigned long long)limit);
        return KILN_STATUS_LIMIT;
    }
    *out_limit = limit;
    return KILN_STATUS_OK;
}

/* ---- Bounds-checked memories ----
 *
 * Modules compiled with --bounds-checks (KILN_MODULE_BOUNDS_CHECKED) check every access
 * themselves and get a memory with no guard region, not registered with the signal handler,
 * never cached by the pool. It is the only kind of memory a 32-bit host (and bare metal,
 * os_baremetal.c) can give, and kiln_memory_new's there. Its base may move: generated code
 * reloads base and size after memory.grow and after every call. It reserves its whole growth
 * limit when that is at most kiln_checked_reserve_max bytes (always on 64-bit hosts and bare
 * metal: the base never moves there); otherwise (32-bit POSIX hosts, where 4 GiB does not
 * fit) max(initial size, 16 MiB), and memory.grow past the reservation moves the memory to
 * one twice as large (at most the limit; mremap on Linux, no copy). A module pool's memory
 * that grows past its slot moves out by copying and back in when the slot is reset.
 */

#if defined(KILN_BAREMETAL)
size_t kiln_checked_reserve_max = SIZE_MAX; /* the firmware's allocator: no moving */
#else
size_t kiln_checked_reserve_max = sizeof(size_t) >= 8 ? SIZE_MAX : (size_t)16u << 20;
#endif

uint64_t kiln_checked_capacity(uint64_t min_pages, uint64_t limit_pages, unsigned page_log2,
                               bool shared)
{
    uint64_t limit = limit_pages << page_log2;
    uint64_t bytes = limit;
    /* Other threads hold a shared memory's base: it never moves, so it has room for its limit
     * from the start. */
    if (limit > kiln_checked_reserve_max && !shared) {
        uint64_t floor = (uint64_t)kiln_checked_reserve_max / KILN_WASM_PAGE * KILN_WASM_PAGE;
        bytes = min_pages << page_log2;
        if (bytes < floor)
            bytes = floor;
        if (bytes == 0)
            bytes = KILN_WASM_PAGE < limit ? KILN_WASM_PAGE : limit;
    }
    /* Whole OS pages (1-byte pages reserve what they may reach, rounded up), at least one,
     * so that a zero-page memory still has a distinct base. */
    uint64_t os_page = kiln_os_page_size();
    bytes = (bytes + os_page - 1) / os_page * os_page;
    return bytes != 0 ? bytes : os_page;
}

/* An 8 GiB guard-page reservation registered with the signal handler: `cached` (a slot's,
 * registered already) or a new one. */
static kiln_status reserve_guarded(kiln_memory_impl *m, void *cached)
{
    if (sizeof(size_t) < 8) {
        kiln_set_error("a module compiled for guard pages needs a 64-bit host: compile it "
                       "with --bounds-checks");
        return KILN_STATUS_ARG;
    }
    void *base = cached;
    if (base == NULL) {
        base = kiln_os_reserve(KILN_MEMORY_RESERVATION);
        if (base == NULL) {
            kiln_set_error("cannot reserve 8 GiB of address space for a linear memory");
            return KILN_STATUS_NOMEM;
        }
        if (!kiln_signal_add_memory((uintptr_t)base, (uintptr_t)base + KILN_MEMORY_RESERVATION)) {
            kiln_os_release(base, KILN_MEMORY_RESERVATION);
            kiln_set_error("too many linear memories");
            return KILN_STATUS_LIMIT;
        }
    }
    m->pub.base.p = base;
    m->pub.reserved = KILN_MEMORY_RESERVATION;
    return KILN_STATUS_OK;
}

/* A bounds-checked memory's own reservation of kiln_checked_capacity bytes: no guard region,
 * not registered with the signal handler. */
static kiln_status reserve_checked(kiln_memory_impl *m, uint64_t min, uint64_t limit,
                                   unsigned page_log2, bool shared)
{
    uint64_t bytes = kiln_checked_capacity(min, limit, page_log2, shared);
    if (bytes > SIZE_MAX && shared) {
        kiln_set_error("a shared memory reserves all it may grow to, %llu bytes, which does not "
                       "fit this host's address space; give it a smaller maximum or lower the "
                       "pool's max_memory_pages",
                       (unsigned long long)bytes);
        return KILN_STATUS_LIMIT;
    }
    if (bytes > SIZE_MAX) {
        kiln_set_error("a memory of %s%llu bytes does not fit this host's address space; "
                       "give it a maximum or lower the pool's max_memory_pages",
                       bytes >= limit << page_log2 ? "up to " : "", (unsigned long long)bytes);
        return KILN_STATUS_LIMIT;
    }
    void *base = kiln_os_reserve((size_t)bytes);
    if (base == NULL && shared) {
        kiln_set_error("cannot reserve %llu bytes for a shared memory (it never moves, so it "
                       "reserves all it may grow to)",
                       (unsigned long long)bytes);
        return KILN_STATUS_NOMEM;
    }
    if (base == NULL) {
        kiln_set_error("cannot reserve %llu bytes for a linear memory", (unsigned long long)bytes);
        return KILN_STATUS_NOMEM;
    }
    m->pub.base.p = base;
    m->pub.reserved = bytes;
    m->own_mapping = true;
    return KILN_STATUS_OK;
}

kiln_status kiln_memory_setup(kiln_memory_impl *m, uint64_t min, bool has_max, uint64_t max,
                              uint64_t cap_pages, unsigned page_log2, bool shared, bool guarded,
                              void *cached)
{
    memset(m, 0, sizeof *m);
    uint64_t limit;
    kiln_status s = kiln_memory_check(min, has_max, max, cap_pages, page_log2, &limit);
    if (s == KILN_STATUS_OK)
        s = guarded ? reserve_guarded(m, cached)
                    : reserve_checked(m, min, limit, page_log2, shared);
    if (s != KILN_STATUS_OK)
        return s;
    if (!kiln_os_commit(m->pub.base.p, (size_t)(min << page_log2))) {
        kiln_memory_teardown(m, false); /* releases the reservation, cached or not */
        kiln_set_error("cannot commit %llu pages of linear memory", (unsigned long long)min);
        return KILN_STATUS_NOMEM;
    }
    uint64_t most = kiln_max_pages(page_log2);
    m->pub.size = min << page_log2;
    m->pub.max_pages = has_max && max < most ? max : most;
    m->page_log2 = (uint8_t)page_log2;
    m->limit_pages = limit;
    m->decl_max = max;
    m->has_max = has_max;
    m->shared = shared;
    return KILN_STATUS_OK;
}

void *kiln_memory_teardown(kiln_memory_impl *m, bool keep)
{
    void *base = m->pub.base.p;
    if (base == NULL)
        return NULL;
    m->pub.base.p = NULL;
    if (m->pub.reserved != KILN_MEMORY_RESERVATION) { /* a bounds-checked memory's own */
        kiln_os_release(base, (size_t)m->pub.reserved);
        m->pub.size = 0;
        return NULL;
    }
    /* A reservation that cannot be decommitted cannot be handed out zeroed again. */
    if (keep && kiln_os_decommit(base, m->pub.size)) {
        m->pub.size = 0;
        return base;
    }
    kiln_signal_remove_memory((uintptr_t)base);
    kiln_os_release(base, KILN_MEMORY_RESERVATION);
    m->pub.size = 0;
    return NULL;
}

/* ---- Module pools' memories ----
 *
 * Memories of module pools (pool.c) live in the pool's reservations and are reset between
 * instances (kiln_memory_reset) instead of being decommitted: pages the memory grew into are
 * decommitted (one system call, only after memory.grow), and the initial pages are put back
 * to what a fresh instance finds, the data image (kiln_memory_image) and zeros, in place, so
 * that the next instance finds them resident (a page fault costs more than rewriting a page:
 * about 2 us against 70 ns on the VM of docs/pools.md). Which pages:
 *   - where the kernel says which pages hold data of their own (kiln_os_written: the ones
 *     instances wrote, in the image file's copy-on-write mapping or in anonymous memory),
 *     only those are rewritten: one system call when no page was written, whatever the size
 *     of the memory or of the image;
 *   - elsewhere, the image file's pages are discarded (back to the file, one madvise) and the
 *     rest zeroed: until its slot is warm (pool.c), the pages mincore reports resident (the
 *     ones some instance touched); a warm slot's memory of at most KILN_POOL_MEMSET_MAX bytes
 *     with one memset, no system call (the first faults in the pages no instance touched
 *     yet). Then the image is copied if the slot does not map it.
 * Runs longer than KILN_POOL_MEMSET_MAX are given back to the kernel (MADV_DONTNEED) rather
 * than written, where that gives the right contents (zeros, or the mapped image).
 */

void kiln_memory_copy_image(uint8_t *base, const kiln_memory_image *image)
{
    for (uint32_t i = 0; i < image->data_count; i++) {
        const kiln_data_desc *d = &image->datas[i];
        if (d->mode == KILN_SEG_MODE_ACTIVE && d->size != 0)
            memcpy(base + (uint32_t)d->offset.value.u.i32, d->bytes.p, d->size);
    }
}

void kiln_memory_restore(uint8_t *base, uint64_t from, uint64_t to, const kiln_memory_image *image)
{
    uint64_t lo = image != NULL ? image->lo : 0, hi = image != NULL ? image->hi : 0;
    if (hi <= from || lo >= to || lo == hi) {
        memset(base + from, 0, (size_t)(to - from));
        return;
    }
    if (from < lo)
        memset(base + from, 0, (size_t)(lo - from));
    uint64_t a = from > lo ? from : lo, b = to < hi ? to : hi;
    memcpy(base + a, image->bytes + (a - lo), (size_t)(b - a));
    if (hi < to)
        memset(base + hi, 0, (size_t)(to - hi));
}

/* Puts [from, to) back: given back to the kernel if long and that yields the right bytes
 * (zeros outside the image; the image itself where the slot maps it), else rewritten. */
static void restore_run(uint8_t *base, uint64_t from, uint64_t to, const kiln_memory_image *image,
                        bool mapped)
{
    bool image_bytes = image != NULL && image->lo < to && image->hi > from && image->lo < image->hi;
    if (to - from > KILN_POOL_MEMSET_MAX && (mapped || !image_bytes) &&
        kiln_os_discard(base + from, (size_t)(to - from)))
        return;
    kiln_memory_restore(base, from, to, image);
}

/* Rewrites the pages of [base, base+bytes) that instances wrote; false (nothing done) if
 * the kernel cannot say which. */
static bool reset_written(uint8_t *base, uint64_t bytes, const kiln_memory_image *image,
                          bool mapped)
{
    void *at = base, *end = base + bytes;
    while (at < end) {
        kiln_os_run runs[32];
        size_t count = 0;
        void *next;
        /* Should the kernel stop answering halfway, the caller's way is right whatever was
         * rewritten already. */
        if (!kiln_os_written(at, (size_t)((uint8_t *)end - (uint8_t *)at), runs,
                             KILN_ARRAY_LEN(runs), &count, &next))
            return false;
        for (size_t i = 0; i < count; i++)
            restore_run(base, runs[i].begin - (uintptr_t)base, runs[i].end - (uintptr_t)base, image,
                        mapped);
        at = next;
    }
    return true;
}

/* Zeroes the pages of [base+from, base+to) that are resident (the ones some instance
 * touched; the others read as zero already). */
static void reset_touched(uint8_t *base, uint64_t from, uint64_t to)
{
    size_t page = kiln_os_page_size();
    uint8_t resident[1024];
    for (uint64_t done = from; done < to;) {
        uint64_t len = to - done;
        if (len > sizeof resident * (uint64_t)page)
            len = sizeof resident * (uint64_t)page;
        size_t pages = (size_t)((len + page - 1) / page);
        uint8_t *chunk = base + done;
        done += len;
        if (!kiln_os_resident(chunk, (size_t)len, resident)) {
            memset(chunk, 0, (size_t)len);
            continue;
        }
        for (size_t i = 0; i < pages;) {
            if (!(resident[i] & 1u)) {
                i++;
                continue;
            }
            size_t j = i;
            while (j < pages && (resident[j] & 1u))
                j++;
            size_t run = (j - i) * page;
            if ((uint64_t)i * page + run > len)
                run = (size_t)len - i * page;
            uint8_t *p = chunk + i * page;
            if (run <= KILN_POOL_MEMSET_MAX || !kiln_os_discard(p, run))
                memset(p, 0, run);
            i = j;
        }
    }
}

bool kiln_memory_reset(kiln_memory_impl *m, uint64_t min_bytes, const kiln_memory_image *image,
                       bool mapped, bool warm)
{
    if (m->home != NULL) { /* grew out of its slot: back in (its pages there are stale) */
        kiln_os_release(m->pub.base.p, (size_t)m->pub.reserved);
        m->pub.base.p = m->home;
        m->pub.reserved = m->home_reserved;
        m->pub.size = m->home_size;
        m->home = NULL;
        m->own_mapping = false;
    }
    uint8_t *base = m->pub.base.p;
    uint64_t size = m->pub.size;
    bool ok = true;
    if (size > min_bytes)
        ok = kiln_os_decommit(base + min_bytes, (size_t)(size - min_bytes));
    m->pub.size = min_bytes;
    if (min_bytes == 0 || reset_written(base, min_bytes, image, mapped))
        return ok;
    /* The kernel cannot say what was written: the mapped file's pages back to the file
     * (rewritten if even that fails), the rest zeroed, the image copied if not mapped. */
    uint64_t file = mapped ? image->file.size : 0;
    if (file != 0 && !kiln_os_discard(base, (size_t)file))
        kiln_memory_restore(base, 0, file, image);
    if (warm && min_bytes <= KILN_POOL_MEMSET_MAX)
        memset(base + file, 0, (size_t)(min_bytes - file));
    else
        reset_touched(base, file, min_bytes);
    if (!mapped && image != NULL)
        kiln_memory_copy_image(base, image);
    return ok;
}

/* A bounds-checked memory outgrowing its reservation: a larger one (double, at most the
 * limit, at least need bytes; exactly need if that fails), its pages moved there. Generated
 * code reloads the base after memory.grow and after every call (docs/abi.md), and the
 * runtime's helpers read it from the record each time. A pool slot's memory is copied out
 * and the slot kept for kiln_memory_reset. */
static bool move_memory(kiln_memory_impl *m, uint64_t need)
{
    uint64_t limit = m->limit_pages << m->page_log2;
    uint64_t want = m->pub.reserved * 2;
    want = (want + KILN_WASM_PAGE - 1) / KILN_WASM_PAGE * KILN_WASM_PAGE;
    if (want < need)
        want = need;
    if (want > limit)
        want = limit;
    uint64_t os_page = kiln_os_page_size(); /* 1-byte pages: whole OS pages */
    want = (want + os_page - 1) / os_page * os_page;
    need = (need + os_page - 1) / os_page * os_page;
    for (;;) {
        if (want <= SIZE_MAX) {
            void *p = kiln_os_move(m->pub.base.p, (size_t)m->pub.size, (size_t)m->pub.reserved,
                                   (size_t)want, !m->own_mapping);
            if (p != NULL) {
                if (!m->own_mapping) {
                    m->home = m->pub.base.p;
                    m->home_reserved = m->pub.reserved;
                    m->home_size = m->pub.size;
                    m->own_mapping = true;
                }
                m->pub.base.p = p;
                m->pub.reserved = want;
                return true;
            }
        }
        if (want == need)
            return false;
        want = need;
    }
}

uint64_t kiln_memory_grow_impl(kiln_memory_impl *m, uint64_t delta_pages)
{
    unsigned log2 = m->page_log2;
    uint64_t old = m->pub.size >> log2;
    if (delta_pages == 0)
        return old;
    if (delta_pages > m->limit_pages - old)
        return UINT64_MAX;
    uint64_t bytes = (old + delta_pages) << log2;
    /* Guard-page reservations (8 GiB) always hold the limit; bounds-checked ones may not. */
    if (bytes > m->pub.reserved && !move_memory(m, bytes))
        return UINT64_MAX;
    /* From the OS page the old end is in (1-byte pages end anywhere). */
    uint64_t from = m->pub.size / kiln_os_page_size() * kiln_os_page_size();
    char *base = m->pub.base.p;
    if (!kiln_os_commit(base + from, (size_t)(bytes - from)))
        return UINT64_MAX;
    /* The pages are committed before any thread can see the size that covers them. */
    kiln_memory_publish_size(m, bytes);
    return old;
}

static kiln_memory_impl *memory_of(kiln_vmctx *vmctx, uint32_t memory)
{
    return kiln_vm_instance(vmctx)->memories[memory];
}

/* Shared memories grow under one of these locks, the one their record's address picks: a
 * lock per memory in effect (two memories rarely share one, and growth is rare), with nothing
 * to set up or tear down wherever a record is made (instances, pool slots, the host). Bare
 * metal's locks are no-ops (one thread). */
#define GROW_LOCKS 16u
static pthread_mutex_t grow_locks[GROW_LOCKS];
static pthread_once_t grow_locks_once = PTHREAD_ONCE_INIT;

static void grow_locks_init(void)
{
    for (unsigned i = 0; i < GROW_LOCKS; i++)
        pthread_mutex_init(&grow_locks[i], NULL);
}

static pthread_mutex_t *grow_lock(const kiln_memory_impl *m)
{
    pthread_once(&grow_locks_once, grow_locks_init);
    return &grow_locks[((uintptr_t)m / sizeof(kiln_ptr64)) % GROW_LOCKS];
}

/* memory.grow of a shared memory: the size read, the host asked and the memory grown as one
 * step, so that concurrent growers each get a distinct old size and the sizes add up. */
static uint64_t grow_shared(kiln_instance *inst, uint32_t memory, kiln_memory_impl *m,
                            uint64_t delta_pages)
{
    pthread_mutex_t *lock = grow_lock(m);
    pthread_mutex_lock(lock);
    uint64_t old = m->pub.size >> m->page_log2;
    uint64_t result;
    if (delta_pages != 0 && delta_pages <= m->limit_pages - old &&
        !kiln_grow_allowed(inst, KILN_GROW_MEMORY, memory, old, old + delta_pages))
        result = UINT64_MAX;
    else
        result = kiln_memory_grow_impl(m, delta_pages);
    pthread_mutex_unlock(lock);
    return result;
}

KILN_API uint64_t kiln_memory_grow(kiln_vmctx *vmctx, uint32_t memory, uint64_t delta_pages)
{
    kiln_memory_impl *m = memory_of(vmctx, memory);
    if (m->shared)
        return grow_shared(kiln_vm_instance(vmctx), memory, m, delta_pages);
    uint64_t old = m->pub.size >> m->page_log2;
    /* The host's say comes after the limit (a growth over it fails without asking). */
    if (delta_pages != 0 && delta_pages <= m->limit_pages - old &&
        !kiln_grow_allowed(kiln_vm_instance(vmctx), KILN_GROW_MEMORY, memory, old,
                           old + delta_pages))
        return UINT64_MAX;
    return kiln_memory_grow_impl(m, delta_pages);
}

/* Whether [at, at + len) lies inside a memory of size bytes (no wrap-around in u64). */
static bool in_bounds(uint64_t at, uint64_t len, uint64_t size)
{
    return at <= size && len <= size - at;
}

KILN_API void kiln_memory_copy(kiln_vmctx *vmctx, uint32_t dst_memory, uint32_t src_memory,
                               uint64_t dst, uint64_t src, uint64_t len)
{
    kiln_memory_impl *d = memory_of(vmctx, dst_memory);
    kiln_memory_impl *s = memory_of(vmctx, src_memory);
    if (!in_bounds(dst, len, kiln_memory_size(d)) || !in_bounds(src, len, kiln_memory_size(s)))
        kiln_trap_raise_from(vmctx, KILN_TRAP_MEMORY_OOB, __builtin_return_address(0));
    /* In bounds: every value fits the host's size_t. */
    if (len != 0)
        memmove((char *)d->pub.base.p + (size_t)dst, (char *)s->pub.base.p + (size_t)src,
                (size_t)len);
}

KILN_API void kiln_memory_fill(kiln_vmctx *vmctx, uint32_t memory, uint64_t dst, uint32_t value,
                               uint64_t len)
{
    kiln_memory_impl *m = memory_of(vmctx, memory);
    if (!in_bounds(dst, len, kiln_memory_size(m)))
        kiln_trap_raise_from(vmctx, KILN_TRAP_MEMORY_OOB, __builtin_return_address(0));
    if (len != 0)
        memset((char *)m->pub.base.p + (size_t)dst, (int)(value & 0xFFu), (size_t)len);
}

kiln_trap kiln_memory_init_checked(kiln_instance *inst, uint32_t memory, uint32_t data,
                                   uint64_t dst, uint32_t src, uint32_t len)
{
    const kiln_data_desc *seg = (const kiln_data_desc *)inst->module->datas.p + data;
    /* A dropped segment behaves as an empty one. */
    uint64_t seg_size = kiln_vm_data_dropped(inst->vmctx)[data] ? 0 : seg->size;
    kiln_memory_impl *m = inst->memories[memory];
    if (!in_bounds(src, len, seg_size) || !in_bounds(dst, len, kiln_memory_size(m)))
        return KILN_TRAP_MEMORY_OOB;
    if (len != 0)
        memcpy((char *)m->pub.base.p + (size_t)dst, (const uint8_t *)seg->bytes.p + src, len);
    return KILN_TRAP_NONE;
}

KILN_API void kiln_memory_init(kiln_vmctx *vmctx, uint32_t memory, uint32_t data, uint64_t dst,
                               uint32_t src, uint32_t len)
{
    kiln_trap trap = kiln_memory_init_checked(kiln_vm_instance(vmctx), memory, data, dst, src, len);
    if (trap != KILN_TRAP_NONE)
        kiln_trap_raise_from(vmctx, trap, __builtin_return_address(0));
}

KILN_API void kiln_data_drop(kiln_vmctx *vmctx, uint32_t data)
{
    kiln_vm_data_dropped(vmctx)[data] = 1;
}

/* ---- Host-owned memories (kiln.h) ---- */

static kiln_status memory_new(uint64_t min_pages, uint64_t max_pages, bool is64, bool shared,
                              kiln_memory **out)
{
    if (out == NULL)
        return KILN_STATUS_ARG;
    kiln_status s = kiln_runtime_init();
    if (s != KILN_STATUS_OK)
        return s;
    bool has_max = max_pages != UINT64_MAX;
    if (shared) { /* counted: instances importing it keep it alive (docs/threads.md) */
        kiln_limits_desc lim = {.min = min_pages, .max = max_pages, .has_max = 1, .shared = 1};
        kiln_memory_impl *m = NULL;
        s = kiln_memory_new_counted(&lim, KILN_MAX_PAGES, sizeof(size_t) >= 8, &m);
        if (s != KILN_STATUS_OK)
            return s;
        m->host_owned = true;
        *out = &m->pub;
        return KILN_STATUS_OK;
    }
    kiln_memory_impl *m = malloc(sizeof *m);
    if (m == NULL)
        return KILN_STATUS_NOMEM;
    /* A 32-bit host runs only bounds-checked modules: give them a memory they can import. */
    s = kiln_memory_setup(m, min_pages, has_max, has_max ? max_pages : 0, KILN_MAX_PAGES, 16,
                          shared, sizeof(size_t) >= 8, NULL);
    if (s != KILN_STATUS_OK) {
        free(m);
        return s;
    }
    m->host_owned = true;
    m->is64 = is64;
    *out = &m->pub;
    return KILN_STATUS_OK;
}

KILN_API kiln_status kiln_memory_new(uint64_t min_pages, uint64_t max_pages, kiln_memory **out)
{
    return memory_new(min_pages, max_pages, false, false, out);
}

KILN_API kiln_status kiln_memory_new64(uint64_t min_pages, uint64_t max_pages, kiln_memory **out)
{
    return memory_new(min_pages, max_pages, true, false, out);
}

KILN_API kiln_status kiln_memory_new_shared(uint64_t min_pages, uint64_t max_pages,
                                            kiln_memory **out)
{
    kiln_clear_error();
    if (out == NULL) {
        kiln_set_error("kiln_memory_new_shared: NULL argument");
        return KILN_STATUS_ARG;
    }
    /* The threads proposal's rule: a shared memory has a maximum (and a 32-bit one at most
     * 65,536 pages). */
    if (max_pages == UINT64_MAX) {
        kiln_set_error("kiln_memory_new_shared: a shared memory needs a maximum");
        return KILN_STATUS_ARG;
    }
    if (max_pages > KILN_MAX_PAGES || min_pages > max_pages) {
        kiln_set_error("kiln_memory_new_shared: invalid memory limits: min %llu, max %llu "
                       "pages (at most 65536)",
                       (unsigned long long)min_pages, (unsigned long long)max_pages);
        return KILN_STATUS_ARG;
    }
    return memory_new(min_pages, max_pages, false, true, out);
}

KILN_API void kiln_memory_free(kiln_memory *memory)
{
    if (memory == NULL)
        return;
    kiln_memory_impl *m = (kiln_memory_impl *)memory;
    if (!m->host_owned)
        return;       /* an instance's memory: freed with the instance */
    if (m->counted) { /* the creator's reference; importers may keep it alive */
        kiln_memory_release_impl(m);
        return;
    }
    kiln_memory_teardown(m, false);
    free(m);
}

KILN_API kiln_status kiln_memory_retain(kiln_memory *memory)
{
    kiln_clear_error();
    kiln_memory_impl *m = (kiln_memory_impl *)memory;
    if (m == NULL || !m->counted) {
        kiln_set_error(m == NULL ? "kiln_memory_retain: NULL argument"
                                 : "kiln_memory_retain: only shared memories are "
                                   "reference-counted; an unshared one lives as long as its "
                                   "instance or until kiln_memory_free");
        return KILN_STATUS_ARG;
    }
    kiln_memory_retain_impl(m);
    return KILN_STATUS_OK;
}

KILN_API void kiln_memory_release(kiln_memory *memory)
{
    kiln_memory_impl *m = (kiln_memory_impl *)memory;
    if (m != NULL && m->counted)
        kiln_memory_release_impl(m);
}

/* ---- Shared memories' lifetime ----
 *
 * A shared memory is its own heap object with a reference count: the instance defining it,
 * every instance importing it and every host handle (kiln_memory_new_shared, kiln_memory_retain)
 * hold one, and the last to let go tears it down. So freeing the instance that defined it
 * changes nothing for the others: a thread blocked in memory.atomic.wait on it stays blocked
 * until a notify from any remaining holder, its instance's interruption or its timeout, and
 * its contents stay. Counts change with relaxed increments and acquire-release decrements:
 * whoever drops the last reference sees every access the others made before dropping theirs. */

kiln_status kiln_memory_new_counted(const kiln_limits_desc *lim, uint64_t cap_pages, bool guarded,
                                    kiln_memory_impl **out)
{
    kiln_memory_impl *m = malloc(sizeof *m);
    if (m == NULL) {
        kiln_set_error("out of memory for a shared memory's record");
        return KILN_STATUS_NOMEM;
    }
    kiln_status s = kiln_memory_setup(m, lim->min, lim->has_max, lim->max, cap_pages,
                                      kiln_desc_page_log2(lim), true, guarded, NULL);
    if (s != KILN_STATUS_OK) {
        free(m);
        return s;
    }
    m->is64 = lim->is64 != 0;
    m->counted = true;
    m->refs = 1;
    *out = m;
    return KILN_STATUS_OK;
}

/* Bare metal has one thread and, on Cortex-M0, no atomic read-modify-write: plain counts. */
#ifdef KILN_BAREMETAL
void kiln_memory_retain_impl(kiln_memory_impl *m)
{
    m->refs++;
}

static bool drop_ref(kiln_memory_impl *m)
{
    return --m->refs == 0;
}
#else
void kiln_memory_retain_impl(kiln_memory_impl *m)
{
    __atomic_fetch_add(&m->refs, 1, __ATOMIC_RELAXED);
}

static bool drop_ref(kiln_memory_impl *m)
{
    return __atomic_fetch_sub(&m->refs, 1, __ATOMIC_ACQ_REL) == 1;
}
#endif

void kiln_memory_release_impl(kiln_memory_impl *m)
{
    if (!drop_ref(m))
        return;
    kiln_memory_teardown(m, false);
    free(m);
}

void kiln_instance_release_memories(kiln_instance *inst)
{
    for (uint32_t i = 0; i < inst->module->memory_count; i++) {
        kiln_memory_impl *m = inst->memories[i];
        if (m != NULL && m->counted) {
            inst->memories[i] = NULL;
            kiln_memory_release_impl(m);
        }
    }
}
