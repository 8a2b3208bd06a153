/* app.c - the window, its keys and mouse, headless rendering (see app.h). */
#include "view/app.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trace/export.h"
#include "view/session.h"
#include "view/ui.h"

/* ---- running ---------------------------------------------------------------- */

int llv_run_process(char *const argv[], bool quiet, const llv_run *w, bool *stopped) {
    *stopped = false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (quiet)
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    /* A process group of its own, so that stopping it reaches the program
     * too, even one that `looplab run` had no time to hand the signal to. */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    pid_t pid;
    extern char **environ;
    int err = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (err) {
        fprintf(stderr, "looplab: cannot start %s: %s\n", argv[0], strerror(err));
        return -1;
    }
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double killed_at = -1;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, w && w->tick ? WNOHANG : 0);
        if (r == pid)
            break;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "looplab: waiting for %s: %s\n", argv[0], strerror(errno));
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        double s = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        if (!*stopped && w->tick(w->tick_ud, s, (int)pid)) {
            *stopped = true;
            killed_at = s;
            kill(-pid, SIGTERM);
        } else if (*stopped && killed_at >= 0 && s - killed_at > 3) {
            kill(-pid, SIGKILL); /* it did not stop: the trace it left is what there is */
            killed_at = -1;
        }
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- loading ---------------------------------------------------------------- */

typedef llv_doc doc;

static bool file_exists(const char *p) {
    return access(p, R_OK) == 0;
}

/* The lesson the trace came from: the one asked for, the trace's @lesson
 * (`looplab run`), or a lesson program run by itself (@program
 * "lesson-17-fetching-pages") when that lesson is known.  NULL otherwise. */
static const char *doc_lesson(const llv_app *a, const doc *d) {
    if (d->slug[0])
        return d->slug;
    if (d->m.trace.meta.lesson)
        return d->m.trace.meta.lesson;
    const char *prog = d->m.trace.meta.program;
    if (prog && strncmp(prog, "lesson-", 7) == 0)
        for (size_t i = 0; i < a->nlessons; i++)
            if (strcmp(a->lessons[i].slug, prog + 7) == 0)
                return a->lessons[i].slug;
    return NULL;
}

/* Looks for `rel` beside the file `dir` names and up to `levels` - 1
 * folders above it; c gets the first path that exists, or "". */
static void find_relative(char *c, size_t len, char *dir, const char *rel, int levels) {
    c[0] = '\0';
    for (int k = 0; k < levels; k++) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            return;
        *slash = '\0';
        snprintf(c, len, "%.500s/%.500s", dir[0] ? dir : "", rel);
        if (file_exists(c))
            return;
        c[0] = '\0';
    }
}

/* Whether the trace was recorded from a Python program (python/looplab_trace):
 * its first call site is in a .py file. */
static bool python_trace(const doc *d) {
    if (d->m.trace.meta.language && strcmp(d->m.trace.meta.language, "python") == 0)
        return true;
    for (size_t i = 0; i < d->m.n && i < 64; i++) {
        const ll_trace_event *e = llv_event(&d->m, i);
        const ll__site *s = e->site ? ll__rec_sitep(&d->m.trace.rec, e->site) : NULL;
        if (s && s->file) {
            size_t n = strlen(s->file);
            return n > 3 && strcmp(s->file + n - 3, ".py") == 0;
        }
    }
    return false;
}

/* Finds the C source and Python twin for what the trace came from.  A
 * lesson's Python run shows the program that ran, lesson.py, as its source
 * (its lines are the ones the trace names); it has no twin to pair. */
static void find_sources(const llv_app *a, doc *d, const char *trace_path) {
    char c[1024] = "", py[1024] = "";
    const char *lesson = doc_lesson(a, d);
    if (lesson && a->lessons_dir) {
        bool python = python_trace(d);
        snprintf(c, sizeof c, "%s/%s/lesson.%s", a->lessons_dir, lesson, python ? "py" : "c");
        if (!python)
            snprintf(py, sizeof py, "%s/%s/lesson.py", a->lessons_dir, lesson);
    }
    const char *ran = d->m.trace.meta.source; /* the Python recorder names it */
    if (!file_exists(c) && ran && python_trace(d) && file_exists(ran))
        snprintf(c, sizeof c, "%s", ran);
    if (!file_exists(c)) {
        /* a program: the file of its first task's creation, as compiled */
        c[0] = '\0';
        for (size_t i = 0; i < d->m.n && i < 64; i++) {
            const ll_trace_event *e = llv_event(&d->m, i);
            const ll__site *s = e->site ? ll__rec_sitep(&d->m.trace.rec, e->site) : NULL;
            if (!s || !s->file)
                continue;
            if (file_exists(s->file) || s->file[0] == '/') {
                snprintf(c, sizeof c, "%s", s->file);
            } else {
                /* A relative name is relative to where it was compiled: try
                 * the trace's folder, then the program's folder and the
                 * folders above it (a build folder inside the project). */
                char dir[1024] = "";
                if (trace_path)
                    snprintf(dir, sizeof dir, "%s", trace_path);
                find_relative(c, sizeof c, dir, s->file, 1);
                if (!c[0] && a->program && d->program) {
                    if (!realpath(a->program, dir))
                        snprintf(dir, sizeof dir, "%s", a->program);
                    find_relative(c, sizeof c, dir, s->file, 5);
                }
            }
            break;
        }
    }
    llv_ui_sources(&d->ui, c[0] ? c : NULL, py[0] && file_exists(py) ? py : NULL);
}

/* The line of the source shown that the printed traceback names last
 * (`  File "PATH", line N`, PATH the source), or 0. */
static int traceback_line(const doc *d) {
    const char *src = d->ui.src.path, *base = strrchr(src, '/');
    base = base ? base + 1 : src;
    int found = 0;
    for (size_t k = 0; *base && k < d->m.nprints; k++) {
        const char *t = llv_str(&d->m, llv_event(&d->m, d->m.prints[k])->str);
        char file[512];
        int line;
        if (sscanf(t, " File \"%511[^\"]\", line %d", file, &line) != 2 || line <= 0)
            continue;
        const char *fb = strrchr(file, '/');
        if (strcmp(file, src) == 0 || strcmp(fb ? fb + 1 : file, base) == 0)
            found = line;
    }
    return found;
}

/* The timeline axis lesson `lesson` asks for in its meta.txt: 1 for
 * "axis: time" (where durations are what the lesson is about), 0 for
 * "axis: events", -1 when it says nothing or cannot be read.  A value that
 * is neither is reported with the file and line, and ignored. */
static int lesson_axis(const llv_app *a, const char *lesson) {
    if (!lesson || !a->lessons_dir)
        return -1;
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/%s/meta.txt", a->lessons_dir, lesson);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int axis = -1;
    for (int no = 1; fgets(line, sizeof line, f); no++) {
        if (strncmp(line, "axis:", 5) != 0)
            continue;
        char *v = line + 5;
        v += strspn(v, " \t");
        v[strcspn(v, " \t\r\n")] = '\0';
        if (strcmp(v, "time") == 0 || strcmp(v, "events") == 0)
            axis = strcmp(v, "time") == 0;
        else
            fprintf(stderr, "looplab: %s:%d: axis is 'events' or 'time', not '%s'\n", path, no, v);
    }
    fclose(f);
    return axis;
}

/* Opens a trace file: `slug` is the lesson it is a run of (or NULL), and
 * `program` says it is a run of the CLI's program. */
static int doc_open(const llv_app *a, doc *d, SDL_Renderer *r, const char *path, const char *slug,
                    bool program) {
    ll_trace t;
    char err[512];
    if (ll_trace_load(&t, path, err, sizeof err) != 0) {
        fprintf(stderr, "looplab: cannot read the trace: %s\n", err);
        ll_trace_free(&t);
        return -1;
    }
    doc nd;
    memset(&nd, 0, sizeof nd);
    if (llv_model_build(&nd.m, &t, err, sizeof err) != 0) {
        fprintf(stderr, "looplab: %s: %s\n", path, err);
        return -1;
    }
    snprintf(nd.slug, sizeof nd.slug, "%s", slug ? slug : "");
    nd.program = program;
    snprintf(nd.clock, sizeof nd.clock, "%s",
             nd.m.trace.meta.clock ? nd.m.trace.meta.clock : "virtual");
    /* What the class chose stays when another trace opens (a re-run on the
     * other clock, a lesson from the picker, a dropped file). */
    bool keep = d->open;
    float zoom = d->ui.zoom;
    int theme = d->ui.theme, speed = d->ui.speed;
    if (d->open) {
        llv_ui_free(&d->ui);
        llv_model_free(&d->m);
        d->open = false;
    }
    *d = nd;
    if (llv_ui_init(&d->ui, &d->m, r, a->assets, err, sizeof err) != 0) {
        fprintf(stderr, "looplab: %s\n", err);
        llv_model_free(&d->m);
        return -1;
    }
    if (keep) {
        d->ui.zoom = zoom;
        d->ui.theme = theme;
        d->ui.speed = speed;
    }
    d->ui.m = &d->m; /* the model moved into *d */
    llv_model_seek(&d->m, 0);
    const char *title = NULL, *lesson = doc_lesson(a, d);
    for (size_t i = 0; i < a->nlessons; i++)
        if (lesson && strcmp(a->lessons[i].slug, lesson) == 0)
            title = a->lessons[i].title;
    if (title)
        snprintf(d->ui.title, sizeof d->ui.title, "%.100s  \xE2\x80\x94  %.140s", lesson, title);
    find_sources(a, d, path);
    d->python = python_trace(d);
    /* A Python program that never ran a loop (a syntax error, an import
     * error): it opens on its end, its traceback in the console */
    if (d->python && d->m.niters == 0) {
        llv_ui_seek(&d->ui, d->m.n - 1);
        d->ui.err_line = traceback_line(d);
    }
    /* a lesson's run, in either language, saved or not: O runs the other */
    d->ui.lesson_run = lesson != NULL && a->run;
    /* Several loops run at the same time: only a time axis shows it.  A
     * lesson about durations asks for it in its meta.txt. */
    int axis = lesson_axis(a, lesson);
    if (axis == 1 || (axis < 0 && d->m.nloops > 1)) {
        d->ui.axis_time = true;
        llv_ui_fit_timeline(&d->ui); /* the whole run, in time, not in events */
    }
    d->open = true;
    return 0;
}

static void doc_close(doc *d) {
    if (!d->open)
        return;
    llv_ui_free(&d->ui);
    llv_model_free(&d->m);
    d->open = false;
}

/* Runs what w names (a lesson in one language, a dropped .py, the CLI's
 * program) into a temporary trace and opens it. */
static void picker_draw(const llv_app *a, llv_picker *p, SDL_Renderer *r, int w, int h,
                        const char *assets, bool back);
static bool picker_fonts(llv_picker *p, SDL_Renderer *r, int h, const char *assets);

/* What the window shows while a run it started goes on (it waits for the
 * run: a lesson on the real clock takes as long as its sleeps, lesson 24's
 * million tasks a few seconds): the screen as it was, dimmed, and a box in
 * the middle naming the run. */
static void show_running(llv_session *s, const llv_run *w, double seconds) {
    SDL_Renderer *r = s->r;
    int ww, wh;
    if (SDL_GetRendererOutputSize(r, &ww, &wh) != 0 || ww <= 0 || wh <= 0)
        return;
    if (s->d.open && !s->picking) {
        llv_ui_draw(&s->d.ui, ww, wh);
    } else if (s->picking) {
        picker_draw(s->a, &s->pk, r, ww, wh, s->a->assets, s->d.open);
    } else {
        SDL_SetRenderDrawColor(r, 24, 26, 31, 255);
        SDL_RenderClear(r);
    }
    llv_picker *p = &s->pk;
    if (!picker_fonts(p, r, wh, s->a->assets))
        return;
    char what[400], how[200];
    const char *name = w->slug         ? w->slug
                       : w->program    ? w->program
                       : s->a->program ? s->a->program
                                       : "the program";
    char took[32] = "";
    if (seconds >= 1)
        snprintf(took, sizeof took, "  %.0f s", seconds);
    if (w->slug)
        snprintf(what, sizeof what, "Running lesson %.300s in %s\xE2\x80\xA6%s", name,
                 w->python ? "Python" : "C", took);
    else
        snprintf(what, sizeof what, "Running %.300s\xE2\x80\xA6%s", name, took);
    const char *esc = "Esc stops it: the window then opens what it did up to there";
    if (w->model)
        snprintf(how, sizeof how, "under the wrong model \"%.100s\"", w->model);
    else if (w->clock && strcmp(w->clock, "real") == 0)
        snprintf(how, sizeof how, "%s",
                 "on the real clock: it takes as long as its sleeps and its I/O");
    else
        snprintf(how, sizeof how, "%s",
                 "the window opens its trace when it ends (a long run has a timeout of 120 s)");
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(r, 0, 0, 0, 150);
    SDL_RenderFillRect(r, NULL);
    int px = p->px, tw = llv_text_w(p->bold, what, (size_t)-1),
        hw = llv_text_w(p->sans, how, (size_t)-1), ew = llv_text_w(p->sans, esc, (size_t)-1);
    if (ew > hw)
        hw = ew;
    int bw = (tw > hw ? tw : hw) + 4 * px,
        bh = llv_font_h(p->bold) + 2 * llv_font_h(p->sans) + 2 * px;
    if (bw > ww - 2 * px)
        bw = ww - 2 * px;
    SDL_Rect box = {(ww - bw) / 2, (wh - bh) / 2, bw, bh};
    SDL_SetRenderDrawColor(r, 40, 44, 52, 245);
    SDL_RenderFillRect(r, &box);
    SDL_SetRenderDrawColor(r, 240, 228, 66, 255);
    SDL_RenderDrawRect(r, &box);
    SDL_Color text = {230, 232, 236, 255}, dim = {170, 176, 188, 255};
    int x = box.x + 2 * px, y = box.y + px;
    llv_text_fit(p->bold, x, y, bw - 4 * px, what, (size_t)-1, text);
    llv_text_fit(p->sans, x, y + llv_font_h(p->bold), bw - 4 * px, how, (size_t)-1, dim);
    llv_text_fit(p->sans, x, y + llv_font_h(p->bold) + llv_font_h(p->sans), bw - 4 * px, esc,
                 (size_t)-1, dim);
    SDL_RenderPresent(r);
}

/* The window while a run goes on: its events are read (the window manager
 * sees a window that answers), Esc or closing the window stops the run, and
 * the notice is drawn again with the seconds so far. */
typedef struct run_wait {
    llv_session *s;
    const llv_run *w;
    double drawn; /* when the notice was last drawn */
    bool stop;    /* Esc, or the window closed */
} run_wait;

static int running_tick(void *ud, double seconds, int pid) {
    run_wait *rw = ud;
    (void)pid;
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) { /* other input is dropped: it was meant for the old screen */
        if (ev.type == SDL_QUIT) {
            rw->s->quit = true;
            rw->stop = true;
        } else if (ev.type == SDL_KEYDOWN && ev.key.keysym.sym == SDLK_ESCAPE) {
            rw->stop = true;
        } else if (ev.type == SDL_DROPFILE) {
            SDL_free(ev.drop.file);
        }
    }
    if (seconds - rw->drawn >= 0.25) {
        show_running(rw->s, rw->w, seconds);
        rw->drawn = seconds;
    }
    return rw->stop;
}

static int run_and_open(llv_session *s, doc *d, const llv_run *w) {
    const llv_app *a = s->a;
    SDL_Renderer *r = s->r;
    char path[] = "/tmp/looplab-view-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "looplab: cannot make a temporary file: %s\n", strerror(errno));
        return -1;
    }
    close(fd);
    llv_run wt = *w;
    run_wait rw = {.s = s, .w = &wt};
    wt.tick = running_tick;
    wt.tick_ud = &rw;
    if (a->run)
        show_running(s, w, 0);
    int rc = a->run ? a->run(a->ud, &wt, path) : -1;
    if (rc == 0)
        rc = doc_open(a, d, r, path, w->slug, !w->slug && !w->program);
    if (rc == 0 && w->clock)
        snprintf(d->clock, sizeof d->clock, "%s", w->clock);
    if (rc == 0 && rw.stop) { /* where it was when it was stopped: its end */
        llv_ui_seek(&d->ui, d->m.n - 1);
        snprintf(d->ui.status, sizeof d->ui.status, "%s",
                 "stopped with Esc: its trace up to that moment, at its end (Home: the start)");
        d->ui.status_until = SDL_GetTicks() + 8000;
    }

    unlink(path);
    return rc;
}

/* ---- stepping --------------------------------------------------------------- */

static void status(llv_ui *ui, const char *fmt, const char *arg) {
    char a[200];
    size_t n = strlen(arg) < sizeof a - 1 ? strlen(arg) : sizeof a - 1;
    memcpy(a, arg, n);
    a[n] = '\0';
    snprintf(ui->status, sizeof ui->status, fmt, a);
    ui->status_until = SDL_GetTicks() + 4000;
}

static size_t next_in(const uint32_t *a, size_t n, size_t cur) {
    size_t k = llv_lower(a, n, cur + 1);
    return k < n ? a[k] : SIZE_MAX;
}

static size_t prev_in(const uint32_t *a, size_t n, size_t cur) {
    size_t k = llv_lower(a, n, cur);
    return k ? a[k - 1] : SIZE_MAX;
}

/* Next printed line or note after cur. */
static size_t next_story(const llv_model *m, size_t cur) {
    size_t p = next_in(m->prints, m->nprints, cur), q = next_in(m->notes, m->nnotes, cur);
    return p < q ? p : q;
}

static size_t prev_story(const llv_model *m, size_t cur) {
    size_t p = prev_in(m->prints, m->nprints, cur), q = prev_in(m->notes, m->nnotes, cur);
    if (p == SIZE_MAX)
        return q;
    if (q == SIZE_MAX)
        return p;
    return p > q ? p : q;
}

/* Whether event i is worth a question in predict mode: a print, or a task
 * switch when more than one task could have been chosen (two tasks or more
 * in the ready queue just before it).  A lone ready task is no question. */
static bool worth_asking(llv_model *m, size_t i) {
    const ll_trace_event *e = llv_event(m, i);
    if (e->kind == LL_EV_PRINT)
        return true;
    if (e->kind != LL_EV_TASK_RUN || e->aux == 0 || i == 0)
        return false; /* aux: entries left behind it in the queue */
    llv_model_seek(m, i - 1);
    const llv_state *s = &m->cur;
    for (size_t k = 0; k < s->nready; k++)
        if (!s->ready[k].is_cb && s->ready[k].task != s->ready[0].task)
            return true;
    return false;
}

/* Moves forward to `to`, unless predict mode wants to ask first. */
static void forward(llv_ui *ui, size_t to) {
    llv_model *m = ui->m;
    if (to >= m->n)
        to = m->n - 1;
    if (ui->predict) {
        size_t q = SIZE_MAX;
        for (size_t i = ui->cursor + 1; i <= to && i < m->n; i++) {
            if ((ui->predict_done == SIZE_MAX || i > ui->predict_done) && worth_asking(m, i)) {
                q = i;
                break;
            }
        }
        llv_model_seek(m, ui->cursor); /* worth_asking moved the model */
        if (q != SIZE_MAX) {
            if (ui->predict_at != q || ui->predict_shown) {
                ui->predict_at = q; /* ask */
                ui->predict_shown = false;
                ui->playing = false;
                ui->picked = -1;
                ui->nchoice = ui->quiz ? llv_quiz_choices(ui->quiz, m, q, ui->choice) : 0;
                llv_ui_seek(ui, q - 1);
            } else {
                ui->predict_shown = true; /* reveal */
                ui->predict_done = q;
                llv_ui_seek(ui, q);
            }
            return;
        }
    }
    llv_ui_seek(ui, to);
}

static void back(llv_ui *ui, size_t to) {
    if (to == SIZE_MAX)
        return;
    ui->predict_at = SIZE_MAX;
    ui->predict_done = to ? to - 1 : SIZE_MAX;
    llv_ui_seek(ui, to);
}

static const double speeds[] = {0.5, 1, 2, 4, 8, 16, 32, 64, 128, 512};
#define NSPEEDS (sizeof speeds / sizeof speeds[0])

/* ---- saving ---------------------------------------------------------------- */

static int save_frame(SDL_Renderer *r, int w, int h, const char *path) {
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s)
        return -1;
    int rc = SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch);
    if (rc == 0)
        rc = llv_png_write(path, s->pixels, w, h, s->pitch);
    SDL_FreeSurface(s);
    return rc;
}

static void export_trace(doc *d) {
    char base[200], path[260];
    snprintf(base, sizeof base, "looplab-%s",
             d->m.trace.meta.lesson    ? d->m.trace.meta.lesson
             : d->m.trace.meta.program ? d->m.trace.meta.program
                                       : "trace");
    snprintf(path, sizeof path, "%s.trace", base);
    FILE *f = fopen(path, "w");
    int ok = f && ll_trace_write_parsed(f, &d->m.trace) == 0;
    if (f && fclose(f) != 0)
        ok = 0;
    snprintf(path, sizeof path, "%s.json", base);
    f = ok ? fopen(path, "w") : NULL;
    ok = f && ll_trace_export_chrome(f, &d->m.trace) == 0;
    if (f && fclose(f) != 0)
        ok = 0;
    char msg[300];
    snprintf(msg, sizeof msg, "%.140s.trace and %.140s.json", base, base);
    status(&d->ui, ok ? "exported %s (open the .json in ui.perfetto.dev)" : "export failed: %s",
           ok ? msg : strerror(errno));
}

/* ---- the lesson picker ------------------------------------------------------ */

/* The picker's fonts at the size a window h pixels high wants (opened again
 * when that changes); false when one cannot be opened. */
static bool picker_fonts(llv_picker *p, SDL_Renderer *r, int h, const char *assets) {
    int px = h / 40 < 12 ? 12 : h / 40;
    if (px != p->px) {
        char path[1024];
        llv_font_close(p->title);
        llv_font_close(p->sans);
        llv_font_close(p->bold);
        snprintf(path, sizeof path, "%s/fonts/DejaVuSans-Bold.ttf", assets);
        p->title = llv_font_open(r, path, px * 3 / 2);
        p->bold = llv_font_open(r, path, px);
        snprintf(path, sizeof path, "%s/fonts/DejaVuSans.ttf", assets);
        p->sans = llv_font_open(r, path, px);
        p->px = px;
    }
    return p->title && p->sans && p->bold;
}

/* Draws the picker; `back` says Esc returns to an open trace. */
static void picker_draw(const llv_app *a, llv_picker *p, SDL_Renderer *r, int w, int h,
                        const char *assets, bool back) {
    bool fonts = picker_fonts(p, r, h, assets);
    int px = p->px;
    SDL_SetRenderDrawColor(r, 24, 26, 31, 255);
    SDL_RenderClear(r);
    if (!fonts)
        return;
    SDL_Color text = {230, 232, 236, 255}, dim = {150, 156, 168, 255}, acc = {240, 228, 66, 255};
    int x = px * 2, y = px;
    llv_text(p->title, x, y, "Looplab \xE2\x80\x94 choose a lesson", (size_t)-1, text);
    y += llv_font_h(p->title) + px / 2;
    llv_text_fit(p->sans, x, y, w - 3 * px,
                 back ? "\xE2\x86\x91 \xE2\x86\x93 or the wheel to choose, Enter or a click to "
                        "run it and watch, Esc to go back"
                      : "\xE2\x86\x91 \xE2\x86\x93 or the wheel to choose, Enter or a click to "
                        "run it and watch, Esc to quit",
                 (size_t)-1, dim);
    y += llv_font_h(p->sans);
    char lang[160];
    snprintf(lang, sizeof lang,
             "Tab or \xE2\x86\x90 \xE2\x86\x92: run it in C or in Python (now: %s); in the "
             "window, O switches",
             p->python ? "Python, the twin lesson.py under asyncio" : "C");
    llv_text_fit(p->bold, x, y, w - 3 * px, lang, (size_t)-1, acc);
    y += px * 2;
    int rowh = llv_font_h(p->sans) * 2 + px / 2;
    size_t rows = (size_t)((h - y) / rowh);
    if (rows < 1)
        rows = 1;
    p->top = y;
    p->rowh = rowh;
    p->rows = rows;
    if (p->sel < p->first)
        p->first = p->sel;
    if (p->sel >= p->first + rows)
        p->first = p->sel - rows + 1;
    /* each row ends in its two runs, C and Python, the chosen one lit */
    int cw = llv_text_w(p->bold, "C", 1), pw = llv_text_w(p->bold, "Python", 6);
    p->lang_x = w - 2 * px - (cw + pw + 2 * px);
    p->py_x = p->lang_x + cw + px;
    for (size_t i = p->first; i < a->nlessons && i < p->first + rows; i++) {
        if (i == p->sel) {
            SDL_SetRenderDrawColor(r, 70, 64, 20, 255);
            SDL_Rect q = {x - px / 2, y - 2, w - 3 * px, rowh - 4};
            SDL_RenderFillRect(r, &q);
            SDL_SetRenderDrawColor(r, acc.r, acc.g, acc.b, 255);
            SDL_Rect u = {p->python ? p->py_x - px / 4 : p->lang_x - px / 4, y - 1,
                          (p->python ? pw : cw) + px / 2, llv_font_h(p->bold) + 2};
            SDL_RenderDrawRect(r, &u);
        }
        bool sel = i == p->sel;
        llv_text(p->bold, p->lang_x, y, "C", 1, sel && !p->python ? acc : dim);
        llv_text(p->bold, p->py_x, y, "Python", 6, sel && p->python ? acc : dim);
        llv_text_fit(p->bold, x, y, p->lang_x - x - px, a->lessons[i].title, (size_t)-1,
                     i == p->sel ? acc : text);
        llv_text_fit(p->sans, x + px, y + llv_font_h(p->sans), w - 5 * px, a->lessons[i].summary,
                     (size_t)-1, dim);
        y += rowh;
    }
}

/* ---- input ------------------------------------------------------------------- */

/* Runs the picker's lesson and shows it; the picker stays if that fails. */
static void picker_choose(llv_session *s) {
    if (!s->a->nlessons)
        return;
    /* a twin on its own default clock (twin: real), C on the virtual one */
    llv_run w = {.slug = s->a->lessons[s->pk.sel].slug,
                 .python = s->pk.python,
                 .clock = s->pk.python ? NULL : "virtual"};
    doc_close(&s->alt);
    if (run_and_open(s, &s->d, &w) == 0)
        s->picking = false;
}

static void picker_move(llv_session *s, long by) {
    long n = (long)s->a->nlessons, sel = (long)s->pk.sel + by;
    s->pk.sel = (size_t)(sel >= n ? n - 1 : sel < 0 ? 0 : sel);
}

static void picker_key(llv_session *s, SDL_Keycode k) {
    switch (k) {
    case SDLK_ESCAPE:
        if (s->d.open)
            s->picking = false; /* back to what was open */
        else
            s->quit = true;
        break;
    case SDLK_q: s->quit = true; break;
    case SDLK_DOWN:
    case SDLK_PAGEDOWN: picker_move(s, 1); break;
    case SDLK_UP:
    case SDLK_PAGEUP: picker_move(s, -1); break;
    case SDLK_HOME: s->pk.sel = 0; break;
    case SDLK_END: picker_move(s, (long)s->a->nlessons); break;
    case SDLK_RETURN:
    case SDLK_KP_ENTER: picker_choose(s); break;
    case SDLK_TAB:
    case SDLK_LEFT:
    case SDLK_RIGHT: s->pk.python = !s->pk.python; break; /* the language */
    default: break;
    }
}

/* Opens the picker on the lesson being shown, if it is one. */
static void picker_show(llv_session *s) {
    const char *lesson = s->d.open ? doc_lesson(s->a, &s->d) : NULL;
    for (size_t i = 0; lesson && i < s->a->nlessons; i++)
        if (strcmp(s->a->lessons[i].slug, lesson) == 0)
            s->pk.sel = i;
    if (s->d.open)
        s->pk.python = s->d.python;
    s->picking = true;
}

/* The digits of "go to step N" (after G). */
static void typing_key(llv_ui *ui, SDL_Keycode k) {
    size_t n = strlen(ui->input);
    if (k >= SDLK_0 && k <= SDLK_9 && n + 1 < sizeof ui->input) {
        ui->input[n] = (char)('0' + (k - SDLK_0));
        ui->input[n + 1] = '\0';
    } else if (k >= SDLK_KP_1 && k <= SDLK_KP_0 && n + 1 < sizeof ui->input) {
        ui->input[n] = k == SDLK_KP_0 ? '0' : (char)('1' + (k - SDLK_KP_1));
        ui->input[n + 1] = '\0';
    } else if (k == SDLK_BACKSPACE && n) {
        ui->input[n - 1] = '\0';
    } else if (k == SDLK_RETURN || k == SDLK_KP_ENTER) {
        ui->typing = false;
        long step = atol(ui->input);
        if (step >= 1 && (size_t)step <= ui->m->n) {
            back(ui, (size_t)step - 1);
        } else if (n) {
            char msg[64];
            snprintf(msg, sizeof msg, "%zu", ui->m->n);
            status(ui, "there is no such step: the steps go from 1 to %s", msg);
        }
    } else if (k == SDLK_ESCAPE) {
        ui->typing = false;
    }
}

static const llv_quiz *quiz_prepare(llv_session *s);

/* C: the same lesson (or program) again on the other clock, at the same step. */
static void rerun_other_clock(llv_session *s) {
    llv_doc *d = &s->d;
    const char *other = strcmp(d->clock, "real") == 0 ? "virtual" : "real";
    char slug[128];
    snprintf(slug, sizeof slug, "%s", d->slug);
    if (!slug[0] && !d->program) {
        status(&d->ui, "%s", "a saved trace cannot be re-run; open a lesson instead");
        return;
    }
    /* the same step; the end stays the end (the other clock's run may
     * have a different number of events: polls that wait, or do not) */
    size_t keep = d->ui.cursor;
    bool at_end = keep + 1 >= d->m.n;
    /* The timeline stays on its axis, showing the same part of the run
     * (as a share of the whole: the other clock's times differ). */
    bool axis = d->ui.axis_time, predict = d->ui.predict;
    double whole = axis ? (double)d->m.t_end : (double)d->m.n;
    double f0 = whole > 0 ? d->ui.tl_x0 / whole : 0, f1 = whole > 0 ? d->ui.tl_x1 / whole : 1;
    llv_run w = {.slug = slug[0] ? slug : NULL, .python = d->python, .clock = other};
    doc_close(&s->alt); /* a run in the other language is on the old clock */
    if (run_and_open(s, d, &w) == 0) {
        d->ui.axis_time = axis;
        whole = axis ? (double)d->m.t_end : (double)d->m.n;
        llv_ui_fit_timeline(&d->ui);
        if (whole > 0 && f1 > f0) {
            d->ui.tl_x0 = f0 * whole;
            d->ui.tl_x1 = f1 * whole;
        }
        llv_ui_seek(&d->ui, at_end ? d->m.n - 1 : keep);
        d->ui.predict = predict; /* asking from here on, as before */
        d->ui.predict_done = d->ui.cursor;
        d->ui.quiz = predict ? quiz_prepare(s) : NULL; /* the same lesson's choices */
        status(&d->ui, "re-ran on the %s clock: same order, different times", other);
    } else {
        status(&d->ui, "could not re-run it on the %s clock (see the terminal)", other);
    }
}

/* Swaps the open doc and the kept one (a doc holds a pointer to its own
 * model). */
static void swap_docs(llv_session *s) {
    llv_doc t = s->d;
    s->d = s->alt;
    s->alt = t;
    s->d.ui.m = &s->d.m;
    s->alt.ui.m = &s->alt.m;
}

/* O: the same lesson in the other language, C or Python, at the step that
 * corresponds to the one on screen (llv_corresponding_step): run it the
 * first time, keep both after. */
static void switch_language(llv_session *s) {
    llv_doc *d = &s->d;
    const char *lesson = doc_lesson(s->a, d);
    if (!lesson || !s->a->run) {
        status(&d->ui, "%s",
               "only a lesson has a C and a Python run to switch between (L: the lessons)");
        return;
    }
    char slug[128];
    snprintf(slug, sizeof slug, "%s", lesson);
    bool to_py = !d->python;
    const char *kept = s->alt.open ? doc_lesson(s->a, &s->alt) : NULL;
    bool have = kept && s->alt.python == to_py && strcmp(kept, slug) == 0;
    if (!have) {
        doc_close(&s->alt);
        /* the twin on its own default clock unless this run is on the real one */
        llv_run w = {.slug = slug,
                     .python = to_py,
                     .clock = !to_py || strcmp(d->clock, "real") == 0 ? d->clock : NULL};
        if (run_and_open(s, &s->alt, &w) != 0) {
            status(&d->ui, "could not run the %s (see the terminal)",
                   to_py ? "Python twin, lesson.py" : "C lesson");
            return;
        }
    }
    swap_docs(s); /* s->alt is now the run that was on screen */
    d = &s->d;
    d->ui.zoom = s->alt.ui.zoom;
    d->ui.theme = s->alt.ui.theme;
    d->ui.speed = s->alt.ui.speed;
    d->ui.playing = false;
    bool past = false;
    size_t to = llv_corresponding_step(&s->alt.m, s->alt.ui.cursor, &d->m, &past);
    llv_ui_seek(&d->ui, to);
    d->ui.predict_done = d->ui.cursor;
    char msg[200];
    if (past)
        snprintf(msg, sizeof msg,
                 "the %s run takes fewer task steps than the other went through: at its end",
                 to_py ? "Python" : "C");
    else
        snprintf(msg, sizeof msg, "%s", "at the corresponding task step (O goes back)");
    snprintf(d->ui.status, sizeof d->ui.status, "%s run of the lesson: %s",
             to_py ? "the Python" : "the C", msg);
    d->ui.status_until = SDL_GetTicks() + 6000;
}

static void screenshot(llv_session *s) {
    llv_ui *ui = &s->d.ui;
    char path[300];
    snprintf(path, sizeof path, "looplab-%s-step%zu.png",
             s->d.m.trace.meta.lesson ? s->d.m.trace.meta.lesson : "trace", ui->cursor + 1);
    int w, h;
    SDL_GetRendererOutputSize(s->r, &w, &h);
    llv_ui_draw(ui, w, h);
    if (save_frame(s->r, w, h, path) == 0)
        status(ui, "saved %s", path);
    else
        status(ui, "could not save the screenshot: %s", SDL_GetError());
}

/* ---- predict mode's choices and score, "why now?" ---------------------------- */

/* The thread that runs a lesson's C program under each wrong model of
 * asyncio (through the window's runner, as `looplab run --model`) into
 * s->pending, for predict mode's choices. */
static int quiz_thread(void *ud) {
    llv_session *s = ud;
    /* SDL starts its threads with every signal blocked, and a child
     * inherits its parent thread's mask: `looplab run` would never hear of
     * its own child's exit (SIGCHLD).  The runs get what the program has. */
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    for (int k = LL_MODEL_ASYNCIO + 1; k < LL_MODEL__COUNT; k++) {
        char path[] = "/tmp/looplab-model-XXXXXX", err[256];
        int fd = mkstemp(path);
        if (fd < 0)
            break;
        close(fd);
        llv_run w = {
            .slug = s->pending.lesson, .clock = "virtual", .model = ll_model_name((unsigned)k)};
        if (s->a->run(s->a->ud, &w, path) == 0 &&
            llv_quiz_add(&s->pending, k, path, err, sizeof err) != 0)
            fprintf(stderr, "looplab: the %s model's run of %s: %s\n", w.model, w.slug, err);
        unlink(path);
    }
    SDL_AtomicSet(&s->pending_done, 1);
    return 0;
}

/* Takes over the models' runs once the thread is done (each frame asks). */
static void quiz_collect(llv_session *s) {
    if (!s->quiz_thread || !SDL_AtomicGet(&s->pending_done))
        return;
    SDL_WaitThread(s->quiz_thread, NULL);
    s->quiz_thread = NULL;
    llv_quiz_free(&s->quiz);
    s->quiz = s->pending; /* the runs' memory moves over */
    memset(&s->pending, 0, sizeof s->pending);
    const char *lesson = s->d.open ? doc_lesson(s->a, &s->d) : NULL;
    if (s->d.ui.predict && s->quiz.nruns && lesson && strcmp(lesson, s->quiz.lesson) == 0)
        s->d.ui.quiz = &s->quiz;
}

/* The models' runs of the lesson on screen, or NULL while they are being
 * made (started here the first time) or when it is not a lesson.  A
 * lesson's Python run uses the C lesson's runs: they print the same lines. */
static const llv_quiz *quiz_prepare(llv_session *s) {
    const char *lesson = doc_lesson(s->a, &s->d);
    if (!lesson || !s->a->run)
        return NULL;
    if (strcmp(s->quiz.lesson, lesson) == 0)
        return s->quiz.nruns ? &s->quiz : NULL;
    if (s->quiz_thread) /* one at a time: the lesson it makes may be this one */
        return NULL;
    memset(&s->pending, 0, sizeof s->pending);
    snprintf(s->pending.lesson, sizeof s->pending.lesson, "%s", lesson);
    SDL_AtomicSet(&s->pending_done, 0);
    s->quiz_thread = SDL_CreateThread(quiz_thread, "looplab-models", s);
    if (!s->quiz_thread)
        fprintf(stderr, "looplab: cannot start a thread for the models' runs: %s\n",
                SDL_GetError());
    return NULL;
}

/* This lesson's row of the score table (made on first use), or NULL. */
static int *score_of(llv_session *s, bool right) {
    const char *lesson = doc_lesson(s->a, &s->d);
    size_t i = 0;
    for (; lesson && i < s->nscores; i++)
        if (strcmp(s->scores[i].slug, lesson) == 0)
            break;
    if (!lesson || i == sizeof s->scores / sizeof s->scores[0])
        return NULL;
    if (i == s->nscores) {
        snprintf(s->scores[i].slug, sizeof s->scores[i].slug, "%s", lesson);
        s->nscores++;
    }
    return right ? &s->scores[i].right : &s->scores[i].asked;
}

static void score_show(llv_session *s) {
    int *r = score_of(s, true), *a = score_of(s, false);
    if (r && a && *a)
        snprintf(s->d.ui.score, sizeof s->d.ui.score, "score %d/%d   ", *r, *a);
    else
        s->d.ui.score[0] = '\0';
}

/* R: predict mode on or off; on, the wrong models' runs are made the
 * first time for this lesson. */
static void predict_toggle(llv_session *s) {
    llv_ui *ui = &s->d.ui;
    ui->predict = !ui->predict;
    ui->predict_at = SIZE_MAX;
    ui->predict_done = ui->cursor;
    ui->nchoice = 0;
    if (!ui->predict) {
        status(ui, "%s", "predict mode off");
        return;
    }
    ui->quiz = quiz_prepare(s);
    score_show(s);
    status(ui, "%s",
           ui->quiz         ? "predict mode: before each print and task switch with a choice, "
                              "pick an answer (1-5); the wrong ones are what wrong models of "
                              "asyncio say"
           : s->quiz_thread ? "predict mode: I will ask before each print and task switch; the "
                              "wrong models' answers come in a few seconds"
                            : "predict mode: I will ask before each print, and each task switch "
                              "with a choice");
}

/* Whether a predict question with choices is on screen, not yet answered. */
static bool choosing(const llv_ui *ui) {
    return ui->predict && ui->nchoice >= 2 && ui->picked < 0 && !ui->predict_shown &&
           ui->predict_at != SIZE_MAX && ui->cursor + 1 == ui->predict_at;
}

/* 1-5 or a click: picks choice k of the question on screen and reveals. */
static void predict_pick(llv_session *s, size_t k) {
    llv_ui *ui = &s->d.ui;
    if (!choosing(ui) || k >= ui->nchoice)
        return;
    ui->picked = (int)k;
    bool right = ui->choice[k].model == LL_MODEL_ASYNCIO;
    int *r = score_of(s, true), *a = score_of(s, false);
    if (r && a) {
        *r += right;
        *a += 1;
    }
    score_show(s);
    forward(ui, ui->predict_at); /* the reveal */
}

/* J after a wrong pick: to the step where that model and asyncio part ways. */
static void predict_jump(llv_session *s) {
    llv_ui *ui = &s->d.ui;
    if (ui->picked < 0 || (size_t)ui->picked >= ui->nchoice ||
        ui->choice[ui->picked].model == LL_MODEL_ASYNCIO) {
        status(ui, "%s", "J jumps to where a wrong pick's model parts from asyncio");
        return;
    }
    const llv_choice *c = &ui->choice[ui->picked];
    size_t to = c->part < ui->m->n ? c->part : ui->predict_at;
    ui->predict_done = to;
    ui->predict_at = SIZE_MAX;
    llv_ui_seek(ui, to);
    const ll_trace_event *e = llv_event(ui->m, to);
    char msg[200];
    const char *name = ll_model_name((unsigned)c->model);
    if (e->kind == LL_EV_PRINT && c->theirs[0])
        snprintf(msg, sizeof msg, "asyncio prints \"%.60s\", '%.20s' expects \"%.60s\"",
                 llv_str(ui->m, e->str), name, c->theirs);
    else if (e->kind == LL_EV_PRINT)
        snprintf(msg, sizeof msg, "asyncio prints \"%.60s\", '%.20s' expects nothing more",
                 llv_str(ui->m, e->str), name);
    else
        snprintf(msg, sizeof msg, "asyncio runs %.40s, '%.20s' expects %.60s",
                 llv_task_name(ui->m, llv_task_index(ui->m, e->task)), name, c->text);
    status(ui, "where they part: %s", msg);
    ui->status_until = SDL_GetTicks() + 10000; /* long enough to read aloud */
}

/* W: the chain of causes of the event under the cursor, or away again. */
static void why_toggle(llv_ui *ui) {
    if (ui->why) {
        ui->why = false;
        return;
    }
    ui->why_at = ui->cursor;
    ui->why_n = ll_trace_why(&ui->m->trace, ui->cursor, ui->why_links,
                             sizeof ui->why_links / sizeof ui->why_links[0]);
    ui->why_sel = ui->why_n > 1 ? 1 : 0;
    ui->why = ui->why_n > 0;
    if (!ui->why)
        status(ui, "%s", "no chain of causes for this step");
}

/* The keys of the "why now?" list: up and down choose a link, Enter goes
 * there, Esc or W closes.  Returns whether `k` was one. */
static bool why_key(llv_ui *ui, SDL_Keycode k) {
    if (!ui->why)
        return false;
    switch (k) {
    case SDLK_UP: ui->why_sel = ui->why_sel ? ui->why_sel - 1 : 0; return true;
    case SDLK_DOWN:
        ui->why_sel = ui->why_sel + 1 < ui->why_n ? ui->why_sel + 1 : ui->why_sel;
        return true;
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
        back(ui, ui->why_links[ui->why_sel].event); /* a cause is never later */
        ui->why = false;
        return true;
    case SDLK_ESCAPE:
    case SDLK_w: ui->why = false; return true;
    default: return false;
    }
}

/* The keys that move the cursor (and play).  Returns whether `k` is one. */
static bool doc_key_move(llv_session *s, SDL_Keycode k, Uint16 mod) {
    llv_ui *ui = &s->d.ui;
    const llv_model *m = ui->m;
    bool ctrl = mod & KMOD_CTRL, shift = mod & KMOD_SHIFT;
    size_t c = ui->cursor, to;
    switch (k) {
    case SDLK_RIGHT:
    case SDLK_PAGEDOWN:
    case SDLK_n:
        if (ctrl)
            to = next_in(m->iters, m->niters, c);
        else if (shift)
            to = next_in(m->switches, m->nswitches, c);
        else
            to = c + 1;
        forward(ui, to == SIZE_MAX ? m->n - 1 : to);
        break;
    case SDLK_LEFT:
    case SDLK_PAGEUP:
    case SDLK_b:
        if (ctrl)
            back(ui, prev_in(m->iters, m->niters, c));
        else if (shift)
            back(ui, prev_in(m->switches, m->nswitches, c));
        else if (c)
            back(ui, c - 1);
        break;
    case SDLK_DOWN:
        to = next_story(m, c);
        forward(ui, to == SIZE_MAX ? m->n - 1 : to);
        break;
    case SDLK_UP: back(ui, prev_story(m, c)); break;
    case SDLK_HOME: back(ui, 0); break;
    case SDLK_END: forward(ui, m->n - 1); break;
    case SDLK_g:
        ui->typing = true;
        ui->input[0] = '\0';
        break;
    case SDLK_SPACE:
        ui->playing = !ui->playing;
        if (ui->playing && ui->cursor + 1 >= m->n)
            back(ui, 0);
        s->play_acc = 0;
        break;
    default: return false;
    }
    return true;
}

/* The keys that change what is shown and how: zoom, speed, the axis, the
 * code view, the theme, predict mode, the narrow layout's tabs.  Returns
 * whether `k` is one. */
static bool doc_key_view(llv_session *s, SDL_Keycode k, Uint16 mod) {
    llv_ui *ui = &s->d.ui;
    bool ctrl = mod & KMOD_CTRL, shift = mod & KMOD_SHIFT;
    switch (k) {
    case SDLK_EQUALS:
    case SDLK_PLUS:
    case SDLK_KP_PLUS:
        if (ctrl)
            ui->zoom = ui->zoom * 1.15f > 4 ? 4 : ui->zoom * 1.15f;
        else if ((size_t)ui->speed + 1 < NSPEEDS)
            ui->speed++;
        break;
    case SDLK_MINUS:
    case SDLK_KP_MINUS:
        if (ctrl)
            ui->zoom = ui->zoom / 1.15f < 0.5f ? 0.5f : ui->zoom / 1.15f;
        else if (ui->speed > 0)
            ui->speed--;
        break;
    case SDLK_0:
    case SDLK_KP_0:
        if (ctrl)
            ui->zoom = 1;
        break;
    case SDLK_a:
        ui->axis_time = !ui->axis_time;
        llv_ui_fit_timeline(ui);
        break;
    case SDLK_p:
        llv_ui_next_code_view(ui);
        if ((ui->show_py || ui->pair_fits) && !ui->py.n)
            status(ui, "%s", "this trace has no Python twin to show");
        else if (ui->show_py && !ui->py.map)
            status(ui, "%s",
                   "the Python twin has no pymap.txt beside it, so no line of it "
                   "can be highlighted (scripts/pymap writes one)");
        break;
    case SDLK_t: ui->theme = (ui->theme + 1) % LLV__NTHEMES; break;
    case SDLK_r: predict_toggle(s); break;
    case SDLK_TAB: { /* the narrow layout: the next of its tabbed panes */
        /* with the timeline beside the tabs, they are code, console, log */
        bool beside = ui->tabs.w > 0 && ui->pane[P_TIMELINE].w > 0 &&
                      ui->pane[P_TIMELINE].y == ui->tabs.y; /* not: the timeline is the tab shown */
        int step = shift ? 3 : 1;
        if (beside && ui->tab == 0)
            ui->tab = 1; /* what is shown */
        ui->tab = (ui->tab + step) % 4;
        if (beside && ui->tab == 0)
            ui->tab = (ui->tab + step) % 4;
        break;
    }
    default: return false;
    }
    return true;
}

static void doc_key(llv_session *s, SDL_Keycode k, Uint16 mod) {
    if (why_key(&s->d.ui, k))
        return;
    if (choosing(&s->d.ui) &&
        ((k >= SDLK_1 && k <= SDLK_5) || (k >= SDLK_KP_1 && k <= SDLK_KP_5))) {
        predict_pick(s, k >= SDLK_KP_1 ? (size_t)(k - SDLK_KP_1) : (size_t)(k - SDLK_1));
        return;
    }
    if (doc_key_move(s, k, mod) || doc_key_view(s, k, mod))
        return;
    llv_ui *ui = &s->d.ui;
    bool shift = mod & KMOD_SHIFT;
    switch (k) {
    case SDLK_ESCAPE:
        if (ui->help)
            ui->help = false;
        else
            s->quit = true;
        break;
    case SDLK_q: s->quit = true; break;
    case SDLK_F1: ui->help = !ui->help; break;
    case SDLK_SLASH:
    case SDLK_QUESTION:
        if (shift || k == SDLK_QUESTION)
            ui->help = !ui->help;
        break;
    case SDLK_F11:
        if (s->win) {
            bool fs = SDL_GetWindowFlags(s->win) & SDL_WINDOW_FULLSCREEN_DESKTOP;
            if (SDL_SetWindowFullscreen(s->win, fs ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP) != 0)
                status(ui, "fullscreen: %s", SDL_GetError());
        }
        break;
    case SDLK_s: screenshot(s); break;
    case SDLK_e: export_trace(&s->d); break;
    case SDLK_l:
        if (s->a->nlessons)
            picker_show(s);
        break;
    case SDLK_c: rerun_other_clock(s); break;
    case SDLK_j: predict_jump(s); break;
    case SDLK_w: why_toggle(ui); break;
    case SDLK_o: switch_language(s); break;
    case SDLK_h:
        if (!ui->nruntime) {
            status(ui, "%s", "no runtime tasks to show: every task here is the program's");
            break;
        }
        llv_ui_show_runtime(ui, !ui->show_runtime);
        status(ui, "%s",
               ui->show_runtime ? "asyncio.run's shutdown tasks shown (H hides them)"
                                : "asyncio.run's shutdown tasks hidden (H shows them)");
        break;
    default: break;
    }
}

static void mouse_down(llv_session *s, const SDL_MouseButtonEvent *b) {
    if (b->button != SDL_BUTTON_LEFT)
        return;
    if (s->picking) {
        llv_picker *p = &s->pk;
        if (b->y < p->top || p->rowh <= 0)
            return;
        size_t row = (size_t)((b->y - p->top) / p->rowh);
        if (row < p->rows && p->first + row < s->a->nlessons) {
            p->sel = p->first + row;
            if (p->lang_x > 0 && b->x >= p->lang_x - p->px / 2) /* its C or Python */
                p->python = b->x >= p->py_x - p->px / 2;
            picker_choose(s);
        }
        return;
    }
    SDL_Point pnt = {b->x, b->y};
    llv_ui *ui = &s->d.ui;
    if (s->d.open && ui->why && ui->why_h > 0) { /* a link of "why now?" */
        for (size_t i = 0; i < ui->why_n; i++)
            if (b->y >= ui->why_y[i] && b->y < ui->why_y[i + 1]) {
                ui->why_sel = i;
                why_key(ui, SDLK_RETURN);
                return;
            }
    }
    if (s->d.open && choosing(ui) && ui->choice_h > 0) { /* a choice */
        for (size_t i = 0; i < ui->nchoice; i++)
            if (b->y >= ui->choice_y[i] && b->y < ui->choice_y[i] + ui->choice_h &&
                b->x >= ui->pane[P_WAITING].x &&
                b->x < ui->pane[P_WAITING].x + ui->pane[P_WAITING].w) {
                predict_pick(s, i);
                return;
            }
    }
    if (s->d.open && SDL_PointInRect(&pnt, &ui->tl_lanes)) {
        s->dragging = true;
        s->drag_x = b->x;
        s->drag_moved = 0;
    }
}

static void mouse_up(llv_session *s, const SDL_MouseButtonEvent *b) {
    if (s->dragging && s->drag_moved < 4 && s->d.open) {
        /* a click, not a drag: put the cursor there */
        size_t e = llv_ui_event_at_x(&s->d.ui, b->x);
        if (e > s->d.ui.cursor)
            forward(&s->d.ui, e);
        else
            back(&s->d.ui, e);
    }
    s->dragging = false;
}

static void wheel(llv_session *s, const SDL_MouseWheelEvent *wh) {
    if (s->picking) {
        picker_move(s, -wh->y);
        return;
    }
    llv_ui *ui = &s->d.ui;
    SDL_Point pnt = {ui->mx, ui->my};
    if (!s->d.open || wh->y == 0 || !SDL_PointInRect(&pnt, &ui->pane[P_TIMELINE]))
        return;
    if (SDL_GetModState() & (KMOD_CTRL | KMOD_SHIFT)) {
        long f = (long)ui->tl_first - wh->y * 3;
        ui->tl_first = f < 0 ? 0 : (size_t)f; /* the drawing stops at the last lane */
    } else {
        llv_ui_zoom_timeline(ui, wh->y > 0 ? 0.8 : 1.25, ui->mx);
    }
}

/* A file dropped on the window: a Python program runs under the recorder
 * and opens; anything else is read as a trace. */
static void drop_file(llv_session *s, const char *file) {
    llv_doc *d = &s->d;
    size_t n = strlen(file);
    bool py = n > 3 && strcmp(file + n - 3, ".py") == 0;
    int rc;
    doc_close(&s->alt);
    if (py) {
        llv_run w = {.program = file};
        rc = run_and_open(s, d, &w);
    } else {
        rc = doc_open(s->a, d, s->r, file, NULL, false);
    }
    if (rc == 0)
        s->picking = false;
    else if (d->open)
        status(&d->ui,
               py ? "could not run %s (see the terminal)" : "cannot open %s (see the terminal)",
               file);
}

void llv_session_event(llv_session *s, const SDL_Event *ev) {
    llv_doc *d = &s->d;
    switch (ev->type) {
    case SDL_QUIT: s->quit = true; break;
    case SDL_DROPFILE: drop_file(s, ev->drop.file); break;
    case SDL_KEYDOWN:
        if (s->picking)
            picker_key(s, ev->key.keysym.sym);
        else if (d->open && d->ui.typing)
            typing_key(&d->ui, ev->key.keysym.sym);
        else if (d->open)
            doc_key(s, ev->key.keysym.sym, ev->key.keysym.mod);
        break;
    case SDL_MOUSEMOTION:
        if (d->open) {
            d->ui.mx = ev->motion.x;
            d->ui.my = ev->motion.y;
            if (s->dragging) {
                llv_ui_pan_timeline(&d->ui, ev->motion.x - s->drag_x);
                s->drag_moved += abs(ev->motion.x - s->drag_x);
                s->drag_x = ev->motion.x;
            }
        }
        break;
    case SDL_MOUSEBUTTONDOWN: mouse_down(s, &ev->button); break;
    case SDL_MOUSEBUTTONUP: mouse_up(s, &ev->button); break;
    case SDL_MOUSEWHEEL: wheel(s, &ev->wheel); break;
    default: break;
    }
}

/* ---- the window ------------------------------------------------------------- */

void llv_session_init(llv_session *s, const llv_app *a, SDL_Renderer *r, SDL_Window *win) {
    memset(s, 0, sizeof *s);
    s->a = a;
    s->r = r;
    s->win = win;
}

int llv_session_start(llv_session *s, const char *trace, const char *slug, bool program) {
    if (trace) {
        int rc = doc_open(s->a, &s->d, s->r, trace, slug, false);
        if (rc == 0 && s->a->at > 0) /* `looplab check --view`: the failing step */
            llv_ui_seek(&s->d.ui, (size_t)s->a->at - 1);
        if (rc == 0 && s->a->say) { /* and what fails there, until a key says more */
            snprintf(s->d.ui.status, sizeof s->d.ui.status, "%s", s->a->say);
            s->d.ui.status_until = UINT32_MAX;
        }
        return rc;
    }
    if (slug || program) {
        llv_run w = {.slug = slug, .clock = "virtual"}; /* slug NULL: the program */
        return run_and_open(s, &s->d, &w);
    }
    s->picking = true;
    return 0;
}

void llv_session_frame(llv_session *s, uint32_t now, int w, int h) {
    quiz_collect(s);
    if (s->picking) {
        picker_draw(s->a, &s->pk, s->r, w, h, s->a->assets, s->d.open);
        return;
    }
    if (!s->d.open) {
        SDL_SetRenderDrawColor(s->r, 24, 26, 31, 255);
        SDL_RenderClear(s->r);
        return;
    }
    llv_ui *ui = &s->d.ui;
    if (ui->playing) {
        uint32_t dt = ui->now_ms && now > ui->now_ms ? now - ui->now_ms : 0;
        s->play_acc += speeds[ui->speed] * dt / 1000.0;
        if (s->play_acc >= 1) {
            size_t steps = (size_t)s->play_acc;
            s->play_acc -= (double)steps;
            forward(ui, ui->cursor + steps);
            if (ui->cursor + 1 >= ui->m->n)
                ui->playing = false;
        }
    }
    /* slide cards only at a pace the eye can follow */
    ui->animate = !ui->playing || speeds[ui->speed] <= 4;
    ui->now_ms = now;
    llv_ui_draw(ui, w, h);
}

void llv_session_close(llv_session *s) {
    if (s->quiz_thread) /* its runs end by themselves (a timeout at worst) */
        SDL_WaitThread(s->quiz_thread, NULL);
    llv_quiz_free(&s->pending);
    llv_quiz_free(&s->quiz);
    doc_close(&s->d);
    doc_close(&s->alt);
    llv_font_close(s->pk.title);
    llv_font_close(s->pk.sans);
    llv_font_close(s->pk.bold);
    memset(s, 0, sizeof *s);
}

static bool no_display(void) {
    const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY"),
               *v = getenv("SDL_VIDEODRIVER");
    return !(d && *d) && !(w && *w) && !(v && *v);
}

int llv_view(const llv_app *a, const char *trace, const char *slug, bool program) {
    if (no_display()) {
        fprintf(stderr, "looplab view: no display to open a window on (DISPLAY and WAYLAND_DISPLAY "
                        "are not set); 'looplab render' draws frames to PNG without one\n");
        return 1;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr,
                "looplab view: cannot open a window: %s\n(no display? use 'looplab render' "
                "for PNG frames without one)\n",
                SDL_GetError());
        return 1;
    }
    if (TTF_Init() != 0) {
        fprintf(stderr, "looplab view: SDL_ttf: %s\n", TTF_GetError());
        SDL_Quit();
        return 1;
    }
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "1");
    /* Fitted to the screen: its usable area (without the task bar), less a
     * margin; 1440x900 when the display does not say. */
    int ww = 1440, wh = 900;
    SDL_Rect usable;
    if (SDL_GetDisplayUsableBounds(0, &usable) == 0 && usable.w > 0 && usable.h > 0) {
        ww = usable.w * 95 / 100;
        wh = usable.h * 95 / 100;
    }
    SDL_Window *win = SDL_CreateWindow("Looplab", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                       ww, wh, SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (win && ww >= 1024 && wh >= 700)
        SDL_MaximizeWindow(win); /* the window manager knows the screen best */
    SDL_Renderer *r =
        win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC)
            : NULL;
    if (win && !r)
        r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!r) {
        fprintf(stderr, "looplab view: cannot open a window: %s\n", SDL_GetError());
        if (win)
            SDL_DestroyWindow(win);
        TTF_Quit();
        SDL_Quit();
        return 1;
    }
    SDL_EventState(SDL_DROPFILE, SDL_ENABLE);
    llv_session s;
    llv_session_init(&s, a, r, win);
    int rc = llv_session_start(&s, trace, slug, program) != 0;
    uint32_t last = SDL_GetTicks(); /* the last input: animations run for a while after it */
    while (!rc && !s.quit) {
        SDL_Event ev;
        bool busy = s.d.open && (s.d.ui.playing || SDL_GetTicks() - last < 300);
        int got = busy ? SDL_PollEvent(&ev) : SDL_WaitEventTimeout(&ev, 250);
        for (; got; got = SDL_PollEvent(&ev)) {
            llv_session_event(&s, &ev);
            if (ev.type == SDL_DROPFILE)
                SDL_free(ev.drop.file);
            last = SDL_GetTicks();
        }
        uint32_t now = SDL_GetTicks();
        if (s.d.open && s.d.ui.playing)
            last = now;
        int w, h;
        SDL_GetRendererOutputSize(r, &w, &h);
        llv_session_frame(&s, now, w, h);
        SDL_RenderPresent(r);
    }
    if (a->quiz) /* view --quiz: the score per lesson, for a teacher's handout */
        for (size_t i = 0; i < s.nscores; i++)
            printf("%s: %d of %d right\n", s.scores[i].slug, s.scores[i].right, s.scores[i].asked);
    llv_session_close(&s);
    SDL_DestroyRenderer(r);
    SDL_DestroyWindow(win);
    TTF_Quit();
    SDL_Quit();
    return rc;
}

/* ---- headless ---------------------------------------------------------------- */

typedef struct offscreen {
    SDL_Surface *s;
    SDL_Renderer *r;
} offscreen;

static int off_open(offscreen *o, int w, int h) {
    o->s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    o->r = o->s ? SDL_CreateSoftwareRenderer(o->s) : NULL;
    if (!o->r) {
        fprintf(stderr, "looplab: cannot make a %dx%d software renderer: %s\n", w, h,
                SDL_GetError());
        if (o->s)
            SDL_FreeSurface(o->s);
        return -1;
    }
    return 0;
}

static void off_close(offscreen *o) {
    SDL_DestroyRenderer(o->r);
    SDL_FreeSurface(o->s);
}

int llv_render(const llv_app *a, const char *trace, const llv_render_opts *o) {
    if (TTF_Init() != 0) {
        fprintf(stderr, "looplab render: SDL_ttf: %s\n", TTF_GetError());
        return 1;
    }
    offscreen off;
    if (off_open(&off, o->w, o->h) != 0) {
        TTF_Quit();
        return 1;
    }
    doc d;
    memset(&d, 0, sizeof d);
    int rc = 0;
    if (doc_open(a, &d, off.r, trace, NULL, false) != 0)
        rc = 1;
    if (!rc) {
        d.ui.theme =
            o->theme && strcmp(o->theme, "projector") == 0 ? LLV_THEME_PROJECTOR : LLV_THEME_DARK;
        d.ui.zoom = o->zoom > 0 ? o->zoom : 1;
        if (o->axis_given) /* else the lesson's (doc_open) */
            d.ui.axis_time = o->axis_time;
        llv_ui_fit_timeline(&d.ui);
        if (o->all_dir) {
            if (mkdir(o->all_dir, 0777) != 0 && errno != EEXIST) {
                fprintf(stderr, "looplab render: cannot make %s: %s\n", o->all_dir,
                        strerror(errno));
                rc = 1;
            }
            for (size_t i = 0; !rc && i < d.m.n; i++) {
                llv_ui_seek(&d.ui, i);
                llv_ui_draw(&d.ui, o->w, o->h);
                char path[1200];
                snprintf(path, sizeof path, "%s/%06zu.png", o->all_dir, i + 1);
                if (llv_png_write(path, off.s->pixels, o->w, o->h, off.s->pitch) != 0) {
                    fprintf(stderr, "looplab render: cannot write %s: %s\n", path, strerror(errno));
                    rc = 1;
                }
            }
            if (!rc)
                printf("%zu frames in %s/\n", d.m.n, o->all_dir);
        } else {
            long step = o->step < 0 ? (long)d.m.n - 1 : o->step;
            if ((size_t)step >= d.m.n) {
                fprintf(stderr,
                        "looplab render: --step %ld is past the end: the trace has %zu "
                        "events (steps 1..%zu)\n",
                        step + 1, d.m.n, d.m.n);
                rc = 2;
            } else {
                llv_ui_seek(&d.ui, (size_t)step);
                llv_ui_draw(&d.ui, o->w, o->h);
                if (llv_png_write(o->out, off.s->pixels, o->w, o->h, off.s->pitch) != 0) {
                    fprintf(stderr, "looplab render: cannot write %s: %s\n", o->out,
                            strerror(errno));
                    rc = 1;
                }
            }
        }
    }
    doc_close(&d);
    off_close(&off);
    TTF_Quit();
    return rc;
}

/* ---- benchmark ----------------------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The CPU time this thread has used: on a machine other programs share,
 * what a frame costs, where the wall clock also counts the waits for a
 * core. */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A synthetic trace: `tasks` tasks that sleep in turns until there are
 * about `events` events. */
static char *synthetic(size_t tasks, size_t events, size_t *len) {
    size_t cap = events * 96 + tasks * 200 + 4096;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t n = 0, nev = 0;
#define W(...) (n += (size_t)snprintf(s + n, cap - n, __VA_ARGS__), nev++)
    n += (size_t)snprintf(s + n, cap - n,
                          "looplab-trace 1.1\n@program \"synthetic\"\n@clock \"virtual\"\n");
    W("   0.000000000  -  loop_start clock=\"virtual\"\n");
    for (size_t k = 1; k <= tasks; k++) {
        W("   0.000000000  %zu:t%zu  task_new name=\"t%zu\" coro=\"worker\"\n", k, k, k);
        W("   0.000000000  %zu:t%zu  ready reason=created pos=%zu\n", k, k, k - 1);
    }
    size_t round = 0;
    int64_t t = 0;
    while (nev + 4 * tasks + 8 < events) {
        W("%4lld.%09lld  -  iter n=%zu ready=%zu\n", (long long)(t / 1000000000),
          (long long)(t % 1000000000), round + 1, tasks);
        for (size_t k = 1; k <= tasks; k++) {
            W("%4lld.%09lld  %zu:t%zu  run behind=%zu\n", (long long)(t / 1000000000),
              (long long)(t % 1000000000), k, k, tasks - k);
            W("%4lld.%09lld  %zu:t%zu  wait on=sleep obj=%zu until=%lld.%09lld\n",
              (long long)(t / 1000000000), (long long)(t % 1000000000), k, k, k,
              (long long)((t + 1000000) / 1000000000), (long long)((t + 1000000) % 1000000000));
        }
        t += 1000000;
        W("%4lld.%09lld  -  poll timeout=0.001000000 jumped=1\n", (long long)(t / 1000000000),
          (long long)(t % 1000000000));
        for (size_t k = 1; k <= tasks; k++)
            W("%4lld.%09lld  %zu:t%zu  ready reason=sleep_done pos=%zu obj=%zu\n",
              (long long)(t / 1000000000), (long long)(t % 1000000000), k, k, k - 1, k);
        round++;
    }
    n += (size_t)snprintf(s + n, cap - n, "@end events=%zu\n", nev);
#undef W
    *len = n;
    return s;
}

int llv_bench_render(const llv_app *a, const char *trace, int w, int h, size_t tasks, size_t events,
                     int frames) {
    if (TTF_Init() != 0)
        return 1;
    offscreen off;
    if (off_open(&off, w, h) != 0)
        return 1;
    char tmp[] = "/tmp/looplab-bench-XXXXXX";
    const char *path = trace;
    if (!trace) {
        size_t len;
        char *text = synthetic(tasks, events, &len);
        int fd = mkstemp(tmp);
        if (!text || fd < 0 || write(fd, text, len) != (ssize_t)len) {
            fprintf(stderr, "looplab bench-render: cannot write the synthetic trace\n");
            free(text);
            return 1;
        }
        close(fd);
        free(text);
        path = tmp;
    }
    doc d;
    memset(&d, 0, sizeof d);
    double t0 = now_s();
    int rc = doc_open(a, &d, off.r, path, NULL, false);
    double open_s = now_s() - t0;
    if (!trace)
        unlink(tmp);
    if (rc != 0)
        return 1;
    double *ft = malloc((size_t)frames * sizeof *ft), *ct = malloc((size_t)frames * sizeof *ct);
    if (!ft || !ct) {
        free(ft);
        free(ct);
        doc_close(&d);
        off_close(&off);
        TTF_Quit();
        return 1;
    }
    llv_ui_draw(&d.ui, w, h); /* warm the glyph cache */
    for (int f = 0; f < frames; f++) {
        /* walk the cursor through the trace, zooming and panning */
        size_t step = (size_t)((double)f / frames * (double)(d.m.n - 1));
        double t1 = now_s(), c1 = cpu_s();
        llv_ui_seek(&d.ui, step);
        if (f % 20 == 10)
            llv_ui_zoom_timeline(&d.ui, 0.5, d.ui.tl_lanes.x + d.ui.tl_lanes.w / 2);
        else if (f % 20 == 0)
            llv_ui_fit_timeline(&d.ui);
        else
            llv_ui_pan_timeline(&d.ui, -7);
        llv_ui_draw(&d.ui, w, h);
        ft[f] = now_s() - t1;
        ct[f] = cpu_s() - c1;
    }
    qsort(ft, (size_t)frames, sizeof *ft, cmp_d);
    qsort(ct, (size_t)frames, sizeof *ct, cmp_d);
    printf("%-28s %9zu %6zu %9.1f %9.2f %9.2f %9.2f\n",
           d.m.trace.meta.lesson    ? d.m.trace.meta.lesson
           : d.m.trace.meta.program ? d.m.trace.meta.program
                                    : "?",
           d.m.n, d.m.ntasks, open_s * 1e3, ft[frames / 2] * 1e3, ft[(size_t)(frames * 0.95)] * 1e3,
           ct[(size_t)(frames * 0.95)] * 1e3);
    free(ft);
    free(ct);
    doc_close(&d);
    off_close(&off);
    TTF_Quit();
    return 0;
}
