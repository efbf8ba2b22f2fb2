/* rights.c -- a WASI guest opening files the way Rust's standard library does, under a
 * read-only preopen (kiln run --ro-dir ro::/ro), and reaching for host special files.
 *
 * Rust's std::fs::File::open calls path_open with fs_rights_base = fs_rights_inheriting =
 * fd_read | fd_readdir plus every right that is neither read nor write: fd_advise,
 * fd_fdstat_set_flags, fd_filestat_get, fd_filestat_set_times, fd_seek, fd_sync, fd_tell,
 * path_create_directory, path_create_file, path_filestat_get, path_link_source,
 * path_link_target, path_open, path_readlink, path_remove_directory, path_rename_source,
 * path_rename_target, path_symlink, path_unlink_file, poll_fd_readwrite (library/std/src/sys/
 * pal/wasi/fs.rs, OpenOptions::rights_base); File::create adds fd_write, fd_datasync,
 * fd_allocate and fd_filestat_set_size, with oflags creat | trunc. This guest calls the
 * preview1 imports directly with exactly those, and prints each errno as a number.
 *
 *   rights           the read-only preopen is fd 3 (kiln run --ro-dir ro::/ro)
 *   rights special   fd 3 is a preopen of "/" (kiln run --dir /::/): /proc and /dev files
 */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define R(n) ((__wasi_rights_t)1 << (n))
/* Rust's OpenOptions::rights_base for read(true). */
static const __wasi_rights_t rust_read =
    R(1) /* fd_read */ | R(14) /* fd_readdir */ | R(7) /* fd_advise */ |
    R(3) /* fd_fdstat_set_flags */ | R(21) /* fd_filestat_get */ |
    R(23) /* fd_filestat_set_times */ | R(2) /* fd_seek */ | R(4) /* fd_sync */ |
    R(5) /* fd_tell */ | R(9) /* path_create_directory */ | R(10) /* path_create_file */ |
    R(18) /* path_filestat_get */ | R(11) /* path_link_source */ | R(12) /* path_link_target */ |
    R(13) /* path_open */ | R(15) /* path_readlink */ | R(25) /* path_remove_directory */ |
    R(16) /* path_rename_source */ | R(17) /* path_rename_target */ | R(24) /* path_symlink */ |
    R(26) /* path_unlink_file */ | R(27) /* poll_fd_readwrite */;
/* ... and for write(true) (File::create). */
static const __wasi_rights_t rust_write = R(6) /* fd_write */ | R(0) /* fd_datasync */ |
                                          R(8) /* fd_allocate */ | R(22) /* fd_filestat_set_size */;

static __wasi_errno_t open_as_rust(const char *path, __wasi_oflags_t oflags, __wasi_rights_t rights,
                                   __wasi_fd_t *fd)
{
    return __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags, rights, rights, 0,
                            fd);
}

static void read_only(void)
{
    __wasi_fd_t fd = 0;
    __wasi_errno_t e = open_as_rust("data.txt", 0, rust_read, &fd);
    printf("File::open data.txt: %u\n", e);
    if (e != 0)
        return;
    __wasi_fdstat_t st;
    e = __wasi_fd_fdstat_get(fd, &st);
    printf("fdstat: %u read=%d write=%d set_times=%d create_file=%d\n", e,
           (st.fs_rights_base & R(1)) != 0, (st.fs_rights_base & R(6)) != 0,
           (st.fs_rights_base & R(23)) != 0, (st.fs_rights_inheriting & R(10)) != 0);
    char buf[64];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
    __wasi_size_t n = 0;
    e = __wasi_fd_read(fd, &iov, 1, &n);
    buf[e == 0 ? n : 0] = '\0';
    printf("read: %u %u [%s]\n", e, (unsigned)n, buf);
    /* The sandbox holds: the narrowed descriptor cannot write (Rust: PermissionDenied). */
    __wasi_ciovec_t out = {(const uint8_t *)"x", 1};
    e = __wasi_fd_write(fd, &out, 1, &n);
    printf("write through it: %u\n", e);
    e = __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM_NOW);
    printf("set_times through it: %u\n", e);
    printf("close: %u\n", __wasi_fd_close(fd));
    /* Opening for writing, or creating, is refused outright. */
    e = open_as_rust("data.txt", 0, rust_read | rust_write, &fd);
    printf("OpenOptions::write data.txt: %u\n", e);
    e = open_as_rust("new.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, rust_read | rust_write,
                     &fd);
    printf("File::create new.txt: %u\n", e);
    /* wasi-libc's own open(O_RDONLY) (rights intersected by libc) still works. */
    FILE *f = fopen("/ro/data.txt", "r");
    printf("fopen r: %s\n", f ? "ok" : "failed");
    if (f)
        fclose(f);
    /* Directories (Rust's fs::read_dir: read(true) + directory). */
    e = __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, ".", __WASI_OFLAGS_DIRECTORY,
                         rust_read, rust_read, 0, &fd);
    printf("read_dir .: %u\n", e);
}

static void special(void)
{
    static const char *const paths[] = {"proc/self/mem", "proc/self/environ", "proc/self/maps",
                                        "proc", "dev/null"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        __wasi_fd_t fd;
        __wasi_errno_t e = __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, paths[i], 0,
                                            rust_read | rust_write, rust_read | rust_write, 0, &fd);
        printf("open /%s: %u\n", paths[i], e);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "special") == 0)
        special();
    else
        read_only();
    return 0;
}
