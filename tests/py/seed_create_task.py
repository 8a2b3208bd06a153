# create_task schedules; it does not run.  main prints before the task's
# first line, because the task only starts when main awaits.
# C twin: seed_create_task_main in tests/test-rules.c.
import asyncio


async def fetch_data():
    print("Start fetching")
    await asyncio.sleep(2)
    print("Done fetching")
    return "data"


async def main():
    task = asyncio.create_task(fetch_data())
    print("Fetching data...")
    result = await task
    print(f"Result: {result}")


asyncio.run(main())
