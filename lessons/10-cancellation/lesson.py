# Lesson 10: cancellation.  task.cancel() asks a task to stop: a
# CancelledError is raised inside it at the await where it is suspended.  It
# can clean up and let the error go on; whoever awaits the task then gets the
# CancelledError too.
import asyncio


async def worker():
    print("worker: starting a long job")
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("worker: cancelled, cleaning up")
        raise
    print("worker: finished (never printed)")


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    task = asyncio.create_task(worker(), name="worker")
    await asyncio.sleep(1)
    print(f"main: cancel() -> {task.cancel()}")
    print(f"main: cancelled yet? {task.cancelled()}")
    try:
        await task
    except asyncio.CancelledError:
        print(f"main: the task is cancelled: {task.cancelled()}")
    print(f"main: cancel() again -> {task.cancel()}")
    print(f"main: {loop.time() - start:.1f} s, not 10")


asyncio.run(main())
