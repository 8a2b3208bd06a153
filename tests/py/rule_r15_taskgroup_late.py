# R15, Python 3.11's TaskGroup: a child that fails after the body has
# finished (while __aexit__ waits) cancels the parent task, and 3.11 does not
# take that request back: cancelling() stays 1 after the group (3.12 and
# later print 0).  The task goes on normally, and a timeout scope entered
# afterwards still turns its own cancellation into TimeoutError.
# C twin: r15_late_main in tests/test-rules.c.
import asyncio


async def child(name, seconds, fail=False):
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{name}: cancelled")
        raise
    if fail:
        print(f"{name}: failing")
        raise ValueError(f"{name} broke")
    print(f"{name}: done")


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    me = asyncio.current_task()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("quick", 1))
            tg.create_task(child("late", 2, fail=True))
            tg.create_task(child("slow", 3))
            print("body: done")
    except* ValueError as eg:
        print(f"group failed at {loop.time() - start:.1f}: {eg}")
    print(f"cancelling() = {me.cancelling()}")
    start = loop.time()
    await asyncio.sleep(1)
    print(f"slept on to {loop.time() - start:.1f}")
    try:
        async with asyncio.timeout(0.5):
            await asyncio.sleep(1)
    except TimeoutError:
        print(f"timeout at {loop.time() - start:.1f} still raises TimeoutError")
    print(f"cancelling() = {me.cancelling()}")


asyncio.run(main())
