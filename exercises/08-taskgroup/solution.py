# Exercise 8, a solution: a TaskGroup owns its tasks.  When the hotel
# fails, the group cancels the flight and the car, waits for them to finish
# cancelling, and raises the failure in an ExceptionGroup.
import asyncio


async def book(what, seconds, fail=False):
    print(f"{what}: booking")
    try:
        await asyncio.sleep(seconds)  # stands for the booking site
    except asyncio.CancelledError:
        print(f"{what}: cancelled")
        raise
    if fail:
        raise ValueError(f"no {what} available")
    print(f"{what}: booked")
    return what


async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(book("flight", 1.0), name="flight")
            tg.create_task(book("hotel", 0.5, fail=True), name="hotel")
            tg.create_task(book("car", 1.5), name="car")
        print("trip booked")
    except* ValueError as eg:
        print(f"trip failed: {eg.exceptions[0]}")
    await asyncio.sleep(2)  # write to the customer
    print("customer told")


asyncio.run(main())
