/* test-checks.c - the exercises' checks language (src/trace/checks.c) on
 * traces written by hand: what each property counts, where it says a run
 * first fails, and the lines a checks file may not hold.  The exercises
 * themselves, run through `looplab check`, are tests/py/test_exercises.py. */
#include "trace/checks.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two workers and the main task: w1 and w2 sleep together from 0 to 1 s,
 * main waits on the gather; then a Python runtime task (no parent,
 * shutdown_asyncgens) that no property may count. */
static const char *const TRACE =
    "looplab-trace 1.6\n"
    "@language \"python\"\n"
    "0.000000000 - loop_start clock=\"virtual\"\n"
    "0.000000000 1:Task-1 task_new name=\"Task-1\" coro=\"main\" at=a.py:20\n"
    "0.000000000 1:Task-1 run behind=0\n"
    "0.000000000 2:w1 task_new name=\"w1\" coro=\"work\" parent=1 at=a.py:12\n"
    "0.000000000 3:w2 task_new name=\"w2\" coro=\"work\" parent=1 at=a.py:13\n"
    "0.000000000 1:Task-1 wait on=gather obj=9 at=a.py:14\n"
    "0.000000000 2:w1 run behind=1\n"
    "0.000000000 2:w1 print text=\"w1 start\" at=a.py:5\n"
    "0.000000000 2:w1 wait on=sleep obj=4 until=1.000000000 at=a.py:6\n"
    "0.000000000 3:w2 run behind=0\n"
    "0.000000000 3:w2 blocking for=0.300000000 at=a.py:8\n"
    "0.000000000 3:w2 wait on=sleep obj=5 until=1.000000000 at=a.py:6\n"
    "1.000000000 2:w1 ready reason=sleep_done pos=0 obj=4\n"
    "1.000000000 3:w2 ready reason=sleep_done pos=1 obj=5\n"
    "1.000000000 2:w1 run behind=1\n"
    "1.000000000 2:w1 done result=\"1\"\n"
    "1.000000000 3:w2 run behind=0\n"
    "1.000000000 3:w2 cancelled\n"
    "1.000000000 1:Task-1 ready reason=future_done pos=0 obj=9\n"
    "1.000000000 1:Task-1 run behind=0\n"
    "1.000000000 1:Task-1 print text=\"done: [1]\" at=a.py:15\n"
    "1.000000000 1:Task-1 done result=\"None\"\n"
    "1.000000000 4:Task-4 task_new name=\"Task-4\" coro=\"shutdown_asyncgens\" at=a.py:20\n"
    "1.000000000 4:Task-4 cancelled\n"
    "1.000000000 - loop_stop iterations=5\n"
    "1.000000000 - run_end how=closed detail=\"exited with status 0\"\n"
    "@end events=26\n";

static ll_trace trace;

static void load(void) {
    char err[512] = "";
    int rc = ll_trace_parse(&trace, "t.trace", TRACE, strlen(TRACE), err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
}

static void unload(void) {
    ll_trace_free(&trace);
}

/* Decides the one property of `line`; the event it names is returned 1-based
 * (0: none). */
static size_t decide(const char *line, ll_check_result *r) {
    ll_checks cs;
    char err[512] = "";
    ck_assert_msg(ll_checks_parse(&cs, "c.txt", ".", line, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(cs.n, 1);
    ll_check_eval(&cs.v[0], &trace, r);
    ll_checks_free(&cs);
    return r->event == SIZE_MAX ? 0 : r->event + 1;
}

static void ck_has(const char *s, const char *want) {
    ck_assert_msg(strstr(s, want), "'%s' not in '%s'", want, s);
}

START_TEST(waiting_tasks_are_counted_from_wait_to_ready) {
    ll_check_result r;
    decide("max-waiting sleep 2", &r);
    ck_assert(r.pass);
    ck_has(r.why, "up to 2 tasks waited on sleep at once");
    /* The second sleeper is the one too many: event 12, w2's wait. */
    ck_assert_uint_eq(decide("max-waiting sleep 1", &r), 12);
    ck_assert(!r.pass);
    decide("min-waiting sleep 2", &r);
    ck_assert(r.pass);
    ck_assert_uint_eq(decide("min-waiting sleep 3", &r), 26);
    ck_has(r.why, "never 3");
}
END_TEST

START_TEST(a_long_step_or_blocking_call_is_found) {
    ll_check_result r;
    ck_assert_uint_eq(decide("max-step 100", &r), 11); /* the blocking event */
    ck_has(r.why, "300 ms");
    decide("max-step 300", &r);
    ck_assert(r.pass);
}
END_TEST

START_TEST(runtime_tasks_are_not_the_programs) {
    ll_check_result r;
    /* w2 was cancelled; Task-4 (asyncio.run's) was too, and is not counted. */
    decide("cancelled w2", &r);
    ck_assert_msg(r.pass, "%s", r.why);
    ck_assert_uint_eq(decide("cancelled none", &r), 18);
    ck_has(r.why, "w2 was cancelled");
    /* all-done names the wait the cancelled task was in. */
    ck_assert_uint_eq(decide("all-done", &r), 18);
    ck_has(r.why, "w2 was cancelled");
    decide("cancelled w1 w2", &r);
    ck_assert(!r.pass);
    ck_has(r.why, "w1 was not cancelled (it finished)");
}
END_TEST

START_TEST(time_output_and_waits) {
    ll_check_result r;
    decide("total-time <= 1", &r);
    ck_assert(r.pass);
    /* Too slow: it points at the wait begun first that spanned the limit. */
    ck_assert_uint_eq(decide("total-time <= 0.5", &r), 6);
    ck_has(r.why, "1.000 s of loop time");
    decide("order \"w1 start\" \"done:\"", &r);
    ck_assert(r.pass);
    ck_assert_uint_eq(decide("order \"done:\" \"w1 start\"", &r), 8);
    ck_assert_uint_eq(decide("prints \"done: [2]\"", &r), 21);
    ck_has(r.why, "printed \"done: [1]\" instead of \"done: [2]\"");
    ck_assert_uint_eq(decide("never-prints \"w1\"", &r), 8);
    decide("waited main gather", &r); /* by its coroutine's name */
    ck_assert(r.pass);
    decide("waited Task-1 sleep", &r);
    ck_has(r.why, "Task-1 never waited on sleep (it waited only on: gather)");
    decide("never-waited * job", &r);
    ck_assert(r.pass);
    decide("result w1 \"1\"", &r);
    ck_assert(r.pass);
    decide("exits 0", &r);
    ck_assert(r.pass);
    decide("no-warning", &r);
    ck_assert(r.pass);
}
END_TEST

START_TEST(bad_lines_are_refused_with_their_line) {
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"all-done\n\nmax-waiting snooze 1\n", "c.txt:3: unknown wait kind"},
        {"hint: first\nall-done\n", "c.txt:1: a hint must follow"},
        {"# fine\nall-done\nprints \"open\n", "c.txt:3: a quoted text is not closed"},
        {"total-time < 3\n", "c.txt:1: write 'total-time <= SECONDS'"},
        {"all-done extra\n", "c.txt:1: 'all-done' takes nothing"},
        {"clock: lunar\nall-done\n", "c.txt:1: the clock is 'virtual' or 'real'"},
        {"# nothing\n\n", "c.txt: no property to check"},
        {"output /nonexistent/expected.txt\n", "c.txt:1: cannot read"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ll_checks cs;
        char err[512] = "";
        ck_assert_int_eq(ll_checks_parse(&cs, "c.txt", ".", bad[i].text, err, sizeof err), -1);
        ck_has(err, bad[i].want);
        ll_checks_free(&cs);
    }
}
END_TEST

START_TEST(hints_settings_and_quotes) {
    ll_checks cs;
    char err[512] = "";
    const char *text = "clock: real\ntimeout: 5\n"
                       "prints \"say \\\"hi\\\"\"\nhint: one\n  hint:   two\nall-done\n";
    ck_assert_int_eq(ll_checks_parse(&cs, "c.txt", ".", text, err, sizeof err), 0);
    ck_assert_str_eq(cs.clock, "real");
    ck_assert(cs.timeout == 5);
    ck_assert_uint_eq(cs.n, 2);
    ck_assert_str_eq(cs.v[0].strs[0], "say \"hi\"");
    ck_assert_uint_eq(cs.v[0].nhints, 2);
    ck_assert_str_eq(cs.v[0].hints[1], "two");
    ck_assert_int_eq(cs.v[1].line, 6);
    ll_checks_free(&cs);
}
END_TEST

int main(void) {
    Suite *s = suite_create("checks");
    TCase *tc = tcase_create("checks");
    tcase_add_checked_fixture(tc, load, unload);
    tcase_add_test(tc, waiting_tasks_are_counted_from_wait_to_ready);
    tcase_add_test(tc, a_long_step_or_blocking_call_is_found);
    tcase_add_test(tc, runtime_tasks_are_not_the_programs);
    tcase_add_test(tc, time_output_and_waits);
    tcase_add_test(tc, bad_lines_are_refused_with_their_line);
    tcase_add_test(tc, hints_settings_and_quotes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
