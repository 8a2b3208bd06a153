"""Running a program under the recorder: where the trace goes, what is
installed around the program, and how its end is written.

The program runs as `python3 PROGRAM.py` would run it (runpy, __main__,
sys.argv and sys.path[0] set alike); what the recorder adds is the event loop
policy, the wrapped standard streams, a hook on warnings, and the ways the
process can end: normally (the trace gets `@end` after the program's own
atexit handlers), by os._exit (the lines so far are written first), or by
SIGTERM, SIGHUP or SIGQUIT (the lines so far, then `run_end how=signal`, then
the signal's own default action).
"""
import asyncio
import atexit
import os
import re
import runpy
import signal
import sys
import time
import traceback
import warnings

from . import recorder, sync
from .recorder import Recorder, RecordingPolicy, TeeStream, is_lib
from .writer import fmt_time, quote

VERSION = "0.2.0"

_SIGNALS = {signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP", signal.SIGQUIT: "SIGQUIT"}


def open_trace(spec):
    """A descriptor to write the trace to: fd:N or a file; None for no trace."""
    if not spec:
        return None
    m = re.fullmatch(r"fd:(\d+)", spec)
    if m:
        fd = int(m.group(1))
        os.set_inheritable(fd, False)
        return fd
    return os.open(spec, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)


def lesson_of(path):
    """The lesson's slug when PROGRAM is a lesson's twin (lessons/NN-slug/lesson.py)."""
    slug = os.environ.get("LOOPLAB_LESSON")
    if slug:
        return slug
    parts = os.path.abspath(path).split(os.sep)
    if len(parts) >= 3 and parts[-3] == "lessons" and parts[-1] == "lesson.py":
        return parts[-2]
    return None


def clean_traceback(exc):
    """The traceback Python would print: without the runner's frames before
    the program's, and without the pure-Python Task's own frames (the C Task
    that runs a program without the recorder has none)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        kept = []
        leading = True
        while tb is not None:
            code = tb.tb_frame.f_code
            if leading and is_lib(code.co_filename):
                pass
            elif code in recorder.TASK_CODES:
                pass
            else:
                leading = False
                kept.append(tb)
            tb = tb.tb_next
        if leading:
            kept = []
        for a, b in zip(kept, kept[1:] + [None]):
            a.tb_next = b
        exc.__traceback__ = kept[0] if kept else None
        exc = exc.__cause__ or exc.__context__


def install(rec):
    """Everything around the program: policy, streams, warnings, exits."""
    asyncio.set_event_loop_policy(RecordingPolicy(rec))
    sync.install(rec)
    for name in ("stdout", "stderr"):
        real = getattr(sys, name)
        if real is not None:
            tee = TeeStream(real, rec)
            rec.streams.append(tee)
            setattr(sys, name, tee)

    # warnings' own last step (what the C code of "never awaited" calls
    # too): wrapped rather than showwarning, so that the message keeps its
    # source and prints exactly as it would.
    show = warnings._showwarnmsg

    def showwarnmsg(msg):
        text = str(msg.message)
        kind = "never_awaited" if "was never awaited" in text else "misuse"
        # The line the warning names (for "never awaited", where the
        # coroutine was dropped), when it is the program's own.
        site = ""
        if msg.filename and msg.lineno and not is_lib(msg.filename):
            site = " at=%s:%d" % (recorder._shown_name(msg.filename), msg.lineno)
        try:
            rec.loose("warn", " kind=%s text=%s%s" % (kind, quote(text)[0], site))
        except Exception:
            pass
        with rec.runtime_text():
            return show(msg)

    warnings._showwarnmsg = showwarnmsg

    # time.sleep in a task's step blocks the loop: `blocking` as it begins.
    real_sleep = time.sleep

    def sleep(secs):
        loop = asyncio._get_running_loop()
        if isinstance(loop, recorder.RecordingLoop) and loop._ll_cur is not None:
            try:
                ns = int(secs * 1e9)
            except (TypeError, ValueError, OverflowError):
                ns = None
            if ns is not None and ns >= 0:
                loop._ll_emit(loop._ll_cur, "blocking", " for=" + fmt_time(ns),
                              recorder.caller_site())
        return real_sleep(secs)

    time.sleep = sleep

    real_exit = os._exit

    def _exit(status):
        rec.flush()
        real_exit(status)

    os._exit = _exit

    def on_signal(signum, frame):
        def die():
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        rec.end_by_signal(signum, _SIGNALS.get(signum, str(signum)), die)

    for sig in _SIGNALS:
        if signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, on_signal)
    atexit.register(rec.finish)


def run(program, clock, trace):
    path = program[0]
    clock = clock or os.environ.get("LOOPLAB_CLOCK") or "virtual"
    if clock not in ("virtual", "real"):
        print(f"looplab_trace: --clock must be 'virtual' or 'real', not '{clock}'",
              file=sys.stderr)
        return 2
    if not os.path.isfile(path):
        print(f"looplab_trace: can't open file '{path}': no such file", file=sys.stderr)
        return 2
    spec = trace if trace is not None else os.environ.get("LOOPLAB_TRACE")
    os.environ.pop("LOOPLAB_TRACE", None)  # not for the program's own children
    try:
        fd = open_trace(spec)
    except OSError as e:
        print(f"looplab_trace: cannot write the trace to {spec}: {e.strerror}", file=sys.stderr)
        return 2
    if fd is None:
        fd = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    rec = Recorder(fd, clock, path)
    rec.write_header([
        ("program", path),
        ("lesson", lesson_of(path)),
        ("clock", clock),
        ("library", "looplab_trace %s (Python %d.%d.%d)" % ((VERSION,) + sys.version_info[:3])),
        ("language", "python"),
        ("source", os.path.abspath(path)),
        ("wall", None if clock == "virtual" else "ns"),
    ])
    install(rec)
    sys.argv = list(program)
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    try:
        # Absolute, as `python3 PROGRAM.py` makes __file__ and co_filename
        # since 3.9 (tracebacks print it); the trace shows it relative.
        runpy.run_path(os.path.abspath(path), run_name="__main__")
    except SystemExit:
        raise
    except BaseException as e:  # noqa: B036 - the program's, reported as Python would
        clean_traceback(e)
        last = traceback.format_exception_only(type(e), e)[-1].strip()
        try:
            rec.loose("warn", " kind=main_failed text=%s" % quote(last)[0])
        except Exception:
            pass
        traceback.print_exception(type(e), e, e.__traceback__)
        sys.stderr.flush()
        if isinstance(e, KeyboardInterrupt):
            return 130
        return 1
    return 0
