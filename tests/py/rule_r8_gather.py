# R8: gather starts children in argument order and returns results in that
# order; the first error reaches the awaiter at once while the others keep
# running; return_exceptions puts errors in the list; cancelling the gather
# cancels every child; gather() of nothing is [].
import asyncio


async def work(name, delay, fail=False):
    print(f"{name} starts")
    await asyncio.sleep(delay)
    if fail:
        print(f"{name} fails")
        raise ValueError(f"{name} broke")
    print(f"{name} ends")
    return name.upper()


async def main():
    print(await asyncio.gather())
    r = await asyncio.gather(work("slow", 2), work("fast", 1))
    print(r)
    try:
        await asyncio.gather(work("a", 1), work("b", 2, fail=True), work("c", 3))
    except ValueError as e:
        print(f"gather raised: {e}")
    print("main goes on while c still runs")
    await asyncio.sleep(2)
    r = await asyncio.gather(work("d", 1, fail=True), work("e", 1),
                             return_exceptions=True)
    print(r)
    g = asyncio.gather(work("x", 5), work("y", 5))
    await asyncio.sleep(1)
    print(f"cancel gather: {g.cancel()}")
    try:
        await g
    except asyncio.CancelledError:
        print("gather was cancelled")


asyncio.run(main())
