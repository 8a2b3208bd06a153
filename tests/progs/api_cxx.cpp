// api_cxx.cpp - <looplab.h> seen from C++: every declaration of the public
// headers and what their macros expand to must compile there as well, with
// -Wall -Wextra -Werror -pedantic.  The arguments of ll_coro, ll_agen,
// ll_tuple and LL_PARAMS are boxed by overloads and temporaries in C++
// (C's _Generic and compound literals are not C++), so the same calls read
// the same.  tests/py/test_api.py compiles this file strictly; meson also
// builds and runs it (test api-cxx), and it fails (exit 1) when a value
// did not arrive as it would in C.
#include <looplab.h>

#include <cstring>

// Fails the run, naming what differs.
#define EXPECT(got, want)                                                      \
    do {                                                                       \
        if (std::strcmp((got), (want)) != 0)                                   \
            return ll_raise(LL_EVALUE, "line %d: got %s, want %s", __LINE__, (got), (want)); \
    } while (0)

static ll_value greet(ll_args args) {                 // async def greet(name, n, delay, loud, obj):
    LL_TRY(ll_sleep(ll_arg_float(args, 2)));
    ll_print("hello %s %lld %s %s", ll_arg_str(args, 0), ll_arg_int(args, 1),
             ll_pybool(ll_arg_bool(args, 3)), ll_arg_ptr(args, 4) ? "object" : "None");
    return ll_tuple(ll_arg_int(args, 1), ll_arg_str(args, 0));
}

static ll_value ticks(ll_args args) {
    for (long long i = 0; i < ll_arg_int(args, 0); i++)
        if (ll_failed(ll_yield(ll_int(i))))
            break;
    return ll_none();
}

static ll_value blocking_work(ll_args args) {          // def work(*args): time.sleep(0.01)
    ll_blocking_sleep(0.01);
    return ll_int((long long)ll_nargs(args));
}

static ll_value amain(LL_NOARGS) {
    char name[8];
    std::strcpy(name, "ada");
    int object = 5;
    ll_task *t = ll_create_task(ll_coro(greet, name, 1, 0.5, true, &object), "greeter");
    std::strcpy(name, "XXX"); // the string was copied at the call
    ll_value r = ll_await(t);
    LL_TRY(r);
    EXPECT(ll_repr(r), "(1, 'ada')");
    ll_value both = ll_await(ll_gather(ll_coro(greet, "b", 2u, 0.25f, false, (void *)0),
                                       ll_sleep_coro(0)));
    LL_TRY(both);
    EXPECT(ll_repr(both), "[(2, 'b'), None]");
    ll_value v;
    long long last = -1;
    LL_ASYNC_FOR(v, ll_agen(ticks, 3)) {
        last = v.i;
        if (v.i == 1)
            break;
    }
    EXPECT(ll_format("%lld", last), "1");
    ll_queue *q = ll_priority_queue_new(0, "q");
    LL_TRY(ll_queue_put(q, ll_tuple(2, "later")));
    LL_TRY(ll_queue_put(q, ll_tuple(1, "sooner")));
    r = ll_wait_for(ll_queue_get_coro(q), 1.0);
    LL_TRY(r);
    EXPECT(ll_repr(r), "(1, 'sooner')");
    r = ll_await(ll_to_thread(blocking_work, "thread", 3, 0.0, true, name));
    LL_TRY(r);
    EXPECT(ll_repr(r), "5");
    ll_value db = ll_db_open(":memory:");
    LL_TRY(db);
    ll_value rows = ll_db_query(static_cast<ll_db *>(db.p), "SELECT ?, ?", LL_PARAMS("a", "b"));
    LL_TRY(rows);
    EXPECT(ll_rows_get(static_cast<ll_rows *>(rows.p), 0, 1), "b");
    ll_rows_free(static_cast<ll_rows *>(rows.p));
    LL_TRY(ll_db_close(static_cast<ll_db *>(db.p)));
    ll_print("C++: every argument arrived");
    return ll_none();
}

int main() { return ll_run(ll_coro(amain)); }
