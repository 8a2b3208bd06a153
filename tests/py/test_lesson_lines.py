"""scripts/lesson-lines: what counts as a line of a lesson's C and Python.

The ratio it prints is how issue 19's "C reads like its Python line for
line" is measured, so the counting rules are tested here: comments, lone
closing braces and narration (ll_note) do not count; statements, `} else {`
and strings that look like comments do.

Run by `meson test` (suite lessons); stdlib only."""

import importlib.machinery
import importlib.util
import io
import os
import unittest
import unittest.mock
from contextlib import redirect_stdout

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load():
    path = os.path.join(ROOT, "scripts", "lesson-lines")
    loader = importlib.machinery.SourceFileLoader("lesson_lines", path)
    spec = importlib.util.spec_from_loader("lesson_lines", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


class LessonLines(unittest.TestCase):
    def setUp(self):
        self.ll = load()

    def test_comments_and_closers_do_not_count(self):
        src = ("/* a header\n * comment */\n#include <looplab.h>\n\n"
               "static ll_value f(ll_value a) { // trailing\n"
               "    if (a.i) {\n        ll_print(\"x\");\n    } else {\n"
               "        ll_print(\"y\");\n    }\n    return a;\n}\n")
        # include, f, if, print, else, print, return
        self.assertEqual(self.ll.c_lines(src), 7)

    def test_notes_do_not_count_and_strings_stay(self):
        src = ('ll_note("one (with a paren) "\n        "two; and a \\" quote");\n'
               'll_print("/* not a comment */");\n'
               'x = 1; ll_note("inline");\n')
        self.assertEqual(self.ll.c_lines(src), 2)

    def test_python_lines(self):
        src = "# comment\nimport asyncio\n\n\nasync def main():\n    # c\n    pass\n"
        self.assertEqual(self.ll.py_lines(src), 3)

    def test_every_lesson_is_counted_and_limit_is_enforced(self):
        out = io.StringIO()
        with redirect_stdout(out):
            rc = self.ll.main(["--max", "100"])
        self.assertEqual(rc, 0)
        rows = out.getvalue().splitlines()
        self.assertEqual(len(rows), 2 + len(self.ll.lessons()))
        self.assertTrue(rows[-1].startswith("total"))
        with redirect_stdout(io.StringIO()), \
                unittest.mock.patch("sys.stderr", io.StringIO()) as err:
            rc = self.ll.main(["--max", "0.1", "01-hello-gather"])
        self.assertEqual(rc, 1)
        self.assertIn("01-hello-gather", err.getvalue())


if __name__ == "__main__":
    unittest.main()
