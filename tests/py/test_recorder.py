"""The Python recorder (python/looplab_trace): its names against the C
side's, its text against the C reader, what it records, and bad programs.

Run by `meson test` (suite python) with the path of the built `looplab` in
LOOPLAB_CLI; stdlib unittest only.  test_recorder_twins.py checks that no
program prints differently under the recorder."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYDIR = os.path.join(ROOT, "python")
sys.path.insert(0, PYDIR)

from looplab_trace import kinds, writer  # noqa: E402

CLI = os.environ.get("LOOPLAB_CLI") or os.path.join(ROOT, "build", "src", "cli", "looplab")


def record(program, *args, clock="virtual", env=None, timeout=60):
    """Runs PROGRAM under the recorder: (status, stdout, stderr, trace text)."""
    with tempfile.TemporaryDirectory() as d:
        trace = os.path.join(d, "t.trace")
        e = dict(os.environ, PYTHONPATH=PYDIR, **(env or {}))
        p = subprocess.run([sys.executable, "-m", "looplab_trace", "--clock", clock,
                            "--trace", trace, program, *args],
                           capture_output=True, text=True, env=e, cwd=ROOT, timeout=timeout)
        with open(trace, encoding="utf-8") as f:
            return p.returncode, p.stdout, p.stderr, f.read()


LINE = re.compile(r"^ *(\S+)  (\S+|\"(?:[^\"\\]|\\.)*\") *(\S+) *(.*)$")


def events(trace):
    """[(time, task column, kind, {field: value})] of a trace's event lines."""
    out = []
    for line in trace.splitlines():
        if not line or line.startswith(("@", "looplab-trace", "#")):
            continue
        m = LINE.match(line)
        assert m, f"not an event line: {line!r}"
        fields = dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', m.group(4)))
        out.append((m.group(1), m.group(2), m.group(3), fields))
    return out


def c_map(text, macro):
    """The names of one X-macro list in a C header, in order."""
    start = text.index("#define %s(X)" % macro)
    body = []
    for line in text[start:].splitlines()[1:]:
        body.append(line)
        if not line.rstrip().endswith("\\"):
            break
    return re.findall(r'X\(\s*\w+\s*,\s*(?:-?\d+\s*,\s*)?"([^"]+)"', "\n".join(body))


class NamesAgreeWithC(unittest.TestCase):
    """kinds.py repeats events.h's and looplab.h's lists: they must agree."""

    def test_every_list_matches_its_x_macro(self):
        with open(os.path.join(ROOT, "src", "trace", "events.h")) as f:
            events_h = f.read()
        with open(os.path.join(ROOT, "include", "looplab.h")) as f:
            looplab_h = f.read()
        pairs = [
            ("LL_EVENT_MAP", events_h, kinds.EVENT_KINDS),
            ("LL_REASON_MAP", events_h, kinds.REASONS),
            ("LL_WAIT_MAP", events_h, kinds.WAIT_KINDS),
            ("LL_WARN_MAP", events_h, kinds.WARN_KINDS),
            ("LL_SYNC_KIND_MAP", events_h, kinds.SYNC_KINDS),
            ("LL_SYNC_OP_MAP", events_h, kinds.SYNC_OPS),
            ("LL_IO_ROLE_MAP", events_h, kinds.IO_ROLES),
            ("LL_IO_OP_MAP", events_h, kinds.IO_OPS),
            ("LL_ERRNO_MAP", looplab_h, kinds.ERROR_NAMES),
        ]
        for macro, text, mine in pairs:
            with self.subTest(macro=macro):
                c = c_map(text, macro)
                self.assertTrue(c, f"{macro}: no entries parsed")
                self.assertEqual(tuple(c), tuple(mine),
                                 f"{macro}: C has {c}, python/looplab_trace/kinds.py {mine}")

    def test_recorded_names_are_known_to_the_format(self):
        _, _, _, trace = record("tests/py/awaitables.py")
        for _, _, kind, f in events(trace):
            self.assertIn(kind, kinds.EVENT_KINDS)
            if kind in ("ready", "cb_queued", "cb_run"):
                self.assertIn(f["reason"], kinds.REASONS)
            if kind == "wait":
                self.assertIn(f["on"], kinds.WAIT_KINDS)
            if kind == "warn":
                self.assertIn(f["kind"], kinds.WARN_KINDS)

    def test_unknown_exception_classes_are_written_as_exception(self):
        self.assertEqual(kinds.errname(KeyError("k")), ("KeyError", "'k'"))
        self.assertEqual(kinds.errname(NameError("x")), ("Exception", "NameError: x"))
        self.assertEqual(kinds.errname(AttributeError()), ("Exception", "AttributeError"))


class WriterFormatsAsC(unittest.TestCase):
    def test_times_have_nine_decimals_and_are_bounded(self):
        self.assertEqual(writer.fmt_time(0), "0.000000000")
        self.assertEqual(writer.fmt_time(1500000000), "1.500000000")
        self.assertEqual(writer.fmt_time(-5), "-0.000000005")
        self.assertEqual(writer.fmt_time(10**30), "9223372035.999999999")

    def test_strings_escape_controls_quotes_and_broken_bytes(self):
        self.assertEqual(writer.quote('a "b"\\\n\t\r\x01\x7f')[0],
                         '"a \\"b\\"\\\\\\n\\t\\r\\x01\\x7f"')
        self.assertEqual(writer.quote("café ✓")[0], '"café ✓"')
        broken = b"ok\xff".decode("utf-8", "surrogateescape")
        self.assertEqual(writer.quote(broken)[0], '"ok\\xff"')

    def test_long_strings_are_clipped_with_the_count_left_out(self):
        text, left = writer.quote("x" * 70000)
        self.assertEqual(len(text), 65536 + 2)
        self.assertEqual(left, 70000 - 65536)
        text, left = writer.quote("\n" * 40000)  # two bytes each once escaped
        self.assertEqual(len(text), 65536 + 2)
        self.assertEqual(left, 40000 - 32768)

    def test_names_are_bare_unless_they_need_quotes(self):
        self.assertEqual(writer.name("lesson.py"), "lesson.py")
        self.assertEqual(writer.name("my file.py"), '"my file.py"')
        self.assertEqual(writer.task_col(3, "Task-3"), "3:Task-3" + " " * 9)
        self.assertEqual(writer.task_col(0, ""), "-" + " " * 16)


@unittest.skipUnless(os.access(CLI, os.X_OK), f"looplab is not built ({CLI})")
class CReaderTakesPythonTraces(unittest.TestCase):
    """The C reader (looplab stats / export) reads what the recorder writes;
    re-written as text it gives the recorder's own lines back, byte for byte."""

    PROGRAMS = ["lessons/03-sequential-vs-concurrent/lesson.py",
                "lessons/09-errors/lesson.py", "lessons/10-cancellation/lesson.py",
                "lessons/12-queue/lesson.py", "lessons/22-pitfalls/lesson.py",
                "tests/py/awaitables.py", "tests/py/pool_overlap.py",
                "tests/py/sync_barrier.py"]

    def test_round_trip_through_the_c_reader(self):
        for prog in self.PROGRAMS:
            with self.subTest(program=prog), tempfile.TemporaryDirectory() as d:
                _, _, _, trace = record(prog)
                path = os.path.join(d, "t.trace")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(trace)
                st = subprocess.run([CLI, "stats", path], capture_output=True, text=True)
                self.assertEqual(st.returncode, 0, st.stderr)
                self.assertIn("Task-1", st.stdout)
                tx = subprocess.run([CLI, "export", path, "--format", "text"],
                                    capture_output=True, text=True)
                self.assertEqual(tx.returncode, 0, tx.stderr)
                mine = [ln for ln in trace.splitlines() if not ln.startswith("@")]
                theirs = [ln for ln in tx.stdout.splitlines() if not ln.startswith("@")]
                self.assertEqual(theirs, mine)
                ch = subprocess.run([CLI, "export", path, "--format", "chrome"],
                                    capture_output=True, text=True)
                self.assertEqual(ch.returncode, 0, ch.stderr)
                doc = json.loads(ch.stdout)
                names = {e["args"]["name"] for e in doc["traceEvents"]
                         if e.get("name") == "thread_name"}
                self.assertIn("Task-1", names)


    def test_the_viewer_draws_python_traces(self):
        have = subprocess.run([CLI, "render", "--help"], capture_output=True)
        if have.returncode != 0:
            self.skipTest("looplab is built without the viewer (-Dgui=false)")
        for prog in ("lessons/03-sequential-vs-concurrent/lesson.py",
                     "lessons/12-queue/lesson.py", "tests/py/awaitables.py"):
            with self.subTest(program=prog), tempfile.TemporaryDirectory() as d:
                _, _, _, trace = record(prog)
                path = os.path.join(d, "t.trace")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(trace)
                png = os.path.join(d, "f.png")
                r = subprocess.run([CLI, "render", path, "--step", "30", "--size", "960x540",
                                    "-o", png], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(png, "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class WhatIsRecorded(unittest.TestCase):
    def test_lesson_3_sleeps_then_gathers(self):
        rc, out, _, trace = record("lessons/03-sequential-vs-concurrent/lesson.py")
        self.assertEqual(rc, 0)
        ev = events(trace)
        self.assertEqual(ev[0][2], "loop_start")
        new = [(t, f["coro"], f.get("parent"), f.get("at")) for _, t, k, f in ev
               if k == "task_new"][:3]
        at = "lessons/03-sequential-vs-concurrent/lesson.py"
        self.assertEqual(new, [("1:Task-1", '"main"', None, at + ":24"),
                               ("2:Task-2", '"brew"', "1", at + ":20"),
                               ("3:Task-3", '"brew"', "1", at + ":20")])
        # The first brew: a step, a timer armed, the wait on it with the
        # await's line, the jump, the timer's callback, the task woken.
        first = [(t.strip(), k, f) for t, _, k, f in ev if k in (
            "run", "timer_arm", "wait", "poll", "timer_fire", "ready")][:8]
        self.assertEqual([k for _, k, _ in first],
                         ["ready", "run", "timer_arm", "wait", "poll", "timer_fire", "ready",
                          "run"])
        self.assertEqual(first[3][2], {"on": "sleep", "obj": "1", "until": "1.000000000",
                                       "at": at + ":8"})
        self.assertEqual(first[4], ("1.000000000", "poll",
                                    {"timeout": "1.000000000", "jumped": "1"}))
        self.assertEqual(first[6][2], {"reason": "sleep_done", "pos": "0", "obj": "1"})
        # Every printed line, in order, by the task that printed it.
        prints = [f["text"][1:-1] for _, _, k, f in ev if k == "print"]
        self.assertEqual(prints, out.splitlines())
        waits = [(t, f["on"]) for _, t, k, f in ev if k == "wait"]
        self.assertIn(("1:Task-1", "gather"), waits)
        gather = [f for _, _, k, f in ev if k == "fut_done"]
        self.assertEqual(gather, [{"fut": "3", "outcome": "result", "value": '"[None, None]"'}])
        ends = [(t, k) for _, t, k, _ in ev if k in ("done", "failed", "cancelled")]
        self.assertEqual(ends[:3], [("2:Task-2", "done"), ("3:Task-3", "done"),
                                    ("1:Task-1", "done")])
        self.assertTrue(trace.endswith("@end events=%d\n" % len(ev)))

    def test_waits_name_what_the_task_waits_on(self):
        want = {"tests/py/sync_lock.py": "lock", "tests/py/sync_event.py": "event",
                "tests/py/sync_semaphore.py": "semaphore",
                "tests/py/sync_condition.py": "condition",
                "tests/py/sync_barrier.py": "barrier",
                "tests/py/sync_queue.py": {"queue_get", "queue_put", "queue_join"},
                "tests/py/rule_r10_wait_for.py": "wait_for",
                "tests/py/rule_r15_taskgroup.py": "taskgroup",
                "tests/py/rule_wait_as_completed.py": "wait",
                "tests/py/pool_overlap.py": "job"}
        for prog, kinds_ in want.items():
            with self.subTest(program=prog):
                _, _, _, trace = record(prog)
                ev = events(trace)
                seen = {f["on"] for _, _, k, f in ev if k == "wait"}
                for k in ({kinds_} if isinstance(kinds_, str) else kinds_):
                    self.assertIn(k, seen)
                # A wait on a primitive names it, made known by sync_new.
                syncs = {f["obj"] for _, _, k, f in ev if k == "sync_new"}
                for _, _, k, f in ev:
                    if k == "wait" and f["on"] in ("lock", "event", "semaphore", "condition",
                                                   "barrier", "queue_get", "queue_put"):
                        self.assertIn(f["obj"], syncs)

    def test_primitives_are_made_known_and_their_operations_recorded(self):
        _, _, _, trace = record("lessons/11-semaphore/lesson.py")
        ev = events(trace)
        new = [f for _, _, k, f in ev if k == "sync_new"]
        self.assertEqual(new, [{"obj": "1", "kind": "semaphore", "value": "2",
                                "at": "lessons/11-semaphore/lesson.py:22"}])
        ops = [(t, f["op"], f["waiters"]) for _, t, k, f in ev if k == "sync"]
        # Two tasks get a slot at once, the next three queue up, and each
        # release hands the slot to the first in line.
        # (tasks named by their pages, as the twin names them and the C does)
        self.assertEqual(ops[:5], [("2:/a", "acquire", "0"), ("3:/b", "acquire", "0"),
                                   ("4:/c", "block", "1"), ("5:/d", "block", "2"),
                                   ("6:/e", "block", "3")])
        self.assertEqual(ops[5:8], [("3:/b", "release", "3"), ("3:/b", "wake", "3"),
                                    ("4:/c", "acquire", "2")])
        _, _, _, trace = record("tests/py/sync_queue.py")
        qops = {f["op"] for _, _, k, f in events(trace) if k == "sync"}
        self.assertTrue({"put", "get", "block", "task_done", "wake", "join"} <= qops, qops)

    def test_cancellation_and_failure(self):
        _, _, _, trace = record("lessons/10-cancellation/lesson.py")
        ev = events(trace)
        cancels = [f for _, _, k, f in ev if k == "cancel"]
        self.assertTrue(cancels and all(f["accepted"] in ("0", "1") for f in cancels))
        cancelled = {t for _, t, k, _ in ev if k == "cancelled"}
        woke = {t for _, t, k, f in ev if k == "ready" and f["reason"] == "cancelled"}
        self.assertTrue(cancelled)
        self.assertTrue(cancelled <= woke | {t for _, t, k, _ in ev if k == "run"})
        _, _, _, trace = record("lessons/09-errors/lesson.py")
        failed = [f for _, _, k, f in events(trace) if k == "failed"]
        self.assertTrue(failed)
        for f in failed:
            self.assertIn(f["error"], kinds.ERROR_NAMES)

    def test_warnings_and_jobs(self):
        _, _, err, trace = record("lessons/22-pitfalls/lesson.py")
        ev = events(trace)
        warns = [f["kind"] for _, _, k, f in ev if k == "warn"]
        self.assertIn("never_awaited", warns)
        self.assertIn("not_retrieved", warns)
        self.assertIn("Task exception was never retrieved", err)
        # What the runtime printed for a warning is the loop's, not the
        # task's (the C library prints its warnings without a task's print):
        # the lines are kept, and `looplab compare` sees only the warn event.
        runtime = [(t, f["text"]) for _, t, k, f in ev if k == "print"
                   and ("RuntimeWarning" in f["text"] or "never retrieved" in f["text"])]
        self.assertTrue(any("RuntimeWarning" in text for _, text in runtime))
        self.assertTrue(any("never retrieved" in text for _, text in runtime))
        self.assertEqual({t for t, _ in runtime}, {"-"})
        printed = [f["text"] for _, t, k, f in ev if k == "print" and t != "-"]
        self.assertIn('"main: called save_draft() without await"', printed)
        _, out, _, trace = record("tests/py/pool_overlap.py", clock="real")
        ev = events(trace)
        jobs = [(k, f["job"]) for _, _, k, f in ev if k.startswith("job_")]
        submitted = [j for k, j in jobs if k == "job_submit"]
        self.assertTrue(submitted)
        for j in submitted:
            self.assertEqual([k for k, jj in jobs if jj == j],
                             ["job_submit", "job_start", "job_end"])

    def test_tasks_are_recorded_with_the_names_the_program_gives(self):
        # asyncio.create_task(..., name=) and TaskGroup.create_task(..., name=)
        # name the task only after making it in 3.11; the trace names it from
        # its first line, and the next unnamed task still gets CPython's number.
        with tempfile.TemporaryDirectory() as d:
            prog = os.path.join(d, "names.py")
            with open(prog, "w") as f:
                f.write("import asyncio\n"
                        "async def job():\n"
                        "    await asyncio.sleep(0)\n"
                        "async def main():\n"
                        "    a = asyncio.create_task(job(), name='hotel')\n"
                        "    async with asyncio.TaskGroup() as tg:\n"
                        "        tg.create_task(job(), name='car')\n"
                        "    b = asyncio.create_task(job())\n"
                        "    await asyncio.gather(a, b)\n"
                        "    print(a.get_name(), b.get_name())\n"
                        "asyncio.run(main())\n")
            rc, out, _, trace = record(prog)
            plain = subprocess.run([sys.executable, prog], capture_output=True, text=True,
                                   timeout=60)
        self.assertEqual((rc, out), (0, plain.stdout))
        self.assertEqual(out, "hotel Task-4\n")
        names = [f["name"] for _, _, k, f in events(trace) if k == "task_new"]
        self.assertEqual(names[:4], ['"Task-1"', '"hotel"', '"car"', '"Task-4"'])

    def test_queue_items_are_recorded_as_the_c_side_records_them(self):
        # Format 1.6: put and get carry the item's repr.  The twin of lesson 12
        # moves the same items, in the same order, as the C lesson's golden.
        _, _, _, trace = record("lessons/12-queue/lesson.py")
        py = [(f["op"], f["item"]) for _, _, k, f in events(trace)
              if k == "sync" and f["op"] in ("put", "get")]
        with open(os.path.join(ROOT, "tests", "golden", "12-queue.trace"), encoding="utf-8") as g:
            c = [(f["op"], f["item"]) for _, _, k, f in events(g.read())
                 if k == "sync" and f["op"] in ("put", "get")]
        self.assertTrue(py, "no put or get recorded")
        self.assertEqual(py, c)

    def test_primitives_are_recorded_as_the_c_side_records_them(self):
        # Every operation on the Semaphore of lesson 11, the queue of lesson
        # 12 and the locks of lesson 22, with its counts, as in the C
        # lessons' golden traces: a Semaphore's release says its counter
        # before it hands the unit on (1), then the wake (0); a queue's put
        # or get that hands a waiter its turn is followed by a wake; a
        # cancelled waiter gives up; waiters are counted on their lists, a
        # cancelled one until it has left.  The Event asyncio's Queue makes
        # for join() is its own: no sync_new, no sync of it.
        ops = set()
        for slug in ("11-semaphore", "12-queue", "22-pitfalls"):
            with self.subTest(slug):
                _, _, _, trace = record("lessons/%s/lesson.py" % slug)
                ev = events(trace)
                path = os.path.join(ROOT, "tests", "golden", slug + ".trace")
                with open(path, encoding="utf-8") as g:
                    gold = events(g.read())
                for kind, keys in (("sync_new", ("kind", "value")),
                                   ("sync", ("op", "value", "waiters"))):
                    py = [(t,) + tuple(f[k] for k in keys) for _, t, k, f in ev if k == kind]
                    c = [(t,) + tuple(f[k] for k in keys) for _, t, k, f in gold if k == kind]
                    self.assertTrue(py)
                    self.assertEqual(py, c)
                ops |= {f["op"] for _, _, k, f in ev if k == "sync"}
        self.assertTrue({"wake", "give_up", "release", "join", "task_done"} <= ops, ops)

    def test_blocking_sleep_and_socket_bytes(self):
        _, _, _, trace = record("lessons/14-blocking-the-loop/lesson.py", clock="real")
        blocking = [(t, f["for"], f["at"]) for _, t, k, f in events(trace) if k == "blocking"]
        self.assertEqual(blocking, [("1:Task-1", "1.000000000",
                                     "lessons/14-blocking-the-loop/lesson.py:11")])
        with tempfile.TemporaryDirectory() as d:
            prog = os.path.join(d, "echo.py")
            with open(prog, "w") as f:
                f.write("import asyncio\n"
                        "async def serve(r, w):\n"
                        "    w.write(await r.readline())\n"
                        "    await w.drain()\n"
                        "    w.close()\n"
                        "async def main():\n"
                        "    srv = await asyncio.start_server(serve, '127.0.0.1', 0)\n"
                        "    port = srv.sockets[0].getsockname()[1]\n"
                        "    r, w = await asyncio.open_connection('127.0.0.1', port)\n"
                        "    w.write(b'hello\\n')\n"
                        "    print((await r.readline()).decode().strip())\n"
                        "    w.close()\n"
                        "    srv.close()\n"
                        "asyncio.run(main())\n")
            rc, out, _, trace = record(prog, clock="real")
        self.assertEqual((rc, out), (0, "hello\n"))
        ev = events(trace)
        roles = sorted(f["role"] for _, _, k, f in ev if k == "io_new")
        self.assertEqual(roles, ["client", "listener", "server"])
        moved = [(f["op"], f.get("bytes")) for _, _, k, f in ev if k == "io"]
        self.assertEqual(moved.count(("write", "6")), 2)
        self.assertEqual(moved.count(("read", "6")), 2)
        reads = [f for _, _, k, f in ev if k == "wait" and f["on"] == "io"]
        self.assertTrue(any(f.get("op") == "read" for f in reads))

    def test_time_never_goes_backwards_within_a_loop(self):
        _, _, _, trace = record("lessons/23-several-loops/lesson.py", clock="real")
        last = {}
        for line in trace.splitlines():
            if line.startswith(("@", "looplab-trace")):
                continue
            m = re.search(r" loop=(\d+)", line)
            loop = m.group(1) if m else "1"
            t = float(line.split()[0])
            self.assertGreaterEqual(t, last.get(loop, 0.0), line)
            last[loop] = t
        self.assertIn("2", last, "the second loop's lines carry loop=2")

    def test_stderr_lines_are_recorded_and_still_shown(self):
        with tempfile.TemporaryDirectory() as d:
            prog = os.path.join(d, "p.py")
            with open(prog, "w") as f:
                f.write("import asyncio, sys\n"
                        "async def main():\n"
                        "    print('to err', file=sys.stderr)\n"
                        "    print('a', end='')\n"
                        "    print('b')\n"
                        "asyncio.run(main())\n")
            rc, out, err, trace = record(prog)
        self.assertEqual((rc, out, err), (0, "ab\n", "to err\n"))
        texts = [(t, f["text"]) for _, t, k, f in events(trace) if k == "print"]
        self.assertEqual(texts, [("1:Task-1", '"to err"'), ("1:Task-1", '"ab"')])


@unittest.skipUnless(os.access(CLI, os.X_OK), f"looplab is not built ({CLI})")
class LooplabRunPython(unittest.TestCase):
    """`looplab run X.py`: bad programs keep their trace and say what happened."""

    def run_cli(self, body, *opts, timeout=60, plain=None):
        with tempfile.TemporaryDirectory() as d:
            prog = os.path.join(d, "prog.py")
            with open(prog, "w") as f:
                f.write(body)
            trace = os.path.join(d, "t.trace")
            p = subprocess.run([CLI, "run", "--trace", trace, *opts, prog],
                               capture_output=True, text=True, cwd=ROOT, timeout=timeout)
            with open(trace, encoding="utf-8") as f:
                text = f.read()
            st = subprocess.run([CLI, "stats", trace], capture_output=True, text=True)
            self.assertEqual(st.returncode, 0, st.stderr)
            if plain is not None:  # the same program without the recorder
                plain.append(subprocess.run([sys.executable, prog], capture_output=True,
                                            text=True, cwd=ROOT, timeout=timeout))
            return p, text

    def test_a_lesson_twin_runs_with_its_output_and_trace(self):
        with tempfile.TemporaryDirectory() as d:
            trace = os.path.join(d, "t.trace")
            p = subprocess.run([CLI, "run", "--trace", trace, "lessons/01-hello-gather/lesson.py"],
                               capture_output=True, text=True, cwd=ROOT)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(ROOT, "lessons/01-hello-gather/expected.txt")) as f:
                self.assertEqual(p.stdout, f.read())
            self.assertRegex(p.stderr, r"trace: \d+ events -> ")
            with open(trace) as f:
                text = f.read()
        self.assertIn('@lesson "01-hello-gather"', text)
        self.assertRegex(text, r'run_end +how=closed detail="exited with status 0"\n@end')

    def test_a_twin_with_threads_runs_on_the_real_clock_unless_told(self):
        with tempfile.TemporaryDirectory() as d:
            trace = os.path.join(d, "t.trace")
            for opts, clock in (([], "real"), (["--clock", "virtual"], "virtual")):
                p = subprocess.run([CLI, "run", "--trace", trace, *opts,
                                    "lessons/14-blocking-the-loop/lesson.py"],
                                   capture_output=True, text=True, cwd=ROOT, timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr)
                with open(trace) as f:
                    self.assertIn('@clock "%s"' % clock, f.read())

    def test_syntax_error(self):
        p, trace = self.run_cli("import asyncio\nasync def main(:\n    pass\n")
        self.assertEqual(p.returncode, 1)
        self.assertIn("SyntaxError", p.stderr)
        self.assertIn("prog.py exited with status 1", p.stderr)
        self.assertRegex(trace, r'print +text="SyntaxError: ')
        self.assertRegex(trace, r"run_end +how=exited code=1 ")

    def test_exception_at_import_keeps_the_output_before(self):
        p, trace = self.run_cli("print('before')\nraise ValueError('at import')\n")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "before\n")
        self.assertIn('line 2, in <module>\n    raise ValueError', p.stderr)
        self.assertIn("ValueError: at import", p.stderr)
        self.assertRegex(trace, r'print +text="before"')
        self.assertRegex(trace, r'warn +kind=main_failed text="ValueError: at import"')

    def test_exception_in_a_task_prints_as_python_prints_it(self):
        plain = []
        p, trace = self.run_cli("import asyncio\n"
                                "async def boom():\n"
                                "    await asyncio.sleep(1)\n"
                                "    raise KeyError('k')\n"
                                "asyncio.run(boom())\n", plain=plain)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(plain[0].returncode, 1)
        # Python's own traceback, line for line, then looplab's words.
        self.assertTrue(p.stderr.startswith(plain[0].stderr),
                        f"under the recorder:\n{p.stderr}\nplain:\n{plain[0].stderr}")
        self.assertNotIn("looplab_trace", p.stderr)
        self.assertNotIn("in __step", p.stderr)
        self.assertIn("line 4, in boom", p.stderr)
        self.assertRegex(trace, r'1:Task-1 +failed +error=KeyError message="\'k\'"')
        self.assertRegex(trace, r"run_end +how=closed code=1 ")

    def test_a_program_that_never_returns_stops_at_the_timeout(self):
        p, trace = self.run_cli("import asyncio\n"
                                "async def main():\n"
                                "    print('spinning', flush=True)\n"
                                "    while True:\n"
                                "        await asyncio.sleep(0.01)\n"
                                "asyncio.run(main())\n", "--timeout", "4", timeout=60)
        # (4 s and a hundred steps a second: on a loaded machine Python and
        # the recorder may take a second or two just to start.)
        self.assertEqual(p.returncode, 124)
        self.assertIn("did not finish within 4 s", p.stderr)
        self.assertRegex(trace, r'run_end +how=signal code=15 detail="SIGTERM"\n@end')
        self.assertGreater(trace.count(" run "), 10)

    def test_os_exit_keeps_what_happened_before(self):
        p, trace = self.run_cli("import asyncio, os\n"
                                "async def main():\n"
                                "    print('bye', flush=True)\n"
                                "    await asyncio.sleep(1)\n"
                                "    os._exit(3)\n"
                                "asyncio.run(main())\n")
        self.assertEqual(p.returncode, 3)
        self.assertRegex(trace, r'print +text="bye"')
        self.assertRegex(trace, r"1\.000000000  1:Task-1 +run ")
        self.assertRegex(trace, r"run_end +how=exited code=3 ")

    def test_python_is_chosen_with_the_option(self):
        p, _ = self.run_cli("import sys\nprint(sys.executable)\n", "--python", sys.executable)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), sys.executable)
        p = subprocess.run([CLI, "run", "--python", "/nonexistent/python3", "--no-trace",
                            "lessons/01-hello-gather/lesson.py"], capture_output=True, text=True,
                           cwd=ROOT)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("/nonexistent/python3", p.stderr)

    def test_an_unsupported_python_is_refused_with_exit_2(self):
        old = "/usr/bin/python2.7" if os.path.exists("/usr/bin/python2.7") else None
        for v in ("3.10", "3.9"):
            cand = os.path.expanduser(f"~/.pyenv/versions")
            if os.path.isdir(cand):
                for name in sorted(os.listdir(cand)):
                    if name.startswith(v + "."):
                        old = os.path.join(cand, name, "bin", "python3")
                        break
            if old:
                break
        if not old or not os.access(old, os.X_OK):
            self.skipTest("no Python older than 3.11 here")
        p = subprocess.run([old, "-m", "looplab_trace", "lessons/01-hello-gather/lesson.py"],
                           capture_output=True, text=True, cwd=ROOT,
                           env=dict(os.environ, PYTHONPATH=PYDIR))
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("is not supported", p.stderr)


if __name__ == "__main__":
    unittest.main()
