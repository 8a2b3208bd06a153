/* ui.h - the visualizer's window state, layout and drawing.
 *
 * One llv_ui holds everything the window shows besides the model: the
 * cursor, the timeline's zoom, the theme and scale, the lesson's source, the
 * animation of task cards.  llv_ui_draw() draws one frame of it on any
 * SDL_Renderer: a window's, or a software renderer on a surface for
 * headless PNGs.  Input handling lives in app.c. */
#ifndef LLV_UI_H
#define LLV_UI_H

#include <SDL.h>
#include <stdbool.h>

#include "trace/why.h"
#include "view/model.h"
#include "view/quiz.h"
#include "view/text.h"

/* Panes.  Every string is drawn clipped to its pane. */
enum {
    P_HEADER,
    P_LOOP,
    P_RUNNING,
    P_READY,
    P_WAITING,
    P_NARRATION,
    P_TIMELINE,
    P_CODE,
    P_CONSOLE,
    P_LOG,
    P_FOOTER,
    P__N
};
extern const char *const llv_pane_names[P__N];

typedef struct llv_theme {
    SDL_Color bg, pane, border, text, dim, accent, highlight, cursor, warn, note;
    SDL_Color state[LLV__NSTATES]; /* by llv_tstate */
    SDL_Color state_text[LLV__NSTATES];
} llv_theme;

enum { LLV_THEME_DARK, LLV_THEME_PROJECTOR, LLV__NTHEMES };

typedef struct llv_lines {
    char *text;  /* the file */
    char **line; /* pointers into it */
    size_t n;
    char path[512];
    int *map;    /* Python twin only: map[c] is the line of C line c (0: none),
                  * from the lesson's pymap.txt; NULL without one */
    size_t nmap; /* entries of map (C lines + 1) */
} llv_lines;

typedef struct llv_ui {
    llv_model *m;
    SDL_Renderer *r;
    int w, h;
    float zoom; /* the user's scale (Ctrl+= / Ctrl+-) */
    int theme;
    const char *assets; /* folder with fonts/ */
    llv_font *sans, *bold, *mono, *big;
    llv_font *mono_pair; /* the code's font when C and Python are side by side */
    llv_font *cmono;     /* the code pane's font in the frame being drawn */
    int font_px;         /* size the fonts were opened at */
    int line;            /* line height of sans */
    SDL_Rect pane[P__N]; /* an empty rect: the pane is not shown (a tab behind) */
    bool narrow;         /* one column: timeline, code, console and log are tabs */
    int tab;             /* the pane shown in the narrow layout's tab area */
    SDL_Rect tabs;       /* the tab strip (narrow layout), else empty */
    int narr_lines;      /* lines the longest note needs at the last layout */
    int narr_w, narr_px; /* the width and font size narr_lines was counted for */
    size_t cursor;
    /* timeline */
    bool axis_time;      /* x is loop time (else event number) */
    double tl_x0, tl_x1; /* visible range: events or ns */
    size_t tl_first;     /* first lane shown */
    size_t tl_followed;  /* the cursor the lanes last scrolled to show */
    SDL_Rect tl_lanes;   /* where lanes are drawn (inside P_TIMELINE) */
    int tl_lane_h;
    /* source */
    llv_lines src, py;
    bool show_py;     /* one file shown: the Python twin (else C) */
    bool pair_fits;   /* the window has room for C and Python side by side:
                       * 1600 px or more at this scale (w / zoom), and 45
                       * columns of code each beside the left column */
    bool code_single; /* the class chose one file where the pair fits */
    bool pair;        /* the last layout shows the pair */
    char title[256];
    /* playing */
    bool playing;
    int speed; /* index into the speed table */
    bool help;
    bool predict;        /* ask before task switches and prints */
    size_t predict_at;   /* event being asked about, or SIZE_MAX */
    size_t predict_done; /* last event answered (asked only after it) */
    bool predict_shown;  /* the answer is on screen */
    /* Predict mode's multiple choice (quiz.h): the wrong models' runs of
     * this program (NULL: none, reveal as before), the choices offered for
     * predict_at (fewer than 2: no model differs there), the one picked
     * (-1: none yet), and the score of this lesson in this window. */
    const llv_quiz *quiz;
    llv_choice choice[LLV_QUIZ_MAX];
    size_t nchoice;
    int picked;
    int choice_y[LLV_QUIZ_MAX], choice_h; /* rows drawn last, for clicks */
    char score[64];                       /* "score 3/4", shown in the footer */
    /* "Why now?" (W): the chain of causes of event why_at (ll_trace_why),
     * the link selected, and the rows drawn last (for clicks). */
    bool why;
    size_t why_at, why_n, why_sel;
    ll_why_link why_links[12];
    int why_y[13], why_h; /* link i's rows: why_y[i] .. why_y[i + 1] */
    /* What the timeline drew in the last frame, for tests that check that
     * predict mode hides the future: the latest event a drawn span reaches
     * (its last event, not its end) or a drawn marker stands for, and how
     * many spans and markers were drawn.  SIZE_MAX / 0 when none. */
    size_t tl_drawn_last;
    size_t tl_drawn_n;
    uint32_t tl_drawn_states;               /* bit s: a bar of state s was drawn */
    SDL_Color tl_drawn_color[LLV__NSTATES]; /* the colour it was drawn in */
    /* hover */
    int mx, my;
    /* animation of task cards: where each was drawn last, and since when */
    float *cx, *cy, *fx, *fy;
    uint32_t *anim_t0;
    bool animate;
    uint32_t now_ms;
    char status[600];
    uint32_t status_until;
    char input[32]; /* "go to step" digits being typed */
    bool typing;
    ll__tw fmt; /* formats event-log lines */
    /* A Python trace (@language "python"): the panes say asyncio's names
     * (asyncio.sleep, await queue.get()) and Python's form of an error. */
    bool python;
    /* The timeline's task lanes: the tasks shown, in creation order.
     * asyncio.run's shutdown tasks (llv_task_runtime) are folded away
     * unless show_runtime (H); nruntime counts them. */
    uint32_t *lanes;
    size_t nlanes, nruntime;
    bool show_runtime;
    bool lesson_run; /* a lesson's run (C or Python): O switches language */
    int err_line;    /* a program that did not start: the source's line its
                      * traceback names (lit when no task's line is), or 0 */
} llv_ui;

/* The last event any pane may show: in predict mode the cursor (what comes
 * after it is the answer to a question), else all of them (SIZE_MAX).
 * Every pane that draws from the trace's static lists (spans, prints,
 * event-log rows) stops there; what is drawn from the state at the cursor
 * (m->cur) honours it by construction. */
static inline size_t llv_ui_horizon(const llv_ui *ui) {
    return ui->predict ? ui->cursor : SIZE_MAX;
}

/* Sets the UI up for a model (fonts from assets/fonts); 0 or -1 with err. */
int llv_ui_init(llv_ui *ui, llv_model *m, SDL_Renderer *r, const char *assets, char *err,
                size_t errlen);
void llv_ui_free(llv_ui *ui);
/* What P does: where the pair fits, C and Python side by side, then C
 * only, then Python only, then the pair again; elsewhere C, Python. */
void llv_ui_next_code_view(llv_ui *ui);
/* Loads the lesson's C source and Python twin (paths may be NULL). */
void llv_ui_sources(llv_ui *ui, const char *c_path, const char *py_path);
/* Shows or folds away the runtime's tasks (asyncio.run's shutdown tasks
 * of a Python trace): their lanes and their rows in the waiting pane. */
void llv_ui_show_runtime(llv_ui *ui, bool on);
/* An error as Python prints its last line: "ZeroDivisionError: division
 * by zero" from a failed event's error and message (the recorder writes
 * error=Exception message="MyError: text" for a class the format does not
 * name).  Returns buf. */
const char *llv_error_text(const llv_model *m, const ll_trace_event *e, char *buf, size_t n);
/* Draws a frame for a w x h output. */
void llv_ui_draw(llv_ui *ui, int w, int h);
/* Computes the panes for a size (also done by draw). */
void llv_ui_layout(llv_ui *ui, int w, int h);
/* Moves the cursor (clamped). */
void llv_ui_seek(llv_ui *ui, size_t step);
/* The source line the current event points at (0 when none), and the
 * screen band of that line in the code pane after the last draw. */
int llv_ui_current_line(const llv_ui *ui);
extern SDL_Rect llv_ui_line_band; /* set by draw: the highlighted line */
/* The Python twin's line for a C line (0 when the lesson has no map or no
 * entry), and its band in the last frame that showed the twin. */
int llv_ui_py_line(const llv_ui *ui, int c_line);
extern SDL_Rect llv_ui_py_band;
extern SDL_Rect llv_ui_running_card; /* set by draw: the running task's card */
/* Timeline: the event under an x coordinate of the lanes, and zooming. */
size_t llv_ui_event_at_x(const llv_ui *ui, int x);
void llv_ui_zoom_timeline(llv_ui *ui, double factor, int at_x);
void llv_ui_pan_timeline(llv_ui *ui, int dx);
void llv_ui_fit_timeline(llv_ui *ui);
const llv_theme *llv_ui_theme(const llv_ui *ui);

#endif
