"""scripts/pymap: the C -> Python line maps of the lessons.

The map a lesson ships must match what its two sources give, and when a
lesson's C changes (issue 19 will rewrite every lesson against a new API)
`scripts/pymap --check` must name each stale entry, not just fail.

Run by `meson test` (suite lessons); stdlib only."""

import importlib.machinery
import importlib.util
import os
import shutil
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_pymap():
    path = os.path.join(ROOT, "scripts", "pymap")
    loader = importlib.machinery.SourceFileLoader("pymap", path)
    spec = importlib.util.spec_from_loader("pymap", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


class PyMap(unittest.TestCase):
    def setUp(self):
        self.pymap = load_pymap()
        self.tmp = tempfile.mkdtemp(prefix="looplab-pymap-")
        shutil.copytree(os.path.join(ROOT, "lessons", "05-three-counters"),
                        os.path.join(self.tmp, "lessons", "05-three-counters"))
        self.pymap.ROOT = self.tmp
        self.c = os.path.join(self.tmp, "lessons", "05-three-counters", "lesson.c")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_the_shipped_map_matches_its_sources(self):
        self.assertEqual(self.pymap.check("05-three-counters"), [])

    def test_key_lines_map_to_their_python_twins(self):
        out, c, py = self.pymap.build("05-three-counters")
        pairs = {c[k - 1].strip(): py[v - 1].strip() for k, v in out.items()}
        # Looked up by what the line starts with or holds: a trailing
        # comment or a new argument list must not break the test.
        def line(text):
            return next(k for k in pairs if k.startswith(text) or text in k)
        self.assertEqual(pairs[line("static ll_value count(")], "async def count():")
        self.assertEqual(pairs[line('ll_print("Two");')], 'print("Two")')
        self.assertEqual(pairs[line("return ll_run(ll_coro(amain")], "asyncio.run(main())")
        self.assertEqual(pairs[line("ll_sleep(1)")], "await asyncio.sleep(1)")

    def test_a_changed_lesson_names_each_stale_entry(self):
        with open(self.c, encoding="utf-8") as f:
            lines = f.read().split("\n")
        at = next(i for i, s in enumerate(lines) if 'll_print("One");' in s)
        lines.insert(at, '    ll_print("Zero");')  # everything below moves down
        with open(self.c, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        bad = self.pymap.check("05-three-counters")
        self.assertTrue(any("lesson.c:" in b and "stale" in b for b in bad), bad)
        self.assertTrue(any("run scripts/pymap 05-three-counters" in b for b in bad), bad)
        # writing the map again makes it current
        self.pymap.main(["05-three-counters"])
        self.assertEqual(self.pymap.check("05-three-counters"), [])

    def test_an_entry_past_the_file_is_refused_with_its_line(self):
        path = os.path.join(self.tmp, "lessons", "05-three-counters", "pymap.txt")
        with open(path, "a", encoding="utf-8") as f:
            f.write("999 1\n")
        bad = self.pymap.check("05-three-counters")
        self.assertTrue(any("999 -> 1 points past lesson.c" in b for b in bad), bad)


if __name__ == "__main__":
    unittest.main()
