# R12: Lock hands over first in, first out, and a newcomer cannot barge in
# while a woken waiter has yet to run.  A waiter cancelled while waiting
# leaves the line.  C twin: sync_lock_main in tests/test-sync.c.
import asyncio


async def worker(name, lock, hold):
    print(f"{name} wants the lock")
    try:
        async with lock:
            print(f"{name} has the lock")
            await asyncio.sleep(hold)
            print(f"{name} releases")
    except asyncio.CancelledError:
        print(f"{name} gave up waiting")


async def greedy(name, lock):
    async with lock:
        print(f"{name} has the lock")
        await asyncio.sleep(1)
        print(f"{name} releases")
    # b was handed the lock but has not run yet: no barging past it.
    print(f"{name} wants it back at once, locked={lock.locked()}")
    async with lock:
        print(f"{name} has it again")


async def main():
    lock = asyncio.Lock()
    a = asyncio.create_task(greedy("a", lock))
    b = asyncio.create_task(worker("b", lock, 1))
    c = asyncio.create_task(worker("c", lock, 0.5))
    d = asyncio.create_task(worker("d", lock, 0.5))
    await asyncio.sleep(0.5)
    d.cancel()
    await asyncio.gather(a, b, c, d)
    print(f"locked at the end: {lock.locked()}")


asyncio.run(main())
