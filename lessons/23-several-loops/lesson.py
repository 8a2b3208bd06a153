# Lesson 23: several event loops, one per core.  One loop runs on one
# thread, so its tasks compute one after the other however many cores the
# machine has.  To compute on two cores at once, run two loops: each in a
# worker of its own, each with its own tasks.  Python runs each loop in a
# worker *process* (its threads share one interpreter lock); C threads have
# no such lock, so Looplab runs each loop in a worker thread.  Then the
# thread-safe hand-off: a loop running forever in another thread, given a
# coroutine to run and answering through a future.  Real clock, 2 cores.
import asyncio
import threading
import time
from concurrent.futures import ProcessPoolExecutor

def crunch(seconds):
    # CPU-bound work: keeps one core busy.
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def chunk(i):
    for _ in range(10):
        crunch(0.05)                # no await: the loop is busy meanwhile
        await asyncio.sleep(0)      # then lets the loop's other tasks have a turn
    return i


async def region(name):
    # One loop's share of the work: two chunks of 0.5 s = 1 s of computing.
    done = await asyncio.gather(chunk(0), chunk(1))
    return len(done)


def run_region(name):
    # asyncio.run in a worker: a new loop of its own, on that worker's core.
    return asyncio.run(region(name))


async def main():
    loop = asyncio.get_running_loop()

    start = loop.time()
    done = await asyncio.gather(region("north"), region("south"))
    print(f"one loop, two regions: {done} took {loop.time() - start:.0f} s")

    with ProcessPoolExecutor(max_workers=2) as pool:
        start = loop.time()
        done = await asyncio.gather(loop.run_in_executor(pool, run_region, "north"),
                                    loop.run_in_executor(pool, run_region, "south"))
        print(f"two loops on two cores: {done} took {loop.time() - start:.0f} s")

    helper = asyncio.new_event_loop()
    thread = threading.Thread(target=helper.run_forever)
    thread.start()
    future = asyncio.run_coroutine_threadsafe(region("east"), helper)
    answer = await asyncio.wrap_future(future)
    print(f"a loop in another thread ran a region for us: {answer} chunks")
    helper.call_soon_threadsafe(helper.stop)
    thread.join()
    helper.close()


if __name__ == "__main__":
    asyncio.run(main())
