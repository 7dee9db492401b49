"""The watchdog thread that times student code where there are no POSIX interval timers
(``descent.calls.watchdog``): it raises in the main thread once a limit is spent, for the limit
spent first, again if the code caught it and went on, and never after the limit has closed. The guard built on it is tested
with the timers' own tests (tests/calls/test_timelimit.py, ``timer`` fixture)."""

from __future__ import annotations

import threading
import time

import pytest

from descent.calls import watchdog

pytestmark = [
    pytest.mark.fast,  # the fast lane: ./dev test --fast
    pytest.mark.skipif(
        threading.current_thread() is not threading.main_thread(),
        reason="raises in the main thread, where the tests must run",
    ),
]


class Spent(BaseException):
    pass


def _wait(seconds: float) -> None:
    """Python code that waits: an exception raised in this thread lands between two sleeps."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.005)


class Limits:
    """Open limits as the guard keeps them: changed under the watchdog's lock."""

    def __init__(self) -> None:
        self.open: list[list[float]] = []  # [deadline]: a list, so each is its own key
        self.dog = watchdog.Watchdog(self.due, Spent)

    def due(self):
        if not self.open:
            return None
        first = min(self.open, key=lambda limit: limit[0])
        return first, first[0] - time.monotonic()

    def start(self, seconds: float) -> list[float]:
        limit = [time.monotonic() + seconds]
        with self.dog.lock:
            self.open.append(limit)
        self.dog.wake()
        return limit

    def close(self, limit: list[float]) -> None:
        with self.dog.lock:
            self.open.remove(limit)


def test_a_spent_limit_raises_in_the_main_thread_and_again_when_caught(monkeypatch):
    monkeypatch.setattr(watchdog, "AGAIN_S", 0.1)
    limits = Limits()
    caught, start = [], time.monotonic()
    limit = limits.start(0.1)
    try:
        while len(caught) < 3 and time.monotonic() - start < 5:
            try:
                _wait(5)
            except Spent:  # a student's `except BaseException: pass`: it lands again
                caught.append(time.monotonic() - start)
    finally:
        limits.close(limit)
    assert len(caught) == 3
    assert 0.09 < caught[0] < 1.0 and caught[2] - caught[1] >= 0.09


def test_nothing_is_raised_once_the_limit_has_closed():
    limits = Limits()
    limit = limits.start(0.2)
    _wait(0.05)  # done in time
    limits.close(limit)
    _wait(0.4)  # past the closed limit's deadline: nothing lands


def test_an_inner_limit_spent_first_is_the_one_raised_for():
    limits = Limits()
    outer = limits.start(30)
    inner = limits.start(0.1)
    try:
        with pytest.raises(Spent):
            _wait(5)
        assert limits.dog._raised is not None and limits.dog._raised[0] is inner
    finally:
        limits.close(inner)
        limits.close(outer)
    _wait(0.2)
