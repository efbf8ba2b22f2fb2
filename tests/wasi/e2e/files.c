/* files.c -- a WASI guest for the end-to-end tests: files and directories under the preopen
 * "/sandbox" (create, read, write, seek, stat, readdir, rename, unlink, symlink, readlink,
 * truncate, timestamps), then escape attempts that must be refused. Prints one line per step;
 * a failed step prints the errno's name. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errname(int e)
{
    switch (e) {
    case 0:
        return "OK";
    case ENOENT:
        return "ENOENT";
    case EPERM:
        return "EPERM";
    case EACCES:
        return "EACCES";
    case ENOTCAPABLE:
        return "ENOTCAPABLE";
    case ELOOP:
        return "ELOOP";
    case EEXIST:
        return "EEXIST";
    case ENOTDIR:
        return "ENOTDIR";
    case EISDIR:
        return "EISDIR";
    case EBADF:
        return "EBADF";
    case EINVAL:
        return "EINVAL";
    case ENOTEMPTY:
        return "ENOTEMPTY";
    default:
        return "other";
    }
}

static void step(const char *what, int rc)
{
    printf("%s: %s\n", what, rc < 0 ? errname(errno) : "ok");
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("opendir %s: %s\n", dir, errname(errno));
        return;
    }
    char *names[64];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64)
        names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("readdir %s:", dir);
    for (size_t i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void try_open(const char *path)
{
    errno = 0;
    int fd = open(path, O_RDONLY);
    printf("open %s: %s\n", path, fd < 0 ? errname(errno) : "ALLOWED");
    if (fd >= 0)
        close(fd);
}

int main(void)
{
    step("mkdir", mkdir("/sandbox/d", 0755));
    step("mkdir again", mkdir("/sandbox/d", 0755));
    int fd = open("/sandbox/d/a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    step("create", fd);
    printf("write: %zd\n", write(fd, "hello world", 11));
    printf("lseek set: %lld\n", (long long)lseek(fd, 6, SEEK_SET));
    char buf[64] = {0};
    printf("read: %zd [%s]\n", read(fd, buf, 5), buf);
    printf("lseek cur: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("lseek end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
    memset(buf, 0, sizeof buf);
    printf("pread: %zd [%s]\n", pread(fd, buf, 5, 0), buf);
    struct stat st;
    step("fstat", fstat(fd, &st));
    printf("size=%lld regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    step("ftruncate", ftruncate(fd, 5));
    step("close", close(fd));
    step("stat", stat("/sandbox/d/a.txt", &st));
    printf("size=%lld\n", (long long)st.st_size);
    step("truncate", truncate("/sandbox/d/a.txt", 3));
    step("stat", stat("/sandbox/d/a.txt", &st));
    printf("size=%lld\n", (long long)st.st_size);

    struct timespec times[2] = {{.tv_sec = 1000000000, .tv_nsec = 0},
                                {.tv_sec = 1234567890, .tv_nsec = 0}};
    step("utimensat", utimensat(AT_FDCWD, "/sandbox/d/a.txt", times, 0));
    step("stat", stat("/sandbox/d/a.txt", &st));
    printf("atime=%lld mtime=%lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);

    step("rename", rename("/sandbox/d/a.txt", "/sandbox/d/b.txt"));
    step("stat old name", stat("/sandbox/d/a.txt", &st));
    step("symlink", symlink("b.txt", "/sandbox/d/link"));
    memset(buf, 0, sizeof buf);
    printf("readlink: %zd [%s]\n", readlink("/sandbox/d/link", buf, sizeof buf - 1), buf);
    fd = open("/sandbox/d/link", O_RDONLY);
    memset(buf, 0, sizeof buf);
    printf("read through link: %zd [%s]\n", read(fd, buf, sizeof buf - 1), buf);
    close(fd);
    step("lstat", lstat("/sandbox/d/link", &st));
    printf("link is symlink=%d\n", S_ISLNK(st.st_mode));
    step("mkdir sub", mkdir("/sandbox/d/sub", 0755));
    list("/sandbox/d");
    step("rmdir non-empty", rmdir("/sandbox/d"));

    /* Escapes: each must be refused. */
    try_open("/sandbox/../outside.txt");
    try_open("/sandbox/d/../../outside.txt");
    try_open("/etc/passwd");
    try_open("/outside.txt");
    step("symlink out (absolute)", symlink("/etc/passwd", "/sandbox/d/abs"));
    try_open("/sandbox/d/abs");
    step("symlink out (dotdot)", symlink("../../outside.txt", "/sandbox/d/up"));
    try_open("/sandbox/d/up");
    step("mkdir outside", mkdir("/sandbox/../newdir", 0755));

    step("unlink link", unlink("/sandbox/d/link"));
    step("unlink abs", unlink("/sandbox/d/abs"));
    step("unlink up", unlink("/sandbox/d/up"));
    step("unlink b.txt", unlink("/sandbox/d/b.txt"));
    step("unlink missing", unlink("/sandbox/d/b.txt"));
    step("rmdir sub", rmdir("/sandbox/d/sub"));
    list("/sandbox/d");
    step("rmdir", rmdir("/sandbox/d"));
    list("/sandbox");
    return 0;
}
