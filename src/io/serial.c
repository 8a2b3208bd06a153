/* serial.c - one call at a time on the thread pool, for a resource two
 * workers must not share at once (see io.h). */
#include "io.h"

#include <string.h>

int ll__serial_init(ll__serial *s, const char *name, void (*free_req)(void *), const char *file,
                    int line) {
    memset(s, 0, sizeof *s);
    s->free_req = free_req;
    s->lock = ll__lock_new(name, file, line);
    return s->lock ? 0 : LL_ENOMEM;
}

ll_value ll__serial_enter(ll__serial *s, const char *file, int line) {
    ll_value r = ll__lock_acquire(s->lock, file, line);
    if (ll_failed(r) || !s->pend)
        return r;
    /* A cancelled call's job may still be running: wait until it is over. */
    ll_future *over = ll__job_over(s->pend, file, line);
    if (over) {
        ll_value w = ll__await(over, file, line);
        if (ll_failed(w)) {
            ll__lock_release(s->lock, file, line);
            return w;
        }
    }
    ll__serial_drop(s);
    return ll_none();
}

void ll__serial_leave(ll__serial *s, const char *file, int line) {
    ll__lock_release(s->lock, file, line);
}

ll_value ll__serial_run(ll__serial *s, ll_blocking_fn fn, void *req, atomic_int *stop,
                        const char *label, bool *kept, const char *file, int line) {
    *kept = false;
    ll_future *f = ll__run_in_executor(fn, ll_ptr(req), label, file, line);
    if (!f) {
        ll__lock_release(s->lock, file, line);
        return ll_raise(LL_ERUNTIME, "could not hand %s to the thread pool", label);
    }
    ll_value v = ll__await(f, file, line);
    ll__lock_release(s->lock, file, line);
    if (ll_except(v, LL_ECANCELLED) && ll__job_over(f, file, line)) {
        atomic_store(stop, 1);
        s->pend = f;
        s->pend_req = req;
        *kept = true;
    }
    return v;
}

void ll__serial_drop(ll__serial *s) {
    if (s->pend_req && s->free_req)
        s->free_req(s->pend_req);
    s->pend = NULL;
    s->pend_req = NULL;
}
