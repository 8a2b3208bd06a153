# Lesson 13: timeouts.  wait_for gives one awaitable a time limit; the
# timeout() block gives a whole block one.  When time is up, the work is
# cancelled and TimeoutError is raised in the caller.
import asyncio


async def query(name, seconds):
    print(f"{name}: started")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{name}: cancelled")
        raise
    print(f"{name}: finished")
    return f"{name} result"


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    r = await asyncio.wait_for(query("fast query", 0.5), timeout=1)
    print(f"got: {r}")
    try:
        await asyncio.wait_for(query("slow query", 3), timeout=1)
    except TimeoutError:
        print(f"wait_for gave up at {loop.time() - start:.1f} s")
    try:
        async with asyncio.timeout(1.5):
            await query("step 1", 1)
            await query("step 2", 1)
    except TimeoutError:
        print(f"the timeout block gave up at {loop.time() - start:.1f} s")


asyncio.run(main())
