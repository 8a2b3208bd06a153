/* Lesson 6: chaining coroutines.
 *
 * Python twin: lesson.py.  A chain of awaits runs inline, in one task: get_user,
 * then get_posts with what get_user returned, then render's print.  Two
 * chains gathered become two tasks whose waits overlap. */
#include <looplab.h>

/* async def get_user(uid): */
static ll_value get_user(ll_args args) {
    long long uid = ll_arg_int(args, 0);
    ll_print("get_user(%lld)", uid);
    LL_TRY(ll_sleep(0.5));                                  /* await asyncio.sleep(0.5) */
    return ll_str(ll_format("user%lld", uid));              /* return f"user{uid}" */
}

/* async def get_posts(user): */
static ll_value get_posts(ll_args args) {
    const char *user = ll_arg_str(args, 0);
    ll_print("get_posts(%s)", user);
    LL_TRY(ll_sleep(1));                                    /* await asyncio.sleep(1) */
    return ll_int(2);                                       /* return 2 */
}

/* async def render(uid): */
static ll_value render(ll_args args) {
    long long uid = ll_arg_int(args, 0);
    ll_value user = ll_await(ll_coro(get_user, uid));       /* user = await get_user(uid) */
    LL_TRY(user);
    ll_note("get_user's result is get_posts's argument: this await cannot start "
            "before the previous one has finished.");
    ll_value posts = ll_await(ll_coro(get_posts, user));    /* posts = await get_posts(user) */
    LL_TRY(posts);
    ll_print("render: %s has %lld posts", user.s, posts.i);
    return posts;
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();                               /* start = loop.time() */
    ll_note("One chain, awaited directly: render, get_user and get_posts all run "
            "inside main's task, one after the other.");
    LL_TRY(ll_await(ll_coro(render, 1)));                   /* await render(1) */
    ll_print("one chain: %.1f s", ll_time() - start);

    start = ll_time();                                      /* start = loop.time() */
    ll_note("Two chains, gathered: two tasks. Each chain is still in order, but "
            "while one waits the other runs.");
    /* counts = await asyncio.gather(render(2), render(3)) */
    ll_value counts = ll_await(ll_gather(ll_coro(render, 2), ll_coro(render, 3)));
    LL_TRY(counts);
    ll_print("two chains at once: %s in %.1f s", ll_repr(counts), ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain));                          /* asyncio.run(main()) */
}
