"""The exercises (exercises/NN-slug) and `looplab check`, as a student uses them.

For every exercise, in Python and in C: the starter runs but fails exactly
the checks listed in STARTER_FAILS (the same ones in both languages), and
the solution passes them all.  Typical wrong answers (tests/exercises-wrong/)
fail the check their header names, with the hint a teacher would give.  The
checks language refuses bad lines with FILE:LINE; `looplab check` says what
is wrong for a missing exercise, a missing file, a C program that does not
compile and a Python program with a syntax error.

Run by `meson test` (suite exercises) with LOOPLAB_CLI set; stdlib only.
Programs run on the virtual clock, so the runs are quick and the same every
time; each C program is compiled once, by the command under test."""

import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXERCISES = os.path.join(ROOT, "exercises")
WRONG = os.path.join(ROOT, "tests", "exercises-wrong")
CLI = os.environ.get("LOOPLAB_CLI") or os.path.join(ROOT, "build", "src", "cli", "looplab")

# What each starter fails (the property as the report words it), in both
# languages.  Any other check must pass, so that the failures point at the
# one thing the exercise is about.
STARTER_FAILS = {
    "01-concurrent-sleeps": ["the run takes at most 1 s", "3 tasks wait on sleep at the same time"],
    "02-three-at-a-time": ["at most 3 tasks wait on sleep at once"],
    "03-unfreeze-the-heartbeat": [
        "the loop is never blocked for more than 100 ms", "Task-1 waits on job",
        'prints in this order: "beat 0", "beat 1", "got report Q3"'],
    "04-timeout": ["the run takes at most 1 s", "cancelled: exactly slow",
                   'prints "slow: no quote within 1 s"', 'prints "quotes: [30, None, 80]"',
                   "some task waits on wait_for"],
    "05-queue-join": ["the run takes at most 1.5 s", "Task-1 waits on queue_join"],
    "06-deadlock": ["every task finishes with a result", 'prints "both transfers done"',
                    "the run takes at most 0.4 s", "at most 1 task waits on lock at once"],
    "07-never-awaited": ["no warning never_awaited", 'prints "db has 3 records"',
                         'prints in this order: "saved x", "saved y", "saved z", "db has"'],
    "08-taskgroup": ["cancelled: exactly flight car", "Task-1 waits on taskgroup",
                     'never prints "car: booked"'],
    "09-keep-the-order": ["prints \"results: ['/home', '/about', '/news', '/contact']\""],
    "10-start-before-await": [
        "the run takes at most 1.5 s", "2 tasks wait on sleep at the same time",
        'prints in this order: "tea: start", "coffee: start", "tea: ready"'],
    "11-two-sensors": [
        "the run takes at most 1.5 s", "2 tasks wait on sleep at the same time",
        'prints in this order: "a reading 0", "b reading 0", "a reading 1", "b reading 1"'],
    "12-return-exceptions": [
        "the program exits with status 0", 'prints in this order: "a: ok", "b: failed", "c: ok"',
        'prints "b: failed (ConnectionRefusedError: b is down)"', "no warning"],
}


def check(exercise, path, *extra, env=None):
    """Runs `looplab check EXERCISE PATH`: (exit status, stdout, stderr)."""
    args = [CLI, "check", exercise, path, "--python", sys.executable, *extra]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    return p.returncode, p.stdout, p.stderr


def verdicts(out):
    """{property: 'PASS' | 'FAIL'} from a report."""
    return {m.group(2): m.group(1) for m in re.finditer(r"^  (PASS|FAIL)  (.*)$", out, re.M)}


def exercise_dirs():
    return sorted(d for d in os.listdir(EXERCISES) if re.match(r"\d\d-", d))


def run_all(jobs):
    """Runs check(*job) for each job, two at a time: {job: result}."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {job: pool.submit(check, *job) for job in jobs}
        return {job: f.result() for job, f in futures.items()}


class Exercises(unittest.TestCase):
    results = None

    @classmethod
    def setUpClass(cls):
        jobs = [(x, os.path.join("exercises", x, f)) for x in exercise_dirs()
                for f in ("starter.py", "starter.c", "solution.py", "solution.c")]
        cls.results = run_all(jobs)

    def test_every_exercise_has_its_files(self):
        self.assertGreaterEqual(len(exercise_dirs()), 12)
        for x in exercise_dirs():
            for f in ("README.md", "meta.txt", "checks.txt", "starter.py", "starter.c",
                      "solution.py", "solution.c"):
                self.assertTrue(os.path.isfile(os.path.join(EXERCISES, x, f)), f"{x}/{f}")
            with open(os.path.join(EXERCISES, x, "README.md")) as f:
                readme = f.read()
            for part in ("## Goal", "## What to change", "## The misconception",
                         "## Hints", "looplab check"):
                self.assertIn(part, readme, f"{x}/README.md has no '{part}'")
            self.assertIn(x, STARTER_FAILS, f"{x}: say in STARTER_FAILS what its starter fails")
            # Every property comes with a hint.
            prop = None
            with open(os.path.join(EXERCISES, x, "checks.txt")) as f:
                for n, line in enumerate(f, 1):
                    line = line.strip()
                    if not line or line.startswith("#") or line.split()[0] in ("clock:",
                                                                                "timeout:"):
                        continue
                    if line.startswith("hint:"):
                        prop = None
                        continue
                    self.assertIsNone(prop, f"{x}/checks.txt: '{prop}' has no hint")
                    prop = line
            self.assertIsNone(prop, f"{x}/checks.txt: '{prop}' has no hint")

    def test_starters_fail_the_expected_checks(self):
        for x in exercise_dirs():
            for lang in ("py", "c"):
                with self.subTest(exercise=x, lang=lang):
                    rc, out, err = self.results[(x, os.path.join("exercises", x, "starter." + lang))]
                    self.assertEqual(rc, 1, out + err)
                    v = verdicts(out)
                    failed = sorted(k for k, s in v.items() if s == "FAIL")
                    self.assertEqual(failed, sorted(STARTER_FAILS[x]), out)
                    self.assertIn("hint 1/", out)
                    self.assertRegex(out, r"where: step \d+ \(\w+\) at \d+\.\d{3} s")
                    # A failure names the student's own line with its text.
                    self.assertRegex(out, r"line:  starter\.%s:\d+  \S" % lang)

    def test_solutions_pass(self):
        for x in exercise_dirs():
            for lang in ("py", "c"):
                with self.subTest(exercise=x, lang=lang):
                    rc, out, err = self.results[(x, os.path.join("exercises", x, "solution." + lang))]
                    self.assertEqual(rc, 0, out + err)
                    self.assertNotIn("FAIL", out)
                    self.assertIn("checks pass: exercise done.", out)

    def test_c_programs_compile_warnings_clean(self):
        # `looplab check` compiles with -std=c11 -Wall -Wextra and shows what
        # the compiler says: the exercises' own C says nothing.
        for x in exercise_dirs():
            for f in ("starter.c", "solution.c"):
                _, _, err = self.results[(x, os.path.join("exercises", x, f))]
                self.assertNotIn("warning:", err, f"{x}/{f}")

    def test_python_and_c_starters_fail_alike(self):
        for x in exercise_dirs():
            py = verdicts(self.results[(x, os.path.join("exercises", x, "starter.py"))][1])
            c = verdicts(self.results[(x, os.path.join("exercises", x, "starter.c"))][1])
            self.assertEqual(py, c, x)


class WrongAnswers(unittest.TestCase):
    """tests/exercises-wrong/NN-what.py|.c: a typical wrong answer to
    exercise NN.  Its header says what must fail and what the hint says:
        # expect-fail: PROPERTY      (C: // expect-fail: ...)
        # expect-hint: WORDS OF THE HINT"""

    def test_wrong_answers_fail_with_their_hint(self):
        files = sorted(f for f in os.listdir(WRONG) if f.endswith((".py", ".c")))
        self.assertGreaterEqual(len(files), 4)
        results = run_all([(f[:2], os.path.join(WRONG, f), "--hint", "9") for f in files])
        for f in files:
            with open(os.path.join(WRONG, f)) as fh:
                head = fh.read()
            fails = re.findall(r"expect-fail: (.*?)(?:\s*\*/)?$", head, re.M)
            hints = re.findall(r"expect-hint: (.*?)(?:\s*\*/)?$", head, re.M)
            self.assertTrue(fails and hints, f"{f}: no expect-fail / expect-hint line")
            rc, out, err = results[(f[:2], os.path.join(WRONG, f), "--hint", "9")]
            with self.subTest(answer=f):
                self.assertEqual(rc, 1, out + err)
                v = verdicts(out)
                for prop in fails:
                    self.assertEqual(v.get(prop.strip()), "FAIL", out)
                for hint in hints:
                    self.assertIn(hint.strip(), out)


class CheckCommand(unittest.TestCase):
    def test_missing_exercise(self):
        rc, out, err = check("99-nothing", "exercises/01-concurrent-sleeps/starter.py")
        self.assertEqual(rc, 2)
        self.assertIn("no exercise '99-nothing'", err)
        self.assertIn("looplab check --list", err)

    def test_missing_file(self):
        rc, out, err = check("1", "no/such/answer.py")
        self.assertEqual(rc, 2)
        self.assertIn("cannot read no/such/answer.py", err)

    def test_not_a_program(self):
        rc, out, err = check("1", "README.md")
        self.assertEqual(rc, 2)
        self.assertIn(".py", err)

    def test_c_compile_error(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "answer.c")
            with open(path, "w") as f:
                f.write("#include <looplab.h>\n\nstatic ll_value amain(LL_NOARGS) {\n"
                        "    ll_sleep(1.0)\n    return ll_none();\n}\n\n"
                        "int main(void) { return ll_run(ll_coro(amain)); }\n")
            rc, out, err = check("1", path)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"answer\.c:\d+:\d+: error")
        self.assertIn("does not compile", err)
        self.assertIn("nothing was run", err)
        self.assertNotIn("your program's output", out)
        self.assertNotIn("PASS", out)

    def test_c_warnings_do_not_stop_the_run(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "answer.c")
            with open(os.path.join(EXERCISES, "01-concurrent-sleeps", "solution.c")) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(text.replace("double start = ll_time();",
                                     "double start = ll_time();\n    int unused;"))
            rc, out, err = check("1", path)
        self.assertIn("unused", err)
        self.assertEqual(rc, 0, out + err)

    def test_python_syntax_error(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "answer.py")
            with open(path, "w") as f:
                f.write("import asyncio\n\nasync def main(:\n    pass\n\nasyncio.run(main())\n")
            rc, out, err = check("1", path)
        self.assertEqual(rc, 1)
        self.assertIn("SyntaxError", err)
        self.assertIn("did not start its event loop", out)
        self.assertNotIn("PASS", out)

    def test_list(self):
        p = subprocess.run([CLI, "check", "--list"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0)
        for x in exercise_dirs():
            self.assertRegex(p.stdout, r"(?m)^ +%d  " % int(x[:2]))
        p = subprocess.run([CLI, "list"], capture_output=True, text=True, timeout=30)
        self.assertIn("%d exercises" % len(exercise_dirs()), p.stdout)
        self.assertIn("looplab check --list", p.stdout)

    def test_keep_keeps_a_trace_the_viewer_reads(self):
        rc, out, _ = check("2", "exercises/02-three-at-a-time/starter.py", "--keep")
        self.assertEqual(rc, 1)
        m = re.search(r"The trace is kept: (\S+) ", out)
        self.assertTrue(m, out)
        trace = m.group(1)
        try:
            with open(trace) as f:
                text = f.read()
            self.assertTrue(text.startswith("looplab-trace "))
            # The step a failure names is that event of the trace.
            step = int(re.search(r"where: step (\d+) \((\w+)\)", out).group(1))
            kind = re.search(r"where: step \d+ \((\w+)\)", out).group(1)
            events = [l for l in text.splitlines() if l and l[0] == " "]
            self.assertEqual(events[step - 1].split()[2], kind)
            # ... and the command that opens the window there.
            self.assertIn("looplab view --at %d %s\n" % (step, trace), out)
        finally:
            os.unlink(trace)
            os.rmdir(os.path.dirname(trace))

    def test_help(self):
        p = subprocess.run([CLI, "check", "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0)
        self.assertIn("looplab check EXERCISE FILE.py|FILE.c", p.stdout)
        p = subprocess.run([CLI, "--help"], capture_output=True, text=True, timeout=30)
        self.assertIn("check EXERCISE FILE.py|FILE.c", p.stdout)

    def test_number_and_slug_name_the_same_exercise(self):
        for name in ("1", "01-concurrent-sleeps", "concurrent-sleeps"):
            rc, out, _ = check(name, "exercises/01-concurrent-sleeps/solution.py")
            self.assertEqual(rc, 0, name)
            self.assertIn("Exercise 1: ", out)


def checks_dir(d, text, files=None):
    """An exercises folder in d with one exercise, 01-x, whose checks are text."""
    x = os.path.join(d, "01-x")
    os.mkdir(x)
    with open(os.path.join(x, "checks.txt"), "w") as f:
        f.write(text)
    for name, body in (files or {}).items():
        with open(os.path.join(x, name), "w") as f:
            f.write(body)
    return dict(os.environ, LOOPLAB_EXERCISES=d)


class ChecksLanguage(unittest.TestCase):
    """A checks.txt with a bad line is refused, naming the file and line."""

    BAD = [
        ("total-time < 1", "write 'total-time <= SECONDS'"),
        ("total-time <= soon", "write 'total-time <= SECONDS'"),
        ("max-waiting nap 3", "unknown wait kind"),
        ("max-waiting sleep", "write 'max-waiting KIND N'"),
        ("finishes-fast", "unknown property"),
        ('prints "unclosed', "not closed"),
        ("prints bare", "double quotes"),
        ("order \"only one\"", "two texts at least"),
        ("no-warning loud", "unknown warning kind"),
        ("output missing.txt", "cannot read"),
        ("clock: sundial", "'virtual' or 'real'"),
        ("hint: orphan", "a hint must follow"),
        ("max-inside semaphore", "write 'max-inside NAME N'"),
    ]

    def test_max_inside_counts_the_holders_of_a_primitive(self):
        with tempfile.TemporaryDirectory() as d:
            env = checks_dir(d, "max-inside semaphore 3\nmax-inside semaphore 2\n"
                                "max-inside lock 1\n")
            for f in ("exercises/02-three-at-a-time/solution.py",
                      "exercises/02-three-at-a-time/solution.c"):
                rc, out, err = check("1", f, env=env)
                v = verdicts(out)
                self.assertEqual(v["at most 3 tasks hold semaphore at once"], "PASS", out)
                self.assertEqual(v["at most 2 tasks hold semaphore at once"], "FAIL", out)
                self.assertIn("3 tasks held semaphore at once here, more than 2", out)
                self.assertIn("no lock or semaphore is named lock", out)
            # One semaphore per fetch: ten holders at once.
            rc, out, err = check("1", os.path.join(WRONG, "02-semaphore-per-fetch.py"), env=env)
            self.assertEqual(verdicts(out)["at most 3 tasks hold semaphore at once"], "FAIL", out)

    def test_bad_lines_are_refused_with_file_and_line(self):
        for line, words in self.BAD:
            with self.subTest(line=line), tempfile.TemporaryDirectory() as d:
                x = os.path.join(d, "01-bad")
                os.mkdir(x)
                text = ("# a comment\nclock: virtual\n" + line + "\nall-done\n"
                        if not line.startswith("hint:") else line + "\nall-done\n")
                with open(os.path.join(x, "checks.txt"), "w") as f:
                    f.write(text)
                env = dict(os.environ, LOOPLAB_EXERCISES=d)
                rc, out, err = check("1", "exercises/01-concurrent-sleeps/solution.py", env=env)
                lineno = 3 if not line.startswith("hint:") else 1
                self.assertEqual(rc, 1, err)
                self.assertIn("checks.txt:%d: " % lineno, err)
                self.assertIn(words, err)

    def test_every_property_of_a_good_file(self):
        with tempfile.TemporaryDirectory() as d:
            x = os.path.join(d, "01-all")
            os.mkdir(x)
            with open(os.path.join(x, "expected.txt"), "w") as f:
                f.write("a: start\nb: start\nc: start\nb: done after 0.5 s\n"
                        "a: done after 1.0 s\nc: done after 1.0 s\n"
                        "got ['a', 'b', 'c'] in 1.0 s\n")
            with open(os.path.join(x, "checks.txt"), "w") as f:
                f.write("clock: virtual\ntimeout: 20\n"
                        "total-time <= 1.0\nmax-waiting sleep 3\nmin-waiting sleep 3\n"
                        "max-step 10\nall-done\ncancelled none\nno-warning\n"
                        "no-warning never_awaited\noutput expected.txt\n"
                        'prints "got"\norder "b: done" "a: done" "c: done"\n'
                        "waited Task-1 gather\nwaited download sleep\nnever-waited * job\n"
                        'result Task-1 "None"\nexits 0\n')
            env = dict(os.environ, LOOPLAB_EXERCISES=d)
            for lang in ("py", "c"):
                rc, out, err = check("1", "exercises/01-concurrent-sleeps/solution." + lang,
                                     env=env)
                self.assertEqual(rc, 0, out + err)
                self.assertEqual(len(verdicts(out)), 16, out)
            rc, out, err = check("1", "exercises/01-concurrent-sleeps/starter.py", env=env)
            v = verdicts(out)
            self.assertEqual(sorted(k for k, s in v.items() if s == "FAIL"),
                             sorted(["the run takes at most 1 s",
                                     "3 tasks wait on sleep at the same time",
                                     "prints the expected 7 lines",
                                     'prints in this order: "b: done", "a: done", "c: done"',
                                     "Task-1 waits on gather", "download waits on sleep"]), out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
