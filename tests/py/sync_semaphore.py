# R13: Semaphore admits in arrival order, and a newcomer waits if anyone is
# already waiting even when a unit is free.  BoundedSemaphore refuses to be
# released above its start value.  C twin: sync_semaphore_main.
import asyncio


async def job(name, sem, hold, log):
    async with sem:
        log.append(name)
        print(f"{name} in (hold {hold})")
        await asyncio.sleep(hold)
        print(f"{name} out")


async def main():
    sem = asyncio.Semaphore(2)
    log = []
    holds = {"j1": 3, "j2": 1, "j3": 2.5, "j4": 1, "j5": 1}
    await asyncio.gather(*(job(n, sem, h, log) for n, h in holds.items()))
    print(f"admitted: {log}")
    b = asyncio.BoundedSemaphore(1)
    await b.acquire()
    b.release()
    try:
        b.release()
    except ValueError as e:
        print(f"over-release: {e}")


asyncio.run(main())
