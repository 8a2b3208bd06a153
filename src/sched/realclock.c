/* realclock.c - the real clock: the same loop, polling through libuv.
 *
 * asyncio's loop waits in select()/epoll with a timeout: zero when something
 * is ready, else until the earliest timer.  Here libuv is that selector:
 * uv_run(UV_RUN_NOWAIT) when something is ready, else one uv_timer armed for
 * the earliest deadline and uv_run(UV_RUN_ONCE), which returns as soon as the
 * timer or any real I/O fires.  Our own timer heap stays the source of truth
 * for deadlines (nanoseconds, ties in arming order), so both clocks run the
 * identical run_once and differ only in how time passes. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

typedef struct ll__uvstate {
    uv_loop_t loop;  /* the libuv loop real I/O will register on */
    uv_timer_t wake; /* armed for the earliest deadline while polling */
    uint64_t base;   /* uv_hrtime() when the loop started: time 0 */
} ll__uvstate;

void ll__std_fds_guard(void) {
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        /* open() returns the lowest free descriptor: this one. */
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0 && nul != fd)
            close(nul); /* another thread took fd first: it is open now */
    }
}

int ll__uv_init(ll_loop *loop) {
    /* A program started with stdout closed (`prog >&-`) would otherwise
     * have libuv's first descriptor land on 1 and abort on its assertion. */
    ll__std_fds_guard();
    ll__uvstate *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    if (uv_loop_init(&s->loop) != 0) {
        free(s);
        return -1;
    }
    uv_timer_init(&s->loop, &s->wake);
    s->base = uv_hrtime();
    loop->uv = s;
    return 0;
}

void *ll__uv_loop(ll_loop *loop) {
    if (!loop->uv && ll__uv_init(loop) != 0)
        return NULL;
    return &((ll__uvstate *)loop->uv)->loop;
}

/* The timer only has to end uv_run's wait; run_once does the rest. */
static void wake_cb(uv_timer_t *t) {
    (void)t;
}

void ll__uv_poll(ll_loop *loop, int64_t timeout_ns) {
    ll__uvstate *s = loop->uv;
    if (timeout_ns == 0) {
        uv_run(&s->loop, UV_RUN_NOWAIT);
        return;
    }
    if (timeout_ns > 0) {
        /* Round up: waking a little late costs nothing, waking early costs
         * a spin around the loop. */
        uint64_t ms = (uint64_t)((timeout_ns + 999999) / 1000000);
        uv_update_time(&s->loop);
        uv_timer_start(&s->wake, wake_cb, ms, 0);
        uv_run(&s->loop, UV_RUN_ONCE);
        uv_timer_stop(&s->wake);
        return;
    }
    if (uv_loop_alive(&s->loop))
        uv_run(&s->loop, UV_RUN_ONCE);
}

int64_t ll__uv_now(ll_loop *loop) {
    ll__uvstate *s = loop->uv;
    return (int64_t)(uv_hrtime() - s->base);
}

bool ll__uv_alive(ll_loop *loop) {
    ll__uvstate *s = loop->uv;
    return s && uv_loop_alive(&s->loop);
}

void ll__uv_close(ll_loop *loop) {
    ll__uvstate *s = loop->uv;
    if (!s)
        return;
    uv_close((uv_handle_t *)&s->wake, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&s->loop) != 0)
        fputs("looplab: libuv still had open handles when the loop closed\n", stderr);
    free(s);
    loop->uv = NULL;
}
