/* app.c -- the request handlers of the request-server sample, compiled to wasm32-wasi by
 * add_wasm_module(app) and run by server.c in a fresh instance per request.
 *
 * This is the untrusted side: the server knows nothing about its routes. It copies the
 * request target ("/hello?name=Ada") into request(), calls handle(length), and sends back
 * the status handle() returns with the length() bytes at response(). Some routes misbehave
 * on purpose, to show what the server's limits do with them:
 *
 *   /                     the list of routes
 *   /hello?name=NAME      a greeting (NAME percent-decoded; default "world")
 *   /fib?n=N              the N-th Fibonacci number, 0 <= N <= 93
 *   /primes?below=N       how many primes are below N (a sieve of N bytes from malloc: past
 *                         the memory limit malloc fails and the handler answers 503 itself)
 *   /spin                 loops forever: the deadline stops it
 *   /hog                  allocates 1 MiB after 1 MiB and aborts when malloc fails, as C
 *                         programs that "cannot fail" do: the memory limit stops it
 *   /crash                writes through a wild pointer: an out-of-bounds trap
 *
 * Export names have no '_' so that the generated wrappers are app_handle, app_request, ...
 * The module imports nothing: no WASI, no host functions; malloc grows the linear memory.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))

enum {
    REQUEST_MAX = 4096,   /* bytes of request target the server may copy in */
    RESPONSE_MAX = 16384, /* bytes of response body */
    NAME_MAX_BYTES = 256, /* of a decoded query value */
};

static char request[REQUEST_MAX];
static char response[RESPONSE_MAX];
static uint32_t response_length;

EXPORT("request") char *request_buffer(void)
{
    return request;
}

EXPORT("capacity") uint32_t request_capacity(void)
{
    return REQUEST_MAX;
}

EXPORT("response") const char *response_body(void)
{
    return response;
}

EXPORT("length") uint32_t response_size(void)
{
    return response_length;
}

/* ---- Writing the response ---- */

static void put(const char *s, size_t n)
{
    size_t room = RESPONSE_MAX - response_length;
    if (n > room)
        n = room; /* truncated, never overrun */
    memcpy(response + response_length, s, n);
    response_length += (uint32_t)n;
}

static void put_str(const char *s)
{
    put(s, strlen(s));
}

static void put_u64(uint64_t v)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[sizeof digits - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(digits + sizeof digits - n, n);
}

/* ---- Reading the request target ---- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The value of key in the query string query[0, len) ("a=1&b=2"), percent-decoded ('+' is a
 * space) into out (at most cap - 1 bytes, NUL-terminated). False if the key is absent or
 * the value does not fit or is badly encoded. */
static bool query_value(const char *query, size_t len, const char *key, char *out, size_t cap)
{
    size_t key_len = strlen(key);
    size_t pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && query[end] != '&')
            end++;
        if (end - pos > key_len && memcmp(query + pos, key, key_len) == 0 &&
            query[pos + key_len] == '=') {
            size_t n = 0;
            for (size_t i = pos + key_len + 1; i < end; i++) {
                char c = query[i];
                if (c == '%') {
                    int hi = i + 2 < end ? hex_value(query[i + 1]) : -1;
                    int lo = i + 2 < end ? hex_value(query[i + 2]) : -1;
                    if (hi < 0 || lo < 0)
                        return false;
                    c = (char)(hi * 16 + lo);
                    i += 2;
                } else if (c == '+') {
                    c = ' ';
                }
                if (n + 1 >= cap)
                    return false;
                out[n++] = c;
            }
            out[n] = '\0';
            return true;
        }
        pos = end + 1;
    }
    return false;
}

/* A whole number of at most max from the decimal string s; false otherwise. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (*s == '\0')
        return false;
    uint64_t v = 0;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* ---- The routes ---- */

static int32_t route_index(void)
{
    put_str("routes: /hello?name=NAME  /fib?n=N  /primes?below=N  /spin  /hog  /crash\n");
    return 200;
}

static int32_t route_hello(const char *query, size_t len)
{
    char name[NAME_MAX_BYTES];
    if (!query_value(query, len, "name", name, sizeof name))
        strcpy(name, "world");
    put_str("Hello, ");
    put_str(name);
    put_str("!\n");
    return 200;
}

static int32_t route_fib(const char *query, size_t len)
{
    char text[32];
    uint64_t n;
    if (!query_value(query, len, "n", text, sizeof text) || !parse_u64(text, 93, &n)) {
        put_str("n must be a whole number from 0 to 93\n");
        return 400;
    }
    uint64_t a = 0, b = 1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t next = a + b;
        a = b;
        b = next;
    }
    put_str("fib(");
    put_u64(n);
    put_str(") = ");
    put_u64(a);
    put_str("\n");
    return 200;
}

static int32_t route_primes(const char *query, size_t len)
{
    char text[32];
    uint64_t below;
    if (!query_value(query, len, "below", text, sizeof text) ||
        !parse_u64(text, 1000000000, &below)) {
        put_str("below must be a whole number up to 1000000000\n");
        return 400;
    }
    /* One byte per number: a sieve of `below` bytes, so large ones need a lot of memory. */
    uint8_t *composite = below > 2 ? calloc((size_t)below, 1) : NULL;
    if (below > 2 && composite == NULL) {
        put_str("not enough memory for a sieve of ");
        put_u64(below);
        put_str(" numbers\n");
        return 503;
    }
    uint64_t count = 0;
    for (uint64_t i = 2; i < below; i++) {
        if (composite[i])
            continue;
        count++;
        for (uint64_t j = i * i; j < below; j += i)
            composite[j] = 1;
    }
    free(composite);
    put_u64(count);
    put_str(" primes below ");
    put_u64(below);
    put_str("\n");
    return 200;
}

static volatile uint32_t spins;

static int32_t route_spin(void)
{
    for (;;) /* a bug: nothing ever ends this loop but the server's deadline */
        spins++;
}

static void *hoard; /* the allocations stay reachable, so none can be optimised away */

static int32_t route_hog(void)
{
    for (;;) {
        void **block = malloc(1 << 20);
        if (block == NULL)
            abort(); /* wasi-libc: the `unreachable` instruction, i.e. a trap */
        memset(block, 0xa5, 1 << 20);
        *block = hoard;
        hoard = block;
    }
}

static int32_t route_crash(void)
{
    /* A pointer from a corrupted table: far outside the linear memory, so the store traps
     * instead of landing anywhere. */
    volatile uint32_t *wild = (volatile uint32_t *)(uintptr_t)0xfffffff0u;
    *wild = 1;
    put_str("still here?\n");
    return 200;
}

/* Handles the request target in request()[0, length): writes the body to response() and
 * returns the HTTP status. */
EXPORT("handle") int32_t handle(uint32_t length)
{
    response_length = 0;
    if (length > REQUEST_MAX)
        length = REQUEST_MAX;
    size_t path_len = 0;
    while (path_len < length && request[path_len] != '?')
        path_len++;
    const char *query = request + path_len + (path_len < length);
    size_t query_len = length - path_len - (path_len < length);

#define IS(route) (path_len == sizeof(route) - 1 && memcmp(request, route, path_len) == 0)
    if (IS("/"))
        return route_index();
    if (IS("/hello"))
        return route_hello(query, query_len);
    if (IS("/fib"))
        return route_fib(query, query_len);
    if (IS("/primes"))
        return route_primes(query, query_len);
    if (IS("/spin"))
        return route_spin();
    if (IS("/hog"))
        return route_hog();
    if (IS("/crash"))
        return route_crash();
#undef IS
    put_str("no such route: ");
    put(request, path_len);
    put_str("\n");
    return 404;
}
