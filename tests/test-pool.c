/* test-pool.c - the thread pool (asyncio.to_thread / run_in_executor) and
 * blocking calls on the loop's thread.
 *
 * Checked: the order of a program mixing pool jobs and loop tasks, against
 * its Python twin (tests/py/pool_overlap.py, on real time) and on both
 * clocks; that jobs really overlap (lanes in the trace); that the pool has
 * a size and queues the rest; errors and cancellation; that a blocking call
 * in a coroutine shows as one long step and fires the slow-step warning
 * (and only then); misuse messages; and that virtual runs are repeatable. */
#include "harness-internal.h"

#include <math.h>

#define ck_assert_lacks(hay, needle)                                                               \
    ck_assert_msg(strstr((hay), (needle)) == NULL, "did not expect \"%s\" in:\n%s", (needle), (hay))

static double unit = 0.2;

/* Runs main on a fresh loop; returns stdout, sets *err to stderr and *trace
 * to the text trace (either may be NULL), *rc to what the loop reported. */
static char *run(ll_coro_fn main, ll_clock clock, double slow, char **err, char **trace, int *rc) {
    return run_loop(main, clock, slow, "/tmp/looplab-test-pool-last.trace", err, trace, rc);
}

static size_t count(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ---- pool_overlap.py ---------------------------------------------------------- */

static ll_value crunch(ll_value n) {
    ll_blocking_sleep((double)n.i * unit); /* time.sleep(n * UNIT) */
    ll_print("crunch %lld: end", (long long)n.i);
    return ll_int(n.i * 10);
}

static ll_value ticker(LL_NOARGS) {
    for (int i = 0; i < 4; i++) {
        ll_print("tick %d", i);
        LL_TRY(ll_sleep(unit * 1.25));
    }
    return ll_none();
}

static ll_value overlap_main(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_coro(ticker), "ticker");
    ll_print("handing two jobs to the pool");
    ll_value r =
        ll_await(ll_gather(ll_to_thread(crunch, ll_int(3)), ll_to_thread(crunch, ll_int(2))));
    ll_print("results %s", ll_repr(r));
    LL_TRY(ll_await(t));
    ll_print("ticker finished");
    return ll_none();
}

static const char overlap_expected[] =
    "handing two jobs to the pool\ntick 0\ntick 1\ncrunch 2: end\ntick 2\ncrunch 3: end\n"
    "results [30, 20]\ntick 3\nticker finished\n";

START_TEST(overlap_prints_what_python_prints) {
    char *py = run_py_real("tests/py/pool_overlap.py");
    ck_assert_same_output(py, overlap_expected);
    unit = 0.2;
    char *out = run(overlap_main, LL_CLOCK_VIRTUAL, 0, NULL, NULL, NULL);
    ck_assert_same_output(out, overlap_expected);
    free(out);
    free(py);
}
END_TEST

/* Where a line is in the output (NULL: not there). */
static const char *at(const char *out, const char *line) {
    const char *p = strstr(out, line);
    ck_assert_msg(p != NULL, "no '%s' in:\n%s", line, out);
    return p;
}

/* On the real clock the exact interleaving of ticks and job ends rests on
 * margins of a tenth of a second, which a loaded machine or a checker
 * eats (tick 2 came before crunch 2 under ASan on a busy host); the
 * virtual clock pins the whole order above.  Here: what holds on any
 * machine, with a wide margin: the loop kept ticking while the jobs ran
 * (tick 1, due at 1.25 units, before the 3-unit job ended), and the
 * gather's result came after both jobs and before the ticker's end. */
START_TEST(overlap_same_order_on_real_clock) {
    unit = getenv("LOOPLAB_UNDER_TSAN") ? 0.5 : under_checker() ? 0.2 : 0.08;
    int rc;
    char *out = run(overlap_main, LL_CLOCK_REAL, 0, NULL, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    const char *hand = at(out, "handing two jobs to the pool\n"), *t1 = at(out, "tick 1\n");
    const char *c2 = at(out, "crunch 2: end\n"), *c3 = at(out, "crunch 3: end\n");
    const char *res = at(out, "results [30, 20]\n"), *fin = at(out, "ticker finished\n");
    ck_assert_msg(hand < t1 && t1 < c3, "the loop did not tick while the jobs ran:\n%s", out);
    ck_assert_msg(c2 < res && c3 < res && res < fin, "the gather's result came early:\n%s", out);
    ck_assert_int_eq(count(out, "tick "), 4);
    free(out);
}
END_TEST

/* Both jobs run at once: each lane starts before either ends, the jobs end
 * at 0.4 s and 0.6 s of loop time (not 1.0 s), on two different workers. */
START_TEST(jobs_overlap_on_separate_lanes) {
    unit = 0.2;
    char *trace;
    char *out = run(overlap_main, LL_CLOCK_VIRTUAL, 0, NULL, &trace, NULL);
    const char *s1 = strstr(trace, "job_start    job="), *e1 = strstr(trace, "job_end ");
    ck_assert_ptr_nonnull(s1);
    ck_assert_ptr_nonnull(e1);
    ck_assert_ptr_nonnull(strstr(s1 + 1, "job_start    job="));
    ck_assert_msg(strstr(s1 + 1, "job_start    job=") < e1,
                  "second job started after the first ended (/tmp/looplab-test-pool-last.trace)");
    ck_assert_has(trace, "worker=1");
    ck_assert_has(trace, "worker=2");
    ck_assert_has(trace, "job_submit   job=");
    ck_assert_has(trace, "fn=\"crunch\"");
    ck_assert_has(trace, "wait         on=job");
    ck_assert_has(trace, "reason=job_done");
    /* The worker's print is recorded with its lane. */
    ck_assert_has(trace, "text=\"crunch 2: end\" job=");
    ck_assert_has(trace, "0.400000000  4:Task-4         job_end");
    ck_assert_has(trace, "0.600000000  3:Task-3         job_end");
    /* And the trace reads back. */
    ll_trace t;
    char err[256];
    ck_assert_msg(ll_trace_parse(&t, "pool", trace, strlen(trace), err, sizeof err) == 0, "%s",
                  err);
    ll_trace_free(&t);
    free(trace);
    free(out);
}
END_TEST

/* On the real clock, what a libuv callback records carries the time it
 * ran at: a job's end is stamped when the job really ended, not when the
 * loop started waiting for it, and times never go backwards. */
START_TEST(real_clock_events_carry_the_time_they_happened) {
    unit = getenv("LOOPLAB_UNDER_TSAN") ? 0.5
           : under_checker()            ? 0.2
                                        : 0.08; /* stretched for the checkers */
    char *trace;
    char *out = run(overlap_main, LL_CLOCK_REAL, 0, NULL, &trace, NULL);
    double start[64] = {0}, longest = 0, last = 0;
    for (const char *p = trace; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        double t;
        char who[64], kind[32];
        unsigned job;
        if (sscanf(p, " %lf %63s %31s job=%u", &t, who, kind, &job) != 4 &&
            sscanf(p, " %lf", &t) != 1)
            continue;
        if (p[0] != ' ')
            continue; /* header lines */
        ck_assert_msg(t >= last, "time went back to %.9f after %.9f", t, last);
        last = t;
        if (sscanf(p, " %lf %63s %31s job=%u", &t, who, kind, &job) == 4 && job < 64) {
            if (strcmp(kind, "job_start") == 0)
                start[job] = t;
            else if (strcmp(kind, "job_end") == 0 && t - start[job] > longest)
                longest = t - start[job];
        }
    }
    /* crunch(3) sleeps 3 units on its worker. */
    ck_assert_msg(longest >= 3 * unit * 0.95, "longest job lasted %.3f s in the trace, ran %.3f s",
                  longest, 3 * unit);
    free(trace);
    free(out);
}
END_TEST

/* Two virtual runs give the same trace, event for event (wall times aside:
 * the dump has none). */
START_TEST(virtual_runs_are_repeatable) {
    unit = 0.2;
    char *a, *b;
    free(run(overlap_main, LL_CLOCK_VIRTUAL, 0, NULL, &a, NULL));
    for (int i = 0; i < 5; i++) {
        free(run(overlap_main, LL_CLOCK_VIRTUAL, 0, NULL, &b, NULL));
        /* Skip the header, which holds the start time. */
        ck_assert_same_output(strstr(b, "\n@events") ? strstr(b, "\n@events") : b,
                              strstr(a, "\n@events") ? strstr(a, "\n@events") : a);
        free(b);
    }
    free(a);
}
END_TEST

/* ---- more jobs than workers ------------------------------------------------------ */

static ll_value one_unit(ll_value n) {
    ll_blocking_sleep(unit);
    return n;
}

static ll_value six_main(LL_NOARGS) {
    void *aws[6];
    for (int i = 0; i < 6; i++)
        aws[i] = ll_to_thread(one_unit, ll_int(i));
    ll_value r = ll_await(ll_gatherv(aws, 6, false));
    ll_print("%s at %.2f", ll_repr(r), ll_time());
    return ll_none();
}

START_TEST(the_pool_has_four_workers_and_queues_the_rest) {
    setenv("UV_THREADPOOL_SIZE", "4", 1);
    ck_assert_int_eq(ll_thread_pool_size(), 4);
    unit = 0.5;
    char *trace;
    char *out = run(six_main, LL_CLOCK_VIRTUAL, 0, NULL, &trace, NULL);
    /* Four at once, then two more: 2 rounds of 0.5 s. */
    ck_assert_str_eq(out, "[0, 1, 2, 3, 4, 5] at 1.00\n");
    ck_assert_uint_eq(count(trace, "job_start"), 6);
    ck_assert_uint_eq(count(trace, "worker=5"), 0);
    /* The fifth starts on the first lane to come free, at 0.5 s. */
    ck_assert_has(trace, "0.500000000  6:Task-6         job_start    job=6 worker=1");
    free(trace);
    free(out);
    unsetenv("UV_THREADPOOL_SIZE");
}
END_TEST

/* Without UV_THREADPOOL_SIZE the pool is as big as Python's default
 * executor: min(32, cores + 4). */
START_TEST(the_default_pool_is_pythons_size) {
    unsetenv("UV_THREADPOOL_SIZE");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long want = cores + 4 < 32 ? cores + 4 : 32;
    ck_assert_int_eq(ll_thread_pool_size(), want);
    setenv("UV_THREADPOOL_SIZE", "2", 1);
    ck_assert_int_eq(ll_thread_pool_size(), 2);
    setenv("UV_THREADPOOL_SIZE", "nonsense", 1);
    ck_assert_int_eq(ll_thread_pool_size(), want);
    unsetenv("UV_THREADPOOL_SIZE");
}
END_TEST

/* ---- a string made on a worker ---------------------------------------------------- */

/* ll_format off the loop writes to the worker thread's few rotating
 * buffers; a job's str result must still read as it was when the job
 * returned, after that thread has run more jobs (lesson 14's slow_report). */
static ll_value page_name(ll_args args) {
    return ll_str(ll_format("page %lld", ll_arg_int(args, 0)));
}

enum { N_PAGES = 133 }; /* more than 4 jobs per thread on a pool of up to 32 */

static ll_value pages_main(LL_NOARGS) {
    void *aws[N_PAGES];
    for (int i = 0; i < N_PAGES; i++)
        aws[i] = ll_to_thread(page_name, i);
    ll_value r = ll_await(ll_gatherv(aws, N_PAGES, false));
    LL_TRY(r);
    for (int i = 0; i < N_PAGES; i++)
        ll_print("%s", ll_list_at(r, (size_t)i).s);
    return ll_none();
}

START_TEST(a_str_made_on_a_worker_outlives_its_next_jobs) {
    char *out = run(pages_main, LL_CLOCK_VIRTUAL, 0, NULL, NULL, NULL);
    char want[N_PAGES * 12], *w = want;
    for (int i = 0; i < N_PAGES; i++)
        w += sprintf(w, "page %d\n", i);
    ck_assert_str_eq(out, want);
    free(out);
}
END_TEST

/* ---- errors and cancellation ---------------------------------------------------- */

static ll_value fails(ll_value n) {
    ll_blocking_sleep(unit);
    return ll_raise(LL_EVALUE, "bad input %lld", (long long)n.i);
}

static ll_value error_main(LL_NOARGS) {
    ll_value r = ll_await(ll_to_thread(fails, ll_int(7)));
    ll_print("awaiting it gave %s: %s", ll_err_name(r.err), ll_errmsg(r));
    ll_future *f = ll_run_in_executor(fails, ll_int(8));
    r = ll_await(ll_gather_return_exceptions(f, ll_to_thread(one_unit, ll_int(1))));
    ll_print("gather: %s", ll_repr(r));
    return ll_none();
}

START_TEST(a_failing_job_raises_at_the_await) {
    unit = 0.1;
    int rc;
    char *trace;
    char *out = run(error_main, LL_CLOCK_VIRTUAL, 0, NULL, &trace, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "awaiting it gave ValueError: bad input 7\n"
                          "gather: [ValueError('bad input 8'), 1]\n");
    ck_assert_has(trace, "outcome=error value=\"bad input 7\"");
    free(trace);
    free(out);
}
END_TEST

static int side_effects;

static ll_value counted(ll_value n) {
    ll_blocking_sleep(unit);
    side_effects++;
    ll_print("job %lld ran", (long long)n.i);
    return n;
}

static ll_value awaits_job(ll_value n) {
    ll_value r = ll_await(ll_to_thread(counted, n));
    if (ll_is_cancelled(r))
        ll_print("awaiter %lld: cancelled", (long long)n.i);
    return r;
}

static ll_value cancel_main(LL_NOARGS) {
    ll_task *t[5];
    for (int i = 0; i < 5; i++)
        t[i] = ll_create_task(ll_coro(awaits_job, i), NULL);
    LL_TRY(ll_sleep(unit / 2));
    ll_task_cancel(t[0]); /* running: it runs to the end, its result is dropped */
    ll_task_cancel(t[4]); /* still waiting for a worker: it never starts */
    ll_value r = ll_await(ll_gather_return_exceptions(t[0], t[1], t[2], t[3], t[4]));
    ll_print("%s", ll_repr(r));
    return ll_none();
}

START_TEST(cancelling_a_job_that_has_not_started_drops_it) {
    setenv("UV_THREADPOOL_SIZE", "4", 1); /* the fifth job waits for a worker */
    unit = 0.2;
    side_effects = 0;
    int rc;
    char *trace;
    char *out = run(cancel_main, LL_CLOCK_VIRTUAL, 0, NULL, &trace, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "awaiter 0: cancelled\nawaiter 4: cancelled\njob 0 ran\njob 1 ran\n"
                          "job 2 ran\njob 3 ran\n"
                          "[CancelledError(), 1, 2, 3, CancelledError()]\n");
    ck_assert_int_eq(side_effects, 4);
    ck_assert_has(trace, "worker=0 outcome=cancelled");
    free(trace);
    free(out);
    unsetenv("UV_THREADPOOL_SIZE");
}
END_TEST

/* On the real clock a cancelled task whose job is still running: the loop
 * waits for the worker before it closes (asyncio.run does the same). */
static ll_value abandon_main(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_coro(awaits_job, 9), NULL);
    LL_TRY(ll_sleep(unit / 4));
    ll_task_cancel(t);
    ll_value r = ll_await(t);
    ll_print("main sees %s", ll_err_name(r.err));
    return ll_none();
}

START_TEST(the_loop_waits_for_a_running_job_before_closing) {
    unit = 0.2;
    side_effects = 0;
    int rc;
    char *trace;
    char *out = run(abandon_main, LL_CLOCK_REAL, 0, NULL, &trace, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "awaiter 9: cancelled\nmain sees CancelledError\njob 9 ran\n");
    /* The job ran to its end after main had finished. */
    ck_assert_int_eq(side_effects, 1);
    free(trace);
    free(out);
}
END_TEST

/* ---- blocking the loop ------------------------------------------------------------ */

static int block_line;

static ll_value polite(LL_NOARGS) {
    for (int i = 0; i < 3; i++) {
        ll_print("polite %d at %.2f", i, ll_time());
        LL_TRY(ll_sleep(0.1));
    }
    return ll_none();
}

static ll_value rude(LL_NOARGS) {
    ll_print("rude blocks");
    block_line = __LINE__ + 1;
    ll_blocking_sleep(0.35); /* time.sleep(0.35) */
    ll_print("rude is back at %.2f", ll_time());
    return ll_none();
}

static ll_value block_main(LL_NOARGS) {
    LL_TRY(ll_await(ll_gather(ll_coro(polite), ll_coro(rude))));
    return ll_none();
}

START_TEST(a_blocking_call_stalls_every_task_and_warns) {
    char *err, *trace;
    int rc;
    char *out = run(block_main, LL_CLOCK_VIRTUAL, 0, &err, &trace, &rc);
    ck_assert_int_eq(rc, 0); /* a warning, not a failure */
    /* polite's 0.1 s sleep should end at 0.1; it ends when rude lets go. */
    ck_assert_str_eq(out, "polite 0 at 0.00\nrude blocks\nrude is back at 0.35\n"
                          "polite 1 at 0.35\npolite 2 at 0.45\n");
    char where[64];
    snprintf(where, sizeof where, "test-pool.c:%d: in task 'Task-3'", block_line);
    ck_assert_has(err, where);
    ck_assert_has(err, "held the thread for 0.350 s");
    ck_assert_has(trace, "blocking     for=0.350000000");
    ck_assert_has(trace, "kind=slow_step");
    ck_assert_uint_eq(count(err, "slow-step"), 1);
    free(out);
    free(err);
    free(trace);
}
END_TEST

START_TEST(slow_step_limit_is_configurable) {
    char *err;
    /* A limit above the stall: silent. */
    char *out = run(block_main, LL_CLOCK_VIRTUAL, 0.5, &err, NULL, NULL);
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    /* Negative: off. */
    out = run(block_main, LL_CLOCK_VIRTUAL, -1, &err, NULL, NULL);
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    /* The environment sets the default. */
    setenv("LOOPLAB_SLOW_STEP", "0.3", 1);
    out = run(block_main, LL_CLOCK_VIRTUAL, 0, &err, NULL, NULL);
    ck_assert_has(err, "slow-step limit 0.300 s");
    free(out);
    free(err);
    unsetenv("LOOPLAB_SLOW_STEP");
}
END_TEST

START_TEST(blocking_on_the_real_clock_takes_real_time) {
    char *err;
    int rc;
    char *out = run(block_main, LL_CLOCK_REAL, 0, &err, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    /* Order, and clock readings that can only be later than the blocking
     * (a loaded machine or a checker makes them later, never earlier): the
     * polite task's next tick waits for the rude one to let go. */
    ck_assert_has(out, "polite 0 at ");
    ck_assert_has(out, "\nrude blocks\nrude is back at ");
    ck_assert_has(out, "\npolite 1 at ");
    double back = strtod(strstr(out, "rude is back at ") + 16, NULL);
    double next = strtod(strstr(out, "polite 1 at ") + 12, NULL);
    ck_assert_msg(back >= 0.35 && next >= back, "rude back at %.2f, polite 1 at %.2f:\n%s", back,
                  next, out);
    ck_assert_has(err, "held the thread for ");
    free(out);
    free(err);
}
END_TEST

/* A CPU-bound job (ll_busy) really runs in parallel with another on the
 * real clock; on the virtual clock it lasts exactly what it says. */
static ll_value spin(ll_value n) {
    ll_busy(unit);
    return n;
}

static ll_value busy_main(LL_NOARGS) {
    double t0 = ll_time();
    LL_TRY(ll_await(ll_gather(ll_to_thread(spin, ll_int(1)), ll_to_thread(spin, ll_int(2)))));
    ll_print("%.3f", ll_time() - t0);
    return ll_none();
}

START_TEST(busy_jobs_take_their_time) {
    unit = 0.25;
    char *out = run(busy_main, LL_CLOCK_VIRTUAL, 0, NULL, NULL, NULL);
    ck_assert_str_eq(out, "0.250\n");
    free(out);
    char *trace;
    out = run(busy_main, LL_CLOCK_REAL, 0, NULL, &trace, NULL);
    /* On the real clock they run side by side: both jobs start (on two
     * lanes) before either ends.  The trace shows it; a stopwatch would
     * only show it on an idle machine. */
    const char *s1 = strstr(trace, " job_start ");
    const char *s2 = s1 ? strstr(s1 + 1, " job_start ") : NULL;
    const char *e1 = strstr(trace, " job_end ");
    ck_assert_msg(s1 && s2 && e1 && s2 < e1, "the jobs did not overlap:\n%s", trace);
    /* A lane belongs to a worker thread for the whole process: with
     * CK_FORK=no, earlier tests' jobs have already taken lanes 1, 2, ...
     * What matters is that two different workers started them. */
    const char *w1 = strstr(s1, "worker="), *w2 = strstr(s2 + 1, "worker=");
    ck_assert_msg(w1 && w2, "job_start without its worker:\n%s", trace);
    long l1 = strtol(w1 + 7, NULL, 10), l2 = strtol(w2 + 7, NULL, 10);
    ck_assert_msg(l1 >= 1 && l2 >= 1, "lanes %ld and %ld:\n%s", l1, l2, trace);
    if (!under_checker()) /* Valgrind runs one thread at a time: one worker may take both */
        ck_assert_msg(l1 != l2, "both jobs started on lane %ld:\n%s", l1, trace);
    free(trace);
    free(out);
}
END_TEST

/* ---- misuse ---------------------------------------------------------------------- */

static int misuse_line;

static ll_value nested(LL_NOARGS) {
    ll_future *f = ll_run_in_executor(one_unit, ll_int(0));
    return ll_bool(f == NULL);
}

static ll_value misuse_main(LL_NOARGS) {
    misuse_line = __LINE__ + 1;
    ll_future *f = ll_run_in_executor(NULL);
    ll_print("NULL function: %s", f ? "accepted" : "refused");
    ll_blocking_sleep(-1);
    ll_blocking_sleep(NAN);
    ll_value r = ll_await(ll_to_thread(nested));
    ll_print("a job starting a job: %s", r.i ? "refused" : "accepted");
    return ll_none();
}

START_TEST(misuse_is_reported_with_the_line) {
    unit = 0.01;
    char *err;
    int rc;
    char *out = run(misuse_main, LL_CLOCK_VIRTUAL, 0, &err, NULL, &rc);
    ck_assert_str_eq(out, "NULL function: refused\na job starting a job: refused\n");
    char where[64];
    snprintf(where, sizeof where, "test-pool.c:%d: in task 'Task-1'", misuse_line);
    ck_assert_has(err, where);
    ck_assert_has(err, "no function to run on the thread pool");
    ck_assert_has(err, "ll_blocking_sleep() length must be a non-negative number");
    ck_assert_uint_eq(count(err, "non-negative"), 2);
    ck_assert_has(err, "a job on a worker thread cannot start jobs");
    free(out);
    free(err);
    /* Outside any loop. */
    capture e;
    capture_begin(&e, 2);
    ll_future *f = ll_run_in_executor(one_unit, ll_int(0));
    char *es = capture_end(&e);
    ck_assert_ptr_null(f);
    ck_assert_has(es, "needs a running event loop");
    free(es);
}
END_TEST

int main(void) {
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("order");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, overlap_prints_what_python_prints);
    tcase_add_test(tc, overlap_same_order_on_real_clock);
    tcase_add_test(tc, jobs_overlap_on_separate_lanes);
    tcase_add_test(tc, real_clock_events_carry_the_time_they_happened);
    tcase_add_test(tc, virtual_runs_are_repeatable);
    tcase_add_test(tc, the_pool_has_four_workers_and_queues_the_rest);
    tcase_add_test(tc, the_default_pool_is_pythons_size);
    tcase_add_test(tc, a_str_made_on_a_worker_outlives_its_next_jobs);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_failing_job_raises_at_the_await);
    tcase_add_test(tc, cancelling_a_job_that_has_not_started_drops_it);
    tcase_add_test(tc, the_loop_waits_for_a_running_job_before_closing);
    tcase_add_test(tc, misuse_is_reported_with_the_line);
    suite_add_tcase(s, tc);
    tc = tcase_create("blocking");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_blocking_call_stalls_every_task_and_warns);
    tcase_add_test(tc, slow_step_limit_is_configurable);
    tcase_add_test(tc, blocking_on_the_real_clock_takes_real_time);
    tcase_add_test(tc, busy_jobs_take_their_time);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
