/* test-writer.c - the trace writer stays inside what the reader accepts.
 *
 * Whatever a program does -- print 10 MB on one line, print bytes that are
 * not UTF-8, sleep for 1e300 s, gather thousands of results, name a task
 * with a megabyte -- and however it ends -- returning, exit(), _exit(),
 * quick_exit(), a SIGTERM at any moment -- the trace it leaves must be one
 * the reader (ll_trace_parse) accepts.  Programs run in forked children
 * streaming to a file, as under `looplab run`; the parent reads the file. */
#include "harness-internal.h"

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "trace/export.h"
#include "trace/textfmt.h"
#include "view/model.h"

/* ---- running a program in a child ------------------------------------------ */

/* malloc for the programs below, which have no use for a NULL. */
static void *xmalloc(size_t n) {
    void *p = malloc(n);
    if (!p)
        abort();
    return p;
}

static char trace_path[64];

static void make_trace_path(void) {
    snprintf(trace_path, sizeof trace_path, "/tmp/looplab-writer-%ld.trace", (long)getpid());
    unlink(trace_path);
}

/* Registered before the library's exit handler, so run after it: the child
 * ends there, before LeakSanitizer's handler (registered first of all) would
 * report the test runner's memory, which a child that leaves by exit()
 * never frees. */
static void end_child(int status, void *arg LL_UNUSED) {
    _exit(status);
}

/* Forks a child that runs main(arg) on a virtual-clock loop streaming its
 * trace to trace_path, its output thrown away, and returns its pid. */
static pid_t spawn(ll_coro_fn main, int64_t arg) {
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork failed");
    if (pid > 0)
        return pid;
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    /* The library flushes the trace on these only where they are not
     * handled already (Check's runner may have handlers of its own). */
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
    alarm(120); /* a child that hangs dies instead (its trace is still read) */
    on_exit(end_child, NULL);
    ll_loop_opts o = {
        .clock = LL_CLOCK_VIRTUAL, .record = 1, .trace_path = trace_path, .slow_step = -1};
    ll_loop *loop = ll_loop_new(&o);
    ll_loop_run_until_complete(loop, ll_coro(main, ll_int(arg)));
    ll_loop_close(loop);
    _exit(0);
}

static int wait_child(pid_t pid) {
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return st;
}

/* Reads trace_path; fails the test, naming `who` and the reader's message,
 * when the reader refuses it. */
static void load_ok(ll_trace *t, const char *who) {
    char err[512];
    int rc = ll_trace_load(t, trace_path, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: the reader refused the trace: %s", who, err);
}

/* The events of one kind whose string field starts with `prefix`. */
static size_t count_texts(const ll_trace *t, unsigned kind, const char *prefix) {
    size_t n = 0;
    for (size_t i = 0; i < t->rec.n; i++) {
        const ll_trace_event *e = ll__rec_at(&t->rec, i);
        const char *s = ll__rec_strp(&t->rec, e->str, NULL);
        n += e->kind == kind && strncmp(s, prefix, strlen(prefix)) == 0;
    }
    return n;
}

static const ll_trace_event *find_kind(const ll_trace *t, unsigned kind, size_t *index) {
    for (size_t i = 0; i < t->rec.n; i++)
        if (ll__rec_at(&t->rec, i)->kind == kind) {
            if (index)
                *index = i;
            return ll__rec_at(&t->rec, i);
        }
    return NULL;
}

/* ---- long strings are clipped, and say so ---------------------------------- */

enum { BIG = 10 << 20, BAD = 400000 };

static ll_value print_big(LL_NOARGS) {
    char *s = xmalloc(BIG + 1);
    memset(s, 'a', BIG);
    s[BIG] = '\0';
    ll_print("%s", s);
    /* Bytes that are not UTF-8 are written as \xHH, four bytes each. */
    memset(s, 0xff, BAD);
    s[BAD] = '\0';
    ll_print("%s", s);
    free(s);
    return ll_none();
}

START_TEST(long_strings_are_clipped_under_the_line_limit) {
    make_trace_path();
    ck_assert_int_eq(WEXITSTATUS(wait_child(spawn(print_big, 0))), 0);
    ll_trace t;
    load_ok(&t, "a 10 MB print");
    ck_assert_msg(!t.truncated, "the trace lost its @end");
    size_t i;
    const ll_trace_event *e = find_kind(&t, LL_EV_PRINT, &i);
    ck_assert_msg(e != NULL, "no print event");
    size_t n;
    ll__rec_strp(&t.rec, e->str, &n);
    ck_assert_uint_eq(n, LL_TRACE_MAX_STR);
    ck_assert_uint_eq(ll_trace_clipped(&t, i), (uint64_t)BIG - LL_TRACE_MAX_STR);
    /* The invalid bytes: a quarter of the escaped limit each. */
    e = ll__rec_at(&t.rec, i + 1);
    ck_assert_int_eq(e->kind, LL_EV_PRINT);
    ll__rec_strp(&t.rec, e->str, &n);
    ck_assert_uint_eq(n, LL_TRACE_MAX_STR / 4);
    ck_assert_uint_eq(ll_trace_clipped(&t, i + 1), (uint64_t)BAD - LL_TRACE_MAX_STR / 4);
    ll_trace_free(&t);
    unlink(trace_path);
}
END_TEST

/* The viewer's model builds from a clipped trace and shows the clipped text
 * as the printed output. */
START_TEST(the_viewer_model_takes_a_clipped_trace) {
    make_trace_path();
    ck_assert_int_eq(WEXITSTATUS(wait_child(spawn(print_big, 0))), 0);
    ll_trace t;
    load_ok(&t, "a 10 MB print");
    llv_model m;
    char err[256];
    ck_assert_msg(llv_model_build(&m, &t, err, sizeof err) == 0, "model: %s", err);
    llv_model_seek(&m, m.trace.rec.n - 1);
    size_t i;
    const ll_trace_event *e = find_kind(&m.trace, LL_EV_PRINT, &i);
    ck_assert_msg(e != NULL, "no print event in the model's trace");
    ck_assert_uint_eq(ll_trace_clipped(&m.trace, i), (uint64_t)BIG - LL_TRACE_MAX_STR);
    ck_assert_uint_eq(strlen(llv_str(&m, e->str)), LL_TRACE_MAX_STR);
    llv_model_free(&m);
    unlink(trace_path);
}
END_TEST

/* What the student sees is not clipped: only the trace's copy is. */
START_TEST(clipping_leaves_the_printed_output_whole) {
    char *out = run_loop(print_big, LL_CLOCK_VIRTUAL, -1, NULL, NULL, NULL, NULL);
    size_t n = strlen(out);
    ck_assert_uint_ge(n, (size_t)BIG + 1);
    ck_assert_msg(out[0] == 'a' && out[BIG - 1] == 'a' && out[BIG] == '\n',
                  "the 10 MB line did not reach stdout whole");
    free(out);
}
END_TEST

static ll_value returns_arg(ll_value v) {
    return v;
}

static ll_value gather_many(ll_value count) {
    size_t n = (size_t)count.i;
    void **aws = xmalloc(n * sizeof *aws);
    for (size_t i = 0; i < n; i++)
        aws[i] = ll_coro(returns_arg, ll_int((int64_t)(1000000 + i)));
    ll_value v = ll_await(ll_gatherv(aws, n, false));
    free(aws);
    return v;
}

START_TEST(a_huge_gather_result_is_clipped) {
    make_trace_path();
    int64_t n = under_checker() ? 20000 : 200000; /* 160 kB or 1.6 MB of repr */
    ck_assert_int_eq(WEXITSTATUS(wait_child(spawn(gather_many, n))), 0);
    ll_trace t;
    load_ok(&t, "a gather of many results");
    size_t clipped = 0;
    for (size_t i = 0; i < t.rec.n; i++) {
        const ll_trace_event *e = ll__rec_at(&t.rec, i);
        if (e->kind != LL_EV_FUT_DONE || !ll_trace_clipped(&t, i))
            continue;
        size_t len;
        const char *s = ll__rec_strp(&t.rec, e->str, &len);
        ck_assert_uint_eq(len, LL_TRACE_MAX_STR);
        ck_assert_msg(strncmp(s, "[1000000, 1000001, ", 19) == 0, "value starts '%.30s'", s);
        clipped++;
    }
    ck_assert_uint_ge(clipped, 1);
    ll_trace_free(&t);
    unlink(trace_path);
}
END_TEST

/* Parses text that must be accepted. */
static void parse_ok(ll_trace *t, const char *text, size_t len) {
    char err[512];
    int rc = ll_trace_parse(t, "mem", text, len, err, sizeof err);
    ck_assert_msg(rc == 0, "refused: %s", err);
}

static char *write_back(const ll_trace *t, size_t *len) {
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    ck_assert_int_eq(ll_trace_write_parsed(f, t), 0);
    fclose(f);
    return buf;
}

/* The case: a trace the reader accepts, holding a 400 kB line of raw
 * bytes that are not UTF-8, exported as text. */
START_TEST(exporting_invalid_utf8_stays_under_the_line_limit) {
    const char *head = "looplab-trace 1.4\n   0.000000000  -                note         text=\"";
    size_t hl = strlen(head);
    char *text = xmalloc(hl + BAD + 64);
    memcpy(text, head, hl);
    memset(text + hl, 0xfe, BAD);
    size_t len = hl + BAD;
    len += (size_t)sprintf(text + len, "\"\n@end events=1\n");
    ll_trace t;
    parse_ok(&t, text, len);
    size_t olen;
    char *out = write_back(&t, &olen);
    ll_trace u;
    parse_ok(&u, out, olen);
    size_t n;
    ll__rec_strp(&u.rec, ll__rec_at(&u.rec, 0)->str, &n);
    ck_assert_uint_eq(n, LL_TRACE_MAX_STR / 4);
    ck_assert_uint_eq(ll_trace_clipped(&u, 0), (uint64_t)BAD - LL_TRACE_MAX_STR / 4);
    for (char *p = out, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
        ck_assert_uint_le((size_t)(nl - p), LL_TRACE_MAX_LINE);
    ll_trace_free(&u);
    ll_trace_free(&t);
    free(out);
    free(text);
}
END_TEST

START_TEST(clipped_is_read_kept_and_written_back) {
    const char *text = "looplab-trace 1.4\n"
                       "   0.000000000  -                note         text=\"abc\" clipped=5\n"
                       "   0.000000000  -                note         text=\"d\"\n"
                       "@end events=2\n";
    ll_trace t;
    parse_ok(&t, text, strlen(text));
    ck_assert_uint_eq(ll_trace_clipped(&t, 0), 5);
    ck_assert_uint_eq(ll_trace_clipped(&t, 1), 0);
    size_t len;
    char *out = write_back(&t, &len);
    ck_assert_msg(strstr(out, "text=\"abc\" clipped=5\n") != NULL, "written back as:\n%s", out);
    ck_assert_msg(strstr(out, "text=\"d\"\n") != NULL, "written back as:\n%s", out);
    free(out);
    ll_trace_free(&t);
    /* A count that is not a positive number, or one given twice, is refused. */
    static const char *const bad[] = {"clipped=0", "clipped=-3", "clipped=x",
                                      "clipped=1 clipped=2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[256];
        snprintf(buf, sizeof buf, "looplab-trace 1.4\n   0.000000000  -  note  text=\"a\" %s\n",
                 bad[i]);
        char err[256];
        ck_assert_msg(ll_trace_parse(&t, "mem", buf, strlen(buf), err, sizeof err) != 0,
                      "'%s' was accepted", bad[i]);
        ck_assert_msg(strstr(err, "mem:2:") != NULL, "'%s': message '%s'", bad[i], err);
        ll_trace_free(&t);
    }
}
END_TEST

/* Several clipped events, one after another and one on a line of a kind
 * this reader does not know: whole or streamed (as `looplab export` and
 * `stats` read), each event keeps its own count.  The streamed reader used
 * to refuse the second clipped= of a trace as 'given twice'. */
START_TEST(every_clipped_event_keeps_its_count_whole_or_streamed) {
    const char *text = "looplab-trace 1.7\n" /* a later minor: unknown kinds are skipped */
                       "   0.000000000  -                note         text=\"abc\" clipped=5\n"
                       "   0.000000000  -                note         text=\"de\" clipped=7\n"
                       "   0.000000000  -                from_a_later_version x=\"y\" clipped=9\n"
                       "   0.000000000  -                note         text=\"f\"\n"
                       "   0.000000000  -                note         text=\"gh\" clipped=11\n"
                       "@end events=5\n";
    ll_trace t;
    parse_ok(&t, text, strlen(text));
    uint64_t want[] = {5, 7, 0, 11};
    ck_assert_uint_eq(t.rec.n, 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(ll_trace_clipped(&t, i), want[i]);
    size_t wl;
    char *whole = write_back(&t, &wl);
    ll_trace_free(&t);
    char path[] = "/tmp/looplab-test-clips-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char *streamed = NULL, err[256] = "";
    size_t sl = 0;
    FILE *f = open_memstream(&streamed, &sl);
    ck_assert_msg(ll_trace_convert(f, path, LL_EXPORT_TEXT, &t, err, sizeof err) == 0, "%s", err);
    fclose(f);
    ll_trace_free(&t);
    ck_assert_str_eq(streamed, whole);
    ck_assert_msg(strstr(whole, "text=\"de\" clipped=7\n") &&
                      strstr(whole, "text=\"gh\" clipped=11\n") && strstr(whole, "text=\"f\"\n"),
                  "written back as:\n%s", whole);
    free(streamed);
    streamed = NULL;
    f = open_memstream(&streamed, &sl);
    ck_assert_msg(ll_trace_convert(f, path, LL_EXPORT_STATS, &t, err, sizeof err) == 0, "%s", err);
    fclose(f);
    ll_trace_free(&t);
    unlink(path);
    free(streamed);
    free(whole);
}
END_TEST

/* ---- a queue's items (trace 1.6) ------------------------------------------ */

/* Puts four items on a queue and takes them off again: a number, a short
 * string, a 100-character string and one with a two-byte character (é)
 * across the 40th byte, so the writer must cut before it. */
static ll_value queue_items_main(LL_NOARGS) {
    ll_queue *q = ll_queue_new(0, "q");
    char longs[101], accents[64];
    memset(longs, 'x', 100);
    longs[100] = '\0';
    /* "'" + 38 'a' + "é...": the é's two bytes are the repr's 40th and 41st */
    memset(accents, 'a', 38);
    snprintf(accents + 38, sizeof accents - 38, "\xC3\xA9\xC3\xA9tail");
    LL_TRY(ll_queue_put(q, ll_int(7)));
    LL_TRY(ll_queue_put(q, ll_str("job0")));
    LL_TRY(ll_queue_put(q, ll_str(longs)));
    LL_TRY(ll_queue_put(q, ll_str(accents)));
    for (int i = 0; i < 4; i++)
        LL_TRY(ll_queue_get(q));
    return ll_none();
}

/* Each put and get says which item, its repr clipped to 40 bytes, and the
 * event counts what was left out in clipped=N. */
START_TEST(queue_puts_and_gets_record_their_item_clipped_to_40_bytes) {
    make_trace_path();
    ck_assert_int_eq(WEXITSTATUS(wait_child(spawn(queue_items_main, 0))), 0);
    ll_trace t;
    load_ok(&t, "queue items");
    ck_assert_uint_eq(t.minor, 6);
    /* the repr written, and the bytes of it left out */
    static const struct {
        const char *item;
        uint64_t clipped;
    } want[] = {
        {"7", 0},
        {"'job0'", 0},
        {"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 102 - 40},
        /* 39 bytes: the é would end at byte 41, so it and the rest go */
        {"'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 2 + 2 + 4 + 1},
    };
    size_t puts = 0, gets = 0;
    for (size_t i = 0; i < t.rec.n; i++) {
        const ll_trace_event *e = ll__rec_at(&t.rec, i);
        if (e->kind != LL_EV_SYNC || (e->sub != LL_SYNC_OP_PUT && e->sub != LL_SYNC_OP_GET))
            continue;
        size_t *k = e->sub == LL_SYNC_OP_PUT ? &puts : &gets;
        ck_assert_uint_lt(*k, 4);
        const char *item = ll__rec_strp(&t.rec, e->str, NULL);
        ck_assert_msg(strcmp(item, want[*k].item) == 0, "%s %zu: item '%s', expected '%s'",
                      ll_sync_op_name(e->sub), *k, item, want[*k].item);
        ck_assert_msg(ll_trace_clipped(&t, i) == want[*k].clipped,
                      "%s %zu: clipped=%llu, expected %llu", ll_sync_op_name(e->sub), *k,
                      (unsigned long long)ll_trace_clipped(&t, i),
                      (unsigned long long)want[*k].clipped);
        (*k)++;
    }
    ck_assert_uint_eq(puts, 4);
    ck_assert_uint_eq(gets, 4);
    /* written back as read: the same items, the same counts */
    size_t len;
    char *out = write_back(&t, &len);
    ck_assert_msg(strstr(out, "op=put value=2 waiters=0 item=\"'job0'\"") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "item=\"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" at=") != NULL &&
                      strstr(out, " clipped=62") != NULL,
                  "%s", out);
    free(out);
    ll_trace_free(&t);
    unlink(trace_path);
}
END_TEST

static ll_value named_task_main(LL_NOARGS) {
    size_t n = 300000;
    char *name = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        name[i] = i % 7 == 0 ? ' ' : 'n'; /* spaces: written quoted */
    name[n] = '\0';
    ll_task *t = ll_create_task(ll_coro(returns_arg, ll_int(1)), name);
    ll_print("waiting");
    ll_value v = ll_await(t);
    free(name);
    return v;
}

/* A task's name is in its task_new and in the task column of each of its
 * lines: clipped the same way in both, so the reader finds them equal. */
START_TEST(a_huge_task_name_is_clipped_alike_everywhere) {
    make_trace_path();
    ck_assert_int_eq(WEXITSTATUS(wait_child(spawn(named_task_main, 0))), 0);
    ll_trace t;
    load_ok(&t, "a task with a 300 kB name");
    size_t i, tasks = 0;
    for (i = 0; i < t.rec.n; i++) {
        const ll_trace_event *e = ll__rec_at(&t.rec, i);
        if (e->kind != LL_EV_TASK_NEW || e->task != 2)
            continue;
        tasks++;
        size_t n;
        ll__rec_strp(&t.rec, e->str, &n);
        ck_assert_uint_le(n, LL_TRACE_MAX_STR);
        ck_assert_uint_gt(n, LL_TRACE_MAX_STR - 8);
        ck_assert_uint_eq(ll_trace_clipped(&t, i), 300000 - n);
    }
    ck_assert_uint_eq(tasks, 1);
    ll_trace_free(&t);
    unlink(trace_path);
}
END_TEST

/* ---- extreme times: one rule on both sides --------------------------------- */

static int late_calls;
static void late_cb(void *arg) {
    (void)arg;
    late_calls++;
}

static ll_value extreme_times_main(LL_NOARGS) {
    ll_loop *loop = ll_get_running_loop();
    ll_call_later(loop, 1e300, late_cb, NULL);
    ll_call_later(loop, INFINITY, late_cb, NULL);
    ll_call_at(loop, -1e300, late_cb, NULL); /* long past: due at once */
    ll_value v = ll_wait_for(ll_sleep_coro(1.0), 1e300);
    if (ll_failed(v))
        return v;
    ll_print("late callbacks before the long sleep: %d", late_calls);
    ll_timeout *to = ll_timeout_enter(1e300);
    ll_sleep(1e300); /* the clock jumps to its end */
    ll_timeout_exit(to, ll_none());
    ll_sleep(1); /* and stays there, instead of wrapping around */
    ll_sleep(INFINITY);
    ll_print("late callbacks at the end: %d", late_calls);
    return ll_none();
}

START_TEST(extreme_times_are_written_as_the_largest_time_read) {
    make_trace_path();
    ck_assert_int_eq(WEXITSTATUS(wait_child(spawn(extreme_times_main, 0))), 0);
    ll_trace t;
    load_ok(&t, "sleeps and timers of 1e300 s");
    /* call_later(1e300) is not due before a 1 s sleep ends (it used to fire
     * at once: 1e300 * 1e9 did not fit in int64_t). */
    ck_assert_uint_eq(count_texts(&t, LL_EV_PRINT, "late callbacks before the long sleep: 1"), 1);
    int64_t last = 0;
    for (size_t i = 0; i < t.rec.n; i++) {
        const ll_trace_event *e = ll__rec_at(&t.rec, i);
        ck_assert_int_le(e->t, LL_TRACE_TIME_MAX);
        last = e->t;
    }
    ck_assert_int_eq(last, LL_TRACE_TIME_MAX);
    ll_trace_free(&t);
    unlink(trace_path);
}
END_TEST

/* The writer writes any int64_t time as one the reader takes, and the
 * reader takes exactly the range the writer writes. */
START_TEST(the_reader_takes_the_writers_largest_time_and_no_more) {
    ll__recorder r;
    ll__rec_init(&r, true);
    const int64_t times[] = {INT64_MIN,         -LL_TRACE_TIME_MAX - 1, -5,       0,
                             LL_TRACE_TIME_MAX, LL_TRACE_TIME_MAX + 1,  INT64_MAX};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        ll_trace_event *e = ll__rec_next(&r);
        memset(e, 0, sizeof *e);
        e->kind = LL_EV_TIMER_ARM;
        e->val = times[i]; /* when= */
        e->obj = 1;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(ll_trace_write(f, &r, NULL, false), 0);
    fclose(f);
    ll_trace t;
    parse_ok(&t, buf, len);
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        int64_t want = times[i] > LL_TRACE_TIME_MAX    ? LL_TRACE_TIME_MAX
                       : times[i] < -LL_TRACE_TIME_MAX ? -LL_TRACE_TIME_MAX
                                                       : times[i];
        ck_assert_int_eq(ll__rec_at(&t.rec, i)->val, want);
    }
    ll_trace_free(&t);
    free(buf);
    ll__rec_free(&r);
    /* The reader's side of the same bound. */
    static const struct {
        const char *time;
        bool ok;
    } cases[] = {{"9223372035.999999999", true},
                 {"-9223372035.999999999", true},
                 {"9223372036.000000000", false},
                 {"-9223372036.000000000", false},
                 {"99999999999.0", false}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256], err[256];
        snprintf(text, sizeof text, "looplab-trace 1.4\n0.0 - timer_arm timer=1 when=%s\n",
                 cases[i].time);
        int rc = ll_trace_parse(&t, "mem", text, strlen(text), err, sizeof err);
        ck_assert_msg((rc == 0) == cases[i].ok, "when=%s: %s", cases[i].time,
                      rc ? err : "accepted");
        if (rc == 0)
            ck_assert_int_eq(ll__rec_at(&t.rec, 0)->val,
                             cases[i].time[0] == '-' ? -LL_TRACE_TIME_MAX : LL_TRACE_TIME_MAX);
        ll_trace_free(&t);
    }
}
END_TEST

/* ---- the ways a program can end --------------------------------------------- */

static ll_value lines_then(ll_value how) {
    for (int i = 0; i < 5; i++) {
        ll_print("line %d", i);
        ll_sleep(0.1);
    }
    switch (how.i) {
    case 1: _exit(3);
    case 2: quick_exit(3);
    default: exit(3);
    }
}

START_TEST(every_iteration_survives_an_exit_that_runs_no_handler) {
    static const char *const names[] = {"", "_exit", "quick_exit", "exit"};
    for (int how = 1; how <= 3; how++) {
        make_trace_path();
        int st = wait_child(spawn(lines_then, how));
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 3, "%s: status %d", names[how], st);
        ll_trace t;
        load_ok(&t, names[how]);
        ck_assert_msg(count_texts(&t, LL_EV_PRINT, "line ") == 5,
                      "%s: %zu of the 5 printed lines are in the trace (%zu events)", names[how],
                      count_texts(&t, LL_EV_PRINT, "line "), t.rec.n);
        /* exit() and quick_exit() run handlers: the trace says how it ended. */
        const ll_trace_event *end = find_kind(&t, LL_EV_RUN_END, NULL);
        ck_assert_msg((end != NULL) == (how != 1), "%s: run_end %s", names[how],
                      end ? "written" : "missing");
        /* exit() tells its handler the status (glibc's on_exit). */
        if (how == 3)
            ck_assert_int_eq(end->val, 3);
        ll_trace_free(&t);
        unlink(trace_path);
    }
}
END_TEST

static void spin_ms(int ms) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < ms * 1000000L);
}

static ll_value slow_step(LL_NOARGS) {
    ll_print("a slow step");
    spin_ms(5); /* wall time, not loop time: the loop does not see it */
    return ll_none();
}

static ll_value exits_at_once(LL_NOARGS) {
    _exit(4);
}

static ll_value two_steps_main(LL_NOARGS) {
    ll_task *a = ll_create_task(ll_coro(slow_step), "slow");
    ll_task *b = ll_create_task(ll_coro(exits_at_once), "exits");
    ll_await(a);
    ll_await(b);
    return ll_none();
}

/* Both tasks run in the same iteration: the first step's lines are written
 * out because it took longer than LL__WRITE_EVERY_NS, before _exit. */
START_TEST(a_long_step_is_written_out_before_the_iteration_ends) {
    make_trace_path();
    int st = wait_child(spawn(two_steps_main, 0));
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 4, "status %d", st);
    ll_trace t;
    load_ok(&t, "_exit in the step after a slow one");
    ck_assert_uint_eq(count_texts(&t, LL_EV_PRINT, "a slow step"), 1);
    ll_trace_free(&t);
    unlink(trace_path);
}
END_TEST

/* ---- a property: any program, any ending, a trace the reader takes --------- */

/* The programs below are drawn from a seeded generator, so a failure names
 * the seed that reproduces it. */
static uint64_t rng;
static unsigned draw(unsigned n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Every line the generated program prints starts "#N " with N counting up:
 * the trace must hold them in order, none twice, none skipped. */
static int printed;

static double extreme_delay(void) {
    static const double d[] = {0, 1e-9, 0.001, 0.5, 3, -1, 1e300, INFINITY, 9.2e9, 9.3e18};
    return d[draw(sizeof d / sizeof d[0])];
}

static void print_awkward(void) {
    switch (draw(6)) {
    case 0: {
        size_t n = (size_t)(1 + draw(3)) << 20; /* 1 to 3 MB on one line */
        char *s = xmalloc(n + 1);
        memset(s, 'x', n);
        s[n] = '\0';
        ll_print("#%d %s", printed++, s);
        free(s);
        break;
    }
    case 1: {
        size_t n = 300000 + draw(200000); /* not UTF-8: 4 bytes each, escaped */
        char *s = xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
            s[i] = (char)(0x80 + draw(0x80));
        s[n] = '\0';
        ll_print("#%d %s", printed++, s);
        free(s);
        break;
    }
    case 2: ll_print("#%d tab\tquote\" nul-less \x01\x7f \xe2\x82\xac", printed++); break;
    default: ll_print("#%d plain", printed++); break;
    }
}

static ll_value random_task(ll_value steps);

static void random_op(void) {
    ll_loop *loop = ll_get_running_loop();
    switch (draw(10)) {
    case 0: print_awkward(); break;
    case 1: ll_sleep(extreme_delay()); break;
    case 2: ll_call_later(loop, extreme_delay(), late_cb, NULL); break;
    case 3: ll_wait_for(ll_sleep_coro(extreme_delay()), extreme_delay()); break;
    case 4: ll_note("a note %u", draw(1000)); break;
    case 5: {
        size_t n = 1 + draw(under_checker() ? 50 : 3000);
        void **aws = xmalloc(n * sizeof *aws);
        for (size_t i = 0; i < n; i++)
            aws[i] = ll_coro(returns_arg, ll_int((int64_t)i * 1000003));
        ll_await(ll_gatherv(aws, n, false));
        free(aws);
        break;
    }
    case 6: {
        size_t n = draw(2) ? 10 : 200000;
        char *name = xmalloc(n + 1);
        memset(name, draw(2) ? 'q' : ':', n);
        name[n] = '\0';
        ll_create_task(ll_coro(random_task, ll_int(3)), name);
        free(name);
        break;
    }
    case 7: ll_create_task(ll_coro(random_task, ll_int(draw(6))), NULL); break;
    default: ll_print("#%d step", printed++); break;
    }
}

static ll_value random_task(ll_value steps) {
    for (int64_t i = 0; i < steps.i; i++)
        random_op();
    return ll_none();
}

enum ending { END_RETURN, END_EXIT, END__EXIT, END_QUICK_EXIT, END_RAISE, END_KILLED, END__N };

static ll_value random_main(ll_value seed) {
    rng = (uint64_t)seed.i * 0x9E3779B97F4A7C15u + 1;
    enum ending how = (enum ending)(seed.i % END__N);
    int rounds = how == END_KILLED ? 1000000 : 1 + (int)draw(4);
    for (int r = 0; r < rounds; r++) {
        int n = 1 + (int)draw(8);
        for (int i = 0; i < n; i++)
            ll_create_task(ll_coro(random_task, ll_int(draw(8))), NULL);
        random_task(ll_int(draw(6)));
    }
    switch (how) {
    case END_EXIT: exit(5);
    case END__EXIT: _exit(5);
    case END_QUICK_EXIT: quick_exit(5);
    case END_RAISE: raise(draw(2) ? SIGTERM : SIGHUP); break;
    default: break;
    }
    return ll_none();
}

/* The printed lines' numbers, in trace order, must count 0, 1, 2, ... */
static void check_print_order(const ll_trace *t, int64_t seed) {
    int next = 0;
    for (size_t i = 0; i < t->rec.n; i++) {
        const ll_trace_event *e = ll__rec_at(&t->rec, i);
        if (e->kind != LL_EV_PRINT)
            continue;
        const char *s = ll__rec_strp(&t->rec, e->str, NULL);
        ck_assert_msg(s[0] == '#' && atoi(s + 1) == next,
                      "seed %lld: event %zu printed '%.20s', expected #%d", (long long)seed, i, s,
                      next);
        next++;
    }
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Runs seed's program; a program that runs until killed gets a SIGTERM at a
 * moment drawn from the seed, once its trace has begun. */
static void run_seed(int64_t seed) {
    make_trace_path();
    pid_t pid = spawn(random_main, seed);
    if (seed % END__N == END_KILLED) {
        while (file_size(trace_path) <= 0 && waitpid(pid, NULL, WNOHANG) == 0)
            nanosleep(&(struct timespec){0, 100000}, NULL);
        uint64_t r = (uint64_t)seed * 2654435761u;
        nanosleep(&(struct timespec){0, (long)(r % 30000) * 1000}, NULL);
        kill(pid, SIGTERM);
    }
    wait_child(pid);
    char who[64];
    snprintf(who, sizeof who, "seed %lld", (long long)seed);
    ll_trace t;
    load_ok(&t, who);
    check_print_order(&t, seed);
    ll_trace_free(&t);
    unlink(trace_path);
}

START_TEST(any_program_leaves_a_trace_the_reader_accepts) {
    int n = under_checker() ? 12 : 60; /* ten of each ending */
    for (int64_t seed = 1; seed <= n; seed++)
        run_seed(seed);
}
END_TEST

/* The --timeout race: SIGTERM while the loop formats or writes its lines. */
static ll_value prints_forever(LL_NOARGS) {
    for (int i = 0;; i++) {
        ll_print("#%d tick", i);
        if (i % 3 == 0)
            ll_sleep(0.001);
    }
    return ll_none();
}

START_TEST(sigterm_at_any_moment_repeats_and_mixes_no_line) {
    int n = under_checker() ? 10 : 100;
    for (int k = 0; k < n; k++) {
        make_trace_path();
        pid_t pid = spawn(prints_forever, 0);
        while (file_size(trace_path) <= 0 && waitpid(pid, NULL, WNOHANG) == 0)
            nanosleep(&(struct timespec){0, 100000}, NULL);
        nanosleep(&(struct timespec){0, (long)((unsigned)k * 7919u % 20000u) * 1000}, NULL);
        kill(pid, SIGTERM);
        int st = wait_child(pid);
        ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "run %d: status %d", k, st);
        char who[32];
        snprintf(who, sizeof who, "kill %d", k);
        ll_trace t;
        load_ok(&t, who);
        check_print_order(&t, k);
        const ll_trace_event *end = find_kind(&t, LL_EV_RUN_END, NULL);
        ck_assert_msg(end && end->sub == 2 && end->val == SIGTERM, "kill %d: no run_end", k);
        ll_trace_free(&t);
        unlink(trace_path);
    }
}
END_TEST

static Suite *writer_suite(void) {
    Suite *s = suite_create("writer");
    TCase *tc = tcase_create("clip");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, long_strings_are_clipped_under_the_line_limit);
    tcase_add_test(tc, clipping_leaves_the_printed_output_whole);
    tcase_add_test(tc, the_viewer_model_takes_a_clipped_trace);
    tcase_add_test(tc, a_huge_gather_result_is_clipped);
    tcase_add_test(tc, exporting_invalid_utf8_stays_under_the_line_limit);
    tcase_add_test(tc, clipped_is_read_kept_and_written_back);
    tcase_add_test(tc, every_clipped_event_keeps_its_count_whole_or_streamed);
    tcase_add_test(tc, a_huge_task_name_is_clipped_alike_everywhere);
    tcase_add_test(tc, queue_puts_and_gets_record_their_item_clipped_to_40_bytes);
    suite_add_tcase(s, tc);
    tc = tcase_create("times");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, extreme_times_are_written_as_the_largest_time_read);
    tcase_add_test(tc, the_reader_takes_the_writers_largest_time_and_no_more);
    suite_add_tcase(s, tc);
    tc = tcase_create("endings");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_iteration_survives_an_exit_that_runs_no_handler);
    tcase_add_test(tc, a_long_step_is_written_out_before_the_iteration_ends);
    suite_add_tcase(s, tc);
    tc = tcase_create("kills");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, sigterm_at_any_moment_repeats_and_mixes_no_line);
    suite_add_tcase(s, tc);
    tc = tcase_create("property");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, any_program_leaves_a_trace_the_reader_accepts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return run_suite(writer_suite());
}
