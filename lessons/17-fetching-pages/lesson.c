/* Lesson 17: fetching pages with a client session.
 *
 * Python twin: lesson.py (aiohttp).  The pages come from Looplab's slow web,
 * a local server that answers each page after a set delay (it stands in
 * for the internet, which a classroom machine may not have).  Fetching the
 * pages one after the other costs the sum of the delays; gathering them
 * costs the longest one, because a task waiting for a socket leaves the
 * thread to the others.
 *
 * Sockets need the real clock, so this lesson runs on it: the times it
 * prints are measured, not simulated. */
#include <looplab.h>

#include <math.h>
#include <string.h>

static const char *const PAGES[] = {"/example", "/python", "/delay/700?size=3000",
    "/delay/100?size=100", "/delay/200?size=200", "/delay/300?size=300", "/delay/400?size=400",
    "/delay/500?size=500", "/delay/600?size=600", "/delay/650?size=650"};
enum { NPAGES = sizeof PAGES / sizeof PAGES[0] };

static double tenths(double seconds) { return floor(seconds * 10) / 10; }

/* async def fetch(session, url): */
static ll_value fetch(ll_args args) {
    ll_value response = ll_session_get(ll_arg_ptr(args, 0), ll_arg_str(args, 1));
    LL_TRY(response);                              /* async with session.get(url) as response: */
    return ll_str(((ll_response *)response.p)->body); /* return await response.text() */
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    const char *web = ll_slow_web_start(0);        /* web = slowweb.start() */
    if (!web)
        return ll_raise(LL_EOS, "the slow web did not start");
    ll_session *session = ll_session_new(NULL);    /* async with aiohttp.ClientSession() */
    ll_value r = ll_none();
    ll_print("One after the other:");
    ll_note("Part 1: one page at a time. Each ll_session_get sends a request and parks "
            "the main task on its socket (a wait on io, op=read) until the answer "
            "arrives. Nothing else is ready, so the loop just waits.");
    double start = ll_time();                      /* start = time.perf_counter() */
    for (int i = 0; i < 3; i++) {                  /* for path in PAGES[:3]: */
        ll_value text = ll_await(ll_coro(fetch, session, ll_format("%s%s", web, PAGES[i])));
        if (ll_failed(r = text))                   /* (an error leaves the block) */
            goto out;
        ll_print("  %s: %zu characters", PAGES[i], strlen(text.s));
    }
    ll_print("  took %.1f s", tenths(ll_time() - start));
    ll_note("0.3 + 0.5 + 0.7 seconds of waiting, one after the other: about 1.5 s. "
            "The second request was sent only after the first answer came back. "
            "All three went over the same connection: the session keeps it open.");

    ll_print("All ten at once:");
    ll_note("Part 2: gather ten fetches. Each becomes a task; each sends its request "
            "and parks on its own socket. Ten tasks wait at the same time, and the "
            "loop wakes each one as its answer arrives.");
    start = ll_time();                             /* start = time.perf_counter() */
    void *fetches[NPAGES];
    for (int i = 0; i < NPAGES; i++)               /* *(fetch(session, web + p) for p in PAGES) */
        fetches[i] = ll_coro(fetch, session, ll_format("%s%s", web, PAGES[i]));
    ll_value texts = ll_await(ll_gatherv(fetches, NPAGES, false)); /* asyncio.gather(...) */
    if (ll_failed(r = texts))
        goto out;
    for (int i = 0; i < NPAGES; i++)               /* for path, text in zip(PAGES, texts): */
        ll_print("  %s: %zu characters", PAGES[i], strlen(ll_list_at(texts, i).s));
    ll_print("  took %.1f s", tenths(ll_time() - start));
    ll_note("The whole batch took as long as its slowest page (0.7 s), not the sum "
            "of all ten delays (4.5 s): the waiting overlapped. Results are still in "
            "the order the fetches were given to gather.");
out:
    ll_session_close(session);                     /* (leaving `async with`: even on error) */
    return ll_failed(r) ? r : ll_none();           /* (the texts went with the session) */
}

int main(void) {
    ll_loop_opts opts = {.clock = LL_CLOCK_REAL};  /* sockets need real time */
    return ll_run_opts(ll_coro(amain), &opts);
}
