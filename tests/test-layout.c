/* test-layout.c - the window's layout holds at every size and scale a class
 * meets.
 *
 * Every lesson is drawn headless at 1024x768, 1280x720, 1920x1080 and
 * 3840x2160, at UI scales 1, 1.5 and 2 (and the largest the keys reach),
 * in both themes, at a dense sample of its steps.  Through the text hook
 * (every string drawn, with its box and the pane it was clipped to) each
 * frame must show:
 *   - the essentials whole, never cut or ellipsised: the clock, the running
 *     task's name and line, the ready queue's size, the names of the tasks
 *     in the ready queue and waiting (or a "+N" that counts those left
 *     out), a sleeping task's deadline, a semaphore's "N of M free", the
 *     highlighted source line inside the code pane when it is shown;
 *   - no two strings of the state panes drawn over each other;
 *   - every pane inside the frame, none overlapping another.
 *
 * Built only with -Dgui=true. */
#include <SDL.h>
#include <SDL_ttf.h>

#include "harness-view.h"
#include "view/ui.h"

static lesson_slug slugs[128];
static int nslugs;

static const int sizes[][2] = {{1024, 768}, {1280, 720}, {1920, 1080}, {3840, 2160}};
static const float scales[] = {1.0f, 1.5f, 2.0f, 4.0f};
#define NSIZES (int)(sizeof sizes / sizeof sizes[0])
#define NSCALES (int)(sizeof scales / sizeof scales[0])

/* One string drawn in a frame. */
typedef struct drawn {
    SDL_Rect box;
    int pane; /* the pane it was clipped to, -1 for none of them */
    bool cut; /* followed by the ellipsis: only part of it shows */
    char s[160];
} drawn;

typedef struct frame_log {
    const llv_ui *ui;
    SDL_Renderer *r;
    drawn *d;
    size_t n, cap;
} frame_log;

static void on_text(const SDL_Rect *box, const char *str, size_t len, void *ud) {
    frame_log *f = ud;
    if (len == 3 && memcmp(str, "\xE2\x80\xA6", 3) == 0) {
        if (f->n)
            f->d[f->n - 1].cut = true;
        return;
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 256;
        f->d = realloc(f->d, f->cap * sizeof *f->d);
        ck_assert_ptr_nonnull(f->d);
    }
    drawn *d = &f->d[f->n++];
    d->box = *box;
    d->cut = false;
    size_t k = len < sizeof d->s - 1 ? len : sizeof d->s - 1;
    memcpy(d->s, str, k);
    d->s[k] = '\0';
    SDL_Rect clip;
    SDL_RenderGetClipRect(f->r, &clip);
    d->pane = -1;
    for (int p = 0; p < P__N; p++)
        if (SDL_RectEquals(&clip, &f->ui->pane[p]))
            d->pane = p;
}

/* A string of pane p (any pane: -2) that is `s` whole (exact) or holds it. */
static const drawn *find(const frame_log *f, int p, const char *s, bool exact) {
    for (size_t i = 0; i < f->n; i++) {
        const drawn *d = &f->d[i];
        if ((p != -2 && d->pane != p) || d->cut)
            continue;
        if (exact ? strcmp(d->s, s) == 0 : strstr(d->s, s) != NULL)
            return d;
    }
    return NULL;
}

/* The tasks a "+N" in pane p counts (the largest such number). */
static size_t counted(const frame_log *f, int p) {
    size_t most = 0;
    for (size_t i = 0; i < f->n; i++) {
        const drawn *d = &f->d[i];
        unsigned long k;
        if (d->pane == p && !d->cut && d->s[0] == '+' && sscanf(d->s + 1, "%lu", &k) == 1)
            most += k;
    }
    return most;
}

/* Strings that a pane owns and must not overlap: the state panes, the
 * header and the footer (the code pane's tags and the timeline's labels
 * are checked by their own suites). */
static bool checked_pane(int p) {
    return p == P_HEADER || p == P_FOOTER || p == P_LOOP || p == P_RUNNING || p == P_READY ||
           p == P_WAITING || p == P_NARRATION;
}

typedef struct where {
    const char *slug;
    int w, h;
    float scale;
    size_t step;
} where;

#define AT "%s step %zu at %dx%d scale %.1f: "
#define AT_ARGS(x) (x).slug, (x).step + 1, (x).w, (x).h, (double)(x).scale

static void check_frame(const llv_ui *ui, const frame_log *f, where at) {
    const llv_model *m = ui->m;
    const llv_state *s = &m->cur;
    char buf[160];
    /* panes: inside the frame, apart */
    SDL_Rect all = {0, 0, at.w, at.h};
    for (int p = 0; p < P__N; p++) {
        SDL_Rect in;
        if (ui->pane[p].w <= 0)
            continue;
        ck_assert_msg(SDL_IntersectRect(&all, &ui->pane[p], &in) &&
                          SDL_RectEquals(&in, &ui->pane[p]),
                      AT "the %s pane leaves the frame", AT_ARGS(at), llv_pane_names[p]);
        for (int q = p + 1; q < P__N; q++)
            ck_assert_msg(!SDL_HasIntersection(&ui->pane[p], &ui->pane[q]),
                          AT "the %s and %s panes overlap", AT_ARGS(at), llv_pane_names[p],
                          llv_pane_names[q]);
    }
    /* no two strings of a state pane over each other */
    for (size_t i = 0; i < f->n; i++) {
        const drawn *a = &f->d[i];
        if (!checked_pane(a->pane))
            continue;
        for (size_t j = i + 1; j < f->n; j++) {
            const drawn *b = &f->d[j];
            SDL_Rect in;
            if (b->pane == a->pane && SDL_IntersectRect(&a->box, &b->box, &in) && in.w > 1 &&
                in.h > 1)
                ck_abort_msg(AT "in the %s pane '%s' (%d,%d %dx%d) and '%s' (%d,%d %dx%d) overlap",
                             AT_ARGS(at), llv_pane_names[a->pane], a->s, a->box.x, a->box.y,
                             a->box.w, a->box.h, b->s, b->box.x, b->box.y, b->box.w, b->box.h);
        }
    }
    /* the clock */
    snprintf(buf, sizeof buf, "t = %.3f s", (double)s->now / 1e9);
    ck_assert_msg(find(f, -2, buf, false), AT "the clock '%s' is not shown whole", AT_ARGS(at),
                  buf);
    /* the running task: its name and the line it is at */
    if (s->running != UINT32_MAX && ui->pane[P_RUNNING].h >= 4 * ui->line) {
        ck_assert_msg(find(f, P_RUNNING, llv_task_name(m, s->running), true),
                      AT "the running task %s is not shown whole", AT_ARGS(at),
                      llv_task_name(m, s->running));
        /* a task that has run no line yet is entering its coroutine */
        const char *says = llv_where_now(m).site ? ".c:" : "entering ";
        bool line = false;
        for (size_t i = 0; i < f->n; i++)
            line |= f->d[i].pane == P_RUNNING && !f->d[i].cut && strstr(f->d[i].s, says) != NULL;
        ck_assert_msg(line, AT "the running task's line is not shown whole", AT_ARGS(at));
    }
    /* the ready queue: its size, and each task in it shown or counted */
    snprintf(buf, sizeof buf, "(%zu)", s->nready);
    ck_assert_msg(find(f, P_READY, buf, false), AT "the ready queue's size %s is not shown",
                  AT_ARGS(at), buf);
    size_t missing = 0;
    for (size_t i = 0; i < s->nready; i++)
        if (!s->ready[i].is_cb && !find(f, P_READY, llv_task_name(m, s->ready[i].task), true))
            missing++;
    ck_assert_msg(missing <= counted(f, P_READY),
                  AT "%zu ready tasks are neither shown nor counted", AT_ARGS(at), missing);
    /* the waiting tasks: each shown or counted; a sleeper's deadline whole */
    size_t waiting = 0;
    missing = 0;
    for (uint32_t ti = 0; ti < m->ntasks; ti++) {
        const llv_task *t = &s->tasks[ti];
        if (t->state != LLV_WAITING)
            continue;
        waiting++;
        if (!find(f, P_WAITING, llv_task_name(m, ti), true)) {
            missing++;
            continue;
        }
        if (t->wait == LL_WAIT_SLEEP && t->until >= 0 &&
            strcmp(m->trace.meta.clock, "virtual") == 0) {
            snprintf(buf, sizeof buf, "%.3f s", (double)t->until / 1e9);
            ck_assert_msg(find(f, P_WAITING, buf, false),
                          AT "%s sleeps until %s, which is not shown whole", AT_ARGS(at),
                          llv_task_name(m, ti), buf);
        }
    }
    snprintf(buf, sizeof buf, "Waiting (%zu task", waiting);
    bool title = find(f, P_WAITING, buf, false) != NULL;
    ck_assert_msg(missing <= counted(f, P_WAITING) || (title && missing == waiting),
                  AT "%zu of %zu waiting tasks are neither shown nor counted", AT_ARGS(at), missing,
                  waiting);
    /* a semaphore's slots, unless the pane counts it among those left out */
    for (uint32_t k = 0; k < m->nsync; k++) {
        unsigned kind = m->sync[k].kind;
        if (m->sync[k].born > ui->cursor ||
            (kind != LL_SYNC_SEMAPHORE && kind != LL_SYNC_BOUNDED_SEMAPHORE))
            continue;
        snprintf(buf, sizeof buf, "%u of %u free", s->syncval[k],
                 llv_event(m, m->sync[k].born)->aux);
        ck_assert_msg(find(f, P_WAITING, buf, false) || find(f, P_WAITING, " more", false),
                      AT "the semaphore's '%s' is neither shown whole nor counted", AT_ARGS(at),
                      buf);
    }
    /* a queue's size and maxsize, unless the pane counts the queue among
     * those left out; where its items are listed (its row's first detail
     * to go when the pane is short), the front one whole or "+N more" */
    for (uint32_t k = 0; k < m->nsync; k++) {
        unsigned kind = m->sync[k].kind, max = llv_event(m, m->sync[k].born)->aux;
        if (m->sync[k].born > ui->cursor ||
            (kind != LL_SYNC_QUEUE && kind != LL_SYNC_LIFO_QUEUE && kind != LL_SYNC_PRIORITY_QUEUE))
            continue;
        if (max)
            snprintf(buf, sizeof buf, "%u of maxsize %u", s->syncval[k], max);
        else
            snprintf(buf, sizeof buf, "%u item", s->syncval[k]);
        bool shown = find(f, P_WAITING, buf, false) != NULL;
        ck_assert_msg(shown || find(f, P_WAITING, " more", false),
                      AT "the queue's '%s' is neither shown whole nor counted", AT_ARGS(at), buf);
        const llv_qitem *front;
        if (shown && find(f, P_WAITING, "front:", true) && llv_queue_items(m, k, &front, 1)) {
            const char *item = llv_str(m, front->str);
            ck_assert_msg(find(f, P_WAITING, item, false) || find(f, P_WAITING, " more", false),
                          AT "the queue's front item %s is neither shown whole nor counted",
                          AT_ARGS(at), item);
        }
    }
    /* the highlighted line, when the code pane is shown */
    int line = llv_ui_current_line(ui);
    if (line > 0 && ui->pane[P_CODE].w > 0 && ui->pane[P_CODE].h > 3 * ui->line) {
        SDL_Rect band = llv_ui_line_band, in;
        ck_assert_msg(band.h > 0, AT "line %d is not highlighted", AT_ARGS(at), line);
        ck_assert_msg(SDL_IntersectRect(&band, &ui->pane[P_CODE], &in) && in.h == band.h,
                      AT "line %d is highlighted outside the code pane", AT_ARGS(at), line);
    }
}

START_TEST(every_lesson_keeps_its_essentials_at_every_size_and_scale) {
    const char *slug = slugs[_i];
    /* Valgrind is 20-50 times slower: the first, middle and last lessons,
     * at the two sizes and scales a classroom meets most */
    bool light = under_checker();
    if (light && _i != 0 && _i != nslugs / 2 && _i != nslugs - 1)
        return;
    ck_assert_int_eq(TTF_Init(), 0);
    llv_model m;
    lesson_model(slug, "", &m);
    char c_path[512], py_path[512];
    snprintf(c_path, sizeof c_path, "%s/lessons/%s/lesson.c", LL_SOURCE_ROOT, slug);
    snprintf(py_path, sizeof py_path, "%s/lessons/%s/lesson.py", LL_SOURCE_ROOT, slug);
    /* a dense sample of steps: some 40 of each lesson (6 under a
     * checker); the largest size gets a third of them */
    size_t want = light ? 6 : 40;
    size_t frames = 0;
    for (int si = 0; si < NSIZES; si++) {
        int w = sizes[si][0], h = sizes[si][1];
        if (light && (w < 1280 || w > 2000))
            continue;
        SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
        SDL_Renderer *r = SDL_CreateSoftwareRenderer(surf);
        ck_assert_ptr_nonnull(r);
        llv_ui ui;
        char err[256];
        ck_assert_msg(llv_ui_init(&ui, &m, r, LL_SOURCE_ROOT "/assets", err, sizeof err) == 0, "%s",
                      err);
        llv_ui_sources(&ui, c_path, py_path);
        frame_log f = {&ui, r, NULL, 0, 0};
        llv_text_hook = on_text;
        llv_text_hook_ud = &f;
        size_t n = w > 2000 ? want / 3 : want;
        size_t stride = m.n / n ? m.n / n : 1;
        for (int sc = 0; sc < NSCALES; sc++) {
            if (light && scales[sc] != 1.0f && scales[sc] != 2.0f)
                continue;
            ui.zoom = scales[sc];
            /* the steps are offset per scale, so that together they cover more */
            for (size_t i = (size_t)sc * stride / NSCALES; i < m.n; i += stride) {
                ui.theme = (int)((i / stride) % LLV__NTHEMES); /* both themes, in turn */
                llv_ui_seek(&ui, i);
                f.n = 0;
                llv_ui_draw(&ui, w, h);
                check_frame(&ui, &f, (where){slug, w, h, scales[sc], i});
                frames++;
            }
            /* the last step too: where a run ends, and a crash is told */
            llv_ui_seek(&ui, m.n - 1);
            f.n = 0;
            llv_ui_draw(&ui, w, h);
            check_frame(&ui, &f, (where){slug, w, h, scales[sc], m.n - 1});
        }
        llv_text_hook = NULL;
        free(f.d);
        llv_ui_free(&ui);
        SDL_DestroyRenderer(r);
        SDL_FreeSurface(surf);
    }
    ck_assert_uint_gt(frames, 0);
    llv_model_free(&m);
    TTF_Quit();
}
END_TEST

/* Lesson 11 at 1920x1080 scale 1.5 in the projector theme (issue 17): the
 * third waiter of the semaphore was dropped with no "+1", and its counter
 * read "semaphore slots val...".  Now: the counter whole, who holds the two
 * slots, and the three waiters in order. */
START_TEST(lesson_11_semaphore_shows_its_slots_holders_and_waiters) {
    ck_assert_int_eq(TTF_Init(), 0);
    llv_model m;
    lesson_model("11-semaphore", "", &m);
    SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, 1920, 1080, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(surf);
    llv_ui ui;
    char err[256];
    ck_assert_msg(llv_ui_init(&ui, &m, r, LL_SOURCE_ROOT "/assets", err, sizeof err) == 0, "%s",
                  err);
    ui.zoom = 1.5f;
    ui.theme = LLV_THEME_PROJECTOR;
    frame_log f = {&ui, r, NULL, 0, 0};
    llv_text_hook = on_text;
    llv_text_hook_ud = &f;
    /* the first step at which three tasks wait on the semaphore */
    size_t at = SIZE_MAX;
    for (size_t i = 0; i < m.n && at == SIZE_MAX; i++) {
        llv_ui_seek(&ui, i);
        uint32_t w[8];
        if (m.nsync && llv_waiters(&m, m.sync[0].id, w, 8) == 3)
            at = i;
    }
    ck_assert_msg(at != SIZE_MAX, "lesson 11 never has three waiters");
    f.n = 0;
    llv_ui_draw(&ui, 1920, 1080);
    ck_assert_msg(find(&f, P_WAITING, "semaphore 'slots': 0 of 2 free", true),
                  "the semaphore's counter is not shown whole");
    ck_assert_msg(find(&f, P_WAITING, "held by", true), "the holders are not shown");
    /* holders and waiters in order, each whole or counted */
    uint32_t w[8];
    size_t nw = llv_waiters(&m, m.sync[0].id, w, 8), shown = 0;
    for (size_t k = 0; k < nw; k++)
        shown += find(&f, P_WAITING, llv_task_name(&m, w[k]), true) != NULL;
    ck_assert_uint_eq(shown + counted(&f, P_WAITING), nw);
    llv_text_hook = NULL;
    free(f.d);
    llv_ui_free(&ui);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(surf);
    llv_model_free(&m);
    TTF_Quit();
}
END_TEST

/* Lesson 20 (TaskGroup) and 13 (wait_for): a task waiting at the end of
 * a TaskGroup's block, or in wait_for, is shown as that, not as "future #5"
 * (trace 1.5's wait kinds taskgroup and wait_for). */
static void shows_wait_as(const char *slug, uint8_t kind, const char *says) {
    ck_assert_int_eq(TTF_Init(), 0);
    llv_model m;
    lesson_model(slug, "", &m);
    SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, 1920, 1080, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(surf);
    llv_ui ui;
    char err[256];
    ck_assert_msg(llv_ui_init(&ui, &m, r, LL_SOURCE_ROOT "/assets", err, sizeof err) == 0, "%s",
                  err);
    frame_log f = {&ui, r, NULL, 0, 0};
    size_t at = SIZE_MAX;
    for (size_t i = 0; i < m.n && at == SIZE_MAX; i++) {
        llv_ui_seek(&ui, i);
        for (size_t k = 0; k < m.ntasks; k++)
            if (m.cur.tasks[k].state == LLV_WAITING && m.cur.tasks[k].wait == kind)
                at = i;
    }
    ck_assert_msg(at != SIZE_MAX, "%s: no task ever waits on %s", slug, ll_wait_kind_name(kind));
    llv_text_hook = on_text;
    llv_text_hook_ud = &f;
    llv_ui_draw(&ui, 1920, 1080);
    llv_text_hook = NULL;
    ck_assert_msg(find(&f, P_WAITING, says, true), "%s step %zu: the waiting pane has no '%s'",
                  slug, at + 1, says);
    ck_assert_msg(!find(&f, P_WAITING, "future #", false), "%s step %zu: still 'future #N'", slug,
                  at + 1);
    free(f.d);
    llv_ui_free(&ui);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(surf);
    llv_model_free(&m);
    TTF_Quit();
}

START_TEST(taskgroup_and_wait_for_are_drawn_as_what_they_are) {
    shows_wait_as("20-taskgroup", LL_WAIT_TASKGROUP, "leaving its TaskGroup");
    shows_wait_as("13-timeouts", LL_WAIT_WAIT_FOR, "result or timeout in wait_for");
}
END_TEST

/* A window too narrow for two columns (1280x720 at 2x): the timeline, code,
 * console and log become tabs, one shown at a time, each reachable; the
 * state panes stay. */
START_TEST(a_narrow_window_shows_the_right_column_as_tabs) {
    ck_assert_int_eq(TTF_Init(), 0);
    llv_model m;
    lesson_model("05-three-counters", "", &m);
    SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, 1280, 720, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(surf);
    llv_ui ui;
    char err[256];
    ck_assert_msg(llv_ui_init(&ui, &m, r, LL_SOURCE_ROOT "/assets", err, sizeof err) == 0, "%s",
                  err);
    ui.zoom = 2.0f;
    static const int tabbed[4] = {P_TIMELINE, P_CODE, P_CONSOLE, P_LOG};
    for (int tab = 0; tab < 4; tab++) {
        ui.tab = tab;
        llv_ui_draw(&ui, 1280, 720);
        ck_assert(ui.narrow && ui.tabs.w > 0);
        int shown = 0;
        for (int k = 0; k < 4; k++)
            shown += ui.pane[tabbed[k]].w > 0;
        ck_assert_int_eq(shown, 1);
        ck_assert_msg(ui.pane[tabbed[tab]].w > 0, "tab %d does not show its pane", tab);
        ck_assert(ui.pane[P_RUNNING].w > 0 && ui.pane[P_READY].w > 0 && ui.pane[P_WAITING].w > 0);
    }
    /* wide enough again: two columns, every pane shown */
    ui.zoom = 1.0f;
    llv_ui_draw(&ui, 1920, 1080);
    ck_assert(!ui.narrow && ui.tabs.w == 0);
    for (int k = 0; k < 4; k++)
        ck_assert(ui.pane[tabbed[k]].w > 0);
    llv_ui_free(&ui);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(surf);
    llv_model_free(&m);
    TTF_Quit();
}
END_TEST

int main(void) {
    nslugs = find_lessons(slugs, 128);
    if (nslugs == 0) {
        fprintf(stderr, "no lessons under %s/lessons\n", LL_SOURCE_ROOT);
        return EXIT_FAILURE;
    }
    Suite *s = suite_create("layout");
    TCase *tc = tcase_create("layout");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, lesson_11_semaphore_shows_its_slots_holders_and_waiters);
    tcase_add_test(tc, taskgroup_and_wait_for_are_drawn_as_what_they_are);
    tcase_add_test(tc, a_narrow_window_shows_the_right_column_as_tabs);
    tcase_add_loop_test(tc, every_lesson_keeps_its_essentials_at_every_size_and_scale, 0, nslugs);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
