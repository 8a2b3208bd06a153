# asyncio.wait with FIRST_COMPLETED, a timeout, ALL_COMPLETED and
# FIRST_EXCEPTION; as_completed giving results in the order they finish,
# and its timeout.  C twin: wait_main in tests/test-rules.c.
import asyncio


async def job(name, seconds, fail=False):
    await asyncio.sleep(seconds)
    if fail:
        raise ValueError(f"{name} failed")
    return name


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()

    def at():
        return f"{loop.time() - start:.1f}"

    ts = [asyncio.create_task(job(n, s)) for n, s in (("a", 3), ("b", 1), ("c", 2))]
    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_COMPLETED)
    print(f"first completed at {at()}: {[t.result() for t in ts if t in done]}, "
          f"{len(pending)} pending")
    done, pending = await asyncio.wait(ts, timeout=0.5)
    print(f"timeout at {at()}: {len(done)} done, {len(pending)} pending")
    done, pending = await asyncio.wait(ts)
    print(f"all completed at {at()}: {[t.result() for t in ts]}")
    ts = [asyncio.create_task(job(n, s, n == "y")) for n, s in (("x", 2), ("y", 0.5), ("z", 1))]
    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_EXCEPTION)
    print(f"first exception at {at()}: {len(done)} done, {len(pending)} pending")
    await asyncio.wait(ts)
    ts[1].exception()
    ts = [asyncio.create_task(job(n, s)) for n, s in (("slow", 1.5), ("fast", 0.5), ("mid", 1))]
    for aw in asyncio.as_completed(ts):
        print(f"as_completed: {await aw} at {at()}")
    ts = [asyncio.create_task(job(n, s)) for n, s in (("p", 0.5), ("q", 5))]
    try:
        for aw in asyncio.as_completed(ts, timeout=1):
            print(f"in time: {await aw} at {at()}")
    except TimeoutError:
        print(f"as_completed timed out at {at()}")
    ts[1].cancel()


asyncio.run(main())
