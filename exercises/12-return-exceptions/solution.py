# Exercise 12, a solution: gather(..., return_exceptions=True) puts each
# error in the result list, at its place, instead of raising the first one;
# main then tells results from errors.
import asyncio


async def check_site(name, seconds, down=False):
    await asyncio.sleep(seconds)  # stands for the request
    if down:
        raise ConnectionRefusedError(f"{name} is down")
    return f"{name}: ok"


async def main():
    names = ["a", "b", "c"]
    results = await asyncio.gather(
        check_site("a", 0.2), check_site("b", 0.1, down=True), check_site("c", 0.3),
        return_exceptions=True)
    for name, r in zip(names, results):
        if isinstance(r, Exception):
            print(f"{name}: failed ({type(r).__name__}: {r})")
        else:
            print(r)


asyncio.run(main())
