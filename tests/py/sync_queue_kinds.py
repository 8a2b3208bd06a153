# PriorityQueue gives the smallest item first (heapq's order, ties
# included); LifoQueue the newest.  C twin: sync_queue_kinds_main.
import asyncio


async def main():
    pq = asyncio.PriorityQueue()
    for x in (5, 1, 4, 1, 3, 9, 2, 6):
        pq.put_nowait(x)
    print("priority:", [pq.get_nowait() for _ in range(pq.qsize())])
    lq = asyncio.LifoQueue(maxsize=3)
    for x in ("a", "b", "c"):
        lq.put_nowait(x)
    print(f"lifo full: {lq.full()}")
    try:
        lq.put_nowait("d")
    except asyncio.QueueFull:
        print("put_nowait on a full queue: QueueFull")
    print("lifo:", [lq.get_nowait() for _ in range(lq.qsize())])


asyncio.run(main())
