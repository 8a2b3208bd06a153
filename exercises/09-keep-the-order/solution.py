# Exercise 9, a solution: gather runs the fetches at once too, but its
# result lists them in the order of its arguments, however they finish.
import asyncio

PAGES = [("/a", 0.8), ("/b", 0.2), ("/c", 0.5), ("/d", 0.1)]


async def fetch(path, seconds):
    await asyncio.sleep(seconds)  # stands for the download
    print(f"{path}: fetched")
    return path


async def main():
    results = await asyncio.gather(*(fetch(p, s) for p, s in PAGES))
    print(f"results: {results}")


asyncio.run(main())
