# Lesson 15: concurrency is not parallelism.  One event loop lets tasks take
# turns: that overlaps their *waiting*, but their *computing* still happens
# one step at a time on one thread.  To compute at the same time you need
# more cores: worker processes here (Python's threads share one interpreter
# lock), worker threads in C.  Runs on real time, on a machine with 2 cores.
import asyncio
import time
from concurrent.futures import ProcessPoolExecutor


def crunch(name):
    # CPU-bound work: keeps one core busy for about a second.
    end = time.perf_counter() + 1.0
    n = 0
    while time.perf_counter() < end:
        n += 1
    return name


async def wait_a_second(name):
    await asyncio.sleep(1.0)
    return name


async def crunch_here(name):
    return crunch(name)  # no await inside: the loop cannot switch


async def main():
    loop = asyncio.get_running_loop()

    start = loop.time()
    done = await asyncio.gather(wait_a_second("A"), wait_a_second("B"))
    print(f"waiting, concurrently: {done} took {loop.time() - start:.0f} s")

    start = loop.time()
    done = await asyncio.gather(crunch_here("A"), crunch_here("B"))
    print(f"computing, concurrently on one thread: {done} took {loop.time() - start:.0f} s")

    with ProcessPoolExecutor(max_workers=2) as pool:
        start = loop.time()
        done = await asyncio.gather(loop.run_in_executor(pool, crunch, "A"),
                                    loop.run_in_executor(pool, crunch, "B"))
        print(f"computing, in parallel on two cores: {done} took {loop.time() - start:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
