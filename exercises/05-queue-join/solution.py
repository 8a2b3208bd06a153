# Exercise 5, a solution: q.join() waits until task_done() has been called
# once for every job put in, then main cancels the workers, which loop for
# ever waiting at q.get().
import asyncio


async def worker(name, q, finished):
    while True:
        job = await q.get()
        print(f"{name} took {job}")
        await asyncio.sleep(0.5)  # the work
        finished.append(job)
        q.task_done()


async def main():
    q = asyncio.Queue()
    finished = []
    workers = [asyncio.create_task(worker(n, q, finished), name=n) for n in ("w1", "w2")]
    for i in range(6):
        await q.put(f"job{i}")
    await q.join()  # every job put has had its task_done()
    print(f"{len(finished)} jobs finished")
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)


asyncio.run(main())
