/* eh_runtime.c -- a small C++ exception runtime for wasm32 (legacy Wasm exception handling),
 * linked into the C++ test guest because Debian's wasm32 libc++abi is built without
 * exceptions and there is no wasm32 libunwind.
 *
 * What clang++-19 -fwasm-exceptions expects (read from its output with wasm-objdump and -S):
 *
 *   - `throw x` calls __cxa_allocate_exception(sizeof x), constructs x in the returned
 *     memory and calls __cxa_throw(object, typeinfo, destructor). __cxa_throw never returns:
 *     it throws the Wasm tag __cpp_exception (tag 0 of __builtin_wasm_throw) whose one i32
 *     payload is whatever pointer the runtime chooses. Compiled code never looks inside it;
 *     it only hands it back to the runtime. Here it is the exception's header (struct
 *     cxx_exception), which sits right before the thrown object, as in libc++abi.
 *   - A landing pad with typed handlers is `catch __cpp_exception`: it stores its landing pad
 *     index and its LSDA (the function's GCC_except_table) in __wasm_lpad_context, calls
 *     _Unwind_CallPersonality(payload), and compares __wasm_lpad_context.selector with the
 *     handlers' type indices (1-based positions in the LSDA type table). No match:
 *     `rethrow`, and the exception goes on to the caller.
 *   - A lone catch (...), cleanups (destructors of locals) and the end of a handler left by an
 *     exception are `catch_all`/`catch` pads that call no personality at all; cleanups end in
 *     `rethrow`.
 *   - A handler calls __cxa_begin_catch(payload), which returns what the handler reads: the
 *     address of the caught object (adjusted to the base class subobject it names), or for a
 *     handler of pointer type the converted pointer value itself. It ends with
 *     __cxa_end_catch(); `throw;` is __cxa_rethrow().
 *
 * Wasm unwinds in one phase (each landing pad runs as the exception reaches it), so there is
 * no search phase: the personality only picks the handler of the pad that called it.
 *
 * Single-threaded (wasm32-wasi has no threads here), so the exception globals are plain
 * statics. Not supported: foreign exceptions, dynamic exception specifications (negative
 * filters), std::exception_ptr, std::current_exception and std::uncaught_exceptions (libc++abi's
 * no-exception stubs answer those), qualification conversions below the first pointer level
 * (catch (const int *const *) for a thrown int **), conversions of pointers to members (only
 * the exact type catches one), and ambiguity checks for a thrown null pointer.
 * Each unsupported case the runtime can see ends in eh_terminate() with a message. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The Itanium C++ ABI's RTTI layout (section 2.9.5) -------------------------------- */

/* std::type_info: the vtable pointer tells the kind of type (class, pointer, ...). */
typedef struct type_info {
    const void *vptr;
    const char *name; /* the mangled name; unique per type after linking */
} type_info;

/* __si_class_type_info: a class with one public, non-virtual base at offset 0. */
typedef struct si_class_type_info {
    type_info info;
    const type_info *base;
} si_class_type_info;

/* __base_class_type_info: one base of a __vmi_class_type_info. offset_flags holds the flags
 * below in its low byte and, above them, the base's offset in the object, or for a virtual
 * base the (negative) offset in the vtable of the slot that holds the base's offset. */
typedef struct base_class_type_info {
    const type_info *base;
    long offset_flags;
} base_class_type_info;

enum { BASE_VIRTUAL = 0x1, BASE_PUBLIC = 0x2, BASE_OFFSET_SHIFT = 8 };

/* __vmi_class_type_info: any other class with bases. */
typedef struct vmi_class_type_info {
    type_info info;
    unsigned int flags;
    unsigned int base_count;
    base_class_type_info bases[];
} vmi_class_type_info;

/* __pointer_type_info: flags are the pointee's qualifiers, pointee its type. */
typedef struct pointer_type_info {
    type_info info;
    unsigned int flags;
    const type_info *pointee;
} pointer_type_info;

enum { PTR_CONST = 0x1, PTR_VOLATILE = 0x2, PTR_NOEXCEPT = 0x40 };

/* The vtables of the type_info classes, defined by libc++abi (private_typeinfo.cpp, present
 * in Debian's wasm32 libc++abi.a even without exceptions). A type_info's vptr points two
 * words into its class's vtable, past offset-to-top and the vtable's own typeinfo. */
extern const char _ZTVN10__cxxabiv117__class_type_infoE[];
extern const char _ZTVN10__cxxabiv120__si_class_type_infoE[];
extern const char _ZTVN10__cxxabiv121__vmi_class_type_infoE[];
extern const char _ZTVN10__cxxabiv119__pointer_type_infoE[];
extern const char _ZTVN10__cxxabiv120__function_type_infoE[];

#define VTABLE_ADDRESS_POINT(vtable) ((const void *)((vtable) + 2 * sizeof(void *)))

typedef enum type_kind {
    KIND_OTHER, /* fundamental, enum, function, ...: caught by exactly its own type */
    KIND_CLASS,
    KIND_SI_CLASS,
    KIND_VMI_CLASS,
    KIND_POINTER,
    KIND_FUNCTION,
} type_kind;

static type_kind kind_of(const type_info *ti)
{
    if (ti->vptr == VTABLE_ADDRESS_POINT(_ZTVN10__cxxabiv117__class_type_infoE))
        return KIND_CLASS;
    if (ti->vptr == VTABLE_ADDRESS_POINT(_ZTVN10__cxxabiv120__si_class_type_infoE))
        return KIND_SI_CLASS;
    if (ti->vptr == VTABLE_ADDRESS_POINT(_ZTVN10__cxxabiv121__vmi_class_type_infoE))
        return KIND_VMI_CLASS;
    if (ti->vptr == VTABLE_ADDRESS_POINT(_ZTVN10__cxxabiv119__pointer_type_infoE))
        return KIND_POINTER;
    if (ti->vptr == VTABLE_ADDRESS_POINT(_ZTVN10__cxxabiv120__function_type_infoE))
        return KIND_FUNCTION;
    return KIND_OTHER;
}

static bool is_class(type_kind kind)
{
    return kind == KIND_CLASS || kind == KIND_SI_CLASS || kind == KIND_VMI_CLASS;
}

/* libc++ compares type_infos by name pointer on this target (its "unique RTTI" mode): the
 * linker keeps one copy of each type's name, so equal types have equal name pointers and
 * types local to a translation unit never compare equal to another unit's. */
static bool same_type(const type_info *a, const type_info *b)
{
    return a == b || a->name == b->name;
}

/* ---- Exception objects ----------------------------------------------------------------- */

/* The header in front of every thrown object; the Wasm payload points at it. */
typedef struct cxx_exception {
    uint64_t exception_class; /* CXX_EXCEPTION_CLASS: one of ours */
    const type_info *type;
    /* On Wasm, C++ destructors return `this`: the pointer must have that type, or the
     * indirect call would trap on a signature mismatch. */
    void *(*destructor)(void *);
    struct cxx_exception *next_caught; /* the next older caught exception */
    /* The handlers that have caught it and not ended yet; negative (minus that count) while
     * it is rethrown, so the handler that rethrew it pops it without destroying it. */
    int handler_count;
    void *adjusted; /* what __cxa_begin_catch returns (see can_catch) */
} cxx_exception;

/* "KILN" "C++\0" as libc++abi's "CLNG" "C++\0": only tells ours from anything else. */
#define CXX_EXCEPTION_CLASS 0x4b494c4e432b2b00ull

/* The thrown object starts this far after its header, at the alignment libc++abi gives it
 * (__attribute__((aligned)), 16 bytes on wasm32), so any type can be thrown. */
enum { OBJECT_ALIGN = 16 };
#define HEADER_SIZE ((sizeof(cxx_exception) + OBJECT_ALIGN - 1) / OBJECT_ALIGN * OBJECT_ALIGN)

static cxx_exception *header_of(void *object)
{
    return (cxx_exception *)((char *)object - HEADER_SIZE);
}

static void *object_of(cxx_exception *header)
{
    return (char *)header + HEADER_SIZE;
}

/* The caught-exception stack, linked through next_caught: the exception of the innermost
 * active handler on top. (std::uncaught_exceptions() is libc++abi's stub, which answers 0, so
 * no count of uncaught exceptions is kept.) */
static cxx_exception *caught_top;

/* std::terminate's job for the runtime's own failures: the standard says terminate, and a
 * message says why. */
static _Noreturn void eh_terminate(const char *why)
{
    fprintf(stderr, "terminate: C++ exception runtime: %s\n", why);
    abort();
}

static cxx_exception *ours(void *payload)
{
    cxx_exception *header = payload;
    if (header == NULL || header->exception_class != CXX_EXCEPTION_CLASS)
        eh_terminate("foreign exception");
    return header;
}

/* ---- Type matching --------------------------------------------------------------------- */

/* The result of looking for base subobjects of one type in an object. */
typedef struct base_search {
    const type_info *target;
    char *found;      /* the first one found */
    int count;        /* distinct subobjects found: 0, 1 or 2 (2 = ambiguous) */
    bool public_path; /* `found` is reachable through public bases only */
} base_search;

/* Walks the bases of the class `ti` whose object is at `object` (NULL for a thrown null
 * pointer: its bases are null too, so only whether they exist matters). Every path is walked,
 * public or not, because the standard requires the base to be unambiguous among all of them
 * and reachable through a public one; a virtual base reached twice is one subobject. */
static void find_bases(base_search *search, const type_info *ti, char *object, bool public_path)
{
    if (same_type(ti, search->target)) {
        if (search->count == 0) {
            search->found = object;
            search->count = 1;
            search->public_path = public_path;
        } else if (search->found == object) {
            search->public_path |= public_path;
        } else {
            search->count = 2;
        }
        return;
    }
    type_kind kind = kind_of(ti);
    if (kind == KIND_SI_CLASS) {
        find_bases(search, ((const si_class_type_info *)ti)->base, object, public_path);
        return;
    }
    if (kind != KIND_VMI_CLASS)
        return;
    const vmi_class_type_info *vmi = (const vmi_class_type_info *)ti;
    for (unsigned int i = 0; i < vmi->base_count && search->count < 2; i++) {
        const base_class_type_info *base = &vmi->bases[i];
        long offset = base->offset_flags >> BASE_OFFSET_SHIFT;
        char *base_object = NULL;
        if (object != NULL && (base->offset_flags & BASE_VIRTUAL)) {
            /* The base's offset is in the object's vtable, `offset` bytes from where the
             * object's vptr points. */
            const char *vtable = *(const char *const *)object;
            base_object = object + *(const ptrdiff_t *)(vtable + offset);
        } else if (object != NULL) {
            base_object = object + offset;
        }
        find_bases(search, base->base, base_object,
                   public_path && (base->offset_flags & BASE_PUBLIC));
    }
}

/* Converts the class object at `object` (of type `thrown`) to its base `target`: true and
 * *out set if that base is public and unambiguous. */
static bool upcast(const type_info *thrown, void *object, const type_info *target, void **out)
{
    base_search search = {.target = target};
    find_bases(&search, thrown, object, true);
    if (search.count != 1 || !search.public_path)
        return false;
    *out = search.found;
    return true;
}

/* A handler of pointer type `handler` and a thrown pointer of type `thrown` whose value is
 * *value: the conversions of [except.handle] p3 (qualification, derived-to-base, to void *,
 * noexcept function pointer), one pointer level deep. */
static bool catch_pointer(const pointer_type_info *handler, const pointer_type_info *thrown,
                          void **value)
{
    /* A handler may add const and volatile to the pointee, not remove them; it may drop a
     * function pointer's noexcept, not add it. */
    if ((thrown->flags & ~handler->flags & (PTR_CONST | PTR_VOLATILE)) != 0 ||
        (handler->flags & ~thrown->flags & PTR_NOEXCEPT) != 0)
        return false;
    if (same_type(handler->pointee, thrown->pointee))
        return true;
    type_kind pointee_kind = kind_of(thrown->pointee);
    /* void * (any qualifiers) catches any object pointer; typeid(void).name() is "v". */
    if (strcmp(handler->pointee->name, "v") == 0)
        return pointee_kind != KIND_FUNCTION;
    if (is_class(pointee_kind) && is_class(kind_of(handler->pointee)))
        return upcast(thrown->pointee, *value, handler->pointee, value);
    return false;
}

/* Can a handler for `handler` catch `exception`? If so, sets exception->adjusted to what the
 * handler receives from __cxa_begin_catch: for a pointer handler the (converted) pointer
 * value, which clang's code uses as the pointer itself; for anything else the address of the
 * object, or of its base subobject of the handler's type. */
static bool can_catch(const type_info *handler, cxx_exception *exception)
{
    void *object = object_of(exception);
    type_kind thrown_kind = kind_of(exception->type);
    if (thrown_kind == KIND_POINTER) {
        void *value = *(void **)object;
        if (!same_type(handler, exception->type) &&
            (kind_of(handler) != KIND_POINTER ||
             !catch_pointer((const pointer_type_info *)handler,
                            (const pointer_type_info *)exception->type, &value)))
            return false;
        exception->adjusted = value;
        return true;
    }
    if (same_type(handler, exception->type)) {
        exception->adjusted = object;
        return true;
    }
    /* `throw nullptr` is caught by any pointer handler, as a null pointer; typeid(nullptr_t)
     * is "Dn". */
    if (strcmp(exception->type->name, "Dn") == 0 && kind_of(handler) == KIND_POINTER) {
        exception->adjusted = NULL;
        return true;
    }
    if (is_class(thrown_kind) && is_class(kind_of(handler)))
        return upcast(exception->type, object, handler, &exception->adjusted);
    return false;
}

/* ---- The LSDA (GCC_except_table) as LLVM writes it for Wasm ---------------------------- */
/*
 * lsda        ::= lpstart_enc:u8 (lpstart if lpstart_enc != omit)
 *                 ttype_enc:u8 (ttype_offset:uleb128 if ttype_enc != omit)
 *                 callsite_enc:u8 callsite_length:uleb128 callsite* action* padding type*
 * callsite    ::= landing_pad:uleb128 action:uleb128   (Wasm and SjLj: one per pad, in pad
 *                                                       index order; action 0 = none, else
 *                                                       1 + offset into the action table)
 * action      ::= filter:sleb128 next:sleb128          (next: offset from `next` itself to
 *                                                       the next record, 0 = last)
 * type        ::= a typeinfo pointer encoded as ttype_enc, NULL = catch (...); filter i > 0
 *                 is the i-th entry counting backwards from the end of the table
 * LLVM writes lpstart omitted, uleb128 call sites and absptr (4-byte) type entries for
 * wasm32; anything else is reported, not guessed at.
 */
enum {
    DW_EH_PE_absptr = 0x00,
    DW_EH_PE_uleb128 = 0x01,
    DW_EH_PE_udata4 = 0x03,
    DW_EH_PE_sdata4 = 0x0b,
    DW_EH_PE_omit = 0xff,
};

static uintptr_t read_uleb128(const uint8_t **p)
{
    uintptr_t value = 0;
    unsigned int shift = 0;
    uint8_t byte;
    do {
        byte = *(*p)++;
        if (shift < sizeof value * 8)
            value |= (uintptr_t)(byte & 0x7f) << shift;
        shift += 7;
    } while (byte & 0x80);
    return value;
}

static intptr_t read_sleb128(const uint8_t **p)
{
    uintptr_t value = 0;
    unsigned int shift = 0;
    uint8_t byte;
    do {
        byte = *(*p)++;
        if (shift < sizeof value * 8)
            value |= (uintptr_t)(byte & 0x7f) << shift;
        shift += 7;
    } while (byte & 0x80);
    if ((byte & 0x40) && shift < sizeof value * 8)
        value |= ~(uintptr_t)0 << shift;
    return (intptr_t)value;
}

/* The handler type of filter `index` (1-based) in the type table ending at `types_end`. */
static const type_info *type_entry(const uint8_t *types_end, intptr_t index)
{
    uint32_t entry;
    /* 4 bytes with each encoding the personality accepts (absptr is 4 bytes on wasm32). */
    memcpy(&entry, types_end - 4 * index, sizeof entry);
    return (const type_info *)(uintptr_t)entry;
}

/* Landing pad context: LLVM's WasmEHPrepare stores the first two fields before calling
 * _Unwind_CallPersonality and reads `selector` after it (offsets 0, 4 and 8 on wasm32; the
 * same struct as libunwind's Unwind-wasm.c). The compiled code declares it external, not
 * thread_local. */
struct lpad_context {
    uintptr_t lpad_index; /* the landing pad's index in the call-site table */
    const uint8_t *lsda;  /* the function's GCC_except_table */
    uintptr_t selector;   /* out: the matching filter (type index), 0 = none */
};

/* _Unwind_Reason_Code values the caller may look at (clang's code ignores them). */
enum { URC_HANDLER_FOUND = 6, URC_CONTINUE_UNWIND = 8 };

/* The entry points clang's code calls, with the types it calls them with. */
extern struct lpad_context __wasm_lpad_context;
int _Unwind_CallPersonality(void *payload);
void *__cxa_allocate_exception(size_t size);
void __cxa_free_exception(void *object);
_Noreturn void __cxa_throw(void *object, const type_info *type, void *(*destructor)(void *));
void *__cxa_begin_catch(void *payload);
void __cxa_end_catch(void);
_Noreturn void __cxa_rethrow(void);
void *__cxa_get_exception_ptr(void *payload);

struct lpad_context __wasm_lpad_context;

/* The personality, for one landing pad: finds the pad's call-site entry, walks its action
 * chain and sets the selector to the first filter whose type catches the exception. */
int _Unwind_CallPersonality(void *payload)
{
    cxx_exception *exception = ours(payload);
    __wasm_lpad_context.selector = 0;
    const uint8_t *p = __wasm_lpad_context.lsda;
    if (p == NULL)
        return URC_CONTINUE_UNWIND;

    if (*p++ != DW_EH_PE_omit)
        eh_terminate("LSDA with a landing pad base (only omitted is supported)");
    uint8_t type_encoding = *p++;
    const uint8_t *types_end = NULL;
    if (type_encoding != DW_EH_PE_omit) {
        if (type_encoding != DW_EH_PE_absptr && type_encoding != DW_EH_PE_udata4 &&
            type_encoding != DW_EH_PE_sdata4)
            eh_terminate("LSDA type table encoding other than 4-byte absolute");
        uintptr_t offset = read_uleb128(&p);
        types_end = p + offset;
    }
    if (*p++ != DW_EH_PE_uleb128)
        eh_terminate("LSDA call-site encoding other than uleb128");
    uintptr_t callsite_length = read_uleb128(&p);
    const uint8_t *actions = p + callsite_length;

    /* The call-site table has one entry per landing pad that calls the personality. */
    uintptr_t action = 0;
    bool found = false;
    for (uintptr_t index = 0; p < actions; index++) {
        read_uleb128(&p); /* the landing pad: its own index, not needed */
        action = read_uleb128(&p);
        if (index == __wasm_lpad_context.lpad_index) {
            found = true;
            break;
        }
    }
    if (!found)
        eh_terminate("landing pad index beyond the LSDA's call-site table");
    if (action == 0)
        return URC_CONTINUE_UNWIND; /* nothing to catch here */

    const uint8_t *record = actions + action - 1;
    for (;;) {
        intptr_t filter = read_sleb128(&record);
        const uint8_t *next_field = record;
        intptr_t next = read_sleb128(&record);
        if (filter > 0) {
            if (types_end == NULL)
                eh_terminate("LSDA catch clause without a type table");
            const type_info *handler = type_entry(types_end, filter);
            /* NULL is catch (...): it catches everything and the handler never reads the
             * object, except through `throw;`, which uses the header. */
            if (handler == NULL || can_catch(handler, exception)) {
                __wasm_lpad_context.selector = (uintptr_t)filter;
                return URC_HANDLER_FOUND;
            }
        } else if (filter < 0) {
            eh_terminate("dynamic exception specification (not supported)");
        }
        /* filter 0 is a cleanup; Wasm runs cleanups in their own catch_all pads. */
        if (next == 0)
            return URC_CONTINUE_UNWIND;
        record = next_field + next;
    }
}

/* ---- The __cxa_* entry points (Itanium C++ ABI section 2.4) ---------------------------- */

/* Memory for a thrown object of `size` bytes, with its header in front (zeroed). Failing to
 * get it terminates, as in libc++abi once its emergency buffer is gone. */
void *__cxa_allocate_exception(size_t size)
{
    if (size > SIZE_MAX - HEADER_SIZE - OBJECT_ALIGN)
        eh_terminate("exception object too large");
    /* aligned_alloc wants a multiple of the alignment. */
    size_t total = (HEADER_SIZE + size + OBJECT_ALIGN - 1) / OBJECT_ALIGN * OBJECT_ALIGN;
    cxx_exception *header = aligned_alloc(OBJECT_ALIGN, total);
    if (header == NULL)
        eh_terminate("out of memory allocating an exception");
    memset(header, 0, HEADER_SIZE);
    return object_of(header);
}

/* For an object allocated and never thrown (its construction threw). */
void __cxa_free_exception(void *object)
{
    free(header_of(object));
}

/* Throws `object` (from __cxa_allocate_exception, constructed): type is its typeinfo,
 * destructor its destructor or NULL if it is trivially destructible. */
_Noreturn void __cxa_throw(void *object, const type_info *type, void *(*destructor)(void *))
{
    cxx_exception *header = header_of(object);
    header->exception_class = CXX_EXCEPTION_CLASS;
    header->type = type;
    header->destructor = destructor;
    header->handler_count = 0;
    header->next_caught = NULL;
    /* A lone catch (...) calls no personality: begin_catch returns this. */
    header->adjusted = object;
    __builtin_wasm_throw(0, header);
}

/* The start of a handler: the exception becomes the current one (top of the caught stack)
 * unless it already is (it was rethrown from the handler that holds it). */
void *__cxa_begin_catch(void *payload)
{
    cxx_exception *exception = ours(payload);
    if (exception->handler_count < 0)
        exception->handler_count = -exception->handler_count + 1;
    else
        exception->handler_count++;
    if (exception != caught_top) {
        exception->next_caught = caught_top;
        caught_top = exception;
    }
    return exception->adjusted;
}

/* clang calls this for a handler that catches a class by value and copies it with a
 * constructor that may throw: the object to copy, without catching it yet. */
void *__cxa_get_exception_ptr(void *payload)
{
    return ours(payload)->adjusted;
}

/* The end of a handler, normal or by an exception: the last handler of an exception that is
 * not being rethrown destroys and frees it; a rethrown one only leaves the stack. */
void __cxa_end_catch(void)
{
    cxx_exception *exception = caught_top;
    if (exception == NULL)
        return;
    if (exception->handler_count < 0) {
        if (++exception->handler_count == 0)
            caught_top = exception->next_caught;
        return;
    }
    if (--exception->handler_count > 0)
        return;
    caught_top = exception->next_caught;
    if (exception->destructor != NULL)
        exception->destructor(object_of(exception));
    free(exception);
}

/* `throw;`: throws the current exception again. The handler that rethrows it is left by this
 * exception, and its __cxa_end_catch (see above) takes it off the stack. */
_Noreturn void __cxa_rethrow(void)
{
    cxx_exception *exception = caught_top;
    if (exception == NULL)
        eh_terminate("throw; with no exception being handled");
    exception->handler_count = -exception->handler_count;
    __builtin_wasm_throw(0, exception);
}
