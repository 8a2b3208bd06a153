# Exercise 10: tea takes 1 s, coffee 1.5 s.  main makes a task for each,
# yet they brew one after the other (2.5 s).  Keep the two tasks, and make
# both brew at the same time.
import asyncio


async def brew(drink, seconds):
    print(f"{drink}: start")
    await asyncio.sleep(seconds)
    print(f"{drink}: ready")
    return drink


async def main():
    tea = asyncio.create_task(brew("tea", 1.0), name="tea")
    await tea
    coffee = asyncio.create_task(brew("coffee", 1.5), name="coffee")
    await coffee
    print(f"both ready: {tea.result()}, {coffee.result()}")


asyncio.run(main())
