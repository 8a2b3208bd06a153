# Lesson 21: pluggable event loops.  asyncio's loop is replaceable: uvloop
# (built on libuv, as Looplab's real clock is) is a faster drop-in.  The
# program does not change, and neither does the order things happen in.
import asyncio
import math
import time


def pick_loop():
    """The loop factory: uvloop's loop if it is installed, else asyncio's."""
    try:
        import uvloop
        return uvloop.new_event_loop
    except ImportError:
        return asyncio.new_event_loop


def since(start):
    return f"{math.floor((asyncio.get_running_loop().time() - start) * 10) / 10:.1f}"


async def ticker(start):
    for n in range(1, 4):
        await asyncio.sleep(0.3)
        print(f"{since(start)} s: tick {n}")


async def timer(start):
    await asyncio.sleep(0.45)
    print(f"{since(start)} s: the timer task woke up")


def blocking_job():
    time.sleep(0.75)  # blocking work, on a worker thread
    return "the job's result"


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    loop.call_later(0.1, lambda: print(f"{since(start)} s: a call_later callback"))
    tasks = [asyncio.create_task(ticker(start), name="ticker"),
             asyncio.create_task(timer(start), name="timer")]
    result = await asyncio.to_thread(blocking_job)
    print(f"{since(start)} s: the worker thread returned {result!r}")
    await asyncio.gather(*tasks)
    print(f"{since(start)} s: all done")


with asyncio.Runner(loop_factory=pick_loop()) as runner:  # asyncio.run(), loop chosen
    runner.run(main())
