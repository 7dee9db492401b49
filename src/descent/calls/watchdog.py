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


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Raise ``exception`` (a class) in that thread at its next bytecode; None takes back one not
    yet delivered."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception else None
    )


class Watchdog:
    """Raises ``exception`` in the main thread whenever ``left()`` (seconds the earliest open limit
    has left, None while none is open) is spent. Call :meth:`changed` after each limit opens or
    closes: it takes back an exception raised for a limit that has since closed."""

    def __init__(self, left: Callable[[], float | None], exception: type[BaseException]):
        self._left, self._exception = left, exception
        self._target = threading.main_thread().ident
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._generation = 0  # counts changed(): an exception is raised once per generation...
        self._raised: tuple[int, float] | None = None  # ...(which, when), or again AGAIN_S later

    def changed(self) -> None:
        with self._cond:
            if self._raised is not None and self._target is not None:
                _raise_in(self._target, None)  # its limit closed: not delivered, not wanted
            self._generation += 1
            self._raised = None
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="descent-time-limit", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _watch(self) -> None:
        with self._cond:
            while True:
                left = self._left()
                if left is None:
                    self._cond.wait()
                elif left > 0:
                    self._cond.wait(min(left, POLL_S))
                elif self._due_again(time.monotonic()):
                    self._raised = (self._generation, time.monotonic())
                    assert self._target is not None
                    _raise_in(self._target, self._exception)
                else:
                    self._cond.wait(POLL_S)

    def _due_again(self, now: float) -> bool:
        if self._raised is None or self._raised[0] != self._generation:
            return True
        return now - self._raised[1] >= AGAIN_S
