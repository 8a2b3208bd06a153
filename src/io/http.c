/* http.c - HTTP/1.1 on Looplab's streams: a client session (aiohttp's
 * ClientSession) and a server with routes to coroutine handlers.
 *
 * Parsing is http-parser's (the parser Node.js used before llhttp): the
 * bytes are fed to it straight from the stream's buffer, and it is paused
 * at the end of each message so that a pipelined next message stays in the
 * buffer for the next round.  Both sides read whole messages into one
 * growable buffer: headers as "name\0value\0" pairs, then the body. */
#include "io.h"
#include "../core/grow.h"

#include <http_parser.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <uv.h>

enum {
    MAX_HEADER_BYTES = 16 * 1024,      /* request line / status line + headers */
    MAX_BODY_BYTES = 64 * 1024 * 1024, /* a response or request body */
    LINGER_BYTES = 1024 * 1024         /* read and dropped after refusing a body */
};
/* A server's default limits (ll_http_limits), in seconds. */
#define DEFAULT_HEADER_TIMEOUT 10.0
#define DEFAULT_IDLE_TIMEOUT 30.0
#define DEFAULT_CTYPE "text/plain; charset=utf-8"

/* ---- reading one message ------------------------------------------------- */

typedef struct msg {
    http_parser p;
    char *buf; /* line, then name\0value\0..., NUL-terminated */
    size_t len, cap;
    size_t line_len; /* the URL (request) or reason (response) */
    size_t *offs;    /* per header: name offset, value offset */
    size_t nh, ncap;
    int last; /* 0 nothing yet, 1 in a name, 2 in a value */
    size_t header_bytes;
    char *body;
    size_t blen, bcap;
    bool headers_done, complete, too_big, body_too_big;
    int refuse;       /* a server's 404 / 405, decided from the headers */
    struct hconn *hc; /* the server's connection reading it (NULL: a client) */
} msg;

/* A server connection, as the limits see it: where its request is, and
 * when it runs out of time there.  It lives in its task's frame and is on
 * its server's list while the task runs, oldest first. */
typedef enum { HC_IDLE, HC_HEADERS, HC_BODY, HC_HANDLING } hc_phase;
typedef struct hconn {
    ll_http_server *srv;
    ll_stream *s;
    hc_phase phase;
    uint64_t deadline; /* uv_now() milliseconds; 0 while handling */
    bool timed_out;    /* closed by the reaper */
    struct hconn *prev, *next;
} hconn;

static void hc_enter(hconn *hc, hc_phase phase);
static bool refuse_early(msg *m, http_parser *p);

static int grow(char **p, size_t *cap, size_t need) {
    LL__GROW(*p, *cap, need, 256, return -1);
    return 0;
}

static int put(msg *m, const char *at, size_t n) {
    if (grow(&m->buf, &m->cap, m->len + n + 1) != 0)
        return -1;
    memcpy(m->buf + m->len, at, n);
    m->len += n;
    return 0;
}

static int count_header(msg *m, size_t n) {
    m->header_bytes += n;
    if (m->header_bytes > MAX_HEADER_BYTES) {
        m->too_big = true;
        return -1;
    }
    return 0;
}

static int on_line(http_parser *p, const char *at, size_t n) {
    msg *m = p->data;
    if (count_header(m, n) || put(m, at, n))
        return -1;
    m->line_len += n;
    return 0;
}

static int on_field(http_parser *p, const char *at, size_t n) {
    msg *m = p->data;
    if (count_header(m, n))
        return -1;
    if (m->last != 1) {
        if (put(m, "", 1)) /* ends the line or the previous value */
            return -1;
        if (m->nh == m->ncap) { /* two offsets a header: its name's and its value's */
            size_t *no = ll__grow(m->offs, m->ncap, m->nh + 1, 2 * sizeof *no, 16, &m->ncap);
            if (!no)
                return -1;
            m->offs = no;
        }
        m->offs[2 * m->nh] = m->len;
        m->offs[2 * m->nh + 1] = 0;
        m->nh++;
        m->last = 1;
    }
    return put(m, at, n);
}

static int on_value(http_parser *p, const char *at, size_t n) {
    msg *m = p->data;
    if (count_header(m, n) || !m->nh)
        return -1;
    if (m->last != 2) {
        if (put(m, "", 1))
            return -1;
        m->offs[2 * m->nh - 1] = m->len;
        m->last = 2;
    }
    return put(m, at, n);
}

static int on_headers_complete(http_parser *p) {
    msg *m = p->data;
    if (put(m, "", 1))
        return -1;
    m->headers_done = true;
    if (m->hc) {
        hc_enter(m->hc, HC_BODY);
        return refuse_early(m, p) ? -1 : 0;
    }
    if (p->content_length != ULLONG_MAX && p->content_length > MAX_BODY_BYTES) {
        m->body_too_big = true;
        return -1;
    }
    return 0;
}

static size_t body_limit(const msg *m);

static int on_body(http_parser *p, const char *at, size_t n) {
    msg *m = p->data;
    if (m->blen + n > body_limit(m)) {
        m->body_too_big = true;
        return -1;
    }
    if (grow(&m->body, &m->bcap, m->blen + n + 1) != 0)
        return -1;
    memcpy(m->body + m->blen, at, n);
    m->blen += n;
    return 0;
}

static int on_complete(http_parser *p) {
    msg *m = p->data;
    m->complete = true;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_line,
    .on_status = on_line,
    .on_header_field = on_field,
    .on_header_value = on_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_complete,
};

static void msg_reset(msg *m, enum http_parser_type type) {
    http_parser_init(&m->p, type);
    m->p.data = m;
    m->len = m->line_len = m->nh = m->header_bytes = m->blen = 0;
    m->last = 0;
    m->headers_done = m->complete = m->too_big = m->body_too_big = false;
    m->refuse = 0;
}

static void msg_free(msg *m) {
    free(m->buf);
    free(m->offs);
    free(m->body);
    memset(m, 0, sizeof *m);
}

/* How reading a message ended. */
typedef enum {
    RD_OK,
    RD_EOF_BEFORE,
    RD_EOF_HEADERS,
    RD_EOF_BODY,
    RD_BAD,
    RD_TOO_BIG,
    RD_BODY_TOO_BIG,
    RD_REFUSED,
    RD_FAILED
} rd_status;

/* Reads one message from s into m.  RD_FAILED: *err holds the stream's
 * error (or CancelledError). */
static rd_status read_msg(ll_stream *s, msg *m, enum http_parser_type type, ll_value *err,
                          const char *file, int line) {
    msg_reset(m, type);
    bool any = false;
    if (m->hc)
        hc_enter(m->hc, HC_IDLE);
    for (;;) {
        size_t n;
        const char *p = ll__stream_peek(s, &n);
        if (n) {
            if (!any && m->hc)
                hc_enter(m->hc, HC_HEADERS);
            else if (m->hc && m->hc->phase == HC_BODY)
                hc_enter(m->hc, HC_BODY); /* progress: the idle time starts again */
            any = true;
            size_t used = http_parser_execute(&m->p, &settings, p, n);
            enum http_errno e = HTTP_PARSER_ERRNO(&m->p);
            if (e == HPE_PAUSED) {
                ll__stream_consume(s, used);
                http_parser_pause(&m->p, 0);
                return RD_OK;
            }
            if (e != HPE_OK)
                return m->too_big        ? RD_TOO_BIG
                       : m->body_too_big ? RD_BODY_TOO_BIG
                       : m->refuse       ? RD_REFUSED
                                         : RD_BAD;
            ll__stream_consume(s, used);
            if (m->complete)
                return RD_OK;
        }
        bool ended;
        ll_value v = ll__stream_more(s, &ended, file, line);
        if (ll_failed(v)) {
            *err = v;
            return RD_FAILED;
        }
        if (ended) {
            if (!any)
                return RD_EOF_BEFORE;
            /* The end of the stream ends a body without a length. */
            http_parser_execute(&m->p, &settings, NULL, 0);
            if (m->complete)
                return RD_OK;
            return m->headers_done ? RD_EOF_BODY : RD_EOF_HEADERS;
        }
    }
}

static const char *find_header(size_t n, const char *const *names, const char *const *values,
                               const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(names[i], name) == 0)
            return values[i];
    return NULL;
}

/* Lays a parsed message out in one block after `head` bytes: the header
 * arrays (at the next pointer-aligned offset), the strings, the body.
 * Fills names/values/line/body. */
static char *msg_pack(const msg *m, size_t head, const char ***names, const char ***values,
                      const char **line, const char **body) {
    head = (head + _Alignof(char *) - 1) / _Alignof(char *) * _Alignof(char *);
    size_t arrays = 2 * m->nh * sizeof(char *);
    char *blk = malloc(head + arrays + m->len + 1 + m->blen + 1);
    if (!blk)
        return NULL;
    memset(blk, 0, head);
    const char **nm = (const char **)(blk + head);
    const char **vl = nm + m->nh;
    char *strs = blk + head + arrays;
    memcpy(strs, m->buf ? m->buf : "", m->len);
    strs[m->len] = '\0';
    strs[m->line_len] = '\0';
    for (size_t i = 0; i < m->nh; i++) {
        nm[i] = strs + m->offs[2 * i];
        vl[i] = m->offs[2 * i + 1] ? strs + m->offs[2 * i + 1] : "";
    }
    char *b = strs + m->len + 1;
    if (m->blen)
        memcpy(b, m->body, m->blen);
    b[m->blen] = '\0';
    *names = nm;
    *values = vl;
    *line = strs;
    *body = b;
    return blk;
}

/* ---- the client session ----------------------------------------------------- */

typedef struct conn {
    ll_stream *s;
    struct conn *next;
} conn;

typedef struct host {
    char key[96]; /* "127.0.0.1:8080" */
    char name[80];
    int port;
    ll_semaphore *sem; /* limit_per_host, or NULL */
    conn *idle;        /* open connections nobody uses now */
    struct host *next;
} host;

typedef struct resp_node {
    struct resp_node *prev, *next;
    struct ll_session *ss; /* whose list it is on */
    ll_response r;         /* must be last: the packed block follows */
} resp_node;

struct ll_session {
    uint32_t magic;
    bool closed;
    ll_loop *loop;
    ll_semaphore *sem; /* limit */
    int limit_per_host;
    double timeout;
    host *hosts;
    resp_node *resps; /* responses not yet freed */
    void *closer;     /* the loop's at-close entry */
    const char *file;
    int line;
};

enum { MAGIC_SESSION = 0x4c4c5345, MAGIC_HTTP_SERVER = 0x4c4c4853 };

/* Closes a connection of the session, which nobody will use again. */
static void drop(ll_stream *s) {
    ll_stream_close(s);
    ll__stream_release(s);
}

static void session_free(ll_session *ss) {
    for (host *h = ss->hosts; h;) {
        for (conn *c = h->idle; c;) {
            conn *n = c->next;
            drop(c->s);
            free(c);
            c = n;
        }
        host *n = h->next;
        free(h);
        h = n;
    }
    while (ss->resps) {
        resp_node *n = ss->resps->next;
        free(ss->resps);
        ss->resps = n;
    }
    ss->magic = 0;
    free(ss);
}

static void session_at_close(void *arg) {
    ll_session *ss = arg;
    ll__warn(ss->loop, LL_WARN_MISUSE, ss->file, ss->line,
             "Unclosed client session: the session created here was never closed "
             "(call ll_session_close)");
    session_free(ss);
}

/* The loop a new session or server belongs to: the running one, else this
 * thread's current one; NULL (reported) outside any loop. */
static ll_loop *owning_loop(const char *what, const char *file, int line) {
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    if (!loop)
        ll__misuse(NULL, file, line, "RuntimeError: %s outside an event loop", what);
    return loop;
}

ll_session *ll__session_new(const ll_session_opts *opts, const char *file, int line) {
    ll_loop *loop = owning_loop("ll_session_new()", file, line);
    if (!loop)
        return NULL;
    ll_session *ss = calloc(1, sizeof *ss);
    if (!ss)
        return NULL;
    ss->magic = MAGIC_SESSION;
    ss->loop = loop;
    ss->file = file;
    ss->line = line;
    int limit = opts && opts->limit > 0 ? opts->limit : 100;
    ss->limit_per_host = opts && opts->limit_per_host > 0 ? opts->limit_per_host : 0;
    ss->timeout = opts && opts->timeout > 0 ? opts->timeout : 300.0;
    ss->sem = ll__semaphore_new(limit, false, "connections", file, line);
    ss->closer = ll__io_at_close(loop, session_at_close, ss);
    if (!ss->sem || !ss->closer) {
        ll__io_forget(loop, ss->closer);
        free(ss);
        return NULL;
    }
    return ss;
}

static bool check_session(ll_session *ss, const char *what, const char *file, int line) {
    if (!ss || ss->magic != MAGIC_SESSION) {
        ll__misuse(ll__running_loop, file, line,
                   "TypeError: %s needs a session made by "
                   "ll_session_new (got %s)",
                   what, ss ? "something else" : "NULL");
        return false;
    }
    if (ss->closed) {
        ll__misuse(ss->loop, file, line,
                   "RuntimeError: %s on a closed session (created at "
                   "%s:%d)",
                   what, ss->file, ss->line);
        return false;
    }
    return true;
}

void ll__session_close(ll_session *ss, const char *file, int line) {
    if (!check_session(ss, "ll_session_close()", file, line))
        return;
    ll__io_forget(ss->loop, ss->closer);
    session_free(ss);
}

/* Splits an http:// URL.  0, or -1 with *why set. */
static int split_url(const char *url, char *hostbuf, size_t hostcap, int *port, const char **path,
                     const char **why) {
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(url, strlen(url), 0, &u) != 0) {
        *why = "not a URL";
        return -1;
    }
    if (!(u.field_set & (1 << UF_SCHEMA)) || !(u.field_set & (1 << UF_HOST))) {
        *why = "an absolute http:// URL is needed";
        return -1;
    }
    const char *scheme = url + u.field_data[UF_SCHEMA].off;
    size_t slen = u.field_data[UF_SCHEMA].len;
    if (slen == 5 && strncasecmp(scheme, "https", 5) == 0) {
        *why = "https is not supported: Looplab speaks plain HTTP to its local web";
        return -1;
    }
    if (slen != 4 || strncasecmp(scheme, "http", 4) != 0) {
        *why = "only http:// URLs are supported";
        return -1;
    }
    size_t hl = u.field_data[UF_HOST].len;
    if (hl + 1 > hostcap) {
        *why = "the host name is too long";
        return -1;
    }
    memcpy(hostbuf, url + u.field_data[UF_HOST].off, hl);
    hostbuf[hl] = '\0';
    *port = (u.field_set & (1 << UF_PORT)) ? u.port : 80;
    *path = (u.field_set & (1 << UF_PATH)) ? url + u.field_data[UF_PATH].off : "/";
    return 0;
}

static host *host_of(ll_session *ss, const char *name, int port, const char *file, int line) {
    char key[96];
    snprintf(key, sizeof key, "%s:%d", name, port);
    for (host *h = ss->hosts; h; h = h->next)
        if (strcmp(h->key, key) == 0)
            return h;
    host *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    snprintf(h->key, sizeof h->key, "%s", key);
    snprintf(h->name, sizeof h->name, "%s", name);
    h->port = port;
    if (ss->limit_per_host)
        h->sem = ll__semaphore_new(ss->limit_per_host, false, h->key, file, line);
    h->next = ss->hosts;
    ss->hosts = h;
    return h;
}

static ll_value exchange_read(ll_session *ss, ll_stream *s, msg *m, const char *url, bool reused,
                              bool *fresh_fail, bool *keep, const char *file, int line);

/* One exchange on connection c: the response, or an error.  *fresh_fail is
 * set when a reused connection turned out to be closed before any byte of
 * the response came (worth one retry on a new connection). */
static ll_value exchange(ll_session *ss, host *h, ll_stream *s, const char *url, const char *path,
                         bool reused, bool *fresh_fail, bool *keep, const char *file, int line) {
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: looplab/" LL_VERSION_STRING
                     "\r\nAccept: */*\r\n\r\n",
                     path, h->key);
    if (n < 0 || (size_t)n >= sizeof req)
        return ll_raise(LL_EVALUE, "the URL %s is too long", url);
    ll_value w = ll__stream_write(s, req, (size_t)n, file, line);
    if (ll_failed(w)) {
        *fresh_fail = reused;
        return ll_raise(w.err, "sending the request for %s failed", url);
    }
    msg mm = {0}, *m = &mm;
    ll_value v = exchange_read(ss, s, m, url, reused, fresh_fail, keep, file, line);
    msg_free(m);
    return v;
}

static ll_value exchange_read(ll_session *ss, ll_stream *s, msg *m, const char *url, bool reused,
                              bool *fresh_fail, bool *keep, const char *file, int line) {
    ll_value err = ll_none();
    rd_status st = read_msg(s, m, HTTP_RESPONSE, &err, file, line);
    *keep = false;
    switch (st) {
    case RD_OK: break;
    case RD_FAILED:
        if (reused && !ll_is_cancelled(err))
            *fresh_fail = true;
        return err;
    case RD_EOF_BEFORE:
        *fresh_fail = reused;
        return ll_raise(LL_ESERVER_DISCONNECTED,
                        "Server disconnected: %s closed the connection before answering %s",
                        ll_stream_peer(s), url);
    case RD_EOF_HEADERS:
        return ll_raise(LL_ESERVER_DISCONNECTED,
                        "Server disconnected in the middle of the headers of %s", url);
    case RD_EOF_BODY:
        return ll_raise(LL_ECLIENT_PAYLOAD,
                        "Response payload is not completed: %s ended after %zu of %llu bytes", url,
                        m->blen, (unsigned long long)(m->blen + m->p.content_length));
    case RD_TOO_BIG:
        return ll_raise(LL_EBAD_HTTP, "Got more than %d bytes of headers from %s", MAX_HEADER_BYTES,
                        url);
    case RD_BODY_TOO_BIG:
        return ll_raise(LL_EBAD_HTTP, "the body of %s is larger than %d bytes", url,
                        MAX_BODY_BYTES);
    case RD_REFUSED: /* only a server refuses */
    case RD_BAD: {
        enum http_errno e = HTTP_PARSER_ERRNO(&m->p);
        return ll_raise(LL_EBAD_HTTP, "malformed response from %s for %s: %s [%s]",
                        ll_stream_peer(s), url, http_errno_description(e), http_errno_name(e));
    }
    }
    *keep = http_should_keep_alive(&m->p);
    const char **names, **values;
    const char *line_s, *body;
    size_t head = offsetof(resp_node, r) + sizeof(ll_response);
    size_t ulen = strlen(url) + 1;
    char *blk = msg_pack(m, head + ulen, &names, &values, &line_s, &body);
    if (!blk)
        return ll_raise(LL_ENOMEM, "no memory for the response of %s", url);
    resp_node *rn = (resp_node *)blk;
    char *ucopy = blk + head;
    memcpy(ucopy, url, ulen);
    rn->r.status = m->p.status_code;
    rn->r.reason = line_s;
    rn->r.url = ucopy;
    rn->r.nheaders = m->nh;
    rn->r.header_names = names;
    rn->r.header_values = values;
    rn->r.body = body;
    rn->r.body_len = m->blen;
    rn->ss = ss;
    rn->next = ss->resps;
    if (rn->next)
        rn->next->prev = rn;
    ss->resps = rn;
    return ll_ptr(&rn->r);
}

static ll_value get_body(ll_session *ss, const char *url, const char *file, int line) {
    char name[80];
    int port;
    const char *path, *why;
    if (split_url(url, name, sizeof name, &port, &path, &why) != 0) {
        ll__misuse(ss->loop, file, line, "ValueError: ll_session_get(\"%s\"): %s", url, why);
        return ll_raise(LL_EVALUE, "%s: %s", url, why);
    }
    host *h = host_of(ss, name, port, file, line);
    if (!h)
        return ll_raise(LL_ENOMEM, "no memory");
    ll_value r = ll__semaphore_acquire(ss->sem, file, line);
    if (ll_failed(r))
        return r;
    if (h->sem && ll_failed(r = ll__semaphore_acquire(h->sem, file, line))) {
        ll__semaphore_release(ss->sem, file, line);
        return r;
    }
    ll_value v = ll_none();
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = false;
        ll_stream *s;
        if (h->idle) {
            conn *c = h->idle;
            h->idle = c->next;
            s = c->s;
            free(c);
            reused = true;
        } else {
            ll_value cv = ll__open_connection(h->name, h->port, file, line);
            if (ll_failed(cv)) {
                v = cv;
                break;
            }
            s = cv.p;
        }
        bool fresh_fail = false, keep = false;
        v = exchange(ss, h, s, url, path, reused, &fresh_fail, &keep, file, line);
        if (!ll_failed(v) && keep) {
            conn *c = malloc(sizeof *c);
            if (c) {
                c->s = s;
                c->next = h->idle;
                h->idle = c;
            } else {
                drop(s);
            }
        } else {
            drop(s);
        }
        if (!fresh_fail)
            break;
    }
    if (h->sem)
        ll__semaphore_release(h->sem, file, line);
    ll__semaphore_release(ss->sem, file, line);
    return v;
}

ll_value ll__session_get(ll_session *ss, const char *url, const char *file, int line) {
    if (!check_session(ss, "ll_session_get()", file, line))
        return ll_raise(LL_ETYPE, "ll_session_get() needs an open session");
    if (!url) {
        ll__misuse(ss->loop, file, line, "ValueError: ll_session_get() of a NULL URL");
        return ll_raise(LL_EVALUE, "NULL URL");
    }
    ll_timeout *to = ll__timeout_enter(ss->timeout, false, file, line);
    ll_value v = get_body(ss, url, file, line);
    v = ll__timeout_exit(to, v, file, line);
    if (ll_failed(v) && v.err == LL_ETIMEOUT)
        return ll_raise(LL_ETIMEOUT, "GET %s took longer than the session's timeout (%g s)", url,
                        ss->timeout);
    return v;
}

const char *ll_response_header(const ll_response *r, const char *name) {
    if (!r || !name)
        return NULL;
    return find_header(r->nheaders, r->header_names, r->header_values, name);
}

void ll_response_free(ll_response *r) {
    if (!r)
        return;
    resp_node *rn = (resp_node *)((char *)r - offsetof(resp_node, r));
    if (rn->prev)
        rn->prev->next = rn->next;
    else if (rn->ss)
        rn->ss->resps = rn->next;
    if (rn->next)
        rn->next->prev = rn->prev;
    free(rn);
}

/* ---- the server ------------------------------------------------------------------ */

typedef struct route {
    char method[16];
    char *path;
    size_t plen;
    bool prefix;
    ll_coro_fn fn;
    const char *fn_name;
    const char *file;
    int line;
} route;

struct ll_http_server {
    uint32_t magic;
    ll_loop *loop;
    void *data;
    route *routes;
    size_t nroutes;
    ll_server *listener;
    void *closer;
    const char *file; /* where it listens: the site of its waits */
    int line;
    uint64_t served;
    ll_http_limits lim;        /* with every default filled in */
    hconn *conns, *conns_tail; /* its open connections, oldest first */
    size_t nconns;
    uv_timer_t *reaper; /* closes connections past their deadline */
};

typedef struct ll__http_reply {
    int status;
    const char *ctype;
    char *body;
    size_t len;
    bool set;
    bool streaming; /* ll_http_stream_start: chunks follow */
    ll_stream *s;   /* the connection */
    bool keep;      /* keep-alive after this response */
    bool head;      /* a HEAD: everything but the body is sent */
} http_reply;

/* A request being answered: what its handler is given, and its reply.  The
 * requests being answered on this thread (a server runs on its loop's
 * thread) are listed, so that a call given an ll_http_request * finds the
 * reply of one the server made, and tells any other pointer apart without
 * reading past it. */
typedef struct http_req {
    ll_http_request pub;
    http_reply *reply;
    const ll_http_server *srv; /* the server answering it */
    struct http_req *next;
} http_req;
static _Thread_local http_req *answering;

static http_reply *reply_of(const ll_http_request *req) {
    for (http_req *r = answering; req && r; r = r->next)
        if (&r->pub == req)
            return r->reply;
    return NULL;
}

static void answering_drop(http_req *hr) {
    for (http_req **p = &answering; *p; p = &(*p)->next)
        if (*p == hr) {
            *p = hr->next;
            return;
        }
}

static void reaper_stop(ll_http_server *srv) {
    if (srv->reaper) {
        uv_timer_stop(srv->reaper);
        uv_close((uv_handle_t *)srv->reaper, (uv_close_cb)free);
        srv->reaper = NULL;
    }
}

static void http_server_free(void *arg) {
    ll_http_server *srv = arg;
    reaper_stop(srv);
    /* A request its server leaves unanswered is no request any more. */
    for (http_req **p = &answering; *p;)
        if ((*p)->srv == srv)
            *p = (*p)->next;
        else
            p = &(*p)->next;
    for (size_t i = 0; i < srv->nroutes; i++)
        free(srv->routes[i].path);
    free(srv->routes);
    srv->magic = 0;
    free(srv);
}

ll_http_server *ll__http_server_new(void *data, const char *file, int line) {
    ll_loop *loop = owning_loop("ll_http_server_new()", file, line);
    if (!loop)
        return NULL;
    ll_http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    srv->magic = MAGIC_HTTP_SERVER;
    srv->loop = loop;
    srv->data = data;
    srv->closer = ll__io_at_close(loop, http_server_free, srv);
    if (!srv->closer) {
        free(srv);
        return NULL;
    }
    ll__http_server_limits(srv, NULL, file, line);
    return srv;
}

/* The most connections a server keeps open: what the descriptor limit
 * leaves after a margin for everything else the process opens.  Past it
 * libuv would accept and drop connections unanswered (its EMFILE trick). */
static size_t default_max_connections(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 60000;
    return rl.rlim_cur > 96 ? (size_t)rl.rlim_cur - 64 : 32;
}

int ll__http_server_limits(ll_http_server *srv, const ll_http_limits *lim, const char *file,
                           int line) {
    if (!srv || srv->magic != MAGIC_HTTP_SERVER ||
        (lim && (!(lim->header_timeout >= 0) || !(lim->idle_timeout >= 0)))) {
        ll__misuse(ll__running_loop, file, line,
                   "ValueError: ll_http_server_limits() needs a server made by "
                   "ll_http_server_new and timeouts that are 0 (the default) or more seconds");
        return LL_EVALUE;
    }
    ll_http_limits d = {DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, MAX_BODY_BYTES,
                        default_max_connections()};
    if (lim) {
        if (lim->header_timeout > 0)
            d.header_timeout = lim->header_timeout;
        if (lim->idle_timeout > 0)
            d.idle_timeout = lim->idle_timeout;
        if (lim->max_body > 0)
            d.max_body = lim->max_body < MAX_BODY_BYTES ? lim->max_body : MAX_BODY_BYTES;
        if (lim->max_connections > 0)
            d.max_connections = lim->max_connections;
    }
    srv->lim = d;
    return 0;
}

/* ---- the server's limits in time and number ----------------------------------- */

static uint64_t now_ms(const ll_http_server *srv) {
    return uv_now((uv_loop_t *)ll__uv_loop(srv->loop));
}

/* A connection enters a phase of its request: its deadline moves with it
 * (headers: from the first byte; idle and body: from the last progress). */
static void hc_enter(hconn *hc, hc_phase phase) {
    const ll_http_limits *l = &hc->srv->lim;
    hc->phase = phase;
    double secs = phase == HC_HEADERS ? l->header_timeout : l->idle_timeout;
    hc->deadline = phase == HC_HANDLING ? 0 : now_ms(hc->srv) + (uint64_t)(secs * 1000.0) + 1;
}

/* Closes a connection that waited too long, or must make room: one that
 * is half-way through its headers is told 408 first. */
static void hc_expire(hconn *hc) {
    if (hc->timed_out)
        return;
    hc->timed_out = true;
    hc->deadline = 0;
    if (hc->phase == HC_HEADERS && ll__stream_writable(hc->s)) {
        static const char msg408[] = "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; "
                                     "charset=utf-8\r\nContent-Length: 49\r\nConnection: close"
                                     "\r\n\r\n408 Request Timeout: the headers came too slowly\n";
        ll_stream_write(hc->s, msg408, sizeof msg408 - 1);
    }
    ll_stream_close(hc->s); /* nothing, if it is closing already */
}

static void reaper_cb(uv_timer_t *t) {
    ll_http_server *srv = t->data;
    uint64_t now = now_ms(srv);
    for (hconn *hc = srv->conns; hc; hc = hc->next)
        if (hc->deadline && hc->deadline <= now)
            hc_expire(hc);
}

/* One timer per server looks over its connections a few times per
 * shortest timeout: a slow client costs no timer of its own. */
static void reaper_start(ll_http_server *srv) {
    double shortest = srv->lim.header_timeout < srv->lim.idle_timeout ? srv->lim.header_timeout
                                                                      : srv->lim.idle_timeout;
    uint64_t every = (uint64_t)(shortest * 1000.0 / 4);
    every = every < 10 ? 10 : every > 1000 ? 1000 : every;
    srv->reaper = malloc(sizeof *srv->reaper);
    if (!srv->reaper || uv_timer_init((uv_loop_t *)ll__uv_loop(srv->loop), srv->reaper) != 0) {
        free(srv->reaper);
        srv->reaper = NULL;
        return;
    }
    srv->reaper->data = srv;
    uv_timer_start(srv->reaper, reaper_cb, every, every);
    uv_unref((uv_handle_t *)srv->reaper); /* it never keeps the loop alive */
}

/* A new connection joins the list; past the limit, the oldest one that
 * is only waiting (for a request, or its headers) makes room. */
static void hc_join(ll_http_server *srv, hconn *hc) {
    hc->prev = srv->conns_tail;
    if (srv->conns_tail)
        srv->conns_tail->next = hc;
    else
        srv->conns = hc;
    srv->conns_tail = hc;
    if (++srv->nconns <= srv->lim.max_connections)
        return;
    for (hconn *o = srv->conns; o && o != hc; o = o->next)
        if (!o->timed_out && (o->phase == HC_IDLE || o->phase == HC_HEADERS)) {
            hc_expire(o);
            return;
        }
}

static void hc_leave(ll_http_server *srv, hconn *hc) {
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        srv->conns = hc->next;
    if (hc->next)
        hc->next->prev = hc->prev;
    else
        srv->conns_tail = hc->prev;
    srv->nconns--;
}

int ll__http_route(ll_http_server *srv, const char *method, const char *path, ll_coro_fn handler,
                   const char *handler_name, const char *file, int line) {
    if (!srv || srv->magic != MAGIC_HTTP_SERVER || !method || !path || !handler ||
        strlen(method) >= sizeof srv->routes[0].method || path[0] != '/') {
        ll__misuse(ll__running_loop, file, line,
                   "ValueError: ll_http_route() needs a server, a method, a path starting "
                   "with '/' and a handler");
        return LL_EVALUE;
    }
    route *nr = realloc(srv->routes, (srv->nroutes + 1) * sizeof *nr);
    if (!nr)
        return LL_ENOMEM;
    srv->routes = nr;
    route *r = &nr[srv->nroutes];
    memset(r, 0, sizeof *r);
    snprintf(r->method, sizeof r->method, "%s", method);
    r->path = strdup(path);
    if (!r->path)
        return LL_ENOMEM;
    r->plen = strlen(path);
    if (r->plen && path[r->plen - 1] == '*') {
        r->prefix = true;
        r->plen--;
    }
    r->fn = handler;
    r->fn_name = handler_name;
    r->file = file;
    r->line = line;
    srv->nroutes++;
    return 0;
}

static const char *status_text(int status) {
    const char *s = http_status_str((enum http_status)status);
    return s && strcmp(s, "<unknown>") != 0 ? s : "Unknown";
}

/* The reply of a request that may still get its response: 0 and *out, or
 * the error code (the misuse is reported). */
static int new_reply(ll_http_request *req, int status, const char *what, const char *file, int line,
                     http_reply **out) {
    http_reply *rp = reply_of(req);
    if (!rp) {
        ll__misuse(ll__running_loop, file, line,
                   "TypeError: %s needs the request its handler was given", what);
        return LL_ETYPE;
    }
    if (rp->set) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: a second response to %s %s (a request gets one response)",
                   req->method, req->path);
        return LL_ERUNTIME;
    }
    if (status < 100 || status > 999) {
        ll__misuse(ll__running_loop, file, line, "ValueError: HTTP status %d is not 100..999",
                   status);
        return LL_EVALUE;
    }
    *out = rp;
    return 0;
}

/* The error value for what new_reply refused. */
static ll_value reply_refused(int rc, const char *what) {
    return ll_raise(rc, "%s: %s", what,
                    rc == LL_ETYPE      ? "not the request its handler was given"
                    : rc == LL_ERUNTIME ? "a second response to one request"
                                        : "an HTTP status is 100..999");
}

ll_value ll__http_respond(ll_http_request *req, int status, const char *content_type,
                          const void *body, size_t len, const char *file, int line) {
    http_reply *rp;
    int rc = new_reply(req, status, "ll_http_respond()", file, line, &rp);
    if (rc)
        return reply_refused(rc, "ll_http_respond()");
    rp->body = malloc(len + 1);
    if (!rp->body)
        return ll_raise(LL_ENOMEM, "no memory for the response");
    if (len)
        memcpy(rp->body, body, len);
    rp->len = len;
    rp->status = status;
    rp->ctype = content_type ? content_type : DEFAULT_CTYPE;
    rp->set = true;
    return ll_none();
}

ll_value ll__http_stream_start(ll_http_request *req, int status, const char *content_type,
                               const char *file, int line) {
    http_reply *rp;
    int rc = new_reply(req, status, "ll_http_stream_start()", file, line, &rp);
    if (rc)
        return reply_refused(rc, "ll_http_stream_start()");
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
                     "Server: looplab/" LL_VERSION_STRING "\r\nConnection: %s\r\n\r\n",
                     status, status_text(status), content_type ? content_type : DEFAULT_CTYPE,
                     rp->keep ? "keep-alive" : "close");
    if (n < 0 || (size_t)n >= sizeof head)
        return ll_raise(LL_EVALUE, "the Content-Type %s is too long", content_type);
    rp->set = rp->streaming = true;
    rp->status = status;
    ll_stream_write(rp->s, head, (size_t)n);
    return ll_none();
}

ll_value ll__http_send(ll_http_request *req, const void *data, size_t len, const char *file,
                       int line) {
    http_reply *rp = reply_of(req);
    if (!rp || !rp->streaming) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: ll_http_send() before ll_http_stream_start() (or on a "
                   "request that is not this handler's)");
        return ll_raise(LL_ERUNTIME, "ll_http_send() before ll_http_stream_start()");
    }
    if (!data && len)
        return ll_raise(LL_EVALUE, "ll_http_send() of a NULL buffer");
    if (len == 0 || rp->head)
        return ll_none(); /* an empty chunk would end the body; a HEAD has none */
    char size[32];
    int n = snprintf(size, sizeof size, "%zx\r\n", len);
    ll_stream_write(rp->s, size, (size_t)n);
    ll_stream_write(rp->s, data, len);
    ll_stream_write(rp->s, "\r\n", 2);
    /* Send it now: a client reading the stream sees each piece as it comes
     * (and a client that went away is an error here). */
    return ll__stream_drain(rp->s, file, line);
}

const char *ll_http_request_header(const ll_http_request *req, const char *name) {
    if (!req || !name)
        return NULL;
    return find_header(req->nheaders, req->header_names, req->header_values, name);
}

const char *ll_http_request_peer(const ll_http_request *req) {
    http_reply *rp = reply_of(req);
    return rp ? ll_stream_peer(rp->s) : "";
}

/* One whole response.  `extra` is more header lines ("Allow: GET\r\n");
 * `head_only` leaves the body out but keeps its length (a HEAD). */
static void send_reply(ll_stream *s, int status, const char *ctype, const char *extra,
                       const char *body, size_t len, bool keep, bool head_only) {
    char head[768];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                     "Server: looplab/" LL_VERSION_STRING "\r\nConnection: %s\r\n\r\n",
                     status, status_text(status), ctype ? ctype : DEFAULT_CTYPE, len,
                     extra ? extra : "", keep ? "keep-alive" : "close");
    if (n < 0 || (size_t)n >= sizeof head)
        return;
    if (head_only)
        len = 0;
    if (len && len <= 16384) {
        /* One write for small answers: one packet, one io event. */
        char *all = malloc((size_t)n + len);
        if (all) {
            memcpy(all, head, (size_t)n);
            memcpy(all + n, body, len);
            ll_stream_write(s, all, (size_t)n + len);
            free(all);
            return;
        }
    }
    ll_stream_write(s, head, (size_t)n);
    if (len)
        ll_stream_write(s, body, len);
}

static const route *match(const ll_http_server *srv, const char *method, const char *path,
                          bool *path_known) {
    *path_known = false;
    for (size_t i = 0; i < srv->nroutes; i++) {
        const route *r = &srv->routes[i];
        bool ok = r->prefix ? strncmp(path, r->path, r->plen) == 0 : strcmp(path, r->path) == 0;
        if (!ok)
            continue;
        *path_known = true;
        if (strcmp(r->method, method) == 0 || strcmp(r->method, "*") == 0)
            return r;
    }
    return NULL;
}

/* The route of a request: HEAD is answered wherever GET is (RFC 9110
 * 9.3.2), by the GET handler, with the body left out. */
static const route *route_for(const ll_http_server *srv, const char *method, const char *path,
                              bool *path_known) {
    const route *r = match(srv, method, path, path_known);
    if (!r && strcmp(method, "HEAD") == 0)
        r = match(srv, "GET", path, path_known);
    return r;
}

/* The Allow header of a 405: the methods the path has. */
static void allowed(const ll_http_server *srv, const char *path, char *buf, size_t n) {
    size_t at = 0;
    bool get = false;
    buf[0] = '\0';
    for (size_t i = 0; i < srv->nroutes && at < n; i++) {
        const route *r = &srv->routes[i];
        if (r->prefix ? strncmp(path, r->path, r->plen) != 0 : strcmp(path, r->path) != 0)
            continue;
        get = get || strcmp(r->method, "GET") == 0;
        at += (size_t)snprintf(buf + at, n - at, "%s%s", at ? ", " : "", r->method);
    }
    if (get && at < n)
        snprintf(buf + at, n - at, ", HEAD");
}

static size_t body_limit(const msg *m) {
    return m->hc ? m->hc->srv->lim.max_body : MAX_BODY_BYTES;
}

/* At the end of a request's headers: a body over the limit (413), or a
 * body for a route that can only refuse (404 / 405), stops the request
 * before any of the body is read.  A body the handler will get is asked
 * for if the client waits to be asked (Expect: 100-continue). */
static bool refuse_early(msg *m, http_parser *p) {
    const ll_http_server *srv = m->hc->srv;
    bool sized = p->content_length != ULLONG_MAX;
    if (!(p->flags & F_CHUNKED) && !(sized && p->content_length > 0))
        return false;
    char path[1024];
    size_t n = strcspn(m->buf, "?");
    if (n >= sizeof path)
        n = sizeof path - 1;
    memcpy(path, m->buf, n);
    path[n] = '\0';
    bool known;
    if (!route_for(srv, http_method_str((enum http_method)p->method), path, &known)) {
        m->refuse = known ? 405 : 404;
        return true;
    }
    if (sized && p->content_length > srv->lim.max_body) {
        m->body_too_big = true;
        return true;
    }
    for (size_t i = 0; i < m->nh; i++)
        if (strcasecmp(m->buf + m->offs[2 * i], "Expect") == 0 && m->offs[2 * i + 1] &&
            strcasecmp(m->buf + m->offs[2 * i + 1], "100-continue") == 0) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            ll_stream_write(m->hc->s, cont, sizeof cont - 1);
        }
    return false;
}

/* Whether the refused bytes (still buffered) start with a method-like
 * word, "PURGE /x": then the method is unknown, not the request garbage. */
static bool unknown_method(ll_stream *s) {
    size_t n, i = 0;
    const char *p = ll__stream_peek(s, &n);
    while (i < n && i < 24 && ((p[i] >= 'A' && p[i] <= 'Z') || p[i] == '-' || p[i] == '_'))
        i++;
    return i > 0 && i < n && p[i] == ' ';
}

/* A request the server stops at its headers (too big, bad, refused): the
 * answer, then the connection closes.  The client may still be sending
 * the body; closing with unread bytes would reset the connection and could
 * lose the answer, so the server stops writing and reads what comes (up
 * to LINGER_BYTES, within the idle timeout) before it closes. */
static void refuse(hconn *hc, msg *m, rd_status st) {
    char why[400], extra[160] = "";
    enum http_errno e = HTTP_PARSER_ERRNO(&m->p);
    /* A method the parser does not know is one the server does not
     * implement (RFC 9110 15.6.2), not a malformed request. */
    int code = st == RD_TOO_BIG                                   ? 431
               : st == RD_BODY_TOO_BIG                            ? 413
               : st == RD_REFUSED                                 ? m->refuse
               : e == HPE_INVALID_METHOD && unknown_method(hc->s) ? 501
                                                                  : 400;
    const char *text = code == 501             ? "the method is not one this server knows"
                       : st == RD_BAD          ? http_errno_description(e)
                       : st == RD_TOO_BIG      ? "the request's headers are too long"
                       : st == RD_BODY_TOO_BIG ? "the request's body is too large"
                                               : NULL;
    int n;
    if (text) {
        n = snprintf(why, sizeof why, "%d %s: %s\n", code, status_text(code), text);
    } else {
        const char *meth = http_method_str((enum http_method)m->p.method);
        size_t plen = strcspn(m->buf, "?");
        n = snprintf(why, sizeof why, "%d %s: %s %.*s\n", code, status_text(code), meth,
                     (int)(plen < 200 ? plen : 200), m->buf);
        if (code == 405) {
            char path[1024], allow[120];
            snprintf(path, sizeof path, "%.*s", (int)plen, m->buf);
            allowed(hc->srv, path, allow, sizeof allow);
            snprintf(extra, sizeof extra, "Allow: %s\r\n", allow);
        }
    }
    send_reply(hc->s, code, NULL, extra, why, (size_t)n, false, false);
    if (ll_failed(ll__stream_settle(hc->s, hc->srv->file, hc->srv->line)) ||
        ll_failed(ll_stream_write_eof(hc->s)))
        return;
    hc_enter(hc, HC_BODY);
    for (size_t drained = 0; drained < LINGER_BYTES;) {
        size_t k;
        ll__stream_peek(hc->s, &k);
        ll__stream_consume(hc->s, k);
        drained += k;
        bool ended;
        if (ll_failed(ll__stream_more(hc->s, &ended, hc->srv->file, hc->srv->line)) || ended)
            break;
    }
}

/* Runs the route's handler for req and sends its answer.  False: the task
 * was cancelled (*cancel holds the error) and the connection must stop. */
static bool handle(const route *r, ll_http_request *req, http_reply *rp, ll_value *cancel) {
    ll_coro *c = ll__coro_new(r->fn, ll_ptr(req), r->fn_name, r->file, r->line);
    ll__coro_private(c); /* awaited here and nowhere else: reused at once */
    ll_value v = c ? ll__await(c, r->file, r->line) : ll_raise(LL_ENOMEM, "no memory");
    if (ll_is_cancelled(v)) {
        *cancel = v;
        return false;
    }
    if (rp->streaming) {
        /* The last chunk; a handler that failed half-way cannot say so any
         * more: the body is cut off and the connection closed, and the
         * client sees an incomplete response. */
        if (ll_failed(v))
            rp->keep = false;
        else if (!rp->head)
            ll_stream_write(rp->s, "0\r\n\r\n", 5);
    } else if (ll_failed(v) && !rp->set) {
        char m500[400];
        int n = snprintf(m500, sizeof m500, "500 Internal Server Error: %s\n", ll_repr(v));
        send_reply(rp->s, 500, NULL, NULL, m500, (size_t)n, rp->keep, rp->head);
    } else if (!rp->set) {
        static const char none[] = "500 Internal Server Error: the handler gave no response\n";
        send_reply(rp->s, 500, NULL, NULL, none, sizeof none - 1, rp->keep, rp->head);
    } else {
        send_reply(rp->s, rp->status, rp->ctype, NULL, rp->body, rp->len, rp->keep, rp->head);
    }
    return true;
}

/* Answers one parsed request.  False: stop (cancelled, or no memory). */
static bool answer(hconn *hc, msg *m, ll_value *cancel) {
    ll_http_server *srv = hc->srv;
    const char **names, **values;
    const char *url, *body;
    char *blk = msg_pack(m, 0, &names, &values, &url, &body);
    if (!blk)
        return false;
    /* Split the target into path and query. */
    char *q = strchr((char *)url, '?');
    if (q)
        *q++ = '\0';
    http_reply rp = {.s = hc->s, .keep = http_should_keep_alive(&m->p)};
    http_req hr = {
        .pub =
            {
                .method = http_method_str((enum http_method)m->p.method),
                .path = url,
                .query = q ? q : "",
                .nheaders = m->nh,
                .header_names = names,
                .header_values = values,
                .body = body,
                .body_len = m->blen,
                .data = srv->data,
            },
        .reply = &rp,
        .srv = srv,
        .next = answering,
    };
    ll_http_request *req = &hr.pub;
    answering = &hr;
    rp.head = strcmp(req->method, "HEAD") == 0;
    bool known, go_on = true;
    const route *r = route_for(srv, req->method, req->path, &known);
    hc_enter(hc, HC_HANDLING);
    if (!r) {
        char msg404[300], extra[160] = "";
        int n =
            snprintf(msg404, sizeof msg404, "%s: %s %.200s\n",
                     known ? "405 Method Not Allowed" : "404 Not Found", req->method, req->path);
        if (known) {
            char allow[120];
            allowed(srv, req->path, allow, sizeof allow);
            snprintf(extra, sizeof extra, "Allow: %s\r\n", allow);
        }
        send_reply(hc->s, known ? 405 : 404, NULL, extra, msg404, (size_t)n, rp.keep, rp.head);
    } else {
        go_on = handle(r, req, &rp, cancel);
    }
    answering_drop(&hr);
    free(rp.body);
    free(blk);
    srv->served++;
    if (!go_on)
        return false;
    ll_value d = ll__stream_settle(hc->s, srv->file, srv->line);
    if (ll_is_cancelled(d))
        *cancel = d;
    return !ll_failed(d) && rp.keep;
}

/* The task of one connection: requests in turn, while the client keeps the
 * connection alive and within the server's limits. */
static ll_value http_conn(ll_value arg) {
    ll_stream *s = arg.p;
    ll_http_server *srv = ll_stream_server_data(s);
    hconn hc = {.srv = srv, .s = s};
    msg m = {.hc = &hc};
    hc_join(srv, &hc);
    ll_value result = ll_none();
    for (;;) {
        ll_value err = ll_none();
        rd_status st = read_msg(s, &m, HTTP_REQUEST, &err, srv->file, srv->line);
        if (st == RD_EOF_BEFORE || st == RD_EOF_HEADERS || st == RD_EOF_BODY)
            break; /* the client went away, or took too long */
        if (st == RD_FAILED) {
            if (ll_is_cancelled(err))
                result = err;
            break;
        }
        if (st != RD_OK) {
            refuse(&hc, &m, st);
            break;
        }
        if (!answer(&hc, &m, &result))
            break;
    }
    hc_leave(srv, &hc);
    m.hc = NULL;
    msg_free(&m);
    return result;
}

ll_value ll__http_listen(ll_http_server *srv, const char *host, int port, const char *file,
                         int line) {
    if (!srv || srv->magic != MAGIC_HTTP_SERVER) {
        ll__misuse(ll__running_loop, file, line,
                   "TypeError: ll_http_listen() needs a server "
                   "made by ll_http_server_new");
        return ll_raise(LL_ETYPE, "not an HTTP server");
    }
    srv->file = file;
    srv->line = line;
    ll_value v = ll__start_server(http_conn, "http_conn", host, port, srv, file, line);
    if (ll_failed(v))
        return v;
    srv->listener = v.p;
    if (!srv->reaper)
        reaper_start(srv);
    return ll_none();
}

int ll_http_server_port(const ll_http_server *srv) {
    return srv && srv->magic == MAGIC_HTTP_SERVER && srv->listener ? ll_server_port(srv->listener)
                                                                   : -1;
}

void ll_http_server_close(ll_http_server *srv) {
    if (srv && srv->magic == MAGIC_HTTP_SERVER && srv->listener)
        ll__server_close(srv->listener, __FILE__, __LINE__);
    /* Connections still open are the handlers' (or the loop's end) to
     * finish: the limits stop with the listener. */
    if (srv && srv->magic == MAGIC_HTTP_SERVER)
        reaper_stop(srv);
}
