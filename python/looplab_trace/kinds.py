"""The names Looplab's trace uses, as the C side defines them.

src/trace/events.h holds the one list of event kinds, ready reasons, wait
kinds, warning kinds, sync kinds and operations, socket roles and operations;
include/looplab.h holds the error names (LL_ERRNO_MAP).  This module repeats
them in the same order for the Python recorder, and
tests/py/test_recorder_kinds.py parses the C X-macros and fails when the two
lists drift apart.
"""

# LL_EVENT_MAP: the event kinds, in enum order.
EVENT_KINDS = (
    "loop_start", "loop_stop", "iter", "poll", "task_new", "ready", "run",
    "wait", "done", "failed", "cancelled", "cancel", "cb_queued", "cb_run",
    "timer_arm", "timer_fire", "timer_cancel", "fut_new", "fut_done",
    "coro_enter", "coro_exit", "print", "note", "warn", "sync_new", "sync",
    "run_end", "check", "job_submit", "job_start", "job_end", "yield",
    "blocking", "io_new", "io",
)

# LL_REASON_MAP: why a task or a callback became ready.
REASONS = (
    "none", "created", "yield", "future_done", "task_done", "sleep_done",
    "cancelled", "timer", "call_soon", "done_callback", "gather", "stop",
    "job_done", "io", "threadsafe",
)

# LL_WAIT_MAP: what a waiting task waits on.
WAIT_KINDS = (
    "none", "sleep", "future", "task", "gather", "job", "io", "taskgroup",
    "wait_for", "wait", "lock", "event", "semaphore", "queue_put",
    "queue_get", "queue_join", "condition", "barrier",
)

# LL_WARN_MAP.
WARN_KINDS = (
    "misuse", "never_awaited", "not_retrieved", "deadlock", "unguarded_stack",
    "main_failed", "slow_step", "swallowed_cancel",
)

# LL_SYNC_KIND_MAP and LL_SYNC_OP_MAP.
SYNC_KINDS = (
    "lock", "event", "semaphore", "bounded_semaphore", "queue",
    "priority_queue", "lifo_queue", "condition", "barrier",
)
SYNC_OPS = (
    "acquire", "block", "release", "wake", "set", "clear", "put", "get",
    "task_done", "join", "give_up", "notify", "pass", "reset", "abort",
)

# LL_IO_ROLE_MAP and LL_IO_OP_MAP.
IO_ROLES = ("client", "server", "listener")
IO_OPS = (
    "none", "resolve", "connect", "connected", "listen", "accept", "read",
    "write", "drain", "eof", "shutdown", "close", "closed", "error",
)

# LL_ERRNO_MAP's Python names: the only words a `failed` event's error=
# may hold.  An exception of another class is written as Exception, its
# class named in the message (see errname()).
ERROR_NAMES = (
    "CancelledError", "TimeoutError", "InvalidStateError", "RuntimeError",
    "ValueError", "TypeError", "Exception", "ZeroDivisionError", "KeyError",
    "OSError", "MemoryError", "DeadlockError", "QueueFull", "QueueEmpty",
    "ExceptionGroup", "GeneratorExit", "ConnectionRefusedError",
    "ConnectionResetError", "IncompleteReadError", "LimitOverrunError",
    "ServerDisconnectedError", "BadHttpMessage", "ClientPayloadError",
    "sqlite3.OperationalError", "sqlite3.IntegrityError",
    "sqlite3.ProgrammingError", "FileNotFoundError", "BrokenBarrierError",
)
_ERRORS = frozenset(ERROR_NAMES)


def errname(exc):
    """(error=, message=) for an exception: asyncio's name when the trace
    format has one, else Exception with the class named in the message."""
    cls = type(exc)
    name = cls.__name__
    if cls.__module__ == "sqlite3":
        name = "sqlite3." + name
    message = str(exc)
    if name in _ERRORS:
        return name, message
    return "Exception", f"{name}: {message}" if message else name
