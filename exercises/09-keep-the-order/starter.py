# Exercise 9: four pages are fetched at once and their results collected
# as they come in.  The report must list them in the order of PAGES, not
# in the order they happened to finish.  Keep the fetches concurrent.
import asyncio

PAGES = [("/home", 0.8), ("/about", 0.2), ("/news", 0.5), ("/contact", 0.1)]


async def fetch(path, seconds):
    await asyncio.sleep(seconds)  # stands for the download
    print(f"{path}: fetched")
    return path


async def main():
    results = []
    for next_done in asyncio.as_completed([fetch(p, s) for p, s in PAGES]):
        results.append(await next_done)
    print(f"results: {results}")


asyncio.run(main())
