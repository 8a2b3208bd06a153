# Exercise 4, a solution: asyncio.wait_for gives each quote 1 s.  When the
# time is up it cancels the request and raises TimeoutError, which ask turns
# into "no quote"; the other quotes are not held up.
import asyncio

SUPPLIERS = [("fast", 0.3), ("slow", 10.0), ("steady", 0.8)]


async def quote(name, seconds):
    await asyncio.sleep(seconds)  # stands for the request
    return round(seconds * 100)


async def ask(task):
    try:
        price = await asyncio.wait_for(task, 1.0)
    except TimeoutError:
        print(f"{task.get_name()}: no quote within 1 s")
        return None
    print(f"{task.get_name()}: {price}")
    return price


async def main():
    tasks = [asyncio.create_task(quote(n, s), name=n) for n, s in SUPPLIERS]
    prices = await asyncio.gather(*(ask(t) for t in tasks))
    print(f"quotes: {prices}")


asyncio.run(main())
