/* test_wasi_basic.c -- the import list and the context: every preview1 name with its exact
 * core-wasm type, linking into a module that imports them (and a mistyped import failing),
 * kiln_wasi_new's checks, args/environ layout, clocks, random_get, proc_exit/proc_raise/
 * sched_yield, stdio descriptors, preopen descriptors, and guests without a memory.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "kiln/wasi_main.h"
#include "wasi_test.h"

/* ---- The import list ---- */

/* name, params, results: the witx signatures lowered to core wasm. */
static const struct {
    const char *name, *params, *results;
} expected_sigs[] = {
    {"args_get", "ii", "i"},
    {"args_sizes_get", "ii", "i"},
    {"environ_get", "ii", "i"},
    {"environ_sizes_get", "ii", "i"},
    {"clock_res_get", "ii", "i"},
    {"clock_time_get", "iIi", "i"},
    {"fd_advise", "iIIi", "i"},
    {"fd_allocate", "iII", "i"},
    {"fd_close", "i", "i"},
    {"fd_datasync", "i", "i"},
    {"fd_fdstat_get", "ii", "i"},
    {"fd_fdstat_set_flags", "ii", "i"},
    {"fd_fdstat_set_rights", "iII", "i"},
    {"fd_filestat_get", "ii", "i"},
    {"fd_filestat_set_size", "iI", "i"},
    {"fd_filestat_set_times", "iIIi", "i"},
    {"fd_pread", "iiiIi", "i"},
    {"fd_prestat_get", "ii", "i"},
    {"fd_prestat_dir_name", "iii", "i"},
    {"fd_pwrite", "iiiIi", "i"},
    {"fd_read", "iiii", "i"},
    {"fd_readdir", "iiiIi", "i"},
    {"fd_renumber", "ii", "i"},
    {"fd_seek", "iIii", "i"},
    {"fd_sync", "i", "i"},
    {"fd_tell", "ii", "i"},
    {"fd_write", "iiii", "i"},
    {"path_create_directory", "iii", "i"},
    {"path_filestat_get", "iiiii", "i"},
    {"path_filestat_set_times", "iiiiIIi", "i"},
    {"path_link", "iiiiiii", "i"},
    {"path_open", "iiiiiIIii", "i"},
    {"path_readlink", "iiiiii", "i"},
    {"path_remove_directory", "iii", "i"},
    {"path_rename", "iiiiii", "i"},
    {"path_symlink", "iiiii", "i"},
    {"path_unlink_file", "iii", "i"},
    {"poll_oneoff", "iiii", "i"},
    {"proc_exit", "i", ""},
    {"proc_raise", "i", "i"},
    {"sched_yield", "", "i"},
    {"random_get", "ii", "i"},
    {"sock_accept", "iii", "i"},
    {"sock_recv", "iiiiii", "i"},
    {"sock_send", "iiiii", "i"},
    {"sock_shutdown", "ii", "i"},
};

#define SIG_COUNT (sizeof expected_sigs / sizeof expected_sigs[0])

static void test_imports_cover_preview1(void **state)
{
    wt *t = *state;
    assert_string_equal(kiln_wasi_snapshot(), "wasi_snapshot_preview1");
    assert_int_equal(t->imports.count, SIG_COUNT);
    assert_int_equal(SIG_COUNT, 46);
    for (size_t i = 0; i < SIG_COUNT; i++) {
        const kiln_host_func *h = wt_func(t, expected_sigs[i].name);
        assert_non_null(h);
        const char *p = expected_sigs[i].params, *r = expected_sigs[i].results;
        assert_int_equal(h->param_count, strlen(p));
        assert_int_equal(h->result_count, strlen(r));
        for (size_t k = 0; p[k]; k++)
            assert_int_equal(h->params[k], p[k] == 'I' ? KILN_TYPE_I64 : KILN_TYPE_I32);
        for (size_t k = 0; r[k]; k++)
            assert_int_equal(h->results[k], KILN_TYPE_I32);
    }
    for (size_t i = 0; i < t->imports.count; i++) {
        assert_string_equal(t->imports.items[i].module, "wasi_snapshot_preview1");
        assert_int_equal(t->imports.items[i].value.kind, KILN_KIND_HOST_FUNC);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(t->imports.items[i].name, t->imports.items[k].name);
    }
    kiln_imports none;
    assert_int_equal(kiln_wasi_imports(NULL, &none), KILN_STATUS_ARG);
    assert_int_equal(kiln_wasi_imports(t->wasi, NULL), KILN_STATUS_ARG);
}

/* Stands in for the generated host adapter the runtime requires per function import; the
 * test only links, it never calls. */
static void unused_adapter(void) {}

/* A module importing every function with its witx type links; one mistyped import does not. */
static void test_imports_link_into_module(void **state)
{
    wt *t = *state;
    static uint8_t types_buf[SIG_COUNT][12];
    static kiln_functype_desc types[SIG_COUNT];
    static kiln_import_desc imports[SIG_COUNT];
    static kiln_func_desc funcs[SIG_COUNT];
    static kiln_module_desc m;
    for (size_t i = 0; i < SIG_COUNT; i++) {
        const char *p = expected_sigs[i].params, *r = expected_sigs[i].results;
        size_t np = strlen(p), nr = strlen(r);
        for (size_t k = 0; k < np; k++)
            types_buf[i][k] = p[k] == 'I' ? KILN_TYPE_I64 : KILN_TYPE_I32;
        for (size_t k = 0; k < nr; k++)
            types_buf[i][np + k] = KILN_TYPE_I32;
        memset(&types[i], 0, sizeof types[i]);
        types[i].param_count = (uint32_t)np;
        types[i].result_count = (uint32_t)nr;
        types[i].types.p = types_buf[i];
        memset(&imports[i], 0, sizeof imports[i]);
        imports[i].module.ptr.p = (void *)(uintptr_t)"wasi_snapshot_preview1";
        imports[i].module.len = 22;
        imports[i].name.ptr.p = (void *)(uintptr_t)expected_sigs[i].name;
        imports[i].name.len = (uint32_t)strlen(expected_sigs[i].name);
        imports[i].kind = KILN_KIND_FUNC;
        imports[i].index = (uint32_t)i;
        imports[i].type_index = (uint32_t)i;
        memset(&funcs[i], 0, sizeof funcs[i]);
        funcs[i].type_index = (uint32_t)i;
        funcs[i].code.p = (void *)unused_adapter;
    }
    memset(&m, 0, sizeof m);
    m.abi_version = KILN_ABI_VERSION;
    m.start = UINT32_MAX;
    m.type_count = m.import_count = m.func_count = m.func_import_count = SIG_COUNT;
    m.types.p = types;
    m.imports.p = imports;
    m.funcs.p = funcs;
    kiln_vmctx_layout *l = &m.layout;
    l->imports = KILN_VMCTX_HEADER_SIZE;
    l->tables = l->globals = l->global_cells = l->imports + SIG_COUNT * sizeof(kiln_import_slot);
    l->sig_ids = l->global_cells;
    l->funcrefs = l->elem_dropped = l->data_dropped = l->sig_ids + SIG_COUNT * 4;
    l->size = (l->funcrefs + 15) & ~15u;

    kiln_instance *inst = NULL;
    kiln_status st = kiln_instance_new(&m, &t->imports, &inst);
    if (st != KILN_STATUS_OK)
        fail_msg("%s", kiln_last_error());
    kiln_instance_free(inst);

    /* fd_write declared as (i32) -> i32 */
    types[26].param_count = 1;
    assert_string_equal(expected_sigs[26].name, "fd_write");
    assert_int_equal(kiln_instance_new(&m, &t->imports, &inst), KILN_STATUS_LINK);
}

/* ---- kiln_wasi_new ---- */

static void test_new_rejects_bad_config(void **state)
{
    wt *t = *state;
    kiln_wasi *w = NULL;
    kiln_wasi_config cfg;
    assert_int_equal(kiln_wasi_new(NULL, &w), KILN_STATUS_ARG);
    wt_default_config(t, &cfg);
    assert_int_equal(kiln_wasi_new(&cfg, NULL), KILN_STATUS_ARG);

    kiln_wasi_preopen missing = {.host_path = "/nonexistent/kiln-wasi", .guest_path = "/x"};
    cfg.preopens = &missing;
    assert_int_equal(kiln_wasi_new(&cfg, &w), KILN_STATUS_ARG);
    assert_null(w);
    assert_non_null(strstr(kiln_wasi_last_error(), "/nonexistent/kiln-wasi"));

    /* A file is not a directory. */
    char file[600];
    snprintf(file, sizeof file, "%s/secret", t->tmp);
    kiln_wasi_preopen not_dir = {.host_path = file, .guest_path = "/x"};
    cfg.preopens = &not_dir;
    assert_int_equal(kiln_wasi_new(&cfg, &w), KILN_STATUS_ARG);

    wt_default_config(t, &cfg);
    cfg.stdout_fd = 987654; /* not open in the host */
    assert_int_equal(kiln_wasi_new(&cfg, &w), KILN_STATUS_ARG);
    assert_non_null(strstr(kiln_wasi_last_error(), "stdout"));

    wt_default_config(t, &cfg);
    cfg.max_fds = 3; /* stdio + 1 preopen do not fit */
    assert_int_equal(kiln_wasi_new(&cfg, &w), KILN_STATUS_LIMIT);

    wt_default_config(t, &cfg);
    cfg.argc = 1;
    cfg.argv = NULL;
    assert_int_equal(kiln_wasi_new(&cfg, &w), KILN_STATUS_ARG);
    kiln_wasi_free(NULL); /* ignored */
}

/* ---- args and environ ---- */

static void test_args_layout(void **state)
{
    wt *t = *state;
    assert_int_equal(WT_CALL(t, "args_sizes_get", WT_OUT, WT_OUT + 4), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 3);
    assert_int_equal(wt_u32(t, WT_OUT + 4), 10); /* "prog\0" "a b\0" "\0" */
    memset(t->mem + WT_BUF, 0xAA, 16);
    assert_int_equal(WT_CALL(t, "args_get", WT_OUT2, WT_BUF), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT2), WT_BUF);
    assert_int_equal(wt_u32(t, WT_OUT2 + 4), WT_BUF + 5);
    assert_int_equal(wt_u32(t, WT_OUT2 + 8), WT_BUF + 9);
    assert_memory_equal(t->mem + WT_BUF, "prog\0a b\0\0", 10);
    assert_int_equal(t->mem[WT_BUF + 10], 0xAA); /* nothing past the strings */

    /* Out of bounds: the pointer array, the buffer, the sizes. Nothing is written. */
    memset(t->mem + WT_BUF, 0xAA, 16);
    assert_int_equal(WT_CALL(t, "args_get", WT_MEM_SIZE - 8, WT_BUF), E_FAULT);
    assert_int_equal(WT_CALL(t, "args_get", WT_OUT2, WT_MEM_SIZE - 9), E_FAULT);
    assert_int_equal(WT_CALL(t, "args_get", 0xFFFFFFFF, WT_BUF), E_FAULT);
    assert_int_equal(t->mem[WT_BUF], 0xAA);
    assert_int_equal(WT_CALL(t, "args_sizes_get", WT_OUT, WT_MEM_SIZE - 3), E_FAULT);
    assert_int_equal(WT_CALL(t, "args_get", WT_OUT2, WT_MEM_SIZE - 10), E_SUCCESS);
}

static void test_environ_layout(void **state)
{
    wt *t = *state;
    assert_int_equal(WT_CALL(t, "environ_sizes_get", WT_OUT, WT_OUT + 4), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 2);
    assert_int_equal(wt_u32(t, WT_OUT + 4), 11); /* "A=1\0" "EMPTY=\0" */
    assert_int_equal(WT_CALL(t, "environ_get", WT_OUT2, WT_BUF), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT2), WT_BUF);
    assert_int_equal(wt_u32(t, WT_OUT2 + 4), WT_BUF + 4);
    assert_memory_equal(t->mem + WT_BUF, "A=1\0EMPTY=\0", 11);
    assert_int_equal(WT_CALL(t, "environ_get", WT_MEM_SIZE, WT_BUF), E_FAULT);

    /* No arguments and no environment at all. */
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    cfg.argc = cfg.env_count = 0;
    cfg.argv = cfg.env = NULL;
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);
    assert_int_equal(WT_CALL(t, "args_sizes_get", WT_OUT, WT_OUT + 4), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 0);
    assert_int_equal(wt_u32(t, WT_OUT + 4), 0);
    assert_int_equal(WT_CALL(t, "environ_get", WT_MEM_SIZE, WT_MEM_SIZE), E_SUCCESS);
}

/* ---- clocks, random, proc ---- */

static void test_clocks(void **state)
{
    wt *t = *state;
    for (uint32_t id = 0; id < 4; id++) {
        wt_set_u64(t, WT_OUT, 0);
        assert_int_equal(WT_CALL(t, "clock_res_get", id, WT_OUT), E_SUCCESS);
        assert_true(wt_u64(t, WT_OUT) > 0);
        assert_int_equal(WT_CALL(t, "clock_time_get", id, 1, WT_OUT), E_SUCCESS);
    }
    assert_int_equal(WT_CALL(t, "clock_res_get", 4, WT_OUT), E_INVAL);
    assert_int_equal(WT_CALL(t, "clock_time_get", 0xFFFFFFFF, 0, WT_OUT), E_INVAL);
    assert_int_equal(WT_CALL(t, "clock_time_get", 1, 0, WT_MEM_SIZE - 7), E_FAULT);
    assert_int_equal(WT_CALL(t, "clock_res_get", 1, WT_MEM_SIZE - 4), E_FAULT);

    /* Monotonic never goes back and follows a sleep. */
    uint64_t prev = 0;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(WT_CALL(t, "clock_time_get", 1, 0, WT_OUT), E_SUCCESS);
        assert_true(wt_u64(t, WT_OUT) >= prev);
        prev = wt_u64(t, WT_OUT);
    }
    struct timespec nap = {0, 5000000};
    nanosleep(&nap, NULL);
    assert_int_equal(WT_CALL(t, "clock_time_get", 1, 0, WT_OUT), E_SUCCESS);
    assert_true(wt_u64(t, WT_OUT) >= prev + 5000000);

    /* Realtime is nanoseconds since 1970. */
    assert_int_equal(WT_CALL(t, "clock_time_get", 0, 0, WT_OUT), E_SUCCESS);
    uint64_t now = (uint64_t)time(NULL);
    uint64_t sec = wt_u64(t, WT_OUT) / 1000000000u;
    assert_true(sec + 2 >= now && sec <= now + 2);

    /* Process CPU time grows with work. */
    assert_int_equal(WT_CALL(t, "clock_time_get", 2, 0, WT_OUT), E_SUCCESS);
    uint64_t cpu0 = wt_u64(t, WT_OUT);
    volatile uint64_t sink = 0;
    for (uint64_t i = 0; i < 20000000; i++)
        sink += i;
    assert_int_equal(WT_CALL(t, "clock_time_get", 2, 0, WT_OUT), E_SUCCESS);
    assert_true(wt_u64(t, WT_OUT) > cpu0);
}

static void test_random_get(void **state)
{
    wt *t = *state;
    memset(t->mem + WT_BUF, 0, 4096);
    assert_int_equal(WT_CALL(t, "random_get", WT_BUF, 4096), E_SUCCESS);
    int zeros = 0;
    for (int i = 0; i < 4096; i++)
        zeros += t->mem[WT_BUF + i] == 0;
    assert_true(zeros < 100); /* ~16 expected */
    uint8_t first[64];
    memcpy(first, t->mem + WT_BUF, 64);
    assert_int_equal(WT_CALL(t, "random_get", WT_BUF, 64), E_SUCCESS);
    assert_memory_not_equal(first, t->mem + WT_BUF, 64);
    /* Exactly up to the end is fine; one past it is not, and touches nothing. */
    assert_int_equal(WT_CALL(t, "random_get", WT_MEM_SIZE - 16, 16), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "random_get", WT_MEM_SIZE, 0), E_SUCCESS);
    memset(t->mem + WT_MEM_SIZE - 16, 0, 16);
    assert_int_equal(WT_CALL(t, "random_get", WT_MEM_SIZE - 16, 17), E_FAULT);
    for (int i = 0; i < 16; i++)
        assert_int_equal(t->mem[WT_MEM_SIZE - 16 + i], 0);
    assert_int_equal(WT_CALL(t, "random_get", 0xFFFFFFF0, 0x20), E_FAULT);
    assert_int_equal(WT_CALL(t, "random_get", 0, WT_MEM_SIZE), E_SUCCESS);
}

static void test_proc_exit_unwinds(void **state)
{
    wt *t = *state;
    int code = -1;
    assert_false(kiln_wasi_exit_code(t->wasi, &code));
    assert_int_equal(code, -1);
    uint64_t arg = 7;
    assert_int_equal(wt_call_trap(t, "proc_exit", &arg, 1), KILN_TRAP_EXIT);
    assert_true(kiln_wasi_exit_code(t->wasi, &code));
    assert_int_equal(code, 7);
    assert_true(kiln_wasi_exit_code(t->wasi, NULL));
    assert_false(kiln_wasi_exit_code(NULL, &code));
}

static void test_proc_raise_and_sched_yield(void **state)
{
    wt *t = *state;
    assert_int_equal(WT_CALL(t, "proc_raise", 2), E_NOTSUP);
    assert_int_equal(WT_CALL0(t, "sched_yield"), E_SUCCESS);
}

/* ---- descriptors handed over by the configuration ---- */

static void test_stdio_descriptors(void **state)
{
    wt *t = *state;
    char path[600];
    snprintf(path, sizeof path, "%s/stdout.txt", t->tmp);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(out >= 0);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    cfg.stdin_fd = pipefd[0];
    cfg.stdout_fd = out;
    cfg.stderr_fd = -1;
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);

    /* fd 1 is the file: write through it. */
    uint32_t n = wt_str(t, WT_BUF, "hi there\n");
    wt_iov(t, 0, WT_BUF, n);
    assert_int_equal(WT_CALL(t, "fd_write", 1, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), n);
    char buf[64];
    assert_true(wt_read_file(t, "stdout.txt", buf, sizeof buf));
    assert_string_equal(buf, "hi there\n");
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", 1, WT_OUT), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT], 4);                        /* regular_file */
    assert_int_equal(wt_u64(t, WT_OUT + 8) & RIGHT_FD_READ, 0); /* opened write-only */
    assert_int_equal(wt_u64(t, WT_OUT + 8) & RIGHT_FD_WRITE, RIGHT_FD_WRITE);

    /* fd 0 is the pipe: a stream with no seek. */
    assert_int_equal(write(pipefd[1], "in", 2), 2);
    wt_iov(t, 0, WT_BUF, 16);
    assert_int_equal(WT_CALL(t, "fd_read", 0, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 2);
    assert_memory_equal(t->mem + WT_BUF, "in", 2);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", 0, WT_OUT), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT], 0); /* FIFOs have no witx type: unknown */
    assert_int_equal(WT_CALL(t, "fd_seek", 0, 0, 0, WT_OUT), E_NOTCAPABLE);

    /* fd 2 was not given. */
    assert_int_equal(WT_CALL(t, "fd_write", 2, WT_IOVS, 1, WT_OUT), E_BADF);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", 2, WT_OUT), E_BADF);

    /* Closing the guest's fd 1 leaves the host's descriptor alone. */
    assert_int_equal(WT_CALL(t, "fd_close", 1), E_SUCCESS);
    assert_true(fcntl(out, F_GETFD) >= 0);
    assert_int_equal(write(out, "!", 1), 1);
    assert_int_equal(WT_CALL(t, "fd_write", 1, WT_IOVS, 1, WT_OUT), E_BADF);
    close(out);
    close(pipefd[0]);
    close(pipefd[1]);
}

/* Guest descriptors are table indexes: host descriptor numbers mean nothing to the guest. */
static void test_host_fds_unreachable(void **state)
{
    wt *t = *state;
    char path[600];
    snprintf(path, sizeof path, "%s/secret", t->tmp);
    int host = open(path, O_RDONLY);
    assert_true(host >= 0);
    wt_iov(t, 0, WT_BUF, 64);
    for (uint32_t fd = 0; fd < 64; fd++) {
        if (fd == WT_SANDBOX_FD)
            continue;
        assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 1, WT_OUT), E_BADF);
        assert_int_equal(WT_CALL(t, "fd_fdstat_get", fd, WT_OUT), E_BADF);
    }
    assert_int_equal(WT_CALL(t, "fd_read", (uint32_t)host, WT_IOVS, 1, WT_OUT), E_BADF);
    assert_int_equal(WT_CALL(t, "fd_close", 0xFFFFFFFF), E_BADF);
    close(host);
}

static void test_preopen_descriptor(void **state)
{
    wt *t = *state;
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", WT_SANDBOX_FD, WT_OUT), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT], 3); /* directory */
    assert_int_equal(wt_u64(t, WT_OUT + 8) & RIGHT_PATH_OPEN, RIGHT_PATH_OPEN);
    assert_int_equal(wt_u64(t, WT_OUT + 8) & RIGHT_FD_READ, 0);
    assert_int_equal(wt_u64(t, WT_OUT + 16) & RIGHT_FD_READ, RIGHT_FD_READ);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", WT_SANDBOX_FD, WT_MEM_SIZE - 23), E_FAULT);

    memset(t->mem + WT_OUT, 0xFF, 8);
    assert_int_equal(WT_CALL(t, "fd_prestat_get", WT_SANDBOX_FD, WT_OUT), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT], 0); /* preopentype dir */
    assert_int_equal(wt_u32(t, WT_OUT + 4), 8);
    memset(t->mem + WT_BUF, '#', 16);
    assert_int_equal(WT_CALL(t, "fd_prestat_dir_name", WT_SANDBOX_FD, WT_BUF, 8), E_SUCCESS);
    assert_memory_equal(t->mem + WT_BUF, "/sandbox#", 9); /* no NUL written */
    assert_int_equal(WT_CALL(t, "fd_prestat_dir_name", WT_SANDBOX_FD, WT_BUF, 7), E_NAMETOOLONG);
    assert_int_equal(WT_CALL(t, "fd_prestat_dir_name", WT_SANDBOX_FD, WT_MEM_SIZE - 4, 8), E_FAULT);
    /* The end of wasi-libc's preopen scan. */
    assert_int_equal(WT_CALL(t, "fd_prestat_get", 4, WT_OUT), E_BADF);
    assert_int_equal(WT_CALL(t, "fd_prestat_get", 0, WT_OUT), E_BADF);
    /* A directory opened through the preopen is no preopen. */
    uint32_t fd;
    assert_int_equal(wt_open(t, ".", O_DIRECTORY_W, 0, &fd), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_prestat_get", fd, WT_OUT), E_BADF);
    assert_int_equal(WT_CALL(t, "fd_prestat_dir_name", fd, WT_BUF, 100), E_BADF);
}

/* A module with nothing in it: no memory, no functions, no exports. */
static void bare_module(kiln_module_desc *m)
{
    memset(m, 0, sizeof *m);
    m->abi_version = KILN_ABI_VERSION;
    m->start = UINT32_MAX;
    kiln_vmctx_layout *l = &m->layout;
    l->imports = l->tables = l->globals = l->global_cells = l->sig_ids = l->funcrefs =
        l->elem_dropped = l->data_dropped = l->size = KILN_VMCTX_HEADER_SIZE;
}

/* A module without a memory: every pointer is out of bounds, nothing crashes. */
static void test_guest_without_memory(void **state)
{
    wt *t = *state;
    kiln_module_desc m;
    bare_module(&m);
    kiln_instance *bare = NULL;
    assert_int_equal(kiln_instance_new(&m, NULL, &bare), KILN_STATUS_OK);
    kiln_instance *saved = t->inst;
    t->inst = bare;
    assert_int_equal(WT_CALL(t, "args_sizes_get", 0, 4), E_FAULT);
    assert_int_equal(WT_CALL(t, "random_get", 0, 1), E_FAULT);
    assert_int_equal(WT_CALL(t, "random_get", 0, 0), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_write", 1, 0, 0, 0), E_BADF);
    assert_int_equal(WT_CALL(t, "path_open", WT_SANDBOX_FD, 0, 0, 1, 0, 0, 0, 0, 0), E_FAULT);
    assert_int_equal(WT_CALL0(t, "sched_yield"), E_SUCCESS);
    t->inst = saved;
    kiln_instance_free(bare);
}

/* kiln_wasi_run_main_flags: unknown flags and a module that is not a command are start-up
 * errors (status 125), with and without KILN_WASI_MAIN_AT_EXIT. */
static void test_run_main_errors(void **state)
{
    (void)state;
    kiln_module_desc m;
    bare_module(&m);
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    char arg0[] = "prog";
    char *argv[] = {arg0, NULL};
    assert_int_equal(kiln_wasi_run_main_flags(&m, &cfg, 0x4u, 1, argv), KILN_WASI_MAIN_EXIT_ERROR);
    assert_int_equal(kiln_wasi_run_main_flags(&m, &cfg, 0, 1, argv), KILN_WASI_MAIN_EXIT_ERROR);
    assert_int_equal(kiln_wasi_run_main_flags(&m, &cfg, KILN_WASI_MAIN_INHERIT_ENV, 1, argv),
                     KILN_WASI_MAIN_EXIT_ERROR);
    assert_int_equal(kiln_wasi_run_main(&m, &cfg, 1, argv), KILN_WASI_MAIN_EXIT_ERROR);
    assert_int_equal(kiln_wasi_run_main_flags(NULL, &cfg, 0, 1, argv), KILN_WASI_MAIN_EXIT_ERROR);
    assert_int_equal(kiln_wasi_run_main_flags(&m, &cfg, 0, -1, argv), KILN_WASI_MAIN_EXIT_ERROR);
}

#define T(f) cmocka_unit_test_setup_teardown(f, wt_setup, wt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_imports_cover_preview1),
        T(test_imports_link_into_module),
        T(test_new_rejects_bad_config),
        T(test_args_layout),
        T(test_environ_layout),
        T(test_clocks),
        T(test_random_get),
        T(test_proc_exit_unwinds),
        T(test_proc_raise_and_sched_yield),
        T(test_stdio_descriptors),
        T(test_host_fds_unreachable),
        T(test_preopen_descriptor),
        T(test_guest_without_memory),
        cmocka_unit_test(test_run_main_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
