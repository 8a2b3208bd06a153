/* test-models.c - wrong models of asyncio (src/sched/models.c): each one
 * changes exactly the rule it names, so a program run under it prints what
 * a student holding that model predicts; asyncio's own model is untouched;
 * `looplab run --model` and `looplab models` say what they ran and refuse
 * what they cannot. */
#include "harness-internal.h"

#include <sys/wait.h>

/* Runs main_fn on a virtual-clock loop under `model` and returns what it
 * printed (the caller frees it). */
static char *run_under(const char *model, ll_coro *(*make)(void)) {
    setenv("LOOPLAB_MODEL", model, 1);
    capture c;
    capture_begin(&c, 1);
    ll_loop_opts o = {.clock = LL_CLOCK_VIRTUAL};
    ll_loop *loop = ll_loop_new(&o);
    ll_loop_run_until_complete(loop, make());
    ll_loop_close(loop);
    char *out = capture_end(&c);
    unsetenv("LOOPLAB_MODEL");
    return out;
}

/* ---- three tasks made in order, each printing as it starts ---- */
static ll_value speak(ll_value v) {
    ll_print("%s starts", v.s);
    ll_sleep(0);
    ll_print("%s again", v.s);
    return ll_none();
}

static ll_value three(LL_NOARGS) {
    ll_task *a = ll_create_task(ll_coro(speak, "A"), NULL);
    ll_task *b = ll_create_task(ll_coro(speak, "B"), NULL);
    ll_task *c = ll_create_task(ll_coro(speak, "C"), NULL);
    ll_print("main made them");
    ll_await(a);
    ll_await(b);
    ll_await(c);
    ll_print("main done at %.1f", ll_loop_time(ll_get_running_loop()));
    return ll_none();
}
static ll_coro *make_three(void) {
    return ll_coro(three);
}

START_TEST(asyncio_runs_them_in_order_after_main_awaits) {
    char *out = run_under("asyncio", make_three);
    ck_assert_str_eq(out, "main made them\nA starts\nB starts\nC starts\nA again\nB again\n"
                          "C again\nmain done at 0.0\n");
    free(out);
}
END_TEST

START_TEST(lifo_runs_the_newest_first) {
    char *out = run_under("lifo", make_three);
    /* the first pass after main awaits holds C, B, A: newest first; their
     * yields come back in the next pass, again newest first */
    ck_assert_str_eq(out, "main made them\nC starts\nB starts\nA starts\nA again\nB again\n"
                          "C again\nmain done at 0.0\n");
    free(out);
}
END_TEST

/* A loop made to record nothing (the slow web's server thread, a lesson's
 * unrecorded measurements) keeps asyncio's rules under any model: the
 * model predicts the recorded run, and the library's own server would
 * break under it. */
START_TEST(a_loop_that_records_nothing_keeps_asyncios_rules) {
    setenv("LOOPLAB_MODEL", "lifo", 1);
    capture c;
    capture_begin(&c, 1);
    ll_loop_opts o = {.clock = LL_CLOCK_VIRTUAL, .record = -1};
    ll_loop *loop = ll_loop_new(&o);
    ll_loop_run_until_complete(loop, make_three());
    ll_loop_close(loop);
    char *out = capture_end(&c);
    unsetenv("LOOPLAB_MODEL");
    ck_assert_str_eq(out, "main made them\nA starts\nB starts\nC starts\nA again\nB again\n"
                          "C again\nmain done at 0.0\n");
    free(out);
}
END_TEST

START_TEST(eager_runs_each_task_as_it_is_made) {
    char *out = run_under("eager", make_three);
    ck_assert_str_eq(out, "A starts\nB starts\nC starts\nmain made them\nA again\nB again\n"
                          "C again\nmain done at 0.0\n");
    free(out);
}
END_TEST

/* ---- two sleeps gathered: 1 s and 2 s ---- */
static ll_value nap(ll_value v) {
    ll_print("nap %lld starts", (long long)v.i);
    ll_sleep((double)v.i);
    ll_print("nap %lld ends", (long long)v.i);
    return v;
}
static ll_value naps(LL_NOARGS) {
    ll_await(ll_gather(ll_coro(nap, 1), ll_coro(nap, 2)));
    ll_print("took %.1f s", ll_loop_time(ll_get_running_loop()));
    return ll_none();
}
static ll_coro *make_naps(void) {
    return ll_coro(naps);
}

START_TEST(sequential_adds_the_sleeps_up) {
    char *out = run_under("asyncio", make_naps);
    ck_assert_str_eq(out, "nap 1 starts\nnap 2 starts\nnap 1 ends\nnap 2 ends\ntook 2.0 s\n");
    free(out);
    out = run_under("sequential", make_naps);
    ck_assert_str_eq(out, "nap 1 starts\nnap 1 ends\nnap 2 starts\nnap 2 ends\ntook 3.0 s\n");
    free(out);
}
END_TEST

/* ---- two CPU-bound steps gathered ---- */
static ll_value crunch(ll_value v) {
    ll_busy(1.0);
    ll_print("crunch %lld done", (long long)v.i);
    return v;
}
static ll_value crunches(LL_NOARGS) {
    ll_await(ll_gather(ll_coro(crunch, 1), ll_coro(crunch, 2)));
    ll_print("took %.1f s", ll_loop_time(ll_get_running_loop()));
    return ll_none();
}
static ll_coro *make_crunches(void) {
    return ll_coro(crunches);
}

START_TEST(parallel_overlaps_cpu_work) {
    setenv("LOOPLAB_SLOW_STEP", "0", 1); /* the slow-step warning is not what this is about */
    char *out = run_under("asyncio", make_crunches);
    ck_assert_str_eq(out, "crunch 1 done\ncrunch 2 done\ntook 2.0 s\n");
    free(out);
    out = run_under("parallel", make_crunches);
    ck_assert_str_eq(out, "crunch 1 done\ncrunch 2 done\ntook 1.0 s\n");
    free(out);
    unsetenv("LOOPLAB_SLOW_STEP");
}
END_TEST

/* ---- await of a coroutine ---- */
static ll_value greet(LL_NOARGS) {
    ll_sleep(1);
    ll_print("hello");
    return ll_str("greeted");
}
static ll_value awaiting(LL_NOARGS) {
    ll_value v = ll_await(ll_coro(greet));
    ll_print("await gave '%s' at %.1f", v.s, ll_loop_time(ll_get_running_loop()));
    ll_sleep(2);
    return ll_none();
}
static ll_coro *make_awaiting(void) {
    return ll_coro(awaiting);
}

START_TEST(await_background_goes_straight_on) {
    char *out = run_under("asyncio", make_awaiting);
    ck_assert_str_eq(out, "hello\nawait gave 'greeted' at 1.0\n");
    free(out);
    out = run_under("await-background", make_awaiting);
    ck_assert_str_eq(out, "await gave '' at 0.0\nhello\n");
    free(out);
}
END_TEST

/* The trace says which model it ran under; asyncio's says nothing. */
START_TEST(the_trace_names_its_model) {
    for (int k = 0; k < 2; k++) {
        char path[] = "/tmp/looplab-models-XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        close(fd);
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "'%s' run 1 --trace '%s' %s 2>&1", LL_CLI, path,
                 k ? "--model lifo" : "");
        int st;
        char *out = read_command(cmd, &st);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", out);
        if (k)
            ck_assert_has(out, "Coroutine started with delay: 2\nCoroutine started with delay: 1");
        free(out);
        ll_trace t;
        char err[256];
        ck_assert_msg(ll_trace_load(&t, path, err, sizeof err) == 0, "%s", err);
        if (k)
            ck_assert_str_eq(t.meta.model, "lifo");
        else
            ck_assert_ptr_null(t.meta.model);
        ll_trace_free(&t);
        unlink(path);
    }
}
END_TEST

START_TEST(the_commands_report_and_refuse) {
    int st;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' models 3 2>&1", LL_CLI);
    char *out = read_command(cmd, &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", out);
    ck_assert_has(out, "asyncio: asyncio as it is");
    ck_assert_has(out, "sequential: one task at a time, start to finish");
    ck_assert_has(out, "lifo: the ready queue is last-in first-out");
    ck_assert_has(out, "parallel: tasks run in parallel");
    ck_assert_has(out, "the same output as asyncio: this lesson does not tell them apart");
    ck_assert_has(out, "      this model expects tea: ready");
    free(out);
    static const struct {
        const char *args, *says;
        int status;
    } bad[] = {
        {"run 1 --model stack", "no model 'stack'; the models are asyncio, eager", 2},
        {"run --model lifo tests/py/seed_gather.py", "--model runs the C library's scheduler", 2},
        {"models", "usage: looplab models LESSON", 2},
        {"models 'x;y'", "no lesson 'x;y'", 2},
        {"models 999", "could not run lesson '999'", 2},
        {"models 3 --fast", "unknown option '--fast'", 2},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", LL_CLI, bad[k].args);
        out = read_command(cmd, &st);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == bad[k].status, "%s: status %d: %s",
                      bad[k].args, WEXITSTATUS(st), out);
        ck_assert_has(out, bad[k].says);
        free(out);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("models");
    TCase *tc = tcase_create("models");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, asyncio_runs_them_in_order_after_main_awaits);
    tcase_add_test(tc, lifo_runs_the_newest_first);
    tcase_add_test(tc, a_loop_that_records_nothing_keeps_asyncios_rules);
    tcase_add_test(tc, eager_runs_each_task_as_it_is_made);
    tcase_add_test(tc, sequential_adds_the_sleeps_up);
    tcase_add_test(tc, parallel_overlaps_cpu_work);
    tcase_add_test(tc, await_background_goes_straight_on);
    tcase_add_test(tc, the_trace_names_its_model);
    tcase_add_test(tc, the_commands_report_and_refuse);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
