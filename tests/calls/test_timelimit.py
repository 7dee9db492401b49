"""Time limits on student code in this process (``descent.calls.timelimit``): the limit of a
call (the default, an exercise's own, a time budget's), the guard that ends a call out of time,
a function that hung failing at once afterwards, and student code run again by a diagnosis
(``exploring``): capped, and not remembered as hung. The guard's tests run with POSIX interval
timers and with the watchdog thread that stands in for them where there are none (Windows)."""

from __future__ import annotations

import time

import pytest

from descent.calls import timelimit

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

MAIN_THREAD = pytest.mark.skipif(not timelimit.available(), reason="times the main thread only")


@pytest.fixture(params=["timers", "watchdog"])
def timer(request, monkeypatch):
    """Each guard test twice: with POSIX interval timers, and without them (Windows)."""
    if request.param == "watchdog":
        monkeypatch.setattr(timelimit, "_timers", lambda: False)
        monkeypatch.setattr(time, "sleep", time.sleep)  # the guard slices it: put back after
    return request.param


def _slow(seconds: float) -> float:
    """Wait ``seconds`` in short sleeps: the watchdog's exception lands between two of them (one
    long ``sleep`` in C returns before it can land; docs/explanation/isolation/timeouts.md)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.01)
    return seconds


@MAIN_THREAD
def test_a_call_that_runs_out_of_time_while_exploring_is_capped_and_not_remembered(
    monkeypatch, timer
):
    monkeypatch.setattr(timelimit, "EXPLORING_S", 0.2)
    guarded = timelimit.Guarded(30.0)
    slow = guarded.wrap("optim", "slow", _slow)
    start = time.monotonic()
    with timelimit.exploring(), pytest.raises(timelimit.CallTimeout):
        slow(5.0)
    assert time.monotonic() - start < 0.2 * timelimit.WALL_FACTOR + 1 and guarded.hung == {}
    assert guarded.wrap("optim", "slow", _slow)(0.0) == 0.0  # still called as written
    hurried = timelimit.Guarded(0.2)
    with pytest.raises(timelimit.CallTimeout):
        hurried.wrap("optim", "slow", _slow)(5.0)
    assert "slow" in hurried.hung  # outside a diagnosis a hang is remembered, as before


def test_a_calls_limit_is_the_default_an_exercises_own_or_twice_its_budget():
    assert timelimit.limit_for("losses.mse", {}, 10.0) == 10.0
    assert timelimit.limit_for(None, None, 4.0) == 4.0
    capstone = "train.train_classifier"  # allows 90 s, and twice its time budget plus 10 s
    assert timelimit.limit_for(capstone, {}, 10.0) == 90.0
    assert timelimit.limit_for(capstone, {"time_budget_s": 60}, 10.0) == 130.0
    assert timelimit.limit_for(capstone, {"time_budget_s": 10**6}, 10.0) == timelimit.MAX_BUDGETED_S
    assert timelimit.limit_for(capstone, {"time_budget_s": True}, 10.0) == 90.0  # not a number


def _spin(seconds: float) -> float:
    """Work (not wait) for ``seconds`` of this process's CPU time."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds


@MAIN_THREAD
def test_the_earliest_deadline_of_nested_guards_applies_and_the_timer_is_left_off(timer):
    start = time.process_time()
    with pytest.raises(timelimit.CallTimeout, match="`inner` did not return within 0.1 s: .*loop"):
        with timelimit.guard("outer", 30.0), timelimit.guard("inner", 0.1):
            _spin(5.0)
    assert time.process_time() - start < 1.0
    with timelimit.guard("quick", 0.2):
        pass
    _spin(0.3)  # no timer is left behind once the guards are closed
    _slow(0.3)


@MAIN_THREAD
def test_a_limit_counts_cpu_time_and_waiting_only_past_its_ceiling(timer):
    # waiting (for a CPU another process holds, or in a sleep) is not work: a call that waits
    # twice its limit returns, where a wall-clock limit charged it as a loop
    with timelimit.guard("waits", 0.2):
        _slow(0.4)
    start = time.monotonic()
    with pytest.raises(
        timelimit.CallTimeout, match="`sleeps` did not return within 2 s of waiting"
    ):
        with timelimit.guard("sleeps", 0.2):
            time.sleep(30)  # one long sleep: the watchdog's guard slices it
    assert 1.9 < time.monotonic() - start < 6


def test_a_budget_reads_the_cpu_time_of_the_process_that_runs_the_call(monkeypatch):
    clock = {"wall": 100.0, "cpu": 7.0}
    monkeypatch.setattr(time, "monotonic", lambda: clock["wall"])
    monkeypatch.setattr(timelimit, "_CPUS", 2)
    budget = timelimit.Budget(2.0, lambda: clock["cpu"])
    clock["wall"] += 5.0  # five seconds waiting: nothing of the two seconds of work spent
    assert budget.left() == 2.0 and not budget.waited()
    clock["wall"] += 1.0
    clock["cpu"] += 1.5  # on two CPUs
    assert budget.left() == pytest.approx(0.5)
    clock["wall"] = 100.0 + 2.0 * timelimit.WALL_FACTOR
    assert budget.left() <= 0 and budget.waited()
    blind = timelimit.Budget(2.0, lambda: None)  # no CPU time to read: wall-clock seconds
    assert blind.left() == 2.0 and not blind.waited()


def test_a_budget_reads_the_cpu_time_only_once_it_could_have_run_out(monkeypatch):
    clock, reads = {"wall": 100.0, "cpu": 7.0}, []
    monkeypatch.setattr(time, "monotonic", lambda: clock["wall"])
    monkeypatch.setattr(timelimit, "_CPUS", 2)

    def cpu():
        reads.append(clock["wall"])
        return clock["cpu"]

    budget = timelimit.Budget(2.0, cpu)  # one reading, as the call starts
    for _ in range(100):  # a call's exchange: many frames within its first second
        clock["wall"] += 0.009
        assert 0 < budget.left() <= 1.0  # two CPU-seconds take at least one second on 2 CPUs
    assert reads == [100.0]
    clock["wall"] += 0.2  # past one second: the two seconds could have been spent
    clock["cpu"] += 1.9
    assert budget.left() == pytest.approx(0.1) and len(reads) == 2
    clock["cpu"] += 0.2
    clock["wall"] += 0.1
    assert budget.left() <= 0  # out of time exactly when it was before


@MAIN_THREAD
def test_a_function_out_of_time_fails_at_once_afterwards_saying_so(timer):
    guarded = timelimit.Guarded(0.1)
    with pytest.raises(timelimit.CallTimeout):
        guarded.wrap("optim", "slow", _slow)(5.0)
    start = time.monotonic()
    again = guarded.wrap("optim", "slow", _slow)
    with pytest.raises(timelimit.CallTimeout, match="earlier in this run; not called again"):
        again(0.0)
    assert time.monotonic() - start < 0.05 and again.__name__ == "slow"
    # data and classes are handed over as they are
    assert guarded.wrap("optim", "RATE", 0.1) == 0.1 and guarded.wrap("optim", "C", dict) is dict


def test_a_diagnosis_cut_short_is_seen_by_the_watchers_begun_before_it():
    with timelimit.watching_cuts() as outer:
        with timelimit.watching_cuts() as inner:
            assert not inner()
            timelimit.cut_short()
        with timelimit.watching_cuts() as later:
            pass
    assert outer() and inner() and not later()
    assert timelimit.remembers_hangs() and timelimit.explored(30.0) == 30.0
    with timelimit.exploring():
        assert not timelimit.remembers_hangs()
        assert timelimit.explored(30.0) == timelimit.EXPLORING_S
