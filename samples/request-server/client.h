/* client.h -- a minimal HTTP/1.0 client for 127.0.0.1: one request per connection, the
 * response read to the end. The load generator (load.c) uses it, and so does the sample's
 * test (tests/samples/test_request_server.c). Not a general HTTP client: no chunked
 * encoding, no redirects, no other host than the loopback address. */
#ifndef REQUEST_SERVER_CLIENT_H
#define REQUEST_SERVER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A response as received. The buffer is reused by the next exchange with the same struct;
 * release it with http_response_free. Zero-initialise before the first use. */
typedef struct http_response {
    char *data;       /* the whole response, NUL-terminated (bytes received: size) */
    size_t size, cap; /* bytes received, bytes allocated */
    int status;       /* the status line's code */
    const char *body; /* after the blank line that ends the head */
    size_t body_len;
} http_response;

/* Connects to 127.0.0.1:port and sends the len bytes of request, within timeout_ms. Returns
 * the connected socket (non-blocking; http_receive reads and closes it), or -1 with a
 * message in err (e.g. "connect: Connection refused", "send: timed out"). */
int http_send(uint16_t port, const char *request, size_t len, int timeout_ms, char *err,
              size_t err_size);

/* Reads the response on fd until the server closes the connection, within timeout_ms, parses
 * its status line and closes fd. On failure returns false with a message in err ("recv:
 * timed out", "no status line"); out keeps what was received. */
bool http_receive(int fd, int timeout_ms, http_response *out, char *err, size_t err_size);

/* http_send then http_receive, each with timeout_ms. */
bool http_exchange(uint16_t port, const char *request, size_t len, int timeout_ms,
                   http_response *out, char *err, size_t err_size);

/* http_exchange of "GET target HTTP/1.0\r\n\r\n". */
bool http_get(uint16_t port, const char *target, int timeout_ms, http_response *out, char *err,
              size_t err_size);

/* The value of header name (case-insensitive) in the response's head, not NUL-terminated:
 * its length in *len. NULL if absent. */
const char *http_header(const http_response *r, const char *name, size_t *len);

void http_response_free(http_response *r);

#endif
