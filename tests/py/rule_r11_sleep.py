# R11: sleep(0) and negative delays are one bare yield (back of the ready
# queue); a positive delay waits for a timer.
import asyncio


async def w(name, delay):
    for i in range(2):
        print(f"{name}{i}")
        await asyncio.sleep(delay)


async def main():
    await asyncio.gather(w("zero", 0), w("neg", -5), w("tiny", 0.001), w("z2", 0))
    print("done")


asyncio.run(main())
