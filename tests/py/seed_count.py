# Three count() coroutines: each prints, sleeps one second, prints again.
# All three first lines come before any second line; the run takes 1 s.
# C twin: seed_count_main in tests/test-rules.c.
import asyncio


async def count():
    print("One")
    await asyncio.sleep(1)
    print("Two")


async def main():
    await asyncio.gather(count(), count(), count())


asyncio.run(main())
