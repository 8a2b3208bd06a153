# Lesson 24: scale.  An idle connection is a task waiting for data that has
# not come: it holds memory and no CPU.  How much?  A thread per connection,
# measured; then ten thousand, then a million idle tasks, measured the same
# way.  The lines printed are claims that hold for both Looplab's C and
# CPython (each measures its own figures: they differ); a terminal also gets
# the exact figures on standard error.
import asyncio
import os
import sys
import threading

KiB, MiB, GiB = 1024, 1024 ** 2, 1024 ** 3
PAGE = os.sysconf("SC_PAGE_SIZE")


def memory():
    # (address space reserved, memory resident) of this process, in bytes.
    with open("/proc/self/statm") as f:
        pages = f.read().split()
    return int(pages[0]) * PAGE, int(pages[1]) * PAGE


def exact(text):
    # The exact figures, for a person at a terminal (tests compare the lines).
    if sys.stderr.isatty():
        print(text, file=sys.stderr)


def vs(measured, limit, words):
    # "under 8 KiB" or "8 KiB or more": a claim checked on the measured figure.
    return f"under {words}" if measured < limit else f"{words} or more"


async def connection(data):
    # An idle connection: awaits its next request, as StreamReader.read awaits
    # a future that the socket completes.  Until then it costs memory only.
    return await data


async def crowd(n):
    loop = asyncio.get_running_loop()
    before = memory()[1]
    requests = [loop.create_future() for _ in range(n)]
    tasks = [asyncio.create_task(connection(r), name="connection") for r in requests]
    await asyncio.sleep(0)              # each task runs to its await, and waits
    after = memory()[1]
    for r in requests:                  # the server closes: every await returns
        r.set_result(None)
    for t in tasks:
        await t
    return (after - before) / n, after


def run_crowd(n, stacks):
    # A plain loop of its own, not asyncio.run: Looplab records the loops
    # asyncio.run makes, and a million tasks' events do not belong in a trace.
    # (stacks is Looplab's stack mode; a CPython coroutine keeps its frame
    # on the heap while it waits, as Looplab's "copy" mode does.)  The task
    # is named: unnamed ones are numbered Task-N across the whole process,
    # and would renumber the lesson's own.
    loop = asyncio.SelectorEventLoop()
    try:
        per_task, resident = loop.run_until_complete(loop.create_task(crowd(n), name="crowd"))
    finally:
        loop.close()
    exact(f"{n} idle tasks: {per_task:.0f} bytes each, "
          f"{resident / MiB:.0f} MiB resident")
    return per_task, resident


def run_threads(n):
    # A thread per connection: n threads, each blocked until the gate opens.
    gate = threading.Event()
    started = threading.Semaphore(0)

    def connection_thread():
        started.release()
        gate.wait()

    reserved, resident = memory()
    threads = [threading.Thread(target=connection_thread) for _ in range(n)]
    for t in threads:
        t.start()
    for _ in threads:
        started.acquire()               # every thread has started and waits
    reserved2, resident2 = memory()
    gate.set()
    for t in threads:
        t.join()
    committed, space = (resident2 - resident) / n, (reserved2 - reserved) / n
    exact(f"{n} threads: {committed:.0f} bytes committed, {space / MiB:.2f} MiB reserved each")
    return committed, space


async def main(threads, few, many):
    # The figures were measured before this loop started; it reports them.
    loop = asyncio.get_running_loop()
    requests = [loop.create_future() for _ in range(3)]
    idle = [asyncio.create_task(connection(r), name=f"conn-{i}") for i, r in enumerate(requests)]
    await asyncio.sleep(0)              # three idle connections, for the timeline
    print(f"100 threads: {vs(threads[0], 8 * KiB, '8 KiB')} each, "
          f"and {vs(threads[1], 8 * MiB, '8 MiB')} of address space")
    print(f"10000 idle tasks: {vs(few[0], 8 * KiB, '8 KiB')} each")
    print(f"1000000 idle tasks: {vs(many[0], 2 * KiB, '2 KiB')} each, "
          f"{vs(many[1], 2 * GiB, '2 GiB')} in all")
    print(f"10000 connections as threads: {vs(10000 * threads[0], 80 * MiB, '80 MiB')}, "
          f"{vs(10000 * threads[1], 78 * GiB, '78 GiB')} reserved")
    print(f"10000 connections as tasks: {vs(10000 * many[0], 20 * MiB, '20 MiB')}")
    for r in requests:                  # the server closes: every await returns
        r.set_result(None)
    await asyncio.gather(*idle)


if __name__ == "__main__":
    # Measured first, the threads before the crowds: memory the crowds gave
    # back cannot blur the threads' figures then.
    threads = run_threads(100)
    few = run_crowd(10_000, "own")
    many = run_crowd(1_000_000, "copy")
    asyncio.run(main(threads, few, many))
