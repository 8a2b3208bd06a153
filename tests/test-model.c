/* test-model.c - the viewer model agrees with the scheduler, step by step.
 *
 * Every lesson runs with LOOPLAB_CHECK=1, which makes the scheduler record
 * its own view (ready queue in order, every task's state) between two steps
 * as `check` events.  The model, rebuilt from the trace alone, must have the
 * same view at each of them.  Stepping forwards then backwards, or jumping
 * anywhere, must give identical states. */
#include "harness-view.h"

static lesson_slug slugs[128];
static int nslugs;

/* A lesson's model, with the scheduler's check events in its trace. */
static void model_of_lesson(const char *slug, llv_model *m) {
    lesson_model(slug, "LOOPLAB_CHECK=1", m);
}

static llv_model *model_of_text(const char *text, llv_model *m, char *err, size_t errlen) {
    ll_trace t;
    if (ll_trace_parse(&t, "test", text, strlen(text), err, errlen) != 0) {
        ll_trace_free(&t);
        return NULL;
    }
    return llv_model_build(m, &t, err, errlen) == 0 ? m : NULL;
}

START_TEST(model_agrees_with_the_scheduler_at_every_check) {
    llv_model m;
    model_of_lesson(slugs[_i], &m);
    ck_assert_msg(m.nchecks > 0, "%s: no check events", slugs[_i]);
    for (size_t k = 0; k < m.nchecks; k++) {
        size_t i = m.checks[k];
        llv_model_seek(&m, i);
        char mine[8192];
        llv_snapshot(&m, mine, sizeof mine);
        const char *theirs = llv_str(&m, llv_event(&m, i)->str);
        ck_assert_msg(strcmp(mine, theirs) == 0,
                      "%s, event %zu (t=%.9f):\n  scheduler: %s\n  model:     %s", slugs[_i], i,
                      (double)llv_event(&m, i)->t / 1e9, theirs, mine);
    }
    llv_model_seek(&m, m.n - 1);
    ck_assert_msg(m.cur.bad == 0, "%s: %u events did not fit the model's state", slugs[_i],
                  m.cur.bad);
    ck_assert_uint_eq(m.cur.running, UINT32_MAX);
    llv_model_free(&m);
}
END_TEST

START_TEST(stepping_back_gives_the_same_states) {
    llv_model m;
    model_of_lesson(slugs[_i], &m);
    llv_state *fwd = calloc(m.n, sizeof *fwd);
    for (size_t i = 0; i < m.n; i++) {
        llv_model_seek(&m, i);
        ck_assert_int_eq(m.cur.step, i);
        ck_assert_int_eq(llv_state_copy(&m, &fwd[i], &m.cur), 0);
    }
    for (size_t i = m.n; i-- > 0;) {
        llv_model_seek(&m, i);
        ck_assert_msg(llv_state_equal(&m, &m.cur, &fwd[i]), "%s: step %zu differs going back",
                      slugs[_i], i);
    }
    /* Jumps in a scrambled order. */
    for (size_t k = 0, i = 0; k < m.n; k++) {
        i = (i * 7919 + 13) % m.n;
        llv_model_seek(&m, i);
        ck_assert_msg(llv_state_equal(&m, &m.cur, &fwd[i]), "%s: jump to %zu differs", slugs[_i],
                      i);
    }
    for (size_t i = 0; i < m.n; i++)
        llv_state_free(&fwd[i]);
    free(fwd);
    llv_model_free(&m);
}
END_TEST

START_TEST(spans_tile_each_task_life) {
    llv_model m;
    model_of_lesson(slugs[_i], &m);
    for (uint32_t ti = 0; ti < m.ntasks; ti++) {
        const llv_taskinfo *in = &m.info[ti];
        ck_assert_uint_gt(in->nspans, 0);
        const llv_span *s = m.spans + in->span0;
        ck_assert_uint_eq(s[0].ev0, in->born);
        for (uint32_t k = 0; k + 1 < in->nspans; k++) {
            ck_assert_uint_eq(s[k].ev1, s[k + 1].ev0);
            ck_assert_int_le(s[k].t0, s[k].t1);
        }
        ck_assert_uint_eq(s[in->nspans - 1].ev1, m.n);
        ck_assert_msg(s[in->nspans - 1].state >= LLV_DONE, "%s: task %s never ended", slugs[_i],
                      llv_task_name(&m, ti));
    }
    /* The span at each step says what the state says. */
    for (size_t i = 0; i < m.n; i++) {
        llv_model_seek(&m, i);
        for (uint32_t ti = 0; ti < m.ntasks; ti++) {
            const llv_span *s = llv_span_at(&m, ti, i);
            if (!s)
                ck_assert_uint_eq(m.cur.tasks[ti].state, LLV_UNBORN);
            else
                ck_assert_uint_eq(s->state, m.cur.tasks[ti].state);
        }
    }
    llv_model_free(&m);
}
END_TEST

#define HEAD "looplab-trace 1.1\n@clock \"virtual\"\n"
/* One event line of a trace written out in a test.  The traces below are
 * one EV per line between clang-format off and on: clang-format 14 would
 * stair-step a chain of string-pasting macros. */
#define EV(t, task, rest) "   " t "  " task "  " rest "\n"

START_TEST(waiters_come_in_the_order_they_began_to_wait) {
    /* clang-format off */
    const char *text = HEAD EV("0.000000000", "-", "loop_start clock=\"virtual\"")
        EV("0.000000000", "-", "sync_new obj=7 kind=lock value=1 name=\"db\"")
        EV("0.000000000", "1:a", "task_new name=\"a\"")
        EV("0.000000000", "2:b", "task_new name=\"b\"")
        EV("0.000000000", "3:c", "task_new name=\"c\"")
        EV("0.000000000", "3:c", "wait on=lock obj=7")
        EV("0.000000000", "1:a", "wait on=lock obj=7")
        EV("0.000000000", "2:b", "wait on=lock obj=7")
        EV("0.000000000", "-", "sync obj=7 op=block value=1 waiters=3");
    /* clang-format on */
    llv_model m;
    char err[256];
    ck_assert_msg(model_of_text(text, &m, err, sizeof err), "%s", err);
    llv_model_seek(&m, m.n - 1);
    uint32_t w[8];
    ck_assert_uint_eq(llv_waiters(&m, 7, w, 8), 3);
    ck_assert_str_eq(llv_task_name(&m, w[0]), "c");
    ck_assert_str_eq(llv_task_name(&m, w[1]), "a");
    ck_assert_str_eq(llv_task_name(&m, w[2]), "b");
    ck_assert_uint_eq(llv_waiters(&m, 7, w, 2), 2); /* bounded */
    ck_assert_uint_eq(m.cur.syncval[llv_sync_index(&m, 7)], 1);
    ck_assert_uint_eq(m.cur.syncwait[llv_sync_index(&m, 7)], 3);
    llv_model_free(&m);
}
END_TEST

START_TEST(a_queue_that_disagrees_is_counted_not_trusted) {
    /* `run` of a task that is not at the front of the ready queue. */
    /* clang-format off */
    const char *text = HEAD EV("0.000000000", "1:a", "task_new name=\"a\"")
        EV("0.000000000", "2:b", "task_new name=\"b\"")
        EV("0.000000000", "1:a", "ready reason=created pos=0")
        EV("0.000000000", "2:b", "ready reason=created pos=1")
        EV("0.000000000", "2:b", "run behind=1");
    /* clang-format on */
    llv_model m;
    char err[256];
    ck_assert_msg(model_of_text(text, &m, err, sizeof err), "%s", err);
    llv_model_seek(&m, m.n - 1);
    ck_assert_uint_gt(m.cur.bad, 0);
    llv_model_free(&m);
}
END_TEST

/* The items of lesson 12's queue at every step are those a FIFO replay of
 * the trace's puts and gets holds, front first, as many as the queue's
 * size; when the producer first waits on the full queue, they are job2
 * and job3 (job0 and job1 went to the workers).  The items not yet done
 * are the puts less the task_done calls. */
START_TEST(a_queues_items_follow_its_puts_and_gets_at_every_step) {
    llv_model m;
    lesson_model("12-queue", "", &m);
    ck_assert(m.queue_items);
    ck_assert_uint_eq(m.nsync, 1);
    const char *fifo[16];
    size_t head = 0, tail = 0, blocks = 0, done = 0;
    bool checked = false;
    for (size_t i = 0; i < m.n; i++) {
        const ll_trace_event *e = llv_event(&m, i);
        if (e->kind == LL_EV_SYNC && e->sub == LL_SYNC_OP_PUT) {
            ck_assert_uint_lt(tail, 16);
            fifo[tail++] = llv_str(&m, e->str);
        } else if (e->kind == LL_EV_SYNC && e->sub == LL_SYNC_OP_GET) {
            ck_assert_uint_lt(head, tail);
            ck_assert_str_eq(llv_str(&m, e->str), fifo[head]); /* the front was taken */
            head++;
        } else if (e->kind == LL_EV_SYNC && e->sub == LL_SYNC_OP_TASK_DONE) {
            done++;
            ck_assert_uint_eq(e->aux, tail - done); /* the scheduler's count */
        }
        llv_model_seek(&m, i);
        /* what join() waits for: put, not yet task_done */
        ck_assert_int_eq(llv_queue_unfinished(&m, 0), (long)(tail - done));
        const llv_qitem *it[16];
        size_t n = llv_queue_items(&m, 0, it, 16);
        ck_assert_msg(n == tail - head && n == m.cur.syncval[0],
                      "event %zu: %zu items listed, %zu in the replay, size %u", i, n, tail - head,
                      m.cur.syncval[0]);
        for (size_t k = 0; k < n; k++)
            ck_assert_msg(strcmp(llv_str(&m, it[k]->str), fifo[head + k]) == 0,
                          "event %zu, item %zu: %s, expected %s", i, k, llv_str(&m, it[k]->str),
                          fifo[head + k]);
        /* asked for fewer, the front ones */
        if (n > 1)
            ck_assert_uint_eq(llv_queue_items(&m, 0, it, 1), 1);
        if (e->kind == LL_EV_SYNC && e->sub == LL_SYNC_OP_BLOCK && e->task == 1 && ++blocks == 2) {
            ck_assert_uint_eq(n, 2);
            ck_assert_str_eq(llv_str(&m, it[0]->str), "'job2'");
            ck_assert_str_eq(llv_str(&m, it[1]->str), "'job3'");
            checked = true;
        }
    }
    ck_assert_msg(checked, "the producer never waited on the full queue a second time");
    llv_model_free(&m);
}
END_TEST

#define HEAD16 "looplab-trace 1.6\n@clock \"virtual\"\n"

/* A LifoQueue's front is its newest item; a PriorityQueue's the smallest,
 * by Python's ordering (10 after 2, tuples item by item), whatever the
 * order they were put in.  Gets take them off. */
START_TEST(lifo_and_priority_queues_list_the_next_get_first) {
    /* clang-format off */
    const char *text = HEAD16 EV("0.000000000", "-", "sync_new obj=1 kind=lifo_queue value=0")
        EV("0.000000000", "-", "sync_new obj=2 kind=priority_queue value=0")
        EV("0.000000000", "-", "sync obj=1 op=put value=1 waiters=0 item=\"'a'\"")
        EV("0.000000000", "-", "sync obj=1 op=put value=2 waiters=0 item=\"'b'\"")
        EV("0.000000000", "-", "sync obj=1 op=put value=3 waiters=0 item=\"'c'\"")
        EV("0.000000000", "-", "sync obj=2 op=put value=1 waiters=0 item=\"(3, 'c')\"")
        EV("0.000000000", "-", "sync obj=2 op=put value=2 waiters=0 item=\"(10, 'z')\"")
        EV("0.000000000", "-", "sync obj=2 op=put value=3 waiters=0 item=\"(2, 'b')\"")
        EV("0.000000000", "-", "sync obj=2 op=put value=4 waiters=0 item=\"(2, 'a')\"")
        EV("0.000000000", "-", "sync obj=1 op=get value=2 waiters=0 item=\"'c'\"")
        EV("0.000000000", "-", "sync obj=2 op=get value=3 waiters=0 item=\"(2, 'a')\"")
        "@end events=11\n";
    /* clang-format on */
    llv_model m;
    char err[256];
    ck_assert_msg(model_of_text(text, &m, err, sizeof err), "%s", err);
    static const struct {
        size_t step;
        uint32_t queue;
        const char *want; /* front first */
    } cases[] = {
        {4, 0, "'c' 'b' 'a'"}, {8, 1, "(2, 'a') (2, 'b') (3, 'c') (10, 'z')"},
        {9, 0, "'b' 'a'"},     {10, 1, "(2, 'b') (3, 'c') (10, 'z')"},
        {10, 0, "'b' 'a'"},    {1, 1, ""},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        llv_model_seek(&m, cases[c].step);
        const llv_qitem *it[8];
        size_t n = llv_queue_items(&m, cases[c].queue, it, 8);
        char got[256] = "";
        for (size_t k = 0; k < n; k++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? " " : "",
                     llv_str(&m, it[k]->str));
        ck_assert_msg(strcmp(got, cases[c].want) == 0, "step %zu, queue %u: [%s], expected [%s]",
                      cases[c].step, cases[c].queue, got, cases[c].want);
    }
    /* the two smallest only, when asked for two */
    llv_model_seek(&m, 8);
    const llv_qitem *two[2];
    ck_assert_uint_eq(llv_queue_items(&m, 1, two, 2), 2);
    ck_assert_str_eq(llv_str(&m, two[0]->str), "(2, 'a')");
    ck_assert_str_eq(llv_str(&m, two[1]->str), "(2, 'b')");
    llv_model_free(&m);
    /* a 1.5 trace names no items: none are listed, the size still counts */
    /* clang-format off */
    const char *old = "looplab-trace 1.5\n"
        EV("0.000000000", "-", "sync_new obj=1 kind=queue value=0")
        EV("0.000000000", "-", "sync obj=1 op=put value=1 waiters=0");
    /* clang-format on */
    ck_assert_msg(model_of_text(old, &m, err, sizeof err), "%s", err);
    llv_model_seek(&m, 1);
    ck_assert(!m.queue_items);
    ck_assert_uint_eq(llv_queue_items(&m, 0, two, 2), 0);
    ck_assert_uint_eq(m.cur.syncval[0], 1);
    llv_model_free(&m);
}
END_TEST

/* A wait on a socket knows the socket's peer (from its io_new, even one far
 * behind the cursor) and what the task waits for: each operation its own
 * span. */
START_TEST(socket_waits_know_their_peer_and_operation) {
    /* clang-format off */
    const char *text = "looplab-trace 1.3\n@clock \"real\"\n"
        EV("0.000000000", "1:a", "task_new name=\"a\"")
        EV("0.000000000", "1:a", "ready reason=created pos=0")
        EV("0.000000000", "1:a", "run behind=0")
        EV("0.001000000", "1:a", "io_new sock=3 role=client addr=\"127.0.0.1:8080\"")
        EV("0.001000000", "1:a", "wait on=io obj=3 op=connect")
        EV("0.002000000", "1:a", "ready reason=future_done pos=0 obj=3")
        EV("0.002000000", "1:a", "run behind=0")
        EV("0.002000000", "1:a", "wait on=io obj=3 op=read")
        EV("0.003000000", "1:a", "ready reason=future_done pos=0 obj=3")
        EV("0.003000000", "1:a", "run behind=0")
        EV("0.003000000", "1:a", "done result=\"None\"");
    /* clang-format on */
    llv_model m;
    char err[256];
    ck_assert_msg(model_of_text(text, &m, err, sizeof err), "%s", err);
    ck_assert_str_eq(llv_socket_addr(&m, 3), "127.0.0.1:8080");
    ck_assert_ptr_null(llv_socket_addr(&m, 4));
    const llv_span *c = llv_span_at(&m, 0, 4), *r = llv_span_at(&m, 0, 7);
    ck_assert_uint_eq(c->wait, LL_WAIT_IO);
    ck_assert_uint_eq(c->op, LL_IO_OP_CONNECT);
    ck_assert_uint_eq(r->op, LL_IO_OP_READ);
    ck_assert_ptr_ne(c, r);
    llv_model_free(&m);
}
END_TEST

START_TEST(an_empty_trace_is_refused) {
    llv_model m;
    char err[256] = "";
    ck_assert_ptr_null(model_of_text("looplab-trace 1.1\n@end events=0\n", &m, err, sizeof err));
    ck_assert_str_eq(err, "the trace has no events");
}
END_TEST

/* A long trace: many tasks sleeping in turns.  Checkpoints stay under their
 * budget and any step is reached exactly. */
START_TEST(long_traces_seek_exactly) {
    size_t ntasks = 3000, rounds = 20;
    size_t cap = ntasks * rounds * 200 + 4096, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text + len, cap - len, HEAD);
    for (size_t k = 1; k <= ntasks; k++) {
        /* clang-format off */
        len += (size_t)snprintf(text + len, cap - len,
                                EV("0.000000000", "%zu:t%zu", "task_new name=\"t%zu\""), k, k, k);
        /* clang-format on */
        /* clang-format off */
        len += (size_t)snprintf(text + len, cap - len,
                                EV("0.000000000", "%zu:t%zu", "ready reason=created pos=%zu"), k,
                                k, k - 1);
        /* clang-format on */
    }
    for (size_t r = 0; r < rounds; r++)
        for (size_t k = 1; k <= ntasks; k++) {
            len += (size_t)snprintf(text + len, cap - len,
                                    EV("%zu.000000000", "%zu:t%zu", "run behind=%zu"), r, k, k,
                                    ntasks - 1);
            /* clang-format off */
            len += (size_t)snprintf(text + len, cap - len,
                                    EV("%zu.000000000", "%zu:t%zu", "ready reason=yield pos=%zu"), r,
                                    k, k, ntasks - 1);
            /* clang-format on */
        }
    llv_model m;
    char err[256];
    ck_assert_msg(model_of_text(text, &m, err, sizeof err), "%s", err);
    free(text);
    ck_assert_uint_eq(m.n, ntasks * 2 + ntasks * rounds * 2);
    ck_assert_uint_eq(m.ntasks, ntasks);
    ck_assert_uint_eq(m.spans[m.info[0].span0 + 1].state, LLV_READY);
    size_t probes[] = {m.n - 1, 0, m.n / 2, m.n / 2 - 1, 12345, m.every, m.every - 1};
    for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
        llv_model_seek(&m, probes[p]);
        ck_assert_uint_eq(m.cur.bad, 0);
        ck_assert_uint_eq(m.cur.step, probes[p]);
        /* After setup every task is ready or running: the queue holds the rest. */
        size_t running = m.cur.running != UINT32_MAX;
        if (probes[p] >= ntasks * 2)
            ck_assert_uint_eq(m.cur.nready + running, ntasks);
    }
    llv_model_free(&m);
}
END_TEST

/* Two runs of one program, a C run (with a note) and a Python run (with
 * asyncio.run's shutdown tasks after the program's): step k of the
 * program's own tasks in one is step k in the other, its run on its run
 * and its end on its end. */
#define HEADPY "looplab-trace 1.6\n@clock \"virtual\"\n@language \"python\"\n"
/* clang-format off */
static const char *const c_run = HEAD
    EV("0.000000000", "1:main", "task_new name=\"main\" coro=\"main\"")
    EV("0.000000000", "1:main", "ready reason=created pos=0")
    EV("0.000000000", "1:main", "run behind=0")                 /* 2: step 1 */
    EV("0.000000000", "2:a", "task_new name=\"a\" coro=\"a\" parent=1")
    EV("0.000000000", "2:a", "ready reason=created pos=0")
    EV("0.000000000", "1:main", "note text=\"a is queued\"")
    EV("0.000000000", "1:main", "wait on=task obj=2")
    EV("0.000000000", "2:a", "run behind=0")                    /* 7: step 2 */
    EV("0.000000000", "2:a", "done result=\"None\"")
    EV("0.000000000", "1:main", "ready reason=task_done pos=0")
    EV("0.000000000", "1:main", "run behind=0")                 /* 10: step 3 */
    EV("0.000000000", "1:main", "done result=\"None\"");
static const char *const py_run = HEADPY
    EV("0.000000000", "1:Task-1", "task_new name=\"Task-1\" coro=\"main\"")
    EV("0.000000000", "1:Task-1", "ready reason=created pos=0")
    EV("0.000000000", "1:Task-1", "run behind=0")               /* 2: step 1 */
    EV("0.000000000", "2:a", "task_new name=\"a\" coro=\"a\" parent=1")
    EV("0.000000000", "2:a", "ready reason=created pos=0")
    EV("0.000000000", "1:Task-1", "wait on=task obj=2")
    EV("0.000000000", "2:a", "run behind=0")                    /* 6: step 2 */
    EV("0.000000000", "2:a", "done result=\"None\"")
    EV("0.000000000", "1:Task-1", "ready reason=task_done pos=0")
    EV("0.000000000", "1:Task-1", "run behind=0")               /* 9: step 3 */
    EV("0.000000000", "1:Task-1", "done result=\"None\"")
    EV("0.000000000", "3:Task-3", "task_new name=\"Task-3\" coro=\"shutdown_asyncgens\"")
    EV("0.000000000", "3:Task-3", "ready reason=created pos=0")
    EV("0.000000000", "3:Task-3", "run behind=0")               /* 13: the runtime's */
    EV("0.000000000", "3:Task-3", "done result=\"None\"")
    EV("0.000000000", "4:Task-4", "task_new name=\"Task-4\" coro=\"shutdown_default_executor\"")
    EV("0.000000000", "4:Task-4", "ready reason=created pos=0")
    EV("0.000000000", "4:Task-4", "run behind=0")
    EV("0.000000000", "4:Task-4", "done result=\"None\"");
/* clang-format on */

START_TEST(the_corresponding_step_counts_the_programs_own_steps) {
    llv_model c, py;
    char err[256];
    ck_assert_msg(model_of_text(c_run, &c, err, sizeof err), "%s", err);
    ck_assert_msg(model_of_text(py_run, &py, err, sizeof err), "%s", err);
    ck_assert(!llv_task_runtime(&py, 0) && !llv_task_runtime(&py, 1));
    ck_assert(llv_task_runtime(&py, 2) && llv_task_runtime(&py, 3));
    ck_assert(!llv_task_runtime(&c, 0) && !llv_task_runtime(&c, 1));
    bool past = true;
    /* C -> Python: every step of C, the note (5) counting for nothing */
    /* (on a run, its run; inside the step, there; after its end, its end) */
    static const size_t c_to_py[12] = {0, 0, 2, 2, 2, 2, 5, 6, 7, 7, 9, 10};
    for (size_t i = 0; i < c.n; i++) {
        ck_assert_uint_eq(llv_corresponding_step(&c, i, &py, &past), c_to_py[i]);
        ck_assert(!past);
    }
    /* Python -> C: the runtime's steps are not the program's */
    static const size_t py_to_c[19] = {0,  0,  2,  2,  2,  6,  7,  8,  8, 10,
                                       11, 11, 11, 11, 11, 11, 11, 11, 11};
    for (size_t i = 0; i < py.n; i++) {
        ck_assert_uint_eq(llv_corresponding_step(&py, i, &c, &past), py_to_c[i]);
        ck_assert(!past);
    }
    llv_model_free(&c);
    /* A shorter other run: its last event, and it says so. */
    /* clang-format off */
    const char *short_run = HEAD
        EV("0.000000000", "1:main", "task_new name=\"main\" coro=\"main\"")
        EV("0.000000000", "1:main", "ready reason=created pos=0")
        EV("0.000000000", "1:main", "run behind=0")
        EV("0.000000000", "1:main", "done result=\"None\"");
    /* clang-format on */
    ck_assert_msg(model_of_text(short_run, &c, err, sizeof err), "%s", err);
    ck_assert_uint_eq(llv_corresponding_step(&py, 3, &c, &past), 2);
    ck_assert(!past);
    ck_assert_uint_eq(llv_corresponding_step(&py, 6, &c, &past), c.n - 1);
    ck_assert(past);
    llv_model_free(&c);
    llv_model_free(&py);
}
END_TEST

int main(void) {
    nslugs = find_lessons(slugs, 128);
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("lessons");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, model_agrees_with_the_scheduler_at_every_check, 0, nslugs);
    tcase_add_loop_test(tc, stepping_back_gives_the_same_states, 0, nslugs);
    tcase_add_loop_test(tc, spans_tile_each_task_life, 0, nslugs);
    suite_add_tcase(s, tc);
    TCase *unit = tcase_create("unit");
    tcase_set_timeout(unit, 120);
    tcase_add_test(unit, waiters_come_in_the_order_they_began_to_wait);
    tcase_add_test(unit, a_queue_that_disagrees_is_counted_not_trusted);
    tcase_add_test(unit, a_queues_items_follow_its_puts_and_gets_at_every_step);
    tcase_add_test(unit, lifo_and_priority_queues_list_the_next_get_first);
    tcase_add_test(unit, socket_waits_know_their_peer_and_operation);
    tcase_add_test(unit, an_empty_trace_is_refused);
    tcase_add_test(unit, long_traces_seek_exactly);
    tcase_add_test(unit, the_corresponding_step_counts_the_programs_own_steps);
    suite_add_tcase(s, unit);
    return run_suite(s);
}
