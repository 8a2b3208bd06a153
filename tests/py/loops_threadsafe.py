# Two event loops in two threads, and the thread-safe ways between them:
# call_soon_threadsafe, run_coroutine_threadsafe (awaited through
# wrap_future), an error and a cancellation crossing over, and a request to a
# closed loop.  C twin: threadsafe_main in tests/test-loops.c.
import asyncio
import threading


async def lookup(word):
    await asyncio.sleep(0.2)
    return len(word)


async def spell(word):
    await asyncio.sleep(0.1)
    return "-".join(word)


async def fail_there():
    await asyncio.sleep(0.1)
    raise ValueError("no such word")


async def forever():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        await asyncio.sleep(0.05)  # clean-up takes a moment
        print("the helper's task was cancelled")
        raise


def greet(name):
    print(f"hello from {name}'s thread")


async def main():
    helper = asyncio.new_event_loop()
    thread = threading.Thread(target=helper.run_forever)
    thread.start()
    helper.call_soon_threadsafe(greet, "the helper loop")
    await asyncio.sleep(0.1)
    fut = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(lookup("asyncio"), helper))
    print("main goes on while the helper looks the word up")
    print(f"the helper answered {await fut}")
    print(f"and spelled {await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(spell('loop'), helper))!r}")
    try:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(fail_there(), helper))
    except ValueError as e:
        print(f"the error came across: {e!r}")
    slow = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(forever(), helper))
    await asyncio.sleep(0.1)
    slow.cancel()
    try:
        await slow
    except asyncio.CancelledError:
        print("the await was cancelled")
    await asyncio.sleep(0.1)
    helper.call_soon_threadsafe(helper.stop)
    thread.join()
    helper.close()
    print("the helper loop is closed")


asyncio.run(main())
