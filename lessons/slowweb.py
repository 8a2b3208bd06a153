"""slowweb.py - Looplab's slow web, for the Python twins of the lessons.

The same pages as src/io/slowweb.c serves, made by the same rule (a title
line, then FILLER over and over, cut to the page's size) and answered after
the same delays, so that a twin prints what its C lesson prints.  It runs
on aiohttp's server in a background thread, as the C side runs its server
on a loop of its own in a background thread.  If LOOPLAB_WEB is set (to a
`looplab serve`), that address is used instead.
"""
import asyncio
import os
import threading

from aiohttp import web

FILLER = "<p>This page comes from Looplab's slow web, which takes its time.</p>\n"
PAGES = {
    "/example": ("Example Domain", 0.3, 1256),
    "/python": ("Welcome to Python", 0.5, 50000),
    "/slow": ("A slow page", 2.0, 2048),
}


def body(title, size):
    text = f"<!doctype html>\n<title>{title}</title>\n"
    text += FILLER * (size // len(FILLER) + 1)
    return text[:size]


async def handle(request):
    path = request.path
    if path in PAGES:
        title, delay, size = PAGES[path]
    elif path.startswith("/delay/") and path[7:].isdigit():
        ms = int(path[7:])
        title, delay = f"delay {ms}", ms / 1000
        size = int(request.query.get("size", "100"))
    else:
        return web.Response(status=404, text=f"404 Not Found: the slow web has no page {path}\n")
    await asyncio.sleep(delay)
    return web.Response(text=body(title, size), content_type="text/html")


def start(port=0):
    """Starts the slow web in a background thread; returns its base URL."""
    if os.environ.get("LOOPLAB_WEB"):
        return os.environ["LOOPLAB_WEB"]
    ready = threading.Event()
    found = {}

    async def serve():
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        found["port"] = runner.addresses[0][1]
        ready.set()
        await asyncio.Event().wait()

    threading.Thread(target=lambda: asyncio.run(serve()), daemon=True).start()
    ready.wait()
    return f"http://127.0.0.1:{found['port']}"
