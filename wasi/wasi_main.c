/* wasi_main.c -- kiln_wasi_run_main: a WASI command module as a process (kiln/wasi_main.h).
 *
 * Shared by the executables `kiln build` links (their generated main() calls it) and by
 * `kiln run` (which calls it on a dlopen'ed module). One instance in a pool of its own, so
 * a trap during instantiation (a start function, a segment out of bounds) is reported with
 * its kind. The exit status is the guest's proc_exit code, 0 when _start returns, or one of
 * the KILN_WASI_MAIN_EXIT_* statuses after a one-line message on stderr. A timeout is a
 * watchdog thread that sleeps until it passes (or the run ends) and then interrupts the
 * instance (kiln_instance_interrupt): the guest stops at its next interruption check.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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

/* "kiln: trap: MESSAGE[: DETAIL][ in function "NAME"|#INDEX]" on stderr (docs/run.md). */
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
    return KILN_WASI_MAIN_EXIT_TRAP;
}

/* ---- The timeout's watchdog ---- */

typedef struct watchdog {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done;  /* the run is over: stand down */
    bool fired; /* the timeout passed and the instance was interrupted */
    kiln_instance *inst;
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
        w->fired = true;
        kiln_instance_interrupt(w->inst);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Starts w for inst; false (the run goes on without a timeout) if a thread cannot start. */
static bool watchdog_start(watchdog *w, kiln_instance *inst, uint64_t timeout_ns)
{
    w->inst = inst;
    w->done = w->fired = false;
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

/* Ends the watchdog; true if it fired. */
static bool watchdog_stop(watchdog *w)
{
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->done_cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->done_cond);
    pthread_mutex_destroy(&w->lock);
    return w->fired;
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

/* Runs _start of an instantiated module; returns the exit status. */
static int run_start(const kiln_module *module, kiln_instance *inst, const kiln_wasi *wasi,
                     uint64_t timeout_ns)
{
    kiln_extern start;
    if (kiln_instance_export(inst, "_start", &start) != KILN_STATUS_OK ||
        start.kind != KILN_KIND_FUNC)
        return start_error("the module has no function export \"_start\"", "not a WASI command");
    if (timeout_ns != 0 && !(module->flags & KILN_MODULE_INTERRUPT_CHECKS))
        return start_error("cannot stop the guest after its timeout",
                           "the module was compiled with --no-interrupt-checks");
    watchdog w;
    bool timed = timeout_ns != 0 && watchdog_start(&w, inst, timeout_ns);
    if (timeout_ns != 0 && !timed)
        return start_error("cannot start the timeout's thread", NULL);
    kiln_trap t = kiln_call(inst, start.of.func, NULL, 0, NULL, 0);
    if (timed && watchdog_stop(&w) && t == KILN_TRAP_INTERRUPTED)
        return timeout_status(timeout_ns);
    if (t == KILN_TRAP_NONE)
        return 0;
    int code = 0;
    if (t == KILN_TRAP_EXIT && kiln_wasi_exit_code(wasi, &code))
        return (int)((unsigned)code & 0xffu);
    return trap_status(module, t);
}

/* What a KILN_WASI_MAIN_AT_EXIT run leaves to the OS, kept reachable. */
static struct {
    kiln_wasi *wasi;
    kiln_pool *pool;
    kiln_instance *inst;
} left_at_exit;

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
    kiln_wasi *wasi = NULL;
    kiln_pool *pool = NULL;
    kiln_instance *inst = NULL;
    kiln_status s = kiln_wasi_new(&cfg, &wasi);
    free(env); /* kiln_wasi_new copied the strings */
    if (s != KILN_STATUS_OK)
        return start_error(kiln_status_message(s), kiln_wasi_last_error());
    kiln_imports imports;
    kiln_pool_config pc = {.slots = 1};
    if ((s = kiln_wasi_imports(wasi, &imports)) != KILN_STATUS_OK ||
        (s = kiln_pool_new(&pc, &pool)) != KILN_STATUS_OK) {
        status = start_error(kiln_status_message(s), kiln_last_error());
        goto done;
    }
    kiln_trap t = KILN_TRAP_NONE;
    s = kiln_instance_new_in(pool, module, &imports, &inst, &t);
    if (s == KILN_STATUS_TRAP) {
        int code = 0;
        status = t == KILN_TRAP_EXIT && kiln_wasi_exit_code(wasi, &code)
                     ? (int)((unsigned)code & 0xffu)
                     : trap_status(module, t);
        goto done;
    }
    if (s != KILN_STATUS_OK) {
        status = start_error(kiln_status_message(s), kiln_last_error());
        goto done;
    }
    status = run_start(module, inst, wasi, config->timeout_ns);
    if (flags & KILN_WASI_MAIN_AT_EXIT) {
        left_at_exit.wasi = wasi;
        left_at_exit.pool = pool;
        left_at_exit.inst = inst;
        return status;
    }
done:
    kiln_instance_free(inst);
    kiln_pool_free(pool);
    kiln_wasi_free(wasi);
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
