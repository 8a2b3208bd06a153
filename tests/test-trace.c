/* test-trace.c - what the scheduler records: one event per state change,
 * with loop time, wall time, task and call site; the text dump; streaming to
 * a file; recording switched off. */
#include "harness-internal.h"
#include "trace/export.h"

_Static_assert(sizeof(ll_trace_event) == 48, "events are fixed-size 48-byte records");

/* Trace 1.6 added item= to a queue's put and get.  A reader of 1.6 takes
 * every version from 1.0 up; in a trace that says 1.5 or older, item= is a
 * field that version did not have, and is refused like any unknown one. */
START_TEST(item_is_a_field_of_1_6_and_refused_in_older_traces) {
    static const char *const body =
        "   0.000000000  -                sync_new     obj=1 kind=queue value=0\n"
        "   0.000000000  -                sync         obj=1 op=put value=1 waiters=0 "
        "item=\"'job0'\"\n"
        "@end events=2\n";
    for (unsigned minor = 0; minor <= 7; minor++) {
        char text[512], err[256];
        snprintf(text, sizeof text, "looplab-trace 1.%u\n%s", minor, body);
        ll_trace t;
        int rc = ll_trace_parse(&t, "mem", text, strlen(text), err, sizeof err);
        if (minor >= 6) { /* 1.6, and a newer minor's reader would take it too */
            ck_assert_msg(rc == 0, "1.%u: %s", minor, err);
            ck_assert_uint_eq(t.rec.n, 2);
            const ll_trace_event *e = ll__rec_at(&t.rec, 1);
            ck_assert_str_eq(ll__rec_strp(&t.rec, e->str, NULL), "'job0'");
        } else {
            ck_assert_msg(rc != 0, "1.%u took item=", minor);
            ck_assert_msg(strstr(err, "mem:3:") && strstr(err, "unknown field 'item'"), "1.%u: %s",
                          minor, err);
        }
        ll_trace_free(&t);
        /* without it, every version reads the same two events */
        snprintf(text, sizeof text,
                 "looplab-trace 1.%u\n"
                 "   0.000000000  -                sync_new     obj=1 kind=queue value=0\n"
                 "   0.000000000  -                sync         obj=1 op=put value=1 "
                 "waiters=0\n@end events=2\n",
                 minor);
        ck_assert_msg(ll_trace_parse(&t, "mem", text, strlen(text), err, sizeof err) == 0,
                      "1.%u: %s", minor, err);
        ck_assert_uint_eq(t.rec.n, 2);
        ll_trace_free(&t);
    }
}
END_TEST

/* A Python trace says so (@language "python") and names its file
 * (@source); asyncio.run's own shutdown tasks are marked as the runtime's,
 * in a Python trace only, and both headers survive a text export. */
START_TEST(python_runtime_tasks_are_marked) {
    static const char *const events =
        "   0.000000000  1:Task-1         task_new     name=\"Task-1\" coro=\"main\"\n"
        "   0.000000000  2:Task-2         task_new     name=\"Task-2\" coro=\"shutdown_asyncgens\" "
        "parent=1\n"
        "   0.000000000  3:Task-3         task_new     name=\"Task-3\" "
        "coro=\"shutdown_asyncgens\"\n"
        "   0.000000000  4:Task-4         task_new     name=\"Task-4\" "
        "coro=\"shutdown_default_executor\"\n"
        "@end events=4\n";
    for (int python = 0; python <= 1; python++) {
        char text[1024], err[256];
        snprintf(text, sizeof text, "looplab-trace 1.6\n%s%s",
                 python ? "@language \"python\"\n@source \"/x/lesson.py\"\n" : "", events);
        ll_trace t;
        ck_assert_msg(ll_trace_parse(&t, "mem", text, strlen(text), err, sizeof err) == 0, "%s",
                      err);
        ck_assert_uint_eq(t.ntasks, 4);
        ck_assert(!t.tasks[0].runtime);
        ck_assert(!t.tasks[1].runtime); /* a program's task may have that name */
        ck_assert_int_eq(t.tasks[2].runtime, python);
        ck_assert_int_eq(t.tasks[3].runtime, python);
        if (python) {
            ck_assert_str_eq(t.meta.language, "python");
            ck_assert_str_eq(t.meta.source, "/x/lesson.py");
            char path[] = "/tmp/looplab-lang-XXXXXX";
            int fd = mkstemp(path);
            ck_assert_int_ge(fd, 0);
            ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
            close(fd);
            char *out = NULL;
            size_t olen = 0;
            FILE *f = open_memstream(&out, &olen);
            ll_trace u;
            ck_assert_msg(ll_trace_convert(f, path, LL_EXPORT_TEXT, &u, err, sizeof err) == 0, "%s",
                          err);
            fclose(f);
            ll_trace_free(&u);
            unlink(path);
            ck_assert_ptr_nonnull(strstr(out, "@language \"python\"\n"));
            ck_assert_ptr_nonnull(strstr(out, "@source \"/x/lesson.py\"\n"));
            free(out);
        } else {
            ck_assert_ptr_null(t.meta.language);
        }
        ll_trace_free(&t);
    }
}
END_TEST

/* A site keeps its id however it is asked for again: by the same pointer
 * (answered from the recorder's memo) and after sites that share its memo
 * slot have pushed it out; another pointer to the same text names the same
 * place (sites are keyed by the __FILE__ pointer they came with). */
START_TEST(a_site_keeps_its_id_through_the_memo) {
    ll__recorder r;
    ll__rec_init(&r, true);
    static const char a[] = "a.c";
    char b[] = "a.c"; /* same text, another pointer */
    static const char *const files[] = {"x.c", "y.c", "z.c"};
    uint32_t first[3][40];
    for (int f = 0; f < 3; f++)
        for (int line = 1; line <= 40; line++)
            first[f][line - 1] = ll__rec_site(&r, files[f], line);
    uint32_t ida = ll__rec_site(&r, a, 7);
    ck_assert_uint_ne(ida, 0);
    uint32_t idb = ll__rec_site(&r, b, 7);
    ck_assert_str_eq(ll__rec_sitep(&r, idb)->file, "a.c");
    ck_assert_int_eq(ll__rec_sitep(&r, idb)->line, 7);
    ck_assert_uint_eq(ll__rec_site(&r, a, 7), ida);
    ck_assert_uint_eq(ll__rec_site(&r, b, 7), idb);
    ck_assert_uint_ne(ll__rec_site(&r, a, 8), ida);
    ck_assert_uint_eq(ll__rec_site(&r, NULL, 7), 0);
    for (int round = 0; round < 3; round++)
        for (int line = 40; line >= 1; line--)
            for (int f = 2; f >= 0; f--) {
                uint32_t id = ll__rec_site(&r, files[f], line);
                ck_assert_uint_eq(id, first[f][line - 1]);
                const ll__site *s = ll__rec_sitep(&r, id);
                ck_assert_str_eq(s->file, files[f]);
                ck_assert_int_eq(s->line, line);
            }
    ck_assert_uint_le(r.nsites, 1 + 3 * 40 + 3);
    ll__rec_free(&r);
}
END_TEST

START_TEST(every_kind_has_one_unique_name) {
    for (unsigned i = 0; i < LL_EV__COUNT; i++) {
        const char *a = ll_event_kind_name(i);
        ck_assert_msg(a && *a, "kind %u has no name", i);
        for (unsigned j = 0; j < i; j++)
            ck_assert_msg(strcmp(a, ll_event_kind_name(j)) != 0, "kinds %u and %u share %s", i, j,
                          a);
    }
    for (unsigned i = 0; i < LL_REASON__COUNT; i++)
        ck_assert(ll_reason_name(i) && *ll_reason_name(i));
    for (unsigned i = 0; i < LL_WAIT__COUNT; i++)
        ck_assert(ll_wait_kind_name(i) && *ll_wait_kind_name(i));
    for (unsigned i = 0; i < LL_WARN__COUNT; i++)
        ck_assert(ll_warn_kind_name(i) && *ll_warn_kind_name(i));
    /* Out of range is named, not a crash. */
    ck_assert_ptr_nonnull(ll_event_kind_name(9999));
}
END_TEST

/* ---- the seed's gather, recorded --------------------------------------------- */

static int sleep_line; /* the line of the ll_sleep call below */

static ll_value worker(ll_value delay) {
    ll_print("start %lld", (long long)delay.i);
    sleep_line = __LINE__ + 1;
    ll_sleep(delay.i);
    ll_print("end %lld", (long long)delay.i);
    return ll_int(delay.i * 2);
}

static ll_value gather_main(LL_NOARGS) {
    ll_task *a = ll_create_task(ll_coro(worker, ll_int(1)), "one");
    ll_task *b = ll_create_task(ll_coro(worker, ll_int(2)), "two");
    ll_await(ll_gather(a, b));
    return ll_none();
}

/* Runs gather_main on a fresh loop, leaving the loop open for inspection. */
static ll_loop *run_open(ll_coro_fn fn, ll_clock clock, int record) {
    ll_loop_opts o = {.clock = clock, .record = record, .trace_path = ""};
    ll_loop *loop = ll_loop_new(&o);
    ck_assert_ptr_nonnull(loop);
    capture out;
    capture_begin(&out, 1);
    ll_loop_run_until_complete(loop, ll_coro(fn));
    free(capture_end(&out));
    return loop;
}

static uint32_t task_id_named(const ll_loop *loop, const char *name) {
    const ll__recorder *r = &loop->rec;
    for (size_t i = 0; i < r->n; i++) {
        const ll_trace_event *e = ll__rec_at(r, i);
        size_t len;
        if (e->kind == LL_EV_TASK_NEW && strcmp(ll__rec_strp(r, e->str, &len), name) == 0)
            return e->task;
    }
    ck_abort_msg("no task named %s", name);
    return 0;
}

START_TEST(a_task_life_is_recorded_step_by_step) {
    ll_loop *loop = run_open(gather_main, LL_CLOCK_VIRTUAL, 1);
    const ll__recorder *r = &loop->rec;
    uint32_t id = task_id_named(loop, "two");
    /* The state changes of task "two", in order, with their times. */
    static const struct {
        ll_event_kind kind;
        unsigned sub;
        int64_t t;
    } want[] = {
        {LL_EV_TASK_NEW, 0, 0},
        {LL_EV_TASK_READY, LL_REASON_CREATED, 0},
        {LL_EV_TASK_RUN, 0, 0},
        {LL_EV_PRINT, 0, 0},
        {LL_EV_TIMER_ARM, 0, 0},
        {LL_EV_TASK_WAIT, LL_WAIT_SLEEP, 0},
        {LL_EV_TIMER_FIRE, 0, 2000000000},
        {LL_EV_CB_QUEUED, LL_REASON_TIMER, 2000000000},
        {LL_EV_CB_RUN, LL_REASON_TIMER, 2000000000},
        {LL_EV_TASK_READY, LL_REASON_SLEEP_DONE, 2000000000},
        {LL_EV_TASK_RUN, 0, 2000000000},
        {LL_EV_PRINT, 0, 2000000000},
        {LL_EV_TASK_DONE, 0, 2000000000},
    };
    size_t k = 0;
    int64_t last_t = 0, last_wall = 0;
    for (size_t i = 0; i < r->n; i++) {
        const ll_trace_event *e = ll__rec_at(r, i);
        ck_assert_msg(e->t >= last_t, "loop time went backwards at event %zu", i);
        ck_assert_msg(e->wall >= last_wall, "wall time went backwards at event %zu", i);
        last_t = e->t;
        last_wall = e->wall;
        if (e->task != id || k == sizeof want / sizeof want[0])
            continue;
        if (e->kind == LL_EV_CB_QUEUED && e->sub == LL_REASON_GATHER)
            continue; /* gather's bookkeeping, queued on the task's behalf */
        ck_assert_msg(e->kind == want[k].kind, "event %zu of task two: %s, expected %s", k,
                      ll_event_kind_name(e->kind), ll_event_kind_name(want[k].kind));
        if (want[k].sub)
            ck_assert_uint_eq(e->sub, want[k].sub);
        ck_assert_int_eq(e->t, want[k].t);
        if (e->kind == LL_EV_TASK_WAIT) {
            ck_assert_int_eq(e->val, 2000000000); /* waits until t = 2 s */
            const ll__site *s = ll__rec_sitep(r, e->site);
            ck_assert_ptr_nonnull(s);
            ck_assert_msg(strstr(s->file, "test-trace.c") != NULL, "site %s", s->file);
            ck_assert_int_eq(s->line, sleep_line);
        }
        if (e->kind == LL_EV_TASK_DONE) {
            size_t len;
            ck_assert_str_eq(ll__rec_strp(r, e->str, &len), "4");
        }
        k++;
    }
    ck_assert_uint_eq(k, sizeof want / sizeof want[0]);
    ck_assert_int_eq(ll_loop_close(loop), 0);
}
END_TEST

START_TEST(task_new_names_parent_and_creation_site) {
    ll_loop *loop = run_open(gather_main, LL_CLOCK_VIRTUAL, 1);
    const ll__recorder *r = &loop->rec;
    uint32_t main_id = task_id_named(loop, "Task-1");
    int found = 0;
    for (size_t i = 0; i < r->n; i++) {
        const ll_trace_event *e = ll__rec_at(r, i);
        if (e->kind != LL_EV_TASK_NEW || e->task == main_id)
            continue;
        found++;
        ck_assert_uint_eq(e->obj, main_id); /* created by main */
        size_t len;
        ck_assert_str_eq(ll__rec_strp(r, e->aux, &len), "worker");
        const ll__site *s = ll__rec_sitep(r, e->site);
        ck_assert_msg(strstr(s->file, "test-trace.c") != NULL, "site %s", s->file);
    }
    ck_assert_int_eq(found, 2);
    ll_loop_close(loop);
}
END_TEST

START_TEST(recording_off_records_nothing_and_runs_the_same) {
    ll_loop *loop = run_open(gather_main, LL_CLOCK_VIRTUAL, -1);
    ck_assert(!loop->rec.on);
    ck_assert_uint_eq(loop->rec.n, 0);
    ck_assert_double_eq(ll_loop_time(loop), 2.0);
    ll_loop_close(loop);
}
END_TEST

START_TEST(recording_off_from_the_environment) {
    setenv("LOOPLAB_RECORD", "0", 1);
    ll_loop *loop = run_open(gather_main, LL_CLOCK_VIRTUAL, 0);
    unsetenv("LOOPLAB_RECORD");
    ck_assert_uint_eq(loop->rec.n, 0);
    ll_loop_close(loop);
}
END_TEST

/* ---- the text dump ----------------------------------------------------------------- */

START_TEST(virtual_clock_dumps_are_identical_run_to_run) {
    ll_loop *a = run_open(gather_main, LL_CLOCK_VIRTUAL, 1);
    char *da = dump_of(a);
    ll_loop_close(a);
    ll_loop *b = run_open(gather_main, LL_CLOCK_VIRTUAL, 1);
    char *db = dump_of(b);
    ll_loop_close(b);
    ck_assert_same_output(da, db);
    ck_assert_msg(strstr(da, "print        text=\"start 1\" at=") != NULL, "%s", da);
    ck_assert_msg(strstr(da, "test-trace.c:") != NULL, "%s", da);
    ck_assert_msg(strstr(da, "done         result=\"4\"") != NULL, "%s", da);
    free(da);
    free(db);
}
END_TEST

static ll_value awkward_main(LL_NOARGS) {
    ll_print("tab\there \"quoted\" back\\slash bell\a caf\xc3\xa9");
    ll_note("two\nlines");
    return ll_none();
}

START_TEST(dump_escapes_awkward_text) {
    ll_loop *loop = run_open(awkward_main, LL_CLOCK_VIRTUAL, 1);
    char *d = dump_of(loop);
    ll_loop_close(loop);
    ck_assert_msg(strstr(d, "text=\"tab\\there \\\"quoted\\\" back\\\\slash bell\\x07 "
                            "caf\xc3\xa9\"") != NULL,
                  "%s", d);
    ck_assert_msg(strstr(d, "note         text=\"two\\nlines\"") != NULL, "%s", d);
    /* One event per line: no raw newline inside an event. */
    size_t lines = 0;
    for (const char *p = d; *p; p++)
        lines += *p == '\n';
    ck_assert_uint_gt(lines, 4);
    free(d);
}
END_TEST

/* ---- streaming to a file ---------------------------------------------------------- */

static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, k, m);
    fclose(m);
    fclose(f);
    return buf;
}

START_TEST(trace_is_streamed_while_the_loop_runs) {
    char path[] = "/tmp/looplab-trace-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ll_loop_opts o = {.clock = LL_CLOCK_VIRTUAL, .trace_path = path};
    ll_loop *loop = ll_loop_new(&o);
    capture out;
    capture_begin(&out, 1);
    ll_loop_run_until_complete(loop, ll_coro(gather_main));
    free(capture_end(&out));
    /* Before close: everything up to the last iteration is already there. */
    char *mid = slurp(path);
    ck_assert_msg(strstr(mid, "text=\"end 2\"") != NULL, "%s", mid);
    ck_assert_msg(strstr(mid, "@end events=") == NULL, "%s", mid);
    size_t n = loop->rec.n;
    ck_assert_int_eq(ll_loop_close(loop), 0);
    char *full = slurp(path);
    ck_assert_msg(strncmp(full, "looplab-trace 1.6\n", 18) == 0, "%s", full);
    char endline[64];
    snprintf(endline, sizeof endline, "@end events=%zu\n", n + 1); /* + loop_stop */
    ck_assert_msg(strstr(full, endline) != NULL, "want %s in:\n%s", endline, full);
    free(mid);
    free(full);
    unlink(path);
}
END_TEST

START_TEST(unwritable_trace_path_is_reported_not_fatal) {
    ll_loop_opts o = {.clock = LL_CLOCK_VIRTUAL, .trace_path = "/nonexistent-dir/trace.txt"};
    capture err, out;
    capture_begin(&err, 2);
    capture_begin(&out, 1);
    int rc = ll_run_opts(ll_coro(gather_main), &o);
    char *so = capture_end(&out);
    char *se = capture_end(&err);
    ck_assert_str_eq(so, "start 1\nstart 2\nend 1\nend 2\n"); /* the program still ran */
    ck_assert_msg(strstr(se, "cannot write the trace to /nonexistent-dir/trace.txt") != NULL, "%s",
                  se);
    ck_assert_int_eq(rc, 1); /* but the run says something went wrong */
    free(so);
    free(se);
}
END_TEST

/* ---- the real clock ------------------------------------------------------------------ */

static ll_value short_main(LL_NOARGS) {
    ll_sleep(0.03);
    ll_print("woke");
    return ll_none();
}

START_TEST(real_clock_times_are_real) {
    ll_loop *loop = run_open(short_main, LL_CLOCK_REAL, 1);
    const ll__recorder *r = &loop->rec;
    bool seen = false;
    for (size_t i = 0; i < r->n; i++) {
        const ll_trace_event *e = ll__rec_at(r, i);
        if (e->kind == LL_EV_PRINT) {
            seen = true;
            ck_assert_int_ge(e->t, 30000000);
            ck_assert_int_lt(e->t, 2000000000);
            ck_assert_int_ge(e->wall, 30000000);
        }
    }
    ck_assert(seen);
    ll_loop_close(loop);
}
END_TEST

/* ---- cancelled timers and warnings ---------------------------------------------------- */

static ll_value cancel_main(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_sleep_coro(100), "long"); /* create_task(sleep(100)) */
    ll_sleep(0);
    ll_task_cancel(t);
    ll_await(t);
    return ll_none();
}

START_TEST(cancelling_a_sleep_records_the_timer_cancel) {
    ll_loop *loop = run_open(cancel_main, LL_CLOCK_VIRTUAL, 1);
    const ll__recorder *r = &loop->rec;
    uint32_t id = task_id_named(loop, "long");
    int arm = 0, cancel = 0, cancelled = 0, req = 0;
    for (size_t i = 0; i < r->n; i++) {
        const ll_trace_event *e = ll__rec_at(r, i);
        arm += e->kind == LL_EV_TIMER_ARM && e->task == id;
        cancel += e->kind == LL_EV_TIMER_CANCEL && e->task == id;
        cancelled += e->kind == LL_EV_TASK_CANCELLED && e->task == id;
        req += e->kind == LL_EV_CANCEL && e->obj == id && e->aux == 1;
    }
    ck_assert_int_eq(arm, 1);
    ck_assert_int_eq(cancel, 1);
    ck_assert_int_eq(cancelled, 1);
    ck_assert_int_eq(req, 1);
    ck_assert_double_eq(ll_loop_time(loop), 0.0); /* nobody waited for the timer */
    ll_loop_close(loop);
}
END_TEST

/* The sleep's timer fires after the sleeping task was cancelled but before
 * that task ran: the task runs first (its wake-up was queued earlier), leaves
 * the sleep and finishes; the timer's callback then runs with nothing to do.
 * It must not reach the finished task's stack, where the sleep kept its
 * future (ASan and Valgrind catch it: a finished task's stack is out of
 * bounds while kept for reuse). */
/* The number of the first line at or after line `from` that contains
 * needle, or -1. */
static long line_with(const char *text, const char *needle, long from) {
    if (from < 0)
        return -1;
    long n = 0;
    for (const char *p = text; *p; n++) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (n >= from && memmem(p, len, needle, strlen(needle)))
            return n;
        if (!end)
            break;
        p = end + 1;
    }
    return -1;
}

static ll_value napper(LL_NOARGS) {
    ll_value r = ll_sleep(1.0);
    ll_print("napper: %s", ll_except(r, LL_ECANCELLED) ? "cancelled" : "woke up");
    return r;
}

static ll_value late_main(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_coro(napper), "napper");
    ll_sleep(0);              /* the napper starts its sleep */
    ll_blocking_sleep(2.0);   /* time.sleep(2): the loop's clock passes the timer */
    ll_task_cancel(t);        /* the napper's wake-up is queued now ... */
    ll_value v = ll_await(t); /* ... the timer is moved to the queue after it */
    ll_print("main: napper %s", ll_is_cancelled(v) ? "cancelled" : "not cancelled");
    /* More tasks on the reused stack, while the late callback is still due. */
    ll_await(ll_gather(ll_coro(napper)));
    return ll_none();
}

START_TEST(a_timer_firing_after_its_sleep_was_cancelled_does_nothing) {
    char *trace;
    char *out = run_loop(late_main, LL_CLOCK_VIRTUAL, -1, NULL, NULL, &trace, NULL);
    ck_assert_str_eq(out, "napper: cancelled\nmain: napper cancelled\nnapper: woke up\n");
    /* The order that matters: the timer fires, the napper finishes
     * cancelling, and only then does the timer's callback run. */
    long fire = line_with(trace, " timer_fire ", 0);
    long cancelled = line_with(trace, " cancelled ", 0);
    long run = line_with(trace, " cb_run ", fire);
    ck_assert_msg(fire >= 0 && cancelled > fire && run > cancelled,
                  "timer_fire at %ld, cancelled at %ld, cb_run at %ld", fire, cancelled, run);
    free(out);
    free(trace);
}
END_TEST

int main(void) {
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("events");
    tcase_add_test(tc, every_kind_has_one_unique_name);
    tcase_add_test(tc, a_task_life_is_recorded_step_by_step);
    tcase_add_test(tc, task_new_names_parent_and_creation_site);
    tcase_add_test(tc, recording_off_records_nothing_and_runs_the_same);
    tcase_add_test(tc, recording_off_from_the_environment);
    tcase_add_test(tc, cancelling_a_sleep_records_the_timer_cancel);
    tcase_add_test(tc, a_timer_firing_after_its_sleep_was_cancelled_does_nothing);
    tcase_add_test(tc, real_clock_times_are_real);
    suite_add_tcase(s, tc);
    tc = tcase_create("dump");
    tcase_add_test(tc, virtual_clock_dumps_are_identical_run_to_run);
    tcase_add_test(tc, dump_escapes_awkward_text);
    tcase_add_test(tc, trace_is_streamed_while_the_loop_runs);
    tcase_add_test(tc, unwritable_trace_path_is_reported_not_fatal);
    tcase_add_test(tc, item_is_a_field_of_1_6_and_refused_in_older_traces);
    tcase_add_test(tc, python_runtime_tasks_are_marked);
    tcase_add_test(tc, a_site_keeps_its_id_through_the_memo);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
