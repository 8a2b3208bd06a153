"""asyncio's synchronisation primitives, seen: sync_new when one is made,
and `sync` events for what is done to it (acquire, block, release, wake,
set, clear, put, get, task_done, give_up, notify).

Each method is wrapped on the class (asyncio.Lock, Event, Semaphore,
Condition, Barrier, Queue) when the recorder is installed: the wrapper calls
asyncio's own method and records what it did from the primitive's state
before and after, so the program's behaviour is asyncio's.  A wrapped
coroutine method adds one frame of this package to the await chain, which
the recorder skips (it is library code) when it names a wait.
"""
import asyncio
import asyncio.locks as locks
import asyncio.queues as queues
import weakref

from .recorder import RecordingLoop, caller_site, kind_of_sync, quote
from .writer import ITEM_MAX

_ids = weakref.WeakKeyDictionary()  # primitive -> its object id
_hidden = weakref.WeakSet()  # asyncio's own: a Queue's `_finished` Event
_making_queue = 0  # > 0 while a Queue's __init__ runs (its Event is its own)
_rec = None
_NO_ITEM = object()  # _emit's item when the operation moves none


def _loop():
    loop = asyncio._get_running_loop()
    return loop if isinstance(loop, RecordingLoop) else None


def sync_id(obj, loop=None, site=None):
    """The primitive's id; the first time, its sync_new."""
    sid = _ids.get(obj)
    if sid is not None:
        return sid
    sid = _rec.new_obj()
    try:
        _ids[obj] = sid
    except TypeError:
        return sid
    kind, value = kind_of_sync(obj)
    fields = " obj=%d kind=%s value=%d" % (sid, kind, value)
    loop = loop or _loop() or _rec.last_loop
    if site is None:
        site = caller_site(3)
    if loop is None:
        _rec.loose("sync_new", fields + site)
    else:
        loop._ll_emit(loop._ll_cur, "sync_new", fields, site)
    return sid


def _emit(obj, op, value, waiters, item=_NO_ITEM):
    loop = _loop()
    if loop is None or obj in _hidden:
        return
    sid = sync_id(obj, loop)
    fields = " obj=%d op=%s value=%d waiters=%d" % (sid, op, value, waiters)
    site = caller_site(3)
    if item is not _NO_ITEM:  # a queue's put and get (format 1.6)
        try:
            text = repr(item)
        except Exception:  # a broken __repr__ must not break the program
            text = object.__repr__(item)
        q, clipped = quote(text, ITEM_MAX)
        fields += " item=" + q
        if clipped:
            site += " clipped=%d" % clipped
    loop._ll_emit(loop._ll_cur, "sync", fields, site)


def _nwait(obj, attr="_waiters"):
    w = getattr(obj, attr, None)
    if not w:
        return 0
    return sum(1 for f in w if not f.done())


def _nlist(obj, attr):
    """How many waiters a list holds, done or not: as the C library counts
    them, a waiter is on its list until it has gone (woken and taken off,
    or cancelled and left)."""
    w = getattr(obj, attr, None)
    return len(w) if w else 0


def _wrap_init(cls):
    """sync_new once the primitive is made.  The Event a Queue makes for
    join() is the Queue's own business, as in the C library, whose queue has
    none: it is neither made nor used in the trace."""
    orig = cls.__init__
    is_queue = cls is queues.Queue

    def __init__(self, *args, **kwargs):
        global _making_queue
        if _making_queue and not is_queue:
            orig(self, *args, **kwargs)
            _hidden.add(self)
            return
        _making_queue += is_queue
        try:
            orig(self, *args, **kwargs)
        finally:
            _making_queue -= is_queue
        if _rec is not None:
            sync_id(self, site=caller_site(2))
    __init__.__wrapped__ = orig
    cls.__init__ = __init__


def _wrap_acquire(cls, value_of, counter=False):
    """acquire, block, give_up, release and wake, as the C library records
    them: waiters are those on the list (a cancelled one until it has
    left), and a Semaphore's release says its counter before it hands the
    unit to the waiter it wakes (`counter`), the wake the counter after."""
    orig = cls.acquire

    async def acquire(self):
        if self.locked():
            _emit(self, "block", value_of(self), _nlist(self, "_waiters") + 1)
        try:
            r = await orig(self)
        except asyncio.CancelledError:
            _emit(self, "give_up", value_of(self), _nlist(self, "_waiters"))
            raise
        _emit(self, "acquire", value_of(self), _nlist(self, "_waiters"))
        return r
    acquire.__wrapped__ = orig
    cls.acquire = acquire

    rel = cls.release

    def release(self):
        pending, listed, before = _nwait(self), _nlist(self, "_waiters"), value_of(self)
        r = rel(self)
        _emit(self, "release", before + 1 if counter else value_of(self), listed)
        if pending and _nwait(self) < pending:
            _emit(self, "wake", before if counter else value_of(self), listed)
        return r
    release.__wrapped__ = rel
    cls.release = release


def _wrap_event():
    cls = locks.Event
    s, c, w = cls.set, cls.clear, cls.wait

    def set_(self):
        n = _nwait(self)
        r = s(self)
        _emit(self, "set", 1, n)
        return r

    def clear(self):
        r = c(self)
        _emit(self, "clear", 0, _nwait(self))
        return r

    async def wait(self):
        if not self.is_set():
            _emit(self, "block", 0, _nwait(self) + 1)
        return await w(self)
    for f, o in ((set_, s), (clear, c), (wait, w)):
        f.__wrapped__ = o
    cls.set, cls.clear, cls.wait = set_, clear, wait


def _wrap_condition():
    cls = locks.Condition
    notify = cls.notify

    def notify_(self, n=1):
        before = _nwait(self)
        r = notify(self, n)
        _emit(self, "notify", before - _nwait(self), _nwait(self))
        return r
    notify_.__wrapped__ = notify
    cls.notify = notify_


def _qwait(q):
    """A queue's waiters, as the C library counts them: getters and
    putters."""
    return _nlist(q, "_getters") + _nlist(q, "_putters")


def _joiners(q):
    return _nlist(getattr(q, "_finished", None), "_waiters")


def _wrap_queue():
    """put, get (with the item), block, wake (a waiting getter or putter
    handed its turn), give_up (a waiter cancelled), task_done, join: in the
    order and with the counts of the C library's queue (src/sched/sync.c)."""
    cls = queues.Queue
    pn, gn, td = cls.put_nowait, cls.get_nowait, cls.task_done
    put, get, join = cls.put, cls.get, cls.join

    def moved(q, op, item, others):
        # CPython wakes the next waiter inside put_nowait/get_nowait: the
        # operation is written with the waiters before it, then the wake.
        before = _nlist(q, others)
        r = (pn(q, item), item) if op == "put" else (None, gn(q))
        after = _nlist(q, others)
        _emit(q, op, q.qsize(), _qwait(q) + before - after, r[1])
        if after < before:
            _emit(q, "wake", q.qsize(), _qwait(q))
        return r[0] if op == "put" else r[1]

    def put_nowait(self, item):
        return moved(self, "put", item, "_getters")

    def get_nowait(self):
        return moved(self, "get", None, "_putters")

    def task_done(self):
        r = td(self)
        _emit(self, "task_done", self._unfinished_tasks, _joiners(self))
        return r

    async def waiting(q, coro):
        try:
            return await coro
        except asyncio.CancelledError:
            _emit(q, "give_up", q.qsize(), _qwait(q))
            raise

    async def put_(self, item):
        if self.full():
            _emit(self, "block", self.qsize(), _qwait(self) + 1)
            return await waiting(self, put(self, item))
        return await put(self, item)

    async def get_(self):
        if self.empty():
            _emit(self, "block", 0, _qwait(self) + 1)
            return await waiting(self, get(self))
        return await get(self)

    async def join_(self):
        if self._unfinished_tasks > 0:
            _emit(self, "block", self._unfinished_tasks, _joiners(self) + 1)
        r = await join(self)
        _emit(self, "join", 0, _joiners(self))
        return r
    for f, o in ((put_nowait, pn), (get_nowait, gn), (task_done, td), (put_, put),
                 (get_, get), (join_, join)):
        f.__wrapped__ = o
    cls.put_nowait, cls.get_nowait, cls.task_done = put_nowait, get_nowait, task_done
    cls.put, cls.get, cls.join = put_, get_, join_


_installed = False


def install(rec):
    """Wraps the primitives' methods (once per process)."""
    global _rec, _installed
    _rec = rec
    if _installed:
        return
    _installed = True
    for cls in (locks.Lock, locks.Event, locks.Condition, locks.Semaphore, queues.Queue) + (
            (locks.Barrier,) if hasattr(locks, "Barrier") else ()):
        _wrap_init(cls)
    _wrap_acquire(locks.Lock, lambda lk: 1 if lk.locked() else 0)
    _wrap_acquire(locks.Semaphore, lambda s: s._value, counter=True)
    _wrap_event()
    _wrap_condition()
    _wrap_queue()


__all__ = ["install", "sync_id", "quote"]
