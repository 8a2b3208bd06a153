# R1/R11: the ready queue is first in, first out, and sleep(0) puts a task
# at its back.  Three workers that yield after every line interleave
# round-robin: a0 b0 c0 a1 b1 a2.
# C twin: r1_main in tests/test-rules.c.
import asyncio


async def worker(name, n):
    for i in range(n):
        print(f"{name}{i}")
        await asyncio.sleep(0)


async def main():
    await asyncio.gather(worker("a", 3), worker("b", 2), worker("c", 1))


asyncio.run(main())
