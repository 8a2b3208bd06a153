# Exercise 7, a solution: save(db, record) only makes a coroutine object;
# `await` runs it.  Awaiting each in turn saves them in order, before the
# count.
import asyncio


async def save(db, record):
    await asyncio.sleep(0.1)  # stands for the database
    db.append(record)
    print(f"saved {record}")


async def main():
    db = []
    for record in ["x", "y", "z"]:
        await save(db, record)
    print(f"db has {len(db)} records")


asyncio.run(main())
