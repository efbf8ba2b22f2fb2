/* task.c -- calls that run on their own stack and can suspend (tasks, kiln_yield), and the
 * pools of stacks they run on (docs/yield.md).
 *
 * A task is one kiln_call made on a stack of its own. kiln_task_start takes a stack from a
 * pool (kiln_stacks), lays out the task record at its top and switches the thread to it
 * (kiln_stack_switch, stack_switch_ARCH.S: callee-saved registers and the stack pointer).
 * kiln_yield, called by a host function the task runs, switches back to the stack that
 * started or resumed the task; kiln_task_resume switches to the task again. Each switch also
 * swaps the part of the thread's runtime state that belongs to a stack (kiln_stack_ctx: the
 * chain of entries, the wasm stack limit, the stack bounds the signal handler classifies
 * faults by), so a trap unwinds to the task's own entry, an overflow of a task stack is
 * "call stack exhausted", and interrupts find the task's entries while it runs. While a task
 * is suspended, its instances name no running thread (runner_tid 0: an interrupt request
 * only sets the stop bits, which the resumed host call takes); on resume their vmctx stack
 * limits are written again, since another call may have changed them meanwhile.
 * Stacks are pooled like memories: one PROT_NONE reservation per pool, a stack committed at
 * its first use and kept; a freed stack keeps its top KILN_TASK_WARM bytes resident while
 * fewer than `cached` free stacks do (the pages below are given back), else all of it goes
 * back (MADV_DONTNEED; the mapping stays, so nothing is remapped on reuse).
 * Sanitizers are told about every switch (ASan's and TSan's fiber interfaces).
 * A task is bound to its thread: code compiled for a thread may keep the address of its
 * thread-local data across a call that yields, so a task never resumes on another thread.
 * Calls os_posix.c / os_baremetal.c (stack memory), sig.c (signatures), trap.c (errors),
 * call.c (kiln_call, on the task's stack) and stack_switch_ARCH.S. Called by embedders and
 * by host functions (kiln_yield).
 */
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

#if defined(__SANITIZE_ADDRESS__)
#define KILN_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define KILN_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KILN_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define KILN_TSAN 1
#endif
#endif
#ifdef KILN_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef KILN_TSAN
#include <sanitizer/tsan_interface.h>
#endif

/* Smallest stack: the task record, kiln_call's and kiln_enter's frames and some wasm. */
#define MIN_STACK ((size_t)16u * 1024u)

struct kiln_stacks {
    size_t stack_size; /* usable bytes of each stack (pages) */
    size_t guard;      /* PROT_NONE bytes below each (0 on bare metal) */
    size_t stride;     /* guard + stack_size */
    uint32_t count;
    uint32_t cached_max; /* free stacks that keep their pages */
    char *region;        /* count * stride bytes, reserved */
    pthread_mutex_t lock;
    /* Free stacks: warm ones (pages kept) at free[0, warm), cold ones (given back) at
     * free[count - cold, count); slots [fresh, count) were never used (not committed). */
    uint32_t *free;
    uint8_t *puts; /* [count]: times each stack came back (wrapping) */
    uint32_t warm, cold, fresh;
    uint32_t live;
    bool closing;
    bool is_default;
};

struct kiln_task {
    kiln_task_head head; /* first: kiln_task_cancelling (runtime_impl.h) reads it */
    kiln_task_state state;
    kiln_stacks *stacks;
    uint32_t slot;
    kiln_thread *thread; /* &kiln_tls of the thread that started it */
    void *sp;            /* the task's stack pointer while it is not running */
    void *back_sp;       /* the resumer's while it runs */
    kiln_stack_ctx own;  /* the task's stack state while it is not running */
    kiln_stack_ctx back; /* the resumer's while it runs */
    kiln_instance *inst;
    const kiln_funcref *func;
    kiln_val *args, *results; /* after the record, at the top of the stack */
    uint32_t arg_count, result_count;
    kiln_val value; /* the latest yield's value, then the resume's */
    kiln_trap trap;
    uintptr_t lo, hi; /* the usable stack: [lo, hi), hi just below the record */
#ifdef KILN_ASAN
    void *fake_stack;        /* ASan's fake stack of the task while it is switched out */
    const void *back_bottom; /* the resumer's stack, as ASan knows it */
    size_t back_size;
#endif
#ifdef KILN_TSAN
    void *fiber, *back_fiber;
#endif
};

/* ---- Stacks ---- */

static char *slot_lo(const kiln_stacks *s, uint32_t slot)
{
    return s->region + (size_t)slot * s->stride + s->guard;
}

static void stacks_destroy(kiln_stacks *s)
{
    kiln_os_release(s->region, (size_t)s->count * s->stride);
    pthread_mutex_destroy(&s->lock);
    free(s->free);
    free(s->puts);
    free(s);
}

KILN_API kiln_status kiln_stacks_new(const kiln_stacks_config *config, kiln_stacks **out)
{
    if (out == NULL)
        return KILN_STATUS_ARG;
    kiln_stacks_config cfg = {0};
    if (config != NULL)
        cfg = *config;
    size_t page = kiln_os_page_size();
    uint32_t count = cfg.count ? cfg.count : KILN_TASK_STACKS;
    size_t size = cfg.stack_size ? cfg.stack_size : KILN_TASK_STACK_SIZE;
    if (count > KILN_MAX_POOL_SLOTS || size > ((size_t)1 << 30) || size < MIN_STACK) {
        kiln_set_error("kiln_stacks_new: %u stacks of %zu bytes: want at most %u stacks of "
                       "16 KiB to 1 GiB",
                       (unsigned)count, size, (unsigned)KILN_MAX_POOL_SLOTS);
        return KILN_STATUS_ARG;
    }
    size = (size + page - 1) / page * page;
    size_t guard = kiln_os_stack_guard();
    size_t stride = guard + size;
    if (stride > SIZE_MAX / count) {
        kiln_set_error("kiln_stacks_new: %u stacks of %zu bytes do not fit the address space",
                       (unsigned)count, size);
        return KILN_STATUS_NOMEM;
    }
    kiln_stacks *s = calloc(1, sizeof *s);
    uint32_t *free_slots = calloc(count, sizeof *free_slots);
    uint8_t *puts = calloc(count, 1);
    char *region = s && free_slots && puts ? kiln_os_reserve((size_t)count * stride) : NULL;
    if (region == NULL) {
        kiln_set_error("kiln_stacks_new: cannot reserve %u stacks of %zu bytes", (unsigned)count,
                       size);
        free(s);
        free(free_slots);
        free(puts);
        return KILN_STATUS_NOMEM;
    }
    s->puts = puts;
    s->stack_size = size;
    s->guard = guard;
    s->stride = stride;
    s->count = count;
    s->cached_max = cfg.cached ? cfg.cached : KILN_TASK_CACHED;
    s->region = region;
    s->free = free_slots;
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return KILN_STATUS_OK;
}

KILN_API void kiln_stacks_free(kiln_stacks *s)
{
    if (s == NULL || s->is_default)
        return;
    pthread_mutex_lock(&s->lock);
    bool now = s->live == 0;
    s->closing = !now;
    pthread_mutex_unlock(&s->lock);
    if (now)
        stacks_destroy(s);
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static kiln_stacks *default_stacks;
static kiln_status default_status;

static void default_init(void)
{
    default_status = kiln_stacks_new(NULL, &default_stacks);
    if (default_status == KILN_STATUS_OK)
        default_stacks->is_default = true;
}

/* A free stack of s: a warm one, else one given back, else a fresh one (committed now). */
static kiln_status stacks_take(kiln_stacks *s, uint32_t *out)
{
    kiln_status status = KILN_STATUS_OK;
    pthread_mutex_lock(&s->lock);
    if (s->closing) {
        status = KILN_STATUS_ARG;
    } else if (s->warm > 0) {
        *out = s->free[--s->warm];
    } else if (s->cold > 0) {
        *out = s->free[s->count - s->cold--];
    } else if (s->fresh < s->count) {
        if (kiln_os_commit(slot_lo(s, s->fresh), s->stack_size))
            *out = s->fresh++;
        else
            status = KILN_STATUS_NOMEM;
    } else {
        status = KILN_STATUS_POOL_EXHAUSTED;
    }
    if (status == KILN_STATUS_OK)
        s->live++;
    pthread_mutex_unlock(&s->lock);
    if (status == KILN_STATUS_POOL_EXHAUSTED)
        kiln_set_error("all %u task stacks are in use", (unsigned)s->count);
    else if (status == KILN_STATUS_NOMEM)
        kiln_set_error("cannot commit a task stack of %zu bytes", s->stack_size);
    else if (status == KILN_STATUS_ARG)
        kiln_set_error("the pool of stacks is being freed");
    return status;
}

/* Whether the PROBE bytes below a stack's warm top hold anything but zeros: a call went
 * deeper than KILN_TASK_WARM since the pages below were last given back (then they read as
 * zeros, and reading them maps the kernel's zero page, which takes no memory). Every frame
 * that crosses that line writes its return address or saved registers into them, unless it
 * is larger than PROBE and leaves its top unwritten: the periodic trim catches those. Plain
 * reads of memory the sanitizers may still think of as a dead frame's. */
#define PROBE 1024u
#if defined(KILN_ASAN) || defined(KILN_TSAN)
#define UNSANITIZED __attribute__((no_sanitize_address, no_sanitize_thread))
#else
#define UNSANITIZED
#endif
UNSANITIZED static bool went_deep(const char *top)
{
    const uint64_t *p = (const uint64_t *)(const void *)(top - KILN_TASK_WARM - PROBE);
    uint64_t any = 0;
    for (size_t i = 0; i < PROBE / sizeof *p; i++)
        any |= p[i];
    return any != 0;
}

/* Gives a stack back: warm while fewer than cached_max free stacks are, else all of its
 * memory goes back. A warm stack keeps its top KILN_TASK_WARM bytes; the pages below go back
 * when the probe below that part shows a deeper call, after a stack overflow, and on every
 * 32nd reuse of the slot (a frame that jumped over the probe). */
static void stacks_put(kiln_stacks *s, uint32_t slot, bool overflowed)
{
    char *lo = slot_lo(s, slot);
    pthread_mutex_lock(&s->lock);
    if (s->warm < s->cached_max) {
        if (s->guard != 0 && s->stack_size > KILN_TASK_WARM &&
            (overflowed || (++s->puts[slot] & 31u) == 0 || went_deep(lo + s->stack_size)))
            kiln_os_discard(lo, s->stack_size - KILN_TASK_WARM);
        s->free[s->warm++] = slot;
    } else {
        if (s->guard != 0)
            kiln_os_discard(lo, s->stack_size);
        s->free[s->count - ++s->cold] = slot;
    }
    bool last = --s->live == 0 && s->closing;
    pthread_mutex_unlock(&s->lock);
    if (last)
        stacks_destroy(s);
}

/* ---- Switching ---- */

static void ctx_save(const kiln_thread *t, kiln_stack_ctx *c)
{
    c->top = t->top;
    c->depth = t->depth;
    c->task = t->task;
    c->stack_lo = t->stack_lo;
    c->stack_hi = t->stack_hi;
    c->stack_guard = t->stack_guard;
    c->limit = t->limit;
}

/* The signal handlers read these fields on this thread: fences keep the stores in order
 * with the switch. A signal between here and the switch sees the new stack's state with the
 * PC in runtime code, which it never acts on. */
static void ctx_load(kiln_thread *t, const kiln_stack_ctx *c)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->top = c->top;
    t->depth = c->depth;
    t->task = c->task;
    t->stack_lo = c->stack_lo;
    t->stack_hi = c->stack_hi;
    t->stack_guard = c->stack_guard;
    t->limit = c->limit;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

#ifdef KILN_STACK_SWITCH

/* From the resumer's stack to the task's; returns when the task yields or ends. */
static void switch_in(kiln_thread *t, kiln_task *task)
{
    ctx_save(t, &task->back);
    ctx_load(t, &task->own);
    task->state = KILN_TASK_RUNNING;
#ifdef KILN_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, (const void *)task->lo, task->hi - task->lo);
#endif
#ifdef KILN_TSAN
    task->back_fiber = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(task->fiber, 0);
#endif
    kiln_stack_switch(&task->back_sp, task->sp, task);
#ifdef KILN_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

/* From the task's stack back to its resumer; returns when the task is resumed (never if
 * final: the task has ended). The caller has set task->state. */
static void switch_out(kiln_thread *t, kiln_task *task, bool final)
{
    ctx_save(t, &task->own);
    ctx_load(t, &task->back);
#ifdef KILN_ASAN
    __sanitizer_start_switch_fiber(final ? NULL : &task->fake_stack, task->back_bottom,
                                   task->back_size);
#else
    (void) final;
#endif
#ifdef KILN_TSAN
    __tsan_switch_to_fiber(task->back_fiber, 0);
#endif
    kiln_stack_switch(&task->sp, task->back_sp, NULL);
#ifdef KILN_ASAN
    __sanitizer_finish_switch_fiber(task->fake_stack, &task->back_bottom, &task->back_size);
#endif
}

/* The first function on a task's stack. */
static void task_main(void *arg)
{
    kiln_task *task = arg;
#ifdef KILN_ASAN
    __sanitizer_finish_switch_fiber(NULL, &task->back_bottom, &task->back_size);
#endif
    kiln_trap trap = kiln_call(task->inst, task->func, task->args, task->arg_count, task->results,
                               task->result_count);
    task->trap = trap;
    task->state = trap == KILN_TRAP_NONE ? KILN_TASK_RETURNED : KILN_TASK_TRAPPED;
    switch_out(&kiln_tls, task, true);
    __builtin_trap(); /* a finished task is never switched to again */
}

#endif

/* While the task is suspended no thread runs its instances: an interrupt request sets the
 * stop bits only, and the resumed host call takes them (call.c). */
static void entries_suspend(const kiln_thread *t)
{
    for (kiln_entry *e = t->top; e != NULL; e = e->prev)
        __atomic_store_n(&kiln_vm_instance(e->vmctx)->runner_tid, 0, __ATOMIC_RELAXED);
}

/* Back on the task: its instances run on this thread again (ordered with the stop bits as
 * kiln_enter orders them), and each entered vmctx gets the stack limit of its innermost entry
 * back: the one in force while that entry was the innermost, which the entry above it saved. */
static void entries_resume(const kiln_thread *t)
{
    uint64_t limit = t->limit;
    for (kiln_entry *e = t->top; e != NULL; e = e->prev) {
        bool inner = false;
        for (kiln_entry *f = t->top; f != e && !inner; f = f->prev)
            inner = f->vmctx == e->vmctx;
        if (!inner)
            e->vmctx->stack_limit = limit;
        limit = e->saved_thread;
        __atomic_store_n(&kiln_vm_instance(e->vmctx)->runner_tid, t->tid, __ATOMIC_RELAXED);
    }
    if (!kiln_signal_barrier)
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* ---- The API ---- */

static const kiln_val zero_val;

KILN_API kiln_status kiln_task_start(kiln_stacks *stacks, kiln_instance *inst,
                                     const kiln_funcref *func, const kiln_val *args,
                                     size_t arg_count, kiln_task **out)
{
    uint32_t np, nr;
    const uint8_t *params, *rtypes;
    if (out == NULL || inst == NULL || func == NULL || (arg_count && args == NULL)) {
        kiln_set_error("kiln_task_start: NULL argument");
        return KILN_STATUS_ARG;
    }
#ifndef KILN_STACK_SWITCH
    (void)stacks, (void)np, (void)nr, (void)params, (void)rtypes;
    kiln_set_error("kiln_task_start: the runtime has no stack switch for this target");
    return KILN_STATUS_UNSUPPORTED;
#else
    if (!kiln_sig_get(func->sig, &np, &params, &nr, &rtypes) || func->array_entry.p == NULL) {
        kiln_set_error("kiln_task_start: not a function reference");
        return KILN_STATUS_ARG;
    }
    if (arg_count != np) {
        kiln_set_error("kiln_task_start: the function takes %u arguments, not %zu", (unsigned)np,
                       arg_count);
        return KILN_STATUS_ARG;
    }
    for (uint32_t i = 0; i < np; i++) {
        if (args[i].type != params[i]) {
            kiln_set_error("kiln_task_start: argument %u has the wrong type", (unsigned)i);
            return KILN_STATUS_ARG;
        }
    }
    if (!kiln_check_ref_args("kiln_task_start", func->sig, args, np))
        return KILN_STATUS_ARG;
    if (stacks == NULL) {
        pthread_once(&default_once, default_init);
        if (default_status != KILN_STATUS_OK)
            return default_status;
        stacks = default_stacks;
    }
    size_t record = (sizeof(kiln_task) + ((size_t)np + nr) * sizeof(kiln_val) + 63) & ~(size_t)63;
    if (record > stacks->stack_size / 4) {
        kiln_set_error("kiln_task_start: %u parameters and %u results do not fit a stack of %zu "
                       "bytes",
                       (unsigned)np, (unsigned)nr, stacks->stack_size);
        return KILN_STATUS_LIMIT;
    }
    kiln_thread *t = &kiln_tls;
    if (!t->ready)
        kiln_thread_setup(t); /* on the thread's own stack: t->task is NULL */
    uint32_t slot;
    kiln_status status = stacks_take(stacks, &slot);
    if (status != KILN_STATUS_OK)
        return status;

    char *lo = slot_lo(stacks, slot);
    char *top = lo + stacks->stack_size;
    kiln_task *task = (kiln_task *)(void *)(top - record);
    memset(task, 0, sizeof *task);
    task->stacks = stacks;
    task->slot = slot;
    task->thread = t;
    task->inst = inst;
    task->func = func;
    task->args = (kiln_val *)(task + 1);
    task->results = task->args + np;
    task->arg_count = np;
    task->result_count = nr;
    if (np)
        memcpy(task->args, args, np * sizeof *args);
    task->lo = (uintptr_t)lo;
    task->hi = (uintptr_t)task & ~(uintptr_t)15;
    task->own.task = task;
    task->own.stack_lo = task->lo;
    task->own.stack_hi = task->hi;
    task->own.stack_guard = stacks->guard;
    task->sp = kiln_stack_prepare((void *)task->hi, task_main);
#ifdef KILN_TSAN
    /* A fiber per task: a finished task never returns from its first frames, so a fiber
     * reused by the next task would keep their entries on its shadow call stack. */
    task->fiber = __tsan_create_fiber(0);
#endif
    switch_in(t, task);
    *out = task;
    return KILN_STATUS_OK;
#endif
}

KILN_API kiln_status kiln_task_resume(kiln_task *task, const kiln_val *value)
{
    if (task == NULL || task->state != KILN_TASK_SUSPENDED) {
        kiln_set_error("kiln_task_resume: the task is not suspended");
        return KILN_STATUS_ARG;
    }
    if (task->thread != &kiln_tls) {
        kiln_set_error("kiln_task_resume: the task was started on another thread");
        return KILN_STATUS_ARG;
    }
    task->value = value != NULL ? *value : zero_val;
#ifdef KILN_STACK_SWITCH
    switch_in(&kiln_tls, task);
#endif
    return KILN_STATUS_OK;
}

KILN_API kiln_status kiln_yield(kiln_instance *caller, const kiln_val *value, kiln_val *resumed)
{
    kiln_thread *t = &kiln_tls;
    kiln_task *task = t->task;
    if (caller == NULL || task == NULL || t->top == NULL) {
        kiln_set_error(caller == NULL ? "kiln_yield: NULL caller"
                                      : "kiln_yield: the calling code does not run in a task");
        return KILN_STATUS_ARG;
    }
    if (task->head.cancelled)
        return KILN_STATUS_CANCELLED;
    task->value = value != NULL ? *value : zero_val;
    task->state = KILN_TASK_SUSPENDED;
    entries_suspend(t);
#ifdef KILN_STACK_SWITCH
    switch_out(t, task, false);
#endif
    if (task->head.cancelled)
        return KILN_STATUS_CANCELLED;
    entries_resume(t);
    if (resumed != NULL)
        *resumed = task->value;
    return KILN_STATUS_OK;
}

KILN_API kiln_task_state kiln_task_get_state(const kiln_task *task)
{
    return task != NULL ? task->state : KILN_TASK_TRAPPED;
}

KILN_API const kiln_val *kiln_task_yielded(const kiln_task *task)
{
    return task != NULL && task->state == KILN_TASK_SUSPENDED ? &task->value : NULL;
}

KILN_API kiln_trap kiln_task_trap(const kiln_task *task)
{
    return task != NULL && task->state == KILN_TASK_TRAPPED ? task->trap : KILN_TRAP_NONE;
}

KILN_API const kiln_val *kiln_task_results(const kiln_task *task, size_t *count)
{
    bool returned = task != NULL && task->state == KILN_TASK_RETURNED;
    if (count != NULL)
        *count = returned ? task->result_count : 0;
    return returned ? task->results : NULL;
}

KILN_API kiln_instance *kiln_task_instance(const kiln_task *task)
{
    return task != NULL ? task->inst : NULL;
}

KILN_API kiln_status kiln_task_free(kiln_task *task)
{
    if (task == NULL)
        return KILN_STATUS_OK;
    if (task->state == KILN_TASK_RUNNING) {
        kiln_set_error("kiln_task_free: the task is running");
        return KILN_STATUS_ARG;
    }
    if (task->state == KILN_TASK_SUSPENDED) {
        if (task->thread != &kiln_tls) {
            kiln_set_error("kiln_task_free: a suspended task is freed on its own thread");
            return KILN_STATUS_ARG;
        }
        /* Unwind it: its kiln_yield returns KILN_STATUS_CANCELLED, its host functions return
         * into traps, no wasm runs again; it ends TRAPPED. */
        task->head.cancelled = true;
#ifdef KILN_STACK_SWITCH
        switch_in(&kiln_tls, task);
#endif
    }
#ifdef KILN_TSAN
    __tsan_destroy_fiber(task->fiber);
#endif
    stacks_put(task->stacks, task->slot,
               task->state == KILN_TASK_TRAPPED && task->trap == KILN_TRAP_STACK_EXHAUSTED);
    return KILN_STATUS_OK;
}
