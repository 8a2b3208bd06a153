"""The layering docs/architecture.md describes, checked from the sources.

Every layer includes only the layers below it (include/ and src/core at the
bottom, then src/trace, src/sched, src/io, and the tools on top); the files
compiled into liblooplab include nothing of the tools' side of the trace
(the reader and the exports); and every path under src/ that a header or a
doc names is a file or folder that exists.

Run by `meson test` (suite layers); stdlib only."""

import glob
import os
import re
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Who may include whom: a file in the key's folder may include headers from
# these folders only.
MAY_INCLUDE = {
    "include": {"include"},
    "src/core": {"include", "src/core"},
    "src/trace": {"include", "src/core", "src/trace"},
    "src/sched": {"include", "src/core", "src/trace", "src/sched"},
    "src/io": {"include", "src/core", "src/trace", "src/sched", "src/io"},
    "src/view": {"include", "src/core", "src/trace", "src/sched", "src/io", "src/view"},
    "src/cli": {"include", "src/core", "src/trace", "src/sched", "src/io", "src/view",
                "src/cli"},
}

# The tools' side of the trace, which a lesson does not link.
TOOLS_HEADERS = {"src/trace/reader.h", "src/trace/export.h", "src/trace/textfmt.h"}
# What liblooplab is built from, besides src/core, src/sched and src/io.
RUNTIME_TRACE = {"src/trace/events.h", "src/trace/idmap.h", "src/trace/recorder.h",
                 "src/trace/recorder.c", "src/trace/writer.h", "src/trace/writer.c",
                 "src/trace/textfmt.c"}

# Paths a file names that do not exist yet, each with the reason it may.
KNOWN_MISSING = {}  # (file, path it names): why the path may be missing

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def rel(path):
    return os.path.relpath(path, ROOT).replace(os.sep, "/")


def sources(*folders, exts=(".c", ".h", ".S")):
    out = []
    for folder in folders:
        for path in glob.glob(os.path.join(ROOT, folder, "**", "*"), recursive=True):
            if path.endswith(exts) and os.path.isfile(path):
                out.append(path)
    return sorted(out)


def resolve(including, name):
    """The file a quoted #include finds: beside the including file first,
    then on the build's include path (include/, src/)."""
    for base in (os.path.dirname(including), os.path.join(ROOT, "include"),
                 os.path.join(ROOT, "src")):
        path = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(path):
            return rel(path)
    return None


def layer(path):
    for key in sorted(MAY_INCLUDE, key=len, reverse=True):
        if path == key or path.startswith(key + "/"):
            return key
    return None


def includes(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for name in INCLUDE_RE.findall(text):
        yield name, resolve(path, name)


class Layers(unittest.TestCase):
    def test_every_layer_includes_only_the_layers_below(self):
        wrong = []
        for path in sources("include", "src"):
            own = layer(rel(path))
            for name, target in includes(path):
                if target is None:
                    wrong.append(f"{rel(path)}: #include \"{name}\" finds no file")
                    continue
                if layer(target) not in MAY_INCLUDE[own]:
                    wrong.append(f"{rel(path)} ({own}) includes {target} ({layer(target)})")
        self.assertEqual(wrong, [], "\n" + "\n".join(wrong))

    def test_core_sched_trace_and_public_headers_know_no_io_view_or_cli(self):
        # The issue's own words, kept as a test of their own.
        wrong = []
        for path in sources("include", "src/sched", "src/core", "src/trace"):
            for name, target in includes(path):
                if target and target.startswith(("src/io/", "src/view/", "src/cli/")):
                    wrong.append(f"{rel(path)} includes {target}")
        self.assertEqual(wrong, [], "\n" + "\n".join(wrong))

    def test_the_library_includes_nothing_of_the_tools(self):
        wrong = []
        runtime = [p for p in sources("src/core", "src/sched", "src/io", "src/trace")
                   if not rel(p).startswith("src/trace/") or rel(p) in RUNTIME_TRACE]
        for path in runtime:
            for name, target in includes(path):
                if target in TOOLS_HEADERS:
                    wrong.append(f"{rel(path)} includes {target}")
        self.assertEqual(wrong, [], "\n" + "\n".join(wrong))

    def test_the_command_knows_nothing_of_the_schedulers_insides(self):
        # The CLI and the viewer read traces; of src/sched they need only
        # process.h (signal names, the guard of descriptors 0-2).
        wrong = []
        for path in sources("src/cli", "src/view"):
            for name, target in includes(path):
                if target and target.startswith("src/sched/") and target != "src/sched/process.h":
                    wrong.append(f"{rel(path)} includes {target}")
        self.assertEqual(wrong, [], "\n" + "\n".join(wrong))

    def test_the_layer_table_knows_every_folder(self):
        folders = {rel(p) for p in glob.glob(os.path.join(ROOT, "src", "*"))
                   if os.path.isdir(p)}
        self.assertEqual(folders - set(MAY_INCLUDE), set())


PATH_RE = re.compile(r"(?<![\w/.-])(src/[A-Za-z0-9_./-]*[A-Za-z0-9_])")


class NamedPaths(unittest.TestCase):
    def test_every_src_path_in_a_header_or_doc_exists(self):
        named = sources("include", "src", exts=(".h",))
        named += sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
        named.append(os.path.join(ROOT, "README.md"))
        missing = []
        for path in named:
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    for m in PATH_RE.finditer(line):
                        p = m.group(1)
                        if "*" in p or os.path.exists(os.path.join(ROOT, p)):
                            continue
                        if (rel(path), p) in KNOWN_MISSING:
                            continue
                        missing.append(f"{rel(path)}:{lineno}: {p}")
        self.assertEqual(missing, [], "\n" + "\n".join(missing))

    def test_the_scan_sees_paths(self):
        # A pattern that matched nothing would pass the test above vacuously.
        m = PATH_RE.findall("see `src/sched/loop.c` and (src/trace/writer.h).")
        self.assertEqual(m, ["src/sched/loop.c", "src/trace/writer.h"])


if __name__ == "__main__":
    unittest.main()
