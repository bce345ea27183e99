/*
 * workers.c - thread pool (see workers.h).
 *
 * Invariant: tasks are run exactly once, in submission order of dequeueing; stop sets
 * `stopping` and lets the threads drain the queue before they exit, so no submitted task
 * (and no suspended connection waiting on one) is ever dropped.
 */
#include "http/workers.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/banned.h"

struct task {
    gl_task_fn fn;
    void *arg;
    struct task *next;
};

struct gl_workers {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct task *head, *tail;
    bool stopping;
    bool joined;
    unsigned nthreads;
    pthread_t threads[];
};

static void *worker_main(void *arg)
{
    struct gl_workers *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        struct task *t = w->head;
        if (!t)
            break; /* stopping and drained */
        w->head = t->next;
        if (!w->head)
            w->tail = NULL;
        pthread_mutex_unlock(&w->mu);
        t->fn(t->arg);
        free(t);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct gl_workers *gl_workers_start(unsigned n)
{
    struct gl_workers *w = calloc(1, sizeof *w + n * sizeof w->threads[0]);
    if (!w)
        return NULL;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    for (; w->nthreads < n; w->nthreads++)
        if (pthread_create(&w->threads[w->nthreads], NULL, worker_main, w) != 0)
            break;
    if (w->nthreads == 0) {
        gl_workers_free(w);
        return NULL;
    }
    return w;
}

int gl_workers_submit(struct gl_workers *w, gl_task_fn fn, void *arg)
{
    struct task *t = malloc(sizeof *t);
    if (!t)
        return -1;
    *t = (struct task){fn, arg, NULL};
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        free(t);
        return -1;
    }
    if (w->tail)
        w->tail->next = t;
    else
        w->head = t;
    w->tail = t;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

void gl_workers_stop(struct gl_workers *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->joined)
        return;
    for (unsigned i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    w->joined = true;
}

void gl_workers_free(struct gl_workers *w)
{
    if (!w)
        return;
    gl_workers_stop(w);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
