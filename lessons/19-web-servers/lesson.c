/* Lesson 19: asyncio and web servers.
 *
 * Python twin: lesson.py (aiohttp.web).  An asyncio web server gives every
 * connection its own task, and its handlers are coroutines: a handler that
 * awaits something slow (here a sleep standing in for a database call)
 * parks its own task, and the loop goes on serving the other connections.
 * One thread serves many clients at once.
 *
 * The server and its clients run on one loop, so the visualizer shows both
 * sides: client tasks waiting on their sockets, server tasks sleeping in
 * their handlers.  Sockets need the real clock. */
#include <looplab.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

static int in_progress, most_at_once;  /* shared by the handlers: one thread, no lock */

/* async def hello(request): */
static ll_value hello(ll_value arg) {
    ll_http_request *request = arg.p;
    const char *text = "Hello from the server!";
    ll_http_respond(request, 200, NULL, text, strlen(text));  /* return web.Response(text=...) */
    return ll_none();
}

/* async def work(request): */
static ll_value work(ll_value arg) {
    ll_http_request *request = arg.p;
    ll_print("server: /work started");
    in_progress++;
    if (in_progress > most_at_once)
        most_at_once = in_progress;
    LL_TRY(ll_sleep(0.5));                   /* await asyncio.sleep(0.5): a slow database call */
    in_progress--;
    ll_print("server: /work done");
    const char *text = "done after 0.5 s of work";
    ll_http_respond(request, 200, NULL, text, strlen(text));
    return ll_none();
}

static char base[64];        /* http://127.0.0.1:PORT */
static ll_session *session;

/* async def get(path): */
static ll_value get(ll_value path) {
    char url[128];
    snprintf(url, sizeof url, "%s%s", base, path.s);
    ll_value r = ll_session_get(session, url);  /* async with session.get(url) as response: */
    if (ll_failed(r))
        return r;
    ll_response *response = r.p;
    return ll_str(response->body);              /* await response.text() */
}

/* async def main(): */
static ll_value amain(ll_value unused) {
    (void)unused;
    ll_http_server *server = ll_http_server_new(NULL);     /* app = web.Application() */
    ll_http_route(server, "GET", "/hello", hello);         /* app.router.add_get(...) */
    ll_http_route(server, "GET", "/work", work);
    ll_value ok = ll_http_listen(server, "127.0.0.1", 0);  /* await site.start() */
    if (ll_failed(ok))
        return ok;
    snprintf(base, sizeof base, "http://127.0.0.1:%d", ll_http_server_port(server));
    ll_print("server: listening");
    ll_note("The server is listening: one socket, waiting for connections. Nothing "
            "runs until a client connects.");
    session = ll_session_new(NULL);

    ll_value text = ll_await(ll_coro(get, ll_str("/hello")));
    if (ll_failed(text))
        return text;
    ll_print("GET /hello -> %s", text.s);
    ll_note("One request: the server accepted the connection and started a task for "
            "it, which read the request and ran the hello handler.");

    ll_print("Five clients at once:");
    ll_note("Five requests to /work at once. The server makes a task for each "
            "connection; each handler sleeps for half a second, which parks only its own "
            "task. Watch five server tasks wait on timers side by side.");
    double start = ll_time();
    ll_value answers = ll_await(ll_gather(ll_coro(get, ll_str("/work")),
                                          ll_coro(get, ll_str("/work")),
                                          ll_coro(get, ll_str("/work")),
                                          ll_coro(get, ll_str("/work")),
                                          ll_coro(get, ll_str("/work"))));
    if (ll_failed(answers))
        return answers;
    size_t same = 0;
    for (size_t i = 0; i < ll_list_len(answers); i++)
        same += strcmp(ll_list_at(answers, i).s, "done after 0.5 s of work") == 0;
    ll_print("  %zu answers: 'done after 0.5 s of work'", same);
    ll_print("  at most %d requests in progress at once", most_at_once);
    ll_print("  took %.1f s", floor((ll_time() - start) * 10) / 10);
    ll_note("Five half-second requests in about half a second, on one thread: the "
            "handlers' waiting overlapped. A server that handled one request at a time "
            "would have taken two and a half.");

    ll_session_close(session);
    ll_http_server_close(server);                          /* await runner.cleanup() */
    ll_print("server: closed");
    return ll_none();
}

int main(void) {
    ll_loop_opts opts = {.clock = LL_CLOCK_REAL};  /* sockets need real time */
    return ll_run_opts(ll_coro(amain, ll_none()), &opts);
}
