/* misc.c -- a WASI guest for the end-to-end tests: clocks, random, poll_oneoff (through
 * poll() and nanosleep) and proc_exit with a code. Prints only what is deterministic. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c)
{
    struct timespec t;
    if (clock_gettime(c, &t) != 0)
        return -1;
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
    long long real = ns(CLOCK_REALTIME);
    printf("realtime after 2020: %d\n", real > 1577836800LL * 1000000000LL);
    struct timespec res;
    printf("monotonic resolution ok: %d\n",
           clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
    long long t0 = ns(CLOCK_MONOTONIC);
    struct timespec d = {.tv_sec = 0, .tv_nsec = 20 * 1000000};
    printf("nanosleep: %d\n", nanosleep(&d, NULL));
    long long t1 = ns(CLOCK_MONOTONIC);
    printf("slept at least 20ms: %d\n", t1 - t0 >= 20000000LL);
    printf("process cputime ok: %d\n", ns(CLOCK_PROCESS_CPUTIME_ID) >= 0);

    unsigned char a[32], b[32], zero[32] = {0};
    printf("getentropy: %d %d\n", getentropy(a, sizeof a), getentropy(b, sizeof b));
    printf("random differs: %d nonzero: %d\n", memcmp(a, b, sizeof a) != 0,
           memcmp(a, zero, sizeof a) != 0);

    long long p0 = ns(CLOCK_MONOTONIC);
    printf("poll timeout: %d\n", poll(NULL, 0, 30));
    printf("poll waited at least 30ms: %d\n", ns(CLOCK_MONOTONIC) - p0 >= 30000000LL);
    struct pollfd pfd = {.fd = 1, .events = POLLOUT};
    int r = poll(&pfd, 1, 1000);
    printf("poll stdout writable: %d %d\n", r, (pfd.revents & POLLOUT) != 0);
    fflush(stdout);
    exit(42);
}
