/* test_wasi_path.c -- the path_* functions inside the sandbox: path_open's oflags, fdflags,
 * lookupflags and rights; create/remove directories; rename, unlink, hard and symbolic links,
 * readlink (whole and cut short); path_filestat_get/set_times with and without following;
 * trailing slashes; read-only preopens; and malformed paths (NUL, bad UTF-8, empty, too long,
 * out of bounds). Every test runs with openat2 and again with the component walk forced.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_test.h"

static uint32_t call_path(wt *t, const char *func, const char *path)
{
    uint32_t len = wt_str(t, WT_PATH, path);
    return WT_CALL(t, func, WT_SANDBOX_FD, WT_PATH, len);
}

static uint32_t call_two_paths(wt *t, const char *func, const char *a, const char *b)
{
    uint32_t la = wt_str(t, WT_PATH, a), lb = wt_str(t, WT_PATH2, b);
    return WT_CALL(t, func, WT_SANDBOX_FD, WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb);
}

static uint32_t symlink_at(wt *t, const char *target, const char *path)
{
    uint32_t la = wt_str(t, WT_PATH, target), lb = wt_str(t, WT_PATH2, path);
    return WT_CALL(t, "path_symlink", WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb);
}

static uint32_t filestat(wt *t, uint32_t flags, const char *path)
{
    uint32_t len = wt_str(t, WT_PATH, path);
    return WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, flags, WT_PATH, len, WT_OUT);
}

static void test_open_oflags(void **state)
{
    wt *t = *state;
    uint32_t fd;
    assert_int_equal(wt_open(t, "new", 0, 0, &fd), E_NOENT);
    assert_int_equal(fd, UINT32_MAX);
    assert_int_equal(wt_open(t, "new", O_CREAT_W, 0, &fd), E_SUCCESS);
    assert_true(wt_exists(t, "sandbox/new"));
    assert_int_equal(wt_open(t, "new", O_CREAT_W | O_EXCL_W, 0, &fd), E_EXIST);
    wt_write_file(t, "sandbox/new", "content");
    assert_int_equal(wt_open(t, "new", O_TRUNC_W, 0, &fd), E_SUCCESS);
    char buf[16];
    assert_true(wt_read_file(t, "sandbox/new", buf, sizeof buf));
    assert_string_equal(buf, "");
    assert_int_equal(wt_open(t, "new", O_DIRECTORY_W, 0, &fd), E_NOTDIR);
    assert_int_equal(wt_open(t, "nodir/new", O_CREAT_W, 0, &fd), E_NOENT);
    assert_int_equal(wt_open(t, "new/x", O_CREAT_W, 0, &fd), E_NOTDIR);
    assert_int_equal(wt_open(t, "new", 0x10, 0, &fd), E_INVAL);
    assert_int_equal(wt_open(t, "new", 0, 2, &fd), E_INVAL); /* lookupflags bit 1 */

    /* A directory: type 3, directory rights, readable with fd_readdir. */
    wt_mkdir(t, "sandbox/dir");
    assert_int_equal(wt_open(t, "dir", O_DIRECTORY_W, 0, &fd), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", fd, WT_OUT), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT], 3);
    assert_int_equal(wt_u64(t, WT_OUT + 8) & RIGHT_FD_WRITE, 0);
    assert_int_equal(wt_u64(t, WT_OUT + 8) & RIGHT_PATH_OPEN, RIGHT_PATH_OPEN);
    assert_int_equal(WT_CALL(t, "fd_readdir", fd, WT_BUF, 100, 0, WT_OUT), E_SUCCESS);
    /* Opened through it. */
    uint32_t len = wt_str(t, WT_PATH, "inner");
    assert_int_equal(
        WT_CALL(t, "path_open", fd, 0, WT_PATH, len, O_CREAT_W, RIGHT_FD_WRITE, 0, 0, WT_OUT),
        E_SUCCESS);
    assert_true(wt_exists(t, "sandbox/dir/inner"));
    /* "." and "dir/.." name directories too. */
    assert_int_equal(wt_open(t, ".", O_DIRECTORY_W, 0, &fd), E_SUCCESS);
    assert_int_equal(wt_open(t, "dir/..", O_DIRECTORY_W, 0, &fd), E_SUCCESS);
    assert_int_equal(wt_open(t, "dir/./inner", 0, 0, &fd), E_SUCCESS);
    assert_int_equal(wt_open(t, "dir//inner", 0, 0, &fd), E_SUCCESS);
}

static void test_open_fdflags_and_rights(void **state)
{
    wt *t = *state;
    wt_write_file(t, "sandbox/f", "12345");
    uint32_t len = wt_str(t, WT_PATH, "f");
    /* Read-only rights: writing is ENOTCAPABLE, and the host descriptor is O_RDONLY. */
    assert_int_equal(WT_CALL(t, "path_open", WT_SANDBOX_FD, 0, WT_PATH, len, 0,
                             RIGHT_FD_READ | RIGHT_FD_SEEK, 0, 0, WT_OUT),
                     E_SUCCESS);
    uint32_t ro = wt_u32(t, WT_OUT);
    wt_iov(t, 0, WT_BUF, 5);
    assert_int_equal(WT_CALL(t, "fd_write", ro, WT_IOVS, 1, WT_OUT), E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_read", ro, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 5);
    /* Rights beyond the directory's inheriting set (sock_accept, sock_shutdown) are
     * narrowed away, not refused: the descriptor gets neither. */
    assert_int_equal(
        WT_CALL(t, "path_open", WT_SANDBOX_FD, 0, WT_PATH, len, 0, R(29), R(28), 0, WT_OUT),
        E_SUCCESS);
    uint32_t narrowed = wt_u32(t, WT_OUT);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", narrowed, WT_OUT2), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT2 + 8), 0);
    assert_int_equal(wt_u64(t, WT_OUT2 + 16), 0);
    assert_int_equal(WT_CALL(t, "fd_close", narrowed), E_SUCCESS);
    assert_int_equal(
        WT_CALL(t, "path_open", WT_SANDBOX_FD, 0, WT_PATH, len, 0, R(31), 0, 0, WT_OUT), E_INVAL);
    /* Append: writes land at the end whatever the position. */
    assert_int_equal(WT_CALL(t, "path_open", WT_SANDBOX_FD, 0, WT_PATH, len, 0,
                             RIGHT_FD_WRITE | RIGHT_FD_SEEK, 0, 1, WT_OUT),
                     E_SUCCESS);
    uint32_t ap = wt_u32(t, WT_OUT);
    wt_iov(t, 0, WT_BUF, wt_str(t, WT_BUF, "67"));
    assert_int_equal(WT_CALL(t, "fd_write", ap, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    char buf[16];
    assert_true(wt_read_file(t, "sandbox/f", buf, sizeof buf));
    assert_string_equal(buf, "1234567");
    /* nonblock, sync, rsync, dsync are accepted and reported. */
    assert_int_equal(WT_CALL(t, "path_open", WT_SANDBOX_FD, 0, WT_PATH, len, 0,
                             RIGHT_FD_WRITE | R(0) | R(4), 0, 2 | 4 | 8 | 16, WT_OUT),
                     E_SUCCESS);
    uint32_t s = wt_u32(t, WT_OUT);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", s, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT) >> 16, 2 | 4 | 8 | 16);
    assert_int_equal(WT_CALL(t, "path_open", WT_SANDBOX_FD, 0, WT_PATH, len, 0, 0, 0, 0x20, WT_OUT),
                     E_INVAL);
    /* The result pointer out of bounds: EFAULT, and nothing was created. */
    len = wt_str(t, WT_PATH, "ghost");
    assert_int_equal(WT_CALL(t, "path_open", WT_SANDBOX_FD, 0, WT_PATH, len, O_CREAT_W, 0, 0, 0,
                             WT_MEM_SIZE - 2),
                     E_FAULT);
    assert_false(wt_exists(t, "sandbox/ghost"));
    /* Not a directory / no such descriptor. */
    assert_int_equal(WT_CALL(t, "path_open", ro, 0, WT_PATH, len, 0, 0, 0, 0, WT_OUT), E_NOTDIR);
    assert_int_equal(WT_CALL(t, "path_open", 77, 0, WT_PATH, len, 0, 0, 0, 0, WT_OUT), E_BADF);
}

static void test_open_symlinks(void **state)
{
    wt *t = *state;
    wt_write_file(t, "sandbox/target", "T");
    wt_mkdir(t, "sandbox/sub");
    assert_int_equal(symlink_at(t, "target", "link"), E_SUCCESS);
    assert_int_equal(symlink_at(t, "../target", "sub/uplink"), E_SUCCESS);
    assert_int_equal(symlink_at(t, "sub", "dirlink"), E_SUCCESS);
    assert_int_equal(symlink_at(t, "missing", "dangling"), E_SUCCESS);
    uint32_t fd;
    /* Without symlink_follow the final link is not followed: ELOOP (ENOTDIR with
     * oflags.directory), as Linux's O_NOFOLLOW. */
    assert_int_equal(wt_open(t, "link", 0, 0, &fd), E_LOOP);
    assert_int_equal(wt_open(t, "dirlink", O_DIRECTORY_W, 0, &fd), E_NOTDIR);
    assert_int_equal(wt_open(t, "link", 0, FOLLOW, &fd), E_SUCCESS);
    wt_iov(t, 0, WT_BUF, 8);
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 1);
    assert_int_equal(t->mem[WT_BUF], 'T');
    assert_int_equal(wt_open(t, "sub/uplink", 0, FOLLOW, &fd), E_SUCCESS);
    /* Links in the middle are always followed. */
    assert_int_equal(wt_open(t, "dirlink/uplink", 0, FOLLOW, &fd), E_SUCCESS);
    /* "dirlink/" names the directory (a trailing slash follows). */
    assert_int_equal(wt_open(t, "dirlink/", 0, 0, &fd), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", fd, WT_OUT), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT], 3);
    /* creat through a dangling link creates its target; creat|excl never follows. */
    assert_int_equal(wt_open(t, "dangling", O_CREAT_W | O_EXCL_W, FOLLOW, &fd), E_EXIST);
    assert_false(wt_exists(t, "sandbox/missing"));
    assert_int_equal(wt_open(t, "dangling", O_CREAT_W, FOLLOW, &fd), E_SUCCESS);
    assert_true(wt_exists(t, "sandbox/missing"));
}

static void test_directories(void **state)
{
    wt *t = *state;
    assert_int_equal(call_path(t, "path_create_directory", "d"), E_SUCCESS);
    assert_true(wt_exists(t, "sandbox/d"));
    assert_int_equal(call_path(t, "path_create_directory", "d"), E_EXIST);
    assert_int_equal(call_path(t, "path_create_directory", "."), E_EXIST);
    assert_int_equal(call_path(t, "path_create_directory", "d/e/"), E_SUCCESS);
    assert_int_equal(call_path(t, "path_create_directory", "x/y"), E_NOENT);
    wt_write_file(t, "sandbox/d/file", "");
    assert_int_equal(call_path(t, "path_remove_directory", "d"), E_NOTEMPTY);
    assert_int_equal(call_path(t, "path_remove_directory", "d/file"), E_NOTDIR);
    assert_int_equal(call_path(t, "path_unlink_file", "d/e"), E_ISDIR);
    assert_int_equal(call_path(t, "path_remove_directory", "d/e/"), E_SUCCESS);
    assert_int_equal(call_path(t, "path_unlink_file", "d/file"), E_SUCCESS);
    assert_int_equal(call_path(t, "path_remove_directory", "d"), E_SUCCESS);
    assert_false(wt_exists(t, "sandbox/d"));
    assert_int_equal(call_path(t, "path_remove_directory", "d"), E_NOENT);
    assert_int_equal(call_path(t, "path_remove_directory", "."), E_INVAL);
    /* The rights. */
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_rights", WT_SANDBOX_FD, RIGHT_PATH_OPEN, 0),
                     E_SUCCESS);
    assert_int_equal(call_path(t, "path_create_directory", "d"), E_NOTCAPABLE);
    assert_int_equal(call_path(t, "path_remove_directory", "d"), E_NOTCAPABLE);
    assert_int_equal(call_path(t, "path_unlink_file", "d"), E_NOTCAPABLE);
}

static void test_rename_and_unlink(void **state)
{
    wt *t = *state;
    wt_write_file(t, "sandbox/a", "A");
    wt_mkdir(t, "sandbox/sub");
    assert_int_equal(call_two_paths(t, "path_rename", "a", "b"), E_SUCCESS);
    assert_false(wt_exists(t, "sandbox/a"));
    char buf[8];
    assert_true(wt_read_file(t, "sandbox/b", buf, sizeof buf));
    assert_string_equal(buf, "A");
    assert_int_equal(call_two_paths(t, "path_rename", "b", "sub/c"), E_SUCCESS);
    assert_true(wt_exists(t, "sandbox/sub/c"));
    assert_int_equal(call_two_paths(t, "path_rename", "nothing", "x"), E_NOENT);
    assert_int_equal(call_two_paths(t, "path_rename", "sub/c/", "x"), E_NOTDIR);
    assert_int_equal(call_two_paths(t, "path_rename", "sub/c", "x/"), E_NOTDIR);
    assert_int_equal(call_two_paths(t, "path_rename", "sub", "sub2/"), E_SUCCESS);
    /* Across two directory descriptors. */
    uint32_t dfd;
    assert_int_equal(wt_open(t, "sub2", O_DIRECTORY_W, 0, &dfd), E_SUCCESS);
    uint32_t la = wt_str(t, WT_PATH, "sub2/c"), lb = wt_str(t, WT_PATH2, "moved");
    assert_int_equal(WT_CALL(t, "path_rename", WT_SANDBOX_FD, WT_PATH, la, dfd, WT_PATH2, lb),
                     E_SUCCESS);
    assert_true(wt_exists(t, "sandbox/sub2/moved"));
    assert_int_equal(WT_CALL(t, "path_rename", WT_SANDBOX_FD, WT_PATH, la, 99, WT_PATH2, lb),
                     E_BADF);
    la = wt_str(t, WT_PATH, "sub2/moved");
    assert_int_equal(WT_CALL(t, "path_unlink_file", WT_SANDBOX_FD, WT_PATH, la), E_SUCCESS);
    assert_false(wt_exists(t, "sandbox/sub2/moved"));
    assert_int_equal(call_path(t, "path_unlink_file", "sub2/moved"), E_NOENT);
    /* Unlinking a symlink removes the link, not its target. */
    wt_write_file(t, "sandbox/keep", "k");
    assert_int_equal(symlink_at(t, "keep", "l"), E_SUCCESS);
    assert_int_equal(call_path(t, "path_unlink_file", "l"), E_SUCCESS);
    assert_true(wt_exists(t, "sandbox/keep"));
    assert_int_equal(call_path(t, "path_unlink_file", "keep/"), E_NOTDIR);
}

static void test_symlink_readlink(void **state)
{
    wt *t = *state;
    assert_int_equal(symlink_at(t, "target/file", "l"), E_SUCCESS);
    char host[600], target[600];
    snprintf(host, sizeof host, "%s/l", t->sandbox);
    ssize_t n = readlink(host, target, sizeof target - 1);
    assert_int_equal(n, 11);
    uint32_t len = wt_str(t, WT_PATH, "l");
    memset(t->mem + WT_BUF, '#', 32);
    assert_int_equal(WT_CALL(t, "path_readlink", WT_SANDBOX_FD, WT_PATH, len, WT_BUF, 32, WT_OUT),
                     E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 11);
    assert_memory_equal(t->mem + WT_BUF, "target/file#", 12);
    /* A buffer that is too small gets the start of the target. */
    memset(t->mem + WT_BUF, '#', 32);
    assert_int_equal(WT_CALL(t, "path_readlink", WT_SANDBOX_FD, WT_PATH, len, WT_BUF, 3, WT_OUT),
                     E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 3);
    assert_memory_equal(t->mem + WT_BUF, "tar#", 4);
    assert_int_equal(
        WT_CALL(t, "path_readlink", WT_SANDBOX_FD, WT_PATH, len, WT_MEM_SIZE - 2, 3, WT_OUT),
        E_FAULT);
    /* Not a link. */
    wt_write_file(t, "sandbox/plain", "");
    len = wt_str(t, WT_PATH, "plain");
    assert_int_equal(WT_CALL(t, "path_readlink", WT_SANDBOX_FD, WT_PATH, len, WT_BUF, 32, WT_OUT),
                     E_INVAL);
    /* Creating over an existing name; a trailing slash on the new name. */
    assert_int_equal(symlink_at(t, "x", "plain"), E_EXIST);
    assert_int_equal(symlink_at(t, "x", "new/"), E_NOENT);
    assert_int_equal(symlink_at(t, "x", "plain/"), E_EXIST);
    /* Targets: absolute ones are refused (they could never resolve in the sandbox); empty,
     * NUL inside, bad UTF-8. */
    assert_int_equal(symlink_at(t, "/etc/passwd", "abs"), E_PERM);
    assert_false(wt_exists(t, "sandbox/abs"));
    assert_int_equal(WT_CALL(t, "path_symlink", WT_PATH, 0, WT_SANDBOX_FD, WT_PATH2, 1), E_NOENT);
    memcpy(t->mem + WT_PATH, "a\0b", 3);
    assert_int_equal(WT_CALL(t, "path_symlink", WT_PATH, 3, WT_SANDBOX_FD, WT_PATH2, 1), E_INVAL);
    memcpy(t->mem + WT_PATH, "a\xff", 2);
    assert_int_equal(WT_CALL(t, "path_symlink", WT_PATH, 2, WT_SANDBOX_FD, WT_PATH2, 1), E_ILSEQ);
    assert_int_equal(WT_CALL(t, "path_symlink", WT_MEM_SIZE - 1, 2, WT_SANDBOX_FD, WT_PATH2, 1),
                     E_FAULT);
    /* The right. */
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_rights", WT_SANDBOX_FD, RIGHT_PATH_OPEN, 0),
                     E_SUCCESS);
    assert_int_equal(symlink_at(t, "x", "y"), E_NOTCAPABLE);
}

static void test_hard_links(void **state)
{
    wt *t = *state;
    wt_write_file(t, "sandbox/orig", "o");
    uint32_t la = wt_str(t, WT_PATH, "orig"), lb = wt_str(t, WT_PATH2, "hard");
    assert_int_equal(
        WT_CALL(t, "path_link", WT_SANDBOX_FD, 0, WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb),
        E_SUCCESS);
    assert_int_equal(filestat(t, 0, "orig"), E_SUCCESS);
    assert_int_equal(wt_u64(t, WT_OUT + 24), 2);
    /* Linking a symlink: the link itself, or (symlink_follow) its target. */
    assert_int_equal(symlink_at(t, "orig", "sl"), E_SUCCESS);
    la = wt_str(t, WT_PATH, "sl");
    lb = wt_str(t, WT_PATH2, "hard_sl");
    assert_int_equal(
        WT_CALL(t, "path_link", WT_SANDBOX_FD, 0, WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb),
        E_SUCCESS);
    assert_int_equal(filestat(t, 0, "hard_sl"), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT + 16], 7);
    la = wt_str(t, WT_PATH, "sl");
    lb = wt_str(t, WT_PATH2, "hard_target");
    assert_int_equal(
        WT_CALL(t, "path_link", WT_SANDBOX_FD, FOLLOW, WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb),
        E_SUCCESS);
    assert_int_equal(filestat(t, 0, "hard_target"), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT + 16], 4);
    assert_int_equal(wt_u64(t, WT_OUT + 24), 3);
    /* Existing target, trailing slash, bad flags. */
    la = wt_str(t, WT_PATH, "sl");
    assert_int_equal(
        WT_CALL(t, "path_link", WT_SANDBOX_FD, 0, WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb),
        E_EXIST);
    lb = wt_str(t, WT_PATH2, "new/");
    assert_int_equal(
        WT_CALL(t, "path_link", WT_SANDBOX_FD, 0, WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb),
        E_NOENT);
    assert_int_equal(
        WT_CALL(t, "path_link", WT_SANDBOX_FD, 4, WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb),
        E_INVAL);
}

static void test_path_filestat(void **state)
{
    wt *t = *state;
    wt_write_file(t, "sandbox/f", "12345");
    assert_int_equal(symlink_at(t, "f", "l"), E_SUCCESS);
    assert_int_equal(filestat(t, 0, "f"), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT + 16], 4);
    assert_int_equal(wt_u64(t, WT_OUT + 32), 5);
    assert_int_equal(filestat(t, 0, "l"), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT + 16], 7);
    assert_int_equal(wt_u64(t, WT_OUT + 32), 1);
    assert_int_equal(filestat(t, FOLLOW, "l"), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT + 16], 4);
    assert_int_equal(wt_u64(t, WT_OUT + 32), 5);
    assert_int_equal(filestat(t, 0, "."), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT + 16], 3);
    assert_int_equal(filestat(t, 0, "f/"), E_NOTDIR);
    assert_int_equal(filestat(t, 0, "missing"), E_NOENT);
    assert_int_equal(filestat(t, 2, "f"), E_INVAL);
    uint32_t len = wt_str(t, WT_PATH, "f");
    assert_int_equal(
        WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_PATH, len, WT_MEM_SIZE - 8), E_FAULT);

    /* set_times on the target through the link, then on the link itself. */
    len = wt_str(t, WT_PATH, "l");
    assert_int_equal(WT_CALL(t, "path_filestat_set_times", WT_SANDBOX_FD, FOLLOW, WT_PATH, len,
                             UINT64_C(1000000000), UINT64_C(3000000000), 1 | 4),
                     E_SUCCESS);
    struct stat st;
    char host[600];
    snprintf(host, sizeof host, "%s/f", t->sandbox);
    assert_int_equal(stat(host, &st), 0);
    assert_int_equal(st.st_atim.tv_sec, 1);
    assert_int_equal(st.st_mtim.tv_sec, 3);
    assert_int_equal(WT_CALL(t, "path_filestat_set_times", WT_SANDBOX_FD, 0, WT_PATH, len, 0,
                             UINT64_C(5000000000), 4),
                     E_SUCCESS);
    snprintf(host, sizeof host, "%s/l", t->sandbox);
    assert_int_equal(lstat(host, &st), 0);
    assert_int_equal(st.st_mtim.tv_sec, 5);
    snprintf(host, sizeof host, "%s/f", t->sandbox);
    assert_int_equal(stat(host, &st), 0);
    assert_int_equal(st.st_mtim.tv_sec, 3);
    assert_int_equal(
        WT_CALL(t, "path_filestat_set_times", WT_SANDBOX_FD, 0, WT_PATH, len, 0, 0, 4 | 8),
        E_INVAL);
}

static void test_readonly_preopen(void **state)
{
    wt *t = *state;
    wt_write_file(t, "sandbox/f", "data");
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    kiln_wasi_preopen ro = {
        .host_path = t->sandbox, .guest_path = "/ro", .flags = KILN_WASI_PREOPEN_READONLY};
    cfg.preopens = &ro;
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);
    assert_int_equal(call_path(t, "path_create_directory", "d"), E_NOTCAPABLE);
    assert_int_equal(call_path(t, "path_unlink_file", "f"), E_NOTCAPABLE);
    assert_int_equal(call_two_paths(t, "path_rename", "f", "g"), E_NOTCAPABLE);
    assert_int_equal(symlink_at(t, "f", "l"), E_NOTCAPABLE);
    uint32_t fd;
    assert_int_equal(wt_open(t, "f", O_CREAT_W, 0, &fd), E_NOTCAPABLE);
    assert_int_equal(wt_open(t, "f", O_TRUNC_W, 0, &fd), E_NOTCAPABLE);
    uint32_t len = wt_str(t, WT_PATH, "f");
    assert_int_equal(
        WT_CALL(t, "path_open", WT_SANDBOX_FD, 0, WT_PATH, len, 0, RIGHT_FD_WRITE, 0, 0, WT_OUT),
        E_NOTCAPABLE);
    assert_int_equal(wt_open(t, "f", 0, 0, &fd), E_SUCCESS); /* all it can inherit: read */
    wt_iov(t, 0, WT_BUF, 16);
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 4);
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 1, WT_OUT), E_NOTCAPABLE);
    char buf[8];
    assert_true(wt_read_file(t, "sandbox/f", buf, sizeof buf));
    assert_string_equal(buf, "data");
    assert_false(wt_exists(t, "sandbox/d"));
}

/* What Rust's std::fs::File::open passes (library/std/src/sys/pal/wasi/fs.rs,
 * OpenOptions::rights_base for read(true); inheriting = base): read plus every right that is
 * neither read nor write, creating and renaming included. File::create adds the write rights
 * and oflags creat | trunc. */
#define RUST_READ                                                                                  \
    (R(1) | R(14) | R(7) | R(3) | R(21) | R(23) | R(2) | R(4) | R(5) | R(9) | R(10) | R(18) |      \
     R(11) | R(12) | R(13) | R(15) | R(25) | R(16) | R(17) | R(24) | R(26) | R(27))
#define RUST_WRITE (R(6) | R(0) | R(8) | R(22))

/* Under a read-only preopen, File::open opens with the rights narrowed to what the directory
 * hands on (as wasmtime): read, seek, tell, advise, fdstat_set_flags, sync, filestat_get,
 * poll; never write or set times. Opening for writing or creating is refused. */
static void test_rust_rights_readonly(void **state)
{
    wt *t = *state;
    wt_write_file(t, "sandbox/f", "data");
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    kiln_wasi_preopen ro = {
        .host_path = t->sandbox, .guest_path = "/ro", .flags = KILN_WASI_PREOPEN_READONLY};
    cfg.preopens = &ro;
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);
    uint32_t len = wt_str(t, WT_PATH, "f");
    assert_int_equal(WT_CALL(t, "path_open", WT_SANDBOX_FD, FOLLOW, WT_PATH, len, 0, RUST_READ,
                             RUST_READ, 0, WT_OUT),
                     E_SUCCESS);
    uint32_t fd = wt_u32(t, WT_OUT);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", fd, WT_OUT2), E_SUCCESS);
    /* base: fd_read, fd_seek, fd_fdstat_set_flags, fd_sync, fd_tell, fd_advise,
     * fd_filestat_get, poll_fd_readwrite (what a read-only regular file can do) */
    assert_int_equal(wt_u64(t, WT_OUT2 + 8),
                     R(1) | R(2) | R(3) | R(4) | R(5) | R(7) | R(21) | R(27));
    /* inheriting: what was asked and the directory hands on (no create, rename, ...) */
    assert_int_equal(wt_u64(t, WT_OUT2 + 16), R(1) | R(14) | R(7) | R(3) | R(21) | R(2) | R(4) |
                                                  R(5) | R(18) | R(13) | R(15) | R(27));
    wt_iov(t, 0, WT_BUF, 16);
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 4);
    assert_memory_equal(t->mem + WT_BUF, "data", 4);
    assert_int_equal(WT_CALL(t, "fd_write", fd, WT_IOVS, 1, WT_OUT), E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_pwrite", fd, WT_IOVS, 1, 0, WT_OUT), E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_filestat_set_times", fd, 0, 0, 2), E_NOTCAPABLE);
    assert_int_equal(WT_CALL(t, "fd_filestat_set_size", fd, 0), E_NOTCAPABLE);
    /* OpenOptions::new().write(true) and File::create. */
    assert_int_equal(WT_CALL(t, "path_open", WT_SANDBOX_FD, FOLLOW, WT_PATH, len, 0,
                             RUST_READ | RUST_WRITE, RUST_READ | RUST_WRITE, 0, WT_OUT),
                     E_NOTCAPABLE);
    len = wt_str(t, WT_PATH, "new");
    assert_int_equal(WT_CALL(t, "path_open", WT_SANDBOX_FD, FOLLOW, WT_PATH, len,
                             O_CREAT_W | O_TRUNC_W, RUST_READ | RUST_WRITE, RUST_READ | RUST_WRITE,
                             0, WT_OUT),
                     E_NOTCAPABLE);
    /* A dsync open needs fd_datasync, which a read-only directory does not hand on. */
    len = wt_str(t, WT_PATH, "f");
    assert_int_equal(WT_CALL(t, "path_open", WT_SANDBOX_FD, FOLLOW, WT_PATH, len, 0, RUST_READ,
                             RUST_READ, 2, WT_OUT),
                     E_NOTCAPABLE);
    char buf[8];
    assert_true(wt_read_file(t, "sandbox/f", buf, sizeof buf));
    assert_string_equal(buf, "data");
    assert_false(wt_exists(t, "sandbox/new"));
}

static void test_malformed_paths(void **state)
{
    wt *t = *state;
    wt_write_file(t, "sandbox/f", "");
    /* Empty. */
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_PATH, 0, WT_OUT),
                     E_NOENT);
    /* A NUL inside: the guest string is exactly ptr/len, never NUL-terminated. */
    memcpy(t->mem + WT_PATH, "f\0x", 3);
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_PATH, 3, WT_OUT),
                     E_INVAL);
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_PATH, 1, WT_OUT),
                     E_SUCCESS); /* "f" without a NUL after it in memory */
    /* Not UTF-8: a lone continuation byte, an overlong '/', a surrogate. */
    memcpy(t->mem + WT_PATH, "\x80", 1);
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_PATH, 1, WT_OUT),
                     E_ILSEQ);
    memcpy(t->mem + WT_PATH, "\xc0\xaf", 2);
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_PATH, 2, WT_OUT),
                     E_ILSEQ);
    memcpy(t->mem + WT_PATH, "\xed\xa0\x80", 3);
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_PATH, 3, WT_OUT),
                     E_ILSEQ);
    /* Valid UTF-8 names work. */
    assert_int_equal(call_path(t, "path_create_directory", "d\xc3\xa9j\xc3\xa0"), E_SUCCESS);
    assert_true(wt_exists(t, "sandbox/d\xc3\xa9j\xc3\xa0"));
    /* Too long: a path over 4096 bytes, a component over 255. */
    memset(t->mem + WT_BUF, 'a', 5000);
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_BUF, 5000, WT_OUT),
                     E_NAMETOOLONG);
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_BUF, 256, WT_OUT),
                     E_NAMETOOLONG);
    /* Out of bounds, and wrapping around. */
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_MEM_SIZE - 1, 2, WT_OUT),
                     E_FAULT);
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, 0xFFFFFFFF, 2, WT_OUT),
                     E_FAULT);
    assert_int_equal(WT_CALL(t, "path_unlink_file", WT_SANDBOX_FD, WT_PATH, 0xFFFFFFFF), E_FAULT);
    /* A file descriptor is not a directory. */
    uint32_t fd;
    assert_int_equal(wt_open(t, "f", 0, 0, &fd), E_SUCCESS);
    uint32_t len = wt_str(t, WT_PATH, "x");
    assert_int_equal(WT_CALL(t, "path_create_directory", fd, WT_PATH, len), E_NOTDIR);
    assert_int_equal(WT_CALL(t, "path_create_directory", 50, WT_PATH, len), E_BADF);
}

#define T(f)                                                                                       \
    cmocka_unit_test_setup_teardown(f, wt_setup, wt_teardown),                                     \
        cmocka_unit_test_setup_teardown(f, wt_setup_walk, wt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_open_oflags),     T(test_open_fdflags_and_rights), T(test_open_symlinks),
        T(test_directories),     T(test_rename_and_unlink),       T(test_symlink_readlink),
        T(test_hard_links),      T(test_path_filestat),           T(test_readonly_preopen),
        T(test_malformed_paths), T(test_rust_rights_readonly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
