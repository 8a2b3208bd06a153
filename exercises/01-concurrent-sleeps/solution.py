# Exercise 1, a solution: gather starts the three downloads together and
# waits for all of them; the results come back in argument order.
import asyncio


async def download(name, seconds):
    print(f"{name}: start")
    await asyncio.sleep(seconds)  # stands for the network
    print(f"{name}: done after {seconds} s")
    return name


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    a, b, c = await asyncio.gather(
        download("a", 1.0),
        download("b", 0.5),
        download("c", 1.0),
    )
    print(f"got {[a, b, c]} in {loop.time() - start:.1f} s")


asyncio.run(main())
