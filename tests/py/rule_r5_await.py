# R5: awaiting a done future does not suspend; awaiting a coroutine runs it
# inline in the same task; awaiting a pending future suspends until done.
import asyncio


async def other():
    print("other runs")


async def inline(n):
    print(f"inline {n}")
    return n * 10


async def main():
    loop = asyncio.get_running_loop()
    t = asyncio.create_task(other())
    done = loop.create_future()
    done.set_result("ready")
    print("awaiting a done future")
    r = await done
    print(f"got {r} without suspending")
    v = await inline(4)
    print(f"inline returned {v}")
    pending = loop.create_future()
    loop.call_soon(pending.set_result, "later")
    print("awaiting a pending future")
    r = await pending
    print(f"got {r}")
    await t


asyncio.run(main())
