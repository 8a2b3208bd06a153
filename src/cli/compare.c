/* compare.c - `looplab compare`: a lesson's C run and its Python twin's run,
 * or any two traces, step for step (src/trace/compare.h, docs/python.md).
 *
 * A lesson is run twice through `looplab run` (this very program): the C
 * lesson and lessons/NN-slug/lesson.py under the recorder, both on the
 * virtual clock, or both on the real clock when the lesson's meta.txt says
 * `twin: real` (threads or sockets).  Their traces are kept in
 * ${TMPDIR:-/tmp}/looplab-UID/ as compare-SLUG.c.trace and .py.trace, for
 * `looplab view` when they differ. */
#include "cli/commands.h"

#include "trace/compare.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LESSONS_DIR LL_SOURCE_ROOT "/lessons"

static const char *const prog = "looplab";

void ll_cli_compare_usage(FILE *out) {
    fprintf(out,
            "usage: %s compare LESSON\n"
            "       %s compare A.trace B.trace\n"
            "       %s compare --all\n"
            "\n"
            "Runs a lesson (number or slug) in C and its Python twin (lesson.py) under\n"
            "the recorder, on the virtual clock (the real one when its meta.txt says\n"
            "'twin: real'), and compares the two runs step for step: which task ran,\n"
            "what woke it, what it printed or cancelled, and what it waited on, or\n"
            "how it ended.  Times, ids, addresses, source lines, narration notes and\n"
            "asyncio.run's own shutdown tasks are left out.  The first step where they\n"
            "differ is shown, with the source line of each side; both traces are kept\n"
            "in ${TMPDIR:-/tmp}/looplab-UID/ (compare-SLUG.c.trace, .py.trace).\n"
            "With two traces, compares those.  --all compares every lesson, one line each;\n"
            "a lesson on the real clock may differ in timing-dependent order and does\n"
            "not count against the exit status.\n"
            "\n"
            "options:\n"
            "  --python PATH   the interpreter for lesson.py (as for 'run')\n"
            "\n"
            "exit status: 0 they agree (\"agree: N steps\"); 1 they differ, or a run\n"
            "failed; 2 bad usage or a trace that cannot be read.\n",
            prog, prog, prog);
}

/* ---- comparing two trace files ---------------------------------------------- */

/* The name a trace's side goes by: its language when the two differ. */
static const char *side_label(const ll_trace *t, const ll_trace *other, const char *path) {
    bool py = t->meta.language && strcmp(t->meta.language, "python") == 0;
    bool opy = other->meta.language && strcmp(other->meta.language, "python") == 0;
    if (py != opy)
        return py ? "Python" : "C";
    return path;
}

/* Loads and compares two traces; says the outcome on `out` (the whole
 * report, or one line when `brief`).  Returns the exit status. */
static int compare_files(FILE *out, const char *pa, const char *pb, bool brief) {
    ll_trace ta, tb;
    char err[1024];
    int rc = 2;
    bool la = false, lb = false;
    if (ll_trace_load(&ta, pa, err, sizeof err) != 0) {
        fprintf(stderr, "%s compare: %s\n", prog, err);
    } else if (la = true, ll_trace_load(&tb, pb, err, sizeof err) != 0) {
        fprintf(stderr, "%s compare: %s\n", prog, err);
    } else {
        lb = true;
        ll_steps sa, sb;
        if (ll_steps_of(&ta, &sa) != 0 || ll_steps_of(&tb, &sb) != 0) {
            fprintf(stderr, "%s compare: out of memory\n", prog);
            ll_steps_free(&sa);
            return 2;
        }
        ll_step_diff d;
        rc = ll_steps_diff(&sa, &sb, &d);
        const char *a = side_label(&ta, &tb, pa), *b = side_label(&tb, &ta, pb);
        if (brief && rc == 0)
            fprintf(out, "agree: %zu steps\n", d.step);
        else if (brief)
            fprintf(out, "differ at step %zu: %s\n", d.step + 1, ll_step_diff_name(d.what));
        else
            ll_steps_report(out, &sa, a, &sb, b, &d);
        ll_steps_free(&sa);
        ll_steps_free(&sb);
    }
    if (la)
        ll_trace_free(&ta);
    if (lb)
        ll_trace_free(&tb);
    return rc;
}

/* ---- running a lesson both ways ------------------------------------------------ */

typedef struct lesson_ref {
    char slug[128];
    bool real; /* meta.txt: "twin: real" */
} lesson_ref;

/* Whether the lesson's meta.txt has this exact line. */
static bool meta_says(const char *slug, const char *want) {
    char path[512];
    snprintf(path, sizeof path, "%s/%.127s/meta.txt", LESSONS_DIR, slug);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[256];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        found = strcmp(line, want) == 0;
    }
    fclose(f);
    return found;
}

/* The lessons (folders NN-slug that have a lesson.py), in order. */
static size_t lessons_with_twins(lesson_ref *out, size_t max) {
    ll_cli_dir dirs[128];
    int nd = ll_cli_numbered_dirs(LESSONS_DIR, dirs, 128);
    if (nd < 0) {
        fprintf(stderr, "%s compare: cannot open %s: %s\n", prog, LESSONS_DIR, strerror(errno));
        return 0;
    }
    size_t n = 0;
    for (int i = 0; i < nd && n < max; i++) {
        char py[512];
        snprintf(py, sizeof py, "%s/%.127s/lesson.py", LESSONS_DIR, dirs[i].slug);
        if (access(py, R_OK) != 0)
            continue;
        memcpy(out[n].slug, dirs[i].slug, sizeof out[n].slug);
        out[n].real = meta_says(dirs[i].slug, "twin: real");
        n++;
    }
    return n;
}

/* A lesson by number ("3", "03"), slug ("03-sequential-vs-concurrent") or
 * the slug without its number. */
static const lesson_ref *find_lesson(const char *name, const lesson_ref *ls, size_t n) {
    char *end;
    long num = strtol(name, &end, 10);
    for (size_t i = 0; i < n; i++) {
        const char *dash = strchr(ls[i].slug, '-');
        if ((*name && !*end && atol(ls[i].slug) == num) || strcmp(ls[i].slug, name) == 0 ||
            (dash && strcmp(dash + 1, name) == 0))
            return &ls[i];
    }
    return NULL;
}

/* ${TMPDIR:-/tmp}/looplab-UID, made if needed and checked to be ours. */
static int trace_dir(char *dir, size_t len) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, len, "%s/looplab-%u", tmp && *tmp ? tmp : "/tmp", (unsigned)getuid());
    struct stat sb;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s compare: cannot make %s for the traces: %s\n", prog, dir,
                strerror(errno));
        return -1;
    }
    if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != getuid()) {
        fprintf(stderr, "%s compare: %s is not a directory of yours\n", prog, dir);
        return -1;
    }
    return 0;
}

/* Runs `looplab run ARGS...` (this program), its output thrown away and
 * its standard error kept in `errpath`.  Returns its exit status, or -1 when
 * it could not be started (said). */
static int run_self(char **args, const char *errpath) {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "%s compare: cannot find this program: %s\n", prog, strerror(errno));
        return -1;
    }
    self[n] = '\0';
    char *argv[16];
    int k = 0;
    argv[k++] = self;
    argv[k++] = (char *)"run";
    for (char **a = args; *a && k < 15; a++)
        argv[k++] = *a;
    argv[k] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    extern char **environ;
    int err = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err) {
        fprintf(stderr, "%s compare: cannot start %s: %s\n", prog, self, strerror(err));
        return -1;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Shows the last lines a failed run wrote on its standard error. */
static void show_tail(const char *errpath) {
    FILE *f = fopen(errpath, "r");
    if (!f)
        return;
    char buf[1200];
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0, SEEK_SET);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = size > (long)sizeof buf - 1 ? strchr(buf, '\n') : buf;
    for (p = p && *p == '\n' ? p + 1 : p; p && *p;) {
        size_t k = strcspn(p, "\n");
        char line[512];
        fprintf(stderr, "    %s\n", ll_trace_term_safe(line, sizeof line, p, k));
        p += k + (p[k] == '\n');
    }
}

/* Runs the lesson in C and in Python, their traces into cpath and pypath.
 * Returns 0, or 1 after saying which run left no trace and what it said. */
static int run_both(const lesson_ref *l, const char *python, const char *cpath,
                    const char *pypath) {
    char py[512];
    snprintf(py, sizeof py, "%s/%s/lesson.py", LESSONS_DIR, l->slug);
    char *clock = (char *)(l->real ? "real" : "virtual");
    char *cargs[] = {(char *)l->slug, "--clock", clock,     "--trace", (char *)cpath,
                     "--timeout",     "120",     "--quiet", NULL};
    char *pargs[] = {"--clock", clock, "--trace", (char *)pypath, "--timeout", "120",
                     "--quiet", NULL,  NULL,      NULL,           NULL};
    int k = 7;
    if (python) {
        pargs[k++] = "--python";
        pargs[k++] = (char *)python;
    }
    pargs[k] = py;
    const char *what[2] = {"C lesson", "Python twin"};
    const char *path[2] = {cpath, pypath};
    char **args[2] = {cargs, pargs};
    for (int i = 0; i < 2; i++) {
        char errpath[900];
        snprintf(errpath, sizeof errpath, "%s.err", path[i]);
        unlink(path[i]);
        int rc = run_self(args[i], errpath);
        struct stat sb;
        if (rc >= 0 && (stat(path[i], &sb) != 0 || sb.st_size == 0)) {
            fprintf(stderr, "%s compare: the %s of %s left no trace (exit status %d); it said:\n",
                    prog, what[i], l->slug, rc);
            show_tail(errpath);
            rc = -1;
        }
        unlink(errpath);
        if (rc < 0)
            return 1;
    }
    return 0;
}

/* Compares one lesson; with `brief`, one line.  Returns the exit status. */
static int compare_lesson(const lesson_ref *l, const char *python, bool brief) {
    char dir[512], cpath[800], pypath[800];
    if (trace_dir(dir, sizeof dir) != 0)
        return 1;
    snprintf(cpath, sizeof cpath, "%s/compare-%s.c.trace", dir, l->slug);
    snprintf(pypath, sizeof pypath, "%s/compare-%s.py.trace", dir, l->slug);
    int rc = run_both(l, python, cpath, pypath);
    if (brief) /* after the runs: a failed run's message is on a line of its own */
        printf("%-32s %-8s %s", l->slug, l->real ? "real" : "virtual",
               rc ? "a run failed (see above)\n" : "");
    if (rc != 0)
        return 1;
    rc = compare_files(stdout, cpath, pypath, brief);
    if (rc == 1 && !brief)
        printf("traces: %s (C) and %s (Python)\n", cpath, pypath);
    return rc;
}

/* --all: every lesson, one line each.  A lesson on the real clock that
 * differs is shown but not counted: its order may depend on timing. */
static int compare_all(const lesson_ref *ls, size_t n, const char *python) {
    int worst = 0;
    size_t agree = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = compare_lesson(&ls[i], python, true);
        agree += rc == 0;
        if (rc != 0 && !ls[i].real && rc > worst)
            worst = rc;
    }
    printf("%zu of %zu lessons agree step for step\n", agree, n);
    return worst;
}

int ll_cli_compare(int argc, char **argv) {
    const char *arg[2] = {NULL, NULL}, *python = NULL;
    int nargs = 0;
    bool all = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            ll_cli_compare_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--all") == 0) {
            all = true;
        } else if (strcmp(argv[i], "--python") == 0 && i + 1 < argc) {
            python = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "%s compare: unknown option '%s' (see '%s compare --help')\n", prog,
                    argv[i], prog);
            return 2;
        } else if (nargs < 2) {
            arg[nargs++] = argv[i];
        } else {
            fprintf(stderr, "%s compare: a lesson, or two traces (got a third: '%s')\n", prog,
                    argv[i]);
            return 2;
        }
    }
    if (all == (nargs > 0)) {
        ll_cli_compare_usage(stderr);
        return 2;
    }
    if (nargs == 2)
        return compare_files(stdout, arg[0], arg[1], false);
    lesson_ref ls[128];
    size_t n = lessons_with_twins(ls, 128);
    if (all)
        return n ? compare_all(ls, n, python) : 1;
    const lesson_ref *l = find_lesson(arg[0], ls, n);
    if (!l) {
        fprintf(stderr, "%s compare: no lesson '%s' with a Python twin (see '%s list')\n", prog,
                arg[0], prog);
        return 2;
    }
    return compare_lesson(l, python, false);
}
