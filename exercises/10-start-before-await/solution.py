# Exercise 10, a solution: create both tasks first, then await them.  A
# task starts at the next pause of the task that made it, so both are
# brewing while main waits for the first.
import asyncio


async def brew(drink, seconds):
    print(f"{drink}: start")
    await asyncio.sleep(seconds)
    print(f"{drink}: ready")
    return drink


async def main():
    tea = asyncio.create_task(brew("tea", 1.0), name="tea")
    coffee = asyncio.create_task(brew("coffee", 1.5), name="coffee")
    await tea
    await coffee
    print(f"both ready: {tea.result()}, {coffee.result()}")


asyncio.run(main())
