# A wrong answer to exercise 4: one limit around the whole gather drops every quote.
# expect-fail: prints "quotes: [30, None, 80]"
# expect-hint: Put the limit around each quote, in ask
# Exercise 4: three price quotes, gathered.  One supplier ("slow") takes
# 10 s to answer and holds everybody up.  Give each quote at most 1 s: a
# quote that is late is dropped (and its request cancelled), the others are
# printed as soon as all are in or out.
import asyncio

SUPPLIERS = [("fast", 0.3), ("slow", 10.0), ("steady", 0.8)]


async def quote(name, seconds):
    await asyncio.sleep(seconds)  # stands for the request
    return round(seconds * 100)


async def ask(task):
    price = await task
    print(f"{task.get_name()}: {price}")
    return price


async def main():
    tasks = [asyncio.create_task(quote(n, s), name=n) for n, s in SUPPLIERS]
    try:
        prices = await asyncio.wait_for(asyncio.gather(*(ask(t) for t in tasks)), 1.0)
    except TimeoutError:
        prices = None
    print(f"quotes: {prices}")


asyncio.run(main())
