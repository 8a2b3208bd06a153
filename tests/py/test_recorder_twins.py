"""The recorder does not change what a program does: every lesson twin
(lessons/*/lesson.py) and every asyncio program in tests/py prints the same
under `python3 -m looplab_trace` as without it, and the C reader takes the
trace.

Virtual-clock programs are compared with tests/py/vloop.py (the same virtual
clock, no recorder), standard output and standard error both.  Programs with
threads, processes or sockets (meta.txt "twin: real", or a tests/py program
that starts threads) run on the real clock on both sides, standard output
only, "took N s" masked, up to three tries (a loaded machine can print a
late wake-up once; a real difference shows every time).  Twins that need
aiohttp run on /usr/bin/python3 ("python: system") and are skipped, saying
why, where it cannot import aiohttp.  Run by `meson test` (suite python);
stdlib unittest only."""

import glob
import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYDIR = os.path.join(ROOT, "python")
VLOOP = os.path.join(ROOT, "tests", "py", "vloop.py")
CLI = os.environ.get("LOOPLAB_CLI") or os.path.join(ROOT, "build", "src", "cli", "looplab")
SUPPORTED = ("3.11", "3.12", "3.13")


def meta(path):
    m = os.path.join(os.path.dirname(path), "meta.txt")
    if not os.path.exists(m):
        return ""
    with open(m) as f:
        return f.read()


def uses_threads(path):
    with open(path) as f:
        src = f.read()
    return bool(re.search(r"\bthreading\b|to_thread|run_in_executor|Executor", src))


def mask(s):
    return re.sub(r"took [0-9.]+ s", "took ~ s", s)


def run(argv, env=None, timeout=120):
    e = dict(os.environ, PYTHONPATH=PYDIR, **(env or {}))
    e.pop("LOOPLAB_TRACE", None)
    p = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=e, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class TwinsPrintTheSame(unittest.TestCase):
    maxDiff = None

    def check(self, path, python=sys.executable):
        real = "twin: real" in meta(path) or (
            "/lessons/" not in path and uses_threads(path))
        with tempfile.TemporaryDirectory() as d:
            trace = os.path.join(d, "t.trace")
            rec = [python, "-m", "looplab_trace", "--trace", trace]
            if real:
                for attempt in range(3):
                    a = run([python, path])
                    b = run(rec + ["--clock", "real", path])
                    if (a[0], mask(a[1])) == (b[0], mask(b[1])):
                        break
                self.assertEqual((b[0], mask(b[1])), (a[0], mask(a[1])))
            else:
                a = run([python, VLOOP, path])
                b = run(rec + [path])
                # vloop.py runs the file by the name it was given, Python
                # itself (and the recorder) by its absolute path: tracebacks
                # and reprs name it so.
                absolute = os.path.join(ROOT, path)
                self.assertEqual((b[0], b[1], b[2].replace(absolute, path)), a)
            if os.access(CLI, os.X_OK):
                st = subprocess.run([CLI, "stats", trace], capture_output=True, text=True)
                self.assertEqual(st.returncode, 0, f"{path}: {st.stderr}")

    def test_lesson_twins(self):
        for path in sorted(glob.glob(os.path.join(ROOT, "lessons", "*", "lesson.py"))):
            rel = os.path.relpath(path, ROOT)
            with self.subTest(twin=rel):
                python = sys.executable
                if "python: system" in meta(path):
                    python = "/usr/bin/python3"
                    ok = subprocess.run([python, "-c", "import aiohttp"],
                                        capture_output=True).returncode == 0
                    if not ok:
                        self.skipTest(f"{rel}: /usr/bin/python3 cannot import aiohttp "
                                      "(python3-aiohttp, installed by scripts/setup)")
                self.check(rel, python)

    def test_tests_py_programs(self):
        for path in sorted(glob.glob(os.path.join(ROOT, "tests", "py", "*.py"))):
            name = os.path.basename(path)
            if name.startswith("test_") or name == "vloop.py":
                continue
            rel = os.path.relpath(path, ROOT)
            with self.subTest(program=rel):
                self.check(rel)

    def test_other_supported_pythons(self):
        """3.12 and 3.13 where present (pyenv): a few twins each."""
        found = []
        base = os.path.expanduser("~/.pyenv/versions")
        if os.path.isdir(base):
            for v in SUPPORTED:
                names = sorted(n for n in os.listdir(base) if n.startswith(v + "."))
                if names:
                    exe = os.path.join(base, names[-1], "bin", "python3")
                    if os.access(exe, os.X_OK) and os.path.realpath(exe) != \
                            os.path.realpath(sys.executable):
                        found.append(exe)
        if not found:
            self.skipTest("no other supported CPython here")
        for exe in found:
            for rel in ("lessons/03-sequential-vs-concurrent/lesson.py",
                        "lessons/10-cancellation/lesson.py", "lessons/22-pitfalls/lesson.py",
                        "tests/py/awaitables.py", "tests/py/sync_barrier.py"):
                with self.subTest(python=exe, program=rel):
                    self.check(rel, exe)


if __name__ == "__main__":
    unittest.main()
