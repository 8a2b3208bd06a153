# Twin of test-pool.c's pool_overlap scenario: two blocking jobs on the
# thread pool while a ticker keeps running on the loop.  Run on real time
# (plain python3): vloop.py cannot make time.sleep in a thread virtual.
import asyncio
import time

UNIT = 0.2


def crunch(n):
    time.sleep(n * UNIT)
    print(f"crunch {n}: end", flush=True)
    return n * 10


async def ticker():
    for i in range(4):
        print(f"tick {i}", flush=True)
        await asyncio.sleep(UNIT * 1.25)


async def main():
    t = asyncio.create_task(ticker())
    print("handing two jobs to the pool", flush=True)
    r = await asyncio.gather(asyncio.to_thread(crunch, 3), asyncio.to_thread(crunch, 2))
    print("results", r, flush=True)
    await t
    print("ticker finished", flush=True)


asyncio.run(main())
