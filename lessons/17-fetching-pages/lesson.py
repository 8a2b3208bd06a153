"""Lesson 17: fetching pages with a client session, one after the other and
all at once.  Runs with Debian's python3 (it needs python3-aiohttp)."""
import asyncio
import math
import os
import sys
import time

import aiohttp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import slowweb  # noqa: E402  (the local slow web, a stand-in for the internet)

PAGES = ["/example", "/python", "/delay/700?size=3000", "/delay/100?size=100",
         "/delay/200?size=200", "/delay/300?size=300", "/delay/400?size=400",
         "/delay/500?size=500", "/delay/600?size=600", "/delay/650?size=650"]


def tenths(seconds):
    return f"{math.floor(seconds * 10) / 10:.1f}"


async def fetch(session, url):
    async with session.get(url) as response:
        return await response.text()


async def main():
    web = slowweb.start()
    async with aiohttp.ClientSession() as session:
        print("One after the other:")
        start = time.perf_counter()
        for path in PAGES[:3]:
            text = await fetch(session, web + path)
            print(f"  {path}: {len(text)} characters")
        print(f"  took {tenths(time.perf_counter() - start)} s")

        print("All ten at once:")
        start = time.perf_counter()
        texts = await asyncio.gather(*(fetch(session, web + p) for p in PAGES))
        for path, text in zip(PAGES, texts):
            print(f"  {path}: {len(text)} characters")
        print(f"  took {tenths(time.perf_counter() - start)} s")


asyncio.run(main())
