/* looplab/http.h - HTTP/1.1 on Looplab's streams: a client session (what
 * aiohttp's ClientSession gives Python), a server with routes, and the slow
 * web, a small local web for lessons.
 *
 * Part of Looplab's public API, included by <looplab.h> (include that).
 * Calls that can wait return an ll_value, as in the core. */
#ifndef LOOPLAB_H
#include "../looplab.h" /* which includes this file at its end */
#elif !defined(LOOPLAB_HTTP_H)
#define LOOPLAB_HTTP_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- HTTP/1.1: a client session and a server ------------------------------------
 * What aiohttp gives Python programs, on Looplab's streams (so: the real
 * clock).  Messages are parsed by http-parser.  Plain http:// only: the web
 * Looplab talks to is local (see the slow web below).
 *
 * The client: a session keeps connections open between requests
 * (keep-alive) and reuses them, with at most `limit` connections at once
 * (aiohttp's TCPConnector: 100), `limit_per_host` per host (0: no limit);
 * a request waiting for a free connection waits on a semaphore that shows
 * in the trace.  Each request has a timeout (TimeoutError).
 *
 *     ll_session *session = ll_session_new(NULL);         // aiohttp.ClientSession()
 *     ll_value r = ll_session_get(session, url);          // session.get(url)
 *     if (ll_failed(r)) return r;
 *     ll_response *resp = r.p;                            // resp.status, await resp.text()
 *     ll_print("%d: %zu characters", resp->status, resp->body_len);
 *     ll_session_close(session);
 */
typedef struct ll_session ll_session;
typedef struct ll_session_opts {
    int limit;          /* connections open at once (0: 100) */
    int limit_per_host; /* per host:port (0: no limit) */
    double timeout;     /* seconds for each request (0: 300, aiohttp's total) */
} ll_session_opts;

/* A response, read in full.  Everything stays valid until ll_response_free
 * or until the session is closed. */
typedef struct ll_response {
    int status;         /* 200 */
    const char *reason; /* "OK" */
    const char *url;    /* what was asked for */
    size_t nheaders;
    const char *const *header_names; /* as the server sent them */
    const char *const *header_values;
    const char *body; /* body_len bytes, then a NUL */
    size_t body_len;
} ll_response;

#define ll_session_new(opts) ll__session_new((opts), __FILE__, __LINE__)
/* `await session.get(url)` and the body read: the value's .p is the
 * ll_response.  Errors: ConnectionRefusedError, TimeoutError,
 * ServerDisconnectedError (closed before the response was complete),
 * BadHttpMessage (malformed), ClientPayloadError (body cut short),
 * ValueError (a bad URL), each naming the URL. */
#define ll_session_get(session, url) ll__session_get((session), (url), __FILE__, __LINE__)
/* A header's value by name (any case), or NULL. */
const char *ll_response_header(const ll_response *r, const char *name);
void ll_response_free(ll_response *r);
/* `await session.close()`: closes its connections and frees its
 * responses.  A session never closed is reported (aiohttp's "Unclosed
 * client session") and freed when the loop closes. */
#define ll_session_close(session) ll__session_close((session), __FILE__, __LINE__)

/* The server: routes map a method and a path to a handler, a coroutine
 * that gets ll_ptr(request) and answers with ll_http_respond.  Each
 * connection is its own task and handlers run inline in it (so a handler
 * that sleeps shows as that connection's task sleeping).  A path ending in
 * '*' matches every path that starts with what comes before it.  No route:
 * 404.  A handler that fails: 500 with the error.  A request that cannot be
 * parsed: 400, and the connection is closed; headers over 16 KiB: 431. */
typedef struct ll_http_server ll_http_server;
typedef struct ll_http_request {
    const char *method; /* "GET" */
    const char *path;   /* "/delay/50" (no query) */
    const char *query;  /* "size=10" or "" */
    size_t nheaders;
    const char *const *header_names;
    const char *const *header_values;
    const char *body; /* body_len bytes, then a NUL */
    size_t body_len;
    void *data; /* the server's data */
} ll_http_request;

#define ll_http_server_new(data) ll__http_server_new((data), __FILE__, __LINE__)
#define ll_http_route(srv, method, path, handler)                                                  \
    ll__http_route((srv), (method), (path), (handler), #handler, __FILE__, __LINE__)
/* Starts listening (port 0: the system picks; ll_http_server_port says
 * which).  None, or the error (address in use...). */
#define ll_http_listen(srv, host, port) ll__http_listen((srv), (host), (port), __FILE__, __LINE__)
int ll_http_server_port(const ll_http_server *srv);
/* Stops accepting connections. */
void ll_http_server_close(ll_http_server *srv);
/* The answer to a request: status, Content-Type (NULL: text/plain) and a
 * body of len bytes (copied).  None, or a RuntimeError value when it
 * already has one. */
#define ll_http_respond(req, status, content_type, body, len)                                      \
    ll__http_respond((req), (status), (content_type), (body), (len), __FILE__, __LINE__)
const char *ll_http_request_header(const ll_http_request *req, const char *name);
/* The client's address, "127.0.0.1:50312" (aiohttp's request.remote); asked
 * of the socket the first time it is wanted. */
const char *ll_http_request_peer(const ll_http_request *req);
/* A streamed response (aiohttp's StreamResponse): ll_http_stream_start
 * sends the status and headers at once, with chunked transfer encoding;
 * each ll_http_send sends one piece and waits until it is on its way (a
 * client that went away makes it fail); the body ends when the handler
 * returns.  A handler that fails after starting cuts the body short and
 * the connection is closed.  None, or the error. */
#define ll_http_stream_start(req, status, content_type)                                            \
    ll__http_stream_start((req), (status), (content_type), __FILE__, __LINE__)
#define ll_http_send(req, data, len) ll__http_send((req), (data), (len), __FILE__, __LINE__)
/* What a server allows its clients (0 in a field keeps its default).  A
 * client that takes longer than header_timeout from a request's first byte
 * to the end of its headers gets 408 and is closed (a slowloris); one that
 * sends nothing for idle_timeout, between requests or in the middle of a
 * body, is closed without an answer.  A body over max_body is refused with
 * 413 from its headers, before any of it is read; so is any body sent to a
 * path or method that has no route (404 / 405).  Past max_connections open
 * at once, the oldest connection still waiting for its request is closed
 * to make room.  Call before ll_http_listen. */
typedef struct ll_http_limits {
    double header_timeout;  /* seconds (10) */
    double idle_timeout;    /* seconds (30) */
    size_t max_body;        /* bytes (64 MiB, also the most it can be) */
    size_t max_connections; /* (the descriptor limit less 64) */
} ll_http_limits;
#define ll_http_server_limits(srv, ...) /* variadic: a compound literal has commas */              \
    ll__http_server_limits((srv), (__VA_ARGS__), __FILE__, __LINE__)

/* ---- The slow web ------------------------------------------------------------------
 * A small local web for lessons and tests, since Looplab has no internet:
 * pages that answer after a chosen delay, served by the HTTP server above.
 *     /example  0.3 s, 1256 bytes        /python  0.5 s, 50000 bytes
 *     /slow     2 s,   2048 bytes        /        0 s, the list of pages
 *     /delay/MS?size=N   MS milliseconds, N bytes (default 100)
 * ll_slow_web_start runs it in this process, on a loop of its own in a
 * background thread (not recorded), and returns its base URL
 * ("http://127.0.0.1:PORT"); port 0 lets the system pick.  If
 * LOOPLAB_WEB is set (say to a `looplab serve` in a classroom), that URL is
 * returned instead and nothing is started.  NULL on failure (the reason is
 * printed).  ll_slow_web_stop stops it (also done at exit). */
const char *ll_slow_web_start(int port);
void ll_slow_web_stop(void);

#ifdef __cplusplus
}
#endif
#endif
