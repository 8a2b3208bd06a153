# Exercise 11: two sensors, each an async generator of three readings, one
# every 0.5 s.  main reads sensor a to the end, then sensor b: 3 s.  Read
# both at the same time (1.5 s), each reading printed as it comes.
import asyncio


async def readings(sensor, count):
    for i in range(count):
        await asyncio.sleep(0.5)  # wait for the next measurement
        yield f"{sensor} reading {i}"


async def main():
    async for r in readings("a", 3):
        print(r)
    async for r in readings("b", 3):
        print(r)
    print("both sensors read")


asyncio.run(main())
