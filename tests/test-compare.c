/* test-compare.c - `looplab compare`: the step alignment on small traces
 * written by hand (each kind of difference found, and what must be ignored
 * ignored), the command's exits, and every lesson on the virtual clock
 * taking the same steps in C as its Python twin under CPython. */
#include "harness.h"

#include <stdarg.h>
#include <sys/wait.h>

#include "trace/compare.h"

#ifndef LL_CLI
#define LL_CLI "looplab"
#endif

/* A C run: main starts worker and awaits it; worker prints, sleeps 1 s,
 * prints and returns 42.  With a note, stack sizes and C source sites. */
static const char *const C_RUN =
    "looplab-trace 1.6\n"
    "@clock \"virtual\"\n"
    "   0.000000000  -                loop_start   clock=\"virtual\"\n"
    "   0.000000000  1:Task-1         task_new     name=\"Task-1\" coro=\"amain\" stack=262144 "
    "at=lesson.c:30\n"
    "   0.000000000  1:Task-1         ready        reason=created pos=0\n"
    "   0.000000000  1:Task-1         run          behind=0\n"
    "   0.000000000  2:worker         task_new     name=\"worker\" coro=\"work\" parent=1 "
    "stack=262144 at=lesson.c:20\n"
    "   0.000000000  2:worker         ready        reason=created pos=0\n"
    "   0.000000000  1:Task-1         note         text=\"main waits\" at=lesson.c:21\n"
    "   0.000000000  1:Task-1         wait         on=task obj=2 at=lesson.c:22\n"
    "   0.000000000  2:worker         run          behind=0\n"
    "   0.000000000  2:worker         print        text=\"working\" at=lesson.c:10\n"
    "   0.000000000  2:worker         timer_arm    timer=3 when=1.000000000\n"
    "   0.000000000  2:worker         wait         on=sleep obj=3 until=1.000000000 "
    "at=lesson.c:11\n"
    "   1.000000000  2:worker         ready        reason=sleep_done pos=0 obj=3\n"
    "   1.000000000  2:worker         run          behind=0\n"
    "   1.000000000  2:worker         print        text=\"done\" at=lesson.c:12\n"
    "   1.000000000  2:worker         done         result=\"42\"\n"
    "   1.000000000  1:Task-1         ready        reason=task_done pos=0 obj=2\n"
    "   1.000000000  1:Task-1         run          behind=0\n"
    "   1.000000000  1:Task-1         print        text=\"got 42\" at=lesson.c:23\n"
    "   1.000000000  1:Task-1         done         result=\"None\"\n"
    "@end events=20\n";

/* The same program under CPython: other ids, times shifted by the
 * recorder's start, no note, no stack sizes, Python sites, and asyncio.run's
 * shutdown task at the end. */
static const char *const PY_RUN =
    "looplab-trace 1.6\n"
    "@clock \"virtual\"\n"
    "@language \"python\"\n"
    "   0.500000000  -                loop_start   clock=\"virtual\"\n"
    "   0.500000000  7:Task-1         task_new     name=\"Task-1\" coro=\"main\" at=lesson.py:20\n"
    "   0.500000000  7:Task-1         ready        reason=created pos=0\n"
    "   0.500000000  7:Task-1         run          behind=0\n"
    "   0.500000000  9:worker         task_new     name=\"worker\" coro=\"work\" parent=7 "
    "at=lesson.py:14\n"
    "   0.500000000  9:worker         ready        reason=created pos=0\n"
    "   0.500000000  7:Task-1         wait         on=task obj=9 at=lesson.py:15\n"
    "   0.500000000  9:worker         run          behind=0\n"
    "   0.500000000  9:worker         print        text=\"working\" at=lesson.py:6\n"
    "   0.500000000  9:worker         timer_arm    timer=11 when=1.500000000\n"
    "   0.500000000  9:worker         wait         on=sleep obj=11 until=1.500000000 "
    "at=lesson.py:7\n"
    "   1.500000000  9:worker         ready        reason=sleep_done pos=0 obj=11\n"
    "   1.500000000  9:worker         run          behind=0\n"
    "   1.500000000  9:worker         print        text=\"done\" at=lesson.py:8\n"
    "   1.500000000  9:worker         done         result=\"42\"\n"
    "   1.500000000  7:Task-1         ready        reason=task_done pos=0 obj=9\n"
    "   1.500000000  7:Task-1         run          behind=0\n"
    "   1.500000000  7:Task-1         print        text=\"got 42\" at=lesson.py:16\n"
    "   1.500000000  7:Task-1         done         result=\"None\"\n"
    "   1.500000000  12:Task-12       task_new     name=\"Task-12\" coro=\"shutdown_asyncgens\" "
    "at=lesson.py:20\n"
    "   1.500000000  12:Task-12       ready        reason=created pos=0\n"
    "   1.500000000  12:Task-12       run          behind=0\n"
    "   1.500000000  12:Task-12       print        text=\"not the program's\"\n"
    "   1.500000000  12:Task-12       done         result=\"None\"\n";

/* `text` with the first `from` replaced by `to` (malloc'd); the test fails
 * when `from` is not there. */
static char *edit(const char *text, const char *from, const char *to) {
    const char *at = strstr(text, from);
    ck_assert_msg(at != NULL, "the trace has no '%s' to edit", from);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return s;
}

/* `text` with every `from` replaced by `to` (malloc'd). */
static char *edit_all(const char *text, const char *from, const char *to) {
    char *s = strdup(text);
    while (strstr(s, from)) {
        char *t = edit(s, from, to);
        free(s);
        s = t;
    }
    return s;
}

/* `text` cut before the first line holding `from`. */
static char *cut_at(const char *text, const char *from) {
    const char *at = strstr(text, from);
    ck_assert_msg(at != NULL, "the trace has no '%s' to cut at", from);
    while (at > text && at[-1] != '\n')
        at--;
    return strndup(text, (size_t)(at - text));
}

typedef struct pair {
    ll_trace ta, tb;
    ll_steps a, b;
    ll_step_diff d;
    int rc;
    char report[4096];
} pair;

static void load(ll_trace *t, const char *text) {
    char err[512];
    ck_assert_msg(ll_trace_parse(t, "t.trace", text, strlen(text), err, sizeof err) == 0, "%s",
                  err);
}

/* Parses, reduces and compares two traces, and writes the report. */
static void compare(pair *p, const char *a, const char *b) {
    load(&p->ta, a);
    load(&p->tb, b);
    ck_assert_int_eq(ll_steps_of(&p->ta, &p->a), 0);
    ck_assert_int_eq(ll_steps_of(&p->tb, &p->b), 0);
    p->rc = ll_steps_diff(&p->a, &p->b, &p->d);
    FILE *f = fmemopen(p->report, sizeof p->report, "w");
    ll_steps_report(f, &p->a, "C", &p->b, "Python", &p->d);
    fclose(f);
}

static void pair_free(pair *p) {
    ll_steps_free(&p->a);
    ll_steps_free(&p->b);
    ll_trace_free(&p->ta);
    ll_trace_free(&p->tb);
}

/* Compares C_RUN with PY_RUN edited, and checks the first difference. */
static void expect_diff(const char *from, const char *to, ll_step_diff_kind what, size_t step,
                        const char *words) {
    char *b = edit(PY_RUN, from, to);
    pair p;
    compare(&p, C_RUN, b);
    ck_assert_msg(p.rc == 1 && p.d.what == what && p.d.step == step,
                  "editing '%s' to '%s': got %s at step %zu, wanted %s at step %zu:\n%s", from, to,
                  ll_step_diff_name(p.d.what), p.d.step + 1, ll_step_diff_name(what), step + 1,
                  p.report);
    ck_assert_msg(strstr(p.report, words), "the report does not say '%s':\n%s", words, p.report);
    pair_free(&p);
    free(b);
}

START_TEST(notes_runtime_tasks_times_ids_and_sites_are_ignored) {
    pair p;
    compare(&p, C_RUN, PY_RUN);
    ck_assert_msg(p.rc == 0, "%s", p.report);
    ck_assert_uint_eq(p.a.n, 4);
    ck_assert_uint_eq(p.b.n, 4); /* the shutdown task's step is not one */
    ck_assert_str_eq(p.report, "agree: 4 steps\n");
    /* The steps are the same ones: worker's second step, woken by its sleep,
     * printed one line and ended with its result. */
    const ll_step *s = &p.b.v[2];
    ck_assert_uint_eq(s->task, 9);
    ck_assert_uint_eq(s->nact, 1);
    ck_assert_uint_eq(ll__rec_at(&p.tb.rec, s->woke)->sub, LL_REASON_SLEEP_DONE);
    ck_assert_uint_eq(ll__rec_at(&p.tb.rec, s->end)->kind, LL_EV_TASK_DONE);
    ck_assert_int_eq(p.b.v[1].on_for, 1000000000); /* the sleep's length, not its deadline */
    pair_free(&p);
}
END_TEST

START_TEST(a_different_print_is_found_with_both_lines_and_sites) {
    expect_diff("text=\"done\"", "text=\"finished\"", LL_DIFF_PRINT, 2, "\"finished\"");
    expect_diff("text=\"done\"", "text=\"finished\"", LL_DIFF_PRINT, 2, "[lesson.c:12]");
    expect_diff("text=\"done\"", "text=\"finished\"", LL_DIFF_PRINT, 2, "[lesson.py:8]");
    /* One line more on one side. */
    expect_diff("   1.500000000  9:worker         done",
                "   1.500000000  9:worker         print        text=\"extra\"\n"
                "   1.500000000  9:worker         done",
                LL_DIFF_PRINT, 2, "prints no more lines");
}
END_TEST

START_TEST(a_different_cancel_is_found) {
    /* Python's main cancels the finished worker before it prints: C does not. */
    expect_diff("   1.500000000  7:Task-1         print",
                "   1.500000000  7:Task-1         cancel       target=9 accepted=0\n"
                "   1.500000000  7:Task-1         print",
                LL_DIFF_CANCEL, 3, "cancels task 'worker' (refused: it is already done)");
    /* The same cancel on both sides is the same act, whatever the ids. */
    char *c = edit(C_RUN, "   1.000000000  1:Task-1         print",
                   "   1.000000000  1:Task-1         cancel       target=2 accepted=0\n"
                   "   1.000000000  1:Task-1         print");
    char *c2 = edit(c, "@end events=20", "@end events=21");
    char *py = edit(PY_RUN, "   1.500000000  7:Task-1         print",
                    "   1.500000000  7:Task-1         cancel       target=9 accepted=0\n"
                    "   1.500000000  7:Task-1         print");
    pair p;
    compare(&p, c2, py);
    ck_assert_msg(p.rc == 0, "%s", p.report);
    pair_free(&p);
    /* Accepted on one side, refused on the other. */
    char *py2 = edit(py, "accepted=0", "accepted=1");
    compare(&p, c2, py2);
    ck_assert_int_eq(p.d.what, LL_DIFF_CANCEL);
    pair_free(&p);
    free(c);
    free(c2);
    free(py);
    free(py2);
}
END_TEST

START_TEST(a_different_wake_reason_is_found) {
    expect_diff("reason=sleep_done", "reason=cancelled", LL_DIFF_WOKE, 2,
                "woken because it was cancelled (cancelled)");
    /* Where it was suspended is the line shown. */
    expect_diff("reason=sleep_done", "reason=cancelled", LL_DIFF_WOKE, 2, "[lesson.c:11]");
}
END_TEST

START_TEST(a_different_wait_kind_or_object_is_found) {
    expect_diff("on=sleep obj=11 until=1.500000000", "on=future obj=11", LL_DIFF_WAIT, 1,
                "waits on a future");
    /* The same kind, a different sleep: 2 s instead of 1 s. */
    expect_diff("until=1.500000000", "until=2.500000000", LL_DIFF_ON, 1, "asyncio.sleep(2)");
    /* Waiting on a task by another name. */
    char *b = edit_all(PY_RUN, "worker", "helper");
    pair p;
    compare(&p, C_RUN, b);
    ck_assert_msg(p.d.what == LL_DIFF_ON && p.d.step == 0, "%s", p.report);
    ck_assert_msg(strstr(p.report, "waits on task 'helper'"), "%s", p.report);
    pair_free(&p);
    free(b);
}
END_TEST

START_TEST(a_different_end_or_result_is_found) {
    expect_diff("result=\"42\"", "result=\"43\"", LL_DIFF_VALUE, 2, "returns \"43\"");
    expect_diff("9:worker         done         result=\"42\"", "9:worker         cancelled",
                LL_DIFF_END, 2, "is cancelled");
}
END_TEST

START_TEST(a_different_task_is_found) {
    /* Two tasks made in one order, run in the other. */
    const char *head = "looplab-trace 1.6\n"
                       "   0.000000000  1:a              task_new     name=\"a\"\n"
                       "   0.000000000  2:b              task_new     name=\"b\"\n";
    char c[1024], py[1024];
    snprintf(c, sizeof c,
             "%s   0.000000000  1:a              run          behind=1\n"
             "   0.000000000  1:a              done         result=\"1\"\n"
             "   0.000000000  2:b              run          behind=0\n"
             "   0.000000000  2:b              done         result=\"2\"\n",
             head);
    snprintf(py, sizeof py,
             "%s   0.000000000  2:b              run          behind=1\n"
             "   0.000000000  2:b              done         result=\"2\"\n"
             "   0.000000000  1:a              run          behind=0\n"
             "   0.000000000  1:a              done         result=\"1\"\n",
             head);
    pair p;
    compare(&p, c, py);
    ck_assert_int_eq(p.rc, 1);
    ck_assert_int_eq(p.d.what, LL_DIFF_TASK);
    ck_assert_uint_eq(p.d.step, 0);
    ck_assert_msg(strstr(p.report, "runs task 'a'") && strstr(p.report, "runs task 'b'"), "%s",
                  p.report);
    pair_free(&p);
}
END_TEST

START_TEST(one_side_ending_early_is_found) {
    char *b = cut_at(PY_RUN, "7:Task-1         ready        reason=task_done");
    pair p;
    compare(&p, C_RUN, b);
    ck_assert_int_eq(p.rc, 1);
    ck_assert_int_eq(p.d.what, LL_DIFF_SHORT);
    ck_assert_uint_eq(p.d.step, 3);
    ck_assert_msg(strstr(p.report, "its run is over after 3 steps"), "%s", p.report);
    ck_assert_msg(strstr(p.report, "step 4"), "%s", p.report);
    pair_free(&p);
    free(b);
    /* A trace cut inside a step: the step is there, still running. */
    b = cut_at(PY_RUN, "9:worker         done");
    compare(&p, C_RUN, b);
    ck_assert_int_eq(p.d.what, LL_DIFF_END);
    ck_assert_msg(strstr(p.report, "still running when the trace stops"), "%s", p.report);
    pair_free(&p);
    free(b);
}
END_TEST

START_TEST(a_yield_ends_a_step_and_wakes_the_next) {
    const char *head = "looplab-trace 1.6\n"
                       "   0.000000000  1:m              task_new     name=\"m\"\n"
                       "   0.000000000  1:m              ready        reason=created pos=0\n"
                       "   0.000000000  1:m              run          behind=0\n";
    const char *tail = "   0.000000000  1:m              run          behind=0\n"
                       "   0.000000000  1:m              done         result=\"None\"\n";
    char y[1024], sl[1024];
    snprintf(y, sizeof y, "%s%s%s", head,
             "   0.000000000  1:m              ready        reason=yield pos=0\n", tail);
    snprintf(sl, sizeof sl, "%s%s%s", head,
             "   0.000000000  1:m              wait         on=sleep obj=2 until=0.000000000\n"
             "   0.000000000  1:m              ready        reason=sleep_done pos=0 obj=2\n",
             tail);
    pair p;
    compare(&p, y, y);
    ck_assert_msg(p.rc == 0 && p.a.n == 2, "%s", p.report);
    ck_assert_uint_eq(ll__rec_at(&p.ta.rec, p.a.v[1].woke)->sub, LL_REASON_YIELD);
    pair_free(&p);
    compare(&p, y, sl);
    ck_assert_int_eq(p.d.what, LL_DIFF_END);
    ck_assert_uint_eq(p.d.step, 0);
    ck_assert_msg(strstr(p.report, "yields and is ready again at once") &&
                      strstr(p.report, "waits on asyncio.sleep(0)"),
                  "%s", p.report);
    pair_free(&p);
}
END_TEST

START_TEST(a_primitive_is_known_by_its_place_not_its_id) {
    const char *t = "looplab-trace 1.6\n"
                    "   0.000000000  1:m              task_new     name=\"m\"\n"
                    "   0.000000000  1:m              run          behind=0\n"
                    "   0.000000000  1:m              sync_new     obj=%d kind=lock value=0\n"
                    "   0.000000000  1:m              sync_new     obj=%d kind=lock value=0\n"
                    "   0.000000000  1:m              wait         on=lock obj=%d\n";
    char a[1024], b[1024], c[1024];
    snprintf(a, sizeof a, t, 4, 5, 5);    /* the second lock made */
    snprintf(b, sizeof b, t, 40, 41, 41); /* the second too, other ids */
    snprintf(c, sizeof c, t, 40, 41, 40); /* the first */
    pair p;
    compare(&p, a, b);
    ck_assert_msg(p.rc == 0, "%s", p.report);
    pair_free(&p);
    compare(&p, a, c);
    ck_assert_int_eq(p.d.what, LL_DIFF_ON);
    ck_assert_msg(strstr(p.report, "lock #2") && strstr(p.report, "lock #1"), "%s", p.report);
    pair_free(&p);
}
END_TEST

START_TEST(an_event_maps_to_its_step) {
    pair p;
    compare(&p, C_RUN, PY_RUN);
    ck_assert_uint_eq(ll_steps_at(&p.a, 0), LL_STEP_NONE); /* before the first run */
    for (size_t k = 0; k < p.a.n; k++) {
        ck_assert_uint_eq(ll_steps_at(&p.a, p.a.v[k].run), k);
        ck_assert_uint_eq(ll_steps_at(&p.a, p.a.v[k].end), k);
    }
    pair_free(&p);
}
END_TEST

/* ---- the command ------------------------------------------------------------ */

/* Runs a command; its exit status, and its stdout and stderr merged. */
static char *cli(int *code, const char *fmt, ...) LL_PRINTF(2, 3);
static char *cli(int *code, const char *fmt, ...) {
    char cmd[2048], full[2100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    int st;
    char *out = read_command(full, &st);
    *code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return out;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

START_TEST(the_command_says_agree_differ_and_bad_input) {
    char dir[] = "/tmp/looplab-compare-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char c[256], py[256], bad[256];
    snprintf(c, sizeof c, "%s/c.trace", dir);
    snprintf(py, sizeof py, "%s/py.trace", dir);
    snprintf(bad, sizeof bad, "%s/bad.trace", dir);
    write_file(c, C_RUN);
    write_file(py, PY_RUN);
    write_file(bad, "looplab-trace 1.6\n   0.000000000  1:a  no_such_line\n");
    int code;
    char *out = cli(&code, "'%s' compare %s %s", LL_CLI, c, py);
    ck_assert_msg(code == 0 && strcmp(out, "agree: 4 steps\n") == 0, "exit %d: %s", code, out);
    free(out);
    char *edited = edit(PY_RUN, "text=\"done\"", "text=\"finished\"");
    write_file(py, edited);
    free(edited);
    out = cli(&code, "'%s' compare %s %s", LL_CLI, c, py);
    ck_assert_msg(code == 1, "exit %d: %s", code, out);
    ck_assert_msg(strstr(out, "differ at step 3 (loop time 1.000 s, task 'worker')"), "%s", out);
    ck_assert_msg(strstr(out, "  C       prints \"done\"  [lesson.c:12]"), "%s", out);
    ck_assert_msg(strstr(out, "  Python  prints \"finished\"  [lesson.py:8]"), "%s", out);
    free(out);
    out = cli(&code, "'%s' compare %s %s", LL_CLI, c, bad);
    ck_assert_msg(code == 2 && strstr(out, "bad.trace:2:"), "exit %d: %s", code, out);
    free(out);
    out = cli(&code, "'%s' compare %s %s/missing.trace", LL_CLI, c, dir);
    ck_assert_msg(code == 2 && strstr(out, "missing.trace"), "exit %d: %s", code, out);
    free(out);
    out = cli(&code, "'%s' compare", LL_CLI);
    ck_assert_msg(code == 2 && strstr(out, "usage:"), "exit %d: %s", code, out);
    free(out);
    out = cli(&code, "'%s' compare 999", LL_CLI);
    ck_assert_msg(code == 2 && strstr(out, "no lesson '999'"), "exit %d: %s", code, out);
    free(out);
    /* A run that leaves no trace: said, with what it said. */
    out = cli(&code, "'%s' compare 1 --python %s/no-python", LL_CLI, dir);
    ck_assert_msg(code == 1 && strstr(out, "the Python twin of 01-hello-gather left no trace") &&
                      strstr(out, "no-python"),
                  "exit %d: %s", code, out);
    free(out);
    unlink(c);
    unlink(py);
    unlink(bad);
    rmdir(dir);
}
END_TEST

/* ---- every lesson, step for step ------------------------------------------------- */

/* The lessons left out, and why: their meta.txt says `twin: real`, so both
 * sides run on the real clock, where the order of steps depends on timing.
 *  14, 15: a blocking call and thread-pool jobs: how long a step or a job
 *          takes is measured, and a job's end may come before or after a
 *          timer.
 *  17, 19: real sockets through aiohttp, which suspends on its own futures
 *          (on=future) where C waits on the socket (on=io); in lesson 17
 *          the slow web server is a second event loop in the same Python
 *          process (lessons/slowweb.py), whose steps the trace interleaves
 *          with the lesson's; in 19 aiohttp's server setup takes steps of
 *          its own before "server: listening".
 *  18:     SQLite calls on worker threads (to_thread), timing-dependent.
 *  21:     the point of the lesson is the same program on the libuv (or
 *          uvloop) loop, on the real clock, with a to_thread job.
 *  23:     several loops on several threads, interleaved by the OS.
 * (14, 15 and 21 agree today on this machine; 17, 18, 19 and 23 do not.) */
static const char *const excluded[] = {
    "14-blocking-the-loop", "15-concurrency-vs-parallelism",
    "17-fetching-pages",    "18-databases",
    "19-web-servers",       "21-pluggable-loops",
    "23-several-loops",
};

static lesson_slug slugs[128];
static int nslugs;

static bool is_excluded(const char *slug) {
    for (size_t i = 0; i < sizeof excluded / sizeof *excluded; i++)
        if (strcmp(excluded[i], slug) == 0)
            return true;
    return false;
}

static bool twin_is_real(const char *slug) {
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/lessons/%s/meta.txt", LL_SOURCE_ROOT, slug);
    FILE *f = fopen(path, "r");
    bool real = false;
    while (f && !real && fgets(line, sizeof line, f))
        real = strcmp(line, "twin: real\n") == 0;
    if (f)
        fclose(f);
    return real;
}

START_TEST(only_real_clock_twins_are_left_out) {
    for (int i = 0; i < nslugs; i++)
        ck_assert_msg(is_excluded(slugs[i]) == twin_is_real(slugs[i]),
                      "%s: %s, but its meta.txt %s 'twin: real'", slugs[i],
                      is_excluded(slugs[i]) ? "left out" : "compared",
                      twin_is_real(slugs[i]) ? "says" : "does not say");
}
END_TEST

/* Whether the lesson's meta.txt has the line `want` ("measures: memory"). */
static bool meta_has(const char *slug, const char *want) {
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/lessons/%s/meta.txt", LL_SOURCE_ROOT, slug);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        found = strcmp(line, want) == 0;
    }
    if (f)
        fclose(f);
    return found;
}

START_TEST(lesson_takes_the_same_steps_as_its_python_twin) {
    const char *slug = slugs[_i];
    if (is_excluded(slug))
        return;
    /* A lesson that prints claims about its own memory (lesson 24), built
     * with a sanitizer, measures the sanitizer's memory too: its claims may
     * turn, where CPython's do not.  test-lessons checks that run's lines by
     * their subjects; the normal build compares it step for step here. */
    if (sanitized_build() && meta_has(slug, "measures: memory"))
        return;
    ck_assert_msg(have_python3(), "python3 is not installed: it runs the twins");
    int code;
    char *out = cli(&code, "'%s' compare %s", LL_CLI, slug);
    ck_assert_msg(code == 0 && strncmp(out, "agree: ", 7) == 0,
                  "%s: C and Python differ (exit %d):\n%s", slug, code, out);
    free(out);
}
END_TEST

int main(void) {
    nslugs = find_lessons(slugs, 128);
    Suite *s = suite_create("compare");
    TCase *tc = tcase_create("alignment");
    tcase_add_test(tc, notes_runtime_tasks_times_ids_and_sites_are_ignored);
    tcase_add_test(tc, a_different_print_is_found_with_both_lines_and_sites);
    tcase_add_test(tc, a_different_cancel_is_found);
    tcase_add_test(tc, a_different_wake_reason_is_found);
    tcase_add_test(tc, a_different_wait_kind_or_object_is_found);
    tcase_add_test(tc, a_different_end_or_result_is_found);
    tcase_add_test(tc, a_different_task_is_found);
    tcase_add_test(tc, one_side_ending_early_is_found);
    tcase_add_test(tc, a_yield_ends_a_step_and_wakes_the_next);
    tcase_add_test(tc, a_primitive_is_known_by_its_place_not_its_id);
    tcase_add_test(tc, an_event_maps_to_its_step);
    suite_add_tcase(s, tc);
    tc = tcase_create("command");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, the_command_says_agree_differ_and_bad_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("lessons");
    /* lesson 24 runs a million tasks on each side: a minute on a loaded
     * 2-core machine */
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, only_real_clock_twins_are_left_out);
    tcase_add_loop_test(tc, lesson_takes_the_same_steps_as_its_python_twin, 0, nslugs);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
