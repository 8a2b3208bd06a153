# Exercise 6: two transfers between the same two accounts.  Each locks the
# account it takes money from, then the one it pays into.  Run it: they get
# stuck, and the watchdog in main gives up after 5 s.  Fix the transfers so
# that both always finish.
import asyncio


async def transfer(name, accounts, src, dst):
    async with accounts[src]:
        print(f"{name}: locked {src}")
        await asyncio.sleep(0.1)  # read the balance
        async with accounts[dst]:
            print(f"{name}: locked {dst}")
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
