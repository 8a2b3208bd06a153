#!/usr/bin/env python3
"""bench_asyncio.py - CPython's side of scripts/bench.

The same workloads as bench/bench.c, with the same task counts and awaits, so
the two can be compared line by line:
  task_step   1 000 tasks x 1 000 `await asyncio.sleep(0)`, gathered: ns per
              task step (the whole run_until_complete, task creation included,
              divided by 1e6 steps);
  spawn       create 100 000 tasks of a coroutine that returns at once, then
              await each in order: ns per task (create + await);
  mem_task    RSS growth per live task with 100 000 tasks asleep in
              `asyncio.sleep(3600)` (cancelled at the end): bytes per task.
Each timing is repeated (--repeat, default 5) and the median printed, one
`name: value unit` line each, in bench.c's format.  asyncio records nothing,
so there is no task_step_rec or task_step_ring here (asking for them is not an
error: scripts/bench passes the same --only to both sides).

  --loop asyncio   the stdlib loop (default)
  --loop uvloop    uvloop's loop; needs `import uvloop` to work (Debian:
                   python3-uvloop, under /usr/bin/python3)
  --quick          a tenth of the tasks (per-step/per-task figures stay
                   comparable, only noisier)

Stdlib only.  A benchmark, not a timed test: only medians of repeated runs on
a quiet machine mean anything.
"""
import argparse
import asyncio
import gc
import os
import statistics
import sys
import time

NAMES = ("task_step", "task_step_rec", "task_step_ring", "spawn", "to_thread", "lock", "queue_pingpong", "mem_task")

STEP_TASKS, STEP_ROUNDS = 1000, 1000
SPAWN_TASKS = 100_000
MEM_TASKS = 100_000


def new_loop(kind):
    if kind == "uvloop":
        import uvloop  # checked in main()
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(kind, coro):
    loop = new_loop(kind)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


# ---- task_step ----
async def stepper(rounds):
    for _ in range(rounds):
        await asyncio.sleep(0)


async def step_main(tasks, rounds):
    await asyncio.gather(*[asyncio.create_task(stepper(rounds))
                           for _ in range(tasks)])


def bench_step(kind, tasks, rounds):
    loop = new_loop(kind)
    try:
        coro = step_main(tasks, rounds)
        t0 = time.perf_counter_ns()
        loop.run_until_complete(coro)
        t = time.perf_counter_ns() - t0
    finally:
        loop.close()
    return t / (tasks * rounds)


# ---- spawn ----
async def returns_at_once(v):
    return v


async def spawn_main(n):
    t0 = time.perf_counter_ns()
    ts = [asyncio.create_task(returns_at_once(i)) for i in range(n)]
    for t in ts:
        await t
    return time.perf_counter_ns() - t0


def bench_spawn(kind, n):
    return run(kind, spawn_main(n)) / n


# ---- mem_task ----
try:
    PAGE = os.sysconf("SC_PAGE_SIZE")
except (ValueError, OSError, AttributeError):
    PAGE = 4096


def rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except OSError:
        # No /proc: peak RSS is the best stand-in (it only grows here).
        import resource
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return kb * (1 if sys.platform == "darwin" else 1024)


async def long_sleeper():
    await asyncio.sleep(3600)


async def mem_main(n):
    gc.collect()
    before = rss_bytes()
    ts = [asyncio.create_task(long_sleeper()) for _ in range(n)]
    await asyncio.sleep(0)  # every task has started and is asleep
    await asyncio.sleep(0)
    after = rss_bytes()
    for t in ts:
        t.cancel()
    for t in ts:
        try:
            await t
        except asyncio.CancelledError:
            pass
    return (after - before) / n


def bench_mem(kind, n):
    return run(kind, mem_main(n))


JOB_BATCH, JOB_BATCHES = 1000, 10


def noop_job(v):
    return v


async def jobs_main():
    t0 = time.perf_counter()
    for _ in range(JOB_BATCHES):
        await asyncio.gather(*[asyncio.to_thread(noop_job, i) for i in range(JOB_BATCH)])
    return time.perf_counter() - t0


def bench_jobs(kind):
    return run(kind, jobs_main()) * 1e6 / (JOB_BATCH * JOB_BATCHES)


LOCK_OPS = 200000
PING_ROUNDS = 100000


async def lock_main():
    lock = asyncio.Lock()
    t0 = time.perf_counter()
    for _ in range(LOCK_OPS):
        await lock.acquire()
        lock.release()
    return time.perf_counter() - t0


def bench_lock(kind):
    return run(kind, lock_main()) * 1e9 / LOCK_OPS


async def ponger(ping, pong):
    for _ in range(PING_ROUNDS):
        await pong.put(await ping.get())


async def ping_main():
    ping, pong = asyncio.Queue(), asyncio.Queue()
    t = asyncio.create_task(ponger(ping, pong))
    t0 = time.perf_counter()
    for i in range(PING_ROUNDS):
        await ping.put(i)
        await pong.get()
    elapsed = time.perf_counter() - t0
    await t
    return elapsed


def bench_ping(kind):
    return run(kind, ping_main()) * 1e9 / PING_ROUNDS


def wanted(only, name):
    return only is None or name in only


def main():
    ap = argparse.ArgumentParser(
        description="CPython asyncio (or uvloop) on bench/bench.c's workloads.")
    ap.add_argument("--repeat", type=int, default=5,
                    help="runs per timing; the median is printed (default 5)")
    ap.add_argument("--only", metavar="NAME,...",
                    help="comma-separated: " + ", ".join(NAMES))
    ap.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    ap.add_argument("--quick", action="store_true",
                    help="a tenth of the tasks")
    a = ap.parse_args()
    if not 1 <= a.repeat <= 100:
        ap.error("--repeat must be between 1 and 100")
    only = None
    if a.only is not None:
        only = set(filter(None, a.only.split(",")))
        unknown = only - set(NAMES)
        if unknown:
            ap.error("unknown name(s): %s (names: %s)"
                     % (", ".join(sorted(unknown)), ", ".join(NAMES)))
    if a.loop == "uvloop":
        try:
            import uvloop  # noqa: F401
        except ImportError as e:
            print("%s: --loop uvloop: cannot import uvloop (%s)\n"
                  "  it is Debian's python3-uvloop, for /usr/bin/python3 "
                  "(this is %s)" % (sys.argv[0], e, sys.executable),
                  file=sys.stderr)
            sys.exit(2)

    div = 10 if a.quick else 1
    step_tasks, spawn_tasks, mem_tasks = (STEP_TASKS // div, SPAWN_TASKS // div,
                                          MEM_TASKS // div)

    # Memory first, while the allocator holds no memory freed by the timings
    # (it would be reused and hide the growth); printed last, like bench.c.
    # scripts/bench still runs it alone, in a fresh process.
    mem = bench_mem(a.loop, mem_tasks) if wanted(only, "mem_task") else None

    if wanted(only, "task_step"):
        v = [bench_step(a.loop, step_tasks, STEP_ROUNDS) for _ in range(a.repeat)]
        print("task_step: %.1f ns/step" % statistics.median(v), flush=True)
    if wanted(only, "spawn"):
        v = [bench_spawn(a.loop, spawn_tasks) for _ in range(a.repeat)]
        print("spawn: %.1f ns/task" % statistics.median(v), flush=True)
    if wanted(only, "to_thread"):
        v = [bench_jobs(a.loop) for _ in range(a.repeat)]
        print("to_thread: %.2f us/job" % statistics.median(v), flush=True)
    if wanted(only, "lock"):
        v = [bench_lock(a.loop) for _ in range(a.repeat)]
        print("lock: %.1f ns/op" % statistics.median(v), flush=True)
    if wanted(only, "queue_pingpong"):
        v = [bench_ping(a.loop) for _ in range(a.repeat)]
        print("queue_pingpong: %.1f ns/round" % statistics.median(v), flush=True)
    if mem is not None:
        print("mem_task: %.0f bytes/task" % mem, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
