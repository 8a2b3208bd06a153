# R9: asyncio.timeout().  When the deadline passes, the task is cancelled;
# the body cleans up and lets the cancellation go; leaving the scope turns
# it into TimeoutError.  A scope that finishes in time changes nothing, and
# reschedule() moves the deadline.  shield() keeps the inner work alive when
# the outer await is cancelled.  C twin: r9_main in tests/test-rules.c.
import asyncio


async def work(name, seconds):
    print(f"{name}: start")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{name}: cancelled, cleaning up")
        await asyncio.sleep(0.5)
        raise
    print(f"{name}: done")
    return name.upper()


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        async with asyncio.timeout(1) as cm:
            await work("scoped", 3)
    except TimeoutError:
        print(f"scope expired at {loop.time() - start:.1f}, expired={cm.expired()}")
    async with asyncio.timeout(5) as cm:
        r = await work("in time", 1)
    print(f"{r} at {loop.time() - start:.1f}, expired={cm.expired()}")
    try:
        async with asyncio.timeout(None) as cm:
            cm.reschedule(loop.time() + 0.5)
            await work("rescheduled", 2)
    except TimeoutError:
        print(f"rescheduled scope expired at {loop.time() - start:.1f}")
    inner = asyncio.create_task(work("shielded", 2))
    outer = asyncio.shield(inner)
    await asyncio.sleep(1)
    print(f"cancel the shield: {outer.cancel()}")
    try:
        await outer
    except asyncio.CancelledError:
        print("the shield was cancelled")
    r = await inner
    print(f"inner survived: {r} at {loop.time() - start:.1f}, cancelled={inner.cancelled()}")


asyncio.run(main())
