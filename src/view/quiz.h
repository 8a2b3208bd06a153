/* quiz.h - predict mode's multiple choice: the answers the wrong models of
 * asyncio give (LL_MODEL_MAP: eager, lifo, ...) to "what is printed next?"
 * and "which task runs next?", found by aligning each model's run of the
 * program with the real one.
 *
 * Plain C, no SDL.  A model's run is a whole llv_model of the same program
 * run with LOOPLAB_MODEL set.  At a question about event q of the real run,
 * k prints have been made; a model that printed the same k lines first
 * answers with its (k+1)-th print, or, for a task switch that is the j-th
 * since the k-th print, with the task of its own j-th switch since its k-th
 * print.  A model whose first k prints differ has parted ways already and
 * gives no answer.  Answers equal to the real one, or to another model's,
 * are dropped; what is left is shuffled by a fixed rule of the question's
 * step, so that a class sees the same order every time. */
#ifndef LLV_QUIZ_H
#define LLV_QUIZ_H

#include <stdbool.h>
#include <stddef.h>

#include "view/model.h"

#define LLV_QUIZ_MAX 5 /* choices at most: the real answer and four models' */

typedef struct llv_choice {
    char text[200];   /* a print's text, or a task's name */
    int model;        /* ll_model of the run that answers so; LL_MODEL_ASYNCIO: the real answer */
    size_t part;      /* the real run's step where this model and asyncio part
                       * ways: the first print that differs, else the question */
    char theirs[200]; /* what the model prints there instead ("" when it
                       * prints nothing more) */
} llv_choice;

/* The wrong models' runs of one program. */
typedef struct llv_quiz {
    char lesson[128];  /* the lesson they are runs of */
    llv_model runs[8]; /* the models' runs */
    int model[8];      /* runs[i] is a run under ll_model model[i] */
    size_t nruns;
} llv_quiz;

/* Adds a model's run (a trace file) to the quiz; 0 or -1 with err set. */
int llv_quiz_add(llv_quiz *qz, int model, const char *trace_path, char *err, size_t errlen);
void llv_quiz_free(llv_quiz *qz);

/* Whether event q of m asks a question the quiz can answer: a print or a
 * task switch. */
bool llv_quiz_asks(const llv_model *m, size_t q);

/* The choices for the question about event q of the real run m: the real
 * answer and the answers of the models that differ, shuffled.  Writes up
 * to LLV_QUIZ_MAX and returns how many; fewer than 2 means no model
 * differs here (the caller reveals as before). */
size_t llv_quiz_choices(const llv_quiz *qz, const llv_model *m, size_t q, llv_choice *out);

#endif
