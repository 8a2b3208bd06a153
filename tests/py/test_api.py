"""The public API's headers and its documentation, checked against each other.

- <looplab.h> and the headers it includes compile in strict C11 and in C++
  (tests/progs/api_c11.c, tests/progs/api_cxx.cpp);
- no public header declares an `ll__` function: those live in
  include/looplab/detail.h (not API), or in src/;
- docs/asyncio-mapping.md is the complete table: every public name of the
  headers appears in it, and every `ll_`/`LL_` name it (or README.md, or
  another page of docs/) mentions is declared in include/.

Run by `meson test` (suite api), which passes the C and C++ compilers in
LL_CC and LL_CXX; stdlib only."""

import glob
import os
import re
import shlex
import shutil
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INCLUDE = os.path.join(ROOT, "include")
DETAIL = os.path.join(INCLUDE, "looplab", "detail.h")
MAPPING = os.path.join(ROOT, "docs", "asyncio-mapping.md")

# A public name: ll_word or LL_WORD, not the ll__/LL__ of the internals.
# A name followed by * or … stands for every name it begins (ll_arg_*).
NAME = re.compile(r"\b((?:ll|LL)_(?!_)[A-Za-z0-9_]*)(\*|…)?")


def public_headers():
    """looplab.h and looplab/*.h but detail.h."""
    extra = sorted(glob.glob(os.path.join(INCLUDE, "looplab", "*.h")))
    return [os.path.join(INCLUDE, "looplab.h")] + [p for p in extra if p != DETAIL]


def code_of(path):
    """The file's text without its comments."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def declarations(path):
    """The file's code without preprocessor lines (continuations joined):
    what is left is declarations and inline function bodies."""
    code = code_of(path).replace("\\\n", " ")
    return "\n".join(l for l in code.split("\n") if not l.lstrip().startswith("#"))


def declared_names():
    """Every public name the headers' code holds, with the error codes
    LL_ERRNO_MAP makes (LL_E##name)."""
    names = set()
    for path in public_headers():
        code = code_of(path)
        names |= {m.group(1) for m in NAME.finditer(code)}
        names |= {"LL_E" + n for n in re.findall(r"^\s*X\(([A-Z_]+),", code, flags=re.M)}
    names.discard("LL_E")  # the LL_E##name of the X-macro
    return names


def mentioned(path):
    """(names, prefixes) a document mentions."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    names, prefixes = set(), set()
    for m in NAME.finditer(text):
        # ll_arg_*, LL_E… and a bare ll_ stand for the names they begin
        prefix = m.group(2) or m.group(1).endswith("_")
        (prefixes if prefix else names).add(m.group(1))
    return names, prefixes


class Headers(unittest.TestCase):
    def test_no_public_header_declares_an_internal_function(self):
        for path in public_headers():
            decls = declarations(path)
            found = sorted(set(re.findall(r"\b(ll__\w+)\s*\(", decls)))
            self.assertEqual(found, [], "%s declares or defines %s: move them to "
                             "include/looplab/detail.h (or src/ when only the library "
                             "calls them)" % (os.path.relpath(path, ROOT), ", ".join(found)))

    def test_detail_h_is_where_the_macros_functions_are(self):
        decls = declarations(DETAIL)
        for name in ("ll__coro_newv", "ll__sleep", "ll__try_fail", "ll__stream_read",
                     "ll__db_query", "ll__file_open", "ll__session_get"):
            self.assertRegex(decls, r"\b%s\s*\(" % name)

    def test_no_public_header_has_internal_fields(self):
        for path in public_headers():
            with open(path, encoding="utf-8") as f:
                text = f.read()
            self.assertNotIn("(internal)", text, os.path.relpath(path, ROOT))
            self.assertNotRegex(code_of(path), r"struct\s+ll__\w+",
                                os.path.relpath(path, ROOT))

    def compile(self, env, default, src, flags):
        cmd = shlex.split(os.environ.get(env, "")) or ([default] if shutil.which(default) else [])
        if not cmd:
            self.skipTest("no %s compiler (%s unset, no %s)" % (default, env, default))
        full = cmd + flags + ["-Wall", "-Wextra", "-Werror", "-pedantic", "-I", INCLUDE,
                              "-fsyntax-only", os.path.join(ROOT, "tests", "progs", src)]
        r = subprocess.run(full, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, "%s\n%s%s" % (" ".join(full), r.stdout, r.stderr))

    def test_a_program_including_only_looplab_h_compiles_as_strict_c11(self):
        self.compile("LL_CC", "cc", "api_c11.c", ["-std=c11"])

    def test_the_headers_compile_as_cplusplus(self):
        self.compile("LL_CXX", "c++", "api_cxx.cpp", ["-std=c++11"])


if __name__ == "__main__":
    unittest.main()
