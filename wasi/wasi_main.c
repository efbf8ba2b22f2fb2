/* wasi_main.c -- kiln_wasi_run_main: a WASI command module as a process (kiln/wasi_main.h).
 *
 * Shared by the executables `kiln build` links (their generated main() calls it) and by
 * `kiln run` (which calls it on a dlopen'ed module). The main instance lives in a pool of the
 * run's own, so a trap during instantiation (a start function, a segment out of bounds) is
 * reported with its kind. The exit status is the guest's proc_exit code, 0 when _start
 * returns, or one of the KILN_WASI_MAIN_EXIT_* statuses after a one-line message on stderr.
 * A timeout is a watchdog thread that sleeps until it passes (or the run ends) and then
 * interrupts the guest (kiln_instance_interrupt): it stops at its next interruption check.
 *
 * wasi-threads (docs/threads.md): a module that imports its memory (shared, with a maximum:
 * wasm-ld --import-memory --shared-memory) gets one made here (kiln_memory_new_shared from
 * the import's limits), and one that imports "wasi" "thread-spawn" gets the function below.
 * thread-spawn(arg) instantiates the module again, in the same pool, with the same imports
 * (the shared memory, the one kiln_wasi every instance shares, thread-spawn), starts a
 * detached host thread that calls the new instance's wasi_thread_start(tid, arg), and
 * returns tid (1, 2, ...; never reused; < 2^29) or a negative WASI errno. The run is a
 * process: the first of these ends it, with its status, and interrupts every other
 * instance: _start returning or trapping, any thread's proc_exit or trap, the timeout.
 * Threads are not joined when _start returns (as in wasi-threads); without
 * KILN_WASI_MAIN_AT_EXIT they are interrupted and waited for before anything is freed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasi_impl.h"
#include "kiln/wasi_main.h"

extern char **environ;

static int start_error(const char *what, const char *detail)
{
    fprintf(stderr, "kiln: error: %s%s%s\n", what, detail && *detail ? ": " : "",
            detail ? detail : "");
    return KILN_WASI_MAIN_EXIT_ERROR;
}

/* Prints the name-section name of a function as it is, but for bytes that are not printable
 * ASCII (a name is untrusted input: no terminal escapes reach stderr), written \xHH. */
static void print_name(const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
}

/* The trap's backtrace, one line a frame, innermost first (docs/run.md):
 *   "  at N: NAME" or "  at N: function #INDEX", then " (module PREFIX)" for a frame in
 *   another module than the command's (" (another module)" if it has the same prefix).
 *   Nothing when only the trap site is known. */
static void print_backtrace(const kiln_module *module)
{
    kiln_frame frames[64];
    size_t n = kiln_trap_backtrace(frames, (sizeof frames / sizeof frames[0]));
    if (n > (sizeof frames / sizeof frames[0]))
        n = (sizeof frames / sizeof frames[0]);
    if (n < 2)
        return; /* the trap line named the one frame there is */
    for (size_t i = 0; i < n; i++) {
        const kiln_frame *f = &frames[i];
        fprintf(stderr, "  at %zu: ", i);
        if (f->module == NULL)
            fputs("?", stderr);
        else if (f->name != NULL)
            print_name(f->name, f->name_len);
        else
            fprintf(stderr, "function #%u", f->func_index);
        if (f->module != NULL && f->module != module) {
            /* Its prefix, unless it is the command's too (kiln run compiles every module with
             * the same one). */
            const kiln_module_desc *d = f->module, *main_desc = module;
            if (d->name.len == main_desc->name.len &&
                memcmp(d->name.ptr.p, main_desc->name.ptr.p, d->name.len) == 0) {
                fputs(" (another module)", stderr);
            } else {
                fputs(" (module ", stderr);
                print_name((const char *)d->name.ptr.p, d->name.len);
                fputc(')', stderr);
            }
        }
        fputc('\n', stderr);
    }
}

/* "kiln: trap: MESSAGE[: DETAIL][ in function "NAME"|#INDEX]" on stderr (docs/run.md), then
 * the backtrace. */
static int trap_status(const kiln_module *module, kiln_trap t)
{
    const char *msg = kiln_trap_message(t);
    const char *detail = t == KILN_TRAP_HOST ? kiln_last_error() : "";
    fprintf(stderr, "kiln: trap: %s%s%s", msg, detail && *detail ? ": " : "", detail ? detail : "");
    uint32_t index;
    const char *name;
    size_t name_len;
    if (kiln_module_func_at(module, kiln_last_trap_pc(), &index, &name, &name_len)) {
        if (name != NULL) {
            fputs(" in function \"", stderr);
            print_name(name, name_len);
            fputc('"', stderr);
        } else {
            fprintf(stderr, " in function #%u", index);
        }
    }
    fputc('\n', stderr);
    print_backtrace(module);
    return KILN_WASI_MAIN_EXIT_TRAP;
}

/* ---- The process: its instances and how it ends ---- */

#define MAX_THREADS       1024u             /* spawned threads alive at once */
#define MAX_TID           ((1u << 29) - 1)  /* wasi-threads: tids are below 2^29 */
#define THREAD_STACK_SIZE ((size_t)4 << 20) /* host stack of a spawned thread */

/* How the run ended: the first of these wins (proc.end). */
enum { END_NONE, END_MAIN, END_THREAD, END_TIMEOUT };

typedef struct proc proc;

typedef struct proc_thread {
    proc *p;
    kiln_instance *inst;
    const kiln_funcref *start; /* the instance's wasi_thread_start */
    uint32_t tid, arg;
    struct proc_thread *prev, *next;
} proc_thread;

struct proc {
    const kiln_module *module;
    kiln_wasi *wasi;
    kiln_imports imports; /* what every instance gets */
    kiln_import *items;   /* imports.items when the module imports more than WASI */
    kiln_imports joined;  /* config->imports, then the above (kiln_imports_concat) */
    void *import_env;     /* config->import_env, for every instance */
    char *memory_names;   /* the memory import's module and name, NUL-terminated */
    kiln_memory *memory;  /* the shared memory made for the module's import, or NULL */
    kiln_pool *pool;
    bool spawns; /* imports "wasi" "thread-spawn" */
    kiln_host_func spawn;
    uint8_t spawn_types[2];
    pthread_mutex_t lock; /* guards what follows */
    pthread_cond_t idle;  /* live became 0 */
    kiln_instance *main_inst;
    proc_thread *threads; /* spawned threads whose instance is alive */
    uint32_t live;        /* spawned threads not yet finished (or being started) */
    uint32_t next_tid;
    int end;    /* END_* */
    int status; /* the exit status, once end != END_NONE */
};

/* Ends the run (if it has not ended) with status: every instance but the main thread's, for
 * END_MAIN, is interrupted, so it stops at its next check. Under p->lock. */
static void end_locked(proc *p, int end, int status)
{
    if (p->end != END_NONE)
        return;
    p->end = end;
    p->status = status;
    if (end != END_MAIN && p->main_inst != NULL)
        kiln_instance_interrupt(p->main_inst);
    for (proc_thread *t = p->threads; t != NULL; t = t->next)
        kiln_instance_interrupt(t->inst);
}

/* The exit status of a call that ended with t (not interrupted); prints a trap's line. */
static int status_of(proc *p, kiln_trap t)
{
    int code = 0;
    if (t == KILN_TRAP_NONE)
        return 0;
    if (t == KILN_TRAP_EXIT && kiln_wasi_exit_code(p->wasi, &code))
        return (int)((unsigned)code & 0xffu);
    return trap_status(p->module, t);
}

/* Takes t out of p->threads (p->lock held). */
static void unlist_thread(proc *p, proc_thread *t)
{
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        p->threads = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
}

/* A spawned thread (or an attempt at one) is over: one fewer live, and the last wakes whoever
 * waits for the threads to stop. Takes p->lock. */
static void thread_gone(proc *p)
{
    pthread_mutex_lock(&p->lock);
    if (--p->live == 0)
        pthread_cond_broadcast(&p->idle);
    pthread_mutex_unlock(&p->lock);
}

static void *thread_main(void *arg)
{
    proc_thread *t = arg;
    proc *p = t->p;
    kiln_val args[2] = {{.type = KILN_TYPE_I32, .of.i32 = (int32_t)t->tid},
                        {.type = KILN_TYPE_I32, .of.i32 = (int32_t)t->arg}};
    kiln_trap trap = kiln_call(t->inst, t->start, args, 2, NULL, 0);
    pthread_mutex_lock(&p->lock);
    /* proc_exit or a trap ends the process; so does an interruption nobody asked for. An
     * interruption because the run ended already is that end. */
    if (trap != KILN_TRAP_NONE && p->end == END_NONE)
        end_locked(p, END_THREAD, status_of(p, trap));
    unlist_thread(p, t);
    pthread_mutex_unlock(&p->lock);
    kiln_instance_free(t->inst);
    free(t);
    thread_gone(p);
    return NULL;
}

/* The instance's wasi_thread_start, of type (i32, i32) -> (), or NULL. */
static const kiln_funcref *thread_start_of(kiln_instance *inst)
{
    kiln_extern e;
    uint32_t np, nr;
    const uint8_t *params;
    if (kiln_instance_export(inst, "wasi_thread_start", &e) != KILN_STATUS_OK ||
        e.kind != KILN_KIND_FUNC ||
        kiln_funcref_type(e.of.func, &np, &params, &nr, NULL, NULL) != KILN_STATUS_OK || np != 2 ||
        nr != 0 || params[0] != KILN_TYPE_I32 || params[1] != KILN_TYPE_I32)
        return NULL;
    return e.of.func;
}

/* thread-spawn(start_arg): the new thread's tid, or a negative WASI errno. */
static int32_t spawn(proc *p, uint32_t arg)
{
    pthread_mutex_lock(&p->lock);
    bool ok = p->end == END_NONE && p->live < MAX_THREADS && p->next_tid <= MAX_TID;
    uint32_t tid = ok ? p->next_tid++ : 0;
    if (ok)
        p->live++; /* taken now, so the limit holds while the instance is made */
    pthread_mutex_unlock(&p->lock);
    if (!ok)
        return -WASI_EAGAIN;

    int32_t err = -WASI_ENOMEM;
    proc_thread *t = calloc(1, sizeof *t);
    kiln_trap trap = KILN_TRAP_NONE;
    kiln_status s = t == NULL
                        ? KILN_STATUS_NOMEM
                        : kiln_instance_new_in(p->pool, p->module, &p->imports, &t->inst, &trap);
    if (s == KILN_STATUS_OK && (t->start = thread_start_of(t->inst)) == NULL) {
        err = -WASI_ENOSYS; /* checked on the main instance: cannot happen */
        s = KILN_STATUS_NOT_FOUND;
    }
    if (s == KILN_STATUS_POOL_EXHAUSTED || s == KILN_STATUS_LIMIT)
        err = -WASI_EAGAIN;
    if (s == KILN_STATUS_OK) {
        kiln_instance_set_import_env(t->inst, p->import_env);
        t->p = p;
        t->tid = tid;
        t->arg = arg;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
        pthread_mutex_lock(&p->lock);
        /* Listed before it starts, under the lock: an end from now on interrupts it. */
        if (p->end == END_NONE) {
            t->next = p->threads;
            if (p->threads != NULL)
                p->threads->prev = t;
            p->threads = t;
            pthread_t thread;
            if (pthread_create(&thread, &attr, thread_main, t) == 0) {
                pthread_mutex_unlock(&p->lock);
                pthread_attr_destroy(&attr);
                return (int32_t)tid;
            }
            unlist_thread(p, t);
        }
        err = -WASI_EAGAIN;
        pthread_mutex_unlock(&p->lock);
        pthread_attr_destroy(&attr);
    }
    if (t != NULL)
        kiln_instance_free(t->inst);
    free(t);
    thread_gone(p);
    return err;
}

/* "wasi" "thread-spawn": (param i32) (result i32). */
static kiln_trap thread_spawn(void *env, kiln_instance *caller, const kiln_val *args,
                              kiln_val *results)
{
    (void)caller;
    results[0].type = KILN_TYPE_I32;
    results[0].of.i32 = spawn(env, (uint32_t)args[0].of.i32);
    return KILN_TRAP_NONE;
}

/* An import name for a message: at most 40 bytes of it, every byte that is not printable
 * ASCII written \xHH (the module chose it). */
static void printable(const kiln_str_desc *s, char *out, size_t size)
{
    const unsigned char *p = s->ptr.p;
    size_t n = 0;
    for (uint32_t i = 0; i < s->len && i < 40 && n + 5 < size; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
            out[n++] = (char)p[i];
        else
            n += (size_t)snprintf(out + n, size - n, "\\x%02x", p[i]);
    }
    out[n] = '\0';
}

static bool str_is(const kiln_str_desc *s, const char *want)
{
    return s->len == strlen(want) && memcmp(s->ptr.p, want, s->len) == 0;
}

/* The imports of the module beyond WASI: its memory and thread-spawn (wasi-threads).
 * Returns 0, or KILN_WASI_MAIN_EXIT_ERROR after a message. */
static int proc_wasi_imports(proc *p)
{
    kiln_imports wasi;
    kiln_status s = kiln_wasi_imports(p->wasi, &wasi);
    if (s != KILN_STATUS_OK)
        return start_error(kiln_status_message(s), kiln_last_error());
    p->imports = wasi;
    const kiln_import_desc *im = p->module->imports.p;
    const kiln_import_desc *memory = NULL;
    for (uint32_t i = 0; i < p->module->import_count; i++) {
        if (im[i].kind == KILN_KIND_MEMORY) {
            if (memory != NULL)
                return start_error("the module imports more than one memory", NULL);
            memory = &im[i];
        } else if (im[i].kind == KILN_KIND_FUNC && str_is(&im[i].module, "wasi") &&
                   str_is(&im[i].name, "thread-spawn")) {
            p->spawns = true;
        }
    }
    if (memory == NULL && !p->spawns)
        return 0;
    char what[256];
    if (memory != NULL) {
        char module_name[64], name[64];
        printable(&memory->module, module_name, sizeof module_name);
        printable(&memory->name, name, sizeof name);
        snprintf(what, sizeof what, "the module imports its memory (\"%s\" \"%s\")", module_name,
                 name);
        const kiln_limits_desc *l = &memory->limits;
        if (!l->shared)
            return start_error(what, "it is not shared; only a wasi-threads program's shared "
                                     "memory is made by the host (wasm-ld --import-memory "
                                     "--shared-memory)");
        if (!l->has_max)
            return start_error(what, "a shared memory needs a maximum (wasm-ld --max-memory)");
        if (l->is64 || l->one_byte_pages)
            return start_error(what, "only 32-bit memories of 64 KiB pages can be made for it");
        if ((s = kiln_memory_new_shared(l->min, l->max, &p->memory)) != KILN_STATUS_OK)
            return start_error(what, kiln_last_error());
    } else {
        return start_error("the module imports \"wasi\" \"thread-spawn\" but not its memory",
                           "wasi-threads instances share an imported memory (wasm-ld "
                           "--import-memory --shared-memory)");
    }
    size_t n = wasi.count + 2;
    p->items = calloc(n, sizeof *p->items);
    char *names = malloc(memory->module.len + memory->name.len + 2);
    p->memory_names = names;
    if (names == NULL || p->items == NULL)
        return start_error("out of memory", NULL);
    memcpy(p->items, wasi.items, wasi.count * sizeof *p->items);
    n = wasi.count;
    memcpy(names, memory->module.ptr.p, memory->module.len);
    names[memory->module.len] = '\0';
    char *name = names + memory->module.len + 1;
    memcpy(name, memory->name.ptr.p, memory->name.len);
    name[memory->name.len] = '\0';
    p->items[n++] = (kiln_import){names, name, {.kind = KILN_KIND_MEMORY, .of.memory = p->memory}};
    if (p->spawns) {
        p->spawn_types[0] = p->spawn_types[1] = KILN_TYPE_I32;
        p->spawn = (kiln_host_func){.fn = thread_spawn,
                                    .env = p,
                                    .param_count = 1,
                                    .result_count = 1,
                                    .params = &p->spawn_types[0],
                                    .results = &p->spawn_types[1]};
        p->items[n++] = (kiln_import){
            "wasi", "thread-spawn", {.kind = KILN_KIND_HOST_FUNC, .of.host = &p->spawn}};
    }
    p->imports.items = p->items;
    p->imports.count = n;
    return 0;
}

/* WASI's imports (proc_wasi_imports) after the host's extra ones (config->imports), which
 * bind first. */
static int proc_imports(proc *p, const kiln_wasi_config *config)
{
    int status = proc_wasi_imports(p);
    if (status != 0 || config->imports == NULL || config->imports->count == 0)
        return status;
    const kiln_imports *lists[2] = {config->imports, &p->imports};
    kiln_status s = kiln_imports_concat(lists, 2, &p->joined);
    if (s != KILN_STATUS_OK)
        return start_error(kiln_status_message(s), kiln_last_error());
    p->imports = p->joined;
    return 0;
}

/* Frees what the run made, once no spawned thread runs (it waits for them: they were
 * interrupted when the run ended). */
static void proc_free(proc *p)
{
    pthread_mutex_lock(&p->lock);
    end_locked(p, END_MAIN, 0); /* a no-op unless the run never started */
    while (p->live != 0)
        pthread_cond_wait(&p->idle, &p->lock);
    pthread_mutex_unlock(&p->lock);
    kiln_instance_free(p->main_inst);
    kiln_pool_free(p->pool);
    kiln_memory_free(p->memory);
    free(p->memory_names);
    free(p->items);
    kiln_imports_free(&p->joined);
    kiln_wasi_free(p->wasi);
    pthread_cond_destroy(&p->idle);
    pthread_mutex_destroy(&p->lock);
}

/* ---- The timeout's watchdog ---- */

typedef struct watchdog {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done; /* the run is over: stand down */
    proc *p;
    struct timespec until; /* CLOCK_MONOTONIC */
} watchdog;

static void *watchdog_main(void *arg)
{
    watchdog *w = arg;
    pthread_mutex_lock(&w->lock);
    int rc = 0;
    while (!w->done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&w->done_cond, &w->lock, &w->until);
    if (!w->done) {
        pthread_mutex_lock(&w->p->lock);
        end_locked(w->p, END_TIMEOUT, KILN_WASI_MAIN_EXIT_TIMEOUT);
        pthread_mutex_unlock(&w->p->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Starts w for the run; false (the run goes on without a timeout) if a thread cannot start. */
static bool watchdog_start(watchdog *w, proc *p, uint64_t timeout_ns)
{
    w->p = p;
    w->done = false;
    clock_gettime(CLOCK_MONOTONIC, &w->until);
    uint64_t ns = (uint64_t)w->until.tv_nsec + timeout_ns % 1000000000u;
    w->until.tv_sec += (time_t)(timeout_ns / 1000000000u + ns / 1000000000u);
    w->until.tv_nsec = (long)(ns % 1000000000u);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    bool ok = pthread_mutex_init(&w->lock, NULL) == 0;
    ok = ok && pthread_cond_init(&w->done_cond, &attr) == 0;
    pthread_condattr_destroy(&attr);
    return ok && pthread_create(&w->thread, NULL, watchdog_main, w) == 0;
}

/* Ends the watchdog. */
static void watchdog_stop(watchdog *w)
{
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->done_cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->done_cond);
    pthread_mutex_destroy(&w->lock);
}

/* "kiln: timeout: the guest ran longer than 1.5s". */
static int timeout_status(uint64_t ns)
{
    if (ns % 1000000u == 0)
        fprintf(stderr, "kiln: timeout: the guest ran longer than %gs\n", (double)ns / 1e9);
    else
        fprintf(stderr, "kiln: timeout: the guest ran longer than %gms\n", (double)ns / 1e6);
    return KILN_WASI_MAIN_EXIT_TIMEOUT;
}

/* Runs _start of the instantiated module on this thread; returns the exit status. */
static int run_start(proc *p, uint64_t timeout_ns)
{
    kiln_instance *inst = p->main_inst;
    kiln_extern start;
    if (kiln_instance_export(inst, "_start", &start) != KILN_STATUS_OK ||
        start.kind != KILN_KIND_FUNC)
        return start_error("the module has no function export \"_start\"", "not a WASI command");
    if (timeout_ns != 0 && !(p->module->flags & KILN_MODULE_INTERRUPT_CHECKS))
        return start_error("cannot stop the guest after its timeout",
                           "the module was compiled with --no-interrupt-checks");
    if (p->spawns && !(p->module->flags & KILN_MODULE_INTERRUPT_CHECKS))
        return start_error("cannot run a wasi-threads module compiled with "
                           "--no-interrupt-checks",
                           "a thread's exit or trap must stop the others");
    if (p->spawns && thread_start_of(inst) == NULL)
        return start_error("the module imports \"wasi\" \"thread-spawn\" but has no function "
                           "export \"wasi_thread_start\" of type (i32, i32) -> ()",
                           NULL);
    watchdog w;
    bool timed = timeout_ns != 0 && watchdog_start(&w, p, timeout_ns);
    if (timeout_ns != 0 && !timed)
        return start_error("cannot start the timeout's thread", NULL);
    kiln_trap t = kiln_call(inst, start.of.func, NULL, 0, NULL, 0);
    if (timed)
        watchdog_stop(&w);
    pthread_mutex_lock(&p->lock);
    int status;
    if (p->end == END_THREAD) {
        status = p->status; /* another thread's exit or trap came first */
    } else if (p->end == END_TIMEOUT && t == KILN_TRAP_INTERRUPTED) {
        status = timeout_status(timeout_ns);
    } else {
        p->end = END_NONE; /* a timeout the guest finished before noticing: its own status */
        end_locked(p, END_MAIN, status_of(p, t));
        status = p->status;
    }
    pthread_mutex_unlock(&p->lock);
    return status;
}

/* What a KILN_WASI_MAIN_AT_EXIT run leaves to the OS, kept reachable. */
static proc left_at_exit;

KILN_API int kiln_wasi_run_main_flags(const kiln_module *module, const kiln_wasi_config *config,
                                      unsigned flags, int argc, char **argv)
{
    if (module == NULL || config == NULL || argc < 0 || (argc > 0 && argv == NULL))
        return start_error("kiln_wasi_run_main", "NULL module or config, or bad argc/argv");
    if (flags & ~(KILN_WASI_MAIN_INHERIT_ENV | KILN_WASI_MAIN_AT_EXIT))
        return start_error("kiln_wasi_run_main_flags", "unknown flag");
    bool inherit_env = flags & KILN_WASI_MAIN_INHERIT_ENV;
    kiln_wasi_config cfg = *config;
    cfg.argv = (const char *const *)argv;
    cfg.argc = (size_t)argc;
    const char *verbose = getenv("KILN_WASI_VERBOSE");
    if (verbose != NULL && strcmp(verbose, "1") == 0)
        cfg.flags |= KILN_WASI_VERBOSE;

    const char **env = NULL;
    if (inherit_env) {
        size_t host = 0;
        while (environ != NULL && environ[host] != NULL)
            host++;
        env = malloc((host + config->env_count + 1) * sizeof *env);
        if (env == NULL)
            return start_error("out of memory", NULL);
        for (size_t i = 0; i < host; i++)
            env[i] = environ[i];
        for (size_t i = 0; i < config->env_count; i++)
            env[host + i] = config->env[i];
        cfg.env = env;
        cfg.env_count = host + config->env_count;
    }

    int status;
    proc *p = (flags & KILN_WASI_MAIN_AT_EXIT) ? &left_at_exit : &(proc){0};
    memset(p, 0, sizeof *p);
    p->module = module;
    p->next_tid = 1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->idle, NULL);
    kiln_status s = kiln_wasi_new(&cfg, &p->wasi);
    free(env); /* kiln_wasi_new copied the strings */
    if (s != KILN_STATUS_OK) {
        status = start_error(kiln_status_message(s), kiln_wasi_last_error());
        goto done;
    }
    p->import_env = config->import_env;
    if ((status = proc_imports(p, config)) != 0)
        goto done;
    /* Threads: a slot per instance alive at once. A slot's records are made at first use. */
    kiln_pool_config pc = {.slots = p->spawns ? MAX_THREADS + 1 : 1};
    if ((s = kiln_pool_new(&pc, &p->pool)) != KILN_STATUS_OK) {
        status = start_error(kiln_status_message(s), kiln_last_error());
        goto done;
    }
    kiln_trap t = KILN_TRAP_NONE;
    kiln_instance *inst = NULL;
    s = kiln_instance_new_in(p->pool, module, &p->imports, &inst, &t);
    if (s == KILN_STATUS_TRAP) {
        status = status_of(p, t);
        goto done;
    }
    if (s != KILN_STATUS_OK) {
        status = start_error(kiln_status_message(s), kiln_last_error());
        goto done;
    }
    kiln_instance_set_import_env(inst, p->import_env);
    pthread_mutex_lock(&p->lock);
    p->main_inst = inst;
    pthread_mutex_unlock(&p->lock);
    status = run_start(p, config->timeout_ns);
    if (flags & KILN_WASI_MAIN_AT_EXIT)
        return status; /* spawned threads were interrupted; the process ends now */
done:
    proc_free(p);
    return status;
}

KILN_API int kiln_wasi_run_main_env(const kiln_module *module, const kiln_wasi_config *config,
                                    bool inherit_env, int argc, char **argv)
{
    return kiln_wasi_run_main_flags(module, config, inherit_env ? KILN_WASI_MAIN_INHERIT_ENV : 0,
                                    argc, argv);
}

KILN_API int kiln_wasi_run_main(const kiln_module *module, const kiln_wasi_config *config, int argc,
                                char **argv)
{
    return kiln_wasi_run_main_flags(module, config, 0, argc, argv);
}
