/* kt_native.c -- kt.h on the host (POSIX threads, libc): the reference build. */
#define _DEFAULT_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "kt.h"

struct kt_thread {
    pthread_t thread;
};

kt_thread *kt_thread_create(void *(*fn)(void *), void *arg, size_t stack_size)
{
    (void)stack_size;
    kt_thread *t = calloc(1, sizeof *t);
    if (t != NULL && pthread_create(&t->thread, NULL, fn, arg) != 0) {
        free(t);
        t = NULL;
    }
    return t;
}

void *kt_thread_join(kt_thread *t)
{
    void *result = NULL;
    pthread_join(t->thread, &result);
    free(t);
    return result;
}

void kt_mutex_lock(kt_mutex *m)
{
    pthread_mutex_lock(&m->m);
}

void kt_mutex_unlock(kt_mutex *m)
{
    pthread_mutex_unlock(&m->m);
}

void kt_cond_wait(kt_cond *c, kt_mutex *m)
{
    pthread_cond_wait(&c->c, &m->m);
}

void kt_cond_signal(kt_cond *c)
{
    pthread_cond_signal(&c->c);
}

void kt_cond_broadcast(kt_cond *c)
{
    pthread_cond_broadcast(&c->c);
}

void *kt_alloc(size_t size)
{
    return calloc(1, size);
}

void kt_free(void *p)
{
    free(p);
}

void kt_yield(void)
{
    sched_yield();
}

void kt_write(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

_Noreturn void kt_exit(int status)
{
    _exit(status);
}

int main(int argc, char **argv)
{
    return kt_main(argc, argv);
}
