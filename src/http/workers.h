/*
 * workers.h - a fixed pool of threads running queued tasks in arrival order.
 *
 * The HTTP server hands requests that write to this pool so that libmicrohttpd's few
 * event threads never wait for the disk: many writes in flight at once is also what lets
 * the store commit them together (store/sqlite_commit.c).
 */
#ifndef GL_HTTP_WORKERS_H
#define GL_HTTP_WORKERS_H

typedef void (*gl_task_fn)(void *arg);

struct gl_workers;

/* Starts n threads; NULL when none could be started. */
struct gl_workers *gl_workers_start(unsigned n);
/* Queues fn(arg); returns 0, or -1 when out of memory or stopping. */
int gl_workers_submit(struct gl_workers *w, gl_task_fn fn, void *arg);
/* Runs every queued task and joins the threads; later submits fail, so callers can
 * fall back to running tasks themselves while the pool still exists. Accepts NULL. */
void gl_workers_stop(struct gl_workers *w);
/* Frees a pool (stopping it first if needed). Accepts NULL. */
void gl_workers_free(struct gl_workers *w);

#endif
