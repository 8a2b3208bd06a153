/* bench_trace.c - the trace's speed: write and read back a trace of about a
 * million events recorded from a real run (1000 tasks stepping, printing now
 * and then), export it to Chrome JSON, and measure the memory a read trace
 * holds per event.  Medians of --repeat runs; `name: value unit` lines.
 *
 * --shapes DIR writes the traces that once took the tools quadratic time or
 * memory by the trace's size, for scripts/bench to run `looplab stats` and
 * `looplab export` on, each in a fresh process: big.trace (about 5 M events
 * recorded from a real run), files.trace (100 000 distinct at= files) and
 * wakes.trace (200 000 ready events with obj=0).  --read FILE reads one
 * trace whole (ll_trace_load) and prints how long that took. */
#include <looplab.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sched/internal.h"
#include "trace/export.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE);
}

enum { TASKS = 1000, STEPS = 500 };

static ll_value worker(ll_value i) {
    for (int s = 0; s < STEPS; s++) {
        if (s % 97 == 0)
            ll_print("worker %lld at step %d: \"quoted\"\ttab", (long long)i.i, s);
        ll_sleep(0);
    }
    return ll_int(i.i);
}

static ll_value record_main(ll_value tasks) {
    int n = (int)tasks.i;
    void **aws = malloc((size_t)n * sizeof *aws);
    for (int i = 0; i < n; i++)
        aws[i] = ll_create_task(ll_coro(worker, i), NULL);
    ll_await(ll_gatherv(aws, (size_t)n, false));
    free(aws);
    return ll_none();
}

/* Records `tasks` workers of STEPS steps each, with their prints kept out of
 * this program's output; the caller closes the loop. */
static ll_loop *record(int tasks) {
    ll_loop_opts o = {.clock = LL_CLOCK_VIRTUAL, .record = 1, .trace_path = ""};
    ll_loop *loop = ll_loop_new(&o);
    FILE *devnull = fopen("/dev/null", "w");
    fflush(stdout);
    int saved = dup(1);
    dup2(fileno(devnull), 1);
    ll_loop_run_until_complete(loop, ll_coro(record_main, tasks));
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    fclose(devnull);
    return loop;
}

static FILE *open_shape(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        perror(path);
    return f;
}

static int make_shapes(const char *dir) {
    /* 5 000 workers of 500 steps: about 5 M events. */
    ll_loop *loop = record(5000);
    ll_trace_meta meta = ll__trace_meta(loop);
    FILE *f = open_shape(dir, "big.trace");
    if (!f || ll_trace_write(f, &loop->rec, &meta, false) != 0 || fclose(f) != 0)
        return 1;
    printf("shape_big_events: %zu events\n", loop->rec.n);
    ll_loop_close(loop);
    /* A task stepping through 100 000 source files (a generated program). */
    enum { FILES = 100000, WAKES = 200000 };
    f = open_shape(dir, "files.trace");
    if (!f)
        return 1;
    fputs("looplab-trace 1.4\n   0.000000000  1:T  task_new name=\"T\"\n", f);
    for (int i = 0; i < FILES; i++)
        fprintf(f, "   0.000000000  1  print text=\"step %d\" at=gen/file%06d.c:%d\n", i, i,
                i % 100 + 1);
    fprintf(f, "@end events=%d\n", FILES + 1);
    if (fclose(f) != 0)
        return 1;
    /* Tasks woken 200 000 times by nothing the trace names (obj=0), after
     * as many futures finished. */
    f = open_shape(dir, "wakes.trace");
    if (!f)
        return 1;
    fputs("looplab-trace 1.4\n   0.000000000  1:T  task_new name=\"T\"\n", f);
    for (int i = 0; i < WAKES; i++)
        fprintf(f,
                "%12d.%09d  1  fut_done fut=%d outcome=result value=\"None\"\n"
                "%12d.%09d  1  ready reason=call_soon pos=0\n"
                "%12d.%09d  1  run behind=0\n",
                i / 1000, i % 1000 * 1000000, i + 2, i / 1000, i % 1000 * 1000000, i / 1000,
                i % 1000 * 1000000);
    fprintf(f, "@end events=%d\n", 3 * WAKES + 1);
    return fclose(f) != 0;
}

static int read_one(const char *path) {
    ll_trace t;
    char err[1024];
    double t0 = now_s();
    if (ll_trace_load(&t, path, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("read_s: %.2f s\nread_events: %zu events\n", now_s() - t0, t.rec.n);
    ll_trace_free(&t);
    return 0;
}

int main(int argc, char **argv) {
    int repeat = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--shapes") == 0 && i + 1 < argc)
            return make_shapes(argv[i + 1]);
        else if (strcmp(argv[i], "--read") == 0 && i + 1 < argc)
            return read_one(argv[i + 1]);
        else {
            fprintf(stderr, "usage: %s [--repeat N] | --shapes DIR | --read FILE\n", argv[0]);
            return 2;
        }
    }
    if (repeat < 1 || repeat > 100)
        repeat = 5;
    /* Record a real run (the workers' prints are part of the trace, not of
     * this report). */
    ll_loop *loop = record(TASKS);
    FILE *devnull = fopen("/dev/null", "w");
    const ll__recorder *rec = &loop->rec;
    size_t n = rec->n;
    ll_trace_meta meta = ll__trace_meta(loop);
    char path[] = "/tmp/looplab-bench-trace-XXXXXX";
    close(mkstemp(path));
    double v[100];
    /* Write: format every event as text into a file. */
    for (int r = 0; r < repeat; r++) {
        FILE *f = fopen(path, "w");
        double t0 = now_s();
        ll_trace_write(f, rec, &meta, false);
        fclose(f);
        v[r] = (double)n / (now_s() - t0) / 1e6;
    }
    printf("trace_write: %.2f Mevents/s\n", median(v, repeat));
    fflush(stdout);
    /* Read: parse it back from memory (the file's bytes already read). */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *text = malloc((size_t)len);
    if (fread(text, 1, (size_t)len, f) != (size_t)len)
        return 1;
    fclose(f);
    char err[512];
    double mem = 0;
    for (int r = 0; r < repeat; r++) {
        ll_trace t;
        long before = rss_bytes();
        double t0 = now_s();
        if (ll_trace_parse(&t, path, text, (size_t)len, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        v[r] = (double)t.rec.n / (now_s() - t0) / 1e6;
        if (r == 0)
            mem = (double)(rss_bytes() - before) / (double)t.rec.n;
        /* Chrome export of what was read. */
        ll_trace_free(&t);
    }
    printf("trace_read: %.2f Mevents/s\n", median(v, repeat));
    fflush(stdout);
    ll_trace t;
    ll_trace_parse(&t, path, text, (size_t)len, err, sizeof err);
    for (int r = 0; r < repeat; r++) {
        double t0 = now_s();
        ll_trace_export_chrome(devnull, &t);
        fflush(devnull);
        v[r] = (double)t.rec.n / (now_s() - t0) / 1e6;
    }
    printf("trace_chrome: %.2f Mevents/s\n", median(v, repeat));
    printf("trace_mem: %.1f bytes/event\n", mem);
    printf("trace_events: %zu events\n", n);
    ll_trace_free(&t);
    free(text);
    unlink(path);
    fclose(devnull);
    ll_loop_close(loop);
    return 0;
}
