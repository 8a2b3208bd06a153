/* models.c - wrong models of asyncio, for predict mode and `looplab models`.
 *
 * Students who get asyncio wrong usually hold a consistent wrong model of
 * it (Kolikant 2001; Strömbäck, Mannila & Kamkar 2021): "create_task runs it
 * now", "the ready queue is a stack", "sleeps add up".  A program run under
 * such a model prints what a student holding it would predict, so the
 * viewer and `looplab models` can set the real answer beside the wrong ones
 * and say where they part.  Each model changes one rule of the scheduler;
 * this file holds the parts that are not one line in task.c or threadpool.c
 * (internal.h lists the hooks).  Nothing here runs under asyncio's model. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint8_t ll__model_from_env(void) {
    const char *s = getenv("LOOPLAB_MODEL");
    if (!s || !*s)
        return LL_MODEL_ASYNCIO;
    int m = ll_model_find(s);
    if (m >= 0)
        return (uint8_t)m;
    fprintf(stderr, "looplab: ignoring LOOPLAB_MODEL=%s: the models are", s);
    for (unsigned i = 0; i < LL_MODEL__COUNT; i++)
        fprintf(stderr, "%s %s", i ? "," : "", ll_model_name(i));
    fputs("\n", stderr);
    return LL_MODEL_ASYNCIO;
}

/* lifo: the entries of the pass (all of the ring: a pass takes what is ready
 * as it starts) run newest first. */
void ll__model_pass(ll_loop *loop) {
    ll__ring *r = &loop->ready;
    size_t n = loop->pass_left;
    for (size_t i = 0; i < n / 2; i++) {
        ll__ready *a = &r->buf[(r->head + i) & (r->cap - 1)];
        ll__ready *b = &r->buf[(r->head + n - 1 - i) & (r->cap - 1)];
        ll__ready tmp = *a;
        *a = *b;
        *b = tmp;
    }
}

/* sequential: the thread is held for the sleep's length, nobody else runs;
 * recorded as the blocking call it has become. */
void ll__model_block(ll_loop *loop, ll_task *t, double seconds, const char *file, int line) {
    int64_t ns = seconds > 0 ? ll__delay_ns(seconds) : 0;
    if (LL__REC(loop)) {
        loop->wall = ll__step_wall(loop);
        LL__EV(loop, BLOCKING, t->fut.id, .val = ns, .aux = 0, .file = file, .line = line);
    }
    if (!loop->real) {
        loop->now = ll__ns_add(loop->now, ns);
        return;
    }
    struct timespec d = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&d, &d) != 0 && errno == EINTR) {
    }
    loop->now = ll__uv_now(loop);
}
