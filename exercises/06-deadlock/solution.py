# Exercise 6, a solution: every transfer locks the two accounts in the same
# order (by name), whichever way the money goes.  The second transfer then
# waits for the first lock and never holds one the first needs: no cycle.
import asyncio


async def transfer(name, accounts, src, dst):
    first, second = sorted([src, dst])
    async with accounts[first]:
        print(f"{name}: locked {first}")
        await asyncio.sleep(0.1)  # read the balance
        async with accounts[second]:
            print(f"{name}: locked {second}")
            await asyncio.sleep(0.1)  # write both balances
    print(f"{name}: done")


async def main():
    accounts = {"alice": asyncio.Lock(), "bob": asyncio.Lock()}
    tasks = [asyncio.create_task(transfer("t1", accounts, "alice", "bob"), name="t1"),
             asyncio.create_task(transfer("t2", accounts, "bob", "alice"), name="t2")]
    done, pending = await asyncio.wait(tasks, timeout=5)  # the watchdog
    if pending:
        print(f"stuck: {sorted(t.get_name() for t in pending)}")
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    else:
        print("both transfers done")


asyncio.run(main())
