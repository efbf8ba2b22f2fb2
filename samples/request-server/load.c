/* load.c -- request_load, a load generator for request_server (or any HTTP/1.0 server on
 * 127.0.0.1).
 *
 * --connections threads send --requests GET requests in all, one per TCP connection (the
 * server closes each after its response: no keep-alive), cycling through the TARGETs given.
 * Each request's latency is the time from connect() to the end of the response. Reports the
 * requests per second over the whole run and the latency distribution (p50, p90, p99, max).
 *
 * --runaway TARGET adds one more thread that sends TARGET (e.g. /spin) back to back for as
 * long as the others run: the latency of the normal requests then shows what a handler that
 * never ends costs the others. Its requests are reported apart.
 *
 * Exit status: 0 when every normal request got --expect (default 200), 1 otherwise, 2 for a
 * usage error.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"

enum { CONNECTIONS_MAX = 256 };

typedef struct options {
    uint16_t port;
    unsigned connections;
    uint64_t requests, warmup;
    int expect;
    int timeout_ms;
    const char *runaway; /* NULL: none */
    bool json;
    char **targets;
    size_t target_count;
} options;

/* One request's result. */
typedef struct sample {
    double ms;
    int status; /* 0: no response (see error) */
    /* From the response's Server-Timing header (request_server's), -1 without one: the
     * server's time to take an instance from its pool, and the handler's call. */
    double instantiate_ms, handler_ms;
} sample;

typedef struct run {
    const options *opt;
    sample *samples; /* opt->requests */
    atomic_uint_fast64_t next;
    atomic_bool done; /* the normal requests are all answered */
    atomic_uint_fast64_t errors;
    char first_error[200];
    pthread_mutex_t lock; /* first_error, runaway */
    sample *runaway;
    size_t runaway_count, runaway_cap;
} run;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

__attribute__((format(printf, 2, 3))) static void note_error(run *r, const char *fmt, ...)
{
    atomic_fetch_add(&r->errors, 1);
    pthread_mutex_lock(&r->lock);
    if (r->first_error[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->first_error, sizeof r->first_error, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&r->lock);
}

/* The value of metric name ("handler") in a Server-Timing header: "name;dur=MS, ...". */
static double server_timing(const http_response *resp, const char *name)
{
    size_t len;
    const char *v = http_header(resp, "Server-Timing", &len);
    char key[64];
    int n = snprintf(key, sizeof key, "%s;dur=", name);
    for (const char *end = v + len; v != NULL && v + n <= end; v++)
        if (memcmp(v, key, (size_t)n) == 0)
            return strtod(v + n, NULL);
    return -1;
}

/* One GET; the sample's status is 0 if there was no response. */
static sample request(const options *opt, const char *target, http_response *resp, char *err,
                      size_t err_size)
{
    double start = now_ms();
    bool ok = http_get(opt->port, target, opt->timeout_ms, resp, err, err_size);
    sample s = {.ms = now_ms() - start, .instantiate_ms = -1, .handler_ms = -1};
    if (ok) {
        s.status = resp->status;
        s.instantiate_ms = server_timing(resp, "instantiate");
        s.handler_ms = server_timing(resp, "handler");
    }
    return s;
}

static void *normal_main(void *arg)
{
    run *r = arg;
    const options *opt = r->opt;
    http_response resp = {0};
    char err[160];
    for (;;) {
        uint64_t i = atomic_fetch_add(&r->next, 1);
        if (i >= opt->requests)
            break;
        const char *target = opt->targets[i % opt->target_count];
        sample s = request(opt, target, &resp, err, sizeof err);
        r->samples[i] = s;
        if (s.status == 0)
            note_error(r, "%s: %s", target, err);
        else if (s.status != opt->expect)
            note_error(r, "%s: status %d, expected %d", target, s.status, opt->expect);
    }
    http_response_free(&resp);
    return NULL;
}

static void *runaway_main(void *arg)
{
    run *r = arg;
    http_response resp = {0};
    char err[160];
    while (!atomic_load(&r->done)) {
        sample s = request(r->opt, r->opt->runaway, &resp, err, sizeof err);
        pthread_mutex_lock(&r->lock);
        if (r->runaway_count == r->runaway_cap) {
            size_t cap = r->runaway_cap ? r->runaway_cap * 2 : 64;
            sample *grown = realloc(r->runaway, cap * sizeof *grown);
            if (grown == NULL) {
                pthread_mutex_unlock(&r->lock);
                break;
            }
            r->runaway = grown;
            r->runaway_cap = cap;
        }
        r->runaway[r->runaway_count++] = s;
        pthread_mutex_unlock(&r->lock);
    }
    http_response_free(&resp);
    return NULL;
}

/* ---- Statistics ---- */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct summary {
    size_t n;
    double p50, p90, p99, max, mean;
} summary;

typedef enum field { LATENCY, INSTANTIATE, HANDLER } field;

static double field_of(const sample *s, field f)
{
    return f == LATENCY ? s->ms : f == INSTANTIATE ? s->instantiate_ms : s->handler_ms;
}

/* Nearest-rank percentiles of field f of the n samples, leaving out negative values
 * (unknown). */
static summary summarise(const sample *s, size_t n, field f)
{
    summary sum = {0};
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (v == NULL)
        return sum;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        double x = field_of(&s[i], f);
        if (x >= 0) {
            v[sum.n++] = x;
            total += x;
        }
    }
    if (sum.n > 0) {
        qsort(v, sum.n, sizeof *v, by_value);
#define RANK(p) v[(size_t)ceil((p) / 100.0 * (double)sum.n) - 1]
        sum.p50 = RANK(50);
        sum.p90 = RANK(90);
        sum.p99 = RANK(99);
#undef RANK
        sum.max = v[sum.n - 1];
        sum.mean = total / (double)sum.n;
    }
    free(v);
    return sum;
}

/* "200 x998, 503 x2": the statuses of the n samples (0 = no response), at most 8 kinds. */
static void status_counts(const sample *s, size_t n, bool json, char *out, size_t out_size)
{
    int codes[8];
    size_t counts[8], kinds = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < kinds && codes[k] != s[i].status)
            k++;
        if (k == kinds) {
            if (kinds == 8)
                continue;
            codes[kinds] = s[i].status;
            counts[kinds++] = 0;
        }
        counts[k]++;
    }
    size_t used = 0;
    out[0] = '\0';
    for (size_t k = 0; k < kinds && used < out_size; k++) {
        int w = json ? snprintf(out + used, out_size - used, "%s\"%d\": %zu", k ? ", " : "",
                                codes[k], counts[k])
                     : snprintf(out + used, out_size - used, "%s%d x%zu", k ? ", " : "", codes[k],
                                counts[k]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* ---- Command line ---- */

static const char usage[] =
    "usage: request_load --port N [--connections N] [--requests N] [--warmup N]\n"
    "                    [--runaway TARGET] [--expect STATUS] [--timeout-ms N] [--json]\n"
    "                    TARGET...\n"
    "\n"
    "Sends GET requests to http://127.0.0.1:PORT, one per connection, cycling through the\n"
    "TARGETs (e.g. /hello?name=load), and reports requests per second and latencies.\n"
    "  --connections N  requests in flight at once (default 2)\n"
    "  --requests N     requests in all (default 2000), after --warmup N untimed ones\n"
    "  --runaway T      one more connection sends T back to back meanwhile, reported apart\n"
    "  --expect S       the status every normal request must get (default 200)\n"
    "  --timeout-ms N   per request (default 30000)\n"
    "  --json           one JSON object on stdout instead of text\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("request_load: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    fputs(usage, stderr);
    return 2;
}

static bool number(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    if (*text < '0' || *text > '9')
        return false;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static int parse_options(int argc, char **argv, options *opt)
{
    *opt = (options){.connections = 2, .requests = 2000, .expect = 200, .timeout_ms = 30000};
    uint64_t port = 0;
    int first_target = argc;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(arg, "--json") == 0) {
            opt->json = true;
            continue;
        }
        if (arg[0] != '-') {
            first_target = i;
            break;
        }
        if (i + 1 == argc)
            return usage_error("%s needs a value", arg);
        const char *value = argv[++i];
        uint64_t v = 0;
        bool ok;
        if (strcmp(arg, "--port") == 0) {
            ok = number(value, 1, 65535, &port);
        } else if (strcmp(arg, "--connections") == 0) {
            ok = number(value, 1, CONNECTIONS_MAX, &v);
            opt->connections = (unsigned)v;
        } else if (strcmp(arg, "--requests") == 0) {
            ok = number(value, 1, 100000000, &opt->requests);
        } else if (strcmp(arg, "--warmup") == 0) {
            ok = number(value, 0, 100000000, &opt->warmup);
        } else if (strcmp(arg, "--expect") == 0) {
            ok = number(value, 100, 599, &v);
            opt->expect = (int)v;
        } else if (strcmp(arg, "--timeout-ms") == 0) {
            ok = number(value, 1, 3600000, &v);
            opt->timeout_ms = (int)v;
        } else if (strcmp(arg, "--runaway") == 0) {
            ok = value[0] == '/';
            opt->runaway = value;
        } else {
            return usage_error("unknown option '%s'", arg);
        }
        if (!ok)
            return usage_error("%s: bad value '%s'", arg, value);
    }
    if (port == 0)
        return usage_error("--port is required");
    if (first_target == argc)
        return usage_error("no TARGET to request");
    for (int i = first_target; i < argc; i++)
        if (argv[i][0] != '/')
            return usage_error("TARGET '%s' does not start with '/'", argv[i]);
    opt->port = (uint16_t)port;
    opt->targets = argv + first_target;
    opt->target_count = (size_t)(argc - first_target);
    return -1;
}

int main(int argc, char **argv)
{
    options opt;
    int status = parse_options(argc, argv, &opt);
    if (status >= 0)
        return status;

    /* Warm-up: the server's pool slots, page tables and caches, the client's too. */
    http_response resp = {0};
    char err[160];
    for (uint64_t i = 0; i < opt.warmup; i++) {
        const char *target = opt.targets[i % opt.target_count];
        sample s = request(&opt, target, &resp, err, sizeof err);
        if (s.status != opt.expect) {
            fprintf(stderr, "request_load: warm-up %s: %s\n", target,
                    s.status == 0 ? err : "unexpected status");
            http_response_free(&resp);
            return 1;
        }
    }
    http_response_free(&resp);

    static run r; /* zeroed */
    r.opt = &opt;
    r.samples = calloc(opt.requests, sizeof *r.samples);
    if (r.samples == NULL) {
        fprintf(stderr, "request_load: out of memory\n");
        return 1;
    }
    pthread_mutex_init(&r.lock, NULL);
    pthread_t threads[CONNECTIONS_MAX + 1];
    unsigned started = 0;
    bool runaway_started = false;
    pthread_t runaway_thread;
    if (opt.runaway != NULL)
        runaway_started = pthread_create(&runaway_thread, NULL, runaway_main, &r) == 0;
    double start = now_ms();
    for (; started < opt.connections; started++)
        if (pthread_create(&threads[started], NULL, normal_main, &r) != 0)
            break;
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    double seconds = (now_ms() - start) / 1e3;
    atomic_store(&r.done, true);
    if (runaway_started)
        pthread_join(runaway_thread, NULL);
    if (started == 0 || (opt.runaway != NULL && !runaway_started)) {
        fprintf(stderr, "request_load: cannot start threads\n");
        return 1;
    }

    char statuses[200], runaway_statuses[200];
    status_counts(r.samples, opt.requests, opt.json, statuses, sizeof statuses);
    status_counts(r.runaway, r.runaway_count, opt.json, runaway_statuses, sizeof runaway_statuses);
    summary normal = summarise(r.samples, opt.requests, LATENCY);
    summary inst = summarise(r.samples, opt.requests, INSTANTIATE);
    summary handler = summarise(r.samples, opt.requests, HANDLER);
    summary runaway = summarise(r.runaway, r.runaway_count, LATENCY);
    double rps = (double)opt.requests / seconds;
    uint64_t errors = atomic_load(&r.errors);
    if (opt.json) {
        printf("{\"requests\": %" PRIu64 ", \"connections\": %u, \"seconds\": %.6f, "
               "\"rps\": %.1f, \"latency_ms\": {\"p50\": %.4f, \"p90\": %.4f, \"p99\": %.4f, "
               "\"max\": %.4f, \"mean\": %.4f}, \"statuses\": {%s}, \"errors\": %" PRIu64,
               opt.requests, opt.connections, seconds, rps, normal.p50, normal.p90, normal.p99,
               normal.max, normal.mean, statuses, errors);
        if (inst.n > 0)
            printf(", \"server_timing_ms\": {\"instantiate\": {\"p50\": %.4f, \"p99\": %.4f}, "
                   "\"handler\": {\"p50\": %.4f, \"p99\": %.4f}}",
                   inst.p50, inst.p99, handler.p50, handler.p99);
        if (opt.runaway != NULL)
            printf(", \"runaway\": {\"target\": \"%s\", \"requests\": %zu, \"latency_ms\": "
                   "{\"p50\": %.4f, \"p99\": %.4f, \"max\": %.4f}, \"statuses\": {%s}}",
                   opt.runaway, r.runaway_count, runaway.p50, runaway.p99, runaway.max,
                   runaway_statuses);
        printf("}\n");
    } else {
        printf("%" PRIu64 " requests over %u connections in %.3f s: %.0f requests/s\n"
               "latency: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms (mean %.3f ms)\n"
               "statuses: %s\n",
               opt.requests, opt.connections, seconds, rps, normal.p50, normal.p90, normal.p99,
               normal.max, normal.mean, statuses);
        if (inst.n > 0)
            printf("server timing: instantiate p50 %.1f us, p99 %.1f us; handler p50 %.1f us, "
                   "p99 %.1f us\n",
                   inst.p50 * 1e3, inst.p99 * 1e3, handler.p50 * 1e3, handler.p99 * 1e3);
        if (opt.runaway != NULL)
            printf("runaway %s: %zu requests, latency p50 %.1f ms, max %.1f ms; statuses: %s\n",
                   opt.runaway, r.runaway_count, runaway.p50, runaway.max, runaway_statuses);
    }
    if (errors != 0)
        fprintf(stderr, "request_load: %" PRIu64 " requests failed; the first: %s\n", errors,
                r.first_error);
    free(r.samples);
    free(r.runaway);
    pthread_mutex_destroy(&r.lock);
    return errors == 0 ? 0 : 1;
}
