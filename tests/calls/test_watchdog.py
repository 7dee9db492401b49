"""The watchdog thread that times student code where there are no POSIX interval timers
(``descent.calls.watchdog``): it raises in the main thread once a limit is spent, again if the
code caught it and went on, and never after the limit has closed. The guard built on it is tested
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


def test_an_exception_taken_back_before_it_lands_never_lands():
    main = threading.main_thread().ident
    assert main is not None

    def raise_then(take_back: bool) -> None:
        time.sleep(0.1)  # until the main thread waits in join()
        watchdog._raise_in(main, Spent)
        if take_back:
            watchdog._raise_in(main, None)

    for take_back in (True, False):
        helper = threading.Thread(target=raise_then, args=(take_back,))
        helper.start()
        try:
            helper.join()  # blocked in C: nothing lands until it returns
            _wait(0.05)
        except Spent:
            assert not take_back
        else:
            assert take_back


def test_a_spent_limit_raises_in_the_main_thread_and_again_when_caught(monkeypatch):
    monkeypatch.setattr(watchdog, "AGAIN_S", 0.1)
    deadline = [time.monotonic() + 0.1]
    dog = watchdog.Watchdog(lambda: deadline[0] - time.monotonic(), Spent)
    caught, start = [], time.monotonic()
    try:
        dog.changed()
        while len(caught) < 3 and time.monotonic() - start < 5:
            try:
                _wait(5)
            except Spent:  # a student's `except BaseException: pass`: it lands again
                caught.append(time.monotonic() - start)
    finally:
        deadline[0] = None  # type: ignore[call-overload]
        dog._left = lambda: None
        dog.changed()
    assert len(caught) == 3
    assert 0.09 < caught[0] < 1.0 and caught[2] - caught[1] >= 0.09


def test_nothing_is_raised_once_the_limit_has_closed():
    open_limits: list[float] = []
    dog = watchdog.Watchdog(
        lambda: min(open_limits) - time.monotonic() if open_limits else None, Spent
    )
    open_limits.append(time.monotonic() + 0.2)
    dog.changed()
    _wait(0.05)  # done in time
    open_limits.clear()
    dog.changed()
    _wait(0.4)  # past the closed limit's deadline: nothing lands
