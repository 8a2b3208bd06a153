/* io.h - what the HTTP layer and the slow web need from the streams
 * (src/io/stream.c), beyond the public API. */
#ifndef LL_IO_IO_H
#define LL_IO_IO_H

#include "../sched/internal.h"

#include <stdatomic.h>

/* ---- handles (handles.c) ----
 * A table of objects the program holds by handle: an odd pointer naming an
 * entry and the object's serial, so that a handle kept after its object was
 * freed (or taken to another loop) is refused rather than read. */
typedef struct ll__hent {
    void *obj;          /* NULL: a free entry */
    uint32_t serial;    /* the object's, as its handle says */
    uint32_t next_free; /* while free: the next free entry + 1, or 0 */
} ll__hent;
typedef struct ll__htab {
    ll__hent *e;
    uint32_t n, cap;
    uint32_t free; /* the first free entry + 1, or 0 */
} ll__htab;
/* A new handle for obj, or NULL (out of memory). */
void *ll__h_put(ll__htab *t, void *obj);
/* The object a handle names in t, or NULL: not a handle, or a stale one. */
void *ll__h_get(const ll__htab *t, const void *h);
/* The object is freed: its handle stops matching. */
void ll__h_drop(ll__htab *t, const void *h);
void ll__h_free(ll__htab *t);
/* Whether p looks like a handle at all (odd), stale or not. */
bool ll__h_is_handle(const void *p);
/* The loop's table of databases (NULL when out of memory). */
ll__htab *ll__io_dbs(ll_loop *loop);

/* The bytes buffered on a stream, without copying them out. */
const char *ll__stream_peek(ll_stream *s, size_t *len);
/* Drops the first n buffered bytes (they were used). */
void ll__stream_consume(ll_stream *s, size_t n);
/* Waits until more bytes are buffered: None (*ended set when the stream
 * ended instead), or the stream's error, or CancelledError.  On a stream a
 * server accepted, the error's message is libuv's (static), not one that
 * names the peer (kept in the loop's arena): only the HTTP server's own
 * reading calls it there, and it looks at the code. */
ll_value ll__stream_more(ll_stream *s, bool *ended, const char *file, int line);
/* ll_stream_drain for the HTTP server's own use: an error comes back with
 * libuv's static message (see ll__stream_more). */
ll_value ll__stream_settle(ll_stream *s, const char *file, int line);
/* The caller is done with the stream: it is freed once it is closed (for
 * the HTTP session's connections, which nobody waits to see closed). */
void ll__stream_release(ll_stream *s);
/* Whether the stream can still be written to (not closing, not broken). */
bool ll__stream_writable(const ll_stream *s);
/* How many streams the loop holds (open, or closed and not yet freed). */
size_t ll__io_streams(const ll_loop *loop);
/* Calls fn(arg) when the loop closes, before its sockets are closed.  The
 * returned handle can be passed to ll__io_forget once fn is not needed. */
void *ll__io_at_close(ll_loop *loop, void (*fn)(void *), void *arg);
void ll__io_forget(ll_loop *loop, void *handle);

/* One thing at a time on the thread pool, for a resource that cannot be
 * used by two workers at once (a database connection, a file's position).
 * Calls take turns on a lock (named in the trace).  A call whose task is
 * cancelled while its job runs returns at once, as asyncio.to_thread does;
 * its request stays here until the job is over, and the next call waits
 * for that first. */
typedef struct ll__serial {
    ll_lock *lock;
    ll_future *pend; /* a cancelled call's job, maybe still running */
    void *pend_req;  /* and its request */
    void (*free_req)(void *req);
} ll__serial;

/* Makes the lock; 0, or LL_ENOMEM. */
int ll__serial_init(ll__serial *s, const char *name, void (*free_req)(void *), const char *file,
                    int line);
/* Waits for this call's turn: None, or the error (cancelled). */
ll_value ll__serial_enter(ll__serial *s, const char *file, int line);
/* Gives the turn back without running anything. */
void ll__serial_leave(ll__serial *s, const char *file, int line);
/* In its turn: runs fn(req) on the pool and gives the turn back.  Returns
 * the job's value.  When the caller is cancelled while the job runs, *stop
 * is set (the job should look at it), req is kept (*kept = true) and freed
 * once the job is over; otherwise req is still the caller's. */
ll_value ll__serial_run(ll__serial *s, ll_blocking_fn fn, void *req, atomic_int *stop,
                        const char *label, bool *kept, const char *file, int line);
/* At loop close (every job is over): frees a kept request. */
void ll__serial_drop(ll__serial *s);

#endif
