/* call.c -- calls across the host/wasm boundary, in both directions.
 *
 * Host -> wasm: kiln_invoke (the typed wrappers' entry: the 16-byte-per-value array of
 * kiln_array_fn) and kiln_call (kiln_val arrays, checked against the callee's canonical
 * signature). Both go through kiln_enter, a trap boundary, with the callee's own vmctx: a
 * funcref may belong to another instance than the one named.
 * Wasm -> host: a module's generated adapter for a host-bound import packs its arguments into
 * the array and calls kiln_host_call, which converts them to kiln_val, calls the host function
 * with the calling instance, converts the results back, or raises the trap the host returned.
 * Up to 16 values use stack buffers; more are allocated (failure raises KILN_TRAP_HOST).
 * Reference values crossing from the host are checked against the reference words of the
 * canonical signature (sig.c): a typed or non-null parameter refuses a null or a function of
 * another type (kiln_call, kiln_task_start), and so does a host function's result (a trap).
 * Array slots: numbers little-endian at offset 0, references as a pointer at offset 0, v128
 * in all 16 bytes; unused bytes are zero.
 * kiln_exn_values converts an exception's values (the same slots) for the host, and
 * kiln_host_throw the other way: it stages a new exception (exn.c) in the entry of the
 * activation whose host function runs (kiln_entry.thrown), and when that function returns
 * KILN_TRAP_EXCEPTION kiln_host_call raises it from its own frame at the import's call site,
 * or, if nothing was staged, the exception that a call into wasm the host function made ended
 * with (the thread's last one, recorded since the host function started). The host
 * function's frames are gone by then: unwinding never crosses host code.
 * Calls trap.c, sig.c and exn.c. Called by instance.c (the start function), generated code and
 * embedders.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

#define SMALL_VALUES 16u

#if defined(__riscv) || defined(__arm__)
/* abi.h: the Wasm parameters that miss the argument registers of riscv64 and 32-bit ARM, per
 * thread (one thread on bare metal). 16-byte aligned for v128 slots. */
#ifdef KILN_BAREMETAL
KILN_API _Alignas(16) unsigned char kiln_spill_area[KILN_SPILL_AREA_SIZE];
#else
KILN_API _Alignas(16) _Thread_local unsigned char kiln_spill_area[KILN_SPILL_AREA_SIZE];
#endif
#endif

/* Copies a value of type between an array slot and kiln_val.of (a union, so every member
 * starts at offset 0): as many bytes as the type has, each size a constant (one move). */
static void copy_value(void *dst, const void *src, uint8_t type)
{
    switch (type) {
    case KILN_TYPE_I32:
    case KILN_TYPE_F32:
        memcpy(dst, src, 4);
        break;
    case KILN_TYPE_I64:
    case KILN_TYPE_F64:
        memcpy(dst, src, 8);
        break;
    case KILN_TYPE_V128:
        memcpy(dst, src, 16);
        break;
    default: /* funcref, externref, exnref */
        memcpy(dst, src, sizeof(void *));
        break;
    }
}

static void to_slot(const kiln_val *v, uint8_t type, uint64_t *slot)
{
    slot[0] = slot[1] = 0;
    copy_value(slot, &v->of, type);
}

static void from_slot(const uint64_t *slot, uint8_t type, kiln_val *v)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    copy_value(&v->of, slot, type);
}

/* The reference a value of a reference kind holds (NULL: null). */
static const void *ref_value(const kiln_val *v)
{
    return v->type == KILN_TYPE_FUNCREF ? (const void *)v->of.funcref : v->of.externref;
}

/* Why value does not fit canonical word (kiln_ref_fits said it does not). */
static const char *misfit(const void *value, uint32_t word)
{
    if (value == NULL)
        return "null";
    uint32_t heap = word & KILN_REF_HEAP;
    return heap >= KILN_HEAP_TYPE ? "a function of another type" : "not null";
}

bool kiln_check_ref_args(const char *who, uint32_t sig, const kiln_val *args, uint32_t count)
{
    const uint32_t *refs = kiln_sig_refs(sig);
    for (uint32_t i = 0; refs != NULL && i < count; i++) {
        if (refs[i] == 0 || kiln_ref_fits(ref_value(&args[i]), refs[i]))
            continue;
        char name[KILN_REF_NAME_SIZE];
        kiln_set_error("%s: argument %u has the wrong type: %s for %s", who, (unsigned)i,
                       misfit(ref_value(&args[i]), refs[i]),
                       kiln_ref_name(args[i].type, refs[i], true, name));
        return false;
    }
    return true;
}

/* A host function's results for an import whose type has reference words: each must fit its
 * word (wasm code relies on a non-null or typed result without checking it). */
static bool host_results_fit(kiln_vmctx *vmctx, uint32_t import_index, const kiln_val *results,
                             uint32_t param_count, uint32_t result_count)
{
    const kiln_funcref *self = kiln_vm_imports(vmctx)[import_index].ref.p;
    const uint32_t *refs = self != NULL ? kiln_sig_refs(self->sig) : NULL;
    for (uint32_t i = 0; refs != NULL && i < result_count; i++) {
        uint32_t word = refs[param_count + i];
        if (word == 0 || kiln_ref_fits(ref_value(&results[i]), word))
            continue;
        char name[KILN_REF_NAME_SIZE];
        kiln_set_error("host function for import %u: result %u has the wrong type: %s for %s",
                       (unsigned)import_index, (unsigned)i, misfit(ref_value(&results[i]), word),
                       kiln_ref_name(results[i].type, word, true, name));
        return false;
    }
    return true;
}

KILN_API kiln_trap kiln_invoke(kiln_instance *inst, uint32_t func_index, uint64_t *args_results)
{
    if (inst == NULL || func_index >= inst->module->func_count) {
        kiln_set_error("kiln_invoke: no function %u", (unsigned)func_index);
        return KILN_TRAP_HOST;
    }
    const kiln_funcref *f = kiln_instance_funcref(inst, func_index);
    kiln_array_fn entry = (kiln_array_fn)f->array_entry.p;
    if (entry == NULL) {
        kiln_set_error("kiln_invoke: function %u has no array entry", (unsigned)func_index);
        return KILN_TRAP_HOST;
    }
    return kiln_enter(f->vmctx.p, kiln_instance_stack_budget(inst),
                      kiln_instance_stack_headroom(inst), entry, f->code.p, args_results);
}

KILN_API kiln_trap kiln_call(kiln_instance *inst, const kiln_funcref *func, const kiln_val *args,
                             size_t arg_count, kiln_val *results, size_t result_count)
{
    uint32_t np, nr;
    const uint8_t *params, *rtypes;
    if (inst == NULL || func == NULL || (arg_count && args == NULL) ||
        (result_count && results == NULL)) {
        kiln_set_error("kiln_call: NULL argument");
        return KILN_TRAP_HOST;
    }
    if (!kiln_sig_get(func->sig, &np, &params, &nr, &rtypes) || func->array_entry.p == NULL) {
        kiln_set_error("kiln_call: not a function reference");
        return KILN_TRAP_HOST;
    }
    if (arg_count != np || result_count < nr) {
        kiln_set_error("kiln_call: function takes %u arguments and returns %u results",
                       (unsigned)np, (unsigned)nr);
        return KILN_TRAP_HOST;
    }
    for (uint32_t i = 0; i < np; i++) {
        if (args[i].type != params[i]) {
            kiln_set_error("kiln_call: argument %u has the wrong type", (unsigned)i);
            return KILN_TRAP_HOST;
        }
    }
    if (!kiln_check_ref_args("kiln_call", func->sig, args, np))
        return KILN_TRAP_HOST;
    size_t n = np > nr ? np : nr;
    uint64_t small[2 * SMALL_VALUES];
    uint64_t *buf = small;
    if (n > SMALL_VALUES) {
        buf = calloc(n, 16);
        if (buf == NULL) {
            kiln_set_error("kiln_call: out of memory");
            return KILN_TRAP_HOST;
        }
    } else if (n == 0) {
        small[0] = small[1] = 0;
    }
    for (uint32_t i = 0; i < np; i++)
        to_slot(&args[i], params[i], &buf[2 * i]);
    kiln_trap trap = kiln_enter(func->vmctx.p, kiln_instance_stack_budget(inst),
                                kiln_instance_stack_headroom(inst),
                                (kiln_array_fn)func->array_entry.p, func->code.p, buf);
    if (trap == KILN_TRAP_NONE)
        for (uint32_t i = 0; i < nr; i++)
            from_slot(&buf[2 * i], rtypes[i], &results[i]);
    if (buf != small)
        free(buf);
    return trap;
}

KILN_API kiln_status kiln_funcref_type(const kiln_funcref *func, uint32_t *param_count,
                                       const uint8_t **params, uint32_t *result_count,
                                       const uint8_t **results, uint32_t *nullable_params)
{
    uint32_t np, nr;
    const uint8_t *ptypes, *rtypes;
    if (func == NULL || !kiln_sig_get(func->sig, &np, &ptypes, &nr, &rtypes)) {
        kiln_set_error("kiln_funcref_type: not a function reference");
        return KILN_STATUS_ARG;
    }
    if (param_count)
        *param_count = np;
    if (params)
        *params = ptypes;
    if (result_count)
        *result_count = nr;
    if (results)
        *results = rtypes;
    if (nullable_params) {
        const uint32_t *words = kiln_sig_refs(func->sig); /* NULL: all plain */
        uint32_t mask = UINT32_MAX;
        for (uint32_t i = 0; words != NULL && i < np && i < 32; i++)
            if (words[i] & KILN_REF_NON_NULL)
                mask &= ~(UINT32_C(1) << i);
        *nullable_params = mask;
    }
    return KILN_STATUS_OK;
}

KILN_API size_t kiln_exn_values(const kiln_exn *exn, kiln_val *values, size_t capacity)
{
    uint32_t np, nr;
    const uint8_t *params, *rtypes;
    const kiln_tag *tag = exn != NULL ? exn->tag.p : NULL;
    if (tag == NULL || !kiln_sig_get(tag->sig, &np, &params, &nr, &rtypes))
        return 0;
    /* The tag's type fixed the count when the exception was made (exn.c). */
    uint32_t count = exn->count < np ? exn->count : np;
    for (uint32_t i = 0; i < count && i < capacity; i++)
        from_slot(&exn->values[2 * i], params[i], &values[i]);
    return count;
}

/* A value type's name for kiln_host_throw's errors. */
static const char *type_name(uint8_t type)
{
    switch (type) {
    case KILN_TYPE_I32:
        return "i32";
    case KILN_TYPE_I64:
        return "i64";
    case KILN_TYPE_F32:
        return "f32";
    case KILN_TYPE_F64:
        return "f64";
    case KILN_TYPE_V128:
        return "v128";
    case KILN_TYPE_FUNCREF:
        return "funcref";
    case KILN_TYPE_EXTERNREF:
        return "externref";
    case KILN_TYPE_EXNREF:
        return "exnref";
    case KILN_TYPE_ANYREF:
        return "anyref";
    default:
        return "no value type";
    }
}

KILN_API kiln_trap kiln_host_throw(const kiln_tag *tag, const kiln_val *values, size_t count)
{
    if (!kiln_exn_unwinds) {
        kiln_set_error("exceptions are not supported on this target");
        return KILN_TRAP_HOST;
    }
    /* The activation whose host function (or sealed import) runs: kiln_host_call or
     * kiln_sealed_return takes what it staged. Host code runs under an entry only when wasm
     * called it. */
    kiln_entry *entry = kiln_tls.top;
    if (entry == NULL) {
        kiln_set_error("kiln_host_throw: not called from a host function");
        return KILN_TRAP_HOST;
    }
    uint32_t np, nr;
    const uint8_t *params, *rtypes;
    if (tag == NULL || !kiln_sig_get(tag->sig, &np, &params, &nr, &rtypes) || nr != 0) {
        kiln_set_error("kiln_host_throw: not a tag");
        return KILN_TRAP_HOST;
    }
    if (count != np) {
        kiln_set_error("kiln_host_throw: the tag takes %u values, not %zu", (unsigned)np, count);
        return KILN_TRAP_HOST;
    }
    if (count != 0 && values == NULL) {
        kiln_set_error("kiln_host_throw: NULL values");
        return KILN_TRAP_HOST;
    }
    for (uint32_t i = 0; i < np; i++) {
        if (values[i].type != params[i]) {
            kiln_set_error("kiln_host_throw: value %u has type %s, the tag's is %s", (unsigned)i,
                           type_name(values[i].type), type_name(params[i]));
            return KILN_TRAP_HOST;
        }
        if (params[i] == KILN_TYPE_ANYREF && values[i].of.externref != NULL) {
            kiln_set_error("kiln_host_throw: value %u: an anyref is always null (Kiln has no GC "
                           "objects)",
                           (unsigned)i);
            return KILN_TRAP_HOST;
        }
    }
    /* An instance's tag may have typed or non-null reference parameters. */
    if (!kiln_check_ref_args("kiln_host_throw", tag->sig, values, np))
        return KILN_TRAP_HOST;
    kiln_exn *exn = kiln_exn_new(tag, np);
    if (exn == NULL) {
        kiln_set_error("kiln_host_throw: out of memory for an exception of %u values",
                       (unsigned)np);
        return KILN_TRAP_HOST;
    }
    for (uint32_t i = 0; i < np; i++)
        to_slot(&values[i], params[i], &exn->values[2 * i]);
    kiln_exn_free(entry->thrown); /* a second throw replaces the first */
    entry->thrown = exn;
    return KILN_TRAP_EXCEPTION;
}

/* What a host function that returned KILN_TRAP_EXCEPTION throws into its wasm caller: what it
 * staged (kiln_host_throw), else the exception one of its calls into wasm ended with (the
 * thread's last exception, if recorded since serial); NULL if neither. The caller owns it. */
static kiln_exn *host_exception(kiln_thread *t, kiln_exn *thrown, uint32_t serial)
{
    if (thrown != NULL)
        return thrown;
    return t->exn_serial != serial ? kiln_exn_take_last() : NULL;
}

KILN_API KILN_UNWOUND_TSAN void kiln_host_call(kiln_vmctx *vmctx, uint32_t import_index,
                                               uint64_t *args_results)
{
    const void *site = __builtin_return_address(0);
    const kiln_host_func *h = kiln_vm_imports(vmctx)[import_index].host.p;
    if (h == NULL)
        kiln_trap_raise_from(vmctx, KILN_TRAP_HOST, site);
    kiln_thread *t = &kiln_tls;
    kiln_entry *entry = t->top; /* generated code runs under an entry */
    kiln_exn *thrown = NULL;
    kiln_val small_args[SMALL_VALUES], small_results[SMALL_VALUES];
    kiln_val *args = small_args, *results = small_results;
    if (h->param_count > SMALL_VALUES)
        args = malloc((size_t)h->param_count * sizeof *args);
    if (h->result_count > SMALL_VALUES)
        results = malloc((size_t)h->result_count * sizeof *results);
    kiln_trap trap = KILN_TRAP_HOST;
    if (args != NULL && results != NULL) {
        for (uint32_t i = 0; i < h->param_count; i++)
            from_slot(&args_results[2 * i], h->params[i], &args[i]);
        for (uint32_t i = 0; i < h->result_count; i++) {
            memset(&results[i], 0, sizeof results[i]);
            results[i].type = h->results[i];
        }
        /* One host function runs per activation at a time: wasm it calls runs under an
         * entry of its own. */
        uint32_t serial = t->exn_serial;
        kiln_exn_free(entry->thrown); /* a sealed import staged it but did not throw it */
        entry->thrown = NULL;
        entry->in_host = true;
        trap = h->fn(h->env, kiln_vm_instance(vmctx), args, results);
        entry->in_host = false;
        thrown = entry->thrown;
        entry->thrown = NULL;
        if (trap == KILN_TRAP_EXCEPTION) {
            thrown = host_exception(t, thrown, serial);
            if (thrown == NULL) {
                kiln_set_error("host function for import %u returned KILN_TRAP_EXCEPTION "
                               "without an exception to throw (none staged by "
                               "kiln_host_throw, none from its calls into wasm)",
                               (unsigned)import_index);
                trap = KILN_TRAP_HOST;
            }
        }
        if (trap == KILN_TRAP_NONE &&
            !host_results_fit(vmctx, import_index, results, h->param_count, h->result_count))
            trap = KILN_TRAP_HOST;
        if (trap == KILN_TRAP_NONE)
            for (uint32_t i = 0; i < h->result_count; i++)
                to_slot(&results[i], h->results[i], &args_results[2 * i]);
    }
    if (args != small_args)
        free(args);
    if (results != small_results)
        free(results);
    /* A task being freed (kiln_task_free) unwinds through its host calls, whatever they
     * return: the wasm code that called them must not run again. */
    if ((trap == KILN_TRAP_NONE || trap == KILN_TRAP_EXCEPTION) && kiln_task_cancelling(t))
        trap = KILN_TRAP_INTERRUPTED; /* an exception would run the caller's handlers */
    if (trap != KILN_TRAP_EXCEPTION) {
        kiln_exn_free(thrown); /* staged but not raised: the host function returned another */
    } else {
        /* Raised from this frame, at the import's call site: the unwinding starts below the
         * host function's frames, which are gone (and may have no unwind tables). Handlers
         * around the call catch it as if the call had been a throw. */
        kiln_exn_raise_at(thrown, site);
    }
    /* A stop requested while the host ran (a blocking call, say) is taken on the way back
     * rather than at the caller's next check, which may be a long straight run away. */
    if (trap == KILN_TRAP_NONE && __atomic_load_n(&vmctx->interrupt, __ATOMIC_RELAXED) != 0 &&
        (kiln_vm_instance(vmctx)->module->flags & KILN_MODULE_INTERRUPT_CHECKS))
        trap = KILN_TRAP_INTERRUPTED;
    if (trap != KILN_TRAP_NONE) /* attributed to the import's adapter, our caller */
        kiln_trap_raise_from(vmctx, trap, site);
}

KILN_API KILN_UNWOUND_TSAN void kiln_sealed_return(kiln_vmctx *vmctx, uint32_t trap)
{
    const void *site = __builtin_return_address(0);
    kiln_thread *t = &kiln_tls;
    kiln_entry *entry = t->top; /* generated code runs under an entry */
    kiln_exn *thrown = entry->thrown;
    entry->thrown = NULL;
    if (trap == KILN_TRAP_EXCEPTION) {
        /* Staged by kiln_host_throw, else passed on from a call into wasm that ended with it:
         * a sealed call keeps no serial, so the thread's last exception is taken. */
        if (thrown == NULL)
            thrown = kiln_exn_take_last();
        if (thrown == NULL) {
            kiln_set_error("sealed import returned KILN_TRAP_EXCEPTION without an exception "
                           "to throw (none staged by kiln_host_throw, none from its calls "
                           "into wasm)");
            trap = KILN_TRAP_HOST;
        } else if (kiln_task_cancelling(t)) {
            trap = KILN_TRAP_INTERRUPTED; /* as kiln_host_call: no handler may run */
        } else {
            kiln_exn_raise_at(thrown, site);
        }
    }
    kiln_exn_free(thrown); /* staged but not raised: the function returned another trap */
    kiln_trap_raise_from(vmctx, trap, site);
}
