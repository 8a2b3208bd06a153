# Exercise 11, a solution: an `async for` runs its generator inside the
# task that loops, one reading after the other.  Two loops in two tasks
# (gathered) read the two sensors at the same time.
import asyncio


async def readings(sensor, count):
    for i in range(count):
        await asyncio.sleep(0.5)  # wait for the next measurement
        yield f"{sensor} reading {i}"


async def collect(sensor):
    async for r in readings(sensor, 3):
        print(r)


async def main():
    await asyncio.gather(collect("a"), collect("b"))
    print("both sensors read")


asyncio.run(main())
