# R7 at every kind of await: the cancellation arrives wherever the task is
# suspended - a sleep, a bare yield, a future, another task, a gather, or a
# coroutine awaited inline - and what the canceller and awaiter see.
import asyncio


async def on_future(fut):
    try:
        await fut
    except asyncio.CancelledError:
        print(f"future waiter cancelled; future cancelled: {fut.cancelled()}")
        raise


async def inner_sleep():
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        print("inner coroutine sees the cancel first")
        raise


async def on_inline():
    try:
        await inner_sleep()
    except asyncio.CancelledError:
        print("outer coroutine sees it next")
        raise


async def child():
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        print("child cancelled too")
        raise


async def on_task():
    c = asyncio.create_task(child(), name="child")
    try:
        await c
    except asyncio.CancelledError:
        print(f"task waiter cancelled; child cancelled: {c.cancelled()}")
        raise


async def on_gather():
    try:
        await asyncio.gather(child(), child())
    except asyncio.CancelledError:
        print("gather waiter cancelled")
        raise


async def on_yield():
    try:
        await asyncio.sleep(0)
    except asyncio.CancelledError:
        print("cancelled at a bare yield")
        raise


async def self_cancel():
    print(f"cancel myself: {asyncio.current_task().cancel()}")
    print("still running until the next await")
    try:
        await asyncio.sleep(0)
    except asyncio.CancelledError:
        print("cancelled at my next await")
    return "survived"


async def run(name, coro):
    t = asyncio.create_task(coro, name=name)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print(f"{name}: cancel -> {t.cancel()}, again -> {t.cancel()}")
    try:
        await t
    except asyncio.CancelledError:
        print(f"{name}: awaiter got CancelledError, cancelled() = {t.cancelled()}")


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    fut = loop.create_future()
    await run("future", on_future(fut))
    await run("inline", on_inline())
    await run("task", on_task())
    await run("gather", on_gather())
    t = asyncio.create_task(on_yield(), name="yield")
    await asyncio.sleep(0)
    print(f"yield: cancel while ready -> {t.cancel()}")
    try:
        await t
    except asyncio.CancelledError:
        print(f"yield: cancelled() = {t.cancelled()}")
    s = asyncio.create_task(self_cancel(), name="self")
    print(f"self: result {await s!r}, cancelled() = {s.cancelled()}")
    print(f"time {loop.time() - start:.1f}")


asyncio.run(main())
