/* threadpool.c - blocking work on libuv's thread pool (asyncio.to_thread),
 * and blocking calls made on the loop's own thread (time.sleep in a
 * coroutine).
 *
 * A job is a future (kind LL__FK_JOB) plus a uv_work_t.  Its function runs
 * on a libuv worker; when libuv hands the job back to the loop's thread
 * (after_work), the loop queues a `job_done` callback that completes the
 * future, and the future's done callback wakes the awaiting task: two trips
 * through the ready queue, as asyncio's call_soon_threadsafe +
 * _chain_future take.
 *
 * Every job has a lane (its worker) in the trace: job_submit when asked for,
 * job_start when a worker picks it up, job_end when it is back.
 *
 * The two clocks differ in how a job's time passes:
 *   - real clock: the job runs when libuv runs it.  Its start and its prints
 *     reach the loop through a mutex-guarded inbox and a uv_async_t, so the
 *     trace shows them as they happen; prints go to stdout at once.
 *   - virtual clock: the pool is simulated by N virtual workers (N = libuv's
 *     pool size).  A job is handed to libuv only when a virtual worker is
 *     free, and starts at that virtual moment.  Its duration is the sum of
 *     its ll_blocking_sleep / ll_busy calls; its prints are held back with
 *     their offsets.  While any job is out on libuv the virtual clock may not
 *     jump (the loop waits for it, for real: its duration is not known yet).
 *     Once it is back, timers replay its prints at start + offset and end it
 *     at start + duration.  So a virtual run is the same on every run, and
 *     takes only as long as the real computation. */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

enum { JOB_WAITING = 0, JOB_RUNNING, JOB_RESOLVED, JOB_ENDED };

typedef struct ll__job ll__job;

/* Something a worker did that the loop records: a start, a print, a note. */
typedef struct ll__jmsg {
    struct ll__jmsg *next;
    ll__job *job;
    uint16_t kind; /* LL_EV_JOB_START, LL_EV_PRINT, LL_EV_NOTE */
    int worker;
    int64_t off; /* virtual: ns into the job */
    const char *file;
    int line;
    ll__timer timer; /* virtual: replays it at start + off */
    size_t len;
    char text[];
} ll__jmsg;

struct ll__job {
    ll_future fut; /* LL__FK_JOB: what the awaiting task waits on */
    uv_work_t req;
    ll_loop *loop;
    bool real;     /* the loop's clock, read by the worker */
    uint8_t phase; /* JOB_WAITING .. JOB_ENDED */

    ll_blocking_fn fn;
    ll_value arg;
    ll_value result;
    char *text; /* an error's message or a str result, copied on
                   the worker: ll_format off the loop writes to
                   the thread's rotating scratch buffers */
    const char *fn_name;
    uint32_t owner;              /* the submitting task's id */
    int worker;                  /* lane 1..; 0 until it starts */
    int64_t vdur;                /* virtual: its ll_blocking_sleep / ll_busy time */
    int64_t vstart;              /* virtual: when it started */
    ll__jmsg *msgs, **msgs_tail; /* virtual: its prints and notes, in order */
    ll__timer end_timer;         /* virtual: fires at vstart + vdur */
    ll__job *next_all;           /* the pool's jobs */
    ll__job *next_wait;          /* virtual: the line for a free worker */
    ll__job *next_resolved;      /* virtual: back, timers not armed yet */
    bool over;                   /* its function has returned, or never will */
    ll_future *over_fut;         /* ll__job_over's future, completed then */
};

struct ll__pool {
    ll_loop *loop;
    uv_async_t inbox_async; /* real clock: a worker has news */
    pthread_mutex_t mu;
    ll__jmsg *inbox, **inbox_tail;
    ll__job *jobs; /* every job, newest first */
    ll__job *wait_head, *wait_tail;
    bool *busy; /* virtual workers */
    int nworkers;
    size_t unresolved; /* out on libuv */
    size_t inflight;   /* future not complete yet */
    ll__job *resolved; /* virtual: back from libuv, not armed yet */
    size_t nresolved;
};

/* The job a worker thread is running, and the worker's lane. */
static _Thread_local ll__job *cur_job;
static _Thread_local int my_lane;
static atomic_int lanes;

int ll_thread_pool_size(void) {
    const char *s = getenv("UV_THREADPOOL_SIZE");
    char *end = NULL;
    long n = s && *s ? strtol(s, &end, 10) : 0;
    if (n < 1 || (end && *end)) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = (cores > 0 ? cores : 1) + 4;
        if (n > 32)
            n = 32;
    }
    return n > 1024 ? 1024 : (int)n;
}

/* libuv reads UV_THREADPOOL_SIZE once, when its pool first starts: tell it
 * the size the virtual workers use, unless the user already has. */
static void set_libuv_size(void) {
    char buf[16];
    snprintf(buf, sizeof buf, "%d", ll_thread_pool_size());
    const char *s = getenv("UV_THREADPOOL_SIZE");
    if (!s || strcmp(s, buf) != 0)
        setenv("UV_THREADPOOL_SIZE", buf, 1);
}

static void pool_size_for_libuv(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, set_libuv_size);
}

/* A job's start or end; `sub` for an end: 0 a result, 1 an error,
 * 2 cancelled (docs/trace-format.md). */
static void rec_job(ll_loop *loop, ll_event_kind kind, const ll__job *j, uint16_t sub) {
    if (!LL__REC(loop))
        return;
    uint32_t str = 0;
    if (kind == LL_EV_JOB_END && sub < 2) {
        ll_value res = j->result;
        if (res.kind == LL_STR && res.s)
            res.s = j->text ? j->text : "";
        str =
            res.kind == LL_ERROR ? ll__str(loop, j->text ? j->text : "") : ll__repr_str(loop, res);
    }
    ll__ev_put(loop, kind,
               (ll__ev_fields){.task = j->owner,
                               .obj = j->fut.id,
                               .aux = (uint32_t)j->worker,
                               .sub = sub,
                               .str = str});
}

/* ---- the worker's side ------------------------------------------------------ */

static void post(ll__job *j, uint16_t kind, const char *file, int line, const char *text,
                 size_t len) {
    ll__jmsg *m = calloc(1, sizeof *m + len + 1);
    if (!m)
        return; /* the event is lost from the trace, the job goes on */
    m->job = j;
    m->kind = kind;
    m->worker = j->worker;
    m->off = j->vdur;
    m->file = file;
    m->line = line;
    m->len = len;
    if (len)
        memcpy(m->text, text, len);
    m->timer.heap_idx = UINT32_MAX;
    if (!j->real) {
        /* Only this worker touches the job until libuv hands it back. */
        *j->msgs_tail = m;
        j->msgs_tail = &m->next;
        return;
    }
    ll__pool *p = j->loop->pool;
    pthread_mutex_lock(&p->mu);
    *p->inbox_tail = m;
    p->inbox_tail = &m->next;
    pthread_mutex_unlock(&p->mu);
    uv_async_send(&p->inbox_async);
}

static void work_cb(uv_work_t *req) {
    ll__job *j = req->data;
    cur_job = j;
    if (j->real) {
        if (!my_lane)
            my_lane = atomic_fetch_add(&lanes, 1) + 1;
        j->worker = my_lane;
        post(j, LL_EV_JOB_START, NULL, 0, NULL, 0);
    }
    ll_value v = j->fn(j->arg);
    /* An error's message or a string may sit in this thread's scratch
     * buffers, which its next jobs overwrite: the loop gets a copy. */
    if (v.kind == LL_ERROR)
        j->text = strdup(ll_errmsg(v));
    else if (v.kind == LL_STR && v.s)
        j->text = strdup(v.s);
    j->result = v;
    cur_job = NULL;
}

void *ll__job_hide(void) {
    ll__job *j = cur_job;
    cur_job = NULL;
    return j;
}

ll_clock ll__job_clock(const void *job) {
    return ((const ll__job *)job)->real ? LL_CLOCK_REAL : LL_CLOCK_VIRTUAL;
}

void ll__job_unhide(void *job, int64_t virtual_ns) {
    ll__job *j = job;
    cur_job = j;
    /* On the virtual clock the job lasts as long as the loop it ran. */
    if (j && !j->real)
        j->vdur = ll__ns_add(j->vdur, virtual_ns);
}

bool ll__job_text(ll_event_kind kind, const char *file, int line, const char *text, size_t len) {
    ll__job *j = cur_job;
    if (!j)
        return false;
    if (j->real && kind == LL_EV_PRINT) {
        flockfile(stdout);
        fwrite(text, 1, len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        funlockfile(stdout);
    }
    post(j, (uint16_t)kind, file, line, text, len);
    return true;
}

/* ---- the loop's side ------------------------------------------------------- */

static void record_msg(ll_loop *loop, ll__jmsg *m) {
    if (m->kind == LL_EV_PRINT && !loop->real) {
        fwrite(m->text, 1, m->len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    if (!LL__REC(loop))
        return;
    if (m->kind == LL_EV_JOB_START) {
        rec_job(loop, LL_EV_JOB_START, m->job, 0);
        return;
    }
    loop->wall = ll__step_wall(loop);
    ll__ev_put(loop, (ll_event_kind)m->kind,
               (ll__ev_fields){.obj = m->job->fut.id,
                               .aux = (uint32_t)m->worker,
                               .str = ll__rec_str(&loop->rec, m->text, m->len),
                               .file = m->file,
                               .line = m->line});
}

/* Real clock: records what the workers posted, in the order they did. */
static void drain(ll__pool *p) {
    pthread_mutex_lock(&p->mu);
    ll__jmsg *m = p->inbox;
    p->inbox = NULL;
    p->inbox_tail = &p->inbox;
    pthread_mutex_unlock(&p->mu);
    while (m) {
        ll__jmsg *next = m->next;
        record_msg(p->loop, m);
        free(m);
        m = next;
    }
}

static void inbox_cb(uv_async_t *a) {
    drain(a->data);
}

/* The ready-queue callback that completes the job's future (asyncio's
 * _set_state through call_soon_threadsafe). */
/* The job's function has returned (or never will run): whoever waits for
 * that through ll__job_over may go on. */
static void mark_over(ll__job *j) {
    j->over = true;
    if (j->over_fut && j->over_fut->state == LL__FUT_PENDING)
        ll__future_complete(j->over_fut, LL__FUT_FINISHED, ll_none());
}

static void job_done_cb(ll_loop *loop, const ll__ready *e) {
    ll__job *j = e->a;
    mark_over(j);
    LL__REC_EV(loop, CB_RUN, j->owner, .obj = j->fut.id, .sub = LL_REASON_JOB_DONE);
    loop->pool->inflight--;
    if (j->fut.state != LL__FUT_PENDING)
        return; /* cancelled while it ran: the result is dropped */
    ll_value v = j->result;
    if (v.kind == LL_ERROR || (v.kind == LL_STR && v.s))
        v.s = ll__arena_strdup(loop, j->text ? j->text : "");
    ll__future_complete(&j->fut, LL__FUT_FINISHED, v);
}

/* The job is over (as the loop sees it): record its end, queue job_done. */
static void job_end(ll_loop *loop, ll__job *j) {
    j->phase = JOB_ENDED;
    rec_job(loop, LL_EV_JOB_END, j, j->result.kind == LL_ERROR ? 1 : 0);
    ll__ready_push(loop, &(ll__ready){job_done_cb, j, NULL, NULL, j->owner, j->fut.id});
    LL__REC_EV(loop, CB_QUEUED, j->owner, .obj = j->fut.id, .sub = LL_REASON_JOB_DONE,
               .aux = (uint32_t)loop->ready.len - 1);
}

static void dispatch(ll_loop *loop);

/* Virtual clock: the end timer fired. */
static void vend_cb(ll_loop *loop, const ll__ready *e) {
    ll__job *j = e->a;
    job_end(loop, j);
    loop->pool->busy[j->worker - 1] = false;
    dispatch(loop);
}

static void vmsg_cb(ll_loop *loop, const ll__ready *e) {
    ll__jmsg *m = e->a;
    record_msg(loop, m);
}

static void arm_direct(ll_loop *loop, ll__timer *t, int64_t when, ll__ready_fn fn, void *a,
                       uint32_t tid) {
    t->id = ll__obj_id(loop);
    t->tid = tid;
    t->direct = true;
    t->fn = fn;
    t->a = a;
    t->b = NULL;
    ll__timer_arm(loop, t, when, NULL, 0);
}

static void after_work_cb(uv_work_t *req, int status) {
    ll__job *j = req->data;
    ll_loop *loop = j->loop;
    ll__pool *p = loop->pool;
    p->unresolved--;
    if (status == UV_ECANCELED) {
        /* Cancelled while still in libuv's queue (real clock). */
        j->phase = JOB_ENDED;
        j->worker = 0;
        p->inflight--;
        mark_over(j);
        rec_job(loop, LL_EV_JOB_END, j, 2);
        return;
    }
    if (loop->real) {
        drain(p); /* its start and prints come before its end */
        job_end(loop, j);
        return;
    }
    /* Its timers are armed by ll__pool_settle, in submission order: jobs
     * come back in whatever order the threads finish, and arming order
     * breaks ties between timers. */
    j->phase = JOB_RESOLVED;
    j->next_resolved = p->resolved;
    p->resolved = j;
    p->nresolved++;
}

static int by_id(const void *a, const void *b) {
    uint32_t x = (*(ll__job *const *)a)->fut.id, y = (*(ll__job *const *)b)->fut.id;
    return x < y ? -1 : x > y;
}

static void arm_job(ll_loop *loop, ll__job *j) {
    for (ll__jmsg *m = j->msgs; m; m = m->next)
        arm_direct(loop, &m->timer, ll__ns_add(j->vstart, m->off), vmsg_cb, m, j->owner);
    arm_direct(loop, &j->end_timer, ll__ns_add(j->vstart, j->vdur), vend_cb, j, j->owner);
}

static void submit(ll_loop *loop, ll__job *j) {
    uv_loop_t *uv = ll__uv_loop(loop);
    j->phase = JOB_RUNNING;
    loop->pool->unresolved++;
    if (uv_queue_work(uv, &j->req, work_cb, after_work_cb) != 0) {
        /* Cannot happen with a valid loop and callbacks; do not hang. */
        loop->pool->unresolved--;
        j->result = ll_raise(LL_EOS, "uv_queue_work failed");
        j->text = strdup("uv_queue_work failed");
        job_end(loop, j);
    }
}

/* Virtual clock: hands waiting jobs to free virtual workers. */
static void dispatch(ll_loop *loop) {
    ll__pool *p = loop->pool;
    while (p->wait_head) {
        int lane = -1;
        for (int i = 0; i < p->nworkers; i++)
            if (!p->busy[i]) {
                lane = i;
                break;
            }
        if (lane < 0)
            return;
        ll__job *j = p->wait_head;
        p->wait_head = j->next_wait;
        if (!p->wait_head)
            p->wait_tail = NULL;
        p->busy[lane] = true;
        j->worker = lane + 1;
        j->vstart = loop->now;
        rec_job(loop, LL_EV_JOB_START, j, 0);
        submit(loop, j);
    }
}

static ll__pool *pool_get(ll_loop *loop) {
    if (loop->pool)
        return loop->pool;
    uv_loop_t *uv = ll__uv_loop(loop);
    if (!uv)
        return NULL;
    ll__pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->loop = loop;
    pool_size_for_libuv();
    p->nworkers = ll_thread_pool_size();
    p->busy = calloc((size_t)p->nworkers, sizeof *p->busy);
    if (!p->busy || uv_async_init(uv, &p->inbox_async, inbox_cb) != 0) {
        free(p->busy);
        free(p);
        return NULL;
    }
    p->inbox_async.data = p;
    /* The inbox alone must not keep the loop alive: jobs do that. */
    uv_unref((uv_handle_t *)&p->inbox_async);
    pthread_mutex_init(&p->mu, NULL);
    p->inbox_tail = &p->inbox;
    loop->pool = p;
    return p;
}

ll_future *ll__run_in_executor(ll_blocking_fn fn, ll_value arg, const char *fn_name,
                               const char *file, int line) {
    ll_loop *loop = ll__running_loop;
    if (cur_job) {
        ll__misuse(NULL, file, line,
                   "RuntimeError: a job on a worker thread cannot start jobs (return to the "
                   "loop first)");
        return NULL;
    }
    if (!loop) {
        ll__misuse(ll__current_loop, file, line,
                   "RuntimeError: ll_run_in_executor() needs a running event loop (call it "
                   "from a coroutine)");
        return NULL;
    }
    if (!fn) {
        ll__misuse(loop, file, line, "TypeError: no function to run on the thread pool (NULL)");
        return NULL;
    }
    ll__pool *p = pool_get(loop);
    ll__job *j = p ? calloc(1, sizeof *j) : NULL;
    if (!j) {
        ll__misuse(loop, file, line, "MemoryError: no memory for a thread-pool job");
        return NULL;
    }
    ll__future_init(&j->fut, loop, LL__MAGIC_FUTURE, LL__FK_JOB, ll__obj_id(loop), file, line);
    j->req.data = j;
    j->loop = loop;
    j->real = loop->real;
    j->fn = fn;
    j->arg = arg;
    j->fn_name = fn_name;
    j->owner = ll__cur_tid(loop);
    j->msgs_tail = &j->msgs;
    j->end_timer.heap_idx = UINT32_MAX;
    j->next_all = p->jobs;
    p->jobs = j;
    p->inflight++;
    LL__REC_EV(loop, JOB_SUBMIT, j->owner, .obj = j->fut.id, .str = ll__str(loop, fn_name),
               .file = file, .line = line);
    if (loop->real) {
        submit(loop, j);
    } else {
        if (p->wait_tail)
            p->wait_tail->next_wait = j;
        else
            p->wait_head = j;
        p->wait_tail = j;
        dispatch(loop);
    }
    return &j->fut;
}

/* ll_to_thread's coroutine: what asyncio.to_thread's body does. */
typedef struct to_thread_args {
    ll_blocking_fn fn;
    ll_value arg;
    const char *fn_name, *file;
    int line;
} to_thread_args;

static ll_value to_thread_body(ll_value p) {
    const to_thread_args *a = p.p;
    ll_future *f = ll__run_in_executor(a->fn, a->arg, a->fn_name, a->file, a->line);
    if (!f)
        return ll_raise(LL_ERUNTIME, "could not hand %s to the thread pool", a->fn_name);
    return ll__await(f, a->file, a->line);
}

ll_coro *ll__to_thread(ll_blocking_fn fn, ll_value arg, const char *fn_name, const char *file,
                       int line) {
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    if (cur_job || !loop) {
        ll__misuse(loop, file, line,
                   cur_job ? "RuntimeError: a job on a worker thread cannot start jobs"
                           : "RuntimeError: ll_to_thread() needs an event loop (call it from "
                             "a coroutine)");
        return NULL;
    }
    /* The arguments live as long as the loop: the coroutine may never run. */
    to_thread_args *a = ll__arena_alloc(loop, sizeof *a);
    size_t n = strlen(fn_name) + sizeof "to_thread()";
    char *name = ll__arena_alloc(loop, n);
    if (!a || !name)
        return NULL;
    snprintf(name, n, "to_thread(%s)", fn_name);
    *a = (to_thread_args){fn, arg, fn_name, file, line};
    return ll__coro_new(to_thread_body, ll_ptr(a), name, file, line);
}

/* ll_to_thread(fn, a, b, ...) and ll_run_in_executor(fn, a, b, ...): both
 * need a loop, so the arguments live in its arena. */
ll_coro *ll__to_threadv(ll_blocking_fn fn, const char *fn_name, size_t n, const ll_value *args,
                        const char *file, int line) {
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    ll_value arg = ll_none();
    void *owned;
    if (loop && !cur_job && !ll__args_pack(loop, fn_name, n, args, &arg, &owned))
        return NULL;
    return ll__to_thread(fn, arg, fn_name, file, line);
}

ll_future *ll__run_in_executorv(ll_blocking_fn fn, const char *fn_name, size_t n,
                                const ll_value *args, const char *file, int line) {
    ll_loop *loop = ll__running_loop;
    ll_value arg = ll_none();
    void *owned;
    if (loop && !cur_job && !ll__args_pack(loop, fn_name, n, args, &arg, &owned))
        return NULL;
    return ll__run_in_executor(fn, arg, fn_name, file, line);
}

void ll__job_cancel(ll_future *f) {
    ll__job *j = (ll__job *)f;
    ll_loop *loop = j->loop;
    ll__pool *p = loop->pool;
    if (j->phase != JOB_WAITING && j->phase != JOB_RUNNING)
        return;
    if (loop->real) {
        /* Succeeds only while the job is still in libuv's queue. */
        uv_cancel((uv_req_t *)&j->req);
        return;
    }
    if (j->phase != JOB_WAITING)
        return;
    ll__job **pp = &p->wait_head, *prev = NULL;
    while (*pp && *pp != j) {
        prev = *pp;
        pp = &(*pp)->next_wait;
    }
    if (!*pp)
        return;
    *pp = j->next_wait;
    if (p->wait_tail == j)
        p->wait_tail = prev;
    j->phase = JOB_ENDED;
    p->inflight--;
    mark_over(j);
    rec_job(loop, LL_EV_JOB_END, j, 2);
}

ll_future *ll__job_over(ll_future *f, const char *file, int line) {
    ll__job *j = (ll__job *)f;
    if (!f || f->kind != LL__FK_JOB || j->over)
        return NULL;
    if (!j->over_fut)
        j->over_fut = ll__future_new(file, line);
    return j->over_fut;
}

size_t ll__pool_unresolved(const ll_loop *loop) {
    return loop->pool ? loop->pool->unresolved : 0;
}
size_t ll__pool_inflight(const ll_loop *loop) {
    return loop->pool ? loop->pool->inflight : 0;
}

void ll__pool_settle(ll_loop *loop) {
    uv_loop_t *uv = ll__uv_loop(loop);
    ll__pool *p = loop->pool;
    if (!p || !p->unresolved)
        return;
    while (p->unresolved)
        uv_run(uv, UV_RUN_ONCE);
    ll__job *one[16], **v = p->nresolved <= 16 ? one : malloc(p->nresolved * sizeof *v);
    size_t n = 0;
    for (ll__job *j = p->resolved; j; j = j->next_resolved)
        if (v)
            v[n++] = j;
        else
            arm_job(loop, j); /* out of memory: deterministic order is lost, not the jobs */
    if (v) {
        qsort(v, n, sizeof *v, by_id);
        for (size_t i = 0; i < n; i++)
            arm_job(loop, v[i]);
        if (v != one)
            free(v);
    }
    p->resolved = NULL;
    p->nresolved = 0;
}

void ll__pool_shutdown(ll_loop *loop) {
    ll__pool *p = loop->pool;
    if (!p)
        return;
    /* asyncio.run waits for the default executor's threads, too. */
    uv_loop_t *uv = ll__uv_loop(loop);
    while (p->unresolved)
        uv_run(uv, UV_RUN_ONCE);
    drain(p);
    uv_close((uv_handle_t *)&p->inbox_async, NULL);
    uv_run(uv, UV_RUN_NOWAIT);
    for (ll__job *j = p->jobs, *next; j; j = next) {
        next = j->next_all;
        if (j->end_timer.heap_idx != UINT32_MAX)
            ll__timer_cancel(loop, &j->end_timer);
        for (ll__jmsg *m = j->msgs, *mn; m; m = mn) {
            mn = m->next;
            if (m->timer.heap_idx != UINT32_MAX)
                ll__timer_cancel(loop, &m->timer);
            free(m);
        }
        ll__future_free_cbs(&j->fut);
        free(j->text);
        free(j);
    }
    pthread_mutex_destroy(&p->mu);
    free(p->busy);
    free(p);
    loop->pool = NULL;
}

/* ---- blocking calls --------------------------------------------------------- */

static void real_block(bool busy, int64_t ns) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!busy) {
        struct timespec d = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
        while (nanosleep(&d, &d) != 0 && errno == EINTR) {
        }
        return;
    }
    /* Real work the compiler cannot drop, until the time is up. */
    volatile uint64_t x = 88172645463325252u;
    for (;;) {
        for (int i = 0; i < 4096; i++)
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        int64_t el = (int64_t)(t.tv_sec - t0.tv_sec) * 1000000000 + (t.tv_nsec - t0.tv_nsec);
        if (el >= ns)
            return;
    }
}

void ll__blocking(bool busy, double seconds, const char *file, int line) {
    const char *what = busy ? "ll_busy" : "ll_blocking_sleep";
    ll_loop *loop = ll__running_loop;
    if (isnan(seconds) || seconds < 0) {
        ll__misuse(loop, file, line, "ValueError: %s() length must be a non-negative number", what);
        return;
    }
    int64_t ns = ll__delay_ns(seconds);
    ll__job *j = cur_job;
    if (j) {
        if (j->real)
            real_block(busy, ns);
        else
            j->vdur = ll__ns_add(j->vdur, ns);
        return;
    }
    if (!loop) {
        real_block(busy, ns);
        return;
    }
    /* Under the "parallel" model a task's blocking work overlaps the
     * others', as a sleep would. */
    if (__builtin_expect(loop->model == LL_MODEL_PARALLEL, 0) && loop->current) {
        ll__sleep(seconds, file, line);
        return;
    }
    /* On the loop's thread: the loop is stuck here, whichever the clock.
     * The event is recorded as the call begins, saying for how long. */
    loop->block_file = file;
    loop->block_line = line;
    if (loop->current) {
        loop->step_blocked = ll__ns_add(loop->step_blocked, ns); /* judged when the step ends */
        loop->step_slow |= LL__SLOW_BLOCKED;
    }
    if (LL__REC(loop)) {
        loop->wall = ll__step_wall(loop);
        LL__EV(loop, BLOCKING, ll__cur_tid(loop), .val = ns, .aux = busy, .file = file,
               .line = line);
    }
    if (loop->real) {
        real_block(busy, ns);
        loop->now = ll__uv_now(loop);
    } else {
        loop->now = ll__ns_add(loop->now, ns);
    }
}

void ll__slow_step(ll_loop *loop, ll_task *t, int64_t ns) {
    const char *file = loop->block_file ? loop->block_file : t->fut.file;
    int line = loop->block_file ? loop->block_line : t->fut.line;
    loop->block_file = NULL;
    ll_task *saved = loop->current;
    loop->current = t;
    ll__warn(loop, LL_WARN_SLOW_STEP, file, line,
             "this step held the thread for %.3f s without awaiting (slow-step limit %.3f s): "
             "no other task or callback could run meanwhile",
             (double)ns / 1e9, (double)loop->slow_ns / 1e9);
    loop->current = saved;
}
