/* loader.c -- compiled modules into the kiln process: link with ld.lld -shared, then dlopen.
 *
 * `kiln run` links one module (its cache keeps the shared object); `kiln wast` links all of a
 * script's modules into one shared object, or each into its own when that fails. Either way
 * the shared object's calls into the runtime (kiln_trap_raise, kiln_memory_grow, ...) resolve
 * against the kiln program, which links the whole runtime archive and exports it (-rdynamic;
 * cli/CMakeLists.txt). Shared objects are never dlclose'd: their code ranges stay registered
 * with the runtime's fault handler.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

bool loader_link(const char *linker, const char *const *objects, size_t count, const char *extra,
                 const char *so_path, char *err, size_t err_size)
{
    /* linker -shared --build-id=none --eh-frame-hdr -o SO objects... [extra] NULL: the
     * header indexes the unwind tables, which Wasm exceptions unwind with (abi.h) */
    const char **argv = calloc(count + 8, sizeof *argv);
    if (argv == NULL) {
        kiln_msg(err, err_size, "out of memory");
        return false;
    }
    size_t n = 0;
    argv[n++] = linker;
    argv[n++] = "-shared";
    argv[n++] = "--build-id=none";
    argv[n++] = "--eh-frame-hdr";
    argv[n++] = "-o";
    argv[n++] = so_path;
    for (size_t i = 0; i < count; i++)
        argv[n++] = objects[i];
    if (extra)
        argv[n++] = extra;
    argv[n] = NULL;
    bool ok = host_spawn_rsp(NULL, argv, err, err_size); /* any number of objects */
    free(argv);
    if (!ok)
        unlink(so_path); /* whatever the linker left is not a shared object to load */
    return ok;
}

bool loader_open(const char *so_path, const char *symbol, const kiln_module **out, char *err,
                 size_t err_size)
{
    void *handle = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *why = dlerror();
        kiln_msg(err, err_size, "cannot load %s: %s", so_path, why ? why : "unknown error");
        return false;
    }
    const kiln_module *module = dlsym(handle, symbol);
    if (module == NULL) {
        kiln_msg(err, err_size, "%s has no symbol %s", so_path, symbol);
        return false;
    }
    *out = module;
    return true;
}
