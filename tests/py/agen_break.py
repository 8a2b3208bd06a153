"""The twin of test-agen.c's break test: an `async for` left by break (or
return) closes its generator through the loop's asyncgen finalizer hook, in
a task of its own made by a callback, after what was already ready."""
import asyncio

async def ticks(n):
    try:
        for i in range(n):
            await asyncio.sleep(0.5)
            yield i
    finally:
        print(f"ticks finally in {asyncio.current_task().get_name()}")
        await asyncio.sleep(0)
        print("ticks cleaned up")

async def other():
    print(f"other runs in {asyncio.current_task().get_name()}")

async def leave_by_return():
    async for v in ticks(2):
        print(f"returning at {v}")
        return v


async def main():
    async for v in ticks(5):
        print(f"got {v}")
        if v == 1:
            break
    print("after the loop")
    t = asyncio.create_task(other())
    await asyncio.sleep(0)
    print("main after sleep(0)")
    await t
    async for v in ticks(3):
        print(f"again {v}")
        break
    print(f"leave_by_return gave {await leave_by_return()}")
    await asyncio.sleep(1)
    print("main ends")

asyncio.run(main())
