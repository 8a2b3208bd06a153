/* test-words.c - the picture and the words agree.
 *
 * A lesson's notes talk about the frame they appear on: "the one due at
 * t = 1 s", "its lane ends in red", "Nothing is ready".  These tests check
 * the kinds of claim a program can check, on every lesson run on the
 * virtual clock:
 *   - a time a note places something at ("at 0.4 s", "at t = 1 s") is on
 *     screen then: the clock, or the deadline of an armed timer or a
 *     waiting task;
 *   - a colour a note names is the colour of a bar the timeline draws then,
 *     in both themes;
 *   - a note stops holding when the scheduler moves on (lesson 1's
 *     "Nothing is ready" is gone once a timer wakes Task-2);
 * and that the model's lists read as the loop works: timers in the order
 * they fire, a cancelled task queued for its cancellation, a call_at
 * callback run for its timer.
 *
 * Built only with -Dgui=true (the colours are the theme's, as drawn). */
#include <SDL.h>
#include <SDL_ttf.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>

#include "harness-view.h"
#include "view/ui.h"

static lesson_slug slugs[128];
static int nslugs;

/* Lessons on the real clock measure their times: a note cannot name them. */
static bool on_real_clock(const char *slug) {
    char path[512];
    snprintf(path, sizeof path, "%s/lessons/%s/meta.txt", LL_SOURCE_ROOT, slug);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    char line[512];
    bool real = false;
    while (fgets(line, sizeof line, f))
        real |= strncmp(line, "clock: real", 11) == 0;
    fclose(f);
    return real;
}

/* The next time a note places something at, from *p on: "at 0.4 s",
 * "At t = 1 s".  Returns the seconds and the phrase, or -1 at the end. */
static double next_time(const char **p, char *phrase, size_t len) {
    for (const char *s = *p; *s; s++) {
        if (!((s[0] == 'a' || s[0] == 'A') && s[1] == 't' && s[2] == ' '))
            continue;
        if (s != *p && isalpha((unsigned char)s[-1]))
            continue; /* "that 2 s", "great" */
        const char *v = s + 3;
        if (strncmp(v, "t = ", 4) == 0)
            v += 4;
        char *end;
        double x = strtod(v, &end);
        if (end == v || !isdigit((unsigned char)*v) || strncmp(end, " s", 2) != 0 ||
            isalpha((unsigned char)end[2]))
            continue;
        snprintf(phrase, len, "%.*s", (int)(end + 2 - s), s);
        *p = end + 2;
        return x;
    }
    return -1;
}

/* Whether the frame at the cursor shows time t (ns): the clock, or an
 * armed timer's or a waiting task's deadline. */
static bool time_on_screen(const llv_model *m, double t) {
    const llv_state *s = &m->cur;
    if (fabs((double)s->now - t) < 5e5)
        return true;
    for (size_t i = 0; i < s->ntimers; i++)
        if (fabs((double)s->timers[i].when - t) < 5e5)
            return true;
    for (size_t i = 0; i < m->ntasks; i++)
        if (s->tasks[i].state == LLV_WAITING && s->tasks[i].until >= 0 &&
            fabs((double)s->tasks[i].until - t) < 5e5)
            return true;
    return false;
}

START_TEST(notes_place_things_at_times_the_frame_shows) {
    const char *slug = slugs[_i];
    if (on_real_clock(slug))
        return;
    llv_model m;
    lesson_model(slug, "", &m);
    for (size_t k = 0; k < m.nnotes; k++) {
        const char *text = llv_str(&m, llv_event(&m, m.notes[k])->str), *p = text;
        /* a note may look ahead ("the second fails at t = 0.4 s" before
         * the tasks sleep): it is the topic until the next note; or back on
         * what happened since the note before ("the task failed at t =
         * 0.6 s", said when main wakes at 1.0) */
        size_t from = k > 0 ? m.notes[k - 1] : 0;
        size_t until = k + 1 < m.nnotes ? m.notes[k + 1] : m.n;
        char phrase[64];
        for (double x; (x = next_time(&p, phrase, sizeof phrase)) >= 0;) {
            bool shown = false;
            for (size_t i = from; i < until && !shown; i++) {
                llv_model_seek(&m, i);
                shown = time_on_screen(&m, x * 1e9);
            }
            llv_model_seek(&m, m.notes[k]);
            ck_assert_msg(shown,
                          "%s step %u: the note says \"%s\" but until the next note the clock "
                          "(%.3f s at the note) never reads it and no timer is due then: \"%s\"",
                          slug, m.notes[k] + 1, phrase, (double)m.cur.now / 1e9, text);
        }
    }
    llv_model_free(&m);
}
END_TEST

/* The colour word a person would use for c: by hue, and brown for a dark
 * red or orange, grey when it has hardly any colour. */
static const char *colour_name(SDL_Color c) {
    double r = c.r / 255.0, g = c.g / 255.0, b = c.b / 255.0;
    double mx = fmax(r, fmax(g, b)), mn = fmin(r, fmin(g, b)), d = mx - mn;
    if (mx == 0 || d / mx < 0.25)
        return "grey";
    double h = mx == r ? fmod((g - b) / d, 6) : mx == g ? (b - r) / d + 2 : (r - g) / d + 4;
    h *= 60;
    if (h < 0)
        h += 360;
    if ((h < 45 || h >= 340) && mx < 0.6)
        return "brown";
    if (h < 30 || h >= 340)
        return "red";
    if (h < 50)
        return "orange";
    if (h < 70)
        return "yellow";
    if (h < 170)
        return "green";
    if (h < 260)
        return "blue";
    return "pink";
}

static const char *const colour_words[] = {"red",  "orange", "yellow", "green",
                                           "blue", "pink",   "brown",  "grey"};

/* The colour words of a note, as whole words. */
static bool names_colour(const char *text, const char *word) {
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        if ((p == text || !isalpha((unsigned char)p[-1])) && !isalpha((unsigned char)p[n]))
            return true;
    return false;
}

START_TEST(notes_name_colours_the_timeline_draws) {
    const char *slug = slugs[_i];
    if (on_real_clock(slug))
        return;
    ck_assert_int_eq(TTF_Init(), 0);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 1920, 1080, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(s);
    ck_assert_ptr_nonnull(r);
    llv_model m;
    lesson_model(slug, "", &m);
    llv_ui ui;
    char err[256];
    ck_assert_msg(llv_ui_init(&ui, &m, r, LL_SOURCE_ROOT "/assets", err, sizeof err) == 0, "%s",
                  err);
    for (size_t k = 0; k < m.nnotes; k++) {
        const char *text = llv_str(&m, llv_event(&m, m.notes[k])->str);
        for (size_t w = 0; w < sizeof colour_words / sizeof colour_words[0]; w++) {
            if (!names_colour(text, colour_words[w]))
                continue;
            for (int theme = 0; theme < LLV__NTHEMES; theme++) {
                ui.theme = theme;
                llv_ui_fit_timeline(&ui);
                llv_ui_seek(&ui, m.notes[k]);
                llv_ui_draw(&ui, 1920, 1080);
                bool seen = false;
                char drawn[300] = "";
                for (unsigned st = 0; st < LLV__NSTATES; st++) {
                    if (!(ui.tl_drawn_states & 1u << st))
                        continue;
                    const char *name = colour_name(ui.tl_drawn_color[st]);
                    seen |= strcmp(name, colour_words[w]) == 0;
                    size_t at = strlen(drawn);
                    snprintf(drawn + at, sizeof drawn - at, " %s=%s", llv_state_name(st), name);
                }
                ck_assert_msg(seen,
                              "%s step %u (theme %d): the note says %s, the timeline "
                              "draws%s: \"%s\"",
                              slug, m.notes[k] + 1, theme, colour_words[w], drawn, text);
            }
        }
    }
    llv_ui_free(&ui);
    llv_model_free(&m);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    TTF_Quit();
}
END_TEST

/* The note index said at or before `step` that is shown (holding), or
 * SIZE_MAX. */
static size_t note_shown(const llv_model *m, size_t step) {
    size_t k = llv_lower(m->notes, m->nnotes, step + 1);
    return k && llv_note_until(m, k - 1) >= step ? k - 1 : SIZE_MAX;
}

START_TEST(a_note_holds_until_the_scheduler_moves_on) {
    llv_model m;
    lesson_model("01-hello-gather", "", &m);
    size_t asleep = SIZE_MAX;
    for (size_t k = 0; k < m.nnotes; k++)
        if (strstr(llv_str(&m, llv_event(&m, m.notes[k])->str), "Nothing is ready"))
            asleep = k;
    ck_assert(asleep != SIZE_MAX);
    /* it holds where it is true: after Task-3 sleeps, while the loop waits */
    size_t said = m.notes[asleep];
    ck_assert_uint_eq(note_shown(&m, said), asleep);
    bool held_idle = false;
    for (size_t i = said; i < m.n; i++) {
        llv_model_seek(&m, i);
        if (note_shown(&m, i) != asleep)
            break;
        held_idle |= m.cur.running == UINT32_MAX && m.cur.nready == 0;
        ck_assert_msg(m.cur.nready == 0 || m.cur.running != UINT32_MAX,
                      "step %zu: \"Nothing is ready\" is shown with %zu in the ready queue", i + 1,
                      m.cur.nready);
    }
    ck_assert_msg(held_idle, "the note is gone before the loop waits");
    /* lesson 1 step 30: Task-2 is ready, and the note is gone */
    llv_model_seek(&m, 29);
    ck_assert_uint_gt(m.cur.nready, 0);
    ck_assert_uint_ne(note_shown(&m, 29), asleep);
    /* the last note (main, after gather) holds to the end */
    ck_assert_uint_eq(llv_note_until(&m, m.nnotes - 1), m.n - 1);
    llv_model_free(&m);
}
END_TEST

/* Every virtual-clock lesson: once its task has given up the thread, a
 * shown note never outlives the scheduler's next move (a timer firing, a
 * task or callback queued, a task run). */
START_TEST(no_note_holds_past_the_next_switch) {
    const char *slug = slugs[_i];
    if (on_real_clock(slug))
        return;
    llv_model m;
    lesson_model(slug, "", &m);
    for (size_t k = 0; k < m.nnotes; k++) {
        size_t said = m.notes[k], until = llv_note_until(&m, k);
        ck_assert_uint_ge(until, said);
        const ll_trace_event *e = llv_event(&m, said);
        uint32_t ti = e->task ? llv_task_index(&m, e->task) : UINT32_MAX;
        const llv_span *sp = ti != UINT32_MAX ? llv_span_at(&m, ti, said) : NULL;
        size_t gave = sp && sp->state == LLV_RUNNING ? sp->ev1 : said;
        for (size_t i = gave + 1; i <= until && i < m.n; i++) {
            unsigned kind = llv_event(&m, i)->kind;
            ck_assert_msg(kind != LL_EV_TASK_RUN && kind != LL_EV_TASK_READY &&
                              kind != LL_EV_TIMER_FIRE &&
                              (kind != LL_EV_CB_QUEUED || llv_event(&m, i)->sub == LL_REASON_STOP),
                          "%s: the note of step %zu still holds at step %zu, after the "
                          "scheduler moved on",
                          slug, said + 1, i + 1);
        }
    }
    llv_model_free(&m);
}
END_TEST

/* Lesson 7 arms a timer for 0.5 s, then one for 0.2 s: the loop fires the
 * 0.2 s one first, and every lesson's timers are listed in that order. */
START_TEST(timers_are_listed_in_the_order_they_fire) {
    const char *slug = slugs[_i];
    if (on_real_clock(slug))
        return;
    llv_model m;
    lesson_model(slug, "", &m);
    bool out_of_order_armed = false;
    for (size_t i = 0; i < m.n; i++) {
        llv_model_seek(&m, i);
        const llv_state *s = &m.cur;
        for (size_t k = 1; k < s->ntimers; k++)
            ck_assert_msg(s->timers[k - 1].when <= s->timers[k].when,
                          "%s step %zu: timer %u (due %lld) listed before timer %u (due %lld)",
                          slug, i + 1, s->timers[k - 1].id, (long long)s->timers[k - 1].when,
                          s->timers[k].id, (long long)s->timers[k].when);
        const ll_trace_event *e = llv_event(&m, i);
        if (e->kind == LL_EV_TIMER_ARM && s->ntimers > 1)
            out_of_order_armed |= s->timers[s->ntimers - 1].id != e->obj;
    }
    if (strcmp(slug, "07-under-the-hood") == 0)
        ck_assert_msg(out_of_order_armed, "lesson 7 arms a later timer before an earlier one");
    llv_model_free(&m);
}
END_TEST

/* Lesson 20: the group cancels the hotel while it sleeps.  Its wake-up is
 * the cancellation, and the ready queue says so (the trace's ready event
 * names the sleep it was in). */
START_TEST(a_cancelled_task_is_queued_for_its_cancellation) {
    llv_model m;
    lesson_model("20-taskgroup", "", &m);
    size_t checked = 0;
    for (size_t i = 0; i + 1 < m.n; i++) {
        const ll_trace_event *e = llv_event(&m, i);
        if (e->kind != LL_EV_CANCEL || !e->aux)
            continue;
        uint32_t ti = llv_task_index(&m, e->obj);
        llv_model_seek(&m, i);
        if (ti == UINT32_MAX || m.cur.tasks[ti].state != LLV_WAITING)
            continue;
        for (size_t j = i + 1; j < m.n; j++) {
            const ll_trace_event *r = llv_event(&m, j);
            if (r->kind != LL_EV_TASK_READY || llv_task_index(&m, r->task) != ti)
                continue;
            llv_model_seek(&m, j);
            const llv_entry *q = &m.cur.ready[m.cur.nready - 1];
            ck_assert_uint_eq(q->task, ti);
            ck_assert_msg(q->reason == LL_REASON_CANCELLED,
                          "step %zu: %s is queued for %s, "
                          "not for its cancellation",
                          j + 1, llv_task_name(&m, ti), ll_reason_name(q->reason));
            checked++;
            break;
        }
    }
    ck_assert_msg(checked > 0, "lesson 20 cancels no sleeping task");
    llv_model_free(&m);
}
END_TEST

/* Lesson 7's call_later and call_at callbacks run because their timers
 * came due: the trace (and so every pane) says timer, not call_soon. */
START_TEST(a_timer_callback_runs_for_its_timer) {
    llv_model m;
    lesson_model("07-under-the-hood", "", &m);
    size_t timed = 0, soon = 0;
    uint32_t fired[64]; /* timers fired whose callback has not run yet */
    size_t nfired = 0;
    for (size_t i = 0; i < m.n; i++) {
        const ll_trace_event *e = llv_event(&m, i);
        if (e->kind == LL_EV_TIMER_FIRE && nfired < 64)
            fired[nfired++] = e->obj;
        if (e->kind != LL_EV_CB_RUN)
            continue;
        bool armed = false;
        for (size_t j = 0; j < nfired && !armed; j++)
            if (fired[j] == e->obj) {
                armed = true;
                fired[j] = fired[--nfired];
            }
        if (armed) {
            ck_assert_msg(e->sub == LL_REASON_TIMER,
                          "step %zu: timer %u's callback runs for "
                          "%s",
                          i + 1, e->obj, ll_reason_name(e->sub));
            timed++;
        } else
            soon += e->sub == LL_REASON_CALL_SOON;
    }
    ck_assert_uint_ge(timed, 2); /* call_later(0.5) and call_at(+0.2) */
    ck_assert_uint_ge(soon, 1);  /* call_soon stays call_soon */
    llv_model_free(&m);
}
END_TEST

/* Pixels of colour c inside rectangle q of surface s. */
static size_t count_colour(SDL_Surface *s, SDL_Rect q, SDL_Color c) {
    size_t n = 0;
    Uint32 want = SDL_MapRGB(s->format, c.r, c.g, c.b);
    for (int y = q.y; y < q.y + q.h; y++)
        for (int x = q.x; x < q.x + q.w; x++)
            n += ((const Uint32 *)((const Uint8 *)s->pixels + (size_t)y * (size_t)s->pitch))[x] ==
                 want;
    return n;
}

/* The timeline's print markers grow with the UI scale: at 2x on a
 * projector-sized frame each is a triangle of some 10 x 20 pixels, not the
 * fixed 5 x 6 it was. */
START_TEST(print_markers_grow_with_the_ui_scale) {
    ck_assert_int_eq(TTF_Init(), 0);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 1920, 1080, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(s);
    ck_assert_ptr_nonnull(r);
    llv_model m;
    lesson_model("01-hello-gather", "", &m);
    llv_ui ui;
    char err[256];
    ck_assert_msg(llv_ui_init(&ui, &m, r, LL_SOURCE_ROOT "/assets", err, sizeof err) == 0, "%s",
                  err);
    size_t per[2];
    for (int z = 0; z < 2; z++) {
        ui.zoom = z ? 2.0f : 1.0f;
        llv_ui_seek(&ui, m.n - 1);
        llv_ui_draw(&ui, 1920, 1080);
        /* print markers are the only text-coloured pixels among the lanes */
        per[z] = count_colour(s, ui.tl_lanes, llv_ui_theme(&ui)->text) / m.nprints;
    }
    ck_assert_msg(per[0] >= 20, "a print marker is %zu pixels at scale 1", per[0]);
    ck_assert_msg(per[1] >= 60 && per[1] > 2 * per[0],
                  "a print marker is %zu pixels at scale 2 "
                  "(%zu at scale 1)",
                  per[1], per[0]);
    llv_ui_free(&ui);
    llv_model_free(&m);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    TTF_Quit();
}
END_TEST

/* Strings the timeline drew inside its lanes that were cut ("…"). */
static SDL_Rect lanes_now;
static size_t cut_in_lanes;

static void on_lane_text(const SDL_Rect *box, const char *str, size_t len, void *ud) {
    (void)ud;
    /* a cut string comes as one run: its visible part, then the ellipsis */
    if (SDL_HasIntersection(box, &lanes_now) && len >= 3 &&
        memcmp(str + len - 3, "\xE2\x80\xA6", 3) == 0)
        cut_in_lanes++;
}

/* Labels in bars lose leading words ("until 1.000 s", "1.000 s") or go,
 * never end in "…" with a number cut short ("sleep until 1.0…"). */
START_TEST(bar_labels_shorten_by_words_not_mid_number) {
    static const char *const some[] = {"01-hello-gather", "03-sequential-vs-concurrent",
                                       "14-blocking-the-loop", "20-taskgroup", "22-pitfalls"};
    ck_assert_int_eq(TTF_Init(), 0);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 1280, 720, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(s);
    ck_assert_ptr_nonnull(r);
    for (size_t l = 0; l < sizeof some / sizeof some[0]; l++) {
        llv_model m;
        lesson_model(some[l], "", &m);
        llv_ui ui;
        char err[256];
        ck_assert_msg(llv_ui_init(&ui, &m, r, LL_SOURCE_ROOT "/assets", err, sizeof err) == 0, "%s",
                      err);
        for (int z = 0; z < 3; z++) {
            ui.zoom = 1.0f + 0.5f * (float)z;
            for (int axis = 0; axis < 2; axis++) {
                ui.axis_time = axis;
                llv_ui_fit_timeline(&ui);
                llv_ui_seek(&ui, m.n - 1);
                llv_ui_draw(&ui, 1280, 720); /* lays out the lanes */
                lanes_now = ui.tl_lanes;
                cut_in_lanes = 0;
                llv_text_hook = on_lane_text;
                llv_ui_draw(&ui, 1280, 720);
                llv_text_hook = NULL;
                ck_assert_msg(cut_in_lanes == 0,
                              "%s at scale %.1f, %s axis: %zu bar labels cut "
                              "with \"\xE2\x80\xA6\"",
                              some[l], (double)ui.zoom, axis ? "time" : "event", cut_in_lanes);
            }
        }
        llv_ui_free(&ui);
        llv_model_free(&m);
    }
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    TTF_Quit();
}
END_TEST

int main(void) {
    nslugs = find_lessons(slugs, 128);
    Suite *s = suite_create("words");
    TCase *tc = tcase_create("words");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, notes_place_things_at_times_the_frame_shows, 0, nslugs);
    tcase_add_loop_test(tc, notes_name_colours_the_timeline_draws, 0, nslugs);
    tcase_add_test(tc, a_note_holds_until_the_scheduler_moves_on);
    tcase_add_loop_test(tc, no_note_holds_past_the_next_switch, 0, nslugs);
    tcase_add_loop_test(tc, timers_are_listed_in_the_order_they_fire, 0, nslugs);
    tcase_add_test(tc, a_cancelled_task_is_queued_for_its_cancellation);
    tcase_add_test(tc, a_timer_callback_runs_for_its_timer);
    tcase_add_test(tc, print_markers_grow_with_the_ui_scale);
    tcase_add_test(tc, bar_labels_shorten_by_words_not_mid_number);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
