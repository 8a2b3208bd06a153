# R14: a queue with maxsize 2, one producer, two consumers of different
# speed; put waits only when full, get only when empty; join waits until
# every item is task_done.  C twin: sync_queue_main in tests/test-sync.c.
import asyncio


async def producer(q):
    for i in range(6):
        print(f"put {i} (size {q.qsize()})")
        await q.put(i)
    print("producer done")


async def consumer(name, q, pace):
    while True:
        item = await q.get()
        print(f"{name} got {item}")
        await asyncio.sleep(pace)
        q.task_done()


async def main():
    q = asyncio.Queue(maxsize=2)
    consumers = [asyncio.create_task(consumer("fast", q, 0.5)),
                 asyncio.create_task(consumer("slow", q, 1.3))]
    await producer(q)
    await q.join()
    print(f"all done, size {q.qsize()}")
    for c in consumers:
        c.cancel()
    try:
        q.get_nowait()
    except asyncio.QueueEmpty:
        print("get_nowait on an empty queue: QueueEmpty")
    try:
        q.task_done()
    except ValueError as e:
        print(f"task_done: {e}")


start = 0.0


async def run():
    global start
    start = asyncio.get_running_loop().time()
    await main()


asyncio.run(run())
