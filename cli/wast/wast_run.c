/* wast_run.c -- `kiln wast FILE.wast|FILE.json [-O0..-O3] [--keep] [-v]`: runs a spec script.
 *
 * A .wast is read by wast_text.c (or, with --via-wast2json, converted by wast2json), which
 * writes NAME.json and the module files into a scratch directory; a .json is read where it is.
 * Every binary module is compiled up front into WORK/mN.o (N counts the script's binary
 * modules) and one ld.lld run links them all into WORK/modules.so (a run per module would
 * dominate the time; if the batch link fails, each module gets its own mN.so). The commands
 * then run in order against wast_host.c, which instantiates the modules and calls exports.
 * Results are compared bit for bit (nan:canonical / nan:arithmetic patterns), traps by message
 * (either one a prefix of the other), assert_invalid / assert_malformed by the classification
 * shared with tests/spec (wast_script.c), and a text module the direct route's reader rejected
 * by its message ("text_error"). Text modules without one (wast2json's), unsupported modules,
 * and commands needing a missing module, are skipped with the reason, never passed; so are
 * commands with values compiled code cannot hold (GC and host references), and commands on
 * instances a module that was not instantiated would have changed (stale instances). The
 * *_custom assertions are judged as assert_malformed / assert_invalid: the text reader
 * interprets @custom, @name and branch hint annotations (its "invalid" verdicts, for a branch
 * hint on another instruction, come as "text_error_class": "invalid"). Module definitions are
 * compiled like modules and instantiated by module_instance commands, as often as the script says.
 * The threads proposal's (thread ...) commands run their commands on host threads, each in a
 * scope of its own, and (wait ...) joins them (see "threads" below); a thread's modules are
 * compiled with the others, numbered where the thread command stands.
 * Isolation:
 * a forked child runs the commands and records the running one in memory shared with the
 * parent; if it dies (a crash in generated code or the compiler, or --timeout), the parent
 * reports that command as failed and a new child silently replays the commands already
 * reported (nothing is recompiled) and goes on after them, leaving the failed command out.
 * The threads running when it died are left out too (the shared memory says which).
 * Cross targets (docs/cross.md): `--prepare-only --work DIR [--target T]` stops after compiling
 * and linking, recording in DIR/mN.why the outcome of each module that did not compile; a kiln
 * built for T without its code generator then runs `kiln wast DIR/NAME.json --work DIR` under
 * an emulator, reusing what is in DIR.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "wast.h"

const char cli_wast_help[] =
    "Usage: kiln wast FILE.wast|FILE.json [-O0..-O3] [--keep] [-v] [options]\n"
    "       kiln wast FILE.wast --work DIR --prepare-only [--target TRIPLE] [options]\n"
    "\n"
    "Run a WebAssembly spec test script against compiled code. A .wast file is read by kiln\n"
    "itself (or, with --via-wast2json, converted by wast2json); a .json file (wast2json's\n"
    "output) is read with the modules beside it. Every binary module is compiled with kiln,\n"
    "linked into a shared object with ld.lld\n"
    "and loaded into this process, with the spec's 'spectest' host module and the modules\n"
    "registered by the script as imports.\n"
    "\n"
    "Options:\n"
    "  -O0 -O1 -O2 -O3     optimisation level for the modules (default -O2)\n"
    "  --bounds-checks     compile the modules with explicit bounds checks\n"
    "  --no-address-facts  compile the modules without address facts (docs/abi.md)\n"
    "  --keep              keep the scratch directory (JSON, modules, objects) and print it\n"
    "  -v, --verbose       also print a line for every passed and skipped command\n"
    "  --spec 2.0|3.0      where the 2.0 and 3.0 specs disagree about the same module (its\n"
    "                      text's ranges, several memories, a message's wording), give the\n"
    "                      answers of this version (default 2.0; 3.0 for the 3.0 suite)\n"
    "  --via-wast2json     convert a .wast with wast2json rather than reading it directly\n"
    "  --wast2json PATH    the wast2json program of --via-wast2json (default: wast2json on\n"
    "                      PATH)\n"
    "  --linker PATH       the linker (default: ld.lld-19 or ld.lld on PATH)\n"
    "  --link-lib FILE     also link FILE (e.g. the target's libgcc.a, for the helpers\n"
    "                      generated code calls on 32-bit targets) into the shared objects\n"
    "  --timeout SECONDS   fail a command, or a wait for a thread, that runs longer\n"
    "                      (default 120; 0 = no limit)\n"
    "  --no-isolate        run the commands in this process (for a debugger); a crash in\n"
    "                      generated code then ends the run\n"
    "  --skip-if-missing   exit with status 77 (a skipped test for ctest) when FILE,\n"
    "                      wast2json or the linker is missing (with --work, a linker is\n"
    "                      needed only for modules not linked into DIR yet)\n"
    "  --work DIR          use DIR as the scratch directory: created if missing, never\n"
    "                      deleted; modules already there (mN.o, mN.why, modules.so) are\n"
    "                      reused, not compiled again. One script and one set of options\n"
    "                      per DIR\n"
    "  --prepare-only      with --work: compile the modules and link them into DIR, record\n"
    "                      why the others did not compile (mN.why) and stop without running\n"
    "                      a command; 'kiln wast DIR/NAME.json --work DIR' runs the script\n"
    "                      later, e.g. a kiln built for another CPU under an emulator\n"
    "  --target TRIPLE     with --prepare-only: compile the modules for TRIPLE (as kiln\n"
    "                      compile --target)\n"
    "  --cpu NAME          compile the modules for CPU NAME (as kiln compile --cpu)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Each failure is one line on standard output:\n"
    "  FILE.wast:LINE: FAIL: WHAT: expected X, got Y\n"
    "and the last line is 'N passed, N failed, N skipped'. Modules kiln does not support and\n"
    "the commands that use them are skipped, never passed (through wast2json, so are text\n"
    "modules).\n"
    "Exit status: 0 no failures, 1 failures, 2 usage or I/O error (e.g. wast2json missing),\n"
    "77 with --skip-if-missing when something needed is missing.\n";

#define DEFAULT_OPT_LEVEL 2
#define DEFAULT_TIMEOUT   120

typedef struct wast_options {
    const char *file;
    int opt_level;
    bool keep, verbose, isolate, skip_if_missing;
    bool bounds_checks;    /* compile with --bounds-checks */
    bool no_address_facts; /* compile with --no-address-facts */
    const char *wast2json; /* name or path */
    bool via_wast2json;    /* a .wast goes through wast2json, not wast_text.c */
    bool wasm3;            /* --spec 3.0: 3.0's answers where 2.0 and 3.0 disagree */
    const char *linker;    /* NULL: ld.lld-19, then ld.lld */
    const char *link_lib;  /* --link-lib FILE: an archive linked into every shared object */
    unsigned timeout;      /* seconds per command; 0 = none */
    const char *target;    /* --target TRIPLE for the modules; NULL = the host */
    const char *cpu;       /* --cpu NAME; NULL = the target's baseline */
    const char *work;      /* --work DIR: a kept scratch directory; NULL = a temporary one */
    bool prepare_only;     /* compile and link the modules into work, run nothing */
} wast_options;

/* Why a command was skipped; the summary counts each kind. */
typedef enum skip_kind {
    SKIP_TEXT,        /* a text-format module (it tests the text parser) */
    SKIP_UNSUPPORTED, /* a module the compiler does not support, or a command using one */
    SKIP_DEPENDENT,   /* a command using a module that failed */
    SKIP_COMMAND,     /* a command kind this runner does not know */
    SKIP_VALUE,       /* a value compiled code cannot hold (a GC or host reference) */
    SKIP_THREAD,      /* a wait for a thread the death of an earlier child stopped */
    SKIP_KIND_COUNT
} skip_kind;

static const char *const skip_kind_names[SKIP_KIND_COUNT] = {
    [SKIP_TEXT] = "text-format modules",
    [SKIP_UNSUPPORTED] = "unsupported by the compiler",
    [SKIP_DEPENDENT] = "using a module that failed",
    [SKIP_COMMAND] = "unknown command kinds",
    [SKIP_VALUE] = "values the runner cannot represent",
    [SKIP_THREAD] = "waits for threads a crash or a timeout stopped",
};

/* The counts, in memory shared with the parent when the commands run in a child. The
 * script's threads update them under the runner's lock (script_threads.lock). */
typedef struct wast_tally {
    long passed, failed, skipped;
    long skips[SKIP_KIND_COUNT];
    long current;         /* index of the top-level command the script's main thread runs (or
                           * compiles) now; -1 if none */
    size_t done;          /* commands 0..done-1 have run and been reported */
    bool finished;        /* every command ran */
    size_t command_count; /* entries of running */
    uint32_t running[];   /* per top-level command: its threads running now (a thread
                           * command's, and its nested threads') */
} wast_tally;

typedef enum load_result { LOAD_OK, LOAD_UNSUPPORTED, LOAD_FAILED } load_result;

/* What compiling one binary module gave. */
typedef struct compiled {
    load_result result;
    char why[400]; /* unless LOAD_OK */
} compiled;

/* One `module` command. */
typedef struct module_rec {
    const char *name;    /* "$M" from the script, or NULL */
    bool registered;     /* a register command named it */
    bool stale;          /* its state may differ from the script's: a module that imports
                          * from it was not instantiated here (see taint_imported) ... */
    kiln_instance *inst; /* NULL: the module is not available ... */
    skip_kind why_kind;  /* ... and commands using it are skipped as this kind ... */
    char why[240];       /* ... for this reason */
} module_rec;

/* A module a module_instance command can instantiate: every `module` command defines one
 * (named like it), a `module definition` only that. */
typedef struct def_rec {
    const char *name;      /* "$M", or NULL */
    const json_value *cmd; /* the module command (its file) */
    unsigned ordinal;      /* mN: its compiled module, if available */
    bool available;        /* else commands instantiating it are skipped (or failed) ... */
    skip_kind why_kind;    /* ... as this kind ... */
    char why[240];         /* ... for this reason */
} def_rec;

typedef struct script_thread script_thread;
typedef struct script_threads script_threads;

/* The state of a run. A script thread runs its commands with a runner of its own: a copy of
 * the script's, sharing everything that is not the scope (options, host, tally, compiled
 * modules, the list of threads), with a scope of its own (modules, definitions,
 * registrations for staleness, ordinals, replaying or not). */
typedef struct runner {
    const wast_options *o;
    const char *display;  /* the script's name in messages */
    const char *json_dir; /* where the module files are */
    const char *work_dir; /* where objects and shared objects go */
    const char *linker;   /* resolved path */
    const json_value *commands;
    wast_host *host;
    wast_tally *tally;
    module_rec **modules; /* the modules of this scope (the script, or a thread) */
    size_t module_count, module_cap;
    size_t current; /* index into modules of the current module; SIZE_MAX if none */
    def_rec *defs;  /* the module definitions, in script order */
    size_t def_count, def_cap;
    struct registration {
        const char *as;     /* the module name imports use */
        module_rec *module; /* one of modules */
    } *regs;                /* register commands, in script order (later ones win) */
    size_t reg_count, reg_cap;
    unsigned next_ordinal;         /* binary modules seen so far: the next one is mN */
    compiled *compiled;            /* per ordinal (prepare_modules) */
    unsigned module_total;         /* entries of compiled */
    char batch_so[HOST_PATH_SIZE]; /* WORK/modules.so: every module that compiled */
    size_t resume_at;              /* commands before this index are replayed without reporting */
    const size_t *crashed;         /* commands that crashed or timed out: not run again */
    size_t crashed_count;
    bool quiet;              /* replaying */
    bool check_messages;     /* assert_invalid messages too: modules converted by wast_text.c */
    size_t top;              /* the top-level command being run (a thread's: its own) */
    script_thread *thread;   /* the thread running this scope; NULL for the script's */
    script_threads *threads; /* the script's threads and the lock for reporting */
} runner;

/* A `thread` command's thread: a host thread running its commands in a scope of its own. */
struct script_thread {
    const char *name;       /* "$T", or NULL */
    const json_value *json; /* the thread command */
    uint64_t line;          /* its line */
    size_t top;             /* the top-level command it belongs to */
    runner scope;           /* its state: see runner */
    pthread_t id;           /* if started */
    bool started;           /* its host thread was created */
    bool dead;              /* replaying: it ran when an earlier child died; not run again */
    /* Under the lock: */
    bool done;                   /* its commands have run (or it was never started) */
    bool waited;                 /* a wait (or the end of the script) took it */
    uint64_t waited_line;        /* that wait's line */
    bool abandoned;              /* a wait gave up on it: it reports nothing more, runs no more
                                  * commands and its call is interrupted */
    uint64_t running_line;       /* the line of the command it runs */
    kiln_instance *running_inst; /* the instance it is calling, or NULL */
    script_thread *next;         /* in script_threads, in the order they were started */
};

/* The script's threads (names are scoped to the script, not to a thread) and the lock that
 * orders reporting and the tally. */
struct script_threads {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a thread finished (CLOCK_MONOTONIC) */
    script_thread *first, *last;
    bool stuck; /* a thread did not stop when told: the host cannot be freed */
};

/* The command being run. */
typedef struct command {
    const json_value *json;
    const char *type;
    uint64_t line;
    char what[512]; /* "assert_return add(i32:1, i32:2)" */
} command;

/* ---- reporting ---- */

static void report(runner *r, const command *c, const char *verdict, const char *fmt, va_list ap)
    KILN_PRINTF(4, 0);

static void report(runner *r, const command *c, const char *verdict, const char *fmt, va_list ap)
{
    printf("%s:%" PRIu64 ": %s: %s", r->display, c->line, verdict, c->what);
    if (fmt) {
        fputs(": ", stdout);
        vprintf(fmt, ap);
    }
    putchar('\n');
}

/* Takes the reporting lock, unless nothing is to be reported: replaying, or a thread a wait
 * gave up on. */
static bool begin_report(runner *r)
{
    if (r->quiet)
        return false;
    pthread_mutex_lock(&r->threads->lock);
    if (r->thread && r->thread->abandoned) {
        pthread_mutex_unlock(&r->threads->lock);
        return false;
    }
    return true;
}

static void end_report(runner *r)
{
    pthread_mutex_unlock(&r->threads->lock);
}

static void pass(runner *r, const command *c)
{
    if (!begin_report(r))
        return;
    r->tally->passed++;
    if (r->o->verbose)
        printf("%s:%" PRIu64 ": PASS: %s\n", r->display, c->line, c->what);
    end_report(r);
}

static void fail(runner *r, const command *c, const char *fmt, ...) KILN_PRINTF(3, 4);

static void fail(runner *r, const command *c, const char *fmt, ...)
{
    if (!begin_report(r))
        return;
    r->tally->failed++;
    va_list ap;
    va_start(ap, fmt);
    report(r, c, "FAIL", fmt, ap);
    va_end(ap);
    end_report(r);
}

static void skip(runner *r, const command *c, skip_kind kind, const char *fmt, ...)
    KILN_PRINTF(4, 5);

static void skip(runner *r, const command *c, skip_kind kind, const char *fmt, ...)
{
    if (!begin_report(r))
        return;
    r->tally->skipped++;
    r->tally->skips[kind]++;
    if (r->o->verbose) {
        va_list ap;
        va_start(ap, fmt);
        report(r, c, "SKIP", fmt, ap);
        va_end(ap);
    }
    end_report(r);
}

/* ---- describing commands ---- */

/* A JSON string member that is a C string (no NUL bytes inside), or NULL. */
static const char *get_cstr(const json_value *obj, const char *key)
{
    const json_value *v = json_get(obj, key);
    if (v == NULL || v->kind != JSON_STRING || strlen(v->u.str.ptr) != v->u.str.len)
        return NULL;
    return v->u.str.ptr;
}

/* "assert_return $M.add(i32:1, i32:2)", "module $M (x.1.wasm)", "assert_invalid x.2.wasm". */
static void describe(const json_value *cmd, char *out, size_t size)
{
    cli_buf b;
    cli_buf_init(&b);
    const char *type = json_get_str(cmd, "type");
    bool instance_cmd = type && strcmp(type, "module_instance") == 0;
    cli_buf_printf(&b, "%s", instance_cmd ? "module instance" : type ? type : "command");
    const json_value *action = json_get(cmd, "action");
    const char *filename = json_get_str(cmd, "filename");
    const char *name = json_get_str(cmd, "name");
    if (action) {
        const char *kind = json_get_str(action, "type");
        const char *module = json_get_str(action, "module");
        const json_value *field = json_get(action, "field");
        bool get = kind && strcmp(kind, "get") == 0;
        cli_buf_put(&b, " ", 1);
        if (get)
            cli_buf_put(&b, "get ", 4);
        if (module)
            cli_buf_printf(&b, "%s.", module);
        if (field && field->kind == JSON_STRING)
            cli_buf_name(&b, field->u.str.ptr, field->u.str.len);
        if (!get) {
            const json_value *args = json_get(action, "args");
            cli_buf_put(&b, "(", 1);
            for (size_t i = 0; i < json_len(args); i++) {
                wast_script_value v;
                char err[64];
                if (i)
                    cli_buf_put(&b, ", ", 2);
                if (wast_parse_value(json_at(args, i), false, &v, err, sizeof(err)))
                    wast_format_value(&b, &v.v, &v, false);
                else
                    cli_buf_put(&b, "?", 1);
            }
            cli_buf_put(&b, ")", 1);
        }
    } else if (instance_cmd || json_get(cmd, "instance")) {
        /* module_instance, or assert_unlinkable / assert_uninstantiable of a definition */
        const json_value *of = instance_cmd ? cmd : json_get(cmd, "instance");
        const char *module = json_get_str(of, "module");
        const char *instance = json_get_str(of, "instance");
        cli_buf_printf(&b, "%s%s%s of %s", instance_cmd ? "" : " (module instance",
                       instance ? " " : "", instance ? instance : "",
                       module ? module : "the latest module");
        if (!instance_cmd)
            cli_buf_put(&b, ")", 1);
    } else if (type && strcmp(type, "register") == 0) {
        cli_buf_printf(&b, " %s as \"%s\"", name ? name : "(current module)",
                       json_get_str(cmd, "as") ? json_get_str(cmd, "as") : "?");
    } else if (type && strcmp(type, "wait") == 0) {
        cli_buf_printf(&b, " %s", json_get_str(cmd, "thread") ? json_get_str(cmd, "thread") : "?");
    } else if (type && strcmp(type, "thread") == 0) {
        if (name)
            cli_buf_printf(&b, " %s", name);
    } else if (filename) {
        const json_value *definition = json_get(cmd, "definition");
        if (definition && definition->kind == JSON_TRUE)
            cli_buf_printf(&b, " definition");
        if (name)
            cli_buf_printf(&b, " %s (%s)", name, filename);
        else
            cli_buf_printf(&b, " %s", filename);
    }
    const char *text = b.failed ? "(out of memory)" : cli_buf_str(&b);
    if (strlen(text) < size)
        snprintf(out, size, "%s", text);
    else /* a call with hundreds of arguments: its start, and a mark that it was cut */
        snprintf(out, size, "%.*s ...", (int)(size - 5), text);
    cli_buf_free(&b);
}

/* ---- modules ---- */

static bool is_crashed(const runner *r, size_t index)
{
    for (size_t i = 0; i < r->crashed_count; i++)
        if (r->crashed[i] == index)
            return true;
    return false;
}

/* Adds a module record (each its own allocation: a registration's tag points at it, from
 * any thread, until the end of the run) as the current module. NULL if out of memory. */
static module_rec *add_module(runner *r, const char *name)
{
    if (r->module_count == r->module_cap) {
        size_t cap = r->module_cap ? r->module_cap * 2 : 32;
        module_rec **p = realloc(r->modules, cap * sizeof(*p));
        if (p == NULL)
            return NULL;
        r->modules = p;
        r->module_cap = cap;
    }
    module_rec *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->name = name;
    r->modules[r->module_count] = m;
    r->current = r->module_count++;
    return m;
}

/* Frees r's module records, definitions and registrations. */
static void free_scope(runner *r)
{
    for (size_t i = 0; i < r->module_count; i++)
        free(r->modules[i]);
    free(r->modules);
    r->modules = NULL;
    r->module_count = r->module_cap = 0;
    free(r->defs);
    r->defs = NULL;
    r->def_count = r->def_cap = 0;
    free(r->regs);
    r->regs = NULL;
    r->reg_count = r->reg_cap = 0;
}

/* The module a command names ("$M"), or the current one; NULL if there is none. */
static module_rec *find_module(runner *r, const char *name)
{
    if (name == NULL)
        return r->current == SIZE_MAX ? NULL : r->modules[r->current];
    for (size_t i = r->module_count; i-- > 0;)
        if (r->modules[i]->name && strcmp(r->modules[i]->name, name) == 0)
            return r->modules[i];
    return NULL;
}

/* Records a module definition (from cmd, compiled as mORDINAL); NULL if out of memory. */
static def_rec *add_def(runner *r, const json_value *cmd, unsigned ordinal)
{
    if (r->def_count == r->def_cap) {
        size_t cap = r->def_cap ? r->def_cap * 2 : 32;
        def_rec *p = realloc(r->defs, cap * sizeof(*p));
        if (p == NULL)
            return NULL;
        r->defs = p;
        r->def_cap = cap;
    }
    def_rec *d = &r->defs[r->def_count++];
    memset(d, 0, sizeof(*d));
    d->name = json_get_str(cmd, "name");
    d->cmd = cmd;
    d->ordinal = ordinal;
    return d;
}

/* The definition a command names ("$M"), or the latest one; NULL if there is none. */
static def_rec *find_def(runner *r, const char *name)
{
    for (size_t i = r->def_count; i-- > 0;)
        if (name == NULL || (r->defs[i].name && strcmp(r->defs[i].name, name) == 0))
            return &r->defs[i];
    return NULL;
}

static void set_unavailable(module_rec *m, skip_kind kind, const char *fmt, ...) KILN_PRINTF(3, 4);

static void set_unavailable(module_rec *m, skip_kind kind, const char *fmt, ...)
{
    m->inst = NULL;
    m->why_kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->why, sizeof(m->why), fmt, ap); /* a message: cut if too long */
    va_end(ap);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* WORK/mORDINAL.EXT */
static bool module_path(const runner *r, unsigned ordinal, const char *ext, char *out, size_t size)
{
    char name[48];
    snprintf(name, sizeof(name), "m%u%s", ordinal, ext);
    return host_path_join(out, size, r->work_dir, name);
}

/* Whether the command needs a binary module compiled (and so takes the next ordinal). */
static bool loads_binary_module(const json_value *cmd)
{
    const char *type = json_get_str(cmd, "type");
    const char *filename;
    bool text;
    if (!type || !(strcmp(type, "module") == 0 || strcmp(type, "assert_unlinkable") == 0 ||
                   strcmp(type, "assert_uninstantiable") == 0))
        return false;
    return wast_command_module(cmd, &filename, &text, NULL, 0) && !text;
}

static bool is_type(const json_value *cmd, const char *type)
{
    const char *t = json_get_str(cmd, "type");
    return t && strcmp(t, type) == 0;
}

/* The ordinals cmd takes: 1 for a command that loads a binary module; for a thread, those of
 * its commands (nested threads' too). A thread's modules are numbered where the thread
 * command stands, in the order of its commands, depth-first: prepare_modules numbers them so,
 * and run_command reserves the block when it reaches the thread command. */
static unsigned ordinals_of(const json_value *cmd)
{
    if (!is_type(cmd, "thread"))
        return loads_binary_module(cmd);
    const json_value *cmds = json_get(cmd, "commands");
    unsigned n = 0;
    for (size_t i = 0; i < json_len(cmds); i++)
        n += ordinals_of(json_at(cmds, i));
    return n;
}

/* The first line of WORK/mN.why, the outcome --prepare-only recorded for a module that did not
 * compile or link; the second line is the reason. */
static const char *const why_kinds[] = {
    [LOAD_UNSUPPORTED] = "unsupported", [LOAD_FAILED] = "failed"};

/* Writes WORK/mORDINAL.why for c (not LOAD_OK). False with the reason in d. */
static bool write_why(const runner *r, unsigned ordinal, const compiled *c, kiln_diag *d)
{
    char path[HOST_PATH_SIZE], text[sizeof c->why + 32];
    if (!module_path(r, ordinal, ".why", path, sizeof(path)))
        return kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "path too long");
    int n = snprintf(text, sizeof(text), "%s\n%s\n", why_kinds[c->result], c->why);
    return host_write_file(path, text, (size_t)n, 0666, d);
}

/* Reads WORK/mORDINAL.why (write_why) into out; false if there is none. */
static bool read_why(const runner *r, unsigned ordinal, compiled *out)
{
    char path[HOST_PATH_SIZE];
    if (!module_path(r, ordinal, ".why", path, sizeof(path)) || !file_exists(path))
        return false;
    out->result = LOAD_FAILED;
    host_file f;
    kiln_diag d;
    if (!host_read_file(path, &f, &d)) {
        kiln_msg(out->why, sizeof(out->why), "cannot read %s", path);
        return true;
    }
    char *text = (char *)f.data;
    char *reason = memchr(text, '\n', f.size);
    if (reason) {
        *reason++ = '\0';
        reason[strcspn(reason, "\n")] = '\0';
    }
    if (strcmp(text, why_kinds[LOAD_UNSUPPORTED]) == 0)
        out->result = LOAD_UNSUPPORTED;
    kiln_msg(out->why, sizeof(out->why), "%s", reason ? reason : "(no reason recorded)");
    host_file_free(&f);
    return true;
}

/* Compiles the module file of cmd into WORK/mORDINAL.o, unless an earlier child (or, with
 * --work, an earlier run) did: the object exists only if kiln_compile succeeded, which never
 * leaves partial output. With --work, a module --prepare-only could not compile or link has
 * WORK/mORDINAL.why instead, and gets the outcome recorded there. */
static void compile_module(runner *r, const json_value *cmd, unsigned ordinal, compiled *out)
{
    char wasm[HOST_PATH_SIZE], obj[HOST_PATH_SIZE], prefix[32];
    const char *filename = json_get_str(cmd, "filename");
    snprintf(prefix, sizeof(prefix), "m%u", ordinal);
    out->result = LOAD_FAILED;
    if (!host_path_join(wasm, sizeof(wasm), r->json_dir, filename) ||
        !module_path(r, ordinal, ".o", obj, sizeof(obj))) {
        kiln_msg(out->why, sizeof(out->why), "path too long");
        return;
    }
    if (r->o->work && read_why(r, ordinal, out))
        return;
    if (file_exists(obj)) {
        out->result = LOAD_OK;
        return;
    }
    kiln_compile_options co;
    kiln_compile_options_init(&co);
    co.input_path = wasm;
    co.output_path = obj;
    co.prefix = prefix;
    co.opt_level = r->o->opt_level;
    co.bounds_checks = r->o->bounds_checks;
    co.no_address_facts = r->o->no_address_facts;
    co.triple = r->o->target;
    co.cpu = r->o->cpu;
    kiln_diag d;
    kiln_diag_init(&d);
    if (kiln_compile(&co, NULL, &d)) {
        out->result = LOAD_OK;
        return;
    }
    char msg[400];
    kiln_diag_format(&d, filename, msg, sizeof(msg));
    if (d.code == KILN_ERR_UNSUPPORTED) {
        out->result = LOAD_UNSUPPORTED;
        kiln_msg(out->why, sizeof(out->why), "%s", msg);
    } else if (r->o->work && d.code == KILN_ERR_IO) {
        /* e.g. a kiln built without its code generator, run on modules that --prepare-only
         * did not compile into this directory */
        kiln_msg(out->why, sizeof(out->why),
                 "not precompiled (no m%u.o or m%u.why in %s) and not compilable here: %s", ordinal,
                 ordinal, r->work_dir, msg);
    } else {
        kiln_msg(out->why, sizeof(out->why), "compile error: %s", msg);
    }
}

/* The objects prepare_modules compiled so far. */
typedef struct prepared {
    const char **linked; /* the paths of those that compiled */
    size_t linked_count;
    char (*objects)[HOST_PATH_SIZE]; /* per ordinal: its path */
    unsigned ordinal;                /* the next module's */
} prepared;

/* Compiles the binary module of cmd, or those of a thread's commands, for top-level command
 * top (charged with a compiler crash). */
static void prepare_command(runner *r, const json_value *cmd, size_t top, prepared *p)
{
    if (is_type(cmd, "thread")) {
        const json_value *cmds = json_get(cmd, "commands");
        for (size_t i = 0; i < json_len(cmds); i++)
            prepare_command(r, json_at(cmds, i), top, p);
        return;
    }
    if (!loads_binary_module(cmd))
        return;
    unsigned ordinal = p->ordinal++;
    compiled *c = &r->compiled[ordinal];
    if (is_crashed(r, top)) {
        kiln_msg(c->why, sizeof(c->why), "crashed");
        c->result = LOAD_FAILED;
        return;
    }
    r->tally->current = (long)top;
    bool timed = r->o->isolate && !r->o->prepare_only && r->o->timeout;
    if (timed)
        alarm(r->o->timeout);
    compile_module(r, cmd, ordinal, c);
    if (timed)
        alarm(0);
    if (c->result == LOAD_OK && module_path(r, ordinal, ".o", p->objects[ordinal], HOST_PATH_SIZE))
        p->linked[p->linked_count++] = p->objects[ordinal];
}

/* Compiles every binary module of the script (threads' too, numbered as ordinals_of says),
 * then links all the objects into one shared
 * object: one linker run per module would cost more than everything else together (ld.lld
 * takes ~0.1 s to start, const.wast has 402 modules). Each module keeps its own symbol
 * prefix, so the objects link together. If that link fails, load_module falls back to one
 * shared object per module, which pins the failure on the module that causes it. The command
 * being compiled is recorded as the running one, so a compiler crash is charged to it. */
static bool prepare_modules(runner *r)
{
    size_t n = json_len(r->commands);
    unsigned count = 0;
    for (size_t i = 0; i < n; i++)
        count += ordinals_of(json_at(r->commands, i));
    r->compiled = calloc(count ? count : 1, sizeof(*r->compiled));
    /* the objects that compiled, and their paths */
    const char **linked = calloc(count ? count : 1, sizeof(*linked));
    char(*objects)[HOST_PATH_SIZE] = calloc(count ? count : 1, sizeof(*objects));
    if (r->compiled == NULL || linked == NULL || objects == NULL) {
        free(linked);
        free(objects);
        fprintf(stderr, "kiln wast: out of memory\n");
        return false;
    }
    r->module_total = count;
    prepared p = {.linked = linked, .objects = objects};
    for (size_t i = 0; i < n; i++)
        prepare_command(r, json_at(r->commands, i), i, &p);
    r->tally->current = -1;
    char err[HOST_PATH_SIZE + 64];
    if (p.linked_count > 0 && r->linker && !file_exists(r->batch_so) &&
        !loader_link(r->linker, linked, p.linked_count, r->o->link_lib, r->batch_so, err,
                     sizeof(err)))
        fprintf(stderr, "kiln wast: linking all modules failed (%s); linking them one by one\n",
                err);
    free(linked);
    free(objects);
    return true;
}

/* Loads module mORDINAL (compiled by prepare_modules): from the shared object of all modules,
 * or, if that link failed, from its own, linked now. On failure, why says what went wrong
 * ("compile error: ...", or the compiler's reason for LOAD_UNSUPPORTED). */
/* Links WORK/mORDINAL.o alone into WORK/mORDINAL.so, unless that is there already: the
 * fallback when the batch link fails. so receives the path; false with the reason in why. */
static bool link_module(const runner *r, unsigned ordinal, char *so, size_t so_size, char *why,
                        size_t why_size)
{
    char obj[HOST_PATH_SIZE], err[HOST_PATH_SIZE + 64];
    if (!module_path(r, ordinal, ".o", obj, sizeof(obj)) ||
        !module_path(r, ordinal, ".so", so, so_size)) {
        kiln_msg(why, why_size, "path too long");
        return false;
    }
    if (file_exists(so))
        return true;
    if (r->linker == NULL) {
        kiln_msg(why, why_size,
                 "link error: neither modules.so nor m%u.so is in %s, and no linker was found",
                 ordinal, r->work_dir);
        return false;
    }
    const char *objects[] = {obj};
    if (!loader_link(r->linker, objects, 1, r->o->link_lib, so, err, sizeof(err))) {
        kiln_msg(why, why_size, "link error: %s", err);
        return false;
    }
    return true;
}

static load_result load_module(runner *r, unsigned ordinal, const kiln_module **module, char *why,
                               size_t why_size)
{
    const compiled *c = &r->compiled[ordinal];
    if (c->result != LOAD_OK) {
        kiln_msg(why, why_size, "%s", c->why);
        return c->result;
    }
    char so[HOST_PATH_SIZE], symbol[48];
    snprintf(symbol, sizeof(symbol), "m%u_module", ordinal);
    if (file_exists(r->batch_so))
        snprintf(so, sizeof(so), "%s", r->batch_so);
    else if (!link_module(r, ordinal, so, sizeof(so), why, why_size))
        return LOAD_FAILED;
    char err[HOST_PATH_SIZE + 64];
    if (!loader_open(so, symbol, module, err, sizeof(err))) {
        kiln_msg(why, why_size, "load error: %s", err);
        return LOAD_FAILED;
    }
    return LOAD_OK;
}

/* Skips c because it uses module m, which is not available. */
static void skip_dependent(runner *r, const command *c, const module_rec *m)
{
    skip(r, c, m->why_kind, "%s", m->why);
}

/* How far instantiate() got. */
typedef enum inst_outcome {
    INST_RAN,     /* instantiation ran: see the status */
    INST_SKIPPED, /* c was reported as skipped (text-format or unsupported module) */
    INST_FAILED,  /* c was reported as failed (bad output, compile or link error) */
} inst_outcome;

/* The class of a text module's "text_error": malformed, or invalid when wast_text.c wrote
 * "text_error_class": "invalid". */
static wast_expect text_error_class(const json_value *mod)
{
    const char *cls = json_get_str(mod, "text_error_class");
    return cls && strcmp(cls, "invalid") == 0 ? WAST_EXPECT_INVALID : WAST_EXPECT_MALFORMED;
}

/* Loads the compiled module of the module command mod (c's JSON, or for module_instance
 * and its assertions the definition's command). INST_RAN: *module is it. Otherwise c has
 * been reported, and *kind and msg say why for the commands that would use the module. */
static inst_outcome load_command_module(runner *r, const command *c, const json_value *mod,
                                        unsigned ordinal, const kiln_module **module,
                                        skip_kind *kind, char *msg, size_t msg_size)
{
    const char *filename;
    bool text;
    char err[400];
    *kind = SKIP_DEPENDENT;
    if (!wast_command_module(mod, &filename, &text, err, sizeof(err))) {
        fail(r, c, "%s", err);
        kiln_msg(msg, msg_size, "module at line %" PRIu64 " failed", c->line);
        return INST_FAILED;
    }
    const char *text_error = json_get_str(mod, "text_error");
    if (text && text_error) {
        const char *at = json_get_str(mod, "text_error_at");
        fail(r, c, "expected a module, got %s text: %s: %s",
             wast_expect_name(text_error_class(mod)), at ? at : "?", text_error);
        kiln_msg(msg, msg_size, "module at line %" PRIu64 " failed", c->line);
        return INST_FAILED;
    }
    if (text) {
        skip(r, c, SKIP_TEXT, "text-format module");
        *kind = SKIP_TEXT;
        kiln_msg(msg, msg_size, "module at line %" PRIu64 " is a text-format module", c->line);
        return INST_SKIPPED;
    }
    load_result lr = load_module(r, ordinal, module, err, sizeof(err));
    if (lr == LOAD_UNSUPPORTED) {
        skip(r, c, SKIP_UNSUPPORTED, "%s", err);
        *kind = SKIP_UNSUPPORTED;
        kiln_msg(msg, msg_size, "module at line %" PRIu64 " is not supported: %s", c->line, err);
        return INST_SKIPPED;
    }
    if (lr == LOAD_FAILED) {
        fail(r, c, "expected a module, got %s", err);
        kiln_msg(msg, msg_size, "module at line %" PRIu64 " failed", c->line);
        return INST_FAILED;
    }
    return INST_RAN;
}

/* Loads (load_command_module) and instantiates the module of a module / assert_unlinkable /
 * assert_uninstantiable command, mod as there. INST_RAN: *status is the instantiation's
 * (WAST_OK with *inst set; on WAST_UNAVAILABLE *dep is the module it needs, or NULL) and msg
 * its message. Otherwise as load_command_module. */
static inst_outcome instantiate(runner *r, const command *c, const json_value *mod,
                                unsigned ordinal, wast_status *status, kiln_instance **inst,
                                const module_rec **dep, skip_kind *kind, char *msg, size_t msg_size)
{
    const kiln_module *module;
    inst_outcome o = load_command_module(r, c, mod, ordinal, &module, kind, msg, msg_size);
    if (o != INST_RAN)
        return o;
    const void *tag = NULL;
    *status = wast_host_instantiate(r->host, module, inst, &tag, r->thread, msg, msg_size);
    *dep = NULL;
    if (*status == WAST_UNAVAILABLE)
        *dep = tag; /* the module_rec of the registration, maybe another thread's */
    return INST_RAN;
}

/* A trap message matches the expected text if either is a prefix of the other: the spec's
 * texts are sometimes shorter ("uninitialized") and sometimes longer than the runtime's. */
static bool trap_matches(const char *got, const char *want)
{
    size_t n = strlen(got) < strlen(want) ? strlen(got) : strlen(want);
    return strncmp(got, want, n) == 0;
}

/* ---- state shared through imports ---- */

/* A module the script instantiates may change the instances it imports from (data and elem
 * segments into their memories and tables, a start function calling them). When Kiln does
 * not instantiate such a module (unsupported, failed, or instantiated where the script
 * expects a trap), those instances are marked stale: later commands on them are skipped, not
 * judged on a state the script did not intend. A module imports from an instance by the name
 * it was registered under; an instance that imports from a stale one is stale too. */

/* Moves *p past a LEB128 number (at most 10 bytes). */
static bool skip_leb(const uint8_t **p, const uint8_t *end)
{
    for (int i = 0; i < 10 && *p < end; i++)
        if (!(*(*p)++ & 0x80))
            return true;
    return false;
}

static bool read_u32(const uint8_t **p, const uint8_t *end, uint32_t *out)
{
    uint32_t v = 0;
    for (unsigned shift = 0; shift < 35 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* A value type: one byte, or (ref null? ht) with its heap type. */
static bool skip_valtype(const uint8_t **p, const uint8_t *end)
{
    if (*p >= end)
        return false;
    uint8_t b = *(*p)++;
    return b == 0x63 || b == 0x64 ? skip_leb(p, end) : true;
}

static bool skip_limits(const uint8_t **p, const uint8_t *end)
{
    if (*p >= end)
        return false;
    uint8_t flags = *(*p)++;
    return skip_leb(p, end) && (!(flags & 1) || skip_leb(p, end));
}

/* Calls each(r, name, len, ctx) for the module name of every import of wasm (the module
 * file of mod). False if the file cannot be read or its import section not parsed. */
static bool for_each_import(runner *r, const json_value *mod,
                            void (*each)(runner *, const uint8_t *, size_t, void *), void *ctx)
{
    const char *filename;
    bool text;
    char path[HOST_PATH_SIZE];
    host_file f;
    kiln_diag d;
    if (!wast_command_module(mod, &filename, &text, NULL, 0) || text ||
        !host_path_join(path, sizeof(path), r->json_dir, filename) || !host_read_file(path, &f, &d))
        return false;
    const uint8_t *p = f.data, *end = f.data + f.size;
    bool ok = f.size >= 8;
    p += ok ? 8 : 0;
    while (ok && p < end) {
        uint8_t id = *p++;
        uint32_t size;
        if (!read_u32(&p, end, &size) || size > (size_t)(end - p)) {
            ok = false;
            break;
        }
        const uint8_t *next = p + size;
        if (id != 2) {
            p = next;
            continue;
        }
        uint32_t count;
        ok = read_u32(&p, next, &count);
        for (uint32_t i = 0; ok && i < count; i++) {
            uint32_t len, field_len;
            ok = read_u32(&p, next, &len) && len <= (size_t)(next - p);
            if (!ok)
                break;
            const uint8_t *name = p;
            p += len;
            ok = read_u32(&p, next, &field_len) && field_len < (size_t)(next - p);
            if (!ok)
                break;
            p += field_len;
            uint8_t kind = *p++;
            switch (kind) {
            case 0: /* func: type index */
                ok = skip_leb(&p, next);
                break;
            case 1: /* table: reference type, limits */
                ok = skip_valtype(&p, next) && skip_limits(&p, next);
                break;
            case 2: /* memory: limits */
                ok = skip_limits(&p, next);
                break;
            case 3: /* global: value type, mutability */
                ok = skip_valtype(&p, next) && p++ < next;
                break;
            case 4: /* tag: attribute, type index */
                ok = p++ < next && skip_leb(&p, next);
                break;
            default:
                ok = false;
                break;
            }
            if (ok)
                each(r, name, len, ctx);
        }
        break; /* one import section */
    }
    host_file_free(&f);
    return ok;
}

/* The instance registered (last) under the name name[0..len), or NULL. */
static module_rec *registered_as(runner *r, const uint8_t *name, size_t len)
{
    for (size_t i = r->reg_count; i-- > 0;)
        if (strlen(r->regs[i].as) == len && memcmp(r->regs[i].as, name, len) == 0)
            return r->regs[i].module;
    return NULL;
}

typedef struct taint_ctx {
    const module_rec *stale; /* for find_stale: a stale instance imported */
    skip_kind kind;
    char why[240];
} taint_ctx;

static void mark_stale(module_rec *m, const taint_ctx *t)
{
    if (m->inst == NULL || m->stale)
        return;
    m->stale = true;
    m->why_kind = t->kind;
    snprintf(m->why, sizeof(m->why), "%s", t->why);
}

static void taint_one(runner *r, const uint8_t *name, size_t len, void *ctx)
{
    module_rec *m = registered_as(r, name, len);
    if (m)
        mark_stale(m, ctx);
}

/* The module of c (its command mod) was not instantiated as the script intends, because of
 * kind (SKIP_DEPENDENT: it failed): marks the registered instances it imports from stale
 * (all of them if its imports are unknown, e.g. a text module). */
static void taint_imported(runner *r, const command *c, const json_value *mod, skip_kind kind)
{
    taint_ctx t = {.kind = kind};
    snprintf(t.why, sizeof(t.why),
             "its state may differ: the module at line %" PRIu64 " that imports from it %s",
             c->line,
             kind == SKIP_UNSUPPORTED ? "is not supported"
             : kind == SKIP_TEXT      ? "is a text-format module"
                                      : "was not instantiated as the script expects");
    if (r->reg_count == 0 || for_each_import(r, mod, taint_one, &t))
        return;
    for (size_t i = 0; i < r->reg_count; i++)
        mark_stale(r->regs[i].module, &t);
}

static void find_stale(runner *r, const uint8_t *name, size_t len, void *ctx)
{
    module_rec *m = registered_as(r, name, len);
    taint_ctx *t = ctx;
    if (m && m->stale && t->stale == NULL)
        t->stale = m;
}

/* A new instance m (of the module command mod) that imports from a stale instance is stale
 * too. */
static void inherit_stale(runner *r, module_rec *m, const json_value *mod)
{
    taint_ctx t = {0};
    if (r->reg_count == 0)
        return;
    for_each_import(r, mod, find_stale, &t);
    if (t.stale) {
        t.kind = t.stale->why_kind;
        snprintf(t.why, sizeof(t.why), "%s", t.stale->why);
        mark_stale(m, &t);
    }
}

/* ---- commands ---- */

/* Instantiates the module of the module command mod (mORDINAL) as a new current instance
 * named name (module, module_instance). Returns whether the module loaded (def is then
 * available to module_instance); if not, *kind and why say why. */
static bool instantiate_as(runner *r, const command *c, const char *name, const json_value *mod,
                           unsigned ordinal, skip_kind *kind, char *why, size_t why_size)
{
    /* The current module, if unnamed and unregistered, can no longer be named by any command:
     * free it (if nothing can hold its functions), so that its pool slot is reused. */
    if (r->current != SIZE_MAX) {
        module_rec *old = r->modules[r->current];
        if (old->name == NULL && !old->registered && old->inst) {
            wast_host_release(r->host, old->inst);
            old->inst = NULL;
        }
    }
    module_rec *m = add_module(r, name);
    if (m == NULL) {
        fail(r, c, "out of memory");
        r->current = SIZE_MAX;
        *kind = SKIP_DEPENDENT;
        kiln_msg(why, why_size, "out of memory");
        return false;
    }
    wast_status status = WAST_ERROR;
    kiln_instance *inst = NULL;
    const module_rec *dep = NULL;
    char msg[512];
    if (instantiate(r, c, mod, ordinal, &status, &inst, &dep, kind, msg, sizeof(msg)) != INST_RAN) {
        set_unavailable(m, *kind, "%s", msg);
        kiln_msg(why, why_size, "%s", msg);
        taint_imported(r, c, mod, *kind);
        return false;
    }
    if (status != WAST_OK)
        taint_imported(r, c, mod,
                       status == WAST_UNAVAILABLE && dep ? dep->why_kind : SKIP_DEPENDENT);
    switch (status) {
    case WAST_OK:
        m->inst = inst;
        inherit_stale(r, m, mod);
        pass(r, c);
        return true;
    case WAST_UNAVAILABLE:
        if (dep) {
            skip_dependent(r, c, dep);
            set_unavailable(m, dep->why_kind, "%s", dep->why);
        } else {
            fail(r, c, "expected a module, got %s", msg);
            set_unavailable(m, SKIP_DEPENDENT, "module at line %" PRIu64 " failed", c->line);
        }
        return true;
    case WAST_LINK:
        fail(r, c, "expected a module, got link error: %s", msg);
        break;
    case WAST_TRAP:
        fail(r, c, "expected a module, got trap \"%s\"", msg);
        break;
    default:
        fail(r, c, "expected a module, got error: %s", msg);
        break;
    }
    set_unavailable(m, SKIP_DEPENDENT, "module at line %" PRIu64 " failed", c->line);
    return true;
}

/* module: defines a module and (without "definition": true) instantiates it. A definition
 * passes when it compiles and loads; it is instantiated by module_instance commands. */
static void cmd_module(runner *r, const command *c, unsigned ordinal)
{
    def_rec *d = add_def(r, c->json, ordinal);
    if (d == NULL) {
        fail(r, c, "out of memory");
        return;
    }
    skip_kind kind = SKIP_DEPENDENT;
    char why[sizeof d->why];
    bool loaded;
    const json_value *definition = json_get(c->json, "definition");
    if (definition && definition->kind == JSON_TRUE) {
        const kiln_module *module;
        loaded = load_command_module(r, c, c->json, ordinal, &module, &kind, why, sizeof(why)) ==
                 INST_RAN;
        if (loaded)
            pass(r, c);
    } else {
        loaded = instantiate_as(r, c, json_get_str(c->json, "name"), c->json, ordinal, &kind, why,
                                sizeof(why));
    }
    d->available = loaded;
    d->why_kind = kind;
    snprintf(d->why, sizeof(d->why), "%s", loaded ? "" : why);
}

/* module_instance: instantiates a defined module (the named one, or the latest) as a new
 * instance, named or not. */
static void cmd_module_instance(runner *r, const command *c)
{
    const char *module = json_get_str(c->json, "module");
    def_rec *d = find_def(r, module);
    skip_kind kind;
    char why[240];
    if (d == NULL) {
        module_rec *m = add_module(r, json_get_str(c->json, "instance"));
        if (m)
            set_unavailable(m, SKIP_DEPENDENT, "module instance at line %" PRIu64 " failed",
                            c->line);
        fail(r, c, "expected a module %s to instantiate, got none", module ? module : "defined");
        return;
    }
    if (!d->available) {
        module_rec *m = add_module(r, json_get_str(c->json, "instance"));
        if (m)
            set_unavailable(m, d->why_kind, "%s", d->why);
        skip(r, c, d->why_kind, "%s", d->why);
        return;
    }
    instantiate_as(r, c, json_get_str(c->json, "instance"), d->cmd, d->ordinal, &kind, why,
                   sizeof(why));
}

/* assert_unlinkable / assert_uninstantiable: of the command's own module, or with an
 * "instance" object of a defined one. */
static void cmd_unlinkable_or_uninstantiable(runner *r, const command *c, unsigned ordinal,
                                             bool unlinkable)
{
    wast_status status = WAST_ERROR;
    kiln_instance *inst = NULL;
    const module_rec *dep = NULL;
    skip_kind kind;
    char msg[512];
    const json_value *mod = c->json;
    const json_value *instance = json_get(c->json, "instance");
    if (instance) {
        const char *module = json_get_str(instance, "module");
        def_rec *d = find_def(r, module);
        if (d == NULL) {
            fail(r, c, "expected a module %s to instantiate, got none",
                 module ? module : "defined");
            return;
        }
        if (!d->available) {
            skip(r, c, d->why_kind, "%s", d->why);
            return;
        }
        mod = d->cmd;
        ordinal = d->ordinal;
    }
    if (instantiate(r, c, mod, ordinal, &status, &inst, &dep, &kind, msg, sizeof(msg)) !=
        INST_RAN) {
        if (!unlinkable) /* it would have changed what it imports before its trap */
            taint_imported(r, c, mod, kind);
        return;
    }
    const char *text = json_get_str(c->json, "text");
    if (!unlinkable && !(status == WAST_TRAP && text && trap_matches(msg, text)))
        taint_imported(r, c, mod,
                       status == WAST_UNAVAILABLE && dep ? dep->why_kind : SKIP_DEPENDENT);
    char want[300];
    if (unlinkable)
        snprintf(want, sizeof(want), "link error");
    else
        snprintf(want, sizeof(want), "trap \"%s\"", text ? text : "");
    switch (status) {
    case WAST_UNAVAILABLE:
        if (dep)
            skip_dependent(r, c, dep);
        else
            fail(r, c, "expected %s, got %s", want, msg);
        return;
    case WAST_LINK:
        if (unlinkable)
            pass(r, c);
        else
            fail(r, c, "expected %s, got link error: %s", want, msg);
        return;
    case WAST_TRAP:
        if (!unlinkable && text && trap_matches(msg, text))
            pass(r, c);
        else
            fail(r, c, "expected %s, got trap \"%s\"", want, msg);
        return;
    case WAST_OK:
        fail(r, c, "expected %s, got a module", want);
        return;
    default:
        fail(r, c, "expected %s, got error: %s", want, msg);
        return;
    }
}

static void cmd_invalid_or_malformed(runner *r, const command *c, wast_expect want)
{
    const char *filename;
    bool text;
    char err[400];
    if (!wast_command_module(c->json, &filename, &text, err, sizeof(err))) {
        fail(r, c, "%s", err);
        return;
    }
    const char *text_error = json_get_str(c->json, "text_error");
    if (text && text_error) {
        /* The text reader rejected it (wast_text.c): malformed, or invalid for what only the
         * reader checks (a branch hint annotation on another instruction). As the reference
         * interpreter's runner checks: the message must start with the expected text. */
        const char *at = json_get_str(c->json, "text_error_at");
        const char *expected = json_get_str(c->json, "text");
        wast_expect got = text_error_class(c->json);
        if (want == got && expected && strncmp(text_error, expected, strlen(expected)) == 0)
            pass(r, c);
        else if (want == got)
            fail(r, c, "expected %s \"%s\", got %s \"%s\" at %s", wast_expect_name(want),
                 expected ? expected : "", wast_expect_name(got), text_error, at ? at : "?");
        else
            fail(r, c, "expected %s, got %s text: %s: %s", wast_expect_name(want),
                 wast_expect_name(got), at ? at : "?", text_error);
        return;
    }
    if (text) {
        skip(r, c, SKIP_TEXT, "text-format module");
        return;
    }
    char path[HOST_PATH_SIZE];
    host_file f;
    kiln_diag d;
    if (!host_path_join(path, sizeof(path), r->json_dir, filename) ||
        !host_read_file(path, &f, &d)) {
        fail(r, c, "expected %s, got a file that cannot be read", wast_expect_name(want));
        return;
    }
    wast_check check;
    wast_check_module(f.data, f.size, want, r->o->wasm3, &check);
    host_file_free(&f);
    /* A module Kiln's reader converted (the direct route) is also judged by the validator's
     * message, which must start with the expected text, as the reference interpreter's runner
     * checks. Not wast2json's: its bytes differ from the text in places (no data count
     * section, the untyped select for `select (result)`), which changes the message. */
    const char *expected = json_get_str(c->json, "text");
    bool message_differs = r->check_messages && check.matches && want == WAST_EXPECT_INVALID &&
                           expected && strncmp(check.diag.msg, expected, strlen(expected)) != 0;
    /* A Wasm 3.0 feature Kiln does not compile stands in the way: the decoder stopped there
     * (unsupported), or 2.0's verdict on a construct 3.0 allows (invalid, feature set) is not
     * the error the script is about. Kiln cannot judge the module: skipped, as its commands. */
    if (!check.valid && check.diag.feature != NULL &&
        (check.diag.code == KILN_ERR_UNSUPPORTED || message_differs)) {
        char why[400];
        kiln_diag_format(&check.diag, filename, why, sizeof(why));
        skip(r, c, SKIP_UNSUPPORTED, "%s", why);
        return;
    }
    /* Bytes malformed in 2.0 and 3.0 that a proposal decodes (the feature named: a shared
     * memory without a maximum) asserted invalid: a script about that proposal's validation,
     * which rejects the same construct. The module is rejected, for that construct, in the
     * class the core specs give it: passed for a feature Kiln compiles (threads). */
    if (!check.valid && check.diag.feature != NULL && check.diag.code == KILN_ERR_MALFORMED &&
        want == WAST_EXPECT_INVALID) {
        uint32_t bit = 0;
        if (kiln_feature_bit(check.diag.feature, &bit) && bit != KILN_FEAT_NOT_COMPILED) {
            pass(r, c);
            return;
        }
        char why[400];
        kiln_diag_format(&check.diag, filename, why, sizeof(why));
        skip(r, c, SKIP_UNSUPPORTED, "%s (decoded by unsupported feature %s)", why,
             check.diag.feature);
        return;
    }
    if (message_differs) {
        fail(r, c, "expected invalid \"%s\", got invalid \"%s\"", expected, check.diag.msg);
        return;
    }
    if (check.matches) {
        pass(r, c);
        return;
    }
    if (check.valid) {
        fail(r, c, "expected %s, got valid", wast_expect_name(want));
        return;
    }
    char diag[400];
    kiln_diag_format(&check.diag, filename, diag, sizeof(diag));
    fail(r, c, "expected %s, got %s: %s", wast_expect_name(want), kiln_err_class(check.diag.code),
         diag);
}

static void cmd_register(runner *r, const command *c)
{
    const char *as = get_cstr(c->json, "as");
    const char *name = json_get_str(c->json, "name");
    module_rec *m = find_module(r, name);
    if (as == NULL || m == NULL) {
        fail(r, c, "expected a module to register, got %s", as ? "none" : "no name");
        return;
    }
    m->registered = true;
    if (r->reg_count == r->reg_cap) {
        size_t cap = r->reg_cap ? r->reg_cap * 2 : 16;
        struct registration *p = realloc(r->regs, cap * sizeof(*p));
        if (p == NULL) {
            fail(r, c, "out of memory");
            return;
        }
        r->regs = p;
        r->reg_cap = cap;
    }
    r->regs[r->reg_count].as = as;
    r->regs[r->reg_count++].module = m;
    if (!wast_host_register(r->host, as, m->inst, m, r->thread))
        fail(r, c, "out of memory");
    /* Registering is not a test of its own: nothing is counted on success. */
}

/* A thread records the instance it calls, so that a wait giving up on it can interrupt the
 * call (kiln_instance_interrupt: a memory.atomic.wait nobody notifies, a loop). After the
 * call, a stop request that came too late to stop it is dropped, so the instance's next call
 * (another thread's) is not stopped for it. */
static void set_calling(runner *r, kiln_instance *inst)
{
    script_thread *t = r->thread;
    if (t == NULL)
        return;
    pthread_mutex_lock(&r->threads->lock);
    if (inst == NULL && t->abandoned && t->running_inst)
        kiln_instance_cancel_interrupt(t->running_inst);
    t->running_inst = inst;
    pthread_mutex_unlock(&r->threads->lock);
}

/* Runs the action of an action / assert_* command. Returns false (after reporting c as failed
 * or skipped) if it could not be run; else true with the outcome in *status and out. */
static bool run_action(runner *r, const command *c, wast_status *status, wast_result *out,
                       char *msg, size_t msg_size)
{
    const json_value *action = json_get(c->json, "action");
    const char *kind = json_get_str(action, "type");
    const json_value *field_json = json_get(action, "field");
    module_rec *m = find_module(r, json_get_str(action, "module"));
    if (!kind || !field_json || field_json->kind != JSON_STRING) {
        fail(r, c, "bad wast2json output: an action without a type or a field");
        return false;
    }
    const char *field = field_json->u.str.ptr; /* may contain NUL bytes: use field_len */
    size_t field_len = field_json->u.str.len;
    if (m == NULL) {
        fail(r, c, "expected a module to run it in, got none");
        return false;
    }
    if (m->inst == NULL || m->stale) {
        skip_dependent(r, c, m);
        return false;
    }
    if (strcmp(kind, "get") == 0) {
        *status = wast_host_get(r->host, m->inst, field, field_len, out, msg, msg_size);
        return true;
    }
    if (strcmp(kind, "invoke") != 0) {
        skip(r, c, SKIP_COMMAND, "unknown action \"%s\"", kind);
        return false;
    }
    const json_value *args = json_get(action, "args");
    size_t n = json_len(args);
    if (n > WAST_MAX_ARGS) {
        fail(r, c, "%zu arguments: no function takes more than %u (KILN_MAX_PARAMS)", n,
             WAST_MAX_ARGS);
        return false;
    }
    wast_value *values = calloc(n + 1, sizeof *values);
    if (values == NULL) {
        fail(r, c, "out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        wast_script_value v;
        char err[128];
        if (!wast_parse_value(json_at(args, i), false, &v, err, sizeof(err))) {
            fail(r, c, "argument %zu: %s", i, err);
            free(values);
            return false;
        }
        if (v.unsupported) {
            skip(r, c, SKIP_VALUE, "argument %zu: compiled code holds no %s", i,
                 wast_type_name(v.v.type));
            free(values);
            return false;
        }
        values[i] = v.v;
    }
    set_calling(r, m->inst);
    *status = wast_host_invoke(r->host, m->inst, field, field_len, values, n, out, msg, msg_size);
    set_calling(r, NULL);
    free(values);
    return true;
}

/* "trap \"unreachable\"", "error: ...", or the results, for "got ..." */
static void format_outcome(cli_buf *b, wast_status status, const wast_result *out,
                           const wast_script_value *wants, size_t want_count, const char *msg)
{
    if (status == WAST_TRAP)
        cli_buf_printf(b, "trap \"%s\"", out->trap);
    else if (status != WAST_OK)
        cli_buf_printf(b, "error: %s", msg);
    else
        wast_format_values(b, out->values, out->count == want_count ? wants : NULL, out->count,
                           false);
}

/* One expected result: a value, or with (either ...) the values any one of which will do. */
typedef struct want_alts {
    size_t first, count; /* a range of the alternatives array */
} want_alts;

/* Parses expected result j into alts[*n...] (one value, or each of an "either"'s "values"),
 * recording the range in *w. False with the reason in err. */
static bool parse_expected(const json_value *j, wast_script_value *alts, size_t *n, size_t cap,
                           want_alts *w, char *err, size_t err_size)
{
    const char *type = json_get_str(j, "type");
    bool either = type && strcmp(type, "either") == 0;
    const json_value *values = either ? json_get(j, "values") : NULL;
    size_t count = either ? json_len(values) : 1;
    if (either && count == 0) {
        kiln_msg(err, err_size, "an either without values");
        return false;
    }
    if (count > cap - *n) {
        kiln_msg(err, err_size, "too many alternatives");
        return false;
    }
    w->first = *n;
    w->count = count;
    for (size_t k = 0; k < count; k++)
        if (!wast_parse_value(either ? json_at(values, k) : j, true, &alts[(*n)++], err, err_size))
            return false;
    return true;
}

/* The alternatives an expected result has: 1, or an "either"'s count (0 if it is empty). */
static size_t alternatives(const json_value *j)
{
    const char *type = json_get_str(j, "type");
    return type && strcmp(type, "either") == 0 ? json_len(json_get(j, "values")) : 1;
}

/* "i32:1", "either(i32:1 | i32:2)"; several results as "[a, b]". */
static void format_wants(cli_buf *b, const wast_script_value *alts, const want_alts *w,
                         size_t count)
{
    if (count != 1)
        cli_buf_put(b, "[", 1);
    for (size_t i = 0; i < count; i++) {
        if (i)
            cli_buf_put(b, ", ", 2);
        if (w[i].count > 1)
            cli_buf_put(b, "either(", 7);
        for (size_t k = 0; k < w[i].count; k++) {
            const wast_script_value *a = &alts[w[i].first + k];
            if (k)
                cli_buf_put(b, " | ", 3);
            wast_format_value(b, &a->v, a, true);
        }
        if (w[i].count > 1)
            cli_buf_put(b, ")", 1);
    }
    if (count != 1)
        cli_buf_put(b, "]", 1);
}

static void cmd_assert_return(runner *r, const command *c)
{
    const json_value *expected = json_get(c->json, "expected");
    size_t want_count = json_len(expected);
    if (want_count > WAST_MAX_RESULTS) {
        fail(r, c, "%zu expected results: no function returns more than %u (KILN_MAX_RESULTS)",
             want_count, WAST_MAX_RESULTS);
        return;
    }
    size_t alt_cap = 0;
    for (size_t i = 0; i < want_count; i++)
        alt_cap += alternatives(json_at(expected, i));
    /* Up to 1,000 values (and the results, 24 KiB): on the heap. wants[i] is the first
     * alternative of result i: the lane shape in which a v128 result is shown. */
    wast_script_value *alts = calloc(alt_cap + 1, sizeof *alts);
    wast_script_value *wants = calloc(want_count + 1, sizeof *wants);
    want_alts *ranges = calloc(want_count + 1, sizeof *ranges);
    wast_result *out = malloc(sizeof *out);
    if (alts == NULL || wants == NULL || ranges == NULL || out == NULL) {
        fail(r, c, "out of memory");
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < want_count; i++) {
        char err[128];
        if (!parse_expected(json_at(expected, i), alts, &n, alt_cap, &ranges[i], err,
                            sizeof(err))) {
            fail(r, c, "expected result %zu: %s", i, err);
            goto done;
        }
        wants[i] = alts[ranges[i].first];
    }
    wast_status status = WAST_ERROR;
    char msg[512] = "";
    if (!run_action(r, c, &status, out, msg, sizeof(msg)))
        goto done;
    bool ok = status == WAST_OK && out->count == want_count;
    for (size_t i = 0; ok && i < want_count; i++) {
        bool any = false;
        for (size_t k = 0; !any && k < ranges[i].count; k++)
            any = wast_value_matches(&alts[ranges[i].first + k], &out->values[i]);
        ok = any;
    }
    if (ok) {
        pass(r, c);
        goto done;
    }
    /* A result pattern compiled code cannot produce (a GC or host reference) matches nothing
     * here: the command cannot be decided, unless another alternative matched. */
    for (size_t k = 0; k < n; k++) {
        if (alts[k].unsupported) {
            skip(r, c, SKIP_VALUE, "expected result: compiled code holds no %s",
                 wast_type_name(alts[k].v.type));
            goto done;
        }
    }
    cli_buf want, got;
    cli_buf_init(&want);
    cli_buf_init(&got);
    format_wants(&want, alts, ranges, want_count);
    format_outcome(&got, status, out, wants, want_count, msg);
    fail(r, c, "expected %s, got %s", cli_buf_str(&want), cli_buf_str(&got));
    cli_buf_free(&want);
    cli_buf_free(&got);
done:
    free(alts);
    free(wants);
    free(ranges);
    free(out);
}

/* assert_trap (the message must match) and assert_exhaustion (the trap must be call stack
 * exhaustion), both on an action. */
static void cmd_assert_trap(runner *r, const command *c, bool exhaustion)
{
    const char *text = json_get_str(c->json, "text");
    wast_status status = WAST_ERROR;
    wast_result out;
    char msg[512] = "";
    if (!run_action(r, c, &status, &out, msg, sizeof(msg)))
        return;
    bool ok = status == WAST_TRAP && !out.exception &&
              (exhaustion ? out.exhausted : text != NULL && trap_matches(out.trap, text));
    if (ok) {
        pass(r, c);
        return;
    }
    cli_buf got;
    cli_buf_init(&got);
    format_outcome(&got, status, &out, NULL, 0, msg);
    fail(r, c, "expected trap \"%s\", got %s", text ? text : "", cli_buf_str(&got));
    cli_buf_free(&got);
}

/* assert_exception: the call must end in a Wasm exception that no handler caught (the
 * runtime's KILN_TRAP_EXCEPTION), of any tag. */
static void cmd_assert_exception(runner *r, const command *c)
{
    wast_status status = WAST_ERROR;
    wast_result out;
    char msg[512] = "";
    if (!run_action(r, c, &status, &out, msg, sizeof(msg)))
        return;
    if (status == WAST_TRAP && out.exception) {
        pass(r, c);
        return;
    }
    cli_buf got;
    cli_buf_init(&got);
    format_outcome(&got, status, &out, NULL, 0, msg);
    fail(r, c, "expected an exception, got %s", cli_buf_str(&got));
    cli_buf_free(&got);
}

static void cmd_action(runner *r, const command *c)
{
    wast_status status = WAST_ERROR;
    wast_result out;
    char msg[512] = "";
    if (!run_action(r, c, &status, &out, msg, sizeof(msg)))
        return;
    if (status == WAST_OK) {
        pass(r, c);
        return;
    }
    cli_buf got;
    cli_buf_init(&got);
    format_outcome(&got, status, &out, NULL, 0, msg);
    fail(r, c, "expected it to finish, got %s", cli_buf_str(&got));
    cli_buf_free(&got);
}

/* ---- threads ---- */

/* The threads proposal's commands (its interpreter/README.md):
 *   (thread $T? (shared (module $M))* cmd*)  starts a host thread that runs cmd* in order,
 *       concurrently with the commands after it, in a scope of its own (runner): its own
 *       module names, definitions and current module, the shared modules visible under their
 *       names (the same instances). Registrations are the scope's own (wast_host keys them by
 *       the registering thread; a thread's registry starts empty); thread names are the
 *       script's.
 *   (wait $T)  waits for thread $T: a failure for a thread unknown or waited already. The
 *       threads no wait took are waited for at the end of the script.
 * A thread's commands are reported like the others (under the lock). A wait gives up after
 * --timeout seconds (isolated runs with a timeout): it fails, naming the line the thread was
 * running; the thread then reports nothing more and runs no further command, and its call
 * is interrupted (kiln_instance_interrupt: a memory.atomic.wait nobody notifies, a loop). A
 * thread that still does not stop (e.g. a start function looping) is left running: the
 * script goes on, and the process then ends without freeing the host. */

#define THREAD_STACK_SIZE ((size_t)8 << 20) /* as a main thread's, whatever ulimit -s says */
#define STOP_GRACE        2                 /* seconds an interrupted thread has to stop */

/* A time seconds from now on CLOCK_MONOTONIC, the clock of script_threads.changed. */
static struct timespec deadline_in(unsigned seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)seconds;
    return ts;
}

/* Waits, holding the lock, until t is done or deadline (if not NULL) has passed. */
static void wait_done(script_threads *ts, script_thread *t, const struct timespec *deadline)
{
    int rc = 0;
    while (!t->done && rc != ETIMEDOUT)
        rc = deadline ? pthread_cond_timedwait(&ts->changed, &ts->lock, deadline)
                      : pthread_cond_wait(&ts->changed, &ts->lock);
}

static script_threads *new_threads(void)
{
    script_threads *ts = calloc(1, sizeof(*ts));
    if (ts == NULL)
        return NULL;
    pthread_condattr_t attr;
    if (pthread_mutex_init(&ts->lock, NULL) != 0) {
        free(ts);
        return NULL;
    }
    bool ok = pthread_condattr_init(&attr) == 0;
    if (ok) {
        ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
             pthread_cond_init(&ts->changed, &attr) == 0;
        pthread_condattr_destroy(&attr);
    }
    if (!ok) {
        pthread_mutex_destroy(&ts->lock);
        free(ts);
        return NULL;
    }
    return ts;
}

/* Frees the threads' records and scopes: every thread has been joined. */
static void free_threads(script_threads *ts)
{
    for (script_thread *t = ts->first, *next; t; t = next) {
        next = t->next;
        free_scope(&t->scope);
        free(t);
    }
    pthread_cond_destroy(&ts->changed);
    pthread_mutex_destroy(&ts->lock);
    free(ts);
}

static void run_command(runner *r, const json_value *json, bool crashed);

/* A thread: runs the commands of its thread command in its scope, stopping early if a wait
 * gave up on it. */
static void *run_thread(void *arg)
{
    script_thread *t = arg;
    runner *r = &t->scope;
    const json_value *cmds = json_get(t->json, "commands");
    for (size_t i = 0; i < json_len(cmds); i++) {
        const json_value *cmd = json_at(cmds, i);
        uint64_t line = 0;
        json_get_u64(cmd, "line", &line);
        pthread_mutex_lock(&r->threads->lock);
        bool stop = t->abandoned;
        t->running_line = line;
        pthread_mutex_unlock(&r->threads->lock);
        if (stop)
            break;
        run_command(r, cmd, false);
    }
    pthread_mutex_lock(&r->threads->lock);
    t->done = true;
    r->tally->running[t->top]--;
    pthread_cond_broadcast(&r->threads->changed);
    pthread_mutex_unlock(&r->threads->lock);
    return NULL;
}

/* Makes the modules c shares, (shared (module $M)), visible in s under their names: copies
 * of r's records (the same instances) and of their definitions (a module definition alone
 * can be shared too: the thread may instantiate it). */
static void share_modules(runner *r, const command *c, runner *s)
{
    const json_value *shared = json_get(c->json, "shared");
    for (size_t i = 0; i < json_len(shared); i++) {
        const json_value *v = json_at(shared, i);
        const char *name = v && v->kind == JSON_STRING ? v->u.str.ptr : NULL;
        module_rec *m = name ? find_module(r, name) : NULL;
        def_rec *d = name ? find_def(r, name) : NULL;
        if (m == NULL && d == NULL) {
            fail(r, c, "expected a module %s to share, got none", name ? name : "?");
            continue;
        }
        module_rec *copy = m ? add_module(s, m->name) : NULL;
        def_rec *def_copy = d ? add_def(s, d->cmd, d->ordinal) : NULL;
        if ((m && copy == NULL) || (d && def_copy == NULL)) {
            fail(r, c, "out of memory");
            break;
        }
        if (m)
            *copy = *m;
        if (d)
            *def_copy = *d;
    }
    s->current = SIZE_MAX; /* no current module: it is not shared */
}

/* thread: starts its thread, whose modules take the ordinals from first_ordinal on. dead:
 * replaying, it was running when an earlier child died; it is only recorded, so that its
 * wait is skipped. */
static void cmd_thread(runner *r, const command *c, unsigned first_ordinal, bool dead)
{
    script_thread *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        fail(r, c, "out of memory");
        return;
    }
    t->name = json_get_str(c->json, "name");
    t->json = c->json;
    t->line = c->line;
    t->top = r->top;
    t->dead = dead;
    runner *s = &t->scope;
    *s = *r;
    s->modules = NULL;
    s->module_count = s->module_cap = 0;
    s->current = SIZE_MAX;
    s->defs = NULL;
    s->def_count = s->def_cap = 0;
    s->regs = NULL; /* staleness (taint_imported) is tracked per scope: none inherited */
    s->reg_count = s->reg_cap = 0;
    s->next_ordinal = first_ordinal;
    s->thread = t;
    if (!dead)
        share_modules(r, c, s);

    script_threads *ts = r->threads;
    int err = 0;
    if (!dead) {
        pthread_mutex_lock(&ts->lock);
        r->tally->running[t->top]++;
        pthread_mutex_unlock(&ts->lock);
        pthread_attr_t attr;
        err = pthread_attr_init(&attr);
        if (err == 0) {
            err = pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
            if (err == 0)
                err = pthread_create(&t->id, &attr, run_thread, t);
            pthread_attr_destroy(&attr);
        }
    }
    /* Listed once whether it runs is known, so that a wait knows whether to join it. */
    pthread_mutex_lock(&ts->lock);
    t->started = !dead && err == 0;
    if (!t->started) {
        t->done = true;
        if (!dead)
            r->tally->running[t->top]--;
    }
    if (ts->last)
        ts->last->next = t;
    else
        ts->first = t;
    ts->last = t;
    pthread_mutex_unlock(&ts->lock);
    if (err)
        fail(r, c, "expected a thread, got none: cannot start one: %s", strerror(err));
}

/* Waits for t, which a wait (c) took or, at_end, the end of the script (c: t's own command),
 * and joins it. If t does not finish within the timeout, c fails and t is stopped (see
 * above). */
static void join_thread(runner *r, script_thread *t, const command *c, bool at_end)
{
    script_threads *ts = r->threads;
    unsigned timeout = r->o->isolate ? r->o->timeout : 0;
    pthread_mutex_lock(&ts->lock);
    struct timespec deadline = deadline_in(timeout);
    wait_done(ts, t, timeout ? &deadline : NULL);
    bool finished = t->done;
    uint64_t line = t->running_line;
    if (!finished) {
        t->abandoned = true;
        if (t->running_inst)
            kiln_instance_interrupt(t->running_inst);
        deadline = deadline_in(STOP_GRACE);
        wait_done(ts, t, &deadline);
        if (!t->done)
            ts->stuck = true;
    }
    bool joinable = t->done && t->started;
    t->started = false; /* joined below: never again */
    pthread_mutex_unlock(&ts->lock);
    if (!finished && at_end)
        fail(r, c,
             "expected it to finish (no wait took it), got no result within %u s (--timeout) "
             "after the end of the script: it was running the command at line %" PRIu64,
             timeout, line);
    else if (!finished)
        fail(r, c,
             "expected thread %s to finish, got no result within %u s (--timeout): it was "
             "running the command at line %" PRIu64,
             t->name, timeout, line);
    if (joinable)
        pthread_join(t->id, NULL);
}

/* wait: waits for the newest thread of that name. Nothing is counted when it finishes (the
 * thread's commands are). */
static void cmd_wait(runner *r, const command *c)
{
    const char *name = json_get_str(c->json, "thread");
    script_threads *ts = r->threads;
    script_thread *t = NULL;
    pthread_mutex_lock(&ts->lock);
    for (script_thread *i = ts->first; i; i = i->next)
        if (name && i->name && strcmp(i->name, name) == 0)
            t = i;
    bool waited = t && t->waited;
    uint64_t waited_line = t ? t->waited_line : 0;
    if (t && !waited) {
        t->waited = true;
        t->waited_line = c->line;
    }
    pthread_mutex_unlock(&ts->lock);
    if (t == NULL)
        fail(r, c, "expected a thread %s to wait for, got none", name ? name : "?");
    else if (waited)
        fail(r, c,
             "expected a thread %s to wait for, got none: the wait at line %" PRIu64 " took it",
             name, waited_line);
    else if (t->dead)
        skip(r, c, SKIP_THREAD,
             "thread %s at line %" PRIu64 " was stopped when the process running the script "
             "died",
             name, t->line);
    else
        join_thread(r, t, c, false);
}

/* At the end of the script: waits for the threads no wait took, in the order they started
 * (threads they started come after them). */
static void join_remaining(runner *r)
{
    script_threads *ts = r->threads;
    pthread_mutex_lock(&ts->lock);
    script_thread *t = ts->first;
    pthread_mutex_unlock(&ts->lock);
    while (t) {
        pthread_mutex_lock(&ts->lock);
        bool take = !t->waited && !t->dead;
        t->waited = true;
        pthread_mutex_unlock(&ts->lock);
        if (take) {
            command c;
            c.json = t->json;
            c.type = "thread";
            c.line = t->line;
            describe(t->json, c.what, sizeof(c.what));
            r->quiet = t->scope.quiet;
            join_thread(r, t, &c, true);
        }
        pthread_mutex_lock(&ts->lock);
        t = t->next;
        pthread_mutex_unlock(&ts->lock);
    }
}

/* ---- running the script ---- */

static void run_command(runner *r, const json_value *json, bool crashed)
{
    command c;
    c.json = json;
    c.type = json_get_str(c.json, "type");
    c.line = 0;
    json_get_u64(c.json, "line", &c.line);
    describe(c.json, c.what, sizeof(c.what));
    unsigned ordinal = loads_binary_module(c.json) ? r->next_ordinal++ : 0;
    const char *type = c.type ? c.type : "";
    bool is_thread = strcmp(type, "thread") == 0;
    unsigned first_ordinal = r->next_ordinal;
    if (is_thread)
        r->next_ordinal += ordinals_of(c.json);

    if (crashed) {
        /* Reported by the parent when it crashed; a module it was is not available, a thread
         * it was does not run again. */
        bool is_module = strcmp(type, "module") == 0;
        bool is_instance = strcmp(type, "module_instance") == 0;
        const json_value *definition = json_get(c.json, "definition");
        bool is_def = is_module && definition && definition->kind == JSON_TRUE;
        def_rec *d = is_module ? add_def(r, c.json, ordinal) : NULL;
        if (d) {
            d->why_kind = SKIP_DEPENDENT;
            snprintf(d->why, sizeof(d->why), "module at line %" PRIu64 " crashed", c.line);
        }
        module_rec *m = (is_module && !is_def) || is_instance
                            ? add_module(r, json_get_str(c.json, is_module ? "name" : "instance"))
                            : NULL;
        if (m)
            set_unavailable(m, SKIP_DEPENDENT, "module at line %" PRIu64 " crashed", c.line);
        if (is_thread)
            cmd_thread(r, &c, first_ordinal, true);
        return;
    }
    if (strcmp(type, "module") == 0)
        cmd_module(r, &c, ordinal);
    else if (strcmp(type, "module_instance") == 0)
        cmd_module_instance(r, &c);
    else if (strcmp(type, "register") == 0)
        cmd_register(r, &c);
    else if (strcmp(type, "assert_return") == 0)
        cmd_assert_return(r, &c);
    else if (strcmp(type, "assert_trap") == 0)
        cmd_assert_trap(r, &c, false);
    else if (strcmp(type, "assert_exhaustion") == 0)
        cmd_assert_trap(r, &c, true);
    else if (strcmp(type, "action") == 0)
        cmd_action(r, &c);
    else if (strcmp(type, "assert_exception") == 0)
        cmd_assert_exception(r, &c);
    else if (strcmp(type, "assert_unlinkable") == 0)
        cmd_unlinkable_or_uninstantiable(r, &c, ordinal, true);
    else if (strcmp(type, "assert_uninstantiable") == 0)
        cmd_unlinkable_or_uninstantiable(r, &c, ordinal, false);
    else if (is_thread)
        cmd_thread(r, &c, first_ordinal, false);
    else if (strcmp(type, "wait") == 0)
        cmd_wait(r, &c);
    else if (r->quiet)
        return; /* validation leaves no state behind: nothing to replay */
    else if (strcmp(type, "assert_invalid") == 0)
        cmd_invalid_or_malformed(r, &c, WAST_EXPECT_INVALID);
    else if (strcmp(type, "assert_malformed") == 0)
        cmd_invalid_or_malformed(r, &c, WAST_EXPECT_MALFORMED);
    else if (strcmp(type, "assert_malformed_custom") == 0)
        cmd_invalid_or_malformed(r, &c, WAST_EXPECT_MALFORMED);
    else if (strcmp(type, "assert_invalid_custom") == 0)
        cmd_invalid_or_malformed(r, &c, WAST_EXPECT_INVALID);
    else
        skip(r, &c, SKIP_COMMAND, "unknown command \"%s\"", type);
}

/* Runs every command (replaying those before r->resume_at). False if the host could not be
 * set up (after saying why). */
static bool run_commands(runner *r)
{
    char msg[512];
    r->current = SIZE_MAX;
    r->next_ordinal = 0;
    r->def_count = 0;
    if (!host_path_join(r->batch_so, sizeof(r->batch_so), r->work_dir, "modules.so")) {
        fprintf(stderr, "kiln wast: path too long: %s\n", r->work_dir);
        return false;
    }
    if (!prepare_modules(r))
        return false;
    if (!wast_host_new(&r->host, msg, sizeof(msg))) {
        fprintf(stderr, "kiln wast: %s\n", msg);
        return false;
    }
    r->threads = new_threads();
    if (r->threads == NULL) {
        fprintf(stderr, "kiln wast: out of memory\n");
        wast_host_free(r->host);
        return false;
    }
    size_t n = json_len(r->commands);
    for (size_t i = 0; i < n; i++) {
        const json_value *cmd = json_at(r->commands, i);
        r->quiet = i < r->resume_at;
        r->top = i;
        r->tally->current = (long)i;
        /* a wait times itself out (join_thread) */
        bool timed = r->o->isolate && r->o->timeout && !is_type(cmd, "wait");
        if (timed)
            alarm(r->o->timeout);
        run_command(r, cmd, is_crashed(r, i));
        if (timed)
            alarm(0);
        fflush(stdout);
        r->tally->done = i + 1;
    }
    r->tally->current = -1;
    join_remaining(r);
    fflush(stdout);
    r->tally->finished = true;
    if (r->threads->stuck) /* a thread still runs, maybe in an instance: free nothing */
        return true;
    wast_host_free(r->host);
    r->host = NULL;
    free_threads(r->threads);
    r->threads = NULL;
    free_scope(r);
    free(r->compiled);
    r->compiled = NULL;
    return true;
}

/* ---- isolation ---- */

static bool add_crashed(size_t **list, size_t *count, size_t index)
{
    size_t *p = realloc(*list, (*count + 1) * sizeof(**list));
    if (p == NULL)
        return false;
    p[(*count)++] = index;
    *list = p;
    return true;
}

/* Runs the commands in forked children until one gets to the end (see the top of the file).
 * Returns false on a set-up error (reported). */
static bool run_isolated(runner *r)
{
    size_t *crashed = NULL, crashed_count = 0;
    size_t resume = 0;
    bool ok = true;
    for (;;) {
        r->tally->current = -1;
        r->tally->done = resume;
        r->tally->finished = false;
        memset(r->tally->running, 0, r->tally->command_count * sizeof(r->tally->running[0]));
        r->resume_at = resume;
        r->crashed = crashed;
        r->crashed_count = crashed_count;
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "kiln wast: fork: %s\n", strerror(errno));
            ok = false;
            break;
        }
        if (pid == 0) {
            /* Line-buffered, so a crash loses no reported line. */
            setvbuf(stdout, NULL, _IOLBF, 0);
            bool child_ok = run_commands(r);
            fflush(stdout);
            _exit(child_ok ? 0 : 2);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && r->tally->finished)
            break;
        if (WIFEXITED(status)) { /* the child could not set up; it said why */
            ok = false;
            break;
        }
        long k = r->tally->current;
        int sig = WTERMSIG(status);
        char got[160];
        if (sig == SIGALRM)
            snprintf(got, sizeof(got), "no result within %u s (--timeout)", r->o->timeout);
        else
            snprintf(got, sizeof(got), "a crash (signal %d, %s)", sig, strsignal(sig));
        /* The script's threads that were running are not run again (their waits are skipped):
         * replaying them could repeat the death, and what they reported stays reported. The
         * death is charged to the command the script ran, or else to the first of them. */
        size_t thread_count = 0, first_thread = 0;
        cli_buf lines;
        cli_buf_init(&lines);
        for (size_t i = 0; i < r->tally->command_count && ok; i++) {
            if (r->tally->running[i] == 0 || is_crashed(r, i))
                continue;
            uint64_t line = 0;
            json_get_u64(json_at(r->commands, i), "line", &line);
            cli_buf_printf(&lines, "%s%" PRIu64, thread_count ? ", " : "", line);
            if (thread_count++ == 0)
                first_thread = i;
            ok = add_crashed(&crashed, &crashed_count, i);
            r->crashed = crashed;
            r->crashed_count = crashed_count;
        }
        bool charge_command = k >= 0 && (size_t)k >= resume && !is_crashed(r, (size_t)k);
        if (ok && !charge_command && thread_count == 0) {
            printf("%s: FAIL: expected the script to run, got %s %s; the rest of the script "
                   "was not run\n",
                   r->display, got, k < 0 ? "outside the commands" : "while replaying");
            r->tally->failed++;
            cli_buf_free(&lines);
            break;
        }
        size_t charged = charge_command ? (size_t)k : first_thread;
        command c;
        c.json = json_at(r->commands, charged);
        c.line = 0;
        json_get_u64(c.json, "line", &c.line);
        describe(c.json, c.what, sizeof(c.what));
        if (ok && charge_command && thread_count)
            printf("%s:%" PRIu64 ": FAIL: %s: expected it to finish, got %s while the %s %s ran\n",
                   r->display, c.line, c.what, got,
                   thread_count > 1 ? "threads at lines" : "thread at line", cli_buf_str(&lines));
        else if (ok)
            printf("%s:%" PRIu64 ": FAIL: %s: expected it to finish, got %s\n", r->display, c.line,
                   c.what, got);
        cli_buf_free(&lines);
        if (ok)
            r->tally->failed++;
        if (!ok || (charge_command && !add_crashed(&crashed, &crashed_count, charged))) {
            fprintf(stderr, "kiln wast: out of memory\n");
            ok = false;
            break;
        }
        /* The commands the dead child ran are reported: they are replayed silently. When it
         * died compiling module k, that is fewer than k. */
        resume = r->tally->done;
    }
    free(crashed);
    return ok;
}

/* ---- the command ---- */

static bool parse_unsigned(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > 86400)
        return false;
    *out = (unsigned)v;
    return true;
}

/* Returns -1 when the arguments are fine, else the exit status to return. */
static int parse_args(int argc, char **argv, wast_options *o)
{
    bool options_done = false, missing = false;
    const char *timeout = NULL, *spec = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0') {
            if (o->file)
                return cli_usage_error("wast", "expected one FILE, got '%s' too", a);
            o->file = a;
        } else if (strcmp(a, "--") == 0) {
            options_done = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(cli_wast_help, stdout);
            return CLI_EXIT_OK;
        } else if (a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && a[3] == '\0') {
            o->opt_level = a[2] - '0';
        } else if (strcmp(a, "--keep") == 0) {
            o->keep = true;
        } else if (strcmp(a, "--bounds-checks") == 0) {
            o->bounds_checks = true;
        } else if (strcmp(a, "--no-address-facts") == 0) {
            o->no_address_facts = true;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            o->verbose = true;
        } else if (strcmp(a, "--no-isolate") == 0) {
            o->isolate = false;
        } else if (strcmp(a, "--skip-if-missing") == 0) {
            o->skip_if_missing = true;
        } else if (strcmp(a, "--via-wast2json") == 0) {
            o->via_wast2json = true;
        } else if (strcmp(a, "--prepare-only") == 0) {
            o->prepare_only = true;
        } else if (cli_option_value(argc, argv, &i, "--wast2json", &o->wast2json, &missing) ||
                   cli_option_value(argc, argv, &i, "--linker", &o->linker, &missing) ||
                   cli_option_value(argc, argv, &i, "--link-lib", &o->link_lib, &missing) ||
                   cli_option_value(argc, argv, &i, "--timeout", &timeout, &missing) ||
                   cli_option_value(argc, argv, &i, "--target", &o->target, &missing) ||
                   cli_option_value(argc, argv, &i, "--cpu", &o->cpu, &missing) ||
                   cli_option_value(argc, argv, &i, "--work", &o->work, &missing) ||
                   cli_option_value(argc, argv, &i, "--spec", &spec, &missing)) {
            if (missing)
                return cli_usage_error("wast", "option '%s' needs a value", a);
            if (spec && strcmp(spec, "2.0") != 0 && strcmp(spec, "3.0") != 0)
                return cli_usage_error("wast", "bad --spec '%s' (2.0 or 3.0)", spec);
            if (spec)
                o->wasm3 = strcmp(spec, "3.0") == 0;
            spec = NULL;
            if (timeout && !parse_unsigned(timeout, &o->timeout))
                return cli_usage_error("wast", "bad --timeout '%s'", timeout);
            timeout = NULL;
        } else {
            return cli_usage_error("wast", "unknown option '%s'", a);
        }
    }
    if (!o->file)
        return cli_usage_error("wast", "expected a FILE.wast or FILE.json");
    if (!wast_ends_with(o->file, ".wast") && !wast_ends_with(o->file, ".json"))
        return cli_usage_error("wast", "'%s' is neither a .wast nor a .json file", o->file);
    if (o->prepare_only && !o->work)
        return cli_usage_error("wast", "--prepare-only needs --work DIR");
    if (o->target && !o->prepare_only)
        return cli_usage_error("wast", "--target needs --prepare-only (code for another target "
                                       "cannot run in this process)");
    if (o->work && o->work[0] == '\0')
        return cli_usage_error("wast", "--work needs a directory");
    return -1;
}

/* Something needed is missing: status 77 with --skip-if-missing, else 2. */
static int missing(const wast_options *o, const char *what)
{
    if (o->skip_if_missing) {
        printf("kiln wast: SKIP: %s\n", what);
        return WAST_EXIT_SKIP;
    }
    fprintf(stderr, "kiln wast: %s\n", what);
    return CLI_EXIT_USAGE;
}

/* Prints the skip reasons and the final counts line. */
static void print_summary(const wast_tally *t)
{
    if (t->skipped) {
        fputs("skipped:", stdout);
        const char *sep = " ";
        for (int k = 0; k < SKIP_KIND_COUNT; k++) {
            if (t->skips[k] == 0)
                continue;
            printf("%s%ld %s", sep, t->skips[k], skip_kind_names[k]);
            sep = ", ";
        }
        putchar('\n');
    }
    printf("%ld passed, %ld failed, %ld skipped\n", t->passed, t->failed, t->skipped);
}

/* --prepare-only: compiles the modules and links them into WORK/modules.so (or, if that link
 * fails, each into WORK/mN.so), and records in WORK/mN.why why each other module is not
 * there, so that a run with --work needs neither the code generator nor a linker. Nothing is
 * run (the modules may be for another CPU). Returns the exit status. */
static int prepare_only(runner *r)
{
    if (!host_path_join(r->batch_so, sizeof(r->batch_so), r->work_dir, "modules.so")) {
        fprintf(stderr, "kiln wast: path too long: %s\n", r->work_dir);
        return CLI_EXIT_USAGE;
    }
    if (!prepare_modules(r))
        return CLI_EXIT_USAGE;
    bool batch = file_exists(r->batch_so);
    unsigned counts[3] = {0};
    int status = CLI_EXIT_OK;
    for (unsigned i = 0; i < r->module_total; i++) {
        compiled *c = &r->compiled[i];
        char so[HOST_PATH_SIZE];
        if (c->result == LOAD_OK && !batch &&
            !link_module(r, i, so, sizeof(so), c->why, sizeof(c->why)))
            c->result = LOAD_FAILED;
        counts[c->result]++;
        kiln_diag d;
        kiln_diag_init(&d);
        if (c->result != LOAD_OK && !write_why(r, i, c, &d)) {
            fprintf(stderr, "kiln wast: m%u.why in %s: %s\n", i, r->work_dir, d.msg);
            status = CLI_EXIT_USAGE;
        }
    }
    printf("kiln wast: %s: %u modules prepared in %s: %u compiled, %u unsupported, %u failed\n",
           r->display, r->module_total, r->work_dir, counts[LOAD_OK], counts[LOAD_UNSUPPORTED],
           counts[LOAD_FAILED]);
    free(r->compiled);
    r->compiled = NULL;
    return status;
}

/* Everything after the options: prepares the script and runs it. */
static int run_script(const wast_options *o)
{
    if (!file_exists(o->file)) {
        char what[HOST_PATH_SIZE + 32];
        snprintf(what, sizeof(what), "%s not found", o->file);
        return missing(o, what);
    }
    char linker[HOST_PATH_SIZE], wast2json[HOST_PATH_SIZE];
    bool have_linker = o->linker ? host_find_program(o->linker, linker, sizeof(linker))
                                 : host_find_lld(linker, sizeof(linker));
    /* With --work a linker is needed only if DIR lacks a module's shared object: load_module
     * says so then. */
    if (!have_linker && o->work && !o->prepare_only && !o->linker)
        linker[0] = '\0';
    else if (!have_linker)
        return missing(o, o->linker ? "the linker given with --linker was not found"
                                    : "no ld.lld-19 or ld.lld on PATH (install lld)");
    bool is_wast = wast_ends_with(o->file, ".wast");
    if (is_wast && o->via_wast2json &&
        !host_find_program(o->wast2json, wast2json, sizeof(wast2json))) {
        char what[HOST_PATH_SIZE + 64];
        snprintf(what, sizeof(what), "wast2json not found (\"%s\"; install wabt)", o->wast2json);
        return missing(o, what);
    }

    char work[HOST_PATH_SIZE];
    if (o->work) {
        struct stat st;
        int n = snprintf(work, sizeof(work), "%s", o->work);
        if (n < 0 || (size_t)n >= sizeof(work)) {
            fprintf(stderr, "kiln wast: path too long: %s\n", o->work);
            return CLI_EXIT_USAGE;
        }
        errno = 0;
        if ((mkdir(work, 0777) != 0 && errno != EEXIST) || stat(work, &st) != 0 ||
            !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "kiln wast: cannot use %s as the scratch directory: %s\n", work,
                    errno && errno != EEXIST ? strerror(errno) : "not a directory");
            return CLI_EXIT_USAGE;
        }
    } else if (!host_make_temp_dir("kiln-wast", work, sizeof(work))) {
        fprintf(stderr, "kiln wast: cannot create a scratch directory: %s\n", strerror(errno));
        return CLI_EXIT_USAGE;
    }
    int exit_status = CLI_EXIT_USAGE;
    char json[HOST_PATH_SIZE], json_dir[HOST_PATH_SIZE], err[HOST_PATH_SIZE + 128];
    wast_script script;
    memset(&script, 0, sizeof(script));
    if (is_wast) {
        /* NAME.wast -> WORK/NAME.json (+ NAME.N.wasm beside it) */
        const char *base = strrchr(o->file, '/');
        base = base ? base + 1 : o->file;
        char name[HOST_PATH_SIZE];
        snprintf(name, sizeof(name), "%.*s.json", (int)(strlen(base) - 5), base);
        snprintf(json_dir, sizeof(json_dir), "%s", work);
        bool converted = host_path_join(json, sizeof(json), work, name);
        if (!converted)
            kiln_msg(err, sizeof(err), "path too long: %s", work);
        else if (o->via_wast2json)
            converted = wast_run_wast2json(wast2json, false, o->file, json, err, sizeof(err));
        else
            converted = wast_text_convert(o->file, json, o->wasm3, err, sizeof(err));
        if (!converted) {
            fprintf(stderr, "kiln wast: %s\n", err);
            goto cleanup;
        }
    } else {
        snprintf(json, sizeof(json), "%s", o->file);
        const char *slash = strrchr(o->file, '/');
        if (slash)
            snprintf(json_dir, sizeof(json_dir), "%.*s", (int)(slash - o->file), o->file);
        else
            snprintf(json_dir, sizeof(json_dir), ".");
        if (json_dir[0] == '\0')
            snprintf(json_dir, sizeof(json_dir), "/");
    }
    if (!wast_script_load(&script, json, err, sizeof(err))) {
        fprintf(stderr, "kiln wast: %s\n", err);
        goto cleanup;
    }

    /* The counts live in shared memory so the parent sees a crashed child's counts. */
    size_t command_count = json_len(script.commands);
    size_t tally_size = sizeof(wast_tally) + command_count * sizeof(uint32_t);
    wast_tally *tally =
        mmap(NULL, tally_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (tally == MAP_FAILED) {
        fprintf(stderr, "kiln wast: mmap: %s\n", strerror(errno));
        goto cleanup;
    }
    memset(tally, 0, tally_size);
    tally->command_count = command_count;
    runner r;
    memset(&r, 0, sizeof(r));
    r.o = o;
    r.display = is_wast || script.source == NULL ? o->file : script.source;
    r.json_dir = json_dir;
    r.work_dir = work;
    r.linker = linker[0] ? linker : NULL;
    r.commands = script.commands;
    r.check_messages = json_get_str(script.root, "converter") != NULL;
    r.tally = tally;
    if (o->prepare_only) {
        exit_status = prepare_only(&r);
        munmap(tally, tally_size);
        goto cleanup;
    }
    bool ran = o->isolate ? run_isolated(&r) : run_commands(&r);
    if (ran) {
        print_summary(tally);
        exit_status = tally->failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
    }
    munmap(tally, tally_size);

cleanup:
    wast_script_free(&script);
    if (o->keep && !o->work)
        fprintf(stderr, "kiln wast: kept %s\n", work);
    else if (!o->work) /* --work: the caller's directory, kept */
        host_remove_dir(work);
    return exit_status;
}

int cli_wast(int argc, char **argv)
{
    wast_options o = {
        .opt_level = DEFAULT_OPT_LEVEL,
        .isolate = true,
        .wast2json = "wast2json",
        .timeout = DEFAULT_TIMEOUT,
    };
    int status = parse_args(argc, argv, &o);
    if (status >= 0)
        return status;
    return run_script(&o);
}
