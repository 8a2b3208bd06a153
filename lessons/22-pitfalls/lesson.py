# Lesson 22: a gallery of pitfalls.  Each mistake below runs without
# crashing -- that is what makes it dangerous -- and asyncio's only hint is
# a warning on stderr (for the first two).  Looplab reports all three at the
# moment it can tell, in the trace and on stderr.
import asyncio

saved = False


async def save_draft():
    global saved
    await asyncio.sleep(0.1)
    saved = True


async def send_email():
    await asyncio.sleep(0.1)
    print("send_email: the mail server refused the message")
    raise ConnectionRefusedError("mail server refused the message")


async def diner(name, first, first_name, second, second_name):
    async with first:
        print(f"{name}: has the {first_name}, wants the {second_name}")
        await asyncio.sleep(0.1)
        async with second:
            print(f"{name}: eats")


async def main():
    print("Pitfall 1: a coroutine that is never awaited")
    save_draft()  # forgot the await: nothing runs
    print("main: called save_draft() without await")
    await asyncio.sleep(0.5)
    print(f"main: half a second later, saved = {saved}")

    print("Pitfall 2: a task whose error nobody retrieves")
    asyncio.create_task(send_email(), name="send_email")  # nobody keeps or awaits the task
    print("main: started send_email in a task, and moved on")
    await asyncio.sleep(0.5)
    print("main: carried on as if the mail had gone out")

    print("Pitfall 3: a deadlock")
    fork, knife = asyncio.Lock(), asyncio.Lock()
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        a = asyncio.create_task(diner("A", fork, "fork", knife, "knife"), name="A")
        b = asyncio.create_task(diner("B", knife, "knife", fork, "fork"), name="B")
        await asyncio.wait_for(asyncio.gather(a, b), 1.0)
    except TimeoutError:
        print(f"main: gave up after {loop.time() - start:.1f} s: "
              "A and B were waiting for each other")


asyncio.run(main())
