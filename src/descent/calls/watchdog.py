"""The in-process time limit where there are no POSIX interval timers (Windows): a watchdog thread.

Student code runs in the main thread. This thread reads how long the earliest open limit has left
and, once it has run out, raises an exception in the main thread asynchronously
(``PyThreadState_SetAsyncExc``). Python delivers it between two bytecodes, as it runs a signal
handler, so a loop of Python code stops where a POSIX timer's signal would have stopped it. A call
that blocks inside C stops when it returns: :func:`sliced_sleep` stands in for ``time.sleep`` so
that a long sleep returns to Python often; a single enormous tensor operation runs to its end
(on Linux a signal does not interrupt one either).

Nothing here is POSIX-only: ``threading`` and ``ctypes.pythonapi`` are in every CPython.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable

# CPU time cannot be waited for, only read: a wait for a limit looks again at least this often.
POLL_S = 0.05
# A limit still spent this long after its exception was raised (student code caught it and went
# on): the exception is raised again.
AGAIN_S = 1.0


_sleep = time.sleep
SLICE_S = 0.05  # the longest a sliced sleep stays in C


def sliced_sleep(seconds: float) -> None:
    """``time.sleep(seconds)`` in slices of at most :data:`SLICE_S`, so that an exception raised
    in this thread lands within a slice instead of after the whole sleep."""
    end = time.monotonic() + seconds
    left = seconds
    while left > 0:
        _sleep(min(left, SLICE_S))
        left = end - time.monotonic()


def _raise_in(thread_id: int, exception: type[BaseException]) -> None:
    """Raise ``exception`` (a class) in that thread at its next check between bytecodes. (Never
    called with None to take one back: before Python 3.13 that leaves the interpreter checking
    for it at every bytecode from then on, many times slower.)"""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception)
    )


class Watchdog:
    """Raises ``exception`` in the main thread once the earliest open limit is spent.

    ``due()`` names that limit and the seconds it has left (None while none is open); it is read
    with :attr:`lock` held, and the main thread opens and closes limits with it held, so an
    exception is never raised for a limit already closed. :attr:`lock` is a C lock: taking it
    runs no Python frame, where an exception raised meanwhile could land half-way. Call
    :meth:`wake` after opening a limit."""

    def __init__(
        self, due: Callable[[], tuple[object, float] | None], exception: type[BaseException]
    ):
        self._due, self._exception = due, exception
        self._target = threading.main_thread().ident
        self.lock = threading.Lock()
        self._cond = threading.Condition(self.lock)
        self._thread: threading.Thread | None = None
        self._raised: tuple[object, float] | None = None  # for which limit, when

    def wake(self) -> None:
        """A limit opened: start watching (the thread, at the first one)."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="descent-time-limit", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _watch(self) -> None:
        with self._cond:
            while True:
                due = self._due()
                if due is None:
                    self._cond.wait()
                elif due[1] > 0:
                    self._cond.wait(min(due[1], POLL_S))
                elif self._raised is None or self._raised[0] is not due[0]:
                    self._raise(due[0])
                elif time.monotonic() - self._raised[1] >= AGAIN_S:
                    self._raise(due[0])  # caught, and the code went on: again
                else:
                    self._cond.wait(POLL_S)

    def _raise(self, limit: object) -> None:
        self._raised = (limit, time.monotonic())
        assert self._target is not None
        _raise_in(self._target, self._exception)
