"""Time limits on student code: the one default, the per-exercise policy, and the in-process guard.

A submission graded in a confined worker is timed by the worker's client
(:mod:`descent.isolation.remote`); code that runs in the grading process (the kit's own
``starter/`` and ``solutions/``, a student's bundle running ``pytest exercises/``, ``--isolation
none``) is timed here, with a ``SIGALRM`` timer. Either way the rules are the same:

* a limit counts the CPU time of the process that runs the student's code (the worker, or this
  process), so a busy machine is not charged to the student: a correct function that waits its
  turn for a CPU keeps its points. Time spent waiting (``sleep``, a blocked call) has a
  wall-clock ceiling :data:`WALL_FACTOR` times the limit (:class:`Budget`);
* one call into student code may take :data:`CALL_TIMEOUT_S` seconds (``--call-timeout``); an
  exercise of the registry may allow longer, and a call given a time budget (the capstone's
  ``time_budget_s``) twice its budget plus 10 s (:func:`limit_for`);
* a request that makes several calls at once (a sweep, a chain of optimizer steps, a whole
  ``Value`` graph) gets :data:`BATCH_FACTOR` times the limit, and so does a whole test run
  in-process (a safety net for code reached outside a timed call, such as ``Value`` methods);
* a function that ran out of time is not called again in that run: later calls fail at once with
  the same reason, so one infinite loop costs one time limit, not one per test (the grading
  plugin runs a test that ran out of time once more before charging it, and forgets the hang
  for that run: :func:`forget`);
* student code run again by a diagnosis of a failed check (:func:`exploring`) gets at most
  :data:`EXPLORING_S` per call, and running out of time there is not remembered as a hang; it is
  noted as a diagnosis cut short (:func:`cut_short`), as is a diagnosis that spent its own time
  budget, so that a results record can say its generic name may differ on a faster machine.

The in-process guard times the main thread's code with POSIX interval timers (``SIGPROF`` for CPU
time, ``SIGALRM`` for the ceiling); where there are none (Windows), a watchdog thread reads the
same deadlines and raises the same exception (:mod:`descent.calls.watchdog`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .. import registry

CALL_TIMEOUT_S = 10.0
BATCH_FACTOR = 3
MAX_BUDGETED_S = 600.0
# A limit's wall-clock ceiling, for time spent waiting rather than computing: far above the
# limit, so that a correct call on a machine loaded ten times over its CPUs still finishes.
WALL_FACTOR = 10


def limit_for(exercise: str | None, kwargs: dict | None, base: float) -> float:
    """The time limit of one call to a function of ``exercise`` with these keyword arguments:
    ``base``, or the exercise's own ``call_timeout_s`` if longer, or twice the time budget the
    call was given plus 10 s (its ``budget_argument``, at most :data:`MAX_BUDGETED_S`)."""
    ex = registry.EXERCISES.get(exercise or "")
    if ex is None:
        return base
    limit = max(base, ex.call_timeout_s)
    budget = (kwargs or {}).get(ex.budget_argument) if ex.budget_argument else None
    if isinstance(budget, (int, float)) and not isinstance(budget, bool):
        limit = max(limit, min(float(budget) * 2 + 10, MAX_BUDGETED_S))
    return limit


def describe(name: str | None, seconds: float, waited: bool = False) -> str:
    """What a student reads of a call out of time: ``seconds`` of CPU time spent, or (``waited``)
    the wall-clock ceiling reached while the call waited (slept, blocked)."""
    what = f"`{name}`" if name else "your code"
    if waited:
        return (
            f"{what} did not return within {seconds * WALL_FACTOR:g} s of waiting (sleeping, "
            f"blocked, or on a machine too busy to run it): time limit exceeded"
        )
    return f"{what} did not return within {seconds:g} s: time limit exceeded (infinite loop?)"


class CallTimeout(BaseException):
    """Student code ran out of time. A BaseException, so that a student's ``except Exception``
    around a loop cannot swallow it."""

    def __init__(
        self, name: str | None, seconds: float, earlier: bool = False, waited: bool = False
    ):
        self.name, self.seconds, self.earlier, self.waited = name, seconds, earlier, waited
        text = describe(name, seconds, waited)
        super().__init__(f"{text} earlier in this run; not called again" if earlier else text)


# A process runs at most this many CPU-seconds per second of wall clock: one per CPU.
_CPUS = os.cpu_count() or 64


class Budget:
    """The time of one call: ``seconds`` of CPU time of the process that runs it (read by
    ``cpu``, which gives None when it cannot tell), within a wall-clock ceiling
    :data:`WALL_FACTOR` times as long; where the CPU time cannot be read, ``seconds`` of wall
    clock. :meth:`left` is what a wait for the call may still take before it looks again."""

    def __init__(self, seconds: float, cpu: Callable[[], float | None]):
        self.seconds, self.cpu = seconds, cpu
        first = cpu()
        self.cpu_deadline = None if first is None else first + seconds
        factor = WALL_FACTOR if first is not None else 1
        now = time.monotonic()
        self.wall_deadline = now + seconds * factor
        self._read = (now, seconds)  # when the CPU time was last read, and what was left then

    def left(self) -> float:
        now = time.monotonic()
        wall = self.wall_deadline - now
        if self.cpu_deadline is None:
            return wall
        # A reading of another process's CPU time costs a read of /proc, and a call that calls
        # back asks at every frame: until the CPU time left at the last reading could have run
        # out on every CPU, it cannot have, and the wait looks again no later than that.
        at, spare = self._read
        sure = spare / _CPUS - (now - at)
        if sure > 0:
            return min(wall, sure)
        used = self.cpu()
        if used is None:
            return wall
        self._read = (now, self.cpu_deadline - used)
        return min(wall, self.cpu_deadline - used)

    def waited(self) -> bool:
        """Whether the wall-clock ceiling, rather than the CPU time, is what ran out."""
        return self.cpu_deadline is not None and time.monotonic() >= self.wall_deadline - 1e-3


@dataclasses.dataclass(eq=False)  # compared by identity: no Python frame (descent.calls.watchdog)
class _Open:
    """An open guard: its CPU deadline (this process's CPU time), its wall-clock ceiling."""

    cpu: float
    wall: float
    name: str | None
    seconds: float

    def left(self) -> float:
        return min(self.cpu - time.process_time(), self.wall - time.monotonic())


_stack: list[_Open] = []  # the open guards, innermost last
_previous_handlers: dict[int, Any] = {}
# the CPU-time timer's signal and the wall-clock one's (where there are such timers)
_SIGNALS = tuple(getattr(signal, n) for n in ("SIGPROF", "SIGALRM") if hasattr(signal, n))


def _timers() -> bool:
    """Whether this Python has POSIX interval timers (read at each guard: tests take them away)."""
    return hasattr(signal, "setitimer")


def available() -> bool:
    return threading.current_thread() is threading.main_thread()


def _earliest_open() -> tuple[_Open, float] | None:
    """What the watchdog reads (with its lock held): the earliest open guard and the seconds it
    has left (None: none open), noting that guard for the exception it raises."""
    if not _stack:
        return None
    _due[0] = first = min(_stack, key=_Open.left)
    return first, first.left()


class _WatchdogExpired(CallTimeout):
    """What the watchdog raises in the main thread. It is raised as a class (the C API allows no
    arguments), so it is built in the main thread from the guard that ran out."""

    def __init__(self) -> None:
        first = _due[0]
        if first is None:  # not reached: the watchdog notes a guard before raising
            super().__init__(None, 0.0)
            return
        if _exploring:
            cut_short()
        super().__init__(first.name, first.seconds, waited=time.monotonic() >= first.wall - 0.05)


_due: list[_Open | None] = [None]
# the one Watchdog and the sleep that stands in for time.sleep, from the first guard that needs them
_watchdog: list[Any] = []


@contextlib.contextmanager
def guard(name: str | None, seconds: float) -> Iterator[None]:
    """Raise :class:`CallTimeout` inside the block once it has used ``seconds`` of this
    process's CPU time, or waited :data:`WALL_FACTOR` times as long. Guards nest: the earliest
    deadline of the open ones applies."""
    if seconds <= 0 or not available():
        yield
        return
    if not _timers():
        with _watched(name, seconds):
            yield
        return
    if not _stack:
        for number in _SIGNALS:
            _previous_handlers[number] = signal.signal(number, _expired)
    _stack.append(_opened(name, seconds))
    _arm()
    try:
        yield
    finally:
        _stack.pop()
        _arm()
        if not _stack:
            for number in _SIGNALS:
                signal.signal(number, _previous_handlers.pop(number, None) or signal.SIG_DFL)


def _opened(name: str | None, seconds: float) -> _Open:
    now = time.process_time(), time.monotonic()
    return _Open(now[0] + seconds, now[1] + seconds * WALL_FACTOR, name, seconds)


@contextlib.contextmanager
def _watched(name: str | None, seconds: float) -> Iterator[None]:
    """:func:`guard` without interval timers: the watchdog thread raises the timeout. The stack
    changes under the watchdog's lock, so it never raises for a guard already closed."""
    if not _watchdog:
        # start-up: only a Python without interval timers loads it
        from . import watchdog

        _watchdog.append(watchdog.Watchdog(_earliest_open, _WatchdogExpired))
        _watchdog.append(watchdog.sliced_sleep)
    dog = _watchdog[0]
    if time.sleep is not _watchdog[1]:
        # a student's sleep must return to Python for the watchdog's exception to land; the
        # same sleep for everyone else (pytest's, torch's), in slices
        time.sleep = _watchdog[1]
    opened = _opened(name, seconds)
    try:
        with dog.lock:
            _stack.append(opened)
        dog.wake()
        yield
    finally:
        with dog.lock:  # a C lock, list and identity: no Python frame for an exception to land in
            if opened in _stack:
                _stack.remove(opened)


def _arm() -> None:
    cpu = min((g.cpu for g in _stack), default=None)
    wall = min((g.wall for g in _stack), default=None)
    _set(signal.ITIMER_PROF, None if cpu is None else cpu - time.process_time())
    _set(signal.ITIMER_REAL, None if wall is None else wall - time.monotonic())


def _set(timer: int, left: float | None) -> None:
    signal.setitimer(timer, 0 if left is None else max(left, 1e-4))


def _expired(signum, frame) -> None:
    if not _stack:
        return
    first = min(_stack, key=_Open.left)
    if first.left() > 0.05:  # the timer of a guard closed meanwhile: look again later
        _arm()
        return
    if _exploring:
        cut_short()
    raise CallTimeout(first.name, first.seconds, waited=time.monotonic() >= first.wall - 0.05)


EXPLORING_S = 2.0  # the most one call may take while a diagnosis re-runs student code
_exploring: list[None] = []  # one entry per open exploring() block


@contextlib.contextmanager
def exploring() -> Iterator[None]:
    """Student code run again to diagnose a failure already counted (with an argument changed,
    on a neighbouring input): each call gets at most :data:`EXPLORING_S` seconds, and a call
    that runs out of time is not remembered as hung, because the change may be what made it
    slow and later tests must still call the function as the student wrote it."""
    _exploring.append(None)
    try:
        yield
    finally:
        _exploring.pop()


def explored(limit: float) -> float:
    """A call's time ``limit``, capped at :data:`EXPLORING_S` inside :func:`exploring`."""
    return min(limit, EXPLORING_S) if _exploring else limit


def remembers_hangs() -> bool:
    """Whether a call that runs out of time now is remembered as hung (not in :func:`exploring`)."""
    return not _exploring


_cuts = [0]  # diagnoses cut short in this process so far (a count: watchers compare it)


def cut_short() -> None:
    """Note that a diagnosis stopped before trying all it would have tried: a call out of time
    while :func:`exploring`, or a diagnosis's own time budget spent. Its result (often "names
    nothing") then depends on the machine's speed, not only on the code diagnosed."""
    _cuts[0] += 1


@contextlib.contextmanager
def watching_cuts() -> Iterator[Callable[[], bool]]:
    """Yield a function that tells whether any diagnosis was cut short (:func:`cut_short`)
    since the block began."""
    start = _cuts[0]
    yield lambda: _cuts[0] > start


class Guarded:
    """Times every call of a folder's functions and remembers those that ran out of time."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.hung: dict[str, CallTimeout] = {}

    def forget(self, name: str) -> None:
        """Call ``name`` again from now on (a test that ran out of time runs once more)."""
        self.hung.pop(name, None)

    def wrap(self, module: str, name: str, value: Any) -> Any:
        """``value`` as handed to a test: a timed function, a stand-in for a hung name, or
        ``value`` itself (data, and classes, which the test-wide guard times)."""
        if name in self.hung:
            return _hung_stub(self.hung[name], name)
        if not callable(value) or isinstance(value, type):
            return value
        exercise = registry.exercise_of(module, name)
        ex_id = exercise.id if exercise else None

        def timed(*args, **kwargs):
            try:
                with guard(name, explored(limit_for(ex_id, kwargs, self.seconds))):
                    return value(*args, **kwargs)
            except CallTimeout as exc:
                if remembers_hangs():
                    self.hung.setdefault(exc.name or name, exc)
                raise

        timed.__name__ = timed.__qualname__ = name
        timed.__doc__ = getattr(value, "__doc__", None)
        timed.__wrapped__ = value
        return timed


def _hung_stub(cause: CallTimeout, name: str):
    def stub(*args, **kwargs):
        raise CallTimeout(cause.name or name, cause.seconds, earlier=True, waited=cause.waited)

    stub.__name__ = stub.__qualname__ = name
    return stub
