/* baremetal_compat.h -- what runtime_impl.h takes from <pthread.h> and <signal.h>, for the
 * single-threaded bare-metal runtime (KILN_PLATFORM=baremetal, os_baremetal.c).
 *
 * Locks are no-ops, one-time initialisation is a flag, and the trap boundary's
 * sigsetjmp/siglongjmp are plain setjmp/longjmp (there is no signal mask to save). Included
 * only by runtime_impl.h, only when KILN_BAREMETAL is defined.
 */
#ifndef KILN_RUNTIME_BAREMETAL_COMPAT_H
#define KILN_RUNTIME_BAREMETAL_COMPAT_H

#include <setjmp.h>
#include <stddef.h>

typedef int pthread_mutex_t;
typedef int pthread_once_t;
#define PTHREAD_MUTEX_INITIALIZER 0
#define PTHREAD_ONCE_INIT         0

static inline int pthread_mutex_init(pthread_mutex_t *m, const void *attr)
{
    (void)attr;
    *m = 0;
    return 0;
}
static inline int pthread_mutex_destroy(pthread_mutex_t *m)
{
    (void)m;
    return 0;
}
static inline int pthread_mutex_lock(pthread_mutex_t *m)
{
    (void)m;
    return 0;
}
static inline int pthread_mutex_unlock(pthread_mutex_t *m)
{
    (void)m;
    return 0;
}
static inline int pthread_once(pthread_once_t *once, void (*fn)(void))
{
    if (*once == 0) {
        *once = 1;
        fn();
    }
    return 0;
}

typedef jmp_buf sigjmp_buf;
#define sigsetjmp(env, save_mask) setjmp(env)
#define siglongjmp(env, value)    longjmp(env, value)

/* kiln_thread records the alternate signal stack it replaced; there is none here. */
typedef struct kiln_no_altstack {
    void *ss_sp;
    int ss_flags;
    size_t ss_size;
} stack_t;

#endif
