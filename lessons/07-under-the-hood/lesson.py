# Lesson 7: under the hood.  The event loop runs plain callbacks too:
# call_soon queues one at the back of the ready queue, call_later and call_at
# arm timers.  And the older style of starting a loop, which the seed
# articles use: get an event loop, run_until_complete, close it.
import asyncio

start = 0.0


def callback(name):
    loop = asyncio.get_running_loop()
    print(f"callback {name} at {loop.time() - start:.1f} s")


async def main():
    global start
    loop = asyncio.get_running_loop()
    start = loop.time()
    loop.call_later(0.5, callback, "later(0.5)")
    loop.call_soon(callback, "soon")
    loop.call_at(loop.time() + 0.2, callback, "at(+0.2)")
    print("main: three callbacks scheduled")
    await asyncio.sleep(0)
    print("main: after one pass of the loop")
    await asyncio.sleep(1)
    print("main: done")
    return "main's result"


loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
result = loop.run_until_complete(main())
print(f"run_until_complete returned: {result}")
loop.close()
