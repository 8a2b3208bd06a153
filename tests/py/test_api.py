"""The public API's headers and its documentation, checked against each other.

- <looplab.h> and the headers it includes compile in strict C11 and in C++
  (tests/progs/api_c11.c, tests/progs/api_cxx.cpp);
- no public header declares an `ll__` function: those live in
  include/looplab/detail.h (not API), or in src/;
- docs/asyncio-mapping.md is the complete table: every public name of the
  headers appears in it, and every `ll_`/`LL_` name it (or README.md, or
  another page of docs/) mentions is declared in include/ (or, for the
  pages about the inside, architecture.md and trace-format.md, in src/).

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


def internal_names():
    """The names src/'s headers hold: the pages about Looplab's inside
    (architecture, the trace format) may name them."""
    names = set()
    for path in glob.glob(os.path.join(ROOT, "src", "**", "*.h"), recursive=True):
        names |= {m.group(1) for m in NAME.finditer(code_of(path))}
    return names


def mentioned(path, without_gone=False):
    """(names, prefixes) a document mentions; without_gone leaves out the
    "Migrating from 0.1" section, which names what 0.2 removed."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if without_gone:
        text = re.sub(r"^## Migrating from 0\.1\n.*?(?=^## |\Z)", "", text, flags=re.M | re.S)
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


class Mapping(unittest.TestCase):
    def test_every_public_name_is_in_the_mapping(self):
        names, _ = mentioned(MAPPING)
        missing = sorted(declared_names() - names)
        self.assertEqual(missing, [], "docs/asyncio-mapping.md does not mention these "
                         "public names of include/: " + ", ".join(missing))

    def check_declared(self, path, inside=False):
        declared = declared_names() | (internal_names() if inside else set())
        names, prefixes = mentioned(path, without_gone=True)
        unknown = sorted(n for n in names if n not in declared)
        self.assertEqual(unknown, [], "%s names what include/ does not declare: %s"
                         % (os.path.relpath(path, ROOT), ", ".join(unknown)))
        for p in sorted(prefixes):
            self.assertTrue(any(n.startswith(p) for n in declared),
                            "%s: no public name begins %s" % (os.path.relpath(path, ROOT), p))

    def test_every_name_the_mapping_mentions_is_declared(self):
        self.check_declared(MAPPING)

    def test_every_name_the_readme_and_docs_mention_is_declared(self):
        pages = [os.path.join(ROOT, "README.md")] + sorted(
            p for p in glob.glob(os.path.join(ROOT, "docs", "*.md"))
            if os.path.basename(p) != "asyncio-mapping.md")
        for path in pages:
            # these describe src/ too (the recorder, the scheduler, the models)
            inside = os.path.basename(path) in ("architecture.md", "trace-format.md",
                                                "models.md")
            with self.subTest(page=os.path.relpath(path, ROOT)):
                self.check_declared(path, inside)


if __name__ == "__main__":
    unittest.main()
