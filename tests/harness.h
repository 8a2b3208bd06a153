/* harness.h - helpers shared by Looplab's Check suites.
 *
 * capture_*: redirect stdout or stderr into a temporary file and read it
 * back, so a test can compare what a program printed (restores the real
 * descriptor afterwards, so it also works with CK_FORK=no under Valgrind).
 * run_py: run a Python twin under tests/py/vloop.py (virtual time) and
 * return what it printed. */
#ifndef LL_TESTS_HARNESS_H
#define LL_TESTS_HARNESS_H

#include <check.h>
#include <looplab.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LL_SOURCE_ROOT
#define LL_SOURCE_ROOT "."
#endif

/* Under Valgrind or ThreadSanitizer (`meson test --setup valgrind|tsan`)
 * everything runs 5-50 times slower and TSan allows at most ~8 000 threads
 * and fibers (live tasks): tests shrink their counts and stretch their real
 * delays when this is true. */
static inline bool under_checker(void) {
    return getenv("LOOPLAB_UNDER_VALGRIND") || getenv("LOOPLAB_UNDER_TSAN");
}

/* Whether this test program (and so the lessons and the looplab command
 * beside it) was built with a sanitizer. */
static inline bool sanitized_build(void) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

/* Asserts that every line of `err` (a program's stderr) contains one of
 * the NULL-terminated `allowed` phrases: a well-behaved program, or one
 * whose only oddities are on purpose, gets no other warning. */
static inline void ck_assert_only_warnings(const char *who, const char *err,
                                           const char *const *allowed) {
    for (const char *p = err; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        bool ok = n == 0 || p[0] == ' '; /* a report's further lines */
        for (const char *const *a = allowed; !ok && *a; a++)
            ok = memmem(p, n, *a, strlen(*a)) != NULL;
        ck_assert_msg(ok, "%s: unexpected warning:\n%.*s", who, (int)n, p);
        p += n + (nl != NULL);
    }
}

typedef struct capture {
    int fd;     /* the descriptor being captured (1 or 2) */
    int saved;  /* a copy of the original */
    FILE *tmp;  /* where the output goes meanwhile */
} capture;

static inline void capture_begin(capture *c, int fd) {
    fflush(stdout);
    fflush(stderr);
    c->fd = fd;
    c->tmp = tmpfile();
    ck_assert_msg(c->tmp != NULL, "tmpfile() failed");
    c->saved = dup(fd);
    dup2(fileno(c->tmp), fd);
}

/* Returns what was written (malloc'd, NUL-terminated). */
static inline char *capture_end(capture *c) {
    fflush(stdout);
    fflush(stderr);
    dup2(c->saved, c->fd);
    close(c->saved);
    long n = ftell(c->tmp);
    if (n < 0)
        n = 0;
    char *s = malloc((size_t)n + 1);
    rewind(c->tmp);
    size_t got = fread(s, 1, (size_t)n, c->tmp);
    s[got] = '\0';
    fclose(c->tmp);
    return s;
}

/* Reads a whole command's standard output (malloc'd); *status gets its exit
 * status as pclose reports it. */
static inline char *read_command(const char *cmd, int *status) {
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen(%s) failed", cmd);
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    size_t k;
    while ((k = fread(s + len, 1, cap - len - 1, p)) > 0) {
        len += k;
        if (len + 1 == cap)
            s = realloc(s, cap *= 2);
    }
    s[len] = '\0';
    int st = pclose(p);
    if (status)
        *status = st;
    return s;
}

static inline bool have_python3(void) {
    return system("command -v python3 >/dev/null 2>&1") == 0;
}

/* What `python3 tests/py/vloop.py FILE` prints (FILE relative to the source
 * root).  Fails the test when python3 is missing or the program fails. */
static inline char *py_command(const char *cmd);
static inline char *run_py(const char *file) {
    ck_assert_msg(have_python3(),
                  "python3 is not installed: the Python twins are the oracle for "
                  "these tests (scripts/setup installs it)");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && python3 tests/py/vloop.py '%s'", LL_SOURCE_ROOT, file);
    return py_command(cmd);
}

/* Runs a twin: its standard output is what is compared (asyncio's own
 * warnings go to stderr, as Looplab's do); its stderr is shown when it
 * fails. */
static inline char *py_command(const char *cmd) {
    char errpath[] = "/tmp/looplab-twin-err-XXXXXX";
    int fd = mkstemp(errpath);
    ck_assert_msg(fd >= 0, "mkstemp failed");
    close(fd);
    char full[1400];
    snprintf(full, sizeof full, "%s 2>'%s'", cmd, errpath);
    int st = 0;
    char *out = read_command(full, &st);
    if (st != 0) {
        char err[4096] = "";
        FILE *f = fopen(errpath, "r");
        if (f) {
            size_t n = fread(err, 1, sizeof err - 1, f);
            err[n] = '\0';
            fclose(f);
        }
        unlink(errpath);
        ck_abort_msg("'%s' failed (status %d):\n%s%s", cmd, st, out, err);
    }
    unlink(errpath);
    return out;
}

/* What `python3 FILE` prints on real time, for twins that use threads
 * (vloop.py cannot make a worker thread's time.sleep virtual).  Their
 * delays are chosen far enough apart that the order is not a race. */
static inline char *run_py_with(const char *python, const char *file) {
    ck_assert_msg(have_python3(), "python3 is not installed (scripts/setup installs it)");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s'", LL_SOURCE_ROOT, python, file);
    return py_command(cmd);
}

static inline char *run_py_real(const char *file) { return run_py_with("python3", file); }

/* Prints (with ll_print, from a task) "WHAT: ok", or "WHAT: ErrorName:
 * message" when v is an error. */
static inline void say(const char *what, ll_value v) {
    if (ll_failed(v))
        ll_print("%s: %s: %s", what, ll_err_name(ll_errcode(v)), ll_errmsg(v));
    else
        ll_print("%s: ok", what);
}

/* Fails unless hay contains needle, showing (the start of) hay. */
#define ck_assert_has(hay, needle)                                              \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "expected \"%s\" in:\n%.3000s", (needle), \
                  (hay))

/* Every decimal number (the printed times) becomes "~": on a loaded machine
 * a real-clock wake-up one unit late reads as the next tenth (CI printed
 * "expired at 4.5" for 3.5), while the order of the lines is what the
 * real-clock passes are there to check.  The caller frees the copy. */
static inline char *mask_times(const char *s) {
    char *m = strdup(s), *o = m;
    ck_assert_ptr_nonnull(m);
    for (const char *p = s; *p;) {
        const char *q = p;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q > p && *q == '.' && q[1] >= '0' && q[1] <= '9') {
            for (q++; *q >= '0' && *q <= '9'; q++)
                ;
            *o++ = '~';
            p = q;
            continue;
        }
        while (p < q)
            *o++ = *p++;
        if (*p)
            *o++ = *p++;
    }
    *o = '\0';
    return m;
}

/* Compares two outputs and, when they differ, says where. */
#define ck_assert_same_output(actual, expected)                                \
    do {                                                                       \
        const char *a_ = (actual), *e_ = (expected);                           \
        if (strcmp(a_, e_) != 0) {                                             \
            size_t i_ = 0, line_ = 1;                                          \
            while (a_[i_] && a_[i_] == e_[i_])                                 \
                line_ += a_[i_++] == '\n';                                     \
            ck_abort_msg("output differs at line %zu\n--- expected ---\n%s"    \
                         "--- actual ---\n%s",                                 \
                         line_, e_, a_);                                       \
        }                                                                      \
    } while (0)

/* The lesson folders (lessons/NN-slug), sorted; returns how many. */
#include <dirent.h>
typedef char lesson_slug[128];
static inline int lesson_slug_cmp(const void *a, const void *b) { return strcmp(a, b); }
static inline int find_lessons(lesson_slug *slugs, int max) {
    int n = 0;
    DIR *d = opendir(LL_SOURCE_ROOT "/lessons");
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < max;) {
        int num;
        char c;
        if (sscanf(e->d_name, "%d-%c", &num, &c) == 2 && strlen(e->d_name) < sizeof slugs[0])
            strcpy(slugs[n++], e->d_name);
    }
    closedir(d);
    qsort(slugs, (size_t)n, sizeof slugs[0], lesson_slug_cmp);
    return n;
}

/* Runs one Check suite and returns the process exit status. */
static inline int run_suite(Suite *s) {
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
