# Lesson 9: errors.  An exception raised in a coroutine travels up through
# await to whoever awaits it.  gather passes on the first one at once (the
# other tasks keep running); with return_exceptions=True it puts each error
# in the list instead.
import asyncio


async def might_fail(n):
    await asyncio.sleep(n * 0.1)
    if n == 2:
        raise ValueError(f"bad input {n}")
    print(f"might_fail({n}) ok")
    return n * 10


async def main():
    try:
        await might_fail(2)
    except ValueError as e:
        print(f"caught: {e}")

    try:
        await asyncio.gather(might_fail(1), might_fail(2), might_fail(3))
    except ValueError as e:
        print(f"gather raised: {e}")
    await asyncio.sleep(0.5)

    results = await asyncio.gather(might_fail(1), might_fail(2), might_fail(3),
                                   return_exceptions=True)
    print(f"with return_exceptions: {results}")


asyncio.run(main())
