# A wrong answer to exercise 9: sorting is not the order asked for.
# expect-fail: prints "results: ['/home', '/about', '/news', '/contact']"
# expect-hint: as_completed hands them over as they finish
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
    print(f"results: {sorted(results)}")


asyncio.run(main())
