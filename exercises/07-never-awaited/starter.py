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
        save(db, record)
    print(f"db has {len(db)} records")


asyncio.run(main())
