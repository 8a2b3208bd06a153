# R3: timers fire by deadline; equal deadlines fire in the order they were
# armed (FIFO), whatever order the tasks were created in.
import asyncio


async def sleeper(name, delay):
    print(f"{name} sleeps {delay}")
    await asyncio.sleep(delay)
    print(f"{name} woke at {asyncio.get_running_loop().time() - T0:.1f}")


def cb(name):
    print(f"callback {name}")


async def main():
    global T0
    loop = asyncio.get_running_loop()
    T0 = loop.time()
    loop.call_later(1, cb, "x")
    tasks = [asyncio.create_task(sleeper(n, d))
             for n, d in [("p", 2), ("q", 1), ("r", 1), ("s", 0.5)]]
    loop.call_later(1, cb, "y")
    await asyncio.gather(*tasks)


asyncio.run(main())
