/* test_wasi_fd.c -- descriptor operations on files in the sandbox: fd_write/fd_read through
 * iovecs (scattered, empty, thousands of them), fd_pread/fd_pwrite, fd_seek/fd_tell, the
 * iovec bounds rules (EFAULT before any byte moves, huge counts), filestat and its setters,
 * fdstat flags and rights, fd_renumber/fd_close and slot reuse, the table limit, fd_advise/
 * fd_allocate/fd_sync, and fd_readdir with cookies and buffers too small for an entry.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_test.h"

static uint32_t open_file(wt *t, const char *path)
{
    uint32_t fd;
    assert_int_equal(wt_open(t, path, O_CREAT_W, 0, &fd), E_SUCCESS);
    return fd;
}

static void test_write_read_iovecs(void **state)
{
    wt *t = *state;
    uint32_t fd = open_file(t, "f");
    assert_int_equal(fd, 4); /* lowest free slot after the preopen */
    uint32_t a = wt_str(t, WT_BUF, "hello");
    uint32_t b = wt_str(t, WT_BUF + 100, " world");
    wt_iov(t, 0, WT_BUF, a);
    wt_iov(t, 1, WT_BUF + 50, 0);
    wt_iov(t, 2, WT_BUF + 100, b);
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 3, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 11);
    char buf[64];
    assert_true(wt_read_file(t, "sandbox/f", buf, sizeof buf));
    assert_string_equal(buf, "hello world");
    assert_int_equal(WT_CALL(t, "fd_tell", fd, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT), 11);

    assert_int_equal(WT_CALL(t, "fd_seek", fd, 0, 0, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT), 0);
    memset(t->mem + WT_BUF, 0, 256);
    wt_iov(t, 0, WT_BUF, 4);
    wt_iov(t, 1, WT_BUF + 100, 100);
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 2, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 11);
    assert_memory_equal(t->mem + WT_BUF, "hell", 4);
    assert_memory_equal(t->mem + WT_BUF + 100, "o world", 7);
    /* At end of file: 0 bytes. */
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 2, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 0);
    /* No iovecs at all. */
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 0, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 0);
}

static void test_seek_tell(void **state)
{
    wt *t = *state;
    wt_write_file(t, "sandbox/s", "0123456789");
    uint32_t fd;
    assert_int_equal(wt_open(t, "s", 0, 0, &fd), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_seek", fd, 4, 0, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT), 4);
    assert_int_equal(WT_CALL(t, "fd_seek", fd, 2, 1, WT_OUT), E_SUCCESS); /* cur */
    assert_int_equal(wt_u64(t, WT_OUT), 6);
    assert_int_equal(WT_CALL(t, "fd_seek", fd, (uint64_t)-3, 2, WT_OUT), E_SUCCESS); /* end */
    assert_int_equal(wt_u64(t, WT_OUT), 7);
    assert_int_equal(WT_CALL(t, "fd_tell", fd, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT), 7);
    wt_iov(t, 0, WT_BUF, 10);
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 3);
    assert_memory_equal(t->mem + WT_BUF, "789", 3);

    assert_int_equal(WT_CALL(t, "fd_seek", fd, 0, 3, WT_OUT), E_INVAL); /* no such whence */
    assert_int_equal(WT_CALL(t, "fd_seek", fd, (uint64_t)-1, 0, WT_OUT), E_INVAL);
    assert_int_equal(WT_CALL(t, "fd_seek", fd, 0, 0, WT_MEM_SIZE - 4), E_FAULT);
    assert_int_equal(WT_CALL(t, "fd_tell", fd, WT_MEM_SIZE), E_FAULT);
    assert_int_equal(WT_CALL(t, "fd_seek", 99, 0, 0, WT_OUT), E_BADF);
    /* Directories have neither fd_seek nor fd_tell. */
    assert_int_equal(WT_CALL(t, "fd_seek", WT_SANDBOX_FD, 0, 0, WT_OUT), E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_tell", WT_SANDBOX_FD, WT_OUT), E_NOTCAPABLE);

    /* ftell-style seek(0, cur) needs only fd_tell. */
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_rights", fd, RIGHT_FD_TELL | RIGHT_FD_READ, 0),
                     E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_seek", fd, 0, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT), 10);
    assert_int_equal(WT_CALL(t, "fd_seek", fd, 1, 1, WT_OUT), E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_seek", fd, 0, 0, WT_OUT), E_NOTCAPABLE);
}

/* Offsets past 4 GiB (a sparse file): exact on every host, 32-bit ones included (the
 * library is built with 64-bit file offsets; a 32-bit off_t would wrap 6 GiB to 2 GiB). */
static void test_offsets_past_4gib(void **state)
{
    wt *t = *state;
    uint32_t fd = open_file(t, "sparse");
    const uint64_t far = UINT64_C(6) << 30; /* 6 GiB */
    uint32_t n = wt_str(t, WT_BUF, "far");
    wt_iov(t, 0, WT_BUF, n);
    assert_int_equal(WT_CALL(t, "fd_pwrite", fd, WT_IOVS, 1, far, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 3);
    assert_int_equal(WT_CALL(t, "fd_filestat_get", fd, WT_OUT2), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT2 + 32), far + 3);
    assert_int_equal(WT_CALL(t, "fd_seek", fd, (int64_t)(far + 1), 0, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT), far + 1);
    assert_int_equal(WT_CALL(t, "fd_tell", fd, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT), far + 1);
    memset(t->mem + WT_BUF, 0, 8);
    wt_iov(t, 0, WT_BUF, 8);
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 2);
    assert_memory_equal(t->mem + WT_BUF, "ar", 2);
    assert_int_equal(WT_CALL(t, "fd_filestat_set_size", fd, UINT64_C(5) << 30), E_SUCCESS);
    struct stat st;
    char path[600];
    snprintf(path, sizeof path, "%s/sparse", t->sandbox);
    assert_int_equal(stat(path, &st), 0);
    assert_true((uint64_t)st.st_size == UINT64_C(5) << 30);
    assert_int_equal(WT_CALL(t, "fd_close", fd), E_SUCCESS);
}

static void test_pread_pwrite(void **state)
{
    wt *t = *state;
    uint32_t fd = open_file(t, "p");
    uint32_t n = wt_str(t, WT_BUF, "abcde");
    wt_iov(t, 0, WT_BUF, n);
    assert_int_equal(WT_CALL(t, "fd_pwrite", fd, WT_IOVS, 1, 100, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 5);
    assert_int_equal(WT_CALL(t, "fd_tell", fd, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT), 0); /* the position did not move */
    assert_int_equal(WT_CALL(t, "fd_filestat_get", fd, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT + 32), 105);

    memset(t->mem + WT_BUF, 0, 16);
    wt_iov(t, 0, WT_BUF, 2);
    wt_iov(t, 1, WT_BUF + 8, 8);
    assert_int_equal(WT_CALL(t, "fd_pread", fd, WT_IOVS, 2, 101, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 4);
    assert_memory_equal(t->mem + WT_BUF, "bc", 2);
    assert_memory_equal(t->mem + WT_BUF + 8, "de", 2);
    assert_int_equal(WT_CALL(t, "fd_pread", fd, WT_IOVS, 2, UINT64_C(1) << 63, WT_OUT), E_INVAL);
    assert_int_equal(WT_CALL(t, "fd_pread", fd, WT_IOVS, 2, 1000, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 0);
    /* pread needs fd_seek as well as fd_read. */
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_rights", fd, RIGHT_FD_READ | RIGHT_FD_WRITE, 0),
                     E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_pread", fd, WT_IOVS, 2, 0, WT_OUT), E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_pwrite", fd, WT_IOVS, 2, 0, WT_OUT), E_NOTCAPABLE);
}

/* 10000 one-byte iovecs go out in batches, in order; empty ones cost nothing. */
static void test_many_iovecs(void **state)
{
    wt *t = *state;
    uint32_t fd = open_file(t, "many");
    const uint32_t n = 10000, data = WT_IOVS + n * 8;
    for (uint32_t i = 0; i < n; i++) {
        t->mem[data + i] = (uint8_t)('a' + i % 26);
        wt_iov(t, i, data + i, 1);
    }
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, n, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), n);
    char *buf = malloc(n + 1);
    assert_true(wt_read_file(t, "sandbox/many", buf, n + 1));
    assert_int_equal(strlen(buf), n);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(buf[i], 'a' + i % 26);
    free(buf);

    /* Read it back scattered over 10000 iovecs in reverse byte order of the buffer. */
    assert_int_equal(WT_CALL(t, "fd_seek", fd, 0, 0, WT_OUT), E_SUCCESS);
    for (uint32_t i = 0; i < n; i++)
        wt_iov(t, i, data + n - 1 - i, 1);
    memset(t->mem + data, 0, n);
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, n, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), n);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(t->mem[data + n - 1 - i], 'a' + i % 26);

    /* 5000 empty iovecs, then one with data. */
    uint32_t e = open_file(t, "empties");
    for (uint32_t i = 0; i < 5000; i++)
        wt_iov(t, i, 0, 0);
    wt_iov(t, 5000, data, wt_str(t, data, "tail"));
    assert_int_equal(WT_CALL(t, "fd_write", e, WT_IOVS, 5001, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 4);
}

/* Every iovec is checked before any byte moves; counts that cannot fit are EFAULT at once. */
static void test_iovec_bounds(void **state)
{
    wt *t = *state;
    uint32_t fd = open_file(t, "b");
    wt_str(t, WT_BUF, "data");
    wt_iov(t, 0, WT_BUF, 4);
    /* The array itself out of bounds, or too long for memory. */
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_MEM_SIZE - 4, 1, WT_OUT), E_FAULT);
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 0x20000000, WT_OUT), E_FAULT);
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 0xFFFFFFFF, WT_OUT), E_FAULT);
    assert_int_equal(WT_CALL(t, "fd_read", fd, 0xFFFFFFF8, 2, WT_OUT), E_FAULT);
    /* A buffer past the end, or wrapping around 4 GiB. */
    wt_iov(t, 1, WT_MEM_SIZE - 2, 3);
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 2, WT_OUT), E_FAULT);
    wt_iov(t, 1, WT_MEM_SIZE - 10, 0xFFFFFFFF);
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 2, WT_OUT), E_FAULT);
    wt_iov(t, 1, 0xFFFFFFF0, 0x20);
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 2, WT_OUT), E_FAULT);
    /* A bad iovec after 100 good ones: still nothing written. */
    for (uint32_t i = 0; i < 100; i++)
        wt_iov(t, i, WT_BUF, 4);
    wt_iov(t, 100, WT_MEM_SIZE, 1);
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 101, WT_OUT), E_FAULT);
    /* The result pointer out of bounds: nothing written either. */
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 1, WT_MEM_SIZE - 3), E_FAULT);
    struct stat st;
    char path[600];
    snprintf(path, sizeof path, "%s/b", t->sandbox);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
    /* Zero bytes exactly at the end of memory are fine. */
    wt_iov(t, 0, WT_MEM_SIZE, 0);
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 0);
    /* A read that fills memory up to its last byte. */
    wt_iov(t, 0, WT_MEM_SIZE - 4, 4);
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 1, WT_OUT), E_SUCCESS);
}

static void test_filestat_and_setters(void **state)
{
    wt *t = *state;
    wt_write_file(t, "sandbox/st", "12345678");
    uint32_t fd;
    assert_int_equal(wt_open(t, "st", 0, 0, &fd), E_SUCCESS);
    memset(t->mem + WT_OUT, 0xEE, 64);
    assert_int_equal(WT_CALL(t, "fd_filestat_get", fd, WT_OUT), E_SUCCESS);
    struct stat st;
    char path[600];
    snprintf(path, sizeof path, "%s/st", t->sandbox);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(wt_u64(t, WT_OUT + 0), (uint64_t)st.st_dev);
    assert_int_equal(wt_u64(t, WT_OUT + 8), (uint64_t)st.st_ino);
    assert_int_equal(t->mem[WT_OUT + 16], 4);
    for (int i = 17; i < 24; i++)
        assert_int_equal(t->mem[WT_OUT + i], 0); /* padding is zeroed */
    assert_int_equal(wt_u64(t, WT_OUT + 24), 1);
    assert_int_equal(wt_u64(t, WT_OUT + 32), 8);
    assert_int_equal(wt_u64(t, WT_OUT + 48),
                     (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec);
    assert_int_equal(WT_CALL(t, "fd_filestat_get", fd, WT_MEM_SIZE - 63), E_FAULT);

    assert_int_equal(WT_CALL(t, "fd_filestat_set_size", fd, 3), E_SUCCESS);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 3);
    assert_int_equal(WT_CALL(t, "fd_filestat_set_size", fd, UINT64_MAX), E_INVAL);

    /* atim = 1.5 s, mtim = 2000000000.25 s */
    const uint64_t atim = 1500000000u, mtim = UINT64_C(2000000000250000000);
    assert_int_equal(WT_CALL(t, "fd_filestat_set_times", fd, atim, mtim, 1 | 4), E_SUCCESS);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_atim.tv_sec, 1);
    assert_int_equal(st.st_atim.tv_nsec, 500000000);
    assert_int_equal(st.st_mtim.tv_sec, 2000000000);
    assert_int_equal(st.st_mtim.tv_nsec, 250000000);
    /* Only mtim "now": atim stays. */
    assert_int_equal(WT_CALL(t, "fd_filestat_set_times", fd, 0, 0, 8), E_SUCCESS);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_atim.tv_sec, 1);
    assert_true(st.st_mtim.tv_sec > 1600000000 && st.st_mtim.tv_sec < 2000000000);
    assert_int_equal(WT_CALL(t, "fd_filestat_set_times", fd, 0, 0, 1 | 2), E_INVAL);
    assert_int_equal(WT_CALL(t, "fd_filestat_set_times", fd, 0, 0, 4 | 8), E_INVAL);
    assert_int_equal(WT_CALL(t, "fd_filestat_set_times", fd, 0, 0, 16), E_INVAL);

    /* The directory: its own filestat (type 3). */
    assert_int_equal(WT_CALL(t, "fd_filestat_get", WT_SANDBOX_FD, WT_OUT), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT + 16], 3);
    assert_int_equal(WT_CALL(t, "fd_filestat_set_size", WT_SANDBOX_FD, 0), E_NOTCAPABLE);
}

static void test_fdstat_flags_and_rights(void **state)
{
    wt *t = *state;
    uint32_t len = wt_str(t, WT_PATH, "ap");
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", WT_SANDBOX_FD, WT_OUT2), E_SUCCESS);
    uint64_t inh = wt_u64(t, WT_OUT2 + 16);
    /* fdflags: append | dsync */
    assert_int_equal(
        WT_CALL(t, "path_open", WT_SANDBOX_FD, 0, WT_PATH, len, O_CREAT_W, inh, 0, 1 | 2, WT_OUT),
        E_SUCCESS);
    uint32_t fd = wt_u32(t, WT_OUT);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", fd, WT_OUT), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT], 4);
    assert_int_equal(t->mem[WT_OUT + 2], 1 | 2);
    assert_int_equal(wt_u64(t, WT_OUT + 8) & RIGHT_FD_READDIR, 0); /* not for files */
    assert_int_equal(wt_u64(t, WT_OUT + 8) & RIGHT_FD_WRITE, RIGHT_FD_WRITE);

    /* APPEND off, NONBLOCK on; the sync flags may only be repeated. */
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_flags", fd, 2 | 4), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", fd, WT_OUT), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT + 2], 2 | 4);
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_flags", fd, 4), E_INVAL);
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_flags", fd, 2 | 16), E_INVAL);
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_flags", fd, 0x20 | 2), E_INVAL);

    /* Rights only shrink. */
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_rights", fd, RIGHT_FD_WRITE, 0), E_SUCCESS);
    wt_iov(t, 0, WT_BUF, 4);
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 1, WT_OUT), E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_flags", fd, 2), E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_rights", fd, RIGHT_FD_WRITE | RIGHT_FD_READ, 0),
                     E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_rights", fd, RIGHT_FD_WRITE, RIGHT_FD_READ),
                     E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_rights", fd, R(40), 0), E_INVAL);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", fd, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT + 8), RIGHT_FD_WRITE);
    assert_int_equal(wt_u64(t, WT_OUT + 16), 0);

    /* A directory that may no longer open anything. */
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_rights", WT_SANDBOX_FD, RIGHT_FD_READDIR, 0),
                     E_SUCCESS);
    uint32_t other;
    assert_int_equal(wt_open(t, "ap", 0, 0, &other), E_NOTCAPABLE);
    assert_int_equal(other, UINT32_MAX); /* nothing stored */
}

static void test_renumber_and_close(void **state)
{
    wt *t = *state;
    uint32_t a = open_file(t, "a"), b = open_file(t, "b");
    assert_int_equal(a, 4);
    assert_int_equal(b, 5);
    assert_int_equal(WT_CALL(t, "fd_renumber", a, b), E_SUCCESS);
    /* b now writes to "a"; a is gone. */
    wt_iov(t, 0, WT_BUF, wt_str(t, WT_BUF, "via b"));
    assert_int_equal(WT_CALL(t, "fd_write", b, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    char buf[32];
    assert_true(wt_read_file(t, "sandbox/a", buf, sizeof buf));
    assert_string_equal(buf, "via b");
    assert_true(wt_read_file(t, "sandbox/b", buf, sizeof buf));
    assert_string_equal(buf, "");
    assert_int_equal(WT_CALL(t, "fd_write", a, WT_IOVS, 1, WT_OUT), E_BADF);
    /* Both ends must be open. */
    assert_int_equal(WT_CALL(t, "fd_renumber", a, b), E_BADF);
    assert_int_equal(WT_CALL(t, "fd_renumber", b, a), E_BADF);
    assert_int_equal(WT_CALL(t, "fd_renumber", b, 1000), E_BADF);
    assert_int_equal(WT_CALL(t, "fd_renumber", b, b), E_SUCCESS);
    /* The lowest free slot is reused. */
    assert_int_equal(open_file(t, "c"), a);
    assert_int_equal(WT_CALL(t, "fd_close", a), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_close", a), E_BADF);
    /* A preopen can be renumbered (and keeps being a preopen) and closed. */
    assert_int_equal(WT_CALL(t, "fd_renumber", WT_SANDBOX_FD, b), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_prestat_get", b, WT_OUT), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_prestat_get", WT_SANDBOX_FD, WT_OUT), E_BADF);
    assert_int_equal(WT_CALL(t, "fd_close", b), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_prestat_get", b, WT_OUT), E_BADF);
}

static void test_table_limit(void **state)
{
    wt *t = *state;
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    cfg.max_fds = 6; /* 0-2, the preopen, two more */
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);
    uint32_t fd;
    assert_int_equal(wt_open(t, "x", O_CREAT_W, 0, &fd), E_SUCCESS);
    assert_int_equal(fd, 4); /* 0-2 are never handed out, even when the config left them empty */
    assert_int_equal(wt_open(t, "x", 0, 0, &fd), E_SUCCESS);
    assert_int_equal(fd, 5);
    assert_int_equal(wt_open(t, "x", 0, 0, &fd), E_MFILE);
    assert_int_equal(WT_CALL(t, "fd_close", 4), E_SUCCESS);
    assert_int_equal(wt_open(t, "x", 0, 0, &fd), E_SUCCESS);
    assert_int_equal(fd, 4);
}

static void test_advise_allocate_sync(void **state)
{
    wt *t = *state;
    uint32_t fd = open_file(t, "al");
    for (uint32_t advice = 0; advice <= 5; advice++)
        assert_int_equal(WT_CALL(t, "fd_advise", fd, 0, 100, advice), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_advise", fd, 0, 100, 6), E_INVAL);
    assert_int_equal(WT_CALL(t, "fd_advise", fd, UINT64_MAX, 100, 0), E_INVAL);
    assert_int_equal(WT_CALL(t, "fd_allocate", fd, 10, 1000), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_filestat_get", fd, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT + 32), 1010);
    assert_int_equal(WT_CALL(t, "fd_allocate", fd, INT64_MAX, 10), E_FBIG);
    assert_int_equal(WT_CALL(t, "fd_sync", fd), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_datasync", fd), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_sync", 77), E_BADF);
    assert_int_equal(WT_CALL(t, "fd_allocate", WT_SANDBOX_FD, 0, 1), E_NOTCAPABLE);
}

/* ---- fd_readdir ---- */

typedef struct entry {
    uint64_t next, ino;
    uint32_t namlen;
    uint8_t type;
    char name[64];
} entry;

/* Parses the whole records in [buf, buf + used). Returns their count. */
static int parse_dirents(wt *t, uint32_t buf, uint32_t used, entry *out, int max)
{
    int n = 0;
    uint32_t pos = 0;
    while (pos + 24 <= used && n < max) {
        entry *e = &out[n];
        e->next = wt_u64(t, buf + pos);
        e->ino = wt_u64(t, buf + pos + 8);
        e->namlen = wt_u32(t, buf + pos + 16);
        e->type = t->mem[buf + pos + 20];
        if (pos + 24 + e->namlen > used)
            break; /* the cut-off last record */
        assert_true(e->namlen < sizeof e->name);
        memcpy(e->name, t->mem + buf + pos + 24, e->namlen);
        e->name[e->namlen] = '\0';
        pos += 24 + e->namlen;
        n++;
    }
    return n;
}

static void make_dir_with_files(wt *t)
{
    wt_mkdir(t, "sandbox/d");
    wt_write_file(t, "sandbox/d/a", "");
    wt_write_file(t, "sandbox/d/bb", "");
    wt_mkdir(t, "sandbox/d/ccc");
    wt_symlink(t, "a", "sandbox/d/link");
}

/* Checks the 6 entries: ".", "..", then a, bb, ccc, link in some order, cookies 1..6. */
static void check_entries(const entry *e, int n)
{
    assert_int_equal(n, 6);
    assert_string_equal(e[0].name, ".");
    assert_string_equal(e[1].name, "..");
    assert_int_equal(e[0].type, 3);
    assert_int_equal(e[1].type, 3);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(e[i].next, (uint64_t)i + 1);
        assert_int_equal(e[i].namlen, strlen(e[i].name));
        if (strcmp(e[i].name, "a") == 0) {
            assert_int_equal(e[i].type, 4);
            seen |= 1;
        } else if (strcmp(e[i].name, "bb") == 0) {
            assert_int_equal(e[i].type, 4);
            seen |= 2;
        } else if (strcmp(e[i].name, "ccc") == 0) {
            assert_int_equal(e[i].type, 3);
            seen |= 4;
        } else if (strcmp(e[i].name, "link") == 0) {
            assert_int_equal(e[i].type, 7);
            seen |= 8;
        }
    }
    assert_int_equal(seen, 15);
}

static void test_readdir_whole(void **state)
{
    wt *t = *state;
    make_dir_with_files(t);
    uint32_t fd;
    assert_int_equal(wt_open(t, "d", O_DIRECTORY_W, 0, &fd), E_SUCCESS);
    memset(t->mem + WT_BUF, 0xCC, 4096);
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 4096, 0, WT_OUT), E_SUCCESS);
    uint32_t used = wt_u32(t, WT_OUT);
    assert_int_equal(used, 6 * 24 + 1 + 2 + 1 + 2 + 3 + 4);
    assert_int_equal(t->mem[WT_BUF + used], 0xCC);
    entry e[8];
    int n = parse_dirents(t, WT_BUF, used, e, 8);
    check_entries(e, n);
    /* Cookie = a d_next: the rest from there, the same records. */
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 4096, 4, WT_OUT), E_SUCCESS);
    entry tail[8];
    assert_int_equal(parse_dirents(t, WT_BUF, wt_u32(t, WT_OUT), tail, 8), 2);
    assert_string_equal(tail[0].name, e[4].name);
    assert_string_equal(tail[1].name, e[5].name);
    assert_int_equal(tail[1].next, 6);
    /* Past the end: nothing. */
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 4096, 6, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 0);
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 4096, 1000, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 0);
    /* Back to the start after reading the end (a rewind). */
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 4096, 0, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), used);
    /* "." has the directory's own inode. */
    assert_int_equal(WT_CALL(t, "fd_filestat_get", fd, WT_OUT2), E_SUCCESS);
    assert_int_equal(e[0].ino, wt_u64(t, WT_OUT2 + 8));
}

/* Buffers smaller than a record: the last one is cut, the result equals buf_len, and reading
 * on from the last whole record's d_next sees every entry exactly once. */
/* Listing again from cookie 0 sees entries created since the stream reached its end (the
 * wasi-testsuite's rust/fd_readdir found a stale listing here). */
static void test_readdir_sees_new_entries(void **state)
{
    wt *t = *state;
    wt_mkdir(t, "sandbox/e");
    uint32_t fd;
    assert_int_equal(wt_open(t, "e", O_DIRECTORY_W, 0, &fd), E_SUCCESS);
    entry e[8];
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 4096, 0, WT_OUT), E_SUCCESS);
    assert_int_equal(parse_dirents(t, WT_BUF, wt_u32(t, WT_OUT), e, 8), 2);
    wt_write_file(t, "sandbox/e/new", "");
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 4096, 0, WT_OUT), E_SUCCESS);
    assert_int_equal(parse_dirents(t, WT_BUF, wt_u32(t, WT_OUT), e, 8), 3);
    assert_string_equal(e[2].name, "new");
    assert_int_equal(e[2].next, 3);
    assert_int_equal(WT_CALL(t, "fd_close", fd), E_SUCCESS);
}

/* Re-opening a directory with the rights fd_fdstat_get reports for it, without
 * O_DIRECTORY, works: fd_datasync is among them and must not ask for a writable descriptor
 * (the wasi-testsuite's rust/path_open_preopen). */
static void test_reopen_dir_with_own_rights(void **state)
{
    wt *t = *state;
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", WT_SANDBOX_FD, WT_OUT2), E_SUCCESS);
    uint64_t base = wt_u64(t, WT_OUT2 + 8), inheriting = wt_u64(t, WT_OUT2 + 16);
    assert_true(base & R(0)); /* fd_datasync */
    uint32_t len = wt_str(t, WT_PATH, ".");
    assert_int_equal(
        WT_CALL(t, "path_open", WT_SANDBOX_FD, 0, WT_PATH, len, 0, base, inheriting, 0, WT_OUT),
        E_SUCCESS);
    uint32_t fd = wt_u32(t, WT_OUT);
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 4096, 0, WT_OUT), E_SUCCESS);
    assert_true(wt_u32(t, WT_OUT) >= 2 * 24 + 1 + 2);
    assert_int_equal(WT_CALL(t, "fd_close", fd), E_SUCCESS);
}

static void test_readdir_small_buffers(void **state)
{
    wt *t = *state;
    make_dir_with_files(t);
    uint32_t fd;
    assert_int_equal(wt_open(t, "d", O_DIRECTORY_W, 0, &fd), E_SUCCESS);

    /* 30 bytes: "." whole (25), then 5 bytes of "..": d_next's low bytes. */
    memset(t->mem + WT_BUF, 0xCC, 64);
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 30, 0, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 30);
    assert_int_equal(wt_u64(t, WT_BUF), 1);
    assert_int_equal(t->mem[WT_BUF + 24], '.');
    assert_int_equal(t->mem[WT_BUF + 25], 2); /* the partial record's d_next */
    assert_int_equal(t->mem[WT_BUF + 30], 0xCC);

    for (uint32_t size = 24; size <= 40; size += 3) {
        entry all[8];
        int n = 0;
        uint64_t cookie = 0;
        for (int rounds = 0; rounds < 100; rounds++) {
            assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, size, cookie, WT_OUT), E_SUCCESS);
            uint32_t used = wt_u32(t, WT_OUT);
            entry got[8];
            int k = parse_dirents(t, WT_BUF, used, got, 8);
            for (int i = 0; i < k; i++)
                all[n++] = got[i];
            if (k > 0)
                cookie = got[k - 1].next;
            if (used < size)
                break; /* the end */
            if (k == 0) {
                /* Not even one record fits: a bigger buffer is needed for this one. */
                assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 64, cookie, WT_OUT),
                                 E_SUCCESS);
                k = parse_dirents(t, WT_BUF, wt_u32(t, WT_OUT), got, 1);
                assert_int_equal(k, 1);
                all[n++] = got[0];
                cookie = got[0].next;
            }
        }
        check_entries(all, n);
    }
    /* A zero-sized buffer. */
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 0, 0, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 0);
}

/* A directory larger than the stream's 32 KiB of getdents64 records: 1,500 entries of 48-byte
 * names (~100 KiB of records), read through a 1,000-byte buffer from each d_next, then
 * cookies out of order (after the end, backwards, forwards): each cookie names the same entry
 * every time, on every host (cookies are counts, never directory offsets). */
#define MANY 1500

static void test_readdir_many_entries(void **state)
{
    wt *t = *state;
    wt_mkdir(t, "sandbox/m");
    for (int i = 0; i < MANY; i++) {
        char path[96];
        snprintf(path, sizeof path, "sandbox/m/entry-%04d-%039d", i, i);
        wt_write_file(t, path, "");
    }
    uint32_t fd;
    assert_int_equal(wt_open(t, "m", O_DIRECTORY_W, 0, &fd), E_SUCCESS);
    static char names[MANY + 2][64];
    static bool seen[MANY];
    memset(seen, 0, sizeof seen);
    uint64_t cookie = 0;
    int n = 0, calls = 0;
    for (;;) {
        assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 1000, cookie, WT_OUT), E_SUCCESS);
        uint32_t used = wt_u32(t, WT_OUT);
        entry got[16];
        int k = parse_dirents(t, WT_BUF, used, got, 16);
        calls++;
        for (int i = 0; i < k; i++) {
            assert_int_equal(got[i].next, cookie + (uint64_t)i + 1);
            snprintf(names[n], sizeof names[n], "%s", got[i].name);
            if (n >= 2) {
                int id = atoi(got[i].name + 6);
                assert_true(id >= 0 && id < MANY);
                assert_false(seen[id]);
                seen[id] = true;
            }
            n++;
        }
        if (used < 1000)
            break;
        assert_true(k > 0);
        cookie = got[k - 1].next;
    }
    assert_int_equal(n, MANY + 2);
    assert_true(calls > 60);
    /* Out of order: each cookie gives the entry it gave in the listing. */
    static const uint64_t order[] = {1400, 3, 1501, 700, 701, 2, 1000, 1499};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 200, order[i], WT_OUT), E_SUCCESS);
        entry got[4];
        assert_true(parse_dirents(t, WT_BUF, wt_u32(t, WT_OUT), got, 4) >= 1);
        assert_string_equal(got[0].name, names[order[i]]);
        assert_int_equal(got[0].next, order[i] + 1);
    }
    /* The last entry, and the end. */
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 4096, MANY + 1, WT_OUT), E_SUCCESS);
    entry last[2];
    assert_int_equal(parse_dirents(t, WT_BUF, wt_u32(t, WT_OUT), last, 2), 1);
    assert_string_equal(last[0].name, names[MANY + 1]);
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 4096, MANY + 2, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 0);
    assert_int_equal(WT_CALL(t, "fd_close", fd), E_SUCCESS);
}

static void test_readdir_errors(void **state)
{
    wt *t = *state;
    uint32_t file = open_file(t, "f");
    assert_int_equal(WT_CALL(t, "fd_readdir", file, WT_BUF, 100, 0, WT_OUT), E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_readdir", 99, WT_BUF, 100, 0, WT_OUT), E_BADF);
    assert_int_equal(WT_CALL(t, "fd_readdir", WT_SANDBOX_FD, WT_MEM_SIZE - 50, 100, 0, WT_OUT),
                     E_FAULT);
    assert_int_equal(WT_CALL(t, "fd_readdir", WT_SANDBOX_FD, WT_BUF, 100, 0, WT_MEM_SIZE), E_FAULT);
    /* The sandbox itself: ".", "..", "f". */
    assert_int_equal(WT_CALL(t, "fd_readdir", WT_SANDBOX_FD, WT_BUF, 1000, 0, WT_OUT), E_SUCCESS);
    entry e[4];
    assert_int_equal(parse_dirents(t, WT_BUF, wt_u32(t, WT_OUT), e, 4), 3);
    assert_string_equal(e[2].name, "f");
    /* ".." of the preopen does not reveal the parent's inode. */
    assert_int_equal(e[1].ino, e[0].ino);
}

#define T(f) cmocka_unit_test_setup_teardown(f, wt_setup, wt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_write_read_iovecs),
        T(test_seek_tell),
        T(test_pread_pwrite),
        T(test_offsets_past_4gib),
        T(test_many_iovecs),
        T(test_iovec_bounds),
        T(test_filestat_and_setters),
        T(test_fdstat_flags_and_rights),
        T(test_renumber_and_close),
        T(test_table_limit),
        T(test_advise_allocate_sync),
        T(test_readdir_whole),
        T(test_readdir_sees_new_entries),
        T(test_reopen_dir_with_own_rights),
        T(test_readdir_small_buffers),
        T(test_readdir_many_entries),
        T(test_readdir_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
