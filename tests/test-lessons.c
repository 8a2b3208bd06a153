/* test-lessons.c - every lesson prints what its Python twin prints, matches
 * the expected.txt beside it, and leaves the same trace on every run; a
 * lesson on the virtual clock leaves exactly its committed golden trace
 * (tests/golden/SLUG.trace, written by scripts/golden).
 *
 * Lessons are found on disk (lessons/NN-slug/), so a new lesson is tested
 * without touching this file.  Each runs as a child process, as `looplab
 * run` runs it. */
#include "harness.h"

#include <dirent.h>
#include <sys/wait.h>

#ifndef LL_BUILD_ROOT
#define LL_BUILD_ROOT "build"
#endif

static lesson_slug slugs[128];
static int nslugs;

static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    size_t k;
    while ((k = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += k;
        if (len + 1 == cap)
            s = realloc(s, cap *= 2);
    }
    s[len] = '\0';
    fclose(f);
    return s;
}

/* Whether the lesson's meta.txt has the line `line` ("clock: real"). */
static bool meta_says(const char *slug, const char *line) {
    char path[512], want[128];
    snprintf(path, sizeof path, "%s/lessons/%s/meta.txt", LL_SOURCE_ROOT, slug);
    snprintf(want, sizeof want, "\n%s", line);
    char *meta = slurp(path);
    bool yes = meta && strstr(meta, want);
    free(meta);
    return yes;
}

/* Runs the lesson program; returns its stdout.  `env` is prepended to the
 * command (e.g. "LOOPLAB_TRACE=/tmp/x"). */
static char *run_lesson(const char *slug, const char *env, int *status) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s '%s/lessons/lesson-%s'", env ? env : "", LL_BUILD_ROOT, slug);
    return read_command(cmd, status);
}

/* A lesson built for ThreadSanitizer, or run under Valgrind, runs 5-50
 * times slower: on the real clock its printed times (and which of two close
 * events comes first) say nothing then.  Such a run must still finish
 * cleanly and without a report. */
static bool timing_unreliable(const char *slug, bool real_clock, bool valgrind) {
    return (getenv("LOOPLAB_UNDER_TSAN") || valgrind) &&
           (real_clock || meta_says(slug, "clock: real"));
}

/* Lessons measured on real time (a twin on real time, or a C lesson on the
 * real clock) print how long a part took: "took 1 s" on two idle cores, but
 * "took 2 s" when other work holds a core, and 0.8 s for 0.7 s of network
 * waits when the machine is loaded.  Their outputs are compared with those
 * durations masked ("took ~ s"); what each number is there to show is
 * asserted from the output's order or the trace instead: lesson 15's and
 * 19's prints, lesson_17_fetches_overlap, lesson_23_loops_overlap. */
static void mask_took(char *s) {
    if (!s)
        return;
    char *o = s;
    for (const char *p = s; *p;) {
        if (strncmp(p, "took ", 5) == 0 && (p[5] >= '0' && p[5] <= '9')) {
            const char *q = p + 5;
            while ((*q >= '0' && *q <= '9') || *q == '.')
                q++;
            if (strncmp(q, " s", 2) == 0) {
                memcpy(o, "took ~", 6);
                o += 6;
                p = q;
                continue;
            }
        }
        *o++ = *p++;
    }
    *o = '\0';
}

/* A lesson that measures memory (meta.txt "measures: memory": lesson 24)
 * prints claims checked against the figures it measured ("under 8 KiB
 * each").  Built with a sanitizer, or run under Valgrind, its figures are
 * the checker's as much as its own (redzones, shadow memory, quarantine),
 * and a claim may turn: such a run must still finish cleanly and print the
 * same lines, but only each line's subject, up to its first ": " (what was
 * measured, how many), is compared, and its trace (whose prints hold the
 * claims) is not held to the golden one.  `valgrind`: this run of the
 * lesson is under Valgrind. */
static bool memory_unreliable(const char *slug, bool valgrind) {
    return (sanitized_build() || valgrind || getenv("LOOPLAB_UNDER_TSAN")) &&
           meta_says(slug, "measures: memory");
}

/* ThreadSanitizer allows some 8 000 threads and fibers, and every live task
 * is a fiber there (harness.h): a lesson that measures a million waiting
 * tasks cannot run under it, and has no threads of the library's to check. */
static bool too_big_for_tsan(const char *slug) {
    return getenv("LOOPLAB_UNDER_TSAN") && meta_says(slug, "measures: memory");
}

/* Keeps each line of s up to its first ": " (whole lines without one). */
static void mask_claims(char *s) {
    if (!s)
        return;
    char *o = s;
    for (const char *p = s; *p;) {
        const char *end = p + strcspn(p, "\n");
        const char *colon = strstr(p, ": ");
        const char *keep = colon && colon < end ? colon + 1 : end;
        memmove(o, p, (size_t)(keep - p));
        o += keep - p;
        if (*end == '\n')
            *o++ = '\n';
        p = *end ? end + 1 : end;
    }
    *o = '\0';
}

/* Under `meson test --setup valgrind` this suite runs under Valgrind, but
 * the lessons it starts would not: this run of each lesson gets Valgrind
 * of its own, which fails it (status 99) on any memory error or definite
 * leak. */
#define VALGRIND_LESSON                                                                            \
    "valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "          \
    "--track-origins=yes"

START_TEST(lesson_prints_its_expected_output) {
    const char *slug = slugs[_i];
    if (too_big_for_tsan(slug))
        return;
    bool vg = getenv("LOOPLAB_UNDER_VALGRIND") != NULL;
    int st;
    char *out = run_lesson(slug, vg ? "LOOPLAB_TRACE= " VALGRIND_LESSON : "LOOPLAB_TRACE=", &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s exited with status %d%s", slug,
                  WIFEXITED(st) ? WEXITSTATUS(st) : -1,
                  vg && WIFEXITED(st) && WEXITSTATUS(st) == 99 ? " (Valgrind found errors)" : "");
    if (timing_unreliable(slug, false, vg)) {
        free(out);
        return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/lessons/%s/expected.txt", LL_SOURCE_ROOT, slug);
    char *want = slurp(path);
    ck_assert_msg(want != NULL, "%s has no expected.txt", slug);
    if (meta_says(slug, "clock: real")) {
        mask_took(out);
        mask_took(want);
    }
    if (memory_unreliable(slug, vg)) {
        mask_claims(out);
        mask_claims(want);
    }
    ck_assert_same_output(out, want);
    free(out);
    free(want);
}
END_TEST

START_TEST(lesson_prints_what_its_python_twin_prints) {
    const char *slug = slugs[_i];
    if (too_big_for_tsan(slug))
        return;
    /* Twins with threads run on real time (meta.txt says "twin: real"):
     * vloop.py cannot make time.sleep in a worker thread virtual. */
    bool real = meta_says(slug, "twin: real");
    /* Twins that need aiohttp run on Debian's python3 (python3-aiohttp):
     * the python3 first on PATH may be a build that cannot import it. */
    bool system = meta_says(slug, "python: system");
    char path[512];
    snprintf(path, sizeof path, "lessons/%s/lesson.py", slug);
    /* Twins on real time print times rounded down to 0.1 s; on a loaded
     * machine either side can wake late and cross a boundary.  Up to three
     * tries: a real difference shows every time, a late wake-up does not. */
    bool wall = real || system;
    if (timing_unreliable(slug, false, false))
        return; /* the lesson's own run is checked above */
    char *py = NULL, *out = NULL;
    for (int attempt = 0; attempt < (wall ? 3 : 1); attempt++) {
        free(py);
        free(out);
        py = system ? run_py_with("/usr/bin/python3", path)
             : real ? run_py_real(path)
                    : run_py(path);
        int st;
        out = run_lesson(slug, "LOOPLAB_TRACE=", &st);
        if (wall) {
            mask_took(py);
            mask_took(out);
        }
        if (memory_unreliable(slug, false)) { /* only the C side runs under the checker */
            mask_claims(py);
            mask_claims(out);
        }
        if (py && out && strcmp(py, out) == 0)
            break;
        if (wall && attempt < 2)
            fprintf(stderr, "%s: twin output differs on real time; trying again\n", slug);
    }
    ck_assert_same_output(out, py);
    free(out);
    free(py);
}
END_TEST

START_TEST(lesson_trace_is_identical_run_to_run) {
    const char *slug = slugs[_i];
    if (too_big_for_tsan(slug))
        return;
    char a[] = "/tmp/looplab-lesson-a-XXXXXX", b[] = "/tmp/looplab-lesson-b-XXXXXX";
    close(mkstemp(a));
    close(mkstemp(b));
    char env[256];
    int st;
    /* (Built with a sanitizer, a lesson measuring memory is not compared
     * with itself, and runs once: it takes a minute there.) */
    bool twice = !memory_unreliable(slug, false);
    snprintf(env, sizeof env, "LOOPLAB_TRACE=%s", a);
    free(run_lesson(slug, env, &st));
    snprintf(env, sizeof env, "LOOPLAB_TRACE=%s", twice ? b : a);
    if (twice)
        free(run_lesson(slug, env, &st));
    char *ta = slurp(a), *tb = slurp(twice ? b : a);
    ck_assert_msg(ta && strstr(ta, "@end events="), "%s: no complete trace", slug);
    ck_assert_msg(tb && strstr(tb, "@end events="), "%s: no complete trace", slug);
    /* Lessons on the real clock (sockets) measure time: their traces are
     * complete every time, but not the same to the nanosecond. */
    if (!meta_says(slug, "clock: real") && twice)
        ck_assert_same_output(ta, tb);
    /* A lesson narrates: its trace has notes. */
    ck_assert_msg(strstr(ta, " note ") != NULL, "%s: no narration notes in its trace", slug);
    free(ta);
    free(tb);
    unlink(a);
    unlink(b);
}
END_TEST

/* A lesson whose meta says "clocks: both" prints the same on the real
 * clock as on the virtual one. */
START_TEST(lesson_prints_the_same_on_both_clocks) {
    const char *slug = slugs[_i];
    if (!meta_says(slug, "clocks: both"))
        return;
    char path[512];
    int st;
    char *out = run_lesson(slug, "LOOPLAB_TRACE= LOOPLAB_CLOCK=real", &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s on the real clock exited with %d",
                  slug, st);
    if (timing_unreliable(slug, true, false)) {
        free(out);
        return;
    }
    snprintf(path, sizeof path, "%s/lessons/%s/expected.txt", LL_SOURCE_ROOT, slug);
    char *want = slurp(path);
    ck_assert_same_output(out, want);
    free(out);
    free(want);
}
END_TEST

/* Source paths in `at=` depend on where the build directory is: keep them
 * from the last lessons/, src/ or include/ on (as scripts/golden's sed). */
static char *normalize_sites(const char *t) {
    size_t n = strlen(t);
    char *out = malloc(n + 1), *o = out;
    const char *p = t;
    while (*p) {
        if (strncmp(p, "at=", 3) == 0 && (p == t || p[-1] == ' ')) {
            const char *start = p + 3, *end = start + strcspn(start, " \n");
            const char *cut = NULL;
            static const char *const dirs[] = {"/lessons/", "/src/", "/include/"};
            for (const char *q = start; q < end; q++)
                for (size_t d = 0; d < 3; d++)
                    if ((size_t)(end - q) > strlen(dirs[d]) &&
                        strncmp(q, dirs[d], strlen(dirs[d])) == 0)
                        cut = q + 1;
            memcpy(o, "at=", 3);
            o += 3;
            const char *from = cut ? cut : start;
            memcpy(o, from, (size_t)(end - from));
            o += end - from;
            p = end;
            continue;
        }
        *o++ = *p++;
    }
    *o = '\0';
    return out;
}

/* A lesson on the virtual clock leaves the same trace as the one committed
 * in tests/golden/: a change in scheduling shows up as a diff to review. */
START_TEST(lesson_trace_matches_its_golden_trace) {
    const char *slug = slugs[_i];
    if (too_big_for_tsan(slug))
        return;
    if (meta_says(slug, "clock: real"))
        return; /* measured times: no golden */
    if (memory_unreliable(slug, false))
        return; /* claims on a checker's figures: the normal build holds it to its golden */
    char path[512];
    char tmp[] = "/tmp/looplab-golden-XXXXXX";
    close(mkstemp(tmp));
    char env[256];
    int st;
    snprintf(env, sizeof env, "LOOPLAB_TRACE=%s", tmp);
    free(run_lesson(slug, env, &st));
    char *raw = slurp(tmp);
    unlink(tmp);
    ck_assert_msg(raw != NULL, "%s: no trace", slug);
    char *got = normalize_sites(raw);
    snprintf(path, sizeof path, "%s/tests/golden/%s.trace", LL_SOURCE_ROOT, slug);
    char *want = slurp(path);
    ck_assert_msg(want != NULL,
                  "%s has no golden trace: run scripts/golden, review and commit "
                  "tests/golden/%s.trace",
                  slug, slug);
    if (strcmp(got, want) != 0) {
        size_t line = 1, i = 0;
        while (got[i] && got[i] == want[i])
            line += got[i++] == '\n';
        ck_abort_msg("%s: its trace differs from tests/golden/%s.trace at line %zu; if the "
                     "change is meant, run scripts/golden and review the diff",
                     slug, slug, line);
    }
    free(raw);
    free(got);
    free(want);
}
END_TEST

/* lessons/SLUG/pymap.txt as an array: map[c] is the Python line of C line
 * c, 0 for none.  Returns the number of C lines it can hold (the C file's
 * lines + 1); entries past the C file fail the test. */
static int *read_pymap(const char *slug, int nc) {
    char path[512];
    snprintf(path, sizeof path, "%s/lessons/%s/pymap.txt", LL_SOURCE_ROOT, slug);
    char *text = slurp(path);
    ck_assert_msg(text != NULL, "lessons/%s has no pymap.txt: run scripts/pymap %s", slug, slug);
    int *map = calloc((size_t)nc + 1, sizeof *map);
    int at = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        at++;
        int c, p;
        if (line[0] == '#')
            continue;
        ck_assert_msg(sscanf(line, "%d %d", &c, &p) == 2 && c >= 1 && c <= nc && p >= 1,
                      "lessons/%s/pymap.txt:%d: `%s` is not a C line (1..%d) and a Python line",
                      slug, at, line, nc);
        map[c] = p;
    }
    free(text);
    return map;
}

static int count_lines(const char *s) {
    int n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Every line of lesson.c that the viewer can highlight (a line the trace
 * names, or the first line of a task's coroutine) has a line in the Python
 * twin, and the map is what scripts/pymap derives from today's sources
 * (the check names each stale entry). */
START_TEST(lesson_maps_every_line_it_highlights_to_its_python_twin) {
    const char *slug = slugs[_i];
    char path[512], tmp[] = "/tmp/looplab-pymap-XXXXXX", env[256];
    snprintf(path, sizeof path, "%s/lessons/%s/lesson.c", LL_SOURCE_ROOT, slug);
    char *c = slurp(path);
    int nc = count_lines(c);
    int *map = read_pymap(slug, nc);
    /* the golden trace when there is one (the trace test keeps it current),
     * else a run */
    snprintf(path, sizeof path, "%s/tests/golden/%s.trace", LL_SOURCE_ROOT, slug);
    char *trace = slurp(path);
    int st;
    if (!trace) {
        close(mkstemp(tmp));
        snprintf(env, sizeof env, "LOOPLAB_TRACE=%s", tmp);
        free(run_lesson(slug, env, &st));
        trace = slurp(tmp);
        unlink(tmp);
    }
    ck_assert_msg(trace != NULL, "%s: no trace", slug);
    char want[256];
    snprintf(want, sizeof want, "lessons/%s/lesson.c:", slug);
    size_t sites = 0;
    for (const char *p = strstr(trace, want); p; p = strstr(p + 1, want)) {
        int line = atoi(p + strlen(want));
        ck_assert_msg(line >= 1 && line <= nc && map[line] > 0,
                      "%s: the trace names lesson.c:%d, which has no Python line in "
                      "pymap.txt (run scripts/pymap %s)",
                      slug, line, slug);
        sites++;
    }
    ck_assert_msg(sites > 0, "%s: the trace names no line of lesson.c", slug);
    /* a task about to start is shown at its coroutine's definition */
    for (const char *p = strstr(trace, " coro=\""); p; p = strstr(p + 1, " coro=\"")) {
        char name[80], def[100];
        if (sscanf(p + 7, "%79[A-Za-z0-9_]", name) != 1)
            continue;
        snprintf(def, sizeof def, " %s(", name);
        int line = 1;
        for (const char *q = c; *q; line++) {
            size_t len = strcspn(q, "\n");
            char row[512];
            snprintf(row, sizeof row, "%.*s", (int)(len < 511 ? len : 511), q);
            bool is_def =
                (strncmp(row, "static ll_value ", 16) == 0 || strncmp(row, "ll_value ", 9) == 0) &&
                strstr(row, def) && !strchr(row, ';');
            if (is_def)
                ck_assert_msg(map[line] > 0,
                              "%s: %s(), at lesson.c:%d, has no Python line in pymap.txt", slug,
                              name, line);
            q += len + (q[len] == '\n');
        }
    }
    free(trace);
    free(map);
    free(c);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 '%s/scripts/pymap' --check '%s' 2>&1", LL_SOURCE_ROOT, slug);
    char *why = read_command(cmd, &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: pymap.txt is stale:\n%s", slug, why);
    free(why);
}
END_TEST

/* The trace of a lesson on the real clock (NULL under a checker, whose
 * pace says nothing about overlap). */
static char *real_trace(const char *slug) {
    if (timing_unreliable(slug, true, getenv("LOOPLAB_UNDER_VALGRIND") != NULL))
        return NULL;
    char tmp[] = "/tmp/looplab-real-XXXXXX";
    close(mkstemp(tmp));
    char env[256];
    int st;
    snprintf(env, sizeof env, "LOOPLAB_TRACE=%s", tmp);
    free(run_lesson(slug, env, &st));
    char *t = slurp(tmp);
    unlink(tmp);
    ck_assert_msg(t && strstr(t, "@end events="), "%s: no complete trace", slug);
    return t;
}

/* Lesson 17's "all ten at once" is shown by its trace: every request is
 * written before the first answer comes back (the quickest takes 0.1 s). */
START_TEST(lesson_17_fetches_overlap) {
    char *t = real_trace("17-fetching-pages");
    if (!t)
        return;
    const char *p = strstr(t, "text=\"All ten at once:\"");
    ck_assert_msg(p != NULL, "no 'All ten at once:' print in the trace");
    int writes = 0;
    for (const char *line = p; (line = strchr(line, '\n')) != NULL;) {
        line++;
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf - 1 ? n : sizeof buf - 1), line);
        if (strstr(buf, " io ") && strstr(buf, " op=read "))
            break;
        if (strstr(buf, " io ") && strstr(buf, " op=write "))
            writes++;
    }
    ck_assert_msg(writes == 10, "%d requests written before the first answer, want all 10", writes);
    free(t);
}
END_TEST

/* Lesson 23's "two loops on two cores" is shown by its trace, not by the
 * seconds it prints: the two regions are jobs on two worker threads, each
 * running a loop of its own, and both have started before either ends. */
START_TEST(lesson_23_loops_overlap) {
    const char *slug = "23-several-loops";
    char *t = real_trace(slug);
    if (!t)
        return;
    int loops = 0;
    for (const char *p = t; (p = strstr(p, " loop_start ")) != NULL; p++)
        loops++;
    ck_assert_msg(loops >= 3, "%s: %d loops started, want the main loop and two workers'", slug,
                  loops);
    const char *s1 = strstr(t, " job_start ");
    const char *s2 = s1 ? strstr(s1 + 1, " job_start ") : NULL;
    const char *e1 = strstr(t, " job_end ");
    ck_assert_msg(s1 && s2 && e1, "%s: want two jobs in the trace", slug);
    ck_assert_msg(s2 < e1, "%s: the second region started only after the first ended", slug);
    free(t);
}
END_TEST

START_TEST(lesson_folder_is_complete) {
    const char *slug = slugs[_i];
    static const char *files[] = {"lesson.c",     "lesson.py", "README.md",
                                  "expected.txt", "meta.txt",  "pymap.txt"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/lessons/%s/%s", LL_SOURCE_ROOT, slug, files[k]);
        ck_assert_msg(access(path, R_OK) == 0, "lessons/%s has no %s", slug, files[k]);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/lessons/%s/meta.txt", LL_SOURCE_ROOT, slug);
    char *meta = slurp(path);
    ck_assert_msg(strstr(meta, "title: ") && strstr(meta, "summary: "),
                  "lessons/%s/meta.txt needs a title and a summary", slug);
    free(meta);
}
END_TEST

int main(void) {
    nslugs = find_lessons(slugs, 128);
    if (nslugs == 0) {
        fprintf(stderr, "no lessons found under %s/lessons\n", LL_SOURCE_ROOT);
        return EXIT_FAILURE;
    }
    Suite *s = suite_create("lessons");
    TCase *tc = tcase_create("lessons");
    /* Lesson 24 measures a million tasks in each language: some 10 s in
     * C and 30 s in CPython on a loaded 2-core machine, over a minute with
     * AddressSanitizer. */
    tcase_set_timeout(tc, 180);
    tcase_add_loop_test(tc, lesson_folder_is_complete, 0, nslugs);
    tcase_add_loop_test(tc, lesson_prints_its_expected_output, 0, nslugs);
    tcase_add_loop_test(tc, lesson_prints_what_its_python_twin_prints, 0, nslugs);
    tcase_add_loop_test(tc, lesson_trace_is_identical_run_to_run, 0, nslugs);
    tcase_add_loop_test(tc, lesson_trace_matches_its_golden_trace, 0, nslugs);
    tcase_add_loop_test(tc, lesson_prints_the_same_on_both_clocks, 0, nslugs);
    tcase_add_loop_test(tc, lesson_maps_every_line_it_highlights_to_its_python_twin, 0, nslugs);
    tcase_add_test(tc, lesson_17_fetches_overlap);
    tcase_add_test(tc, lesson_23_loops_overlap);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
