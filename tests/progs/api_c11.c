/* api_c11.c - a program that includes only <looplab.h> and uses the API a
 * lesson uses (coroutines with arguments, tasks, gather, the scope forms,
 * the `_coro` awaitables, async generators, I/O), so that
 * tests/py/test_api.py can compile it with -std=c11 -Wall -Wextra -Werror
 * -pedantic: the public headers and what their macros expand to must stay
 * clean in strict C11.  It is compiled, not run. */
#include <looplab.h>

#include <math.h>

static ll_value greet(ll_args args) {
    const char *who = ll_arg_str(args, 0);
    long long n = ll_arg_int(args, 1);
    double d = ll_arg_float(args, 2);
    bool loud = ll_arg_bool(args, 3);
    LL_TRY(ll_sleep(d));
    ll_print("hello %s %lld %s", who, n, ll_pybool(loud));
    return ll_tuple(n, who);
}

static ll_value ticks(ll_args args) {
    for (long long i = 0; i < ll_arg_int(args, 0); i++)
        if (ll_failed(ll_yield(ll_int(i))))
            break;
    return ll_none();
}

static ll_value body(LL_NOARGS) {
    ll_taskgroup *tg = ll_taskgroup_current();
    ll_taskgroup_create_task(tg, ll_coro(greet, "tg", 1, 0.0, false), NULL);
    ll_taskgroup_create_task(tg, ll_sleep_coro(0), NULL);
    return ll_none();
}

static double work(ll_args args) {
    return (double)ll_nargs(args);
}

static ll_value job(ll_args args) {
    ll_busy(0.01);
    return ll_float(work(args));
}

static ll_value amain(LL_NOARGS) {
    ll_task *t1 = ll_create_task(ll_coro(greet, "a", 1, 0.5, true), "greeter");
    ll_task *t2 = ll_create_task(ll_coro(greet, "b", (size_t)2, 0.25f, (bool)0), NULL);
    ll_value both = ll_await(ll_gather(t1, t2));
    if (ll_failed(both))
        return both;
    ll_print("%s %s", ll_repr(both), ll_pystr(ll_list_at(both, 0)));

    ll_lock *lock = ll_lock_new("lock");
    ll_event *ev = ll_event_new(NULL);
    ll_queue *q = ll_priority_queue_new(0, "jobs");
    LL_TRY(ll_queue_put(q, ll_tuple(2, "later")));
    LL_TRY(ll_with_lock(lock, ll_coro(greet, "locked", 3, 0.0, true)));
    ll_create_task(ll_event_wait_coro(ev), NULL);
    ll_event_set(ev);
    ll_value r = ll_wait_for(ll_queue_get_coro(q), 1);
    if (ll_except(r, LL_ETIMEOUT))
        return r;
    LL_TRY(ll_timeout(1.5, ll_coro(greet, "in time", 4, 0.1, true)));
    LL_TRY(ll_taskgroup(ll_coro(body)));

    ll_timeout *to = ll_timeout_enter(INFINITY);
    r = ll_await(ll_to_thread(job, 1, "two", 3.0));
    r = ll_timeout_exit(to, r);
    if (ll_failed(r))
        return r;

    ll_value v;
    LL_ASYNC_FOR(v, ll_agen(ticks, 3)) {
        if (v.i == 1)
            break;
    }
    if (ll_failed(v))
        return v;

    ll_value c = ll_open_connection("localhost", 8080);
    if (!ll_failed(c)) {
        ll_stream *s = c.p;
        char buf[64];
        LL_TRY(ll_stream_write(s, "hi\n", 3));
        LL_TRY(ll_wait_for(ll_stream_readline_coro(s, buf, sizeof buf), 5));
        ll_stream_close(s);
    }
    ll_session *session = ll_session_new(&(ll_session_opts){.limit = 4});
    ll_value page = ll_session_get(session, "http://127.0.0.1:1/");
    if (!ll_failed(page))
        ll_response_free(page.p);
    ll_session_close(session);
    ll_value db = ll_db_open(":memory:");
    if (!ll_failed(db)) {
        ll_value rows = ll_db_query(db.p, "SELECT ?", LL_PARAMS("x"));
        if (!ll_failed(rows))
            ll_rows_free(rows.p);
        ll_db_close(db.p);
    }
    ll_value f = ll_file_open("/dev/null", "w");
    if (!ll_failed(f)) {
        LL_TRY(ll_file_write(f.p, "x", 1));
        ll_file_close(f.p);
    }
    return ll_none();
}

int main(void) { return ll_run(ll_coro(amain)); }
