# A wrong answer to exercise 2: batches of three, each waiting for its slowest.
# expect-fail: the run takes at most 3 s
# expect-hint: Batches of three
# Exercise 2: ten pages, fetched all at once.  The site allows three
# connections at a time: never let more than three fetches run together,
# and still finish as soon as you can.
import asyncio

PAGES = [("/p0", 1.0), ("/p1", 0.5), ("/p2", 0.5), ("/p3", 1.0), ("/p4", 0.5),
         ("/p5", 0.5), ("/p6", 1.0), ("/p7", 0.5), ("/p8", 0.5), ("/p9", 1.0)]


async def fetch(path, seconds):
    print(f"{path}: fetching")
    await asyncio.sleep(seconds)  # stands for the download
    print(f"{path}: done")
    return len(path) * 100


async def main():
    sizes = []
    for i in range(0, len(PAGES), 3):
        sizes += await asyncio.gather(*(fetch(p, s) for p, s in PAGES[i:i + 3]))
    print(f"fetched {len(sizes)} pages, {sum(sizes)} bytes")


asyncio.run(main())
