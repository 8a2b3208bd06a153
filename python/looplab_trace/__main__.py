"""python3 -m looplab_trace [--clock virtual|real] [--trace FILE|fd:N|-] PROGRAM.py [ARGS]

Runs PROGRAM.py as __main__ with asyncio recorded, and writes Looplab's text
trace (docs/trace-format.md) to FILE, to an inherited descriptor N (how
`looplab run PROGRAM.py` takes it back), or to standard error with `-`.
Without --trace, LOOPLAB_TRACE (the C library's variable: a file or fd:N)
says where; without either, no trace is written.  The program's output,
exit status and exceptions are its own.  See docs/python.md.
"""
import sys

SUPPORTED = ((3, 11), (3, 12), (3, 13))


def _usage(msg=None):
    if msg:
        print(f"looplab_trace: {msg}", file=sys.stderr)
    print(__doc__.strip(), file=sys.stderr)
    return 2


def parse(argv):
    """(clock, trace, program argv) from the arguments, or an exit status."""
    clock, trace = None, None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        if a in ("--clock", "--trace"):
            if i + 1 >= len(argv):
                return _usage(f"{a} needs a value")
            if a == "--clock":
                clock = argv[i + 1]
            else:
                trace = argv[i + 1]
            i += 2
            continue
        if a == "--":
            i += 1
            break
        if a.startswith("-"):
            return _usage(f"unknown option '{a}'")
        break
    if i >= len(argv):
        return _usage("which program?")
    return clock, trace, argv[i:]


def main(argv):
    if sys.version_info[:2] not in SUPPORTED:
        print("looplab_trace: Python %d.%d is not supported: the recorder runs on CPython "
              "%s (it follows their asyncio's internals); try --python PATH with one of those"
              % (sys.version_info[0], sys.version_info[1],
                 ", ".join("%d.%d" % v for v in SUPPORTED)), file=sys.stderr)
        return 2
    if sys.implementation.name != "cpython":
        print("looplab_trace: only CPython is supported, not " + sys.implementation.name,
              file=sys.stderr)
        return 2
    parsed = parse(argv)
    if isinstance(parsed, int):
        return parsed
    clock, trace, program = parsed
    from . import run
    return run.run(program, clock, trace)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
