/* app.h - the visualizer's entry points: a window (view), headless frames
 * (render) and the rendering benchmark.  The CLI (src/cli/main.c) calls
 * these; they call back into it to run a lesson or program, so every run
 * goes through the same child-process runner as `looplab run`. */
#ifndef LLV_APP_H
#define LLV_APP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct llv_lesson {
    char slug[128];
    char title[256];
    char summary[512];
} llv_lesson;

/* What the window asks to run: lesson `slug` (its C program, or with
 * `python` its twin lessons/SLUG/lesson.py under the recorder), else
 * `program` (a .py file dropped on the window), else the program given to
 * the CLI; on `clock` ("virtual" / "real"), or with NULL the run's own
 * default, as `looplab run` chooses it (a twin whose meta.txt says `twin:
 * real` runs on the real clock, one that says `python: system` on
 * /usr/bin/python3). */
typedef struct llv_run {
    const char *slug;
    bool python;
    const char *program;
    const char *clock;
    const char *model; /* a wrong model of asyncio to run under (LOOPLAB_MODEL), or NULL */
    /* Called every few tens of milliseconds while the run goes on (NULL:
     * the runner just waits), with the seconds it has taken and the pid of
     * the process running it; nonzero stops the run (llv_run_process). */
    int (*tick)(void *tick_ud, double seconds, int pid);
    void *tick_ud;
} llv_run;

/* Runs argv[0] (a `looplab run` command line) with its standard output, and
 * with `quiet` its standard error too, on /dev/null, and waits for it.  With
 * w->tick it polls instead, and when the tick asks, stops the run: SIGTERM
 * to the command's process group (the command and the program it started),
 * SIGKILL 3 s later.  `looplab run` keeps the trace of a stopped run.
 * Returns the exit status (128+N for signal N), or -1 after saying why on
 * stderr; *stopped says whether the tick stopped it. */
int llv_run_process(char *const argv[], bool quiet, const llv_run *w, bool *stopped);

typedef struct llv_app {
    const char *assets;      /* folder with fonts/ */
    const char *lessons_dir; /* lessons/NN-slug/{lesson.c,lesson.py} */
    const char *program;     /* `view -- PROGRAM`'s program (to find its source), or NULL */
    const llv_lesson *lessons;
    size_t nlessons;
    /* Runs what `w` names and saves its trace to `path`.  Returns 0, or -1
     * after saying why on stderr. */
    int (*run)(void *ud, const struct llv_run *w, const char *path);
    void *ud;
    bool quiz;       /* `view --quiz`: print predict mode's score per lesson at the end */
    long at;         /* `view --at N`: open at step N (1-based), 0 for the start */
    const char *say; /* `view --say TEXT`: what the status line says there (a failed check) */
} llv_app;

/* Opens the window on a trace file (`trace`), on a run of lesson `slug`, or
 * on a run of the CLI's program (`program`: `view -- PROGRAM`); with none of
 * them, on the lesson picker.  Returns the process exit status. */
int llv_view(const llv_app *a, const char *trace, const char *slug, bool program);

typedef struct llv_render_opts {
    long step; /* event to show (0-based); -1: the last */
    int w, h;
    const char *out;     /* PNG file for one frame */
    const char *all_dir; /* or: a folder for every step, 000000.png ... */
    const char *theme;   /* "dark" (default) or "projector" */
    float zoom;          /* UI scale, 1 by default */
    bool axis_time;      /* timeline x axis: loop time (else event number) */
    bool axis_given;     /* --axis was given (else: time for several loops) */
} llv_render_opts;

/* Renders without a display (SDL's software renderer).  Exit status. */
int llv_render(const llv_app *a, const char *trace, const llv_render_opts *o);

/* Renders frames of a trace and prints the frame-time median and p95.
 * With trace NULL it builds the synthetic trace (tasks, events). */
int llv_bench_render(const llv_app *a, const char *trace, int w, int h, size_t tasks, size_t events,
                     int frames);

/* Writes a 32-bit ARGB8888 pixel buffer as an 8-bit RGB PNG; 0 or -1. */
int llv_png_write(const char *path, const void *pixels, int w, int h, int pitch);

#endif
