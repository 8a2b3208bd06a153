/* task.c - tasks: a coroutine running on its own stack, driven by the loop.
 *
 * A task step is one entry of the ready queue.  Running it switches from the
 * scheduler's stack to the task's; the task runs until it awaits something
 * pending (it registers a wake-up on that future and switches back), yields
 * bare (sleep(0): it queues its next step at the back and switches back), or
 * returns (its future completes).  This is CPython's Task.__step, with the
 * coroutine's own stack standing in for the generator frame. */
#include "internal.h"
#include "../core/block.h"
#include "../core/grow.h"

#include <sys/mman.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(LL_CTX_ASAN)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

void ll__task_wakeup(ll_loop *loop, const ll__ready *e);

/* ---- coroutine objects ------------------------------------------------------ */

/* Coroutines made but not yet awaited or wrapped in a task, per thread, so
 * that the loop can report the ones never used (Python's "coroutine ... was
 * never awaited"). */
static _Thread_local ll_coro *unused_coros;

/* Coroutine objects are small and made by the hundred thousand: finished
 * ones are kept on a per-thread list for reuse instead of going back to
 * malloc. */
static _Thread_local ll_coro *spare_coros;
static _Thread_local size_t nspare_coros;

void ll__coro_release(ll_coro *c) {
    free(c->owned_args);
    c->owned_args = NULL;
    if (c->slab) {
        c->magic = LL__MAGIC_DEAD;
        c->next = c->loop->coro_free;
        c->loop->coro_free = c;
        return;
    }
    if (nspare_coros >= 4096) {
        free(c);
        return;
    }
    c->next = spare_coros;
    spare_coros = c;
    nspare_coros++;
}

void ll__thread_release(void) {
    while (spare_coros) {
        ll_coro *n = spare_coros->next;
        free(spare_coros);
        spare_coros = n;
    }
    nspare_coros = 0;
    ll__block_cache_release();
    ll__spare_ring_release();
}

/* A task's coroutines are carved from blocks of its loop: no malloc for
 * each, nor a free at close.  Only a task's: what a step makes it uses in
 * that step or drops (coro_sweep_step frees it as the step ends), so the
 * object is used by its own loop, which outlives it (a coroutine made in a
 * plain callback may be kept for a loop that runs later: malloc'd). */
enum { CORO_SMALL_BLOCKS = 4, CORO_BLOCK_MIN = 64 * sizeof(ll_coro) };

/* A block starts with a header: the link to the previous block, and the
 * block's size (LL__BLOCK_SIZE: a 2 MiB block, else malloc'd). */
static __attribute__((noinline)) ll_coro *coro_block_new(ll_loop *loop) {
    size_t bytes;
    void **b;
    if (loop->ncoro_blocks < CORO_SMALL_BLOCKS) {
        bytes = (size_t)CORO_BLOCK_MIN << loop->ncoro_blocks;
        b = malloc(bytes);
    } else {
        bool dirty; /* every field is written when a coroutine is made */
        bytes = LL__BLOCK_SIZE;
        b = ll__block_get(bytes, &dirty);
    }
    if (!b)
        return NULL;
    b[0] = loop->coro_blocks;
    b[1] = (void *)bytes;
    loop->coro_blocks = b;
    loop->ncoro_blocks++;
    loop->coro_cur = (char *)b + 16 + sizeof(ll_coro);
    loop->coro_left = bytes - 16 - sizeof(ll_coro);
    return (ll_coro *)((char *)b + 16);
}

static inline ll_coro *coro_carve(ll_loop *loop) {
    ll_coro *c = loop->coro_free;
    if (c) {
        loop->coro_free = c->next;
        return c;
    }
    if (__builtin_expect(loop->coro_left < sizeof(ll_coro), 0))
        return coro_block_new(loop);
    c = (ll_coro *)loop->coro_cur;
    loop->coro_cur += sizeof(ll_coro);
    loop->coro_left -= sizeof(ll_coro);
    return c;
}

void ll__coro_blocks_free(ll_loop *loop) {
    for (void **b = loop->coro_blocks, **prev; b; b = prev) {
        prev = b[0];
        if ((size_t)b[1] == LL__BLOCK_SIZE)
            ll__block_put(b, LL__BLOCK_SIZE);
        else
            free(b);
    }
    loop->coro_blocks = NULL;
    loop->ncoro_blocks = loop->coro_left = 0;
    loop->coro_cur = NULL;
    loop->coro_free = NULL;
}

static inline __attribute__((always_inline)) ll_coro *
coro_make(ll_coro_fn fn, ll_value arg, const char *fn_name, const char *file, int line) {
    if (!fn) {
        ll__misuse(ll__running_loop, file, line, "TypeError: ll_coro() with a NULL function");
        return NULL;
    }
    ll_loop *loop = ll__running_loop;
    ll_task *maker = loop ? loop->current : NULL;
    ll_coro *c;
    if (maker) {
        if (!(c = coro_carve(loop)))
            return NULL;
    } else if ((c = spare_coros)) {
        spare_coros = c->next;
        nspare_coros--;
    } else if (!(c = malloc(sizeof *c))) {
        return NULL;
    }
    *c = (ll_coro){.magic = LL__MAGIC_CORO,
                   .fn = fn,
                   .arg = arg,
                   .fn_name = fn_name,
                   .file = file,
                   .line = line,
                   .next = unused_coros,
                   .loop = loop ? loop : ll__current_loop,
                   .maker = maker,
                   .slab = maker != NULL};
    if (unused_coros)
        unused_coros->prev = c;
    unused_coros = c;
    if (c->maker) /* made by a task: swept as the step ends */
        ll__running_loop->step_slow |= LL__SLOW_CORO;
    return c;
}

ll_coro *ll__coro_new(ll_coro_fn fn, ll_value arg, const char *fn_name, const char *file,
                      int line) {
    return coro_make(fn, arg, fn_name, file, line);
}

ll_coro *ll__coro_newv(ll_coro_fn fn, const char *fn_name, size_t n, const ll_value *args,
                       const char *file, int line) {
    /* The arguments belong to the coroutine, which may be made before any
     * loop exists (ll_run(ll_coro(amain, ...))): malloc, freed with it. */
    ll_value arg;
    void *owned;
    if (ll__args_plain(fn_name, n, args, &arg)) /* no memory to hold them */
        return coro_make(fn, arg, fn_name, file, line);
    if (!ll__args_pack(NULL, fn_name, n, args, &arg, &owned)) {
        ll__misuse(ll__running_loop, file, line,
                   "MemoryError: no memory for the arguments of coroutine '%s'", fn_name);
        return NULL;
    }
    ll_coro *c = coro_make(fn, arg, fn_name, file, line);
    if (c)
        c->owned_args = owned;
    else
        free(owned);
    return c;
}

const char *ll__running_coro_name(void) {
    ll_loop *loop = ll__running_loop;
    ll_task *t = loop ? loop->current : NULL;
    if (!t)
        return NULL;
    return t->agen ? ll__agen_name(t->agen) : t->coro_name;
}

/* Takes a coroutine off the list of those not used yet, and marks it used. */
static inline void coro_unlink(ll_coro *c) {
    if (c->prev)
        c->prev->next = c->next;
    else
        unused_coros = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->magic = LL__MAGIC_DEAD;
}

void ll__coro_free(ll_coro *c) {
    if (!c || c->magic != LL__MAGIC_CORO)
        return;
    coro_unlink(c);
    ll__coro_release(c);
}

/* A coroutine that was awaited or wrapped in a task stays allocated (marked
 * dead) until its loop closes, so that using it a second time is reported
 * instead of reading freed memory. */
static inline void coro_consume(ll_loop *loop, ll_coro *c) {
    coro_unlink(c);
    if (c->hidden && !c->owned_args) {
        /* Nobody else has its address: nothing can use it a second time. */
        ll__coro_release(c);
        return;
    }
    if (c->slab && !c->owned_args) {
        /* Its loop's blocks keep it, marked dead, until the loop closes.  Its
         * magic is all a second use reads: when it is the newest object
         * carved, the next ones start right after the magic (ll_create_task
         * (ll_coro(...)) keeps 8 bytes a task, not a whole object). */
        if ((char *)c + sizeof *c == c->loop->coro_cur) {
            c->loop->coro_cur = (char *)c + 8;
            c->loop->coro_left += sizeof *c - 8;
        }
        return;
    }
    c->prev = NULL;
    c->next = loop->dead_coros;
    loop->dead_coros = c;
}

void ll__coro_private(ll_coro *c) {
    if (c && c->magic == LL__MAGIC_CORO)
        c->hidden = true;
}

void ll__coro_take(ll_loop *loop, ll_coro *c) {
    coro_consume(loop, c);
}

void ll__coro_keep(void *aw) {
    ll_coro *c = aw;
    if (c && c->magic == LL__MAGIC_CORO)
        c->maker = NULL;
}

/* The step of task t has ended: coroutines it made and left unused were
 * dropped (a C step cannot hand one to a later step except by awaiting or
 * wrapping it), so "never awaited" is said now, at CPython's moment (the
 * object freed as the statement ends; same loop time), not at close. */
static void coro_sweep_step(ll_loop *loop, ll_task *t) {
    if (!unused_coros) {
        loop->step_slow &= (uint8_t)~LL__SLOW_CORO;
        return;
    }
    ll_task *saved = loop->current;
    for (ll_coro *c = unused_coros, *next; c; c = next) {
        next = c->next;
        if (c->maker != t)
            continue;
        loop->current = t;
        ll__warn(loop, LL_WARN_NEVER_AWAITED, c->file, c->line,
                 "RuntimeWarning: coroutine '%s' was never awaited", c->fn_name);
        ll__coro_free(c);
    }
    loop->current = saved;
}

void ll__coro_sweep(ll_loop *loop) {
    ll_coro *c = unused_coros;
    while (c) {
        ll_coro *next = c->next;
        if (!loop || c->loop == loop || c->loop == NULL) {
            ll_task *saved = loop ? loop->current : NULL;
            if (loop)
                loop->current = NULL;
            ll__warn(loop, LL_WARN_NEVER_AWAITED, c->file, c->line,
                     "RuntimeWarning: coroutine '%s' was never awaited", c->fn_name);
            if (loop)
                loop->current = saved;
            ll__coro_free(c);
        }
        c = next;
    }
}

/* ---- tasks -------------------------------------------------------------------- */

static const char *const task_state_names[] = {"pending", "ready",  "running",  "waiting",
                                               "done",    "failed", "cancelled"};

const char *ll__task_state_name(const ll_task *t) {
    return task_state_names[t->state];
}

ll_task *ll__task_from(void *aw) {
    ll_task *t = aw;
    return t && t->fut.magic == LL__MAGIC_TASK ? t : NULL;
}

static void task_step(ll_loop *loop, const ll__ready *e);

/* A program that ignores every await's status swallows every cancellation:
 * a few reports say so; thousands would bury everything else. */
enum { LL__SWALLOWED_REPORTS = 10 };

static void record_end(ll_loop *loop, ll_task *t, ll_event_kind kind, ll_value v) {
    ll__ev_fields f = {.task = t->fut.id};
    if (kind == LL_EV_TASK_DONE) {
        f.str = ll__repr_str(loop, v);
    } else if (kind == LL_EV_TASK_FAILED) {
        f.aux = (uint32_t)-v.err;
        f.str = ll__str(loop, ll_errmsg(v));
    }
    ll__ev_put(loop, kind, f);
}

/* The coroutine returned v: complete the task's future (Task.__step's
 * StopIteration / exception / CancelledError branches). */
static void task_finish(ll_loop *loop, ll_task *t, ll_value v) {
    ll_event_kind kind;
    t->direct = false; /* nothing switches into a finished task (next_direct) */
    if (ll_is_cancelled(v) || (!ll_failed(v) && t->must_cancel)) {
        t->must_cancel = false;
        t->state = LL__TASK_CANCELLED;
        kind = LL_EV_TASK_CANCELLED;
    } else if (ll_failed(v)) {
        t->state = LL__TASK_FAILED;
        kind = LL_EV_TASK_FAILED;
    } else {
        t->state = LL__TASK_DONE;
        kind = LL_EV_TASK_DONE;
        /* Asked to cancel, told so at an await, and still returned a
         * result: whoever cancelled it believes it stopped.  (A scope that
         * cancels on purpose, like timeout(), calls uncancel().) */
        if (t->num_cancels > t->cancels_kept && loop->swallowed++ < LL__SWALLOWED_REPORTS)
            ll__warn(loop, LL_WARN_SWALLOWED_CANCEL, t->fut.file, t->fut.line,
                     "task '%s' was cancelled but returned a result instead of ending "
                     "cancelled: its CancelledError was caught and not passed on (return it, "
                     "or call ll_task_uncancel() if going on is meant)%s",
                     t->name,
                     loop->swallowed == LL__SWALLOWED_REPORTS
                         ? "; further swallowed cancellations on this loop are not reported"
                         : "");
    }
    if (LL__REC(loop))
        record_end(loop, t, kind, v);
    /* A failed task nobody waits on, whose handle the program never used:
     * CPython frees such a task as its last step ends and logs the error
     * then; say it now rather than when the loop closes. */
    if (kind == LL_EV_TASK_FAILED && !t->held && !t->fut.ncb && !t->fut.retrieved) {
        t->reported = true;
        ll__warn(loop, LL_WARN_NOT_RETRIEVED, t->fut.file, t->fut.line,
                 "Task exception was never retrieved: task '%s' failed with %s: %s", t->name,
                 ll_err_name(v.err), ll_errmsg(v));
    }
    if (kind == LL_EV_TASK_CANCELLED)
        ll__future_complete(&t->fut, LL__FUT_CANCELLED, ll_none());
    else
        ll__future_complete(&t->fut, LL__FUT_FINISHED, v);
}

/* First frame on every task stack. */
/* What follows the body's return, out of task_entry's frame: that frame is
 * under every other one for the task's whole life (and copied with them in
 * copy mode), so it is kept small. */
__attribute__((noinline, noreturn)) static void task_exit(ll_task *t, ll_value v) {
    ll_loop *loop = t->fut.loop;
    /* Still on the task's stack: an `async with` the body left open is
     * reported and closed before anyone learns the task is done. */
    if (__builtin_expect(t->nscopes > 0, 0))
        ll__scopes_leaked(t, 0, t->coro_name, v);
    t->try_file = NULL;
    if (__builtin_expect(!ll_failed(v) && !t->must_cancel && t->num_cancels <= t->cancels_kept &&
                             !LL__REC(loop),
                         1)) {
        /* task_finish's commonest case, without its reports' set-up: a
         * result, nothing to record, no cancellation asked for. */
        t->direct = false; /* as task_finish: nothing switches into it now */
        t->state = LL__TASK_DONE;
        ll__future_complete(&t->fut, LL__FUT_FINISHED, v);
    } else {
        task_finish(loop, t, v);
    }
    t->finished = true;
    ll__ctx_switch_final(&t->ctx, &loop->sched_ctx);
    abort(); /* a finished task is never switched back into */
}

static void task_entry(void *p) {
    ll_task *t = p;
    task_exit(t, t->fn(t->arg));
}

/* ---- copy mode -------------------------------------------------------------
 * Tasks in copy mode run on the loop's one shared stack.  The frames on it
 * belong to shared_owner; when another copy-mode task is about to run, the
 * owner's used part [sp, top) goes to a heap buffer sized to fit and the
 * next task's bytes come back to the same addresses.  Both copies happen
 * here, on the scheduler's stack, never on the stack being copied. */

/* The copy reads frames whose redzones ASan has poisoned, and writes over
 * another task's: the range is unpoisoned first (a frame's poison is set
 * again by its function's prologue; a copied-in frame loses the poison of
 * its redzones until it returns).  Valgrind's memcheck copies definedness
 * with the bytes. */
__attribute__((no_sanitize_address)) static void stack_copy(void *dst, const void *src, size_t n) {
    ll__stack_writable(dst, n);
    ASAN_UNPOISON_MEMORY_REGION(src, n);
    memcpy(dst, src, n);
}

/* The top of the frames on the shared stack.  Above it sits the overflow
 * report's record of the task that owns the stack: not copied, rewritten
 * whenever the owner changes. */
static char *shared_top(const ll_loop *loop) {
    uintptr_t end = (uintptr_t)loop->shared.lo + loop->shared.size;
    return (char *)((end - sizeof(ll__overflow_info)) & ~(uintptr_t)15);
}

static void shared_ovf(ll_loop *loop, ll_task *t) {
    t->ovf = (ll__overflow_info *)shared_top(loop);
    *t->ovf = (ll__overflow_info){t->name,           t->fut.id,
                                  loop->shared.size, t->fut.file ? t->fut.file : "?",
                                  t->fut.line,       (const char *)loop->shared.lo - 4096,
                                  loop->shared.lo};
}

/* Moves o's frames off the shared stack. */
static void copy_out(ll_loop *loop, ll_task *o) {
    char *sp =
        __builtin_expect(o->agen != NULL, 0) ? ll__agen_base_sp(o) : ll__ctx_saved_sp(&o->ctx);
    size_t n = (size_t)(shared_top(loop) - sp);
    if (n > o->saved_cap || n < o->saved_cap / 2) {
        unsigned char *b = realloc(o->saved, n);
        if (!b) {
            fprintf(stderr,
                    "looplab: out of memory saving the %zu-byte stack of task '%s' (id %u, "
                    "created at %s:%d) in copy mode\n",
                    n, o->name, o->fut.id, o->fut.file ? o->fut.file : "?", o->fut.line);
            abort();
        }
        o->saved = b;
        o->saved_cap = (uint32_t)n;
    }
    stack_copy(o->saved, sp, n);
    o->saved_len = (uint32_t)n;
}

/* Makes the shared stack t's (t started, in copy mode). */
static void copy_in(ll_loop *loop, ll_task *t) {
    ll_task *o = loop->shared_owner;
    if (o == t)
        return;
    if (o)
        copy_out(loop, o);
    loop->shared_owner = t;
    stack_copy(shared_top(loop) - t->saved_len, t->saved, t->saved_len);
    shared_ovf(loop, t);
}

/* A task's first step in copy mode: its first frame on the shared stack. */
static int task_start_copy(ll_loop *loop, ll_task *t) {
    if (!loop->shared.map) {
        bool first_unguarded = false;
        int rc =
            ll__stack_alloc(loop->stacks, loop->default_stack, &loop->shared, &first_unguarded);
        if (rc != 0)
            return rc;
        if (!loop->shared.guarded) /* not even one guard page: give up copy mode */
            return 1;
    }
    if (loop->shared_owner)
        copy_out(loop, loop->shared_owner);
    loop->shared_owner = t;
    shared_ovf(loop, t);
    ll__ctx_make_flat(&t->ctx, loop->shared.lo,
                      (size_t)(shared_top(loop) - (char *)loop->shared.lo), task_entry, t);
    t->started = true; /* not `direct`: a switch into it goes through the loop */
    return 0;
}

static void frame_objs_free(ll_task *t);

/* A copy-mode task is done: its frames are garbage. */
static void copy_release(ll_loop *loop, ll_task *t) {
    if (loop->shared_owner == t)
        loop->shared_owner = NULL;
    free(t->saved);
    t->saved = NULL;
    t->saved_len = t->saved_cap = 0;
    frame_objs_free(t);
}

void ll__loop_stacks_free(ll_loop *loop) {
    loop->shared_owner = NULL;
    if (loop->shared.map)
        ll__stack_free(loop->stacks, &loop->shared);
    memset(&loop->shared, 0, sizeof loop->shared);
    if (loop->stack_spare.map)
        ll__stack_free(loop->stacks, &loop->stack_spare);
    memset(&loop->stack_spare, 0, sizeof loop->stack_spare);
}

/* A copy-mode task's frame objects, newest first (they come and go in
 * stack order, as the frames that own them do): a task the loop abandons
 * suspended (it never finished) gives them back with its record. */
typedef struct frame_hdr {
    struct frame_hdr *next;
    ll_task *task;
} frame_hdr;

void *ll__frame_obj(void *local, size_t n) {
    ll_task *t = ll__current_task();
    if (!t || !t->copy)
        return local;
    frame_hdr *h = calloc(1, sizeof *h + n);
    if (!h)
        return NULL;
    h->next = t->frame_objs;
    h->task = t;
    t->frame_objs = h;
    return h + 1;
}

void ll__frame_obj_free(void *p, void *local) {
    if (p == local || !p)
        return;
    frame_hdr *h = (frame_hdr *)p - 1, **at = (frame_hdr **)&h->task->frame_objs;
    while (*at && *at != h)
        at = &(*at)->next;
    if (*at)
        *at = h->next;
    free(h);
}

static void frame_objs_free(ll_task *t) {
    for (frame_hdr *h = t->frame_objs, *next; h; h = next) {
        next = h->next;
        free(h);
    }
    t->frame_objs = NULL;
}

static int task_start(ll_loop *loop, ll_task *t) {
    if (t->copy) {
        int rc = task_start_copy(loop, t);
        if (rc <= 0)
            return rc;
        t->copy = false; /* no guarded shared stack: this task gets its own */
    }
    if (loop->stack_spare.map && loop->stack_spare.size == t->stack_size) {
        /* The stack of the task that finished last (a program spawning
         * short tasks runs them all on it). */
        t->stack = loop->stack_spare;
        loop->stack_spare.map = NULL;
        ll__stack_unpark(&t->stack);
    } else {
        bool first_unguarded = false;
        int rc = ll__stack_alloc(loop->stacks, t->stack_size, &t->stack, &first_unguarded);
        if (rc != 0)
            return rc;
        if (first_unguarded)
            ll__warn(loop, LL_WARN_UNGUARDED_STACK, t->fut.file, t->fut.line,
                     "out of guard pages (vm.max_map_count): task '%s' and later tasks get "
                     "stacks without a guard page; an overflow is caught at the next switch",
                     t->name);
    }
    t->unguarded = !t->stack.guarded;
    if (t->unguarded)
        ll__stack_canary_set(&t->stack);
    /* What the overflow report needs sits at the very top of the stack,
     * in a page the task touches anyway; the frames start below it. */
    uintptr_t top =
        ((uintptr_t)t->stack.lo + t->stack.size - sizeof(ll__overflow_info)) & ~(uintptr_t)15;
    t->ovf = (ll__overflow_info *)top;
    ll__ctx_make(&t->ctx, t->stack.lo, top - (uintptr_t)t->stack.lo, task_entry, t);
    *t->ovf = (ll__overflow_info){
        t->name,       t->fut.id,
        t->stack.size, t->fut.file ? t->fut.file : "?",
        t->fut.line,   (const char *)t->stack.lo - (t->stack.guarded ? 4096 : 0),
        t->stack.lo};
    t->started = t->direct = true;
    return 0;
}

/* Bookkeeping when a step of t begins, on whichever stack switches to it.
 * (The overflow handler finds the running task through the loop: see
 * ll__running_ovf.) */
static inline void step_begin(ll_loop *loop, ll_task *t) {
    t->state = LL__TASK_RUNNING;
    loop->current = t;
}

/* What the guard-page handler (core/stack.c) says about an overflow: the
 * record of the task running on this thread, if any. */
const ll__overflow_info *ll__running_ovf(void) {
    const ll_loop *loop = ll__running_loop;
    const ll_task *t = loop ? loop->current : NULL;
    return t ? t->ovf : NULL;
}

/* An unguarded stack's canary, checked as its step ends. */
__attribute__((noinline, cold)) static void canary_check(const ll_task *t) {
    if (t->stack.map && !ll__stack_canary_ok(&t->stack)) {
        fprintf(stderr,
                "looplab: stack overflow in task '%s' (id %u): its %zu KiB stack "
                "(without a guard page) was overrun (task created at %s:%d)\n",
                t->name, t->fut.id, t->stack.size / 1024, t->fut.file ? t->fut.file : "?",
                t->fut.line);
        abort();
    }
}

/* ... and when it ends (t suspended or finished).  What there is to do
 * beyond the canary is flagged in loop->step_slow, so that a step of a loop
 * that records nothing, blocks nowhere and leaves no coroutine unused tests
 * one byte of the loop and one of the task. */
static inline __attribute__((always_inline)) void step_end_slow(ll_loop *loop, ll_task *t) {
    uint8_t slow = loop->step_slow;
    /* The slow-step check.  A blocking call counts its time (the only way
     * loop time moves within a step); on the real clock the step's wall
     * time counts too, read where it is read anyway (recording). */
    int64_t d = loop->step_blocked;
    if (LL__REC(loop)) {
        /* One clock read per step: it ends this step and starts the next. */
        loop->wall = ll__step_wall(loop);
        if (loop->rec.n > loop->step_mark && loop->rec.cur)
            loop->rec.cur[-1].wall = loop->wall;
        if (loop->real && loop->wall - loop->step_w0 > d)
            d = loop->wall - loop->step_w0;
    }
    if (__builtin_expect(d > loop->slow_ns, 0))
        ll__slow_step(loop, t, d);
    if (slow & LL__SLOW_BLOCKED) {
        loop->step_blocked = 0;
        loop->step_slow = (uint8_t)(loop->step_slow & ~LL__SLOW_BLOCKED);
    }
    if ((slow & LL__SLOW_CORO) && loop->eager_pause != t)
        coro_sweep_step(loop, t); /* not while "eager" pauses a creator mid-step */
}

static inline __attribute__((always_inline)) void step_end(ll_loop *loop, ll_task *t) {
    if (__builtin_expect(loop->step_slow != 0, 0))
        step_end_slow(loop, t);
    if (__builtin_expect(t->unguarded, 0))
        canary_check(t);
}

/* The step of t begins, for the trace: its run event, and where the step's
 * own events start (step_end stamps the last of them with the step's end). */
static inline __attribute__((always_inline)) void record_run(ll_loop *loop, const ll_task *t) {
    if (LL__REC(loop)) {
        loop->step_w0 = loop->wall;
        LL__EV(loop, TASK_RUN, t->fut.id, .aux = (uint32_t)loop->ready.len);
        loop->step_mark = loop->rec.n;
    }
}

/* ---- recycling -------------------------------------------------------------
 * A task nobody outside the library was given (t->anon: a server's
 * connection task) is, once done, a task nobody can name: not the program,
 * which never had it, nor an awaiter (nobody could await it).  CPython frees
 * such a task as its last step ends; here its record goes back to a free
 * list and the next task reuses it (its stack went back as its body
 * returned).  Its id is never reused, so the trace cannot tell.
 *
 * What can still name it is a ready-queue entry queued before it finished
 * (a wake-up it did not need: run_task skips a done task), so a done task
 * first waits on the retired list; once RETIRE_BATCH have gathered, one
 * scan of the ready queue recycles every retired task no entry names. */
enum { RETIRE_BATCH = 32 };

static int cmp_ptr(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

/* Marks in keep[] the retired task (of the sorted v[n]) that p is, if any. */
static void mark_named(ll_task **v, size_t n, bool *keep, const void *p) {
    if (!p)
        return;
    ll_task **at = bsearch(&p, v, n, sizeof *v, cmp_ptr);
    if (at)
        keep[at - v] = true;
}

static void recycle_retired(ll_loop *loop) {
    size_t n = loop->ntask_retired;
    ll_task **v = malloc(n * (sizeof *v + sizeof(bool)));
    if (!v)
        return; /* tried again at the next batch */
    bool *keep = (bool *)(v + n);
    size_t i = 0;
    for (ll_task *t = loop->task_retired; t; t = t->next_all)
        v[i++] = t;
    qsort(v, n, sizeof *v, cmp_ptr);
    memset(keep, 0, n * sizeof *keep);
    const ll__ring *r = &loop->ready;
    for (size_t k = 0; k < r->len; k++) {
        const ll__ready *e = &r->buf[(r->head + k) & (r->cap - 1)];
        mark_named(v, n, keep, e->a);
        mark_named(v, n, keep, e->b);
    }
    loop->task_retired = NULL;
    loop->ntask_retired = 0;
    for (i = 0; i < n; i++) {
        ll_task *t = v[i];
        if (keep[i]) {
            t->next_all = loop->task_retired;
            loop->task_retired = t;
            loop->ntask_retired++;
            continue;
        }
        ll__task_free(loop, t);
        t->fut.magic = 0; /* not a task until it is made again */
        t->next_all = loop->task_free;
        loop->task_free = t;
        loop->task_recycled++;
    }
    free(v);
}

/* t is done: an anonymous one leaves the list of all tasks for the retired
 * list.  Not while `check` snapshots list every task the loop made. */
static void maybe_retire(ll_loop *loop, ll_task *t) {
    if (!t->anon || t->held || loop->check || t->stack.map || t->fut.state == LL__FUT_PENDING)
        return;
    if (t->prev_all)
        t->prev_all->next_all = t->next_all;
    else
        loop->tasks_head = t->next_all;
    if (t->next_all)
        t->next_all->prev_all = t->prev_all;
    else
        loop->tasks_tail = t->prev_all;
    loop->ntasks--;
    t->prev_all = NULL;
    t->next_all = loop->task_retired;
    loop->task_retired = t;
    if (++loop->ntask_retired >= RETIRE_BATCH && loop->ntask_retired % RETIRE_BATCH == 0)
        recycle_retired(loop);
}

void ll__task_retired_free(ll_loop *loop) {
    for (ll_task *t = loop->task_retired; t; t = t->next_all)
        ll__task_free(loop, t);
    loop->task_retired = NULL;
    loop->ntask_retired = 0;
}

/* A finished task's stack: kept aside for the next task to start, or back
 * to the pool when one is kept already. */
static inline void task_stack_release(ll_loop *loop, ll_task *t) {
    if (!loop->stack_spare.map) {
        ll__stack_park(&t->stack);
        loop->stack_spare = t->stack;
    } else {
        ll__stack_free(loop->stacks, &t->stack);
    }
    memset(&t->stack, 0, sizeof t->stack);
}

static void run_task(ll_loop *loop, ll_task *t) {
    if (t->fut.state != LL__FUT_PENDING)
        return;
    record_run(loop, t);
    if (!t->started && t->must_cancel) {
        /* Cancelled before its first step: the body never runs (R7). */
        loop->current = t;
        task_finish(loop, t, ll_none());
        loop->current = NULL;
        maybe_retire(loop, t);
        return;
    }
    if (!t->started && task_start(loop, t) != 0) {
        loop->current = t;
        task_finish(loop, t,
                    ll_raise(LL_ENOMEM, "no memory for a %zu-byte task stack", t->stack_size));
        loop->current = NULL;
        maybe_retire(loop, t);
        return;
    }
    if (__builtin_expect(t->copy, 0))
        copy_in(loop, t);
    if (LL__REC(loop))
        loop->step_mark = loop->rec.n; /* the step's own events start here */
    step_begin(loop, t);
    ll__ctx_switch(&loop->sched_ctx, &t->ctx);
    /* Back on the scheduler's stack.  The task that switched here is not
     * always t: tasks hand the thread to each other directly (suspend()). */
    ll_task *y = loop->current;
    loop->current = NULL;
    step_end(loop, y);
    if (y->finished) {
        if (y->stack.map)
            task_stack_release(loop, y);
        if (y->copy)
            copy_release(loop, y);
    }
    if (__builtin_expect(y->anon, 0) && y->finished)
        maybe_retire(loop, y);
}

static void task_step(ll_loop *loop, const ll__ready *e) {
    run_task(loop, e->a);
}

/* A future the task waited on is done: its wake-up was queued by the
 * future's completion (e->a is the future, e->b the task). */
void ll__task_wakeup(ll_loop *loop, const ll__ready *e) {
    run_task(loop, e->b);
}

/* The task a ready-queue entry would step, or NULL for other callbacks. */
static inline ll_task *entry_task(const ll__ready *e) {
    return e->fn == task_step ? e->a : e->fn == ll__task_wakeup ? e->b : NULL;
}

void ll__check_snapshot(ll_loop *loop) {
    static const char letter[] = {
        [LL__TASK_PENDING] = 'P',  [LL__TASK_READY] = 'R', [LL__TASK_RUNNING] = 'X',
        [LL__TASK_WAITING] = 'W',  [LL__TASK_DONE] = 'D',  [LL__TASK_FAILED] = 'F',
        [LL__TASK_CANCELLED] = 'C'};
    size_t cap = 64 + loop->ready.len * 12 + loop->ntasks * 14, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return;
    n += (size_t)snprintf(buf + n, cap - n, "ready");
    for (size_t i = 0; i < loop->ready.len; i++) {
        const ll__ready *e = &loop->ready.buf[(loop->ready.head + i) % loop->ready.cap];
        const ll_task *t = entry_task(e);
        if (t)
            n += (size_t)snprintf(buf + n, cap - n, " %u", t->fut.id);
        else
            n += (size_t)snprintf(buf + n, cap - n, " cb");
    }
    n += (size_t)snprintf(buf + n, cap - n, " | tasks");
    for (const ll_task *t = loop->tasks_head; t; t = t->next_all)
        n += (size_t)snprintf(buf + n, cap - n, " %u%c", t->fut.id, letter[t->state]);
    LL__EV(loop, CHECK, 0, .str = ll__rec_str(&loop->rec, buf, n));
    free(buf);
}

/* The task whose step the ready queue's head would run, when the loop could
 * switch to it directly: it belongs to this pass and has a stack already. */
static inline ll_task *next_direct(ll_loop *loop, const ll_task *self) {
    if (!loop->pass_left)
        return NULL;
    ll_task *n = entry_task(&loop->ready.buf[loop->ready.head]);
    /* A done task is not `direct` (task_finish): one byte answers both, on
     * the cache line that also holds the stack pointer the switch needs. */
    if (!n || n == self || !n->direct)
        return NULL;
    return n;
}

/* Tasks are carved from slabs: no malloc per task.  The first four hold
 * 32, 64, 128 and 256 records (malloc'd: a lesson's few tasks cost little);
 * the rest are 2 MiB blocks (src/core/block.h) backed by a huge page each,
 * which the loop gives back to its thread at close for the next loop.  The
 * slabs live until the loop closes; a recycled record (see "recycling"
 * below) is carved again from the free list first. */
enum { SMALL_SLABS = 4 };

/* Records are carved 64 bytes apart and aligned to 64, so that a field sits
 * in the same cache line of every task (a layout that keeps a step's fields
 * within a few lines holds for all of them, not for one task in eight). */
#define TASK_STRIDE ((sizeof(ll_task) + 63) & ~(size_t)63)

static void *task_slab_new(ll_loop *loop) {
    LL__GROW(loop->task_slabs, loop->task_slabcap, loop->ntask_slabs + 1, 16, return NULL);
    void *block;
    size_t ntasks, bytes;
    if (loop->ntask_slabs < SMALL_SLABS) {
        ntasks = (size_t)32 << loop->ntask_slabs;
        bytes = ntasks * TASK_STRIDE;
        if (!(block = aligned_alloc(64, bytes)))
            return NULL;
        memset(block, 0, bytes);
        loop->task_dirty = false;
    } else {
        bytes = LL__BLOCK_SIZE;
        ntasks = bytes / TASK_STRIDE;
        if (!(block = ll__block_get(bytes, &loop->task_dirty)))
            return NULL;
    }
    loop->task_slabs[loop->ntask_slabs++] = (ll__slab){block, bytes};
    loop->task_cur = block;
    loop->task_left = ntasks;
    return block;
}

static ll_task *task_alloc(ll_loop *loop) {
    ll_task *t = loop->task_free;
    if (t) {
        loop->task_free = t->next_all;
        memset(t, 0, sizeof *t);
        return t;
    }
    if (!loop->task_left && !task_slab_new(loop))
        return NULL;
    t = (ll_task *)loop->task_cur;
    loop->task_cur += TASK_STRIDE;
    loop->task_left--;
    loop->task_carved++;
    /* Zeroed: a small slab is cleared whole, a fresh block by the kernel,
     * and a record here when its block served an earlier loop (its lines
     * are written next anyway). */
    if (loop->task_dirty)
        memset(t, 0, sizeof *t);
    return t;
}

void ll__task_slabs_free(ll_loop *loop) {
    for (size_t i = 0; i < loop->ntask_slabs; i++) {
        const ll__slab *s = &loop->task_slabs[i];
        if (s->bytes == LL__BLOCK_SIZE)
            ll__block_put(s->mem, s->bytes);
        else
            free(s->mem);
    }
    free(loop->task_slabs);
    loop->task_slabs = NULL;
    loop->ntask_slabs = loop->task_slabcap = loop->task_left = 0;
}

/* "Task-N", as asyncio names them, without the cost of printf, in the
 * task's own record (at most "Task-4294967295").  Ids mostly come one after
 * the other: the loop keeps the last name made and counts up in its digits
 * (a digit or two to change, where a division per digit is dearer than
 * everything else create_task does). */
static const char *default_name(ll_loop *loop, ll_task *t, uint32_t id) {
    char *b = loop->name_buf; /* "Task-" and the digits of name_id */
    unsigned len = loop->name_len;
    if (len && id == loop->name_id + 1 && id != 0) {
        unsigned i = len;
        while (i > 5 && b[i - 1] == '9')
            b[--i] = '0';
        if (i > 5) {
            b[i - 1]++;
        } else { /* 9...9 + 1: one digit more */
            b[5] = '1';
            b[len++] = '0';
            b[len] = '\0';
        }
    } else {
        char digits[16];
        unsigned n = 0;
        uint32_t v = id;
        do {
            digits[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        memcpy(b, "Task-", 5);
        for (unsigned i = 0; i < n; i++)
            b[5 + i] = digits[n - 1 - i];
        len = 5 + n;
        b[len] = '\0';
    }
    loop->name_len = (uint8_t)len;
    loop->name_id = id;
    memcpy(t->dname, b, sizeof t->dname);
    return t->dname;
}

static ll_task *create_task(ll_loop *loop, ll_coro *c, const char *name, const ll_task_opts *opts,
                            const char *file, int line) {
    ll_task *t = task_alloc(loop);
    if (!t) {
        ll__coro_free(c);
        return NULL;
    }
    uint32_t id = loop->family ? ll__family_task_id(loop) : ++loop->next_task_id;
    /* ll__future_init, on a record task_alloc gave all zeros: only what is
     * not zero is written (its memset would write the lines a second time). */
    t->fut.magic = LL__MAGIC_TASK;
    t->fut.id = id;
    t->fut.loop = loop;
    t->fut.kind = LL__FK_TASK;
    t->fut.file = file;
    t->fut.line = line;
    t->stack_size = loop->default_stack;
    bool copy = loop->copy_mode;
    if (opts) {
        if (!name)
            name = opts->name;
        if (opts->stack_size)
            t->stack_size = ll__stack_round(opts->stack_size);
        if (opts->stack_mode != LL_STACK_DEFAULT)
            copy = opts->stack_mode == LL_STACK_COPY;
    }
    if (name) {
        t->name = ll__arena_strdup(loop, name);
        if (!t->name)
            t->name = "?";
    } else {
        t->name = default_name(loop, t, id);
    }
    t->fn = c->fn;
    t->arg = c->arg;
    t->coro_name = c->fn_name;
    coro_consume(loop, c);
    t->copy = LL_CTX_CAN_COPY && copy && t->stack_size <= loop->default_stack;
    t->parent = loop->current;
    t->prev_all = loop->tasks_tail;
    if (loop->tasks_tail)
        loop->tasks_tail->next_all = t;
    else
        loop->tasks_head = t;
    loop->tasks_tail = t;
    loop->ntasks++;
    LL__REC_EV(loop, TASK_NEW, id, .obj = t->parent ? t->parent->fut.id : 0,
               .str = ll__str(loop, t->name), .aux = ll__str(loop, t->coro_name),
               .val = (int64_t)t->stack_size, .file = file, .line = line);
    /* The first step goes to the back of the ready queue: creating a task
     * never runs it (R4). */
    t->state = LL__TASK_READY;
    ll__ready_push(loop, &(ll__ready){task_step, t, NULL, NULL, id, id});
    LL__REC_EV(loop, TASK_READY, id, .sub = LL_REASON_CREATED,
               .aux = (uint32_t)loop->ready.len - 1);
    if (__builtin_expect(loop->model == LL_MODEL_EAGER, 0))
        ll__model_eager(loop, t);
    return t;
}

static bool check_coro(ll_loop *loop, ll_coro *c, const char *what, const char *file, int line) {
    if (!c) {
        ll__misuse(loop, file, line, "TypeError: %s() needs a coroutine, got NULL", what);
        return false;
    }
    if (c->magic == LL__MAGIC_DEAD) {
        ll__misuse(loop, file, line,
                   "RuntimeError: %s(): this coroutine was already awaited or wrapped in a "
                   "task (a coroutine can be used once)",
                   what);
        return false;
    }
    if (c->magic != LL__MAGIC_CORO) {
        ll__misuse(loop, file, line, "TypeError: %s() needs a coroutine made by ll_coro()", what);
        return false;
    }
    return true;
}

bool ll__spawn_task(ll_coro *c, const char *file, int line) {
    ll_loop *loop = ll__running_loop;
    if (!loop || !check_coro(loop, c, "create_task", file, line)) {
        if (c && c->magic == LL__MAGIC_CORO)
            ll__coro_free(c);
        return false;
    }
    ll_task *t = create_task(loop, c, NULL, NULL, file, line);
    if (t)
        t->anon = true;
    return t != NULL;
}

ll_task *ll__create_task(ll_coro *c, const char *name, const ll_task_opts *opts, const char *file,
                         int line) {
    ll_loop *loop = ll__running_loop;
    if (!loop) {
        ll__misuse(ll__current_loop, file, line,
                   "RuntimeError: create_task() needs a running event loop: call it from a "
                   "coroutine started by ll_run()");
        if (c && c->magic == LL__MAGIC_CORO)
            ll__coro_free(c);
        return NULL;
    }
    if (!check_coro(loop, c, "create_task", file, line))
        return NULL;
    return create_task(loop, c, name, opts, file, line);
}

ll_future *ll__ensure_future(ll_loop *loop, void *aw, const char *file, int line) {
    uint32_t magic = aw ? *(uint32_t *)aw : 0;
    if (magic == LL__MAGIC_CORO)
        return (ll_future *)create_task(loop, aw, NULL, NULL, file, line);
    if (magic == LL__MAGIC_FUTURE || magic == LL__MAGIC_TASK) {
        ll_future *f = aw;
        if (f->loop != loop) {
            ll__misuse(loop, file, line,
                       "ValueError: the future (created at %s:%d) belongs to another loop",
                       f->file ? f->file : "?", f->line);
            return NULL;
        }
        return f;
    }
    check_coro(loop, aw, "ensure_future", file, line);
    return NULL;
}

/* ---- awaiting ------------------------------------------------------------------ */

/* The running task, or NULL after reporting that `what` needs one. */
static ll_task *need_task(const char *what, const char *file, int line) {
    ll_loop *loop = ll__running_loop;
    if (!loop || !loop->current) {
        ll__misuse(loop ? loop : ll__current_loop, file, line,
                   "RuntimeError: %s outside a task: only a coroutine running under "
                   "ll_run() (or a task) can await",
                   what);
        return NULL;
    }
    return loop->current;
}

/* Gives the thread up until t is resumed.  When the next entry of this pass
 * is another task's step, switch straight to it, doing what run_once and
 * run_task would have done: one switch instead of two, and the order of
 * steps is exactly the same.
 *
 * `plain` is a constant at each call: true where the caller saw
 * loop->step_slow clear (nothing recorded, nothing blocked, no coroutine
 * left unused: nothing can set it before the switch), so that this copy
 * leaves out the recorder and the step's slow checks, and keeps few values
 * alive across the switch (a smaller frame on t's stack). */
static inline __attribute__((always_inline)) void suspend_as(ll_loop *loop, ll_task *t,
                                                             const bool plain) {
    ll_task *n = next_direct(loop, t);
    if (!n) {
        ll__ctx_switch(&t->ctx, &loop->sched_ctx);
        return;
    }
    loop->pass_left--;
    if (plain) {
        if (__builtin_expect(t->unguarded, 0))
            canary_check(t);
        /* (check mode records: step_slow is set.) */
    } else {
        step_end(loop, t);
        if (__builtin_expect(loop->check, 0))
            ll__check_snapshot(loop);
    }
    ll__ready_pop(&loop->ready);
    if (!plain)
        record_run(loop, n);
    step_begin(loop, n);
    ll__ctx_switch(&t->ctx, &n->ctx);
}

static inline __attribute__((always_inline)) void suspend(ll_loop *loop, ll_task *t) {
    suspend_as(loop, t, false);
}

/* eager (models.c): t, just queued at the back, moves to the front with its
 * creator right behind it, and the creator gives the thread up: t runs at
 * once, and when it first suspends its creator goes on where it was.  Both
 * entries belong to the pass under way. */
void ll__model_eager(ll_loop *loop, ll_task *t) {
    ll_task *me = loop->current;
    if (!me || me == t || ll__running_loop != loop || me->fut.loop != loop)
        return; /* made outside a task: nothing to run ahead of */
    ll__ring *r = &loop->ready;
    r->len--; /* take t's entry back off the tail */
    if (r->len + 2 > r->cap)
        ll__ready_grow(loop);
    r->head = (r->head - 1) & (r->cap - 1);
    r->buf[r->head] = (ll__ready){task_step, me, NULL, NULL, me->fut.id, me->fut.id};
    r->head = (r->head - 1) & (r->cap - 1);
    r->buf[r->head] = (ll__ready){task_step, t, NULL, NULL, t->fut.id, t->fut.id};
    r->len += 2;
    loop->pass_left += 2;
    me->state = LL__TASK_READY;
    LL__REC_EV(loop, TASK_READY, me->fut.id, .sub = LL_REASON_YIELD, .aux = 1);
    ll_task *outer = loop->eager_pause; /* t may itself create eagerly */
    loop->eager_pause = me;
    suspend(loop, me);
    loop->eager_pause = outer;
}

static ll_value cancelled_value(void) {
    ll_value v = {LL_ERROR, LL_ECANCELLED, {.s = ""}};
    return v;
}

/* Suspends t until f is done and returns what the await evaluates to. */
static inline __attribute__((always_inline)) ll_value
wait_on_inline(ll_loop *loop, ll_task *t, ll_future *f, ll_wait_kind kind, int64_t deadline,
               uint32_t op, const char *file, int line) {
    if (ll__future_add_cb(f, ll__task_wakeup, t, NULL, t->fut.id) != 0)
        return ll_raise(LL_ENOMEM, "no memory to wait on a future");
    t->waiter = f;
    t->state = LL__TASK_WAITING;
    t->wait_kind = (uint8_t)kind;
    LL__REC_EV(loop, TASK_WAIT, t->fut.id, .sub = (uint16_t)kind, .obj = f->id, .val = deadline,
               .aux = op, .file = file, .line = line);
    /* A task that cancelled itself while running cancels what it now awaits
     * (Task.__step does the same). */
    if (t->must_cancel && ll__cancel_any(f, file, line))
        t->must_cancel = false;
    suspend(loop, t);
    t->waiter = NULL;
    t->wait_kind = LL_WAIT_NONE;
    if (t->must_cancel) {
        t->must_cancel = false;
        return cancelled_value();
    }
    return ll__future_outcome(f);
}

/* (Not inlined everywhere: only the sleep, whose frames a copy-mode task
 * keeps while it sleeps, saves a frame by it.) */
static ll_value wait_on(ll_loop *loop, ll_task *t, ll_future *f, ll_wait_kind kind,
                        int64_t deadline, uint32_t op, const char *file, int line) {
    return wait_on_inline(loop, t, f, kind, deadline, op, file, line);
}

static ll_value await_coro(ll_loop *loop, ll_task *t, ll_coro *c) {
    ll_coro_fn fn = c->fn;
    ll_value arg = c->arg;
    const char *name = c->fn_name;
    coro_consume(loop, c);
    LL__REC_EV(loop, CORO_ENTER, t->fut.id, .str = ll__str(loop, name));
    const char *outer = t->coro_name;
    t->coro_name = name;
    uint32_t base = t->scope_base;
    t->scope_base = t->nscopes;
    ll_value v = fn(arg);
    if (__builtin_expect(t->nscopes > t->scope_base, 0))
        ll__scopes_leaked(t, t->scope_base, name, v);
    t->scope_base = base;
    t->try_file = NULL;
    t->coro_name = outer;
    LL__REC_EV(loop, CORO_EXIT, t->fut.id, .str = ll__str(loop, name));
    return v;
}

ll_value ll__wait_future(ll_future *f, ll_wait_kind kind, const char *what, const char *file,
                         int line) {
    ll_task *t = need_task(what, file, line);
    if (!t)
        return ll_raise(LL_ERUNTIME, "%s outside a task", what);
    return wait_on(t->fut.loop, t, f, kind, -1, 0, file, line);
}

ll_value ll__wait_io(ll_future *f, unsigned op, const char *what, const char *file, int line) {
    ll_task *t = need_task(what, file, line);
    if (!t)
        return ll_raise(LL_ERUNTIME, "%s outside a task", what);
    return wait_on(t->fut.loop, t, f, LL_WAIT_IO, -1, op, file, line);
}

static __attribute__((noinline)) ll_value await_any(void *aw, const char *file, int line);

ll_value ll__await(void *aw, const char *file, int line) {
    /* A task of this loop that is already done: the await does not suspend
     * (R5), and is the commonest of a program that spawns tasks and then
     * collects them.  (The magic is the first word of every awaitable.)
     * Everything else is await_any's, out of line, so that this path does
     * not save the registers the general one needs. */
    ll_loop *rl = ll__running_loop;
    ll_task *d = aw;
    if (rl && rl->current && d && d->fut.magic == LL__MAGIC_TASK && d->fut.loop == rl &&
        d->fut.state != LL__FUT_PENDING) {
        d->held = true;
        return ll__future_outcome(&d->fut);
    }
    return await_any(aw, file, line);
}

static ll_value await_any(void *aw, const char *file, int line) {
    ll_task *t = need_task("ll_await()", file, line);
    uint32_t magic = aw ? *(uint32_t *)aw : 0;
    if (!t) {
        if (magic == LL__MAGIC_CORO)
            ll__coro_free(aw);
        return ll_raise(LL_ERUNTIME, "await outside a task");
    }
    ll_loop *loop = t->fut.loop;
    if (magic == LL__MAGIC_CORO) {
        if (__builtin_expect(loop->model == LL_MODEL_AWAIT_BACKGROUND, 0)) {
            /* The wrong model: the coroutine is started aside, the await
             * goes straight on, with nothing to show for it (None, whose
             * text, for code that expected a string, is empty). */
            create_task(loop, aw, NULL, NULL, file, line);
            return (ll_value){LL_NONE, 0, {.s = ""}};
        }
        return await_coro(loop, t, aw);
    }
    if (magic != LL__MAGIC_FUTURE && magic != LL__MAGIC_TASK) {
        check_coro(loop, aw, "ll_await", file, line);
        return ll_raise(LL_ETYPE, "object can't be used in 'await' expression");
    }
    ll_future *f = aw;
    if (magic == LL__MAGIC_TASK)
        ((ll_task *)aw)->held = true;
    if (f->loop != loop) {
        ll__misuse(loop, file, line,
                   "RuntimeError: awaiting a future (created at %s:%d) that belongs to "
                   "another loop",
                   f->file ? f->file : "?", f->line);
        return ll_raise(LL_ERUNTIME, "future attached to a different loop");
    }
    if (f == &t->fut) {
        ll__misuse(loop, file, line, "RuntimeError: Task cannot await on itself");
        return ll_raise(LL_ERUNTIME, "Task cannot await on itself");
    }
    /* Awaiting something already done does not suspend (R5). */
    if (f->state != LL__FUT_PENDING)
        return ll__future_outcome(f);
    ll_wait_kind kind = f->magic == LL__MAGIC_TASK ? LL_WAIT_TASK
                        : f->kind == LL__FK_GATHER ? LL_WAIT_GATHER
                        : f->kind == LL__FK_JOB    ? LL_WAIT_JOB
                                                   : LL_WAIT_FUTURE;
    return wait_on(loop, t, f, kind, -1, 0, file, line);
}

static void sleep_timer_cb(ll_loop *loop, const ll__ready *e) {
    ll_future *f = e->a;
    LL__REC_EV(loop, CB_RUN, e->tid, .obj = e->oid, .sub = LL_REASON_TIMER);
    ((ll__timer *)e->b)->a = NULL; /* tells ll__sleep the callback has run */
    /* futures._set_result_unless_cancelled */
    if (f->state == LL__FUT_PENDING)
        ll__future_complete(f, LL__FUT_FINISHED, ll_none());
}

/* A sleep's timer that fired after its sleep was over: the sleep was
 * cancelled (asyncio's handle runs and finds its future cancelled). */
static void sleep_timer_late(ll_loop *loop, const ll__ready *e) {
    LL__REC_EV(loop, CB_RUN, e->tid, .obj = e->oid, .sub = LL_REASON_TIMER);
}

/* The sleep's future and timer live in the sleeping task's frame.  When the
 * timer has fired (moved to the ready queue) but its callback has not run
 * yet, and the task leaves the sleep anyway (it was cancelled and woke
 * first), the queued callback must not reach the frame it is leaving. */
static void sleep_timer_orphan(ll_loop *loop, ll__timer *tm) {
    ll__ring *r = &loop->ready;
    for (size_t i = 0; i < r->len; i++) {
        ll__ready *e = &r->buf[(r->head + i) & (r->cap - 1)];
        if (e->fn == sleep_timer_cb && e->b == tm) {
            e->fn = sleep_timer_late;
            e->a = e->b = NULL;
            return;
        }
    }
}

/* A sleep's future and timer. */
typedef struct sleep_obj {
    ll_future fut;
    ll__timer timer;
} sleep_obj;

static inline __attribute__((always_inline)) ll_value
sleep_on(ll_loop *loop, ll_task *t, sleep_obj *so, double seconds, const char *file, int line) {
    ll_future *f = &so->fut;
    ll__future_init(f, loop, LL__MAGIC_FUTURE, LL__FK_SLEEP, ll__obj_id(loop), file, line);
    ll__timer *tm = &so->timer;
    memset(tm, 0, sizeof *tm);
    tm->heap_idx = UINT32_MAX;
    tm->id = f->id;
    tm->tid = t->fut.id;
    tm->fn = sleep_timer_cb;
    tm->a = f;
    tm->b = tm;
    int64_t when = ll__ns_add(loop->now, ll__delay_ns(seconds));
    ll__timer_arm(loop, tm, when, NULL, 0); /* the wait event says where */
    ll_value v = wait_on_inline(loop, t, f, LL_WAIT_SLEEP, when, 0, file, line);
    if (tm->heap_idx != UINT32_MAX)
        ll__timer_cancel(loop, tm);
    else if (tm->a)
        sleep_timer_orphan(loop, tm);
    ll__future_free_cbs(f);
    f->magic = 0; /* not a future any more */
    return ll_failed(v) ? v : ll_none();
}

/* Own-stack mode: the sleep's future and timer live in this frame; they
 * exist exactly as long as the sleep, and keep the task record small.  (Not
 * inlined: a copy-mode sleep's frame would carry the unused space.) */
__attribute__((noinline)) static ll_value sleep_in_frame(ll_loop *loop, ll_task *t, double seconds,
                                                         const char *file, int line) {
    sleep_obj so;
    return sleep_on(loop, t, &so, seconds, file, line);
}

/* Copy mode: the timer is read while the task's frames are away. */
__attribute__((noinline)) static ll_value sleep_on_heap(ll_loop *loop, ll_task *t, double seconds,
                                                        const char *file, int line) {
    sleep_obj *so = ll__frame_obj(NULL, sizeof *so);
    if (!so)
        return ll_raise(LL_ENOMEM, "no memory for a sleep");
    ll_value v = sleep_on(loop, t, so, seconds, file, line);
    ll__frame_obj_free(so, NULL);
    return v;
}

/* A bare yield, sleep(0): back of the queue, nothing to wait for (R11).
 * The task step every benchmark times: only t lives across the switch, so
 * the frame it leaves on t's stack is a few words. */
static inline __attribute__((always_inline)) ll_value
yield_as(ll_loop *loop, ll_task *t, const char *file, int line, const bool plain) {
    t->state = LL__TASK_READY;
    ll__ready_push_task(loop, task_step, t);
    if (!plain)
        LL__REC_EV(loop, TASK_READY, t->fut.id, .sub = LL_REASON_YIELD,
                   .aux = (uint32_t)loop->ready.len - 1, .file = file, .line = line);
    suspend_as(loop, t, plain);
    if (__builtin_expect(t->must_cancel, 0)) {
        t->must_cancel = false;
        return cancelled_value();
    }
    return ll_none();
}

/* sleep(0) in a loop that records, or whose step has more to do. */
__attribute__((noinline)) static ll_value yield_full(const char *file, int line, ll_loop *loop,
                                                     ll_task *t) {
    return yield_as(loop, t, file, line, false);
}

/* sleep(0) otherwise: the step every benchmark times.  A function of its
 * own, reached by a jump, so that all a suspended task keeps of it on its
 * stack is t and a return address. */
__attribute__((noinline)) static ll_value yield_plain(ll_loop *loop, ll_task *t) {
    return yield_as(loop, t, NULL, 0, true);
}

/* Every sleep but a running task's plain sleep(0). */
__attribute__((noinline)) static ll_value sleep_other(const char *file, int line, ll_loop *loop,
                                                      double seconds) {
    ll_task *t = need_task("ll_sleep()", file, line);
    if (!t)
        return ll_raise(LL_ERUNTIME, "ll_sleep() outside a task");
    if (isnan(seconds)) {
        ll__misuse(loop, file, line, "ValueError: sleep() delay is NaN");
        return ll_raise(LL_EVALUE, "sleep() delay is NaN");
    }
    if (__builtin_expect(loop->model == LL_MODEL_SEQUENTIAL, 0)) {
        ll__model_block(loop, t, seconds, file, line); /* nothing else runs meanwhile */
        return ll_none();
    }
    /* (seconds <= 0 took ll__sleep's path.) */
    if (__builtin_expect(t->copy, 0))
        return sleep_on_heap(loop, t, seconds, file, line);
    return sleep_in_frame(loop, t, seconds, file, line);
}

ll_value ll__sleep(double seconds, const char *file, int line) {
    /* The running task is the running loop's current one (need_task); a
     * NaN fails `<= 0` and goes the long way, to be refused there. */
    ll_loop *loop = ll__running_loop;
    ll_task *t = loop ? loop->current : NULL;
    if (__builtin_expect(t && seconds <= 0 && loop->model != LL_MODEL_SEQUENTIAL, 1)) {
        if (__builtin_expect(loop->step_slow == 0, 1))
            return yield_plain(loop, t);
        return yield_full(file, line, loop, t);
    }
    /* (The arguments in the order that leaves file and line where the
     * caller put them: this function is then three tests and a jump.) */
    return sleep_other(file, line, loop, seconds);
}

ll_value ll__try_fail(ll_value v, const char *file, int line) {
    ll_task *t = ll__current_task();
    if (t) {
        t->try_file = file;
        t->try_line = line;
        t->try_v = v;
    }
    return v;
}

/* ---- cancellation ------------------------------------------------------------------ */

bool ll__task_cancel(ll_task *t, const char *file, int line) {
    ll_loop *loop = t ? t->fut.loop : ll__running_loop;
    if (!ll__task_from(t)) {
        ll__misuse(loop, file, line, "TypeError: ll_task_cancel() needs a task");
        return false;
    }
    t->held = true;
    /* Like Task.cancel: asking to cancel also means "I have seen it". */
    t->fut.retrieved = true;
    bool done = t->fut.state != LL__FUT_PENDING;
    LL__REC_EV(loop, CANCEL, ll__cur_tid(loop), .obj = t->fut.id, .aux = !done, .file = file,
               .line = line);
    if (done)
        return false;
    t->num_cancels++;
    if (t->waiter && ll__cancel_any(t->waiter, file, line))
        return true;
    t->must_cancel = true;
    return true;
}

/* ---- queries -------------------------------------------------------------------- */

uint32_t ll_task_cancelling(const ll_task *t) {
    return t ? t->num_cancels : 0;
}

uint32_t ll_task_uncancel(ll_task *t) {
    if (!t)
        return 0;
    if (t->num_cancels > 0)
        t->num_cancels--;
    if (t->cancels_kept > t->num_cancels)
        t->cancels_kept = t->num_cancels;
    return t->num_cancels;
}

bool ll_task_done(const ll_task *t) {
    return t && t->fut.state != LL__FUT_PENDING;
}
bool ll_task_cancelled(const ll_task *t) {
    return t && t->fut.state == LL__FUT_CANCELLED;
}
const char *ll_task_name(const ll_task *t) {
    return t ? t->name : "(null)";
}
uint32_t ll_task_id(const ll_task *t) {
    return t ? t->fut.id : 0;
}

ll_value ll_task_result(ll_task *t) {
    if (!ll__task_from(t))
        return ll_raise(LL_ETYPE, "not a task");
    t->held = true;
    if (t->fut.state == LL__FUT_PENDING)
        return ll_raise(LL_EINVALID_STATE, "Result is not set.");
    return ll__future_outcome(&t->fut);
}

ll_task *ll_current_task(void) {
    ll_task *t = ll__current_task();
    if (t)
        t->anon = false; /* the program may keep it now */
    return t;
}

size_t ll_all_tasks(ll_task **out, size_t max) {
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    size_t n = 0;
    if (!loop)
        return 0;
    for (ll_task *t = loop->tasks_head; t; t = t->next_all) {
        if (t->fut.state != LL__FUT_PENDING)
            continue;
        if (out && n < max) {
            out[n] = t;
            t->anon = false;
        }
        n++;
    }
    return n;
}

void ll__task_free(ll_loop *loop, ll_task *t) {
    if (t->stack.map)
        ll__stack_free(loop->stacks, &t->stack);
    if (t->copy)
        copy_release(loop, t);
    ll__future_free_cbs(&t->fut);
    free(t->scopes);
    t->scopes = NULL;
    /* The memory goes back with its slab (ll__task_slabs_free). */
}
