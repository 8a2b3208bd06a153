# `async with` for every scope, each block a coroutine of its own (the C
# twin uses the body-taking forms ll_with_lock, ll_with_semaphore,
# ll_with_condition, ll_timeout, ll_timeout_at and ll_taskgroup): the order
# of prints is asyncio's.
# C twin: scopes_main in tests/test-rules.c.
import asyncio


async def hold(name, seconds):
    print(f"{name}: in")
    await asyncio.sleep(seconds)
    print(f"{name}: out")
    return name


async def with_lock(lock, name):
    async with lock:
        return await hold(name, 1)


async def with_semaphore(sem, name):
    async with sem:
        return await hold(name, 1)


async def waiter(cond):
    async with cond:
        print("waiter: waits")
        await cond.wait()
        print("waiter: notified")


async def notifier(cond):
    async with cond:
        print("notifier: notifies")
        cond.notify()
        await asyncio.sleep(0.5)
        print("notifier: leaves")


async def slow(name):
    try:
        await asyncio.sleep(2)
    except asyncio.CancelledError:
        print(f"{name}: cancelled")
        raise
    return name


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    lock = asyncio.Lock()
    print(await asyncio.gather(with_lock(lock, "a"), with_lock(lock, "b")))
    sem = asyncio.Semaphore(2)
    print(await asyncio.gather(*(with_semaphore(sem, n) for n in "xyz")))
    cond = asyncio.Condition()
    start = loop.time()  # each part timed from its own start
    await asyncio.gather(waiter(cond), notifier(cond))
    print(f"conditions done at {loop.time() - start:.1f}")
    start = loop.time()
    try:
        async with asyncio.timeout(1):
            await slow("late")
    except TimeoutError:
        print(f"timeout at {loop.time() - start:.1f}")
    start = loop.time()
    async with asyncio.timeout(3):
        r = await slow("in time")
    print(f"{r} at {loop.time() - start:.1f}")
    start = loop.time()
    try:
        async with asyncio.timeout_at(loop.time() + 0.5):
            await slow("deadline")
    except TimeoutError:
        print(f"timeout_at at {loop.time() - start:.1f}")
    start = loop.time()
    async with asyncio.TaskGroup() as tg:
        t1 = tg.create_task(hold("p", 1))
        t2 = tg.create_task(hold("q", 0.5))
        print("group body: done")
    print(f"group done at {loop.time() - start:.1f}: {t1.result()}, {t2.result()}")


asyncio.run(main())
