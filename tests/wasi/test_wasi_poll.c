/* test_wasi_poll.c -- poll_oneoff and the sock_* functions.
 *
 * poll_oneoff: relative and absolute clocks (monotonic, realtime) with the time actually
 * waited, only the expired clocks reported, fd_read/fd_write subscriptions on pipes and files
 * (nbytes, hangup), per-subscription errors as events, and the call-level errors. Sockets: a
 * socketpair and a listening Unix socket handed to the guest as pre-opened sockets; send,
 * recv (peek, truncation flag), shutdown, accept, and ENOTSOCK/EBADF/EPIPE without SIGPIPE.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "wasi_test.h"

#define SUBS   4096u /* subscriptions (48 bytes each) */
#define EVENTS 8192u /* events (32 bytes each) */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sub_clock(wt *t, uint32_t i, uint64_t userdata, uint32_t id, uint64_t timeout,
                      uint16_t flags)
{
    uint32_t a = SUBS + i * 48;
    memset(t->mem + a, 0, 48);
    wt_set_u64(t, a, userdata);
    t->mem[a + 8] = 0; /* clock */
    wt_set_u32(t, a + 16, id);
    wt_set_u64(t, a + 24, timeout);
    wt_set_u64(t, a + 32, 1000);
    memcpy(t->mem + a + 40, &flags, 2);
}

static void sub_fd(wt *t, uint32_t i, uint64_t userdata, uint8_t type, uint32_t fd)
{
    uint32_t a = SUBS + i * 48;
    memset(t->mem + a, 0, 48);
    wt_set_u64(t, a, userdata);
    t->mem[a + 8] = type; /* 1 = fd_read, 2 = fd_write */
    wt_set_u32(t, a + 16, fd);
}

typedef struct event {
    uint64_t userdata, nbytes;
    uint16_t error, flags;
    uint8_t type;
} event;

static event ev(wt *t, uint32_t i)
{
    uint32_t a = EVENTS + i * 32;
    event e;
    e.userdata = wt_u64(t, a);
    memcpy(&e.error, t->mem + a + 8, 2);
    e.type = t->mem[a + 10];
    e.nbytes = wt_u64(t, a + 16);
    memcpy(&e.flags, t->mem + a + 24, 2);
    return e;
}

static uint32_t poll_n(wt *t, uint32_t n)
{
    wt_set_u32(t, WT_OUT, UINT32_MAX);
    return WT_CALL(t, "poll_oneoff", SUBS, EVENTS, n, WT_OUT);
}

static void test_poll_relative_clock(void **state)
{
    wt *t = *state;
    sub_clock(t, 0, 0x1122334455667788u, 1, 20000000, 0); /* 20 ms, monotonic */
    uint64_t start = mono_ns();
    assert_int_equal(poll_n(t, 1), E_SUCCESS);
    uint64_t waited = mono_ns() - start;
    assert_true(waited >= 20000000);
    assert_true(waited < 2000000000);
    assert_int_equal(wt_u32(t, WT_OUT), 1);
    event e = ev(t, 0);
    assert_int_equal(e.userdata, 0x1122334455667788u);
    assert_int_equal(e.error, 0);
    assert_int_equal(e.type, 0);

    /* Realtime, relative. */
    sub_clock(t, 0, 1, 0, 10000000, 0);
    start = mono_ns();
    assert_int_equal(poll_n(t, 1), E_SUCCESS);
    assert_true(mono_ns() - start >= 10000000);
}

static void test_poll_absolute_clocks(void **state)
{
    wt *t = *state;
    /* In the past: at once. */
    sub_clock(t, 0, 5, 1, 1, 1);
    uint64_t start = mono_ns();
    assert_int_equal(poll_n(t, 1), E_SUCCESS);
    assert_true(mono_ns() - start < 1000000000);
    assert_int_equal(wt_u32(t, WT_OUT), 1);
    /* Monotonic deadline 15 ms ahead. */
    sub_clock(t, 0, 6, 1, mono_ns() + 15000000, 1);
    start = mono_ns();
    assert_int_equal(poll_n(t, 1), E_SUCCESS);
    assert_true(mono_ns() - start >= 14000000);
    assert_int_equal(ev(t, 0).userdata, 6);
    /* Realtime deadline 15 ms ahead. */
    sub_clock(t, 0, 7, 0, real_ns() + 15000000, 1);
    start = mono_ns();
    assert_int_equal(poll_n(t, 1), E_SUCCESS);
    assert_true(mono_ns() - start >= 10000000);
    assert_int_equal(ev(t, 0).userdata, 7);
}

static void test_poll_reports_only_expired(void **state)
{
    wt *t = *state;
    sub_clock(t, 0, 100, 1, 5000000000u, 0); /* 5 s */
    sub_clock(t, 1, 101, 1, 10000000, 0);    /* 10 ms */
    sub_clock(t, 2, 102, 1, 3000000000u, 0); /* 3 s */
    uint64_t start = mono_ns();
    assert_int_equal(poll_n(t, 3), E_SUCCESS);
    assert_true(mono_ns() - start < 2000000000u);
    assert_int_equal(wt_u32(t, WT_OUT), 1);
    assert_int_equal(ev(t, 0).userdata, 101);
}

static void test_poll_fds(void **state)
{
    wt *t = *state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    cfg.stdin_fd = p[0];
    cfg.stdout_fd = p[1];
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);

    /* Nothing to read: the 10 ms clock fires; fd_write on the pipe is ready at once. */
    sub_fd(t, 0, 1, 1, 0);
    sub_clock(t, 1, 2, 1, 10000000, 0);
    assert_int_equal(poll_n(t, 2), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 1);
    assert_int_equal(ev(t, 0).userdata, 2);
    sub_fd(t, 0, 3, 2, 1);
    sub_clock(t, 1, 4, 1, 5000000000u, 0);
    assert_int_equal(poll_n(t, 2), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 1);
    event e = ev(t, 0);
    assert_int_equal(e.userdata, 3);
    assert_int_equal(e.type, 2);
    assert_int_equal(e.error, 0);

    /* 5 bytes waiting: fd_read ready with nbytes = 5. */
    assert_int_equal(write(p[1], "hello", 5), 5);
    sub_fd(t, 0, 5, 1, 0);
    sub_clock(t, 1, 6, 1, 5000000000u, 0);
    assert_int_equal(poll_n(t, 2), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 1);
    e = ev(t, 0);
    assert_int_equal(e.userdata, 5);
    assert_int_equal(e.type, 1);
    assert_int_equal(e.nbytes, 5);
    assert_int_equal(e.flags, 0);

    /* The writer gone (the guest closes its fd 1, our dup was the last): hangup. */
    close(p[1]);
    assert_int_equal(WT_CALL(t, "fd_close", 1), E_SUCCESS);
    wt_iov(t, 0, WT_BUF, 5);
    assert_int_equal(WT_CALL(t, "fd_read", 0, WT_IOVS, 1, WT_OUT2), E_SUCCESS);
    sub_fd(t, 0, 7, 1, 0);
    assert_int_equal(poll_n(t, 1), E_SUCCESS);
    e = ev(t, 0);
    assert_int_equal(e.flags, 1); /* fd_readwrite_hangup */
    assert_int_equal(e.nbytes, 0);
    close(p[0]);

    /* A regular file: readable, nbytes = bytes after the position. */
    wt_write_file(t, "sandbox/f", "0123456789");
    uint32_t fd;
    assert_int_equal(wt_open(t, "f", 0, 0, &fd), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_seek", fd, 4, 0, WT_OUT2), E_SUCCESS);
    sub_fd(t, 0, 8, 1, fd);
    sub_fd(t, 1, 9, 2, fd);
    assert_int_equal(poll_n(t, 2), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 2);
    assert_int_equal(ev(t, 0).userdata, 8);
    assert_int_equal(ev(t, 0).nbytes, 6);
    assert_int_equal(ev(t, 1).userdata, 9);
}

static void test_poll_errors(void **state)
{
    wt *t = *state;
    /* Per subscription: a bad fd, a missing right, an unsupported clock; reported at once. */
    sub_fd(t, 0, 1, 1, 42);
    sub_clock(t, 1, 2, 1, 5000000000u, 0);
    uint64_t start = mono_ns();
    assert_int_equal(poll_n(t, 2), E_SUCCESS);
    assert_true(mono_ns() - start < 1000000000u);
    assert_int_equal(wt_u32(t, WT_OUT), 1);
    assert_int_equal(ev(t, 0).userdata, 1);
    assert_int_equal(ev(t, 0).error, E_BADF);
    assert_int_equal(ev(t, 0).type, 1);
    uint32_t fd;
    wt_write_file(t, "sandbox/f", "");
    assert_int_equal(wt_open(t, "f", 0, 0, &fd), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_rights", fd, RIGHT_FD_READ, 0), E_SUCCESS);
    sub_fd(t, 0, 3, 1, fd);
    assert_int_equal(poll_n(t, 1), E_SUCCESS);
    assert_int_equal(ev(t, 0).error, E_NOTCAPABLE);
    sub_clock(t, 0, 4, 2, 1000, 0); /* process CPU time */
    sub_clock(t, 1, 5, 1, 1000, 2); /* an unknown flag */
    assert_int_equal(poll_n(t, 2), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 2);
    assert_int_equal(ev(t, 0).error, E_INVAL);
    assert_int_equal(ev(t, 1).error, E_INVAL);

    /* Call-level: no subscriptions, an unknown tag, out of bounds, too many. */
    assert_int_equal(poll_n(t, 0), E_INVAL);
    assert_int_equal(wt_u32(t, WT_OUT), UINT32_MAX);
    sub_clock(t, 0, 6, 1, 0, 0);
    t->mem[SUBS + 8] = 3;
    assert_int_equal(poll_n(t, 1), E_INVAL);
    sub_clock(t, 0, 6, 1, 0, 0);
    assert_int_equal(WT_CALL(t, "poll_oneoff", WT_MEM_SIZE - 47, EVENTS, 1, WT_OUT), E_FAULT);
    assert_int_equal(WT_CALL(t, "poll_oneoff", SUBS, WT_MEM_SIZE - 31, 1, WT_OUT), E_FAULT);
    assert_int_equal(WT_CALL(t, "poll_oneoff", SUBS, EVENTS, 1, WT_MEM_SIZE - 3), E_FAULT);
    assert_int_equal(WT_CALL(t, "poll_oneoff", SUBS, EVENTS, 0x10000000, WT_OUT), E_FAULT);
    assert_int_equal(WT_CALL(t, "poll_oneoff", 0, 0, 4097, WT_OUT), E_INVAL);
    /* The events may overlap the subscriptions: everything is read first. */
    sub_clock(t, 0, 77, 1, 0, 0);
    assert_int_equal(WT_CALL(t, "poll_oneoff", SUBS, SUBS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u64(t, SUBS), 77);
}

/* ---- Sockets ---- */

static void setup_sockets(wt *t, const int *socks, size_t n)
{
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    cfg.sockets = socks;
    cfg.socket_count = n;
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);
}

static uint32_t sock_send_str(wt *t, uint32_t fd, const char *s)
{
    wt_iov(t, 0, WT_BUF, wt_str(t, WT_BUF, s));
    return WT_CALL(t, "sock_send", fd, WT_IOVS, 1, 0, WT_OUT);
}

static void test_sock_send_recv_shutdown(void **state)
{
    wt *t = *state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    setup_sockets(t, &sv[0], 1);
    const uint32_t s = 4; /* after the preopen */
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", s, WT_OUT), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT], 6); /* socket_stream */
    assert_int_equal(sock_send_str(t, s, "ping"), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 4);
    char buf[16];
    assert_int_equal(read(sv[1], buf, sizeof buf), 4);
    assert_memory_equal(buf, "ping", 4);

    assert_int_equal(write(sv[1], "pong!", 5), 5);
    wt_iov(t, 0, WT_BUF, 2);
    wt_iov(t, 1, WT_BUF + 10, 10);
    /* Peek first: the data stays. */
    assert_int_equal(WT_CALL(t, "sock_recv", s, WT_IOVS, 2, 1, WT_OUT, WT_OUT2), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 5);
    assert_int_equal(WT_CALL(t, "sock_recv", s, WT_IOVS, 2, 0, WT_OUT, WT_OUT2), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 5);
    assert_memory_equal(t->mem + WT_BUF, "po", 2);
    assert_memory_equal(t->mem + WT_BUF + 10, "ng!", 3);
    assert_int_equal(t->mem[WT_OUT2] | t->mem[WT_OUT2 + 1], 0);
    /* fd_read and fd_write work on sockets too. */
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_int_equal(WT_CALL(t, "fd_read", s, WT_IOVS, 1, WT_OUT), E_SUCCESS);
    assert_int_equal(wt_u32(t, WT_OUT), 1);

    /* Errors. */
    assert_int_equal(WT_CALL(t, "sock_recv", s, WT_IOVS, 2, 4, WT_OUT, WT_OUT2), E_INVAL);
    assert_int_equal(WT_CALL(t, "sock_send", s, WT_IOVS, 1, 1, WT_OUT), E_INVAL);
    assert_int_equal(WT_CALL(t, "sock_recv", s, WT_IOVS, 2, 0, WT_OUT, WT_MEM_SIZE - 1), E_FAULT);
    assert_int_equal(WT_CALL(t, "sock_send", s, WT_MEM_SIZE, 1, 0, WT_OUT), E_FAULT);
    assert_int_equal(WT_CALL(t, "sock_shutdown", s, 0), E_INVAL);
    assert_int_equal(WT_CALL(t, "sock_shutdown", s, 4), E_INVAL);
    assert_int_equal(WT_CALL(t, "sock_send", 9, WT_IOVS, 1, 0, WT_OUT), E_BADF);
    assert_int_equal(WT_CALL(t, "sock_shutdown", WT_SANDBOX_FD, 1), E_NOTSOCK);
    wt_write_file(t, "sandbox/f", "");
    uint32_t file;
    assert_int_equal(wt_open(t, "f", 0, 0, &file), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "sock_recv", file, WT_IOVS, 1, 0, WT_OUT, WT_OUT2), E_NOTSOCK);
    assert_int_equal(WT_CALL(t, "sock_accept", file, 0, WT_OUT), E_NOTSOCK);

    /* Shutting down the write side: the peer reads end of stream. */
    assert_int_equal(WT_CALL(t, "sock_shutdown", s, 2), E_SUCCESS);
    assert_int_equal(read(sv[1], buf, sizeof buf), 0);
    /* The peer gone: EPIPE, and no SIGPIPE kills the host. */
    close(sv[1]);
    assert_int_equal(sock_send_str(t, s, "late"), E_PIPE);
    assert_int_equal(WT_CALL(t, "fd_write", s, WT_IOVS, 1, WT_OUT), E_PIPE);
    close(sv[0]);
}

static void test_sock_accept(void **state)
{
    wt *t = *state;
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(listener >= 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    int len = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/sock", t->tmp);
    assert_true(len > 0 && (size_t)len < sizeof addr.sun_path);
    assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(listener, 4), 0);
    setup_sockets(t, &listener, 1);
    const uint32_t l = 4;

    /* Nothing pending, non-blocking: EAGAIN. */
    assert_int_equal(WT_CALL(t, "fd_fdstat_set_flags", l, 4), E_SUCCESS);
    assert_int_equal(WT_CALL(t, "sock_accept", l, 0, WT_OUT), 6 /* EAGAIN */);
    assert_int_equal(WT_CALL(t, "sock_accept", l, 1, WT_OUT), E_INVAL);

    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(connect(client, (struct sockaddr *)&addr, sizeof addr), 0);
    /* poll says the listener is readable. */
    sub_fd(t, 0, 1, 1, l);
    assert_int_equal(poll_n(t, 1), E_SUCCESS);
    assert_int_equal(ev(t, 0).error, 0);
    assert_int_equal(WT_CALL(t, "sock_accept", l, 4, WT_OUT), E_SUCCESS);
    uint32_t conn = wt_u32(t, WT_OUT);
    assert_int_equal(conn, 5);
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", conn, WT_OUT), E_SUCCESS);
    assert_int_equal(t->mem[WT_OUT], 6);
    assert_int_equal(t->mem[WT_OUT + 2], 4);            /* nonblock, as asked */
    assert_int_equal(wt_u64(t, WT_OUT + 8) & R(29), 0); /* a connection does not accept */
    assert_int_equal(WT_CALL(t, "sock_accept", conn, 0, WT_OUT), E_NOTCAPABLE);
    assert_int_equal(sock_send_str(t, conn, "hi"), E_SUCCESS);
    char buf[4];
    assert_int_equal(read(client, buf, sizeof buf), 2);
    close(client);
    close(listener);
}

#define T(f) cmocka_unit_test_setup_teardown(f, wt_setup, wt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_poll_relative_clock),
        T(test_poll_absolute_clocks),
        T(test_poll_reports_only_expired),
        T(test_poll_fds),
        T(test_poll_errors),
        T(test_sock_send_recv_shutdown),
        T(test_sock_accept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
