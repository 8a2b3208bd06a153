/* test-bounds.c - what the trace reader and the tools that read traces (stats,
 * exports) hold is bounded by something other than the input: ids do not size
 * tables, a long trace can be streamed, a trace read whole stops at a memory
 * limit that says its name, the header is checked before anything more is
 * read; and extreme numbers, escape sequences and newer kinds are handled
 * without overflow, raw terminal bytes or lines skipped unchecked. */
#include "harness.h"

#include <stdarg.h>

#include "trace/export.h"

/* A file with `text` in it; the path is written to `path` (a mkstemp
 * template). */
static void write_file(char *path, const char *text, size_t len) {
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* What an export of a trace read whole writes, as a malloc'd string. */
static char *exported(int (*fn)(FILE *, const ll_trace *), const ll_trace *t) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(fn(f, t), 0);
    fclose(f);
    return buf;
}

static void parse_ok(ll_trace *t, const char *text) {
    char err[512] = "";
    int rc = ll_trace_parse(t, "t.trace", text, strlen(text), err, sizeof err);
    ck_assert_msg(rc == 0, "refused: %s", err);
}

/* ---- ids ----------------------------------------------------------------------------------- */

START_TEST(huge_task_id_is_refused_with_the_cap_named) {
    /* Before: 4294967295 asked for a 16 GiB table and stats exited 1 saying
     * nothing. */
    static const char *const ids[] = {"268435456", "4294967295"};
    for (int i = 0; i < 2; i++) {
        char text[256], err[512] = "";
        snprintf(text, sizeof text,
                 "looplab-trace 1.4\n   0.000000000  %s:T  task_new name=\"T\"\n", ids[i]);
        ll_trace t;
        ck_assert_int_eq(ll_trace_parse(&t, "id.trace", text, strlen(text), err, sizeof err), -1);
        ck_assert_has(err, "id.trace:2:17: task id ");
        ck_assert_has(err, ids[i]);
        ck_assert_has(err, "LL_TRACE_MAX_TASK_ID");
        ll_trace_free(&t);
    }
}
END_TEST

START_TEST(tools_index_tasks_by_id_not_by_size) {
    /* The largest id allowed: stats, JSON Lines and Chrome find the task
     * through the map, and the trace holds one task, not 16 M slots. */
    ll_trace t;
    parse_ok(&t, "looplab-trace 1.4\n"
                 "   0.000000000  16777216:T  task_new name=\"T\"\n"
                 "   0.000000000  16777216  run behind=0\n"
                 "   1.000000000  16777216  done result=\"None\"\n@end events=3\n");
    ck_assert_uint_eq(t.ntasks, 1);
    ck_assert_uint_eq(ll_trace_task_of(&t, 16777216)->id, 16777216);
    ck_assert_ptr_null(ll_trace_task_of(&t, 7));
    char *s = exported(ll_trace_stats, &t);
    ck_assert_has(s, "16777216 T                    done             1");
    free(s);
    s = exported(ll_trace_export_jsonl, &t);
    ck_assert_has(s, "\"task\":16777216,\"task_name\":\"T\"");
    free(s);
    s = exported(ll_trace_export_chrome, &t);
    ck_assert_has(s, "\"tid\":16777216,\"name\":\"thread_name\",\"args\":{\"name\":\"T\"}");
    free(s);
    ll_trace_free(&t);
}
END_TEST

/* ---- memory ------------------------------------------------------------------------------- */

/* A trace of n print events of one task (about 80 bytes each). */
static char *long_trace(size_t n, size_t *len) {
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    fputs("looplab-trace 1.4\n   0.000000000  1:T  task_new name=\"T\"\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "   0.000000000  1:T  print text=\"line %zu of a long trace\"\n", i);
    fprintf(f, "@end events=%zu\n", n + 1);
    fclose(f);
    return buf;
}

START_TEST(whole_read_stops_at_the_memory_limit_and_says_how_to_raise_it) {
    /* 200 000 events hold more than 4 MiB of events (48 bytes each). */
    size_t len;
    char *text = long_trace(200000, &len);
    setenv("LOOPLAB_TRACE_MEMORY_MB", "4", 1);
    ll_trace t;
    char err[512] = "";
    ck_assert_int_eq(ll_trace_parse(&t, "long.trace", text, len, err, sizeof err), -1);
    ck_assert_has(err, "long.trace:");
    ck_assert_has(err, "more than 4 MiB");
    ck_assert_has(err, "LOOPLAB_TRACE_MEMORY_MB=4; set that variable to raise it");
    ll_trace_free(&t);
    /* Streaming holds no events: the same limit lets stats read it. */
    char path[] = "/tmp/looplab-bounds-XXXXXX";
    write_file(path, text, len);
    char *out = NULL;
    size_t olen = 0;
    FILE *f = open_memstream(&out, &olen);
    int rc = ll_trace_convert(f, path, LL_EXPORT_STATS, &t, err, sizeof err);
    fclose(f);
    ck_assert_msg(rc == 0, "stats refused it: %s", err);
    ck_assert_uint_eq(t.events, 200001);
    ck_assert_uint_eq(t.rec.n, 0);
    ck_assert_has(out, "1    T                    pending");
    free(out);
    ll_trace_free(&t);
    /* Raised, the whole read goes through. */
    setenv("LOOPLAB_TRACE_MEMORY_MB", "64", 1);
    ck_assert_int_eq(ll_trace_load(&t, path, err, sizeof err), 0);
    ck_assert_uint_eq(t.rec.n, 200001);
    ll_trace_free(&t);
    unsetenv("LOOPLAB_TRACE_MEMORY_MB");
    unlink(path);
    free(text);
}
END_TEST

START_TEST(a_stream_is_held_to_the_limit_too) {
    /* A stream drops events, but keeps every distinct source site: 200 000
     * files cost more than 4 MiB, and the message says so. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs("looplab-trace 1.4\n   0.000000000  1:T  task_new name=\"T\"\n", f);
    for (int i = 0; i < 200000; i++)
        fprintf(f, "   0.000000000  1  print text=\"x\" at=dir/file%06d.c:1\n", i);
    fclose(f);
    char path[] = "/tmp/looplab-bounds-XXXXXX";
    write_file(path, text, len);
    setenv("LOOPLAB_TRACE_MEMORY_MB", "4", 1);
    ll_trace t;
    char err[512] = "";
    FILE *out = fopen("/dev/null", "w");
    ck_assert_int_eq(ll_trace_convert(out, path, LL_EXPORT_STATS, &t, err, sizeof err), -1);
    ck_assert_has(err, "LOOPLAB_TRACE_MEMORY_MB=4");
    ll_trace_free(&t);
    unsetenv("LOOPLAB_TRACE_MEMORY_MB");
    ck_assert_int_eq(ll_trace_convert(out, path, LL_EXPORT_STATS, &t, err, sizeof err), 0);
    ck_assert(t.truncated); /* no @end */
    ck_assert_uint_eq(t.events, 200001);
    ll_trace_free(&t);
    fclose(out);
    unlink(path);
    free(text);
}
END_TEST

START_TEST(header_is_checked_before_reading_on) {
    /* Before: /dev/zero was read until memory ran out. */
    ll_trace t;
    char err[512] = "";
    ck_assert_int_eq(ll_trace_load(&t, "/dev/zero", err, sizeof err), -1);
    ck_assert_has(err, "/dev/zero:1:1: expected the header 'looplab-trace 1.6'");
    ll_trace_free(&t);
    ck_assert_int_eq(ll_trace_stream(&t, "/dev/urandom", NULL, NULL, err, sizeof err), -1);
    ck_assert_has(err, "/dev/urandom:1:1: expected the header");
    ll_trace_free(&t);
}
END_TEST

START_TEST(streamed_exports_match_whole_ones_for_every_golden_trace) {
    /* One code path for both, but the stream hands events over one at a
     * time and forgets their strings: the outputs must not differ. */
    static const ll_export_fmt fmts[] = {LL_EXPORT_TEXT, LL_EXPORT_JSONL, LL_EXPORT_CHROME,
                                         LL_EXPORT_STATS};
    DIR *d = opendir(LL_SOURCE_ROOT "/tests/golden");
    ck_assert_ptr_nonnull(d);
    int seen = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (!strstr(de->d_name, ".trace"))
            continue;
        char path[512], err[512] = "";
        snprintf(path, sizeof path, "%s/tests/golden/%s", LL_SOURCE_ROOT, de->d_name);
        ll_trace whole;
        ck_assert_msg(ll_trace_load(&whole, path, err, sizeof err) == 0, "%s", err);
        for (int k = 0; k < 4; k++) {
            char *want = NULL, *got = NULL;
            size_t wl = 0, gl = 0;
            FILE *f = open_memstream(&want, &wl);
            switch (fmts[k]) {
            case LL_EXPORT_TEXT: ll_trace_write_parsed(f, &whole); break;
            case LL_EXPORT_JSONL: ll_trace_export_jsonl(f, &whole); break;
            case LL_EXPORT_CHROME: ll_trace_export_chrome(f, &whole); break;
            case LL_EXPORT_STATS: ll_trace_stats(f, &whole); break;
            }
            fclose(f);
            f = open_memstream(&got, &gl);
            ll_trace t;
            ck_assert_msg(ll_trace_convert(f, path, fmts[k], &t, err, sizeof err) == 0, "%s", err);
            fclose(f);
            ck_assert_msg(wl == gl && memcmp(want, got, wl) == 0,
                          "%s, format %d: streamed output differs (%zu bytes, not %zu)", path, k,
                          gl, wl);
            ll_trace_free(&t);
            free(want);
            free(got);
        }
        ll_trace_free(&whole);
        seen++;
    }
    closedir(d);
    ck_assert_int_ge(seen, 10);
}
END_TEST

START_TEST(refused_stream_is_not_closed_as_if_whole) {
    char path[] = "/tmp/looplab-bounds-XXXXXX";
    const char *text = "looplab-trace 1.4\n   0.000000000  1:T  task_new name=\"T\"\n"
                       "   0.000000000  1  run behind=x\n";
    write_file(path, text, strlen(text));
    char *out = NULL, err[512] = "";
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ll_trace t;
    ck_assert_int_eq(ll_trace_convert(f, path, LL_EXPORT_TEXT, &t, err, sizeof err), -1);
    fclose(f);
    ck_assert_has(err, ":3:31: expected a number");
    /* The line before the bad one is kept; no @end claims the trace whole. */
    ck_assert_has(out, "task_new     name=\"T\"\n");
    ck_assert_ptr_null(strstr(out, "@end"));
    ll_trace_free(&t);
    free(out);
    unlink(path);
}
END_TEST

/* ---- numbers, terminals, newer kinds ---------------------------------------------------- */

START_TEST(extreme_times_saturate_instead_of_overflowing) {
    /* A task running from the earliest wall time to the latest: 1.8e19 ns
     * do not fit in int64_t.  Before, UBSan stopped at export.c:466 and a
     * normal build showed 0ns of running. */
    ll_trace t;
    parse_ok(&t, "looplab-trace 1.4\n@wall \"ns\"\n"
                 "0.000000000  1:T  task_new name=\"T\" wall=-9223372036854775808\n"
                 "0.000000000  1  ready reason=created pos=0 wall=-9223372036854775808\n"
                 "0.000000000  1  run behind=0 wall=-9223372036854775808\n"
                 "9223372035.000000000  1  wait on=sleep obj=2 until=-5.000000000 "
                 "wall=9223372036854775807\n"
                 "@end events=4\n");
    char *s = exported(ll_trace_stats, &t);
    ck_assert_has(s, "T                    waiting          1 9223372036.855s"); /* INT64_MAX */
    ck_assert_has(s, "100.0% utilisation");
    free(s);
    s = exported(ll_trace_export_chrome, &t);
    ck_assert_has(s, "\"dur\":9223372035000000.000");
    free(s);
    s = exported(ll_trace_export_jsonl, &t);
    ck_assert_has(s, "\"wall_ns\":-9223372036854775808");
    ck_assert_has(s, "\"until\":-5.000000000");
    free(s);
    ll_trace_free(&t);
}
END_TEST

START_TEST(names_reach_a_terminal_escaped) {
    /* An OSC title change, a colour, a C1 CSI and a broken byte in a task
     * name. */
    ll_trace t;
    parse_ok(&t, "looplab-trace 1.4\n"
                 "   0.000000000  1:T  task_new name=\"\\x1b]0;pwned\\x07\\xc2\\x9b\\xff\"\n"
                 "@end events=1\n");
    char *s = exported(ll_trace_stats, &t);
    for (const char *p = s; *p; p++)
        ck_assert_msg((unsigned char)*p >= 0x20 || *p == '\n', "raw byte 0x%02x in '%s'",
                      (unsigned char)*p, s);
    ck_assert_has(s, "\\x1b]0;pwned\\x07\\xc2");
    free(s);
    s = exported(ll_trace_export_jsonl, &t);
    ck_assert_has(s, "\\u001b]0;pwned\\u0007\\u009b\\ufffd");
    free(s);
    ll_trace_free(&t);
    /* The reader's messages quote the input: escaped too. */
    const char *bad = "looplab-trace 1.4\n   0.000000000  1:T  task_new name=\"T\"\n"
                      "   0.000000000  1  ready reason=\"\\x1b[2J\" pos=0\n";
    char err[512] = "";
    ck_assert_int_eq(ll_trace_parse(&t, "esc.trace", bad, strlen(bad), err, sizeof err), -1);
    ck_assert_has(err, "unknown reason '\\x1b[2J'");
    ck_assert_ptr_null(strchr(err, 0x1b));
    ll_trace_free(&t);
}
END_TEST

START_TEST(newer_kinds_are_checked_before_they_are_skipped) {
    ll_trace t;
    char err[512] = "";
    /* A newer writer's kind, well formed: skipped and counted. */
    parse_ok(&t, "looplab-trace 1.9\n   1.000000000  -  hologram x=1 y=\"a b\" at=f.c:3\n"
                 "@end events=1\n");
    ck_assert_uint_eq(t.unknown, 1);
    ll_trace_free(&t);
    static const struct {
        const char *text, *where, *says;
    } bad[] = {
        {"looplab-trace 1.9\n   1.000000000  -  hologram x=\"a\\qb\"\n", "2:33", "unknown escape"},
        {"looplab-trace 1.9\n   1.000000000  -  hologram x=\"open\n", "2:36", "not closed"},
        {"looplab-trace 1.9\n   1.000000000  -  hologram garbage\n", "2:29", "key=value"},
        {"looplab-trace 1.9\n   1.000000000  -  hologram x=\x01\n", "2:31", "byte 0x01"},
        {"looplab-trace 1.9\n   2.000000000  -  iter n=1 ready=0\n"
         "   1.000000000  -  hologram\n",
         "3:4", "time goes backwards"},
        /* A trace of this version or older has no kind this reader lacks. */
        {"looplab-trace 1.4\n   1.000000000  -  hologram x=1\n", "2:20",
         "unknown event kind 'hologram'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(
            ll_trace_parse(&t, "new.trace", bad[i].text, strlen(bad[i].text), err, sizeof err), -1);
        char where[64];
        snprintf(where, sizeof where, "new.trace:%s: ", bad[i].where);
        ck_assert_msg(strncmp(err, where, strlen(where)) == 0, "case %zu: '%s', expected at %s", i,
                      err, where);
        ck_assert_has(err, bad[i].says);
        ll_trace_free(&t);
    }
}
END_TEST

/* ---- the fuzz corpus's crafted cases ------------------------------------------------------ */

/* Every bad input issue 18 named is kept in tests/fuzz/crafted: each is
 * refused with a NAME:LINE:COLUMN message, except a header followed by NUL
 * bytes, which is what a file cut short by a crash looks like and reads as
 * a truncated trace of no events. */
START_TEST(every_crafted_input_is_refused_where_it_goes_wrong) {
    static const char *const names[] = {
        "end-garbage", "end-huge-count", "extreme-times",
        "huge-id-max", "huge-id",        "over-1mib-line",
        "yes",         "zero-bytes",     "unknown-kind-garbage",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512], err[512] = "";
        snprintf(path, sizeof path, "%s/tests/fuzz/crafted/%s.trace", LL_SOURCE_ROOT, names[i]);
        ll_trace t;
        ck_assert_msg(ll_trace_load(&t, path, err, sizeof err) == -1, "%s was accepted", names[i]);
        /* PATH:LINE:COLUMN: what was wrong */
        size_t n = strlen(path);
        unsigned line = 0, col = 0;
        ck_assert_msg(strncmp(err, path, n) == 0 && sscanf(err + n, ":%u:%u: ", &line, &col) == 2 &&
                          line > 0 && col > 0,
                      "%s: the message does not say where: %s", names[i], err);
        ll_trace_free(&t);
    }
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/tests/fuzz/crafted/header-then-zeros.trace", LL_SOURCE_ROOT);
    ll_trace t;
    ck_assert_msg(ll_trace_load(&t, path, err, sizeof err) == 0, "%s", err);
    ck_assert(t.truncated);
    ck_assert_uint_eq(t.rec.n, 0);
    ll_trace_free(&t);
}
END_TEST

int main(void) {
    Suite *s = suite_create("bounds");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, huge_task_id_is_refused_with_the_cap_named);
    tcase_add_test(tc, tools_index_tasks_by_id_not_by_size);
    tcase_add_test(tc, whole_read_stops_at_the_memory_limit_and_says_how_to_raise_it);
    tcase_add_test(tc, a_stream_is_held_to_the_limit_too);
    tcase_add_test(tc, header_is_checked_before_reading_on);
    tcase_add_test(tc, streamed_exports_match_whole_ones_for_every_golden_trace);
    tcase_add_test(tc, refused_stream_is_not_closed_as_if_whole);
    tcase_add_test(tc, extreme_times_saturate_instead_of_overflowing);
    tcase_add_test(tc, names_reach_a_terminal_escaped);
    tcase_add_test(tc, newer_kinds_are_checked_before_they_are_skipped);
    tcase_add_test(tc, every_crafted_input_is_refused_where_it_goes_wrong);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
