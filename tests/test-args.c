/* test-args.c - coroutines with several arguments (ll_coro(fn, a, b, ...)
 * boxed by type and read back with ll_arg_*), LL_NOARGS, the misuse of a
 * wrong kind or a missing position, ll_pystr / ll_pybool, and tuples: their
 * repr and their order in a PriorityQueue, both against python3. */
#include "harness.h"

#include <stdint.h>

static char *run_main(ll_coro *main, char **err, int *rc) {
    capture out, e;
    capture_begin(&out, 1);
    capture_begin(&e, 2);
    int r = ll_run(main);
    char *es = capture_end(&e);
    char *os = capture_end(&out);
    if (rc)
        *rc = r;
    if (err)
        *err = es;
    else
        free(es);
    return os;
}

/* What `python3 -c CODE` prints. */
static char *python(const char *code) {
    ck_assert_msg(have_python3(), "python3 is not installed (scripts/setup installs it)");
    char path[] = "/tmp/looplab-args-XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(code, f);
    fclose(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "python3 '%s'", path);
    char *out = py_command(cmd);
    unlink(path);
    return out;
}

/* ---- boxing every type ---------------------------------------------------- */

static ll_value show_args(ll_args args) {
    size_t n = ll_nargs(args);
    char line[512] = "";
    for (size_t i = 0; i < n; i++) {
        ll_value v = ll_arg(args, i);
        size_t len = strlen(line);
        snprintf(line + len, sizeof line - len, "%s%d:%s", i ? " " : "", (int)v.kind, ll_repr(v));
    }
    ll_print("%zu [%s]", n, line);
    return ll_none();
}

static ll_value integers_main(LL_NOARGS) {
    char c = 'A';
    signed char sc = -5;
    unsigned char uc = 250;
    short sh = -300;
    unsigned short us = 60000;
    int i = -70000;
    LL_TRY(ll_await(ll_coro(show_args, c, sc, uc, sh, us, i)));
    unsigned u = 4000000000u;
    long l = -5000000000L;
    unsigned long ul = 6000000000UL;
    long long ll = INT64_MIN;
    unsigned long long ull = 18000000000000000000ULL; /* past LLONG_MAX: wraps */
    bool b = true;
    LL_TRY(ll_await(ll_coro(show_args, u, l, ul, ll, ull, b)));
    int64_t i64 = 42;
    size_t sz = 7;
    enum { RED = 3 } e = RED;
    /* C's `false` is an int 0 (stdbool.h): a bool needs a bool-typed value. */
    LL_TRY(ll_await(ll_coro(show_args, i64, sz, e, false)));
    return ll_none();
}

START_TEST(every_integer_type_is_an_int) {
    int rc;
    char *out = run_main(ll_coro(integers_main), NULL, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "6 [1:65 1:-5 1:250 1:-300 1:60000 1:-70000]\n"
                          "6 [1:4000000000 1:-5000000000 1:6000000000 1:-9223372036854775808 "
                          "1:-446744073709551616 3:True]\n"
                          "4 [1:42 1:7 1:3 1:0]\n");
    free(out);
}
END_TEST

static int thing;

static ll_value others_main(LL_NOARGS) {
    float f = 2.5f;
    double d = 0.1;
    long double ld = 3.0L;
    char buf[] = "buffer";
    const char *lit = "it's";
    ll_value kept = ll_str("kept");
    LL_TRY(ll_await(ll_coro(show_args, f, d, ld, buf, lit, kept)));
    const int *cp = &thing;
    const char *nostr = NULL;
    LL_TRY(ll_await(ll_coro(show_args, cp == &thing, ll_none(), ll_int(5), nostr)));
    /* A pointer comes back as the same pointer, a const one too. */
    return ll_none();
}

START_TEST(floats_strings_and_values) {
    int rc;
    char *out = run_main(ll_coro(others_main), NULL, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "6 [2:2.5 2:0.1 2:3.0 4:'buffer' 4:\"it's\" 4:'kept']\n"
                          "4 [1:1 0:None 1:5 0:None]\n");
    free(out);
}
END_TEST

static unsigned char bytes[4];

static ll_value pointers(ll_args args) {
    ck_assert_ptr_eq(ll_arg_ptr(args, 0), &thing);
    ck_assert_ptr_eq(ll_arg_ptr(args, 1), &thing);
    ck_assert_ptr_null(ll_arg_ptr(args, 2));
    ck_assert_ptr_eq(ll_arg_ptr(args, 3), bytes); /* not char *: a pointer, not a str */
    ck_assert_int_eq(ll_arg(args, 3).kind, LL_PTR);
    return ll_int(4);
}

static ll_value pointers_main(LL_NOARGS) {
    const int *cp = &thing;
    ll_value r = ll_await(ll_coro(pointers, &thing, cp, NULL, bytes));
    ll_print("%lld", r.i); /* .i is a long long: no cast */
    return ll_none();
}

START_TEST(pointers_come_back_as_they_went) {
    int rc;
    char *out = run_main(ll_coro(pointers_main), NULL, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "4\n");
    free(out);
}
END_TEST

/* ---- reading back; 0, 1 and 6 arguments -------------------------------------- */

static ll_value book(ll_args args) { /* async def book(what, n, price, rush, note, ref) */
    ll_print("%s x%lld at %.2f rush=%s note=%s ref=%s", ll_arg_str(args, 0), ll_arg_int(args, 1),
             ll_arg_float(args, 2), ll_pybool(ll_arg_bool(args, 3)), ll_arg_str(args, 4),
             ll_arg_ptr(args, 5) == &thing ? "thing" : "?");
    return ll_int(ll_arg_int(args, 1) * 2);
}

static ll_value nothing(LL_NOARGS) {
    ll_print("nothing");
    return ll_none();
}

static ll_value one(ll_args arg) {
    /* One argument is the value itself: .i and ll_arg_int both read it. */
    ck_assert_int_eq(ll_nargs(arg), 1);
    ll_print("one %lld %lld %.1f", arg.i, ll_arg_int(arg, 0), ll_arg_float(arg, 0));
    return ll_none();
}

static ll_value list_arg(ll_args args) {
    ck_assert_int_eq(ll_nargs(args), 1);
    ll_print("list %s first %s", ll_repr(ll_arg(args, 0)), ll_repr(ll_list_at(args, 0)));
    return ll_none();
}

static ll_value six_main(LL_NOARGS) {
    ll_value r = ll_await(ll_coro(book, "flight", 3, 99.5, true, "window", &thing));
    ll_print("-> %s", ll_repr(r));
    LL_TRY(ll_await(ll_coro(nothing)));
    LL_TRY(ll_await(ll_coro(one, 7)));
    LL_TRY(ll_await(ll_coro(one, ll_int(8))));
    /* gather's list, passed on: one argument, not several. */
    ll_value l = ll_await(ll_gather(ll_coro(one, 1), ll_coro(nothing)));
    LL_TRY(ll_await(ll_coro(list_arg, l)));
    /* A tuple is one argument too. */
    LL_TRY(ll_await(ll_coro(list_arg, ll_tuple(5, "job"))));
    /* As a task, the Python way: create_task(book("hotel", 2, ...)). */
    ll_task *t = ll_create_task(ll_coro(book, "hotel", 2, 120, false, "quiet", &thing), NULL);
    ll_print("task %s", ll_repr(ll_await(t)));
    return ll_none();
}

START_TEST(zero_one_and_six_arguments) {
    int rc;
    char *out = run_main(ll_coro(six_main), NULL, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "flight x3 at 99.50 rush=True note=window ref=thing\n"
                          "-> 6\n"
                          "nothing\n"
                          "one 7 7 7.0\n"
                          "one 8 8 8.0\n"
                          "one 1 1 1.0\n"
                          "nothing\n"
                          "list [None, None] first None\n"
                          "list (5, 'job') first 5\n"
                          "hotel x2 at 120.00 rush=False note=quiet ref=thing\n"
                          "task 4\n");
    free(out);
}
END_TEST

/* ---- strings are copied -------------------------------------------------------- */

static ll_value greet(ll_args args) {
    LL_TRY(ll_sleep(1));
    if (ll_nargs(args) == 1)
        ll_print("hello %s", ll_arg_str(args, 0));
    else
        ll_print("hello %s and %s", ll_arg_str(args, 0), ll_arg_str(args, 1));
    return ll_arg(args, 0); /* the copy outlives the coroutine's run */
}

static ll_value copy_main(LL_NOARGS) {
    char name[16], other[16];
    strcpy(name, "ada");
    strcpy(other, "grace");
    ll_task *t1 = ll_create_task(ll_coro(greet, name), NULL);
    ll_task *t2 = ll_create_task(ll_coro(greet, name, other), NULL);
    ll_coro *c = ll_coro(greet, ll_str(name)); /* an ll_value is borrowed, as documented */
    strcpy(name, "XXXXXXXXXXXXXXX");
    strcpy(other, "YYYYYYYYYYYYYYY");
    ll_value r = ll_await(ll_gather(t1, t2, c));
    strcpy(name, "ZZZ"); /* the borrowed one follows the buffer; the copies do not */
    ll_print("results %s", ll_repr(r));
    return ll_none();
}

START_TEST(a_string_argument_is_copied) {
    int rc;
    char *out = run_main(ll_coro(copy_main), NULL, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "hello ada\nhello ada and grace\nhello XXXXXXXXXXXXXXX\n"
                          "results ['ada', 'ada', 'ZZZ']\n");
    free(out);
}
END_TEST

/* The main coroutine's arguments, made before the loop exists. */
static ll_value before_loop(ll_args args) {
    ll_print("%s %lld", ll_arg_str(args, 0), ll_arg_int(args, 1));
    return ll_none();
}

START_TEST(arguments_made_before_the_loop) {
    char buf[8] = "early";
    ll_coro *c = ll_coro(before_loop, buf, 5);
    strcpy(buf, "late");
    int rc;
    char *out = run_main(c, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "early 5\n");
    free(out);
}
END_TEST

/* ---- the same arguments for generators and the thread pool ------------------------ */

static ll_value countdown(ll_args args) { /* async def countdown(label, n) */
    for (long long i = ll_arg_int(args, 1); i > 0; i--)
        if (ll_failed(ll_yield(ll_tuple(ll_arg_str(args, 0), i))))
            break;
    return ll_none();
}

static ll_value blocking(ll_args args) {
    ll_blocking_sleep(ll_arg_float(args, 1));
    return ll_str(ll_format("%s slept %.1f", ll_arg_str(args, 0), ll_arg_float(args, 1)));
}

static ll_value others_main2(LL_NOARGS) {
    char label[8] = "T";
    ll_agen *g = ll_agen(countdown, label, 2);
    label[0] = '?';
    ll_value v;
    while (ll_anext(g, &v))
        ll_print("%s", ll_repr(v));
    LL_TRY(v);
    ll_print("%s", ll_pystr(ll_await(ll_to_thread(blocking, "worker", 1))));
    ll_future *f = ll_run_in_executor(blocking, "executor", 0.5);
    ll_print("%s", ll_pystr(ll_await(f)));
    return ll_none();
}

START_TEST(generators_and_threads_take_arguments_too) {
    int rc;
    char *out = run_main(ll_coro(others_main2), NULL, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "('T', 2)\n('T', 1)\nworker slept 1.0\nexecutor slept 0.5\n");
    free(out);
}
END_TEST

/* ---- misuse ---------------------------------------------------------------------- */

static int misuse_line[4];

static ll_value misread(ll_args args) {
    misuse_line[0] = __LINE__ + 1;
    long long n = ll_arg_int(args, 0); /* a str */
    misuse_line[1] = __LINE__ + 1;
    const char *s = ll_arg_str(args, 2); /* only two */
    ck_assert_int_eq(n, 0);
    ck_assert_str_eq(s, "");
    return ll_none();
}

static ll_value misread_none(LL_NOARGS) {
    return ll_none();
}

static ll_value misread_one(ll_args arg) {
    misuse_line[3] = __LINE__ + 1;
    ck_assert_ptr_null(ll_arg_ptr(arg, 1));
    return ll_none();
}

static ll_value misread_zero(ll_args args) {
    misuse_line[2] = __LINE__ + 1;
    ck_assert(ll_arg_float(args, 0) == 0.0);
    return ll_none();
}

static ll_value misuse_main(LL_NOARGS) {
    LL_TRY(ll_await(ll_coro(misread, "flight", 1)));
    LL_TRY(ll_await(ll_coro(misread_none)));
    LL_TRY(ll_await(ll_create_task(ll_coro(misread_zero), "zero")));
    LL_TRY(ll_await(ll_coro(misread_one, 1.5)));
    return ll_none();
}

START_TEST(a_wrong_kind_or_a_missing_argument_is_reported) {
    int rc;
    char *err;
    char *out = run_main(ll_coro(misuse_main), &err, &rc);
    ck_assert_int_eq(rc, 1); /* reported: the run fails */
    ck_assert_str_eq(out, "");
    char want[512];
    snprintf(want, sizeof want,
             "test-args.c:%d: in task 'Task-1': TypeError: ll_arg_int(args, 0): argument 0 of "
             "coroutine 'misread' is a str ('flight'), not an int",
             misuse_line[0]);
    ck_assert_has(err, want);
    snprintf(want, sizeof want,
             "test-args.c:%d: in task 'Task-1': TypeError: ll_arg_str(args, 2): coroutine "
             "'misread' was given 2 arguments",
             misuse_line[1]);
    ck_assert_has(err, want);
    snprintf(want, sizeof want,
             "test-args.c:%d: in task 'zero': TypeError: ll_arg_float(args, 0): coroutine "
             "'misread_zero' was given 0 arguments (ll_coro(fn) with nothing after the function)",
             misuse_line[2]);
    ck_assert_has(err, want);
    snprintf(want, sizeof want,
             "test-args.c:%d: in task 'Task-1': TypeError: ll_arg_ptr(args, 1): coroutine "
             "'misread_one' was given 1 argument",
             misuse_line[3]);
    ck_assert_has(err, want);
    free(out);
    free(err);
}
END_TEST

/* ---- str(), bools, tuples ------------------------------------------------------------ */

static ll_value text_main(LL_NOARGS) {
    ll_value vals[] = {ll_str("x"),
                       ll_int(-3),
                       ll_float(2.0),
                       ll_bool(true),
                       ll_none(),
                       ll_raise(LL_EVALUE, "bad"),
                       ll_tuple("a", 1),
                       ll_tuple(1),
                       ll_tuple(ll_tuple(1, 2.5), "it's", ll_bool(false), ll_none())};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        ll_print("%s|%s", ll_pystr(vals[i]), ll_repr(vals[i]));
    ll_print("%s %s", ll_pybool(true), ll_pybool(1 > 2));
    return ll_none();
}

START_TEST(str_repr_and_bools_as_python_prints_them) {
    int rc;
    char *out = run_main(ll_coro(text_main), NULL, &rc);
    ck_assert_int_eq(rc, 0);
    char *py = python("vals = ['x', -3, 2.0, True, None, ValueError('bad'), ('a', 1), (1,),\n"
                      "        ((1, 2.5), \"it's\", False, None)]\n"
                      "for v in vals: print(f'{str(v)}|{v!r}')\n"
                      "print(True, 1 > 2)\n");
    ck_assert_same_output(out, py);
    free(out);
    free(py);
}
END_TEST

/* PriorityQueue((prio, item)): Python's heapq compares tuples item by item. */
static ll_value prio_main(LL_NOARGS) {
    ll_queue *q = ll_priority_queue_new(0, "jobs");
    ll_value items[] = {
        ll_tuple(2, "write"),   ll_tuple(1, "read"),   ll_tuple(2, "delete"),
        ll_tuple(1, "open"),    ll_tuple(0.5, "boot"), ll_tuple(1, "open", 2),
        ll_tuple(1, "open", 1), ll_tuple(3),           ll_tuple(ll_bool(true), "bool"),
        ll_tuple(-1, "z")};
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        LL_TRY(ll_queue_put(q, items[i]));
    while (!ll_queue_empty(q))
        ll_print("%s", ll_repr(ll_queue_get_nowait(q)));
    ll_print("%s %s %s", ll_pybool(ll_less(ll_tuple(1, 2), ll_tuple(1, 2, 0))),
             ll_pybool(ll_equal(ll_tuple(1, 2.0), ll_tuple(1, 2))),
             ll_pybool(ll_less(ll_tuple("b"), ll_tuple("a", 9))));
    return ll_none();
}

START_TEST(tuples_come_out_of_a_priority_queue_in_pythons_order) {
    int rc;
    char *out = run_main(ll_coro(prio_main), NULL, &rc);
    ck_assert_int_eq(rc, 0);
    char *py = python("import heapq\n"
                      "h = []\n"
                      "for t in [(2, 'write'), (1, 'read'), (2, 'delete'), (1, 'open'),\n"
                      "          (0.5, 'boot'), (1, 'open', 2), (1, 'open', 1), (3,),\n"
                      "          (True, 'bool'), (-1, 'z')]:\n"
                      "    heapq.heappush(h, t)\n"
                      "while h: print(repr(heapq.heappop(h)))\n"
                      "print((1, 2) < (1, 2, 0), (1, 2.0) == (1, 2), ('b',) < ('a', 9))\n");
    ck_assert_same_output(out, py);
    free(out);
    free(py);
}
END_TEST

int main(void) {
    Suite *s = suite_create("args");
    TCase *tc = tcase_create("args");
    tcase_add_test(tc, every_integer_type_is_an_int);
    tcase_add_test(tc, floats_strings_and_values);
    tcase_add_test(tc, pointers_come_back_as_they_went);
    tcase_add_test(tc, zero_one_and_six_arguments);
    tcase_add_test(tc, a_string_argument_is_copied);
    tcase_add_test(tc, arguments_made_before_the_loop);
    tcase_add_test(tc, generators_and_threads_take_arguments_too);
    tcase_add_test(tc, a_wrong_kind_or_a_missing_argument_is_reported);
    tcase_add_test(tc, str_repr_and_bools_as_python_prints_them);
    tcase_add_test(tc, tuples_come_out_of_a_priority_queue_in_pythons_order);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
