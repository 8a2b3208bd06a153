# R2: one pass runs only what was ready when it began; callbacks queued
# during the pass run in the next one, after everything already queued.
import asyncio


def cb(name, loop, again):
    print(name)
    if again:
        loop.call_soon(cb, name + "2", loop, False)


async def worker():
    print("worker step 1")
    await asyncio.sleep(0)
    print("worker step 2")


async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon(cb, "a", loop, True)
    t = asyncio.create_task(worker())
    loop.call_soon(cb, "b", loop, True)
    print("main yields")
    await asyncio.sleep(0)
    print("main back")
    await t
    print("end")


asyncio.run(main())
