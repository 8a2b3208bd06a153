# A wrong answer to exercise 7: tasks made for the saves, never waited for.
# expect-fail: prints "db has 3 records"
# expect-hint: main counted before the saves were done
# Exercise 7: main saves three records, then counts them.  Nothing is saved,
# and Python prints a warning.  Make every save happen, in order, before
# the count.
import asyncio


async def save(db, record):
    await asyncio.sleep(0.1)  # stands for the database
    db.append(record)
    print(f"saved {record}")


async def main():
    db = []
    for record in ["x", "y", "z"]:
        asyncio.create_task(save(db, record))
    print(f"db has {len(db)} records")


asyncio.run(main())
