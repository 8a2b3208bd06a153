# R15: TaskGroup.  The group waits for all its tasks.  The first child that
# fails cancels its siblings and the body; the group waits for them to
# finish cancelling, then raises every failure together (an ExceptionGroup).
# C twin: r15_main in tests/test-rules.c.
import asyncio


async def child(name, seconds, fail=False):
    print(f"{name}: start")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{name}: cancelled")
        raise
    if fail:
        print(f"{name}: failing")
        raise ValueError(f"{name} broke")
    print(f"{name}: done")
    return name


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with asyncio.TaskGroup() as tg:
        a = tg.create_task(child("a", 1))
        b = tg.create_task(child("b", 2))
        print("body: tasks made")
    print(f"group 1 done at {loop.time() - start:.1f}: {a.result()}, {b.result()}")
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("ok", 0.5))
            tg.create_task(child("bad", 1, fail=True))
            tg.create_task(child("slow", 3))
            try:
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                print("body: cancelled by the group")
                raise
    except* ValueError as eg:
        print(f"group 2 failed at {loop.time() - start:.1f}: {eg}")
        print("failures: " + ", ".join(repr(e) for e in eg.exceptions))


asyncio.run(main())
