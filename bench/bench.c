/* bench.c - Looplab's side of scripts/bench.
 *
 * The same workloads as bench/bench_asyncio.py, with the same task counts
 * and awaits, so the two can be compared line by line:
 *   task_step   1 000 tasks x 1 000 sleep(0), gathered: ns per task step
 *               (once with recording off, once on);
 *   task_step_ring  the same, recording into a bounded ring (reused memory);
 *   spawn       create 100 000 tasks that return at once, then await each:
 *               ns per task (create + await);
 *   mem_task    RSS per live task with 100 000 tasks asleep: bytes per task;
 *   mem_task_copy  the same in copy stack mode (LL_STACK_COPY);
 *   mem_1m      RSS of 1 000 000 sleeping tasks in copy mode: MiB in all;
 *   task_step_copy  task_step in copy stack mode.
 * Each timing is repeated (--repeat, default 5) and the median printed, one
 * `name: value unit` line each.  A benchmark program, not a timed test: the
 * machines are shared, so only medians of repeated runs mean anything. */
#include <looplab.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- task_step ---- */
enum { STEP_TASKS = 1000, STEP_ROUNDS = 1000 };

static ll_value stepper(LL_NOARGS) {
    for (int i = 0; i < STEP_ROUNDS; i++)
        ll_sleep(0);
    return ll_none();
}

static ll_value step_main(LL_NOARGS) {
    void **aws = malloc(STEP_TASKS * sizeof *aws);
    for (int i = 0; i < STEP_TASKS; i++)
        aws[i] = ll_create_task(ll_coro(stepper), NULL);
    ll_await(ll_gatherv(aws, STEP_TASKS, false));
    free(aws);
    return ll_none();
}

/* Runs fn to completion on a new loop that records nothing, and closes it.
 * The workloads time themselves (the loop's set-up is not theirs). */
static void run_fresh(ll_coro_fn fn, ll_clock clock) {
    ll_loop_opts o = {.clock = clock, .record = -1};
    ll_loop *loop = ll_loop_new(&o);
    ll_loop_run_until_complete(loop, ll_coro(fn));
    ll_loop_close(loop);
}

static double bench_step(int record, int stack_mode) {
    ll_loop_opts o = {
        .clock = LL_CLOCK_VIRTUAL, .record = record ? 1 : -1, .stack_mode = stack_mode};
    ll_loop *loop = ll_loop_new(&o);
    double t0 = now_s();
    ll_loop_run_until_complete(loop, ll_coro(step_main));
    double t = now_s() - t0;
    ll_loop_close(loop);
    return t / ((double)STEP_TASKS * STEP_ROUNDS) * 1e9;
}

/* ---- spawn ---- */
enum { SPAWN_TASKS = 100000 };

static ll_value returns_at_once(ll_value v) { return v; }

static double spawn_elapsed;

static ll_value spawn_main(LL_NOARGS) {
    ll_task **ts = malloc(SPAWN_TASKS * sizeof *ts);
    double t0 = now_s();
    for (int i = 0; i < SPAWN_TASKS; i++)
        ts[i] = ll_create_task(ll_coro(returns_at_once, i), NULL);
    for (int i = 0; i < SPAWN_TASKS; i++)
        ll_await(ts[i]);
    spawn_elapsed = now_s() - t0;
    free(ts);
    return ll_none();
}

static double bench_spawn(void) {
    run_fresh(spawn_main, LL_CLOCK_VIRTUAL);
    return spawn_elapsed / SPAWN_TASKS * 1e9;
}

/* ---- mem_task ---- */
enum { MEM_TASKS = 100000 };
static int mem_tasks = MEM_TASKS;

static long rss_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

static ll_value long_sleeper(LL_NOARGS) {
    LL_TRY(ll_sleep(3600)); /* cancelled at the end: pass that on */
    return ll_none();
}

static double mem_per_task;

static ll_value mem_main(LL_NOARGS) {
    ll_task **ts = malloc((size_t)mem_tasks * sizeof *ts);
    long before = rss_bytes();
    for (int i = 0; i < mem_tasks; i++)
        ts[i] = ll_create_task(ll_coro(long_sleeper), NULL);
    ll_sleep(0);
    ll_sleep(0);
    long after = rss_bytes();
    mem_per_task = (double)(after - before) / mem_tasks;
    for (int i = 0; i < mem_tasks; i++)
        ll_task_cancel(ts[i]);
    for (int i = 0; i < mem_tasks; i++)
        ll_await(ts[i]);
    free(ts);
    return ll_none();
}

static double bench_mem(int ntasks, int stack_mode) {
    mem_tasks = ntasks;
    ll_loop_opts o = {.clock = LL_CLOCK_VIRTUAL, .record = -1, .stack_mode = stack_mode};
    ll_loop *loop = ll_loop_new(&o);
    ll_loop_run_until_complete(loop, ll_coro(mem_main));
    ll_loop_close(loop);
    return mem_per_task;
}

/* to_thread: a trivial function handed to the thread pool and awaited, in
 * batches of 1000 gathered at once: what a round trip through a worker
 * thread costs the loop. */
enum { JOB_BATCH = 1000, JOB_BATCHES = 10 };

static ll_value noop_job(ll_value v) { return v; }

static double jobs_elapsed;

static ll_value jobs_main(LL_NOARGS) {
    static void *aws[JOB_BATCH];
    double t0 = now_s();
    for (int b = 0; b < JOB_BATCHES; b++) {
        for (int i = 0; i < JOB_BATCH; i++)
            aws[i] = ll_to_thread(noop_job, ll_int(i));
        ll_value r = ll_await(ll_gatherv(aws, JOB_BATCH, false));
        if (ll_failed(r))
            return r;
    }
    jobs_elapsed = now_s() - t0;
    return ll_none();
}

static double bench_jobs(void) {
    run_fresh(jobs_main, LL_CLOCK_REAL);
    return jobs_elapsed * 1e6 / (JOB_BATCH * JOB_BATCHES);
}

/* lock: an uncontended Lock acquire + release (nothing waits, so acquire
 * returns at once, as asyncio's does). */
enum { LOCK_OPS = 5000000, PING_ROUNDS = 100000 };

static double lock_elapsed;

static ll_value lock_main(LL_NOARGS) {
    ll_lock *l = ll_lock_new(NULL);
    double t0 = now_s();
    for (int i = 0; i < LOCK_OPS; i++) {
        ll_lock_acquire(l);
        ll_lock_release(l);
    }
    lock_elapsed = now_s() - t0;
    return ll_none();
}

static double bench_lock(void) {
    run_fresh(lock_main, LL_CLOCK_VIRTUAL);
    return lock_elapsed * 1e9 / LOCK_OPS;
}

/* queue_pingpong: two tasks hand an item back and forth through two
 * queues; one round = two puts, two gets and two task switches. */
static ll_queue *ping_q, *pong_q;
static double ping_elapsed;

static ll_value ponger(LL_NOARGS) {
    for (int i = 0; i < PING_ROUNDS; i++) {
        ll_value v = ll_queue_get(ping_q);
        if (ll_failed(v))
            return v;
        ll_queue_put(pong_q, v);
    }
    return ll_none();
}

static ll_value ping_main(LL_NOARGS) {
    ping_q = ll_queue_new(0, NULL);
    pong_q = ll_queue_new(0, NULL);
    ll_task *t = ll_create_task(ll_coro(ponger), NULL);
    double t0 = now_s();
    for (int i = 0; i < PING_ROUNDS; i++) {
        ll_queue_put(ping_q, ll_int(i));
        ll_value v = ll_queue_get(pong_q);
        if (ll_failed(v))
            return v;
    }
    ping_elapsed = now_s() - t0;
    return ll_await(t);
}

static double bench_ping(void) {
    run_fresh(ping_main, LL_CLOCK_VIRTUAL);
    return ping_elapsed * 1e9 / PING_ROUNDS;
}

static bool wanted(const char *only, const char *name) {
    if (!only)
        return true;
    size_t n = strlen(name);
    for (const char *p = only; (p = strstr(p, name)) != NULL; p += n)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

static double bench_step_plain(void) { return bench_step(0, LL_STACK_OWN); }
static double bench_step_rec(void) { return bench_step(1, LL_STACK_OWN); }
static double bench_step_copy(void) { return bench_step(0, LL_STACK_COPY); }
/* Recording into a bounded ring (LOOPLAB_TRACE_RING, 65 536 events: three
 * 2 MiB chunks, reused): what recording costs when its memory is reused, as
 * bench/floor.c's floor_rec reuses its buffer and as a streamed trace's
 * recorder reuses chunks it has written out.  task_step_rec keeps every
 * event, so each step also pays for 96 bytes of memory the kernel must
 * clear first. */
static double bench_step_ring(void) {
    setenv("LOOPLAB_TRACE_RING", "65536", 1);
    double v = bench_step(1, LL_STACK_OWN);
    unsetenv("LOOPLAB_TRACE_RING");
    return v;
}

/* The timed workloads, in the order they are printed: name, the run that
 * returns one figure, and how the median is printed. */
static const struct {
    const char *name;
    double (*run)(void);
    const char *fmt;
} timed[] = {
    {"task_step", bench_step_plain, "%.1f ns/step"},
    {"task_step_rec", bench_step_rec, "%.1f ns/step"},
    {"task_step_copy", bench_step_copy, "%.1f ns/step"},
    {"task_step_ring", bench_step_ring, "%.1f ns/step"},
    {"spawn", bench_spawn, "%.1f ns/task"},
    {"to_thread", bench_jobs, "%.2f us/job"},
    {"lock", bench_lock, "%.1f ns/op"},
    {"queue_pingpong", bench_ping, "%.1f ns/round"},
};

int main(int argc, char **argv) {
    int repeat = 5;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--repeat N] [--only NAME,...]\n"
                            "names: task_step, task_step_rec, spawn, to_thread, lock, "
                            "queue_pingpong, task_step_copy, task_step_ring, mem_task, mem_task_copy, mem_1m\n", argv[0]);
            return 2;
        }
    }
    if (repeat < 1 || repeat > 100) {
        fprintf(stderr, "%s: --repeat must be between 1 and 100\n", argv[0]);
        return 2;
    }
    double v[100];
    for (size_t k = 0; k < sizeof timed / sizeof timed[0]; k++) {
        if (!wanted(only, timed[k].name))
            continue;
        for (int i = 0; i < repeat; i++)
            v[i] = timed[k].run();
        printf("%s: ", timed[k].name);
        printf(timed[k].fmt, median(v, repeat));
        putchar('\n');
        fflush(stdout);
    }
    /* Memory is measured once, best in a fresh process (scripts/bench runs
     * it with --only mem_task). */
    if (wanted(only, "mem_task")) {
        printf("mem_task: %.0f bytes/task\n", bench_mem(MEM_TASKS, LL_STACK_OWN));
        fflush(stdout);
    }
    if (wanted(only, "mem_task_copy")) {
        printf("mem_task_copy: %.0f bytes/task\n", bench_mem(MEM_TASKS, LL_STACK_COPY));
        fflush(stdout);
    }
    if (wanted(only, "mem_1m")) {
        double per = bench_mem(1000000, LL_STACK_COPY);
        printf("mem_1m: %.0f MiB\n", per * 1e6 / (1024.0 * 1024.0));
        fprintf(stderr, "mem_1m: %.0f bytes/task\n", per);
        fflush(stdout);
    }
    return 0;
}
