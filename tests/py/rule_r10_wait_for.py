# R10: wait_for.  When the timeout expires first, the inner work is
# cancelled and waited for until it has finished cancelling (its cleanup
# included); only then does TimeoutError reach the caller.  A zero timeout
# cancels work that never started.  C twin: r10_main in tests/test-rules.c.
import asyncio


async def work(name, seconds):
    print(f"{name}: start")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{name}: cancelled, cleaning up")
        await asyncio.sleep(0.5)
        print(f"{name}: cleanup done")
        raise
    print(f"{name}: done")
    return name.upper()


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    r = await asyncio.wait_for(work("quick", 1), timeout=2)
    print(f"quick -> {r} at {loop.time() - start:.1f}")
    try:
        await asyncio.wait_for(work("slow", 5), timeout=2)
    except TimeoutError:
        print(f"slow timed out at {loop.time() - start:.1f}")
    try:
        await asyncio.wait_for(work("never", 1), timeout=0)
    except TimeoutError:
        print(f"zero timeout at {loop.time() - start:.1f}")


asyncio.run(main())
