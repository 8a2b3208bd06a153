"""Run an asyncio program on virtual time: `python3 tests/py/vloop.py FILE.py`.

The Python twins in this folder are the oracle for Looplab's tests, and
Looplab's lessons run on a virtual clock by default.  This runner gives the
twins the same clock: whenever asyncio's event loop has nothing ready and
would block waiting for its next timer, time jumps straight to that timer
instead.  The program runs the same steps in the same order as it would in
real time (for programs whose only waits are timers), prints the same lines,
and finishes at once.  `loop.time()` starts at 0.0, so times print exactly.

The twin itself is unchanged: it calls asyncio.run() as usual, and picks up
the virtual loop through the event loop policy installed here.
"""
import asyncio
import runpy
import selectors
import sys

# How long a loop with no timer may wait for real events (a thread-pool job,
# a socket) before we call it a deadlock instead of hanging for ever.
REAL_WAIT_LIMIT = 10.0


class VirtualSelector(selectors.BaseSelector):
    """The default selector, except that waiting for a timer takes no time."""

    def __init__(self):
        self._real = selectors.DefaultSelector()
        self.loop = None  # set by VirtualLoop

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
            # No timer at all: only a real event can wake the loop.
            ready = self._real.select(REAL_WAIT_LIMIT)
            if not ready:
                raise RuntimeError(
                    "vloop: deadlock: nothing is ready, no timer is armed and "
                    f"no real event came in {REAL_WAIT_LIMIT:g} s")
            return ready
        self.loop._advance_to_next_timer(timeout)
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        selector = VirtualSelector()
        self._vtime = 0.0
        super().__init__(selector)
        selector.loop = self

    def time(self):
        return self._vtime

    def _advance_to_next_timer(self, timeout):
        # Jump to the earliest timer's own deadline rather than adding the
        # timeout, so that float rounding cannot leave it a hair in the future.
        scheduled = self._scheduled
        if scheduled:
            self._vtime = max(self._vtime, scheduled[0].when())
        else:
            self._vtime += timeout


class VirtualPolicy(asyncio.DefaultEventLoopPolicy):
    _loop_factory = VirtualLoop


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = argv[1]
    asyncio.set_event_loop_policy(VirtualPolicy())
    sys.argv = argv[1:]
    runpy.run_path(path, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
