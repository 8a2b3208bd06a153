# Lesson 4: create_task schedules a coroutine; it starts only when the code
# that created it gives the thread back to the loop.
import asyncio


async def fetch_data():
    print("Start fetching")
    await asyncio.sleep(2)
    print("Done fetching")
    return "data"


async def main():
    task = asyncio.create_task(fetch_data(), name="fetch_data")
    print("Fetching data...")
    print(f"task done yet? {task.done()}")
    result = await task
    print(f"Result: {result}")
    print(f"task done now? {task.done()}")


asyncio.run(main())
