/* client.c -- the minimal HTTP/1.0 client of client.h. */
#define _POSIX_C_SOURCE 200809L
#include "client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline (now_ms) passes. */
static bool wait_for(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
}

static bool fail(char *err, size_t err_size, const char *what, int code)
{
    if (code != 0)
        snprintf(err, err_size, "%s: %s", what, strerror(code));
    else
        snprintf(err, err_size, "%s", what);
    return false;
}

/* Parses "HTTP/1.x NNN ..." and finds the body. */
static bool parse(http_response *r)
{
    int status = 0;
    if (r->size < 12 || memcmp(r->data, "HTTP/1.", 7) != 0 || r->data[8] != ' ')
        return false;
    for (int i = 9; i < 12; i++) {
        if (r->data[i] < '0' || r->data[i] > '9')
            return false;
        status = status * 10 + (r->data[i] - '0');
    }
    const char *end = strstr(r->data, "\r\n\r\n");
    if (end == NULL)
        return false;
    r->status = status;
    r->body = end + 4;
    r->body_len = r->size - (size_t)(r->body - r->data);
    return true;
}

int http_send(uint16_t port, const char *request, size_t len, int timeout_ms, char *err,
              size_t err_size)
{
    int64_t deadline = now_ms() + timeout_ms;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail(err, err_size, "socket", errno);
        return -1;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        int code = errno;
        socklen_t code_len = sizeof code;
        if (code != EINPROGRESS) {
            fail(err, err_size, "connect", code);
            goto failed;
        }
        if (!wait_for(fd, POLLOUT, deadline)) {
            fail(err, err_size, "connect: timed out", 0);
            goto failed;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &code_len) != 0 || code != 0) {
            fail(err, err_size, "connect", code != 0 ? code : errno);
            goto failed;
        }
    }
    for (size_t sent = 0; sent < len;) {
        ssize_t n = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            fail(err, err_size, "send", errno);
            goto failed;
        } else if (!wait_for(fd, POLLOUT, deadline)) {
            fail(err, err_size, "send: timed out", 0);
            goto failed;
        }
    }
    return fd;
failed:
    close(fd);
    return -1;
}

bool http_receive(int fd, int timeout_ms, http_response *out, char *err, size_t err_size)
{
    int64_t deadline = now_ms() + timeout_ms;
    bool ok = false;
    out->size = 0;
    out->status = 0;
    out->body = NULL;
    out->body_len = 0;
    if (out->cap == 0) {
        out->data = malloc(4096);
        if (out->data == NULL) {
            fail(err, err_size, "out of memory", 0);
            goto done;
        }
        out->cap = 4096;
    }
    out->data[0] = '\0';
    for (;;) {
        if (out->cap - out->size < 2048) {
            char *grown = realloc(out->data, out->cap * 2);
            if (grown == NULL) {
                fail(err, err_size, "out of memory", 0);
                goto done;
            }
            out->data = grown;
            out->cap *= 2;
        }
        ssize_t n = recv(fd, out->data + out->size, out->cap - out->size - 1, 0);
        if (n > 0) {
            out->size += (size_t)n;
            out->data[out->size] = '\0';
        } else if (n == 0) {
            break;
        } else if (errno != EAGAIN && errno != EINTR) {
            fail(err, err_size, "recv", errno);
            goto done;
        } else if (!wait_for(fd, POLLIN, deadline)) {
            fail(err, err_size, "recv: timed out", 0);
            goto done;
        }
    }
    ok = parse(out) || fail(err, err_size, out->size == 0 ? "empty response" : "no status line", 0);
done:
    close(fd);
    return ok;
}

bool http_exchange(uint16_t port, const char *request, size_t len, int timeout_ms,
                   http_response *out, char *err, size_t err_size)
{
    int fd = http_send(port, request, len, timeout_ms, err, err_size);
    if (fd < 0) {
        out->size = 0;
        out->status = 0;
        return false;
    }
    return http_receive(fd, timeout_ms, out, err, err_size);
}

bool http_get(uint16_t port, const char *target, int timeout_ms, http_response *out, char *err,
              size_t err_size)
{
    char request[8192];
    int n = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\n\r\n", target);
    if (n < 0 || (size_t)n >= sizeof request)
        return fail(err, err_size, "request target too long", 0);
    return http_exchange(port, request, (size_t)n, timeout_ms, out, err, err_size);
}

const char *http_header(const http_response *r, const char *name, size_t *len)
{
    size_t name_len = strlen(name);
    const char *head_end = r->body != NULL ? r->body : r->data + r->size;
    const char *line = memchr(r->data, '\n', (size_t)(head_end - r->data));
    while (line != NULL && line + 1 < head_end) {
        line++;
        const char *eol = memchr(line, '\n', (size_t)(head_end - line));
        if (eol == NULL)
            break;
        if ((size_t)(eol - line) > name_len && strncasecmp(line, name, name_len) == 0 &&
            line[name_len] == ':') {
            const char *v = line + name_len + 1;
            while (v < eol && *v == ' ')
                v++;
            const char *e = eol;
            if (e > v && e[-1] == '\r')
                e--;
            *len = (size_t)(e - v);
            return v;
        }
        line = eol;
    }
    return NULL;
}

void http_response_free(http_response *r)
{
    free(r->data);
    r->data = NULL;
    r->size = r->cap = 0;
}
