"""The recorder: an asyncio event loop and Task that write Looplab's trace.

How it sees a program's steps, with CPython's own asyncio doing the work:

- RecordingLoop is a SelectorEventLoop whose `_run_once` is CPython's, line
  for line, with the trace's hooks added: `iter` at the start of a pass,
  `poll` when it waits, `timer_fire` / `cb_queued` for timers that came due,
  `cb_run` before each callback.  `_call_soon` and `_add_callback` (every
  way a handle enters `loop._ready`) say `ready` for a task's step and
  `cb_queued` for any other callback, with its place in the queue.  `call_at`
  and `_timer_handle_cancelled` see the timers (`loop._scheduled`).
- RecordingTask is asyncio's pure-Python Task (`asyncio.tasks._PyTask`, the
  same code as the C Task) with its `__step` wrapped: `run` before it, and
  after it either the task's end or a `wait` naming what it waits on, read
  from the coroutine's await chain (`cr_await`): the innermost frame of the
  program's own code gives the line of the `await`, and the asyncio function
  it called (Lock.acquire, Queue.get, wait_for...) the kind of wait.
- Standard output and error are wrapped: each line still goes out at once,
  and becomes a `print` event of the task that printed it.

On the virtual clock (the default, as for C) the loop's time starts at 0.0
and jumps to the next timer instead of waiting for it, as tests/py/vloop.py
does for the twins.
"""
import asyncio
import asyncio.base_events as base_events
import asyncio.futures as futures
import asyncio.locks as locks
import asyncio.queues as queues
import asyncio.streams as streams
import asyncio.taskgroups as taskgroups
import asyncio.tasks as tasks
import collections
import concurrent.futures
import contextlib
import functools
import heapq
import itertools
import os
import selectors
import sys
import sysconfig
import threading
import time
import weakref

from asyncio.events import Handle as _Handle

from . import writer
from .kinds import errname
from .writer import fmt_time, kind_col, quote, task_col

# How long a virtual loop with no timer may wait for a real event (a job, a
# socket) before it is a deadlock, as in tests/py/vloop.py.
REAL_WAIT_LIMIT = 10.0

# Write the buffered lines out after an iteration when this long (seconds of
# wall-clock time) has passed since the last write, or this many are held.
FLUSH_SECONDS = 0.005
FLUSH_LINES = 512

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def _lib_dirs():
    dirs = {_PKG_DIR, os.path.dirname(os.path.abspath(asyncio.__file__))}
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if paths.get(key):
            dirs.add(os.path.abspath(paths[key]))
    for p in sys.path:
        if p.endswith(("site-packages", "dist-packages")):
            dirs.add(os.path.abspath(p))
    return tuple(d + os.sep for d in dirs)


_LIB_DIRS = _lib_dirs()
_is_lib_cache = {}


def is_lib(filename):
    """Whether code in this file is Python's or a library's, not the program's."""
    r = _is_lib_cache.get(filename)
    if r is None:
        if filename.startswith("<"):
            r = filename.startswith("<frozen")
        else:
            r = os.path.abspath(filename).startswith(_LIB_DIRS)
        _is_lib_cache[filename] = r
    return r


_CWD = os.getcwd() + os.sep
_shown = {}


def _shown_name(filename):
    """A file as at= shows it: relative to where the program was started
    when it is below it (as the user named it), else as it is."""
    r = _shown.get(filename)
    if r is None:
        r = filename[len(_CWD):] if filename.startswith(_CWD) else filename
        r = _shown[filename] = writer.name(r)
    return r


def _site(frame):
    if frame is None:
        return ""
    return " at=%s:%d" % (_shown_name(frame.f_code.co_filename), frame.f_lineno)


def caller_site(depth=2):
    """at=FILE:LINE of the innermost frame of the program's own code among
    the callers, or "" when there is none."""
    try:
        f = sys._getframe(depth)
    except ValueError:
        return ""
    while f is not None and is_lib(f.f_code.co_filename):
        f = f.f_back
    return _site(f)


# ---- What a task waits on ----------------------------------------------------

def _code_kinds():
    """The asyncio functions that name a kind of wait, by code object."""
    table = {
        tasks.sleep: "sleep",
        locks.Lock.acquire: "lock",
        locks.Event.wait: "event",
        locks.Condition.wait: "condition",
        locks.Condition.wait_for: "condition",
        locks.Semaphore.acquire: "semaphore",
        queues.Queue.get: "queue_get",
        queues.Queue.put: "queue_put",
        queues.Queue.join: "queue_join",
        tasks.wait_for: "wait_for",
        tasks.wait: "wait",
        streams.StreamReader.read: "io:read",
        streams.StreamReader.readline: "io:read",
        streams.StreamReader.readexactly: "io:read",
        streams.StreamReader.readuntil: "io:read",
        streams.StreamWriter.drain: "io:drain",
        streams.StreamWriter.wait_closed: "io:closed",
        streams.open_connection: "io:connect",
        base_events.BaseEventLoop.create_connection: "io:connect",
        base_events.BaseEventLoop.getaddrinfo: "io:resolve",
        asyncio.to_thread: "job",
    }
    if hasattr(locks, "Barrier"):
        table[locks.Barrier.wait] = "barrier"
    try:
        import asyncio.taskgroups as taskgroups
        table[taskgroups.TaskGroup.__aexit__] = "taskgroup"
        if hasattr(taskgroups.TaskGroup, "_aexit"):
            table[taskgroups.TaskGroup._aexit] = "taskgroup"
    except ImportError:
        pass
    for name in ("_wait", "_wait_for_one"):
        if hasattr(tasks, name):
            table[getattr(tasks, name)] = "wait"
    out = {}
    for fn, kind in table.items():
        code = getattr(fn, "__code__", None)
        if code is not None:
            out[code] = kind
    return out


_CODE_KIND = _code_kinds()

_SYNC_KIND = [
    (locks.BoundedSemaphore, "bounded_semaphore"),
    (locks.Semaphore, "semaphore"),
    (locks.Lock, "lock"),
    (locks.Event, "event"),
    (locks.Condition, "condition"),
    (queues.PriorityQueue, "priority_queue"),
    (queues.LifoQueue, "lifo_queue"),
    (queues.Queue, "queue"),
]
if hasattr(locks, "Barrier"):
    _SYNC_KIND.append((locks.Barrier, "barrier"))


def kind_of_sync(obj):
    """(sync kind, value for sync_new) of a primitive."""
    kind = "lock"
    for cls, k in _SYNC_KIND:
        if isinstance(obj, cls):
            kind = k
            break
    return kind, _sync_value(obj, kind)


def _sync_value(obj, kind):
    if kind in ("semaphore", "bounded_semaphore"):
        return getattr(obj, "_value", 0)
    if kind.endswith("queue"):
        return getattr(obj, "_maxsize", 0)
    if kind == "barrier":
        return getattr(obj, "_parties", 0)
    if kind == "event":
        return 1 if obj.is_set() else 0
    if kind == "lock":
        return 1 if obj.locked() else 0
    return 0


def await_chain(coro):
    """The frames of a suspended coroutine's await chain, outermost first."""
    frames = []
    obj = coro
    while obj is not None:
        f = getattr(obj, "cr_frame", None)
        if f is not None:
            frames.append(f)
            obj = obj.cr_await
            continue
        f = getattr(obj, "gi_frame", None)
        if f is not None:
            frames.append(f)
            obj = obj.gi_yieldfrom
            continue
        break
    return frames


# ---- The task -------------------------------------------------------------------

_PyTask = tasks._PyTask
_PyFuture = futures._PyFuture
_base_step = _PyTask._Task__step
_base_wakeup = _PyTask._Task__wakeup
_base_schedule = _PyFuture._Future__schedule_callbacks
_base_cancel = _PyTask.cancel


def _strip_task_frames(exc):
    """Drops the pure-Python Task's own frames from the head of a traceback.
    The C Task that runs a program without the recorder adds none, so
    tracebacks print as they would; and the __step frame holds the task, so
    keeping it would make a cycle that delays the task's __del__ (and its
    "exception was never retrieved") until the cyclic collector runs."""
    if exc is None:
        return None
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code in TASK_CODES:
        tb = tb.tb_next
    exc.__traceback__ = tb
    return tb


class Task(_PyTask):
    """asyncio's pure-Python Task, with each step and its end recorded.

    Named Task so that asyncio's messages name it as they name the C Task
    ("Task exception was never retrieved", reprs)."""

    _ll_id = 0          # the trace's task id, given when its first step is queued
    _ll_col = ""        # its task column, padded
    _ll_ended = False   # done/failed/cancelled written

    def _Task__step(self, exc=None):
        loop = self._loop
        rec = loop._ll_rec
        rec.buf.append("%s  %srun          behind=%d%s\n" % (
            loop._ll_tcol(), self._ll_col, len(loop._ready), loop._ll_sfx))
        prev = loop._ll_cur
        loop._ll_cur = self
        try:
            _base_step(self, exc)
            if self._state == "PENDING" and self._fut_waiter is not None:
                loop._ll_wait(self)
        finally:
            loop._ll_cur = prev
            # This frame can outlive the step (a traceback holds the frame
            # of __step, whose f_back it is): it must not hold the task, or
            # a failed task waits for the cyclic collector to say "exception
            # was never retrieved" (CPython's __step drops `self` likewise).
            self = prev = exc = None

    def _Future__schedule_callbacks(self):
        # Called by set_result, set_exception and cancel once the state has
        # changed, before the callbacks are queued: the task's end goes first.
        if self._exception is not None:
            self._exception_tb = _strip_task_frames(self._exception)
        if getattr(self, "_cancelled_exc", None) is not None:
            _strip_task_frames(self._cancelled_exc)
        if not self._ll_ended and self._ll_id:
            self._ll_ended = True
            self._loop._ll_task_end(self)
        _base_schedule(self)

    def cancel(self, msg=None):
        accepted = _base_cancel(self, msg)
        loop = self._loop
        if self._ll_id and getattr(loop, "_ll_rec", None) is not None:
            loop._ll_emit(loop._ll_cur, "cancel", " target=%d accepted=%d" % (
                self._ll_id, 1 if accepted else 0), caller_site())
        return accepted


RecordingTask = Task

# asyncio.create_task(coro, name=...) and TaskGroup.create_task(coro, name=...)
# in 3.11 make the task unnamed (it takes the next Task-N number) and name it
# just after; the trace's task_new is written as the task is made, so the
# name is read from their frame.  The number is still taken, so that later
# default names are what CPython gives.
_NAMING_CALLERS = {tasks.create_task.__code__, taskgroups.TaskGroup.create_task.__code__}


def _name_from_caller():
    caller = sys._getframe(2)
    if caller.f_code not in _NAMING_CALLERS:
        return None
    name = caller.f_locals.get("name")
    if name is None:
        return None
    tasks._task_name_counter()  # the Task-N the unnamed task would have used
    return str(name)
_STEP = RecordingTask._Task__step

# The pure-Python Task's and Future's own frames, which the C ones do not have.
TASK_CODES = set()
for _f in (_STEP, _base_step, _base_wakeup,
           getattr(_PyTask, "_Task__step_run_and_handle_result", None),
           _PyFuture.result, _PyFuture.__await__):
    if _f is not None:
        TASK_CODES.add(_f.__code__)
_WAKEUP = _PyTask._Task__wakeup


# ---- The selector of the virtual clock ------------------------------------------

class VirtualSelector(selectors.BaseSelector):
    """The default selector, except that waiting for a timer takes no time
    (tests/py/vloop.py's, with the same deadlock limit)."""

    def __init__(self):
        self._real = selectors.DefaultSelector()
        self.loop = None

    def register(self, fileobj, events, data=None):
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj):
        return self._real.unregister(fileobj)

    def modify(self, fileobj, events, data=None):
        return self._real.modify(fileobj, events, data)

    def get_key(self, fileobj):
        return self._real.get_key(fileobj)

    def get_map(self):
        return self._real.get_map()

    def close(self):
        self._real.close()

    def select(self, timeout=None):
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            ready = self._real.select(REAL_WAIT_LIMIT)
            if not ready:
                raise RuntimeError(
                    "vloop: deadlock: nothing is ready, no timer is armed and "
                    f"no real event came in {REAL_WAIT_LIMIT:g} s")
            return ready
        self.loop._advance_to_next_timer(timeout)
        return []


# ---- The loop ---------------------------------------------------------------------

def _fn_name(fn):
    """A callable's name as job_submit's fn= shows it."""
    for _ in range(4):
        if isinstance(fn, functools.partial):
            # to_thread's partial(ctx.run, func, ...): the function is the
            # first argument of Context.run.
            if getattr(fn.func, "__name__", "") == "run" and fn.args:
                fn = fn.args[0]
            else:
                fn = fn.func
        else:
            break
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _safe_repr(v):
    try:
        return repr(v)
    except Exception as e:  # a repr that fails is the program's business
        return f"<repr failed: {type(e).__name__}>"


class _Job:
    """A function handed to a thread pool, recording its start and end on the
    worker thread it runs on."""

    __slots__ = ("loop", "job", "owner", "fn")

    def __init__(self, loop, job, owner, fn):
        self.loop, self.job, self.owner, self.fn = loop, job, owner, fn

    def __call__(self, *args):
        loop = self.loop
        rec = loop._ll_rec
        worker = rec.worker_lane()
        owner = self.owner
        loop._ll_emit(owner, "job_start", " job=%d worker=%d" % (self.job, worker))
        rec.local.job = (loop, self.job, worker)
        try:
            r = self.fn(*args)
        except BaseException as e:
            loop._ll_emit(owner, "job_end", " job=%d worker=%d outcome=error value=%s" % (
                self.job, worker, quote(str(e))[0]))
            raise
        finally:
            rec.local.job = None
        loop._ll_emit(owner, "job_end", " job=%d worker=%d outcome=result value=%s" % (
            self.job, worker, quote(_safe_repr(r))[0]))
        return r


def _format_handle(handle):
    """base_events._format_handle, which names a step by its task when the
    task is a C Task: ours are named alike."""
    task = getattr(handle._callback, "__self__", None)
    if isinstance(task, _PyTask):
        return repr(task)
    return base_events._format_handle(handle)


class RecordingLoop(asyncio.SelectorEventLoop):
    """A selector event loop that writes what it does to the recorder."""

    _ll_wall = False  # lines carry wall= (RealRecordingLoop)

    def __init__(self, rec):
        self._ll_rec = rec
        self._ll_virtual = rec.virtual
        self._vtime = 0.0
        selector = VirtualSelector() if rec.virtual else None
        super().__init__(selector)
        if selector is not None:
            selector.loop = self
        self._ll_cur = None      # the task whose step is running, or None
        self._ll_pending = collections.deque()  # lines from other threads
        self._ll_transports = weakref.WeakKeyDictionary()  # transport -> socket id
        self._ll_iter = 0        # iterations so far
        self._ll_cbs = {}        # id(handle) -> (obj, reason, owner) of queued callbacks
        self._ll_timers = {}     # id(timer handle) -> (timer id, owner)
        self._ll_futs = weakref.WeakKeyDictionary()  # future -> [id, kind, until]
        self._ll_tlast = None
        self._ll_tstr = ""
        self._ll_num = rec.loop_opened(self)
        self._ll_sfx0 = " loop=%d" % self._ll_num if self._ll_num > 1 else ""
        if not self._ll_wall:
            self._ll_sfx = self._ll_sfx0
        self._ll_base = rec.last_ns if rec.virtual else 0
        self._ll_t0 = 0.0 if rec.virtual else rec.real_t0
        self._ll_emit(None, "loop_start", " clock=" + quote(rec.clock)[0])

    # -- the clock --

    def time(self):
        if self._ll_virtual:
            return self._vtime
        return time.monotonic()

    def _advance_to_next_timer(self, timeout):
        scheduled = self._scheduled
        if scheduled:
            self._vtime = max(self._vtime, scheduled[0].when())
        else:
            self._vtime += timeout

    def _ll_ns(self, t):
        return self._ll_base + int(round((t - self._ll_t0) * 1e9))

    def _ll_tcol(self):
        t = self._vtime if self._ll_virtual else time.monotonic()
        if t == self._ll_tlast:
            return self._ll_tstr
        ns = self._ll_ns(t)
        rec = self._ll_rec
        if ns > rec.last_ns:
            rec.last_ns = ns
        self._ll_tlast = t
        s = self._ll_tstr = fmt_time(ns).rjust(14)
        return s

    # -- writing --

    def _ll_emit(self, task, kind, fields, site=""):
        """One event line: task is a RecordingTask or None for the loop.
        From another thread than the loop's, the line waits in _ll_pending
        for the loop's thread, which gives it its time (so that one loop's
        times never go backwards)."""
        col = task._ll_col if task is not None and task._ll_id else "-                "
        self._ll_put("  %s%s%s%s%s\n" % (col, kind_col(kind), fields, site, self._ll_sfx))

    def _ll_put(self, rest):
        """A line without its time column, from any thread."""
        tid = self._thread_id
        if tid is not None and tid != threading.get_ident():
            self._ll_pending.append(rest)
            return
        if self._ll_pending:
            self._ll_drain()
        self._ll_rec.buf.append(self._ll_tcol() + rest)

    def _ll_drain(self):
        pending = self._ll_pending
        buf = self._ll_rec.buf
        t = self._ll_tcol()
        while pending:
            buf.append(t + pending.popleft())

    def _ll_obj(self):
        return self._ll_rec.new_obj()

    def _ll_fut_id(self, fut, kind="future"):
        info = self._ll_futs.get(fut) if fut is not None else None
        if info is None:
            if isinstance(fut, RecordingTask):
                return fut._ll_id
            info = [self._ll_obj(), kind, None]
            try:
                self._ll_futs[fut] = info
            except TypeError:
                pass
        return info[0]

    # -- tasks --

    def create_task(self, coro, *, name=None, context=None):
        if self._task_factory is not None:
            return super().create_task(coro, name=name, context=context)
        self._check_closed()
        if name is None:
            name = _name_from_caller()
        task = RecordingTask(coro, loop=self, name=name, context=context)
        if task._source_traceback:
            del task._source_traceback[-1]
        return task

    def _ll_announce(self, task):
        rec = self._ll_rec
        task._ll_id = rec.new_task()
        name = task.get_name()
        task._ll_col = task_col(task._ll_id, name)
        coro = task._coro
        cname = getattr(coro, "__name__", None) or type(coro).__name__
        nq, c1 = quote(name)
        cq, c2 = quote(cname)
        parent = self._ll_cur
        fields = " name=%s coro=%s" % (nq, cq)
        if parent is not None and parent._ll_id:
            fields += " parent=%d" % parent._ll_id
        site = caller_site(4)
        if c1 + c2:
            site += " clipped=%d" % (c1 + c2)
        self._ll_emit(task, "task_new", fields, site)

    def _ll_task_end(self, task):
        state = task._state
        if state == "CANCELLED":
            self._ll_emit(task, "cancelled", "")
        elif task._exception is not None:
            err, msg = errname(task._exception)
            q, c = quote(msg)
            self._ll_emit(task, "failed", " error=%s message=%s%s" % (
                err, q, " clipped=%d" % c if c else ""))
        else:
            q, c = quote(_safe_repr(task._result))
            self._ll_emit(task, "done", " result=%s%s" % (q, " clipped=%d" % c if c else ""))

    def _ll_sync_id(self, obj):
        from .sync import sync_id
        return sync_id(obj, self, "")

    def _ll_wait(self, task):
        """The `wait` line of a task that has just suspended on a future."""
        fut = task._fut_waiter
        frames = await_chain(task._coro)
        user = None
        kind = None
        holder = None
        for f in frames:
            if not is_lib(f.f_code.co_filename):
                user = f
                kind = None
            elif kind is None:
                code = f.f_code
                k = _CODE_KIND.get(code)
                if k is None and code.co_name == "_wait_for_one" and \
                        code.co_filename == tasks.__file__:
                    k = "wait"  # as_completed's nested helper
                if k is not None:
                    kind = k
                    holder = f
        op = ""
        until = ""
        info = self._ll_futs.get(fut)
        if info is not None and info[1] == "sleep":
            kind, obj = "sleep", info[0]
            until = " until=" + fmt_time(info[2])
        elif info is not None and info[1] == "job":
            kind, obj = "job", info[0]
        elif isinstance(fut, RecordingTask) and kind in (None, "sleep"):
            kind, obj = "task", fut._ll_id
        elif isinstance(fut, tasks._GatheringFuture) and kind is None:
            kind = "gather"
            if info is None:
                obj = self._ll_obj()
                self._ll_futs[fut] = [obj, "gather", None]
                self._ll_emit(task, "fut_new", " fut=%d kind=gather children=%d" % (
                    obj, len(getattr(fut, "_children", ()))), _site(user))
            else:
                obj = info[0]
        elif kind in ("lock", "event", "condition", "semaphore", "queue_get",
                      "queue_put", "queue_join", "barrier"):
            prim = holder.f_locals.get("self")
            obj = self._ll_sync_id(prim) if prim is not None else self._ll_fut_id(fut)
        elif kind is not None and kind.startswith("io:"):
            kind, op = "io", " op=" + kind[3:]
            stream = holder.f_locals.get("self")
            tr = getattr(stream, "_transport", None)
            obj = self._ll_transports.get(tr) if tr is not None else None
            if obj is None:
                obj = self._ll_fut_id(fut)
        else:
            if kind in (None, "sleep"):
                kind = "future"
            obj = self._ll_fut_id(fut)
        self._ll_emit(task, "wait", " on=%s obj=%d%s%s" % (kind, obj, until, op), _site(user))

    # -- the ready queue --

    def _ll_queued(self, handle, callback, args, reason):
        """A handle has just been appended to self._ready."""
        pos = len(self._ready) - 1
        task = getattr(callback, "__self__", None)
        if isinstance(task, RecordingTask):
            func = callback.__func__
            if func is _STEP:
                if not task._ll_id:
                    self._ll_announce(task)
                    reason = "created"
                else:
                    reason = "yield"
                self._ll_put("  %sready        reason=%s pos=%d%s\n" % (
                    task._ll_col, reason, pos, self._ll_sfx))
                return
            if func is _WAKEUP and args:
                fut = args[0]
                obj = 0
                info = self._ll_futs.get(fut)
                if fut.cancelled():
                    reason = "cancelled"
                elif isinstance(fut, RecordingTask):
                    reason, obj = "task_done", fut._ll_id
                elif info is not None and info[1] == "sleep":
                    reason, obj = "sleep_done", info[0]
                elif info is not None and info[1] == "job":
                    reason, obj = "future_done", info[0]
                else:
                    reason = "future_done"
                    obj = self._ll_fut_id(fut)
                    if info is not None and info[1] == "gather":
                        self._ll_fut_done(fut, obj)
                if reason == "cancelled":
                    obj = self._ll_fut_id(fut) if not isinstance(fut, RecordingTask) else fut._ll_id
                self._ll_put("  %sready        reason=%s pos=%d obj=%d%s\n" % (
                    task._ll_col, reason, pos, obj, self._ll_sfx))
                return
        owner = self._ll_cur
        if reason is None:
            fut = args[0] if len(args) == 1 else None
            if callback is base_events._run_until_complete_cb:
                reason = "stop"
                owner = None  # the loop's own, as in the C trace
            elif getattr(callback, "__qualname__", "") == "gather.<locals>._done_callback":
                reason = "gather"
            elif isinstance(fut, (futures.Future, _PyFuture)) and fut.done():
                reason = "done_callback"
            else:
                reason = "call_soon"
            if reason != "call_soon":
                obj = self._ll_fut_id(fut)
            else:
                obj = self._ll_obj()
        else:
            obj = self._ll_obj()
        self._ll_cbs[id(handle)] = (obj, reason, owner)
        self._ll_emit(owner, "cb_queued", " obj=%d reason=%s pos=%d" % (obj, reason, pos))

    def _ll_fut_done(self, fut, obj):
        if fut.cancelled():
            self._ll_emit(None, "fut_done", ' fut=%d outcome=cancelled value=""' % obj)
        elif fut.exception() is not None:
            q = quote(str(fut.exception()))[0]
            self._ll_emit(None, "fut_done", " fut=%d outcome=error value=%s" % (obj, q))
        else:
            q = quote(_safe_repr(fut.result()))[0]
            self._ll_emit(None, "fut_done", " fut=%d outcome=result value=%s" % (obj, q))

    def call_soon(self, callback, *args, context=None):
        # BaseEventLoop.call_soon without its second layer (_call_soon), and
        # a task's bare-yield step recorded inline: the common case, kept cheap.
        if self._debug:
            return super().call_soon(callback, *args, context=context)
        if self._closed:
            raise RuntimeError("Event loop is closed")
        handle = _Handle(callback, args, self, context)
        ready = self._ready
        ready.append(handle)
        task = getattr(callback, "__self__", None)
        if task.__class__ is RecordingTask and task._ll_id and callback.__func__ is _STEP:
            self._ll_rec.buf.append("%s  %sready        reason=yield pos=%d%s\n" % (
                self._ll_tcol(), task._ll_col, len(ready) - 1, self._ll_sfx))
        else:
            self._ll_queued(handle, callback, args, None)
        return handle

    def _call_soon(self, callback, args, context):
        handle = super()._call_soon(callback, args, context)
        self._ll_queued(handle, callback, args, self._ll_reason)
        return handle

    _ll_reason = None  # a reason _call_soon's caller already knows

    def call_soon_threadsafe(self, callback, *args, context=None):
        self._ll_reason = "threadsafe"
        try:
            return super().call_soon_threadsafe(callback, *args, context=context)
        finally:
            self._ll_reason = None

    def _add_callback(self, handle):
        # A selector callback (a socket is ready) or a handle from elsewhere.
        if handle._cancelled:
            return
        super()._add_callback(handle)
        self._ll_queued(handle, handle._callback, handle._args, "io")

    # -- timers --

    def call_at(self, when, callback, *args, context=None):
        handle = super().call_at(when, callback, *args, context=context)
        owner = self._ll_cur
        if callback is futures._set_result_unless_cancelled and args:
            tid = self._ll_obj()
            self._ll_futs[args[0]] = [tid, "sleep", self._ll_ns(when)]
            site = ""
        else:
            tid = self._ll_obj()
            site = caller_site()
        self._ll_timers[id(handle)] = (tid, owner)
        self._ll_emit(owner, "timer_arm", " timer=%d when=%s" % (
            tid, fmt_time(self._ll_ns(when))), site)
        return handle

    def _timer_handle_cancelled(self, handle):
        super()._timer_handle_cancelled(handle)
        info = self._ll_timers.pop(id(handle), None)
        if info is not None:
            self._ll_emit(info[1], "timer_cancel", " timer=%d" % info[0])

    # -- sockets --

    def _ll_sock(self, sock, role, addr):
        """io_new for a socket the loop starts serving; its id."""
        sid = self._ll_obj()
        try:
            if isinstance(addr, tuple) and len(addr) >= 2:
                addr = "%s:%s" % (addr[0], addr[1])
        except Exception:
            addr = ""
        self._ll_emit(self._ll_cur, "io_new", " sock=%d role=%s addr=%s" % (
            sid, role, quote(str(addr or ""))[0]), caller_site())
        return sid

    def _make_socket_transport(self, sock, protocol, waiter=None, *, extra=None, server=None):
        t = super()._make_socket_transport(sock, protocol, waiter, extra=extra, server=server)
        try:
            peer = sock.getpeername()
        except OSError:
            peer = ""
        sid = self._ll_sock(sock, "server" if server is not None else "client", peer)
        try:
            self._ll_transports[t] = sid
        except TypeError:
            pass
        self._ll_watch_io(t, protocol, sid)
        return t

    def _ll_watch_io(self, transport, protocol, sid):
        """io events for the bytes a connection moves: the transport's write
        and close, and its protocol's data_received and eof_received, each
        wrapped on the instance (a class with __slots__ is left unwatched)."""
        loop = self

        def io(op, n=0, who=None):
            loop._ll_emit(who, "io", " sock=%d op=%s%s" % (sid, op, " bytes=%d" % n if n else ""))

        def wrap(obj, name, before):
            orig = getattr(obj, name, None)
            if orig is None:
                return
            def wrapper(*args):
                before(*args)
                return orig(*args)
            try:
                setattr(obj, name, wrapper)
            except (AttributeError, TypeError):
                pass

        wrap(transport, "write", lambda data: io("write", len(data), loop._ll_cur))
        wrap(transport, "write_eof", lambda: io("shutdown", 0, loop._ll_cur))
        wrap(transport, "close", lambda: io("close", 0, loop._ll_cur))
        wrap(protocol, "data_received", lambda data: io("read", len(data)))
        wrap(protocol, "eof_received", lambda: io("eof"))

    def _start_serving(self, protocol_factory, sock, *args, **kwargs):
        try:
            name = sock.getsockname()
        except OSError:
            name = ""
        self._ll_sock(sock, "listener", name)
        return super()._start_serving(protocol_factory, sock, *args, **kwargs)

    # -- thread pool --

    def run_in_executor(self, executor, func, *args):
        self._check_closed()
        job = self._ll_obj()
        owner = self._ll_cur
        self._ll_emit(owner, "job_submit", " job=%d fn=%s" % (job, quote(_fn_name(func))[0]),
                      caller_site())
        if executor is None or isinstance(executor, concurrent.futures.ThreadPoolExecutor):
            func = _Job(self, job, owner, func)
        # A process pool pickles the function: it goes as it is, and only
        # its submission and its future are seen.
        fut = super().run_in_executor(executor, func, *args)
        self._ll_futs[fut] = [job, "job", None]
        return fut

    # -- warnings --

    def call_exception_handler(self, context):
        msg = str(context.get("message", ""))
        kind = "not_retrieved" if "never retrieved" in msg else "misuse"
        exc = context.get("exception")
        text = msg if exc is None else f"{msg}: {type(exc).__name__}: {exc}"
        if self._ll_rec.buf is not None:
            self._ll_emit(None, "warn", " kind=%s text=%s" % (kind, quote(text)[0]))
        with self._ll_rec.runtime_text():
            return super().call_exception_handler(context)

    # -- one pass of the loop: CPython's _run_once with the trace's hooks --

    def _run_once(self):
        rec = self._ll_rec
        sched_count = len(self._scheduled)
        if (sched_count > base_events._MIN_SCHEDULED_TIMER_HANDLES and
                self._timer_cancelled_count / sched_count >
                base_events._MIN_CANCELLED_TIMER_HANDLES_FRACTION):
            new_scheduled = []
            for handle in self._scheduled:
                if handle._cancelled:
                    handle._scheduled = False
                else:
                    new_scheduled.append(handle)
            heapq.heapify(new_scheduled)
            self._scheduled = new_scheduled
            self._timer_cancelled_count = 0
        else:
            while self._scheduled and self._scheduled[0]._cancelled:
                self._timer_cancelled_count -= 1
                handle = heapq.heappop(self._scheduled)
                handle._scheduled = False

        if self._ll_pending:
            self._ll_drain()
        self._ll_iter += 1
        ready = self._ready
        rec.buf.append("%s  -                iter         n=%d ready=%d%s\n" % (
            self._ll_tcol(), self._ll_iter, len(ready), self._ll_sfx))

        timeout = None
        if ready or self._stopping:
            timeout = 0
        elif self._scheduled:
            timeout = self._scheduled[0]._when - self.time()
            if timeout > base_events.MAXIMUM_SELECT_TIMEOUT:
                timeout = base_events.MAXIMUM_SELECT_TIMEOUT
            elif timeout < 0:
                timeout = 0

        if timeout != 0:
            before = self.time()
            rec.flush()  # the loop may block: what happened so far goes out
        event_list = self._selector.select(timeout)
        if timeout != 0:
            jumped = " jumped=1" if self._ll_virtual and self.time() != before else ""
            # No timeout (wait for ever) is the field's default: left out.
            t = "" if timeout is None else " timeout=" + fmt_time(int(round(timeout * 1e9)))
            self._ll_emit(None, "poll", t + jumped)
        self._process_events(event_list)
        event_list = None

        end_time = self.time() + self._clock_resolution
        timers = self._ll_timers
        while self._scheduled:
            handle = self._scheduled[0]
            if handle._when >= end_time:
                break
            handle = heapq.heappop(self._scheduled)
            handle._scheduled = False
            ready.append(handle)
            tid, owner = timers.pop(id(handle), (0, None))
            self._ll_emit(owner, "timer_fire", " timer=%d" % tid)
            self._ll_cbs[id(handle)] = (tid, "timer", owner)
            self._ll_emit(owner, "cb_queued", " obj=%d reason=timer pos=%d" % (
                tid, len(ready) - 1))

        cbs = self._ll_cbs
        ntodo = len(ready)
        for i in range(ntodo):
            handle = ready.popleft()
            info = cbs.pop(id(handle), None) if cbs else None
            if handle._cancelled:
                continue
            if info is not None:
                self._ll_emit(info[2], "cb_run", " obj=%d reason=%s" % (info[0], info[1]))
            if self._debug:
                try:
                    self._current_handle = handle
                    t0 = self.time()
                    handle._run()
                    dt = self.time() - t0
                    if dt >= self.slow_callback_duration:
                        what = _format_handle(handle)
                        base_events.logger.warning('Executing %s took %.3f seconds', what, dt)
                        self._ll_emit(None, "warn", " kind=slow_step text=%s" % quote(
                            "Executing %s took %.3f seconds" % (what, dt))[0])
                finally:
                    self._current_handle = None
            else:
                handle._run()
        handle = None
        if self._ll_pending:
            self._ll_drain()
        rec.iteration_done()

    # -- the end --

    def close(self):
        if not self.is_closed() and not self.is_running():
            if self._ll_pending:
                self._ll_drain()
            self._ll_emit(None, "loop_stop", " iterations=%d" % self._ll_iter)
            self._ll_rec.loop_closed(self)
        super().close()


class RealRecordingLoop(RecordingLoop):
    """On the real clock every line also carries wall=NS (the trace has
    `@wall "ns"`), so that `looplab stats` measures how busy the loop was."""

    _ll_wall = True

    @property
    def _ll_sfx(self):
        return "%s wall=%d" % (self._ll_sfx0, int((time.monotonic() - self._ll_rec.real_t0) * 1e9))


class RecordingPolicy(asyncio.DefaultEventLoopPolicy):
    """Makes asyncio.run and new_event_loop use a RecordingLoop."""

    def __init__(self, rec):
        super().__init__()
        self._ll_rec = rec

    def new_event_loop(self):
        if self._ll_rec.virtual:
            return RecordingLoop(self._ll_rec)
        return RealRecordingLoop(self._ll_rec)


# ---- Standard output and error ------------------------------------------------

class TeeStream:
    """A text stream that passes everything to the real one at once, and
    records each complete line as a `print` event."""

    def __init__(self, real, rec):
        self._ll_real = real
        self._ll_rec = rec
        self._ll_part = ""

    def write(self, s):
        n = self._ll_real.write(s)
        if s:
            self._ll_rec.text(self, s)
        return n

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._ll_real, name)

    def __iter__(self):
        return iter(self._ll_real)


# ---- The recorder -----------------------------------------------------------------

class Recorder:
    """What one process records: the trace's lines, ids, loops and output."""

    def __init__(self, fd, clock, program):
        self.fd = fd
        self.clock = clock
        self.virtual = clock == "virtual"
        self.program = program
        self.buf = []
        self.lock = threading.Lock()
        self.local = threading.local()
        self.events = 0
        self._task_ids = itertools.count(1)
        self._obj_ids = itertools.count(1)
        self.loops = {}          # loop number -> open loop
        self.last_loop = None
        self.last_ns = 0
        self.real_t0 = time.monotonic()
        self.last_flush = time.monotonic()
        self.lanes = {}
        self.loops_seen = 0
        self.ended = False
        self.write_failed = False
        self.streams = []
        self.pid = os.getpid()
        # A forked child (multiprocessing) inherits the descriptor and the
        # lines not yet written: it writes nothing.
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self):
        if os.getpid() != self.pid:
            self.write_failed = True
            self.ended = True
            del self.buf[:]

    # -- ids --

    # itertools.count's next() is one C call: ids stay unique when loops in
    # several threads make tasks at once.
    def new_task(self):
        return next(self._task_ids)

    def new_obj(self):
        return next(self._obj_ids)

    def worker_lane(self):
        ident = threading.get_ident()
        lane = self.lanes.get(ident)
        if lane is None:
            with self.lock:
                lane = self.lanes.setdefault(ident, len(self.lanes) + 1)
        return lane

    def loop_opened(self, loop):
        with self.lock:
            n = 1
            while n in self.loops:
                n += 1
            if n > 64:
                n = 64  # the format's limit: later loops share the last number
            self.loops[n] = loop
            self.last_loop = loop
            self.loops_seen += 1
            return n

    def loop_closed(self, loop):
        with self.lock:
            if self.loops.get(loop._ll_num) is loop:
                del self.loops[loop._ll_num]

    # -- output --

    def write_header(self, meta):
        self._write(writer.header(meta))

    def _write(self, data):
        if self.write_failed:
            return
        b = data.encode("utf-8", "surrogateescape")
        try:
            while b:
                n = os.write(self.fd, b)
                b = b[n:]
        except OSError:
            self.write_failed = True  # the reader went away: keep running

    def flush(self):
        with self.lock:
            self.lock_owner = threading.get_ident()
            try:
                buf = self.buf
                n = len(buf)
                if n:
                    data = "".join(buf[:n])
                    del buf[:n]
                    self.events += n
                    self._write(data)
                self.last_flush = time.monotonic()
            finally:
                self.lock_owner = None
        if self.pending_signal is not None:
            self.pending_signal()

    lock_owner = None     # the thread in flush(), if any
    pending_signal = None  # a signal's ending, put off until flush() is done

    def end_by_signal(self, signum, detail, finish):
        """A fatal signal: the lines so far, run_end how=signal, then
        finish() (which lets the signal do what it would have done).  A
        signal that comes while this thread is writing waits for the write
        to end, so no line is written twice or cut."""
        if self.lock_owner == threading.get_ident():
            self.pending_signal = lambda: self.end_by_signal(signum, detail, finish)
            return
        self.pending_signal = None
        if not self.ended:
            self.flush()
            self.ended = True
            loop = self.last_loop
            t = loop._ll_tcol() if loop is not None else fmt_time(self.last_ns).rjust(14)
            sfx = loop._ll_sfx if loop is not None else ""
            self._write("%s  -                run_end      how=signal code=%d detail=%s%s\n" % (
                t, signum, quote(detail)[0], sfx))
        finish()

    def iteration_done(self):
        if len(self.buf) >= FLUSH_LINES or time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def finish(self):
        """The last lines and @end: the process is ending normally."""
        if self.ended:
            return
        for s in self.streams:
            if s._ll_part:
                self.line(s, s._ll_part, "")
                s._ll_part = ""
        if self.loops or not self.loops_seen:
            # As the C library does when a program exits with its loop open.
            detail = ("the program exited without closing its event loop" if self.loops
                      else "the program ended before running an event loop")
            loop = self.last_loop
            t = loop._ll_tcol() if loop is not None else fmt_time(self.last_ns).rjust(14)
            self.buf.append("%s  -                run_end      how=exited detail=%s\n" % (
                t, quote(detail)[0]))
        self.flush()
        self.ended = True
        self._write("@end events=%d\n" % self.events)

    def loose(self, kind, fields):
        """An event of no task: on the running loop, else the last one made."""
        loop = asyncio._get_running_loop()
        if not isinstance(loop, RecordingLoop):
            loop = self.last_loop
        if loop is None:
            self.buf.append("%s  -                %s%s\n" % (
                fmt_time(self.last_ns).rjust(14), kind_col(kind), fields))
        else:
            loop._ll_emit(loop._ll_cur, kind, fields)

    # -- printed text --

    @contextlib.contextmanager
    def runtime_text(self):
        """Lines written meanwhile are the runtime's, not the task's: a
        warning shown by the warnings module, the loop's exception handler
        logging "Task exception was never retrieved".  Their `print` events
        are the loop's (task `-`), as the C library writes its warnings to
        standard error without a `print` of the task; the `warn` event
        before them is what both sides record."""
        old = getattr(self.local, "runtime", False)
        self.local.runtime = True
        try:
            yield
        finally:
            self.local.runtime = old

    def text(self, stream, s):
        part = stream._ll_part + s
        if "\n" not in part:
            stream._ll_part = part
            return
        lines = part.split("\n")
        stream._ll_part = lines.pop()
        site = caller_site(3)
        for line in lines:
            self.line(stream, line, site)

    def line(self, stream, text, site):
        q, clipped = quote(text)
        if clipped:
            site += " clipped=%d" % clipped
        job = getattr(self.local, "job", None)
        if job is not None:
            loop, jid, worker = job
            loop._ll_emit(None, "print", " text=%s job=%d worker=%d" % (q, jid, worker), site)
            return
        loop = asyncio._get_running_loop()
        if not isinstance(loop, RecordingLoop):
            loop = self.last_loop
        if loop is None:
            self.buf.append("%s  -                print        text=%s%s\n" % (
                fmt_time(self.last_ns).rjust(14), q, site))
            return
        who = None if getattr(self.local, "runtime", False) else loop._ll_cur
        loop._ll_emit(who, "print", " text=" + q, site)
