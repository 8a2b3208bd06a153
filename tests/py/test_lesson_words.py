"""The words of the lessons agree with their pictures, where a program can tell.

A lesson's narration (the notes in its trace) and its README's "What to
watch for" name moments: "at t = 0.6 s", "at 1.1 s".  Each such time must
be one the run shows: the clock of some event of the lesson's golden trace
(tests/golden/SLUG.trace), or a deadline it set (a timer's `when=`, a
wait's `until=`), which the waiting pane shows.  A note that says "at 0.1 s"
while the clock reads 0.600 s fails here, naming the lesson and the words.

Run by `meson test` (suite lessons); stdlib only."""

import os
import re
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIME = re.compile(r"(?:t = |at |until )([0-9]+(?:\.[0-9]+)?) ?s\b")


def golden_slugs():
    d = os.path.join(ROOT, "tests", "golden")
    return sorted(f[:-6] for f in os.listdir(d) if f.endswith(".trace"))


def shown_times(trace):
    """Every clock reading and deadline in a text trace, to the ms."""
    times = set()
    for line in trace.splitlines():
        m = re.match(r"\s+([0-9]+\.[0-9]+)\s", line)
        if m:
            times.add(round(float(m.group(1)), 3))
        for d in re.findall(r"\b(?:when|until)=([0-9]+\.[0-9]+)", line):
            times.add(round(float(d), 3))
    return times


def watch_section(readme):
    """The README's "What to watch for" section (the rest is hypotheticals:
    exercises and their answers)."""
    m = re.search(r"## What to watch for\n(.*?)(?:\n## |\Z)", readme, re.S)
    return m.group(1) if m else ""


class LessonWords(unittest.TestCase):
    def test_every_time_a_lesson_names_is_one_its_run_shows(self):
        for slug in golden_slugs():
            with self.subTest(lesson=slug):
                with open(os.path.join(ROOT, "tests", "golden", slug + ".trace"),
                          encoding="utf-8") as f:
                    trace = f.read()
                with open(os.path.join(ROOT, "lessons", slug, "README.md"),
                          encoding="utf-8") as f:
                    readme = f.read()
                times = shown_times(trace)
                texts = [("note", n) for n in re.findall(r' note +text="(.*?)" at=', trace)]
                texts.append(("README, What to watch for", watch_section(readme)))
                for where, text in texts:
                    for m in TIME.finditer(text):
                        t = round(float(m.group(1)), 3)
                        self.assertIn(t, times,
                                      f"lessons/{slug} {where} says {m.group(0)!r} "
                                      f"(...{text[max(0, m.start() - 50):m.end() + 20]}...), "
                                      f"but nothing in its run happens or is due at {t} s")

    def test_a_times_checker_that_passes_everything_would_fail_here(self):
        times = shown_times("   0.600000000  2:Task-2  failed  error=X\n"
                            "   0.000000000  2:Task-2  wait  on=sleep until=0.100000000\n")
        self.assertEqual(times, {0.6, 0.0, 0.1})
        self.assertEqual([m.group(1) for m in TIME.finditer("failed at 0.3 s, t = 2 s")],
                         ["0.3", "2"])


if __name__ == "__main__":
    unittest.main()
