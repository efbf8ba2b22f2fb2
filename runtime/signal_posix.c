/* signal_posix.c -- turning guard-page faults of generated code into traps, and stack
 * overflows of host code that wasm called.
 *
 * kiln_runtime_init installs SIGSEGV/SIGBUS handlers once (SA_SIGINFO | SA_ONSTACK), recording
 * the previous ones. The handler claims a fault only if the thread is inside wasm and either
 * the PC is in a registered range of generated code and the address is in a registered
 * linear-memory reservation (-> "out of bounds memory access") or the thread's stack guard
 * (-> "call stack exhausted"), or host code below the wasm stack limit ran off the bottom of
 * the thread's stack (host_stack_overflow -> "call stack exhausted"); everything else goes to
 * the previous handler as the kernel would have run it (see chain). Lookups read fixed arrays
 * guarded per entry by a sequence counter, so the handler never waits. Each thread entering
 * wasm gets an alternate signal stack (a stack overflow can only be handled on another
 * stack), freed by a pthread key destructor. A memory fault leaves it before unwinding
 * (context_redirect + trampoline: sigreturn restores the mask, and sanitizers are slow to
 * longjmp off an alternate stack); a stack overflow jumps from it after unblocking the
 * signal.
 * Interruption (docs/tasks.md): kiln_signal_interrupt sends KILN_INTERRUPT_SIGNAL (SIGURG,
 * ignored by default, so a stray one harms nothing) to the thread running the instance. If
 * the innermost entry's instance has stop bits set and the PC is in generated code, the
 * handler leaves through the trampoline with KILN_TRAP_INTERRUPTED; if the PC is elsewhere (a
 * runtime helper, libc, a host function), it tries again a little later with a per-thread
 * timer, backing off, until the stop is taken or the thread leaves wasm. A requester orders
 * its stop bits with the runner's kiln_enter by membarrier(2) when the kernel offers it.
 * Defines kiln_tls. Calls os_posix.c, interrupt.c (kiln_interrupt_taken) and the inline
 * kiln_unwind. Called by trap.c (thread set-up), memory.c, module.c, pool.c (registries),
 * interrupt.c (kiln_signal_interrupt).
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime_impl.h"

/* ---- The one architecture-specific part: the interrupted context's PC and SP ---- */

static void context_pc_sp(const void *uc_void, uintptr_t *pc, uintptr_t *sp)
{
    const ucontext_t *uc = (const ucontext_t *)uc_void;
#if defined(__x86_64__)
    *pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    *sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    *pc = (uintptr_t)uc->uc_mcontext.pc;
    *sp = (uintptr_t)uc->uc_mcontext.sp;
#elif defined(__riscv) && __riscv_xlen == 64
    *pc = (uintptr_t)uc->uc_mcontext.__gregs[REG_PC];
    *sp = (uintptr_t)uc->uc_mcontext.__gregs[REG_SP];
#elif defined(__arm__)
    *pc = (uintptr_t)uc->uc_mcontext.arm_pc;
    *sp = (uintptr_t)uc->uc_mcontext.arm_sp;
#else
#error "signal_posix.c: add this architecture's PC/SP in context_pc_sp and context_redirect"
#endif
}

/* The interrupted context's frame pointer (the start of a trap's frame walk, trap.c). */
static uintptr_t context_fp(const void *uc_void)
{
    const ucontext_t *uc = (const ucontext_t *)uc_void;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.regs[29];
#elif defined(__riscv) && __riscv_xlen == 64
    return (uintptr_t)uc->uc_mcontext.__gregs[8]; /* s0 */
#elif defined(__arm__)
    return (uintptr_t)uc->uc_mcontext.arm_fp;
#else
#error "signal_posix.c: add this architecture's PC/SP in context_pc_sp and context_redirect"
#endif
}

/* Makes the interrupted context resume in fn(arg) on its own stack, as if the faulting
 * instruction had called fn: below the red zone, 16-byte aligned, null return address. */
static void context_redirect(void *uc_void, void (*fn)(uint32_t), uint32_t arg)
{
    ucontext_t *uc = (ucontext_t *)uc_void;
#if defined(__x86_64__)
    uintptr_t sp = ((uintptr_t)uc->uc_mcontext.gregs[REG_RSP] - 128) & ~(uintptr_t)15;
    sp -= 8; /* the pushed return address: at entry (sp + 8) % 16 == 0 */
    *(uintptr_t *)sp = 0;
    uc->uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
    uc->uc_mcontext.gregs[REG_RDI] = (greg_t)arg;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)fn;
#elif defined(__aarch64__)
    uc->uc_mcontext.sp = (uc->uc_mcontext.sp - 128) & ~(unsigned long long)15;
    uc->uc_mcontext.regs[30] = 0; /* lr */
    uc->uc_mcontext.regs[0] = arg;
    uc->uc_mcontext.pc = (uintptr_t)fn;
#elif defined(__riscv) && __riscv_xlen == 64
    uc->uc_mcontext.__gregs[REG_SP] = (uc->uc_mcontext.__gregs[REG_SP] - 128) & ~15ul;
    uc->uc_mcontext.__gregs[REG_RA] = 0;
    uc->uc_mcontext.__gregs[REG_A0] = arg;
    uc->uc_mcontext.__gregs[REG_PC] = (uintptr_t)fn;
#elif defined(__arm__)
    /* AAPCS: 8-byte aligned stack (16 here too), no red zone. Bit 0 of a function address
     * selects Thumb: the CPSR T bit follows it, and the IT state of an interrupted Thumb
     * if-then block (bits 26:25, 15:10) must not apply to fn's first instructions. */
    uintptr_t target = (uintptr_t)fn;
    unsigned long cpsr = uc->uc_mcontext.arm_cpsr & ~0x0600fc00ul;
    cpsr = (target & 1u) ? cpsr | 0x20ul : cpsr & ~0x20ul;
    uc->uc_mcontext.arm_sp = (uc->uc_mcontext.arm_sp - 128) & ~15ul;
    uc->uc_mcontext.arm_lr = 0;
    uc->uc_mcontext.arm_r0 = arg;
    uc->uc_mcontext.arm_pc = target & ~(uintptr_t)1;
    uc->uc_mcontext.arm_cpsr = cpsr;
#endif
}

/* ---- Lock-free address-range sets ---- */

typedef struct range_entry {
    _Atomic uint32_t seq; /* odd while being written */
    _Atomic uintptr_t begin, end;
} range_entry;

typedef struct range_set {
    range_entry *entries;
    uint32_t capacity;
    _Atomic uint32_t used; /* high-water mark: readers scan [0, used) */
} range_set;

static range_entry code_entries[KILN_MAX_CODE_RANGES];
static range_entry memory_entries[KILN_MAX_MEMORY_RANGES];
static range_set code_ranges = {code_entries, KILN_MAX_CODE_RANGES, 0};
static range_set memory_ranges = {memory_entries, KILN_MAX_MEMORY_RANGES, 0};
static pthread_mutex_t range_lock = PTHREAD_MUTEX_INITIALIZER;

static void range_write(range_entry *e, uintptr_t begin, uintptr_t end)
{
    uint32_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);
    atomic_store_explicit(&e->seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&e->begin, begin, memory_order_relaxed);
    atomic_store_explicit(&e->end, end, memory_order_relaxed);
    atomic_store_explicit(&e->seq, s + 2, memory_order_release);
}

/* Async-signal-safe. An entry being rewritten is skipped: it is either being added (nothing
 * can fault in it yet) or removed (its owner is gone). */
static bool range_contains(range_set *set, uintptr_t addr)
{
    uint32_t used = atomic_load_explicit(&set->used, memory_order_acquire);
    for (uint32_t i = 0; i < used; i++) {
        range_entry *e = &set->entries[i];
        uint32_t s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
        if (s1 & 1u)
            continue;
        uintptr_t begin = atomic_load_explicit(&e->begin, memory_order_relaxed);
        uintptr_t end = atomic_load_explicit(&e->end, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&e->seq, memory_order_relaxed) != s1)
            continue;
        if (addr >= begin && addr < end)
            return true;
    }
    return false;
}

/* Adds [begin, end); with unique, an identical range already present counts as added. */
static bool range_add(range_set *set, uintptr_t begin, uintptr_t end, bool unique)
{
    bool ok = false;
    pthread_mutex_lock(&range_lock);
    uint32_t used = atomic_load_explicit(&set->used, memory_order_relaxed);
    range_entry *free_entry = NULL;
    for (uint32_t i = 0; i < used; i++) {
        range_entry *e = &set->entries[i];
        uintptr_t b = atomic_load_explicit(&e->begin, memory_order_relaxed);
        uintptr_t en = atomic_load_explicit(&e->end, memory_order_relaxed);
        if (unique && b == begin && en == end) {
            ok = true;
            goto out_unlock;
        }
        if (b == 0 && en == 0 && free_entry == NULL)
            free_entry = e;
    }
    if (free_entry == NULL && used < set->capacity) {
        free_entry = &set->entries[used];
        range_write(free_entry, begin, end);
        atomic_store_explicit(&set->used, used + 1, memory_order_release);
        ok = true;
    } else if (free_entry != NULL) {
        range_write(free_entry, begin, end);
        ok = true;
    }
out_unlock:
    pthread_mutex_unlock(&range_lock);
    return ok;
}

static void range_remove(range_set *set, uintptr_t begin)
{
    pthread_mutex_lock(&range_lock);
    uint32_t used = atomic_load_explicit(&set->used, memory_order_relaxed);
    for (uint32_t i = 0; i < used; i++) {
        range_entry *e = &set->entries[i];
        if (atomic_load_explicit(&e->begin, memory_order_relaxed) == begin) {
            range_write(e, 0, 0);
            break;
        }
    }
    pthread_mutex_unlock(&range_lock);
}

bool kiln_signal_in_code(uintptr_t pc)
{
    return range_contains(&code_ranges, pc);
}

bool kiln_signal_add_code(uintptr_t begin, uintptr_t end)
{
    return begin < end && range_add(&code_ranges, begin, end, true);
}

bool kiln_signal_add_memory(uintptr_t begin, uintptr_t end)
{
    return begin < end && range_add(&memory_ranges, begin, end, false);
}

void kiln_signal_remove_memory(uintptr_t begin)
{
    range_remove(&memory_ranges, begin);
}

/* ---- The handler ---- */

static struct sigaction prev_segv, prev_bus;

static struct sigaction *previous_action(int sig)
{
    return sig == SIGBUS ? &prev_bus : &prev_segv;
}

/* Runs the handler that was installed before Kiln's as the kernel would have: SA_SIGINFO or
 * plain, with its sa_mask, SA_NODEFER and SA_RESETHAND. SIG_DFL (and SIG_IGN, which the kernel
 * does not honour for a synchronous fault) restores the default action and returns, so the
 * faulting instruction runs again and the process dies of the original signal. */
static void chain(int sig, siginfo_t *info, void *uc)
{
    struct sigaction *prev = previous_action(sig);
    struct sigaction act = *prev;
    bool from_kernel = info != NULL && info->si_code > 0;

    if (!(act.sa_flags & SA_SIGINFO) && (act.sa_handler == SIG_DFL || act.sa_handler == SIG_IGN)) {
        /* A synchronous fault cannot be ignored: the kernel forces the default action. A
         * SIGSEGV sent with kill() is honoured as ignored. */
        if (act.sa_handler == SIG_IGN && !from_kernel)
            return;
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, NULL);
        if (!from_kernel)
            raise(sig); /* pending until this handler returns, then fatal */
        return;         /* the faulting instruction runs again and now kills the process */
    }

    if (act.sa_flags & SA_RESETHAND) {
        memset(prev, 0, sizeof *prev);
        prev->sa_handler = SIG_DFL;
    }
    /* The mask the kernel would have set for the previous handler: ours plus its sa_mask,
     * with the signal itself unblocked under SA_NODEFER. sigreturn restores ours. */
    sigset_t mask = act.sa_mask;
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    if (act.sa_flags & SA_NODEFER) {
        sigemptyset(&mask);
        sigaddset(&mask, sig);
        pthread_sigmask(SIG_UNBLOCK, &mask, NULL);
    }
    if (act.sa_flags & SA_SIGINFO)
        act.sa_sigaction(sig, info, uc);
    else
        act.sa_handler(sig);
}

static bool in_stack_guard(const kiln_thread *t, uintptr_t addr)
{
    if (t->stack_lo == 0)
        return false;
    size_t page = kiln_os_page_size();
    size_t guard = t->stack_guard > page ? t->stack_guard : page;
    uintptr_t low = t->stack_lo > guard + KILN_STACK_GUARD_SLOP
                        ? t->stack_lo - guard - KILN_STACK_GUARD_SLOP
                        : 0;
    uintptr_t high = t->limit > t->stack_lo ? (uintptr_t)t->limit : t->stack_lo;
    return addr >= low && addr < high;
}

/* Bytes below the stack pointer that code may touch without moving it (the x86-64 red zone
 * is 128). */
#define BELOW_SP_SLACK 256u

/* Host code called from wasm (a host function, a grow callback, a runtime helper) ran out of
 * stack: the thread is deeper than wasm may go (sp below the wasm limit, in the headroom)
 * and addr lies below its usable stack, in the guard region, or in the frame of a stack
 * pointer that itself left the stack (a frame larger than the guard, written from its lowest
 * byte), by less than the stack's own size. */
static bool host_stack_overflow(const kiln_thread *t, uintptr_t addr, uintptr_t sp)
{
    if (t->stack_lo == 0 || sp >= t->limit || addr >= t->stack_lo)
        return false;
    if (in_stack_guard(t, addr))
        return true;
    return sp < t->stack_lo && t->stack_lo - sp <= t->stack_hi - t->stack_lo &&
           addr + BELOW_SP_SLACK >= sp;
}

/* Leaves the handler for the innermost entry, from the alternate stack: the faulting stack
 * has no room for a trampoline. Unblocks the signal first (entries do not save the mask). */
KILN_NORETURN static void unwind_from_handler(kiln_thread *t, int sig, uint32_t trap,
                                              int saved_errno)
{
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, sig);
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
    errno = saved_errno;
    kiln_unwind(t, trap);
}

/* Entered through context_redirect, on the thread's own stack with its own signal mask. */
KILN_NORETURN static void unwind_trampoline(uint32_t trap)
{
    kiln_unwind(&kiln_tls, trap);
}

static void fault_handler(int sig, siginfo_t *info, void *uc)
{
    int saved_errno = errno;
    kiln_thread *t = &kiln_tls;
    if (t->depth > 0 && t->top != NULL && info != NULL && info->si_code > 0) {
        uintptr_t pc, sp;
        context_pc_sp(uc, &pc, &sp);
        uintptr_t addr = (uintptr_t)info->si_addr;
        if (range_contains(&code_ranges, pc)) {
            bool in_memory = range_contains(&memory_ranges, addr);
            /* kiln_last_trap_pc() and the backtrace, if this fault becomes a trap */
            kiln_trap_walk(t, pc, context_fp(uc), sp, 0);
            if (in_memory && sp > t->limit && sp - t->limit >= KILN_REDIRECT_ROOM) {
                /* Leave the alternate stack first: sigreturn restores the thread's signal
                 * mask (no system call of ours), and the unwind runs on the thread's stack
                 * (sanitizers' longjmp interceptors handle jumps off an alternate stack
                 * very slowly). */
                context_redirect(uc, unwind_trampoline, KILN_TRAP_MEMORY_OOB);
                errno = saved_errno;
                return;
            }
            if (in_memory)
                unwind_from_handler(t, sig, KILN_TRAP_MEMORY_OOB, saved_errno);
            if (in_stack_guard(t, addr))
                unwind_from_handler(t, sig, KILN_TRAP_STACK_EXHAUSTED, saved_errno);
        } else if (host_stack_overflow(t, addr, sp)) {
            /* The host frames between the fault and the entry are abandoned, as a trap a
             * host function raises abandons wasm frames: safe for code that holds no lock
             * and owns nothing at that point (docs/abi.md, "Stack headroom"). */
            kiln_trap_note(t, 0);
            unwind_from_handler(t, sig, KILN_TRAP_STACK_EXHAUSTED, saved_errno);
        }
    }
    errno = saved_errno;
    chain(sig, info, uc);
    errno = saved_errno;
}

/* ---- Interruption ---- */

#define KILN_INTERRUPT_SIGNAL SIGURG
/* The retry timer's first delay and its longest (the delay doubles while a stop waits). */
#define RETRY_FIRST_NS (50u * 1000u)
#define RETRY_MAX_NS   (5u * 1000u * 1000u)

bool kiln_signal_barrier;
static struct sigaction prev_urg;
static int retry_cookie; /* its address tells the retry timer's signals from others */

/* The calling thread's retry timer (created by kiln_thread_setup). */
static _Thread_local struct {
    timer_t timer;
    bool have;
    uint32_t next_ns;
} retry;

static void retry_arm(void)
{
    if (!retry.have)
        return;
    if (retry.next_ns == 0)
        retry.next_ns = RETRY_FIRST_NS;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_nsec = (long)retry.next_ns;
    timer_settime(retry.timer, 0, &its, NULL);
    retry.next_ns = retry.next_ns * 2 > RETRY_MAX_NS ? RETRY_MAX_NS : retry.next_ns * 2;
}

static void retry_reset(void)
{
    if (!retry.have || retry.next_ns == 0)
        return;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    timer_settime(retry.timer, 0, &its, NULL);
    retry.next_ns = 0;
}

void kiln_signal_interrupt(kiln_instance *inst)
{
    /* After this, the runner's store of its id (kiln_enter) is visible here, or its entry
     * check will see the stop bits set before. */
    if (kiln_signal_barrier)
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    uint32_t tid = __atomic_load_n(&inst->runner_tid, __ATOMIC_SEQ_CST);
    if (tid != 0)
        syscall(SYS_tgkill, (long)getpid(), (long)tid, KILN_INTERRUPT_SIGNAL);
}

static void interrupt_handler(int sig, siginfo_t *info, void *uc)
{
    int saved_errno = errno;
    kiln_thread *t = &kiln_tls;
    bool ours =
        info != NULL && info->si_code == SI_TIMER && info->si_value.sival_ptr == &retry_cookie;
    if (t->depth > 0 && t->top != NULL) {
        kiln_vmctx *vm = t->top->vmctx;
        if (__atomic_load_n(&vm->interrupt, __ATOMIC_RELAXED) != 0) {
            ours = true;
            uintptr_t pc, sp;
            context_pc_sp(uc, &pc, &sp);
            if (range_contains(&code_ranges, pc) && sp > t->limit &&
                sp - t->limit >= KILN_REDIRECT_ROOM) {
                kiln_trap_walk(t, pc, context_fp(uc), sp, 0);
                kiln_interrupt_taken(vm);
                retry_reset();
                context_redirect(uc, unwind_trampoline, KILN_TRAP_INTERRUPTED);
            } else {
                retry_arm(); /* not in wasm code right now: again soon */
            }
        }
    }
    if (t->depth == 0)
        retry_reset();
    errno = saved_errno;
    if (ours)
        return;
    /* Not Kiln's: the handler before ours, if there was one (SIGURG's default is to ignore). */
    if (prev_urg.sa_flags & SA_SIGINFO)
        prev_urg.sa_sigaction(sig, info, uc);
    else if (prev_urg.sa_handler != SIG_DFL && prev_urg.sa_handler != SIG_IGN)
        prev_urg.sa_handler(sig);
    errno = saved_errno;
}

static bool install_interrupt(void)
{
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = interrupt_handler;
    /* SA_RESTART: a host function's system call goes on where the signal found it. */
    act.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&act.sa_mask);
    if (sigaction(KILN_INTERRUPT_SIGNAL, NULL, &prev_urg) != 0 ||
        sigaction(KILN_INTERRUPT_SIGNAL, &act, NULL) != 0)
        return false;
    /* Without it (an old kernel, a seccomp filter, an emulator), kiln_enter fences. */
    kiln_signal_barrier =
        syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    return true;
}

/* ---- Process and thread setup ---- */

_Thread_local kiln_thread kiln_tls;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static kiln_status init_status = KILN_STATUS_OK;
static pthread_key_t thread_key;

static void thread_exit(void *arg)
{
    kiln_thread *t = arg;
    if (t->own_altstack) {
        stack_t cur;
        /* Only undo our own stack, and only if it is still the installed one. */
        if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == (char *)t->altstack + kiln_os_page_size())
            sigaltstack(&t->prev_altstack, NULL);
        kiln_os_release(t->altstack, t->altstack_size);
        t->own_altstack = false;
        t->altstack = NULL;
    }
    if (retry.have) {
        timer_delete(retry.timer);
        retry.have = false;
    }
    free(t->last_exn); /* kiln_last_exception's (exn.c) */
    t->last_exn = NULL;
    t->ready = false;
}

static bool set_handler(int sig)
{
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = fault_handler;
    act.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&act.sa_mask);
    return sigaction(sig, &act, NULL) == 0;
}

static bool install(int sig, struct sigaction *prev)
{
    /* Record the previous handler before ours can run. */
    return sigaction(sig, NULL, prev) == 0 && set_handler(sig);
}

void kiln_signal_rearm(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS};
    for (size_t i = 0; i < KILN_ARRAY_LEN(sigs); i++) {
        struct sigaction cur;
        if (sigaction(sigs[i], NULL, &cur) == 0 &&
            (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != fault_handler))
            set_handler(sigs[i]);
    }
}

static void init_once_fn(void)
{
    if (pthread_key_create(&thread_key, thread_exit) != 0) {
        init_status = KILN_STATUS_NOMEM;
        return;
    }
    if (!install(SIGSEGV, &prev_segv) || !install(SIGBUS, &prev_bus) || !install_interrupt())
        init_status = KILN_STATUS_LIMIT;
}

KILN_API kiln_status kiln_runtime_init(void)
{
    if (pthread_once(&init_once, init_once_fn) != 0)
        return KILN_STATUS_LIMIT;
    return init_status;
}

void kiln_thread_setup(kiln_thread *t)
{
    /* Once per thread: for the main thread glibc reads /proc/self/maps. */
    if (!t->stack_queried && !kiln_os_thread_stack(&t->stack_lo, &t->stack_hi, &t->stack_guard)) {
        t->stack_lo = t->stack_hi = 0;
        t->stack_guard = 0;
    }
    t->stack_queried = true;
    t->tid = (uint32_t)syscall(SYS_gettid);
    if (!retry.have) {
        /* The interrupt handler's retries, as the same signal to this thread. */
        struct sigevent ev;
        memset(&ev, 0, sizeof ev);
        ev.sigev_notify = SIGEV_THREAD_ID;
        ev.sigev_signo = KILN_INTERRUPT_SIGNAL;
        ev.sigev_value.sival_ptr = &retry_cookie;
        ev._sigev_un._tid = (pid_t)t->tid;
        retry.have = timer_create(CLOCK_MONOTONIC, &ev, &retry.timer) == 0;
    }

    stack_t cur;
    bool have = sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) &&
                cur.ss_size >= KILN_ALTSTACK_MIN;
    if (!have) {
        size_t page = kiln_os_page_size();
        size_t size = KILN_ALTSTACK_SIZE + page; /* the lowest page stays a guard */
        void *mem = kiln_os_reserve(size);
        if (mem != NULL && kiln_os_commit((char *)mem + page, KILN_ALTSTACK_SIZE)) {
            stack_t ss;
            memset(&ss, 0, sizeof ss);
            ss.ss_sp = (char *)mem + page;
            ss.ss_size = KILN_ALTSTACK_SIZE;
            ss.ss_flags = 0;
            if (sigaltstack(&ss, &t->prev_altstack) == 0) {
                t->altstack = mem;
                t->altstack_size = size;
                t->own_altstack = true;
                mem = NULL;
            }
        }
        if (mem != NULL) {
            kiln_os_release(mem, size);
            return; /* not ready: retried at the next outermost entry */
        }
    }
    if (kiln_runtime_init() == KILN_STATUS_OK)
        pthread_setspecific(thread_key, t);
    t->ready = true;
}
