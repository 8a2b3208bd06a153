/* bench_http.c - the HTTP client and server under load (scripts/bench).
 *
 *   http_1000: 1 000 GETs at once of a page the server delays 50 ms; the
 *              wall time for all of them (the ideal is one delay)
 *   http_rps:  requests per second with 100 clients in a loop on kept-alive
 *              connections, no delay
 * The server is the slow web on its own loop in a background thread, the
 * clients one loop on the main thread: two threads, as bench_http.py runs
 * aiohttp's client and server in two processes.
 *
 * Timed as bench_http.py times aiohttp: from the first request's task being
 * made to the last answer, with the session already open (the gather).
 * http_1000_whole adds what aiohttp's figure leaves out: making the loop,
 * closing the session's 1 000 connections and closing the loop. */
#include <looplab.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static ll_session *session;
static char url[128];
static int left;      /* requests still to send (http_rps) */
static int failures;

static ll_value one(LL_NOARGS) {
    ll_value r = ll_session_get(session, url);
    if (ll_failed(r)) {
        failures++;
        return r;
    }
    ll_response_free(r.p);
    return ll_none();
}

static ll_value looper(LL_NOARGS) {
    while (left > 0) {
        left--;
        ll_value r = ll_session_get(session, url);
        if (ll_failed(r)) {
            failures++;
            return r;
        }
        ll_response_free(r.p);
    }
    return ll_none();
}

static int nclients;
static ll_coro_fn client_fn;

static double now(void);
static double t_first, t_last; /* the gather: first task made, last answer in */

static ll_value run_many(LL_NOARGS) {
    ll_session_opts o = {.limit = nclients, .timeout = 60};
    session = ll_session_new(&o);
    t_first = now();
    ll_task **t = malloc((size_t)nclients * sizeof *t);
    for (int i = 0; i < nclients; i++)
        t[i] = ll_create_task_opts(ll_coro(client_fn),
                                   (&(ll_task_opts){.stack_size = 64 * 1024}));
    ll_wait((void *const *)t, (size_t)nclients, INFINITY, LL_ALL_COMPLETED, NULL);
    t_last = now();
    free(t);
    ll_session_close(session);
    return ll_none();
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One run: returns the gather's time; *whole gets the whole run's. */
static double run_once(const char *base, const char *path, int clients, int total,
                       ll_coro_fn fn, double *whole) {
    snprintf(url, sizeof url, "%s%s", base, path);
    nclients = clients;
    left = total;
    failures = 0;
    ll_loop_opts o = {.clock = LL_CLOCK_REAL, .record = -1, .slow_step = -1};
    double t0 = now();
    client_fn = fn;
    ll_run_opts(ll_coro(run_many), &o);
    *whole = now() - t0;
    if (failures) {
        fprintf(stderr, "bench_http: %d requests failed\n", failures);
        exit(1);
    }
    return t_last - t_first;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int repeat = 5;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
    }
    if (repeat < 1)
        repeat = 1;
    const char *base = ll_slow_web_start(0);
    if (!base)
        return 1;
    double *v = calloc((size_t)repeat, sizeof *v), *w = calloc((size_t)repeat, sizeof *w);
    if (!only || strcmp(only, "http_1000") == 0) {
        for (int i = 0; i < repeat; i++) {
            v[i] = run_once(base, "/delay/50?size=100", 1000, 0, one, &w[i]) * 1000;
            w[i] *= 1000;
        }
        qsort(v, (size_t)repeat, sizeof *v, cmp);
        qsort(w, (size_t)repeat, sizeof *w, cmp);
        printf("http_1000: %.1f ms\n", v[repeat / 2]);
        printf("http_1000_whole: %.1f ms\n", w[repeat / 2]);
    }
    if (!only || strcmp(only, "http_rps") == 0) {
        int total = 50000;
        for (int i = 0; i < repeat; i++)
            v[i] = total / run_once(base, "/delay/0?size=100", 100, total, looper, &w[i]);
        qsort(v, (size_t)repeat, sizeof *v, cmp);
        printf("http_rps: %.0f req/s\n", v[repeat / 2]);
    }
    free(v);
    free(w);
    ll_slow_web_stop();
    return 0;
}
