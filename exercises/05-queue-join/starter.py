# Exercise 5: two workers take jobs from a queue.  main puts six jobs in,
# then guesses how long the work takes (5 s "to be safe") before stopping
# the workers.  Make main stop them the moment the last job is finished.
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
    await asyncio.sleep(5)  # surely they are done by now?
    print(f"{len(finished)} jobs finished")
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)


asyncio.run(main())
