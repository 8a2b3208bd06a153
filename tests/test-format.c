/* test-format.c - the text trace format v1: read(write(trace)) gives the
 * same events back, for generated traces with awkward strings and for every
 * lesson; truncated traces are read up to the cut; malformed ones are refused
 * with FILE:LINE:COLUMN and a sentence. */
#include "harness.h"

#include <dirent.h>
#include <sys/wait.h>

#include "trace/textfmt.h"

/* ---- generated traces --------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void) {
    /* xorshift64*: reproducible across machines */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static uint64_t below(uint64_t n) {
    return n ? rnd() % n : 0;
}

/* A string with whatever a printed line may hold: quotes, backslashes, tabs,
 * newlines, control bytes, UTF-8, invalid bytes, NUL. */
static size_t awkward(char *buf, size_t cap) {
    static const char *const pieces[] = {
        "plain",
        " ",
        "\"",
        "\\",
        "\t",
        "\n",
        "\r",
        "\x01",
        "\x7f",
        "caf\xc3\xa9",
        "\xe2\x82\xac",
        "\xf0\x9f\x90\x8d",
        "\xff",
        "\xc3",
        "\xed\xa0\x80",
        "=",
        ":",
        "@end events=1",
        "#",
        "none",
        "\\x41",
        "\0",
    };
    size_t n = 0, parts = below(6);
    for (size_t i = 0; i < parts; i++) {
        size_t k = below(sizeof pieces / sizeof pieces[0]);
        size_t len = k == sizeof pieces / sizeof pieces[0] - 1 ? 1 : strlen(pieces[k]);
        if (n + len >= cap)
            break;
        memcpy(buf + n, pieces[k], len);
        n += len;
    }
    return n;
}

static const char *const files[] = {"lesson.c", "../lessons/01 a/lesson.c", "we\"ird:name.c",
                                    "/abs/path/x.c"};

static void generate(ll__recorder *r, size_t nevents) {
    ll__rec_init(r, true);
    uint32_t ntasks = 0;
    int64_t t = 0;
    char sbuf[256];
    for (size_t i = 0; i < nevents; i++) {
        ll_trace_event *e = ll__rec_next(r);
        memset(e, 0, sizeof *e);
        t += (int64_t)below(3) * (int64_t)below(2000000000);
        e->t = t;
        e->wall = (int64_t)below(1ull << 40);
        unsigned kind = (unsigned)below(LL_EV__COUNT);
        if (ntasks == 0 || below(8) == 0)
            kind = LL_EV_TASK_NEW;
        e->kind = (uint16_t)kind;
        if (kind == LL_EV_TASK_NEW) {
            e->task = ++ntasks;
            size_t n = awkward(sbuf, sizeof sbuf);
            if (below(2)) { /* half of them keep asyncio's names */
                n = (size_t)snprintf(sbuf, sizeof sbuf, "Task-%u", e->task);
            }
            e->str = ll__rec_str(r, sbuf, n);
            e->aux = ll__rec_str(r, "coro", 4);
            e->obj = (uint32_t)below(ntasks);
            e->val = (int64_t)below(1 << 20);
        } else {
            e->task = (uint32_t)below(ntasks + 1);
            e->sub = (uint16_t)below(20);
            e->obj = (uint32_t)rnd();
            e->aux = below(4) ? (uint32_t)below(100) : (uint32_t)rnd();
            int64_t v = (int64_t)(rnd() % 9000000000000000000ull);
            e->val = below(3) == 0 ? -1 : below(2) ? v : -v;
            /* A queue's item (sync) is clipped to LL_TRACE_ITEM_MAX bytes of
             * escaped text by design (test-writer tests the clip): keep it
             * short enough that it comes back whole. */
            size_t n = awkward(sbuf, kind == LL_EV_SYNC ? 10 : sizeof sbuf);
            e->str = n ? ll__rec_str(r, sbuf, n) : 0;
            /* Kinds that keep a string id in aux. */
            if (kind == LL_EV_TASK_NEW)
                e->aux = e->str;
        }
        if (below(2)) {
            const char *f = files[below(sizeof files / sizeof files[0])];
            e->site = ll__rec_site(r, f, (int)below(5000) + 1);
        }
    }
}

static void assert_same_events(const ll__recorder *a, const ll__recorder *b, bool wall) {
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const ll_trace_event *x = ll__rec_at(a, i), *y = ll__rec_at(b, i);
        ck_assert_msg(x->kind == y->kind && x->t == y->t && x->task == y->task &&
                          x->sub == y->sub && x->obj == y->obj && x->val == y->val,
                      "event %zu (%s) differs after the round trip", i,
                      ll_event_kind_name(x->kind));
        if (wall)
            ck_assert_int_eq(x->wall, y->wall);
        size_t nx, ny;
        const char *sx = ll__rec_strp(a, x->str, &nx), *sy = ll__rec_strp(b, y->str, &ny);
        ck_assert_msg(nx == ny && memcmp(sx, sy, nx) == 0, "event %zu: string differs", i);
        if (x->kind == LL_EV_TASK_NEW) {
            sx = ll__rec_strp(a, x->aux, &nx);
            sy = ll__rec_strp(b, y->aux, &ny);
            ck_assert_msg(nx == ny && memcmp(sx, sy, nx) == 0, "event %zu: coro differs", i);
        } else {
            ck_assert_uint_eq(x->aux, y->aux);
        }
        const ll__site *px = ll__rec_sitep(a, x->site), *py = ll__rec_sitep(b, y->site);
        ck_assert_msg((x->site == 0) == (y->site == 0), "event %zu: site lost", i);
        if (x->site) {
            ck_assert_str_eq(px->file, py->file);
            ck_assert_int_eq(px->line, py->line);
        }
    }
}

static char *write_to_string(const ll__recorder *r, const ll_trace_meta *m, bool wall,
                             size_t *len) {
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    ck_assert_int_eq(ll_trace_write(f, r, m, wall), 0);
    fclose(f);
    return buf;
}

START_TEST(generated_traces_round_trip_event_for_event) {
    rng_state = 0x9E3779B97F4A7C15ull + (uint64_t)_i * 7919;
    ll__recorder r;
    generate(&r, 50 + below(400));
    bool wall = _i % 2;
    ll_trace_meta m = {"prog \"x\"", "07-some\tlesson", "virtual", "0.1.0", NULL, 0, NULL, NULL,
                       NULL};
    size_t len;
    char *text = write_to_string(&r, &m, wall, &len);
    ll_trace t;
    char err[512] = "";
    int rc = ll_trace_parse(&t, "generated", text, len, err, sizeof err);
    if (rc != 0) {
        /* Find the offending line to show it (Check's messages are short). */
        unsigned long line = 0;
        const char *colon = strchr(err, ':');
        if (colon)
            line = strtoul(colon + 1, NULL, 10);
        const char *p = text;
        for (unsigned long l = 1; l < line && p; l++)
            p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
        ck_abort_msg("%s\nline: %.300s", err, p ? p : "?");
    }
    ck_assert(!t.truncated);
    ck_assert_uint_eq(t.unknown, 0);
    ck_assert_str_eq(t.meta.program, m.program);
    ck_assert_str_eq(t.meta.lesson, m.lesson);
    ck_assert(t.wall == wall);
    assert_same_events(&r, &t.rec, wall);
    /* And writing what was read gives the same text again. */
    size_t len2;
    char *again = write_to_string(&t.rec, &t.meta, wall, &len2);
    ck_assert_uint_eq(len, len2);
    ck_assert(memcmp(text, again, len) == 0);
    free(again);
    free(text);
    ll_trace_free(&t);
    ll__rec_free(&r);
}
END_TEST

/* ---- every lesson's trace --------------------------------------------------------------- */

static lesson_slug slugs[128];
static int nslugs;

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    char chunk[4096];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, k, m);
    fclose(m);
    fclose(f);
    *len = n;
    return buf;
}

START_TEST(every_lesson_trace_round_trips) {
    const char *slug = slugs[_i];
    char path[] = "/tmp/looplab-format-XXXXXX";
    close(mkstemp(path));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "LOOPLAB_TRACE=%s '%s/lessons/lesson-%s' >/dev/null", path,
             LL_BUILD_ROOT, slug);
    ck_assert_int_eq(system(cmd), 0);
    size_t len;
    char *text = slurp(path, &len);
    ll_trace t;
    char err[512];
    ck_assert_msg(ll_trace_parse(&t, path, text, len, err, sizeof err) == 0, "%s", err);
    ck_assert(!t.truncated);
    ck_assert_uint_gt(t.rec.n, 10);
    size_t len2;
    char *again = NULL;
    FILE *f = open_memstream(&again, &len2);
    ck_assert_int_eq(ll_trace_write_parsed(f, &t), 0); /* with loop=N, for several loops */
    fclose(f);
    ck_assert_same_output(again, text);
    free(again);
    free(text);
    ll_trace_free(&t);
    unlink(path);
}
END_TEST

/* ---- truncated and malformed traces --------------------------------------------------------- */

static const char good_head[] = "looplab-trace 1.0\n@program \"p\"\n"
                                "   0.000000000  -                loop_start   clock=\"virtual\"\n"
                                "   0.000000000  1:Task-1         task_new     name=\"Task-1\"\n";

START_TEST(truncated_trace_is_read_up_to_the_cut) {
    char text[512];
    snprintf(text, sizeof text, "%s   0.500000000  1:Task-1         print        text=\"hal",
             good_head);
    ll_trace t;
    char err[256];
    ck_assert_int_eq(ll_trace_parse(&t, "cut.trace", text, strlen(text), err, sizeof err), 0);
    ck_assert(t.truncated);
    ck_assert_uint_eq(t.rec.n, 2);
    ll_trace_free(&t);
    /* Cut at a line end, but before @end: also truncated. */
    ck_assert_int_eq(ll_trace_parse(&t, "cut.trace", good_head, strlen(good_head), err, sizeof err),
                     0);
    ck_assert(t.truncated);
    ll_trace_free(&t);
}
END_TEST

START_TEST(unknown_kinds_are_skipped_and_counted) {
    char text[512];
    snprintf(text, sizeof text,
             "looplab-trace 1.9\n%s   1.000000000  -                hologram     x=1 y=\"z\"\n"
             "   1.000000000  1:Task-1         done         result=\"None\" colour=blue\n"
             "@end events=4\n",
             good_head + strlen("looplab-trace 1.0\n"));
    ll_trace t;
    char err[256] = "";
    int rc = ll_trace_parse(&t, "newer.trace", text, strlen(text), err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_uint_eq(t.unknown, 1);
    ck_assert_uint_eq(t.rec.n, 3);
    ck_assert_uint_eq(t.minor, 9);
    ll_trace_free(&t);
}
END_TEST

typedef struct bad_case {
    const char *what;
    const char *text;  /* NULL: generated below */
    const char *where; /* "LINE:COLUMN" expected in the message */
    const char *says;  /* a piece of the message */
} bad_case;

#define HEAD "looplab-trace 1.0\n"
#define NEW1 "   0.000000000  1:Task-1         task_new     name=\"Task-1\"\n"
static const bad_case bad_cases[] = {
    {"empty file", "", "1:1", "empty file"},
    {"not a trace", "hello world\n", "1:1", "expected the header"},
    {"binary garbage",
     "\x7f"
     "ELF\x02\x01\x01\0\0\0\n",
     "1:1", "expected the header"},
    {"bad version", "looplab-trace one\n", "1:15", "expected a version"},
    {"newer major version", "looplab-trace 2.0\n", "1:15", "this reader knows version 1"},
    {"non-numeric time", HEAD "   abc  -   iter n=1 ready=0\n", "2:4", "expected a time"},
    {"time going backwards",
     HEAD "   2.000000000  -   iter n=1 ready=0\n"
          "   1.000000000  -   iter n=2 ready=0\n",
     "3:4", "time goes backwards"},
    {"event for a task never created", HEAD "   0.000000000  7:Task-7   run behind=0\n", "2:17",
     "no task_new created"},
    {"task created twice", HEAD NEW1 NEW1, "3:17", "created twice"},
    {"wrong name for a task", HEAD NEW1 "   0.000000000  1:Other   run behind=0\n", "3:17",
     "is called 'Task-1'"},
    {"bad escape", HEAD NEW1 "   0.000000000  1   print text=\"a\\qb\"\n", "3:34",
     "unknown escape"},
    {"bad hex escape", HEAD NEW1 "   0.000000000  1   print text=\"\\xZZ\"\n", "3:33",
     "two hex digits"},
    {"unclosed string", HEAD NEW1 "   0.000000000  1   print text=\"abc\n", "3:36",
     "string not closed"},
    {"raw control byte", HEAD NEW1 "   0.000000000  1   print text=\"a\x01\"\n", "3:34",
     "control byte 0x01"},
    {"unknown field", HEAD NEW1 "   0.000000000  1   run behind=0 colour=red\n", "3:34",
     "unknown field 'colour'"},
    {"field twice", HEAD NEW1 "   0.000000000  1   run behind=0 behind=1\n", "3:34", "given twice"},
    {"unknown reason", HEAD NEW1 "   0.000000000  1   ready reason=boredom pos=0\n", "3:34",
     "unknown reason 'boredom'"},
    {"not key=value", HEAD NEW1 "   0.000000000  1   run behind\n", "3:25", "expected key=value"},
    {"number too large", HEAD NEW1 "   0.000000000  1   run behind=99999999999\n", "3:32",
     "0 to 4294967295"},
    {"wrong @end count", HEAD NEW1 "@end events=5\n", "3:1", "@end says 5 events"},
    {"text after @end", HEAD NEW1 "@end events=1\n   1.000000000  -   iter n=1 ready=0\n", "4:4",
     "after the @end"},
    {"text after the @end count", HEAD "@end events=0 garbage\n", "2:15",
     "unexpected text after '@end events=N'"},
    {"unknown kind in a trace of this version", HEAD NEW1 "   0.000000000  1   hologram x=1\n",
     "3:21", "unknown event kind 'hologram'"},
    {"site without a line", HEAD NEW1 "   0.000000000  1   run behind=0 at=lesson.c\n", "3:45",
     "expected ':LINE'"},
    {"ten-decimal time", HEAD "   0.0000000001  -   iter n=1 ready=0\n", "2:15",
     "more than nine decimals"},
    {"huge time", HEAD "   99999999999.0  -   iter n=1 ready=0\n", "2:4", "time too large"},
    {"a 10 MB line", NULL, "2:1048577", "line longer than"},
};

START_TEST(malformed_trace_gets_file_line_column) {
    const bad_case *c = &bad_cases[_i];
    char *gen = NULL;
    const char *text = c->text;
    size_t len = text ? strlen(text) : 0;
    if (!text) {
        len = 18 + 10 * 1024 * 1024;
        gen = malloc(len + 1);
        memcpy(gen, HEAD, 18);
        memset(gen + 18, 'x', len - 18);
        gen[len] = '\0';
        text = gen;
    }
    /* The binary case holds NUL bytes: its length is up to the newline. */
    if (c->text && strcmp(c->what, "binary garbage") == 0)
        len = 11;
    ll_trace t;
    char err[512] = "";
    int rc = ll_trace_parse(&t, "bad.trace", text, len, err, sizeof err);
    ck_assert_msg(rc == -1, "%s: accepted", c->what);
    char where[64];
    snprintf(where, sizeof where, "bad.trace:%s: ", c->where);
    ck_assert_msg(strncmp(err, where, strlen(where)) == 0, "%s: message '%s', expected it at %s",
                  c->what, err, where);
    ck_assert_msg(strstr(err, c->says) != NULL, "%s: message '%s' does not say '%s'", c->what, err,
                  c->says);
    ll_trace_free(&t);
    free(gen);
}
END_TEST

/* The fuzzer's seed corpus: every seed is a trace the reader accepts. */
START_TEST(fuzz_seeds_are_valid_traces) {
    DIR *d = opendir(LL_SOURCE_ROOT "/tests/fuzz/corpus");
    ck_assert_ptr_nonnull(d);
    int seen = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/tests/fuzz/corpus/%s", LL_SOURCE_ROOT, e->d_name);
        ll_trace t;
        char err[512];
        ck_assert_msg(ll_trace_load(&t, path, err, sizeof err) == 0, "%s", err);
        ll_trace_free(&t);
        seen++;
    }
    closedir(d);
    ck_assert_int_ge(seen, 3);
}
END_TEST

int main(void) {
    nslugs = find_lessons(slugs, 128);
    Suite *s = suite_create("format");
    TCase *tc = tcase_create("round-trip");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, generated_traces_round_trip_event_for_event, 0,
                        under_checker() ? 20 : 200);
    tcase_add_loop_test(tc, every_lesson_trace_round_trips, 0, nslugs);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad-input");
    tcase_add_test(tc, truncated_trace_is_read_up_to_the_cut);
    tcase_add_test(tc, unknown_kinds_are_skipped_and_counted);
    tcase_add_test(tc, fuzz_seeds_are_valid_traces);
    tcase_add_loop_test(tc, malformed_trace_gets_file_line_column, 0,
                        (int)(sizeof bad_cases / sizeof bad_cases[0]));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
