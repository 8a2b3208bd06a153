# Barrier (3.11): wait() returns each task's arrival index once `parties`
# tasks are waiting; latecomers wait for the next round; reset() and abort()
# send BrokenBarrierError to the waiters.
# C twin: sync_barrier_main in tests/test-sync.c.
import asyncio


async def runner(name, barrier, delay):
    await asyncio.sleep(delay)
    print(f"{name} arrives, n_waiting={barrier.n_waiting}")
    try:
        index = await barrier.wait()
    except asyncio.BrokenBarrierError:
        print(f"{name}: barrier broken")
        return None
    print(f"{name} passes with index {index}")
    return index


async def main():
    barrier = asyncio.Barrier(3)
    delays = {"r1": 0.5, "r2": 1.0, "r3": 1.5, "r4": 2.0, "r5": 2.5, "r6": 3.0}
    tasks = [asyncio.create_task(runner(n, barrier, d)) for n, d in delays.items()]
    got = await asyncio.gather(*tasks)
    print(f"indexes: {got}, broken={barrier.broken}")

    late = [asyncio.create_task(runner(n, barrier, 0)) for n in ("x1", "x2")]
    await asyncio.sleep(0.5)
    await barrier.reset()
    print(f"after reset: {await asyncio.gather(*late)}, n_waiting={barrier.n_waiting}")

    late = [asyncio.create_task(runner(n, barrier, 0)) for n in ("y1",)]
    await asyncio.sleep(0.5)
    await barrier.abort()
    print(f"after abort: {await asyncio.gather(*late)}, broken={barrier.broken}")
    try:
        await barrier.wait()
    except asyncio.BrokenBarrierError as e:
        print(f"waiting on a broken barrier: {e}")
    try:
        asyncio.Barrier(0)
    except ValueError as e:
        print(f"Barrier(0): {e}")


asyncio.run(main())
