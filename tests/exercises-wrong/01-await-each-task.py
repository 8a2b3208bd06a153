# A wrong answer to exercise 1: tasks, but each awaited before the next is made.
# expect-fail: the run takes at most 1 s
# expect-hint: Start all three before waiting for any
# Exercise 1: three downloads, one after another.  Make them run at the
# same time, so that the whole program takes about as long as the slowest.
import asyncio


async def download(name, seconds):
    print(f"{name}: start")
    await asyncio.sleep(seconds)  # stands for the network
    print(f"{name}: done after {seconds} s")
    return name


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    a = await asyncio.create_task(download("a", 1.0))
    b = await asyncio.create_task(download("b", 0.5))
    c = await asyncio.create_task(download("c", 1.0))
    print(f"got {[a, b, c]} in {loop.time() - start:.1f} s")


asyncio.run(main())
