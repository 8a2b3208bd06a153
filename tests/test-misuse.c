/* test-misuse.c - bad calls get a sentence naming the call site and task,
 * never a crash or a silent hang; deadlocks are reported with who waits on
 * what; failures nobody retrieved and coroutines never awaited are reported
 * when the loop closes. */
#include "harness.h"

#include <math.h>

/* Runs main under ll_run with stdout and stderr captured. */
typedef struct outcome {
    int rc;
    char *out, *err;
} outcome;

static outcome run_captured(ll_coro_fn fn) {
    capture out, err;
    capture_begin(&out, 1);
    capture_begin(&err, 2);
    int rc = ll_run(ll_coro(fn));
    outcome o = {rc, NULL, NULL};
    o.err = capture_end(&err);
    o.out = capture_end(&out);
    return o;
}

static void outcome_free(outcome *o) {
    free(o->out);
    free(o->err);
}

#define ck_assert_contains(hay, needle)                                                            \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "expected to find \"%s\" in:\n%s", (needle),    \
                  (hay))

/* ---- awaiting outside a task ------------------------------------------------------ */

START_TEST(await_outside_a_task_is_a_runtime_error_naming_the_line) {
    capture err;
    capture_begin(&err, 2);
    int line = __LINE__ + 1;
    ll_value r = ll_sleep(1);
    char *e = capture_end(&err);
    ck_assert(ll_except(r, LL_ERUNTIME));
    ck_assert_str_eq(ll_errmsg(r), "ll_sleep() outside a task");
    char where[64];
    snprintf(where, sizeof where, "test-misuse.c:%d", line);
    ck_assert_contains(e, where);
    ck_assert_contains(e, "ll_sleep() outside a task");
    free(e);
}
END_TEST

START_TEST(create_task_without_a_running_loop_is_refused) {
    capture err;
    capture_begin(&err, 2);
    ll_task *t = ll_create_task(ll_coro(NULL), NULL);
    char *e = capture_end(&err);
    ck_assert_ptr_null(t);
    ck_assert_contains(e, "ll_coro() with a NULL function");
    free(e);
}
END_TEST

/* ---- a loop inside a running loop ---------------------------------------------------- */

static ll_value inner(LL_NOARGS) {
    return ll_none();
}

static ll_value nested_run(LL_NOARGS) {
    int rc = ll_run(ll_coro(inner));
    ll_print("nested ll_run returned %d", rc);
    return ll_none();
}

/* ---- futures completed twice ---------------------------------------------------------- */

static ll_value double_set(LL_NOARGS) {
    ll_future *f = ll_future_new();
    ll_future_set_result(f, ll_int(1));
    ll_value r = ll_future_set_result(f, ll_int(2));
    ll_print("second set_result: %s", ll_err_name(r.err));
    r = ll_future_set_exception(f, ll_raise(LL_EVALUE, "late"));
    ll_print("set_exception after: %s", ll_err_name(r.err));
    ll_print("result still %s", ll_repr(ll_future_result(f)));
    return ll_none();
}

/* ---- delays ------------------------------------------------------------------------------ */

static ll_value nan_sleep(LL_NOARGS) {
    ll_value r = ll_sleep(NAN);
    ll_print("sleep(nan): %s", ll_repr(r));
    ll_handle *h = ll_call_later(ll_get_running_loop(), NAN, (ll_callback_fn)free, NULL);
    ll_print("call_later(nan): %s", h ? "accepted" : "refused");
    double t0 = ll_time();
    r = ll_sleep(-3);
    ll_print("sleep(-3): %s, time passed %.1f", ll_repr(r), ll_time() - t0);
    return ll_none();
}

/* ---- closed loops ----------------------------------------------------------------------- */

static void never_called(void *arg) {
    (void)arg;
    ck_abort_msg("a callback on a closed loop ran");
}

START_TEST(scheduling_on_a_closed_loop_is_refused) {
    ll_loop *loop = ll_loop_new(NULL);
    ll_value v = ll_loop_run_until_complete(loop, ll_coro(inner));
    ck_assert(!ll_failed(v));
    ck_assert_int_eq(ll_loop_close(loop), 0);
    capture err;
    capture_begin(&err, 2);
    ll_handle *h = ll_call_soon(loop, never_called, NULL);
    v = ll_loop_run_until_complete(loop, ll_coro(inner));
    ll_handle *h2 = ll_call_soon(NULL, never_called, NULL);
    char *e = capture_end(&err);
    ck_assert_ptr_null(h);
    ck_assert_ptr_null(h2);
    ck_assert_int_eq(ll_errcode(v), LL_ERUNTIME);
    ck_assert_contains(e, "RuntimeError: Event loop is closed");
    ck_assert_contains(e, "run_until_complete() on a closed event loop");
    ck_assert_contains(e, "on a NULL loop");
    ck_assert_int_eq(ll_loop_close(loop), 0); /* closing twice is harmless */
    free(e);
}
END_TEST

/* ---- bad awaitables -------------------------------------------------------------------- */

static ll_value await_garbage(LL_NOARGS) {
    static int not_a_future = 42;
    ll_value v = ll_await(&not_a_future);
    ll_print("await garbage: %s", ll_repr(v));
    v = ll_await(NULL);
    ll_print("await NULL: %s", ll_err_name(ll_errcode(v)));
    ll_coro *c = ll_coro(inner);
    ll_await(c);
    v = ll_await(c); /* used twice */
    ll_print("await used coroutine: %s", ll_err_name(ll_errcode(v)));
    ll_task *self = ll_current_task();
    v = ll_await(self);
    ll_print("await itself: %s", ll_errmsg(v));
    return ll_none();
}

/* ---- deadlock ------------------------------------------------------------------------- */

static ll_value wait_forever(ll_value fut) {
    ll_value v = ll_await(fut.p);
    ll_print("waiter woke: %s", ll_repr(v));
    return v;
}

static ll_value deadlock_main(LL_NOARGS) {
    ll_future *f = ll_future_new();
    ll_task *t = ll_create_task(ll_coro(wait_forever, f), "waiter");
    ll_value v = ll_await(t);
    ll_print("main woke: %s", ll_repr(v));
    return ll_none();
}

START_TEST(deadlock_stops_the_loop_and_says_who_waits_on_what) {
    outcome o = run_captured(deadlock_main);
    ck_assert_int_eq(o.rc, 1);
    ck_assert_contains(o.err, "deadlock: every task is waiting and nothing can wake them");
    ck_assert_contains(o.err, "task 'Task-1' (created at ");
    ck_assert_contains(o.err, "waits on task 'waiter'");
    ck_assert_contains(o.err, "task 'waiter' (created at ");
    ck_assert_contains(o.err, "test-misuse.c:");
    ck_assert_contains(o.err, "waits on future #");
    /* The shutdown cancels both tasks, so their cleanup runs. */
    ck_assert_contains(o.out, "waiter woke: CancelledError()");
    outcome_free(&o);
}
END_TEST

/* ---- reports at close ------------------------------------------------------------------ */

static ll_value failing(LL_NOARGS) {
    return ll_raise(LL_EVALUE, "nobody looked at me");
}

static ll_value forget_failure(LL_NOARGS) {
    ll_create_task(ll_coro(failing), "forgotten");
    ll_coro(inner); /* made and dropped: never awaited */
    ll_sleep(0.1);
    return ll_none();
}

/* Lesson 22's two pitfalls, as CPython times them: the coroutine made and
 * dropped is reported as its step ends (CPython: as the statement ends, the
 * same loop time), the task nobody holds as it fails (CPython: when the
 * task is freed after its last step), both long before the loop closes. */
static ll_value mail(LL_NOARGS) {
    if (!ll_failed(ll_sleep(0.1)))
        return ll_raise(LL_EVALUE, "mail server refused the message");
    return ll_none();
}

static ll_value pitfalls_on_time(LL_NOARGS) {
    ll_coro(inner); /* no await */
    ll_print("made inner()");
    ll_sleep(0.5);
    ll_print("at 0.5 s");
    ll_create_task(ll_coro(mail), "mail"); /* handle dropped */
    ll_sleep(0.5);
    ll_print("at 1.0 s");
    return ll_none();
}

/* The line of the trace text holding `needle`, or NULL. */
static const char *trace_line(const char *text, const char *needle) {
    const char *p = strstr(text, needle);
    if (!p)
        return NULL;
    while (p > text && p[-1] != '\n')
        p--;
    return p;
}

/* The same moments when nothing is recorded and the task gives the thread
 * up by a bare sleep(0), which then switches straight to the next task: the
 * report belongs to the step that ends, so it is on standard error before
 * the next task runs (stderr_at_next says how much was there by then). */
static long stderr_at_next = -1;

static ll_value drop_then_yield(LL_NOARGS) {
    ll_coro(inner); /* made and dropped */
    ll_sleep(0);
    return ll_none();
}

static ll_value block_then_yield(LL_NOARGS) {
    ll_busy(0.3); /* a blocking call: a slow step on either clock */
    ll_sleep(0);
    return ll_none();
}

static ll_value note_stderr(LL_NOARGS) {
    fflush(stderr);
    stderr_at_next = (long)lseek(2, 0, SEEK_CUR);
    return ll_none();
}

static ll_value report_then_next(ll_args which) {
    ll_task *a = ll_create_task(ll_coro(which.i ? block_then_yield : drop_then_yield), "first");
    ll_task *b = ll_create_task(ll_coro(note_stderr), "next");
    LL_TRY(ll_await(ll_gather(a, b)));
    return ll_none();
}

static ll_value report_then_next_coro(LL_NOARGS) {
    return ll_await(ll_coro(report_then_next, 0));
}

static ll_value slow_then_next_coro(LL_NOARGS) {
    return ll_await(ll_coro(report_then_next, 1));
}

START_TEST(a_steps_reports_come_as_it_ends_when_nothing_is_recorded) {
    setenv("LOOPLAB_RECORD", "0", 1);
    stderr_at_next = -1;
    outcome o = run_captured(_i ? slow_then_next_coro : report_then_next_coro);
    unsetenv("LOOPLAB_RECORD");
    const char *said = _i ? "held the thread for" : "coroutine 'inner' was never awaited";
    ck_assert_contains(o.err, said);
    ck_assert_msg(stderr_at_next > 0,
                  "the report came after the next task ran (stderr held %ld bytes then):\n%s",
                  stderr_at_next, o.err);
    outcome_free(&o);
}
END_TEST

START_TEST(never_awaited_and_never_retrieved_are_reported_at_cpythons_moments) {
    char path[] = "/tmp/looplab-misuse-trace-XXXXXX";
    close(mkstemp(path));
    setenv("LOOPLAB_TRACE", path, 1);
    outcome o = run_captured(pitfalls_on_time);
    unsetenv("LOOPLAB_TRACE");
    ck_assert_int_eq(o.rc, 1);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    const char *never = trace_line(text, "kind=never_awaited");
    const char *lost = trace_line(text, "kind=not_retrieved");
    const char *half = trace_line(text, "text=\"at 0.5 s\"");
    const char *one = trace_line(text, "text=\"at 1.0 s\"");
    const char *failed = trace_line(text, "failed ");
    ck_assert_msg(never && lost && half && one && failed, "missing events in:\n%s", text);
    /* never awaited: at t = 0, in main's first step, before it sleeps */
    ck_assert_msg(strncmp(never, "   0.000000000  1:Task-1 ", 25) == 0 && never < half,
                  "never-awaited reported at `%.60s`", never);
    /* never retrieved: at t = 0.6, right after the task failed, before main
     * goes on at 1.0 s */
    ck_assert_msg(strncmp(lost, "   0.600000000  2:mail ", 23) == 0 && failed < lost && lost < one,
                  "never-retrieved reported at `%.60s`", lost);
    ck_assert_contains(o.err, "RuntimeWarning: coroutine 'inner' was never awaited");
    ck_assert_contains(o.err, "Task exception was never retrieved: task 'mail' failed");
    /* each said once */
    ck_assert_msg(!strstr(strstr(never, "kind=") + 1, "kind=never_awaited") &&
                      !strstr(strstr(lost, "kind=") + 1, "kind=not_retrieved"),
                  "reported twice:\n%s", text);
    outcome_free(&o);
}
END_TEST

/* A task whose handle the program has used (here: asked its result too
 * early) may still be retrieved after it failed: it is not reported at its
 * failure, and once awaited, not at close either. */
static ll_value late_await(LL_NOARGS) {
    ll_task *k = ll_create_task(ll_coro(failing), "kept");
    ll_print("early: %s", ll_err_name(ll_errcode(ll_task_result(k))));
    ll_sleep(0.1);
    ll_value v = ll_await(k);
    ll_print("late: %s", ll_err_name(ll_errcode(v)));
    return ll_none();
}

static ll_value handled_failure(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_coro(failing), "handled");
    ll_value v = ll_await(t);
    ll_print("caught %s: %s", ll_err_name(ll_errcode(v)), ll_errmsg(v));
    return ll_none();
}

/* ---- `async with` scopes left open ------------------------------------------------------
 * A coroutine that returns (here by LL_TRY) with a scope it entered still
 * open is reported at once, naming the line that entered it; the program
 * fails; and the scope is closed then, so nothing it holds fires later
 * into unrelated code (the bug: a timeout left armed cancelled a later
 * sleep of the same task).  Every kind of scope, one loop iteration each. */

enum { K_TIMEOUT, K_TIMEOUT_AT, K_TASKGROUP, K_LOCK, K_SEMAPHORE, K_CONDITION, K_NKINDS };

static const struct {
    const char *what, *exit;
} scope_kinds[K_NKINDS] = {
    [K_TIMEOUT] = {"asyncio.timeout", "ll_timeout_exit"},
    [K_TIMEOUT_AT] = {"asyncio.timeout_at", "ll_timeout_exit"},
    [K_TASKGROUP] = {"asyncio.TaskGroup", "ll_taskgroup_exit"},
    [K_LOCK] = {"`async with` of a Lock", "ll_lock_exit"},
    [K_SEMAPHORE] = {"`async with` of a Semaphore", "ll_semaphore_exit"},
    [K_CONDITION] = {"`async with` of a Condition", "ll_condition_exit"},
};

static int scope_kind, inner_kind, enter_line, inner_line, try_line, exit_line;
static ll_lock *s_lock;
static ll_semaphore *s_sem;
static ll_condition *s_cond;

static ll_value fails_at_once(LL_NOARGS) {
    return ll_raise(LL_EVALUE, "boom");
}

/* A group's child that would fail after the body has gone: if the group
 * stayed open, its failure would cancel the parent's later sleep. */
static ll_value fails_later(LL_NOARGS) {
    ll_value r = ll_sleep(2);
    if (ll_except(r, LL_ECANCELLED)) {
        ll_print("child cancelled");
        return r;
    }
    ll_print("child failing");
    return ll_raise(LL_EVALUE, "late");
}

typedef struct open_scope {
    int kind;
    ll_timeout *to;
    ll_taskgroup *tg;
} open_scope;

/* Enters a scope of kind k, noting the line in line_var: __LINE__ and the
 * enter calls' own __LINE__ are all the line where ENTER is used. */
#define ENTER(sc, k, line_var)                                                                     \
    do {                                                                                           \
        (sc).kind = (k);                                                                           \
        line_var = __LINE__;                                                                       \
        switch (k) {                                                                               \
        case K_TIMEOUT: (sc).to = ll_timeout_enter(1.0); break;                                    \
        case K_TIMEOUT_AT: (sc).to = ll_timeout_at_enter(ll_time() + 1.0); break;                  \
        case K_TASKGROUP:                                                                          \
            (sc).tg = ll_taskgroup_enter();                                                        \
            ll_taskgroup_create_task((sc).tg, ll_coro(fails_later), "child");                      \
            break;                                                                                 \
        case K_LOCK: LL_TRY(ll_lock_enter(s_lock)); break;                                         \
        case K_SEMAPHORE: LL_TRY(ll_semaphore_enter(s_sem)); break;                                \
        default: LL_TRY(ll_condition_enter(s_cond)); break;                                        \
        }                                                                                          \
    } while (0)

/* The matching exit, on the line where LEAVE is used. */
#define LEAVE(sc, body)                                                                            \
    ((sc).kind == K_TIMEOUT || (sc).kind == K_TIMEOUT_AT ? ll_timeout_exit((sc).to, (body))        \
     : (sc).kind == K_TASKGROUP                          ? ll_taskgroup_exit((sc).tg, (body))      \
     : (sc).kind == K_LOCK                               ? ll_lock_exit(s_lock, (body))            \
     : (sc).kind == K_SEMAPHORE                          ? ll_semaphore_exit(s_sem, (body))        \
                                                         : ll_condition_exit(s_cond, (body)))

static ll_value leaks(LL_NOARGS) {
    open_scope sc = {0};
    ENTER(sc, scope_kind, enter_line);
    LL_TRY(ll_sleep(0)); /* lets a group's child start */
    try_line = __LINE__ + 1;
    LL_TRY(ll_await(ll_coro(fails_at_once))); /* returns early: no exit */
    return LEAVE(sc, ll_none());
}

static void make_primitives(void) {
    s_lock = ll_lock_new("door");
    s_sem = ll_semaphore_new(1, "pool");
    s_cond = ll_condition_new(NULL, "cv");
}

static void print_primitives(void) {
    ll_print("lock held %d, semaphore %d, condition held %d", ll_lock_locked(s_lock),
             ll_semaphore_value(s_sem), ll_condition_locked(s_cond));
}

static ll_value leak_main(LL_NOARGS) {
    make_primitives();
    ll_value r = ll_await(ll_coro(leaks));
    ll_print("leaks gave %s", ll_repr(r));
    print_primitives();
    int rc = ll_errcode(ll_sleep(5)); /* unrelated: nothing may cancel it */
    ll_print("the later sleep gave %d, cancelling() = %u", rc,
             (unsigned)ll_task_cancelling(ll_current_task()));
    return ll_none();
}

static void assert_reported(const char *err, const char *coro, int ret_line, const char *what,
                            int entered, const char *exit) {
    char want[512];
    snprintf(want, sizeof want,
             "test-misuse.c:%d: in task 'Task-1': coroutine '%s' returned "
             "with the %s entered at ",
             ret_line, coro, what);
    ck_assert_contains(err, want);
    snprintf(want, sizeof want, "test-misuse.c:%d still open: every path must reach %s, or use ",
             entered, exit);
    ck_assert_contains(err, want);
}

START_TEST(a_scope_left_open_is_reported_at_once_and_closed) {
    scope_kind = _i;
    outcome o = run_captured(leak_main);
    ck_assert_int_eq(o.rc, 1);
    assert_reported(o.err, "leaks", try_line, scope_kinds[_i].what, enter_line,
                    scope_kinds[_i].exit);
    /* Closed at once: the child cancelled, the primitives given back, and
     * the later sleep of the same task left alone. */
    ck_assert_str_eq(o.out, _i == K_TASKGROUP ? "leaks gave ValueError('boom')\n"
                                                "lock held 0, semaphore 1, condition held 0\n"
                                                "child cancelled\n"
                                                "the later sleep gave 0, cancelling() = 0\n"
                                              : "leaks gave ValueError('boom')\n"
                                                "lock held 0, semaphore 1, condition held 0\n"
                                                "the later sleep gave 0, cancelling() = 0\n");
    /* Said once, when the coroutine returned, and nothing else. */
    ck_assert_ptr_null(strstr(strstr(o.err, "still open") + 1, "still open"));
    ck_assert_ptr_null(strstr(o.err, "was cancelled but returned"));
    outcome_free(&o);
}
END_TEST

/* A task's own body left the scope open: reported as the task ends. */
static ll_value leaks_then_sleeps(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_coro(leaks), "leaky");
    ll_value r = ll_await(t);
    ll_print("the task gave %s", ll_repr(r));
    print_primitives();
    int rc = ll_errcode(ll_sleep(5));
    ll_print("the later sleep gave %d", rc);
    return ll_none();
}

static ll_value task_main(LL_NOARGS) {
    make_primitives();
    return ll_await(ll_coro(leaks_then_sleeps));
}

START_TEST(a_task_body_that_leaves_a_scope_open_is_reported) {
    scope_kind = _i;
    outcome o = run_captured(task_main);
    ck_assert_int_eq(o.rc, 1);
    char want[256];
    snprintf(want, sizeof want, "test-misuse.c:%d: in task 'leaky': coroutine 'leaks' returned",
             try_line);
    ck_assert_contains(o.err, want);
    snprintf(want, sizeof want, "entered at %s", "");
    ck_assert_contains(o.out, "the task gave ValueError('boom')\n"
                              "lock held 0, semaphore 1, condition held 0\n");
    ck_assert_contains(o.out, "the later sleep gave 0\n");
    outcome_free(&o);
}
END_TEST

/* A plain `return` (not LL_TRY) cannot say its line: the report is at the
 * line that entered the scope. */
static ll_value returns_plainly(LL_NOARGS) {
    enter_line = __LINE__ + 1;
    ll_timeout *to = ll_timeout_enter(1.0);
    ll_value r = ll_await(ll_coro(fails_at_once));
    if (ll_failed(r))
        return r;
    return ll_timeout_exit(to, r);
}

static ll_value plain_main(LL_NOARGS) {
    ll_value r = ll_await(ll_coro(returns_plainly));
    ll_print("gave %s; later sleep %d", ll_repr(r), ll_errcode(ll_sleep(3)));
    return ll_none();
}

START_TEST(a_plain_return_is_reported_at_the_entering_line) {
    outcome o = run_captured(plain_main);
    ck_assert_int_eq(o.rc, 1);
    char want[256];
    snprintf(want, sizeof want,
             "test-misuse.c:%d: in task 'Task-1': coroutine "
             "'returns_plainly' returned (by a plain return) with the asyncio.timeout entered "
             "at ",
             enter_line);
    ck_assert_contains(o.err, want);
    snprintf(want, sizeof want, "test-misuse.c:%d still open", enter_line);
    ck_assert_contains(o.err, want);
    ck_assert_str_eq(o.out, "gave ValueError('boom'); later sleep 0\n");
    outcome_free(&o);
}
END_TEST

/* Scopes nest: leaving the outer one while an inner one is open is misuse;
 * the inner one is closed first (and its exit, reached later, says so). */
static ll_value out_of_order(LL_NOARGS) {
    open_scope outer = {0}, inner = {0};
    ENTER(outer, scope_kind, enter_line);
    ENTER(inner, inner_kind, inner_line);
    exit_line = __LINE__ + 1;
    ll_value r = LEAVE(outer, ll_none());
    ll_print("outer left: %s", ll_repr(r));
    print_primitives();
    r = LEAVE(inner, ll_none());
    ll_print("inner left: %s", ll_repr(r));
    return ll_none();
}

static ll_value order_main(LL_NOARGS) {
    make_primitives();
    LL_TRY(ll_await(ll_coro(out_of_order)));
    int rc = ll_errcode(ll_sleep(5));
    ll_print("the later sleep gave %d", rc);
    return ll_none();
}

START_TEST(scopes_left_out_of_order_are_reported) {
    scope_kind = _i;
    inner_kind = _i == K_SEMAPHORE ? K_TIMEOUT : K_SEMAPHORE;
    outcome o = run_captured(order_main);
    ck_assert_int_eq(o.rc, 1);
    char want[512];
    snprintf(want, sizeof want,
             "test-misuse.c:%d: in task 'Task-1': RuntimeError: %s() leaves the %s entered at ",
             exit_line, scope_kinds[_i].exit, scope_kinds[_i].what);
    ck_assert_contains(o.err, want);
    snprintf(want, sizeof want, "test-misuse.c:%d while the %s entered at ", enter_line,
             scope_kinds[inner_kind].what);
    ck_assert_contains(o.err, want);
    snprintf(want, sizeof want, "test-misuse.c:%d inside it is still open", inner_line);
    ck_assert_contains(o.err, want);
    /* The inner scope was closed: its semaphore is back, its deadline off. */
    ck_assert_contains(o.out, "lock held 0, semaphore 1, condition held 0\n");
    ck_assert_contains(o.out, "the later sleep gave 0\n");
    outcome_free(&o);
}
END_TEST

/* A scope is left by the task that entered it. */
static ll_timeout *foreign_to;

static ll_value exits_anothers(LL_NOARGS) {
    exit_line = __LINE__ + 1;
    ll_value r = ll_timeout_exit(foreign_to, ll_none());
    ll_print("exit from another task gave %s", ll_repr(r));
    return ll_none();
}

static ll_value foreign_main(LL_NOARGS) {
    foreign_to = ll_timeout_enter(10);
    LL_TRY(ll_await(ll_create_task(ll_coro(exits_anothers), "other")));
    return ll_timeout_exit(foreign_to, ll_none());
}

START_TEST(a_scope_left_by_another_task_is_refused) {
    outcome o = run_captured(foreign_main);
    char want[160];
    snprintf(want, sizeof want,
             "test-misuse.c:%d: in task 'other': RuntimeError: "
             "ll_timeout_exit() in task 'other' for the timeout entered in task 'Task-1'",
             exit_line);
    ck_assert_contains(o.err, want);
    ck_assert_str_eq(o.out, "exit from another task gave None\n");
    outcome_free(&o);
}
END_TEST

/* An async generator's scopes are its own: one held across a yield does not
 * count against the consumer's scopes, and one the generator leaves open
 * is reported as the generator ends. */
static int agen_enter_line;

static ll_value held_across_yields(LL_NOARGS) {
    ll_lock *l = ll_lock_new("gen");
    LL_TRY(ll_lock_enter(l));
    for (int i = 0; i < 2; i++) {
        ll_value r = ll_yield(ll_int(i));
        if (ll_failed(r)) /* closed early: the exit runs, GeneratorExit goes on */
            return ll_lock_exit(l, r);
    }
    LL_TRY(ll_lock_exit(l, ll_none()));
    agen_enter_line = __LINE__ + 1;
    ll_timeout *to = ll_timeout_enter(10);
    (void)to;
    return ll_none(); /* leaves it open */
}

static ll_value agen_consumer(LL_NOARGS) {
    ll_agen *g = ll_agen(held_across_yields);
    ll_value v;
    while (ll_anext(g, &v)) {
        ll_timeout *to = ll_timeout_enter(5); /* the consumer's own, inside */
        ll_value r = ll_timeout_exit(to, ll_none());
        ll_print("got %s, own scope gave %s", ll_repr(v), ll_repr(r));
    }
    ll_print("generator ended with %s; later sleep %d", ll_repr(v), ll_errcode(ll_sleep(20)));
    return ll_none();
}

START_TEST(an_async_generators_scopes_are_its_own) {
    outcome o = run_captured(agen_consumer);
    ck_assert_int_eq(o.rc, 1);
    ck_assert_str_eq(o.out, "got 0, own scope gave None\ngot 1, own scope gave None\n"
                            "generator ended with None; later sleep 0\n");
    char want[256];
    snprintf(want, sizeof want,
             "coroutine 'held_across_yields' returned (by a plain return) "
             "with the asyncio.timeout entered at ");
    ck_assert_contains(o.err, want);
    snprintf(want, sizeof want, "test-misuse.c:%d still open", agen_enter_line);
    ck_assert_contains(o.err, want);
    ck_assert_ptr_null(strstr(o.err, "leaves the"));
    outcome_free(&o);
}
END_TEST

/* ---- the same shape, as a table ------------------------------------------------------ */

/* What one program that misuses the library must do: its exit status (-1:
 * not checked), all it prints (NULL: not checked), what standard error must
 * say, and what it must not say ("" with quiet: nothing at all). */
typedef struct misuse_case {
    const char *what;
    ll_coro_fn main;
    int rc;
    const char *out;
    const char *err_has[4];
    const char *err_lacks;
    bool quiet;
} misuse_case;

static const misuse_case cases[] = {
    {"ll_run inside a running loop is refused",
     nested_run,
     0,
     "nested ll_run returned 1\n",
     {"in task 'Task-1'", "ll_run() cannot be called from a running event loop"},
     NULL,
     false},
    {"completing a done future is InvalidStateError",
     double_set,
     0,
     "second set_result: InvalidStateError\nset_exception after: InvalidStateError\nresult still "
     "1\n",
     {"InvalidStateError: set_result() on future #", "which is already done", "test-misuse.c:"},
     NULL,
     false},
    {"a NaN delay is refused and a negative one acts as zero",
     nan_sleep,
     0,
     "sleep(nan): ValueError('sleep() delay is NaN')\n"
     "call_later(nan): refused\nsleep(-3): None, time passed 0.0\n",
     {"ValueError: sleep() delay is NaN", "ValueError: the delay is NaN"},
     NULL,
     false},
    {"awaiting what is not awaitable is a TypeError",
     await_garbage,
     0,
     "await garbage: TypeError(\"object can't be used in 'await' expression\")\n"
     "await NULL: TypeError\nawait used coroutine: TypeError\n"
     "await itself: Task cannot await on itself\n",
     {"needs a coroutine made by ll_coro()", "needs a coroutine, got NULL",
      "already awaited or wrapped in a task"},
     NULL,
     false},
    {"a failure nobody retrieved and a coroutine never awaited are reported",
     forget_failure,
     1,
     NULL,
     {"Task exception was never retrieved: task 'forgotten' failed with ValueError: nobody "
      "looked at me",
      "RuntimeWarning: coroutine 'inner' was never awaited"},
     NULL,
     false},
    {"a task awaited after it failed is not reported",
     late_await,
     -1,
     "early: InvalidStateError\nlate: ValueError\n",
     {NULL},
     "never retrieved",
     false},
    {"a retrieved failure is not reported",
     handled_failure,
     0,
     "caught ValueError: nobody looked at me\n",
     {NULL},
     NULL,
     true},
    {"a failing main is printed and the exit status is 1",
     failing,
     1,
     NULL,
     {"the main coroutine failed with ValueError: nobody looked at me"},
     NULL,
     false},
};
enum { NCASES = sizeof cases / sizeof cases[0] };

START_TEST(each_misuse_case_does_what_its_row_says) {
    const misuse_case *c = &cases[_i];
    outcome o = run_captured(c->main);
    if (c->rc >= 0)
        ck_assert_msg(o.rc == c->rc, "%s: exit status %d, not %d", c->what, o.rc, c->rc);
    if (c->out)
        ck_assert_msg(strcmp(o.out, c->out) == 0, "%s: printed\n%s\nnot\n%s", c->what, o.out,
                      c->out);
    for (size_t k = 0; k < sizeof c->err_has / sizeof c->err_has[0] && c->err_has[k]; k++)
        ck_assert_msg(strstr(o.err, c->err_has[k]) != NULL, "%s: expected \"%s\" in:\n%s", c->what,
                      c->err_has[k], o.err);
    if (c->err_lacks)
        ck_assert_msg(strstr(o.err, c->err_lacks) == NULL, "%s: reported: %s", c->what, o.err);
    if (c->quiet)
        ck_assert_msg(o.err[0] == '\0', "%s: standard error says: %s", c->what, o.err);
    outcome_free(&o);
}
END_TEST

static Suite *misuse_suite(void) {
    Suite *s = suite_create("misuse");
    TCase *tc = tcase_create("misuse");
    tcase_add_test(tc, await_outside_a_task_is_a_runtime_error_naming_the_line);
    tcase_add_test(tc, create_task_without_a_running_loop_is_refused);
    tcase_add_test(tc, scheduling_on_a_closed_loop_is_refused);
    tcase_add_loop_test(tc, each_misuse_case_does_what_its_row_says, 0, NCASES);
    suite_add_tcase(s, tc);
    tc = tcase_create("reports");
    tcase_add_test(tc, deadlock_stops_the_loop_and_says_who_waits_on_what);
    tcase_add_test(tc, never_awaited_and_never_retrieved_are_reported_at_cpythons_moments);
    tcase_add_loop_test(tc, a_steps_reports_come_as_it_ends_when_nothing_is_recorded, 0, 2);
    suite_add_tcase(s, tc);
    tc = tcase_create("scopes");
    tcase_add_loop_test(tc, a_scope_left_open_is_reported_at_once_and_closed, 0, K_NKINDS);
    tcase_add_loop_test(tc, a_task_body_that_leaves_a_scope_open_is_reported, 0, K_NKINDS);
    tcase_add_loop_test(tc, scopes_left_out_of_order_are_reported, 0, K_NKINDS);
    tcase_add_test(tc, a_plain_return_is_reported_at_the_entering_line);
    tcase_add_test(tc, a_scope_left_by_another_task_is_refused);
    tcase_add_test(tc, an_async_generators_scopes_are_its_own);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return run_suite(misuse_suite());
}
