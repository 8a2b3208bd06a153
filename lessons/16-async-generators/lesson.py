# Lesson 16: async generators.  An `async def` that contains `yield` hands
# out values one at a time and may await between them; `async for` pulls
# them.  Stopping early and calling aclose() runs the generator's cleanup;
# an error inside it comes out at the consumer's `async for`.
import asyncio


async def readings(name, count, delay):
    print(f"{name}: starting")
    try:
        for i in range(count):
            await asyncio.sleep(delay)
            yield f"{name} reading {i}"
    finally:
        print(f"{name}: cleaning up")


async def faulty_sensor():
    yield 20.5
    await asyncio.sleep(0.2)
    raise ValueError("sensor unplugged")


async def consume(name, count, delay):
    async for r in readings(name, count, delay):
        print(f"task {name} got {r}")


async def main():
    async for r in readings("thermo", 3, 0.5):
        print(f"got {r}")

    gen = readings("baro", 10, 0.3)
    async for r in gen:
        print(f"got {r}")
        if r.endswith("1"):
            break
    print("stopped early; closing")
    await gen.aclose()

    await asyncio.gather(consume("a", 2, 0.4), consume("b", 2, 0.5))

    try:
        async for v in faulty_sensor():
            print(f"faulty sensor gave {v}")
    except ValueError as e:
        print(f"the generator failed: {e}")


asyncio.run(main())
