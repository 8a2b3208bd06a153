# Lesson 11: a Semaphore limits how many fetches run at once.  Five pages,
# two slots: the others wait in line, first come, first served.
# (The fetches are simulated with sleep; lesson 10's real fetches come with
# the local web server.)
import asyncio

PAGES = {"/a": 1.0, "/b": 0.5, "/c": 1.5, "/d": 0.5, "/e": 1.0}


async def fetch(slots, path, seconds):
    print(f"{path}: waiting for a slot")
    async with slots:
        print(f"{path}: fetching ({seconds} s)")
        await asyncio.sleep(seconds)
        print(f"{path}: done")
        return int(seconds * 1000)


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    slots = asyncio.Semaphore(2)
    fetches = [asyncio.create_task(fetch(slots, p, s), name=p) for p, s in PAGES.items()]
    sizes = await asyncio.gather(*fetches)
    print(f"sizes: {sizes}")
    print(f"5 pages, 2 at a time: {loop.time() - start:.1f} s")


asyncio.run(main())
