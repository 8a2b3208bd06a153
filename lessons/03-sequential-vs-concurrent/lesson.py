# Lesson 3: awaiting one thing after another adds the waits up; gathering
# them lets the waits overlap.
import asyncio


async def brew(drink, seconds):
    print(f"{drink}: start ({seconds} s)")
    await asyncio.sleep(seconds)
    print(f"{drink}: ready")


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    await brew("tea", 1)
    await brew("coffee", 2)
    print(f"one after the other: {loop.time() - start:.1f} s")

    start = loop.time()
    await asyncio.gather(brew("tea", 1), brew("coffee", 2))
    print(f"at the same time: {loop.time() - start:.1f} s")


asyncio.run(main())
