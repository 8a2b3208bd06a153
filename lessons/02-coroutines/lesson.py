# Lesson 2: a coroutine object does nothing until it is awaited.
import asyncio


async def greet(name):
    print(f"Hello, {name}!")
    await asyncio.sleep(1)
    return f"greeted {name}"


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    coro = greet("Ada")
    print(f"Made a {type(coro).__name__} object; greet has not run yet.")
    result = await coro
    print(f"await gave back: {result}")
    print(f"Time passed: {loop.time() - start:.1f} s")


asyncio.run(main())
