/* quiz.c - predict mode's choices from the wrong models' runs (quiz.h). */
#include "view/quiz.h"

#include <stdio.h>
#include <string.h>

#include "trace/reader.h"

int llv_quiz_add(llv_quiz *qz, int model, const char *trace_path, char *err, size_t errlen) {
    if (qz->nruns >= sizeof qz->runs / sizeof qz->runs[0]) {
        snprintf(err, errlen, "too many model runs");
        return -1;
    }
    ll_trace t;
    memset(&t, 0, sizeof t);
    if (ll_trace_load(&t, trace_path, err, errlen) != 0) {
        ll_trace_free(&t);
        return -1;
    }
    llv_model *m = &qz->runs[qz->nruns];
    memset(m, 0, sizeof *m);
    if (llv_model_build(m, &t, err, errlen) != 0)
        return -1;
    qz->model[qz->nruns++] = model;
    return 0;
}

void llv_quiz_free(llv_quiz *qz) {
    for (size_t i = 0; i < qz->nruns; i++)
        llv_model_free(&qz->runs[i]);
    qz->nruns = 0;
    qz->lesson[0] = '\0';
}

/* A task switch of the program's own tasks (not asyncio.run's shutdown). */
static bool is_switch(const llv_model *m, size_t i) {
    const ll_trace_event *e = llv_event(m, i);
    if (e->kind != LL_EV_TASK_RUN)
        return false;
    uint32_t ti = llv_task_index(m, e->task);
    return ti != UINT32_MAX && !llv_task_runtime(m, ti);
}

bool llv_quiz_asks(const llv_model *m, size_t q) {
    return q < m->n && (llv_event(m, q)->kind == LL_EV_PRINT || is_switch(m, q));
}

static const char *print_text(const llv_model *m, size_t k) {
    return llv_str(m, llv_event(m, m->prints[k])->str);
}

/* Whether run r printed the same first k lines as m. */
static bool same_prints(const llv_model *m, const llv_model *r, size_t k) {
    if (r->nprints < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (strcmp(print_text(m, i), print_text(r, i)) != 0)
            return false;
    return true;
}

/* The first print of m that r does not make alike: the step where they
 * part, and what r prints there instead. */
static size_t parting(const llv_model *m, const llv_model *r, size_t q, char *theirs, size_t n) {
    theirs[0] = '\0';
    for (size_t i = 0; i < m->nprints; i++)
        if (i >= r->nprints || strcmp(print_text(m, i), print_text(r, i)) != 0) {
            if (i < r->nprints)
                snprintf(theirs, n, "%s", print_text(r, i));
            return m->prints[i];
        }
    return q;
}

/* The j-th task switch (0-based) after event `from` (SIZE_MAX: the start)
 * of run r, or SIZE_MAX. */
static size_t nth_switch(const llv_model *r, size_t from, size_t j) {
    for (size_t i = from == SIZE_MAX ? 0 : from + 1; i < r->n; i++)
        if (is_switch(r, i) && j-- == 0)
            return i;
    return SIZE_MAX;
}

/* What run r answers to the question about event q of m ("" for none). */
static void model_answer(const llv_model *m, size_t q, const llv_model *r, char *out, size_t n) {
    out[0] = '\0';
    size_t k = llv_lower(m->prints, m->nprints, q); /* prints before q */
    if (!same_prints(m, r, k))
        return;
    const ll_trace_event *e = llv_event(m, q);
    if (e->kind == LL_EV_PRINT) {
        if (k < r->nprints)
            snprintf(out, n, "%s", print_text(r, k));
        return;
    }
    size_t from = k ? m->prints[k - 1] : SIZE_MAX, j = 0;
    for (size_t i = from == SIZE_MAX ? 0 : from + 1; i < q; i++)
        j += is_switch(m, i);
    size_t s = nth_switch(r, k ? r->prints[k - 1] : SIZE_MAX, j);
    size_t next_print = k < r->nprints ? r->prints[k] : r->n;
    if (s != SIZE_MAX && s < next_print) /* a switch before its next print */
        snprintf(out, n, "%s", llv_task_name(r, llv_task_index(r, llv_event(r, s)->task)));
}

/* A fixed shuffle: the choices sorted by a hash of their text and the step. */
static unsigned long mix(const char *s, size_t q) {
    unsigned long h = 1469598103UL ^ (unsigned long)q * 2654435761UL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619UL;
    return h ^ (h >> 13);
}

size_t llv_quiz_choices(const llv_quiz *qz, const llv_model *m, size_t q, llv_choice *out) {
    if (!llv_quiz_asks(m, q))
        return 0;
    const ll_trace_event *e = llv_event(m, q);
    size_t n = 1;
    if (e->kind == LL_EV_PRINT)
        snprintf(out[0].text, sizeof out[0].text, "%s", llv_str(m, e->str));
    else
        snprintf(out[0].text, sizeof out[0].text, "%s",
                 llv_task_name(m, llv_task_index(m, e->task)));
    out[0].model = LL_MODEL_ASYNCIO;
    out[0].part = q;
    out[0].theirs[0] = '\0';
    for (size_t i = 0; i < qz->nruns && n < LLV_QUIZ_MAX; i++) {
        char a[sizeof out[0].text];
        model_answer(m, q, &qz->runs[i], a, sizeof a);
        bool dup = !a[0];
        for (size_t c = 0; c < n && !dup; c++)
            dup = strcmp(out[c].text, a) == 0;
        if (dup)
            continue;
        snprintf(out[n].text, sizeof out[n].text, "%s", a);
        out[n].model = qz->model[i];
        out[n].part = parting(m, &qz->runs[i], q, out[n].theirs, sizeof out[n].theirs);
        n++;
    }
    if (n < 2)
        return n;
    for (size_t i = 1; i < n; i++) /* insertion sort by the hash */
        for (size_t j = i; j > 0 && mix(out[j].text, q) < mix(out[j - 1].text, q); j--) {
            llv_choice t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}
