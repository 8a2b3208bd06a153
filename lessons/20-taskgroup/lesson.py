# Lesson 20: structured concurrency with TaskGroup (Python 3.11).  A group
# waits for all of its tasks; when one fails it cancels the others, then
# raises every failure together.  gather, by contrast, passes on the first
# error and leaves the other tasks running.
import asyncio


async def book(what, seconds, fail=False):
    print(f"{what}: booking")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"{what}: cancelled")
        raise
    if fail:
        raise ValueError(f"no {what} available")
    print(f"{what}: booked")
    return what


async def main():
    loop = asyncio.get_running_loop()

    print("Everything available, with a TaskGroup:")
    start = loop.time()
    async with asyncio.TaskGroup() as tg:
        flight = tg.create_task(book("flight", 1), name="flight")
        hotel = tg.create_task(book("hotel", 2), name="hotel")
        car = tg.create_task(book("car", 1.5), name="car")
    print(f"at {loop.time() - start:.1f} s the trip is booked: "
          f"{flight.result()}, {hotel.result()}, {car.result()}")

    print("No car left, with a TaskGroup:")
    start = loop.time()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(book("flight", 1), name="flight")
            tg.create_task(book("hotel", 2), name="hotel")
            tg.create_task(book("car", 1.5, fail=True), name="car")
    except* ValueError as eg:
        print(f"at {loop.time() - start:.1f} s the group failed: {eg}")
        for e in eg.exceptions:
            print(f"  {e!r}")

    print("No car left, with gather:")
    start = loop.time()
    flight = asyncio.create_task(book("flight", 1), name="flight")
    hotel = asyncio.create_task(book("hotel", 2), name="hotel")
    car = asyncio.create_task(book("car", 1.5, fail=True), name="car")
    try:
        await asyncio.gather(flight, hotel, car)
    except ValueError as e:
        print(f"at {loop.time() - start:.1f} s gather raised {e!r}")
    await asyncio.sleep(1)
    print(f"at {loop.time() - start:.1f} s: nobody cancelled the hotel")


asyncio.run(main())
