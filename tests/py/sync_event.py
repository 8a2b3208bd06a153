# R13: Event.set wakes every waiter, in the order they began waiting;
# waiting on a set event does not suspend; clear makes waiters wait again.
# C twin: sync_event_main in tests/test-sync.c.
import asyncio


async def waiter(name, ev):
    print(f"{name} waits")
    await ev.wait()
    print(f"{name} woke")


async def main():
    ev = asyncio.Event()
    tasks = [asyncio.create_task(waiter(n, ev)) for n in ("w1", "w2", "w3")]
    await asyncio.sleep(1)
    print(f"setting, is_set={ev.is_set()}")
    ev.set()
    print("set returned")
    await asyncio.gather(*tasks)
    await ev.wait()
    print("waiting on a set event did not suspend")
    ev.clear()
    late = asyncio.create_task(waiter("w4", ev))
    await asyncio.sleep(0.5)
    ev.set()
    await late


asyncio.run(main())
