# R6: completing a future queues its done callbacks in registration order;
# a waiter resumes one trip through the ready queue later, never inline; a
# callback added to a done future is queued at once.
import asyncio


def cb(name):
    def f(fut):
        print(f"callback {name} sees {fut.result()}")
    return f


async def waiter(fut):
    print("waiter waits")
    r = await fut
    print(f"waiter resumed with {r}")


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    fut.add_done_callback(cb("one"))
    w = asyncio.create_task(waiter(fut))
    await asyncio.sleep(0)
    fut.add_done_callback(cb("two"))
    print("setting result")
    fut.set_result(7)
    print("result set")
    fut.add_done_callback(cb("three"))
    try:
        fut.set_result(8)
    except asyncio.InvalidStateError:
        print("second set_result refused")
    await w
    print("end")


asyncio.run(main())
