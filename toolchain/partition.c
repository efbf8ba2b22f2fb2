/* partition.c -- parallel compilation: a module's functions in parts, compiled on worker
 * threads, merged into one relocatable object by `ld.lld -r`.
 *
 * Reproducibility comes first: the parts depend only on the module and the part size
 * (consecutive defined functions, in index order, until their bodies reach the size), never
 * on the number of threads; each part is compiled in its own LLVM context to an object that
 * depends only on the part; the objects are merged in part order. So the output is the same
 * bytes for every -j, and the threads only decide how soon it is ready. Index order keeps the
 * call-graph locality producers give modules (wasm-ld lays out each object file's functions
 * together) and loses inlining only across the few part boundaries.
 *
 * part_run is a small pool: threads take the next part index from an atomic counter, the
 * calling thread included, so -j1 creates no thread. When parts fail, the error reported is
 * the lowest-numbered failing part's, whatever the thread count: after a failure, parts
 * numbered higher are skipped, but every lower one still runs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lower.h"

enum {
    MAX_JOBS = 256,
    WORKER_STACK = 16 << 20, /* LLVM's passes recurse on deeply nested code */
};

uint32_t part_plan(const wasm_module *m, uint32_t part_size, lower_part **out, kiln_diag *d)
{
    uint32_t defined = m->func_count - m->func_import_count;
    lower_part *parts = calloc(defined ? defined : 1, sizeof *parts);
    if (!parts) {
        kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
        return 0;
    }
    if (part_size == 0)
        part_size = KILN_PART_SIZE;
    uint32_t n = 0, first = m->func_import_count;
    uint64_t bytes = 0;
    for (uint32_t f = first; f < m->func_count; f++) {
        bytes += m->funcs[f].body.size;
        if (bytes >= part_size && f + 1 < m->func_count) {
            parts[n++] = (lower_part){.first = first, .end = f + 1};
            first = f + 1;
            bytes = 0;
        }
    }
    parts[n++] = (lower_part){.first = first, .end = m->func_count};
    for (uint32_t i = 0; i < n; i++)
        parts[i].split = n > 1;
    parts[0].descriptor = true;
    *out = parts;
    return n;
}

unsigned part_jobs(unsigned jobs)
{
    if (jobs == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = online > 0 ? (unsigned)online : 1;
    }
    return jobs > MAX_JOBS ? MAX_JOBS : jobs;
}

typedef struct part_pool {
    part_job_fn fn;
    void *ctx;
    uint32_t count;
    atomic_uint next;
    atomic_uint failed; /* the lowest failed index; count while none failed */
    kiln_diag *diags;   /* one per part */
} part_pool;

static void *part_worker(void *arg)
{
    part_pool *p = arg;
    for (;;) {
        unsigned i = atomic_fetch_add(&p->next, 1);
        if (i >= p->count)
            return NULL;
        if (i > atomic_load(&p->failed))
            continue; /* a lower part failed: its error is the one reported */
        kiln_diag_init(&p->diags[i]);
        if (p->fn(p->ctx, i, &p->diags[i]))
            continue;
        unsigned seen = atomic_load(&p->failed);
        while (i < seen && !atomic_compare_exchange_weak(&p->failed, &seen, i))
            ;
    }
}

bool part_run(uint32_t count, unsigned jobs, part_job_fn fn, void *ctx, kiln_diag *d)
{
    if (count == 0)
        return true;
    if (jobs == 0)
        jobs = 1;
    part_pool p = {.fn = fn, .ctx = ctx, .count = count};
    atomic_init(&p.next, 0);
    atomic_init(&p.failed, count);
    p.diags = calloc(count ? count : 1, sizeof *p.diags);
    if (!p.diags)
        return kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");

    /* Threads besides the calling one; if one cannot be created, fewer do the work (the
     * output is the same). */
    unsigned extra = jobs > count ? count - 1 : jobs - 1;
    pthread_t threads[MAX_JOBS];
    unsigned started = 0;
    pthread_attr_t attr;
    bool have_attr = extra > 0 && pthread_attr_init(&attr) == 0;
    if (have_attr)
        pthread_attr_setstacksize(&attr, WORKER_STACK);
    for (unsigned i = 0; i < extra && have_attr; i++) {
        if (pthread_create(&threads[started], &attr, part_worker, &p) != 0)
            break;
        started++;
    }
    if (have_attr)
        pthread_attr_destroy(&attr);
    part_worker(&p);
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);

    unsigned failed = atomic_load(&p.failed);
    bool ok = failed == count;
    if (!ok)
        *d = p.diags[failed];
    free(p.diags);
    return ok;
}

bool part_merge(uint8_t *const *objects, const size_t *sizes, uint32_t count, uint8_t **out,
                size_t *out_size, kiln_diag *d)
{
    *out = NULL;
    *out_size = 0;
    char lld[HOST_PATH_SIZE], dir[HOST_PATH_SIZE], merged[HOST_PATH_SIZE];
    if (!host_find_lld(lld, sizeof lld))
        return kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET,
                             "no ld.lld-19 or ld.lld to merge the module's %u parts (install "
                             "lld, or raise --partition-size)",
                             count);
    if (!host_make_temp_dir("kiln-compile", dir, sizeof dir))
        return kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET,
                             "cannot create a temporary directory: %s", strerror(errno));

    /* ld.lld -r -o merged.o p0.o ... p<count-1>.o, run in dir on those relative names, its
     * arguments in a response file: a module of 100,000 one-function parts would otherwise
     * pass ~4 MB of paths, over execve's limit. The parts' objects go in part order; lld -r
     * keeps input order, for sections and for symbols. */
    enum { NAME_SIZE = 16 }; /* "p4294967295.o" */
    const char **argv = calloc((size_t)count + 5, sizeof *argv);
    char *names = calloc(count, NAME_SIZE);
    bool ok = argv && names;
    if (!ok)
        kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
    ok = ok && host_path_join(merged, sizeof merged, dir, "merged.o");
    for (uint32_t i = 0; ok && i < count; i++) {
        char *name = names + (size_t)i * NAME_SIZE;
        char path[HOST_PATH_SIZE];
        snprintf(name, NAME_SIZE, "p%u.o", i);
        ok = host_path_join(path, sizeof path, dir, name) &&
             host_write_file(path, objects[i], sizes[i], 0666, d);
        argv[4 + i] = name;
    }
    if (ok) {
        argv[0] = lld;
        argv[1] = "-r";
        argv[2] = "-o";
        argv[3] = "merged.o";
        char err[HOST_PATH_SIZE + 64];
        ok = host_spawn_rsp(dir, argv, err, sizeof err);
        if (!ok)
            kiln_diag_set(d, KILN_ERR_LLVM, KILN_NO_OFFSET, "merging the parts failed: %s", err);
    }
    host_file file = {0};
    if (ok)
        ok = host_read_file(merged, &file, d);
    host_remove_dir(dir);
    free(argv);
    free(names);
    if (!ok) {
        host_file_free(&file);
        return false;
    }
    *out = file.data;
    *out_size = file.size;
    return true;
}
