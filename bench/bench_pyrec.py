"""The Python recorder's cost: `python3 bench/bench_pyrec.py [--repeat N]`.

  py_task_step      plain asyncio (the C Task): TASKS tasks x ROUNDS
                    `await asyncio.sleep(0)`, gathered; ns per task step
  py_task_step_rec  the same under python/looplab_trace (RecordingLoop, the
                    pure-Python Task, every event formatted and written to a
                    trace file on the virtual clock, as `looplab run X.py`
                    does); ns per task step
  py_rec_ratio      the second over the first (target: at most 5)

Medians of --repeat runs (default 5), one `name: value unit` line each, in
bench/bench.c's format, for scripts/bench.  Stdlib only.  A benchmark, not a
timed test: only medians on a quiet machine mean anything.
"""
import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))

from looplab_trace.recorder import Recorder, RecordingLoop  # noqa: E402

TASKS, ROUNDS = 100, 1000


async def stepper(rounds):
    for _ in range(rounds):
        await asyncio.sleep(0)


async def step_main(tasks, rounds):
    await asyncio.gather(*[asyncio.create_task(stepper(rounds)) for _ in range(tasks)])


def plain():
    loop = asyncio.new_event_loop()
    try:
        t0 = time.perf_counter()
        loop.run_until_complete(step_main(TASKS, ROUNDS))
        return time.perf_counter() - t0
    finally:
        loop.close()


def recorded():
    with tempfile.TemporaryFile() as f:
        rec = Recorder(f.fileno(), "virtual", "bench")
        rec.write_header([("program", "bench"), ("clock", "virtual")])
        loop = RecordingLoop(rec)
        try:
            t0 = time.perf_counter()
            loop.run_until_complete(step_main(TASKS, ROUNDS))
            loop.close()
            rec.finish()
            return time.perf_counter() - t0
        finally:
            if not loop.is_closed():
                loop.close()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    steps = TASKS * ROUNDS
    a = statistics.median(plain() for _ in range(args.repeat)) / steps * 1e9
    b = statistics.median(recorded() for _ in range(args.repeat)) / steps * 1e9
    print("py_task_step: %.1f ns" % a)
    print("py_task_step_rec: %.1f ns" % b)
    print("py_rec_ratio: %.2f x" % (b / a))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
