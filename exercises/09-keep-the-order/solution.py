# Exercise 9, a solution: gather runs the fetches at once too, but its
# result lists them in the order of its arguments, however they finish.
import asyncio

PAGES = [("/home", 0.8), ("/about", 0.2), ("/news", 0.5), ("/contact", 0.1)]


async def fetch(path, seconds):
    await asyncio.sleep(seconds)  # stands for the download
    print(f"{path}: fetched")
    return path


async def main():
    results = await asyncio.gather(*(fetch(p, s) for p, s in PAGES))
    print(f"results: {results}")


asyncio.run(main())
