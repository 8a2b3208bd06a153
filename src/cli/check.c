/* check.c - `looplab check EXERCISE FILE.py|FILE.c`.
 *
 * Finds the exercise (exercises/NN-slug, by number or slug), compiles a C
 * program against the library (from the build tree, or as installed), runs
 * it through `looplab run` on the exercise's clock, reads the trace back and
 * decides each property of the exercise's checks.txt (src/trace/checks.c),
 * saying for each failure where it first fails and the next hint. */
#include "cli/commands.h"

#include "trace/checks.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *prog = "looplab check";

static void usage_check(FILE *out) {
    fprintf(out, "usage: looplab check EXERCISE FILE.py|FILE.c [--hint N] [--keep] [--view]\n"
                 "       looplab check --list\n"
                 "\n"
                 "Runs your answer to an exercise (by number or slug, as 'looplab check --list'\n"
                 "shows them) and checks what it did, from its trace: how long the loop took,\n"
                 "how many tasks waited at once, whether the loop was ever blocked, which\n"
                 "tasks finished or were cancelled, what was printed and in which order.\n"
                 "A .py file runs under the Python recorder; a .c file is first compiled\n"
                 "against the library (the compiler's messages are shown; nothing runs when\n"
                 "it does not compile).  The run is on the exercise's clock (virtual unless\n"
                 "it says otherwise).\n"
                 "\n"
                 "Each check is printed as PASS or FAIL; a failure says at which step of the\n"
                 "trace it first fails (event number, loop time, task, your source line) and\n"
                 "gives a hint.  The exercise's README.md states the goal.\n"
                 "\n"
                 "options:\n"
                 "  --list        the exercises, numbered, with their titles and time\n"
                 "  --hint N      show hints 1 to N of each failed check (default 1)\n"
                 "  --keep        keep the trace (and the compiled program) and say where;\n"
                 "                open the trace with 'looplab view TRACE'\n"
                 "  --view        keep the trace, and open the first failed check in the\n"
                 "                window at the step where it fails, the check and its\n"
                 "                hint in the status line\n"
                 "  --python PATH the interpreter for a .py (default: python3)\n"
                 "\n"
                 "exit status: 0 when every check passes, 1 when one fails or the program\n"
                 "does not compile or run, 2 for a usage error.\n");
}

/* ---- exercises on disk ------------------------------------------------------ */

typedef struct exercise {
    char slug[128];
    int number;
    char title[200];
    char summary[300];
    char minutes[32];
    char lesson[64];
} exercise;

/* Where the exercises are: $LOOPLAB_EXERCISES, the source tree's, or the
 * installed ones. */
static const char *exercises_dir(void) {
    const char *env = getenv("LOOPLAB_EXERCISES");
    if (env && *env)
        return env;
    struct stat st;
    if (stat(LL_SOURCE_ROOT "/exercises", &st) == 0 && S_ISDIR(st.st_mode))
        return LL_SOURCE_ROOT "/exercises";
    return LL_DATADIR "/looplab/exercises";
}

/* Copies src into dst[cap], cut short when it does not fit. */
static void copy(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void read_ex_meta(const char *dir, exercise *x) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/meta.txt", dir, x->slug);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "title: ", 7) == 0)
            copy(x->title, sizeof x->title, line + 7);
        else if (strncmp(line, "summary: ", 9) == 0)
            copy(x->summary, sizeof x->summary, line + 9);
        else if (strncmp(line, "minutes: ", 9) == 0)
            copy(x->minutes, sizeof x->minutes, line + 9);
        else if (strncmp(line, "lesson: ", 8) == 0)
            copy(x->lesson, sizeof x->lesson, line + 8);
    }
    fclose(f);
}

/* The folders NN-slug of the exercises' folder, in number order. */
static size_t find_exercises(exercise *out, size_t max) {
    const char *dir = exercises_dir();
    ll_cli_dir dirs[64];
    int n = ll_cli_numbered_dirs(dir, dirs, max < 64 ? max : 64);
    for (int i = 0; i < n; i++) {
        exercise *x = &out[i];
        memset(x, 0, sizeof *x);
        copy(x->slug, sizeof x->slug, dirs[i].slug);
        copy(x->title, sizeof x->title, dirs[i].slug);
        x->number = dirs[i].number;
        read_ex_meta(dir, x);
    }
    return n > 0 ? (size_t)n : 0;
}

size_t check_count_exercises(void) {
    exercise xs[64];
    return find_exercises(xs, 64);
}

static int list_exercises(void) {
    exercise xs[64];
    size_t n = find_exercises(xs, 64);
    if (!n) {
        fprintf(stderr, "%s: no exercises in %s\n", prog, exercises_dir());
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        printf("%3d  %s  (%s min%s%s)\n     %s\n", xs[i].number, xs[i].title,
               *xs[i].minutes ? xs[i].minutes : "?", *xs[i].lesson ? ", after lesson " : "",
               xs[i].lesson, xs[i].summary);
    printf("\nThey are in %s/NN-slug/: read its README.md, copy its starter.py\n"
           "(or starter.c), change the copy, then:\n"
           "  looplab check NUMBER YOUR-FILE.py   (or .c)\n",
           exercises_dir());
    return 0;
}

static const exercise *resolve_ex(const char *name, exercise *xs, size_t n) {
    char *end;
    long num = strtol(name, &end, 10);
    for (size_t i = 0; i < n; i++) {
        const char *dash = strchr(xs[i].slug, '-');
        if ((*name && *end == '\0' && xs[i].number == num) || strcmp(xs[i].slug, name) == 0 ||
            (dash && strcmp(dash + 1, name) == 0))
            return &xs[i];
    }
    return NULL;
}

/* ---- children ------------------------------------------------------------------ */

/* Runs argv (PATH searched) and waits.  Returns its exit status, 128+N
 * after signal N, or -1 when it could not start (said). */
static int spawn_wait(char **argv) {
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot run %s: %s\n", prog, argv[0], strerror(rc));
        return -1;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A fresh directory for this check's files: ${TMPDIR:-/tmp}/looplab-check-XXXXXX. */
static int make_workdir(char *dir, size_t len) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, len, "%s/looplab-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "%s: cannot make a directory in %s: %s\n", prog, tmp && *tmp ? tmp : "/tmp",
                strerror(errno));
        return -1;
    }
    return 0;
}

static bool exists(const char *p) {
    return access(p, R_OK) == 0;
}

/* The library to compile against: the build tree's when this command runs
 * from it, otherwise the installed one. */
static void find_library(char *inc, size_t ilen, char *lib, size_t llen) {
    if (exists(LL_BUILD_ROOT "/liblooplab.a") && exists(LL_SOURCE_ROOT "/include/looplab.h")) {
        snprintf(inc, ilen, "%s", LL_SOURCE_ROOT "/include");
        snprintf(lib, llen, "%s", LL_BUILD_ROOT "/liblooplab.a");
        return;
    }
    snprintf(inc, ilen, "%s", LL_INCLUDEDIR);
    snprintf(lib, llen, "%s/liblooplab.a", LL_LIBDIR);
    if (!exists(lib))
        snprintf(lib, llen, "%s/liblooplab.so", LL_LIBDIR);
}

/* Compiles `src` into `bin` with the flags the C exercises are written to
 * (C11, -Wall -Wextra).  The compiler's messages go to standard error as
 * they are.  Returns 0, or 1 after saying that nothing runs. */
static int compile_c(const char *src, const char *bin) {
    char inc[PATH_MAX], lib[PATH_MAX], iflag[PATH_MAX + 2];
    find_library(inc, sizeof inc, lib, sizeof lib);
    if (!exists(lib)) {
        fprintf(stderr, "%s: the library is not built (no %s): run 'meson compile -C build'\n",
                prog, lib);
        return 1;
    }
    snprintf(iflag, sizeof iflag, "-I%s", inc);
    const char *cc = getenv("CC");
    char *argv[24];
    int k = 0;
    argv[k++] = (char *)(cc && *cc ? cc : "cc");
    argv[k++] = "-std=c11";
    argv[k++] = "-Wall";
    argv[k++] = "-Wextra";
    argv[k++] = "-g";
    /* A library built with sanitizers (scripts/test's ASan build) needs
     * their runtime in the program too. */
    char san[64];
    if (strcmp(LL_LIB_SANITIZE, "none") != 0 && *LL_LIB_SANITIZE) {
        snprintf(san, sizeof san, "-fsanitize=%s", LL_LIB_SANITIZE);
        argv[k++] = san;
    }
    argv[k++] = iflag;
    argv[k++] = "-o";
    argv[k++] = (char *)bin;
    argv[k++] = (char *)src;
    argv[k++] = lib;
    const char *libs[] = {"-luv", "-lhttp_parser", "-lsqlite3", "-lm", "-lpthread"};
    for (size_t i = 0; i < sizeof libs / sizeof *libs; i++)
        argv[k++] = (char *)libs[i];
    argv[k] = NULL;
    int rc = spawn_wait(argv);
    if (rc != 0) {
        fprintf(stderr,
                "\n%s: %s does not compile (the compiler's messages are above, with "
                "file:line); nothing was run\n",
                prog, src);
        return 1;
    }
    return 0;
}

/* ---- the report ------------------------------------------------------------------ */

/* Line `line` of file `path`, without its newline, or "" (into buf). */
static const char *source_line(const char *path, int line, char *buf, size_t len) {
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return buf;
    for (int i = 1; fgets(buf, (int)len, f); i++) {
        if (i == line) {
            buf[strcspn(buf, "\n")] = '\0';
            fclose(f);
            char *s = buf + strspn(buf, " \t");
            return s;
        }
    }
    fclose(f);
    buf[0] = '\0';
    return buf;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Where a check first fails: the step, the loop time, the task, the line. */
static void print_where(const ll_trace *t, size_t at, const char *student) {
    if (at == SIZE_MAX || at < t->rec.base || at >= t->rec.n)
        return;
    const ll_trace_event *e = ll__rec_at(&t->rec, at);
    const ll_trace_task *tk = e->task ? ll_trace_task_of(t, e->task) : NULL;
    char who[160];
    if (tk)
        snprintf(who, sizeof who, "task %s", ll__rec_strp(&t->rec, tk->name, NULL));
    else
        snprintf(who, sizeof who, "the loop itself");
    printf("        where: step %zu (%s) at %.3f s, in %s\n", at + 1, ll_event_kind_name(e->kind),
           (double)e->t / 1e9, who);
    const ll__site *s = e->site ? ll__rec_sitep(&t->rec, e->site) : NULL;
    if (s && s->file) {
        char buf[512];
        const char *path = strcmp(base_name(s->file), base_name(student)) == 0 ? student : s->file;
        const char *code = source_line(path, s->line, buf, sizeof buf);
        printf("        line:  %s:%d%s%s\n", base_name(s->file), s->line, *code ? "  " : "", code);
    }
}

static void print_hints(const ll_check *c, int upto, const char *slug, const char *file) {
    size_t n = c->nhints < (size_t)upto ? c->nhints : (size_t)upto;
    for (size_t i = 0; i < n; i++)
        printf("        hint %zu/%zu: %s\n", i + 1, c->nhints, c->hints[i]);
    if (c->nhints > n)
        printf("        (more help: looplab check %s %s --hint %zu)\n", slug, file, n + 1);
}

/* The first failed check, for --view: its step and what to say there. */
typedef struct first_fail {
    size_t event;  /* SIZE_MAX: none (or no step to show) */
    char say[900]; /* "FAIL: what (why). Hint: ..." */
} first_fail;

/* Decides every check and prints them; the number that failed. */
static size_t report(const ll_checks *cs, const ll_trace *t, const char *slug, const char *file,
                     int hints, first_fail *ff) {
    ff->event = SIZE_MAX;
    size_t failed = 0;
    for (size_t i = 0; i < cs->n; i++) {
        ll_check_result r;
        ll_check_eval(&cs->v[i], t, &r);
        char why[sizeof r.why * 4];
        ll_trace_term_safe(why, sizeof why, r.why, strlen(r.why));
        printf("  %s  %s\n        %s\n", r.pass ? "PASS" : "FAIL", r.what, why);
        if (r.pass)
            continue;
        if (!failed++ && r.event != SIZE_MAX) {
            ff->event = r.event;
            snprintf(ff->say, sizeof ff->say, "FAIL: %.200s (%.300s)%s%.300s", r.what, why,
                     cs->v[i].nhints ? ". Hint: " : "", cs->v[i].nhints ? cs->v[i].hints[0] : "");
        }
        print_where(t, r.event, file);
        print_hints(&cs->v[i], hints, slug, file);
    }
    printf("\n");
    if (!failed)
        printf("All %zu checks pass: exercise done.\n", cs->n);
    else
        printf("%zu of %zu checks pass.  Change your program and run the same command again;\n"
               "to watch the run step by step, add --view: the window opens at the first\n"
               "failed check (--keep keeps the trace; the steps above are its event numbers).\n",
               cs->n - failed, cs->n);
    return failed;
}

/* ---- the command ------------------------------------------------------------------ */

typedef struct check_opts {
    const char *exercise, *file, *python;
    int hints;
    bool keep, list, help;
    bool view; /* --view: open the first failed check in the window */
} check_opts;

static int parse_check(int argc, char **argv, check_opts *o) {
    memset(o, 0, sizeof *o);
    o->hints = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = true;
        } else if (strcmp(a, "--list") == 0) {
            o->list = true;
        } else if (strcmp(a, "--keep") == 0) {
            o->keep = true;
        } else if (strcmp(a, "--view") == 0) {
            o->keep = o->view = true;
        } else if (strcmp(a, "--hint") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (end == argv[i] || *end || n < 1 || n > 99) {
                fprintf(stderr, "%s: --hint needs a number from 1, not '%s'\n", prog, argv[i]);
                return 2;
            }
            o->hints = (int)n;
        } else if (strcmp(a, "--python") == 0 && i + 1 < argc) {
            o->python = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: unknown option '%s' (see 'looplab check --help')\n", prog, a);
            return 2;
        } else if (!o->exercise) {
            o->exercise = a;
        } else if (!o->file) {
            o->file = a;
        } else {
            fprintf(stderr, "%s: one exercise and one file (got '%s' too)\n", prog, a);
            return 2;
        }
    }
    if (!o->help && !o->list && (!o->exercise || !o->file)) {
        fprintf(stderr,
                "%s: which exercise and which file? e.g. 'looplab check 1 my-answer.py' "
                "(the exercises: 'looplab check --list')\n",
                prog);
        return 2;
    }
    return 0;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Finds the exercise and its checks and checks the file is there.  Returns
 * 0, or the exit status after saying what is wrong. */
static int prepare(const check_opts *o, exercise *x, ll_checks *cs) {
    exercise xs[64];
    size_t n = find_exercises(xs, 64);
    const exercise *found = resolve_ex(o->exercise, xs, n);
    if (!found) {
        fprintf(stderr, "%s: no exercise '%s' (%s; see 'looplab check --list')\n", prog,
                o->exercise, n ? "not among them" : "none found");
        return 2;
    }
    *x = *found;
    if (!ends_with(o->file, ".py") && !ends_with(o->file, ".c")) {
        fprintf(stderr, "%s: %s: give a Python file (.py) or a C file (.c)\n", prog, o->file);
        return 2;
    }
    struct stat st;
    errno = 0;
    if (stat(o->file, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "%s: cannot read %s: %s\n", prog, o->file,
                errno ? strerror(errno) : "not a file");
        return 2;
    }
    char path[1024], err[1200];
    snprintf(path, sizeof path, "%s/%s/checks.txt", exercises_dir(), x->slug);
    if (ll_checks_load(cs, path, err, sizeof err) != 0) {
        fprintf(stderr, "%s: the exercise's checks are broken: %s\n", prog, err);
        return 1;
    }
    return 0;
}

/* Runs the program through `looplab run` (this same executable), its trace
 * into `trace`.  Returns the run's exit status, or -1 (said). */
static int run_program(const check_opts *o, const ll_checks *cs, const char *bin,
                       const char *trace) {
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        fprintf(stderr, "%s: cannot find the looplab executable: %s\n", prog, strerror(errno));
        return -1;
    }
    self[len] = '\0';
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%g", cs->timeout);
    char *argv[16];
    int k = 0;
    argv[k++] = self;
    argv[k++] = "run";
    argv[k++] = "--quiet";
    argv[k++] = "--trace";
    argv[k++] = (char *)trace;
    argv[k++] = "--clock";
    argv[k++] = (char *)cs->clock;
    argv[k++] = "--timeout";
    argv[k++] = timeout;
    if (o->python && ends_with(bin, ".py")) {
        argv[k++] = "--python";
        argv[k++] = (char *)o->python;
    }
    argv[k++] = "--";
    argv[k++] = (char *)bin;
    argv[k] = NULL;
    return spawn_wait(argv);
}

/* Removes the run's files, or says where the trace is kept; `at` is the
 * first failed check's event (SIZE_MAX: none), where the window should open. */
static void cleanup(const char *dir, const char *trace, const char *bin, bool keep, size_t at) {
    if (keep && at != SIZE_MAX) {
        printf("\nThe trace is kept: %s (looplab view %s)\n"
               "To open it at the first failed check, step %zu: looplab view --at %zu %s\n",
               trace, trace, at + 1, at + 1, trace);
        return;
    }
    if (keep) {
        printf("\nThe trace is kept: %s (looplab view %s)\n", trace, trace);
        return;
    }
    unlink(trace);
    if (bin)
        unlink(bin);
    rmdir(dir);
}

/* Whether the program's event loop started (a Python program with a syntax
 * error has a trace, with only its failure in it). */
static bool loop_started(const ll_trace *t) {
    for (size_t i = t->rec.base; i < t->rec.n; i++)
        if (ll__rec_at(&t->rec, i)->kind == LL_EV_LOOP_START)
            return true;
    return false;
}

/* --view: `looplab view --at STEP --say TEXT TRACE` (this very program). */
static void view_failure(const char *trace, const first_fail *ff) {
    char self[PATH_MAX], at[32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return;
    self[n] = '\0';
    snprintf(at, sizeof at, "%zu", ff->event + 1);
    char *argv[] = {self, "view", "--at", at, "--say", (char *)ff->say, (char *)trace, NULL};
    printf("Opening the first failed check at step %s in the window...\n", at);
    fflush(stdout);
    spawn_wait(argv);
}

/* Compiles (C), runs, reads the trace and reports.  The exit status. */
static int check_file(const check_opts *o, const exercise *x, const ll_checks *cs,
                      const char *dir) {
    bool is_c = ends_with(o->file, ".c");
    char bin[PATH_MAX + 16], trace[PATH_MAX + 160];
    snprintf(bin, sizeof bin, "%s/program", dir);
    snprintf(trace, sizeof trace, "%s/%s.trace", dir, x->slug);
    printf("Exercise %d: %s\nChecking %s (%s, %s clock)\n\n", x->number, x->title, o->file,
           is_c ? "C" : "Python", cs->clock);
    fflush(stdout);
    if (is_c && compile_c(o->file, bin) != 0) {
        cleanup(dir, trace, bin, false, SIZE_MAX);
        return 1;
    }
    printf("--- your program's output ---\n");
    fflush(stdout);
    int rc = run_program(o, cs, is_c ? bin : o->file, trace);
    printf("--- end of its output%s ---\n\n", rc > 0 ? " (it did not end well: see above)" : "");
    ll_trace t;
    char err[1200];
    if (rc < 0 || ll_trace_load(&t, trace, err, sizeof err) != 0 || !loop_started(&t)) {
        if (rc >= 0)
            ll_trace_free(&t);
        printf("Your program did not start its event loop, so nothing could be checked;\n"
               "the error is above (a syntax error? a missing asyncio.run?).\n");
        cleanup(dir, trace, is_c ? bin : NULL, o->keep, SIZE_MAX);
        return 1;
    }
    first_fail ff;
    size_t failed = report(cs, &t, x->slug, o->file, o->hints, &ff);
    ll_trace_free(&t);
    cleanup(dir, trace, is_c ? bin : NULL, o->keep, ff.event);
    if (o->view && ff.event != SIZE_MAX)
        view_failure(trace, &ff);
    return failed ? 1 : 0;
}

int cmd_check(int argc, char **argv) {
    check_opts o;
    int rc = parse_check(argc, argv, &o);
    if (rc != 0)
        return rc;
    if (o.help) {
        usage_check(stdout);
        return 0;
    }
    if (o.list)
        return list_exercises();
    exercise x;
    ll_checks cs;
    rc = prepare(&o, &x, &cs);
    if (rc != 0)
        return rc;
    char dir[PATH_MAX];
    if (make_workdir(dir, sizeof dir) != 0) {
        ll_checks_free(&cs);
        return 1;
    }
    rc = check_file(&o, &x, &cs, dir);
    ll_checks_free(&cs);
    return rc;
}
