/* test_wasi_sandbox.c -- escape attempts, with openat2 and again with the component walk.
 *
 * The tree: <tmp>/secret outside, and in <tmp>/sandbox (the preopen) a file, directories a/b,
 * and symlinks of every troublesome kind: to "..", to "/", to "/etc", to /proc/self/root, to
 * an absolute path that lies inside the sandbox, chains that end outside, chains that stay
 * inside, loops, and a 40-link and a 41-link chain. Rule (docs/wasi.md): anything that would
 * leave the preopen is EPERM (as wasmtime), loops and chains over 40 links are ELOOP, and the
 * secret is never read, written, linked, renamed or replaced. A /proc preopen checks magic
 * links. The last tests call the resolver directly: both strategies must land on the same
 * directory and name for every path, with the walk's ".." physical like the kernel's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "wasi_impl.h"
#include "wasi_test.h"

static void build_tree(wt *t)
{
    wt_write_file(t, "sandbox/file", "inside");
    wt_mkdir(t, "sandbox/a");
    wt_mkdir(t, "sandbox/a/b");
    wt_symlink(t, "..", "sandbox/up");
    wt_symlink(t, "../sandbox/file", "sandbox/up_in");
    wt_symlink(t, "/", "sandbox/root");
    wt_symlink(t, "/etc", "sandbox/etc");
    wt_symlink(t, "/proc/self/root", "sandbox/proc_root");
    char abs[600];
    snprintf(abs, sizeof abs, "%s/file", t->sandbox);
    wt_symlink(t, abs, "sandbox/abs_in");
    wt_symlink(t, "c2", "sandbox/c1");
    wt_symlink(t, "c3", "sandbox/c2");
    wt_symlink(t, "../secret", "sandbox/c3");
    wt_symlink(t, "g2", "sandbox/g1");
    wt_symlink(t, "a/g3", "sandbox/g2");
    wt_symlink(t, "b/../../file", "sandbox/a/g3");
    wt_symlink(t, "loop2", "sandbox/loop1");
    wt_symlink(t, "loop1", "sandbox/loop2");
    wt_symlink(t, "self", "sandbox/self");
    wt_symlink(t, "../../../secret", "sandbox/a/b/deep_up");
    wt_symlink(t, "../../file", "sandbox/a/b/ok_up");
    wt_symlink(t, "a/b", "sandbox/ab");
    wt_symlink(t, "../created_outside", "sandbox/dangling_out");
    /* lnk_0 -> lnk_1 -> ... -> lnk_40 -> file: following lnk_1 takes 40 links, lnk_0 41. */
    for (int i = 0; i <= 40; i++) {
        char name[64], target[64];
        snprintf(name, sizeof name, "sandbox/lnk_%d", i);
        if (i == 40)
            snprintf(target, sizeof target, "file");
        else
            snprintf(target, sizeof target, "lnk_%d", i + 1);
        wt_symlink(t, target, name);
    }
}

static int setup_tree(void **state)
{
    wt_setup(state);
    build_tree(*state);
    return 0;
}

static int setup_tree_walk(void **state)
{
    wt_setup_walk(state);
    build_tree(*state);
    return 0;
}

static void assert_secret_intact(wt *t)
{
    char buf[32];
    assert_true(wt_read_file(t, "secret", buf, sizeof buf));
    assert_string_equal(buf, "top secret");
    struct stat st;
    char path[600];
    snprintf(path, sizeof path, "%s/secret", t->tmp);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_nlink, 1);
}

static const struct {
    const char *path;
    uint32_t expected; /* for path_open (read) and path_filestat_get, both following */
} open_cases[] = {
    {"../secret", E_PERM},
    {"..", E_PERM},
    {"../sandbox/file", E_PERM}, /* out and back in is still out */
    {"a/../../secret", E_PERM},
    {"a/b/../../../secret", E_PERM},
    {"a/./../..", E_PERM},
    {"a/b/../../..", E_PERM},
    {"/etc/passwd", E_PERM},
    {"/", E_PERM},
    {"/sandbox/file", E_PERM}, /* the guest name of the preopen means nothing here */
    {"up/secret", E_PERM},
    {"up", E_PERM},
    {"up/", E_PERM},
    {"up_in", E_PERM},
    {"root/etc/passwd", E_PERM},
    {"root", E_PERM},
    {"root/", E_PERM},
    {"abs_in", E_PERM},
    {"etc/passwd", E_PERM},
    {"proc_root/etc/passwd", E_PERM},
    {"proc_root", E_PERM},
    {"c1", E_PERM},
    {"c1/x", E_PERM},
    {"a/b/deep_up", E_PERM},
    {"ab/deep_up", E_PERM},
    {"ab/../../../secret", E_PERM},
    {"ab/../../secret", E_NOENT}, /* ab/../.. is the sandbox: no secret there */
    {"loop1", E_LOOP},
    {"loop1/x", E_LOOP},
    {"self", E_LOOP},
    {"lnk_0", E_LOOP},
    /* Inside: allowed. */
    {"lnk_1", E_SUCCESS},
    {"g1", E_SUCCESS},
    {"a/b/ok_up", E_SUCCESS},
    {"ab/ok_up", E_SUCCESS},
    {"ab/../file", E_NOENT},      /* ".." after a symlink is physical: ab/.. = a, no a/file */
    {"ab/../../file", E_SUCCESS}, /* a/.. = the sandbox */
    {"a/../file", E_SUCCESS},
    {"a/b/../../a/b/../../file", E_SUCCESS},
    {"./file", E_SUCCESS},
    {"file", E_SUCCESS},
};

static void test_escapes_refused(void **state)
{
    wt *t = *state;
    for (size_t i = 0; i < sizeof open_cases / sizeof open_cases[0]; i++) {
        const char *p = open_cases[i].path;
        uint32_t want = open_cases[i].expected;
        uint32_t fd, got = wt_open(t, p, 0, FOLLOW, &fd);
        if (got != want)
            fail_msg("path_open(\"%s\", follow) = %u, expected %u (%s)", p, got, want,
                     t->walk ? "walk" : "openat2");
        if (got == E_SUCCESS) {
            assert_int_equal(WT_CALL(t, "fd_close", fd), E_SUCCESS);
        } else {
            assert_int_equal(fd, UINT32_MAX);
        }
        uint32_t len = wt_str(t, WT_PATH, p);
        got = WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, FOLLOW, WT_PATH, len, WT_OUT);
        if (got != want)
            fail_msg("path_filestat_get(\"%s\", follow) = %u, expected %u (%s)", p, got, want,
                     t->walk ? "walk" : "openat2");
    }
    assert_secret_intact(t);
}

/* Not following the final link: the link itself is inside and may be looked at. */
static void test_final_links_without_follow(void **state)
{
    wt *t = *state;
    static const char *const links[] = {"up",     "root", "etc",   "proc_root",
                                        "abs_in", "c1",   "loop1", "a/b/deep_up"};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        uint32_t len = wt_str(t, WT_PATH, links[i]);
        assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_PATH, len, WT_OUT),
                         E_SUCCESS);
        assert_int_equal(t->mem[WT_OUT + 16], 7);
        uint32_t fd;
        assert_int_equal(wt_open(t, links[i], 0, 0, &fd), E_LOOP);
    }
    /* Reading a link's text is allowed (it is data inside the sandbox). */
    uint32_t len = wt_str(t, WT_PATH, "root");
    assert_int_equal(WT_CALL(t, "path_readlink", WT_SANDBOX_FD, WT_PATH, len, WT_BUF, 64, WT_OUT),
                     E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 1);
    assert_int_equal(t->mem[WT_BUF], '/');
    /* ... but not through a path that leaves. */
    len = wt_str(t, WT_PATH, "up/sandbox/root");
    assert_int_equal(WT_CALL(t, "path_readlink", WT_SANDBOX_FD, WT_PATH, len, WT_BUF, 64, WT_OUT),
                     E_PERM);
}

static uint32_t two_paths(wt *t, const char *func, const char *a, const char *b)
{
    uint32_t la = wt_str(t, WT_PATH, a), lb = wt_str(t, WT_PATH2, b);
    return WT_CALL(t, func, WT_SANDBOX_FD, WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb);
}

static uint32_t one_path(wt *t, const char *func, const char *p)
{
    uint32_t len = wt_str(t, WT_PATH, p);
    return WT_CALL(t, func, WT_SANDBOX_FD, WT_PATH, len);
}

static uint32_t link_paths(wt *t, uint32_t flags, const char *a, const char *b)
{
    uint32_t la = wt_str(t, WT_PATH, a), lb = wt_str(t, WT_PATH2, b);
    return WT_CALL(t, "path_link", WT_SANDBOX_FD, flags, WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb);
}

/* Every operation that changes the file system, aimed outside. */
static void test_mutations_refused(void **state)
{
    wt *t = *state;
    uint32_t fd;
    assert_int_equal(one_path(t, "path_create_directory", "../newdir"), E_PERM);
    assert_int_equal(one_path(t, "path_create_directory", "up/newdir"), E_PERM);
    assert_int_equal(one_path(t, "path_create_directory", "root/tmp/kiln-newdir"), E_PERM);
    assert_false(wt_exists(t, "newdir"));
    assert_int_equal(one_path(t, "path_unlink_file", "../secret"), E_PERM);
    assert_int_equal(one_path(t, "path_unlink_file", "up/secret"), E_PERM);
    assert_int_equal(one_path(t, "path_remove_directory", ".."), E_PERM);
    assert_int_equal(one_path(t, "path_remove_directory", "up/sandbox"), E_PERM);
    assert_int_equal(two_paths(t, "path_rename", "file", "../stolen"), E_PERM);
    assert_int_equal(two_paths(t, "path_rename", "../secret", "got"), E_PERM);
    assert_int_equal(two_paths(t, "path_rename", "up/secret", "got"), E_PERM);
    assert_int_equal(two_paths(t, "path_rename", "file", "root/tmp/stolen"), E_PERM);
    assert_int_equal(link_paths(t, 0, "../secret", "hl"), E_PERM);
    assert_int_equal(link_paths(t, FOLLOW, "c1", "hl"), E_PERM);
    assert_int_equal(link_paths(t, 0, "file", "../hl"), E_PERM);
    assert_false(wt_exists(t, "sandbox/hl"));
    assert_false(wt_exists(t, "hl"));
    /* path_symlink(old_path, fd, new_path) */
    uint32_t la = wt_str(t, WT_PATH, "x"), lb = wt_str(t, WT_PATH2, "../evil");
    assert_int_equal(WT_CALL(t, "path_symlink", WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb), E_PERM);
    assert_false(wt_exists(t, "evil"));
    /* A relative target that points outside may be created; it can never be followed. */
    la = wt_str(t, WT_PATH, "../../etc/passwd");
    lb = wt_str(t, WT_PATH2, "evil");
    assert_int_equal(WT_CALL(t, "path_symlink", WT_PATH, la, WT_SANDBOX_FD, WT_PATH2, lb),
                     E_SUCCESS);
    assert_int_equal(wt_open(t, "evil", 0, FOLLOW, &fd), E_PERM);
    /* Times. */
    uint32_t len = wt_str(t, WT_PATH, "../secret");
    assert_int_equal(
        WT_CALL(t, "path_filestat_set_times", WT_SANDBOX_FD, 0, WT_PATH, len, 0, 0, 2 | 8), E_PERM);
    len = wt_str(t, WT_PATH, "c1");
    assert_int_equal(
        WT_CALL(t, "path_filestat_set_times", WT_SANDBOX_FD, FOLLOW, WT_PATH, len, 0, 0, 2 | 8),
        E_PERM);
    /* Creating through links that lead out: the classic dangling-symlink attack. */
    assert_int_equal(wt_open(t, "dangling_out", O_CREAT_W, FOLLOW, &fd), E_PERM);
    assert_false(wt_exists(t, "created_outside"));
    assert_int_equal(wt_open(t, "up/created_outside", O_CREAT_W, 0, &fd), E_PERM);
    assert_int_equal(wt_open(t, "root/tmp/kiln-wasi-created", O_CREAT_W, 0, &fd), E_PERM);
    assert_false(wt_exists(t, "created_outside"));
    assert_int_equal(wt_open(t, "c3", O_CREAT_W | O_TRUNC_W, FOLLOW, &fd), E_PERM);
    assert_secret_intact(t);
}

/* A preopened /proc, allowed (KILN_WASI_PREOPEN_SPECIAL_FS): magic links (root, cwd, exe,
 * fd/N) still never lead anywhere. */
static void test_proc_magic_links(void **state)
{
    wt *t = *state;
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    kiln_wasi_preopen proc = {
        .host_path = "/proc", .guest_path = "/proc", .flags = KILN_WASI_PREOPEN_SPECIAL_FS};
    cfg.preopens = &proc;
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);
    char secret[600], fdpath[64], dirpath[64];
    snprintf(secret, sizeof secret, "%s/secret", t->tmp);
    int host = open(secret, O_RDONLY);
    int host_dir = open(t->tmp, O_RDONLY | O_DIRECTORY);
    assert_true(host >= 0 && host_dir >= 0);
    snprintf(fdpath, sizeof fdpath, "self/fd/%d", host);
    snprintf(dirpath, sizeof dirpath, "self/fd/%d/secret", host_dir);
    const char *const escapes[] = {"self/root/etc/passwd", "self/root",  "self/cwd", "self/exe",
                                   "thread-self/root",     "self/root/", fdpath,     dirpath};
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
        uint32_t fd, got = wt_open(t, escapes[i], 0, FOLLOW, &fd);
        if (got != E_PERM)
            fail_msg("path_open(\"/proc/%s\") = %u, expected EPERM (%s)", escapes[i], got,
                     t->walk ? "walk" : "openat2");
        uint32_t len = wt_str(t, WT_PATH, escapes[i]);
        got = WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, FOLLOW, WT_PATH, len, WT_OUT);
        if (got != E_PERM)
            fail_msg("path_filestat_get(\"/proc/%s\") = %u, expected EPERM", escapes[i], got);
    }
    /* Ordinary /proc files (via the plain symlink "self") still work. */
    uint32_t fd;
    assert_int_equal(wt_open(t, "self/status", 0, FOLLOW, &fd), E_SUCCESS);
    wt_iov(t, 0, WT_BUF, 5);
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_memory_equal(t->mem + WT_BUF, "Name:", 5);
    close(host);
    close(host_dir);
}

/* ---- The resolver itself ---- */

static ino_t ino_of(wt *t, const char *rel)
{
    char p[600];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", t->tmp, rel);
    assert_int_equal(stat(p, &st), 0);
    return st.st_ino;
}

static const struct {
    const char *path;
    int follow;
    const char *dir; /* relative to <tmp>, or NULL: an error */
    const char *name;
    bool trailing;
    uint32_t err;
} resolve_cases[] = {
    {"file", WASI_NOFOLLOW, "sandbox", "file", false, 0},
    {"a/b/c", WASI_NOFOLLOW, "sandbox/a/b", "c", false, 0},
    {"a//b///c", WASI_NOFOLLOW, "sandbox/a/b", "c", false, 0},
    {"a/b/", WASI_NOFOLLOW, "sandbox/a", "b", true, 0},
    {"a/b//", WASI_NOFOLLOW, "sandbox/a", "b", true, 0},
    {"a/b/..", WASI_NOFOLLOW, "sandbox/a", ".", false, 0},
    {".", WASI_NOFOLLOW, "sandbox", ".", false, 0},
    {"./", WASI_NOFOLLOW, "sandbox", ".", true, 0},
    {"a/./b/./.", WASI_NOFOLLOW, "sandbox/a/b", ".", false, 0},
    {"g1", WASI_NOFOLLOW, "sandbox", "g1", false, 0},
    {"g1", WASI_FOLLOW, "sandbox", "file", false, 0},
    {"ab", WASI_FOLLOW, "sandbox/a", "b", false, 0},
    {"ab", WASI_FOLLOW_IF_SLASH, "sandbox", "ab", false, 0},
    {"ab/", WASI_FOLLOW_IF_SLASH, "sandbox/a", "b", true, 0},
    {"ab/x", WASI_NOFOLLOW, "sandbox/a/b", "x", false, 0},
    {"ab/..", WASI_NOFOLLOW, "sandbox/a", ".", false, 0},
    {"ab/ok_up", WASI_FOLLOW, "sandbox", "file", false, 0},
    {"lnk_1", WASI_FOLLOW, "sandbox", "file", false, 0},
    {"lnk_0", WASI_FOLLOW, NULL, NULL, false, E_LOOP},
    {"lnk_0", WASI_NOFOLLOW, "sandbox", "lnk_0", false, 0},
    {"missing/x", WASI_NOFOLLOW, NULL, NULL, false, E_NOENT},
    {"file/x", WASI_NOFOLLOW, NULL, NULL, false, E_NOTDIR},
    {"up", WASI_NOFOLLOW, "sandbox", "up", false, 0},
    {"up", WASI_FOLLOW, NULL, NULL, false, E_PERM},
    {"up/x", WASI_NOFOLLOW, NULL, NULL, false, E_PERM},
    {"c1/x", WASI_NOFOLLOW, NULL, NULL, false, E_PERM},
    {"loop1/x", WASI_NOFOLLOW, NULL, NULL, false, E_LOOP},
    {"..", WASI_NOFOLLOW, NULL, NULL, false, E_PERM},
    {"/x", WASI_NOFOLLOW, NULL, NULL, false, E_PERM},
    {"", WASI_NOFOLLOW, NULL, NULL, false, E_NOENT},
};

/* Both strategies give the same directory (by inode), name and errno for every path. */
/* ---- Special files: /proc, /sys, devices (docs/wasi.md) ---- */

static bool host_fs_is(const char *path, unsigned long magic)
{
    struct statfs fs;
    return statfs(path, &fs) == 0 && (unsigned long)fs.f_type == magic;
}

/* A preopen of "/" (without KILN_WASI_PREOPEN_SPECIAL_FS): nothing in /proc, /sys or a device
 * file can be opened, read or written, whichever way the path goes; files elsewhere work. */
static void test_special_files_from_root(void **state)
{
    wt *t = *state;
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    if (!host_fs_is("/proc", 0x9fa0))
        skip(); /* no procfs mounted here: nothing to refuse */
    /* The root, spelled "/proc/.." because qemu-user -L (the cross tests) opens the target's
     * sysroot for "/" itself, which has no proc. */
    kiln_wasi_preopen root = {.host_path = "/proc/..", .guest_path = "/"};
    cfg.preopens = &root;
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);
    uint32_t len = wt_str(t, WT_PATH, "proc");
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, 0, WT_PATH, len, WT_OUT),
                     E_SUCCESS);
    const char *const refused[] = {
        "proc/self/mem",
        "proc/self/environ",
        "proc/self/maps",
        "proc/self/status",
        "proc/self/cmdline",
        "proc/1/environ",
        "proc/sys/kernel/hostname",
        "proc/./self/mem",
        "tmp/../proc/self/mem",
        "proc/thread-self/mem",
        "dev/null",
        "dev/zero",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        uint32_t fd, got = wt_open(t, refused[i], 0, FOLLOW, &fd); /* read and write rights */
        if (got != E_ACCES)
            fail_msg("path_open(\"/%s\") = %u, expected EACCES (%s)", refused[i], got,
                     t->walk ? "walk" : "openat2");
    }
    /* The mount point itself, as a directory; and lookups whose directory is in /proc. */
    uint32_t fd;
    assert_int_equal(wt_open(t, "proc", O_DIRECTORY_W, FOLLOW, &fd), E_ACCES);
    assert_int_equal(wt_open(t, "proc/self", O_DIRECTORY_W, FOLLOW, &fd), E_ACCES);
    len = wt_str(t, WT_PATH, "proc/self/status");
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, FOLLOW, WT_PATH, len, WT_OUT),
                     E_ACCES);
    len = wt_str(t, WT_PATH, "proc/self");
    assert_int_equal(WT_CALL(t, "path_readlink", WT_SANDBOX_FD, WT_PATH, len, WT_BUF, 64, WT_OUT),
                     E_ACCES);
    if (host_fs_is("/sys", 0x62656572)) {
        assert_int_equal(wt_open(t, "sys", O_DIRECTORY_W, FOLLOW, &fd), E_ACCES);
        assert_int_equal(wt_open(t, "sys/kernel/uevent_helper", 0, FOLLOW, &fd), E_ACCES);
    }
    /* An ordinary file, by its host path from "/", and through /proc and back out. */
    char path[700];
    snprintf(path, sizeof path, "%s/file", t->sandbox + 1);
    assert_int_equal(wt_open(t, path, 0, FOLLOW, &fd), E_SUCCESS);
    wt_iov(t, 0, WT_BUF, 6);
    assert_int_equal(WT_CALL(t, "fd_read", fd, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_memory_equal(t->mem + WT_BUF, "inside", 6);
    assert_int_equal(WT_CALL(t, "fd_close", fd), E_SUCCESS);
    snprintf(path, sizeof path, "proc/..%s/file", t->sandbox);
    assert_int_equal(wt_open(t, path, 0, FOLLOW, &fd), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_close", fd), E_SUCCESS);
    len = wt_str(t, WT_PATH, path);
    assert_int_equal(WT_CALL(t, "path_filestat_get", WT_SANDBOX_FD, FOLLOW, WT_PATH, len, WT_OUT),
                     E_SUCCESS);
}

/* A preopen on a special file system is refused when the context is made (the guest would
 * hold a descriptor into it), with a message; with KILN_WASI_PREOPEN_SPECIAL_FS it is given. */
static void test_special_preopen_refused(void **state)
{
    wt *t = *state;
    if (!host_fs_is("/proc", 0x9fa0))
        skip();
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    kiln_wasi_preopen dir = {.host_path = "/proc", .guest_path = "/proc"};
    cfg.preopens = &dir;
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_ARG);
    assert_string_equal(kiln_wasi_last_error(),
                        "preopen \"/proc\": on procfs, which exposes the host's kernel and "
                        "processes, not files (allow it with KILN_WASI_PREOPEN_SPECIAL_FS, kiln "
                        "run --allow-special-fs)");
    dir.host_path = "/proc/self/fd";
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_ARG);
    dir.host_path = "/proc";
    dir.flags = KILN_WASI_PREOPEN_SPECIAL_FS;
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);
    uint32_t fd;
    assert_int_equal(wt_open(t, "self/status", 0, FOLLOW, &fd), E_SUCCESS);
    /* Descriptors opened through it inherit the permission. */
    assert_int_equal(wt_open(t, "self", O_DIRECTORY_W, FOLLOW, &fd), E_SUCCESS);
    uint32_t len = wt_str(t, WT_PATH, "status");
    assert_int_equal(WT_CALL(t, "path_filestat_get", fd, FOLLOW, WT_PATH, len, WT_OUT), E_SUCCESS);
    dir.flags = 0x4; /* unknown */
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_ARG);
}

static void test_resolver_both_strategies(void **state)
{
    wt *t = *state;
    int base = open(t->sandbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(base >= 0);
    for (int strategy = 0; strategy < 2; strategy++) {
        bool use_openat2 = strategy == 0;
        if (use_openat2 && !wasi_have_openat2())
            continue;
        for (size_t i = 0; i < sizeof resolve_cases / sizeof resolve_cases[0]; i++) {
            const char *p = resolve_cases[i].path;
            wasi_path out;
            uint16_t err = wasi_resolve_bytes(base, p, strlen(p), resolve_cases[i].follow,
                                              use_openat2 ? WASI_RESOLVE_OPENAT2 : 0u, &out);
            if (err != resolve_cases[i].err)
                fail_msg("resolve(\"%s\", %d, %s) = %u, expected %u", p, resolve_cases[i].follow,
                         use_openat2 ? "openat2" : "walk", err, resolve_cases[i].err);
            if (err != 0) {
                assert_int_equal(out.dirfd, -1);
                continue;
            }
            struct stat st;
            assert_int_equal(fstat(out.dirfd, &st), 0);
            if (st.st_ino != ino_of(t, resolve_cases[i].dir))
                fail_msg("resolve(\"%s\", %s): wrong directory", p,
                         use_openat2 ? "openat2" : "walk");
            assert_string_equal(out.name, resolve_cases[i].name);
            assert_int_equal(out.trailing_slash, resolve_cases[i].trailing);
            wasi_path_done(&out);
            assert_int_equal(out.dirfd, -1);
        }
    }
    close(base);
}

/* The walk's ".." pops the directories it walked (re-walking from the base): deep paths
 * that go down and up many times end where the kernel would. */
static void test_walk_dotdot_deep(void **state)
{
    wt *t = *state;
    int base = open(t->sandbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(base >= 0);
    wasi_path out;
    assert_int_equal(wasi_resolve_bytes(base, "a/b/../../file", 14, WASI_NOFOLLOW, 0, &out), 0);
    assert_string_equal(out.name, "file");
    wasi_path_done(&out);
    char path[2048] = "";
    for (int i = 0; i < 100; i++)
        strcat(path, "a/b/../../");
    strcat(path, "a/b/../file");
    for (int strategy = 0; strategy < 2; strategy++) {
        assert_int_equal(wasi_resolve_bytes(base, path, strlen(path), WASI_NOFOLLOW,
                                            strategy == 0 ? WASI_RESOLVE_OPENAT2 : 0u, &out),
                         0);
        assert_string_equal(out.name, "file");
        struct stat st;
        assert_int_equal(fstat(out.dirfd, &st), 0);
        assert_int_equal(st.st_ino, ino_of(t, "sandbox/a"));
        wasi_path_done(&out);
    }
    /* One ".." too many at the very end. */
    path[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(path, "a/b/../../");
    strcat(path, "../x");
    assert_int_equal(wasi_resolve_bytes(base, path, strlen(path), WASI_NOFOLLOW, 0, &out), E_PERM);
    close(base);
}

static void test_strategy_switch(void **state)
{
    wt *t = *state;
    (void)t;
    wasi_force_fallback_walk(true);
    assert_false(wasi_use_openat2(NULL));
    wasi_force_fallback_walk(false);
    assert_int_equal(wasi_use_openat2(NULL), wasi_have_openat2());
    /* The config flag forces the walk for one context only. */
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    cfg.flags = KILN_WASI_NO_OPENAT2;
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);
    assert_false(wasi_use_openat2(t->wasi));
}

#define T(f)                                                                                       \
    cmocka_unit_test_setup_teardown(f, setup_tree, wt_teardown),                                   \
        cmocka_unit_test_setup_teardown(f, setup_tree_walk, wt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_escapes_refused),
        T(test_final_links_without_follow),
        T(test_mutations_refused),
        T(test_proc_magic_links),
        T(test_special_files_from_root),
        T(test_special_preopen_refused),
        cmocka_unit_test_setup_teardown(test_resolver_both_strategies, setup_tree, wt_teardown),
        cmocka_unit_test_setup_teardown(test_walk_dotdot_deep, setup_tree, wt_teardown),
        cmocka_unit_test_setup_teardown(test_strategy_switch, setup_tree, wt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
