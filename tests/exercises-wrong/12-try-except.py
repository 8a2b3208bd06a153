# A wrong answer to exercise 12: the error is caught, but a and c are lost with it.
# expect-fail: prints in this order: "a: ok", "b: failed", "c: ok"
# expect-hint: One line per site, in the order a, b, c
# Exercise 12: main checks three sites at once and prints a line per site.
# Site b is down: its check raises, gather passes the error on, and the
# program dies without a word about a or c.  Print every site's outcome,
# in the order of the sites, error or not, and end normally.
import asyncio


async def check_site(name, seconds, down=False):
    await asyncio.sleep(seconds)  # stands for the request
    if down:
        raise ConnectionRefusedError(f"{name} is down")
    return f"{name}: ok"


async def main():
    try:
        results = await asyncio.gather(
            check_site("a", 0.2), check_site("b", 0.1, down=True), check_site("c", 0.3))
        for r in results:
            print(r)
    except ConnectionRefusedError as e:
        print(f"b: failed ({type(e).__name__}: {e})")


asyncio.run(main())
