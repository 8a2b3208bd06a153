# Condition: wait releases the lock and takes it back before returning;
# notify(n) wakes the first n waiters in order, but they go on only after the
# notifier lets go of the lock; wait_for re-checks its predicate after every
# wake-up; a waiter cancelled while waiting still takes the lock back first.
# C twin: sync_condition_main in tests/test-sync.c.
import asyncio

stock = []


async def consumer(name, cond):
    async with cond:
        print(f"{name} waits for stock")
        await cond.wait_for(lambda: len(stock) > 0)
        print(f"{name} takes {stock.pop(0)}, locked={cond.locked()}")


async def sleeper(name, cond):
    async with cond:
        print(f"{name} waits")
        try:
            await cond.wait()
            print(f"{name} was notified")
        except asyncio.CancelledError:
            print(f"{name} cancelled, holds the lock again: {cond.locked()}")
            raise


async def main():
    cond = asyncio.Condition()
    try:
        await cond.wait()
    except RuntimeError as e:
        print(f"wait without the lock: {e}")
    cons = [asyncio.create_task(consumer(n, cond)) for n in ("c1", "c2", "c3")]
    await asyncio.sleep(1)
    async with cond:
        stock.append("apple")
        cond.notify(2)
        print("notified 2, still holding the lock")
        await asyncio.sleep(1)
        print("producer lets go")
    await asyncio.sleep(1)
    async with cond:
        stock.extend(["pear", "plum"])
        cond.notify_all()
    await asyncio.gather(*cons)
    s = asyncio.create_task(sleeper("s1", cond))
    await asyncio.sleep(0.5)
    async with cond:
        s.cancel()
        await asyncio.sleep(0.5)
        print("main still holds the lock")
    try:
        await s
    except asyncio.CancelledError:
        print(f"s1 ended cancelled; locked={cond.locked()}")
    try:
        cond.notify()
    except RuntimeError as e:
        print(f"notify without the lock: {e}")


asyncio.run(main())
