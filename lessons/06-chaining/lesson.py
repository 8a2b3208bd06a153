# Lesson 6: chaining coroutines.  render awaits get_posts, which needs what
# get_user returned: each step waits for the one before.  One chain takes the
# sum of its steps; two chains run as tasks overlap.
import asyncio


async def get_user(uid):
    print(f"get_user({uid})")
    await asyncio.sleep(0.5)
    return f"user{uid}"


async def get_posts(user):
    print(f"get_posts({user})")
    await asyncio.sleep(1)
    return 2


async def render(uid):
    user = await get_user(uid)
    posts = await get_posts(user)
    print(f"render: {user} has {posts} posts")
    return posts


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    await render(1)
    print(f"one chain: {loop.time() - start:.1f} s")

    start = loop.time()
    counts = await asyncio.gather(render(2), render(3))
    print(f"two chains at once: {counts} in {loop.time() - start:.1f} s")


asyncio.run(main())
