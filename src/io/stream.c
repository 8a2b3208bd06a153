/* stream.c - TCP streams and servers on libuv, asyncio's open_connection and
 * start_server.
 *
 * A stream reads all the time, as asyncio's transports do: libuv hands the
 * bytes to read_cb, which appends them to the stream's buffer, and reading
 * pauses once the buffer holds more than twice the limit (asyncio's
 * StreamReader pauses the transport the same way).  A task that wants bytes
 * the buffer does not have parks on a waiter future.  Waking it takes two
 * trips through the ready queue, as in asyncio, where the selector queues
 * the transport's _read_ready handle, which feeds the reader, which
 * completes the waiter, which queues the task: here the libuv callback
 * queues an `io` callback, which completes the waiter.
 *
 * Writes try the socket at once (uv_try_write) and queue the rest; drain
 * waits while more than the high-water mark is queued.
 *
 * Every libuv callback runs inside the loop's poll phase, on the loop's
 * thread; none of them runs task code.
 *
 * A program holds a stream by a handle (handles.c), not by its address.  A
 * stream a server accepted is freed
 * once its handler has returned and it is closed, and a client stream once
 * it was closed and waited for (or its session let it go): a server that
 * runs for days holds only the connections that are open.  A handle kept
 * past that, or taken to another loop, no longer matches its slot, and
 * every call refuses it with a message instead of reading freed memory. */
#include "io.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

enum { WAKE_READ = 1, WAKE_WRITE = 2, WAKE_CLOSE = 3 };

enum {
    MAGIC_STREAM = 0x4c4c5354, /* "LLST" */
    MAGIC_SERVER = 0x4c4c5356, /* "LLSV" */
    READ_LIMIT = 64 * 1024,    /* StreamReader's default limit */
    READ_FIRST = 4 * 1024,     /* the first read's size; doubled up to
                                  READ_LIMIT each time a read fills it */
    HIGH_WATER = 64 * 1024,    /* drain() waits above this many queued bytes */
    LOW_WATER = 16 * 1024,     /* and resumes at or below this many */
    LISTEN_BACKLOG = 4096
};

typedef struct closer {
    void (*fn)(void *);
    void *arg;
    struct closer *prev, *next;
} closer;

typedef struct ll__io {
    closer *closers;    /* sessions and HTTP servers to clean up */
    ll_stream *streams; /* the streams of the loop not yet freed */
    ll_stream *done;    /* finished streams a waiting task still holds */
    ll_server *servers;
    ll__htab stab; /* the streams' handles */
    ll__htab dbs;  /* the databases' handles (db.c) */
    bool closing;  /* the loop is closing: callbacks only clean up */
} ll__io;

struct ll_stream {
    uint32_t magic; /* MAGIC_STREAM */
    uint32_t id;    /* object id: the `sock` of io events */
    ll_loop *loop;
    uv_tcp_t tcp;
    uint8_t role;   /* ll_io_role */
    bool inited;    /* tcp is a libuv handle (uv_tcp_init ran) */
    bool connected; /* usable for reading and writing */
    bool closing;   /* close() was called or the handle is closing */
    bool closed;    /* the handle is gone */
    bool reading;   /* uv_read_start is on */
    bool eof;       /* the peer closed its side */
    bool wrote_eof;
    bool wake_q[4];     /* an io callback is queued, by WAKE_* */
    int err;            /* the first error that broke the stream (libuv code) */
    const char *errmsg; /* its message (arena) */
    char *buf;          /* received bytes: buf[head, head + len) */
    size_t head, len, cap;
    size_t chunk;           /* room offered to the next read (READ_FIRST..) */
    size_t offered;         /* room offered to the read in progress */
    size_t wpending;        /* bytes queued in libuv, not yet written */
    ll_future *wait[4];     /* the task waiting, by WAKE_*: for bytes (or to
                               connect), in drain(), in wait_closed() */
    uint32_t wait_tid[4];   /* and its id */
    ll_server *server;      /* the server that accepted it, if any */
    char addr[80];          /* the peer, "127.0.0.1:8080" */
    int connect_status;     /* connect_cb's status */
    void *handle;           /* what the program holds (handles.c) */
    bool in_handler;        /* a server's handler has it */
    bool released;          /* the program is done with it: free once closed */
    bool on_done;           /* on io->done */
    ll_stream *prev, *next; /* io->streams */
    ll_stream *done_next;   /* io->done */
};

struct ll_server {
    uint32_t magic; /* MAGIC_SERVER */
    uint32_t id;
    ll_loop *loop;
    uv_tcp_t tcp;
    bool open;
    ll_coro_fn handler;
    const char *handler_name;
    void *data;
    int port;
    char addr[80];
    const char *file; /* where it was started, for the tasks' sites */
    int line;
    uint64_t accepted;
    ll_server *next;
};

typedef struct write_req {
    uv_write_t req;
    ll_stream *s;
    size_t n;
    char data[];
} write_req;

/* ---- helpers ------------------------------------------------------------ */

static ll_stream *stream_of(const ll_stream *h, const char **why);

static void io_shutdown(ll_loop *loop);
static void io_describe(const ll_loop *loop, uint32_t id, char *buf, size_t n);
static const ll__layer_hooks io_hooks = {io_shutdown, io_describe};

/* The loop's I/O state, made (and its hooks registered) on first use. */
static ll__io *io_of(ll_loop *loop) {
    if (!loop->io) {
        loop->io = calloc(1, sizeof(ll__io));
        loop->io_hooks = loop->io ? &io_hooks : NULL;
    }
    return loop->io;
}

/* libuv callbacks run between steps: bring the loop's clock up to date so
 * their events carry the moment they happened. */
static void io_clock(ll_loop *loop) {
    if (loop->real && loop->uv)
        loop->now = ll__uv_now(loop);
}

static void rec_io(ll_loop *loop, uint32_t id, ll_io_op op, int64_t bytes, const char *detail,
                   const char *file, int line) {
    if (!LL__REC(loop))
        return;
    LL__EV(loop, IO, ll__cur_tid(loop), .obj = id, .sub = (uint16_t)op, .val = bytes,
           .str = detail ? ll__str(loop, detail) : 0, .file = file, .line = line);
}

static void rec_io_new(ll_loop *loop, uint32_t id, ll_io_role role, const char *addr,
                       const char *file, int line) {
    if (!LL__REC(loop))
        return;
    LL__EV(loop, IO_NEW, ll__cur_tid(loop), .obj = id, .sub = (uint16_t)role,
           .str = ll__str(loop, addr), .file = file, .line = line);
}

/* The error code a libuv error becomes at the await point. */
static int code_of(int uverr) {
    switch (uverr) {
    case UV_ECONNREFUSED: return LL_ECONNECTION_REFUSED;
    case UV_ECONNRESET:
    case UV_EPIPE:
    case UV_ECONNABORTED: return LL_ECONNECTION_RESET;
    case UV_ETIMEDOUT: return LL_ETIMEOUT;
    case UV_ECANCELED: return LL_ECANCELLED;
    default: return LL_EOS;
    }
}

static void format_addr(const struct sockaddr *sa, char *buf, size_t n) {
    char host[64] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        uv_ip4_name(in, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(buf, n, "%s:%d", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        uv_ip6_name(in6, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(buf, n, "[%s]:%d", host, port);
    } else {
        snprintf(buf, n, "?");
    }
}

/* The peer's address, for messages and the trace.  A server learns it
 * only when first asked (one system call fewer per connection when nothing
 * records or fails). */
static const char *peer(ll_stream *s) {
    if (s->addr[0] == '?' && s->role == LL_IO_ROLE_SERVER && s->inited && !s->closed) {
        struct sockaddr_storage ss;
        int len = sizeof ss;
        if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&ss, &len) == 0)
            format_addr((struct sockaddr *)&ss, s->addr, sizeof s->addr);
    }
    return s->addr;
}

static ll_task *need_real(ll_loop **loopp, const char *what, const char *file, int line) {
    ll_loop *loop = ll__running_loop;
    ll_task *t = loop ? loop->current : NULL;
    *loopp = loop;
    if (!t) {
        ll__misuse(loop, file, line, "RuntimeError: %s must be called from a task", what);
        return NULL;
    }
    if (!loop->real) {
        ll__misuse(loop, file, line,
                   "RuntimeError: %s needs the real clock: sockets cannot run on the virtual "
                   "clock (set ll_loop_opts.clock = LL_CLOCK_REAL, or LOOPLAB_CLOCK=real)",
                   what);
        return NULL;
    }
    return t;
}

/* The error of a call given a bad handle: a stale one is a RuntimeError
 * (the stream was real), anything else a TypeError. */
static int bad_code(const ll_stream *h) {
    return h && ((uintptr_t)h & 1u) ? LL_ERUNTIME : LL_ETYPE;
}

static ll_stream *check_stream(const ll_stream *h, const char *what, const char *file, int line) {
    const char *why;
    ll_stream *s = stream_of(h, &why);
    if (!s)
        ll__misuse(ll__running_loop, file, line, "%s: %s needs a stream (got %s)",
                   bad_code(h) == LL_ERUNTIME ? "RuntimeError" : "TypeError", what, why);
    return s;
}

/* ---- handles ---------------------------------------------------------------- */

static ll_stream *handle_of(const ll_stream *s) {
    return s->handle;
}

/* The stream a handle names on this thread's loop, or NULL: *why says
 * whether it was never a stream or is one no longer. */
static ll_stream *stream_of(const ll_stream *h, const char **why) {
    *why = !h ? "NULL" : "something else";
    if (!ll__h_is_handle(h))
        return NULL;
    *why = "a stream that was closed and freed, or that belongs to another loop";
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    ll_stream *s = loop && loop->io ? ll__h_get(&loop->io->stab, h) : NULL;
    return s && s->magic == MAGIC_STREAM ? s : NULL;
}

static void buf_release(char *b, size_t cap);

/* Frees a stream: its handle stops matching from here on. */
static void stream_free(ll__io *io, ll_stream *s) {
    ll__h_drop(&io->stab, s->handle);
    if (s->prev)
        s->prev->next = s->next;
    else
        io->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    buf_release(s->buf, s->cap);
    free((char *)s->errmsg);
    s->magic = 0;
    free(s);
}

/* No task is inside a call on s (a call that waits has a waiter in
 * s->wait, and keeps it until it returns) and no wake-up is queued. */
static bool unused(const ll_stream *s) {
    for (int i = 0; i < 4; i++)
        if (s->wait[i] || s->wake_q[i])
            return false;
    return true;
}

/* Frees s if everybody is done with it: the program (a handler that
 * returned, a close that was waited for) and libuv (the handle closed).
 * One that a waiting task still holds is freed on a later sweep. */
static void maybe_free(ll_stream *s) {
    ll__io *io = s->loop->io;
    if (!io || io->closing || !s->released || s->in_handler || !s->closed)
        return;
    if (unused(s)) {
        if (!s->on_done)
            stream_free(io, s);
        return;
    }
    if (!s->on_done) {
        s->on_done = true;
        s->done_next = io->done;
        io->done = s;
    }
}

/* Frees the finished streams no task holds any more.  Runs between steps
 * (from libuv callbacks), when no call on a stream is half-way. */
static void sweep(ll__io *io) {
    for (ll_stream **p = &io->done; *p;) {
        ll_stream *s = *p;
        if (unused(s)) {
            *p = s->done_next;
            stream_free(io, s);
        } else {
            p = &s->done_next;
        }
    }
}

/* The error a broken stream gives. */
static ll_value stream_error(ll_stream *s) {
    return ll_raise(code_of(s->err), "%s", s->errmsg ? s->errmsg : "connection lost");
}

/* The same for the library's own server, which looks at the code only:
 * libuv's words, which are static.  (ll_raise copies its message into the
 * loop's arena, where it stays until the loop closes: a server that runs
 * for days would keep one per reset connection.) */
static ll_value quiet_error(const ll_stream *s) {
    return (ll_value){LL_ERROR, code_of(s->err), {.s = uv_strerror(s->err)}};
}

static void set_error(ll_stream *s, int uverr, const char *doing) {
    if (s->err)
        return;
    s->err = uverr;
    char msg[256];
    snprintf(msg, sizeof msg, "%s %s: %s [%s]", doing, peer(s), uv_strerror(uverr),
             uv_err_name(uverr));
    s->errmsg = strdup(msg); /* freed with the stream, not kept by the loop */
    rec_io(s->loop, s->id, LL_IO_OP_ERROR, 0, msg, NULL, 0);
}

/* ---- waking waiters ------------------------------------------------------- */

static void io_ready_cb(ll_loop *loop, const ll__ready *e) {
    ll_stream *s = e->a;
    int which = (int)(intptr_t)e->b;
    LL__REC_EV(loop, CB_RUN, e->tid, .obj = e->oid, .sub = LL_REASON_IO);
    s->wake_q[which] = false;
    ll_future *f = s->wait[which];
    if (f && f->state == LL__FUT_PENDING)
        ll__future_complete(f, LL__FUT_FINISHED, ll_none());
}

/* Queues the io callback that wakes the task waiting in `which`, if any. */
static void wake(ll_stream *s, int which) {
    ll_loop *loop = s->loop;
    ll_future *f = s->wait[which];
    if (!f || f->state != LL__FUT_PENDING || s->wake_q[which] || (loop->io && loop->io->closing))
        return;
    s->wake_q[which] = true;
    /* The owner in the trace is the waiting task: its wake-up is what this
     * callback is for. */
    uint32_t tid = s->wait_tid[which];
    ll__ready_push(loop, &(ll__ready){io_ready_cb, s, (void *)(intptr_t)which, NULL, tid, s->id});
    LL__REC_EV(loop, CB_QUEUED, tid, .obj = s->id, .sub = LL_REASON_IO,
               .aux = (uint32_t)loop->ready.len - 1);
}

/* Parks the running task until the waiter in slot `which` is completed. */
static ll_value park(ll_stream *s, int which, ll_io_op op, const char *what, const char *file,
                     int line) {
    ll_future w;
    ll__future_init(&w, s->loop, LL__MAGIC_FUTURE, LL__FK_IO, s->id, file, line);
    s->wait[which] = &w;
    s->wait_tid[which] = ll__cur_tid(s->loop);
    ll_value v = ll__wait_io(&w, op, what, file, line);
    s->wait[which] = NULL;
    ll__future_free_cbs(&w);
    return v;
}

/* ---- reading ------------------------------------------------------------- */

/* Offers the next read at least s->chunk bytes.  Most messages are small:
 * a connection starts with a few KiB and grows its reads only while they
 * come back full, so a thousand open connections do not hold 64 KiB each. */
/* ---- first read buffers ---------------------------------------------------
 * A connection's first reads get READ_FIRST bytes.  A client or server that
 * opens connections by the thousand would malloc and free these by the
 * thousand, and glibc gives the freed top of the heap back to the kernel, so
 * the next burst faults fresh pages in again.  Each thread keeps up to
 * FIRST_KEEP of them for the next connections instead (4 MiB at most). */
enum { FIRST_KEEP = 1024 };
typedef struct first_bufs {
    size_t n;
    char *b[FIRST_KEEP];
} first_bufs;
static _Thread_local first_bufs *spare;
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spare_free(void *p) {
    first_bufs *f = p;
    for (size_t i = 0; i < f->n; i++)
        free(f->b[i]);
    free(f);
}
static void spare_at_exit(void) { /* the main thread's; others' go with their thread */
    if (spare)
        spare_free(spare);
    spare = NULL;
}
static void spare_setup(void) {
    pthread_key_create(&spare_key, spare_free);
    atexit(spare_at_exit);
}

static char *buf_first(void) {
    return spare && spare->n ? spare->b[--spare->n] : malloc(READ_FIRST);
}

/* Frees a stream's buffer, or keeps it for the next connection. */
static void buf_release(char *b, size_t cap) {
    if (b && cap == READ_FIRST) {
        if (!spare) {
            pthread_once(&spare_once, spare_setup);
            spare = calloc(1, sizeof *spare);
            if (spare)
                pthread_setspecific(spare_key, spare);
        }
        if (spare && spare->n < FIRST_KEEP) {
            spare->b[spare->n++] = b;
            return;
        }
    }
    free(b);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *out) {
    (void)suggested;
    ll_stream *s = h->data;
    if (!s->chunk)
        s->chunk = READ_FIRST;
    if (s->head && s->head + s->len + s->chunk > s->cap) {
        memmove(s->buf, s->buf + s->head, s->len);
        s->head = 0;
    }
    if (s->len + s->chunk > s->cap) {
        size_t cap = s->cap ? s->cap : s->chunk;
        while (cap < s->len + s->chunk)
            cap *= 2;
        char *nb = !s->buf && cap == READ_FIRST ? buf_first() : realloc(s->buf, cap);
        if (!nb) {
            *out = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS */
            return;
        }
        s->buf = nb;
        s->cap = cap;
    }
    s->offered = s->cap - s->head - s->len;
    *out = uv_buf_init(s->buf + s->head + s->len, (unsigned)s->offered);
}

static void read_cb(uv_stream_t *h, ssize_t nread, const uv_buf_t *b) {
    (void)b;
    ll_stream *s = h->data;
    ll_loop *loop = s->loop;
    if (nread == 0)
        return;
    io_clock(loop);
    if (nread > 0) {
        s->len += (size_t)nread;
        if ((size_t)nread == s->offered && s->chunk < READ_LIMIT)
            s->chunk *= 2; /* more was waiting, likely: read more at once */
        rec_io(loop, s->id, LL_IO_OP_READ, nread, NULL, NULL, 0);
        if (s->len >= 2 * READ_LIMIT) {
            uv_read_stop(h);
            s->reading = false;
        }
    } else {
        uv_read_stop(h);
        s->reading = false;
        if (nread == UV_EOF) {
            s->eof = true;
            rec_io(loop, s->id, LL_IO_OP_EOF, 0, NULL, NULL, 0);
        } else {
            set_error(s, (int)nread, "reading from");
        }
        wake(s, WAKE_WRITE);
    }
    wake(s, WAKE_READ);
}

static void start_reading(ll_stream *s) {
    if (s->reading || s->eof || s->err || s->closing || !s->connected)
        return;
    if (uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) == 0)
        s->reading = true;
}

static void consumed(ll_stream *s, size_t n) {
    s->head += n;
    s->len -= n;
    if (!s->len)
        s->head = 0;
    if (s->len < READ_LIMIT)
        start_reading(s);
}

/* Waits until the buffer has more than `have` bytes, or the stream ended or
 * broke.  Returns None or CancelledError. */
static ll_value wait_data(ll_stream *s, const char *what, const char *file, int line) {
    if (s->wait[WAKE_READ]) {
        ll__misuse(s->loop, file, line,
                   "RuntimeError: %s called while another task is already waiting for data "
                   "from %s",
                   what, peer(s));
        return ll_raise(LL_ERUNTIME, "another task is already waiting to read from %s", peer(s));
    }
    start_reading(s);
    return park(s, WAKE_READ, LL_IO_OP_READ, what, file, line);
}

ll_value ll__stream_read(ll_stream *h, void *buf, size_t n, int exactly, const char *file,
                         int line) {
    const char *what = exactly ? "ll_stream_readexactly()" : "ll_stream_read()";
    ll_stream *s = check_stream(h, what, file, line);
    if (!s)
        return ll_raise(bad_code(h), "%s needs a stream", what);
    if (!buf && n) {
        ll__misuse(s->loop, file, line, "ValueError: %s into a NULL buffer", what);
        return ll_raise(LL_EVALUE, "%s into a NULL buffer", what);
    }
    size_t got = 0;
    for (;;) {
        if (s->len) {
            size_t k = s->len < n - got ? s->len : n - got;
            memcpy((char *)buf + got, s->buf + s->head, k);
            got += k;
            consumed(s, k);
            if (!exactly || got == n)
                return ll_int((int64_t)got);
        }
        if (n == 0)
            return ll_int(0);
        if (s->err)
            return stream_error(s);
        if (s->eof || s->closing) {
            if (!exactly)
                return ll_int((int64_t)got);
            return ll_raise(LL_EINCOMPLETE_READ,
                            "%zu bytes read on a total of %zu expected bytes from %s", got, n,
                            peer(s));
        }
        ll_value v = wait_data(s, what, file, line);
        if (ll_failed(v))
            return v;
    }
}

static const char *find_sep(const char *p, size_t n, const char *sep, size_t seplen) {
    if (n == 0)
        return NULL; /* an empty buffer may have no storage yet */
    if (seplen == 1)
        return memchr(p, sep[0], n);
    for (size_t i = 0; i + seplen <= n; i++)
        if (p[i] == sep[0] && memcmp(p + i, sep, seplen) == 0)
            return p + i;
    return NULL;
}

ll_value ll__stream_readuntil(ll_stream *h, void *buf, size_t cap, const char *sep,
                              const char *file, int line) {
    const char *what = "ll_stream_readuntil()";
    ll_stream *s = check_stream(h, what, file, line);
    if (!s)
        return ll_raise(bad_code(h), "%s needs a stream", what);
    if (!sep || !*sep) {
        ll__misuse(s->loop, file, line, "ValueError: Separator should be at least one-byte string");
        return ll_raise(LL_EVALUE, "Separator should be at least one-byte string");
    }
    size_t seplen = strlen(sep);
    for (;;) {
        const char *hit = find_sep(s->buf + s->head, s->len, sep, seplen);
        if (hit) {
            size_t k = (size_t)(hit - (s->buf + s->head)) + seplen;
            if (k > cap)
                return ll_raise(LL_ELIMIT_OVERRUN,
                                "Separator is found, but chunk is longer than the buffer "
                                "(%zu > %zu bytes)",
                                k, cap);
            memcpy(buf, s->buf + s->head, k);
            if (k < cap)
                ((char *)buf)[k] = '\0';
            consumed(s, k);
            return ll_int((int64_t)k);
        }
        if (s->len >= cap)
            return ll_raise(LL_ELIMIT_OVERRUN,
                            "Separator is not found, and chunk exceeds the buffer (%zu bytes)",
                            cap);
        if (s->err)
            return stream_error(s);
        if (s->eof || s->closing) {
            size_t got = s->len;
            if (got)
                memcpy(buf, s->buf + s->head, got);
            consumed(s, got);
            return ll_raise(LL_EINCOMPLETE_READ,
                            "%zu bytes read on a total of undefined expected bytes from %s "
                            "(the stream ended before the separator)",
                            got, peer(s));
        }
        ll_value v = wait_data(s, what, file, line);
        if (ll_failed(v))
            return v;
    }
}

bool ll_stream_at_eof(const ll_stream *h) {
    const char *why;
    const ll_stream *s = stream_of(h, &why);
    return s && (s->eof || s->closing) && s->len == 0;
}

const char *ll_stream_peer(const ll_stream *h) {
    const char *why;
    ll_stream *s = stream_of(h, &why);
    return s ? peer(s) : ""; /* fills a cache */
}

void *ll_stream_server_data(const ll_stream *h) {
    const char *why;
    const ll_stream *s = stream_of(h, &why);
    return s && s->server ? s->server->data : NULL;
}

/* Internal access for the HTTP layer (which holds handles, as a program
 * does): the buffered bytes without copying. */
static ll_stream *live(const ll_stream *h) {
    const char *why;
    return stream_of(h, &why);
}
const char *ll__stream_peek(ll_stream *h, size_t *len) {
    ll_stream *s = live(h);
    *len = s ? s->len : 0;
    return s ? s->buf + s->head : "";
}
void ll__stream_consume(ll_stream *h, size_t n) {
    ll_stream *s = live(h);
    if (s)
        consumed(s, n);
}
bool ll__stream_writable(const ll_stream *h) {
    const ll_stream *s = live(h);
    return s && s->connected && !s->closing && !s->wrote_eof && !s->err;
}
void ll__stream_release(ll_stream *h) {
    ll_stream *s = live(h);
    if (s) {
        s->released = true;
        maybe_free(s);
    }
}
/* Waits for more bytes: None when some arrived, or the stream ended (then
 * *ended is set), or an error. */
ll_value ll__stream_more(ll_stream *h, bool *ended, const char *file, int line) {
    ll_stream *s = live(h);
    *ended = true;
    if (!s)
        return ll_none();
    size_t had = s->len;
    *ended = false;
    for (;;) {
        if (s->len > had)
            return ll_none();
        if (s->err) /* only the HTTP server reads a server's stream here */
            return s->role == LL_IO_ROLE_SERVER ? quiet_error(s) : stream_error(s);
        if (s->eof || s->closing) {
            *ended = true;
            return ll_none();
        }
        ll_value v = wait_data(s, "ll_stream_read()", file, line);
        if (ll_failed(v))
            return v;
    }
}
uint32_t ll__stream_id(const ll_stream *h) {
    const ll_stream *s = live(h);
    return s ? s->id : 0;
}

/* ---- writing -------------------------------------------------------------- */

static void write_cb(uv_write_t *req, int status) {
    write_req *w = (write_req *)req;
    ll_stream *s = w->s;
    s->wpending -= w->n;
    free(w);
    if (s->loop->io && s->loop->io->closing)
        return;
    io_clock(s->loop);
    if (status < 0 && status != UV_ECANCELED)
        set_error(s, status, "writing to");
    if (s->wpending <= LOW_WATER || s->err)
        wake(s, WAKE_WRITE);
}

ll_value ll__stream_write(ll_stream *h, const void *data, size_t n, const char *file, int line) {
    ll_stream *s = check_stream(h, "ll_stream_write()", file, line);
    if (!s)
        return ll_raise(bad_code(h), "ll_stream_write() needs a stream");
    if (s->err)
        return stream_error(s);
    if (s->closing || s->wrote_eof || !s->connected) {
        const char *why = s->closing     ? "closed"
                          : s->wrote_eof ? "shut for writing"
                                         : "never connected";
        ll__misuse(s->loop, file, line, "RuntimeError: write to %s after it was %s", peer(s), why);
        return ll_raise(LL_ERUNTIME, "write to %s after it was %s", peer(s), why);
    }
    if (n == 0)
        return ll_none();
    if (!data) {
        ll__misuse(s->loop, file, line, "ValueError: ll_stream_write() of a NULL buffer");
        return ll_raise(LL_EVALUE, "ll_stream_write() of a NULL buffer");
    }
    size_t done = 0;
    if (s->wpending == 0) {
        uv_buf_t b = uv_buf_init((char *)data, (unsigned)n);
        int r = uv_try_write((uv_stream_t *)&s->tcp, &b, 1);
        if (r > 0)
            done = (size_t)r;
        else if (r < 0 && r != UV_EAGAIN && r != UV_ENOSYS) {
            set_error(s, r, "writing to");
            return stream_error(s);
        }
    }
    if (done < n) {
        size_t rest = n - done;
        write_req *w = malloc(sizeof *w + rest);
        if (!w)
            return ll_raise(LL_ENOMEM, "no memory to write to %s", peer(s));
        w->s = s;
        w->n = rest;
        memcpy(w->data, (const char *)data + done, rest);
        uv_buf_t b = uv_buf_init(w->data, (unsigned)rest);
        int r = uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, write_cb);
        if (r < 0) {
            free(w);
            set_error(s, r, "writing to");
            return stream_error(s);
        }
        s->wpending += rest;
    }
    rec_io(s->loop, s->id, LL_IO_OP_WRITE, (int64_t)n, NULL, file, line);
    return ll_none();
}

static ll_value drain(ll_stream *h, bool quiet, const char *file, int line);

ll_value ll__stream_drain(ll_stream *h, const char *file, int line) {
    return drain(h, false, file, line);
}

ll_value ll__stream_settle(ll_stream *h, const char *file, int line) {
    return drain(h, true, file, line);
}

static ll_value drain(ll_stream *h, bool quiet, const char *file, int line) {
    ll_stream *s = check_stream(h, "ll_stream_drain()", file, line);
    if (!s)
        return ll_raise(bad_code(h), "ll_stream_drain() needs a stream");
    while (s->wpending > HIGH_WATER && !s->err && !s->closed) {
        if (s->wait[WAKE_WRITE]) {
            ll__misuse(s->loop, file, line, "RuntimeError: two tasks are draining %s at once",
                       peer(s));
            return ll_raise(LL_ERUNTIME, "two tasks are draining %s at once", peer(s));
        }
        ll_value v = park(s, WAKE_WRITE, LL_IO_OP_DRAIN, "ll_stream_drain()", file, line);
        if (ll_failed(v))
            return v;
    }
    if (s->err)
        return quiet ? quiet_error(s) : stream_error(s);
    return ll_none();
}

static void shutdown_cb(uv_shutdown_t *req, int status) {
    (void)status;
    free(req);
}

ll_value ll__stream_write_eof(ll_stream *h, const char *file, int line) {
    ll_stream *s = check_stream(h, "ll_stream_write_eof()", file, line);
    if (!s)
        return ll_raise(bad_code(h), "ll_stream_write_eof() needs a stream");
    if (s->closing || s->wrote_eof || !s->connected)
        return ll_none();
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req)
        return ll_raise(LL_ENOMEM, "no memory to shut %s down", peer(s));
    int r = uv_shutdown(req, (uv_stream_t *)&s->tcp, shutdown_cb);
    if (r < 0) {
        free(req);
        set_error(s, r, "shutting down");
        return stream_error(s);
    }
    s->wrote_eof = true;
    rec_io(s->loop, s->id, LL_IO_OP_SHUTDOWN, 0, NULL, file, line);
    return ll_none();
}

/* ---- closing -------------------------------------------------------------- */

static void close_cb(uv_handle_t *h) {
    ll_stream *s = h->data;
    s->closed = true;
    buf_release(s->buf, s->cap);
    s->buf = NULL;
    s->head = s->len = s->cap = 0;
    if (s->loop->io && s->loop->io->closing)
        return;
    io_clock(s->loop);
    rec_io(s->loop, s->id, LL_IO_OP_CLOSED, 0, NULL, NULL, 0);
    wake(s, WAKE_CLOSE);
    wake(s, WAKE_READ);
    wake(s, WAKE_WRITE);
    ll__io *io = s->loop->io;
    maybe_free(s);
    sweep(io);
}

static void close_after_shutdown(uv_shutdown_t *req, int status) {
    (void)status;
    ll_stream *s = req->data;
    free(req);
    uv_close((uv_handle_t *)&s->tcp, close_cb);
}

/* Starts closing: pending writes are sent first (uv_shutdown), unless the
 * stream is broken. */
static void begin_close(ll_stream *s) {
    if (s->closing)
        return;
    s->closing = true;
    if (!s->inited) {
        s->closed = true;
        return;
    }
    if (s->reading) {
        uv_read_stop((uv_stream_t *)&s->tcp);
        s->reading = false;
    }
    if (s->connected && s->wpending && !s->err && !s->wrote_eof) {
        uv_shutdown_t *req = malloc(sizeof *req);
        if (req) {
            req->data = s;
            if (uv_shutdown(req, (uv_stream_t *)&s->tcp, close_after_shutdown) == 0)
                return;
            free(req);
        }
    }
    uv_close((uv_handle_t *)&s->tcp, close_cb);
}

void ll__stream_close(ll_stream *h, const char *file, int line) {
    ll_stream *s = check_stream(h, "ll_stream_close()", file, line);
    if (!s || s->closing)
        return;
    rec_io(s->loop, s->id, LL_IO_OP_CLOSE, 0, NULL, file, line);
    begin_close(s);
    /* A task waiting to read sees the end of the stream. */
    wake(s, WAKE_READ);
}

ll_value ll__stream_wait_closed(ll_stream *h, const char *file, int line) {
    ll_stream *s = check_stream(h, "ll_stream_wait_closed()", file, line);
    if (!s)
        return ll_raise(bad_code(h), "ll_stream_wait_closed() needs a stream");
    if (!s->closing) {
        ll__misuse(s->loop, file, line,
                   "RuntimeError: wait_closed() on %s, which was never closed (call "
                   "ll_stream_close first)",
                   peer(s));
        return ll_raise(LL_ERUNTIME, "wait_closed() before close()");
    }
    while (!s->closed) {
        ll_value v = park(s, WAKE_CLOSE, LL_IO_OP_CLOSED, "ll_stream_wait_closed()", file, line);
        if (ll_failed(v))
            return v;
    }
    /* Closed and waited for: the program is done with it. */
    s->released = true;
    maybe_free(s);
    return ll_none();
}

/* ---- making streams --------------------------------------------------------- */

static ll_stream *stream_new(ll_loop *loop, ll_io_role role, const char *addr) {
    ll__io *io = io_of(loop);
    ll_stream *s = io ? calloc(1, sizeof *s) : NULL;
    if (!s)
        return NULL;
    s->magic = MAGIC_STREAM;
    s->id = ll__obj_id(loop);
    s->loop = loop;
    s->role = (uint8_t)role;
    snprintf(s->addr, sizeof s->addr, "%s", addr);
    s->tcp.data = s;
    if (!(s->handle = ll__h_put(&io->stab, s))) {
        free(s);
        return NULL;
    }
    s->next = io->streams;
    if (s->next)
        s->next->prev = s;
    io->streams = s;
    return s;
}

/* Closes a stream the program never got (a connection that failed): it is
 * freed as soon as it is closed. */
static void abandon(ll_stream *s) {
    s->released = true;
    begin_close(s);
    maybe_free(s);
}

typedef struct resolve_req {
    uv_getaddrinfo_t req;
    ll_stream *s; /* NULL once the waiting task gave up */
    int status;
    struct addrinfo *res;
} resolve_req;

static void resolve_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
    resolve_req *r = (resolve_req *)req;
    if (!r->s) { /* nobody waits any more */
        uv_freeaddrinfo(res);
        free(r);
        return;
    }
    r->status = status;
    r->res = res;
    io_clock(r->s->loop);
    wake(r->s, WAKE_READ);
}

typedef struct connect_req {
    uv_connect_t req;
    ll_stream *s;
} connect_req;

static void connect_cb(uv_connect_t *req, int status) {
    connect_req *c = (connect_req *)req;
    ll_stream *s = c->s;
    free(c);
    s->connect_status = status ? status : 1;
    if (s->loop->io && s->loop->io->closing)
        return;
    io_clock(s->loop);
    wake(s, WAKE_READ);
}

/* Connects s to one address: None, or the error. */
static ll_value connect_one(ll_stream *s, const struct sockaddr *sa, const char *file, int line) {
    ll_loop *loop = s->loop;
    char addr[80];
    format_addr(sa, addr, sizeof addr);
    snprintf(s->addr, sizeof s->addr, "%s", addr);
    int r = uv_tcp_init(ll__uv_loop(loop), &s->tcp);
    if (r < 0)
        return ll_raise(LL_EOS, "cannot make a socket: %s [%s]", uv_strerror(r), uv_err_name(r));
    s->inited = true;
    s->connect_status = 0;
    connect_req *c = malloc(sizeof *c);
    if (!c)
        return ll_raise(LL_ENOMEM, "no memory to connect");
    c->s = s;
    rec_io(loop, s->id, LL_IO_OP_CONNECT, 0, addr, file, line);
    r = uv_tcp_connect(&c->req, &s->tcp, sa, connect_cb);
    if (r < 0) {
        free(c);
        s->connect_status = r;
    } else if (uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) == 0) {
        /* Reading starts with the connect (libuv allows it): the socket is
         * registered with epoll once, for both, rather than once to connect
         * and again (EEXIST, then MOD) to read.  Nothing arrives before the
         * connection is made, and a failed connect is reported first. */
        s->reading = true;
    }
    while (s->connect_status == 0) {
        ll_value v = park(s, WAKE_READ, LL_IO_OP_CONNECT, "ll_open_connection()", file, line);
        if (ll_failed(v)) {
            /* Cancelled (a timeout, say): closing the handle cancels the
             * connect, whose callback still comes. */
            return v;
        }
    }
    if (s->connect_status < 0) {
        int st = s->connect_status;
        rec_io(loop, s->id, LL_IO_OP_ERROR, 0, uv_strerror(st), file, line);
        return ll_raise(code_of(st), "cannot connect to %s: %s [%s]", addr, uv_strerror(st),
                        uv_err_name(st));
    }
    s->connected = true;
    uv_tcp_nodelay(&s->tcp, 1); /* asyncio sets TCP_NODELAY too */
    rec_io(loop, s->id, LL_IO_OP_CONNECTED, 0, NULL, file, line);
    start_reading(s);
    return ll_none();
}

static void reset_close_cb(uv_handle_t *h) {
    ((ll_stream *)h->data)->closed = true;
}

/* A fresh handle for the next address, after a failed attempt. */
static void reset_handle(ll_stream *s) {
    if (!s->inited)
        return;
    ll_loop *loop = s->loop;
    s->closed = false;
    uv_close((uv_handle_t *)&s->tcp, reset_close_cb);
    /* Let libuv finish closing it before the memory is reused: close
     * callbacks run at the end of every libuv iteration. */
    while (!s->closed)
        uv_run(ll__uv_loop(loop), UV_RUN_NOWAIT);
    s->closed = false;
    memset(&s->tcp, 0, sizeof s->tcp);
    s->tcp.data = s;
    s->inited = false;
}

static bool numeric_addr(const char *host, int port, struct sockaddr_storage *ss) {
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
        return true;
    if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0)
        return true;
    return false;
}

ll_value ll__open_connection(const char *host, int port, const char *file, int line) {
    ll_loop *loop;
    if (!need_real(&loop, "ll_open_connection()", file, line))
        return ll_raise(LL_ERUNTIME, "ll_open_connection() needs a task on the real clock");
    if (!host || !*host || port <= 0 || port > 65535) {
        ll__misuse(loop, file, line, "ValueError: ll_open_connection(%s%s%s, %d): %s",
                   host ? "\"" : "", host ? host : "NULL", host ? "\"" : "", port,
                   !host || !*host ? "no host" : "the port must be 1 to 65535");
        return ll_raise(LL_EVALUE, "bad address %s:%d", host ? host : "NULL", port);
    }
    char target[80];
    snprintf(target, sizeof target, "%s:%d", host, port);
    ll_stream *s = stream_new(loop, LL_IO_ROLE_CLIENT, target);
    if (!s)
        return ll_raise(LL_ENOMEM, "no memory for a stream");
    rec_io_new(loop, s->id, LL_IO_ROLE_CLIENT, target, file, line);
    struct sockaddr_storage ss;
    if (numeric_addr(host, port, &ss)) {
        ll_value v = connect_one(s, (struct sockaddr *)&ss, file, line);
        if (ll_failed(v)) {
            abandon(s);
            return v;
        }
        return ll_ptr(handle_of(s));
    }
    /* A name: resolve it on libuv's pool, as asyncio does in its executor. */
    resolve_req *r = calloc(1, sizeof *r);
    if (!r)
        return ll_raise(LL_ENOMEM, "no memory to resolve %s", host);
    r->s = s;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = uv_getaddrinfo(ll__uv_loop(loop), &r->req, resolve_cb, host, portstr, &hints);
    if (rc < 0) {
        free(r);
        return ll_raise(LL_EOS, "cannot resolve %s: %s [%s]", host, uv_strerror(rc),
                        uv_err_name(rc));
    }
    while (!r->res && r->status == 0) {
        ll_value v = park(s, WAKE_READ, LL_IO_OP_RESOLVE, "ll_open_connection()", file, line);
        if (ll_failed(v)) {
            r->s = NULL; /* resolve_cb frees it */
            uv_cancel((uv_req_t *)&r->req);
            abandon(s);
            return v;
        }
    }
    if (r->status < 0) {
        int st = r->status;
        free(r);
        rec_io(loop, s->id, LL_IO_OP_ERROR, 0, uv_strerror(st), file, line);
        abandon(s);
        return ll_raise(LL_EOS, "cannot resolve %s: %s [%s]", host, uv_strerror(st),
                        uv_err_name(st));
    }
    struct addrinfo *res = r->res;
    free(r);
    ll_value last = ll_raise(LL_EOS, "no address for %s", host);
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        reset_handle(s);
        last = connect_one(s, ai->ai_addr, file, line);
        if (!ll_failed(last) || ll_is_cancelled(last))
            break;
    }
    uv_freeaddrinfo(res);
    if (ll_failed(last)) {
        abandon(s);
        return last;
    }
    return ll_ptr(handle_of(s));
}

/* ---- servers ------------------------------------------------------------------- */

/* The task of one accepted connection: the handler, then the stream is
 * closed if the handler left it open. */
static ll_value conn_main(ll_value arg) {
    ll_stream *s = live(arg.p); /* kept while in_handler is set */
    ll_value v = s->server->handler(arg);
    s->in_handler = false;
    if (!s->closing) {
        rec_io(s->loop, s->id, LL_IO_OP_CLOSE, 0, NULL, NULL, 0);
        begin_close(s);
    }
    maybe_free(s);
    return v;
}

static void free_handle(uv_handle_t *h) {
    free(h);
}

static void accept_cb(uv_stream_t *ls, int status) {
    ll_server *srv = ls->data;
    ll_loop *loop = srv->loop;
    if (loop->io && loop->io->closing)
        return;
    io_clock(loop);
    if (status < 0) {
        rec_io(loop, srv->id, LL_IO_OP_ERROR, 0, uv_strerror(status), NULL, 0);
        return;
    }
    sweep(loop->io);
    ll_stream *s = stream_new(loop, LL_IO_ROLE_SERVER, "?");
    if (s && uv_tcp_init(ll__uv_loop(loop), &s->tcp) < 0) {
        stream_free(loop->io, s);
        s = NULL;
    }
    if (!s) {
        /* Take the connection off the backlog and drop it. */
        uv_tcp_t *tmp = malloc(sizeof *tmp);
        if (tmp && uv_tcp_init(ll__uv_loop(loop), tmp) == 0) {
            (void)uv_accept(ls, (uv_stream_t *)tmp);
            uv_close((uv_handle_t *)tmp, free_handle);
        } else {
            free(tmp);
        }
        return;
    }
    s->inited = true;
    s->server = srv;
    s->released = true; /* the program's part is the handler's */
    if (uv_accept(ls, (uv_stream_t *)&s->tcp) != 0) {
        begin_close(s);
        return;
    }
    s->connected = true;
    uv_tcp_nodelay(&s->tcp, 1);
    srv->accepted++;
    if (LL__REC(loop)) { /* else the peer is asked for when a message needs it */
        rec_io(loop, srv->id, LL_IO_OP_ACCEPT, 0, peer(s), NULL, 0);
        rec_io_new(loop, s->id, LL_IO_ROLE_SERVER, peer(s), NULL, 0);
    }
    start_reading(s);
    s->in_handler = true;
    /* The connection's task and its coroutine are the library's own: the
     * program never gets either, so both are reused once the handler is
     * done (a server that runs for days holds only its open connections). */
    ll_coro *c =
        ll__coro_new(conn_main, ll_ptr(handle_of(s)), srv->handler_name, srv->file, srv->line);
    ll__coro_private(c);
    if (!c || !ll__spawn_task(c, srv->file, srv->line)) {
        s->in_handler = false;
        begin_close(s);
    }
}

ll_value ll__start_server(ll_coro_fn handler, const char *handler_name, const char *host, int port,
                          void *data, const char *file, int line) {
    ll_loop *loop;
    if (!need_real(&loop, "ll_start_server()", file, line))
        return ll_raise(LL_ERUNTIME, "ll_start_server() needs a task on the real clock");
    if (!handler || !host || !*host || port < 0 || port > 65535) {
        ll__misuse(loop, file, line, "ValueError: ll_start_server(): %s",
                   !handler          ? "no handler"
                   : !host || !*host ? "no host"
                                     : "the port must be 0 to 65535");
        return ll_raise(LL_EVALUE, "bad arguments to ll_start_server()");
    }
    struct sockaddr_storage ss;
    if (!numeric_addr(host, port, &ss)) {
        /* Servers bind a name's first IPv4 address ("localhost" is
         * 127.0.0.1); resolving is quick and local, so it is done inline. */
        struct addrinfo hints = {0}, *res = NULL;
        hints.ai_family = AF_INET;
        hints.ai_socktype = SOCK_STREAM;
        uv_getaddrinfo_t req;
        char portstr[16];
        snprintf(portstr, sizeof portstr, "%d", port);
        int rc = uv_getaddrinfo(ll__uv_loop(loop), &req, NULL, host, portstr, &hints);
        if (rc < 0 || !req.addrinfo)
            return ll_raise(LL_EOS, "cannot resolve %s: %s [%s]", host, uv_strerror(rc),
                            uv_err_name(rc));
        res = req.addrinfo;
        memcpy(&ss, res->ai_addr, res->ai_addrlen);
        uv_freeaddrinfo(res);
    }
    ll__io *io = io_of(loop);
    ll_server *srv = io ? calloc(1, sizeof *srv) : NULL;
    if (!srv)
        return ll_raise(LL_ENOMEM, "no memory for a server");
    srv->magic = MAGIC_SERVER;
    srv->id = ll__obj_id(loop);
    srv->loop = loop;
    srv->handler = handler;
    srv->handler_name = handler_name;
    srv->data = data;
    srv->file = file;
    srv->line = line;
    srv->next = io->servers;
    io->servers = srv;
    format_addr((struct sockaddr *)&ss, srv->addr, sizeof srv->addr);
    int r = uv_tcp_init(ll__uv_loop(loop), &srv->tcp);
    if (r < 0)
        return ll_raise(LL_EOS, "cannot make a socket: %s [%s]", uv_strerror(r), uv_err_name(r));
    srv->tcp.data = srv;
    srv->open = true;
    r = uv_tcp_bind(&srv->tcp, (struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&srv->tcp, LISTEN_BACKLOG, accept_cb);
    if (r < 0) {
        srv->open = false;
        uv_close((uv_handle_t *)&srv->tcp, NULL);
        return ll_raise(code_of(r), "cannot listen on %s: %s [%s]", srv->addr, uv_strerror(r),
                        uv_err_name(r));
    }
    int len = sizeof ss;
    if (uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&ss, &len) == 0)
        format_addr((struct sockaddr *)&ss, srv->addr, sizeof srv->addr);
    srv->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    rec_io_new(loop, srv->id, LL_IO_ROLE_LISTENER, srv->addr, file, line);
    rec_io(loop, srv->id, LL_IO_OP_LISTEN, 0, NULL, file, line);
    return ll_ptr(srv);
}

int ll_server_port(const ll_server *srv) {
    return srv && srv->magic == MAGIC_SERVER ? srv->port : -1;
}

void ll__server_close(ll_server *srv, const char *file, int line) {
    if (!srv || srv->magic != MAGIC_SERVER) {
        ll__misuse(ll__running_loop, file, line, "TypeError: ll_server_close() needs a server");
        return;
    }
    if (!srv->open)
        return;
    srv->open = false;
    rec_io(srv->loop, srv->id, LL_IO_OP_CLOSE, 0, NULL, file, line);
    uv_close((uv_handle_t *)&srv->tcp, NULL);
}

/* ---- the loop's end ---------------------------------------------------------- */

static void io_describe(const ll_loop *loop, uint32_t id, char *buf, size_t n) {
    const ll__io *io = loop->io;
    for (const ll_stream *s = io ? io->streams : NULL; s; s = s->next)
        if (s->id == id) {
            snprintf(buf, n, "socket #%u (%s)", id, peer((ll_stream *)s));
            return;
        }
    snprintf(buf, n, "socket #%u", id);
}

ll__htab *ll__io_dbs(ll_loop *loop) {
    ll__io *io = io_of(loop);
    return io ? &io->dbs : NULL;
}

size_t ll__io_streams(const ll_loop *loop) {
    size_t n = 0;
    for (const ll_stream *s = loop->io ? loop->io->streams : NULL; s; s = s->next)
        n++;
    return n;
}

void *ll__io_at_close(ll_loop *loop, void (*fn)(void *), void *arg) {
    ll__io *io = io_of(loop);
    closer *c = io ? calloc(1, sizeof *c) : NULL;
    if (!c)
        return NULL;
    c->fn = fn;
    c->arg = arg;
    c->next = io->closers;
    if (c->next)
        c->next->prev = c;
    io->closers = c;
    return c;
}

void ll__io_forget(ll_loop *loop, void *handle) {
    closer *c = handle;
    ll__io *io = loop->io;
    if (!c || !io)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        io->closers = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
}

static void io_shutdown(ll_loop *loop) {
    ll__io *io = loop->io;
    if (!io)
        return;
    while (io->closers) {
        closer *c = io->closers;
        io->closers = c->next;
        if (io->closers)
            io->closers->prev = NULL;
        c->fn(c->arg);
        free(c);
    }
    io->closing = true;
    for (ll_server *srv = io->servers; srv; srv = srv->next)
        if (srv->open) {
            srv->open = false;
            uv_close((uv_handle_t *)&srv->tcp, NULL);
        }
    for (ll_stream *s = io->streams; s; s = s->next) {
        if (s->inited && !uv_is_closing((uv_handle_t *)&s->tcp)) {
            s->closing = true;
            uv_close((uv_handle_t *)&s->tcp, close_cb);
        }
    }
    if (loop->uv)
        uv_run(ll__uv_loop(loop), UV_RUN_DEFAULT);
    while (io->streams)
        stream_free(io, io->streams);
    ll__h_free(&io->stab);
    ll__h_free(&io->dbs);
    while (io->servers) {
        ll_server *srv = io->servers;
        io->servers = srv->next;
        srv->magic = 0;
        free(srv);
    }
    free(io);
    loop->io = NULL;
    loop->io_hooks = NULL;
}
