"""bench_http.py - aiohttp's client and server on the workloads of
bench_http.c (scripts/bench runs both).  Needs Debian's python3 with
python3-aiohttp.  The server runs in a second process (lessons/slowweb.py),
the client here: two processes on two cores."""
import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time

import aiohttp

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = """
import sys, time
sys.path.insert(0, %r)
import slowweb
print(slowweb.start(), flush=True)
while True:
    time.sleep(3600)
""" % os.path.join(HERE, "..", "lessons")


async def run(url, clients, total):
    left = [total]
    conn = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=conn) as session:
        async def one():
            async with session.get(url) as r:
                await r.read()

        async def looper():
            while left[0] > 0:
                left[0] -= 1
                await one()

        start = time.perf_counter()
        if total:
            await asyncio.gather(*(looper() for _ in range(clients)))
        else:
            await asyncio.gather(*(one() for _ in range(clients)))
        return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only")
    a = ap.parse_args()
    srv = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        base = srv.stdout.readline().strip()
        if a.only in (None, "http_1000"):
            v = [asyncio.run(run(base + "/delay/50?size=100", 1000, 0)) * 1000
                 for _ in range(a.repeat)]
            print(f"http_1000: {statistics.median(v):.1f} ms")
        if a.only in (None, "http_rps"):
            total = 20000
            v = [total / asyncio.run(run(base + "/delay/0?size=100", 100, total))
                 for _ in range(a.repeat)]
            print(f"http_rps: {statistics.median(v):.0f} req/s")
    finally:
        srv.kill()
        srv.wait()


main()
