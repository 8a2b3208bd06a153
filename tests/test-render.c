/* test-render.c - the visualizer's frames, drawn headless, checked where it
 * matters: panes do not overlap, every string stays inside the pane being
 * drawn, the highlighted source line is the one the model points at, the
 * running task's card sits in the running slot in the running colour; and
 * `looplab render` writes PNGs and refuses bad requests clearly.
 *
 * Built only with -Dgui=true. */
#include <SDL.h>
#include <SDL_ttf.h>

#include "harness-view.h"
#include "view/ui.h"

static const char *const lessons[] = {"01-hello-gather", "05-three-counters", "11-semaphore",
                                      "12-queue"};
static const int sizes[][2] = {{1024, 640}, {1920, 1080}, {2560, 1440}};
#define NLESSONS (int)(sizeof lessons / sizeof lessons[0])
#define NSIZES (int)(sizeof sizes / sizeof sizes[0])

/* A lesson's model and a UI drawing it on a w x h software renderer. */
typedef struct fixture {
    SDL_Surface *s;
    SDL_Renderer *r;
    llv_model m;
    llv_ui ui;
} fixture;

static void fixture_open(fixture *f, const char *slug, int w, int h) {
    ck_assert_int_eq(TTF_Init(), 0);
    f->s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    f->r = SDL_CreateSoftwareRenderer(f->s);
    ck_assert_ptr_nonnull(f->r);
    lesson_model(slug, "", &f->m);
    char err[256];
    ck_assert_msg(llv_ui_init(&f->ui, &f->m, f->r, LL_SOURCE_ROOT "/assets", err, sizeof err) == 0,
                  "%s", err);
}

static void fixture_close(fixture *f) {
    llv_ui_free(&f->ui);
    llv_model_free(&f->m);
    SDL_DestroyRenderer(f->r);
    SDL_FreeSurface(f->s);
    TTF_Quit();
}

typedef struct hook_ctx {
    SDL_Renderer *r;
    int w, h;
    size_t strings, outside;
    SDL_Rect bad_box, bad_clip;
} hook_ctx;

/* Every string must lie inside the clip rectangle of the pane being drawn. */
static void on_text(const SDL_Rect *box, const char *str, size_t len, void *ud) {
    (void)str;
    (void)len;
    hook_ctx *c = ud;
    c->strings++;
    SDL_Rect clip;
    SDL_RenderGetClipRect(c->r, &clip);
    bool inside = clip.w > 0 && box->x >= clip.x && box->y >= clip.y &&
                  box->x + box->w <= clip.x + clip.w && box->y + box->h <= clip.y + clip.h;
    if (!inside && !c->outside) {
        c->bad_box = *box;
        c->bad_clip = clip;
    }
    c->outside += !inside;
}

static Uint32 pixel(SDL_Surface *s, int x, int y) {
    return ((const Uint32 *)((const Uint8 *)s->pixels + (size_t)y * (size_t)s->pitch))[x];
}

static bool same_colour(SDL_Surface *s, int x, int y, SDL_Color c) {
    Uint8 r, g, b;
    SDL_GetRGB(pixel(s, x, y), s->format, &r, &g, &b);
    return r == c.r && g == c.g && b == c.b;
}

static bool contains(SDL_Rect outer, SDL_Rect in) {
    return in.x >= outer.x && in.y >= outer.y && in.x + in.w <= outer.x + outer.w &&
           in.y + in.h <= outer.y + outer.h;
}

START_TEST(frames_keep_text_in_panes_and_mark_what_the_model_says) {
    const char *slug = lessons[_i / NSIZES];
    int w = sizes[_i % NSIZES][0], h = sizes[_i % NSIZES][1];
    fixture fx;
    fixture_open(&fx, slug, w, h);
    SDL_Surface *s = fx.s;
    SDL_Renderer *r = fx.r;
    char c_path[512], py_path[512];
    snprintf(c_path, sizeof c_path, "%s/lessons/%s/lesson.c", LL_SOURCE_ROOT, slug);
    snprintf(py_path, sizeof py_path, "%s/lessons/%s/lesson.py", LL_SOURCE_ROOT, slug);
    llv_ui_sources(&fx.ui, c_path, py_path);
    hook_ctx hc = {r, w, h, 0, 0, {0, 0, 0, 0}, {0, 0, 0, 0}};
    llv_text_hook = on_text;
    llv_text_hook_ud = &hc;
    /* panes tile without overlapping, inside the frame */
    llv_ui_layout(&fx.ui, w, h);
    SDL_Rect all = {0, 0, w, h};
    for (int p = 0; p < P__N; p++) {
        ck_assert_msg(contains(all, fx.ui.pane[p]), "%s pane outside the %dx%d frame",
                      llv_pane_names[p], w, h);
        for (int q = p + 1; q < P__N; q++)
            ck_assert_msg(!SDL_HasIntersection(&fx.ui.pane[p], &fx.ui.pane[q]),
                          "%s and %s overlap at %dx%d", llv_pane_names[p], llv_pane_names[q], w, h);
    }
    size_t checked_lines = 0, checked_cards = 0;
    /* about 40 frames per lesson and size (8 under Valgrind: it is slow) */
    size_t frames = under_checker() ? 8 : 40;
    size_t stride = fx.m.n / frames ? fx.m.n / frames : 1;
    for (size_t i = 0; i < fx.m.n; i += stride) {
        llv_ui_seek(&fx.ui, i);
        hc.outside = 0;
        llv_ui_draw(&fx.ui, w, h);
        ck_assert_msg(hc.outside == 0,
                      "%s step %zu at %dx%d: a string at (%d,%d %dx%d) leaves its pane "
                      "(%d,%d %dx%d)",
                      slug, i + 1, w, h, hc.bad_box.x, hc.bad_box.y, hc.bad_box.w, hc.bad_box.h,
                      hc.bad_clip.x, hc.bad_clip.y, hc.bad_clip.w, hc.bad_clip.h);
        const llv_theme *th = llv_ui_theme(&fx.ui);
        int line = llv_ui_current_line(&fx.ui);
        if (line > 0) {
            SDL_Rect band = llv_ui_line_band;
            ck_assert_msg(band.h > 0, "%s step %zu: line %d is not highlighted", slug, i + 1, line);
            ck_assert(contains(fx.ui.pane[P_CODE], band));
            /* the band is the row of that line: its number is drawn there */
            ck_assert_msg(same_colour(s, band.x + 1, band.y + band.h / 2, th->accent),
                          "%s step %zu: no highlight at the band", slug, i + 1);
            checked_lines++;
        }
        if (fx.m.cur.running != UINT32_MAX) {
            SDL_Rect card = llv_ui_running_card;
            ck_assert(contains(fx.ui.pane[P_RUNNING], card));
            ck_assert_msg(
                same_colour(s, card.x + card.w - 5, card.y + card.h - 5, th->state[LLV_RUNNING]),
                "%s step %zu: the running card is not in the running colour", slug, i + 1);
            checked_cards++;
        }
    }
    ck_assert_uint_gt(checked_lines, 0);
    ck_assert_uint_gt(checked_cards, 0);
    ck_assert_uint_gt(hc.strings, 100);
    /* the other theme, the Python twin and a bigger scale also stay inside */
    fx.ui.theme = LLV_THEME_PROJECTOR;
    fx.ui.show_py = true;
    fx.ui.zoom = 1.6f;
    fx.ui.help = true;
    llv_ui_seek(&fx.ui, fx.m.n / 2);
    hc.outside = 0;
    llv_ui_draw(&fx.ui, w, h);
    ck_assert_msg(hc.outside == 0,
                  "%s at %dx%d, projector theme, scale 1.6: a string at (%d,%d %dx%d) leaves "
                  "its pane (%d,%d %dx%d)",
                  slug, w, h, hc.bad_box.x, hc.bad_box.y, hc.bad_box.w, hc.bad_box.h, hc.bad_clip.x,
                  hc.bad_clip.y, hc.bad_clip.w, hc.bad_clip.h);
    llv_text_hook = NULL;
    fixture_close(&fx);
}
END_TEST

START_TEST(timeline_click_and_zoom_land_on_events) {
    fixture fx;
    fixture_open(&fx, "01-hello-gather", 1280, 800);
    SDL_Surface *s = fx.s;
    llv_ui_draw(&fx.ui, 1280, 800);
    SDL_Rect L = fx.ui.tl_lanes;
    ck_assert_int_gt(L.w, 100);
    ck_assert_uint_eq(llv_ui_event_at_x(&fx.ui, L.x), 0);
    ck_assert_uint_eq(llv_ui_event_at_x(&fx.ui, L.x + L.w - 1), fx.m.n - 1);
    size_t mid = llv_ui_event_at_x(&fx.ui, L.x + L.w / 2);
    llv_ui_zoom_timeline(&fx.ui, 0.25, L.x + L.w / 2);
    /* zooming about a point keeps that point under the mouse */
    size_t after = llv_ui_event_at_x(&fx.ui, L.x + L.w / 2);
    ck_assert_int_le(after > mid ? after - mid : mid - after, 1);
    llv_ui_pan_timeline(&fx.ui, 10000); /* far right: clamps at the start */
    ck_assert_uint_eq(llv_ui_event_at_x(&fx.ui, L.x), 0);
    /* time axis: the clock jumps to 1 s then 2 s */
    fx.ui.axis_time = true;
    llv_ui_fit_timeline(&fx.ui);
    llv_ui_draw(&fx.ui, 1280, 800);
    size_t e = llv_ui_event_at_x(&fx.ui, fx.ui.tl_lanes.x + fx.ui.tl_lanes.w - 1);
    ck_assert_uint_eq(e, fx.m.n - 1);
    /* Task-3 sleeps from t = 0 to 2 s: at 1.33 s its lane is drawn (a long
     * span that starts among many zero-width ones is not lost) */
    L = fx.ui.tl_lanes;
    int x = L.x + (int)((1.33e9 - fx.ui.tl_x0) * L.w / (fx.ui.tl_x1 - fx.ui.tl_x0));
    int y = L.y + 2 * fx.ui.tl_lane_h + fx.ui.tl_lane_h / 2;
    const llv_theme *th = llv_ui_theme(&fx.ui);
    int waiting = 0;
    for (int k = 0; k < 20; k++)
        waiting += same_colour(s, x + k, y, th->state[LLV_WAITING]);
    ck_assert_msg(waiting > 0,
                  "Task-3's lane is not drawn as waiting at t = 1.33 s on the time axis");
    fixture_close(&fx);
}
END_TEST

/* What a Python run's frames say: collected by the text hook. */
typedef struct py_words {
    hook_ctx in; /* strings stay inside their panes, as for C */
    bool asyncio_name, c_name, error_text;
    const char *error; /* Python's form of the error this lesson raises */
} py_words;

static void on_py_text(const SDL_Rect *box, const char *str, size_t len, void *ud) {
    py_words *w = ud;
    on_text(box, str, len, &w->in);
    char t[400];
    snprintf(t, sizeof t, "%.*s", (int)(len < sizeof t - 1 ? len : sizeof t - 1), str);
    SDL_Rect clip;
    SDL_RenderGetClipRect(w->in.r, &clip);
    bool log = clip.w > 0 && clip.x >= w->in.w / 2 && clip.y >= w->in.h / 2 &&
               strstr(t, "=") != NULL; /* the event log's fields are the trace's own */
    if (strstr(t, "asyncio.") || strstr(t, "await "))
        w->asyncio_name = true;
    if (!log && (strstr(t, "ll_") || strstr(t, "queue_get") || strstr(t, "queue_put")))
        w->c_name = true;
    if (w->error && strstr(t, w->error))
        w->error_text = true;
}

/* A lesson's Python run (its twin under the recorder), drawn at every step
 * at 1080p and at 4K scale 2: every string inside its pane, asyncio's names
 * where C's would be (no ll_ call, no queue_get), the lesson's error as
 * Python prints it, and asyncio.run's two shutdown tasks off the timeline.
 * (Every other step at 1080p, every ninth at 4K: the suite stays quick.) */
static const char *const py_lessons[][2] = {
    {"09-errors", "ValueError: bad input 2"},
    {"12-queue", NULL},
    {"20-taskgroup", NULL},
};

START_TEST(a_python_run_reads_as_python) {
    const char *slug = py_lessons[_i / 2][0];
    int w = _i % 2 ? 3840 : 1920, h = _i % 2 ? 2160 : 1080;
    char path[] = "/tmp/looplab-render-py-XXXXXX", cmd[2048], src[600];
    int fd = mkstemp(path), st;
    ck_assert_int_ge(fd, 0);
    close(fd);
    snprintf(src, sizeof src, "%s/lessons/%s/lesson.py", LL_SOURCE_ROOT, slug);
    snprintf(cmd, sizeof cmd, "'%s' run --trace '%s' '%s' >/dev/null 2>&1", LL_CLI, path, src);
    free(read_command(cmd, &st));
    fixture fx;
    ck_assert_int_eq(TTF_Init(), 0);
    fx.s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    fx.r = SDL_CreateSoftwareRenderer(fx.s);
    ll_trace t;
    char err[512];
    ck_assert_msg(ll_trace_load(&t, path, err, sizeof err) == 0, "%s", err);
    unlink(path);
    ck_assert_msg(llv_model_build(&fx.m, &t, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(llv_ui_init(&fx.ui, &fx.m, fx.r, LL_SOURCE_ROOT "/assets", err, sizeof err) == 0,
                  "%s", err);
    llv_ui_sources(&fx.ui, src, NULL);
    ck_assert(fx.ui.python);
    ck_assert_uint_eq(fx.ui.nruntime, 2);
    ck_assert_uint_eq(fx.ui.nlanes, fx.m.ntasks - 2);
    fx.ui.zoom = _i % 2 ? 2.0f : 1.0f;
    py_words pw = {.in = {fx.r, w, h, 0, 0, {0, 0, 0, 0}, {0, 0, 0, 0}},
                   .error = py_lessons[_i / 2][1]};
    llv_text_hook = on_py_text;
    llv_text_hook_ud = &pw;
    for (size_t i = 0; i < fx.m.n; i += _i % 2 ? 9 : 2) {
        llv_ui_seek(&fx.ui, i);
        llv_ui_draw(&fx.ui, w, h);
        ck_assert_msg(pw.in.outside == 0,
                      "%s step %zu at %dx%d: a string at (%d,%d %dx%d) leaves its pane "
                      "(%d,%d %dx%d)",
                      slug, i + 1, w, h, pw.in.bad_box.x, pw.in.bad_box.y, pw.in.bad_box.w,
                      pw.in.bad_box.h, pw.in.bad_clip.x, pw.in.bad_clip.y, pw.in.bad_clip.w,
                      pw.in.bad_clip.h);
        ck_assert_msg(!pw.c_name, "%s step %zu: a pane names a C call or wait kind", slug, i + 1);
    }
    if (pw.error) /* at the failed event: the running pane says it */
        for (size_t i = 0; i < fx.m.n; i++)
            if (llv_event(&fx.m, i)->kind == LL_EV_TASK_FAILED) {
                llv_ui_seek(&fx.ui, i);
                llv_ui_draw(&fx.ui, w, h);
                break;
            }
    llv_text_hook = NULL;
    ck_assert_msg(pw.asyncio_name, "%s: no asyncio name in any frame", slug);
    ck_assert_msg(!pw.error || pw.error_text, "%s: '%s' is not shown", slug, pw.error);
    fixture_close(&fx);
}
END_TEST

static char *sh(const char *fmt, const char *a, int *status) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, fmt, LL_CLI, a);
    return read_command(cmd, status);
}

START_TEST(render_command_writes_pngs_and_refuses_bad_requests) {
    char dir[] = "/tmp/looplab-render-cli-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    int st;
    char *out = sh("'%s' render 1 --step 5 --size 800x600 -o '%s/f.png' 2>&1", dir, &st);
    ck_assert_msg(WEXITSTATUS(st) == 0, "%s", out);
    free(out);
    char path[600];
    snprintf(path, sizeof path, "%s/f.png", dir);
    assert_png(path, 800, 600);
    unlink(path);
    out = sh("'%s' render 1 --step 99999 -o '%s/g.png' 2>&1", dir, &st);
    ck_assert_int_eq(WEXITSTATUS(st), 2);
    ck_assert_msg(strstr(out, "--step 99999 is past the end: the trace has") != NULL, "%s", out);
    free(out);
    out = sh("'%s' render 1 --size 10x10 -o '%s/g.png' 2>&1", dir, &st);
    ck_assert_int_eq(WEXITSTATUS(st), 2);
    ck_assert_msg(strstr(out, "--size wants WIDTHxHEIGHT") != NULL, "%s", out);
    free(out);
    out = sh("'%s' render no-such-lesson -o '%s/g.png' 2>&1", dir, &st);
    ck_assert_int_ne(WEXITSTATUS(st), 0);
    ck_assert_msg(strstr(out, "neither a lesson") != NULL, "%s", out);
    free(out);
    /* a damaged trace: file:line:column */
    snprintf(path, sizeof path, "%s/bad.trace", dir);
    FILE *f = fopen(path, "w");
    fputs("looplab-trace 1.1\n   0.000000000  7:x  run behind=0\n", f);
    fclose(f);
    out = sh("'%s' render '%s' 2>&1", path, &st);
    ck_assert_int_ne(WEXITSTATUS(st), 0);
    ck_assert_msg(strstr(out, "bad.trace:2:") != NULL, "%s", out);
    free(out);
    unlink(path);
    rmdir(dir);
}
END_TEST

int main(void) {
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("frames");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, frames_keep_text_in_panes_and_mark_what_the_model_says, 0,
                        NLESSONS * NSIZES);
    tcase_add_test(tc, timeline_click_and_zoom_land_on_events);
    tcase_add_loop_test(tc, a_python_run_reads_as_python, 0,
                        (int)(2 * sizeof py_lessons / sizeof py_lessons[0]));
    tcase_add_test(tc, render_command_writes_pngs_and_refuses_bad_requests);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
