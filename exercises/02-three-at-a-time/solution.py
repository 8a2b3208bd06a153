# Exercise 2, a solution: a Semaphore(3) shared by every fetch.  Ten tasks
# start at once, but only three get past `async with slots:` at a time; the
# others wait in line and go in as soon as a slot is free.
import asyncio

PAGES = [("/p0", 1.0), ("/p1", 0.5), ("/p2", 0.5), ("/p3", 1.0), ("/p4", 0.5),
         ("/p5", 0.5), ("/p6", 1.0), ("/p7", 0.5), ("/p8", 0.5), ("/p9", 1.0)]


async def fetch(slots, path, seconds):
    async with slots:
        print(f"{path}: fetching")
        await asyncio.sleep(seconds)  # stands for the download
        print(f"{path}: done")
        return len(path) * 100


async def main():
    slots = asyncio.Semaphore(3)
    sizes = await asyncio.gather(*(fetch(slots, p, s) for p, s in PAGES))
    print(f"fetched {len(sizes)} pages, {sum(sizes)} bytes")


asyncio.run(main())
