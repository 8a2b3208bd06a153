# Lesson 8: futures.  A future is a box for a result that will arrive later.
# Someone awaits it; someone else fills it.  Awaiting a future that is
# already done returns at once.
import asyncio


async def deliver(fut, value, delay):
    await asyncio.sleep(delay)
    print(f"deliver: setting the result to {value}")
    fut.set_result(value)
    print("deliver: result set, going on")


def on_done(fut):
    print(f"callback: the future is done with {fut.result()}")


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    fut = loop.create_future()
    fut.add_done_callback(on_done)
    print(f"main: future done? {fut.done()}")
    courier = asyncio.create_task(deliver(fut, 42, 1), name="courier")
    value = await fut
    print(f"main: await gave {value} at {loop.time() - start:.1f} s")
    again = await fut
    print(f"main: awaited again: {again}, still at {loop.time() - start:.1f} s")
    await courier


asyncio.run(main())
