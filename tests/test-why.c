/* test-why.c - "why now?": the chain of causes behind an event
 * (src/trace/why.c, `looplab why`), on real lessons' traces: each kind of
 * wake-up is followed back to the line that started it, every link is
 * earlier than the one before, and bad requests get a clear message. */
#include "harness-internal.h"
#include "trace/why.h"

#include <sys/wait.h>

/* Fails if hay contains needle. */
#define ck_assert_no(hay, needle)                                                                  \
    ck_assert_msg(strstr((hay), (needle)) == NULL, "did not expect \"%s\" in:\n%.3000s", (needle), \
                  (hay))

#ifndef LL_BUILD_ROOT
#define LL_BUILD_ROOT "build"
#endif

/* Runs lesson `slug` and loads its trace; the trace file's path is left in
 * `path` (the caller unlinks it). */
static void lesson_trace(const char *slug, ll_trace *t, char path[static 40]) {
    strcpy(path, "/tmp/looplab-why-test-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "LOOPLAB_TRACE='%s' '%s/lessons/lesson-%s'", path, LL_BUILD_ROOT,
             slug);
    int st;
    free(read_command(cmd, &st));
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", slug, st);
    char err[512];
    ck_assert_msg(ll_trace_load(t, path, err, sizeof err) == 0, "%s", err);
}

/* The first print containing `text`. */
static size_t print_event(const ll_trace *t, const char *text) {
    for (size_t i = 0; i < t->rec.n; i++) {
        const ll_trace_event *e = ll__rec_at(&t->rec, i);
        if (e->kind == LL_EV_PRINT && strstr(ll__rec_strp(&t->rec, e->str, NULL), text))
            return i;
    }
    ck_abort_msg("no print contains '%s'", text);
    return 0;
}

/* The chain for the print containing `text`: checked to start at that
 * event and to go back in time link by link; its text joined by newlines. */
static char *chain_of(const ll_trace *t, const char *text, size_t *nlinks) {
    static ll_why_link links[32];
    size_t i = print_event(t, text);
    size_t n = ll_trace_why(t, i, links, 32);
    ck_assert_uint_ge(n, 2);
    ck_assert_uint_eq(links[0].event, i);
    size_t len = 0;
    static char all[32 * 400];
    all[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        if (k)
            ck_assert_msg(links[k].event <= links[k - 1].event, "link %zu (#%zu) after #%zu", k,
                          links[k].event + 1, links[k - 1].event + 1);
        len += (size_t)snprintf(all + len, sizeof all - len, "%s\n", links[k].text);
    }
    *nlinks = n;
    return all;
}

START_TEST(a_gathered_result_goes_back_to_the_slowest_sleep) {
    ll_trace t;
    char path[40];
    lesson_trace("01-hello-gather", &t, path);
    size_t n;
    const char *c = chain_of(&t, "Results", &n);
    ck_assert_has(c, "Task-1 printed \"Results: [2, 4]\" at lessons/01-hello-gather/lesson.c:");
    ck_assert_has(c, "Task-1 was queued because the gather (future 1) made at "
                     "lessons/01-hello-gather/lesson.c:");
    ck_assert_has(c, "in a gather callback for Task-3");
    ck_assert_has(c, "Task-3 had finished (done)");
    ck_assert_has(c, "its timer 3 came due at t=2.000 s");
    ck_assert_has(c, "Task-3 had armed that timer at lessons/01-hello-gather/lesson.c:");
    ck_assert_has(c, "sleep until t=2.000 s");
    ll_trace_free(&t);
    unlink(path);
}
END_TEST

START_TEST(a_cancelled_task_goes_back_to_the_cancel_call) {
    ll_trace t;
    char path[40];
    lesson_trace("10-cancellation", &t, path);
    size_t n;
    const char *c = chain_of(&t, "cleaning up", &n);
    ck_assert_has(c, "worker was queued to receive a cancellation");
    ck_assert_has(c, "Task-1 cancelled it at lessons/10-cancellation/lesson.c:");
    /* and on, to why main was running then: its own sleep */
    ck_assert_has(c, "Task-1 had armed that timer at lessons/10-cancellation/lesson.c:");
    ck_assert_no(c, "worker was queued because its sleep was over"); /* it was not over */
    ll_trace_free(&t);
    unlink(path);
}
END_TEST

START_TEST(a_semaphore_wait_goes_back_to_the_release) {
    ll_trace t;
    char path[40];
    lesson_trace("11-semaphore", &t, path);
    size_t n;
    const char *c = chain_of(&t, "/c: fetching", &n);
    ck_assert_has(c, "/c was queued: the semaphore it waited on at lessons/11-semaphore/lesson.c:");
    ck_assert_has(c, "(semaphore 'slots') could go on");
    ck_assert_has(c, "/b let it go on, by a release on semaphore 'slots'");
    ck_assert_has(c, "/b had armed that timer");
    ll_trace_free(&t);
    unlink(path);
}
END_TEST

START_TEST(a_queue_put_goes_back_to_the_get_that_made_room) {
    ll_trace t;
    char path[40];
    lesson_trace("12-queue", &t, path);
    size_t n;
    const char *c = chain_of(&t, "produced job5", &n);
    ck_assert_has(c, "the queue_put it waited on at lessons/12-queue/lesson.c:");
    ck_assert_has(c, "w2 let it go on, by a get on queue 'jobs'");
    ll_trace_free(&t);
    unlink(path);
}
END_TEST

START_TEST(a_new_task_goes_back_to_create_task) {
    ll_trace t;
    char path[40];
    lesson_trace("04-create-task", &t, path);
    /* the task's first step: its first run event */
    size_t r = 0;
    for (size_t i = 0; i < t.rec.n; i++) {
        const ll_trace_event *e = ll__rec_at(&t.rec, i);
        if (e->kind == LL_EV_TASK_RUN && e->task == 2) {
            r = i;
            break;
        }
    }
    ck_assert_uint_gt(r, 0);
    ll_why_link links[8];
    size_t n = ll_trace_why(&t, r, links, 8);
    ck_assert_uint_ge(n, 2);
    ck_assert_has(links[0].text, "fetch_data ran in iteration 2");
    ck_assert_has(links[1].text,
                  "fetch_data was created by Task-1 at lessons/04-create-task/lesson.c:");
    /* bounded: a short buffer gets the first links only */
    ck_assert_uint_eq(ll_trace_why(&t, r, links, 1), 1);
    ck_assert_uint_eq(ll_trace_why(&t, t.rec.n, links, 8), 0);
    ll_trace_free(&t);
    unlink(path);
}
END_TEST

START_TEST(the_command_explains_and_refuses_clearly) {
    ll_trace t;
    char path[40];
    lesson_trace("01-hello-gather", &t, path);
    size_t results = print_event(&t, "Results") + 1;
    ll_trace_free(&t);
    char cmd[1024];
    int st;
    snprintf(cmd, sizeof cmd, "'%s' why '%s' --print Results 2>&1", LL_CLI, path);
    char *out = read_command(cmd, &st);
    ck_assert_int_eq(WEXITSTATUS(st), 0);
    char head[64];
    snprintf(head, sizeof head, "Why event %zu (print, t=2.000 s)?", results);
    ck_assert_has(out, head);
    ck_assert_has(out, "had armed that timer");
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' why '%s' %zu 2>&1", LL_CLI, path, results);
    out = read_command(cmd, &st);
    ck_assert_int_eq(WEXITSTATUS(st), 0);
    ck_assert_has(out, head);
    free(out);
    static const struct {
        const char *args, *says;
        int status;
    } bad[] = {
        {"'%s' 999999", "there is no event 999999", 1},
        {"'%s' 0", "STEP is an event number from 1, not '0'", 2},
        {"'%s' two", "STEP is an event number from 1, not 'two'", 2},
        {"'%s' --print 'no such line'", "no printed line contains \"no such line\"", 1},
        {"'%s'", "usage: looplab why TRACE STEP", 2},
        {"'%s'.missing 3", ".missing", 1},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char args[512];
        snprintf(args, sizeof args, bad[k].args, path);
        snprintf(cmd, sizeof cmd, "'%s' why %s 2>&1", LL_CLI, args);
        out = read_command(cmd, &st);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == bad[k].status, "%s: status %d", args,
                      WEXITSTATUS(st));
        ck_assert_has(out, bad[k].says);
        free(out);
    }
    unlink(path);
}
END_TEST

int main(void) {
    Suite *s = suite_create("why");
    TCase *tc = tcase_create("why");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_gathered_result_goes_back_to_the_slowest_sleep);
    tcase_add_test(tc, a_cancelled_task_goes_back_to_the_cancel_call);
    tcase_add_test(tc, a_semaphore_wait_goes_back_to_the_release);
    tcase_add_test(tc, a_queue_put_goes_back_to_the_get_that_made_room);
    tcase_add_test(tc, a_new_task_goes_back_to_create_task);
    tcase_add_test(tc, the_command_explains_and_refuses_clearly);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
