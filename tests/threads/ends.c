/* ends.c -- how a wasi-threads process ends: ends MODE.
 *
 *   trap    a thread traps (unreachable) while the main thread waits for it forever:
 *           the process ends with 134 and "kiln: trap: unreachable ..."
 *   exit    a thread calls proc_exit(7) while the main thread waits forever: status 7
 *   return  the main thread returns (status 5) while a thread spins forever: status 5
 *   spin    the main thread and a thread spin forever: only a timeout ends it (124)
 *   many    starts threads that wait forever until thread-spawn fails, prints how many
 *           started and exits 0 with them still waiting
 */
#include "kt.h"

static int32_t never; /* nobody changes it */
static kt_mutex lock = KT_MUTEX_INIT;
static kt_cond cond = KT_COND_INIT;

static void wait_forever(void)
{
    kt_mutex_lock(&lock);
    for (;;)
        kt_cond_wait(&cond, &lock);
}

static void spin_forever(void)
{
    while (__atomic_load_n(&never, __ATOMIC_SEQ_CST) == 0)
        ;
}

__attribute__((noinline)) static void *trapping_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        kt_yield(); /* let the main thread reach its wait */
    __builtin_trap();
}

static void *exiting_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        kt_yield();
    kt_exit(7);
}

static void *spinning_thread(void *arg)
{
    (void)arg;
    spin_forever();
    return NULL;
}

static void *waiting_thread(void *arg)
{
    (void)arg;
    wait_forever();
    return NULL;
}

static int is(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

int kt_main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (is(mode, "trap") || is(mode, "exit")) {
        if (kt_thread_create(is(mode, "trap") ? trapping_thread : exiting_thread, NULL, 0) == NULL)
            return 1;
        wait_forever();
    }
    if (is(mode, "return") || is(mode, "spin")) {
        if (kt_thread_create(spinning_thread, NULL, 0) == NULL)
            return 1;
        if (is(mode, "spin"))
            spin_forever();
        return 5;
    }
    if (is(mode, "many")) {
        unsigned n = 0;
        while (kt_thread_create(waiting_thread, NULL, 16384) != NULL)
            n++;
        kt_printf("started %u threads, then thread-spawn failed\n", n);
        return 0;
    }
    kt_printf("usage: ends trap|exit|return|spin|many\n");
    return 2;
}
