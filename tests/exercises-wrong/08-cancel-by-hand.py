# A wrong answer to exercise 8: the error caught and the flight cancelled by hand; the car is forgotten.
# expect-fail: never prints "car: booked"
# expect-hint: The car was booked after the trip had already failed
# Exercise 8: a trip needs a flight, a hotel and a car, booked at once.
# The hotel fails; main reports it, but the flight and the car are still
# booked a little later (and paid for).  When one booking fails, cancel the
# others at once.
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
        flight = asyncio.create_task(book("flight", 1.0), name="flight")
        hotel = asyncio.create_task(book("hotel", 0.5, fail=True), name="hotel")
        car = asyncio.create_task(book("car", 1.5), name="car")
        await asyncio.gather(flight, hotel, car)
        print("trip booked")
    except ValueError as e:
        print(f"trip failed: {e}")
        flight.cancel()
    await asyncio.sleep(2)  # write to the customer
    print("customer told")


asyncio.run(main())
