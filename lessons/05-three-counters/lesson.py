# Lesson 5: three count() coroutines gathered print "One" three times, then
# "Two" three times, and take one second, not three.
import asyncio


async def count():
    print("One")
    await asyncio.sleep(1)
    print("Two")


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.gather(count(), count(), count())
    print(f"Three counters took {loop.time() - start:.1f} s")


asyncio.run(main())
