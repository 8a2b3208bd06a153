/* ui.c - layout and drawing of one frame (see ui.h). */
#include "view/ui.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

const char *const llv_pane_names[P__N] = {"header",  "loop",      "running",  "ready",
                                          "waiting", "narration", "timeline", "code",
                                          "console", "log",       "footer"};
SDL_Rect llv_ui_line_band;
SDL_Rect llv_ui_running_card;

/* Okabe-Ito colours: told apart by most colour-blind viewers; every state
 * also has a pattern on the timeline and a word on its card. */
static const llv_theme themes[LLV__NTHEMES] =
    {
        [LLV_THEME_DARK] =
            {
                .bg = {24, 26, 31, 255},
                .pane = {34, 37, 44, 255},
                .border = {70, 76, 88, 255},
                .text = {230, 232, 236, 255},
                .dim = {150, 156, 168, 255},
                .accent = {240, 228, 66, 255},
                .highlight = {70, 64, 20, 255},
                .cursor = {255, 255, 255, 255},
                .warn = {235, 90, 70, 255},
                .note = {240, 228, 66, 255},
                .state = {{60, 60, 60, 255},
                          {120, 120, 130, 255},
                          {86, 180, 233, 255},
                          {230, 159, 0, 255},
                          {110, 116, 130, 255},
                          {0, 158, 115, 255},
                          {213, 94, 0, 255},
                          {204, 121, 167, 255}},
                .state_text = {{255, 255, 255, 255},
                               {255, 255, 255, 255},
                               {10, 20, 30, 255},
                               {20, 12, 0, 255},
                               {255, 255, 255, 255},
                               {255, 255, 255, 255},
                               {255, 255, 255, 255},
                               {20, 10, 20, 255}},
            },
        [LLV_THEME_PROJECTOR] =
            {
                .bg = {255, 255, 255, 255},
                .pane = {250, 250, 250, 255},
                .border = {0, 0, 0, 255},
                .text = {0, 0, 0, 255},
                .dim = {60, 60, 60, 255},
                .accent = {0, 90, 181, 255},
                .highlight = {255, 236, 140, 255},
                .cursor = {0, 0, 0, 255},
                .warn = {190, 0, 0, 255},
                .note = {0, 90, 181, 255},
                .state = {{200, 200, 200, 255},
                          {170, 170, 170, 255},
                          {0, 114, 178, 255},
                          {230, 159, 0, 255},
                          {150, 150, 150, 255},
                          {0, 158, 115, 255},
                          {213, 94, 0, 255},
                          {204, 121, 167, 255}},
                .state_text = {{0, 0, 0, 255},
                               {0, 0, 0, 255},
                               {255, 255, 255, 255},
                               {0, 0, 0, 255},
                               {0, 0, 0, 255},
                               {255, 255, 255, 255},
                               {255, 255, 255, 255},
                               {0, 0, 0, 255}},
            },
};

const llv_theme *llv_ui_theme(const llv_ui *ui) {
    return &themes[ui->theme % LLV__NTHEMES];
}

/* ---- small helpers -------------------------------------------------------- */

static void color(SDL_Renderer *r, SDL_Color c) {
    SDL_SetRenderDrawColor(r, c.r, c.g, c.b, c.a);
}

static void fill(SDL_Renderer *r, int x, int y, int w, int h, SDL_Color c) {
    if (w <= 0 || h <= 0)
        return;
    color(r, c);
    SDL_Rect q = {x, y, w, h};
    SDL_RenderFillRect(r, &q);
}

static void frame(SDL_Renderer *r, int x, int y, int w, int h, int t, SDL_Color c) {
    fill(r, x, y, w, t, c);
    fill(r, x, y + h - t, w, t, c);
    fill(r, x, y, t, h, c);
    fill(r, x + w - t, y, t, h, c);
}

/* Diagonal hatching inside a rectangle (the pattern of waiting states). */
static void hatch(SDL_Renderer *r, SDL_Rect q, SDL_Color c, int step, int dir) {
    color(r, c);
    SDL_Rect old;
    SDL_RenderGetClipRect(r, &old);
    SDL_Rect clip = q;
    if (old.w && !SDL_IntersectRect(&old, &q, &clip))
        return;
    SDL_RenderSetClipRect(r, &clip);
    for (int k = -q.h; k < q.w; k += step) {
        if (dir > 0)
            SDL_RenderDrawLine(r, q.x + k, q.y + q.h, q.x + k + q.h, q.y);
        else
            SDL_RenderDrawLine(r, q.x + k, q.y, q.x + k + q.h, q.y + q.h);
    }
    SDL_RenderSetClipRect(r, old.w ? &old : NULL);
}

static SDL_Color mix(SDL_Color a, SDL_Color b, float t) {
    SDL_Color c = {(Uint8)(a.r + (b.r - a.r) * t), (Uint8)(a.g + (b.g - a.g) * t),
                   (Uint8)(a.b + (b.b - a.b) * t), 255};
    return c;
}

static void fmt_time(char *buf, size_t n, int64_t ns) {
    snprintf(buf, n, "%.3f s", (double)ns / 1e9);
}

/* A wait's deadline, relative to now on the real clock ("in 0.300 s"),
 * absolute on the virtual one, where lessons speak of t = 1.000 s. */
static void deadline_text(const llv_ui *ui, int64_t when, char *buf, size_t n) {
    const char *clock = ui->m->trace.meta.clock;
    int64_t left = when - ui->m->cur.now;
    if (clock && strcmp(clock, "real") == 0)
        snprintf(buf, n, "in %.3f s", (double)(left > 0 ? left : 0) / 1e9);
    else
        snprintf(buf, n, "at %.3f s", (double)when / 1e9);
}

static const char *basename_of(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static const char *site_text(const llv_model *m, uint32_t site, char *buf, size_t n) {
    const ll__site *s = site ? ll__rec_sitep(&m->trace.rec, site) : NULL;
    if (!s || !s->file) {
        snprintf(buf, n, "?");
        return buf;
    }
    snprintf(buf, n, "%s:%d", basename_of(s->file), s->line);
    return buf;
}

/* What a Python task waits in, as the program wrote it: "await
 * queue.get()".  NULL for the kinds wait_text says the same way in both. */
static const char *py_await(unsigned wait) {
    switch (wait) {
    case LL_WAIT_LOCK: return "await lock.acquire()";
    case LL_WAIT_EVENT: return "await event.wait()";
    case LL_WAIT_SEMAPHORE: return "await semaphore.acquire()";
    case LL_WAIT_CONDITION: return "await condition.wait()";
    case LL_WAIT_BARRIER: return "await barrier.wait()";
    case LL_WAIT_QUEUE_GET: return "await queue.get()";
    case LL_WAIT_QUEUE_PUT: return "await queue.put()";
    case LL_WAIT_QUEUE_JOIN: return "await queue.join()";
    default: return NULL;
    }
}

/* wait_text for a Python trace: asyncio's spelling.  Returns false for the
 * kinds said the same way in both languages. */
static bool py_wait_text(const llv_model *m, const llv_task *t, int64_t since, char *buf,
                         size_t n) {
    char when[32], secs[32];
    switch (t->wait) {
    case LL_WAIT_SLEEP:
        fmt_time(when, sizeof when, t->until);
        if (since >= 0 && t->until >= since) {
            snprintf(secs, sizeof secs, "%.3f",
                     (double)(t->until - since) /
                         1e9); /* ms: a real clock's wait began a little after its call */
            for (char *z = secs + strlen(secs) - 1; z > secs && *z == '0' && z[-1] != '.'; z--)
                *z = '\0'; /* 0.500 -> 0.5 */
            snprintf(buf, n, "asyncio.sleep(%s) until %s", secs, when);
        } else {
            snprintf(buf, n, "asyncio.sleep until %s", when);
        }
        return true;
    case LL_WAIT_TASK: {
        uint32_t k = llv_task_index(m, t->obj);
        snprintf(buf, n, "await %s", k != NONE ? llv_task_name(m, k) : "a task");
        return true;
    }
    case LL_WAIT_GATHER: snprintf(buf, n, "await asyncio.gather #%u", t->obj); return true;
    case LL_WAIT_FUTURE: snprintf(buf, n, "await future #%u", t->obj); return true;
    case LL_WAIT_TASKGROUP: snprintf(buf, n, "leaving async with TaskGroup"); return true;
    case LL_WAIT_WAIT_FOR: snprintf(buf, n, "await asyncio.wait_for"); return true;
    case LL_WAIT_WAIT: snprintf(buf, n, "await asyncio.wait"); return true;
    default: break;
    }
    const char *aw = py_await(t->wait);
    if (!aw)
        return false;
    uint32_t k = llv_sync_index(m, t->obj);
    const char *name = k != NONE ? llv_str(m, m->sync[k].name) : "";
    if (*name)
        snprintf(buf, n, "%s '%s'", aw, name);
    else
        snprintf(buf, n, "%s #%u", aw, t->obj);
    return true;
}

/* `since`: the loop time the wait began (for a sleep's length), or -1. */
static void wait_text_at(const llv_model *m, const llv_task *t, int64_t since, char *buf,
                         size_t n) {
    if (m->trace.meta.language && strcmp(m->trace.meta.language, "python") == 0 &&
        py_wait_text(m, t, since, buf, n))
        return;
    char when[32];
    switch (t->wait) {
    case LL_WAIT_SLEEP:
        fmt_time(when, sizeof when, t->until);
        snprintf(buf, n, "sleep until %s", when);
        break;
    case LL_WAIT_TASK: {
        uint32_t k = llv_task_index(m, t->obj);
        snprintf(buf, n, "awaits %s", k != NONE ? llv_task_name(m, k) : "a task");
        break;
    }
    case LL_WAIT_GATHER: snprintf(buf, n, "gather #%u", t->obj); break;
    case LL_WAIT_IO: {
        const char *addr = llv_socket_addr(m, t->obj);
        const char *op = t->op == LL_IO_OP_READ      ? "data from"
                         : t->op == LL_IO_OP_CONNECT ? "connecting to"
                         : t->op == LL_IO_OP_RESOLVE ? "resolving"
                         : t->op == LL_IO_OP_DRAIN   ? "sending to"
                         : t->op == LL_IO_OP_CLOSED  ? "closing"
                                                     : "socket";
        snprintf(buf, n, "%s %s", op, addr ? addr : "a socket");
        break;
    }
    case LL_WAIT_FUTURE: snprintf(buf, n, "future #%u", t->obj); break;
    /* Said so that the last words still say it when a bar's label keeps
     * only those ("its TaskGroup", "wait_for"). */
    case LL_WAIT_TASKGROUP: snprintf(buf, n, "leaving its TaskGroup"); break;
    case LL_WAIT_WAIT_FOR: snprintf(buf, n, "result or timeout in wait_for"); break;
    case LL_WAIT_WAIT: snprintf(buf, n, "futures or timeout in asyncio.wait"); break;
    case LL_WAIT_JOB: {
        uint32_t k = llv_job_index(m, t->obj);
        const llv_job *j = k != NONE ? &m->jobs[k] : NULL;
        size_t at = m->cur.step;
        if (!j)
            snprintf(buf, n, "thread-pool job #%u", t->obj);
        else if (j->ev_start == NONE || (at >= j->ev_submit && at < j->ev_start))
            snprintf(buf, n, "%s() queued for a worker", llv_str(m, j->fn));
        else
            snprintf(buf, n, "%s() on worker %u", llv_str(m, j->fn), j->worker);
        break;
    }
    default: {
        uint32_t k = llv_sync_index(m, t->obj);
        const char *name = k != NONE ? llv_str(m, m->sync[k].name) : "";
        if (*name)
            snprintf(buf, n, "%s '%s'", ll_wait_kind_name(t->wait), name);
        else
            snprintf(buf, n, "%s #%u", ll_wait_kind_name(t->wait), t->obj);
        break;
    }
    }
}

static void wait_text(const llv_model *m, const llv_task *t, char *buf, size_t n) {
    int64_t since = t->state == LLV_WAITING && t->since < m->n ? llv_event(m, t->since)->t : -1;
    wait_text_at(m, t, since, buf, n);
}

const char *llv_error_text(const llv_model *m, const ll_trace_event *e, char *buf, size_t n) {
    const char *name = ll__field_enum_name(T_ERR, e->aux), *msg = e->str ? llv_str(m, e->str) : "";
    if (!name)
        name = "Exception";
    /* the recorder's Exception with the class in front of the message */
    size_t id = strspn(msg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");
    size_t ml = strlen(msg);
    bool bare = !msg[id] && ((ml > 5 && strcmp(msg + ml - 5, "Error") == 0) ||
                             (ml > 9 && strcmp(msg + ml - 9, "Exception") == 0));
    bool named = strcmp(name, "Exception") == 0 && id > 0 && (msg[id] == ':' || bare) &&
                 msg[0] >= 'A' && msg[0] <= 'Z';
    if (named)
        snprintf(buf, n, "%s", msg);
    else if (*msg)
        snprintf(buf, n, "%s: %s", name, msg);
    else
        snprintf(buf, n, "%s", name);
    return buf;
}

/* ---- fonts and layout ----------------------------------------------------- */

static int open_fonts(llv_ui *ui, int px) {
    char path[1024];
    llv_font *f[5] = {NULL, NULL, NULL, NULL, NULL};
    static const char *const files[5] = {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
                                         "DejaVuSansMono.ttf", "DejaVuSans.ttf",
                                         "DejaVuSansMono.ttf"};
    /* the last: the code's font when C and Python are side by side */
    const int sizes[5] = {px, px, px * 9 / 10 < 9 ? 9 : px * 9 / 10, px * 13 / 10,
                          px * 3 / 4 < 9 ? 9 : px * 3 / 4};
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/fonts/%s", ui->assets, files[i]);
        f[i] = llv_font_open(ui->r, path, sizes[i]);
        if (!f[i]) {
            for (int k = 0; k < i; k++)
                llv_font_close(f[k]);
            return -1;
        }
    }
    llv_font_close(ui->sans);
    llv_font_close(ui->bold);
    llv_font_close(ui->mono);
    llv_font_close(ui->big);
    llv_font_close(ui->mono_pair);
    ui->sans = f[0];
    ui->bold = f[1];
    ui->mono = f[2];
    ui->big = f[3];
    ui->mono_pair = f[4];
    ui->cmono = ui->mono;
    ui->font_px = px;
    ui->line = llv_font_h(ui->sans);
    return 0;
}

static int wrap_lines(llv_font *f, int w, const char *s);
static void tl_why_marks(llv_ui *ui);
static size_t why_link_at_line(const llv_ui *ui, const llv_lines *f, bool py, int ln);

static int font_px_for(const llv_ui *ui, int w, int h) {
    int px = (int)lroundf((float)h / 56.0f * ui->zoom);
    /* However far the keys go, keep room for the essentials: about 48
     * characters across and 26 lines down. */
    if (px > w / 48)
        px = w / 48;
    if (px > h / 30)
        px = h / 30;
    return px < 10 ? 10 : px > 72 ? 72 : px;
}

/* Lines the longest note of the trace needs at width w in the big font
 * (counted once per width and size: the narration keeps its height while
 * the cursor moves, so the panes below it do not jump). */
static int narration_lines(llv_ui *ui, int w) {
    if (ui->narr_w == w && ui->narr_px == ui->font_px)
        return ui->narr_lines;
    const llv_model *m = ui->m;
    int most = 1;
    size_t step = m->nnotes > 256 ? m->nnotes / 256 : 1; /* a sample of a long trace */
    for (size_t k = 0; k < m->nnotes; k += step) {
        int n = wrap_lines(ui->big, w, llv_str(m, llv_event(m, m->notes[k])->str));
        most = n > most ? n : most;
    }
    ui->narr_w = w;
    ui->narr_px = ui->font_px;
    ui->narr_lines = most;
    return most;
}

/* The widest "coroutine()  at file.c:NNN" a running card shows, for the
 * running pane's width. */
static int running_text_w(llv_ui *ui) {
    const llv_model *m = ui->m;
    int most = llv_text_w(ui->sans, "lesson.c:000", (size_t)-1);
    size_t n = m->ntasks < 64 ? m->ntasks : 64;
    for (size_t k = 0; k < n; k++) {
        int tw = llv_text_w(ui->sans, llv_str(m, m->info[k].coro), (size_t)-1) +
                 llv_text_w(ui->sans, "()", 2);
        most = tw > most ? tw : most;
    }
    return most;
}

/* The stage (loop, running, ready, waiting) inside x, y, w, h. */
static void layout_stage(llv_ui *ui, int x, int y, int w, int h) {
    int L = ui->line, em = ui->font_px, pad = em / 3 + 2;
    /* The loop's cycle needs its clock in the big font and two phase labels
     * side by side; when that leaves the other panes too little, the loop
     * becomes a strip of its three phases above them. */
    char clock[48];
    snprintf(clock, sizeof clock, "t = %.3f s", (double)ui->m->t_end / 1e9);
    int clockw = llv_text_w(ui->big, clock, (size_t)-1);
    int labw = 2 * llv_text_w(ui->sans, "timers \xE2\x86\x92 ready", (size_t)-1) + 2 * em;
    int loopw = (clockw > labw ? clockw : labw) + 2 * pad;
    if (loopw < h * 3 / 4)
        loopw = h * 3 / 4 < w / 4 ? h * 3 / 4 : w / 4 > loopw ? w / 4 : loopw;
    int cardh = L + pad + 3 * L + 8 + pad; /* title, a card of three lines */
    if (w - loopw - pad < 40 * em || h < cardh + 4 * L) {
        int strip = L + 2 * pad;
        ui->pane[P_LOOP] = (SDL_Rect){x, y, w, strip};
        y += strip + pad;
        h -= strip + pad;
        loopw = 0;
    } else {
        ui->pane[P_LOOP] = (SDL_Rect){x, y, loopw, h};
        loopw += pad;
    }
    int sx = x + loopw, sw = w - loopw;
    int runw = running_text_w(ui) + 3 * pad;
    if (runw < 14 * em)
        runw = 14 * em;
    if (runw > sw * 45 / 100)
        runw = sw * 45 / 100;
    /* as many rows of ready cards as the queue has now (cards of about 8
     * characters), while the waiting pane keeps four rows */
    int card = 3 * L + em / 6 + 4, per_row = (sw - runw - 2 * pad) / (8 * em + em / 2);
    size_t nready = ui->m->cur.nready;
    int rows = per_row > 0 ? (int)((nready + (size_t)per_row - 1) / (size_t)per_row) : 1;
    int toph = cardh + (rows > 1 ? (rows - 1) * (card + em / 2) : 0);
    int wait_least = L + 2 * pad + 4 * (L + 4);
    if (toph > h - pad - wait_least)
        toph = h - pad - wait_least > cardh ? h - pad - wait_least : cardh;
    if (toph > h - 3 * L)
        toph = h - 3 * L > cardh / 2 ? h - 3 * L : cardh / 2;
    ui->pane[P_RUNNING] = (SDL_Rect){sx, y, runw, toph};
    ui->pane[P_READY] = (SDL_Rect){sx + runw + pad, y, sw - runw - pad, toph};
    ui->pane[P_WAITING] = (SDL_Rect){sx, y + toph + pad, sw, h - toph - pad};
}

/* Shares the left column's height `bh` between the stage, the narration
 * (*narr: the height it would like, then the height it gets) and the
 * timeline or tabs.  Returns the stage's height. */
static int split_heights(const llv_ui *ui, int bh, int pad, int *narr_io) {
    int L = ui->line, narr = *narr_io;
    /* Room goes first to the stage's least (the loop, the cards, four rows
     * of waiters), then to two lines of narration, then to the timeline's
     * (or the tabs') least; then the stage grows to 42% of the height, the
     * narration to its longest note, and the timeline takes the rest, as
     * much as its lanes need, the stage what is left. */
    int stage_least = (L + 3 * pad) + (4 * L + 3 * pad + 8) + (L + 2 * pad + 4 * (L + 4));
    int narr_least = L + 2 * pad + 2 * L;
    size_t nlanes = ui->nlanes + ui->m->nworkers;
    /* the timeline's least shows three lanes (one when there is one) */
    int rest_least = (ui->narrow ? 6 * L : 7 * L) + (nlanes > 3   ? 2
                                                     : nlanes > 1 ? (int)nlanes - 1
                                                                  : 0) *
                                                        (L + 2);
    int tl_need = (int)(nlanes < 40 ? nlanes + 4 : 44) * (L + 2) + (ui->narrow ? L + 4 : 0);
    int stage = stage_least, spare = bh - stage_least - narr_least - rest_least - 2 * pad;
    if (spare < 0) { /* too short for all: the stage's waiting rows give way
                      * down to two, then the timeline or tabs */
        narr = narr_least;
        int give = -spare < 2 * (L + 4) ? -spare : 2 * (L + 4);
        stage -= give;
        spare += give;
        if (spare < 0)
            rest_least += spare;
        spare = 0;
    } else {
        /* the timeline's first eight lanes come before the stage grows: a
         * lesson of three tasks shows all three at every scale */
        size_t few = nlanes < 8 ? nlanes : 8;
        int first = (int)(few + 4) * (L + 2) + (ui->narrow ? L + 4 : 0) - rest_least;
        first = first < 0 ? 0 : first > spare ? spare : first;
        spare -= first;
        int grow = bh * 42 / 100 - stage;
        grow = grow < 0 ? 0 : grow > spare ? spare : grow;
        stage += grow;
        spare -= grow;
        int more = narr - narr_least;
        more = more < 0 ? 0 : more > spare ? spare : more;
        narr = narr_least + more;
        spare -= more;
        int tl = tl_need - rest_least - first;
        tl = tl < 0 ? 0 : tl > spare ? spare : tl;
        spare -= tl;
        stage += spare; /* what the timeline does not need */
    }
    *narr_io = narr;
    return stage;
}

/* The narrow layout's bottom, from `ty` down (`th` high): the timeline
 * beside the other panes as tabs when there is room for two, else all four
 * as tabs. */
static void layout_tabs(llv_ui *ui, int pad, int ty, int leftw, int th) {
    int L = ui->line, em = ui->font_px;
    static const int tabbed[4] = {P_TIMELINE, P_CODE, P_CONSOLE, P_LOG};
    int tab = ui->tab >= 0 && ui->tab < 4 ? ui->tab : 0;
    if (leftw >= 60 * em) {
        /* room for two: the timeline, and beside it the other three as tabs */
        int tlw = leftw * 55 / 100;
        ui->pane[P_TIMELINE] = (SDL_Rect){pad, ty, tlw, th};
        ui->tabs = (SDL_Rect){pad + tlw + pad, ty, leftw - tlw - pad, L + 4};
        ui->pane[tabbed[tab ? tab : 1]] =
            (SDL_Rect){ui->tabs.x, ty + L + 4, ui->tabs.w, th - L - 4};
        return;
    }
    ui->tabs = (SDL_Rect){pad, ty, leftw, L + 4};
    ui->pane[tabbed[tab]] = (SDL_Rect){pad, ty + L + 4, leftw, th - L - 4};
}

void llv_ui_layout(llv_ui *ui, int w, int h) {
    ui->w = w;
    ui->h = h;
    int px = font_px_for(ui, w, h);
    if (px != ui->font_px)
        open_fonts(ui, px); /* keeps the old fonts when it cannot */
    int L = ui->line, em = ui->font_px, pad = em / 3 + 2;
    int head = L + L / 2, foot = L + L / 3;
    int by = head + pad, bh = h - head - foot - 2 * pad;
    memset(ui->pane, 0, sizeof ui->pane);
    ui->tabs = (SDL_Rect){0, 0, 0, 0};
    ui->pane[P_HEADER] = (SDL_Rect){0, 0, w, head};
    ui->pane[P_FOOTER] = (SDL_Rect){0, h - foot, w, foot};
    /* Two columns when the left one keeps 56 characters beside a code pane
     * of 64; else one column, with the panes of the right one as tabs. */
    int monow = llv_text_w(ui->mono, "0", 1);
    int codew = 70 * monow + 2 * pad;
    ui->narrow = w < 56 * em + codew;
    /* C and its Python twin side by side (in the smaller code font) where
     * the window is 1600 px wide or more at this scale and the pair keeps
     * 40 columns of code each beside a left column of 48 characters */
    int pairc = llv_text_w(ui->mono_pair, "0", 1);
    int pair_most = (5 + 66 + 5 + 50) * pairc + em + 2 * pad,
        pair_least = 2 * 45 * pairc + em + 2 * pad;
    ui->pair_fits = !ui->narrow && ui->src.n && ui->py.n && (float)w / ui->zoom >= 1600.0f &&
                    w - 48 * em - 3 * pad >= pair_least;
    ui->pair = ui->pair_fits && !ui->code_single;
    int leftw = w - 2 * pad;
    if (!ui->narrow) {
        int rightw = codew > w * 40 / 100 ? codew : w * 40 / 100;
        if (ui->pair)
            rightw = pair_most < w - 48 * em - 3 * pad ? pair_most : w - 48 * em - 3 * pad;
        else if (w - rightw < 56 * em)
            rightw = w - 56 * em;
        leftw = w - rightw - 3 * pad;
        int rx = pad + leftw + pad, rw = w - rx - pad;
        int conh = bh * 22 / 100 > 4 * L + pad ? bh * 22 / 100 : 4 * L + pad;
        int logh = bh * 26 / 100 > 4 * L + pad ? bh * 26 / 100 : 4 * L + pad;
        int codeh = bh - conh - logh - 2 * pad;
        ui->pane[P_CODE] = (SDL_Rect){rx, by, rw, codeh};
        ui->pane[P_CONSOLE] = (SDL_Rect){rx, by + codeh + pad, rw, conh};
        ui->pane[P_LOG] = (SDL_Rect){rx, by + codeh + pad + conh + pad, rw, logh};
    }
    /* Left: the stage, the narration (as tall as the longest note needs, up
     * to five lines), the timeline (or, narrow, the tabs). */
    int bigL = llv_font_h(ui->big);
    int lines = narration_lines(ui, leftw - 2 * pad);
    lines = lines < 2 ? 2 : lines > 5 ? 5 : lines;
    int narr = L + pad + lines * bigL + pad;
    int stage = split_heights(ui, bh, pad, &narr);
    layout_stage(ui, pad, by, leftw, stage);
    ui->pane[P_NARRATION] = (SDL_Rect){pad, by + stage + pad, leftw, narr};
    int ty = by + stage + pad + narr + pad, th = by + bh - ty;
    if (!ui->narrow) {
        ui->pane[P_TIMELINE] = (SDL_Rect){pad, ty, leftw, th};
        return;
    }
    layout_tabs(ui, pad, ty, leftw, th);
}

/* The narrow layout's tab strip: the pane shown, the others by name. */
static void draw_tabs(llv_ui *ui) {
    static const int tabbed[4] = {P_TIMELINE, P_CODE, P_CONSOLE, P_LOG};
    static const char *const names[4] = {"Timeline", "Code", "Console", "Event log"};
    const llv_theme *th = llv_ui_theme(ui);
    SDL_Rect q = ui->tabs;
    if (q.w <= 0)
        return;
    SDL_RenderSetClipRect(ui->r, &q);
    int x = q.x, em = ui->font_px;
    bool beside = ui->pane[P_TIMELINE].w > 0 && ui->pane[P_TIMELINE].y == q.y;
    for (int k = beside ? 1 : 0; k < 4; k++) {
        bool on = ui->pane[tabbed[k]].w > 0;
        int tw = llv_text_w(ui->bold, names[k], (size_t)-1) + em;
        if (x + tw > q.x + q.w)
            break;
        fill(ui->r, x, q.y, tw, q.h, on ? th->accent : th->pane);
        frame(ui->r, x, q.y, tw, q.h, 1, th->border);
        llv_text(ui->bold, x + em / 2, q.y + 2, names[k], (size_t)-1, on ? th->bg : th->dim);
        x += tw + em / 3;
    }
    const char *hint = "Tab / Shift+Tab: next / previous pane";
    int hw = llv_text_w(ui->sans, hint, (size_t)-1);
    if (x + hw + em <= q.x + q.w)
        llv_text(ui->sans, q.x + q.w - hw, q.y + 2, hint, (size_t)-1, th->dim);
    SDL_RenderSetClipRect(ui->r, NULL);
}

/* Starts drawing a pane: background, border, title; returns the content box. */
static SDL_Rect pane_begin(llv_ui *ui, int p, const char *title) {
    const llv_theme *th = llv_ui_theme(ui);
    SDL_Rect q = ui->pane[p];
    SDL_RenderSetClipRect(ui->r, &q);
    fill(ui->r, q.x, q.y, q.w, q.h, th->pane);
    int bt = ui->theme == LLV_THEME_PROJECTOR ? 2 : 1;
    frame(ui->r, q.x, q.y, q.w, q.h, bt, th->border);
    int pad = ui->font_px / 3 + 2;
    SDL_Rect c = {q.x + pad, q.y + pad / 2, q.w - 2 * pad, q.h - pad};
    if (title) {
        llv_text_fit(ui->bold, c.x, c.y, c.w, title, (size_t)-1, th->dim);
        c.y += ui->line + pad / 2;
        c.h -= ui->line + pad / 2;
    }
    return c;
}

static void pane_end(llv_ui *ui) {
    SDL_RenderSetClipRect(ui->r, NULL);
}

/* ---- cards ----------------------------------------------------------------- */

static void state_pattern(llv_ui *ui, SDL_Rect q, unsigned st) {
    const llv_theme *th = llv_ui_theme(ui);
    SDL_Color dark = mix(th->state[st], (SDL_Color){0, 0, 0, 255}, 0.35f);
    if (st == LLV_WAITING)
        hatch(ui->r, q, dark, 7, 1);
    else if (st == LLV_CANCELLED)
        hatch(ui->r, q, dark, 5, -1);
    else if (st == LLV_FAILED) {
        hatch(ui->r, q, dark, 9, 1);
        hatch(ui->r, q, dark, 9, -1);
    }
}

/* Animated position of a task's card: slides from where it was drawn last. */
static void card_pos(llv_ui *ui, uint32_t ti, int *x, int *y) {
    if (!ui->animate || !ui->cx) {
        if (ui->cx) {
            ui->cx[ti] = ui->fx[ti] = (float)*x;
            ui->cy[ti] = ui->fy[ti] = (float)*y;
        }
        return;
    }
    if (ui->cx[ti] != (float)*x || ui->cy[ti] != (float)*y) {
        if (ui->cx[ti] >= 0) { /* start a slide from where it is now */
            uint32_t el = ui->now_ms - ui->anim_t0[ti];
            float t = el >= 250 ? 1.0f : (float)el / 250.0f;
            t = 1 - (1 - t) * (1 - t) * (1 - t);
            ui->fx[ti] = ui->fx[ti] + (ui->cx[ti] - ui->fx[ti]) * t;
            ui->fy[ti] = ui->fy[ti] + (ui->cy[ti] - ui->fy[ti]) * t;
        } else {
            ui->fx[ti] = (float)*x;
            ui->fy[ti] = (float)*y;
        }
        ui->cx[ti] = (float)*x;
        ui->cy[ti] = (float)*y;
        ui->anim_t0[ti] = ui->now_ms;
    }
    uint32_t el = ui->now_ms - ui->anim_t0[ti];
    float t = el >= 250 ? 1.0f : (float)el / 250.0f;
    t = 1 - (1 - t) * (1 - t) * (1 - t); /* ease out */
    *x = (int)lroundf(ui->fx[ti] + (ui->cx[ti] - ui->fx[ti]) * t);
    *y = (int)lroundf(ui->fy[ti] + (ui->cy[ti] - ui->fy[ti]) * t);
}

/* A task's card: its name, then l2 and l3 as the height allows (l3 may be
 * NULL); the state is its colour and pattern. */
static void task_card3(llv_ui *ui, uint32_t ti, int x, int y, int w, int h, const char *l2,
                       const char *l3) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_task *t = &ui->m->cur.tasks[ti];
    card_pos(ui, ti, &x, &y);
    SDL_Rect q = {x, y, w, h};
    fill(ui->r, x, y, w, h, th->state[t->state]);
    state_pattern(ui, q, t->state);
    frame(ui->r, x, y, w, h, 2, mix(th->state[t->state], th->text, 0.5f));
    int pad = ui->font_px / 3;
    SDL_Color tc = th->state_text[t->state];
    llv_text_fit(ui->bold, x + pad, y + pad / 2, w - 2 * pad, llv_task_name(ui->m, ti), (size_t)-1,
                 tc);
    if (h >= 2 * ui->line + pad / 2 && l2)
        llv_text_fit(ui->sans, x + pad, y + pad / 2 + ui->line, w - 2 * pad, l2, (size_t)-1, tc);
    if (h >= 3 * ui->line + pad / 2 && l3)
        llv_text_fit(ui->sans, x + pad, y + pad / 2 + 2 * ui->line, w - 2 * pad, l3, (size_t)-1,
                     tc);
}

/* (kept for callers of the two-line form) */
static inline void task_card(llv_ui *ui, uint32_t ti, int x, int y, int w, int h,
                             const char *line2) {
    const char *st = llv_state_name(ui->m->cur.tasks[ti].state);
    task_card3(ui, ti, x, y, w, h, line2 ? line2 : st, line2 ? st : NULL);
}

/* Turns each DEL byte of s into a no-break space (U+00A0), which wrapping
 * does not break at: "0.500 s" stays on one line. */
static void nbsp(char *s, size_t cap) {
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\x7f' && n + 1 < cap) {
            memmove(s + i + 2, s + i + 1, n - i);
            s[i] = (char)0xC2;
            s[i + 1] = (char)0xA0;
            n++;
        }
}

/* ---- panes ----------------------------------------------------------------- */

static void draw_header(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    SDL_Rect q = ui->pane[P_HEADER];
    SDL_RenderSetClipRect(ui->r, &q);
    fill(ui->r, q.x, q.y, q.w, q.h, th->pane);
    fill(ui->r, q.x, q.y + q.h - 2, q.w, 2, th->border);
    const llv_model *m = ui->m;
    char right[256], now[32];
    fmt_time(now, sizeof now, m->cur.now);
    snprintf(right, sizeof right, "%s clock   t = %s   step %zu / %zu%s",
             m->trace.meta.clock ? m->trace.meta.clock : "?", now, ui->cursor + 1, m->n,
             ui->playing ? "   \xE2\x96\xB6 playing" : "");
    int pad = ui->font_px / 2;
    int rw = llv_text_w(ui->sans, right, (size_t)-1);
    int y = q.y + (q.h - ui->line) / 2;
    llv_text_fit(ui->bold, q.x + pad, y, q.w - rw - 3 * pad, ui->title, (size_t)-1, th->text);
    llv_text_fit(ui->sans, q.x + q.w - rw - pad, y, rw, right, (size_t)-1, th->text);
    pane_end(ui);
}

static void draw_footer(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    SDL_Rect q = ui->pane[P_FOOTER];
    SDL_RenderSetClipRect(ui->r, &q);
    fill(ui->r, q.x, q.y, q.w, q.h, th->pane);
    fill(ui->r, q.x, q.y, q.w, 1, th->border);
    char buf[700], hint[300];
    /* O and H when they do something; the moving keys give way to them
     * when the row is short (F1 lists them all) */
    const char *o = ui->lesson_run ? (ui->python ? "O: its C run   " : "O: its Python run   ") : "";
    const char *hk =
        ui->nruntime ? (ui->show_runtime ? "H: hide runtime tasks   " : "H: runtime tasks   ") : "";
    static const char *const moves[] = {
        "\xE2\x86\x90 \xE2\x86\x92 step   Shift: task switch   Ctrl: loop iteration   "
        "\xE2\x86\x91 \xE2\x86\x93 print/note   Space play   ",
        "\xE2\x86\x90 \xE2\x86\x92 step   \xE2\x86\x91 \xE2\x86\x93 print/note   Space play   ",
        "\xE2\x86\x90 \xE2\x86\x92 step   Space play   "};
    for (size_t k = 0; k < sizeof moves / sizeof moves[0]; k++) {
        snprintf(hint, sizeof hint, "%s%s%s%sW why   F1 help", ui->score, moves[k], o, hk);
        if (llv_text_w(ui->sans, hint, (size_t)-1) <= q.w - ui->font_px)
            break;
    }
    if (ui->typing)
        snprintf(buf, sizeof buf, "go to step: %s_   (Enter to jump, Esc to cancel)", ui->input);
    else if (ui->status[0] && ui->now_ms < ui->status_until)
        snprintf(buf, sizeof buf, "%s%s", ui->score, ui->status); /* the score stays */
    else
        snprintf(buf, sizeof buf, "%s", hint);
    int pad = ui->font_px / 2;
    llv_text_fit(ui->sans, q.x + pad, q.y + (q.h - ui->line) / 2, q.w - 2 * pad, buf, (size_t)-1,
                 ui->typing || (ui->status[0] && ui->now_ms < ui->status_until) ? th->accent
                                                                                : th->dim);
    pane_end(ui);
}

static const char *const loop_label[3] = {"run ready", "poll (wait)", "timers \xE2\x86\x92 ready"};
static const int loop_phase[3] = {LLV_PH_RUN, LLV_PH_POLL, LLV_PH_TIMERS};

/* What the loop is doing under the clock: its iteration, or stopped. */
static void loop_state_text(const llv_state *s, char *buf, size_t n) {
    if (s->phase == LLV_PH_STOPPED)
        snprintf(buf, n, "stopped");
    else if (s->phase == LLV_PH_START)
        snprintf(buf, n, "not started");
    else
        snprintf(buf, n, "iteration %u", s->iteration);
}

/* The loop as one row, when the stage has no room for its cycle: the three
 * phases in turn (the current one lit), the clock, the iteration. */
static void draw_loop_strip(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    SDL_Rect q = ui->pane[P_LOOP];
    SDL_RenderSetClipRect(ui->r, &q);
    fill(ui->r, q.x, q.y, q.w, q.h, th->pane);
    frame(ui->r, q.x, q.y, q.w, q.h, ui->theme == LLV_THEME_PROJECTOR ? 2 : 1, th->border);
    const llv_state *s = &ui->m->cur;
    int em = ui->font_px, x = q.x + em / 2, y = q.y + (q.h - ui->line) / 2;
    char buf[96], t[32], it[32];
    fmt_time(t, sizeof t, s->now);
    loop_state_text(s, it, sizeof it);
    snprintf(buf, sizeof buf, "t = %s  %s", t, it);
    int bw = llv_text_w(ui->bold, buf, (size_t)-1);
    llv_text(ui->bold, q.x + q.w - bw - em / 2, y, buf, (size_t)-1, th->text);
    int right = q.x + q.w - bw - em;
    for (int k = 0; k < 3; k++) {
        bool on = s->phase == loop_phase[k];
        int tw = llv_text_w(ui->sans, loop_label[k], (size_t)-1) + em / 2;
        if (x + tw > right)
            break; /* the clock comes first */
        fill(ui->r, x, y - 2, tw, ui->line + 4, on ? th->accent : th->pane);
        frame(ui->r, x, y - 2, tw, ui->line + 4, 1, on ? th->accent : th->border);
        llv_text(ui->sans, x + em / 4, y, loop_label[k], (size_t)-1, on ? th->bg : th->text);
        x += tw + em / 2;
    }
    pane_end(ui);
}

static void draw_loop(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    if (ui->pane[P_LOOP].h < 5 * ui->line) {
        draw_loop_strip(ui);
        return;
    }
    SDL_Rect c = pane_begin(ui, P_LOOP, "Event loop");
    const llv_state *s = &ui->m->cur;
    int cx = c.x + c.w / 2, cy = c.y + c.h / 2;
    int R = (c.w < c.h ? c.w : c.h) / 2 - ui->line;
    if (R < ui->line)
        R = ui->line;
    /* the cycle */
    color(ui->r, th->border);
    SDL_Point pts[65];
    for (int i = 0; i <= 64; i++) {
        double a = 2 * M_PI * i / 64;
        pts[i] = (SDL_Point){cx + (int)lround(R * cos(a)), cy + (int)lround(R * sin(a))};
    }
    SDL_RenderDrawLines(ui->r, pts, 65);
    const char *const *label = loop_label;
    const int *phase_of = loop_phase;
    static const double ang[3] = {-M_PI / 2, M_PI / 6, 5 * M_PI / 6};
    /* arrow heads, clockwise between the nodes */
    for (int k = 0; k < 3; k++) {
        double a = ang[k] + M_PI / 3;
        int ax = cx + (int)lround(R * cos(a)), ay = cy + (int)lround(R * sin(a));
        double tx = -sin(a), ty = cos(a); /* clockwise tangent */
        int L = ui->line / 2;
        SDL_RenderDrawLine(ui->r, ax, ay, ax - (int)(L * (tx + ty * 0.6)),
                           ay - (int)(L * (ty - tx * 0.6)));
        SDL_RenderDrawLine(ui->r, ax, ay, ax - (int)(L * (tx - ty * 0.6)),
                           ay - (int)(L * (ty + tx * 0.6)));
    }
    for (int k = 0; k < 3; k++) {
        int nx = cx + (int)lround(R * cos(ang[k])), ny = cy + (int)lround(R * sin(ang[k]));
        int tw = llv_text_w(ui->sans, label[k], (size_t)-1) + ui->font_px / 2;
        int maxw = k ? c.w / 2 - ui->font_px / 2 : c.w;
        if (tw > maxw)
            tw = maxw;
        int bx = nx - tw / 2, byy = ny - ui->line / 2 - 2;
        if (k == 1 && bx < cx + ui->font_px / 2) /* keep the two lower labels apart */
            bx = cx + ui->font_px / 2;
        if (k == 2 && bx + tw > cx - ui->font_px / 2)
            bx = cx - ui->font_px / 2 - tw;
        if (k > 0)
            byy += ui->line / 2;
        if (bx < c.x)
            bx = c.x;
        if (bx + tw > c.x + c.w)
            bx = c.x + c.w - tw;
        bool on = s->phase == phase_of[k];
        fill(ui->r, bx, byy, tw, ui->line + 4, on ? th->accent : th->pane);
        frame(ui->r, bx, byy, tw, ui->line + 4, on ? 2 : 1, on ? th->accent : th->border);
        llv_text_fit(ui->sans, bx + ui->font_px / 4, byy + 2, tw - ui->font_px / 4, label[k],
                     (size_t)-1, on ? th->bg : th->text);
    }
    char buf[64], t[32];
    fmt_time(t, sizeof t, s->now);
    snprintf(buf, sizeof buf, "t = %s", t);
    int w = llv_text_w(ui->big, buf, (size_t)-1), bx = cx - w / 2 < c.x ? c.x : cx - w / 2;
    llv_text_fit(ui->big, bx, cy - ui->line, c.x + c.w - bx, buf, (size_t)-1, th->text);
    loop_state_text(s, buf, sizeof buf);
    w = llv_text_w(ui->sans, buf, (size_t)-1);
    llv_text_fit(ui->sans, cx - w / 2, cy - ui->line + llv_font_h(ui->big), R * 2, buf, (size_t)-1,
                 th->dim);
    pane_end(ui);
}

/* Below the running task: what the pool's worker threads are doing, for
 * work really happening in parallel with the loop. */
/* One chip of a row that wraps inside c (the workers, the other loops):
 * orange while busy.  Returns false when the pane has no room left. */
static bool chip(llv_ui *ui, SDL_Rect c, int *x, int *y, const char *text, bool busy) {
    const llv_theme *th = llv_ui_theme(ui);
    int tw = llv_text_w(ui->sans, text, (size_t)-1) + 8;
    if (*x > c.x && *x + tw > c.x + c.w) {
        *x = c.x;
        *y += ui->line + 3;
        if (*y + ui->line > c.y + c.h)
            return false;
    }
    if (tw > c.w)
        tw = c.w;
    SDL_Rect q = {*x, *y, tw, ui->line + 1};
    if (busy) {
        fill(ui->r, q.x, q.y, q.w, q.h, th->state[LLV_RUNNING]);
        state_pattern(ui, q, LLV_RUNNING);
    } else
        frame(ui->r, q.x, q.y, q.w, q.h, 1, th->border);
    llv_text_fit(ui->sans, *x + 4, *y, tw - 6, text, (size_t)-1,
                 busy ? th->state_text[LLV_RUNNING] : th->dim);
    *x += tw + 4;
    return true;
}

static void draw_workers(llv_ui *ui, SDL_Rect c, int y) {
    const llv_model *m = ui->m;
    if (!m->nworkers)
        return;
    int x = c.x;
    for (uint32_t w = 1; w <= m->nworkers && y + ui->line <= c.y + c.h; w++) {
        const llv_job *j = llv_job_on(m, w, ui->cursor);
        char buf[160];
        if (j) {
            uint32_t o = j->owner;
            snprintf(buf, sizeof buf, "worker %u: %s()%s%s", w, llv_str(m, j->fn),
                     o != NONE ? " for " : "", o != NONE ? llv_task_name(m, o) : "");
        } else
            snprintf(buf, sizeof buf, "worker %u: idle", w);
        if (!chip(ui, c, &x, &y, buf, j != NULL))
            break;
    }
}

/* The other loops of a several-loop trace, one chip each: the task running
 * there now, or idle.  Returns the y below them. */
static int draw_other_loops(llv_ui *ui, SDL_Rect c, int y) {
    const llv_model *m = ui->m;
    int x = c.x;
    for (unsigned l = 2; l <= m->nloops && y + ui->line <= c.y + c.h; l++) {
        uint32_t run = NONE;
        bool born = false;
        for (size_t k = 0; k < m->ntasks && run == NONE; k++) {
            if (m->info[k].loop != l)
                continue;
            born |= m->cur.tasks[k].state != LLV_UNBORN;
            if (m->cur.tasks[k].state == LLV_RUNNING)
                run = (uint32_t)k;
        }
        char buf[160];
        if (run != NONE)
            snprintf(buf, sizeof buf, "loop %u: %s %s()", l, llv_task_name(m, run),
                     llv_str(m, m->info[run].coro));
        else
            snprintf(buf, sizeof buf, "loop %u: %s", l, born ? "idle" : "not started");
        if (!chip(ui, c, &x, &y, buf, run != NONE))
            break;
    }
    return y + ui->line + 4;
}

/* A Python program that never ran a loop and died (a syntax error, an
 * import error, an exception before asyncio.run): says so with Python's
 * last traceback line, from the recorder's main_failed warning. */
static bool py_no_start(const llv_model *m, char *buf, size_t len, bool brief) {
    if (m->niters)
        return false;
    const char *why = NULL;
    for (size_t k = 0; k < m->nwarns; k++) {
        const ll_trace_event *w = llv_event(m, m->warns[k]);
        if (w->sub == LL_WARN_MAIN_FAILED && w->str)
            why = llv_str(m, w->str);
    }
    if (!why)
        return false;
    const char *prog = m->trace.meta.program ? m->trace.meta.program : "the program";
    snprintf(buf, len,
             brief ? "%s did not start: %s"
                   : "%s did not start: %s. Python's traceback is in the console.",
             prog, why);
    return true;
}

/* When the cursor is on the run's end and the run did not end well (a
 * crash, the time limit, an exit that left the loop open, a failing exit
 * status), says how in `buf` and returns it; NULL otherwise.  `brief` is
 * the few words the running pane has room for. */
static const char *bad_end(const llv_ui *ui, char *buf, size_t len, bool brief) {
    const ll_trace_event *e = llv_event(ui->m, ui->cursor);
    if (e->kind != LL_EV_RUN_END || (e->sub == 0 && e->val == 0))
        return NULL;
    const char *d = e->str ? llv_str(ui->m, e->str) : NULL;
    d = d && *d ? d : "?";
    switch (e->sub) {
    case 0:
        snprintf(buf, len,
                 brief ? "the program exited with status %lld"
                       : "the program closed its loop, then exited with status %lld",
                 (long long)e->val);
        break;
    case 1:
        if (ui->python && py_no_start(ui->m, buf, len, brief))
            break;
        snprintf(buf, len,
                 brief ? "the program exited (%s)"
                       : "the program exited (%s) without closing its loop: the "
                         "trace ends here",
                 d);
        break;
    case 2:
        snprintf(buf, len,
                 brief ? "the program crashed (%s)"
                       : "the program was killed by %s: the trace ends at that moment",
                 d);
        break;
    case 3:
        snprintf(buf, len, "%s",
                 brief ? "the run was stopped at its time limit"
                       : "the run went over its time limit and was stopped: "
                         "the trace ends here");
        break;
    default: snprintf(buf, len, "the trace was cut off (%s)", d); break;
    }
    return buf;
}

static void draw_running(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    SDL_Rect c = pane_begin(ui, P_RUNNING, "Running");
    const llv_model *m = ui->m;
    const llv_state *s = &m->cur;
    llv_ui_running_card = (SDL_Rect){0, 0, 0, 0};
    if (s->running != NONE) {
        int ch = 3 * ui->line + ui->font_px / 6 + 4, h = c.h < ch ? c.h : ch;
        char l2[160], site[96];
        const llv_taskinfo *in = &m->info[s->running];
        /* the coroutine, then the line it is at on a row of its own: the
         * line number is what the code pane highlights */
        snprintf(l2, sizeof l2, "%s()", llv_str(m, in->coro));
        /* the same line the code pane highlights (llv_where_now) */
        llv_where w = llv_where_now(m);
        if (llv_task_runtime(m, s->running))
            snprintf(site, sizeof site, "asyncio.run's own task"); /* no line of the program */
        else if (w.site)
            site_text(m, w.site, site, sizeof site);
        else
            snprintf(site, sizeof site, "entering %s()", llv_str(m, in->coro));
        llv_ui_running_card = (SDL_Rect){c.x, c.y, c.w, h};
        task_card3(ui, s->running, c.x, c.y, c.w, h, l2, site);
        int y = c.y + h + 4;
        if (m->nloops > 1)
            y = draw_other_loops(ui, c, y);
        draw_workers(ui, c, y);
    } else {
        char buf[160], t[32];
        int64_t next = -1;
        for (size_t i = 0; i < s->ntimers; i++)
            if (next < 0 || s->timers[i].when < next)
                next = s->timers[i].when;
        const ll_trace_event *e = llv_event(m, ui->cursor);
        bool busy = false; /* a worker thread is running a job */
        for (uint32_t w = 1; w <= m->nworkers && !busy; w++)
            busy = llv_job_on(m, w, ui->cursor) != NULL;
        bool idle = s->phase == LLV_PH_POLL && !s->nready;
        if (next >= 0) /* on one line when wrapped: no break inside the time */
            deadline_text(ui, next, t, sizeof t);
        for (char *sp = strrchr(t, ' '); next >= 0 && sp; sp = NULL)
            *sp = '\x7f'; /* replaced by a no-break space below */
        char end[120];
        if (bad_end(ui, end, sizeof end, true))
            snprintf(buf, sizeof buf, "nobody: %s", end);
        else if (s->phase == LLV_PH_STOPPED)
            snprintf(buf, sizeof buf, "nobody: the loop has stopped");
        else if (e->kind == LL_EV_CB_RUN)
            snprintf(buf, sizeof buf, "the loop itself: running a callback (%s)",
                     ll_reason_name(e->sub));
        else if (idle && busy && next >= 0)
            snprintf(buf, sizeof buf, "loop idle: the next timer fires %s, or a worker finishes",
                     t);
        else if (idle && busy)
            snprintf(buf, sizeof buf, "loop idle: waiting for a worker thread to finish");
        else if (idle && next >= 0)
            snprintf(buf, sizeof buf, "loop idle: the next timer fires %s", t);
        else if (idle)
            snprintf(buf, sizeof buf, "loop idle: nothing to wait for");
        else if (e->kind == LL_EV_TIMER_FIRE)
            snprintf(buf, sizeof buf,
                     "the loop: a timer came due; its callback joins the ready "
                     "queue");
        else if (e->kind == LL_EV_CB_QUEUED)
            snprintf(buf, sizeof buf, "the loop: a callback joins the ready queue (%s)",
                     ll_reason_name(e->sub));
        else if (e->kind == LL_EV_TASK_READY && e->task)
            snprintf(buf, sizeof buf, "the loop: %s joins the ready queue (%s)",
                     llv_task_name(m, llv_task_index(m, e->task)), ll_reason_name(e->sub));
        else if (e->kind == LL_EV_CANCEL && llv_task_index(m, e->obj) != NONE)
            snprintf(buf, sizeof buf, "the loop: cancelling %s",
                     llv_task_name(m, llv_task_index(m, e->obj)));
        else if (e->kind == LL_EV_FUT_DONE)
            snprintf(buf, sizeof buf, "the loop: future #%u is done (%s)", e->obj,
                     e->sub == 0   ? "a result"
                     : e->sub == 1 ? "an error"
                                   : "cancelled");
        else if (e->kind == LL_EV_TASK_FAILED && llv_task_index(m, e->task) != NONE) {
            char err[120];
            snprintf(buf, sizeof buf, "%s ended: it raised %s",
                     llv_task_name(m, llv_task_index(m, e->task)),
                     llv_error_text(m, e, err, sizeof err));
        } else
            snprintf(buf, sizeof buf, "the loop (between steps)");
        nbsp(buf, sizeof buf);
        size_t n = strlen(buf), at = 0;
        int y = c.y;
        while (at < n && y + ui->line <= c.y + c.h) {
            size_t k = llv_text_fits(ui->sans, buf + at, n - at, c.w, 1);
            llv_text(ui->sans, c.x, y, buf + at, k, th->dim);
            at += k;
            while (at < n && buf[at] == ' ')
                at++;
            y += ui->line;
        }
        y += 4;
        if (m->nloops > 1)
            y = draw_other_loops(ui, c, y);
        draw_workers(ui, c, y);
    }
    pane_end(ui);
}

static void draw_ready(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    const llv_state *s = &m->cur;
    char title[64];
    snprintf(title, sizeof title, "Ready queue (%zu)   front \xE2\x86\x90", s->nready);
    SDL_Rect c = pane_begin(ui, P_READY, title);
    /* cards as wide as their widest name or reason (of the first rows) */
    int cw = ui->font_px * 6, gap = ui->font_px / 2;
    for (size_t i = 0; i < s->nready && i < 64; i++) {
        const llv_entry *e = &s->ready[i];
        char l[96];
        if (e->is_cb)
            snprintf(l, sizeof l, "callback: %s", ll_reason_name(e->reason));
        else
            snprintf(l, sizeof l, "#%zu  %s", i + 1, ll_reason_name(e->reason));
        int w = e->is_cb ? 0 : llv_text_w(ui->bold, llv_task_name(m, e->task), (size_t)-1);
        int w2 = llv_text_w(ui->sans, l, (size_t)-1);
        w = (w > w2 ? w : w2) + ui->font_px;
        cw = w > cw ? w : cw;
    }
    cw = cw > c.w ? c.w : cw;
    int full = 3 * ui->line + ui->font_px / 6 + 4, ch = c.h < full ? c.h : full;
    int per_row = (c.w + gap) / (cw + gap);
    if (per_row < 1)
        per_row = 1;
    int rows = (c.h + gap) / (ch + gap);
    if (rows < 1)
        rows = 1;
    size_t fit = (size_t)per_row * (size_t)rows;
    for (size_t i = 0; i < s->nready; i++) {
        if (i + 1 == fit && s->nready > fit) {
            char more[32];
            snprintf(more, sizeof more, "+%zu more", s->nready - i);
            int x = c.x + (int)(i % (size_t)per_row) * (cw + gap);
            int y = c.y + (int)(i / (size_t)per_row) * (ch + gap);
            llv_text_fit(ui->bold, x, y + ch / 3, cw, more, (size_t)-1, th->text);
            break;
        }
        int x = c.x + (int)(i % (size_t)per_row) * (cw + gap);
        int y = c.y + (int)(i / (size_t)per_row) * (ch + gap);
        const llv_entry *e = &s->ready[i];
        if (!e->is_cb) {
            char l2[64];
            snprintf(l2, sizeof l2, "#%zu  %s", i + 1, ll_reason_name(e->reason));
            /* a timer that came due in this trip round the loop: marked as
             * it lands in the queue */
            size_t it = llv_lower(m->iters, m->niters, ui->cursor + 1);
            bool fired = (e->reason == LL_REASON_TIMER || e->reason == LL_REASON_SLEEP_DONE) &&
                         it && s->tasks[e->task].since >= m->iters[it - 1];
            task_card3(ui, e->task, x, y, cw, ch, l2,
                       fired ? "timer fired" : llv_state_name(s->tasks[e->task].state));
            if (fired)
                frame(ui->r, x - 2, y - 2, cw + 4, ch + 4, 3, th->accent);
        } else {
            fill(ui->r, x, y + ch / 4, cw, ch / 2, th->pane);
            frame(ui->r, x, y + ch / 4, cw, ch / 2, 1, th->dim);
            char l[96];
            snprintf(l, sizeof l, "callback: %s", ll_reason_name(e->reason));
            llv_text_fit(ui->sans, x + 3, y + ch / 4 + 2, cw - 6, l, (size_t)-1, th->dim);
        }
    }
    if (!s->nready)
        llv_text_fit(ui->sans, c.x, c.y, c.w, "(empty)", (size_t)-1, th->dim);
    pane_end(ui);
}

/* ---- the waiting pane --------------------------------------------------------- */

/* Kinds of row in the waiting pane. */
enum { WR_HEAD, WR_SLEEPER, WR_TASK, WR_TIMER, WR_SYNC };

typedef struct wrow {
    int64_t key;  /* the deadline, for timers (the loop's heap order) */
    uint32_t idx; /* task, timer or primitive index; section for a heading */
    uint8_t kind; /* WR_* */
    uint8_t kids; /* a task's row may list the tasks it made, a queue's its
                   * items, room allowing */
} wrow;

static int wrow_cmp(const void *a, const void *b) {
    const wrow *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Tasks holding primitive k at the cursor (a lock's holder, a semaphore's
 * slots), found from its acquires not yet released, newest first; returns
 * how many of `want` were found (the search looks back a bounded way). */
static size_t sync_holders(const llv_ui *ui, uint32_t k, size_t want, uint32_t *out, size_t max) {
    const llv_model *m = ui->m;
    uint32_t id = m->sync[k].id, released[64];
    size_t n = 0, nrel = 0, looked = 0;
    for (size_t i = ui->cursor + 1; i-- > m->sync[k].born && n < want && looked < 20000; looked++) {
        const ll_trace_event *e = llv_event(m, i);
        if (e->kind != LL_EV_SYNC || e->obj != id)
            continue;
        if (e->sub == LL_SYNC_OP_RELEASE && nrel < 64) {
            released[nrel++] = e->task;
        } else if (e->sub == LL_SYNC_OP_ACQUIRE) {
            size_t r = 0;
            while (r < nrel && released[r] != e->task)
                r++;
            if (r < nrel) { /* released later: not held */
                released[r] = released[--nrel];
                continue;
            }
            uint32_t ti = llv_task_index(m, e->task);
            if (ti != NONE && n < max)
                out[n] = ti;
            n++;
        }
    }
    return n < max ? n : max;
}

/* What a primitive is at the cursor: "semaphore 'slots': 0 of 2 free".
 * Returns how many holders it has (for the chips below it). */
static size_t sync_text(const llv_ui *ui, uint32_t k, char *buf, size_t n) {
    const llv_model *m = ui->m;
    const llv_syncinfo *si = &m->sync[k];
    const char *name = llv_str(m, si->name), *kind = ll_sync_kind_name(si->kind);
    static const char *const py_class[LL_SYNC__COUNT] = {
        [LL_SYNC_LOCK] = "asyncio.Lock",
        [LL_SYNC_EVENT] = "asyncio.Event",
        [LL_SYNC_SEMAPHORE] = "asyncio.Semaphore",
        [LL_SYNC_BOUNDED_SEMAPHORE] = "asyncio.BoundedSemaphore",
        [LL_SYNC_QUEUE] = "asyncio.Queue",
        [LL_SYNC_PRIORITY_QUEUE] = "asyncio.PriorityQueue",
        [LL_SYNC_LIFO_QUEUE] = "asyncio.LifoQueue",
        [LL_SYNC_CONDITION] = "asyncio.Condition",
        [LL_SYNC_BARRIER] = "asyncio.Barrier",
    };
    if (ui->python && si->kind < LL_SYNC__COUNT && py_class[si->kind])
        kind = py_class[si->kind]; /* the class the program made */
    char who[80];
    if (*name)
        snprintf(who, sizeof who, "%s '%s'", kind, name);
    else
        snprintf(who, sizeof who, "%s #%u", kind, si->id);
    uint32_t v = ui->m->cur.syncval[k], init = llv_event(m, si->born)->aux;
    switch (si->kind) {
    case LL_SYNC_LOCK: snprintf(buf, n, "%s: %s", who, v ? "locked" : "free"); return v ? 1 : 0;
    case LL_SYNC_SEMAPHORE:
    case LL_SYNC_BOUNDED_SEMAPHORE:
        snprintf(buf, n, "%s: %u of %u free", who, v, init);
        return init > v ? init - v : 0;
    case LL_SYNC_EVENT: snprintf(buf, n, "%s: %s", who, v ? "set" : "not set"); return 0;
    case LL_SYNC_QUEUE:
    case LL_SYNC_PRIORITY_QUEUE:
    case LL_SYNC_LIFO_QUEUE:
        if (init)
            snprintf(buf, n, "%s: %u of maxsize %u", who, v, init);
        else
            snprintf(buf, n, "%s: %u item%s (no maxsize)", who, v, v == 1 ? "" : "s");
        return 0;
    default: snprintf(buf, n, "%s: %u", who, v); return 0;
    }
}

/* Whether primitive k's row lists items (a queue holding some, in a trace
 * that names them). */
static bool shows_items(const llv_ui *ui, uint32_t k) {
    const llv_model *m = ui->m;
    const llv_qitem *one;
    return m->queue_items && ui->m->cur.syncval[k] && llv_queue_items(m, k, &one, 1) > 0;
}

/* A queue's items from x to x + w, front first, each in a box ("..." where
 * the trace clipped its repr); what does not fit is counted "+N more". */
static void item_row(llv_ui *ui, uint32_t k, int x, int y, int w) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    const llv_qitem *it[64];
    size_t n = llv_queue_items(m, k, it, 64), size = m->cur.syncval[k];
    int end = x + w, gap = ui->font_px / 4 + 1, pad = ui->font_px / 4;
    const char *label = "front:";
    int lw = llv_text_w(ui->sans, label, (size_t)-1);
    llv_text(ui->sans, x, y + 1, label, (size_t)-1, th->dim);
    x += lw + gap;
    for (size_t i = 0; i < n; i++) {
        char text[64], more[32];
        snprintf(text, sizeof text, "%s%s", llv_str(m, it[i]->str),
                 it[i]->clipped ? "\xE2\x80\xA6" : "");
        snprintf(more, sizeof more, "+%zu more", size - i);
        int tw = llv_text_w(ui->sans, text, (size_t)-1) + 2 * pad;
        int mw = i + 1 < size ? llv_text_w(ui->bold, more, (size_t)-1) + gap : 0;
        if (x + tw + mw > end) {
            llv_text_fit(ui->bold, x, y + 1, end - x, more, (size_t)-1, th->accent);
            return;
        }
        frame(ui->r, x, y, tw, ui->line + 2, 1, th->text);
        llv_text(ui->sans, x + pad, y + 1, text, (size_t)-1, th->text);
        x += tw + gap;
    }
    if (size > n) { /* items the trace does not name */
        char more[32];
        snprintf(more, sizeof more, "+%zu more", size - n);
        llv_text_fit(ui->bold, x, y + 1, end - x, more, (size_t)-1, th->accent);
    }
}

/* A task's name in a chip of its state's colour; returns the width used. */
static int name_chip(llv_ui *ui, int x, int y, int maxw, uint32_t ti, unsigned st) {
    const llv_theme *th = llv_ui_theme(ui);
    const char *tn = llv_task_name(ui->m, ti);
    int tw = llv_text_w(ui->sans, tn, (size_t)-1) + ui->font_px / 2;
    if (tw > maxw)
        tw = maxw;
    SDL_Rect q = {x, y, tw, ui->line + 2};
    fill(ui->r, q.x, q.y, q.w, q.h, th->state[st]);
    state_pattern(ui, q, st);
    llv_text_fit(ui->sans, x + ui->font_px / 4, y + 1, tw - ui->font_px / 4, tn, (size_t)-1,
                 th->state_text[st]);
    return tw;
}

/* A row of task chips from x to x + w: `label` then the tasks, in state
 * st's colour (LLV__NSTATES: each in its own); what does not fit is
 * counted "+N".  Returns the x after it. */
static int chip_row(llv_ui *ui, int x, int y, int w, const char *label, const uint32_t *t, size_t n,
                    size_t total, unsigned st) {
    const llv_theme *th = llv_ui_theme(ui);
    int end = x + w, gap = ui->font_px / 4 + 1;
    if (label) {
        int lw = llv_text_w(ui->sans, label, (size_t)-1);
        if (x + lw <= end)
            llv_text(ui->sans, x, y + 1, label, (size_t)-1, th->dim);
        x += lw + gap;
    }
    char more[32];
    snprintf(more, sizeof more, "+%zu", total);
    int morew = llv_text_w(ui->bold, more, (size_t)-1) + gap;
    for (size_t i = 0; i < n; i++) {
        int tw = llv_text_w(ui->sans, llv_task_name(ui->m, t[i]), (size_t)-1) + ui->font_px / 2;
        bool last = i + 1 == total;
        if (x + tw + (last ? 0 : morew) > end) {
            snprintf(more, sizeof more, "+%zu", total - i);
            llv_text_fit(ui->bold, x, y + 1, end - x, more, (size_t)-1, th->accent);
            return end;
        }
        unsigned cst = st < LLV__NSTATES ? st : ui->m->cur.tasks[t[i]].state;
        x += name_chip(ui, x, y, tw, t[i], cst) + gap;
    }
    if (total > n) {
        snprintf(more, sizeof more, "+%zu", total - n);
        x += llv_text_fit(ui->bold, x, y + 1, end - x, more, (size_t)-1, th->accent);
    }
    return x;
}

/* A queue's waiters by what they wait for, in order within each: "to
 * get: w1  join, 2 not done: Task-1" (join waits for task_done, not for
 * the queue to empty).  Draws them from x when all of them fit in w and
 * returns true; else draws nothing and returns false. */
static bool queue_waiters(llv_ui *ui, uint32_t k, const uint32_t *w, size_t nw, int x, int y,
                          int width) {
    const llv_model *m = ui->m;
    unsigned kind = m->sync[k].kind;
    if (kind != LL_SYNC_QUEUE && kind != LL_SYNC_PRIORITY_QUEUE && kind != LL_SYNC_LIFO_QUEUE)
        return false;
    static const uint8_t waits[3] = {LL_WAIT_QUEUE_GET, LL_WAIT_QUEUE_PUT, LL_WAIT_QUEUE_JOIN};
    uint32_t g[3][64];
    size_t ng[3] = {0, 0, 0};
    char label[3][64];
    int need = 0, em = ui->font_px, gap = em / 4 + 1;
    for (size_t i = 0; i < nw && i < 64; i++)
        for (int j = 0; j < 3; j++)
            if (m->cur.tasks[w[i]].wait == waits[j])
                g[j][ng[j]++] = w[i];
    long undone = llv_queue_unfinished(m, k);
    for (int j = 0; j < 3; j++) {
        if (!ng[j])
            continue;
        if (j < 2)
            snprintf(label[j], sizeof label[j], "%s", j ? "to put:" : "to get:");
        else if (undone >= 0)
            snprintf(label[j], sizeof label[j], "join, %ld not done:", undone);
        else
            snprintf(label[j], sizeof label[j], "join:");
        need += llv_text_w(ui->sans, label[j], (size_t)-1) + gap + em / 2;
        for (size_t i = 0; i < ng[j]; i++)
            need += llv_text_w(ui->sans, llv_task_name(m, g[j][i]), (size_t)-1) + em / 2 + gap;
    }
    if (need > width || ng[0] + ng[1] + ng[2] != nw)
        return false;
    int end = x + width;
    for (int j = 0; j < 3; j++)
        if (ng[j])
            x = chip_row(ui, x, y, end - x, label[j], g[j], ng[j], ng[j], LLV_WAITING) + em / 2;
    return true;
}

/* A timer no task sleeps on: where it was set (call_later, a timeout
 * scope) and when it fires. */
static void timer_text(const llv_ui *ui, const llv_timer *tm, char *buf, size_t n) {
    char site[96], d[48];
    deadline_text(ui, tm->when, d, sizeof d);
    if (tm->site)
        snprintf(buf, n, "timer (%s) fires %s", site_text(ui->m, tm->site, site, sizeof site), d);
    else
        snprintf(buf, n, "timer #%u fires %s", tm->id, d);
}

/* The tasks that task ti made, born by the cursor (up to max): what a
 * gather, a TaskGroup or a wait_for it awaits is made of.  Returns how
 * many there are (all of them, even past max). */
static size_t children_of(const llv_ui *ui, uint32_t ti, uint32_t *out, size_t max) {
    const llv_model *m = ui->m;
    uint32_t since = m->cur.tasks[ti].since; /* those over before the wait began are not in it */
    size_t n = 0;
    for (uint32_t k = 0; k < m->ntasks; k++) {
        if (m->info[k].parent != ti || m->cur.tasks[k].state == LLV_UNBORN ||
            (m->info[k].end != UINT32_MAX && m->info[k].end < since))
            continue;
        if (n < max)
            out[n] = k;
        n++;
    }
    return n;
}

/* Whether a waiting task's row lists its children: it awaits a gather or
 * a future (a TaskGroup's, a wait_for's) while tasks it made are about. */
static bool shows_children(const llv_ui *ui, const llv_task *t, uint32_t ti) {
    uint32_t one;
    return (t->wait == LL_WAIT_GATHER || t->wait == LL_WAIT_FUTURE ||
            t->wait == LL_WAIT_TASKGROUP || t->wait == LL_WAIT_WAIT_FOR ||
            t->wait == LL_WAIT_WAIT) &&
           children_of(ui, ti, &one, 1) > 0;
}

/* A sleeping task's row in the waiting pane: "sleeps, wakes at 0.500 s";
 * in a Python trace, the call it sleeps in, "asyncio.sleep(0.5), wakes at
 * 0.500 s". */
static void sleeper_text(const llv_ui *ui, const llv_task *t, char *buf, size_t n) {
    char d[48], call[96] = "";
    deadline_text(ui, t->until, d, sizeof d);
    if (ui->python) {
        int64_t since = t->since < ui->m->n ? llv_event(ui->m, t->since)->t : -1;
        py_wait_text(ui->m, t, since, call, sizeof call);
        char *until = strstr(call, " until ");
        if (until)
            *until = '\0'; /* the deadline is said after it */
    }
    if (call[0])
        snprintf(buf, n, "%s, wakes %s", call, d);
    else
        snprintf(buf, n, "sleeps, wakes %s", d);
}

/* The width a row wants, and its height in rows. */
static int wrow_need(llv_ui *ui, const wrow *r, int *lines) {
    static const char *const heads[3] = {"timers, by deadline", "tasks, futures, sockets",
                                         "locks, queues, events"};
    const llv_model *m = ui->m;
    char buf[200];
    int em = ui->font_px, dummy;
    if (!lines) /* the width alone: no search for children or waiters */
        lines = &dummy;
    bool count = lines != &dummy;
    *lines = 1;
    switch (r->kind) {
    case WR_HEAD: return llv_text_w(ui->sans, heads[r->idx], (size_t)-1);
    case WR_SLEEPER:
    case WR_TASK: {
        const llv_task *t = &m->cur.tasks[r->idx];
        if (r->kind == WR_SLEEPER) {
            sleeper_text(ui, t, buf, sizeof buf);
        } else {
            wait_text(m, t, buf, sizeof buf);
            if (count && r->kids && shows_children(ui, t, r->idx))
                *lines = 2;
        }
        return llv_text_w(ui->sans, llv_task_name(m, r->idx), (size_t)-1) + em +
               llv_text_w(ui->sans, buf, (size_t)-1);
    }
    case WR_TIMER:
        timer_text(ui, &m->cur.timers[r->idx], buf, sizeof buf);
        return llv_text_w(ui->sans, buf, (size_t)-1);
    default: {
        uint32_t w[8];
        size_t nw = count ? llv_waiters(m, m->sync[r->idx].id, w, 8) : 0;
        size_t held = sync_text(ui, r->idx, buf, sizeof buf);
        int need = llv_text_w(ui->bold, buf, (size_t)-1);
        *lines = 1 + (nw || held) + (count && r->kids && shows_items(ui, r->idx));
        return need;
    }
    }
}

/* Draws one row at x, y in a column colw wide. */
static void wrow_draw(llv_ui *ui, const wrow *r, int x, int y, int colw) {
    static const char *const heads[3] = {"timers, by deadline", "tasks, futures, sockets",
                                         "locks, queues, events"};
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    const llv_state *s = &m->cur;
    const ll_trace_event *ev = llv_event(m, ui->cursor);
    int em = ui->font_px;
    char buf[200];
    switch (r->kind) {
    case WR_HEAD: llv_text_fit(ui->sans, x, y, colw, heads[r->idx], (size_t)-1, th->dim); return;
    case WR_SLEEPER:
    case WR_TASK: {
        const llv_task *t = &s->tasks[r->idx];
        int cx = x, cy = y;
        card_pos(ui, r->idx, &cx, &cy);
        int nw = name_chip(ui, cx, cy, colw / 2, r->idx, LLV_WAITING);
        int tx = x + nw + em / 2, rest = x + colw - tx;
        if (r->kind == WR_SLEEPER) {
            sleeper_text(ui, t, buf, sizeof buf);
            /* countdown bar: how much of the sleep is left */
            int64_t t0 = llv_event(m, t->since)->t;
            double frac = t->until > t0 ? (double)(t->until - s->now) / (double)(t->until - t0) : 0;
            fill(ui->r, tx, y + ui->line, (int)(rest * (frac < 0 ? 0 : frac)), 3, th->accent);
            if (ev->kind == LL_EV_TIMER_FIRE && ev->obj == t->obj) /* its timer fires now */
                frame(ui->r, x - 2, y - 1, colw + 4, ui->line + 6, 2, th->accent);
        } else
            wait_text(m, t, buf, sizeof buf);
        llv_text_fit(ui->sans, tx, y, rest, buf, (size_t)-1, th->text);
        if (r->kind == WR_TASK && r->kids && shows_children(ui, t, r->idx)) {
            /* what it awaits is made of these: each in its state's colour,
             * in the order they were made */
            uint32_t kids[64];
            size_t nk = children_of(ui, r->idx, kids, 64), shown = nk < 64 ? nk : 64;
            int rx = x + em, ry = y + ui->line + 4, gap = em / 4 + 1, end = x + colw;
            int lw = llv_text_w(ui->sans, "made:", (size_t)-1);
            llv_text(ui->sans, rx, ry + 1, "made:", (size_t)-1, th->dim);
            rx += lw + gap;
            for (size_t i = 0; i < shown; i++) {
                int tw = llv_text_w(ui->sans, llv_task_name(m, kids[i]), (size_t)-1) + em / 2;
                char more[32];
                snprintf(more, sizeof more, "+%zu", nk - i);
                int mw = i + 1 < nk ? llv_text_w(ui->bold, more, (size_t)-1) + gap : 0;
                if (rx + tw + mw > end) {
                    llv_text_fit(ui->bold, rx, ry + 1, end - rx, more, (size_t)-1, th->accent);
                    break;
                }
                rx += name_chip(ui, rx, ry, tw, kids[i], s->tasks[kids[i]].state) + gap;
            }
        }
        return;
    }
    case WR_TIMER: {
        const llv_timer *tm = &s->timers[r->idx];
        timer_text(ui, tm, buf, sizeof buf);
        bool now = ev->kind == LL_EV_TIMER_FIRE && ev->obj == tm->id;
        if (now)
            frame(ui->r, x - 2, y - 1, colw + 4, ui->line + 4, 2, th->accent);
        llv_text_fit(ui->sans, x, y, colw, buf, (size_t)-1, th->dim);
        return;
    }
    default: {
        uint32_t w[64], h[64];
        size_t want = sync_text(ui, r->idx, buf, sizeof buf);
        size_t nw = llv_waiters(m, m->sync[r->idx].id, w, 64), total = nw;
        llv_text_fit(ui->bold, x, y, colw, buf, (size_t)-1, th->text);
        size_t nh = want ? sync_holders(ui, r->idx, want, h, 64) : 0;
        for (size_t a = 0, b = nh; a + 1 < b; a++, b--) { /* the first to get in first */
            uint32_t tmp = h[a];
            h[a] = h[b - 1];
            h[b - 1] = tmp;
        }
        int rx = x + em, ry = y + ui->line + 4;
        if (r->kids && shows_items(ui, r->idx)) {
            item_row(ui, r->idx, rx, ry, x + colw - rx);
            ry += ui->line + 4;
        }
        if (nh || want)
            rx = chip_row(ui, rx, ry, x + colw - rx, "held by", h, nh, want > nh ? want : nh,
                          LLV__NSTATES /* each in its own state: a holder may wait too */) +
                 em / 2;
        if (nw && !queue_waiters(ui, r->idx, w, nw, rx, ry, x + colw - rx))
            chip_row(ui, rx, ry, x + colw - rx, nh || want ? "then" : "waiting:", w, nw,
                     total > nw ? total : nw, LLV_WAITING);
        return;
    }
    }
}

/* The waiting pane's rows, in three sections: timers (sleeping tasks and
 * bare timers, by deadline as the loop's heap has them), other waits, the
 * primitives; each under a heading, an empty one left out.  `rows` has room
 * for every task, timer and primitive and the three headings.  Returns the
 * number of rows. */
static size_t waiting_rows(const llv_ui *ui, wrow *rows) {
    const llv_model *m = ui->m;
    const llv_state *s = &m->cur;
    size_t n = 0;
    for (int part = 0; part < 3; part++) {
        rows[n++] = (wrow){0, (uint32_t)part, WR_HEAD, 0};
        size_t first = n;
        if (part == 0)
            for (size_t i = 0; i < s->ntimers; i++) {
                const llv_timer *tm = &s->timers[i];
                if (tm->owner != NONE && s->tasks[tm->owner].state == LLV_WAITING &&
                    s->tasks[tm->owner].wait == LL_WAIT_SLEEP)
                    continue; /* shown as the sleeping task */
                rows[n++] = (wrow){tm->when, (uint32_t)i, WR_TIMER, 0};
            }
        if (part < 2)
            for (uint32_t ti = 0; ti < m->ntasks; ti++) {
                const llv_task *t = &s->tasks[ti];
                if (t->state != LLV_WAITING || (!ui->show_runtime && llv_task_runtime(m, ti)))
                    continue;
                bool timer = t->wait == LL_WAIT_SLEEP;
                bool other = t->wait == LL_WAIT_TASK || t->wait == LL_WAIT_FUTURE ||
                             t->wait == LL_WAIT_TASKGROUP || t->wait == LL_WAIT_WAIT_FOR ||
                             t->wait == LL_WAIT_WAIT || t->wait == LL_WAIT_GATHER ||
                             t->wait == LL_WAIT_JOB || t->wait == LL_WAIT_IO ||
                             t->wait == LL_WAIT_NONE;
                if (part == 0 && timer)
                    rows[n++] = (wrow){t->until, ti, WR_SLEEPER, 0};
                else if (part == 1 && other)
                    rows[n++] = (wrow){0, ti, WR_TASK, 1};
            }
        if (part == 2)
            for (uint32_t k = 0; k < m->nsync; k++)
                if (m->sync[k].born <= ui->cursor)
                    rows[n++] = (wrow){0, k, WR_SYNC, 1};
        if (part == 0)
            qsort(rows + first, n - first, sizeof *rows, wrow_cmp);
        if (n == first)
            n--; /* an empty section shows no heading */
    }
    return n;
}

/* How the waiting pane's rows are laid out: `ncols` columns `colw` wide,
 * `gap` apart, of `per` lines `rowh` high. */
typedef struct wgrid {
    int gap, rowh, colw, ncols, per;
} wgrid;

/* Columns as wide as the widest row (of the first few hundred), as many as
 * fit and are needed; rows flow down them in order. */
static wgrid waiting_grid(llv_ui *ui, wrow *rows, size_t n, SDL_Rect c) {
    wgrid g = {.gap = ui->font_px, .rowh = ui->line + 4, .colw = 0};
    for (size_t i = 0; i < n && i < 300; i++) {
        int w = wrow_need(ui, &rows[i], NULL);
        g.colw = w > g.colw ? w : g.colw;
    }
    g.colw = g.colw > c.w ? c.w : g.colw;
    g.ncols = g.colw > 0 ? (c.w + g.gap) / (g.colw + g.gap) : 1;
    g.ncols = g.ncols < 1 ? 1 : g.ncols;
    g.per = c.h / g.rowh > 0 ? c.h / g.rowh : 1;
    int total = 0;
    for (size_t i = 0; i < n && total <= g.ncols * g.per; i++) { /* past the room: enough */
        int lines;
        wrow_need(ui, &rows[i], &lines);
        total += lines;
    }
    int used = (total + g.per - 1) / g.per;
    g.ncols = used < g.ncols ? (used ? used : 1) : g.ncols;
    g.colw = (c.w - (g.ncols - 1) * g.gap) / g.ncols;
    return g;
}

/* Places the rows on the grid and draws them.  Placed twice when they may
 * not all fit: first without drawing, to see whether everything fits; if
 * not, again with the last line kept for the count of what is left out.
 * Returns the number of rows drawn; adds the waiters of the primitives
 * drawn to *sync_shown. */
static size_t waiting_place(llv_ui *ui, wrow *rows, size_t n, SDL_Rect c, wgrid g,
                            size_t *sync_shown) {
    const llv_model *m = ui->m;
    size_t i = 0;
    bool left_out = false;
    for (int pass = 0; pass < 3; pass++) {
        bool draw = pass == 2;
        if (pass == 1 && left_out) { /* the children's and items' lines are the first to go */
            for (size_t k = 0; k < n; k++)
                rows[k].kids = 0;
            left_out = false;
        }
        int col = 0, line = 0, last = g.ncols * g.per - (left_out ? 1 : 0);
        for (i = 0; i < n; i++) {
            int lines;
            wrow_need(ui, &rows[i], &lines);
            int next = 0; /* a heading goes with its first row */
            if (rows[i].kind == WR_HEAD && i + 1 < n)
                wrow_need(ui, &rows[i + 1], &next);
            bool head_alone = next && line + 1 + next > g.per && line > 0;
            if (line + lines > g.per || head_alone) {
                col++;
                line = 0;
            }
            if (col * g.per + line + lines > last)
                break;
            if (draw) {
                wrow_draw(ui, &rows[i], c.x + col * (g.colw + g.gap), c.y + line * g.rowh, g.colw);
                if (rows[i].kind == WR_SYNC) {
                    uint32_t w[64];
                    *sync_shown += llv_waiters(m, m->sync[rows[i].idx].id, w, 64);
                }
            }
            line += lines;
        }
        left_out = i < n;
    }
    return i;
}

/* The last line when rows from `i` on were left out: "+N more" counting
 * the tasks (and timers) not shown, then what else if it fits. */
static void waiting_more(llv_ui *ui, const wrow *rows, size_t i, size_t n, SDL_Rect c, wgrid g,
                         size_t sync_shown) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    const llv_state *s = &m->cur;
    size_t tasks = 0, other = 0, on_sync = 0;
    for (size_t j = i; j < n; j++) {
        tasks += rows[j].kind == WR_SLEEPER || rows[j].kind == WR_TASK;
        other += rows[j].kind == WR_TIMER || rows[j].kind == WR_SYNC;
    }
    /* the waiters of the primitives left out: all of them, less those
     * of the rows drawn (one pass, however many primitives) */
    for (uint32_t ti = 0; ti < m->ntasks; ti++)
        on_sync += s->tasks[ti].state == LLV_WAITING && s->tasks[ti].wait >= LL_WAIT_LOCK;
    tasks += on_sync > sync_shown ? on_sync - sync_shown : 0;
    /* the count first, whole; what else is left out after it if it fits */
    char more[64];
    if (tasks)
        snprintf(more, sizeof more, "+%zu more", tasks);
    else
        snprintf(more, sizeof more, "%zu more", other);
    const char *also = !tasks ? "timers, primitives" : other ? "and timers, primitives" : "";
    int x = c.x + (g.ncols - 1) * (g.colw + g.gap), y = c.y + (g.per - 1) * g.rowh;
    if (c.h >= ui->line) { /* else the title's count says it */
        int mw = llv_text_fit(ui->bold, x, y, g.colw, more, (size_t)-1, th->accent) + g.gap / 2;
        if (*also && llv_text_w(ui->sans, also, (size_t)-1) <= g.colw - mw)
            llv_text(ui->sans, x + mw, y, also, (size_t)-1, th->accent);
    }
}

static void draw_waiting(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    const llv_state *s = &m->cur;
    size_t waiting = 0;
    for (uint32_t ti = 0; ti < m->ntasks; ti++)
        waiting +=
            s->tasks[ti].state == LLV_WAITING && (ui->show_runtime || !llv_task_runtime(m, ti));
    char title[64];
    snprintf(title, sizeof title, "Waiting (%zu task%s)", waiting, waiting == 1 ? "" : "s");
    SDL_Rect c = pane_begin(ui, P_WAITING, title);
    size_t cap = m->ntasks + s->ntimers + m->nsync + 3;
    wrow *rows = malloc(cap * sizeof *rows);
    if (!rows) {
        pane_end(ui);
        return;
    }
    size_t n = waiting_rows(ui, rows);
    /* What has no room is counted on the last line: "+N more". */
    wgrid g = waiting_grid(ui, rows, n, c);
    size_t sync_shown = 0;
    size_t i = waiting_place(ui, rows, n, c, g, &sync_shown);
    if (i < n)
        waiting_more(ui, rows, i, n, c, g, sync_shown);
    else if (!n)
        llv_text_fit(ui->sans, c.x, c.y, c.w, "(nobody is waiting)", (size_t)-1, th->dim);
    free(rows);
    pane_end(ui);
}

static void wrap(llv_ui *ui, llv_font *f, SDL_Rect c, int *y, const char *s, SDL_Color col) {
    size_t n = strlen(s), at = 0;
    int lh = llv_font_h(f);
    while (at < n && *y + lh <= c.y + c.h) {
        size_t k = llv_text_fits(f, s + at, n - at, c.w, 1);
        if (at + k<n && * y + 2 * lh> c.y + c.h) {
            /* The last line there is room for, and more to say: end it
             * with an ellipsis, so that the cut shows. */
            llv_text_fit(f, c.x, *y, c.w, s + at, n - at, col);
            *y += lh;
            break;
        }
        llv_text(f, c.x, *y, s + at, k, col);
        at += k;
        while (at < n && s[at] == ' ')
            at++;
        *y += lh;
    }
    (void)ui;
}

/* How many lines wrap() needs for s at width w. */
static int wrap_lines(llv_font *f, int w, const char *s) {
    size_t n = strlen(s), at = 0;
    int lines = 0;
    while (at < n) {
        size_t k = llv_text_fits(f, s + at, n - at, w, 1);
        if (k == 0)
            k = 1;
        at += k;
        while (at < n && s[at] == ' ')
            at++;
        lines++;
    }
    return lines;
}

/* A Python run's warning opens as Python words it: the text is asyncio's
 * own message, so what comes before it is only what Python would print
 * there (RuntimeWarning for a coroutine never awaited), or, for the
 * program's uncaught exception, where its traceback is. */
static int py_warn_head(unsigned kind, const char *text, char *buf, size_t n) {
    const char *head = "\xE2\x9A\xA0 ";
    if (kind == LL_WARN_NEVER_AWAITED && strncmp(text, "RuntimeWarning", 14) != 0)
        head = "\xE2\x9A\xA0 RuntimeWarning: ";
    else if (kind == LL_WARN_MAIN_FAILED)
        head = "\xE2\x9A\xA0 uncaught (the traceback is in the console): ";
    return snprintf(buf, n, "%s", head);
}

static void draw_narration(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    size_t k = llv_lower(m->notes, m->nnotes, ui->cursor + 1);
    size_t wk = llv_lower(m->warns, m->nwarns, ui->cursor + 1);
    bool fresh = k && m->notes[k - 1] == ui->cursor;
    bool gone = k && llv_note_until(m, k - 1) < ui->cursor; /* the picture has moved on */
    SDL_Rect c = pane_begin(ui, P_NARRATION, fresh ? "Narration \xE2\x80\x94 now" : "Narration");
    if (fresh)
        frame(ui->r, ui->pane[P_NARRATION].x, ui->pane[P_NARRATION].y, ui->pane[P_NARRATION].w,
              ui->pane[P_NARRATION].h, 3, th->note);
    int y = c.y;
    char end[200];
    if (bad_end(ui, end, sizeof end, false)) {
        char buf[220];
        snprintf(buf, sizeof buf, "\xE2\x9A\xA0 %s", end);
        wrap(ui, ui->bold, c, &y, buf, th->warn);
    }
    /* A warning stays up until the lesson says something newer, or for a
     * few dozen events. */
    if (wk && (ui->cursor - m->warns[wk - 1] < 40 || !k || m->notes[k - 1] < m->warns[wk - 1])) {
        const ll_trace_event *e = llv_event(m, m->warns[wk - 1]);
        const char *kind = ll_warn_kind_name(e->sub), *text = llv_str(m, e->str);
        size_t kl = strlen(kind);
        if (strncmp(text, kind, kl) == 0 && text[kl] == ':')
            text += kl + 1 + (text[kl + 1] == ' '); /* "deadlock: deadlock: ..." */
        char buf[900];
        int n = ui->python ? py_warn_head(e->sub, text, buf, sizeof buf)
                           : snprintf(buf, sizeof buf, "\xE2\x9A\xA0 %s: ", kind);
        /* The message's further lines (a deadlock's links) join the first. */
        for (const char *p = text; *p && n < (int)sizeof buf - 3; p++) {
            if (*p != '\n') {
                buf[n++] = *p;
                continue;
            }
            while (p[1] == ' ')
                p++;
            if (n && buf[n - 1] != ':')
                buf[n++] = ';';
            buf[n++] = ' ';
        }
        buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] = '\0';
        wrap(ui, ui->bold, c, &y, buf, th->warn);
    }
    if (k && !gone) {
        /* Large when it fits; when a warning took the room, the whole note
         * in the normal size rather than its first line alone. */
        const char *note = llv_str(m, llv_event(m, m->notes[k - 1])->str);
        llv_font *f = ui->big;
        if (y + wrap_lines(f, c.w, note) * llv_font_h(f) > c.y + c.h)
            f = ui->sans;
        wrap(ui, f, c, &y, note, fresh ? th->text : th->dim);
    } else if (!wk && !gone)
        wrap(ui, ui->sans, c, &y, "(no narration yet)", th->dim);
    else if (!wk) {
        /* The picture has moved on: the last note stays readable, small and
         * dim, marked as what it was about, so a class keeps its thread. */
        char was[1200];
        snprintf(was, sizeof was, "Earlier (step %u): %s", m->notes[k - 1] + 1,
                 llv_str(m, llv_event(m, m->notes[k - 1])->str));
        wrap(ui, ui->sans, c, &y, was, th->dim);
    }
    pane_end(ui);
}

/* ---- timeline -------------------------------------------------------------- */

static double ev_x(const llv_ui *ui, size_t i) {
    return ui->axis_time ? (double)llv_event(ui->m, i)->t : (double)i;
}

static size_t first_event_at(const llv_model *m, double t) {
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((double)llv_event(m, mid)->t < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void llv_ui_fit_timeline(llv_ui *ui) {
    if (ui->axis_time) {
        ui->tl_x0 = 0;
        ui->tl_x1 = (double)(ui->m->t_end > 0 ? ui->m->t_end : 1) * 1.02;
    } else {
        ui->tl_x0 = 0;
        ui->tl_x1 = (double)ui->m->n;
    }
}

size_t llv_ui_event_at_x(const llv_ui *ui, int x) {
    const SDL_Rect *L = &ui->tl_lanes;
    if (L->w <= 0)
        return ui->cursor;
    double v = ui->tl_x0 + (ui->tl_x1 - ui->tl_x0) * (double)(x - L->x) / L->w;
    if (!ui->axis_time) {
        if (v < 0)
            return 0;
        size_t i = (size_t)v;
        return i >= ui->m->n ? ui->m->n - 1 : i;
    }
    size_t i = first_event_at(ui->m, v);
    return i >= ui->m->n ? ui->m->n - 1 : i;
}

void llv_ui_zoom_timeline(llv_ui *ui, double f, int at_x) {
    const SDL_Rect *L = &ui->tl_lanes;
    double frac = L->w > 0 ? (double)(at_x - L->x) / L->w : 0.5;
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    double span = ui->tl_x1 - ui->tl_x0, at = ui->tl_x0 + span * frac;
    double ns = span * f;
    double minspan = ui->axis_time ? 1000.0 : 4.0;
    double full =
        ui->axis_time ? (double)(ui->m->t_end > 0 ? ui->m->t_end : 1) * 1.02 : (double)ui->m->n;
    if (ns < minspan)
        ns = minspan;
    if (ns > full)
        ns = full;
    ui->tl_x0 = at - ns * frac;
    ui->tl_x1 = ui->tl_x0 + ns;
    if (ui->tl_x0 < 0) {
        ui->tl_x1 -= ui->tl_x0;
        ui->tl_x0 = 0;
    }
}

void llv_ui_pan_timeline(llv_ui *ui, int dx) {
    const SDL_Rect *L = &ui->tl_lanes;
    if (L->w <= 0)
        return;
    double d = (ui->tl_x1 - ui->tl_x0) * dx / L->w;
    if (ui->tl_x0 - d < 0)
        d = ui->tl_x0;
    ui->tl_x0 -= d;
    ui->tl_x1 -= d;
}

static int to_px(const llv_ui *ui, double v) {
    const SDL_Rect *L = &ui->tl_lanes;
    double x = L->x + (v - ui->tl_x0) * L->w / (ui->tl_x1 - ui->tl_x0);
    if (x < -1e6)
        x = -1e6;
    if (x > 1e6)
        x = 1e6;
    return (int)floor(x);
}

static const int prio[LLV__NSTATES] = {0, 1, 4, 6, 2, 1, 5, 3};

/* Where a span starts and ends on the x axis.  Its end is cut at the
 * predict horizon (`hz`, an event): what the task did next is not known
 * yet.  `cut` says it was. */
static double span_a(const llv_ui *ui, const llv_span *sp) {
    return ui->axis_time ? (double)sp->t0 : (double)sp->ev0;
}

static double span_b(const llv_ui *ui, const llv_span *sp, size_t hz, bool *cut) {
    bool c = hz != SIZE_MAX && sp->ev1 > hz + 1;
    if (cut)
        *cut = c;
    if (c)
        return ui->axis_time ? (double)llv_event(ui->m, hz)->t : (double)hz + 1;
    return ui->axis_time ? (double)sp->t1 : (double)sp->ev1;
}

/* Notes that a bar of state `st` was drawn in colour `c` (for tests that
 * check the words against the picture: "its lane ends in red"). */
static void drawn_state(llv_ui *ui, unsigned st, SDL_Color c) {
    ui->tl_drawn_states |= 1u << st;
    ui->tl_drawn_color[st] = c;
}

/* A label inside a bar: whole when it fits, else its last words that fit
 * ("sleep until 1.000 s", "until 1.000 s", "1.000 s"), else nothing: never
 * a number cut short ("1.0…") that reads as another number. */
static void span_label(llv_ui *ui, int x, int y, int maxw, const char *s, SDL_Color c) {
    for (const char *p = s; p && strlen(p) > 2; p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL)
        if (llv_text_w(ui->mono, p, (size_t)-1) <= maxw) {
            llv_text(ui->mono, x, y, p, (size_t)-1, c);
            return;
        }
}

/* Counts a drawn span or marker whose last event shown is `last`. */
static void drawn(llv_ui *ui, size_t last) {
    ui->tl_drawn_n++;
    if (ui->tl_drawn_last == SIZE_MAX || last > ui->tl_drawn_last)
        ui->tl_drawn_last = last;
}

/* Draws one lane, merging what is narrower than a pixel, up to the predict
 * horizon. */
/* One span wide enough for a bar, from x0 to x1 of a lane at y, h high: a
 * bar, or a short marker for a task's end; a waiting bar names what it
 * waits for when there is room.  `cut`: the bar stops at the horizon `hz`. */
static void lane_bar(llv_ui *ui, const llv_span *sp, int x0, int x1, int y, int h, bool cut,
                     size_t hz) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    SDL_Rect q = {x0, y, x1 - x0, h};
    SDL_Color col = th->state[sp->state];
    if (sp->state >= LLV_DONE) {
        /* A short end marker, not a bar.  Done and cancelled ends are
         * quiet; a failure keeps its full colour (notes say "its lane ends
         * in red"). */
        if (sp->state != LLV_FAILED)
            col = mix(col, th->pane, 0.55f);
        q.w = x1 - x0 < h ? x1 - x0 : h;
        if (q.w < h / 2)
            q.w = h / 2;
    }
    fill(ui->r, q.x, q.y, q.w, q.h, col);
    drawn(ui, cut ? hz : sp->ev1 - 1);
    drawn_state(ui, sp->state, col);
    if (q.w >= 6)
        state_pattern(ui, q, sp->state);
    if (q.w > ui->font_px * 4 && sp->state == LLV_WAITING) {
        char what[96];
        llv_task tmp = {.state = LLV_WAITING,
                        .wait = sp->wait,
                        .op = sp->op,
                        .obj = sp->obj,
                        .until = sp->until};
        wait_text_at(m, &tmp, sp->t0, what, sizeof what);
        span_label(ui, q.x + 2, y + (h - llv_font_h(ui->mono)) / 2, q.w - 4, what,
                   th->state_text[LLV_WAITING]);
    }
}

static void draw_lane(llv_ui *ui, uint32_t ti, int y, int h) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    const llv_taskinfo *in = &m->info[ti];
    const llv_span *sp = m->spans + in->span0;
    size_t n = in->nspans, hz = llv_ui_horizon(ui);
    const SDL_Rect *L = &ui->tl_lanes;
    if (hz != SIZE_MAX) /* spans that begin after the horizon are the future */
        while (n && sp[n - 1].ev0 > hz)
            n--;
    /* first span that ends after the left edge */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (span_b(ui, &sp[mid], hz, NULL) < ui->tl_x0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int xmin = L->x; /* columns left of this are drawn already */
    for (size_t k = lo; k < n;) {
        bool cut;
        double a = span_a(ui, &sp[k]), b = span_b(ui, &sp[k], hz, &cut);
        if (a > ui->tl_x1)
            break;
        int x0 = to_px(ui, a), x1 = to_px(ui, b);
        if (x0 < xmin)
            x0 = xmin;
        if (x1 > L->x + L->w)
            x1 = L->x + L->w;
        if (x1 - x0 >= 2 ||
            (x1 - x0 >= 1 && k + 1 < n && to_px(ui, span_b(ui, &sp[k + 1], hz, NULL)) > x1)) {
            if (sp[k].state < LLV_DONE || x0 == to_px(ui, a))
                lane_bar(ui, &sp[k], x0, x1, y, h, cut, hz);
            k++;
            continue;
        }
        /* Narrower than a pixel: one column for everything that starts in
         * it, coloured by the most telling state among them. */
        int col = x0;
        double next = ui->tl_x0 + (double)(col + 1 - L->x) * (ui->tl_x1 - ui->tl_x0) / L->w;
        size_t j = k, best = k;
        size_t hi2 = n;
        { /* spans that start before the next column */
            size_t l2 = k;
            while (l2 < hi2) {
                size_t mid = (l2 + hi2) / 2;
                if (span_a(ui, &sp[mid]) < next)
                    l2 = mid + 1;
                else
                    hi2 = mid;
            }
            j = l2 > k ? l2 : k + 1;
        }
        if (j - k <= 16) {
            for (size_t q = k; q < j; q++)
                if (prio[sp[q].state] > prio[sp[best].state])
                    best = q;
        } else
            best = (size_t)-1; /* very busy: draw as running */
        SDL_Color c = best == (size_t)-1 ? th->state[LLV_RUNNING] : th->state[sp[best].state];
        if (best != (size_t)-1 && sp[best].state >= LLV_DONE && sp[best].state != LLV_FAILED)
            c = mix(c, th->pane, 0.55f);
        fill(ui->r, col, y, 1, h, c);
        drawn(ui, sp[j - 1].ev0); /* the column shows where the spans began */
        if (best != (size_t)-1)
            drawn_state(ui, sp[best].state, c);
        xmin = col + 1;
        /* the last of them may go on well past this column: draw the rest */
        double endj = span_b(ui, &sp[j - 1], hz, NULL);
        k = j - 1 > k && to_px(ui, endj) > col + 1 ? j - 1 : j;
    }
}

/* A worker thread's lane: one bar per job, from its start to its end. */
static void draw_worker_lane(llv_ui *ui, uint32_t lane, int y, int h) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    const SDL_Rect *L = &ui->tl_lanes;
    size_t hz = llv_ui_horizon(ui);
    for (size_t k = 0; k < m->njobs; k++) {
        const llv_job *j = &m->jobs[k];
        if (j->worker != lane || j->ev_start == NONE || (hz != SIZE_MAX && j->ev_start > hz))
            continue;
        /* past the horizon, a job still runs: how it ends is not known */
        size_t end = hz != SIZE_MAX && (j->ev_end == NONE || j->ev_end > hz) ? hz + 1 : j->ev_end;
        unsigned outcome = end == j->ev_end ? j->outcome : 0;
        double a = ui->axis_time ? (double)j->t_start : (double)j->ev_start;
        double b = end == NONE        ? (ui->axis_time ? (double)m->t_end : (double)m->n)
                   : end != j->ev_end ? (ui->axis_time ? (double)llv_event(m, hz)->t : (double)end)
                   : ui->axis_time    ? (double)j->t_end
                                      : (double)j->ev_end;
        if (b < ui->tl_x0 || a > ui->tl_x1)
            continue;
        int x0 = to_px(ui, a), x1 = to_px(ui, b);
        if (x0 < L->x)
            x0 = L->x;
        if (x1 > L->x + L->w)
            x1 = L->x + L->w;
        if (x1 <= x0)
            x1 = x0 + 1;
        SDL_Rect q = {x0, y, x1 - x0, h};
        SDL_Color col = outcome == 1 ? th->state[LLV_FAILED] : th->state[LLV_RUNNING];
        fill(ui->r, q.x, q.y, q.w, q.h, col);
        drawn(ui, end == NONE ? m->n - 1 : end - 1);
        if (q.w >= 6)
            state_pattern(ui, q, outcome == 1 ? LLV_FAILED : LLV_RUNNING);
        if (q.w > ui->font_px * 3)
            span_label(ui, q.x + 2, y + (h - llv_font_h(ui->mono)) / 2, q.w - 4, llv_str(m, j->fn),
                       th->state_text[outcome == 1 ? LLV_FAILED : LLV_RUNNING]);
    }
}

/* What a worker lane was doing under the mouse. */
static void worker_tip(const llv_ui *ui, uint32_t lane, size_t ev, char *tip, size_t n) {
    const llv_model *m = ui->m;
    const llv_job *j = llv_job_on(m, lane, ev);
    if (!j) {
        snprintf(tip, n, "worker %u: idle", lane);
        return;
    }
    char a[32], b[32] = "(still running)", site[96];
    fmt_time(a, sizeof a, j->t_start);
    if (j->ev_end != NONE)
        fmt_time(b, sizeof b, j->t_end);
    snprintf(tip, n, "worker %u: %s() for %s, handed over at %s, %s \xE2\x86\x92 %s", lane,
             llv_str(m, j->fn), j->owner != NONE ? llv_task_name(m, j->owner) : "the loop",
             site_text(m, j->site, site, sizeof site), a, b);
}

/* A marker for a print, a note or a warning: a triangle pointing down at
 * x, `size` pixels wide, so that it stays visible at every UI scale.  Drawn
 * in three steps, not row by row: a busy trace has a marker per column. */
static void marker(llv_ui *ui, int x, int y, int size, SDL_Color c) {
    int h = (size + 1) / 2, t = h / 3 > 1 ? h / 3 : 1;
    int w1 = size, w2 = size * 2 / 3 | 1, w3 = size / 3 | 1; /* odd: centred on x */
    fill(ui->r, x - w1 / 2, y, w1, t, c);
    fill(ui->r, x - w2 / 2, y + t, w2, t, c);
    fill(ui->r, x - w3 / 2, y + 2 * t, w3, h - 2 * t, c);
}

/* Tasks the timeline may name: in predict mode, those born by the horizon. */
static size_t tasks_known(const llv_ui *ui) {
    size_t hz = llv_ui_horizon(ui), n = 0;
    if (hz == SIZE_MAX)
        return ui->nlanes;
    for (size_t i = 0; i < ui->nlanes; i++)
        n += ui->m->info[ui->lanes[i]].born <= hz;
    return n;
}

/* The lane task ti is drawn on, or NONE when it is folded away. */
static uint32_t lane_of(const llv_ui *ui, uint32_t ti) {
    size_t lo = 0, hi = ui->nlanes; /* lanes are in creation order */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ui->lanes[mid] < ti)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ui->nlanes && ui->lanes[lo] == ti ? (uint32_t)lo : NONE;
}

void llv_ui_show_runtime(llv_ui *ui, bool on) {
    const llv_model *m = ui->m;
    ui->show_runtime = on;
    ui->nlanes = ui->nruntime = 0;
    for (uint32_t i = 0; i < m->ntasks; i++) {
        bool rt = llv_task_runtime(m, i);
        ui->nruntime += rt;
        if (on || !rt)
            ui->lanes[ui->nlanes++] = i;
    }
    ui->tl_followed = SIZE_MAX; /* scroll again to the cursor's task */
    ui->tl_first = 0;
}

/* The timeline's axis: ticks at a round step, each labelled. */
static void tl_axis(llv_ui *ui, SDL_Rect c) {
    const llv_theme *th = llv_ui_theme(ui);
    const SDL_Rect *L = &ui->tl_lanes;
    double span = ui->tl_x1 - ui->tl_x0;
    double unit = ui->axis_time ? 1e9 : 1.0;
    double raw = span / unit / (L->w / (ui->font_px * 6.0));
    double p = pow(10, floor(log10(raw > 0 ? raw : 1)));
    double tick = raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
    if (!ui->axis_time && tick < 1)
        tick = 1;
    tick *= unit;
    color(ui->r, th->border);
    for (double v = ceil(ui->tl_x0 / tick) * tick; v <= ui->tl_x1; v += tick) {
        int x = to_px(ui, v);
        fill(ui->r, x, L->y - 3, 1, L->h + 3, mix(th->pane, th->border, 0.5f));
        char lab[32];
        if (ui->axis_time) {
            /* As many decimals as the ticks are apart: 0.5 s, 0.25 s, ...,
             * 0.000250 s when zoomed in to microseconds. */
            int dec = tick >= 1e9 ? 0 : (int)ceil(-log10(tick / 1e9) - 1e-9);
            snprintf(lab, sizeof lab, "%.*f s", dec > 9 ? 9 : dec, v / 1e9);
        } else
            snprintf(lab, sizeof lab, "%.0f", v);
        /* Right of its tick, or left of it when that would leave the pane. */
        int lw = llv_text_w(ui->sans, lab, (size_t)-1);
        int right = ui->pane[P_TIMELINE].x + ui->pane[P_TIMELINE].w - 4;
        int lx = x + 2 + lw <= right ? x + 2 : x - 2 - lw;
        llv_text_fit(ui->sans, lx, c.y, ui->font_px * 6, lab, (size_t)-1, th->dim);
    }
}

/* Scrolls the lanes so that the task the cursor is on is in view, when the
 * cursor has moved (Ctrl+wheel scrolls freely until the next move), and
 * keeps the last lane at the bottom. */
static void tl_follow(llv_ui *ui, size_t nl, size_t nrows) {
    const llv_model *m = ui->m;
    if (ui->cursor != ui->tl_followed) {
        ui->tl_followed = ui->cursor;
        const ll_trace_event *ce = llv_event(m, ui->cursor);
        uint32_t ti = ce->task ? lane_of(ui, llv_task_index(m, ce->task)) : NONE;
        if (ti != NONE && nl > 0 && (ti < ui->tl_first || ti >= ui->tl_first + nl))
            ui->tl_first = ti >= nl / 2 ? ti - nl / 2 : 0;
    }
    if (ui->tl_first + nl > nrows)
        ui->tl_first = nrows > nl ? nrows - nl : 0;
}

/* The lanes in view, each with its label: tasks first, then worker threads. */
static void tl_lanes(llv_ui *ui, SDL_Rect c, int labw, size_t nl, size_t nrows) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    const SDL_Rect *L = &ui->tl_lanes;
    int lane_h = ui->tl_lane_h;
    size_t hz = llv_ui_horizon(ui);
    for (size_t k = 0; k < nl && ui->tl_first + k < nrows; k++) {
        size_t row = ui->tl_first + k;
        int y = L->y + (int)k * lane_h;
        if (row >= ui->nlanes) {
            uint32_t lane = (uint32_t)(row - ui->nlanes + 1);
            char lab[32];
            snprintf(lab, sizeof lab, "worker %u", lane);
            bool busy = llv_job_on(m, lane, ui->cursor) != NULL;
            llv_text_fit(busy ? ui->bold : ui->sans, c.x, y, labw - 4, lab, (size_t)-1,
                         busy ? th->state[LLV_RUNNING] : th->dim);
            SDL_Rect clip = {L->x, y, L->w, lane_h};
            SDL_RenderSetClipRect(ui->r, &clip);
            draw_worker_lane(ui, lane, y + 2, lane_h - 4);
            SDL_RenderSetClipRect(ui->r, &ui->pane[P_TIMELINE]);
            continue;
        }
        uint32_t ti = ui->lanes[row];
        const llv_task *t = &m->cur.tasks[ti];
        bool run = t->state == LLV_RUNNING;
        if (hz != SIZE_MAX && t->state == LLV_UNBORN)
            continue; /* predict mode: a task not made yet is not named */
        char lab[96];
        if (m->nloops > 1) /* whose task: the loop's number first, so lanes line up */
            snprintf(lab, sizeof lab, "L%u %s", m->info[ti].loop, llv_task_name(m, ti));
        else
            snprintf(lab, sizeof lab, "%s", llv_task_name(m, ti));
        llv_text_fit(run ? ui->bold : ui->sans, c.x, y, labw - 4, lab, (size_t)-1,
                     run                      ? th->state[LLV_RUNNING]
                     : t->state == LLV_UNBORN ? th->dim
                                              : th->text);
        SDL_Rect clip = {L->x, y, L->w, lane_h};
        SDL_RenderSetClipRect(ui->r, &clip);
        draw_lane(ui, ti, y + 2, lane_h - 4);
        SDL_RenderSetClipRect(ui->r, &ui->pane[P_TIMELINE]);
    }
}

/* Markers for the printed lines, notes and warnings in view, each on the
 * lane of the task (or worker) that said it. */
static void tl_markers(llv_ui *ui, size_t nl) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    const SDL_Rect *L = &ui->tl_lanes;
    int lane_h = ui->tl_lane_h;
    size_t hz = llv_ui_horizon(ui);
    size_t e0 =
        ui->axis_time ? first_event_at(m, ui->tl_x0) : (size_t)(ui->tl_x0 > 0 ? ui->tl_x0 : 0);
    size_t e1 = ui->axis_time ? first_event_at(m, ui->tl_x1 + 1) : (size_t)ui->tl_x1 + 1;
    if (hz != SIZE_MAX && e1 > hz + 1)
        e1 = hz + 1; /* predict mode: nothing said after the cursor */
    int msize = ui->font_px * 2 / 3 > 5 ? ui->font_px * 2 / 3 : 5;
    if (msize > lane_h - 2)
        msize = lane_h - 2;
    const uint32_t *lists[3] = {m->prints, m->notes, m->warns};
    size_t counts[3] = {m->nprints, m->nnotes, m->nwarns};
    SDL_Color mc[3] = {th->text, th->note, th->warn};
    SDL_Rect lclip = *L;
    SDL_RenderSetClipRect(ui->r, &lclip);
    for (int li = 0; li < 3; li++) {
        size_t a = llv_lower(lists[li], counts[li], e0), b = llv_lower(lists[li], counts[li], e1);
        if (b - a > (size_t)L->w) /* more markers than pixels: every one would merge */
            b = a + (size_t)L->w;
        int lastx = -1;
        for (size_t q = a; q < b; q++) {
            const ll_trace_event *e = llv_event(m, lists[li][q]);
            int x = to_px(ui, ev_x(ui, lists[li][q]) + (ui->axis_time ? 0 : 0.5));
            if (x == lastx)
                continue;
            lastx = x;
            uint32_t ti = e->task ? lane_of(ui, llv_task_index(m, e->task)) : NONE;
            if (!e->task && e->aux && e->obj && (e->kind == LL_EV_PRINT || e->kind == LL_EV_NOTE))
                ti = (uint32_t)ui->nlanes + e->aux - 1; /* said on a worker thread */
            int y = ti != NONE && ti >= ui->tl_first && ti < ui->tl_first + nl
                        ? L->y + (int)(ti - ui->tl_first) * lane_h
                        : L->y;
            marker(ui, x, y, msize, mc[li]);
            drawn(ui, lists[li][q]);
        }
    }
}

/* What the mouse is over in the lanes, into `tip` (left empty elsewhere). */
static void tl_tip(llv_ui *ui, size_t nrows, char *tip, size_t cap) {
    const llv_model *m = ui->m;
    const SDL_Rect *L = &ui->tl_lanes;
    size_t hz = llv_ui_horizon(ui);
    if (!(ui->mx >= L->x && ui->mx < L->x + L->w && ui->my >= L->y && ui->my < L->y + L->h))
        return;
    size_t lane = ui->tl_first + (size_t)((ui->my - L->y) / ui->tl_lane_h);
    size_t ev = llv_ui_event_at_x(ui, ui->mx);
    bool future = hz != SIZE_MAX && ev > hz; /* predict mode: not yet known */
    uint32_t ti = lane < ui->nlanes ? ui->lanes[lane] : NONE;
    const llv_span *s = ti != NONE && !future ? llv_span_at(m, ti, ev) : NULL;
    if (lane >= ui->nlanes && lane < nrows && !future)
        worker_tip(ui, (uint32_t)(lane - ui->nlanes + 1), ev, tip, cap);
    if (future)
        snprintf(tip, cap, "%s", "not yet: predict mode hides what comes next");
    if (s) {
        char what[128] = "", site[96], a[32], b[32];
        if (s->state == LLV_WAITING) {
            llv_task tmp = {.state = LLV_WAITING,
                            .wait = s->wait,
                            .op = s->op,
                            .obj = s->obj,
                            .until = s->until};
            wait_text_at(m, &tmp, s->t0, what, sizeof what);
        } else if (s->state == LLV_FAILED && llv_event(m, s->ev0)->kind == LL_EV_TASK_FAILED) {
            llv_error_text(m, llv_event(m, s->ev0), what, sizeof what);
        }
        fmt_time(a, sizeof a, s->t0);
        fmt_time(b, sizeof b, s->t1);
        unsigned last = s->ev1 - 1;
        if (hz != SIZE_MAX && s->ev1 > hz + 1) { /* how long it lasts is the future */
            snprintf(b, sizeof b, "%s", "\xE2\x80\xA6");
            last = (unsigned)hz;
        }
        snprintf(tip, cap, "%s: %s%s%s from %s, %s \xE2\x86\x92 %s (events %u\xE2\x80\x93%u)",
                 llv_task_name(m, ti), llv_state_name(s->state),
                 !*what                   ? ""
                 : s->state == LLV_FAILED ? " with "
                                          : " on ",
                 what, site_text(m, s->site, site, sizeof site), a, b, s->ev0, last);
    }
}

/* Not every lane fits: says which are shown, and how to see more, at the
 * right of the legend's row (below the lanes, never over a bar).  Returns
 * where the legend must stop. */
static int tl_lanes_shown(llv_ui *ui, SDL_Rect c, int ly, size_t nl, size_t nrows) {
    const llv_theme *th = llv_ui_theme(ui);
    char more[80];
    size_t last = ui->tl_first + nl < nrows ? ui->tl_first + nl : nrows;
    snprintf(more, sizeof more, "lanes %zu\xE2\x80\x93%zu of %zu (Ctrl+wheel)", ui->tl_first + 1,
             last, nrows);
    int w = llv_text_w(ui->sans, more, strlen(more));
    if (w > c.w / 2) { /* a narrow pane: the numbers alone */
        snprintf(more, sizeof more, "lanes %zu\xE2\x80\x93%zu of %zu", ui->tl_first + 1, last,
                 nrows);
        w = llv_text_w(ui->sans, more, strlen(more));
    }
    if (w >= c.w)
        return c.x + c.w;
    llv_text(ui->sans, c.x + c.w - w, ly, more, strlen(more), th->dim);
    return c.x + c.w - w - ui->font_px;
}

/* The legend: a swatch per state, then the three markers, as many as fit
 * between c.x and `right`. */
static void tl_legend(llv_ui *ui, SDL_Rect c, int ly, int right) {
    const llv_theme *th = llv_ui_theme(ui);
    int x = c.x;
    static const unsigned order[] = {LLV_RUNNING, LLV_READY,  LLV_WAITING,
                                     LLV_DONE,    LLV_FAILED, LLV_CANCELLED};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *name = llv_state_name(order[i]);
        int need = ui->line + 3 + llv_text_w(ui->sans, name, (size_t)-1);
        if (x + need > right)
            break;
        SDL_Rect q = {x, ly + 3, ui->line, ui->line - 6};
        fill(ui->r, q.x, q.y, q.w, q.h, th->state[order[i]]);
        state_pattern(ui, q, order[i]);
        x += ui->line + 3;
        x += llv_text(ui->sans, x, ly, name, (size_t)-1, th->dim) + ui->font_px;
    }
    static const char *const marks[3] = {"\xE2\x96\xBC print", "\xE2\x96\xBC note",
                                         "\xE2\x96\xBC warning"};
    SDL_Color mcol[3] = {th->text, th->note, th->warn};
    for (int i = 0; i < 3; i++) {
        int need = llv_text_w(ui->sans, marks[i], (size_t)-1);
        if (x + need > right)
            break;
        x += llv_text(ui->sans, x, ly, marks[i], (size_t)-1, mcol[i]) + ui->font_px / 2;
    }
}

static void draw_timeline(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    ui->tl_drawn_last = SIZE_MAX;
    ui->tl_drawn_n = 0;
    ui->tl_drawn_states = 0;
    char title[160], workers[40] = "";
    if (m->nworkers)
        snprintf(workers, sizeof workers, ", %u worker thread%s", m->nworkers,
                 m->nworkers == 1 ? "" : "s");
    char hidden[80] = "";
    if (ui->nruntime) /* asyncio.run's shutdown tasks, folded away (H) */
        snprintf(hidden, sizeof hidden,
                 ui->show_runtime ? ", %zu of the runtime (H hides)"
                                  : ", %zu runtime task%s hidden (H)",
                 ui->nruntime, ui->nruntime == 1 ? "" : "s");
    snprintf(title, sizeof title, "Timeline \xE2\x80\x94 %zu tasks%s%s, x: %s (A to switch)",
             tasks_known(ui), hidden, workers, ui->axis_time ? "loop time" : "event number");
    SDL_Rect c = pane_begin(ui, P_TIMELINE, title);
    int labw = ui->font_px * 7;
    int axis_h = ui->line + 2;
    int lane_h = ui->line + 2;
    ui->tl_lane_h = lane_h;
    ui->tl_lanes = (SDL_Rect){c.x + labw, c.y + axis_h, c.w - labw, c.h - axis_h - ui->line};
    const SDL_Rect *L = &ui->tl_lanes;
    if (L->w < 10 || L->h < lane_h) {
        pane_end(ui);
        return;
    }
    if (ui->tl_x1 <= ui->tl_x0)
        llv_ui_fit_timeline(ui);
    tl_axis(ui, c);
    size_t nl = (size_t)(L->h / lane_h);
    size_t nrows = ui->nlanes + m->nworkers; /* task lanes, then worker lanes */
    tl_follow(ui, nl, nrows);
    SDL_RenderSetClipRect(ui->r, &ui->pane[P_TIMELINE]);
    tl_lanes(ui, c, labw, nl, nrows);
    tl_markers(ui, nl);
    if (ui->why)
        tl_why_marks(ui);
    /* the cursor */
    int cx = to_px(ui, ev_x(ui, ui->cursor) + (ui->axis_time ? 0 : 0.5));
    fill(ui->r, cx - 1, L->y - 3, 2, L->h + 3, th->cursor);
    SDL_RenderSetClipRect(ui->r, &ui->pane[P_TIMELINE]);
    /* the legend, or what the mouse is over */
    int ly = c.y + c.h - ui->line;
    char tip[400] = "";
    tl_tip(ui, nrows, tip, sizeof tip);
    int legend_right = c.x + c.w;
    if (nrows > nl && nl > 0 && !tip[0])
        legend_right = tl_lanes_shown(ui, c, ly, nl, nrows);
    if (tip[0])
        llv_text_fit(ui->sans, c.x, ly, legend_right - c.x, tip, (size_t)-1, th->accent);
    else
        tl_legend(ui, c, ly, legend_right);
    pane_end(ui);
}

/* ---- code, console, log ---------------------------------------------------- */

SDL_Rect llv_ui_py_band;

/* The line of the C source where coroutine function `fn` is defined: a
 * line at column 0 naming `fn(`, returning ll_value, with no ';' (not a
 * prototype).  0 when there is none.  (Its Python line comes from the map.) */
static int def_line(const llv_lines *f, const char *fn) {
    size_t k = strlen(fn);
    for (size_t i = 0; k && i < f->n; i++) {
        const char *s = f->line[i], *at = strstr(s, fn);
        if (s[0] == ' ' || s[0] == '#' || s[0] == '/' || !at || at == s || at[k] != '(' ||
            (at[-1] != ' ' && at[-1] != '*') || strchr(s, ';') || !strstr(s, "ll_value"))
            continue;
        return (int)i + 1;
    }
    return 0;
}

/* The C line of task ti at a site (0: the top of its coroutine): 0 when it
 * is in another file than the one shown. */
static int task_c_line(const llv_ui *ui, uint32_t ti, uint32_t site) {
    const llv_model *m = ui->m;
    if (ti >= m->ntasks || !ui->src.n)
        return 0;
    if (!site) /* not started: it is about to enter its coroutine */
        return def_line(&ui->src, llv_str(m, m->info[ti].coro));
    const ll__site *s = ll__rec_sitep(&m->trace.rec, site);
    if (!s || !s->file || strcmp(basename_of(s->file), basename_of(ui->src.path)) != 0)
        return 0;
    return s->line;
}

int llv_ui_current_line(const llv_ui *ui) {
    llv_where w = llv_where_now(ui->m);
    int line = w.who == LLV_WHO_NONE ? 0 : task_c_line(ui, w.task, w.site);
    return line ? line : ui->err_line;
}

int llv_ui_py_line(const llv_ui *ui, int c_line) {
    const llv_lines *py = &ui->py;
    return py->map && c_line > 0 && (size_t)c_line < py->nmap ? py->map[c_line] : 0;
}

/* A task's tag in the code pane: on which line, and its place in line. */
typedef struct code_tag {
    int line;       /* line of the file shown */
    uint32_t task;  /* task index */
    uint32_t since; /* step it began to wait or became ready: FIFO order */
    bool ready;     /* in the ready queue (else waiting) */
} code_tag;

static int tag_cmp(const void *a, const void *b) {
    const code_tag *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->ready != y->ready) /* a woken task is past the waiters */
        return x->ready ? -1 : 1;
    return x->since < y->since ? -1 : x->since > y->since ? 1 : x->task < y->task ? -1 : 1;
}

/* The tags of tasks parked (waiting or ready) in file f, sorted by line and,
 * on one line, front of the line first.  Returns how many (tags freed by the
 * caller). */
static size_t code_tags(const llv_ui *ui, bool py, code_tag **out) {
    const llv_model *m = ui->m;
    size_t n = 0;
    *out = malloc((m->ntasks ? m->ntasks : 1) * sizeof **out);
    if (!*out)
        return 0;
    for (uint32_t ti = 0; ti < m->ntasks; ti++) {
        const llv_task *t = &m->cur.tasks[ti];
        if (t->state != LLV_WAITING && t->state != LLV_READY)
            continue;
        int ln = task_c_line(ui, ti, llv_task_site_now(m, ti));
        if (py)
            ln = llv_ui_py_line(ui, ln);
        if (ln > 0)
            (*out)[n++] = (code_tag){ln, ti, t->since, t->state == LLV_READY};
    }
    qsort(*out, n, sizeof **out, tag_cmp);
    return n;
}

/* Where a source line's trailing comment starts (a C block comment or a
 * Python "#" comment after code on the same line), or NULL. */
static const char *trailing_comment(const char *s, bool py) {
    const char *c = py ? strstr(s, "  #") : strstr(s, "/*");
    if (!c)
        return NULL;
    const char *p = s;
    while (*p == ' ')
        p++;
    return c > p ? c + (py ? 2 : 0) : NULL;
}

/* Width of a run of monospace text (a cell per UTF-8 character). */
static int mono_w(const char *s, size_t n, int cell) {
    int w = 0;
    for (size_t i = 0; i < n && s[i]; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80 ? cell : 0;
    return w;
}

/* How a line is laid out in rows: the whole line as written with its tags
 * on one row; else the comment pulled in next to the code; else the
 * comment on a row of its own under the code (right-aligned), and the tags
 * after the comment or on a third row.  Comments are never cut, tags never
 * drawn over text. */
typedef struct code_row {
    int rows;        /* 1 to 3 */
    bool pulled;     /* the comment is drawn right after the code */
    int comment_row; /* row of the comment (0 or 1) */
    int tags_row;    /* row of the tags */
} code_row;

static code_row line_rows(const char *s, bool py, int avail, int tagw, int cell) {
    const char *com = trailing_comment(s, py);
    size_t code_n = com ? (size_t)(com - s) : strlen(s);
    while (code_n && s[code_n - 1] == ' ')
        code_n--;
    int sp = tagw ? cell : 0;
    int whole = mono_w(s, (size_t)-1, cell), code = mono_w(s, code_n, cell);
    int comw = com ? mono_w(com, (size_t)-1, cell) : 0;
    if (whole + sp + tagw <= avail)
        return (code_row){1, false, 0, 0};
    if (com && code + 2 * cell + comw + sp + tagw <= avail)
        return (code_row){1, true, 0, 0};
    if (!com) /* code too long: it is cut; tags go under it */
        return (code_row){tagw ? 2 : 1, false, 0, tagw ? 1 : 0};
    if (code + sp + tagw <= avail)
        return (code_row){2, false, 1, 0};
    if (comw + sp + tagw <= avail)
        return (code_row){2, false, 1, 1};
    return (code_row){tagw ? 3 : 2, false, 1, tagw ? 2 : 0};
}

/* Total width of the tags of one line. */
static int tags_width(const llv_ui *ui, const code_tag *t, size_t n) {
    int w = 0;
    for (size_t i = 0; i < n; i++)
        w += llv_text_w(ui->cmono, llv_task_name(ui->m, t[i].task), (size_t)-1) + 8 + 2;
    return w;
}

/* The tags of line ln: [*a, return) of the sorted tags. */
static size_t tags_of_line(const code_tag *tags, size_t ntags, int ln, size_t *a) {
    size_t lo = 0, hi = ntags;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tags[mid].line < ln)
            lo = mid + 1;
        else
            hi = mid;
    }
    *a = lo;
    while (hi < ntags && tags[hi].line == ln)
        hi++;
    return hi > lo ? hi : lo;
}

/* Rows line ln takes with its tags. */
static int rows_of(const llv_ui *ui, const llv_lines *f, bool py, const code_tag *tags,
                   size_t ntags, int ln, int avail, int cell) {
    size_t a, b = tags_of_line(tags, ntags, ln, &a);
    return line_rows(f->line[ln - 1], py, avail, tags_width(ui, tags + a, b - a), cell).rows;
}

/* The first line to draw so that `anchor` sits mid-pane (or as low as the
 * end of the file allows), given how many rows each line takes. */
static int first_line(const llv_ui *ui, const llv_lines *f, bool py, const code_tag *tags,
                      size_t ntags, int anchor, int rows, int avail, int cell) {
    int used = rows_of(ui, f, py, tags, ntags, anchor, avail, cell), first = anchor;
    while (first > 1) {
        int k = rows_of(ui, f, py, tags, ntags, first - 1, avail, cell);
        if (used + k > rows / 2 + 1)
            break;
        used += k;
        first--;
    }
    /* at the end of the file, the rows left over show lines above */
    int below = 0;
    for (int ln = anchor + 1; ln <= (int)f->n && used + below < rows; ln++)
        below += rows_of(ui, f, py, tags, ntags, ln, avail, cell);
    while (first > 1) {
        int k = rows_of(ui, f, py, tags, ntags, first - 1, avail, cell);
        if (used + below + k > rows)
            break;
        used += k;
        first--;
    }
    return first;
}

/* Draws the tags of one line from x = right - their width, front of the
 * line first; when they are wider than the row, as many as fit and "+N". */
static void draw_tags(llv_ui *ui, SDL_Rect c, int gut, int y, const code_tag *t, size_t n,
                      int tagw) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    int lh = llv_font_h(ui->cmono), x = c.x + c.w - tagw;
    /* room kept for "+N" only when they cannot all be drawn */
    int more_w = x < c.x + gut ? llv_text_w(ui->cmono, "+000", (size_t)-1) : 0;
    if (x < c.x + gut)
        x = c.x + gut;
    for (size_t k = 0; k < n; k++) {
        const llv_task *tk = &m->cur.tasks[t[k].task];
        const char *tn = llv_task_name(m, t[k].task);
        /* in the code's own font, so that a tag is one row high */
        int tw = llv_text_w(ui->cmono, tn, (size_t)-1) + 8;
        if (x + tw + (k + 1 < n ? more_w : 0) > c.x + c.w) {
            char more[24];
            snprintf(more, sizeof more, "+%zu", n - k);
            llv_text(ui->cmono, x, y, more, (size_t)-1, th->dim);
            return;
        }
        SDL_Rect q = {x, y, tw, lh};
        fill(ui->r, q.x, q.y, q.w, q.h, th->state[tk->state]);
        if (tk->state == LLV_WAITING)
            state_pattern(ui, q, LLV_WAITING);
        llv_text_fit(ui->cmono, x + 4, y, tw - 6, tn, (size_t)-1, th->state_text[tk->state]);
        x += tw + 2;
    }
}

/* The line to keep in view when no task's line is current: the last line
 * of this file the trace named before the cursor (bounded look-back). */
static int recent_line(const llv_ui *ui) {
    const llv_model *m = ui->m;
    for (size_t i = ui->cursor + 1, k = 0; i-- > 0 && k < 4096; k++) {
        const ll_trace_event *e = llv_event(m, i);
        if (!e->site)
            continue;
        const ll__site *s = ll__rec_sitep(&m->trace.rec, e->site);
        if (s && s->file && strcmp(basename_of(s->file), basename_of(ui->src.path)) == 0)
            return s->line;
    }
    return 1;
}

/* Draws one source (C or its Python twin) in box c, the current line
 * highlighted and kept in view, parked tasks tagged on their lines. */
static void draw_source(llv_ui *ui, SDL_Rect c, const llv_lines *f, bool py) {
    const llv_theme *th = llv_ui_theme(ui);
    int lh = llv_font_h(ui->cmono), cell = llv_text_w(ui->cmono, "0", 1);
    int c_cur = llv_ui_current_line(ui);
    int cur = py ? llv_ui_py_line(ui, c_cur) : c_cur;
    int anchor = cur > 0 ? cur : py ? llv_ui_py_line(ui, recent_line(ui)) : recent_line(ui);
    if (anchor < 1 || anchor > (int)f->n)
        anchor = 1;
    code_tag *tags;
    size_t ntags = code_tags(ui, py, &tags);
    int gut = cell * 5, avail = c.w - gut, rows = c.h / lh;
    int first = first_line(ui, f, py, tags, ntags, anchor, rows, avail, cell);
    int y = c.y;
    for (int ln = first; ln <= (int)f->n && y + lh <= c.y + c.h; ln++) {
        size_t t0, t1 = tags_of_line(tags, ntags, ln, &t0);
        int tagw = tags_width(ui, tags + t0, t1 - t0);
        code_row r = line_rows(f->line[ln - 1], py, avail, tagw, cell);
        int h = r.rows * lh;
        if (y + h > c.y + c.h)
            h = (c.y + c.h - y) / lh * lh;
        if (ln == cur) {
            fill(ui->r, c.x - 2, y, c.w + 4, h, th->highlight);
            fill(ui->r, c.x - 2, y, 4, h, th->accent);
            SDL_Rect band = {c.x - 2, y, c.w + 4, lh};
            if (py)
                llv_ui_py_band = band;
            else
                llv_ui_line_band = band;
        }
        char num[16];
        snprintf(num, sizeof num, "%4d", ln);
        size_t link = why_link_at_line(ui, f, py, ln);
        if (link) /* a line a link of "why now?" names: its number, lit */
            fill(ui->r, c.x - 2, y, cell * 4 + 4, lh, th->accent);
        llv_text(ui->cmono, c.x, y, num, (size_t)-1, link ? th->bg : th->dim);
        const char *s = f->line[ln - 1], *com = trailing_comment(s, py);
        size_t code_n = com ? (size_t)(com - s) : strlen(s);
        while (code_n && s[code_n - 1] == ' ')
            code_n--;
        int x = c.x + gut;
        if (r.rows == 1 && !r.pulled) {
            llv_text_fit(ui->cmono, x, y, avail, s, (size_t)-1, th->text);
        } else {
            int w = llv_text_fit(ui->cmono, x, y, avail, s, code_n, th->text);
            if (com && r.comment_row == 0)
                llv_text(ui->cmono, x + w + 2 * cell, y, com, (size_t)-1, th->dim);
            else if (com && y + 2 * lh <= c.y + c.h) /* right-aligned under the code */
                llv_text(ui->cmono,
                         c.x + c.w - mono_w(com, (size_t)-1, cell) -
                             (r.tags_row == 1 ? tagw + cell : 0),
                         y + lh, com, (size_t)-1, th->dim);
        }
        if (t1 > t0 && y + (r.tags_row + 1) * lh <= c.y + c.h)
            draw_tags(ui, c, gut, y + r.tags_row * lh, tags + t0, t1 - t0, tagw);
        y += r.rows * lh;
    }
    free(tags);
}

/* The widest line of a file, in characters, leaving out a trailing
 * comment (drawn on a row of its own when it does not fit). */
static size_t code_chars(const llv_lines *f, bool py) {
    size_t most = 0;
    for (size_t i = 0; i < f->n; i++) {
        const char *s = f->line[i], *com = trailing_comment(s, py);
        size_t n = com ? (size_t)(com - s) : strlen(s);
        most = n > most ? n : most;
    }
    return most;
}

static void draw_code(llv_ui *ui) {
    bool both = ui->pair;
    const llv_lines *f = ui->show_py && !both ? &ui->py : &ui->src;
    char title[1100];
    const char *name = f->n ? basename_of(f->path) : "source not found";
    /* P cycles C and Python side by side, C, Python where the pair fits;
     * C and Python elsewhere.  The title says what P does next. */
    if (both)
        snprintf(title, sizeof title, "%s  |  %s  (its Python twin)   P: C only",
                 basename_of(ui->src.path), basename_of(ui->py.path));
    else if (ui->pair_fits)
        snprintf(title, sizeof title, "%s  (P: %s)", name,
                 ui->show_py ? "C and Python side by side" : "Python twin");
    else if (ui->show_py || ui->py.n) /* P has somewhere to go */
        snprintf(title, sizeof title, "%s  (P: %s)", name,
                 ui->show_py ? "back to C" : "Python twin");
    else
        snprintf(title, sizeof title, "%s", name);
    SDL_Rect c = pane_begin(ui, P_CODE, title);
    llv_ui_line_band = (SDL_Rect){0, 0, 0, 0};
    llv_ui_py_band = (SDL_Rect){0, 0, 0, 0};
    if (!f->n) {
        llv_text_fit(ui->sans, c.x, c.y, c.w,
                     ui->show_py ? "(no Python twin for this trace)"
                                 : "(the program's source was not found)",
                     (size_t)-1, llv_ui_theme(ui)->dim);
        pane_end(ui);
        return;
    }
    if (both) {
        /* each file as wide as its longest line of code asks, within
         * 40-65% of the pane */
        size_t cc = code_chars(&ui->src, false) + 5, pc = code_chars(&ui->py, true) + 5;
        int gap = ui->font_px, share = (int)(cc * 100 / (cc + pc));
        share = share < 40 ? 40 : share > 65 ? 65 : share;
        int left = (c.w - gap) * share / 100;
        SDL_Rect l = {c.x, c.y, left, c.h}, r = {c.x + left + gap, c.y, c.w - left - gap, c.h};
        fill(ui->r, c.x + left + gap / 2, c.y, 1, c.h, llv_ui_theme(ui)->border);
        ui->cmono = ui->mono_pair;
        draw_source(ui, l, &ui->src, false);
        draw_source(ui, r, &ui->py, true);
        ui->cmono = ui->mono;
    } else
        draw_source(ui, c, f, ui->show_py);
    pane_end(ui);
}

void llv_ui_next_code_view(llv_ui *ui) {
    if (!ui->pair_fits) {
        ui->show_py = !ui->show_py;
        return;
    }
    if (!ui->code_single) { /* the pair, then C */
        ui->code_single = true;
        ui->show_py = false;
    } else if (!ui->show_py) { /* C, then Python */
        ui->show_py = true;
    } else { /* Python, then the pair again */
        ui->code_single = false;
        ui->show_py = false;
    }
}

static void draw_console(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    size_t k = llv_lower(m->prints, m->nprints, ui->cursor + 1);
    char title[64];
    snprintf(title, sizeof title, "Console (%zu line%s)", k, k == 1 ? "" : "s");
    SDL_Rect c = pane_begin(ui, P_CONSOLE, title);
    int lh = llv_font_h(ui->mono);
    size_t rows = (size_t)(c.h / lh);
    size_t from = k > rows ? k - rows : 0;
    for (size_t i = from; i < k; i++) {
        int y = c.y + (int)(i - from) * lh;
        bool now = m->prints[i] == ui->cursor;
        if (now)
            fill(ui->r, c.x - 2, y, c.w + 4, lh, th->highlight);
        llv_text_fit(ui->mono, c.x, y, c.w, llv_str(m, llv_event(m, m->prints[i])->str), (size_t)-1,
                     th->text);
    }
    pane_end(ui);
}

static void draw_log(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    SDL_Rect c = pane_begin(ui, P_LOG, "Event log (the text trace)");
    int lh = llv_font_h(ui->mono);
    size_t rows = (size_t)(c.h / lh);
    if (!rows) {
        pane_end(ui);
        return;
    }
    /* The cursor's row in the middle; in predict mode at the bottom, with
     * no row after it: the next row is the answer. */
    size_t hz = llv_ui_horizon(ui), end = hz == SIZE_MAX ? m->n : hz + 1;
    size_t above = hz == SIZE_MAX ? rows / 2 : rows - 1;
    size_t from = ui->cursor > above ? ui->cursor - above : 0;
    if (from + rows > m->n)
        from = m->n > rows ? m->n - rows : 0;
    for (size_t i = from; i < from + rows && i < end; i++) {
        int y = c.y + (int)(i - from) * lh;
        size_t len;
        const char *s = ll__tw_format(&ui->fmt, &m->trace.rec, llv_event(m, i), &len);
        while (len && *s == ' ') { /* the time column's padding */
            s++;
            len--;
        }
        if (i == ui->cursor)
            fill(ui->r, c.x - 2, y, c.w + 4, lh, th->highlight);
        SDL_Color col = i < ui->cursor ? th->dim : th->text; /* the past is dimmed */
        unsigned kind = llv_event(m, i)->kind;
        if (kind == LL_EV_WARN)
            col = th->warn;
        else if (kind == LL_EV_NOTE)
            col = th->note;
        llv_text_fit(ui->mono, c.x, y, c.w, s, len, col);
    }
    pane_end(ui);
}

/* What each pane shows, in plain words: F1 lists them, and hovering a
 * pane's title says it. */
static const char *const pane_help[P__N] = {
    [P_HEADER] = "The lesson, the clock the run used, the loop's time now and the step.",
    [P_LOOP] = "One trip round the event loop: run what is ready, poll (wait for I/O or "
               "the next timer), move due timers to the ready queue. The lit phase is now.",
    [P_RUNNING] = "The task that has the thread now, the coroutine it is in and the line "
                  "it is at; or what the loop itself is doing between tasks.",
    [P_READY] = "Tasks and callbacks due to run, front first, and why each was queued "
                "(created, sleep_done, future_done...). The loop runs them in this order.",
    [P_WAITING] = "Tasks that cannot run yet: on a timer (by deadline, as the loop's heap), "
                  "on a task, future or socket, or on a lock, semaphore, queue or event "
                  "(with who holds it and who waits, in order).",
    [P_NARRATION] = "What the lesson says about this moment; warnings in red.",
    [P_TIMELINE] = "Every task's life on one lane: running, ready, waiting (hatched), done; "
                   "the cursor is now. Click to move it, wheel to zoom, A for time.",
    [P_CODE] = "The lesson's source: the running task's line lit, waiting tasks tagged on "
               "the line they wait at; in a wide window its Python twin beside it, as alive. "
               "P switches between the pair, C and Python.",
    [P_CONSOLE] = "What the program printed, up to now.",
    [P_LOG] = "The recorded events, one a line: time, task, kind, fields (F1 explains them).",
    [P_FOOTER] = "The keys, or what a key just did.",
};

/* The event log's kinds and fields, in plain words. */
static const char *const log_help[][2] = {
    {"run", "a task gets the thread; behind = ready entries still queued after it"},
    {"ready", "a task joins the ready queue; reason = why, pos = its place"},
    {"wait", "a task suspends; on = what it waits for, at = the line"},
    {"cb_queued / cb_run", "a callback (not a task) joins the ready queue / runs"},
    {"timer_arm / timer_fire", "a timer is set for a deadline / comes due"},
    {"fut_new / fut_done", "a future is made / gets its result, error or cancel"},
    {"iter / poll", "a trip round the loop begins / the loop waits (timeout)"},
    {"sync", "a lock, semaphore, queue or event operation; value after it"},
    {"task_new / done / failed", "a task is created / ends"},
    {"print / note / warn", "a printed line / the lesson's narration / a warning"},
};

/* A pane's title under the mouse: a box saying what the pane shows. */
static void draw_pane_tip(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    for (int p = 0; p < P__N; p++) {
        SDL_Rect q = ui->pane[p];
        if (q.w <= 0 || p == P_HEADER || p == P_FOOTER || ui->mx < q.x || ui->mx >= q.x + q.w ||
            ui->my < q.y || ui->my >= q.y + ui->line + ui->font_px / 3)
            continue;
        int w = q.w < 40 * ui->font_px ? 40 * ui->font_px : q.w;
        w = w > ui->w - 8 ? ui->w - 8 : w;
        int lines = wrap_lines(ui->sans, w - ui->font_px, pane_help[p]);
        SDL_Rect b = {q.x, q.y + ui->line + ui->font_px / 3, w, lines * ui->line + ui->font_px / 2};
        if (b.x + b.w > ui->w - 4)
            b.x = ui->w - 4 - b.w;
        if (b.y + b.h > ui->h)
            b.y = q.y - b.h;
        SDL_RenderSetClipRect(ui->r, &b);
        fill(ui->r, b.x, b.y, b.w, b.h, th->highlight);
        frame(ui->r, b.x, b.y, b.w, b.h, 2, th->accent);
        SDL_Rect c = {b.x + ui->font_px / 2, b.y + ui->font_px / 4, b.w - ui->font_px, b.h};
        int y = c.y;
        wrap(ui, ui->sans, c, &y, pane_help[p], th->text);
        SDL_RenderSetClipRect(ui->r, NULL);
        return;
    }
}

/* The second half of F1: the panes and the event log's words, in box q. */
static void draw_help_words(llv_ui *ui, SDL_Rect q) {
    const llv_theme *th = llv_ui_theme(ui);
    int y = q.y;
    llv_text_fit(ui->bold, q.x, y, q.w, "What you see", (size_t)-1, th->accent);
    y += ui->line;
    static const int order[] = {P_LOOP,     P_RUNNING, P_READY,   P_WAITING, P_NARRATION,
                                P_TIMELINE, P_CODE,    P_CONSOLE, P_LOG};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        char buf[400];
        snprintf(buf, sizeof buf, "%s: %s", llv_pane_names[order[i]], pane_help[order[i]]);
        wrap(ui, ui->sans, q, &y, buf, th->text);
    }
    y += ui->line / 2;
    llv_text_fit(ui->bold, q.x, y, q.w, "The event log's words", (size_t)-1, th->accent);
    y += ui->line;
    for (size_t i = 0; i < sizeof log_help / sizeof log_help[0]; i++) {
        char buf[300];
        snprintf(buf, sizeof buf, "%s: %s", log_help[i][0], log_help[i][1]);
        wrap(ui, ui->sans, q, &y, buf, th->text);
    }
}

static void draw_help(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    static const char *const keys[][2] = {
        {"\xE2\x86\x92  PageDown  N", "next event"},
        {"\xE2\x86\x90  PageUp  B", "previous event"},
        {"Shift+\xE2\x86\x92 / \xE2\x86\x90", "next / previous task switch"},
        {"Ctrl+\xE2\x86\x92 / \xE2\x86\x90", "next / previous loop iteration"},
        {"\xE2\x86\x93 / \xE2\x86\x91", "next / previous print or note"},
        {"Home / End", "first / last event"},
        {"G", "go to step N (type it, then Enter)"},
        {"Space  + / -", "play / pause, faster / slower"},
        {"R", "predict: ask before each switch and print; 1-5 pick, J: where a wrong pick parts"},
        {"W", "why now? the chain of causes of this step (Enter: go to a link)"},
        {"A", "timeline axis: event number / loop time"},
        {"wheel, drag, click", "zoom, pan, put the cursor (timeline)"},
        {"Ctrl+wheel", "scroll the task lanes (timeline)"},
        {"drop a file", "a trace opens; a .py runs under the recorder and opens"},
        {"P", "C beside Python / C / Python (one or the other when narrow)"},
        {"C", "re-run on the other clock (virtual / real)"},
        {"L", "lesson picker (Tab there: C or Python; Esc comes back)"},
        {"O", "this lesson's other run, C / Python, at the same task step"},
        {"H", "show / hide asyncio.run's shutdown tasks (a Python run)"},
        {"T", "theme: dark / projector"},
        {"Ctrl+=  -  0", "bigger / smaller / normal size"},
        {"Tab  Shift+Tab", "next / previous tabbed pane (a small window)"},
        {"F11  S", "fullscreen; save a PNG screenshot"},
        {"E", "export the trace (text and Chrome JSON)"},
        {"F1  ?  Esc  Q", "this help; Esc closes it, then quits"},
    };
    size_t n = sizeof keys / sizeof keys[0];
    /* One column when it fits the window's height, else two side by side
     * (a small window, or a big UI scale on a projector). */
    size_t fit = ui->h > 20 + 3 * ui->line ? (size_t)((ui->h - 20) / ui->line - 3) : 1;
    int cols = n > fit ? 2 : 1;
    size_t per = (n + (size_t)cols - 1) / (size_t)cols;
    /* the keys on the left, what the panes and the log's words mean on the
     * right */
    int w = ui->w - 40, h = ui->h - 20;
    int x = (ui->w - w) / 2, y = (ui->h - h) / 2;
    SDL_Rect q = {x, y, w, h};
    SDL_RenderSetClipRect(ui->r, &q);
    fill(ui->r, x, y, w, h, th->pane);
    frame(ui->r, x, y, w, h, 3, th->accent);
    int pad = ui->font_px;
    llv_text_fit(ui->bold, x + pad, y + ui->line / 2, w - 2 * pad, "Keys", (size_t)-1, th->accent);
    int keysw = w * (cols == 1 ? 45 : 58) / 100;
    draw_help_words(
        ui, (SDL_Rect){x + keysw + pad, y + ui->line / 2, w - keysw - 2 * pad, h - ui->line});
    int cw = (keysw - pad) / cols, kw[2] = {0, 0}; /* a column; its keys' width */
    for (size_t i = 0; i < n; i++) {
        int k = llv_text_w(ui->bold, keys[i][0], (size_t)-1) + pad;
        int *c = &kw[i / per];
        *c = k > *c ? k : *c;
    }
    for (size_t i = 0; i < n; i++) {
        int cx = x + pad + (int)(i / per) * cw, k = kw[i / per] < cw / 2 ? kw[i / per] : cw / 2;
        int yy = y + (int)(i % per + 2) * ui->line;
        if (yy + ui->line > y + h)
            continue;
        llv_text_fit(ui->bold, cx, yy, k - pad / 2, keys[i][0], (size_t)-1, th->text);
        llv_text_fit(ui->sans, cx + k, yy, cw - k - pad / 2, keys[i][1], (size_t)-1, th->text);
    }
    SDL_RenderSetClipRect(ui->r, NULL);
}

/* The question's box, at the bottom of the waiting pane: `rows` lines. */
static SDL_Rect predict_box(llv_ui *ui, int rows) {
    const llv_theme *th = llv_ui_theme(ui);
    SDL_Rect st = ui->pane[P_WAITING];
    int h = ui->line * rows + 8;
    if (h > ui->h - 8)
        h = ui->h - 8;
    SDL_Rect q = {st.x, st.y + st.h - h, st.w, h};
    if (q.y < 4)
        q.y = 4;
    SDL_RenderSetClipRect(ui->r, &q);
    fill(ui->r, q.x, q.y, q.w, q.h, th->highlight);
    frame(ui->r, q.x, q.y, q.w, q.h, 3, th->accent);
    return q;
}

/* A question with choices: the choices to pick from (1-5 or a click), or,
 * picked, whether it was right, and for a wrong pick the misconception and
 * J to where that model parts from asyncio. */
static void draw_choices(llv_ui *ui, const char *q1, bool answered) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    bool task = llv_event(m, ui->predict_at)->kind == LL_EV_TASK_RUN;
    const llv_choice *pk = ui->picked >= 0 ? &ui->choice[ui->picked] : NULL;
    char buf[512];
    if (!answered) {
        SDL_Rect q = predict_box(ui, (int)ui->nchoice + 2);
        int y = q.y + 4;
        llv_text_fit(ui->bold, q.x + 8, y, q.w - 16, q1, (size_t)-1, th->text);
        ui->choice_h = ui->line;
        for (size_t i = 0; i < ui->nchoice; i++) {
            y += ui->line;
            ui->choice_y[i] = y;
            snprintf(buf, sizeof buf, task ? "%zu  %s" : "%zu  \"%s\"", i + 1, ui->choice[i].text);
            llv_text_fit(ui->sans, q.x + 8, y, q.w - 16, buf, (size_t)-1, th->text);
        }
        snprintf(buf, sizeof buf, "Pick 1-%zu (a key or a click), or press \xE2\x86\x92 to see.",
                 ui->nchoice);
        llv_text_fit(ui->sans, q.x + 8, y + ui->line, q.w - 16, buf, (size_t)-1, th->dim);
        SDL_RenderSetClipRect(ui->r, NULL);
        return;
    }
    ui->choice_h = 0;
    bool right = !pk || pk->model == LL_MODEL_ASYNCIO;
    const char *real = "";
    for (size_t i = 0; i < ui->nchoice; i++)
        if (ui->choice[i].model == LL_MODEL_ASYNCIO)
            real = ui->choice[i].text;
    SDL_Rect q = predict_box(ui, right ? 3 : 5);
    int y = q.y + 4;
    if (!pk)
        snprintf(buf, sizeof buf, task ? "Answer: %s" : "Answer: \"%s\"", real);
    else if (right)
        snprintf(buf, sizeof buf, task ? "Right: %s runs next." : "Right: \"%s\" is printed next.",
                 real);
    else
        snprintf(buf, sizeof buf, task ? "Not quite: %s runs next." : "Not quite: \"%s\" is next.",
                 real);
    llv_text_fit(ui->bold, q.x + 8, y, q.w - 16, buf, (size_t)-1, th->text);
    y += ui->line;
    if (right) {
        wrap(ui, ui->sans, (SDL_Rect){q.x + 8, y, q.w - 16, q.y + q.h - y}, &y,
             task ? "asyncio runs the ready queue in order: the front entry goes first."
                  : "asyncio runs one step at a time, in the order the ready queue holds.",
             th->text);
    } else {
        snprintf(buf, sizeof buf, "You predicted as if %s (the '%s' model).",
                 ll_model_doc((unsigned)pk->model), ll_model_name((unsigned)pk->model));
        wrap(ui, ui->sans, (SDL_Rect){q.x + 8, y, q.w - 16, q.y + q.h - y - ui->line}, &y, buf,
             th->text);
        snprintf(buf, sizeof buf, "J: to where '%s' and asyncio part ways",
                 ll_model_name((unsigned)pk->model));
        llv_text_fit(ui->bold, q.x + 8, q.y + q.h - 4 - ui->line, q.w - 16, buf, (size_t)-1,
                     th->accent);
    }
    SDL_RenderSetClipRect(ui->r, NULL);
}

static void draw_predict(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    const llv_model *m = ui->m;
    if (ui->predict_at == SIZE_MAX)
        return;
    bool asking = !ui->predict_shown && ui->cursor + 1 == ui->predict_at;
    bool answered = ui->predict_shown && ui->cursor == ui->predict_at;
    if (!asking && !answered)
        return; /* the cursor has moved on */
    const ll_trace_event *e = llv_event(m, ui->predict_at);
    char q1[256], q2[512] = "";
    if (e->kind == LL_EV_TASK_RUN)
        snprintf(q1, sizeof q1, "Predict: which task runs next?");
    else
        snprintf(q1, sizeof q1, "Predict: what is printed next?");
    if (ui->nchoice >= 2) {
        draw_choices(ui, q1, answered);
        return;
    }
    if (ui->predict_shown) {
        uint32_t ti = e->task ? llv_task_index(m, e->task) : NONE;
        if (e->kind == LL_EV_TASK_RUN)
            snprintf(q2, sizeof q2,
                     "Answer: %s \xE2\x80\x94 it was at the front of the ready queue.",
                     llv_task_name(m, ti));
        else
            snprintf(q2, sizeof q2, "Answer: \"%s\" (printed by %s)", llv_str(m, e->str),
                     ti != NONE ? llv_task_name(m, ti) : "the program");
    } else
        snprintf(q2, sizeof q2, "Think, then press \xE2\x86\x92 to see.");
    SDL_Rect q = predict_box(ui, 3);
    llv_text_fit(ui->bold, q.x + 8, q.y + 4, q.w - 16, q1, (size_t)-1, th->text);
    llv_text_fit(ui->big, q.x + 8, q.y + 4 + ui->line, q.w - 16, q2, (size_t)-1, th->text);
    SDL_RenderSetClipRect(ui->r, NULL);
}

/* "Why now?" (W): the chain of causes of one event, a link a row (wrapped),
 * the selected one lit; Enter or a click goes to its step. */
static void draw_why(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    int w = ui->w * 3 / 4, pad = ui->font_px;
    int x = (ui->w - w) / 2, y0 = ui->line * 2;
    int tw = w - 2 * pad - ui->font_px * 4; /* the text, right of the step number */
    int h = ui->line * 3;
    for (size_t i = 0; i < ui->why_n; i++)
        h += wrap_lines(ui->sans, tw, ui->why_links[i].text) * ui->line + ui->line / 3;
    if (h > ui->h - y0 - 8)
        h = ui->h - y0 - 8;
    SDL_Rect q = {x, y0, w, h};
    SDL_RenderSetClipRect(ui->r, &q);
    fill(ui->r, x, y0, w, h, th->pane);
    frame(ui->r, x, y0, w, h, 3, th->accent);
    char buf[200];
    snprintf(buf, sizeof buf,
             "Why now? step %zu \xE2\x80\x94 \xE2\x86\x91 \xE2\x86\x93 choose, Enter or a click "
             "goes there, W or Esc closes",
             ui->why_at + 1);
    llv_text_fit(ui->bold, x + pad, y0 + ui->line / 2, w - 2 * pad, buf, (size_t)-1, th->accent);
    int y = y0 + ui->line * 2;
    ui->why_h = ui->line;
    for (size_t i = 0; i < ui->why_n; i++) {
        const ll_why_link *l = &ui->why_links[i];
        int rows = wrap_lines(ui->sans, tw, l->text);
        ui->why_y[i] = y;
        if (i == ui->why_sel)
            fill(ui->r, x + pad / 2, y, w - pad, rows * ui->line, th->highlight);
        snprintf(buf, sizeof buf, "%zu", l->event + 1);
        llv_text_fit(ui->bold, x + pad, y, ui->font_px * 4, buf, (size_t)-1,
                     i == ui->why_sel ? th->accent : th->dim);
        int yy = y;
        wrap(ui, ui->sans, (SDL_Rect){x + pad + ui->font_px * 4, y, tw, y0 + h - y}, &yy, l->text,
             th->text);
        y += rows * ui->line + ui->line / 3;
    }
    ui->why_y[ui->why_n] = y;
    SDL_RenderSetClipRect(ui->r, NULL);
}

/* On the timeline, a numbered mark at each link's event of "why now?". */
static void tl_why_marks(llv_ui *ui) {
    const llv_theme *th = llv_ui_theme(ui);
    const SDL_Rect *L = &ui->tl_lanes;
    SDL_RenderSetClipRect(ui->r, &ui->pane[P_TIMELINE]);
    int left = INT_MAX; /* the last label's left edge: the links go back in time */
    for (size_t i = 0; i < ui->why_n; i++) {
        int x = to_px(ui, ev_x(ui, ui->why_links[i].event) + (ui->axis_time ? 0 : 0.5));
        if (x < L->x || x > L->x + L->w)
            continue;
        fill(ui->r, x - 1, L->y, 3, L->h, th->accent);
        char num[24];
        snprintf(num, sizeof num, "%zu", i + 1);
        int nw = llv_text_w(ui->bold, num, (size_t)-1);
        if (x + nw / 2 + 2 > left)
            continue; /* its label would cover the one after it */
        fill(ui->r, x - nw / 2 - 2, L->y, nw + 4, ui->line, th->accent);
        llv_text(ui->bold, x - nw / 2, L->y, num, (size_t)-1, th->bg);
        left = x - nw / 2 - 2;
    }
}

/* The link of "why now?" (1-based) whose event names line ln of file f
 * (a C line of the lesson, or on its Python twin the line the map gives),
 * or 0. */
static size_t why_link_at_line(const llv_ui *ui, const llv_lines *f, bool py, int ln) {
    if (!ui->why)
        return 0;
    const llv_model *m = ui->m;
    for (size_t i = 0; i < ui->why_n; i++) {
        uint32_t site = llv_event(m, ui->why_links[i].event)->site;
        const ll__site *st = site ? ll__rec_sitep(&m->trace.rec, site) : NULL;
        if (!st || !st->file || !f->path[0])
            continue;
        int line = (int)st->line;
        if (py && strcmp(basename_of(st->file), basename_of(f->path)) != 0)
            line = llv_ui_py_line(ui, line); /* a C line, shown on its Python twin */
        else if (strcmp(basename_of(st->file), basename_of(f->path)) != 0)
            continue;
        if (line == ln)
            return i + 1;
    }
    return 0;
}

void llv_ui_draw(llv_ui *ui, int w, int h) {
    llv_ui_layout(ui, w, h);
    const llv_theme *th = llv_ui_theme(ui);
    SDL_SetRenderDrawBlendMode(ui->r, SDL_BLENDMODE_NONE);
    color(ui->r, th->bg);
    SDL_RenderSetClipRect(ui->r, NULL);
    SDL_RenderClear(ui->r);
    draw_header(ui);
    draw_loop(ui);
    draw_waiting(ui); /* before ready/running: cards sliding in draw over it */
    draw_ready(ui);
    draw_running(ui);
    draw_narration(ui);
    /* In the narrow layout only one of these is shown; the others are
     * tabs, and must not be hit by the mouse or tested as drawn. */
    llv_ui_line_band = (SDL_Rect){0, 0, 0, 0};
    if (ui->pane[P_TIMELINE].w > 0)
        draw_timeline(ui);
    else
        ui->tl_lanes = (SDL_Rect){0, 0, 0, 0};
    if (ui->pane[P_CODE].w > 0)
        draw_code(ui);
    if (ui->pane[P_CONSOLE].w > 0)
        draw_console(ui);
    if (ui->pane[P_LOG].w > 0)
        draw_log(ui);
    draw_tabs(ui);
    draw_footer(ui);
    if (ui->predict)
        draw_predict(ui);
    if (ui->why && ui->why_at == ui->cursor)
        draw_why(ui);
    else
        ui->why = false; /* the cursor moved: the chain was another step's */
    if (ui->help)
        draw_help(ui);
    else
        draw_pane_tip(ui);
}

void llv_ui_seek(llv_ui *ui, size_t step) {
    if (step >= ui->m->n)
        step = ui->m->n - 1;
    ui->cursor = step;
    llv_model_seek(ui->m, step);
    /* keep the cursor in the timeline's view */
    double v = ev_x(ui, step);
    double span = ui->tl_x1 - ui->tl_x0;
    if (span > 0 && (v < ui->tl_x0 || v > ui->tl_x1)) {
        ui->tl_x0 = v - span / 2 < 0 ? 0 : v - span / 2;
        ui->tl_x1 = ui->tl_x0 + span;
    }
}

/* ---- setup ------------------------------------------------------------------ */

static void lines_free(llv_lines *l) {
    free(l->text);
    free(l->line);
    free(l->map);
    memset(l, 0, sizeof *l);
}

static void lines_load(llv_lines *l, const char *path) {
    lines_free(l);
    if (!path)
        return;
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    size_t cap = 8192, n = 0;
    char *s = malloc(cap);
    size_t k;
    while (s && (k = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 == cap) {
            char *t = realloc(s, cap *= 2);
            if (!t) {
                free(s);
                s = NULL;
            } else
                s = t;
        }
    }
    fclose(f);
    if (!s)
        return;
    s[n] = '\0';
    size_t nl = 1;
    for (size_t i = 0; i < n; i++)
        nl += s[i] == '\n';
    l->line = malloc(nl * sizeof *l->line);
    if (!l->line) {
        free(s);
        return;
    }
    l->text = s;
    char *p = s;
    while (*p || p == s) {
        l->line[l->n++] = p;
        char *e = strchr(p, '\n');
        if (!e)
            break;
        *e = '\0';
        p = e + 1;
        if (!*p)
            break;
    }
    snprintf(l->path, sizeof l->path, "%s", path);
}

/* Reads pymap.txt beside the Python twin (scripts/pymap writes it) into
 * py->map, sized for the C file's lines; entries outside either file are
 * dropped, so a stale map can put no band outside the pane. */
static void pymap_load(llv_lines *py, size_t c_lines) {
    char path[600];
    const char *slash = strrchr(py->path, '/');
    snprintf(path, sizeof path, "%.*s%spymap.txt", slash ? (int)(slash - py->path) : 0, py->path,
             slash ? "/" : "");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    py->map = calloc(c_lines + 1, sizeof *py->map);
    py->nmap = py->map ? c_lines + 1 : 0;
    char row[128];
    int c, p;
    while (py->map && fgets(row, sizeof row, f))
        if (row[0] != '#' && sscanf(row, "%d %d", &c, &p) == 2 && c > 0 && (size_t)c <= c_lines &&
            p > 0 && (size_t)p <= py->n)
            py->map[c] = p;
    fclose(f);
}

void llv_ui_sources(llv_ui *ui, const char *c_path, const char *py_path) {
    lines_load(&ui->src, c_path);
    lines_load(&ui->py, py_path);
    if (ui->py.n && ui->src.n)
        pymap_load(&ui->py, ui->src.n);
}

int llv_ui_init(llv_ui *ui, llv_model *m, SDL_Renderer *r, const char *assets, char *err,
                size_t errlen) {
    memset(ui, 0, sizeof *ui);
    ui->m = m;
    ui->r = r;
    ui->assets = assets;
    ui->zoom = 1.0f;
    ui->speed = 3;
    ui->predict_at = SIZE_MAX;
    ui->predict_done = SIZE_MAX;
    ui->picked = -1;
    if (open_fonts(ui, 16) != 0) {
        snprintf(err, errlen, "cannot open the fonts in %s/fonts: %s", assets, SDL_GetError());
        return -1;
    }
    size_t nt = m->ntasks ? m->ntasks : 1;
    ui->cx = malloc(nt * sizeof *ui->cx);
    ui->cy = malloc(nt * sizeof *ui->cy);
    ui->fx = malloc(nt * sizeof *ui->fx);
    ui->fy = malloc(nt * sizeof *ui->fy);
    ui->anim_t0 = calloc(nt, sizeof *ui->anim_t0);
    ui->lanes = malloc(nt * sizeof *ui->lanes);
    if (!ui->cx || !ui->cy || !ui->fx || !ui->fy || !ui->anim_t0 || !ui->lanes ||
        ll__tw_begin(&ui->fmt, -1, NULL, NULL, false) != 0) {
        snprintf(err, errlen, "out of memory");
        llv_ui_free(ui);
        return -1;
    }
    for (size_t i = 0; i < nt; i++)
        ui->cx[i] = ui->cy[i] = -1;
    ui->python = m->trace.meta.language && strcmp(m->trace.meta.language, "python") == 0;
    llv_ui_show_runtime(ui, false);
    for (size_t i = 0; i < m->ntasks; i++)
        ll__tw_learn(&ui->fmt, m->info[i].id, m->info[i].name);
    const char *lesson = m->trace.meta.lesson, *prog = m->trace.meta.program;
    snprintf(ui->title, sizeof ui->title, "%s", lesson ? lesson : prog ? prog : "trace");
    llv_ui_fit_timeline(ui);
    llv_ui_seek(ui, 0);
    return 0;
}

void llv_ui_free(llv_ui *ui) {
    llv_font_close(ui->sans);
    llv_font_close(ui->bold);
    llv_font_close(ui->mono);
    llv_font_close(ui->big);
    llv_font_close(ui->mono_pair);
    free(ui->cx);
    free(ui->cy);
    free(ui->fx);
    free(ui->fy);
    free(ui->anim_t0);
    free(ui->lanes);
    lines_free(&ui->src);
    lines_free(&ui->py);
    ll__tw_free(&ui->fmt);
    memset(ui, 0, sizeof *ui);
}
