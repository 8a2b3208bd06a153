"""Lesson 18: asyncio and databases.  sqlite3 blocks while it works, so each
call goes to a worker thread with asyncio.to_thread.  A connection does one
thing at a time: a lock per connection makes its callers take turns."""
import asyncio
import os
import sqlite3
import tempfile

SCHEMA = """
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT NOT NULL,
                    amount INTEGER NOT NULL);
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000)
INSERT INTO orders(customer, amount)
  SELECT 'customer-' || (x % 40), (x * 37) % 1000 FROM n;
"""
REPORT = ("SELECT customer, count(*), sum(amount) FROM orders"
          " GROUP BY customer ORDER BY sum(amount) DESC LIMIT 3")
LOOKUP = "SELECT customer, amount FROM orders WHERE id = ?"


class Db:
    """One sqlite3 connection, used from worker threads, one call at a time."""

    def __init__(self, conn):
        self.conn = conn
        self.lock = asyncio.Lock()

    @classmethod
    async def open(cls, path):
        conn = await asyncio.to_thread(sqlite3.connect, path, check_same_thread=False)
        return cls(conn)

    async def executescript(self, sql):
        async with self.lock:
            def run():
                before = self.conn.total_changes
                self.conn.executescript(sql)
                return self.conn.total_changes - before
            return await asyncio.to_thread(run)

    async def fetchall(self, sql, params=()):
        async with self.lock:
            return await asyncio.to_thread(
                lambda: self.conn.execute(sql, params).fetchall())

    async def close(self):
        async with self.lock:
            await asyncio.to_thread(self.conn.close)


async def report(db):
    rows = await db.fetchall(REPORT)
    print("report: top customers")
    for customer, count, total in rows:
        print(f"  {customer}: {count} orders, {total} in all")


async def lookup(db):
    rows = await db.fetchall(LOOKUP, ("4242",))
    customer, amount = rows[0]
    print(f"lookup: order 4242 is {customer}'s, amount {amount}")


async def main(path):
    first = await Db.open(path)
    changed = await first.executescript(SCHEMA)
    print(f"loaded {changed} orders")

    print("One connection:")
    await asyncio.gather(report(first), lookup(first))

    second = await Db.open(path)
    print("Two connections:")
    await asyncio.gather(report(first), lookup(second))

    await first.close()
    await second.close()


with tempfile.TemporaryDirectory() as tmp:
    asyncio.run(main(os.path.join(tmp, "shop.db")))
