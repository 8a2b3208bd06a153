/* test-ctx.c - context switching and task stacks, on whichever backend this
 * build was configured with (scripts/test builds both: asm and ucontext).
 *
 * The first tests drive ll__ctx_* directly; the rest go through tasks: deep
 * recursion that fits its stack, an overflow that must be reported by task
 * name, size and creation site (in a forked child, since it kills the
 * process), 100 000 live tasks, and stack reuse. */
#include "harness.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "core/ctx.h"
#include "core/stack.h"

/* ---- raw contexts --------------------------------------------------------------- */

static ll__ctx main_ctx, co_ctx;
static int trace_buf[16];
static int trace_len;

static void co_body(void *arg) {
    int *n = arg;
    for (int i = 0; i < 3; i++) {
        trace_buf[trace_len++] = 100 + i + *n;
        ll__ctx_switch(&co_ctx, &main_ctx);
    }
    trace_buf[trace_len++] = 999;
    ll__ctx_switch_final(&co_ctx, &main_ctx);
}

START_TEST(switch_ping_pong_keeps_order_and_locals) {
    ll__stack_pool pool;
    ll__stack_pool_init(&pool);
    ll__stack st;
    bool first_unguarded;
    ck_assert_int_eq(ll__stack_alloc(&pool, 64 * 1024, &st, &first_unguarded), 0);
    int n = 5;
    trace_len = 0;
    ll__ctx_make(&co_ctx, st.lo, st.size, co_body, &n);
    volatile int local = 42; /* must survive every round trip */
    for (int i = 0; i < 4; i++) {
        trace_buf[trace_len++] = i;
        ll__ctx_switch(&main_ctx, &co_ctx);
    }
    int want[] = {0, 105, 1, 106, 2, 107, 3, 999};
    ck_assert_int_eq(trace_len, 8);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(trace_buf[i], want[i]);
    ck_assert_int_eq(local, 42);
    ll__stack_free(&pool, &st);
    ll__stack_pool_destroy(&pool);
}
END_TEST

/* Floating-point values held across a switch (callee-saved d8-d15 on
 * AArch64; on x86-64 the compiler spills them, which this also checks). */
static ll__ctx fp_main, fp_co;
static double fp_out;

static void fp_body(void *arg) {
    double x = *(double *)arg;
    for (int i = 0; i < 10; i++) {
        x = x * 1.5 + 0.25;
        ll__ctx_switch(&fp_co, &fp_main);
    }
    fp_out = x;
    ll__ctx_switch_final(&fp_co, &fp_main);
}

START_TEST(floating_point_state_survives_switches) {
    ll__stack_pool pool;
    ll__stack_pool_init(&pool);
    ll__stack st;
    bool fu;
    ck_assert_int_eq(ll__stack_alloc(&pool, 32 * 1024, &st, &fu), 0);
    double seed = 2.0, mine = 3.0;
    ll__ctx_make(&fp_co, st.lo, st.size, fp_body, &seed);
    for (int i = 0; i < 11; i++) {
        mine = mine * 0.5 + 1.0;
        ll__ctx_switch(&fp_main, &fp_co);
    }
    double want = 2.0, want_mine = 3.0;
    for (int i = 0; i < 10; i++)
        want = want * 1.5 + 0.25;
    for (int i = 0; i < 11; i++)
        want_mine = want_mine * 0.5 + 1.0;
    ck_assert_double_eq(fp_out, want);
    ck_assert_double_eq(mine, want_mine);
    ll__stack_free(&pool, &st);
    ll__stack_pool_destroy(&pool);
}
END_TEST

START_TEST(backend_name_matches_the_configuration) {
    const char *b = ll__ctx_backend();
#if defined(LL_CTX_UCONTEXT)
    ck_assert_str_eq(b, "ucontext");
#else
    ck_assert_msg(strncmp(b, "asm-", 4) == 0, "backend %s", b);
#endif
}
END_TEST

/* ---- stacks ----------------------------------------------------------------------- */

START_TEST(stack_has_a_guard_page_and_rounds_up) {
    ck_assert_uint_eq(ll__stack_round(1), 16 * 1024);
    ck_assert_uint_eq(ll__stack_round(16 * 1024 + 1), 20 * 1024);
    ll__stack_pool pool;
    ll__stack_pool_init(&pool);
    ll__stack st;
    bool fu;
    ck_assert_int_eq(ll__stack_alloc(&pool, 20000, &st, &fu), 0);
    ck_assert_uint_eq(st.size, 20 * 1024);
    ck_assert(st.guarded);
    ck_assert_ptr_eq((char *)st.map + 4096, st.lo);
    /* The guard page is not accessible; the usable part is. */
    unsigned char vec[1];
    ck_assert_int_eq(mincore(st.map, 4096, vec), 0); /* mapped ... */
    ((volatile char *)st.lo)[0] = 1;                 /* ... usable from lo up */
    ((volatile char *)st.lo)[st.size - 1] = 1;
    ll__stack_free(&pool, &st);
    ll__stack_pool_destroy(&pool);
}
END_TEST

START_TEST(freed_stacks_are_reused_by_size) {
    ll__stack_pool pool;
    ll__stack_pool_init(&pool);
    ll__stack a, b, c;
    bool fu;
    ck_assert_int_eq(ll__stack_alloc(&pool, 64 * 1024, &a, &fu), 0);
    void *lo = a.lo;
    ll__stack_free(&pool, &a);
    ck_assert_uint_eq(pool.nfree, 1);
    ck_assert_int_eq(ll__stack_alloc(&pool, 32 * 1024, &b, &fu), 0); /* other size */
    ck_assert_ptr_ne(b.lo, lo);
    ck_assert_int_eq(ll__stack_alloc(&pool, 64 * 1024, &c, &fu), 0); /* same size */
    ck_assert_ptr_eq(c.lo, lo);
    ll__stack_free(&pool, &b);
    ll__stack_free(&pool, &c);
    ll__stack_pool_destroy(&pool);
}
END_TEST

START_TEST(canary_of_an_unguarded_stack_detects_an_overrun) {
    ll__stack st = {0};
    static unsigned long mem[1024];
    st.lo = mem;
    st.size = sizeof mem;
    st.guarded = false;
    ll__stack_canary_set(&st);
    ck_assert(ll__stack_canary_ok(&st));
    mem[3] = 0xdeadbeef; /* something ran into the bottom */
    ck_assert(!ll__stack_canary_ok(&st));
    ll__stack_canary_set(&st); /* reuse: the canary is re-armed */
    ck_assert(ll__stack_canary_ok(&st));
}
END_TEST

/* ---- tasks on their stacks --------------------------------------------------------- */

/* Recursion that uses about `depth` KiB of stack and cannot be turned into
 * a loop by the compiler. */
static unsigned long recurse(int depth, volatile unsigned char *prev) {
    volatile unsigned char frame[1000];
    frame[0] = (unsigned char)depth;
    frame[999] = prev ? prev[0] : 0;
    if (depth == 0)
        return (unsigned long)frame[0];
    return recurse(depth - 1, frame) + (unsigned long)frame[999];
}

static ll_value deep_task(ll_value depth) {
    unsigned long r = recurse((int)depth.i, NULL);
    ll_sleep(0); /* switch away and back with the deep stack used */
    return ll_int((int64_t)r + 1);
}

static ll_value deep_main(ll_value depth) {
    ll_task_opts o = {.name = "deep", .stack_size = 256 * 1024};
    ll_task *t = ll_create_task_opts(ll_coro(deep_task, depth), &o);
    ll_value v = ll_await(t);
    ll_print("deep returned %lld", (long long)v.i);
    return ll_none();
}

START_TEST(deep_recursion_within_the_stack_works) {
    capture out;
    capture_begin(&out, 1);
    /* ~200 KiB of frames on a 256 KiB stack. */
    int rc = ll_run(ll_coro(deep_main, 200));
    char *s = capture_end(&out);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(s, "deep returned 20100\n");
    free(s);
}
END_TEST

static ll_value overflow_main(LL_NOARGS) {
    ll_task_opts o = {.name = "runaway", .stack_size = 32 * 1024};
    ll_task *t = ll_create_task_opts(ll_coro(deep_task, 1000), &o);
    ll_await(t);
    return ll_none();
}

START_TEST(stack_overflow_is_reported_by_task_name_size_and_site) {
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        ll_run(ll_coro(overflow_main));
        _exit(0); /* not reached: the overflow kills the child */
    }
    close(fds[1]);
    char buf[2048];
    size_t len = 0;
    ssize_t k;
    while ((k = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)k;
    buf[len] = '\0';
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
                  "child should die of SIGSEGV, status %d, stderr:\n%s", status, buf);
    ck_assert_msg(strstr(buf, "stack overflow in task 'runaway'"), "stderr:\n%s", buf);
    ck_assert_msg(strstr(buf, "32 KiB stack"), "stderr:\n%s", buf);
    ck_assert_msg(strstr(buf, "test-ctx.c:"), "stderr:\n%s", buf);
}
END_TEST

/* Without guard pages (an old kernel, out of mappings), the bottom of a
 * stack is a canary checked at every switch. */
#include "sched/internal.h"

static ll_value scribbler(LL_NOARGS) {
    ll_task *t = ll_current_task();
    ck_assert(t->unguarded);
    ((volatile char *)t->stack.lo)[8] = 42; /* as a runaway recursion would */
    ll_sleep(0);
    return ll_none();
}

static ll_value scribble_main(LL_NOARGS) {
    ll_task_opts o = {.name = "scribbler", .stack_size = 36 * 1024};
    ll_await(ll_create_task_opts(ll_coro(scribbler), &o));
    return ll_none();
}

START_TEST(overrun_of_an_unguarded_stack_is_caught_at_the_next_switch) {
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        ll__stack_guard_mode(false, 0);
        ll_run(ll_coro(scribble_main));
        _exit(0);
    }
    close(fds[1]);
    char buf[2048];
    size_t len = 0;
    ssize_t k;
    while ((k = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)k;
    buf[len] = '\0';
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
                  "child should abort, status %d, stderr:\n%s", status, buf);
    ck_assert_msg(strstr(buf, "stack overflow in task 'scribbler'"), "stderr:\n%s", buf);
    ck_assert_msg(strstr(buf, "out of guard pages"), "the warning first; stderr:\n%s", buf);
}
END_TEST

/* 100 000 tasks alive at once, each sleeping, then all finishing. */
static ll_value sleeper(ll_value i) {
    ll_sleep(1.0);
    return ll_int(i.i * 2);
}

static ll_value many_main(ll_value n) {
    ll_task **ts = malloc((size_t)n.i * sizeof *ts);
    for (int64_t i = 0; i < n.i; i++)
        ts[i] = ll_create_task(ll_coro(sleeper, i), NULL);
    ll_sleep(0.5);
    ll_print("alive: %zu", ll_all_tasks(NULL, 0));
    int64_t sum = 0;
    for (int64_t i = 0; i < n.i; i++)
        sum += ll_await(ts[i]).i;
    free(ts);
    ll_print("sum: %lld, time: %.1f", (long long)sum, ll_time());
    return ll_none();
}

START_TEST(a_hundred_thousand_live_tasks) {
    int64_t n = under_checker() ? 2000 : 100000;
    capture out;
    capture_begin(&out, 1);
    ll_loop_opts o = {.stack_size = 16 * 1024};
    int rc = ll_run_opts(ll_coro(many_main, n), &o);
    char *s = capture_end(&out);
    ck_assert_int_eq(rc, 0);
    char want[128];
    snprintf(want, sizeof want, "alive: %lld\nsum: %lld, time: 1.0\n", (long long)(n + 1),
             (long long)(n * (n - 1)));
    ck_assert_str_eq(s, want);
    free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("ctx");
    TCase *tc = tcase_create("switch");
    tcase_add_test(tc, switch_ping_pong_keeps_order_and_locals);
    tcase_add_test(tc, floating_point_state_survives_switches);
    tcase_add_test(tc, backend_name_matches_the_configuration);
    suite_add_tcase(s, tc);
    tc = tcase_create("stacks");
    tcase_add_test(tc, stack_has_a_guard_page_and_rounds_up);
    tcase_add_test(tc, freed_stacks_are_reused_by_size);
    tcase_add_test(tc, canary_of_an_unguarded_stack_detects_an_overrun);
    suite_add_tcase(s, tc);
    tc = tcase_create("tasks");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, deep_recursion_within_the_stack_works);
    tcase_add_test(tc, stack_overflow_is_reported_by_task_name_size_and_site);
    tcase_add_test(tc, overrun_of_an_unguarded_stack_is_caught_at_the_next_switch);
    tcase_add_test(tc, a_hundred_thousand_live_tasks);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
