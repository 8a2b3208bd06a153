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
#include <string.h>

static int in_progress, most_at_once;  /* shared by the handlers: one thread, no lock */

/* async def hello(request): */
static ll_value hello(ll_args args) {
    const char *text = "Hello from the server!";
    return ll_http_respond(ll_arg_ptr(args, 0), 200, NULL, text, strlen(text));
}

/* async def work(request): */
static ll_value work(ll_args args) {
    ll_print("server: /work started");
    in_progress++;                                 /* in_progress += 1 */
    most_at_once = in_progress > most_at_once ? in_progress : most_at_once; /* max( */
    LL_TRY(ll_sleep(0.5));                         /* a slow database call */
    in_progress--;                                 /* in_progress -= 1 */
    ll_print("server: /work done");
    const char *text = "done after 0.5 s of work";
    return ll_http_respond(ll_arg_ptr(args, 0), 200, NULL, text, strlen(text));
}

/* async def get(session, url): */
static ll_value get(ll_args args) {
    ll_value response = ll_session_get(ll_arg_ptr(args, 0), ll_arg_str(args, 1));
    LL_TRY(response);                              /* async with session.get(url) as response: */
    return ll_str(((ll_response *)response.p)->body); /* return await response.text() */
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_http_server *server = ll_http_server_new(NULL);     /* app = web.Application() */
    ll_http_route(server, "GET", "/hello", hello);         /* app.router.add_get("/hello", hello) */
    ll_http_route(server, "GET", "/work", work);           /* app.router.add_get("/work", work) */
    LL_TRY(ll_http_listen(server, "127.0.0.1", 0));        /* await site.start() */
    const char *base = ll_format("http://127.0.0.1:%d", ll_http_server_port(server));
    ll_print("server: listening");
    ll_note("The server is listening: one socket, waiting for connections. Nothing "
            "runs until a client connects.");

    ll_session *session = ll_session_new(NULL);            /* async with aiohttp.ClientSession() */
    ll_value r = ll_none();
    ll_value text = ll_await(ll_coro(get, session, ll_format("%s/hello", base)));
    if (ll_failed(r = text))                               /* (an error leaves the block) */
        goto out;
    ll_print("GET /hello -> %s", text.s);
    ll_note("One request: the server accepted the connection and started a task for "
            "it, which read the request and ran the hello handler.");

    ll_print("Five clients at once:");
    ll_note("Five requests to /work at once. The server makes a task for each "
            "connection; each handler sleeps for half a second, which parks only its own "
            "task. Watch five server tasks wait on timers side by side.");
    double start = ll_time();                              /* start = time.perf_counter() */
    void *gets[5];
    for (int i = 0; i < 5; i++)                            /* *(get(session, base + "/work") */
        gets[i] = ll_coro(get, session, ll_format("%s/work", base));
    ll_value answers = ll_await(ll_gatherv(gets, 5, false)); /* await asyncio.gather(...) */
    if (ll_failed(r = answers))
        goto out;
    int same = 0;                                          /* same = sum( */
    for (size_t i = 0; i < ll_list_len(answers); i++)
        same += strcmp(ll_list_at(answers, i).s, "done after 0.5 s of work") == 0;
    ll_print("  %d answers: 'done after 0.5 s of work'", same);
    ll_print("  at most %d requests in progress at once", most_at_once);
    ll_print("  took %.1f s", floor((ll_time() - start) * 10) / 10);
    ll_note("Five half-second requests in about half a second, on one thread: the "
            "handlers' waiting overlapped. A server that handled one request at a time "
            "would have taken two and a half.");
out:
    ll_session_close(session);                             /* (leaving `async with`) */
    LL_TRY(r);
    ll_http_server_close(server);                          /* await runner.cleanup() */
    ll_print("server: closed");
    return ll_none();
}

int main(void) {
    ll_loop_opts opts = {.clock = LL_CLOCK_REAL};  /* sockets need real time */
    return ll_run_opts(ll_coro(amain), &opts);
}
