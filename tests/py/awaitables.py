# Every wait is also an awaitable: a wait handed, as a coroutine, to
# create_task, wait_for, a TaskGroup, gather and shield.  Task names show
# which calls wrap the coroutine in a task (3.11's wait_for does).
# C twin: awaitables_main in tests/test-rules.c.
import asyncio


def names():
    me = asyncio.current_task()
    return ", ".join(sorted((t.get_name() for t in asyncio.all_tasks() if t is not me),
                            key=lambda n: int(n[5:])))


async def setter(ev):
    print(f"setter: waiting tasks {names()}")
    await asyncio.sleep(1)
    print("setter: set")
    ev.set()


async def worker(q, start):
    item = await q.get()
    await asyncio.sleep(0.5)
    print(f"worker: {item} done at {asyncio.get_running_loop().time() - start:.1f}")
    q.task_done()


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    ev = asyncio.Event()
    q = asyncio.Queue()
    # create_task(ev.wait())
    t = asyncio.create_task(ev.wait())
    s = asyncio.create_task(setter(ev))
    print(f"made {t.get_name()} and {s.get_name()}")
    print(f"ev.wait() task -> {await t} at {loop.time() - start:.1f}")
    await s
    # wait_for(q.get(), 1)
    try:
        await asyncio.wait_for(q.get(), 1)
    except TimeoutError:
        print(f"q.get() timed out at {loop.time() - start:.1f}")
    q.put_nowait("late")
    print(f"wait_for(q.get(), 1) -> {await asyncio.wait_for(q.get(), 1)!r}")
    q.task_done()
    # tg.create_task(asyncio.sleep(0))
    async with asyncio.TaskGroup() as tg:
        z = tg.create_task(asyncio.sleep(0))
        print(f"taskgroup made {z.get_name()}; tasks {names()}")
    print(f"after the group: {z.get_name()} done={z.done()}")
    # gather(q.join(), ...)
    q.put_nowait("job")
    asyncio.create_task(worker(q, start))
    r = await asyncio.gather(q.join(), asyncio.sleep(0.2))
    print(f"gather(q.join(), sleep(0.2)) -> {r} at {loop.time() - start:.1f}")
    # shield(lock.acquire()), the lock wait in a task of its own
    lock = asyncio.Lock()
    print(f"shield(lock.acquire()) -> {await asyncio.shield(lock.acquire())}")
    t = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    print(f"second acquire waits: {names()}")
    lock.release()
    print(f"second acquire -> {await t}, locked={lock.locked()}")
    print(f"next task is {asyncio.create_task(asyncio.sleep(0)).get_name()}")


asyncio.run(main())
