# Lesson 14: blocking the loop.  A plain function that sleeps (or computes)
# for a second, called straight from a coroutine, stops every other task for
# that second.  Handing it to a worker thread with asyncio.to_thread keeps
# the loop free.  (Runs on real time: time.sleep in a thread is real.)
import asyncio
import time


def slow_report(name):
    # An ordinary blocking function, like a library with no async support.
    time.sleep(1.0)
    return f"report {name}"


async def heartbeat(label, clock, beats):
    for i in range(beats):
        print(f"{label}: beat {i} at {clock():.1f} s")
        await asyncio.sleep(0.4)


async def part(label, use_thread):
    loop = asyncio.get_running_loop()
    start = loop.time()

    def clock():
        return loop.time() - start

    beats = asyncio.create_task(heartbeat(label, clock, 3), name="heartbeat")
    await asyncio.sleep(0)  # let the heartbeat take its first beat
    if use_thread:
        print(f"{label}: handing slow_report to a worker thread")
        report = await asyncio.to_thread(slow_report, "B")
    else:
        print(f"{label}: calling slow_report directly")
        report = slow_report("A")
    print(f"{label}: got {report} at {clock():.1f} s")
    await beats


async def main():
    await part("blocking", use_thread=False)
    await part("to_thread", use_thread=True)


asyncio.run(main())
