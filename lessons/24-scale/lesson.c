/* Lesson 24: scale.
 *
 * Python twin: lesson.py.  An idle connection is a task waiting for data
 * that has not come: it holds memory and no CPU.  How much?  A thread per
 * connection, measured from the process's resident memory and address
 * space; then ten thousand, then a million idle tasks, measured the same
 * way.  The lines printed are claims that hold for both Looplab's C and
 * CPython (each measures its own figures, and they differ); a terminal also
 * gets the exact figures on standard error.  The measuring comes first (the threads before the
 * crowds, so that memory the crowds gave back cannot blur them), the crowds
 * on loops that record nothing: a million tasks' events do not belong in a
 * trace. */
#include <looplab.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KiB 1024.0
#define MiB (1024.0 * KiB)
#define GiB (1024.0 * MiB)

/* What memory() returns: Python's (reserved, resident) tuple, in bytes. */
typedef struct usage {
    double reserved, resident;
} usage;

/* def memory(): the address space this process has reserved, and the
 * memory it has resident (committed), from /proc/self/statm. */
static usage memory(void) {
    long long pages[2];
    FILE *f = fopen("/proc/self/statm", "r");   /* with open("/proc/self/statm") as f: */
    bool ok = f && fscanf(f, "%lld %lld", &pages[0], &pages[1]) == 2;
    if (f)
        fclose(f);
    if (!ok) {                           /* Python raises here: no figures, no claims */
        fprintf(stderr, "cannot read /proc/self/statm: this lesson measures Linux's figures\n");
        exit(1);
    }
    double page = (double)sysconf(_SC_PAGESIZE);
    return (usage){(double)pages[0] * page, (double)pages[1] * page};
}

/* def exact(text): the exact figures, for a person at a terminal (the tests
 * compare the printed lines). */
#define exact(...) (isatty(2) ? fprintf(stderr, __VA_ARGS__) : 0)

/* def vs(measured, limit, words): "under 8 KiB" or "8 KiB or more", a claim
 * checked on the measured figure. */
static const char *vs(double measured, double limit, const char *words) {
    return measured < limit ? ll_format("under %s", words) : ll_format("%s or more", words);
}

/* async def connection(data): an idle connection awaits its next request,
 * as StreamReader.read awaits a future that the socket completes.  Until
 * then it costs memory only. */
static ll_value connection(ll_args data) {
    return ll_await((ll_future *)data.p);                   /* return await data */
}

/* What crowd() returns: Python's (per_task, resident) tuple. */
typedef struct figures {
    double per_task, resident;
} figures;

/* async def crowd(n): (its figures are written to *out) */
static ll_value crowd(ll_args args) {
    long long n = ll_arg_int(args, 0);
    figures *out = ll_arg_ptr(args, 1);
    double before = memory().resident;                     /* before = memory()[1] */
    ll_future **requests = malloc((size_t)n * sizeof *requests);
    ll_task **tasks = malloc((size_t)n * sizeof *tasks);
    if (!requests || !tasks) {
        free(requests);
        free(tasks);
        return ll_raise(LL_ENOMEM, "no room for %lld tasks", n);
    }
    for (long long i = 0; i < n; i++)    /* requests = [loop.create_future() for _ in range(n)] */
        requests[i] = ll_future_new();
    for (long long i = 0; i < n; i++)    /* tasks = [asyncio.create_task( */
        tasks[i] = ll_create_task(ll_coro(connection, requests[i]), "connection");
    ll_value r = ll_sleep(0);            /* each task runs to its await, and waits */
    double after = memory().resident;                      /* after = memory()[1] */
    for (long long i = 0; i < n; i++)    /* the server closes: every await returns */
        ll_future_set_result(requests[i], ll_none());
    for (long long i = 0; i < n && !ll_failed(r); i++)     /* for t in tasks: await t */
        r = ll_await(tasks[i]);
    free(requests);
    free(tasks);
    LL_TRY(r);
    *out = (figures){(after - before) / (double)n, after}; /* return (after - before) / n, after */
    return ll_none();
}

/* def run_crowd(n, stacks): a loop of its own that records nothing (a
 * million tasks' events do not belong in a trace), with every task's frames
 * kept as `stacks` says: "own" (a stack each, the default) or "copy" (one
 * shared stack; a waiting task's frames copied to the heap, as CPython keeps
 * a suspended coroutine's frame). */
static figures run_crowd(long long n, const char *stacks) {
    figures f = {0, 0};
    ll_loop_opts opts = {.record = -1, .clock = LL_CLOCK_VIRTUAL,
                         .stack_mode = strcmp(stacks, "copy") == 0 ? LL_STACK_COPY : LL_STACK_OWN};
    ll_loop *loop = ll_loop_new(&opts);                    /* loop = SelectorEventLoop() */
    /* The twin names its task "crowd": CPython numbers unnamed tasks across
     * the whole process, so an unnamed one would renumber the lesson's own
     * (Looplab numbers them per loop). */
    ll_value r = ll_loop_run_until_complete(loop, ll_coro(crowd, n, &f));
    ll_loop_close(loop);
    if (ll_failed(r)) {                  /* an error in crowd(): Python's traceback */
        fprintf(stderr, "crowd(%lld) failed: %s: %s\n", n, ll_err_name(ll_errcode(r)),
                ll_errmsg(r));
        exit(1);
    }
    exact("%lld idle tasks (%s): %.0f bytes each, %.0f MiB resident\n", n, stacks, f.per_task,
          f.resident / MiB);
    return f;
}

/* threading.Event (gate) and Semaphore (started), for the threads below. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static int started;

/* def connection_thread(): */
static void *connection_thread(void *arg LL_UNUSED) {
    pthread_mutex_lock(&mu);
    started++;                                              /* started.release() */
    pthread_cond_broadcast(&changed);
    while (!gate_open)                                      /* gate.wait() */
        pthread_cond_wait(&changed, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* What run_threads() returns: Python's (committed, space) tuple. */
typedef struct thread_figures {
    double committed, space;
} thread_figures;

/* def run_threads(n): a thread per connection, each blocked until the gate
 * opens. */
static thread_figures run_threads(int n) {
    usage m = memory();                  /* reserved, resident = memory() */
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    int made = 0;
    while (threads && made < n &&                           /* for t in threads: t.start() */
           pthread_create(&threads[made], NULL, connection_thread, NULL) == 0)
        made++;
    pthread_mutex_lock(&mu);
    while (started < made)               /* every thread has started and waits */
        pthread_cond_wait(&changed, &mu);
    pthread_mutex_unlock(&mu);
    usage m2 = memory();                 /* reserved2, resident2 = memory() */
    pthread_mutex_lock(&mu);
    gate_open = true;                                       /* gate.set() */
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < made; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    if (made < n) {
        fprintf(stderr, "could start only %d of %d threads\n", made, n);
        exit(1);
    }
    thread_figures f = {(m2.resident - m.resident) / n, (m2.reserved - m.reserved) / n};
    exact("%d threads: %.0f bytes committed, %.2f MiB reserved each\n", n, f.committed,
          f.space / MiB);
    return f;
}

/* async def main(threads, few, many): */
static ll_value amain(ll_args args) {
    const thread_figures *threads = ll_arg_ptr(args, 0);
    const figures *few = ll_arg_ptr(args, 1), *many = ll_arg_ptr(args, 2);
    ll_note("Before this loop started, the program measured: a thread per connection (100 "
            "threads), then 10 000 and 1 000 000 idle tasks, each crowd on a loop of its own "
            "that records nothing (a million tasks' events would swamp the trace). This loop "
            "reports what it found.");
    ll_future *requests[3];
    ll_task *idle[3];
    for (int i = 0; i < 3; i++)          /* requests = [loop.create_future() for _ in range(3)] */
        requests[i] = ll_future_new();
    for (int i = 0; i < 3; i++)          /* idle = [asyncio.create_task( */
        idle[i] = ll_create_task(ll_coro(connection, requests[i]), ll_format("conn-%d", i));
    LL_TRY(ll_sleep(0));                 /* three idle connections, for the timeline */
    ll_note("Three idle connections, as a server holds them: each task waits on a future its "
            "socket would complete. A waiting task takes no turns and no CPU; all it holds is "
            "memory. The crowds were made of tasks just like these.");
    ll_note("A thread per connection: the kernel maps each thread a stack. Address space is "
            "reserved for the whole stack limit (ulimit -s); memory is committed only for the "
            "pages the thread touches. The kernel also keeps every thread and schedules it.");
    ll_print("100 threads: %s each, and %s of address space",
             vs(threads->committed, 8 * KiB, "8 KiB"), vs(threads->space, 8 * MiB, "8 MiB"));
    ll_note("Ten thousand tasks in Looplab's default mode: each has a stack of its own, and a "
            "waiting one keeps the page its frames touched, plus its record. CPython has no "
            "stack per coroutine: a waiting coroutine's frame is an object on the heap.");
    ll_print("10000 idle tasks: %s each", vs(few->per_task, 8 * KiB, "8 KiB"));
    ll_note("The million ran in copy stack mode: one shared stack per loop, and a waiting "
            "task's frames (a few hundred bytes) copied to the heap, where CPython keeps them "
            "too. With a stack each, a million tasks would need a million pages of stack: "
            "close to 4 GiB.");
    ll_print("1000000 idle tasks: %s each, %s in all", vs(many->per_task, 2 * KiB, "2 KiB"),
             vs(many->resident, 2 * GiB, "2 GiB"));
    ll_note("A server holding 10 000 idle connections, from the figures above: a thread's "
            "committed memory and reserved address space times 10 000, against 10 000 waiting "
            "tasks on one thread.");
    ll_print("10000 connections as threads: %s, %s reserved",
             vs(10000 * threads->committed, 80 * MiB, "80 MiB"),
             vs(10000 * threads->space, 78 * GiB, "78 GiB"));
    ll_print("10000 connections as tasks: %s", vs(10000 * many->per_task, 20 * MiB, "20 MiB"));
    ll_note("That is why such a server is an asyncio program: an idle connection costs it the "
            "frames of one waiting task, not a thread for the kernel to keep and schedule.");
    for (int i = 0; i < 3; i++)          /* the server closes: every await returns */
        ll_future_set_result(requests[i], ll_none());
    LL_TRY(ll_await(ll_gather(idle[0], idle[1], idle[2]))); /* await asyncio.gather(*idle) */
    return ll_none();
}

int main(void) {
    static thread_figures threads;
    static figures few, many;
    threads = run_threads(100);
    few = run_crowd(10000, "own");
    many = run_crowd(1000000, "copy");
    return ll_run(ll_coro(amain, &threads, &few, &many));   /* asyncio.run(main(...)) */
}
