/* main.c - the `looplab` command, git-style subcommands:
 *
 *   looplab list                      the lessons
 *   looplab run LESSON | -- PROGRAM   run as a child process, trace streamed
 *                                     back through a pipe
 *   looplab export TRACE --format F   text, jsonl or chrome
 *   looplab stats TRACE               a table per task
 *   looplab compare LESSON | A B      C and Python step for step (compare.c)
 *   looplab view [LESSON|TRACE|-- PROGRAM]   the visualizer (with -Dgui=true)
 *   looplab render LESSON|TRACE ...   frames as PNG, without a display
 *   looplab bench-render              frame times of the visualizer
 *
 * A program run by `looplab run` writes its trace to file descriptor 3 (the
 * library's LOOPLAB_TRACE=fd:3); the command reads it while the program
 * runs, so whatever the program managed to record survives its crash, and
 * the saved trace ends with a run_end event saying how the run ended. */
#include <looplab.h>

#include "cli/commands.h"
#include "io/slowweb.h"
/* Of the scheduler, only what a process needs outside a loop: the one
 * table of signal names and the guard of descriptors 0-2. */
#include "sched/process.h"
#include "trace/export.h"
#include "trace/writer.h" /* ll__tw_format: the run_end line this command adds */

#include <limits.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#ifdef LL_HAVE_GUI
#include "view/app.h"
#endif

#define LESSONS_DIR LL_SOURCE_ROOT "/lessons"
#define ASSETS_DIR LL_SOURCE_ROOT "/assets"
#define LESSON_BIN_DIR LL_BUILD_ROOT "/lessons"

static const char *prog = "looplab";

/* The default of `run --max-held`: JSON formats hold the text to convert it. */
#define RUN_MAX_HELD_MB 256

static void usage(FILE *out) {
    fprintf(out,
            "usage: %s <command> [options]\n"
            "\n"
            "commands:\n"
            "  list                       the lessons, numbered, with their titles\n"
            "  run LESSON [options]       run a lesson (number or slug): its output, then\n"
            "                             where its trace was saved (--trace - prints it)\n"
            "  run [options] -- PROGRAM [ARGS...]\n"
            "                             the same for any program built with the library\n"
            "  run [options] PROGRAM.py [ARGS...]\n"
            "                             a Python asyncio program, under the recorder\n"
            "  export TRACE --format F    convert a trace: text, jsonl or chrome\n"
            "  stats TRACE                a table per task: steps, time running, ready,\n"
            "                             waiting, the longest step; loop utilisation\n"
            "  why TRACE STEP             why did event STEP happen then: its chain of\n"
            "                             causes, back to the program's lines\n"
            "  models LESSON              the lesson under wrong models of asyncio that\n"
            "                             students hold, and where each parts from asyncio\n"
            "  compare LESSON | A.trace B.trace | --all\n"
            "                             a lesson's C run and its Python twin step for\n"
            "                             step: the first step where they differ\n"
            "  view [LESSON | TRACE | -- PROGRAM]\n"
            "                             watch it in the visualizer's window (no argument:\n"
            "                             the lesson picker)\n"
            "  render LESSON|TRACE [options]\n"
            "                             draw frames of the visualizer as PNG, no display\n"
            "                             needed\n"
            "  serve [--host H] [--port P]\n"
            "                             the slow web: local pages that answer after set\n"
            "                             delays, for the fetching lessons (port 8080)\n"
            "  check EXERCISE FILE.py|FILE.c\n"
            "                             check your answer to an exercise (exercises/):\n"
            "                             each property PASS or FAIL, with a hint\n"
            "  bench-render               how long the visualizer takes per frame\n"
            "\n"
            "'%s <command> --help' tells more.  --version prints the version.\n",
            prog, prog);
}

static void usage_run(FILE *out) {
    fprintf(out,
            "usage: %s run LESSON [options]\n"
            "       %s run [options] -- PROGRAM [ARGS...]\n"
            "       %s run [options] [--] PROGRAM.py [ARGS...]\n"
            "\n"
            "Runs a lesson (by number or slug) or a program linked with the library as a\n"
            "child process.  Its output appears as it runs; its trace comes back through a\n"
            "pipe, is saved as it arrives, and ends with how the run ended (even after a\n"
            "crash or a timeout).  A Python program (a name ending in .py) runs under the\n"
            "recorder, python/looplab_trace (docs/python.md).  A last line on standard\n"
            "error says where it went:\n"
            "\n"
            "    trace: 61 events -> /tmp/looplab-1000/01-hello-gather.trace\n"
            "\n"
            "options:\n"
            "  --trace FILE           save the trace in FILE (default: NAME.trace in\n"
            "                         ${TMPDIR:-/tmp}/looplab-UID/, NAME the lesson or program)\n"
            "  --trace -              write the trace to standard output instead; the\n"
            "                         program's own output then goes to standard error\n"
            "  --format text|jsonl|chrome\n"
            "                         the saved trace's format (default: text)\n"
            "  --no-trace             keep no trace, print only the program's output\n"
            "  -q, --quiet            do not say where the trace went\n"
            "  --clock virtual|real   the loop's clock (default: virtual)\n"
            "  --model NAME           run under a wrong model of asyncio, to see what a\n"
            "                         student holding it would predict ('%s models --help')\n"
            "  --timeout SECONDS      stop the program after this long (real time)\n"
            "  --python PATH          the interpreter for a PROGRAM.py (default:\n"
            "                         $LOOPLAB_PYTHON, else python3; /usr/bin/python3 for\n"
            "                         a lesson twin whose meta.txt says 'python: system')\n"
            "  --max-held MB          text is streamed; jsonl and chrome are converted from\n"
            "                         the whole trace, held in memory up to MB megabytes\n"
            "                         (default %d); a bigger trace is cut there, with a word\n"
            "\n"
            "exit status: the program's; 128+N when killed by signal N; 124 after a\n"
            "timeout; 2 for a usage error; 1 when the trace could not be written whole.\n"
            "SIGTERM, SIGINT or SIGHUP to this command stops the program as a timeout\n"
            "does (SIGTERM, then SIGKILL 2 s later) and keeps its trace: 128+N.\n",
            prog, prog, prog, prog, RUN_MAX_HELD_MB);
}

static void usage_export(FILE *out) {
    fprintf(out,
            "usage: %s export TRACE --format text|jsonl|chrome [-o FILE]\n"
            "\n"
            "Reads a text trace (\"-\" for standard input) and writes it as text, as\n"
            "JSON Lines (one object per event), or as Chrome Trace Event JSON, which\n"
            "opens in https://ui.perfetto.dev and chrome://tracing: a lane per task.\n"
            "Events are written as they are read; JSON Lines from standard input holds\n"
            "the whole trace, up to LOOPLAB_TRACE_MEMORY_MB (default %d) MiB.\n",
            prog, LL_TRACE_MEMORY_MB);
}

static void usage_stats(FILE *out) {
    fprintf(out,
            "usage: %s stats TRACE\n"
            "\n"
            "A table per task: final state, steps, time running, ready (waiting for the\n"
            "loop) and waiting (on a timer, future or task), and the longest single step\n"
            "(the loop was blocked that long); then the loop's utilisation.  Running\n"
            "times need a trace recorded on the real clock.  The trace is read as a\n"
            "stream: memory grows with its tasks, not its events.\n",
            prog);
}

static bool is_help(const char *a) {
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* ---- lessons on disk ------------------------------------------------------ */

typedef struct lesson {
    char slug[128]; /* folder name, e.g. 01-hello-gather */
    int number;
    char title[256];
    char summary[512];
} lesson;

/* Copies src into dst[cap], cutting it short when it does not fit. */
static void copy_str(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void read_meta(lesson *l) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s/meta.txt", LESSONS_DIR, l->slug);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "title: ", 7) == 0)
            copy_str(l->title, sizeof l->title, line + 7);
        else if (strncmp(line, "summary: ", 9) == 0)
            copy_str(l->summary, sizeof l->summary, line + 9);
    }
    fclose(f);
}

/* Lessons are the folders NN-slug under lessons/, in number order. */
static size_t find_lessons(lesson *out, size_t max) {
    ll_cli_dir dirs[128];
    int n = ll_cli_numbered_dirs(LESSONS_DIR, dirs, max < 128 ? max : 128);
    if (n < 0) {
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, LESSONS_DIR, strerror(errno));
        return 0;
    }
    for (int i = 0; i < n; i++) {
        lesson *l = &out[i];
        memset(l, 0, sizeof *l);
        copy_str(l->slug, sizeof l->slug, dirs[i].slug);
        l->number = dirs[i].number;
        copy_str(l->title, sizeof l->title, dirs[i].slug);
        read_meta(l);
    }
    return (size_t)n;
}

static int cmd_list(void) {
    lesson ls[128];
    size_t n = find_lessons(ls, 128);
    for (size_t i = 0; i < n; i++)
        printf("%3d  %s\n     %s\n", ls[i].number, ls[i].title, ls[i].summary);
    size_t nx = check_count_exercises();
    if (nx)
        printf("\nAnd %zu exercises to do, checked from their traces: '%s check --list'.\n", nx,
               prog);
    return n ? 0 : 1;
}

static const lesson *resolve(const char *name, lesson *ls, size_t n) {
    char *end;
    long num = strtol(name, &end, 10);
    for (size_t i = 0; i < n; i++) {
        if (*name && *end == '\0' && ls[i].number == num)
            return &ls[i];
        if (strcmp(ls[i].slug, name) == 0)
            return &ls[i];
        const char *dash = strchr(ls[i].slug, '-');
        if (dash && strcmp(dash + 1, name) == 0)
            return &ls[i];
    }
    return NULL;
}

/* ---- running a child -------------------------------------------------------- */

/* Where the trace goes while the program runs.  Text is streamed: whole
 * lines are written out as they arrive, with one event line held back (it
 * may be a run_end that needs the exit code) and the program's own `@end`
 * replaced by one that counts the run_end this command may add.  JSON
 * formats are converted from the whole text at the end, so that text is
 * held, up to `cap` bytes. */
typedef struct tsink {
    FILE *out;        /* the destination, or NULL with --no-trace */
    const char *name; /* the destination, for messages */
    bool hold;        /* jsonl/chrome: keep the text to convert at the end */
    size_t cap;       /* the most text held in memory (bytes) */
    char *held;       /* hold: the lines kept so far */
    size_t heldlen, heldcap;
    char *part; /* the line being received, not yet complete */
    size_t partlen, partcap;
    char *last; /* the last event line, not yet passed on */
    size_t lastlen, lastcap;
    bool have_last;
    size_t lines;      /* lines received */
    size_t events;     /* event lines passed on or held back */
    bool ended;        /* the program wrote its @end line */
    bool wall;         /* the trace carries wall times (@wall) */
    const char *bad;   /* why the text is not a trace, or NULL */
    bool over_cap;     /* more text than `cap`: the rest was dropped */
    bool oom;          /* memory ran out below the cap (over_cap is set too) */
    int64_t t, wall_t; /* the times of the last event line passed on */
    bool write_failed; /* writing to `out` failed; errno in write_errno */
    int write_errno;
} tsink;

typedef struct child {
    uv_loop_t *loop;
    uv_process_t proc;
    uv_pipe_t trace_pipe;
    uv_timer_t timer;
    bool have_timer;
    int64_t status;
    int term_signal;
    bool exited;
    bool timed_out;
    bool termed; /* SIGTERM sent to the program (a timeout, or stopped_by) */
    bool killed; /* ... and SIGKILL after it */
    /* A signal to `looplab run` itself (SIGTERM from a window or a service
     * manager, SIGHUP from a closed terminal, SIGINT): the program is stopped
     * as a timeout stops it, and the trace kept, instead of `looplab run`
     * dying and leaving the program running with a cut trace. */
    uv_signal_t sigs[3];
    uv_timer_t stop_timer;
    int stopped_by;   /* the first such signal (0: none) */
    char rbuf[65536]; /* what one read of the pipe brings */
    tsink *sink;      /* where the lines go */
} child;

/* The loop time and wall time (ns) of an event line: its first column, and
 * its wall= field when it has one. */
static void line_times(const char *p, size_t n, int64_t *t, int64_t *wall) {
    char tmp[64];
    size_t i = 0, k = 0;
    while (i < n && p[i] == ' ')
        i++;
    while (i < n && k + 1 < sizeof tmp && p[i] != ' ' && p[i] != '.')
        tmp[k++] = p[i++];
    tmp[k] = '\0';
    long long sec = strtoll(tmp, NULL, 10);
    int64_t ns = 0;
    int digits = 0;
    if (i < n && p[i] == '.')
        for (i++; i < n && digits < 9 && p[i] >= '0' && p[i] <= '9'; i++, digits++)
            ns = ns * 10 + (p[i] - '0');
    for (; digits < 9; digits++)
        ns *= 10;
    *t = sec > INT64_MAX / 1000000000 - 1 ? INT64_MAX : sec * 1000000000 + (sec < 0 ? -ns : ns);
    *wall = 0;
    for (size_t j = 0; j + 6 <= n; j++)
        if (memcmp(p + j, " wall=", 6) == 0) {
            k = 0;
            for (j += 6; j < n && k + 1 < sizeof tmp && p[j] != ' ' && p[j] != '\n'; j++)
                tmp[k++] = p[j];
            tmp[k] = '\0';
            *wall = strtoll(tmp, NULL, 10);
            break;
        }
}

/* Grows *buf to hold `need` bytes, within the sink's cap.  False when the
 * cap (or memory) does not allow it. */
static bool grow(tsink *s, char **buf, size_t *cap, size_t need) {
    if (need <= *cap)
        return true;
    if (need > s->cap)
        return false;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n = n > s->cap / 2 ? s->cap : n * 2;
    char *b = realloc(*buf, n);
    if (!b) {
        s->oom = true;
        return false;
    }
    *buf = b;
    *cap = n;
    return true;
}

/* Passes text on: to the destination, or into the held text.  False when it
 * did not fit under the cap. */
static bool emit(tsink *s, const char *p, size_t n) {
    if (!s->out || s->over_cap)
        return !s->over_cap;
    if (s->hold) {
        if (!grow(s, &s->held, &s->heldcap, s->heldlen + n)) {
            s->over_cap = true;
            return false;
        }
        memcpy(s->held + s->heldlen, p, n);
        s->heldlen += n;
    } else if (!s->write_failed && fwrite(p, 1, n, s->out) != n) {
        s->write_failed = true;
        s->write_errno = errno;
    }
    return true;
}

static void emit_last(tsink *s) {
    if (s->have_last) {
        if (emit(s, s->last, s->lastlen))
            line_times(s->last, s->lastlen, &s->t, &s->wall_t);
        else
            s->events--; /* cut at the cap: not in the trace */
    }
    s->have_last = false;
}

/* One complete line (with its newline) from the program. */
static void take_line(tsink *s, const char *p, size_t n) {
    if (s->bad)
        return;
    if (s->lines++ == 0) {
        if (n < 14 || memcmp(p, "looplab-trace ", 14) != 0)
            s->bad = "its first line is not a looplab-trace header";
        else
            emit(s, p, n);
        return;
    }
    if (s->ended)
        return; /* nothing may follow @end; the reader would refuse it */
    size_t i = 0;
    while (i < n && p[i] == ' ')
        i++;
    if (p[i] == '@' && n - i >= 4 && memcmp(p + i, "@end", 4) == 0) {
        s->ended = true; /* replaced by ours, which counts our run_end */
        return;
    }
    if (s->over_cap)
        return;
    if (p[i] == '@') {
        s->wall |= n - i >= 5 && memcmp(p + i, "@wall", 5) == 0;
        emit(s, p, n);
        return;
    }
    if (p[i] == '\n' || p[i] == '#') {
        emit(s, p, n);
        return;
    }
    emit_last(s);
    if (s->over_cap)
        return;
    if (!grow(s, &s->last, &s->lastcap, n)) {
        s->over_cap = true;
        return;
    }
    memcpy(s->last, p, n);
    s->lastlen = n;
    s->have_last = true;
    s->events++;
}

/* Bytes from the pipe: split into lines. */
static void take(tsink *s, const char *p, size_t n) {
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t k = nl ? (size_t)(nl - p) + 1 : n;
        if (!nl || s->partlen) {
            if (!grow(s, &s->part, &s->partcap, s->partlen + k)) {
                s->bad = "a line is longer than what this command holds";
                s->over_cap = true;
                return;
            }
            memcpy(s->part + s->partlen, p, k);
            s->partlen += k;
            if (nl) {
                take_line(s, s->part, s->partlen);
                s->partlen = 0;
            }
        } else {
            take_line(s, p, k);
        }
        p += k;
        n -= k;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
    child *c = h->data;
    (void)suggested;
    *b = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
    child *c = s->data;
    if (n > 0)
        take(c->sink, b->base, (size_t)n);
    else if (n < 0 && !uv_is_closing((uv_handle_t *)s))
        uv_close((uv_handle_t *)s, NULL); /* EOF: the program closed its trace */
}

/* The program has gone, so everything it wrote is in the pipe: read that and
 * stop.  Waiting for end-of-file instead would wait for any grandchild that
 * inherited the pipe (a forked child, a daemon it started).  The pipe holds
 * at most a socket buffer (a few MB); the bound only stops a forked copy
 * that keeps writing from keeping us here. */
static void drain_pipe(child *c) {
    uv_handle_t *h = (uv_handle_t *)&c->trace_pipe;
    if (uv_is_closing(h))
        return;
    uv_os_fd_t fd;
    if (uv_fileno(h, &fd) == 0) {
        ssize_t n;
        size_t left = (size_t)64 << 20;
        while (left && ((n = read(fd, c->rbuf, sizeof c->rbuf)) > 0 || (n < 0 && errno == EINTR)))
            if (n > 0) {
                take(c->sink, c->rbuf, (size_t)n);
                left = (size_t)n < left ? left - (size_t)n : 0;
            }
    }
    uv_close(h, NULL);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int term_signal) {
    child *c = p->data;
    c->status = status;
    c->term_signal = term_signal;
    c->exited = true;
    uv_close((uv_handle_t *)p, NULL);
    if (c->have_timer)
        uv_close((uv_handle_t *)&c->timer, NULL);
    uv_close((uv_handle_t *)&c->stop_timer, NULL);
    for (int i = 0; i < 3; i++)
        uv_close((uv_handle_t *)&c->sigs[i], NULL);
    drain_pipe(c);
}

/* Stops the program, one step each time it is called (t's callback):
 * SIGTERM first (the library writes out its trace on it), then SIGKILL 2 s
 * later. */
static void escalate(uv_timer_t *t) {
    child *c = t->data;
    if (c->exited)
        return;
    if (!c->termed) {
        c->termed = true;
        uv_process_kill(&c->proc, SIGTERM);
        uv_timer_start(t, escalate, 2000, 0);
    } else if (!c->killed) {
        c->killed = true;
        uv_process_kill(&c->proc, SIGKILL);
    }
}

static void on_stop_signal(uv_signal_t *h, int signum) {
    child *c = h->data;
    if (c->exited)
        return;
    bool again = c->stopped_by != 0;
    if (!again)
        c->stopped_by = signum;
    if (signum == SIGINT && !again)
        /* A terminal's Ctrl-C reaches the program too (one process group):
         * it has a second to end by itself before it is asked to. */
        uv_timer_start(&c->stop_timer, escalate, 1000, 0);
    else
        escalate(&c->stop_timer); /* (a second signal: one step further) */
}

static void on_timeout(uv_timer_t *t) {
    child *c = t->data;
    if (c->exited)
        return;
    if (!c->stopped_by) /* (a stop under way says why the program ended) */
        c->timed_out = true;
    escalate(t);
}

/* Runs argv with the trace on descriptor 3 and the program's standard output
 * on `out_fd`, feeding the trace to c->sink until the program exits. */
static int run_child(char **argv, char **env, double timeout, int out_fd, child *c) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    c->loop = &loop;
    c->proc.data = c;
    uv_pipe_init(&loop, &c->trace_pipe, 0);
    c->trace_pipe.data = c;
    uv_stdio_container_t stdio[4] = {
        {.flags = UV_INHERIT_FD, .data.fd = 0},
        {.flags = UV_INHERIT_FD, .data.fd = out_fd},
        {.flags = UV_INHERIT_FD, .data.fd = 2},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&c->trace_pipe},
    };
    uv_process_options_t opts = {
        .exit_cb = on_exit_cb,
        .file = argv[0],
        .args = argv,
        .env = env,
        .stdio_count = 4,
        .stdio = stdio,
    };
    fflush(stdout);
    int rc = uv_spawn(&loop, &c->proc, &opts);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot start %s: %s\n", prog, argv[0], uv_strerror(rc));
        /* libuv wants a failed process handle closed too. */
        uv_close((uv_handle_t *)&c->proc, NULL);
        uv_close((uv_handle_t *)&c->trace_pipe, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        return -1;
    }
    uv_read_start((uv_stream_t *)&c->trace_pipe, on_alloc, on_read);
    /* (A signal ignored when the command started stays ignored: `nohup
     * looplab run ...` or a shell's background job keeps running.) */
    static const int stop_signals[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        struct sigaction was;
        uv_signal_init(&loop, &c->sigs[i]);
        c->sigs[i].data = c;
        if (sigaction(stop_signals[i], NULL, &was) == 0 && was.sa_handler != SIG_IGN)
            uv_signal_start(&c->sigs[i], on_stop_signal, stop_signals[i]);
    }
    uv_timer_init(&loop, &c->stop_timer); /* started by a stop signal */
    c->stop_timer.data = c;
    if (timeout > 0) {
        uv_timer_init(&loop, &c->timer);
        c->timer.data = c;
        c->have_timer = true;
        uv_timer_start(&c->timer, on_timeout, (uint64_t)(timeout * 1000), 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 0;
}

extern char **environ;

/* The parent's environment plus the given NAME=value entries. */
static char **make_env(char **extra, size_t nextra) {
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + nextra + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool overridden = false;
        for (size_t j = 0; j < nextra; j++) {
            size_t len = strcspn(extra[j], "=");
            if (strncmp(environ[i], extra[j], len + 1) == 0)
                overridden = true;
        }
        if (!overridden)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < nextra; j++)
        env[k++] = extra[j];
    return env;
}

typedef enum fmt { FMT_TEXT, FMT_JSONL, FMT_CHROME } fmt;

static int parse_format(const char *cmd, const char *s, fmt *out) {
    if (strcmp(s, "text") == 0)
        *out = FMT_TEXT;
    else if (strcmp(s, "jsonl") == 0)
        *out = FMT_JSONL;
    else if (strcmp(s, "chrome") == 0)
        *out = FMT_CHROME;
    else {
        fprintf(stderr, "%s %s: --format must be text, jsonl or chrome, not '%s'\n", prog, cmd, s);
        return -1;
    }
    return 0;
}

static int write_format(FILE *out, const ll_trace *t, fmt f) {
    switch (f) {
    case FMT_JSONL: return ll_trace_export_jsonl(out, t);
    case FMT_CHROME: return ll_trace_export_chrome(out, t);
    default: return ll_trace_write_parsed(out, t);
    }
}

/* Whether an event line is a run_end (always the loop's: task "-"). */
static bool is_run_end(const char *p, size_t n) {
    const char *want[] = {NULL, "-", "run_end"};
    size_t i = 0;
    for (int col = 0; col < 3; col++) {
        while (i < n && p[i] == ' ')
            i++;
        size_t b = i;
        while (i < n && p[i] != ' ' && p[i] != '\n')
            i++;
        if (want[col] && (i - b != strlen(want[col]) || memcmp(p + b, want[col], i - b) != 0))
            return false;
    }
    return true;
}

/* The program's own run_end (written as it exited without closing its loop)
 * cannot know the exit status: passes it on with code=N added. */
static void emit_run_end_with_code(tsink *s, const child *c) {
    const char *how = NULL;
    for (size_t j = 0; j + 5 <= s->lastlen && !how; j++)
        if (memcmp(s->last + j, " how=", 5) == 0)
            how = s->last + j;
    bool has_code = false;
    for (size_t j = 0; j + 6 <= s->lastlen; j++)
        has_code |= memcmp(s->last + j, " code=", 6) == 0;
    if (!how || has_code || c->term_signal || c->status == 0) {
        emit_last(s);
        return;
    }
    const char *cut = how + 5;
    while (cut < s->last + s->lastlen && *cut != ' ' && *cut != '\n')
        cut++;
    char code[32];
    int k = snprintf(code, sizeof code, " code=%lld", (long long)c->status);
    emit(s, s->last, (size_t)(cut - s->last));
    emit(s, code, (size_t)k);
    emit(s, cut, (size_t)(s->last + s->lastlen - cut));
    s->have_last = false;
}

/* Ends the trace: the held-back line, a run_end saying how the run ended
 * unless the program wrote one, and the @end line.  Returns the number of
 * events. */
static size_t finish_trace(tsink *s, const child *c, const char *detail, bool wall) {
    s->over_cap = false; /* these few lines go in even past the cap */
    s->cap = SIZE_MAX;
    if (s->have_last) {
        if (is_run_end(s->last, s->lastlen)) {
            emit_run_end_with_code(s, c);
            goto end;
        }
        emit_last(s);
    }
    ll__recorder r;
    ll__rec_init(&r, true);
    ll_trace_event *e = ll__rec_next(&r);
    ll__tw tw;
    if (e && ll__tw_begin(&tw, -1, NULL, NULL, wall) == 0) {
        memset(e, 0, sizeof *e);
        e->t = s->t;
        e->wall = s->wall_t;
        e->kind = LL_EV_RUN_END;
        e->sub = c->timed_out ? 3 : c->term_signal ? 2 : s->ended ? 0 : 1;
        e->val = c->term_signal ? c->term_signal : c->status;
        e->str = ll__rec_str(&r, detail, strlen(detail));
        size_t len;
        const char *line = ll__tw_format(&tw, &r, e, &len);
        emit(s, line, len);
        emit(s, "\n", 1);
        s->events++;
        ll__tw_free(&tw);
    }
    ll__rec_free(&r);
end:;
    char endl[64];
    int k = snprintf(endl, sizeof endl, "@end events=%zu\n", s->events);
    emit(s, endl, (size_t)k);
    return s->events;
}

/* The default home of a run's trace: ${TMPDIR:-/tmp}/looplab-UID/NAME.EXT,
 * in a directory only this user can write (made if needed).  Opens it into
 * *out; returns 0, or -1 after saying why. */
static int open_default_trace(const char *name, fmt format, char *path, size_t len, FILE **out) {
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/looplab-%u", tmp && *tmp ? tmp : "/tmp", (unsigned)getuid());
    struct stat sb;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr,
                "%s run: cannot make %s for the trace: %s (give it a place with --trace "
                "FILE)\n",
                prog, dir, strerror(errno));
        return -1;
    }
    if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != getuid()) {
        fprintf(stderr,
                "%s run: %s is not a directory of yours; give the trace a place with "
                "--trace FILE\n",
                prog, dir);
        return -1;
    }
    const char *base = strrchr(name, '/');
    static const char *const ext[] = {"trace", "jsonl", "json"};
    snprintf(path, len, "%s/%s.%s", dir, base ? base + 1 : name, ext[format]);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!*out) {
        fprintf(stderr, "%s run: cannot write the trace to %s: %s\n", prog, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return 0;
}

/* Whether a program is a Python file, run under the recorder. */
static bool is_py(const char *p) {
    size_t n = strlen(p);
    return n > 3 && strcmp(p + n - 3, ".py") == 0;
}

/* The options of `looplab run`, as parsed from its arguments. */
typedef struct run_opts {
    const char *name;   /* the lesson, or NULL */
    char **program;     /* argv after "--", or NULL */
    const char *clock;  /* --clock, or NULL */
    const char *trace;  /* --trace FILE ("-": standard output), or NULL */
    bool no_trace;      /* --no-trace */
    bool quiet;         /* --quiet: no line saying where the trace went */
    double timeout;     /* --timeout seconds, 0 for none */
    fmt format;         /* --format */
    size_t max_held;    /* --max-held, in bytes */
    const char *python; /* --python: the interpreter for a PROGRAM.py, or NULL */
    const char *model;  /* --model: a wrong model of asyncio to run under, or NULL */
    bool help;          /* --help was asked for */
} run_opts;

/* Parses `looplab run`'s arguments.  Returns 0, or 2 after saying what is
 * wrong (a usage error). */
static int run_parse(int argc, char **argv, run_opts *o) {
    memset(o, 0, sizeof *o);
    o->format = FMT_TEXT;
    o->max_held = (size_t)RUN_MAX_HELD_MB << 20;
    for (int i = 0; i < argc; i++) {
        bool has = i + 1 < argc;
        if (strcmp(argv[i], "--") == 0) {
            o->program = argv + i + 1;
            if (!*o->program) {
                fprintf(stderr, "%s run: which program after '--'?\n", prog);
                return 2;
            }
            break;
        } else if (strcmp(argv[i], "--clock") == 0 && has) {
            o->clock = argv[++i];
        } else if (strcmp(argv[i], "--model") == 0 && has) {
            o->model = argv[++i];
        } else if (strcmp(argv[i], "--trace") == 0 && has) {
            o->trace = argv[++i];
        } else if (strcmp(argv[i], "--python") == 0 && has) {
            o->python = argv[++i];
        } else if (strcmp(argv[i], "--format") == 0 && has) {
            if (parse_format("run", argv[++i], &o->format) != 0)
                return 2;
        } else if (strcmp(argv[i], "--timeout") == 0 && has) {
            char *end;
            o->timeout = strtod(argv[++i], &end);
            if (end == argv[i] || *end || !(o->timeout > 0) || o->timeout > 1e6) {
                fprintf(stderr, "%s run: --timeout needs a number of seconds, not '%s'\n", prog,
                        argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--max-held") == 0 && has) {
            char *end;
            errno = 0;
            unsigned long long mb = strtoull(argv[++i], &end, 10);
            if (end == argv[i] || *end || errno || mb < 1 || mb > (SIZE_MAX >> 21)) {
                fprintf(stderr, "%s run: --max-held needs a number of megabytes, not '%s'\n", prog,
                        argv[i]);
                return 2;
            }
            o->max_held = (size_t)mb << 20;
        } else if (strcmp(argv[i], "--no-trace") == 0) {
            o->no_trace = true;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            o->quiet = true;
        } else if (is_help(argv[i])) {
            o->help = true;
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "%s run: unknown option '%s' (see '%s run --help')\n", prog, argv[i],
                    prog);
            return 2;
        } else if (!o->name && is_py(argv[i])) {
            o->program = argv + i; /* PROGRAM.py ARGS...: the rest is its own */
            break;
        } else if (!o->name) {
            o->name = argv[i];
        } else {
            fprintf(stderr, "%s run: one lesson at a time (got '%s' and '%s')\n", prog, o->name,
                    argv[i]);
            return 2;
        }
    }
    if (!o->name && !o->program) {
        fprintf(stderr, "%s run: which lesson? (see '%s list'), or '-- PROGRAM'\n", prog, prog);
        return 2;
    }
    if (o->name && o->program) {
        fprintf(stderr, "%s run: a lesson or '-- PROGRAM', not both\n", prog);
        return 2;
    }
    if (o->clock && strcmp(o->clock, "virtual") != 0 && strcmp(o->clock, "real") != 0) {
        fprintf(stderr, "%s run: --clock must be 'virtual' or 'real', not '%s'\n", prog, o->clock);
        return 2;
    }
    if (o->no_trace && o->trace) {
        fprintf(stderr, "%s run: --trace or --no-trace, not both\n", prog);
        return 2;
    }
    if (o->model && ll_model_find(o->model) < 0) {
        fprintf(stderr, "%s run: no model '%s'; the models are", prog, o->model);
        for (unsigned m = 0; m < LL_MODEL__COUNT; m++)
            fprintf(stderr, "%s %s", m ? "," : "", ll_model_name(m));
        fprintf(stderr, " (see '%s models --help')\n", prog);
        return 2;
    }
    return 0;
}

/* Converts held text (the JSON formats) and writes it out; the count of
 * events, or 0 when the text did not parse (said). */
static size_t convert_held(tsink *s, fmt format) {
    ll_trace t;
    char err[512] = "";
    size_t n = 0;
    if (ll_trace_parse(&t, "trace", s->held, s->heldlen, err, sizeof err) != 0) {
        fprintf(stderr, "%s: the trace that came back is damaged: %s\n", prog, err);
    } else {
        n = t.rec.n;
        if (write_format(s->out, &t, format) != 0 && !s->write_failed) {
            s->write_failed = true;
            s->write_errno = errno;
        }
    }
    ll_trace_free(&t);
    return n;
}

/* Opens where the trace goes: standard output (--trace -), a file, the
 * default file, or nowhere (--no-trace).  Returns 0, or -1 after saying why. */
static int open_sink(const run_opts *o, const char *base, tsink *s, char *path, size_t len) {
    if (o->trace && strcmp(o->trace, "-") == 0) {
        s->out = stdout;
        s->name = "standard output";
    } else if (o->trace) {
        s->out = fopen(o->trace, "we");
        if (!s->out) {
            fprintf(stderr, "%s run: cannot write the trace to %s: %s\n", prog, o->trace,
                    strerror(errno));
            return -1;
        }
        s->name = o->trace;
    } else if (!o->no_trace) {
        if (open_default_trace(base, o->format, path, len, &s->out) != 0)
            return -1;
        s->name = path;
    }
    return 0;
}

/* After the run: says what went wrong with the trace, ends it, converts it
 * (JSON formats) and checks that it was all written; then says where it
 * went.  Returns 0, or 1 when the trace is not whole. */
static int save_trace(tsink *s, const child *c, const run_opts *o, bool to_stdout) {
    char detail[256];
    if (c->timed_out)
        snprintf(detail, sizeof detail, "stopped after --timeout %g s (%s)", o->timeout,
                 ll__signal_name(c->term_signal));
    else if (c->stopped_by && c->term_signal)
        snprintf(detail, sizeof detail, "stopped: looplab run got %s (the program: killed by %s)",
                 ll__signal_name(c->stopped_by), ll__signal_name(c->term_signal));
    else if (c->stopped_by)
        snprintf(detail, sizeof detail, "stopped: looplab run got %s (the program: status %lld)",
                 ll__signal_name(c->stopped_by), (long long)c->status);
    else if (c->term_signal)
        snprintf(detail, sizeof detail, "killed by %s", ll__signal_name(c->term_signal));
    else
        snprintf(detail, sizeof detail, "exited with status %lld%s", (long long)c->status,
                 s->ended ? "" : " without closing its loop");
    bool cut = s->over_cap;
    const char *as = o->format == FMT_JSONL ? "jsonl" : "chrome";
    if (cut) {
        size_t k = strlen(detail);
        snprintf(detail + k, sizeof detail - k, "; trace cut at --max-held %zu MB",
                 o->max_held >> 20);
    }
    if (s->bad)
        fprintf(stderr, "%s: the trace that came back is damaged: %s (line %zu)%s\n", prog, s->bad,
                s->lines, s->lines > 1 ? "; kept up to the line before" : "");
    if (cut && s->oom)
        fprintf(stderr,
                "%s run: out of memory holding the trace to write it as %s: kept the "
                "part before; save it as text (streamed) and convert it with '%s "
                "export'\n",
                prog, as, prog);
    else if (cut)
        fprintf(stderr,
                "%s run: the trace is over the %zu MB this command holds in memory to "
                "write it as %s: kept the part before; raise the cap with --max-held "
                "MB, or save it as text (streamed, no cap) and convert it with '%s "
                "export'\n",
                prog, o->max_held >> 20, as, prog);
    if (s->bad && s->lines <= 1)
        return 1; /* nothing to keep, and the message above said why */
    size_t events = finish_trace(s, c, detail, s->wall);
    if (s->hold)
        events = convert_held(s, o->format);
    if ((fflush(s->out) != 0 || ferror(s->out)) && !s->write_failed) {
        s->write_failed = true;
        s->write_errno = errno ? errno : EIO;
    }
    if (s->write_failed) {
        fprintf(stderr, "%s run: cannot write the trace to %s: %s\n", prog, s->name,
                strerror(s->write_errno));
        return 1;
    }
    if (!to_stdout && !o->quiet)
        fprintf(stderr, "trace: %zu events -> %s\n", events, s->name);
    return s->bad || cut ? 1 : 0;
}

/* Whether a lesson twin's meta.txt (beside PROGRAM.py) has this exact line:
 * "twin: real" (threads or sockets: the real clock by default) or "python:
 * system" (it needs Debian's python3 and its packages, aiohttp). */
static bool twin_meta_says(const char *program, const char *want) {
    const char *slash = strrchr(program, '/');
    const char *file = slash ? slash + 1 : program;
    if (strcmp(file, "lesson.py") != 0)
        return false;
    char path[1024];
    snprintf(path, sizeof path, "%.*smeta.txt", (int)(file - program), program);
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

/* The command line that runs PROGRAM.py [ARGS] under the Python recorder
 * (python/looplab_trace), its trace on descriptor 3 like a C program's:
 *   PYTHON -m looplab_trace --clock CLOCK --trace fd:3 PROGRAM.py ARGS...
 * The interpreter is --python, else $LOOPLAB_PYTHON, else /usr/bin/python3
 * for a twin whose meta.txt says "python: system", else python3.  NULL when
 * out of memory. */
static char **python_argv(const run_opts *o, char **program, const char *clock) {
    size_t n = 0;
    while (program[n])
        n++;
    char **argv = calloc(n + 8, sizeof *argv);
    if (!argv)
        return NULL;
    const char *py = o->python ? o->python : getenv("LOOPLAB_PYTHON");
    size_t k = 0;
    if (!py || !*py)
        py = twin_meta_says(program[0], "python: system") ? "/usr/bin/python3" : "python3";
    argv[k++] = (char *)py;
    argv[k++] = (char *)"-m";
    argv[k++] = (char *)"looplab_trace";
    argv[k++] = (char *)"--clock";
    argv[k++] = (char *)clock;
    argv[k++] = (char *)"--trace";
    argv[k++] = (char *)"fd:3";
    for (size_t i = 0; i < n; i++)
        argv[k++] = program[i];
    return argv;
}

/* The default trace name of a Python program: a lesson's twin
 * (lessons/NN-slug/lesson.py) is NN-slug.py, any other its file name. */
static const char *python_base(const char *path, char *buf, size_t len) {
    const char *slash = strrchr(path, '/');
    const char *file = slash ? slash + 1 : path;
    if (slash && strcmp(file, "lesson.py") == 0) {
        const char *dir = slash;
        while (dir > path && dir[-1] != '/')
            dir--;
        if (dir < slash) {
            snprintf(buf, len, "%.*s.py", (int)(slash - dir), dir);
            return buf;
        }
    }
    return file;
}

/* What `looplab run` starts: the child's argv and what to call it. */
typedef struct run_target {
    char bin[512];        /* a lesson: its executable */
    char what[600];       /* for messages: "lesson 01-hello" or the program */
    char lesson_env[300]; /* LOOPLAB_LESSON=slug (empty slug for a program) */
    char *lesson_argv[2]; /* a lesson: {bin, NULL} */
    char **argv;          /* the child's argv */
    const char *base;     /* names the default trace file */
    char py_base[300];
    char **py_argv; /* a Python program: the interpreter's argv (owned) */
    bool is_python;
    const char *clock;  /* LOOPLAB_CLOCK */
    char model_env[64]; /* LOOPLAB_MODEL=NAME (empty: asyncio's) */
} run_target;

/* Finds what `looplab run` starts: a Python program under the recorder, a
 * lesson by number or slug, or a program given after "--".  Returns 0, or
 * the command's exit status after saying what is wrong. */
static int run_find(const run_opts *o, run_target *t) {
    memset(t, 0, sizeof *t);
    snprintf(t->lesson_env, sizeof t->lesson_env, "LOOPLAB_LESSON=");
    t->lesson_argv[0] = t->bin;
    t->argv = o->program;
    t->clock = o->clock ? o->clock : "virtual";
    if (o->model && o->program && is_py(o->program[0])) {
        fprintf(stderr,
                "%s run: --model runs the C library's scheduler under a wrong model of "
                "asyncio; a PROGRAM.py runs on CPython's own (run the lesson's C program)\n",
                prog);
        return 2;
    }
    if (o->program && is_py(o->program[0])) {
        /* A twin with threads or sockets runs on the real clock unless told. */
        if (!o->clock && twin_meta_says(o->program[0], "twin: real"))
            t->clock = "real";
        t->py_argv = python_argv(o, o->program, t->clock);
        if (!t->py_argv) {
            fprintf(stderr, "%s run: out of memory\n", prog);
            return 1;
        }
        t->argv = t->py_argv;
        t->is_python = true;
        snprintf(t->what, sizeof t->what, "%s", o->program[0]);
        t->base = python_base(o->program[0], t->py_base, sizeof t->py_base);
    } else if (o->name) {
        lesson ls[128];
        size_t n = find_lessons(ls, 128);
        const lesson *l = resolve(o->name, ls, n);
        if (!l) {
            fprintf(stderr, "%s run: no lesson '%s' (see '%s list')\n", prog, o->name, prog);
            return 2;
        }
        snprintf(t->bin, sizeof t->bin, "%s/lesson-%s", LESSON_BIN_DIR, l->slug);
        if (access(t->bin, X_OK) != 0) {
            fprintf(stderr, "%s run: lesson '%s' is not built (%s): run 'meson compile -C build'\n",
                    prog, l->slug, t->bin);
            return 1;
        }
        snprintf(t->what, sizeof t->what, "lesson %s", l->slug);
        snprintf(t->lesson_env, sizeof t->lesson_env, "LOOPLAB_LESSON=%s", l->slug);
        t->argv = t->lesson_argv;
        t->base = t->lesson_env + strlen("LOOPLAB_LESSON=");
    } else {
        snprintf(t->what, sizeof t->what, "%s", o->program[0]);
        t->base = o->program[0];
    }
    if (o->python && !t->py_argv) {
        fprintf(stderr, "%s run: --python is for a PROGRAM.py\n", prog);
        return 2;
    }
    snprintf(t->model_env, sizeof t->model_env, "LOOPLAB_MODEL=%s", o->model ? o->model : "");
    return 0;
}

/* Starts the target with the trace pipe on fd 3 and waits for it, the
 * trace going to `sink`.  Returns 0, or -1 when it could not be run (said). */
static int run_spawn(run_target *t, const run_opts *o, bool to_stdout, tsink *sink, child *c) {
    char clock_env[64];
    snprintf(clock_env, sizeof clock_env, "LOOPLAB_CLOCK=%s", t->clock);
    char trace_env[] = "LOOPLAB_TRACE=fd:3";
    /* The recorder is imported from the source tree's python/. */
    const char *old_pp = getenv("PYTHONPATH");
    char pp_env[4096];
    snprintf(pp_env, sizeof pp_env, "PYTHONPATH=%s/python%s%s", LL_SOURCE_ROOT,
             old_pp && *old_pp ? ":" : "", old_pp ? old_pp : "");
    char *extra[] = {trace_env, clock_env, t->lesson_env, t->model_env, pp_env};
    char **env = make_env(extra, t->py_argv ? 5 : 4);
    memset(c, 0, sizeof *c);
    c->sink = sink;
    /* With the trace on standard output, the program's output goes to
     * standard error, so that the two do not mix. */
    int rc = env ? run_child(t->argv, env, o->timeout, to_stdout ? 2 : 1, c) : -1;
    if (!env)
        fprintf(stderr, "%s run: out of memory for the environment\n", prog);
    free(env);
    return rc;
}

/* Says how the run ended and returns the command's exit status: 124 after
 * a timeout, 128+N after signal N, else the program's status (or `out_rc`
 * when the trace could not be written whole). */
static int run_report(const run_target *t, const run_opts *o, const tsink *sink, const child *c,
                      int out_rc) {
    if (c->timed_out) {
        fprintf(stderr,
                "%s: %s did not finish within %g s: stopped with %s; its trace is kept up "
                "to that moment\n",
                prog, t->what, o->timeout, ll__signal_name(c->term_signal));
        return 124;
    }
    if (c->stopped_by) {
        fprintf(stderr, "%s: stopped by %s (%s): %s %s; its trace is kept up to that moment\n",
                prog, ll__signal_name(c->stopped_by), strsignal(c->stopped_by), t->what,
                c->term_signal ? "was stopped" : "ended");
        return 128 + c->stopped_by;
    }
    if (c->term_signal) {
        fprintf(stderr,
                "%s: %s crashed: killed by %s (%s); its trace is kept up to that "
                "moment\n",
                prog, t->what, ll__signal_name(c->term_signal), strsignal(c->term_signal));
        return 128 + c->term_signal;
    }
    if (sink->lines && !sink->ended && c->status == 0)
        fprintf(stderr, "%s: %s exited without closing its event loop\n", prog, t->what);
    if (c->status != 0)
        fprintf(stderr, "%s: %s exited with status %lld\n", prog, t->what, (long long)c->status);
    return c->status ? (int)c->status : out_rc;
}

static int cmd_run(int argc, char **argv) {
    run_opts o;
    int rc = run_parse(argc, argv, &o);
    if (rc != 0)
        return rc;
    if (o.help) {
        usage_run(stdout);
        return 0;
    }
    run_target t;
    rc = run_find(&o, &t);
    if (rc != 0)
        return rc;
    tsink sink = {.cap = o.max_held, .hold = o.format != FMT_TEXT};
    char path[1024] = "";
    bool to_stdout = o.trace && strcmp(o.trace, "-") == 0;
    if (open_sink(&o, t.base, &sink, path, sizeof path) != 0) {
        free(t.py_argv);
        return 1;
    }
    child c;
    rc = run_spawn(&t, &o, to_stdout, &sink, &c);
    free(t.py_argv);
    t.py_argv = NULL;
    int out_rc = 0;
    if (rc == 0 && sink.lines == 0 && !o.no_trace)
        fprintf(stderr, "%s: %s recorded no trace (%s)\n", prog, t.what,
                t.is_python ? "did the Python recorder start? see the lines above"
                            : "is it built with the library?");
    else if (rc == 0 && sink.out)
        out_rc = save_trace(&sink, &c, &o, to_stdout);
    if (sink.out && !to_stdout && fclose(sink.out) != 0 && !out_rc) {
        fprintf(stderr, "%s run: cannot write the trace to %s: %s\n", prog, sink.name,
                strerror(errno));
        out_rc = 1;
    }
    free(sink.held);
    free(sink.part);
    free(sink.last);
    if (rc != 0)
        return 1;
    return run_report(&t, &o, &sink, &c, out_rc);
}

/* ---- export and stats -------------------------------------------------------- */

/* Reads the trace at `path` and writes it to `out` as `f` says, as it reads;
 * says what went wrong (the trace, or writing the output: a full disk is an
 * error, not a success) and what the trace said about itself.  Returns the
 * exit status. */
static int convert_or_say(FILE *out, const char *cmd, const char *path, ll_export_fmt f,
                          const char *out_name) {
    char err[1024];
    ll_trace t;
    int rc = ll_trace_convert(out, path, f, &t, err, sizeof err);
    if (rc == -1)
        fprintf(stderr, "%s %s: %s\n", prog, cmd, err);
    else if (rc == -2)
        fprintf(stderr, "%s %s: %s%s%s\n", prog, cmd, out_name ? out_name : "",
                out_name ? ": " : "", err);
    if (rc == 0 && t.truncated)
        fprintf(stderr,
                "%s %s: %s: the trace is truncated (its writer stopped early); "
                "using the %zu events before the cut\n",
                prog, cmd, path, t.events);
    if (rc == 0 && t.unknown)
        fprintf(stderr, "%s %s: %s: skipped %zu events of kinds this version does not know\n", prog,
                cmd, path, t.unknown);
    ll_trace_free(&t);
    return rc == 0 ? 0 : 1;
}

static int cmd_export(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    fmt format = FMT_TEXT;
    bool have_format = false;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            usage_export(stdout);
            return 0;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (parse_format("export", argv[++i], &format) != 0)
                return 2;
            have_format = true;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "%s export: unknown option '%s' (see '%s export --help')\n", prog,
                    argv[i], prog);
            return 2;
        } else if (!in) {
            in = argv[i];
        } else {
            fprintf(stderr, "%s export: one trace at a time\n", prog);
            return 2;
        }
    }
    if (!in || !have_format) {
        usage_export(stderr);
        return 2;
    }
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "%s export: cannot write %s: %s\n", prog, out, strerror(errno));
        return 1;
    }
    static const ll_export_fmt as[] = {[FMT_TEXT] = LL_EXPORT_TEXT,
                                       [FMT_JSONL] = LL_EXPORT_JSONL,
                                       [FMT_CHROME] = LL_EXPORT_CHROME};
    int rc = convert_or_say(f, "export", in, as[format], out);
    if (out && fclose(f) != 0 && rc == 0) {
        fprintf(stderr, "%s export: cannot write %s: %s\n", prog, out, strerror(errno));
        rc = 1;
    }
    return rc;
}

static int cmd_stats(int argc, char **argv) {
    const char *in = NULL;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            usage_stats(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "%s stats: unknown option '%s' (see '%s stats --help')\n", prog,
                    argv[i], prog);
            return 2;
        } else if (!in) {
            in = argv[i];
        } else {
            fprintf(stderr, "%s stats: one trace at a time\n", prog);
            return 2;
        }
    }
    if (!in) {
        usage_stats(stderr);
        return 2;
    }
    return convert_or_say(stdout, "stats", in, LL_EXPORT_STATS, NULL);
}

/* ---- the visualizer ------------------------------------------------------------ */

#ifdef LL_HAVE_GUI
typedef struct run_ctx {
    char **program; /* argv of `view -- PROGRAM`, or NULL */
} run_ctx;

/* Runs `looplab run` (this very program) with its output silenced, so the
 * window's runs go through the same runner as the command line's. */
static int run_for_view(void *ud, const llv_run *w, const char *path) {
    run_ctx *rc = ud;
    char self[4096], twin[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    char *argv[256];
    int k = 0;
    argv[k++] = self;
    argv[k++] = (char *)"run";
    /* looplab run's options first: after a PROGRAM.py come its own */
    if (w->clock) {
        argv[k++] = (char *)"--clock";
        argv[k++] = (char *)w->clock;
    }
    argv[k++] = (char *)"--trace";
    argv[k++] = (char *)path;
    argv[k++] = (char *)"--timeout";
    argv[k++] = (char *)"120";
    argv[k++] = (char *)"--quiet"; /* the window knows where the trace is */
    if (w->model) {
        argv[k++] = (char *)"--model";
        argv[k++] = (char *)w->model;
    }
    if (w->slug && w->python) {
        snprintf(twin, sizeof twin, "%s/%s/lesson.py", LESSONS_DIR, w->slug);
        argv[k++] = twin;
    } else if (w->slug) {
        argv[k++] = (char *)w->slug;
    } else if (w->program) {
        argv[k++] = (char *)w->program;
    } else if (rc && rc->program) {
        argv[k++] = (char *)"--";
        for (char **p = rc->program; *p && k < 254; p++)
            argv[k++] = *p;
    }
    argv[k] = NULL;
    bool stopped;
    if (llv_run_process(argv, false, w, &stopped) < 0)
        return -1;
    struct stat sb;
    if (stat(path, &sb) != 0 || sb.st_size == 0) {
        fprintf(stderr, "%s: the run left no trace\n", prog);
        return -1;
    }
    return 0; /* a failing program is still worth watching */
}

static void app_setup(llv_app *a, llv_lesson *ll, size_t max, run_ctx *rc) {
    static lesson ls[128];
    size_t n = find_lessons(ls, 128);
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++) {
        copy_str(ll[i].slug, sizeof ll[i].slug, ls[i].slug);
        snprintf(ll[i].title, sizeof ll[i].title, "%d. %s", ls[i].number, ls[i].title);
        copy_str(ll[i].summary, sizeof ll[i].summary, ls[i].summary);
    }
    const char *assets = getenv("LOOPLAB_ASSETS");
    a->assets = assets && *assets ? assets : ASSETS_DIR;
    a->lessons_dir = LESSONS_DIR;
    a->lessons = ll;
    a->nlessons = n;
    a->run = run_for_view;
    a->ud = rc;
}

static bool is_file(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int cmd_view(int argc, char **argv) {
    static llv_lesson ll[128];
    run_ctx rc = {NULL};
    llv_app a;
    memset(&a, 0, sizeof a);
    app_setup(&a, ll, 128, &rc);
    if (argc >= 1 && is_help(argv[0])) {
        printf("usage: %s view                 the lesson picker\n"
               "       %s view LESSON          run a lesson (number or slug) and watch it\n"
               "       %s view TRACE           open a saved trace\n"
               "       %s view -- PROGRAM ...  run a program built with the library\n"
               "       %s view PROGRAM.py ...  run a Python asyncio program under the recorder\n"
               "                               (the interpreter: $LOOPLAB_PYTHON, else python3)\n"
               "\n  --quiz      at the end, print predict mode's score (R) per lesson\n"
               "  --at N      open a trace at step N\n"
               "  --say TEXT  and say TEXT in the status line (looplab check --view)\n"
               "\nIn the window, F1 lists the keys.\n",
               prog, prog, prog, prog, prog);
        return 0;
    }
    while (argc >= 1 &&
           (strcmp(argv[0], "--quiz") == 0 ||
            ((strcmp(argv[0], "--at") == 0 || strcmp(argv[0], "--say") == 0) && argc >= 2))) {
        if (strcmp(argv[0], "--quiz") == 0) {
            a.quiz = true;
            argc--;
            argv++;
            continue;
        }
        if (strcmp(argv[0], "--say") == 0) {
            a.say = argv[1];
        } else {
            char *end;
            a.at = strtol(argv[1], &end, 10);
            if (end == argv[1] || *end || a.at < 1) {
                fprintf(stderr, "%s view: --at wants a step number from 1, not '%s'\n", prog,
                        argv[1]);
                return 2;
            }
        }
        argc -= 2;
        argv += 2;
    }
    if (argc == 0)
        return llv_view(&a, NULL, NULL, false);
    if (strcmp(argv[0], "--") == 0) {
        if (argc < 2) {
            fprintf(stderr, "%s view: which program after '--'?\n", prog);
            return 2;
        }
        rc.program = argv + 1;
        a.program = argv[1];
        return llv_view(&a, NULL, NULL, true);
    }
    if (is_py(argv[0]) && is_file(argv[0])) {
        rc.program = argv; /* run through `looplab run -- X.py ARGS` */
        a.program = argv[0];
        return llv_view(&a, NULL, NULL, true);
    }
    if (argc > 1) {
        fprintf(stderr, "%s view: one lesson or trace at a time\n", prog);
        return 2;
    }
    lesson ls[128];
    size_t n = find_lessons(ls, 128);
    const lesson *l = resolve(argv[0], ls, n);
    if (l && !is_file(argv[0]))
        return llv_view(&a, NULL, l->slug, false);
    if (is_file(argv[0]))
        return llv_view(&a, argv[0], NULL, false);
    fprintf(stderr, "%s view: '%s' is neither a lesson (see '%s list') nor a trace file\n", prog,
            argv[0], prog);
    return 2;
}

static int parse_size(const char *s, int *w, int *h) {
    char x;
    if (sscanf(s, "%d%c%d", w, &x, h) != 3 || (x != 'x' && x != 'X') || *w < 320 || *h < 200 ||
        *w > 8192 || *h > 8192) {
        fprintf(stderr, "%s: --size wants WIDTHxHEIGHT between 320x200 and 8192x8192, not '%s'\n",
                prog, s);
        return -1;
    }
    return 0;
}

/* A lesson name or a trace path -> a trace file (a temporary one for a
 * lesson, which *tmp then names). */
static int trace_of(llv_app *a, const char *cmd, const char *what, const char *clock, char *tmp,
                    size_t tmplen, const char **path) {
    lesson ls[128];
    size_t n = find_lessons(ls, 128);
    const lesson *l = is_file(what) ? NULL : resolve(what, ls, n);
    if (!l) {
        if (!is_file(what)) {
            fprintf(stderr, "%s %s: '%s' is neither a lesson (see '%s list') nor a trace file\n",
                    prog, cmd, what, prog);
            return -1;
        }
        *path = what;
        return 0;
    }
    snprintf(tmp, tmplen, "/tmp/looplab-render-XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    close(fd);
    llv_run w = {.slug = l->slug, .clock = clock};
    if (a->run(a->ud, &w, tmp) != 0) {
        unlink(tmp);
        return -1;
    }
    *path = tmp;
    return 0;
}

static int cmd_render(int argc, char **argv) {
    static llv_lesson ll[128];
    run_ctx rc = {NULL};
    llv_app a;
    memset(&a, 0, sizeof a);
    app_setup(&a, ll, 128, &rc);
    llv_render_opts o = {-1, 1920, 1080, "frame.png", NULL, "dark", 1.0f, false, false};
    const char *what = NULL, *clock = "virtual";
    for (int i = 0; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (is_help(argv[i])) {
            printf(
                "usage: %s render LESSON|TRACE [options]\n"
                "\nDraws the visualizer's window into PNG files, with no display (SDL's\n"
                "software renderer).\n\noptions:\n"
                "  --step N          the frame after event N (1 = the first; default: the last)\n"
                "  --size WxH        frame size (default 1920x1080)\n"
                "  -o FILE           where to write it (default frame.png)\n"
                "  --all-steps DIR   one frame per event: DIR/000001.png ...\n"
                "  --theme dark|projector\n"
                "  --scale F         UI scale (default 1)\n"
                "  --axis events|time   the timeline's x axis (default: the lesson's meta.txt\n"
                "                       says, else events; time for several loops)\n"
                "  --clock virtual|real   for a lesson: which clock to run it on\n",
                prog);
            return 0;
        } else if (strcmp(argv[i], "--step") == 0 && v) {
            char *end;
            long s = strtol(v, &end, 10);
            if (*end || s < 1) {
                fprintf(stderr, "%s render: --step wants an event number from 1, not '%s'\n", prog,
                        v);
                return 2;
            }
            o.step = s - 1;
            i++;
        } else if (strcmp(argv[i], "--size") == 0 && v) {
            if (parse_size(v, &o.w, &o.h) != 0)
                return 2;
            i++;
        } else if (strcmp(argv[i], "-o") == 0 && v) {
            o.out = v;
            i++;
        } else if (strcmp(argv[i], "--all-steps") == 0 && v) {
            o.all_dir = v;
            i++;
        } else if (strcmp(argv[i], "--theme") == 0 && v) {
            if (strcmp(v, "dark") && strcmp(v, "projector")) {
                fprintf(stderr, "%s render: --theme is 'dark' or 'projector', not '%s'\n", prog, v);
                return 2;
            }
            o.theme = v;
            i++;
        } else if (strcmp(argv[i], "--scale") == 0 && v) {
            o.zoom = strtof(v, NULL);
            if (!(o.zoom >= 0.5f && o.zoom <= 4)) {
                fprintf(stderr, "%s render: --scale is between 0.5 and 4, not '%s'\n", prog, v);
                return 2;
            }
            i++;
        } else if (strcmp(argv[i], "--clock") == 0 && v) {
            clock = v;
            i++;
        } else if (strcmp(argv[i], "--axis") == 0 && v) {
            if (strcmp(v, "events") && strcmp(v, "time")) {
                fprintf(stderr, "%s render: --axis is 'events' or 'time', not '%s'\n", prog, v);
                return 2;
            }
            o.axis_time = strcmp(v, "time") == 0;
            o.axis_given = true;
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "%s render: unknown option '%s' (see '%s render --help')\n", prog,
                    argv[i], prog);
            return 2;
        } else if (!what) {
            what = argv[i];
        } else {
            fprintf(stderr, "%s render: one lesson or trace at a time\n", prog);
            return 2;
        }
    }
    if (!what) {
        fprintf(stderr, "%s render: which lesson or trace? (see '%s render --help')\n", prog, prog);
        return 2;
    }
    char tmp[64] = "";
    const char *path;
    if (trace_of(&a, "render", what, clock, tmp, sizeof tmp, &path) != 0)
        return 1;
    int r = llv_render(&a, path, &o);
    if (tmp[0])
        unlink(tmp);
    return r;
}

static int cmd_bench_render(int argc, char **argv) {
    static llv_lesson ll[128];
    run_ctx rc = {NULL};
    llv_app a;
    memset(&a, 0, sizeof a);
    app_setup(&a, ll, 128, &rc);
    int w = 1920, h = 1080, frames = 200;
    size_t tasks = 10000, events = 1000000;
    for (int i = 0; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (is_help(argv[i])) {
            printf("usage: %s bench-render [--size WxH] [--frames N] [--tasks N] [--events N]\n"
                   "\nRenders frames headless (software renderer) for every lesson and for a\n"
                   "synthetic trace (10 000 tasks, 1 000 000 events by default) while moving\n"
                   "the cursor, zooming and panning; prints the time to open each trace and\n"
                   "the median and 95th percentile frame time in ms, by the wall clock, and\n"
                   "the 95th percentile of the CPU time a frame took (cpu p95: what it\n"
                   "costs on a machine shared with other programs).\n",
                   prog);
            return 0;
        } else if (strcmp(argv[i], "--size") == 0 && v) {
            if (parse_size(v, &w, &h) != 0)
                return 2;
            i++;
        } else if (strcmp(argv[i], "--frames") == 0 && v) {
            frames = atoi(v);
            i++;
        } else if (strcmp(argv[i], "--tasks") == 0 && v) {
            tasks = (size_t)atol(v);
            i++;
        } else if (strcmp(argv[i], "--events") == 0 && v) {
            events = (size_t)atol(v);
            i++;
        } else {
            fprintf(stderr, "%s bench-render: unknown option '%s'\n", prog, argv[i]);
            return 2;
        }
    }
    if (frames < 20 || tasks < 1 || events < 100) {
        fprintf(stderr, "%s bench-render: at least 20 frames, 1 task and 100 events\n", prog);
        return 2;
    }
    printf("frames %dx%d, software renderer, %d frames each\n", w, h, frames);
    printf("%-28s %9s %6s %9s %9s %9s %9s\n", "trace", "events", "tasks", "open ms", "median ms",
           "p95 ms", "cpu p95");
    int rcode = 0;
    for (size_t i = 0; i < a.nlessons; i++) {
        char tmp[64];
        const char *path;
        if (trace_of(&a, "bench-render", ll[i].slug, "virtual", tmp, sizeof tmp, &path) != 0) {
            rcode = 1;
            continue;
        }
        rcode |= llv_bench_render(&a, path, w, h, 0, 0, frames);
        unlink(tmp);
    }
    rcode |= llv_bench_render(&a, NULL, w, h, tasks, events, frames);
    return rcode;
}
#endif

static int cmd_serve(int argc, char **argv) {
    const char *host = "127.0.0.1";
    long port = 8080;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            printf("usage: %s serve [--host HOST] [--port PORT]\n\n"
                   "Serves Looplab's slow web until Ctrl-C: /example (0.3 s), /python (0.5 s),\n"
                   "/slow (2 s) and /delay/MS?size=N.  Lessons use it when LOOPLAB_WEB is set\n"
                   "to its address (http://HOST:PORT); otherwise they start their own.\n"
                   "Defaults: 127.0.0.1, port 8080 (0: any free port).\n\n"
                   "Built to run for days: HEAD works wherever GET does; a client gets 10 s\n"
                   "to send its headers (then 408) and may sit idle 30 s between requests;\n"
                   "a request body over 64 KiB is refused (413) before it is read; pages are\n"
                   "made per request and freed once sent; no trace is recorded.\n",
                   prog);
            return 0;
        }
        bool has = i + 1 < argc;
        if (strcmp(argv[i], "--host") == 0 && has) {
            host = argv[++i];
        } else if (strcmp(argv[i], "--port") == 0 && has) {
            char *end;
            port = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || port < 0 || port > 65535) {
                fprintf(stderr, "%s serve: --port %s: not a port (0 to 65535)\n", prog, argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "%s serve: unexpected argument '%s' (see %s serve --help)\n", prog,
                    argv[i], prog);
            return 2;
        }
    }
    return ll_slow_web_serve(host, (int)port);
}

int main(int argc, char **argv) {
    /* Closed standard descriptors would be taken by our own pipes and files
     * (and libuv asserts against that): hold them with /dev/null. */
    ll__std_fds_guard();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (is_help(cmd) || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("looplab %s (trace format %d.%d)\n", LL_VERSION_STRING, LL_TRACE_MAJOR,
               LL_TRACE_MINOR);
        return 0;
    }
    if (strcmp(cmd, "list") == 0) {
        if (argc > 2 && is_help(argv[2])) {
            printf("usage: %s list\n\nThe lessons: number, title, one-line summary; then how many\n"
                   "exercises there are ('%s check --list' lists them).\n",
                   prog, prog);
            return 0;
        }
        return cmd_list();
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 2, argv + 2);
    if (strcmp(cmd, "stats") == 0)
        return cmd_stats(argc - 2, argv + 2);
    if (strcmp(cmd, "why") == 0)
        return ll__cmd_why(prog, argc - 2, argv + 2);
    if (strcmp(cmd, "models") == 0)
        return ll__cmd_models(prog, argc - 2, argv + 2);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "compare") == 0)
        return ll_cli_compare(argc - 2, argv + 2);
#ifdef LL_HAVE_GUI
    if (strcmp(cmd, "view") == 0)
        return cmd_view(argc - 2, argv + 2);
    if (strcmp(cmd, "render") == 0)
        return cmd_render(argc - 2, argv + 2);
    if (strcmp(cmd, "bench-render") == 0)
        return cmd_bench_render(argc - 2, argv + 2);
#else
    if (strcmp(cmd, "view") == 0 || strcmp(cmd, "render") == 0 ||
        strcmp(cmd, "bench-render") == 0) {
        fprintf(stderr,
                "%s %s: this build has no visualizer; configure with -Dgui=true (scripts/run "
                "does: it installs SDL2, SDL2_ttf and libpng and builds it)\n",
                prog, cmd);
        return 1;
    }
#endif
    fprintf(stderr, "%s: unknown command '%s' (see %s --help)\n", prog, cmd, prog);
    return 2;
}
