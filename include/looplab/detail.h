/* looplab/detail.h - what Looplab's macros expand to.  NOT API.
 *
 * Nothing here is meant to be called or named by a program: the public
 * macros of <looplab.h> and its I/O headers (ll_coro, ll_sleep, LL_TRY,
 * ll_stream_read...) expand to these functions, adding the caller's
 * __FILE__ and __LINE__ so that traces and reports name the program's line.
 * The names start with `ll__` and may change in any release.  looplab.h
 * includes this file last; include <looplab.h>, not this file. */
#ifndef LOOPLAB_H
#include "../looplab.h" /* which includes this file at its end */
#elif !defined(LOOPLAB_DETAIL_H)
#define LOOPLAB_DETAIL_H

#ifdef __cplusplus
extern "C" {
#endif

/* LL_NOARGS's parameter is named, and marked unused. */
#if defined(__GNUC__)
#define LL__UNUSED __attribute__((unused))
#else
#define LL__UNUSED
#endif

/* ---- Arguments: boxing by type (ll_coro, ll_agen, ll_to_thread, ll_tuple) ----
 * Each argument becomes an ll_value by its C type: with _Generic in C, with
 * overloads in C++.  A string to copy is marked in .err until the library
 * has copied it.  LL__VALUES(n, ...) is an array of n values that lives
 * until the end of the call: a compound literal in C, a temporary in C++. */
enum { LL__ARG_COPY = 0x59504f43 };
static inline ll_value ll__box_s(const char *s) {
    ll_value v = ll_str(s);
    v.err = LL__ARG_COPY;
    return s ? v : ll_none();
}
#ifndef __cplusplus
static inline ll_value ll__box_i(long long i) {
    return ll_int(i);
}
static inline ll_value ll__box_u(unsigned long long u) {
    return ll_int((long long)u);
}
static inline ll_value ll__box_b(bool b) {
    return ll_bool(b);
}
static inline ll_value ll__box_f(double f) {
    return ll_float(f);
}
static inline ll_value ll__box_p(const void *p) {
    return ll_ptr((void *)(uintptr_t)p);
}
static inline ll_value ll__box_v(ll_value v) {
    return v;
}
#define ll__box(x)                                                                                 \
    _Generic((x),                                                              \
        bool: ll__box_b, char: ll__box_i, signed char: ll__box_i,              \
        unsigned char: ll__box_u, short: ll__box_i, unsigned short: ll__box_u, \
        int: ll__box_i, unsigned: ll__box_u, long: ll__box_i,                  \
        unsigned long: ll__box_u, long long: ll__box_i,                        \
        unsigned long long: ll__box_u, float: ll__box_f, double: ll__box_f,    \
        long double: ll__box_f, char *: ll__box_s, const char *: ll__box_s,    \
        ll_value: ll__box_v, default: ll__box_p)(x)
#define LL__VALUES(n, ...) ((const ll_value[]){__VA_ARGS__})
#else
} /* extern "C": the overloads and the template are C++ */
inline ll_value ll__box(bool b) {
    return ll_bool(b);
}
inline ll_value ll__box(char i) {
    return ll_int(i);
}
inline ll_value ll__box(signed char i) {
    return ll_int(i);
}
inline ll_value ll__box(unsigned char i) {
    return ll_int(i);
}
inline ll_value ll__box(short i) {
    return ll_int(i);
}
inline ll_value ll__box(unsigned short i) {
    return ll_int(i);
}
inline ll_value ll__box(int i) {
    return ll_int(i);
}
inline ll_value ll__box(unsigned i) {
    return ll_int(i);
}
inline ll_value ll__box(long i) {
    return ll_int(i);
}
inline ll_value ll__box(unsigned long i) {
    return ll_int((long long)i);
}
inline ll_value ll__box(long long i) {
    return ll_int(i);
}
inline ll_value ll__box(unsigned long long i) {
    return ll_int((long long)i);
}
inline ll_value ll__box(float f) {
    return ll_float(f);
}
inline ll_value ll__box(double f) {
    return ll_float(f);
}
inline ll_value ll__box(long double f) {
    return ll_float((double)f);
}
inline ll_value ll__box(const char *s) {
    return ll__box_s(s);
}
inline ll_value ll__box(char *s) {
    return ll__box_s(s);
}
inline ll_value ll__box(ll_value v) {
    return v;
}
template <class T> inline ll_value ll__box(T *p) {
    return ll_ptr((void *)p);
}
template <class T> inline ll_value ll__box(const T *p) {
    return ll_ptr((void *)p);
}
template <unsigned N> struct ll__values { ll_value v[N]; };
/* LL_PARAMS's list in C++: at most 63 parameters, NULL after the last. */
struct ll__params {
    const char *v[64];
};
#define LL__VALUES(n, ...) (ll__values<n>{{__VA_ARGS__}}.v)
extern "C" {
#endif
/* LL__FN_ARGS(fn, a, b): `(fn), "fn", 2, {a, b}` boxed. */
#define LL__NARG(...) LL__NARG_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0, ~)
#define LL__NARG_(f, a, b, c, d, e, g, n, ...) n
#define LL__CAT(a, b) LL__CAT_(a, b)
#define LL__CAT_(a, b) a##b
#define LL__FN_ARGS(...) LL__CAT(LL__FN_ARGS_, LL__NARG(__VA_ARGS__))(__VA_ARGS__)
#define LL__FN_ARGS_0(f) (f), #f, 0, (const ll_value *)0
#define LL__FN_ARGS_1(f, a) (f), #f, 1, LL__VALUES(1, ll__box(a))
#define LL__FN_ARGS_2(f, a, b) (f), #f, 2, LL__VALUES(2, ll__box(a), ll__box(b))
#define LL__FN_ARGS_3(f, a, b, c) (f), #f, 3, LL__VALUES(3, ll__box(a), ll__box(b), ll__box(c))
#define LL__FN_ARGS_4(f, a, b, c, d)                                                               \
    (f), #f, 4, LL__VALUES(4, ll__box(a), ll__box(b), ll__box(c), ll__box(d))
#define LL__FN_ARGS_5(f, a, b, c, d, e)                                                            \
    (f), #f, 5, LL__VALUES(5, ll__box(a), ll__box(b), ll__box(c), ll__box(d), ll__box(e))
#define LL__FN_ARGS_6(f, a, b, c, d, e, g)                                                         \
    (f), #f, 6,                                                                                    \
        LL__VALUES(6, ll__box(a), ll__box(b), ll__box(c), ll__box(d), ll__box(e), ll__box(g))

/* The coroutine objects of the `_coro` forms (ll_sleep_coro ...): which
 * wait each one makes. */
enum {
    LL__AW_SLEEP,
    LL__AW_EVENT_WAIT,
    LL__AW_QUEUE_GET,
    LL__AW_QUEUE_PUT,
    LL__AW_QUEUE_JOIN,
    LL__AW_LOCK_ACQUIRE,
    LL__AW_SEMAPHORE_ACQUIRE,
    LL__AW_CONDITION_WAIT,
    LL__AW_BARRIER_WAIT,
    LL__AW_STREAM_READ,
    LL__AW_STREAM_READLINE,
    LL__AW_STREAM_DRAIN
};
#define ll__wait_coro_of(kind, obj, v, buf, n)                                                     \
    ll__wait_coro((kind), (obj), (v), (buf), (n), __FILE__, __LINE__)

/* Notes where LL_TRY left the coroutine (for the report of a scope left
 * open) and gives v back. */
ll_value ll__try_fail(ll_value v, const char *file, int line);

/* ---- The core (looplab.h) ---- */
ll_value ll__loop_run_until_complete(ll_loop *loop, void *aw, const char *file, int line);
int ll__loop_run_forever(ll_loop *loop, const char *file, int line);
int ll__call_soon_threadsafe(ll_loop *loop, ll_callback_fn fn, void *arg, const char *file,
                             int line);
ll_future *ll__run_coroutine_threadsafe(ll_coro *c, ll_loop *loop, const char *file, int line);
int ll__run(ll_coro *main, const ll_loop_opts *opts, const char *file, int line);
ll_coro *ll__coro_newv(ll_coro_fn fn, const char *fn_name, size_t n, const ll_value *args,
                       const char *file, int line);
ll_value ll__arg(ll_value args, size_t i, int want, const char *file, int line);
ll_value ll__tuple(int no_fn, const char *no_name, size_t n, const ll_value *items);
ll_coro *ll__wait_coro(int kind, void *obj, ll_value v, void *buf, size_t n, const char *file,
                       int line);
ll_task *ll__create_task(ll_coro *coro, const char *name, const ll_task_opts *opts,
                         const char *file, int line);
ll_value ll__await(void *aw, const char *file, int line);
ll_value ll__sleep(double seconds, const char *file, int line);
bool ll__task_cancel(ll_task *task, const char *file, int line);
ll_future *ll__future_new(const char *file, int line);
ll_value ll__future_set_result(ll_future *fut, ll_value v, const char *file, int line);
ll_value ll__future_set_exception(ll_future *fut, ll_value err, const char *file, int line);
bool ll__future_cancel(ll_future *fut, const char *file, int line);
ll_future *ll__gather(bool return_exceptions, const char *file, int line, ...);
ll_future *ll__gatherv(void *const *aws, size_t n, bool return_exceptions, const char *file,
                       int line);
ll_handle *ll__call_at(ll_loop *loop, double t, int mode, ll_callback_fn fn, void *arg,
                       const char *file, int line);
void ll__print(const char *file, int line, const char *fmt, ...) LL_PRINTF(3, 4);
ll_value ll__wait_for(void *aw, double timeout, const char *file, int line);
ll_timeout *ll__timeout_enter(double when, bool absolute, const char *file, int line);
ll_value ll__timeout_reschedule(ll_timeout *to, double when, const char *file, int line);
ll_value ll__timeout_exit(ll_timeout *to, ll_value body, const char *file, int line);
ll_value ll__timeout_run(double when, bool absolute, void *aw, const char *file, int line);
ll_value ll__taskgroup_run(void *aw, const char *file, int line);
ll_future *ll__shield(void *aw, const char *file, int line);
ll_taskgroup *ll__taskgroup_enter(const char *file, int line);
ll_value ll__wait(void *const *aws, size_t n, double timeout, int return_when, bool *done,
                  const char *file, int line);
ll_as_completed *ll__as_completed(void *const *aws, size_t n, double timeout, const char *file,
                                  int line);
ll_value ll__as_completed_next(ll_as_completed *ac, const char *file, int line);
ll_task *ll__taskgroup_create_task(ll_taskgroup *tg, ll_coro *coro, const char *name,
                                   const char *file, int line);
ll_value ll__taskgroup_exit(ll_taskgroup *tg, ll_value body, const char *file, int line);
ll_lock *ll__lock_new(const char *name, const char *file, int line);
ll_value ll__lock_acquire(ll_lock *lock, const char *file, int line);
ll_value ll__lock_release(ll_lock *lock, const char *file, int line);
ll_event *ll__event_new(const char *name, const char *file, int line);
ll_value ll__event_wait(ll_event *ev, const char *file, int line);
void ll__event_set(ll_event *ev, const char *file, int line);
void ll__event_clear(ll_event *ev, const char *file, int line);
ll_semaphore *ll__semaphore_new(int value, bool bounded, const char *name, const char *file,
                                int line);
ll_value ll__semaphore_acquire(ll_semaphore *sem, const char *file, int line);
ll_value ll__semaphore_release(ll_semaphore *sem, const char *file, int line);
ll_condition *ll__condition_new(ll_lock *lock, const char *name, const char *file, int line);
ll_value ll__lock_enter(ll_lock *lock, const char *file, int line);
ll_value ll__lock_exit(ll_lock *lock, ll_value body, const char *file, int line);
ll_value ll__with_lock(ll_lock *lock, void *aw, const char *file, int line);
ll_value ll__semaphore_enter(ll_semaphore *sem, const char *file, int line);
ll_value ll__semaphore_exit(ll_semaphore *sem, ll_value body, const char *file, int line);
ll_value ll__with_semaphore(ll_semaphore *sem, void *aw, const char *file, int line);
ll_value ll__condition_enter(ll_condition *c, const char *file, int line);
ll_value ll__condition_exit(ll_condition *c, ll_value body, const char *file, int line);
ll_value ll__with_condition(ll_condition *c, void *aw, const char *file, int line);
ll_value ll__condition_wait(ll_condition *c, const char *file, int line);
ll_value ll__condition_wait_for(ll_condition *c, bool (*pred)(void *), void *arg, const char *file,
                                int line);
ll_value ll__condition_notify(ll_condition *c, int n, const char *file, int line);
ll_barrier *ll__barrier_new(int parties, const char *name, const char *file, int line);
ll_value ll__barrier_wait(ll_barrier *b, const char *file, int line);
ll_value ll__barrier_reset(ll_barrier *b, bool abort, const char *file, int line);
ll_queue *ll__queue_new(int maxsize, int kind, const char *name, const char *file, int line);
ll_value ll__queue_put(ll_queue *q, ll_value v, const char *file, int line);
ll_value ll__queue_get(ll_queue *q, const char *file, int line);
ll_value ll__queue_put_nowait(ll_queue *q, ll_value v, const char *file, int line);
ll_value ll__queue_get_nowait(ll_queue *q, const char *file, int line);
ll_value ll__queue_task_done(ll_queue *q, const char *file, int line);
ll_value ll__queue_join(ll_queue *q, const char *file, int line);
void ll__note(const char *file, int line, const char *fmt, ...) LL_PRINTF(3, 4);
ll_coro *ll__to_threadv(ll_blocking_fn fn, const char *fn_name, size_t n, const ll_value *args,
                        const char *file, int line);
ll_future *ll__run_in_executorv(ll_blocking_fn fn, const char *fn_name, size_t n,
                                const ll_value *args, const char *file, int line);
void ll__blocking(bool busy, double seconds, const char *file, int line);
ll_agen *ll__agen_newv(ll_coro_fn fn, const char *fn_name, size_t n, const ll_value *args,
                       const char *file, int line);
bool ll__anext(ll_agen *gen, ll_value *out, const char *file, int line);
void ll__agen_drop(ll_agen *gen, const char *file, int line);
void ll__agen_drop_at_exit(ll_agen **gen);
ll_value ll__yield(ll_value v, const char *file, int line);
ll_value ll__aclose(ll_agen *gen, const char *file, int line);

/* ---- Sockets (looplab/io.h) ---- */
ll_value ll__open_connection(const char *host, int port, const char *file, int line);
ll_value ll__stream_read(ll_stream *s, void *buf, size_t n, int exactly, const char *file,
                         int line);
ll_value ll__stream_readuntil(ll_stream *s, void *buf, size_t cap, const char *sep,
                              const char *file, int line);
ll_value ll__stream_write(ll_stream *s, const void *data, size_t n, const char *file, int line);
ll_value ll__stream_drain(ll_stream *s, const char *file, int line);
ll_value ll__stream_write_eof(ll_stream *s, const char *file, int line);
void ll__stream_close(ll_stream *s, const char *file, int line);
ll_value ll__stream_wait_closed(ll_stream *s, const char *file, int line);
ll_value ll__start_server(ll_coro_fn handler, const char *handler_name, const char *host, int port,
                          void *data, const char *file, int line);
void ll__server_close(ll_server *srv, const char *file, int line);

/* ---- HTTP (looplab/http.h) ---- */
ll_session *ll__session_new(const ll_session_opts *opts, const char *file, int line);
ll_value ll__session_get(ll_session *session, const char *url, const char *file, int line);
void ll__session_close(ll_session *session, const char *file, int line);
ll_value ll__http_stream_start(ll_http_request *req, int status, const char *content_type,
                               const char *file, int line);
ll_value ll__http_send(ll_http_request *req, const void *data, size_t len, const char *file,
                       int line);
ll_http_server *ll__http_server_new(void *data, const char *file, int line);
int ll__http_server_limits(ll_http_server *srv, const ll_http_limits *limits, const char *file,
                           int line);
int ll__http_route(ll_http_server *srv, const char *method, const char *path, ll_coro_fn handler,
                   const char *handler_name, const char *file, int line);
ll_value ll__http_listen(ll_http_server *srv, const char *host, int port, const char *file,
                         int line);
ll_value ll__http_respond(ll_http_request *req, int status, const char *content_type,
                          const void *body, size_t len, const char *file, int line);

/* ---- Files (looplab/files.h) ---- */
ll_value ll__file_open(const char *path, const char *mode, const char *file, int line);
ll_value ll__file_read(ll_file *f, void *buf, size_t n, const char *file, int line);
ll_value ll__file_write(ll_file *f, const void *data, size_t n, const char *file, int line);
ll_value ll__file_close(ll_file *f, const char *file, int line);

/* ---- Databases (looplab/db.h) ---- */
ll_value ll__db_open(const char *path, const char *file, int line);
ll_value ll__db_exec(ll_db *db, const char *sql, const char *file, int line);
ll_value ll__db_query(ll_db *db, const char *sql, const char *const *params, const char *file,
                      int line);
ll_value ll__db_close(ll_db *db, const char *file, int line);
void ll__rows_free(ll_rows *rows, const char *file, int line);

#ifdef __cplusplus
}
#endif
#endif
