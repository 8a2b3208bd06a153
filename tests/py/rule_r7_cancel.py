# R7: cancel() on a finished task is False; a task cancelled before it ever
# ran never runs its body; otherwise CancelledError arrives at the await
# point on the next step; the task may clean up and re-raise, or suppress it.
import asyncio


async def quick():
    return 1


async def never():
    print("never: this must not print")


async def sleeper():
    print("sleeper: sleeping")
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("sleeper: cleaning up")
        raise
    print("sleeper: this must not print")


async def stubborn():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("stubborn: ignoring the cancel")
    await asyncio.sleep(1)
    print("stubborn: finished anyway")
    return "stubborn result"


async def main():
    q = asyncio.create_task(quick())
    await q
    print(f"cancel finished task: {q.cancel()}")
    n = asyncio.create_task(never())
    print(f"cancel unstarted task: {n.cancel()}")
    s = asyncio.create_task(sleeper())
    b = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    print(f"cancel sleeper: {s.cancel()}")
    print(f"cancel stubborn: {b.cancel()}")
    for t in (n, s, b):
        try:
            r = await t
            print(f"{t.get_name()} returned {r!r}")
        except asyncio.CancelledError:
            print(f"{t.get_name()} was cancelled: {t.cancelled()}")


asyncio.run(main())
