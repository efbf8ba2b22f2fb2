/* wasi_test.h -- shared fixture of the WASI tests: a guest without code.
 *
 * The tests call libkiln_wasi's host functions directly, the way kiln_host_call would: each
 * test gets an instance of a hand-built module that has nothing but a 4-page memory (the
 * "guest"), a fresh temporary directory tree on the host, and a kiln_wasi whose fd 3 is the
 * pre-opened directory <tmp>/sandbox (guest name "/sandbox"). <tmp>/secret lies outside the
 * sandbox, next to it: every escape test checks it is neither read, changed nor replaced.
 * Guest memory is addressed with the WT_* constants below; WT_CALL passes uint64_t arguments
 * that wt_call converts to each parameter's type and returns the errno result.
 */
#ifndef KILN_WASI_TEST_H
#define KILN_WASI_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kiln/kiln.h"
#include "kiln/wasi.h"

#define WT_PAGES    4u
#define WT_MEM_SIZE (WT_PAGES * 65536u)

/* Guest addresses the tests use by convention. */
enum {
    WT_OUT = 64,     /* results (up to 64 bytes) */
    WT_OUT2 = 128,   /* a second result */
    WT_PATH = 256,   /* a path string */
    WT_PATH2 = 1024, /* a second path string */
    WT_IOVS = 2048,  /* an iovec array */
    WT_BUF = 8192,   /* a data buffer, up to WT_MEM_SIZE */
};

/* Preopened fd of <tmp>/sandbox. */
#define WT_SANDBOX_FD 3u

typedef struct wt {
    char tmp[256];     /* the host temporary directory */
    char sandbox[300]; /* <tmp>/sandbox */
    kiln_wasi *wasi;
    kiln_instance *inst;
    uint8_t *mem;
    kiln_imports imports;
    bool walk;        /* the non-openat2 resolver is forced */
    int fds_at_start; /* host descriptors open before setup */
} wt;

/* Creates the tree, the instance and a kiln_wasi (config: preopen sandbox at fd 3, no stdio,
 * argv {"prog", "a b", ""}, env {"A=1", "EMPTY="}). For cmocka setups; *state = wt *. */
int wt_setup(void **state);
/* The same with the component walk forced (KILN_WASI_NO_OPENAT2 and the internal switch). */
int wt_setup_walk(void **state);
int wt_teardown(void **state);

/* Replaces t->wasi with one made from cfg (its preopens/argv/env as given). */
kiln_status wt_rewasi(wt *t, const kiln_wasi_config *cfg);
/* A config with the fixture's argv/env, preopen sandbox, no stdio. The preopen array lives in
 * t. */
void wt_default_config(wt *t, kiln_wasi_config *cfg);

/* Calls import name with n arguments; asserts no trap and returns the errno result. */
uint32_t wt_call(wt *t, const char *name, const uint64_t *args, size_t n);
/* The same, returning the trap (proc_exit). */
kiln_trap wt_call_trap(wt *t, const char *name, const uint64_t *args, size_t n);
#define WT_CALL(t, name, ...)                                                                      \
    wt_call((t), (name), (const uint64_t[]){__VA_ARGS__},                                          \
            sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t))
#define WT_CALL0(t, name) wt_call((t), (name), NULL, 0)
/* The host function record of an import (NULL if absent). */
const kiln_host_func *wt_func(wt *t, const char *name);

/* Guest memory helpers. */
uint32_t wt_str(wt *t, uint32_t addr, const char *s); /* writes s (no NUL); returns length */
uint32_t wt_u32(wt *t, uint32_t addr);
uint64_t wt_u64(wt *t, uint32_t addr);
void wt_set_u32(wt *t, uint32_t addr, uint32_t v);
void wt_set_u64(wt *t, uint32_t addr, uint64_t v);
/* Writes one iovec {buf, len} at WT_IOVS + 8 * i. */
void wt_iov(wt *t, uint32_t i, uint32_t buf, uint32_t len);

/* Opens path (relative to the sandbox) through path_open with every right the sandbox can
 * give; returns the errno and the fd in *fd. */
uint32_t wt_open(wt *t, const char *path, uint32_t oflags, uint32_t lookup, uint32_t *fd);

/* Host helpers on the tree: paths are relative to t->tmp. */
void wt_write_file(wt *t, const char *rel, const char *content);
bool wt_exists(wt *t, const char *rel);
/* The file's content (up to cap-1 bytes, NUL-terminated); false if it cannot be read. */
bool wt_read_file(wt *t, const char *rel, char *buf, size_t cap);
void wt_mkdir(wt *t, const char *rel);
void wt_symlink(wt *t, const char *target, const char *rel);

/* witx values the tests spell out (see wasi/wasi_impl.h for the full set). */
enum {
    E_SUCCESS = 0,
    E_2BIG = 1,
    E_ACCES = 2,
    E_BADF = 8,
    E_EXIST = 20,
    E_FAULT = 21,
    E_FBIG = 22,
    E_ILSEQ = 25,
    E_INVAL = 28,
    E_ISDIR = 31,
    E_LOOP = 32,
    E_MFILE = 33,
    E_NAMETOOLONG = 37,
    E_NOENT = 44,
    E_NOSYS = 52,
    E_NOTDIR = 54,
    E_NOTEMPTY = 55,
    E_NOTSOCK = 57,
    E_NOTSUP = 58,
    E_PERM = 63,
    E_PIPE = 64,
    E_SPIPE = 70,
    E_XDEV = 75,
    E_NOTCAPABLE = 76,
};

#define R(n)                 (UINT64_C(1) << (n))
#define RIGHT_FD_READ        R(1)
#define RIGHT_FD_SEEK        R(2)
#define RIGHT_FD_TELL        R(5)
#define RIGHT_FD_WRITE       R(6)
#define RIGHT_PATH_OPEN      R(13)
#define RIGHT_FD_READDIR     R(14)
#define RIGHT_PATH_SYMLINK   R(24)
#define RIGHT_POLL_READWRITE R(27)
#define RIGHTS_ALL           (R(30) - 1)

#define O_CREAT_W     1u
#define O_DIRECTORY_W 2u
#define O_EXCL_W      4u
#define O_TRUNC_W     8u
#define FOLLOW        1u

#endif
