/* wast_host.c -- the runtime side of `kiln wast`: instances, spectest, registrations, calls.
 *
 * Each module of a script arrives as a descriptor loaded from a shared object (cli/loader.c);
 * its PREFIX_module descriptor is instantiated with kiln_instance_new_in in a pool
 * of the host's own (so instantiation traps are reported by name). The shared objects call
 * the runtime's kiln_* functions, which resolve against the `kiln` program itself: it is
 * linked with the whole runtime archive and exports its symbols (-rdynamic).
 * Imports are resolved by (module, name): "spectest" is the spec interpreter's host module
 * (print functions that do nothing, four immutable globals, a table and a memory), any other
 * module name is looked up among the instances registered with `register`, newest first. An
 * import that resolves nowhere is left out, so the runtime reports the link error itself.
 * Instances live until the host is freed, like the spec's store: a later module may import
 * from any of them, and tables may hold references to their functions. The exception is
 * wast_host_release: an instance no command can name any more, that imported no table, no
 * global and no function of another instance, cannot be reached, and is freed so that its
 * pool slot (and the slot's 8 GiB memory reservation, costly under an emulator) is reused.
 * Threads (the script's `thread` commands, wast_run.c) use one host at once: a mutex guards
 * the registrations, the instance list and the list of instances being called, and is never
 * held while wasm runs (an instantiation's start function, a call), since a thread blocked in
 * memory.atomic.wait would otherwise keep its notifier out. The pool needs no lock of ours:
 * kiln_instance_new_in and kiln_instance_free take and return slots under the pool's own
 * mutex (runtime/pool.c), and signatures are interned under one too (runtime/sig.c). An
 * instance runs on one thread at a time (kiln.h: its stack limit lives in its vmctx), so
 * wast_host_invoke refuses to call an instance another thread is calling.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wast.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NAME_SIZE    256 /* bytes of an import's module or field name, NUL included */
#define POOL_SLOTS   4096u

typedef struct registration {
    char *name;
    kiln_instance *inst; /* NULL: the module is not available */
    const void *tag;
    const void *scope; /* the script thread that registered it (NULL: the script itself) */
} registration;

struct wast_host {
    kiln_pool *pool;
    kiln_memory *memory;        /* spectest.memory */
    kiln_memory *shared_memory; /* spectest.shared_memory (threads: shared 1..2 pages) */
    kiln_table *table;          /* spectest.table */
    kiln_table *table64;        /* spectest.table64 (3.0: i64 10 20 funcref) */
    kiln_global_cell global_i32, global_i64, global_f32, global_f64;
    pthread_mutex_t lock; /* registered, instances, calling; never held while wasm runs */
    registration *registered;
    size_t registered_count, registered_cap;
    kiln_instance **instances; /* every live instance, in creation order */
    size_t instance_count, instance_cap;
    kiln_instance **calling; /* the instances a wast_host_invoke is calling now */
    size_t calling_count, calling_cap;
};

static bool grow(void **array, size_t *cap, size_t count, size_t elem)
{
    if (count < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*array, ncap * elem);
    if (p == NULL)
        return false;
    *array = p;
    *cap = ncap;
    return true;
}

/* ---- spectest ---- */

/* spectest's print functions: the reference interpreter prints the arguments; nothing a
 * script checks depends on it, so they stay silent. */
static kiln_trap spectest_print(void *env, kiln_instance *caller, const kiln_val *args,
                                kiln_val *results)
{
    (void)env;
    (void)caller;
    (void)args;
    (void)results;
    return KILN_TRAP_NONE;
}

static const uint8_t types_i32[] = {KILN_TYPE_I32};
static const uint8_t types_i64[] = {KILN_TYPE_I64};
static const uint8_t types_f32[] = {KILN_TYPE_F32};
static const uint8_t types_f64[] = {KILN_TYPE_F64};
static const uint8_t types_i32_f32[] = {KILN_TYPE_I32, KILN_TYPE_F32};
static const uint8_t types_f64_f64[] = {KILN_TYPE_F64, KILN_TYPE_F64};

static const struct {
    const char *name;
    kiln_host_func func;
} spectest_funcs[] = {
    {"print", {spectest_print, NULL, 0, 0, NULL, NULL}},
    {"print_i32", {spectest_print, NULL, 1, 0, types_i32, NULL}},
    {"print_i64", {spectest_print, NULL, 1, 0, types_i64, NULL}},
    {"print_f32", {spectest_print, NULL, 1, 0, types_f32, NULL}},
    {"print_f64", {spectest_print, NULL, 1, 0, types_f64, NULL}},
    {"print_i32_f32", {spectest_print, NULL, 2, 0, types_i32_f32, NULL}},
    {"print_f64_f64", {spectest_print, NULL, 2, 0, types_f64_f64, NULL}},
};

/* The spectest export called name; false if there is none (e.g. spectest.unknown, which
 * assert_unlinkable relies on). */
static bool spectest_export(wast_host *h, const char *name, kiln_extern *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < ARRAY_LEN(spectest_funcs); i++) {
        if (strcmp(name, spectest_funcs[i].name) == 0) {
            out->kind = KILN_KIND_HOST_FUNC;
            out->of.host = &spectest_funcs[i].func;
            return true;
        }
    }
    const struct {
        const char *name;
        uint8_t type;
        kiln_global_cell *cell;
    } globals[] = {
        {"global_i32", KILN_TYPE_I32, &h->global_i32},
        {"global_i64", KILN_TYPE_I64, &h->global_i64},
        {"global_f32", KILN_TYPE_F32, &h->global_f32},
        {"global_f64", KILN_TYPE_F64, &h->global_f64},
    };
    for (size_t i = 0; i < ARRAY_LEN(globals); i++) {
        if (strcmp(name, globals[i].name) == 0) {
            out->kind = KILN_KIND_GLOBAL;
            out->of.global.type = globals[i].type;
            out->of.global.mut = 0;
            out->of.global.cell = globals[i].cell;
            return true;
        }
    }
    if (strcmp(name, "memory") == 0) {
        out->kind = KILN_KIND_MEMORY;
        out->of.memory = h->memory;
        return true;
    }
    if (strcmp(name, "shared_memory") == 0) {
        out->kind = KILN_KIND_MEMORY;
        out->of.memory = h->shared_memory;
        return true;
    }
    if (strcmp(name, "table") == 0) {
        out->kind = KILN_KIND_TABLE;
        out->of.table = h->table;
        return true;
    }
    if (strcmp(name, "table64") == 0) {
        out->kind = KILN_KIND_TABLE;
        out->of.table = h->table64;
        return true;
    }
    return false;
}

/* ---- the host ---- */

static const wast_provider *provider;

void wast_set_provider(const wast_provider *p)
{
    provider = p;
}

bool wast_host_new(wast_host **out, char *msg, size_t msg_size)
{
    wast_host *h = calloc(1, sizeof(*h));
    if (h == NULL || pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h);
        kiln_msg(msg, msg_size, "out of memory");
        return false;
    }
    kiln_pool_config config = {.slots = POOL_SLOTS};
    kiln_status s = kiln_pool_new(&config, &h->pool);
    if (s == KILN_STATUS_OK)
        s = kiln_memory_new(1, 2, &h->memory);
    if (s == KILN_STATUS_OK)
        s = kiln_memory_new_shared(1, 2, &h->shared_memory);
    if (s == KILN_STATUS_OK)
        s = kiln_table_new(KILN_TYPE_FUNCREF, 10, 20, &h->table);
    if (s == KILN_STATUS_OK)
        s = kiln_table_new64(KILN_TYPE_FUNCREF, 10, 20, &h->table64);
    if (s != KILN_STATUS_OK) {
        kiln_msg(msg, msg_size, "cannot set up the runtime: %s (%s)", kiln_status_message(s),
                 kiln_last_error());
        wast_host_free(h);
        return false;
    }
    h->global_i32.u.i32 = 666;
    h->global_i64.u.i64 = 666;
    h->global_f32.u.f32 = 666.6f;
    h->global_f64.u.f64 = 666.6;
    *out = h;
    return true;
}

void wast_host_free(wast_host *h)
{
    if (h == NULL)
        return;
    /* Newest first: an instance may import the memory or a table of an older one. */
    for (size_t i = h->instance_count; i-- > 0;)
        kiln_instance_free(h->instances[i]);
    if (h->pool)
        kiln_pool_free(h->pool); /* also releases instances that trapped in their start */
    kiln_memory_free(h->memory);
    kiln_memory_free(h->shared_memory);
    kiln_table_free(h->table);
    kiln_table_free(h->table64);
    for (size_t i = 0; i < h->registered_count; i++)
        free(h->registered[i].name);
    free(h->registered);
    free(h->instances);
    free(h->calling);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* The newest registration of name, or NULL. */
/* The newest registration of name in scope: each script thread has a registry of its own,
 * which starts empty (the threads proposal's interpreter: a thread imports only what it
 * registered itself). */
static const registration *find_registered(const wast_host *h, const char *name, const void *scope)
{
    for (size_t i = h->registered_count; i-- > 0;)
        if (h->registered[i].scope == scope && strcmp(h->registered[i].name, name) == 0)
            return &h->registered[i];
    return NULL;
}

bool wast_host_register(wast_host *h, const char *as, kiln_instance *inst, const void *tag,
                        const void *scope)
{
    char *name = malloc(strlen(as) + 1);
    if (name == NULL)
        return false;
    memcpy(name, as, strlen(as) + 1);
    pthread_mutex_lock(&h->lock);
    bool ok = grow((void **)&h->registered, &h->registered_cap, h->registered_count,
                   sizeof(*h->registered));
    if (ok)
        h->registered[h->registered_count++] =
            (registration){.name = name, .inst = inst, .tag = tag, .scope = scope};
    pthread_mutex_unlock(&h->lock);
    if (!ok)
        free(name);
    return ok;
}

/* A descriptor string as a C string; false if it does not fit or holds a NUL byte (such a
 * name cannot be passed through kiln_import's C strings). */
static bool desc_string(const kiln_str_desc *s, char *out, size_t size)
{
    if (s->len >= size || (s->len > 0 && memchr(s->ptr.p, '\0', s->len) != NULL))
        return false;
    if (s->len > 0)
        memcpy(out, s->ptr.p, s->len);
    out[s->len] = '\0';
    return true;
}

wast_status wast_host_instantiate(wast_host *h, const kiln_module *m, kiln_instance **out,
                                  const void **tag, const void *scope, char *msg, size_t msg_size)
{
    uint32_t n = m->import_count;
    kiln_import *items = calloc(n ? n : 1, sizeof(*items));
    char(*names)[2][NAME_SIZE] = calloc(n ? n : 1, sizeof(*names));
    if (items == NULL || names == NULL) {
        free(items);
        free(names);
        kiln_msg(msg, msg_size, "out of memory");
        return WAST_ERROR;
    }
    const kiln_import_desc *descs = m->imports.p;
    size_t count = 0;
    wast_status status = WAST_OK;
    /* The imports are resolved under the lock (a registered instance is never freed, so its
     * exports stay valid); instantiating runs the start function, without it. */
    pthread_mutex_lock(&h->lock);
    for (uint32_t i = 0; i < n && status == WAST_OK; i++) {
        char *mod = names[count][0], *name = names[count][1];
        if (!desc_string(&descs[i].module, mod, NAME_SIZE) ||
            !desc_string(&descs[i].name, name, NAME_SIZE))
            continue; /* unresolvable: the runtime reports it */
        kiln_extern value;
        bool found = false;
        if (provider && provider->resolve(provider->env, mod, name, &descs[i], &value)) {
            found = true;
        } else if (strcmp(mod, "spectest") == 0) {
            found = spectest_export(h, name, &value);
        } else {
            const registration *r = find_registered(h, mod, scope);
            if (r && r->inst == NULL) {
                *tag = r->tag;
                kiln_msg(msg, msg_size, "imports from \"%s\", which is not available", mod);
                status = WAST_UNAVAILABLE;
            } else if (r) {
                found = kiln_instance_export(r->inst, name, &value) == KILN_STATUS_OK;
            }
        }
        if (found)
            items[count++] = (kiln_import){.module = mod, .name = name, .value = value};
    }
    pthread_mutex_unlock(&h->lock);
    if (status == WAST_OK) {
        kiln_imports imports = {items, count};
        kiln_instance *inst = NULL;
        kiln_trap trap = KILN_TRAP_NONE;
        kiln_status s = kiln_instance_new_in(h->pool, m, &imports, &inst, &trap);
        bool listed = false;
        if (s == KILN_STATUS_OK) {
            pthread_mutex_lock(&h->lock);
            listed = grow((void **)&h->instances, &h->instance_cap, h->instance_count,
                          sizeof(*h->instances));
            if (listed)
                h->instances[h->instance_count++] = inst;
            pthread_mutex_unlock(&h->lock);
        }
        if (s == KILN_STATUS_OK && !listed) {
            kiln_instance_free(inst);
            kiln_msg(msg, msg_size, "out of memory");
            status = WAST_ERROR;
        } else if (s == KILN_STATUS_OK) {
            *out = inst;
            if (provider && provider->instantiated)
                provider->instantiated(provider->env, inst);
        } else if (s == KILN_STATUS_LINK) {
            kiln_msg(msg, msg_size, "%s", kiln_last_error());
            status = WAST_LINK;
        } else if (s == KILN_STATUS_TRAP) {
            kiln_msg(msg, msg_size, "%s", kiln_trap_message(trap));
            status = WAST_TRAP;
        } else {
            kiln_msg(msg, msg_size, "%s: %s", kiln_status_message(s), kiln_last_error());
            status = WAST_ERROR;
        }
    }
    free(items);
    free(names);
    return status;
}

void wast_host_release(wast_host *h, kiln_instance *instance)
{
    kiln_instance *inst = instance;
    if (inst == NULL)
        return;
    /* Through an imported table or global, or a call into another instance's function (which
     * may store a reference it is passed), inst's functions may be held elsewhere. */
    const kiln_module *m = kiln_instance_module(inst);
    const kiln_import_desc *descs = m->imports.p;
    for (uint32_t i = 0; i < m->import_count; i++) {
        const kiln_import_desc *d = &descs[i];
        bool spectest = d->module.len == 8 && memcmp(d->module.ptr.p, "spectest", 8) == 0;
        if (d->kind == KILN_KIND_TABLE || d->kind == KILN_KIND_GLOBAL ||
            (d->kind == KILN_KIND_FUNC && !spectest))
            return;
    }
    bool found = false;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->registered_count; i++)
        if (h->registered[i].inst == inst)
            goto out_unlock;
    for (size_t i = h->instance_count; i-- > 0;) {
        if (h->instances[i] == inst) {
            memmove(&h->instances[i], &h->instances[i + 1],
                    (h->instance_count - i - 1) * sizeof(*h->instances));
            h->instance_count--;
            found = true;
            break;
        }
    }
out_unlock:
    pthread_mutex_unlock(&h->lock);
    if (found)
        kiln_instance_free(inst);
}

/* ---- values ---- */

static void value_from_kiln(const kiln_val *v, wast_value *out)
{
    memset(out, 0, sizeof(*out));
    out->type = v->type;
    switch (v->type) {
    case KILN_TYPE_I32:
        out->lo = (uint32_t)v->of.i32;
        break;
    case KILN_TYPE_I64:
        out->lo = (uint64_t)v->of.i64;
        break;
    case KILN_TYPE_F32: {
        uint32_t bits;
        memcpy(&bits, &v->of.f32, 4);
        out->lo = bits;
        break;
    }
    case KILN_TYPE_F64:
        memcpy(&out->lo, &v->of.f64, 8);
        break;
    case KILN_TYPE_V128:
        memcpy(&out->lo, &v->of.v128.bytes[0], 8);
        memcpy(&out->hi, &v->of.v128.bytes[8], 8);
        break;
    case KILN_TYPE_FUNCREF:
        out->lo = (uintptr_t)v->of.funcref;
        break;
    default:
        out->lo = (uintptr_t)v->of.externref;
        break;
    }
}

static void value_to_kiln(const wast_value *v, kiln_val *out)
{
    memset(out, 0, sizeof(*out));
    out->type = v->type;
    switch (v->type) {
    case KILN_TYPE_I32:
        out->of.i32 = (int32_t)(uint32_t)v->lo;
        break;
    case KILN_TYPE_I64:
        out->of.i64 = (int64_t)v->lo;
        break;
    case KILN_TYPE_F32: {
        uint32_t bits = (uint32_t)v->lo;
        memcpy(&out->of.f32, &bits, 4);
        break;
    }
    case KILN_TYPE_F64:
        memcpy(&out->of.f64, &v->lo, 8);
        break;
    case KILN_TYPE_V128:
        memcpy(&out->of.v128.bytes[0], &v->lo, 8);
        memcpy(&out->of.v128.bytes[8], &v->hi, 8);
        break;
    case KILN_TYPE_FUNCREF:
        out->of.funcref = (const kiln_funcref *)(uintptr_t)v->lo;
        break;
    default:
        out->of.externref = (void *)(uintptr_t)v->lo;
        break;
    }
}

/* The signature of the exported function called field, from the module descriptor. */
static const kiln_functype_desc *export_signature(const kiln_instance *inst, const char *field,
                                                  size_t len)
{
    const kiln_module *m = kiln_instance_module(inst);
    const kiln_export_desc *exports = m->exports.p;
    for (uint32_t i = 0; i < m->export_count; i++) {
        const kiln_export_desc *e = &exports[i];
        if (e->kind != KILN_KIND_FUNC || e->name.len != len ||
            memcmp(e->name.ptr.p, field, len) != 0)
            continue;
        if (e->index >= m->func_count)
            return NULL;
        const kiln_func_desc *f = (const kiln_func_desc *)m->funcs.p + e->index;
        if (f->type_index >= m->type_count)
            return NULL;
        return (const kiln_functype_desc *)m->types.p + f->type_index;
    }
    return NULL;
}

/* Appends "(i32, f64)" for types[0, n) to buf. */
static void format_types(char *buf, size_t size, const uint8_t *types, uint32_t n)
{
    size_t len = strlen(buf);
    len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "(");
    for (uint32_t i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
                                wast_type_name(types[i]));
    if (len < size)
        snprintf(buf + len, size - len, ")");
}

/* Marks inst as being called: NULL, or why it cannot be (another thread is calling it). */
static const char *begin_call(wast_host *h, kiln_instance *inst)
{
    const char *why = NULL;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->calling_count && why == NULL; i++)
        if (h->calling[i] == inst)
            why = "the instance is being called on another thread (an instance runs on one "
                  "thread at a time)";
    if (why == NULL &&
        !grow((void **)&h->calling, &h->calling_cap, h->calling_count, sizeof(*h->calling)))
        why = "out of memory";
    if (why == NULL)
        h->calling[h->calling_count++] = inst;
    pthread_mutex_unlock(&h->lock);
    return why;
}

static void end_call(wast_host *h, kiln_instance *inst)
{
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->calling_count; i++) {
        if (h->calling[i] == inst) {
            h->calling[i] = h->calling[--h->calling_count];
            break;
        }
    }
    pthread_mutex_unlock(&h->lock);
}

/* wast_host_invoke's call, once inst is marked as being called. */
static wast_status call_export(kiln_instance *inst, const char *field, size_t field_len,
                               const wast_value *args, size_t arg_count, wast_result *out,
                               char *msg, size_t msg_size)
{
    kiln_extern e;
    if (kiln_instance_export_n(inst, field, field_len, &e) != KILN_STATUS_OK ||
        e.kind != KILN_KIND_FUNC) {
        kiln_msg(msg, msg_size, "no exported function \"%.*s\"", (int)field_len, field);
        return WAST_ERROR;
    }
    const kiln_functype_desc *sig = export_signature(inst, field, field_len);
    if (sig == NULL) {
        kiln_msg(msg, msg_size, "no signature for \"%.*s\" in the module descriptor",
                 (int)field_len, field);
        return WAST_ERROR;
    }
    const uint8_t *types = sig->types.p;
    bool args_match = arg_count == sig->param_count;
    for (size_t i = 0; args_match && i < arg_count; i++)
        args_match = args[i].type == types[i];
    if (!args_match) {
        kiln_msg(msg, msg_size, "\"%s\" takes ", field);
        format_types(msg, msg_size, types, sig->param_count);
        return WAST_ERROR;
    }
    if (sig->result_count > WAST_MAX_RESULTS) {
        kiln_msg(msg, msg_size, "\"%s\" has more than %u results", field, WAST_MAX_RESULTS);
        return WAST_ERROR;
    }
    /* Up to 1,000 values each way: on the heap, not on the stack the call runs on. */
    kiln_val *kargs = calloc(arg_count + sig->result_count + 1, sizeof *kargs);
    if (kargs == NULL) {
        kiln_msg(msg, msg_size, "out of memory");
        return WAST_ERROR;
    }
    kiln_val *kresults = kargs + arg_count;
    for (size_t i = 0; i < arg_count; i++)
        value_to_kiln(&args[i], &kargs[i]);
    kiln_trap trap = kiln_call(inst, e.of.func, kargs, arg_count, kresults, sig->result_count);
    if (trap != KILN_TRAP_NONE) {
        out->trap = kiln_trap_message(trap);
        out->exhausted = trap == KILN_TRAP_STACK_EXHAUSTED;
        out->exception = trap == KILN_TRAP_EXCEPTION;
        if (trap == KILN_TRAP_HOST && kiln_last_error()[0] != '\0')
            kiln_msg(msg, msg_size, "%s", kiln_last_error());
        free(kargs);
        return WAST_TRAP;
    }
    out->count = sig->result_count;
    for (size_t i = 0; i < out->count; i++) {
        kresults[i].type = types[sig->param_count + i];
        value_from_kiln(&kresults[i], &out->values[i]);
    }
    free(kargs);
    return WAST_OK;
}

wast_status wast_host_invoke(wast_host *h, kiln_instance *inst, const char *field, size_t field_len,
                             const wast_value *args, size_t arg_count, wast_result *out, char *msg,
                             size_t msg_size)
{
    memset(out, 0, sizeof(*out));
    const char *why = begin_call(h, inst);
    if (why) {
        kiln_msg(msg, msg_size, "%s", why);
        return WAST_ERROR;
    }
    wast_status status = call_export(inst, field, field_len, args, arg_count, out, msg, msg_size);
    end_call(h, inst);
    return status;
}

wast_status wast_host_get(wast_host *h, kiln_instance *instance, const char *field,
                          size_t field_len, wast_result *out, char *msg, size_t msg_size)
{
    (void)h;
    kiln_instance *inst = instance;
    memset(out, 0, sizeof(*out));
    kiln_extern e;
    if (kiln_instance_export_n(inst, field, field_len, &e) != KILN_STATUS_OK ||
        e.kind != KILN_KIND_GLOBAL || e.of.global.cell == NULL) {
        kiln_msg(msg, msg_size, "no exported global \"%.*s\"", (int)field_len, field);
        return WAST_ERROR;
    }
    kiln_val v;
    memset(&v, 0, sizeof(v));
    v.type = e.of.global.type;
    const kiln_global_cell *cell = e.of.global.cell;
    switch (v.type) {
    case KILN_TYPE_I32:
        v.of.i32 = cell->u.i32;
        break;
    case KILN_TYPE_I64:
        v.of.i64 = cell->u.i64;
        break;
    case KILN_TYPE_F32:
        v.of.f32 = cell->u.f32;
        break;
    case KILN_TYPE_F64:
        v.of.f64 = cell->u.f64;
        break;
    case KILN_TYPE_V128:
        v.of.v128 = cell->u.v128;
        break;
    case KILN_TYPE_FUNCREF:
        v.of.funcref = cell->u.ref.p;
        break;
    default:
        v.of.externref = cell->u.ref.p;
        break;
    }
    value_from_kiln(&v, &out->values[0]);
    out->count = 1;
    return WAST_OK;
}
