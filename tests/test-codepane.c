/* test-codepane.c - the code pane, drawn headless: it highlights the line
 * of the task that runs (or is about to), keeps that line in view at every
 * scale, lists the tasks parked on a line front of the line first, never
 * cuts a comment or draws a tag over code, and shows the Python twin as
 * alive as the C (the same moment's line, through lessons/SLUG/pymap.txt),
 * side by side where the window is wide.
 *
 * Built only with -Dgui=true. */
#include <SDL.h>
#include <SDL_ttf.h>

#include "harness-view.h"
#include "view/ui.h"

/* A lesson's model and a UI drawing it on a w x h software renderer, with
 * its C source and Python twin loaded. */
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
    char err[256], c[512], py[512];
    ck_assert_msg(llv_ui_init(&f->ui, &f->m, f->r, LL_SOURCE_ROOT "/assets", err, sizeof err) == 0,
                  "%s", err);
    snprintf(c, sizeof c, "%s/lessons/%s/lesson.c", LL_SOURCE_ROOT, slug);
    snprintf(py, sizeof py, "%s/lessons/%s/lesson.py", LL_SOURCE_ROOT, slug);
    llv_ui_sources(&f->ui, c, py);
}

static void fixture_close(fixture *f) {
    llv_ui_free(&f->ui);
    llv_model_free(&f->m);
    SDL_DestroyRenderer(f->r);
    SDL_FreeSurface(f->s);
    TTF_Quit();
}

/* The strings drawn inside the code pane in the last frame. */
#define MAXSTR 512
typedef struct drawn {
    SDL_Rect code; /* the code pane */
    size_t n;
    SDL_Rect box[MAXSTR];
    char text[MAXSTR][160];
} drawn;

static void on_text(const SDL_Rect *box, const char *s, size_t len, void *ud) {
    drawn *d = ud;
    SDL_Point p = {box->x, box->y};
    if (d->n >= MAXSTR || !SDL_PointInRect(&p, &d->code))
        return;
    d->box[d->n] = *box;
    snprintf(d->text[d->n], sizeof d->text[0], "%.*s", (int)(len < 159 ? len : 159), s);
    d->n++;
}

static void draw(fixture *f, drawn *d, int w, int h) {
    llv_ui_layout(&f->ui, w, h);
    d->code = f->ui.pane[P_CODE];
    d->n = 0;
    llv_text_hook = on_text;
    llv_text_hook_ud = d;
    llv_ui_draw(&f->ui, w, h);
    llv_text_hook = NULL;
}

/* The text drawn in a band's row, right of the line numbers, or "". */
static const char *text_in_band(const drawn *d, SDL_Rect band) {
    const char *best = "";
    int bx = INT32_MAX;
    for (size_t i = 0; i < d->n; i++)
        if (d->box[i].y >= band.y && d->box[i].y < band.y + band.h && d->box[i].x > band.x + 40 &&
            d->box[i].x < bx && d->box[i].x < band.x + band.w) {
            bx = d->box[i].x;
            best = d->text[i];
        }
    return best;
}

static bool contains(SDL_Rect outer, SDL_Rect in) {
    return in.h > 0 && in.x >= outer.x && in.y >= outer.y && in.x + in.w <= outer.x + outer.w &&
           in.y + in.h <= outer.y + outer.h;
}

/* Lesson 5, step 16: Task-2 has just been given the thread and has run no
 * line of its own.  Its line is count()'s first line, not main's gather
 * that created it; the model, the C pane and the Python pane agree. */
START_TEST(the_current_line_is_the_line_of_the_task_about_to_run) {
    fixture f;
    fixture_open(&f, "05-three-counters", 1920, 1080);
    size_t step = 0;
    for (; step < f.m.n; step++) { /* the first run of Task-2 */
        const ll_trace_event *e = llv_event(&f.m, step);
        if (e->kind == LL_EV_TASK_RUN &&
            strcmp(llv_task_name(&f.m, llv_task_index(&f.m, e->task)), "Task-2") == 0)
            break;
    }
    ck_assert_uint_lt(step, f.m.n);
    llv_ui_seek(&f.ui, step);
    llv_where w = llv_where_now(&f.m);
    ck_assert_int_eq(w.who, LLV_WHO_RUNNING);
    ck_assert_str_eq(llv_task_name(&f.m, w.task), "Task-2");
    ck_assert_uint_eq(w.site, 0); /* not started: at the top of count() */
    ck_assert_str_eq(llv_str(&f.m, w.coro), "count");
    int line = llv_ui_current_line(&f.ui);
    ck_assert_msg(line > 0 && strstr(f.ui.src.line[line - 1], "ll_value count("),
                  "step %zu highlights lesson.c:%d `%s`, not count()'s definition", step + 1, line,
                  line > 0 ? f.ui.src.line[line - 1] : "");
    drawn d;
    draw(&f, &d, 1920, 1080);
    ck_assert_msg(strstr(text_in_band(&d, llv_ui_line_band), "count("),
                  "the highlighted row reads `%s`", text_in_band(&d, llv_ui_line_band));
    f.ui.show_py = true;
    draw(&f, &d, 1920, 1080);
    ck_assert_msg(strstr(text_in_band(&d, llv_ui_py_band), "async def count():"),
                  "the Python view highlights `%s`", text_in_band(&d, llv_ui_py_band));
    fixture_close(&f);
}
END_TEST

/* At every step of these lessons, the line the model names for the task
 * it names is the line highlighted: the running task when there is one,
 * else the next in the ready queue. */
START_TEST(the_highlight_follows_the_task_the_model_names) {
    static const char *const slugs[] = {"05-three-counters", "11-semaphore", "20-taskgroup"};
    const char *slug = slugs[_i];
    fixture f;
    fixture_open(&f, slug, 1920, 1080);
    size_t named = 0;
    for (size_t i = 0; i < f.m.n; i++) {
        llv_ui_seek(&f.ui, i);
        llv_where w = llv_where_now(&f.m);
        if (f.m.cur.running != UINT32_MAX)
            ck_assert_msg(w.who == LLV_WHO_RUNNING && w.task == f.m.cur.running,
                          "%s step %zu: the running task is not the one whose line shows", slug,
                          i + 1);
        else if (f.m.cur.nready && !f.m.cur.ready[0].is_cb)
            ck_assert_msg(w.who == LLV_WHO_NEXT && w.task == f.m.cur.ready[0].task,
                          "%s step %zu: the task about to run is not the one whose line shows",
                          slug, i + 1);
        if (w.who == LLV_WHO_NONE || !w.site)
            continue;
        const ll__site *s = ll__rec_sitep(&f.m.trace.rec, w.site);
        if (s && s->file && strstr(s->file, "lesson.c")) {
            ck_assert_int_eq(llv_ui_current_line(&f.ui), (int)s->line);
            named++;
        }
    }
    ck_assert_uint_gt(named, 10);
    fixture_close(&f);
}
END_TEST

/* The Running card names the line the code pane highlights (lesson 5 step
 * 16 once read lesson.c:23, main's gather, while line 9 was lit). */
static void on_card_text(const SDL_Rect *box, const char *s, size_t len, void *ud) {
    char *line = ud;
    SDL_Point p = {box->x, box->y};
    if (SDL_PointInRect(&p, &llv_ui_running_card) && len > 9 && strncmp(s, "lesson.c:", 9) == 0)
        snprintf(line, 32, "%.*s", (int)(len < 31 ? len : 31), s);
}

START_TEST(the_running_card_names_the_highlighted_line) {
    static const char *const slugs[] = {"05-three-counters", "11-semaphore", "20-taskgroup"};
    const char *slug = slugs[_i];
    fixture f;
    fixture_open(&f, slug, 1920, 1080);
    size_t stride = under_checker() ? 7 : 1, compared = 0;
    for (size_t i = 0; i < f.m.n; i += stride) {
        llv_ui_seek(&f.ui, i);
        if (f.m.cur.running == UINT32_MAX)
            continue;
        char card[32] = "";
        llv_ui_layout(&f.ui, 1920, 1080);
        llv_text_hook = on_card_text;
        llv_text_hook_ud = card;
        llv_ui_draw(&f.ui, 1920, 1080);
        llv_text_hook = NULL;
        int lit = llv_ui_current_line(&f.ui);
        if (!card[0])
            continue; /* entering its coroutine: no line of its own yet */
        ck_assert_msg(lit == atoi(card + 9), "%s step %zu: the card reads %s, line %d is lit", slug,
                      i + 1, card, lit);
        compared++;
    }
    ck_assert_uint_gt(compared, under_checker() ? 1 : 5); /* a seventh of the steps */
    fixture_close(&f);
}
END_TEST

/* At projector scales the highlighted line stays inside the code pane, in
 * C and in the Python twin (at 1.5x the pane once showed lines 1-13 while
 * the action was at 18-20). */
START_TEST(the_highlighted_line_stays_in_view_at_every_scale) {
    static const char *const slugs[] = {"01-hello-gather", "11-semaphore", "20-taskgroup",
                                        "22-pitfalls"};
    static const float scales[] = {1.0f, 1.5f, 2.0f};
    const char *slug = slugs[_i];
    fixture f;
    fixture_open(&f, slug, 1280, 720);
    f.ui.theme = LLV_THEME_PROJECTOR;
    size_t checked = 0, stride = under_checker() ? f.m.n / 6 + 1 : f.m.n / 60 + 1;
    drawn d;
    for (size_t k = 0; k < 3; k++)
        for (int py = 0; py < 2; py++)
            for (size_t i = 0; i < f.m.n; i += stride) {
                f.ui.zoom = scales[k];
                f.ui.show_py = py;
                f.ui.tab = 1; /* where code is a tab (the 2nd), the class has chosen it */
                llv_ui_seek(&f.ui, i);
                draw(&f, &d, 1280, 720);
                int line = llv_ui_current_line(&f.ui);
                if (py)
                    line = llv_ui_py_line(&f.ui, line);
                if (line <= 0)
                    continue;
                SDL_Rect band = py ? llv_ui_py_band : llv_ui_line_band;
                ck_assert_msg(contains(d.code, band),
                              "%s step %zu, scale %.1f, %s: line %d is not inside the code pane",
                              slug, i + 1, (double)scales[k], py ? "Python" : "C", line);
                char num[16];
                snprintf(num, sizeof num, "%4d", line);
                bool numbered = false;
                for (size_t s = 0; s < d.n; s++)
                    numbered |= d.box[s].y == band.y && strcmp(d.text[s], num) == 0;
                ck_assert_msg(numbered, "%s step %zu: the band is not line %d's row", slug, i + 1,
                              line);
                checked++;
            }
    ck_assert_uint_gt(checked, under_checker() ? 6 : 20);
    fixture_close(&f);
}
END_TEST

/* Lesson 11: three fetches wait for the semaphore on one line.  Their tags
 * read front of the line first, as the semaphore will let them in. */
START_TEST(tags_on_a_line_list_the_front_of_the_line_first) {
    fixture f;
    fixture_open(&f, "11-semaphore", 1920, 1080);
    uint32_t sem = f.m.nsync ? f.m.sync[0].id : 0, order[8];
    size_t n = 0, i = 0;
    for (; i < f.m.n && n < 3; i++) {
        llv_model_seek(&f.m, i);
        n = llv_waiters(&f.m, sem, order, 8);
    }
    ck_assert_uint_eq(n, 3);
    llv_ui_seek(&f.ui, i - 1);
    for (int py = 0; py < 2; py++) {
        f.ui.show_py = py;
        drawn d;
        draw(&f, &d, 1920, 1080);
        int x[3] = {-1, -1, -1};
        for (size_t s = 0; s < d.n; s++)
            for (int k = 0; k < 3; k++)
                if (strcmp(d.text[s], llv_task_name(&f.m, order[k])) == 0)
                    x[k] = d.box[s].x;
        ck_assert_msg(x[0] >= 0 && x[1] >= 0 && x[2] >= 0, "%s: a waiter's tag is missing",
                      py ? "Python" : "C");
        ck_assert_msg(x[0] < x[1] && x[1] < x[2],
                      "%s: tags read %s@%d %s@%d %s@%d; the first waiter should be leftmost",
                      py ? "Python" : "C", llv_task_name(&f.m, order[0]), x[0],
                      llv_task_name(&f.m, order[1]), x[1], llv_task_name(&f.m, order[2]), x[2]);
    }
    fixture_close(&f);
}
END_TEST

/* No comment is cut ("/\* await asyncio.sleep(delay) *\/" whole, never
 * ending in "…"), and no two strings in the code pane overlap (a tag
 * drawn over code would), at small and projector sizes. */
START_TEST(comments_are_whole_and_tags_cover_no_code) {
    static const char *const slugs[] = {"01-hello-gather", "05-three-counters", "11-semaphore",
                                        "13-timeouts", "20-taskgroup"};
    static const int sizes[][3] = {
        {1024, 768, 10}, {1280, 720, 15}, {1920, 1080, 10}, {1920, 1080, 20}};
    const char *slug = slugs[_i];
    fixture f;
    fixture_open(&f, slug, 1920, 1080);
    size_t comments = 0, stride = under_checker() ? f.m.n / 5 + 1 : f.m.n / 40 + 1;
    drawn d;
    for (size_t z = 0; z < 4; z++)
        for (size_t i = 0; i < f.m.n; i += stride) {
            int w = sizes[z][0], h = sizes[z][1];
            f.ui.zoom = (float)sizes[z][2] / 10.0f;
            llv_ui_seek(&f.ui, i);
            draw(&f, &d, w, h);
            SDL_Rect inner = {d.code.x, d.code.y, d.code.w, d.code.h};
            for (size_t s = 0; s < d.n; s++) {
                const char *t = d.text[s];
                const char *open = strstr(t, "/*");
                if (open && !strstr(open, "*/") && open != t + strspn(t, " ")) {
                    ck_abort_msg("%s step %zu at %dx%d scale %.1f: a comment is cut: `%s`", slug,
                                 i + 1, w, h, (double)f.ui.zoom, t);
                }
                comments += open != NULL;
                ck_assert_msg(contains(inner, d.box[s]) || strstr(t, "\xE2\x80\xA6"),
                              "%s step %zu: `%s` leaves the code pane", slug, i + 1, t);
                for (size_t o = s + 1; o < d.n; o++)
                    ck_assert_msg(!SDL_HasIntersection(&d.box[s], &d.box[o]),
                                  "%s step %zu at %dx%d scale %.1f: `%s` and `%s` overlap", slug,
                                  i + 1, w, h, (double)f.ui.zoom, t, d.text[o]);
            }
        }
    ck_assert_uint_gt(comments, 0);
    fixture_close(&f);
}
END_TEST

/* Where the window is 1600 px wide or more at its scale (window px /
 * scale), C and Python are side by side, each alive: the same moment's
 * line lit in both, C's left of Python's, each inside the code pane and
 * its line number drawn whole.  At 1280x720, or 1920x1080 at 1.5x (1280
 * px at that scale), one file.  P cycles the pair, C, Python. */
START_TEST(c_and_python_side_by_side_where_the_window_is_wide) {
    static const char *const slugs[] = {"05-three-counters", "11-semaphore"};
    static const struct {
        int w, h;
        float zoom;
        bool pair;
    } sizes[] = {{1920, 1080, 1.0f, true},
                 {3840, 2160, 1.0f, true},
                 {1280, 720, 1.0f, false},
                 {1920, 1080, 1.5f, false}};
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        int w = sizes[z].w, h = sizes[z].h;
        fixture f;
        fixture_open(&f, slugs[_i], w, h);
        f.ui.zoom = sizes[z].zoom;
        size_t both = 0;
        for (size_t i = 0; i < f.m.n; i += 3) {
            llv_ui_seek(&f.ui, i);
            drawn d;
            draw(&f, &d, w, h);
            ck_assert_msg(f.ui.pair == sizes[z].pair, "%s at %dx%d scale %.1f: pair %d", slugs[_i],
                          w, h, (double)sizes[z].zoom, f.ui.pair);
            int line = llv_ui_current_line(&f.ui), py = llv_ui_py_line(&f.ui, line);
            if (!sizes[z].pair) {
                ck_assert_int_eq(llv_ui_py_band.h, 0);
                continue;
            }
            if (line <= 0 || py <= 0)
                continue;
            ck_assert_msg(contains(d.code, llv_ui_line_band) && contains(d.code, llv_ui_py_band),
                          "%s step %zu: a highlighted line is outside the code pane", slugs[_i],
                          i + 1);
            ck_assert_int_lt(llv_ui_line_band.x + llv_ui_line_band.w, llv_ui_py_band.x + 1);
            /* each band's line number, whole, at its left */
            char num[2][16];
            snprintf(num[0], sizeof num[0], "%4d", line);
            snprintf(num[1], sizeof num[1], "%4d", py);
            SDL_Rect band[2] = {llv_ui_line_band, llv_ui_py_band};
            for (int k = 0; k < 2; k++) {
                bool found = false;
                for (size_t s = 0; s < d.n && !found; s++)
                    found = strcmp(d.text[s], num[k]) == 0 && d.box[s].y >= band[k].y &&
                            d.box[s].y < band[k].y + band[k].h && d.box[s].x >= band[k].x &&
                            d.box[s].x < band[k].x + band[k].w;
                ck_assert_msg(found, "%s step %zu: line %s of the %s is not numbered in its band",
                              slugs[_i], i + 1, num[k], k ? "Python" : "C");
                ck_assert_msg(*text_in_band(&d, band[k]), "%s step %zu: the %s's band is empty",
                              slugs[_i], i + 1, k ? "Python" : "C");
            }
            both++;
        }
        if (sizes[z].pair)
            ck_assert_msg(both > 5, "%s at %dx%d: only %zu steps lit a line in both", slugs[_i], w,
                          h, both);
        fixture_close(&f);
    }
}
END_TEST

/* P where the pair fits: C and Python, then C only, then Python only, then
 * the pair again; in a window where it does not fit, C and Python. */
START_TEST(p_cycles_the_pair_c_and_python) {
    fixture f;
    fixture_open(&f, "05-three-counters", 1920, 1080);
    llv_ui *ui = &f.ui;
    drawn d;
    llv_ui_seek(ui, 20);
    draw(&f, &d, 1920, 1080);
    ck_assert(ui->pair_fits && ui->pair && !ui->show_py);
    static const struct { bool pair, py; } cycle[] = {{false, false}, {false, true}, {true, false}};
    for (size_t k = 0; k < 3; k++) {
        llv_ui_next_code_view(ui);
        draw(&f, &d, 1920, 1080);
        ck_assert_msg(ui->pair == cycle[k].pair && (ui->pair || ui->show_py == cycle[k].py),
                      "P %zu: pair %d, python %d", k + 1, ui->pair, ui->show_py);
        /* the title says what is shown */
        bool py_title = false, c_title = false;
        for (size_t s = 0; s < d.n; s++) {
            py_title |= strncmp(d.text[s], "lesson.py", 9) == 0;
            c_title |= strncmp(d.text[s], "lesson.c", 8) == 0;
        }
        ck_assert_msg(cycle[k].pair ? c_title
                      : cycle[k].py ? py_title && !c_title
                                    : c_title,
                      "P %zu: the title names the wrong file", k + 1);
    }
    /* a small window: P toggles the one file shown */
    draw(&f, &d, 1280, 720);
    ck_assert(!ui->pair_fits && !ui->pair);
    bool py = ui->show_py;
    llv_ui_next_code_view(ui);
    ck_assert(ui->show_py != py);
    llv_ui_next_code_view(ui);
    ck_assert(ui->show_py == py);
    fixture_close(&f);
}
END_TEST

int main(void) {
    Suite *s = suite_create("codepane");
    TCase *tc = tcase_create("codepane");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, the_current_line_is_the_line_of_the_task_about_to_run);
    tcase_add_loop_test(tc, the_highlight_follows_the_task_the_model_names, 0, 3);
    tcase_add_loop_test(tc, the_running_card_names_the_highlighted_line, 0, 3);
    tcase_add_loop_test(tc, the_highlighted_line_stays_in_view_at_every_scale, 0, 4);
    tcase_add_test(tc, tags_on_a_line_list_the_front_of_the_line_first);
    tcase_add_loop_test(tc, comments_are_whole_and_tags_cover_no_code, 0, 5);
    tcase_add_loop_test(tc, c_and_python_side_by_side_where_the_window_is_wide, 0, 2);
    tcase_add_test(tc, p_cycles_the_pair_c_and_python);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
