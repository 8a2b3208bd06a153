/* test-cli.c - the `looplab` command as a person uses it: run a lesson or a
 * program, save its trace in each format, export, stats; and nothing lost
 * when the program crashes, aborts, hangs or exits without closing its loop
 * (tests/progs/broken.c misbehaves on purpose). */
#include "harness.h"

#include <stdarg.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "trace/export.h"

#ifndef LL_CLI
#define LL_CLI "looplab"
#endif
#ifndef LL_BROKEN
#define LL_BROKEN "broken"
#endif

typedef struct result {
    int code; /* exit status, or 128+signal */
    char *out;
    char *err;
} result;

/* Runs a shell command line; captures stdout and stderr separately. */
static result sh(const char *fmt, ...) LL_PRINTF(1, 2);
static result sh(const char *fmt, ...) {
    char cmd[2048], full[2300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char errpath[] = "/tmp/looplab-cli-err-XXXXXX";
    close(mkstemp(errpath));
    snprintf(full, sizeof full, "%s 2>%s", cmd, errpath);
    int st = 0;
    result r;
    r.out = read_command(full, &st);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    FILE *f = fopen(errpath, "r");
    size_t cap = 4096, len = 0;
    r.err = malloc(cap);
    size_t k;
    while (f && (k = fread(r.err + len, 1, cap - len - 1, f)) > 0) {
        len += k;
        if (len + 1 == cap)
            r.err = realloc(r.err, cap *= 2);
    }
    r.err[len] = '\0';
    if (f)
        fclose(f);
    unlink(errpath);
    return r;
}

static void result_free(result *r) {
    free(r->out);
    free(r->err);
}

static char trace_path[64];

static void fresh_trace_path(void) {
    strcpy(trace_path, "/tmp/looplab-cli-trace-XXXXXX");
    close(mkstemp(trace_path));
}

/* Loads the saved trace; it must parse and be complete. */
static void load_saved(ll_trace *t) {
    char err[512];
    ck_assert_msg(ll_trace_load(t, trace_path, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(!t->truncated, "the saved trace should end with @end");
}

static const ll_trace_event *last_event(const ll_trace *t) {
    ck_assert_uint_gt(t->rec.n, 0);
    return ll__rec_at(&t->rec, t->rec.n - 1);
}

static bool has_print(const ll_trace *t, const char *text) {
    for (size_t i = 0; i < t->rec.n; i++) {
        const ll_trace_event *e = ll__rec_at(&t->rec, i);
        size_t n;
        if (e->kind == LL_EV_PRINT && strcmp(ll__rec_strp(&t->rec, e->str, &n), text) == 0)
            return true;
    }
    return false;
}

static const char *end_detail(const ll_trace *t) {
    size_t n;
    return ll__rec_strp(&t->rec, last_event(t)->str, &n);
}

/* ---- normal runs ------------------------------------------------------------------ */

/* A fresh TMPDIR for a test, so the default trace file is the test's own. */
static char tmpdir[64];

static void fresh_tmpdir(void) {
    strcpy(tmpdir, "/tmp/looplab-cli-dir-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(run_lesson_prints_output_and_where_the_trace_went) {
    fresh_tmpdir();
    result r = sh("TMPDIR=%s '%s' run 1", tmpdir, LL_CLI);
    ck_assert_int_eq(r.code, 0);
    /* The program's output, and nothing of the trace. */
    ck_assert_str_eq(r.out, "Coroutine started with delay: 1\nCoroutine started with delay: 2\n"
                            "Coroutine finished after 1 seconds\nCoroutine finished after 2 "
                            "seconds\nResults: [2, 4]\n");
    snprintf(trace_path, sizeof trace_path, "%s/looplab-%u/01-hello-gather.trace", tmpdir,
             (unsigned)getuid());
    char want[160];
    snprintf(want, sizeof want, "trace: 61 events -> %s\n", trace_path);
    ck_assert_str_eq(r.err, want);
    ll_trace t;
    load_saved(&t);
    ck_assert_uint_eq(t.rec.n, 61);
    ck_assert_uint_eq(last_event(&t)->kind, LL_EV_RUN_END);
    ll_trace_free(&t);
    result_free(&r);
    remove_tmpdir();
}
END_TEST

START_TEST(quiet_run_says_nothing_of_the_trace) {
    /* For the window's runs and scripts: the output alone, the trace saved. */
    fresh_trace_path();
    result r = sh("'%s' run 1 --quiet --trace %s", LL_CLI, trace_path);
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.err, "");
    ck_assert_has(r.out, "Results: [2, 4]\n");
    ll_trace t;
    load_saved(&t);
    ck_assert_uint_eq(t.rec.n, 61);
    ll_trace_free(&t);
    unlink(trace_path);
    result_free(&r);
}
END_TEST

START_TEST(run_with_trace_dash_writes_the_trace_to_stdout) {
    /* The program's output goes to stderr, so stdout is a trace alone. */
    result r = sh("'%s' run 1 --trace -", LL_CLI);
    ck_assert_int_eq(r.code, 0);
    ck_assert_msg(strncmp(r.out, "looplab-trace 1.6\n", 18) == 0, "%.80s", r.out);
    ck_assert_has(r.out, "run_end      how=closed");
    ck_assert_has(r.out, "\n@end events=61\n");
    ck_assert_str_eq(r.err, "Coroutine started with delay: 1\nCoroutine started with delay: 2\n"
                            "Coroutine finished after 1 seconds\nCoroutine finished after 2 "
                            "seconds\nResults: [2, 4]\n");
    ll_trace t;
    char err[256];
    ck_assert_msg(ll_trace_parse(&t, "stdout", r.out, strlen(r.out), err, sizeof err) == 0, "%s",
                  err);
    ck_assert(!t.truncated);
    ll_trace_free(&t);
    result_free(&r);
    /* ... and reads straight into another command. */
    r = sh("'%s' run 1 --trace - 2>/dev/null | '%s' stats -", LL_CLI, LL_CLI);
    ck_assert_int_eq(r.code, 0);
    ck_assert_has(r.out, "Task-3               done             2");
    result_free(&r);
}
END_TEST

/* The README's sample of `looplab run 1 --trace -` is real output: each of
 * its lines (but the "..." that stand for the ones left out) is a line of
 * the trace, in the same order. */
START_TEST(readme_sample_trace_is_real_output) {
    result r = sh("'%s' run 1 --trace -", LL_CLI);
    ck_assert_int_eq(r.code, 0);
    char *readme = read_command("cat '" LL_SOURCE_ROOT "/README.md'", &(int){0});
    const char *intro = strstr(readme, "`--trace -` writes the trace itself");
    ck_assert_ptr_nonnull(intro);
    char *block = strstr(intro, "```\n");
    ck_assert_ptr_nonnull(block);
    block += 4;
    char *stop = strstr(block, "```");
    ck_assert_ptr_nonnull(stop);
    *stop = '\0';
    const char *at = r.out;
    int shown = 0;
    for (char *line = strtok(block, "\n"); line; line = strtok(NULL, "\n")) {
        if (strcmp(line, "   ...") == 0)
            continue;
        char want[600];
        snprintf(want, sizeof want, "%s\n", line);
        const char *found = strstr(at, want);
        ck_assert_msg(found && (found == r.out || found[-1] == '\n'),
                      "README sample line not in the real output (in order):\n%s", line);
        at = found + strlen(want);
        shown++;
    }
    ck_assert_int_ge(shown, 10);
    free(readme);
    result_free(&r);
}
END_TEST

START_TEST(run_lesson_by_slug_saves_a_complete_trace) {
    fresh_trace_path();
    result r = sh("'%s' run hello-gather --trace %s", LL_CLI, trace_path);
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out, "Coroutine started with delay: 1\nCoroutine started with delay: 2\n"
                            "Coroutine finished after 1 seconds\nCoroutine finished after 2 "
                            "seconds\nResults: [2, 4]\n");
    ll_trace t;
    load_saved(&t);
    ck_assert_str_eq(t.meta.lesson, "01-hello-gather");
    ck_assert_uint_eq(last_event(&t)->kind, LL_EV_RUN_END);
    ck_assert_uint_eq(last_event(&t)->sub, 0); /* closed */
    ck_assert(has_print(&t, "Results: [2, 4]"));
    ll_trace_free(&t);
    unlink(trace_path);
    result_free(&r);
}
END_TEST

START_TEST(run_on_the_real_clock_records_wall_times) {
    fresh_trace_path();
    result r = sh("'%s' run --clock real --trace %s -- '%s' ok", LL_CLI, trace_path, LL_BROKEN);
    ck_assert_int_eq(r.code, 0);
    ll_trace t;
    load_saved(&t);
    ck_assert_str_eq(t.meta.clock, "real");
    ck_assert(t.wall);
    ck_assert(has_print(&t, "victim: all fine"));
    /* It slept 10 ms of real time. */
    ck_assert_int_ge(last_event(&t)->t, 10000000);
    ll_trace_free(&t);
    unlink(trace_path);
    result_free(&r);
}
END_TEST

START_TEST(chrome_export_has_a_named_lane_per_task) {
    fresh_trace_path();
    result r = sh("'%s' run 1 --format chrome --trace %s", LL_CLI, trace_path);
    ck_assert_int_eq(r.code, 0);
    result_free(&r);
    ck_assert_msg(have_python3(), "python3 is needed to check the JSON");
    /* A real JSON parser, and the lanes the viewer promises. */
    r = sh("python3 -c \"import json,sys; d=json.load(open('%s')); "
           "names=sorted(e['args']['name'] for e in d['traceEvents'] if e['name']=='thread_name'); "
           "print(names); "
           "print(sorted({e['name'] for e in d['traceEvents'] if e['ph']=='X'})); "
           "print(sum(1 for e in d['traceEvents'] if e['ph']=='i' and e['cat']=='print'))\"",
           trace_path);
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out,
                     "['Task-1', 'Task-2', 'Task-3', 'event loop']\n"
                     "['ready', 'running', 'waiting: gather', 'waiting: sleep until 1.000 s', "
                     "'waiting: sleep until 2.000 s']\n5\n");
    result_free(&r);
    unlink(trace_path);
}
END_TEST

START_TEST(export_and_stats_read_a_saved_trace) {
    fresh_trace_path();
    result r = sh("'%s' run 1 --trace %s", LL_CLI, trace_path);
    ck_assert_int_eq(r.code, 0);
    result_free(&r);
    r = sh("'%s' export %s --format jsonl | python3 -c \"import json,sys; "
           "rows=[json.loads(l) for l in sys.stdin]; print(rows[0]['format'], len(rows)-1, "
           "rows[-1]['kind'])\"",
           LL_CLI, trace_path);
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out, "looplab-jsonl 61 run_end\n");
    result_free(&r);
    /* text -> text is the identity */
    r = sh("'%s' export %s --format text | cmp - %s && echo same", LL_CLI, trace_path, trace_path);
    ck_assert_str_eq(r.out, "same\n");
    result_free(&r);
    r = sh("'%s' stats %s", LL_CLI, trace_path);
    ck_assert_int_eq(r.code, 0);
    ck_assert_has(r.out, "Task-3               done             2");
    ck_assert_has(r.out, "2.000s");
    result_free(&r);
    unlink(trace_path);
}
END_TEST

/* ---- things going wrong -------------------------------------------------------------- */

START_TEST(crashing_program_keeps_its_trace_and_says_so) {
    fresh_trace_path();
    /* Under UBSan the null store is reported first; let it go on to the
     * real fault (no effect on a normal build). */
    result r = sh("UBSAN_OPTIONS=halt_on_error=0 '%s' run --trace %s -- '%s' crash", LL_CLI,
                  trace_path, LL_BROKEN);
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer reports the fault itself, then exits with status 1
     * or aborts (abort_on_error). */
    ck_assert_msg(r.code == 1 || r.code == 128 + SIGABRT, "exit %d", r.code);
#else
    ck_assert_int_eq(r.code, 128 + SIGSEGV);
    ck_assert_has(r.err, "crashed: killed by SIGSEGV");
    ck_assert_has(r.err, "its trace is kept up to that moment");
#endif
    ck_assert_str_eq(r.out, "victim: before the trouble\n");
    ll_trace t;
    load_saved(&t);
    ck_assert(has_print(&t, "victim: before the trouble"));
    ck_assert_uint_eq(last_event(&t)->kind, LL_EV_RUN_END);
    ck_assert_uint_eq(last_event(&t)->sub, 2); /* signal */
    ck_assert_int_eq(last_event(&t)->val, SIGSEGV);
    /* The note written just before the crash, in the step that crashed. */
    bool note = false;
    for (size_t i = 0; i < t.rec.n; i++)
        note |= ll__rec_at(&t.rec, i)->kind == LL_EV_NOTE;
    ck_assert_msg(note, "the events of the crashing step are lost");
    ll_trace_free(&t);
    unlink(trace_path);
    result_free(&r);
}
END_TEST

START_TEST(aborting_program_keeps_its_trace) {
    fresh_trace_path();
    result r = sh("'%s' run --trace %s -- '%s' abort", LL_CLI, trace_path, LL_BROKEN);
    ck_assert_int_eq(r.code, 128 + SIGABRT);
    ck_assert_has(r.err, "killed by SIGABRT");
    ll_trace t;
    load_saved(&t);
    ck_assert_uint_eq(last_event(&t)->sub, 2);
    ck_assert_int_eq(last_event(&t)->val, SIGABRT);
    ck_assert_str_eq(end_detail(&t), "SIGABRT");
    ll_trace_free(&t);
    unlink(trace_path);
    result_free(&r);
}
END_TEST

/* The command names the signal from the library's one table of signal
 * names (ll__signal_name), SIGHUP included. */
START_TEST(program_killed_by_sighup_is_named) {
    result r = sh("'%s' run --no-trace -- sh -c 'kill -HUP $$'", LL_CLI);
    ck_assert_int_eq(r.code, 128 + SIGHUP);
    ck_assert_has(r.err, "crashed: killed by SIGHUP");
    result_free(&r);
}
END_TEST

/* ---- a signal to `looplab run` itself -------------------------------------------- */

/* Starts `looplab run --trace trace_path -- broken hang` with its standard
 * error in errpath (and `ignored` set to SIG_IGN, as nohup or a shell's
 * background job would leave it; 0: none), and waits until the program has
 * printed its line.  Returns looplab run's pid; *prog gets
 * the program's, *outfd the read end of its standard output. */
static pid_t start_hanging_run(int ignored, const char *errpath, pid_t *prog, int *outfd) {
    fresh_trace_path();
    int out[2];
    ck_assert_int_eq(pipe(out), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            _exit(99);
        dup2(fd, 2);
        dup2(out[1], 1);
        close(out[0]);
        if (ignored)
            signal(ignored, SIG_IGN);
        execl(LL_CLI, LL_CLI, "run", "--trace", trace_path, "--", LL_BROKEN, "hang", (char *)NULL);
        _exit(98);
    }
    close(out[1]);
    /* Its line on standard output: the program is running (it spins from
     * 10 ms on).
     * (A run that never prints it fails at the test's timeout.) */
    char got[256];
    size_t n = 0;
    ssize_t k;
    got[0] = '\0';
    while (!strstr(got, "victim: before the trouble\n") && n + 1 < sizeof got &&
           (k = read(out[0], got + n, sizeof got - 1 - n)) != 0) {
        if (k < 0) {
            ck_assert_int_eq(errno, EINTR);
            continue;
        }
        n += (size_t)k;
        got[n] = '\0';
    }
    /* (kept open until the end: a program whose output has no reader dies
     * of SIGPIPE at its next write) */
    *outfd = out[0];
    ck_assert_msg(strstr(got, "victim: before the trouble\n"), "the program printed: %s", got);
    /* looplab run's one child: the program */
    char path[64], buf[64] = "";
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
    fclose(f);
    *prog = (pid_t)atoi(buf);
    ck_assert_int_gt(*prog, 0);
    /* ... and in its endless loop: it has spent 30 clock ticks of CPU
     * (whatever the machine's load, a spinning program gets there; the
     * signal then finds it spinning, not in the middle of a step). */
    snprintf(path, sizeof path, "/proc/%d/stat", (int)*prog);
    for (;;) {
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        char stat[1024];
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[n] = '\0';
        /* utime and stime: fields 14 and 15, counted after the ")" of the name */
        const char *p = strrchr(stat, ')');
        ck_assert_ptr_nonnull(p);
        unsigned long ut = 0, st = 0;
        ck_assert_int_eq(
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st), 2);
        if (ut + st >= 30)
            break;
        usleep(10000);
    }
    return pid;
}

/* Waits for looplab run; its exit status (128+N for a signal). */
static int wait_run(pid_t pid) {
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Whether the program is gone; one left running is killed (a failing test
 * leaves nothing spinning behind it). */
static bool program_gone(pid_t prog) {
    if (kill(prog, 0) != 0 && errno == ESRCH)
        return true;
    kill(prog, SIGKILL);
    return false;
}

static char *slurp(const char *path) {
    char cmd[200];
    snprintf(cmd, sizeof cmd, "cat '%s'", path);
    return read_command(cmd, NULL);
}

/* Starts a hanging run (`ignored`: a signal ignored at its start, or 0),
 * sends it the signals send[0..n), and checks how it ends: exit status
 * 128+want, the program gone, stderr saying "stopped by <want's name>", and
 * a whole trace ending in run_end. */
static void check_signalled(int ignored, const int *send, int n, int want, const char *name) {
    char errpath[] = "/tmp/looplab-cli-err-XXXXXX";
    close(mkstemp(errpath));
    pid_t prog;
    int outfd;
    pid_t pid = start_hanging_run(ignored, errpath, &prog, &outfd);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(kill(pid, send[i]), 0);
    ck_assert_int_eq(wait_run(pid), 128 + want);
    /* looplab run waited for the program */
    ck_assert_msg(program_gone(prog), "the program (pid %d) was left running", (int)prog);
    char *err = slurp(errpath), says[64];
    snprintf(says, sizeof says, "stopped by %s", name);
    ck_assert_msg(strstr(err, says) && strstr(err, "its trace is kept"), "looplab run said: '%s'",
                  err);
    ck_assert_msg(ignored != SIGHUP || !strstr(err, "SIGHUP"), "%s", err);
    free(err);
    ll_trace t;
    load_saved(&t); /* whole: it ends with @end */
    ck_assert(has_print(&t, "victim: before the trouble"));
    ck_assert_uint_eq(last_event(&t)->kind, LL_EV_RUN_END);
    ll_trace_free(&t);
    unlink(trace_path);
    unlink(errpath);
    close(outfd);
}

/* SIGTERM to looplab run (a window closing, a service manager): the program
 * is stopped with it, not left running, and the trace is whole. */
START_TEST(a_sigterm_to_looplab_run_stops_the_program_and_keeps_the_trace) {
    check_signalled(0, (int[]){SIGTERM}, 1, SIGTERM, "SIGTERM");
}
END_TEST

/* SIGINT to looplab run alone (not from a terminal, which signals the
 * program too): the program gets a second, then SIGTERM. */
START_TEST(a_sigint_to_looplab_run_alone_stops_the_program_too) {
    check_signalled(0, (int[]){SIGINT}, 1, SIGINT, "SIGINT");
}
END_TEST

/* A signal ignored when looplab run started stays ignored (nohup): SIGHUP
 * changes nothing, and a later SIGTERM is what stops the run. */
START_TEST(a_signal_ignored_at_the_start_stays_ignored) {
    check_signalled(SIGHUP, (int[]){SIGHUP, SIGTERM}, 2, SIGTERM, "SIGTERM");
}
END_TEST

START_TEST(hanging_program_is_stopped_at_the_timeout) {
    fresh_trace_path();
    result r = sh("'%s' run --timeout 0.5 --trace %s -- '%s' hang", LL_CLI, trace_path, LL_BROKEN);
    ck_assert_int_eq(r.code, 124);
    ck_assert_has(r.err, "did not finish within 0.5 s");
    ll_trace t;
    load_saved(&t);
    ck_assert(has_print(&t, "victim: before the trouble"));
    ck_assert_uint_eq(last_event(&t)->kind, LL_EV_RUN_END);
    /* The program wrote its own ending when SIGTERM came (a signal); the
     * command knows it was the timeout. */
    ck_assert_int_eq(last_event(&t)->val, SIGTERM);
    ll_trace_free(&t);
    unlink(trace_path);
    result_free(&r);
}
END_TEST

START_TEST(exit_without_closing_the_loop_keeps_the_trace) {
    fresh_trace_path();
    result r = sh("'%s' run --trace %s -- '%s' exit", LL_CLI, trace_path, LL_BROKEN);
    ck_assert_int_eq(r.code, 3);
    ck_assert_has(r.err, "exited with status 3");
    ll_trace t;
    load_saved(&t);
    ck_assert(has_print(&t, "victim: before the trouble"));
    ck_assert_uint_eq(last_event(&t)->sub, 1); /* exited */
    ck_assert_int_eq(last_event(&t)->val, 3);  /* code=3: exit(3) */
    ck_assert_has(end_detail(&t), "without closing");
    ll_trace_free(&t);
    unlink(trace_path);
    result_free(&r);
}
END_TEST

START_TEST(failing_main_exits_1_with_a_complete_trace) {
    fresh_trace_path();
    result r = sh("'%s' run --trace %s -- '%s' fail", LL_CLI, trace_path, LL_BROKEN);
    ck_assert_int_eq(r.code, 1);
    ck_assert_has(r.err, "victim failed on purpose");
    ll_trace t;
    load_saved(&t);
    bool failed = false;
    for (size_t i = 0; i < t.rec.n; i++)
        failed |= ll__rec_at(&t.rec, i)->kind == LL_EV_TASK_FAILED;
    ck_assert(failed);
    ck_assert_uint_eq(last_event(&t)->kind, LL_EV_RUN_END);
    ll_trace_free(&t);
    unlink(trace_path);
    result_free(&r);
}
END_TEST

START_TEST(second_loop_of_a_program_is_left_out_with_a_word) {
    fresh_trace_path();
    result r = sh("'%s' run --trace %s -- '%s' twoloops", LL_CLI, trace_path, LL_BROKEN);
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out, "victim: before the trouble\nvictim: all fine\n"
                            "victim: before the trouble\nvictim: all fine\n");
    ck_assert_has(r.err, "the trace holds the first one only");
    ll_trace t;
    load_saved(&t);
    ck_assert(has_print(&t, "victim: all fine"));
    ll_trace_free(&t);
    unlink(trace_path);
    result_free(&r);
}
END_TEST

/* ---- a hostile environment ------------------------------------------------------------ */

START_TEST(closed_standard_descriptors_do_not_lose_the_run) {
    /* Each of stdin, stdout, stderr closed in turn, for the command and for
     * a real-clock program (libuv asserted its descriptors were above 2). */
    static const char *const closes[] = {"<&-", ">&-", "2>&-"};
    for (size_t i = 0; i < 3; i++) {
        fresh_trace_path();
        result r = sh("'%s' run 1 --trace %s %s", LL_CLI, trace_path, closes[i]);
        ck_assert_msg(r.code == 0, "run 1 %s: exit %d: %s", closes[i], r.code, r.err);
        ll_trace t;
        load_saved(&t);
        ck_assert_uint_eq(t.rec.n, 61);
        ll_trace_free(&t);
        result_free(&r);
        r = sh("'%s' run --clock real --trace %s -- '%s' ok %s", LL_CLI, trace_path, LL_BROKEN,
               closes[i]);
        ck_assert_msg(r.code == 0, "run --clock real %s: exit %d: %s", closes[i], r.code, r.err);
        load_saved(&t);
        ck_assert_uint_eq(last_event(&t)->kind, LL_EV_RUN_END);
        ck_assert_uint_eq(last_event(&t)->sub, 0); /* closed its loop */
        ll_trace_free(&t);
        result_free(&r);
        /* The library on its own, writing its trace to a file. */
        r = sh("LOOPLAB_CLOCK=real LOOPLAB_TRACE=%s '%s' ok %s", trace_path, LL_BROKEN, closes[i]);
        ck_assert_msg(r.code == 0, "broken ok %s: exit %d: %s", closes[i], r.code, r.err);
        load_saved(&t);
        ck_assert(has_print(&t, "victim: all fine"));
        ll_trace_free(&t);
        result_free(&r);
        unlink(trace_path);
    }
}
END_TEST

/* The pid the program printed as "grandchild PID". */
static pid_t grandchild_of(const char *out) {
    const char *g = strstr(out, "grandchild ");
    ck_assert_ptr_nonnull(g);
    return (pid_t)atoi(g + strlen("grandchild "));
}

START_TEST(a_grandchild_holding_the_pipe_does_not_hold_the_run) {
    /* `spawn` execs a sleeper, `fork` forks one; both outlive the program
     * by far.  The run must end with the program, grandchild still there:
     * before, it waited for the pipe's end-of-file, i.e. for the sleeper
     * (and this test ran into its timeout). */
    static const char *const modes[] = {"spawn", "fork"};
    for (size_t i = 0; i < 2; i++) {
        fresh_trace_path();
        result r = sh("'%s' run --trace %s -- '%s' %s", LL_CLI, trace_path, LL_BROKEN, modes[i]);
        pid_t g = grandchild_of(r.out);
        bool alive = kill(g, 0) == 0;
        kill(g, SIGKILL);
        ck_assert_msg(alive, "%s: the grandchild was already gone: nothing shown", modes[i]);
        ck_assert_msg(r.code == 0, "%s: exit %d: %s", modes[i], r.code, r.err);
        ll_trace t;
        load_saved(&t);
        ck_assert(has_print(&t, "victim: all fine"));
        ck_assert_uint_eq(last_event(&t)->sub, 0);
        ll_trace_free(&t);
        unlink(trace_path);
        result_free(&r);
    }
}
END_TEST

/* The pipes and sockets process `pid` has open above descriptor 2
 * ("pipe:[INODE]"; libuv makes the trace's pipe a socket pair), into
 * names[max]; returns how many (0 for a process gone). */
static int pipes_of(const char *pid, char names[][64], int max) {
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%s/fd", pid);
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL && n < max;) {
        char link[400], target[64];
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t k = readlink(link, target, sizeof target - 1);
        if (k > 0 && atoi(e->d_name) > 2) {
            target[k] = '\0';
            if (strncmp(target, "pipe:", 5) == 0 || strncmp(target, "socket:", 7) == 0)
                strcpy(names[n++], target);
        }
    }
    if (d)
        closedir(d);
    return n;
}

START_TEST(a_grandchild_does_not_inherit_the_trace_descriptor) {
    /* The library's side: the exec'd sleeper must not have the trace pipe
     * (fd 3, or the library's copy of it) open.  Pipes this test inherited
     * from whoever started it are passed down too: those do not count. */
    fresh_trace_path();
    result r = sh("'%s' run --trace %s -- '%s' spawn", LL_CLI, trace_path, LL_BROKEN);
    pid_t g = grandchild_of(r.out);
    char gpid[32], mine[64][64], its[64][64];
    snprintf(gpid, sizeof gpid, "%d", (int)g);
    int nits = pipes_of(gpid, its, 64);
    int nmine = pipes_of("self", mine, 64);
    bool exists = kill(g, 0) == 0;
    kill(g, SIGKILL);
    ck_assert(exists);
    int foreign = 0;
    for (int i = 0; i < nits; i++) {
        bool inherited = false;
        for (int j = 0; j < nmine; j++)
            inherited |= strcmp(its[i], mine[j]) == 0;
        foreign += !inherited;
    }
    ck_assert_int_eq(foreign, 0);
    unlink(trace_path);
    result_free(&r);
}
END_TEST

START_TEST(output_errors_exit_non_zero_with_a_message) {
    /* The program's output lost: the library says so and exits 1. */
    result r = sh("'%s' run 1 --no-trace > /dev/full", LL_CLI);
    ck_assert_int_eq(r.code, 1);
    ck_assert_has(r.err, "the program's output could not all be written to standard output");
    result_free(&r);
    /* The trace lost. */
    r = sh("'%s' run 1 --trace - > /dev/full", LL_CLI);
    ck_assert_int_eq(r.code, 1);
    ck_assert_has(r.err, "cannot write the trace to standard output: No space left on device");
    result_free(&r);
    r = sh("'%s' run 1 --trace /dev/full", LL_CLI);
    ck_assert_int_eq(r.code, 1);
    ck_assert_has(r.err, "cannot write the trace to /dev/full: No space left on device");
    result_free(&r);
    r = sh("'%s' run 1 --format jsonl --trace /dev/full", LL_CLI);
    ck_assert_int_eq(r.code, 1);
    ck_assert_has(r.err, "cannot write the trace to /dev/full: No space left on device");
    result_free(&r);
}
END_TEST

START_TEST(a_trace_descriptor_that_cannot_be_used_is_named) {
    static const struct {
        const char *spec, *says;
    } cases[] = {
        {"fd:1", "LOOPLAB_TRACE=fd:1: descriptor 1 is the program's standard output"},
        {"fd:0", "descriptor 0 is the program's standard input"},
        {"fd:x", "LOOPLAB_TRACE=fd:x: expected fd: and a descriptor number"},
        {"fd:", "LOOPLAB_TRACE=fd:: expected fd: and a descriptor number"},
        {"fd:9", "cannot write the trace to descriptor 9 (LOOPLAB_TRACE=fd:9): Bad file "
                 "descriptor"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result r = sh("LOOPLAB_TRACE=%s '%s' ok 9>&-", cases[i].spec, LL_BROKEN);
        ck_assert_msg(r.code == 1, "%s: exit %d", cases[i].spec, r.code);
        ck_assert_msg(strstr(r.err, cases[i].says) != NULL, "%s said:\n%s", cases[i].spec, r.err);
        ck_assert_msg(strstr(r.err, "Success") == NULL, "%s said:\n%s", cases[i].spec, r.err);
        /* The program's output is untouched. */
        ck_assert_str_eq(r.out, "victim: before the trouble\nvictim: all fine\n");
        result_free(&r);
    }
}
END_TEST

START_TEST(a_program_that_writes_no_trace_text_is_named) {
    /* Something else on descriptor 3: refused at its first line, nothing
     * claimed to be saved. */
    fresh_trace_path();
    result r = sh("'%s' run --trace %s -- /bin/sh -c 'echo garbage >&3'", LL_CLI, trace_path);
    ck_assert_int_eq(r.code, 1);
    ck_assert_has(r.err, "the trace that came back is damaged: its first line is not a "
                         "looplab-trace header (line 1)");
    ck_assert_msg(strstr(r.err, "events ->") == NULL, "%s", r.err);
    unlink(trace_path);
    result_free(&r);
}
END_TEST

START_TEST(text_is_streamed_and_json_is_held_up_to_a_cap) {
    /* 20 000 prints make a trace of about 2.5 MB. */
    fresh_trace_path();
    result r = sh("'%s' run --max-held 1 --trace %s -- '%s' chatty 20000 >/dev/null", LL_CLI,
                  trace_path, LL_BROKEN);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    struct stat sb;
    ck_assert_int_eq(stat(trace_path, &sb), 0);
    ck_assert_int_gt(sb.st_size, 2 << 20); /* over the 1 MB cap: text is not held */
    ll_trace t;
    load_saved(&t);
    ck_assert(has_print(&t, "line 19999 of a long run"));
    ll_trace_free(&t);
    result_free(&r);
    /* JSON Lines is converted from the whole text: cut at the cap, said. */
    r = sh("'%s' run --max-held 1 --format jsonl --trace %s -- '%s' chatty 20000 >/dev/null",
           LL_CLI, trace_path, LL_BROKEN);
    ck_assert_int_eq(r.code, 1);
    ck_assert_has(r.err, "over the 1 MB this command holds in memory to write it as jsonl");
    ck_assert_has(r.err, "--max-held MB");
    result_free(&r);
    ck_assert_msg(have_python3(), "python3 is needed to check the JSON");
    r = sh("python3 -c \"import json,sys; rows=[json.loads(l) for l in open('%s')]; "
           "print(rows[-1]['kind'], len(rows) > 1000)\"",
           trace_path);
    ck_assert_str_eq(r.out, "run_end True\n");
    result_free(&r);
    unlink(trace_path);
}
END_TEST

/* ---- bad input ------------------------------------------------------------------------- */

START_TEST(bad_usage_is_refused_with_a_sentence) {
    static const struct {
        const char *args, *says;
        int code;
    } cases[] = {
        {"", "usage:", 2},
        {"frobnicate", "unknown command 'frobnicate'", 2},
        {"run", "which lesson?", 2},
        {"run 99", "no lesson '99'", 2},
        {"run 1 --clock fast", "--clock must be 'virtual' or 'real'", 2},
        {"run 1 --format xml", "--format must be text, jsonl or chrome", 2},
        {"run 1 --timeout soon", "--timeout needs a number of seconds", 2},
        {"run --", "which program after '--'", 2},
        {"run 1 --max-held lots", "--max-held needs a number of megabytes", 2},
        {"run 1 --max-held 0", "--max-held needs a number of megabytes", 2},
        {"run 1 --trace x --no-trace", "--trace or --no-trace, not both", 2},
        {"run 1 --trace /nonexistent/dir/t.trace", "cannot write the trace to /nonexistent", 1},
        {"run -- /nonexistent/program", "cannot start /nonexistent/program", 1},
        {"export /nonexistent.trace --format text", "/nonexistent.trace: cannot open", 1},
        {"export", "usage:", 2},
        {"stats /dev/null", "/dev/null:1:1: empty file", 1},
#ifdef LL_GUI_BUILT
        {"view", "no display to open a window on", 1},
        {"render", "which lesson or trace?", 2},
        {"render 1 --theme neon", "--theme is 'dark' or 'projector'", 2},
#else
        {"view", "this build has no visualizer", 1},
        {"render 1", "this build has no visualizer", 1},
#endif
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result r = sh("env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER '%s' %s", LL_CLI,
                      cases[i].args);
        ck_assert_msg(r.code == cases[i].code, "'looplab %s': exit %d, expected %d", cases[i].args,
                      r.code, cases[i].code);
        ck_assert_msg(strstr(r.err, cases[i].says) != NULL, "'looplab %s' said:\n%s", cases[i].args,
                      r.err);
        result_free(&r);
    }
    result r = sh("'%s' --version", LL_CLI);
    ck_assert_has(r.out, "looplab " LL_VERSION_STRING " (trace format 1.6)");
    result_free(&r);
    static const char *const subs[] = {"run", "export", "stats", "list"};
    for (size_t i = 0; i < 4; i++) {
        r = sh("'%s' %s --help", LL_CLI, subs[i]);
        ck_assert_int_eq(r.code, 0);
        ck_assert_has(r.out, "usage:");
        result_free(&r);
    }
}
END_TEST

START_TEST(damaged_trace_file_is_named_with_line_and_column) {
    char path[] = "/tmp/looplab-cli-bad-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "looplab-trace 1.0\n   0.000000000  -   iter n=x ready=0\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    result r = sh("'%s' stats %s", LL_CLI, path);
    ck_assert_int_eq(r.code, 1);
    char want[128];
    snprintf(want, sizeof want, "%s:2:28: expected a number", path);
    ck_assert_has(r.err, want);
    result_free(&r);
    unlink(path);
}
END_TEST

START_TEST(stats_and_export_say_when_the_output_cannot_be_written) {
    /* Before: both exited 0 with nothing written. */
    fresh_trace_path();
    result r = sh("'%s' run 1 --trace %s", LL_CLI, trace_path);
    ck_assert_int_eq(r.code, 0);
    result_free(&r);
    static const char *const cmds[] = {
        "stats %s > /dev/full", "export %s --format text > /dev/full",
        "export %s --format jsonl > /dev/full", "export %s --format chrome -o /dev/full"};
    for (int i = 0; i < 4; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, cmds[i], trace_path);
        r = sh("'%s' %s", LL_CLI, cmd);
        ck_assert_msg(r.code == 1, "%s: exit %d", cmd, r.code);
        ck_assert_has(r.err, "cannot write the output: No space left on device");
        result_free(&r);
    }
    unlink(trace_path);
}
END_TEST

START_TEST(endless_input_is_refused_at_its_first_bytes) {
    /* Before: read until memory ran out. */
    result r = sh("'%s' stats /dev/zero", LL_CLI);
    ck_assert_int_eq(r.code, 1);
    ck_assert_has(r.err, "looplab stats: /dev/zero:1:1: expected the header 'looplab-trace 1.6'");
    ck_assert_str_eq(r.out, "");
    result_free(&r);
    r = sh("yes | '%s' export - --format text", LL_CLI);
    ck_assert_int_eq(r.code, 1);
    ck_assert_has(r.err, "looplab export: -:1:1: expected the header");
    ck_assert_str_eq(r.out, "");
    result_free(&r);
}
END_TEST

START_TEST(stats_shows_an_escape_sequence_in_a_name_as_text) {
    char path[] = "/tmp/looplab-cli-esc-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "looplab-trace 1.4\n"
                       "   0.000000000  1:T  task_new name=\"\\x1b[2J\\x1b]0;hi\\x07\"\n"
                       "@end events=1\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    result r = sh("'%s' stats %s", LL_CLI, path);
    ck_assert_int_eq(r.code, 0);
    ck_assert_ptr_null(strchr(r.out, 0x1b));
    ck_assert_has(r.out, "\\x1b[2J\\x1b]0;hi\\x07");
    result_free(&r);
    unlink(path);
}
END_TEST

int main(void) {
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, run_lesson_prints_output_and_where_the_trace_went);
    tcase_add_test(tc, run_with_trace_dash_writes_the_trace_to_stdout);
    tcase_add_test(tc, readme_sample_trace_is_real_output);
    tcase_add_test(tc, quiet_run_says_nothing_of_the_trace);
    tcase_add_test(tc, run_lesson_by_slug_saves_a_complete_trace);
    tcase_add_test(tc, run_on_the_real_clock_records_wall_times);
    tcase_add_test(tc, chrome_export_has_a_named_lane_per_task);
    tcase_add_test(tc, export_and_stats_read_a_saved_trace);
    tcase_add_test(tc, stats_and_export_say_when_the_output_cannot_be_written);
    tcase_add_test(tc, endless_input_is_refused_at_its_first_bytes);
    tcase_add_test(tc, stats_shows_an_escape_sequence_in_a_name_as_text);
    suite_add_tcase(s, tc);
    tc = tcase_create("going-wrong");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, crashing_program_keeps_its_trace_and_says_so);
    tcase_add_test(tc, aborting_program_keeps_its_trace);
    tcase_add_test(tc, a_sigterm_to_looplab_run_stops_the_program_and_keeps_the_trace);
    tcase_add_test(tc, a_sigint_to_looplab_run_alone_stops_the_program_too);
    tcase_add_test(tc, a_signal_ignored_at_the_start_stays_ignored);
    tcase_add_test(tc, program_killed_by_sighup_is_named);
    tcase_add_test(tc, hanging_program_is_stopped_at_the_timeout);
    tcase_add_test(tc, exit_without_closing_the_loop_keeps_the_trace);
    tcase_add_test(tc, failing_main_exits_1_with_a_complete_trace);
    tcase_add_test(tc, second_loop_of_a_program_is_left_out_with_a_word);
    tcase_add_test(tc, bad_usage_is_refused_with_a_sentence);
    tcase_add_test(tc, damaged_trace_file_is_named_with_line_and_column);
    suite_add_tcase(s, tc);
    tc = tcase_create("environment");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, closed_standard_descriptors_do_not_lose_the_run);
    tcase_add_test(tc, a_grandchild_holding_the_pipe_does_not_hold_the_run);
    tcase_add_test(tc, a_grandchild_does_not_inherit_the_trace_descriptor);
    tcase_add_test(tc, output_errors_exit_non_zero_with_a_message);
    tcase_add_test(tc, a_trace_descriptor_that_cannot_be_used_is_named);
    tcase_add_test(tc, text_is_streamed_and_json_is_held_up_to_a_cap);
    tcase_add_test(tc, a_program_that_writes_no_trace_text_is_named);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
