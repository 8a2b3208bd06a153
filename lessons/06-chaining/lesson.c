/* Lesson 6: chaining coroutines.
 *
 * Python twin: lesson.py.  A chain of awaits runs inline, in one task: get_user,
 * then get_posts with what get_user returned, then render's print.  Two
 * chains gathered become two tasks whose waits overlap. */
#include <looplab.h>
#include <stdio.h>

/* async def get_user(uid): */
static ll_value get_user(ll_value uid) {
    ll_print("get_user(%lld)", (long long)uid.i);
    LL_TRY(ll_sleep(0.5));                               /* await asyncio.sleep(0.5) */
    static char names[8][16];
    char *name = names[uid.i % 8];
    snprintf(name, 16, "user%lld", (long long)uid.i);
    return ll_str(name);                                 /* return f"user{uid}" */
}

/* async def get_posts(user): */
static ll_value get_posts(ll_value user) {
    ll_print("get_posts(%s)", user.s);
    LL_TRY(ll_sleep(1));                                 /* await asyncio.sleep(1) */
    return ll_int(2);                                    /* return 2 */
}

/* async def render(uid): */
static ll_value render(ll_value uid) {
    ll_value user = ll_await(ll_coro(get_user, uid));    /* user = await get_user(uid) */
    LL_TRY(user);
    ll_note("get_user's result is get_posts's argument: this await cannot start "
            "before the previous one has finished.");
    ll_value posts = ll_await(ll_coro(get_posts, user)); /* posts = await get_posts(user) */
    LL_TRY(posts);
    ll_print("render: %s has %lld posts", user.s, (long long)posts.i);
    return posts;
}

/* async def main(): */
static ll_value amain(ll_value unused) {
    (void)unused;
    double start = ll_time();
    ll_note("One chain, awaited directly: render, get_user and get_posts all run "
            "inside main's task, one after the other.");
    LL_TRY(ll_await(ll_coro(render, ll_int(1))));        /* await render(1) */
    ll_print("one chain: %.1f s", ll_time() - start);

    start = ll_time();
    ll_note("Two chains, gathered: two tasks. Each chain is still in order, but "
            "while one waits the other runs.");
    ll_value counts = ll_await(ll_gather(ll_coro(render, ll_int(2)),
                                         ll_coro(render, ll_int(3))));
    LL_TRY(counts);
    ll_print("two chains at once: %s in %.1f s", ll_repr(counts), ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain, ll_none()));
}
