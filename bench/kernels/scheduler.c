/* scheduler.c -- an object-oriented task scheduler in C, in the manner of the classic
 * operating-system simulation benchmarks: tasks of four kinds (idle, worker, two handlers,
 * two devices) are heap objects with a table of methods, exchange packets through linked
 * queues, and a scheduler loop picks the highest-priority runnable task and calls its run
 * method through a function pointer. Small functions, indirect calls and pointer chasing, no
 * loop worth vectorising: what object-oriented programs look like to a compiler.
 */
#include <stdlib.h>

#include "bench.h"

enum { KIND_WORK, KIND_DEVICE };
enum { ID_IDLE, ID_WORK, ID_HANDLER_A, ID_HANDLER_B, ID_DEVICE_A, ID_DEVICE_B, TASKS };

typedef struct packet {
    struct packet *next;
    int owner; /* the task it is sent to */
    int kind;
    int count;
    uint8_t data[4];
} packet;

typedef struct task task;
typedef struct scheduler scheduler;

typedef struct task_methods {
    /* Runs the task with the packet it was given (NULL if none); returns the task to run next. */
    task *(*run)(scheduler *s, task *t, packet *p);
} task_methods;

struct task {
    const task_methods *m;
    task *next_in_list; /* all tasks, highest priority first */
    int id, priority;
    packet *queue; /* packets sent to it */
    int waiting, held;
    /* Per-kind state: */
    int counter;     /* idle: runs left; worker: next handler; handlers: data index */
    uint32_t seed;   /* idle */
    packet *pending; /* handlers: a device packet; devices: the packet in work */
    packet *work;    /* handlers: the work packet in progress */
};

struct scheduler {
    task *list;
    task *by_id[TASKS];
    task *current;
    uint64_t queued, holds, events;
};

static packet *new_packet(packet *next, int owner, int kind)
{
    packet *p = calloc(1, sizeof *p);
    if (!p)
        exit(2);
    p->next = next;
    p->owner = owner;
    p->kind = kind;
    return p;
}

static int runnable(const task *t)
{
    return !t->held && (!t->waiting || t->queue != NULL);
}

/* Appends p to the queue of task id; returns the task to run next (the receiver if it now
 * outranks the current one). */
static task *send(scheduler *s, packet *p, int id)
{
    task *t = s->by_id[id];
    s->queued++;
    p->next = NULL;
    p->owner = s->current->id;
    if (t->queue == NULL) {
        t->queue = p;
        if (t->priority > s->current->priority && runnable(t))
            return t;
    } else {
        packet *q = t->queue;
        while (q->next)
            q = q->next;
        q->next = p;
    }
    return s->current;
}

static task *wait_self(scheduler *s)
{
    s->current->waiting = 1;
    return s->current;
}

static task *hold_self(scheduler *s)
{
    s->holds++;
    s->current->held = 1;
    return s->current->next_in_list;
}

static task *release(scheduler *s, int id)
{
    task *t = s->by_id[id];
    t->held = 0;
    return t->priority > s->current->priority ? t : s->current;
}

static task *idle_run(scheduler *s, task *t, packet *p)
{
    (void)p;
    if (--t->counter == 0)
        return hold_self(s);
    if ((t->seed & 1) == 0) {
        t->seed >>= 1;
        return release(s, ID_DEVICE_A);
    }
    t->seed = (t->seed >> 1) ^ 0xD008u;
    return release(s, ID_DEVICE_B);
}

static task *worker_run(scheduler *s, task *t, packet *p)
{
    if (p == NULL)
        return wait_self(s);
    t->counter = t->counter == ID_HANDLER_A ? ID_HANDLER_B : ID_HANDLER_A;
    p->count = 0;
    for (int i = 0; i < 4; i++) {
        t->seed = t->seed % 26 + 1;
        p->data[i] = (uint8_t)('A' + t->seed - 1);
    }
    return send(s, p, t->counter);
}

static task *handler_run(scheduler *s, task *t, packet *p)
{
    if (p != NULL) {
        if (p->kind == KIND_WORK) {
            p->next = t->work;
            t->work = p;
        } else {
            p->next = t->pending;
            t->pending = p;
        }
    }
    if (t->work != NULL) {
        packet *w = t->work;
        if (w->count >= 4) {
            t->work = w->next;
            return send(s, w, ID_WORK);
        }
        if (t->pending != NULL) {
            packet *d = t->pending;
            t->pending = d->next;
            d->count = w->data[w->count++];
            return send(s, d, t->id == ID_HANDLER_A ? ID_DEVICE_A : ID_DEVICE_B);
        }
    }
    return wait_self(s);
}

static task *device_run(scheduler *s, task *t, packet *p)
{
    if (p == NULL) {
        if (t->pending == NULL)
            return wait_self(s);
        packet *done = t->pending;
        t->pending = NULL;
        return send(s, done, done->owner);
    }
    s->events += (uint64_t)p->count;
    t->pending = p;
    return hold_self(s);
}

static const task_methods idle_methods = {idle_run}, worker_methods = {worker_run},
                          handler_methods = {handler_run}, device_methods = {device_run};

static void add_task(scheduler *s, const task_methods *m, int id, int priority, packet *queue,
                     int waiting, int held)
{
    task *t = calloc(1, sizeof *t);
    if (!t)
        exit(2);
    t->m = m;
    t->id = id;
    t->priority = priority;
    t->queue = queue;
    t->waiting = waiting;
    t->held = held;
    /* The list stays sorted by priority, highest first. */
    task **at = &s->list;
    while (*at && (*at)->priority > priority)
        at = &(*at)->next_in_list;
    t->next_in_list = *at;
    *at = t;
    s->by_id[id] = t;
}

static uint64_t simulate(int idle_runs)
{
    scheduler s = {0};
    add_task(&s, &idle_methods, ID_IDLE, 0, NULL, 0, 0);
    s.by_id[ID_IDLE]->counter = idle_runs;
    s.by_id[ID_IDLE]->seed = 1;
    packet *q = new_packet(new_packet(NULL, ID_WORK, KIND_WORK), ID_WORK, KIND_WORK);
    add_task(&s, &worker_methods, ID_WORK, 1000, q, 1, 0);
    s.by_id[ID_WORK]->counter = ID_HANDLER_A;
    q = new_packet(new_packet(new_packet(NULL, ID_DEVICE_A, KIND_DEVICE), ID_DEVICE_A, KIND_DEVICE),
                   ID_DEVICE_A, KIND_DEVICE);
    add_task(&s, &handler_methods, ID_HANDLER_A, 2000, q, 1, 0);
    q = new_packet(new_packet(new_packet(NULL, ID_DEVICE_B, KIND_DEVICE), ID_DEVICE_B, KIND_DEVICE),
                   ID_DEVICE_B, KIND_DEVICE);
    add_task(&s, &handler_methods, ID_HANDLER_B, 3000, q, 1, 0);
    add_task(&s, &device_methods, ID_DEVICE_A, 4000, NULL, 1, 0);
    add_task(&s, &device_methods, ID_DEVICE_B, 5000, NULL, 1, 0);

    s.current = s.list;
    while (s.current != NULL) {
        task *t = s.current;
        if (!runnable(t)) {
            s.current = t->next_in_list;
            continue;
        }
        packet *p = t->queue;
        if (p != NULL) {
            t->queue = p->next;
            t->waiting = 0;
        }
        s.current = t->m->run(&s, t, p);
    }
    uint64_t h = bench_mix(0, s.queued);
    h = bench_mix(h, s.holds);
    return bench_mix(h, s.events);
}

int main(void)
{
    uint64_t h = 0;
    int rounds = 60 * (int)bench_one;
    for (int r = 0; r < rounds; r++)
        h = bench_mix(h, simulate(100000 + r));
    return bench_report("scheduler", h);
}
