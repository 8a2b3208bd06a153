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
#include <stdio.h>

static const char *const pages[] = {
    "/example",            "/python",             "/delay/700?size=3000",
    "/delay/100?size=100", "/delay/200?size=200", "/delay/300?size=300",
    "/delay/400?size=400", "/delay/500?size=500", "/delay/600?size=600",
    "/delay/650?size=650"};
enum { NPAGES = 10 };

static const char *web;      /* the slow web's address */
static ll_session *session;  /* aiohttp.ClientSession() */

static double tenths(double seconds) { return floor(seconds * 10) / 10; }

/* async def fetch(session, url): */
static ll_value fetch(ll_value path) {
    char url[256];
    snprintf(url, sizeof url, "%s%s", web, path.s);
    ll_value r = ll_session_get(session, url);  /* async with session.get(url) as response: */
    if (ll_failed(r))
        return r;
    ll_response *response = r.p;
    return ll_int((int64_t)response->body_len); /* len(await response.text()) */
}

/* async def main(): */
static ll_value amain(ll_value arg) {
    (void)arg;
    web = ll_slow_web_start(0);
    if (!web)
        return ll_raise(LL_EOS, "the slow web did not start");
    session = ll_session_new(NULL);

    ll_print("One after the other:");
    ll_note("Part 1: one page at a time. Each ll_session_get sends a request and parks "
            "the main task on its socket (a wait on io, op=read) until the answer "
            "arrives. Nothing else is ready, so the loop just waits.");
    double start = ll_time();
    for (int i = 0; i < 3; i++) {
        ll_value n = ll_await(ll_coro(fetch, ll_str(pages[i])));  /* await fetch(...) */
        if (ll_failed(n))
            return n;
        ll_print("  %s: %lld characters", pages[i], (long long)n.i);
    }
    ll_print("  took %.1f s", tenths(ll_time() - start));
    ll_note("0.3 + 0.5 + 0.7 seconds of waiting, one after the other: about 1.5 s. "
            "The second request was sent only after the first answer came back. "
            "All three went over the same connection: the session keeps it open.");

    ll_print("All ten at once:");
    ll_note("Part 2: gather ten fetches. Each becomes a task; each sends its request "
            "and parks on its own socket. Ten tasks wait at the same time, and the "
            "loop wakes each one as its answer arrives.");
    start = ll_time();
    void *fetches[NPAGES];
    for (int i = 0; i < NPAGES; i++)
        fetches[i] = ll_coro(fetch, ll_str(pages[i]));
    ll_value sizes = ll_await(ll_gatherv(fetches, NPAGES, false));  /* await asyncio.gather(...) */
    if (ll_failed(sizes))
        return sizes;
    for (int i = 0; i < NPAGES; i++)
        ll_print("  %s: %lld characters", pages[i], (long long)ll_list_at(sizes, (size_t)i).i);
    ll_print("  took %.1f s", tenths(ll_time() - start));
    ll_note("The whole batch took as long as its slowest page (0.7 s), not the sum "
            "of all ten delays (4.5 s): the waiting overlapped. Results are still in "
            "the order the fetches were given to gather.");

    ll_session_close(session);
    return ll_none();
}

int main(void) {
    ll_loop_opts opts = {.clock = LL_CLOCK_REAL};  /* sockets need real time */
    return ll_run_opts(ll_coro(amain, ll_none()), &opts);
}
