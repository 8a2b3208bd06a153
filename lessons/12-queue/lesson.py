# Lesson 12: a queue between a producer and two workers.  maxsize=2 is
# back-pressure: the producer waits when the queue is full.  join() waits
# until every job has been marked done with task_done().
import asyncio


async def producer(q, n):
    for i in range(n):
        await q.put(f"job{i}")
        print(f"produced job{i} (queue holds {q.qsize()})")


async def worker(name, q, pace):
    while True:
        job = await q.get()
        print(f"{name} took {job}")
        await asyncio.sleep(pace)
        print(f"{name} finished {job}")
        q.task_done()


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    q = asyncio.Queue(maxsize=2)
    workers = [asyncio.create_task(worker("w1", q, 1.0), name="w1"),
               asyncio.create_task(worker("w2", q, 1.3), name="w2")]
    await producer(q, 6)
    print("producer: everything is queued; waiting for join()")
    await q.join()
    print(f"all jobs done at {loop.time() - start:.1f} s")
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)


asyncio.run(main())
