/* exn.c -- Wasm exceptions (3.0: throw, throw_ref, try_table) on the platform's unwinder.
 *
 * A throw allocates an exception: the unwinder's header (struct _Unwind_Exception, private
 * to this file), then the kiln_exn generated code reads (its tag, then its values, 16 bytes
 * each), and raises it with _Unwind_ForcedUnwind: phase 2 only, with a stop function that lets
 * the unwinder walk the frames of the current host->wasm activation and ends the walk at its
 * entry. The frames are the activation's while their canonical frame address (CFA) lies below
 * the innermost kiln_entry (kiln_tls.top), which lives in kiln_enter's own frame: the stack
 * grows down, so a frame called from kiln_enter has its CFA at or below that record and
 * kiln_enter's frame, the first one outside, above it. For each frame inside, the unwinder
 * calls the frame's personality: generated functions that catch name kiln_eh_personality,
 * which reads the function's LSDA (the .gcc_except_table LLVM emits) and sends the unwinder to
 * the landing pad covering the call, if any. A landing pad catches every exception, compares
 * its tag with each catch clause's itself, and either takes a clause (kiln_exn_caught) or
 * resumes unwinding (_Unwind_Resume, which goes on with the same stop function: libgcc keeps
 * it in the header's private fields). Reaching the entry (or the end of the stack, or a frame
 * without unwind information) means nothing caught it: the stop function records it as the
 * thread's last exception (kiln_last_exception) and leaves through the trap path
 * (kiln_unwind, a siglongjmp to the entry, as glibc's thread cancellation leaves its stop
 * function) with KILN_TRAP_EXCEPTION. Nothing costs anything until a throw: no setjmp per
 * try_table, and traps keep their own path.
 *
 * Lifetimes. An exception caught by catch or catch_all is freed by kiln_exn_caught once the
 * landing pad has copied its values. One caught by catch_ref or catch_all_ref becomes an
 * exnref value: it is marked exposed and owned by the instance whose code caught it first (a
 * list in the instance), which frees it when it is freed or its pool slot is reset
 * (kiln_exn_release); once exposed it is never freed earlier, since any number of exnref
 * values (locals, globals, tables, other instances) may refer to it. So an exnref must not
 * outlive the instance that first caught it as a reference. An instance owns at most
 * KILN_MAX_OWNED_EXNS exceptions: a catch_ref beyond that traps (KILN_TRAP_HOST) rather than
 * let a loop eat memory. A legacy catch or catch_all holds its exception while the handler
 * runs (it may rethrow it): the generated code drops it when the handler is left, normally or
 * by unwinding (kiln_exn_drop), and the last holder frees it unless it is the exception
 * unwinding (a rethrow) or an exnref refers to it; the held ones are listed in the entry of
 * the activation (kiln_entry.held), which frees them if the activation traps (kiln_enter).
 * An uncaught exception that nobody refers to moves to the thread
 * (kiln_tls.last_exn); an exposed one is copied there. The next entry into wasm on the thread
 * frees it (kiln_enter), and so does the thread's exit.
 *
 * The host's side (docs/exceptions.md). A host tag (kiln_tag_new) is a kiln_tag of its own,
 * with the canonical type a module's tag of the same parameters gets, so tag imports link to
 * it and compare its address like any exporter's record. A host function throws by staging
 * an exception (kiln_exn_new, filled by call.c's kiln_host_throw) that kiln_host_call raises
 * at the import's call site when the host function has returned (kiln_exn_raise_at), or
 * frees (kiln_exn_free) if it returned something else; an exception a nested call into wasm
 * ended with is taken from the thread (kiln_exn_take_last: an exposed one's copy) and raised
 * there the same way. A raise from kiln_host_call's frame is a throw from the import's call.
 *
 * Targets: DWARF call frame information and libgcc's unwinder ABI (x86-64, aarch64, riscv64
 * Linux), KILN_EXN_DWARF set by CMake; 32-bit ARM Linux's unwinder (the ARM EHABI: exception
 * index tables, and a personality routine of another signature that unwinds its frame itself),
 * KILN_EXN_EHABI. Both raise the same way (_Unwind_ForcedUnwind with the stop function),
 * resume with _Unwind_Resume and read the same LSDA. Bare metal (no unwinder) gets entry
 * points that trap with KILN_TRAP_HOST ("exceptions are not supported on this target"); the
 * compiler refuses exceptions for it anyway, and kiln_host_throw fails there with that
 * message (host tags still work). The LSDA reader is plain byte parsing and built everywhere
 * (unit-tested on any host).
 *
 * Calls trap.c (errors, traps) and sig.c (the tag's signature). Called by generated code,
 * pool.c (kiln_exn_release), call.c (host throws) and embedders (kiln_last_exception,
 * kiln_tag_new).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

/* ---- The LSDA (.gcc_except_table): which landing pad covers a call ---- */

/* DWARF exception-header pointer encodings (LSB: how the value is stored; then how it is
 * applied). */
enum {
    PE_ABSPTR = 0x00,
    PE_ULEB128 = 0x01,
    PE_UDATA2 = 0x02,
    PE_UDATA4 = 0x03,
    PE_UDATA8 = 0x04,
    PE_SLEB128 = 0x09,
    PE_SDATA2 = 0x0A,
    PE_SDATA4 = 0x0B,
    PE_SDATA8 = 0x0C,
    PE_PCREL = 0x10,
    PE_INDIRECT = 0x80,
    PE_OMIT = 0xFF,
};

/* An LEB128 number at *p (the LSDA's encodings; LLVM wrote it, within its section). */
static uint64_t read_leb(const uint8_t **p, bool is_signed)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = *(*p)++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
    } while (b & 0x80);
    if (is_signed && shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
    return v;
}

static uint64_t read_uleb(const uint8_t **p)
{
    return read_leb(p, false);
}

static int64_t read_sleb(const uint8_t **p)
{
    return (int64_t)read_leb(p, true);
}

/* A value of encoding enc at *p (unaligned, little- or big-endian as the target): false for
 * the encodings an LSDA written by LLVM or GCC never uses here (text-, data- and
 * function-relative, aligned). pc-relative values are relative to their own address. */
static bool read_encoded(const uint8_t **p, uint8_t enc, uintptr_t *out)
{
    const uint8_t *at = *p;
    uint64_t v;
    switch (enc & 0x0F) {
    case PE_ABSPTR: {
        uintptr_t u;
        memcpy(&u, at, sizeof u);
        *p += sizeof u;
        v = u;
        break;
    }
    case PE_ULEB128:
        v = read_uleb(p);
        break;
    case PE_SLEB128:
        v = (uint64_t)read_sleb(p);
        break;
    case PE_UDATA2:
    case PE_SDATA2: {
        uint16_t u;
        memcpy(&u, at, 2);
        *p += 2;
        v = (enc & 0x0F) == PE_SDATA2 ? (uint64_t)(int64_t)(int16_t)u : u;
        break;
    }
    case PE_UDATA4:
    case PE_SDATA4: {
        uint32_t u;
        memcpy(&u, at, 4);
        *p += 4;
        v = (enc & 0x0F) == PE_SDATA4 ? (uint64_t)(int64_t)(int32_t)u : u;
        break;
    }
    case PE_UDATA8:
    case PE_SDATA8:
        memcpy(&v, at, 8);
        *p += 8;
        break;
    default:
        return false;
    }
    switch (enc & 0x70) {
    case 0:
        break;
    case PE_PCREL:
        v += (uintptr_t)at;
        break;
    default:
        return false;
    }
    uintptr_t r = (uintptr_t)v;
    if ((enc & PE_INDIRECT) && r != 0)
        memcpy(&r, (const void *)r, sizeof r);
    *out = r;
    return true;
}

/* LSDA ::= lpstart_enc:u8 [lpstart] ttype_enc:u8 [ttype_offset:uleb128]
 *          cs_enc:u8 cs_length:uleb128 call_site{cs_length bytes} action_table type_table
 * call_site ::= start len landing_pad (each cs_enc) action:uleb128
 * Call sites are offsets from the function's start, sorted by start; landing pads offsets
 * from LPStart (the function's start unless given), 0 for none. */
uintptr_t kiln_lsda_landing_pad(const uint8_t *lsda, uintptr_t func_start, uintptr_t ip)
{
    const uint8_t *p = lsda;
    uintptr_t lpstart = func_start;
    uint8_t enc = *p++;
    if (enc != PE_OMIT && !read_encoded(&p, enc, &lpstart))
        return 0;
    enc = *p++;
    if (enc != PE_OMIT)
        (void)read_uleb(&p); /* the type table: catch clauses are the landing pad's own */
    uint8_t cs_enc = *p++;
    uint64_t cs_length = read_uleb(&p);
    const uint8_t *end = p + cs_length;
    while (p < end) {
        uintptr_t start, len, pad;
        if (!read_encoded(&p, cs_enc, &start) || !read_encoded(&p, cs_enc, &len) ||
            !read_encoded(&p, cs_enc, &pad))
            return 0;
        (void)read_uleb(&p); /* action: the landing pad catches everything itself */
        if (ip < func_start + start)
            return 0; /* sorted: no later entry covers ip */
        if (ip - (func_start + start) < len)
            return pad != 0 ? lpstart + pad : 0;
    }
    return 0;
}

/* ---- Host-defined tags (any target: a tag is its canonical type and its address) ---- */

KILN_API kiln_status kiln_tag_new(const uint8_t *params, uint32_t param_count, kiln_tag **out)
{
    if (out == NULL || (param_count != 0 && params == NULL)) {
        kiln_set_error("kiln_tag_new: NULL argument");
        return KILN_STATUS_ARG;
    }
    for (uint32_t i = 0; i < param_count; i++) {
        /* the value types a kiln_val carries: references nullable and abstract (a typed or
         * non-null reference word has no byte to say it) */
        if (!kiln_is_value_type(params[i])) {
            kiln_set_error("kiln_tag_new: parameter %u: 0x%02x is not a value type", (unsigned)i,
                           (unsigned)params[i]);
            return KILN_STATUS_ARG;
        }
    }
    /* The id a module's tag type of the same parameters gets (a type on its own, without
     * reference words: module.c), so that its imports link to this tag. */
    kiln_sig_member type = {param_count, 0, params, NULL, NULL};
    uint32_t sig;
    kiln_status s = kiln_sig_intern_group(1, &type, &sig);
    if (s != KILN_STATUS_OK) {
        char why[160];
        snprintf(why, sizeof why, "%s", kiln_last_error());
        kiln_set_error("kiln_tag_new: %s", why);
        return s;
    }
    kiln_tag *tag = malloc(sizeof *tag);
    if (tag == NULL) {
        kiln_set_error("kiln_tag_new: out of memory");
        return KILN_STATUS_NOMEM;
    }
    tag->sig = sig;
    tag->reserved = KILN_TAG_HOST;
    *out = tag;
    return KILN_STATUS_OK;
}

KILN_API void kiln_tag_free(kiln_tag *tag)
{
    if (tag != NULL && tag->reserved == KILN_TAG_HOST)
        free(tag);
}

#if defined(KILN_EXN_DWARF) || defined(KILN_EXN_EHABI)

#include <unwind.h>

/* The unwinder's exception class of Kiln's exceptions: "KILNWASM" (vendor, language); the
 * EHABI spells it as 8 characters. */
#define KILN_EXN_CLASS      UINT64_C(0x4B494C4E5741534D)
#define KILN_EXN_CLASS_TEXT "KILNWASM"
/* kiln_exn.flags: an exnref value may refer to it (caught as a reference): only its owner's
 * release frees it. */
#define EXN_EXPOSED 1u

/* What precedes every kiln_exn: the unwinder's header and this file's bookkeeping. */
typedef struct exn_head {
    struct _Unwind_Exception uw; /* what the unwinder and landing pads see */
    struct exn_head *next;       /* exposed: the owner's list (kiln_instance.exns); else held:
                                    the holding entry's list (kiln_entry.held) */
    struct exn_head **link;      /* held and not exposed: the pointer to this one in that list */
    uint32_t holds;              /* legacy handlers holding it (KILN_EXN_HOLD, kiln_exn_drop) */
    uintptr_t pc;                /* where it was last thrown: kiln_last_trap_pc if uncaught */
} exn_head;
/* The kiln_exn's offset in its allocation: 16-byte aligned, so are its values (v128). */
#define EXN_AT ((sizeof(exn_head) + 15) & ~(size_t)15)
_Static_assert(_Alignof(exn_head) <= _Alignof(max_align_t), "malloc aligns the header");
#ifdef KILN_EXN_EHABI
/* 32-bit ARM aligns v128 to 8 bytes (LLVM's and the AAPCS's data layout), as malloc does. */
_Static_assert(_Alignof(max_align_t) >= 8, "malloc aligns kiln_exn's v128 values");
#else
_Static_assert(_Alignof(max_align_t) >= 16, "malloc aligns kiln_exn's v128 values");
#endif

const bool kiln_exn_unwinds = true;

static kiln_exn *exn_of(exn_head *h)
{
    return (kiln_exn *)((char *)h + EXN_AT);
}

static exn_head *head_of(kiln_exn *e)
{
    return (exn_head *)((char *)e - EXN_AT);
}

/* A new exception of count values: the header and kiln_exn zeroed but for its count, the
 * values left for the caller to fill; NULL if out of memory. */
static exn_head *exn_alloc(uint32_t count)
{
    size_t size = EXN_AT + sizeof(kiln_exn);
    if (count > (SIZE_MAX - size) / 16)
        return NULL;
    exn_head *h = malloc(size + (size_t)count * 16);
    if (h == NULL)
        return NULL;
    memset(h, 0, size);
    exn_of(h)->count = count;
    return h;
}

/* h reached the entry of the activation uncaught: it becomes the thread's last exception
 * (moved if nothing refers to it, else copied; none if the copy cannot be allocated) and the
 * entry returns KILN_TRAP_EXCEPTION. */
KILN_NORETURN static void uncaught(kiln_thread *t, exn_head *h)
{
    kiln_exn *e = exn_of(h);
    kiln_trap_note(t, h->pc);
    t->exn_serial++;
    if (t->last_exn != h) {
        free(t->last_exn);
        t->last_exn = NULL;
    }
    if (!(e->flags & EXN_EXPOSED)) {
        t->last_exn = h;
    } else {
        exn_head *copy = exn_alloc(e->count);
        if (copy != NULL) {
            exn_of(copy)->tag = e->tag;
            if (e->count != 0)
                memcpy(exn_of(copy)->values, e->values, (size_t)e->count * 16);
            copy->pc = h->pc;
        }
        t->last_exn = copy;
    }
    kiln_unwind(t, KILN_TRAP_EXCEPTION);
}

/* The stop function's exception class parameter. libgcc's EHABI unwinder passes a pointer to
 * the class's 8 characters (GCC's unwind.h: char[8]); clang's unwind.h declares a uint64_t,
 * which would move the arguments after it to other registers. */
#if defined(KILN_EXN_EHABI) && !defined(__ARM_EABI_UNWINDER__)
typedef char *stop_class;
#define STOP_FN(f) ((_Unwind_Stop_Fn)(void (*)(void))(f))
#else
typedef _Unwind_Exception_Class stop_class;
#define STOP_FN(f) (f)
#endif

/* The stop function of every Kiln throw: let the unwinder go on (and run the frame's
 * personality) while the frame belongs to the current activation; past it, the exception is
 * uncaught. */
static _Unwind_Reason_Code stop(int version, _Unwind_Action actions, stop_class exception_class,
                                struct _Unwind_Exception *header, struct _Unwind_Context *context,
                                void *param)
{
    (void)version;
    (void)exception_class;
    (void)param;
    kiln_thread *t = &kiln_tls;
    if (!(actions & _UA_END_OF_STACK) && _Unwind_GetCFA(context) <= (uintptr_t)t->top)
        return _URC_NO_REASON;
    uncaught(t, (exn_head *)header);
}

/* Raises h (new, or caught before and thrown again by throw_ref) in the current activation. */
KILN_NORETURN KILN_UNWOUND static void raise_exn(exn_head *h)
{
    kiln_thread *t = &kiln_tls;
    /* Generated code only runs under an entry (see kiln_trap_raise_from). */
    if (t->top == NULL)
        __builtin_trap();
    memset(&h->uw, 0, sizeof h->uw);
#ifdef KILN_EXN_EHABI
    memcpy(&h->uw.exception_class, KILN_EXN_CLASS_TEXT, sizeof h->uw.exception_class);
#else
    h->uw.exception_class = KILN_EXN_CLASS;
#endif
    _Unwind_ForcedUnwind(&h->uw, STOP_FN(stop), NULL);
    /* Only if the unwinder could not start (no unwind information for this very frame). */
    uncaught(t, h);
}

KILN_API KILN_UNWOUND void kiln_throw(kiln_vmctx *vmctx, const kiln_tag *tag,
                                      const uint64_t *values)
{
    const void *pc = __builtin_return_address(0);
    uint32_t params, results;
    const uint8_t *param_types, *result_types;
    if (tag == NULL || !kiln_sig_get(tag->sig, &params, &param_types, &results, &result_types)) {
        kiln_set_error("throw: not a tag");
        kiln_trap_raise_from(vmctx, KILN_TRAP_HOST, pc);
    }
    kiln_exn *e = kiln_exn_new(tag, params);
    if (e == NULL) {
        kiln_set_error("throw: out of memory for an exception of %u values", (unsigned)params);
        kiln_trap_raise_from(vmctx, KILN_TRAP_HOST, pc);
    }
    if (params != 0)
        memcpy(e->values, values, (size_t)params * 16);
    kiln_exn_raise_at(e, pc);
}

KILN_API KILN_UNWOUND void kiln_throw_ref(kiln_vmctx *vmctx, kiln_exn *exn)
{
    const void *pc = __builtin_return_address(0);
    if (exn == NULL)
        kiln_trap_raise_from(vmctx, KILN_TRAP_NULL_EXN_REF, pc);
    kiln_exn_raise_at(exn, pc);
}

KILN_API kiln_exn *kiln_exn_get(void *header)
{
    return exn_of(header);
}

kiln_exn *kiln_exn_new(const kiln_tag *tag, uint32_t count)
{
    exn_head *h = exn_alloc(count);
    if (h == NULL)
        return NULL;
    exn_of(h)->tag.p = (void *)(uintptr_t)tag;
    return exn_of(h);
}

void kiln_exn_free(kiln_exn *exn)
{
    if (exn != NULL)
        free(head_of(exn));
}

kiln_exn *kiln_exn_take_last(void)
{
    exn_head *h = kiln_tls.last_exn;
    kiln_tls.last_exn = NULL;
    return h != NULL ? exn_of(h) : NULL;
}

KILN_UNWOUND void kiln_exn_raise_at(kiln_exn *exn, const void *pc)
{
    exn_head *h = head_of(exn);
    h->pc = (uintptr_t)pc - 1; /* into the call (see kiln_trap_raise_from) */
    raise_exn(h);
}

/* Takes held h out of its entry's list (it stays held: holds is unchanged). */
static void unlink_held(exn_head *h)
{
    *h->link = h->next;
    if (h->next != NULL)
        h->next->link = h->link;
    h->next = NULL;
    h->link = NULL;
}

KILN_API void kiln_exn_caught(kiln_vmctx *vmctx, kiln_exn *exn, uint32_t how)
{
    exn_head *h = head_of(exn);
    if (how == KILN_EXN_HOLD) {
        /* The first holder puts it in the list of the activation's entry, which frees what
         * is still held if the activation traps (kiln_exn_free_held). Holders nest within
         * one function (a handler's rethrow caught inside the handler). */
        if (h->holds++ == 0 && !(exn->flags & EXN_EXPOSED)) {
            kiln_entry *entry = kiln_tls.top;
            h->next = entry->held;
            if (h->next != NULL)
                h->next->link = &h->next;
            h->link = &entry->held;
            entry->held = h;
        }
        return;
    }
    if (how == KILN_EXN_CATCH) {
        if (!(exn->flags & EXN_EXPOSED) && h->holds == 0)
            free(h);
        return;
    }
    if (exn->flags & EXN_EXPOSED)
        return; /* owned since it was first caught as a reference */
    kiln_instance *inst = kiln_vm_instance(vmctx);
    if (inst->exn_count >= KILN_MAX_OWNED_EXNS) {
        if (h->holds == 0)
            free(h);
        kiln_set_error("an instance holds at most %u caught exception references (exnref) "
                       "until it is freed",
                       KILN_MAX_OWNED_EXNS);
        kiln_trap_raise_from(vmctx, KILN_TRAP_HOST, __builtin_return_address(0));
    }
    if (h->holds != 0) /* from now on the instance frees it, not its holders */
        unlink_held(h);
    exn->flags |= EXN_EXPOSED;
    exn->owner.p = inst;
    h->next = inst->exns;
    inst->exns = h;
    inst->exn_count++;
}

KILN_API void kiln_exn_drop(kiln_exn *exn, kiln_exn *inflight)
{
    exn_head *h = head_of(exn);
    if (h->holds == 0 || --h->holds != 0 || (exn->flags & EXN_EXPOSED))
        return;
    unlink_held(h);
    if (exn != inflight)
        free(h);
}

void kiln_exn_free_held(kiln_entry *entry)
{
    for (exn_head *h = entry->held, *next; h != NULL; h = next) {
        next = h->next;
        free(h);
    }
    entry->held = NULL;
}

void kiln_exn_release(kiln_instance *inst)
{
    for (exn_head *h = inst->exns, *next; h != NULL; h = next) {
        next = h->next;
        free(h);
    }
    inst->exns = NULL;
    inst->exn_count = 0;
}

#ifdef KILN_EXN_EHABI

/* GCC's unwind.h declares these; clang's, which spells the exception class as a uint64_t
 * (hence the memcpy and memcmp on its address), does not. The unwinder is libgcc's either
 * way. */
#ifndef UNWIND_POINTER_REG
#define UNWIND_POINTER_REG 12
#endif
#ifndef __ARM_EABI_UNWINDER__
_Unwind_Reason_Code __gnu_unwind_frame(_Unwind_Control_Block *ucbp,
                                       struct _Unwind_Context *context);
#endif

/* The EHABI's personality routine: called per frame with the unwinder's state, it finds the
 * landing pad as the DWARF one below does (the LSDA follows the frame's unwind opcodes in its
 * exception table entry), and otherwise unwinds the frame itself (__gnu_unwind_frame). Only
 * Kiln's forced unwinds stop at a landing pad; a resume (_Unwind_Resume after a landing pad
 * that matched no clause) goes on outward. */
KILN_API int kiln_eh_personality(int state, void *header, void *context)
{
    _Unwind_Control_Block *ucbp = header;
    struct _Unwind_Context *ctx = context;
    if (ucbp == NULL || ctx == NULL)
        return _URC_FAILURE;
    if ((state & _US_ACTION_MASK) == _US_UNWIND_FRAME_STARTING && (state & _US_FORCE_UNWIND) &&
        memcmp(&ucbp->exception_class, KILN_EXN_CLASS_TEXT, sizeof ucbp->exception_class) == 0) {
        /* _Unwind_GetLanguageSpecificData and _Unwind_GetRegionStart find the frame's entry
         * through the control block, which they expect in this register. */
        _Unwind_SetGR(ctx, UNWIND_POINTER_REG, (_Unwind_Word)(uintptr_t)ucbp);
        const uint8_t *lsda = _Unwind_GetLanguageSpecificData(ctx);
        /* a return address: the call is the instruction before it */
        uintptr_t ip = (uintptr_t)_Unwind_GetIP(ctx) - 1;
        uintptr_t pad =
            lsda != NULL ? kiln_lsda_landing_pad(lsda, _Unwind_GetRegionStart(ctx), ip) : 0;
        if (pad != 0) {
            _Unwind_SetGR(ctx, 0, (_Unwind_Word)(uintptr_t)ucbp);
            _Unwind_SetGR(ctx, 1, 1);
            _Unwind_SetIP(ctx, pad);
            return _URC_INSTALL_CONTEXT;
        }
    }
    if (__gnu_unwind_frame(ucbp, ctx) != _URC_OK)
        return _URC_FAILURE;
    return _URC_CONTINUE_UNWIND;
}

#else

KILN_API int kiln_eh_personality(int version, int actions, uint64_t exception_class, void *header,
                                 void *context)
{
    struct _Unwind_Context *ctx = context;
    if (version != 1 || header == NULL || ctx == NULL)
        return _URC_FATAL_PHASE1_ERROR;
    /* Kiln raises only forced unwinds (phase 2); other languages' exceptions, and unwinds
     * such as thread cancellation, pass through wasm frames. */
    if (exception_class != KILN_EXN_CLASS || !(actions & _UA_CLEANUP_PHASE))
        return _URC_CONTINUE_UNWIND;
    const uint8_t *lsda = _Unwind_GetLanguageSpecificData(ctx);
    if (lsda == NULL)
        return _URC_CONTINUE_UNWIND;
    int before = 0;
    uintptr_t ip = _Unwind_GetIPInfo(ctx, &before);
    if (!before)
        ip--; /* a return address: the call is the instruction before it */
    uintptr_t pad = kiln_lsda_landing_pad(lsda, _Unwind_GetRegionStart(ctx), ip);
    if (pad == 0)
        return _URC_CONTINUE_UNWIND;
    /* landingpad { ptr, i32 }: the header, and a selector generated code ignores. */
    _Unwind_SetGR(ctx, __builtin_eh_return_data_regno(0), (_Unwind_Word)(uintptr_t)header);
    _Unwind_SetGR(ctx, __builtin_eh_return_data_regno(1), 1);
    _Unwind_SetIP(ctx, pad);
    return _URC_INSTALL_CONTEXT;
}

#endif

KILN_API const kiln_exn *kiln_last_exception(void)
{
    exn_head *h = kiln_tls.last_exn;
    return h != NULL ? exn_of(h) : NULL;
}

#else /* no unwinder: bare metal */

const bool kiln_exn_unwinds = false;

KILN_NORETURN static void unsupported(kiln_vmctx *vmctx, const void *pc)
{
    kiln_set_error("exceptions are not supported on this target");
    kiln_trap_raise_from(vmctx, KILN_TRAP_HOST, pc);
}

KILN_API void kiln_throw(kiln_vmctx *vmctx, const kiln_tag *tag, const uint64_t *values)
{
    (void)tag;
    (void)values;
    unsupported(vmctx, __builtin_return_address(0));
}

KILN_API void kiln_throw_ref(kiln_vmctx *vmctx, kiln_exn *exn)
{
    if (exn == NULL)
        kiln_trap_raise_from(vmctx, KILN_TRAP_NULL_EXN_REF, __builtin_return_address(0));
    unsupported(vmctx, __builtin_return_address(0));
}

kiln_exn *kiln_exn_new(const kiln_tag *tag, uint32_t count)
{
    (void)tag;
    (void)count;
    return NULL;
}

void kiln_exn_free(kiln_exn *exn)
{
    (void)exn;
}

kiln_exn *kiln_exn_take_last(void)
{
    return NULL;
}

/* Never reached (kiln_exn_new and kiln_exn_take_last give nothing to raise): a trap if it
 * were. */
void kiln_exn_raise_at(kiln_exn *exn, const void *pc)
{
    (void)exn;
    kiln_thread *t = &kiln_tls;
    kiln_trap_note(t, (uintptr_t)pc - 1);
    kiln_set_error("exceptions are not supported on this target");
    kiln_unwind(t, KILN_TRAP_HOST);
}

/* No exception is ever raised here: the two below are never reached. */
KILN_API kiln_exn *kiln_exn_get(void *header)
{
    return header;
}

KILN_API void kiln_exn_caught(kiln_vmctx *vmctx, kiln_exn *exn, uint32_t how)
{
    (void)vmctx;
    (void)exn;
    (void)how;
}

KILN_API void kiln_exn_drop(kiln_exn *exn, kiln_exn *inflight)
{
    (void)exn;
    (void)inflight;
}

void kiln_exn_free_held(kiln_entry *entry)
{
    entry->held = NULL;
}

void kiln_exn_release(kiln_instance *inst)
{
    inst->exns = NULL;
    inst->exn_count = 0;
}

/* Never called (no unwinder); its signature is the one abi.h declares for the target. */
#if defined(__arm__) && defined(__ARM_EABI__) && !defined(__ARM_DWARF_EH__)
KILN_API int kiln_eh_personality(int state, void *header, void *context)
{
    (void)state;
    (void)header;
    (void)context;
    return 9; /* _URC_FAILURE */
}
#else
KILN_API int kiln_eh_personality(int version, int actions, uint64_t exception_class, void *header,
                                 void *context)
{
    (void)version;
    (void)actions;
    (void)exception_class;
    (void)header;
    (void)context;
    return 8; /* _URC_CONTINUE_UNWIND */
}
#endif

KILN_API const kiln_exn *kiln_last_exception(void)
{
    return NULL;
}

#endif
