"""Lesson 19: asyncio and web servers.  An aiohttp server and its clients on
one event loop: five slow requests are served at once.  Runs with Debian's
python3 (it needs python3-aiohttp)."""
import asyncio
import math
import time

import aiohttp
from aiohttp import web

in_progress = 0
most_at_once = 0


async def hello(request):
    return web.Response(text="Hello from the server!")


async def work(request):
    global in_progress, most_at_once
    print("server: /work started")
    in_progress += 1
    most_at_once = max(most_at_once, in_progress)
    await asyncio.sleep(0.5)  # a slow database call
    in_progress -= 1
    print("server: /work done")
    return web.Response(text="done after 0.5 s of work")


async def get(session, url):
    async with session.get(url) as response:
        return await response.text()


async def main():
    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_get("/work", work)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    print("server: listening")

    async with aiohttp.ClientSession() as session:
        text = await get(session, base + "/hello")
        print(f"GET /hello -> {text}")

        print("Five clients at once:")
        start = time.perf_counter()
        answers = await asyncio.gather(*(get(session, base + "/work") for _ in range(5)))
        same = sum(a == "done after 0.5 s of work" for a in answers)
        print(f"  {same} answers: 'done after 0.5 s of work'")
        print(f"  at most {most_at_once} requests in progress at once")
        print(f"  took {math.floor((time.perf_counter() - start) * 10) / 10:.1f} s")

    await runner.cleanup()
    print("server: closed")


asyncio.run(main())
