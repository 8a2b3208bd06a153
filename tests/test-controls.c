/* test-controls.c - every control of the window, on every lesson.
 *
 * The window's state and input handling (view/session.h) are driven here
 * with the same SDL events a keyboard, a mouse and a file manager send, on a
 * real SDL window of the "dummy" video driver (so F11 has a window to make
 * fullscreen) with a software renderer.  Lessons are run the way the window
 * runs them: `looplab run SLUG --clock C --trace PATH`.  Each test states
 * what a control must have done: where the cursor went, what is on screen,
 * which file was written.
 *
 * Built only with -Dgui=true. */
#include <SDL.h>
#include <SDL_ttf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness-view.h"
#include "view/session.h"

enum { W = 1280, H = 800 };

static lesson_slug slugs[128];
static int nslugs;
static llv_lesson lessons[128];

/* The window's runner, as the CLI's: `looplab run`, its output silenced.
 * A failing run still leaves a trace worth watching. */
static int run_lesson(void *ud, const llv_run *w, const char *path) {
    (void)ud;
    char cmd[2048], clock[40] = "";
    if (w->clock) /* else the run's own default, as the window leaves it */
        snprintf(clock, sizeof clock, "--clock %s", w->clock);
    if (w->slug && w->python) /* the lesson's twin, under the recorder */
        snprintf(cmd, sizeof cmd,
                 "'%s' run %s --trace '%s' --timeout 120 '%s/lessons/%s/lesson.py' "
                 ">/dev/null 2>&1",
                 LL_CLI, clock, path, LL_SOURCE_ROOT, w->slug);
    else if (w->slug)
        snprintf(cmd, sizeof cmd, "'%s' run '%s' %s --trace '%s' --timeout 120 >/dev/null", LL_CLI,
                 w->slug, clock, path);
    else if (w->program) /* a .py dropped on the window */
        snprintf(cmd, sizeof cmd, "'%s' run %s --trace '%s' --timeout 120 '%s' >/dev/null 2>&1",
                 LL_CLI, clock, path, w->program);
    else /* `view -- PROGRAM`: the program that goes wrong on purpose; it aborts
          * (its SIGSEGV would be caught by UBSan's halt_on_error, which
          * exits without the signal that saves the trace) */
        snprintf(cmd, sizeof cmd,
                 "'%s' run %s --trace '%s' --timeout 120 -- '%s' abort >/dev/null 2>&1", LL_CLI,
                 clock, path, LL_BROKEN);
    if (w->model) { /* predict mode's wrong models: `looplab run LESSON --model NAME` */
        size_t n = strlen(cmd);
        snprintf(cmd + n, sizeof cmd - n, " --model %s", w->model);
    }
    int st;
    free(read_command(cmd, &st));
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > 0 ? 0 : -1;
}

/* Whether the program `looplab run` (pid) started spins: 30 clock ticks of
 * CPU spent. */
static bool program_spins(int pid) {
    char path[64], buf[64] = "", st[1024];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool got = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    if (!got || atoi(buf) <= 0)
        return false;
    snprintf(path, sizeof path, "/proc/%d/stat", atoi(buf));
    f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(st, 1, sizeof st - 1, f);
    fclose(f);
    st[n] = '\0';
    const char *p = strrchr(st, ')');
    unsigned long ut = 0, sy = 0;
    return p &&
           sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &sy) == 2 &&
           ut + sy >= 30;
}

/* The window's tick, with an Esc key queued once the program spins (as a
 * person would press it, watching a run that does not end). */
typedef struct esc_probe {
    int (*tick)(void *ud, double seconds, int pid);
    void *ud;
    bool pushed;
} esc_probe;

static int esc_when_spinning(void *ud, double seconds, int pid) {
    esc_probe *p = ud;
    if (!p->pushed && program_spins(pid)) {
        SDL_Event e;
        memset(&e, 0, sizeof e);
        e.type = SDL_KEYDOWN;
        e.key.keysym.sym = SDLK_ESCAPE;
        SDL_PushEvent(&e);
        p->pushed = true;
    }
    return p->tick(p->ud, seconds, pid);
}

static int stopped_rc; /* what run_hang's run of `looplab run` exited with */

/* The window's runner for a program that never ends (`broken hang`),
 * through the same llv_run_process as the CLI's runner. */
static int run_hang(void *ud, const llv_run *w, const char *path) {
    (void)ud;
    char *argv[] = {(char *)LL_CLI,      (char *)"run", (char *)"--trace", (char *)path,
                    (char *)"--timeout", (char *)"120", (char *)"--",      (char *)LL_BROKEN,
                    (char *)"hang",      NULL};
    esc_probe p = {w->tick, w->tick_ud, false};
    llv_run pw = *w;
    pw.tick = esc_when_spinning;
    pw.tick_ud = &p;
    bool stopped;
    stopped_rc = llv_run_process(argv, true, &pw, &stopped);
    ck_assert_msg(stopped && p.pushed, "the run was not stopped");
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > 0 ? 0 : -1;
}

typedef struct fixture {
    llv_app app;
    SDL_Window *win;
    SDL_Renderer *r;
    llv_session s;
    uint32_t t;   /* the frame clock (ms), advanced by hand */
    char dir[64]; /* the working directory: S and E write here */
    char cwd[1024];
} fixture;

static void fixture_open(fixture *f) {
    memset(f, 0, sizeof *f);
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    ck_assert_msg(SDL_Init(SDL_INIT_VIDEO) == 0, "%s", SDL_GetError());
    ck_assert_int_eq(TTF_Init(), 0);
    f->win = SDL_CreateWindow("Looplab test", 0, 0, W, H, SDL_WINDOW_RESIZABLE);
    ck_assert_msg(f->win != NULL, "%s", SDL_GetError());
    f->r = SDL_CreateRenderer(f->win, -1, SDL_RENDERER_SOFTWARE);
    ck_assert_msg(f->r != NULL, "%s", SDL_GetError());
    f->app.assets = LL_SOURCE_ROOT "/assets";
    f->app.lessons_dir = LL_SOURCE_ROOT "/lessons";
    f->app.lessons = lessons;
    f->app.nlessons = (size_t)nslugs;
    f->app.run = run_lesson;
    llv_session_init(&f->s, &f->app, f->r, f->win);
    f->t = 1000;
    ck_assert_ptr_nonnull(getcwd(f->cwd, sizeof f->cwd));
    snprintf(f->dir, sizeof f->dir, "/tmp/looplab-controls-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    ck_assert_int_eq(chdir(f->dir), 0);
}

static void fixture_close(fixture *f) {
    llv_session_close(&f->s);
    SDL_DestroyRenderer(f->r);
    SDL_DestroyWindow(f->win);
    TTF_Quit();
    SDL_Quit();
    ck_assert_int_eq(chdir(f->cwd), 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int st;
    free(read_command(cmd, &st));
}

/* One frame, `ms` after the last. */
static void frame(fixture *f, uint32_t ms) {
    f->t += ms;
    int w, h;
    SDL_GetRendererOutputSize(f->r, &w, &h);
    llv_session_frame(&f->s, f->t, w, h);
}

static void key(fixture *f, SDL_Keycode k, Uint16 mod) {
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = k;
    e.key.keysym.mod = mod;
    llv_session_event(&f->s, &e);
}

static void mouse(fixture *f, Uint32 type, int x, int y) {
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    if (type == SDL_MOUSEMOTION) {
        e.motion.x = x;
        e.motion.y = y;
    } else {
        e.button.button = SDL_BUTTON_LEFT;
        e.button.x = x;
        e.button.y = y;
    }
    llv_session_event(&f->s, &e);
}

static void wheel(fixture *f, int y, SDL_Keymod mod) {
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_MOUSEWHEEL;
    e.wheel.y = y;
    SDL_SetModState(mod);
    llv_session_event(&f->s, &e);
    SDL_SetModState(KMOD_NONE);
}

static void click(fixture *f, int x, int y) {
    mouse(f, SDL_MOUSEMOTION, x, y);
    mouse(f, SDL_MOUSEBUTTONDOWN, x, y);
    mouse(f, SDL_MOUSEBUTTONUP, x, y);
}

static void type_step(fixture *f, size_t step) {
    char digits[32];
    snprintf(digits, sizeof digits, "%zu", step);
    key(f, SDLK_g, 0);
    for (const char *p = digits; *p; p++)
        key(f, SDLK_0 + (*p - '0'), 0);
    key(f, SDLK_RETURN, 0);
}

/* Every string the last screen_of() frame drew, one per line. */
static char screen[1 << 17];
static size_t screen_n;

static void on_text(const SDL_Rect *box, const char *str, size_t len, void *ud) {
    (void)box;
    (void)ud;
    if (screen_n + len + 2 < sizeof screen) {
        memcpy(screen + screen_n, str, len);
        screen_n += len;
        screen[screen_n++] = '\n';
        screen[screen_n] = '\0';
    }
}

/* From now on, every string drawn goes into screen[] (until the hook is
 * set back to NULL): what the window says while a run goes on. */
static void capture_text(void) {
    screen_n = 0;
    screen[0] = '\0';
    llv_text_hook = on_text;
}

/* Draws a frame and returns what it said. */
static const char *screen_of(fixture *f) {
    screen_n = 0;
    screen[0] = '\0';
    llv_text_hook = on_text;
    frame(f, 16);
    llv_text_hook = NULL;
    return screen;
}

#define ck_assert_on_screen(f, text)                                                               \
    do {                                                                                           \
        const char *scr_ = screen_of(f);                                                           \
        ck_assert_msg(strstr(scr_, (text)) != NULL, "'%s' is not on screen:\n%.3000s", (text),     \
                      scr_);                                                                       \
    } while (0)

#define CUR (f->s.d.ui.cursor)

/* The first event after `from` that is one of the kinds asked for, or
 * SIZE_MAX. */
static size_t next_kind(const llv_model *m, size_t from, unsigned k1, unsigned k2) {
    for (size_t i = from + 1; i < m->n; i++) {
        unsigned k = llv_event(m, i)->kind;
        if (k == k1 || k == k2)
            return i;
    }
    return SIZE_MAX;
}

static size_t first_after(const uint32_t *a, size_t n, size_t cur) {
    for (size_t k = 0; k < n; k++)
        if (a[k] > cur)
            return a[k];
    return SIZE_MAX;
}

/* Steps: one event, a task switch, a loop iteration, a printed line or
 * note, the ends, and "go to step N". */
static void check_stepping(fixture *f, const char *slug) {
    const llv_model *m = &f->s.d.m;
    size_t n = m->n;
    ck_assert_uint_gt(n, 10);
    key(f, SDLK_RIGHT, 0);
    ck_assert_uint_eq(CUR, 1);
    key(f, SDLK_n, 0);
    key(f, SDLK_PAGEDOWN, 0); /* a presenter's remote */
    ck_assert_uint_eq(CUR, 3);
    key(f, SDLK_LEFT, 0);
    key(f, SDLK_b, 0);
    ck_assert_uint_eq(CUR, 1);
    key(f, SDLK_PAGEUP, 0);
    key(f, SDLK_LEFT, 0); /* at the start: stays */
    ck_assert_uint_eq(CUR, 0);
    size_t sw = first_after(m->switches, m->nswitches, 0);
    key(f, SDLK_RIGHT, KMOD_LSHIFT);
    ck_assert_msg(CUR == (sw == SIZE_MAX ? n - 1 : sw), "%s: Shift+Right went to %zu, not %zu",
                  slug, CUR, sw);
    ck_assert_uint_gt(m->nswitches, 0);
    size_t sw2 = first_after(m->switches, m->nswitches, CUR);
    if (sw2 != SIZE_MAX) {
        key(f, SDLK_RIGHT, KMOD_RSHIFT);
        ck_assert_uint_eq(CUR, sw2);
        key(f, SDLK_LEFT, KMOD_LSHIFT);
        ck_assert_uint_eq(CUR, sw);
    }
    key(f, SDLK_HOME, 0);
    size_t it = first_after(m->iters, m->niters, 0);
    key(f, SDLK_RIGHT, KMOD_LCTRL);
    ck_assert_msg(CUR == (it == SIZE_MAX ? n - 1 : it), "%s: Ctrl+Right went to %zu, not %zu", slug,
                  CUR, it);
    ck_assert_uint_eq(llv_event(m, CUR)->kind, LL_EV_ITER);
    size_t it2 = first_after(m->iters, m->niters, CUR);
    if (it2 != SIZE_MAX) {
        key(f, SDLK_RIGHT, KMOD_LCTRL);
        ck_assert_uint_eq(CUR, it2);
        key(f, SDLK_LEFT, KMOD_RCTRL);
        ck_assert_uint_eq(CUR, it);
    }
    key(f, SDLK_HOME, 0);
    ck_assert_uint_eq(CUR, 0);
    /* every lesson prints: Down lands on a printed line or a note */
    size_t story = next_kind(m, 0, LL_EV_PRINT, LL_EV_NOTE);
    ck_assert_msg(story != SIZE_MAX, "%s prints nothing", slug);
    key(f, SDLK_DOWN, 0);
    ck_assert_msg(CUR == story, "%s: Down went to %zu, not the first print or note at %zu", slug,
                  CUR, story);
    size_t story2 = next_kind(m, story, LL_EV_PRINT, LL_EV_NOTE);
    if (story2 != SIZE_MAX) {
        key(f, SDLK_DOWN, 0);
        ck_assert_uint_eq(CUR, story2);
        key(f, SDLK_UP, 0);
        ck_assert_uint_eq(CUR, story);
    }
    key(f, SDLK_END, 0);
    ck_assert_uint_eq(CUR, n - 1);
    key(f, SDLK_RIGHT, 0); /* at the end: stays */
    ck_assert_uint_eq(CUR, n - 1);
    type_step(f, n / 2);
    ck_assert_msg(CUR == n / 2 - 1, "%s: G %zu Enter went to step %zu", slug, n / 2, CUR + 1);
    ck_assert(!f->s.d.ui.typing);
    type_step(f, n + 5); /* no such step: stays, and says so */
    ck_assert_uint_eq(CUR, n / 2 - 1);
    ck_assert_msg(strstr(f->s.d.ui.status, "no such step") != NULL, "%s", f->s.d.ui.status);
    key(f, SDLK_g, 0);
    key(f, SDLK_KP_1, 0);
    key(f, SDLK_2, 0);
    ck_assert_on_screen(f, "go to step: 12_");
    key(f, SDLK_BACKSPACE, 0);
    ck_assert_on_screen(f, "go to step: 1_");
    key(f, SDLK_ESCAPE, 0); /* cancels the typing, does not quit */
    ck_assert(!f->s.d.ui.typing && !f->s.quit);
    ck_assert_uint_eq(CUR, n / 2 - 1);
}

/* The rule predict mode asks by, restated: a print, or a task switch with
 * two tasks or more in the ready queue just before it. */
static bool asks_about(llv_model *m, size_t i) {
    const ll_trace_event *e = llv_event(m, i);
    if (e->kind == LL_EV_PRINT)
        return true;
    if (e->kind != LL_EV_TASK_RUN || i == 0)
        return false;
    llv_model_seek(m, i - 1);
    size_t tasks = 0;
    uint32_t first = UINT32_MAX;
    for (size_t k = 0; k < m->cur.nready; k++)
        if (!m->cur.ready[k].is_cb && m->cur.ready[k].task != first) {
            if (first == UINT32_MAX)
                first = m->cur.ready[k].task;
            tasks++;
        }
    return tasks >= 2;
}

static size_t next_question(llv_model *m, size_t from) {
    for (size_t i = from + 1; i < m->n; i++)
        if (asks_about(m, i))
            return i;
    return SIZE_MAX;
}

/* Space plays at the chosen speed (+ and - change it) and stops at the end;
 * predict mode (R) stops before a switch or a print and then reveals it. */
static void check_playing(fixture *f) {
    llv_ui *ui = &f->s.d.ui;
    const llv_model *m = &f->s.d.m;
    key(f, SDLK_HOME, 0);
    frame(f, 16);
    int speed = ui->speed;
    key(f, SDLK_SPACE, 0);
    ck_assert(ui->playing);
    frame(f, 1000); /* speed 3: 4 events a second */
    ck_assert_uint_eq(CUR, 4);
    key(f, SDLK_PLUS, 0);
    ck_assert_int_eq(ui->speed, speed + 1);
    frame(f, 500);
    ck_assert_uint_eq(CUR, 8);
    key(f, SDLK_SPACE, 0);
    ck_assert(!ui->playing);
    frame(f, 1000);
    ck_assert_uint_eq(CUR, 8);
    key(f, SDLK_MINUS, 0);
    key(f, SDLK_KP_MINUS, 0);
    ck_assert_int_eq(ui->speed, speed - 1);
    for (int i = 0; i < 20; i++)
        key(f, SDLK_KP_PLUS, 0);
    key(f, SDLK_SPACE, 0);
    for (int i = 0; i < 1000 && ui->playing; i++)
        frame(f, 1000);
    ck_assert_uint_eq(CUR, m->n - 1);
    ck_assert(!ui->playing); /* it stops at the end */
    key(f, SDLK_SPACE, 0);   /* and starts again from the top */
    ck_assert(ui->playing);
    ck_assert_uint_eq(CUR, 0);
    key(f, SDLK_SPACE, 0);
    ui->speed = speed;
    /* predict */
    key(f, SDLK_r, 0);
    ck_assert(ui->predict);
    size_t q = next_question(f->s.d.ui.m, 0);
    llv_model_seek(f->s.d.ui.m, CUR);
    ck_assert(q != SIZE_MAX);
    key(f, SDLK_END, 0);
    ck_assert_msg(CUR == q - 1 && ui->predict_at == q && !ui->predict_shown,
                  "predict mode went to %zu asking about %zu, not %zu asking about %zu", CUR,
                  ui->predict_at, q - 1, q);
    bool run = llv_event(m, q)->kind == LL_EV_TASK_RUN;
    ck_assert_on_screen(f,
                        run ? "Predict: which task runs next?" : "Predict: what is printed next?");
    ck_assert_on_screen(f, "press \xE2\x86\x92 to see");
    key(f, SDLK_RIGHT, 0);
    ck_assert_uint_eq(CUR, q);
    ck_assert(ui->predict_shown);
    ck_assert_on_screen(f, "Answer: ");
    size_t q2 = next_question(f->s.d.ui.m, q);
    llv_model_seek(f->s.d.ui.m, CUR);
    key(f, SDLK_SPACE, 0); /* playing stops at the next question too */
    for (int i = 0; i < 100 && ui->playing; i++)
        frame(f, 1000);
    if (q2 != SIZE_MAX) {
        ck_assert_uint_eq(CUR, q2 - 1);
        ck_assert_uint_eq(ui->predict_at, q2);
    }
    key(f, SDLK_r, 0);
    ck_assert(!ui->predict);
    key(f, SDLK_END, 0);
    ck_assert_uint_eq(CUR, m->n - 1);
}

/* Whether a line of the screen is the visible part of event-log row i (its
 * text cut to the pane, or whole). */
static bool shows_row(llv_ui *ui, const char *line, size_t len, size_t i) {
    size_t rl;
    const char *row = ll__tw_format(&ui->fmt, &ui->m->trace.rec, llv_event(ui->m, i), &rl);
    while (rl && *row == ' ') {
        row++;
        rl--;
    }
    return len >= 24 && len <= rl && memcmp(row, line, len) == 0;
}

/* At a predict stop, nothing after the cursor is on screen: no event-log
 * row of a later event (unless an earlier one reads the same), no console
 * line not printed yet, no timeline span or marker past the cursor. */
static void check_hidden(fixture *f, const char *slug) {
    llv_ui *ui = &f->s.d.ui;
    llv_model *m = ui->m;
    size_t cur = CUR, q = ui->predict_at;
    char *scr = strdup(screen_of(f));
    ck_assert_msg(ui->tl_drawn_n > 0, "%s step %zu: the timeline drew nothing", slug, cur + 1);
    ck_assert_msg(ui->tl_drawn_last == SIZE_MAX || ui->tl_drawn_last <= cur,
                  "%s: asking about event %zu at step %zu, the timeline drew up to event %zu", slug,
                  q, cur, ui->tl_drawn_last);
    for (char *line = scr, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        size_t len = (size_t)(nl - line);
        if (llv_event(m, q)->kind == LL_EV_PRINT) { /* the answer, as a console line */
            const char *text = llv_str(m, llv_event(m, q)->str);
            bool before = false;
            for (size_t k = 0; k < m->nprints && m->prints[k] <= cur; k++)
                before |= strcmp(llv_str(m, llv_event(m, m->prints[k])->str), text) == 0;
            ck_assert_msg(before || len != strlen(text) || memcmp(line, text, len) != 0,
                          "%s step %zu: the console already shows \"%s\"", slug, cur + 1, text);
        }
        for (size_t i = cur + 1; i < m->n && i <= cur + 80; i++) {
            if (!shows_row(ui, line, len, i))
                continue;
            bool past = false;
            for (size_t j = cur > 100 ? cur - 100 : 0; j <= cur && !past; j++)
                past = shows_row(ui, line, len, j);
            ck_assert_msg(past, "%s step %zu: the event log shows event %zu: %.*s", slug, cur + 1,
                          i + 1, (int)len, line);
        }
    }
    free(scr);
    if (llv_event(m, q)->kind == LL_EV_TASK_RUN) {
        ck_assert_msg(asks_about(m, q), "%s: asked which task runs at %zu with no choice", slug,
                      q + 1);
        llv_model_seek(m, cur);
    }
}

/* R, then → to the end: at every question the future is hidden, every
 * question has a choice, and the next key reveals the answer. */
static void check_predict_hides(fixture *f, const char *slug) {
    llv_ui *ui = &f->s.d.ui;
    llv_model *m = ui->m;
    key(f, SDLK_HOME, 0);
    key(f, SDLK_RIGHT, 0);
    frame(f, 16);
    ck_assert_msg(ui->tl_drawn_last > CUR,
                  "%s: out of predict mode the timeline shows the "
                  "whole run (drew up to %zu at step %zu)",
                  slug, ui->tl_drawn_last, CUR);
    key(f, SDLK_HOME, 0);
    key(f, SDLK_r, 0);
    size_t asked = 0, runs = 0;
    for (size_t guard = 0; CUR + 1 < m->n && guard < 3 * m->n; guard++) {
        size_t want = next_question(m, CUR);
        llv_model_seek(m, CUR);
        key(f, SDLK_RIGHT, 0);
        if (ui->predict_shown || ui->predict_at == SIZE_MAX || CUR + 1 != ui->predict_at) {
            ck_assert_msg(CUR < want, "%s: predict mode went on to %zu past the question at %zu",
                          slug, CUR, want);
            continue;
        }
        ck_assert_msg(ui->predict_at == want,
                      "%s: predict mode asks about %zu at %zu, not "
                      "about %zu",
                      slug, ui->predict_at, CUR, want);
        check_hidden(f, slug);
        asked++;
        runs += llv_event(m, want)->kind == LL_EV_TASK_RUN;
        key(f, SDLK_RIGHT, 0); /* the answer */
        ck_assert_uint_eq(CUR, want);
        ck_assert(ui->predict_shown);
    }
    ck_assert_uint_eq(CUR, m->n - 1);
    ck_assert_msg(asked > 0, "%s: predict mode asked nothing", slug);
    if (strcmp(slug, "05-three-counters") == 0)
        ck_assert_msg(runs > 0, "lesson 5 has three tasks in the queue: worth a question");
    key(f, SDLK_r, 0);
}

/* Views: the axis, the twin, the theme, the scale, help, fullscreen. */
static void check_views(fixture *f, const char *slug) {
    llv_ui *ui = &f->s.d.ui;
    bool axis = ui->axis_time;
    key(f, SDLK_a, 0);
    ck_assert(ui->axis_time != axis);
    frame(f, 16);
    key(f, SDLK_a, 0);
    ck_assert(ui->axis_time == axis);
    ck_assert_msg(ui->src.n > 10 && ui->py.n > 5,
                  "%s: the window found %zu lines of C and %zu "
                  "of Python",
                  slug, ui->src.n, ui->py.n);
    key(f, SDLK_p, 0);
    ck_assert(ui->show_py);
    frame(f, 16);
    key(f, SDLK_p, 0);
    ck_assert(!ui->show_py);
    key(f, SDLK_t, 0);
    ck_assert_int_eq(ui->theme, LLV_THEME_PROJECTOR);
    frame(f, 16);
    key(f, SDLK_t, 0);
    ck_assert_int_eq(ui->theme, LLV_THEME_DARK);
    key(f, SDLK_EQUALS, KMOD_LCTRL);
    ck_assert_float_gt(ui->zoom, 1.1f);
    frame(f, 16);
    for (int i = 0; i < 30; i++)
        key(f, SDLK_MINUS, KMOD_RCTRL);
    ck_assert_float_eq_tol(ui->zoom, 0.5f, 1e-6f); /* the smallest */
    frame(f, 16);
    key(f, SDLK_0, KMOD_LCTRL);
    ck_assert_float_eq(ui->zoom, 1.0f);
    key(f, SDLK_F1, 0);
    ck_assert(ui->help);
    frame(f, 16);
    key(f, SDLK_ESCAPE, 0); /* closes help, does not quit */
    ck_assert(!ui->help && !f->s.quit);
    key(f, SDLK_SLASH, KMOD_LSHIFT); /* ? */
    ck_assert(ui->help);
    key(f, SDLK_F1, 0);
    ck_assert(!ui->help);
    key(f, SDLK_F11, 0);
    ck_assert_msg(SDL_GetWindowFlags(f->win) & SDL_WINDOW_FULLSCREEN_DESKTOP,
                  "F11 did not make the window fullscreen: %s", ui->status);
    frame(f, 16);
    key(f, SDLK_F11, 0);
    ck_assert(!(SDL_GetWindowFlags(f->win) & SDL_WINDOW_FULLSCREEN_DESKTOP));
}

/* The mouse on the timeline: a click puts the cursor there, the wheel
 * zooms about the pointer, a drag pans, Ctrl+wheel scrolls the lanes. */
static void check_mouse(fixture *f, const char *slug) {
    llv_ui *ui = &f->s.d.ui;
    key(f, SDLK_HOME, 0);
    frame(f, 16);
    SDL_Rect L = ui->tl_lanes;
    ck_assert_int_gt(L.w, 100);
    int x = L.x + L.w * 2 / 3, y = L.y + 2;
    size_t want = llv_ui_event_at_x(ui, x);
    ck_assert_uint_gt(want, 0);
    click(f, x, y);
    ck_assert_msg(CUR == want, "%s: a click on the timeline went to %zu, not %zu", slug, CUR, want);
    click(f, L.x, y);
    ck_assert_uint_eq(CUR, 0);
    /* hovering a lane says what that task was doing then, and from where */
    const llv_model *m = &f->s.d.m;
    mouse(f, SDL_MOUSEMOTION, x, L.y + ui->tl_lane_h / 2);
    const llv_span *sp = llv_span_at(m, 0, llv_ui_event_at_x(ui, x));
    if (sp) {
        char tip[160];
        snprintf(tip, sizeof tip, "%s: %s", llv_task_name(m, 0), llv_state_name(sp->state));
        ck_assert_on_screen(f, tip);
        ck_assert_on_screen(f, " \xE2\x86\x92 ");
    }
    frame(f, 16);
    double span = ui->tl_x1 - ui->tl_x0;
    mouse(f, SDL_MOUSEMOTION, L.x + L.w / 2, y);
    wheel(f, 1, KMOD_NONE);
    ck_assert_msg(ui->tl_x1 - ui->tl_x0 < span * 0.9, "%s: the wheel did not zoom in", slug);
    double x0 = ui->tl_x0;
    size_t cur = CUR;
    mouse(f, SDL_MOUSEBUTTONDOWN, L.x + L.w / 2, y);
    mouse(f, SDL_MOUSEMOTION, L.x + L.w / 2 - 60, y);
    mouse(f, SDL_MOUSEMOTION, L.x + L.w / 2 - 120, y);
    mouse(f, SDL_MOUSEBUTTONUP, L.x + L.w / 2 - 120, y);
    ck_assert_msg(ui->tl_x0 > x0, "%s: dragging left did not pan later in the trace", slug);
    ck_assert_uint_eq(CUR, cur); /* a drag is not a click */
    wheel(f, -1, KMOD_NONE);
    frame(f, 16);
    /* Ctrl+wheel: lanes scroll when they do not all fit */
    size_t nl = (size_t)(ui->tl_lanes.h / ui->tl_lane_h);
    size_t rows = f->s.d.m.ntasks + f->s.d.m.nworkers;
    mouse(f, SDL_MOUSEMOTION, L.x + 10, L.y + 10);
    wheel(f, -1, KMOD_LCTRL);
    frame(f, 16);
    size_t scrolled = rows > nl ? (rows - nl < 3 ? rows - nl : 3) : 0;
    ck_assert_msg(ui->tl_first == scrolled,
                  "%s: Ctrl+wheel shows lanes from %zu, not %zu (%zu "
                  "lanes, %zu fit)",
                  slug, ui->tl_first, scrolled, rows, nl);
    wheel(f, 1, KMOD_LCTRL);
    frame(f, 16);
    ck_assert_uint_eq(ui->tl_first, 0);
}

/* S saves the window as a PNG; E writes the trace as text and Chrome JSON,
 * and the text reads back to the same events. */
static void check_exports(fixture *f, const char *slug) {
    size_t step = CUR + 1;
    key(f, SDLK_s, 0);
    char path[512];
    snprintf(path, sizeof path, "looplab-%s-step%zu.png", slug, step);
    int w, h;
    SDL_GetRendererOutputSize(f->r, &w, &h);
    assert_png(path, w, h);
    ck_assert_msg(strstr(f->s.d.ui.status, "saved looplab-") != NULL, "%s", f->s.d.ui.status);
    key(f, SDLK_e, 0);
    ck_assert_msg(strstr(f->s.d.ui.status, "exported") != NULL, "%s", f->s.d.ui.status);
    snprintf(path, sizeof path, "looplab-%s.trace", slug);
    ll_trace t;
    char err[512];
    ck_assert_msg(ll_trace_load(&t, path, err, sizeof err) == 0, "%s", err);
    llv_model m;
    ck_assert_msg(llv_model_build(&m, &t, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(m.n, f->s.d.m.n);
    llv_model_free(&m);
    snprintf(path, sizeof path, "looplab-%s.json", slug);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "head -c 200 '%s'", path);
    int st;
    char *json = read_command(cmd, &st);
    ck_assert_msg(json[0] == '{' && strstr(json, "traceEvents"), "%s: %.80s", path, json);
    free(json);
}

START_TEST(every_control_does_what_help_says_on_every_lesson) {
    int i = _i;
    if (under_checker() && i != 0 && i != nslugs / 2 && i != nslugs - 1)
        return; /* Valgrind: the first, the middle and the last lesson */
    const char *slug = slugs[i];
    fixture fx, *f = &fx;
    fixture_open(f);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, slug, false), 0);
    ck_assert(f->s.d.open && !f->s.picking);
    ck_assert_str_eq(f->s.d.slug, slug);
    ck_assert_msg(strstr(f->s.d.ui.title, lessons[i].title) != NULL, "title '%s'", f->s.d.ui.title);
    frame(f, 16);
    check_stepping(f, slug);
    check_playing(f);
    check_predict_hides(f, slug);
    check_views(f, slug);
    check_mouse(f, slug);
    check_exports(f, slug);
    /* L: the picker, on this lesson; Esc comes back to it */
    key(f, SDLK_l, 0);
    ck_assert(f->s.picking);
    ck_assert_uint_eq(f->s.pk.sel, (size_t)i);
    frame(f, 16);
    key(f, SDLK_ESCAPE, 0);
    ck_assert(!f->s.picking && !f->s.quit);
    ck_assert_str_eq(f->s.d.slug, slug);
    key(f, SDLK_q, 0);
    ck_assert(f->s.quit);
    fixture_close(f);
}
END_TEST

START_TEST(c_reruns_the_lesson_on_the_other_clock_at_the_same_step) {
    fixture fx, *f = &fx;
    fixture_open(f);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, "01-hello-gather", false), 0);
    ck_assert_str_eq(f->s.d.clock, "virtual");
    key(f, SDLK_t, 0);
    key(f, SDLK_EQUALS, KMOD_LCTRL);
    type_step(f, 9);
    float zoom = f->s.d.ui.zoom;
    key(f, SDLK_c, 0);
    ck_assert_str_eq(f->s.d.clock, "real");
    ck_assert_str_eq(f->s.d.m.trace.meta.clock, "real");
    ck_assert_uint_eq(CUR, 8);
    ck_assert_msg(strstr(f->s.d.ui.status, "same order, different times"), "%s", f->s.d.ui.status);
    /* what the class chose stays */
    ck_assert_int_eq(f->s.d.ui.theme, LLV_THEME_PROJECTOR);
    ck_assert_float_eq(f->s.d.ui.zoom, zoom);
    frame(f, 16);
    key(f, SDLK_c, 0);
    ck_assert_str_eq(f->s.d.clock, "virtual");
    fixture_close(f);
}
END_TEST

/* The window waits for a run it starts; while it does, it says what runs
 * and on which clock (a lesson on the real clock takes seconds). */
START_TEST(a_run_says_what_it_runs_while_the_window_waits) {
    fixture fx, *f = &fx;
    fixture_open(f);
    capture_text(); /* what is drawn while the run goes on */
    ck_assert_int_eq(llv_session_start(&f->s, NULL, "01-hello-gather", false), 0);
    llv_text_hook = NULL;
    ck_assert_msg(strstr(screen, "Running lesson 01-hello-gather in C\xE2\x80\xA6") &&
                      strstr(screen, "opens its trace when it ends"),
                  "while the lesson ran, the window said:\n%s", screen);
    ck_assert(f->s.d.open);
    capture_text();
    key(f, SDLK_c, 0);
    llv_text_hook = NULL;
    ck_assert_str_eq(f->s.d.clock, "real");
    ck_assert_msg(strstr(screen, "Running lesson 01-hello-gather in C") &&
                      strstr(screen, "on the real clock"),
                  "while the lesson re-ran, the window said:\n%s", screen);
    /* the trace on screen under the notice: its title is drawn too */
    ck_assert_msg(strstr(screen, "01-hello-gather"), "%s", screen);
    /* from the picker, in Python */
    key(f, SDLK_l, 0);
    ck_assert(f->s.picking);
    key(f, SDLK_TAB, 0);
    ck_assert(f->s.pk.python);
    capture_text();
    key(f, SDLK_RETURN, 0);
    llv_text_hook = NULL;
    ck_assert(!f->s.picking && f->s.d.python);
    ck_assert_msg(strstr(screen, "Running lesson ") && strstr(screen, " in Python") &&
                      strstr(screen, "choose a lesson"),
                  "while the twin ran from the picker, the window said:\n%s", screen);
    /* a frame after the run shows the trace, not the notice */
    ck_assert_msg(strstr(screen_of(f), "Running lesson") == NULL, "%s", screen);
    fixture_close(f);
}
END_TEST

/* A run that does not end: Esc stops it, and the window opens its trace up
 * to that moment, at its end (where the program was). */
START_TEST(esc_stops_a_run_and_opens_what_it_did) {
    fixture fx, *f = &fx;
    fixture_open(f);
    f->app.run = run_hang;
    capture_text();
    ck_assert_int_eq(llv_session_start(&f->s, NULL, NULL, true), 0);
    llv_text_hook = NULL;
    ck_assert_msg(strstr(screen, "Esc stops it"), "while it ran, the window said:\n%s", screen);
    /* looplab run stopped it (SIGTERM to its process group) and kept the trace */
    ck_assert_int_eq(stopped_rc, 128 + SIGTERM);
    ck_assert(f->s.d.open && !f->s.quit);
    ck_assert_msg(strstr(f->s.d.ui.status, "stopped with Esc"), "%s", f->s.d.ui.status);
    llv_model *m = &f->s.d.m;
    ck_assert_uint_eq(CUR, m->n - 1);
    ck_assert_uint_eq(llv_event(m, m->n - 1)->kind, LL_EV_RUN_END);
    bool hung = false; /* its last note before the endless loop */
    for (size_t i = 0; i < m->n; i++)
        hung |= llv_event(m, i)->kind == LL_EV_NOTE &&
                strcmp(llv_str(m, llv_event(m, i)->str), "about to hang") == 0;
    ck_assert_msg(hung, "the trace does not reach the step that hangs");
    fixture_close(f);
}
END_TEST

/* A lesson about durations opens on the time axis (its meta.txt says
 * "axis: time"); the others on event numbers. */
START_TEST(a_lessons_meta_chooses_the_timeline_axis_and_c_keeps_it) {
    fixture fx, *f = &fx;
    fixture_open(f);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, "01-hello-gather", false), 0);
    ck_assert(!f->s.d.ui.axis_time);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, "03-sequential-vs-concurrent", false), 0);
    ck_assert_msg(f->s.d.ui.axis_time, "lesson 3 is about 3 s against 2 s: it opens on time");
    ck_assert_double_eq(f->s.d.ui.tl_x0, 0);
    ck_assert_double_ge(f->s.d.ui.tl_x1, (double)f->s.d.m.t_end);
    frame(f, 16);
    /* the class switches to events, zooms into the first half, and re-runs
     * on the real clock: the axis, the zoom, the step and the mode stay */
    key(f, SDLK_a, 0);
    ck_assert(!f->s.d.ui.axis_time);
    f->s.d.ui.tl_x1 = (double)f->s.d.m.n / 2;
    type_step(f, 20);
    key(f, SDLK_r, 0);
    double share = f->s.d.ui.tl_x1 / (double)f->s.d.m.n;
    key(f, SDLK_c, 0);
    ck_assert_str_eq(f->s.d.clock, "real");
    ck_assert(!f->s.d.ui.axis_time);
    ck_assert(f->s.d.ui.predict);
    ck_assert_uint_eq(CUR, 19);
    ck_assert_double_eq_tol(f->s.d.ui.tl_x1 / (double)f->s.d.m.n, share, 1e-9);
    key(f, SDLK_a, 0); /* and back on time, on the other clock */
    key(f, SDLK_c, 0);
    ck_assert_str_eq(f->s.d.clock, "virtual");
    ck_assert(f->s.d.ui.axis_time);
    fixture_close(f);
}
END_TEST

/* A meta.txt axis line that is neither is named with its file and line,
 * and the lesson opens on the default axis. */
START_TEST(a_bad_axis_line_is_reported_with_its_place) {
    fixture fx, *f = &fx;
    fixture_open(f);
    char dir[1200], path[1300];
    snprintf(dir, sizeof dir, "%s/lessons/01-hello-gather", f->dir);
    int st;
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    free(read_command(cmd, &st));
    snprintf(path, sizeof path, "%s/meta.txt", dir);
    FILE *m = fopen(path, "w");
    ck_assert_ptr_nonnull(m);
    fputs("title: Hello\naxis: sideways\n", m);
    fclose(m);
    snprintf(dir, sizeof dir, "%s/lessons", f->dir);
    f->app.lessons_dir = dir;
    capture cap;
    capture_begin(&cap, 2);
    int rc = llv_session_start(&f->s, NULL, "01-hello-gather", false);
    char *err = capture_end(&cap);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(err, "01-hello-gather/meta.txt:2: axis is 'events' or 'time', not "
                              "'sideways'") != NULL,
                  "stderr: %s", err);
    free(err);
    ck_assert(!f->s.d.ui.axis_time);
    fixture_close(f);
}
END_TEST

/* "lanes 1-9 of 10" is said below the lanes, never over a task's bar, at
 * the size and scale a projector in a small room gets. */
static SDL_Rect lanes_box;

static void find_lanes(const SDL_Rect *box, const char *str, size_t len, void *ud) {
    (void)ud;
    if (len > 6 && memcmp(str, "lanes ", 6) == 0)
        lanes_box = *box;
}

START_TEST(the_lane_count_is_not_drawn_over_a_lane) {
    fixture fx, *f = &fx;
    fixture_open(f);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, "20-taskgroup", false), 0);
    key(f, SDLK_t, 0);
    f->s.d.ui.zoom = 1.3f;
    type_step(f, 121);
    lanes_box = (SDL_Rect){0, 0, 0, 0};
    llv_text_hook = find_lanes;
    frame(f, 16);
    llv_text_hook = NULL;
    const SDL_Rect *L = &f->s.d.ui.tl_lanes;
    ck_assert_msg(lanes_box.w > 0, "the lane count is not drawn (%zu lanes, %d px for them)",
                  f->s.d.m.ntasks, L->h);
    ck_assert_msg(!SDL_HasIntersection(&lanes_box, L),
                  "the lane count at (%d,%d %dx%d) is drawn "
                  "over the lanes (%d,%d %dx%d)",
                  lanes_box.x, lanes_box.y, lanes_box.w, lanes_box.h, L->x, L->y, L->w, L->h);
    fixture_close(f);
}
END_TEST

/* The one pane of code, console and log the tabs show (or timeline, when
 * it is a tab too): its index in tabbed[], -1 when none or several. */
static const int tabbed[4] = {P_TIMELINE, P_CODE, P_CONSOLE, P_LOG};

static int shown_tab(const llv_ui *ui, int from) {
    int shown = -1;
    for (int k = from; k < 4; k++)
        if (ui->pane[tabbed[k]].w > 0) {
            if (shown >= 0)
                return -1;
            shown = k;
        }
    return shown;
}

/* F1 says: "Tab  Shift+Tab  next / previous tabbed pane (a small
 * window)", the whole of it on screen.  In a window too small for the right column, Tab shows
 * the next tabbed pane and Shift+Tab the one before, round and round, the
 * pane's own title on screen; with the timeline beside the tabs (code,
 * console, log), and with the timeline a tab too (a bigger scale). */
START_TEST(tab_and_shift_tab_do_what_f1_says) {
    fixture fx, *f = &fx;
    fixture_open(f);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, "05-three-counters", false), 0);
    llv_ui *ui = &f->s.d.ui;
    type_step(f, 20);
    key(f, SDLK_F1, 0);
    ck_assert_on_screen(f, "Tab  Shift+Tab");
    ck_assert_on_screen(f, "\nnext / previous tabbed pane (a small window)\n");
    key(f, SDLK_F1, 0);
    static const char *const titles[4] = {"Timeline", "lesson.c", "Console (", "Event log ("};
    for (int zoomed = 0; zoomed < 2; zoomed++) {
        frame(f, 16);
        ck_assert_msg(ui->narrow && ui->tabs.w > 0, "%dx%d at scale %.2f is not tabbed", W, H,
                      (double)ui->zoom);
        /* beside: the timeline stays, the tabs are code, console, log */
        bool beside = ui->pane[P_TIMELINE].w > 0 && ui->pane[P_TIMELINE].y == ui->tabs.y;
        ck_assert_msg(beside == !zoomed, "scale %.2f: timeline beside the tabs %d",
                      (double)ui->zoom, beside);
        int first = beside ? 1 : 0, n = 4 - first, at = shown_tab(ui, first);
        ck_assert_msg(at >= first, "scale %.2f: not one tabbed pane shown", (double)ui->zoom);
        for (int press = 0; press < 2 * n; press++) {
            bool back = press >= n;
            key(f, SDLK_TAB, back ? KMOD_LSHIFT : KMOD_NONE);
            int want = first + ((at - first + (back ? n - 1 : 1)) % n);
            const char *scr = screen_of(f);
            int now = shown_tab(ui, first);
            ck_assert_msg(now == want, "scale %.2f: %s went from tab %d to %d, not %d",
                          (double)ui->zoom, back ? "Shift+Tab" : "Tab", at, now, want);
            ck_assert_msg(strstr(scr, titles[now]) != NULL, "'%s' is not on screen:\n%.2000s",
                          titles[now], scr);
            if (beside)
                ck_assert(ui->pane[P_TIMELINE].w > 0);
            at = now;
        }
        /* a bigger scale: no room for the timeline beside them */
        for (int k = 0; k < 4; k++)
            key(f, SDLK_EQUALS, KMOD_LCTRL);
    }
    fixture_close(f);
}
END_TEST

START_TEST(the_picker_opens_lessons_by_key_click_and_wheel) {
    fixture fx, *f = &fx;
    fixture_open(f);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, NULL, false), 0);
    ck_assert(f->s.picking && !f->s.d.open);
    frame(f, 16);
    key(f, SDLK_UP, 0); /* at the top: stays */
    ck_assert_uint_eq(f->s.pk.sel, 0);
    key(f, SDLK_DOWN, 0);
    key(f, SDLK_PAGEDOWN, 0);
    ck_assert_uint_eq(f->s.pk.sel, 2);
    key(f, SDLK_END, 0);
    ck_assert_uint_eq(f->s.pk.sel, (size_t)nslugs - 1);
    frame(f, 16); /* the list scrolls to show it */
    ck_assert_uint_le(f->s.pk.first, f->s.pk.sel);
    ck_assert_uint_gt(f->s.pk.first + f->s.pk.rows, f->s.pk.sel);
    key(f, SDLK_HOME, 0);
    wheel(f, -2, KMOD_NONE);
    ck_assert_uint_eq(f->s.pk.sel, 2);
    frame(f, 16);
    key(f, SDLK_RETURN, 0);
    ck_assert(!f->s.picking && f->s.d.open);
    ck_assert_str_eq(f->s.d.slug, slugs[2]);
    frame(f, 16);
    /* back to the picker, and a click on the second row opens lesson 2 */
    key(f, SDLK_l, 0);
    ck_assert_uint_eq(f->s.pk.sel, 2);
    key(f, SDLK_HOME, 0);
    frame(f, 16);
    click(f, W / 2, f->s.pk.top + f->s.pk.rowh + f->s.pk.rowh / 2);
    ck_assert(!f->s.picking);
    ck_assert_str_eq(f->s.d.slug, slugs[1]);
    /* a click above the rows does nothing */
    key(f, SDLK_l, 0);
    frame(f, 16);
    click(f, W / 2, 2);
    ck_assert(f->s.picking);
    key(f, SDLK_q, 0);
    ck_assert(f->s.quit);
    fixture_close(f);
    /* with nothing open, Esc in the picker closes the window */
    fixture_open(f);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, NULL, false), 0);
    frame(f, 16);
    key(f, SDLK_ESCAPE, 0);
    ck_assert(f->s.quit);
    fixture_close(f);
}
END_TEST

START_TEST(a_dropped_trace_opens_and_a_bad_one_is_refused) {
    fixture fx, *f = &fx;
    fixture_open(f);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, "12-queue", false), 0);
    key(f, SDLK_e, 0);
    size_t n = f->s.d.m.n;
    ck_assert_int_eq(llv_session_start(&f->s, NULL, "01-hello-gather", false), 0);
    ck_assert_uint_ne(f->s.d.m.n, n);
    char path[1200];
    snprintf(path, sizeof path, "%s/looplab-12-queue.trace", f->dir);
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_DROPFILE;
    e.drop.file = path;
    llv_session_event(&f->s, &e);
    ck_assert_uint_eq(f->s.d.m.n, n);
    ck_assert_str_eq(f->s.d.slug, "");
    /* it knows its lesson (from @lesson): the sources and the title */
    ck_assert_uint_gt(f->s.d.ui.src.n, 10);
    ck_assert_msg(strstr(f->s.d.ui.title, "12-queue") != NULL, "%s", f->s.d.ui.title);
    frame(f, 16);
    /* a saved trace cannot be re-run */
    key(f, SDLK_c, 0);
    ck_assert_msg(strstr(f->s.d.ui.status, "cannot be re-run"), "%s", f->s.d.ui.status);
    /* a file that is not a trace: said on stderr and in the window; the
     * open trace stays */
    snprintf(path, sizeof path, "%s/not-a-trace.txt", f->dir);
    FILE *bad = fopen(path, "w");
    fputs("hello\n", bad);
    fclose(bad);
    e.drop.file = path;
    capture cap;
    capture_begin(&cap, 2);
    llv_session_event(&f->s, &e);
    char *err = capture_end(&cap);
    ck_assert_msg(strstr(err, "not-a-trace.txt:1:") != NULL, "stderr: %s", err);
    free(err);
    ck_assert_msg(strstr(f->s.d.ui.status, "cannot open") != NULL, "%s", f->s.d.ui.status);
    ck_assert_uint_eq(f->s.d.m.n, n);
    fixture_close(f);
}
END_TEST

/* A lesson's Python twin, run through the recorder (`looplab run
 * lessons/SLUG/lesson.py`): its trace names lesson.py's lines, so the code
 * pane shows lesson.py, lights the line the running task is on, and pairs
 * it with no twin. */
START_TEST(a_lessons_python_run_shows_its_python_source) {
    fixture fx, *f = &fx;
    fixture_open(f);
    char path[1200], cmd[2600];
    snprintf(path, sizeof path, "%s/twin.trace", f->dir);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' run --trace '%s' lessons/03-sequential-vs-concurrent/lesson.py "
             ">/dev/null",
             LL_SOURCE_ROOT, LL_CLI, path);
    int st;
    free(read_command(cmd, &st));
    ck_assert_int_eq(st, 0);
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_DROPFILE;
    e.drop.file = path;
    llv_session_event(&f->s, &e);
    ck_assert(f->s.d.open);
    const char *src = f->s.d.ui.src.path;
    ck_assert_msg(src && strcmp(src + strlen(src) - 10, "/lesson.py") == 0, "source '%s'",
                  src ? src : "(none)");
    ck_assert_uint_eq(f->s.d.ui.py.n, 0);
    int lit = 0;
    for (size_t i = 0; i < f->s.d.m.n && !lit; i++) {
        llv_ui_seek(&f->s.d.ui, i);
        lit = llv_ui_current_line(&f->s.d.ui);
    }
    ck_assert_int_gt(lit, 0);
    /* a line of Python code (a def, a call, an await), not a comment or a blank */
    const char *code = f->s.d.ui.src.line[lit - 1];
    ck_assert_msg(strchr(code, '(') && !strchr(code, '#'), "lesson.py:%d `%s`", lit, code);
    frame(f, 16);
    /* a saved twin's trace knows its lesson (@lesson): O runs the C lesson,
     * and O again comes back to this very trace, kept, not run again */
    const llv_taskinfo *info = f->s.d.m.info;
    key(f, SDLK_o, 0);
    ck_assert(f->s.d.open && !f->s.d.python);
    ck_assert_str_eq(f->s.d.slug, "03-sequential-vs-concurrent");
    key(f, SDLK_o, 0);
    ck_assert(f->s.d.python);
    ck_assert_ptr_eq(f->s.d.m.info, info);
    fixture_close(f);
}
END_TEST

/* Steps of the program's own tasks (`run` events, not the runtime's) up to
 * and including event `upto`. */
static size_t program_steps(const llv_model *m, size_t upto) {
    size_t k = 0;
    for (size_t i = 0; i <= upto && i < m->n; i++) {
        const ll_trace_event *e = llv_event(m, i);
        k += e->kind == LL_EV_TASK_RUN && !llv_task_runtime(m, llv_task_index(m, e->task));
    }
    return k;
}

/* The picker opens a lesson in either language (Tab chooses, and says
 * which); O switches between the lesson's C run and its Python run at the
 * corresponding task step, running the other the first time and keeping
 * both; H shows asyncio.run's shutdown tasks, folded away by default. */
START_TEST(a_lesson_opens_in_c_or_python_and_o_switches_at_the_same_step) {
    fixture fx, *f = &fx;
    fixture_open(f);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, NULL, false), 0);
    ck_assert(f->s.picking);
    size_t want = SIZE_MAX;
    for (size_t i = 0; i < f->app.nlessons; i++)
        if (strcmp(f->app.lessons[i].slug, "05-three-counters") == 0)
            want = i;
    ck_assert_uint_ne(want, SIZE_MAX);
    key(f, SDLK_HOME, 0);
    for (size_t i = 0; i < want; i++)
        key(f, SDLK_DOWN, 0);
    ck_assert(!f->s.pk.python);
    key(f, SDLK_TAB, 0);
    ck_assert(f->s.pk.python);
    frame(f, 16); /* the picker draws the choice */
    key(f, SDLK_RETURN, 0);
    ck_assert(!f->s.picking && f->s.d.open && f->s.d.python);
    llv_doc *d = &f->s.d;
    ck_assert_msg(strcmp(d->ui.src.path + strlen(d->ui.src.path) - 10, "/lesson.py") == 0, "%s",
                  d->ui.src.path);
    /* asyncio.run's two shutdown tasks: no lanes until H */
    ck_assert_uint_eq(d->ui.nruntime, 2);
    ck_assert_uint_eq(d->ui.nlanes, d->m.ntasks - 2);
    for (size_t k = 0; k < d->ui.nlanes; k++)
        ck_assert(!llv_task_runtime(&d->m, d->ui.lanes[k]));
    key(f, SDLK_h, 0);
    ck_assert_uint_eq(d->ui.nlanes, d->m.ntasks);
    frame(f, 16);
    key(f, SDLK_h, 0);
    ck_assert_uint_eq(d->ui.nlanes, d->m.ntasks - 2);
    /* the 7th step of the program's tasks */
    size_t at = 0;
    while (at < d->m.n && program_steps(&d->m, at) < 7)
        at++;
    ck_assert_uint_lt(at, d->m.n);
    llv_ui_seek(&d->ui, at);
    frame(f, 16);
    key(f, SDLK_o, 0);
    ck_assert(d->open && !d->python);
    ck_assert_msg(strcmp(d->ui.src.path + strlen(d->ui.src.path) - 9, "/lesson.c") == 0, "%s",
                  d->ui.src.path);
    ck_assert_uint_eq(d->ui.nruntime, 0);
    ck_assert_int_eq(llv_event(&d->m, d->ui.cursor)->kind, LL_EV_TASK_RUN);
    ck_assert_uint_eq(program_steps(&d->m, d->ui.cursor), 7);
    ck_assert_msg(strstr(d->ui.status, "corresponding"), "%s", d->ui.status);
    /* the same task runs in both */
    const char *c_task =
        llv_task_name(&d->m, llv_task_index(&d->m, llv_event(&d->m, d->ui.cursor)->task));
    ck_assert(f->s.alt.open && f->s.alt.python);
    const llv_model *pm = &f->s.alt.m;
    const char *py_task = llv_task_name(pm, llv_task_index(pm, llv_event(pm, at)->task));
    ck_assert_str_eq(c_task, py_task);
    frame(f, 16);
    /* back, to the run kept: the same step it was left at */
    key(f, SDLK_o, 0);
    ck_assert(d->python);
    ck_assert_uint_eq(d->ui.cursor, at);
    /* a step's end (its task suspends or ends) is that step's end */
    size_t end = at + 1;
    while (llv_event(&d->m, end)->task != llv_event(&d->m, at)->task ||
           (llv_event(&d->m, end)->kind != LL_EV_TASK_WAIT &&
            llv_event(&d->m, end)->kind != LL_EV_TASK_DONE))
        end++;
    llv_ui_seek(&d->ui, end);
    key(f, SDLK_o, 0);
    ck_assert(!d->python);
    const ll_trace_event *ce = llv_event(&d->m, d->ui.cursor);
    ck_assert_int_eq(ce->kind, llv_event(&f->s.alt.m, end)->kind);
    ck_assert_str_eq(llv_task_name(&d->m, llv_task_index(&d->m, ce->task)), py_task);
    /* the picker comes back on this lesson and language; a click on a row's
     * "Python" runs that row's Python run */
    key(f, SDLK_l, 0);
    ck_assert(f->s.picking && !f->s.pk.python && f->s.pk.sel == want);
    frame(f, 16);
    llv_picker *pk = &f->s.pk;
    ck_assert_int_gt(pk->py_x, pk->lang_x);
    click(f, pk->py_x + 2, pk->top + (int)(want - pk->first) * pk->rowh + 2);
    ck_assert(!f->s.picking && d->python);
    ck_assert_str_eq(d->slug, "05-three-counters");
    frame(f, 16);
    fixture_close(f);
}
END_TEST

/* A .py dropped on the window runs under the recorder and opens; one that
 * fails to start opens on its traceback, with its source; a failed task's
 * error reads as Python prints it. */
START_TEST(a_dropped_python_program_runs_and_opens) {
    fixture fx, *f = &fx;
    fixture_open(f);
    char good[1200], bad[1200];
    snprintf(good, sizeof good, "%s/dies.py", f->dir);
    snprintf(bad, sizeof bad, "%s/bad.py", f->dir);
    FILE *p = fopen(good, "w");
    fputs("import asyncio\n\nclass Oops(Exception):\n    pass\n\n"
          "async def boom():\n    await asyncio.sleep(0.1)\n    return 1 / 0\n\n"
          "async def oops():\n    raise Oops('no luck')\n\n"
          "async def main():\n    t = asyncio.create_task(boom())\n"
          "    u = asyncio.create_task(oops())\n    await asyncio.sleep(0.2)\n"
          "    print('about to await')\n    await t\n\nasyncio.run(main())\n",
          p);
    fclose(p);
    p = fopen(bad, "w");
    fputs("import asyncio\n\nasync def main(:\n    pass\n", p);
    fclose(p);
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_DROPFILE;
    e.drop.file = good;
    llv_session_event(&f->s, &e);
    llv_doc *d = &f->s.d;
    ck_assert(d->open && d->python);
    ck_assert_str_eq(d->ui.src.path, good);
    ck_assert_uint_eq(d->ui.nlanes, 3); /* main, boom, oops */
    int failed = 0;
    for (size_t i = 0; i < d->m.n; i++) {
        const ll_trace_event *ev = llv_event(&d->m, i);
        if (ev->kind != LL_EV_TASK_FAILED)
            continue;
        char buf[200];
        const char *name = llv_task_name(&d->m, llv_task_index(&d->m, ev->task));
        llv_error_text(&d->m, ev, buf, sizeof buf);
        if (strcmp(name, "Task-3") == 0)
            ck_assert_str_eq(buf, "Oops: no luck");
        else
            ck_assert_str_eq(buf, "ZeroDivisionError: division by zero");
        failed++;
    }
    ck_assert_int_eq(failed, 3); /* boom, oops, and main awaiting boom */
    /* the console ends with Python's traceback, as it printed it */
    const ll_trace_event *last = llv_event(&d->m, d->m.prints[d->m.nprints - 1]);
    ck_assert_str_eq(llv_str(&d->m, last->str), "ZeroDivisionError: division by zero");
    frame(f, 16);
    e.drop.file = bad;
    llv_session_event(&f->s, &e);
    ck_assert(d->open && d->python);
    ck_assert_str_eq(d->ui.src.path, bad);
    ck_assert_uint_eq(d->m.niters, 0);
    ck_assert_uint_ge(d->m.nprints, 2);
    last = llv_event(&d->m, d->m.prints[d->m.nprints - 1]);
    ck_assert_str_eq(llv_str(&d->m, last->str), "SyntaxError: invalid syntax");
    /* it opens on its end: the traceback is in the console, the end says why */
    ck_assert_uint_eq(d->ui.cursor, d->m.n - 1);
    ck_assert_int_eq(llv_ui_current_line(&d->ui), 3); /* the line Python names */
    frame(f, 16);
    /* O: not a lesson */
    key(f, SDLK_o, 0);
    ck_assert_msg(strstr(d->ui.status, "only a lesson"), "%s", d->ui.status);
    fixture_close(f);
}
END_TEST

START_TEST(a_programs_run_shows_its_source_its_crash_and_reruns) {
    fixture fx, *f = &fx;
    fixture_open(f);
    f->app.program = LL_BROKEN; /* `looplab view -- build/tests/progs/broken abort` */
    ck_assert_int_eq(llv_session_start(&f->s, NULL, NULL, true), 0);
    ck_assert(f->s.d.open && f->s.d.program);
    /* its source, found from the relative name it was compiled under and
     * the program's folder */
    const char *src = f->s.d.ui.src.path;
    ck_assert_msg(f->s.d.ui.src.n > 10 && strcmp(src + strlen(src) - 8, "broken.c") == 0,
                  "source '%s' (%zu lines)", src, f->s.d.ui.src.n);
    const llv_model *m = &f->s.d.m;
    const ll_trace_event *last = llv_event(m, m->n - 1);
    ck_assert_uint_eq(last->kind, LL_EV_RUN_END);
    ck_assert_int_eq(last->sub, 2); /* a signal */
    key(f, SDLK_END, 0);
    ck_assert_on_screen(f, "the program was killed by SIGABRT: the trace ends at that moment");
    ck_assert_on_screen(f, "crashed (SIGABRT)"); /* the running pane, wrapped */
    key(f, SDLK_LEFT, 0);                        /* before the end: said nowhere */
    ck_assert(strstr(screen_of(f), "SIGABRT") == NULL);
    key(f, SDLK_END, 0);
    key(f, SDLK_c, 0);
    ck_assert_str_eq(f->s.d.clock, "real");
    ck_assert(f->s.d.program);
    ck_assert_msg(strstr(f->s.d.ui.status, "same order"), "%s", f->s.d.ui.status);
    ck_assert_uint_eq(CUR, f->s.d.m.n - 1);
    frame(f, 16);
    fixture_close(f);
}
END_TEST

/* Steps forward in predict mode until a question with choices is asked;
 * false when the run ends first. */
static bool to_next_choice(fixture *f) {
    llv_ui *ui = &f->s.d.ui;
    for (int i = 0; i < 2000 && CUR + 1 < f->s.d.m.n; i++) {
        key(f, SDLK_RIGHT, 0);
        if (ui->nchoice >= 2 && ui->picked < 0 && !ui->predict_shown)
            return true;
    }
    return false;
}

/* R on a lesson runs it under each wrong model of asyncio; a question where
 * the models answer differently offers the real answer among theirs, each
 * one once; a wrong pick names the misconception and J goes to where that
 * model parts from asyncio; a right pick counts, and the footer keeps the
 * score. */
START_TEST(predict_offers_the_wrong_models_answers_and_keeps_score) {
    fixture fx, *f = &fx;
    fixture_open(f);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, "03-sequential-vs-concurrent", false), 0);
    llv_ui *ui = &f->s.d.ui;
    key(f, SDLK_r, 0);
    /* the models' runs are made in the background; frames take them over */
    for (int i = 0; i < 1200 && !ui->quiz; i++) {
        frame(f, 16);
        SDL_Delay(50);
    }
    ck_assert_uint_eq(f->s.quiz.nruns, LL_MODEL__COUNT - 1);
    ck_assert_ptr_eq(ui->quiz, &f->s.quiz);
    ck_assert_msg(to_next_choice(f), "no question with choices in lesson 3");
    size_t q = ui->predict_at, real = SIZE_MAX, wrong = SIZE_MAX;
    ck_assert_uint_eq(CUR + 1, q);
    ck_assert(ui->nchoice >= 2 && ui->nchoice <= LLV_QUIZ_MAX);
    for (size_t i = 0; i < ui->nchoice; i++) {
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(ui->choice[i].text, ui->choice[j].text);
        if (ui->choice[i].model == LL_MODEL_ASYNCIO) {
            ck_assert_uint_eq(real, SIZE_MAX);
            real = i;
        } else {
            wrong = i;
        }
    }
    ck_assert(real != SIZE_MAX && wrong != SIZE_MAX);
    /* the real answer is what the run does next */
    const ll_trace_event *e = llv_event(&f->s.d.m, q);
    if (e->kind == LL_EV_PRINT)
        ck_assert_str_eq(ui->choice[real].text, llv_str(&f->s.d.m, e->str));
    /* a wrong model's answer is something its run does */
    const llv_choice *w = &ui->choice[wrong];
    bool found = false;
    for (size_t i = 0; i < f->s.quiz.nruns; i++)
        if (f->s.quiz.model[i] == w->model) {
            const llv_model *r = &f->s.quiz.runs[i];
            for (size_t k = 0; k < r->nprints && !found; k++)
                found = strcmp(llv_str(r, llv_event(r, r->prints[k])->str), w->text) == 0;
            for (size_t k = 0; k < r->n && !found; k++)
                found = llv_event(r, k)->kind == LL_EV_TASK_RUN &&
                        strcmp(llv_task_name(r, llv_task_index(r, llv_event(r, k)->task)),
                               w->text) == 0;
        }
    ck_assert_msg(found, "'%s' is not in the %s model's run", w->text,
                  ll_model_name((unsigned)w->model));
    /* the same question gets the same order */
    llv_choice again[LLV_QUIZ_MAX];
    ck_assert_uint_eq(llv_quiz_choices(&f->s.quiz, &f->s.d.m, q, again), ui->nchoice);
    for (size_t i = 0; i < ui->nchoice; i++)
        ck_assert_str_eq(again[i].text, ui->choice[i].text);
    ck_assert_on_screen(f, "Predict: ");
    ck_assert_on_screen(f, ui->choice[wrong].text);
    /* a wrong pick */
    key(f, SDLK_1 + (int)wrong, 0);
    ck_assert_int_eq(ui->picked, (int)wrong);
    ck_assert(ui->predict_shown);
    ck_assert_uint_eq(CUR, q);
    ck_assert_str_eq(ui->score, "score 0/1   ");
    ck_assert_on_screen(f, "Not quite");
    ck_assert_on_screen(f, "score 0/1");
    const char *scr = screen_of(f);
    char jline[80];
    snprintf(jline, sizeof jline, "J: to where '%s'", ll_model_name((unsigned)w->model));
    ck_assert_msg(strstr(scr, jline), "'%s' not on screen:\n%.3000s", jline, scr);
    size_t part = ui->choice[wrong].part;
    key(f, SDLK_j, 0);
    ck_assert_uint_eq(CUR, part);
    ck_assert_msg(strstr(ui->status, "where they part"), "%s", ui->status);
    /* the next question: a right pick, by a click on its row */
    ck_assert_msg(to_next_choice(f), "only one question with choices in lesson 3");
    size_t r2 = 0;
    while (ui->choice[r2].model != LL_MODEL_ASYNCIO)
        r2++;
    frame(f, 16);
    ck_assert(ui->choice_h > 0);
    click(f, ui->pane[P_WAITING].x + 20, ui->choice_y[r2] + ui->choice_h / 2);
    ck_assert_int_eq(ui->picked, (int)r2);
    ck_assert_str_eq(ui->score, "score 1/2   ");
    ck_assert_on_screen(f, "Right");
    ck_assert_uint_eq(f->s.nscores, 1);
    ck_assert_int_eq(f->s.scores[0].right, 1);
    ck_assert_int_eq(f->s.scores[0].asked, 2);
    /* "which task runs next?" has choices too: at gather, the LIFO model
     * runs the newest ready task (coffee's) where asyncio runs tea's */
    const llv_model *m = &f->s.d.m;
    size_t lifo = 0;
    for (size_t q2 = 0; q2 < m->n && !lifo; q2++) {
        llv_choice ch[LLV_QUIZ_MAX];
        size_t n =
            llv_event(m, q2)->kind == LL_EV_TASK_RUN ? llv_quiz_choices(&f->s.quiz, m, q2, ch) : 0;
        for (size_t i = 0; n >= 2 && i < n; i++)
            if (ch[i].model == LL_MODEL_LIFO) {
                const char *real = llv_task_name(m, llv_task_index(m, llv_event(m, q2)->task));
                ck_assert_str_ne(ch[i].text, real);
                lifo = q2;
            }
    }
    ck_assert_msg(lifo, "no task switch of lesson 3 offers the lifo model's answer");
    fixture_close(f);
}
END_TEST

/* W on a printed line lists its chain of causes (ll_trace_why), marks each
 * link on the timeline, and Enter or a click on a link goes to its step. */
START_TEST(w_shows_why_now_and_goes_to_a_link) {
    fixture fx, *f = &fx;
    fixture_open(f);
    ck_assert_int_eq(llv_session_start(&f->s, NULL, "01-hello-gather", false), 0);
    llv_ui *ui = &f->s.d.ui;
    const llv_model *m = &f->s.d.m;
    ck_assert(m->nprints >= 2);
    size_t p = m->prints[m->nprints - 1];
    type_step(f, p + 1);
    ck_assert_uint_eq(CUR, p);
    key(f, SDLK_w, 0);
    ck_assert(ui->why);
    ll_why_link links[12];
    size_t n = ll_trace_why(&m->trace, p, links, 12);
    ck_assert_uint_eq(ui->why_n, n);
    ck_assert(n >= 2);
    ck_assert_on_screen(f, "Why now? step");
    for (size_t i = 1; i < n; i++) /* each link earlier than the one before */
        ck_assert(links[i].event < links[i - 1].event);
    /* Down, Enter: to the second link */
    key(f, SDLK_DOWN, 0);
    size_t sel = ui->why_sel;
    key(f, SDLK_RETURN, 0);
    ck_assert_uint_eq(CUR, links[sel].event);
    ck_assert(!ui->why);
    /* again on the print, a click on the last link */
    type_step(f, p + 1);
    key(f, SDLK_w, 0);
    frame(f, 16);
    click(f, ui->w / 2, ui->why_y[n - 1] + 2);
    ck_assert_uint_eq(CUR, links[n - 1].event);
    /* W twice closes it, and the cursor moving closes it too */
    type_step(f, p + 1);
    key(f, SDLK_w, 0);
    key(f, SDLK_w, 0);
    ck_assert(!ui->why);
    key(f, SDLK_w, 0);
    key(f, SDLK_LEFT, 0);
    frame(f, 16);
    ck_assert(!ui->why);
    fixture_close(f);
}
END_TEST

/* `looplab check --view` opens the kept trace at the step where the first
 * failed check fails (`view --at N --say TEXT`): the cursor is there and
 * the status line says the check and its hint. */
START_TEST(a_failed_check_opens_at_its_step_with_its_text) {
    fixture fx, *f = &fx;
    fixture_open(f);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "TMPDIR='%s' '%s' check 01-concurrent-sleeps '%s/exercises/01-concurrent-sleeps/"
             "starter.py' --keep 2>&1",
             f->dir, LL_CLI, LL_SOURCE_ROOT);
    int st;
    char *out = read_command(cmd, &st);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d: %s", st, out);
    const char *w = strstr(out, "where: step "), *k = strstr(out, "The trace is kept: ");
    ck_assert_msg(w && k, "%s", out);
    long step = atol(w + strlen("where: step "));
    char trace[1024];
    ck_assert_int_eq(sscanf(k + strlen("The trace is kept: "), "%1023s", trace), 1);
    free(out);
    f->app.at = step;
    f->app.say = "FAIL: the run takes at most 1 s. Hint: gather them";
    ck_assert_int_eq(llv_session_start(&f->s, trace, NULL, false), 0);
    ck_assert_uint_eq(CUR, (size_t)step - 1);
    ck_assert_on_screen(f, "FAIL: the run takes at most 1 s");
    f->t += 60000; /* it stays until a key says something else */
    ck_assert_on_screen(f, "FAIL: the run takes at most 1 s");
    fixture_close(f);
}
END_TEST

int main(void) {
    nslugs = find_lessons(slugs, 128);
    for (int i = 0; i < nslugs; i++) {
        snprintf(lessons[i].slug, sizeof lessons[i].slug, "%s", slugs[i]);
        snprintf(lessons[i].title, sizeof lessons[i].title, "%d. lesson %s", i + 1, slugs[i]);
        snprintf(lessons[i].summary, sizeof lessons[i].summary, "what lesson %d shows", i + 1);
    }
    Suite *s = suite_create("controls");
    TCase *tc = tcase_create("controls");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, every_control_does_what_help_says_on_every_lesson, 0, nslugs);
    tcase_add_test(tc, c_reruns_the_lesson_on_the_other_clock_at_the_same_step);
    tcase_add_test(tc, a_run_says_what_it_runs_while_the_window_waits);
    tcase_add_test(tc, esc_stops_a_run_and_opens_what_it_did);
    tcase_add_test(tc, a_lessons_meta_chooses_the_timeline_axis_and_c_keeps_it);
    tcase_add_test(tc, a_bad_axis_line_is_reported_with_its_place);
    tcase_add_test(tc, the_lane_count_is_not_drawn_over_a_lane);
    tcase_add_test(tc, tab_and_shift_tab_do_what_f1_says);
    tcase_add_test(tc, the_picker_opens_lessons_by_key_click_and_wheel);
    tcase_add_test(tc, a_dropped_trace_opens_and_a_bad_one_is_refused);
    tcase_add_test(tc, a_lessons_python_run_shows_its_python_source);
    tcase_add_test(tc, a_lesson_opens_in_c_or_python_and_o_switches_at_the_same_step);
    tcase_add_test(tc, a_dropped_python_program_runs_and_opens);
    tcase_add_test(tc, a_programs_run_shows_its_source_its_crash_and_reruns);
    tcase_add_test(tc, predict_offers_the_wrong_models_answers_and_keeps_score);
    tcase_add_test(tc, w_shows_why_now_and_goes_to_a_link);
    tcase_add_test(tc, a_failed_check_opens_at_its_step_with_its_text);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
