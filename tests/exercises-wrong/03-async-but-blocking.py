# A wrong answer to exercise 3: make_report made a coroutine, time.sleep kept.
# expect-fail: the loop is never blocked for more than 100 ms
# expect-hint: Do not make make_report `async`
# Exercise 3: a heartbeat should beat every 0.2 s while a report is made,
# but make_report is an ordinary blocking function (like a library with no
# async support), and calling it freezes the loop.  Keep the loop free.
import asyncio
import time


async def make_report(name):
    time.sleep(0.5)  # a blocking call: the thread does nothing else meanwhile
    return f"report {name}"


async def heartbeat(beats):
    for i in range(beats):
        print(f"beat {i}")
        await asyncio.sleep(0.2)


async def main():
    beats = asyncio.create_task(heartbeat(4), name="heartbeat")
    await asyncio.sleep(0)  # let the heartbeat take its first beat
    report = await make_report("Q3")
    print(f"got {report}")
    await beats


asyncio.run(main())
