/* session.h - one window's worth of viewer state, and what each key, click,
 * wheel turn and dropped file does to it.
 *
 * llv_view() (app.c) is the usual SDL loop: poll events, hand each to
 * llv_session_event(), then llv_session_frame() advances playback and draws.
 * The state and the input handling live here, apart from the loop, so the
 * render suite can drive every control with synthetic SDL events on any
 * renderer, a window's or an offscreen one, and check what each one did. */
#ifndef LLV_SESSION_H
#define LLV_SESSION_H

#include <SDL.h>
#include <stdbool.h>

#include "view/app.h"
#include "view/quiz.h"
#include "view/ui.h"

/* What is open: a trace's model, the UI drawing it, and where it came from. */
typedef struct llv_doc {
    llv_model m;
    llv_ui ui;
    bool open;
    char slug[128]; /* the lesson shown, "" for a trace or a program */
    bool program;   /* it is the run of the CLI's program (re-runnable) */
    char clock[16]; /* the clock it ran on: "virtual" or "real" */
    bool python;    /* a lesson's Python run (its twin under the recorder) */
} llv_doc;

/* The lesson picker (what `looplab view` opens on, and L). */
typedef struct llv_picker {
    llv_font *title, *sans, *bold;
    int px;        /* font size the fonts were opened at */
    size_t sel;    /* the highlighted lesson */
    size_t first;  /* the first row shown */
    size_t rows;   /* rows that fit, after the last draw */
    int top, rowh; /* y of the first row and the row height (for clicks) */
    bool python;   /* Enter opens the lesson's Python run (Tab switches) */
    int lang_x;    /* x where a row's "C  Python" choice begins (for clicks) */
    int py_x;      /* x where its "Python" begins */
} llv_picker;

typedef struct llv_session {
    const llv_app *a;
    SDL_Renderer *r;
    SDL_Window *win; /* the window (F11), or NULL when drawing offscreen */
    llv_doc d;
    llv_doc alt; /* the same lesson's run in the other language, kept for O */
    llv_picker pk;
    bool picking;    /* the picker is on screen (over the open doc, if any) */
    bool quit;       /* Esc or Q asked to close the window */
    bool dragging;   /* the left button went down on the timeline's lanes */
    int drag_x;      /* where the drag is now */
    int drag_moved;  /* pixels moved since the button went down */
    double play_acc; /* steps owed to playback, carried between frames */
    llv_quiz quiz;   /* the wrong models' runs of quiz.lesson, for predict mode */
    /* They are made in the background when R is first pressed on a lesson
     * (a lesson on sockets takes seconds): a thread fills `pending` and
     * sets pending_done; the next frame takes it over as `quiz`. */
    SDL_Thread *quiz_thread;
    llv_quiz pending;
    SDL_atomic_t pending_done;
    struct {
        char slug[128];
        int right, asked;
    } scores[64]; /* predict mode's score per lesson, in the order first asked */
    size_t nscores;
} llv_session;

void llv_session_init(llv_session *s, const llv_app *a, SDL_Renderer *r, SDL_Window *win);
/* Opens what the window starts on: a trace file, a run of lesson `slug`,
 * a run of the CLI's program (`program`), or with none of them the picker.
 * 0, or -1 after saying why on stderr. */
int llv_session_start(llv_session *s, const char *trace, const char *slug, bool program);
/* Does what one event asks.  A dropped file's name is not freed here. */
void llv_session_event(llv_session *s, const SDL_Event *ev);
/* Advances playback to `now` (SDL_GetTicks() milliseconds) and draws a
 * w x h frame; the caller presents it. */
void llv_session_frame(llv_session *s, uint32_t now, int w, int h);
void llv_session_close(llv_session *s);

#endif
