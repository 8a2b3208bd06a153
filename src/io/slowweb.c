/* slowweb.c - the slow web: a local HTTP server whose pages answer after
 * chosen delays, so that lessons about fetching pages have something to
 * fetch with no internet, and fetching them at once visibly beats fetching
 * them one after the other.
 *
 * It is an ordinary Looplab HTTP server (http.c) whose one handler sleeps
 * for the page's delay and answers with a body made by a fixed rule, which
 * lessons/slowweb.py repeats for the Python twins: the page's title line,
 * then FILLER over and over, cut to the page's size.
 *
 * ll_slow_web_start runs it on a loop of its own in a background thread;
 * the program's own loop never sees it (its trace shows only the client's
 * side).  `looplab serve` runs it in the foreground. */
#include "io.h"
#include "slowweb.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#define FILLER "<p>This page comes from Looplab's slow web, which takes its time.</p>\n"
enum { MAX_SIZE = 16 * 1024 * 1024, DEFAULT_DELAY_SIZE = 100, MAX_REQUEST_BODY = 64 * 1024 };

typedef struct page {
    const char *path;
    const char *title;
    double delay;
    size_t size;
} page;

static const page pages[] = {
    {"/example", "Example Domain", 0.3, 1256},
    {"/python", "Welcome to Python", 0.5, 50000},
    {"/slow", "A slow page", 2.0, 2048},
};
#define NPAGES (sizeof pages / sizeof pages[0])

/* body(title, size): "<!doctype html>\n<title>TITLE</title>\n" + FILLER...,
 * cut to size bytes, made afresh for each request.  (It was cached once,
 * and 24 different sizes of 16 MiB kept 440 MB for good; making even the
 * largest is a few milliseconds of memcpy, and a body that large is
 * malloc'd apart from the heap, so its memory goes back when it is freed.) */
static char *make_body(const char *title, size_t size) {
    char *b = malloc(size + 1);
    if (!b)
        return NULL;
    char head[128];
    int hn = snprintf(head, sizeof head, "<!doctype html>\n<title>%s</title>\n", title);
    size_t at = (size_t)hn < size ? (size_t)hn : size, fl = strlen(FILLER);
    memcpy(b, head, at);
    /* The filler once, then the filled part doubled until the size. */
    size_t start = at;
    for (size_t i = 0; at < size && i < fl; i++)
        b[at++] = FILLER[i];
    while (at < size) {
        size_t k = at - start < size - at ? at - start : size - at;
        memcpy(b + at, b + start, k);
        at += k;
    }
    b[size] = '\0';
    return b;
}

static const char index_text[] = "Looplab's slow web: pages that take their time.\n"
                                 "  /example      0.3 s   1256 bytes\n"
                                 "  /python       0.5 s  50000 bytes\n"
                                 "  /slow         2.0 s   2048 bytes\n"
                                 "  /delay/MS?size=N   MS milliseconds, N bytes (default 100)\n";

bool ll_slow_web_page(const char *path, const char *query, double *delay, char **body,
                      size_t *len) {
    if (!path)
        return false;
    if (strcmp(path, "/") == 0) {
        *delay = 0;
        *len = sizeof index_text - 1;
        return !body || (*body = strdup(index_text)) != NULL;
    }
    for (size_t i = 0; i < NPAGES; i++)
        if (strcmp(path, pages[i].path) == 0) {
            *delay = pages[i].delay;
            *len = pages[i].size;
            return !body || (*body = make_body(pages[i].title, pages[i].size)) != NULL;
        }
    if (strncmp(path, "/delay/", 7) == 0) {
        char *end;
        long ms = strtol(path + 7, &end, 10);
        if (end == path + 7 || *end || ms < 0 || ms > 600000)
            return false;
        long size = DEFAULT_DELAY_SIZE;
        const char *sz = query ? strstr(query, "size=") : NULL;
        if (sz) {
            size = strtol(sz + 5, &end, 10);
            if (end == sz + 5 || (*end && *end != '&') || size < 0 || size > MAX_SIZE)
                return false;
        }
        char title[32];
        snprintf(title, sizeof title, "delay %ld", ms);
        *delay = (double)ms / 1000.0;
        *len = (size_t)size;
        return !body || (*body = make_body(title, (size_t)size)) != NULL;
    }
    return false;
}

/* The one handler: wait, then answer. */
static ll_value slow_page(ll_value arg) {
    ll_http_request *req = arg.p;
    double delay;
    char *body;
    size_t len;
    if (!ll_slow_web_page(req->path, req->query, &delay, NULL, &len)) {
        char msg[300];
        int n = snprintf(msg, sizeof msg, "404 Not Found: the slow web has no page %.200s\n",
                         req->path);
        ll_http_respond(req, 404, NULL, msg, (size_t)n);
        return ll_none();
    }
    /* The body is made when it is sent, not held while the page takes
     * its time. */
    if (delay > 0)
        LL_TRY(ll_sleep(delay));
    if (!ll_slow_web_page(req->path, req->query, &delay, &body, &len))
        return ll_raise(LL_ENOMEM, "no memory for the page %s", req->path);
    ll_http_respond(req, 200, strcmp(req->path, "/") == 0 ? NULL : "text/html; charset=utf-8", body,
                    len);
    free(body);
    return ll_none();
}

/* ---- running it ------------------------------------------------------------- */

typedef struct web {
    const char *host;
    int port;            /* asked for; then the one it got */
    ll_event *stop;      /* set from the outside to stop it */
    uv_async_t async;    /* how another thread sets it */
    uv_signal_t sigs[2]; /* SIGINT, SIGTERM (foreground only) */
    bool foreground;
    bool started; /* listening (or failed: port < 0) */
    char error[256];
    pthread_mutex_t mu;
    pthread_cond_t cv;
} web;

static void on_async(uv_async_t *a) {
    web *w = a->data;
    if (w->stop)
        ll_event_set(w->stop);
}

static void on_signal(uv_signal_t *s, int signum) {
    (void)signum;
    web *w = s->data;
    if (w->stop)
        ll_event_set(w->stop);
}

static void announce(web *w, int port, const char *error) {
    pthread_mutex_lock(&w->mu);
    w->port = port;
    if (error)
        snprintf(w->error, sizeof w->error, "%s", error);
    w->started = true;
    if (w->foreground && port > 0) {
        printf("looplab serve: the slow web is at http://%s:%d/ (Ctrl-C stops it)\n%s", w->host,
               port, index_text);
        fflush(stdout);
    }
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static ll_value web_main(ll_value arg) {
    web *w = arg.p;
    ll_loop *loop = ll_get_running_loop();
    uv_loop_t *uvl = ll__uv_loop(loop);
    w->stop = ll_event_new("stop");
    ll_http_server *srv = ll_http_server_new(w);
    if (!srv || !uvl) {
        announce(w, -1, "out of memory");
        return ll_raise(LL_ENOMEM, "out of memory");
    }
    /* Its pages never read a body: one over a page of text is refused from
     * its headers.  The timeouts are the server's defaults. */
    ll_http_server_limits(srv, &(ll_http_limits){.max_body = MAX_REQUEST_BODY});
    ll_http_route(srv, "GET", "/*", slow_page);
    ll_value v = ll_http_listen(srv, w->host, w->port);
    if (ll_failed(v)) {
        announce(w, -1, ll_errmsg(v)); /* reported by whoever started it */
        return ll_none();
    }
    uv_async_init(uvl, &w->async, on_async);
    w->async.data = w;
    int nsig = 0;
    if (w->foreground) {
        int signums[2] = {SIGINT, SIGTERM};
        for (; nsig < 2; nsig++) {
            uv_signal_init(uvl, &w->sigs[nsig]);
            w->sigs[nsig].data = w;
            uv_signal_start(&w->sigs[nsig], on_signal, signums[nsig]);
        }
    }
    announce(w, ll_http_server_port(srv), NULL);
    ll_value r = ll_event_wait(w->stop);
    ll_http_server_close(srv);
    uv_close((uv_handle_t *)&w->async, NULL);
    for (int i = 0; i < nsig; i++)
        uv_close((uv_handle_t *)&w->sigs[i], NULL);
    return r;
}

static void run_web(web *w) {
    ll_loop_opts o = {0};
    o.clock = LL_CLOCK_REAL;
    o.record = -1;
    o.slow_step = -1;
    o.program = "slow web";
    /* ll_run, as asyncio.run: connections still open at the end are
     * cancelled and finish before the loop closes. */
    ll_run_opts(ll_coro(web_main, ll_ptr(w)), &o);
    if (!w->started)
        announce(w, -1, "the server stopped before it started");
}

/* The background server of this process. */
static pthread_mutex_t bg_mu = PTHREAD_MUTEX_INITIALIZER;
static web *bg;
static pthread_t bg_thread;
static char bg_url[96];

static void *bg_main(void *arg) {
    run_web(arg);
    ll__thread_release();
    return NULL;
}

const char *ll_slow_web_start(int port) {
    const char *env = getenv("LOOPLAB_WEB");
    if (env && *env)
        return env;
    pthread_mutex_lock(&bg_mu);
    if (bg) {
        pthread_mutex_unlock(&bg_mu);
        return bg_url;
    }
    web *w = calloc(1, sizeof *w);
    if (!w) {
        pthread_mutex_unlock(&bg_mu);
        fputs("looplab: out of memory starting the slow web\n", stderr);
        return NULL;
    }
    w->host = "127.0.0.1";
    w->port = port;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&bg_thread, NULL, bg_main, w) != 0) {
        free(w);
        pthread_mutex_unlock(&bg_mu);
        fputs("looplab: cannot start a thread for the slow web\n", stderr);
        return NULL;
    }
    pthread_mutex_lock(&w->mu);
    while (!w->started)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    if (w->port < 0) {
        fprintf(stderr, "looplab: the slow web could not start: %s\n", w->error);
        pthread_join(bg_thread, NULL);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        pthread_mutex_unlock(&bg_mu);
        return NULL;
    }
    static bool hooked;
    if (!hooked) {
        hooked = true;
        atexit(ll_slow_web_stop);
    }
    snprintf(bg_url, sizeof bg_url, "http://127.0.0.1:%d", w->port);
    bg = w;
    pthread_mutex_unlock(&bg_mu);
    return bg_url;
}

void ll_slow_web_stop(void) {
    pthread_mutex_lock(&bg_mu);
    web *w = bg;
    bg = NULL;
    pthread_mutex_unlock(&bg_mu);
    if (!w)
        return;
    uv_async_send(&w->async);
    pthread_join(bg_thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

int ll_slow_web_serve(const char *host, int port) {
    /* A classroom's worth of connections (and a few slow ones) fit in the
     * descriptors the system allows, not the 1 024 a shell starts with. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    web w = {0};
    w.host = host ? host : "127.0.0.1";
    w.port = port;
    w.foreground = true;
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    /* Say where it listens as soon as it does: from inside the loop. */
    run_web(&w);
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
    if (w.port < 0) {
        fprintf(stderr, "looplab serve: %s\n", w.error);
        return 1;
    }
    return 0;
}
