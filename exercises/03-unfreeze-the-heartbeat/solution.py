# Exercise 3, a solution: asyncio.to_thread runs make_report on a worker
# thread; main awaits it like any coroutine, and the loop goes on beating.
import asyncio
import time


def make_report(name):
    time.sleep(0.5)  # a blocking call: the thread does nothing else meanwhile
    return f"report {name}"


async def heartbeat(beats):
    for i in range(beats):
        print(f"beat {i}")
        await asyncio.sleep(0.2)


async def main():
    beats = asyncio.create_task(heartbeat(4), name="heartbeat")
    await asyncio.sleep(0)  # let the heartbeat take its first beat
    report = await asyncio.to_thread(make_report, "Q3")
    print(f"got {report}")
    await beats


asyncio.run(main())
