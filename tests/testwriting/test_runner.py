"""Running a test file (``descent.testwriting.runner``): in this process each test within its
time limit; in a confined worker, reloaded for each run, where the implementation is never
present (a test reading the catalogue's file is refused by the confinement itself), a test that
runs out of time costs its limit once and the next test gets a fresh worker; and a worker's
replies are kept only as far as they have the expected shape."""

from __future__ import annotations

import os
import time

import pytest
import torch

from descent.isolation.manager import IsolationManager, Settings
from descent.testwriting import runner
from descent.testwriting.dispatch import Dispatcher

from .conftest import KIT

SOURCE = f"""
import torch

def test_value(impl):
    assert impl.double(torch.ones(2)).sum() == 4

def test_loops(impl):
    while True:
        pass

def test_after(impl):
    impl.double(torch.ones(1))

def test_reads_the_catalogue(impl):
    with open({str(KIT / "graders" / "catalogue" / "losses.py")!r}) as fh:
        fh.read()
"""


def double(x):
    return x * 2


def half(x):
    return x / 2


@pytest.fixture(scope="module")
def manager():
    cpus = os.sched_getaffinity(0)
    threads = torch.get_num_threads()
    m = IsolationManager(Settings(call_timeout=2.0))
    yield m
    m.close()
    os.sched_setaffinity(0, cpus)  # the workers pinned this process to one CPU
    torch.set_num_threads(threads)


def test_in_this_process_a_test_that_loops_runs_out_of_time():
    run = runner.in_process(
        SOURCE,
        "test_mine.py",
        Dispatcher({"double": double}),
        ["double"],
        seconds=0.5,
        leave_out=runner.LeftOut(cases=frozenset({"test_reads_the_catalogue"})),
    )
    assert run.outcomes["test_value"] == {"outcome": "passed"}
    assert run.outcomes["test_loops"]["outcome"] == "timeout"
    assert run.outcomes["test_after"] == {"outcome": "passed"}
    assert "test_reads_the_catalogue" not in run.outcomes
    stuck = runner.in_process(
        "while True:\n    pass\n", "test_mine.py", Dispatcher({}), [], seconds=0.5
    )
    assert (
        stuck.error == "`importing test_mine.py` did not return within 0.5 s: time limit "
        "exceeded (infinite loop?)"
    )


def test_a_file_whose_import_hangs_is_loaded_once_in_a_run(manager):
    """A `while True` at the top of a test file was loaded again for every implementation: 24
    limits and 452 s for one exercise. In this process and in the worker it costs one."""
    hangs = "while True:  # the student's slip\n    x = 1\n"
    first = runner.in_process(hangs, "test_once.py", Dispatcher({}), [], seconds=0.3)
    start = time.monotonic()
    again = runner.in_process(hangs, "test_once.py", Dispatcher({}), [], seconds=0.3)
    assert "did not return within 0.3 s" in first.error and time.monotonic() - start < 0.1
    assert again.error.endswith("(earlier in this run; not loaded again)")
    worker = runner.InWorker(manager)
    try:
        first = worker.run(hangs, "test_once.py", Dispatcher({"double": double}), ["double"])
        start = time.monotonic()
        again = worker.run(hangs, "test_once.py", Dispatcher({"double": half}), ["double"])
        assert time.monotonic() - start < 0.5, again
    finally:
        worker.close()
    assert "did not return within 2 s" in first.error
    assert again.error.endswith("(earlier in this run; not loaded again)")


def test_in_a_worker_each_run_holds_the_file_and_never_the_implementation(manager):
    worker = runner.InWorker(manager)
    try:
        runs = [
            worker.run(SOURCE, "test_mine.py", Dispatcher({"double": fn}), ["double"])
            for fn in (double, half)
        ]
    finally:
        worker.close()
    right, wrong = (r.outcomes for r in runs)
    assert right["test_value"] == {"outcome": "passed"}
    assert wrong["test_value"]["outcome"] == "failed"
    assert right["test_loops"]["outcome"] == "timeout" and "2 s" in right["test_loops"]["message"]
    assert right["test_after"]["outcome"] == "passed"  # in the fresh worker that followed
    refused = right["test_reads_the_catalogue"]
    assert (refused["outcome"], refused["error"]) == ("failed", "PermissionError")


def test_in_a_worker_a_run_is_one_round_trip_whatever_its_number_of_cases(manager):
    """The first run of a file is two requests (its import, then its cases); every later run,
    once the import has come back, one: the import and the cases kept, chosen in the worker
    by the rule the trusted side reads its reply with."""
    source = (
        "import torch\n"
        + "".join(
            f"def test_{n}(impl):\n    assert impl.double(torch.ones(2)).sum() == {n}\n"
            for n in range(6)
        )
        + "@pytest.mark.parametrize('k', [1, 2])\ndef test_p(impl, k):\n    pass\n"
    )
    source = "import pytest\n" + source
    worker = runner.InWorker(manager)
    try:
        worker.run(source, "test_mine.py", Dispatcher({"double": double}), ["double"])
        assert worker.conn.requests == 3  # the harness booted, the import, the cases
        before = worker.conn.requests
        run = worker.run(
            source,
            "test_mine.py",
            Dispatcher({"double": double}),
            ["double"],
            leave_out=runner.LeftOut(bases=frozenset({"test_p"}), cases=frozenset({"test_5"})),
        )
        assert worker.conn.requests - before == 1  # the import and the five cases kept
    finally:
        worker.close()
    assert run.outcomes["test_4"] == {"outcome": "passed"}
    assert [c for c, o in run.outcomes.items() if o["outcome"] == "failed"] == [
        f"test_{n}" for n in (0, 1, 2, 3)
    ]
    assert not {"test_5", "test_p[1]", "test_p[2]"} & set(run.outcomes)


def test_the_worker_that_runs_the_tests_has_no_audit_hook(manager):
    """The harness boots with an unwatched cell: a notebook cell's audit hook would stay in
    the worker and run at every audited event (each ``id()`` call) of every test after it."""
    worker = runner.InWorker(manager)
    probe = {"op": "cell", "source": "from descent.isolation import cells\ncells._hooked"}
    try:
        run = worker.run(SOURCE, "test_mine.py", Dispatcher({"double": double}), ["double"])
        unwatched = worker.conn.request(dict(probe, watch=False))
        watched = worker.conn.request(probe)  # a cell as the labs send one: watched
        after = worker.conn.request(dict(probe, watch=False))
    finally:
        worker.close()
    assert run.outcomes["test_value"] == {"outcome": "passed"}
    assert (unwatched["result"], watched["result"], after["result"]) == ("False", "True", "True")


def test_a_run_in_one_request_that_fails_is_made_again_case_by_case(manager):
    """A file that passes its first run together and then raises past the harness (it counts
    its runs where the reload of the file does not reset them) is run again as a failing
    together-run is: case by case from a fresh worker, its outcomes those of that run."""
    source = (
        "import builtins, torch\n"
        "def test_counts(impl):\n"
        "    builtins.descent_runs = getattr(builtins, 'descent_runs', 0) + 1\n"
        "    if builtins.descent_runs > 1:\n"
        "        raise KeyboardInterrupt('past the harness')\n"
        "def test_value(impl):\n    assert impl.double(torch.ones(1)).sum() == 2\n"
    )
    (first, one_by_one), (second, later) = _runs(manager, source, 2)
    assert one_by_one == set() and later == {(source, "test_mine.py")}
    assert first.outcomes == {
        "test_counts": {"outcome": "passed"},
        "test_value": {"outcome": "passed"},
    }
    assert second.outcomes["test_value"] == {"outcome": "passed"}
    assert second.outcomes["test_counts"]["outcome"] == "passed"  # a fresh worker: one run


def test_cases_that_fail_together_are_run_again_one_by_one_as_before(manager):
    source = (
        "import torch\n"
        "def test_first(impl):\n    assert impl.double(torch.ones(1)).sum() == 2\n"
        "def test_interrupts(impl):\n    raise KeyboardInterrupt('past the harness')\n"
        "def test_last(impl):\n    assert impl.double(torch.ones(1)).sum() == 2\n"
    )
    ((run, one_by_one),) = _runs(manager, source, 1)
    assert one_by_one == {(source, "test_mine.py")}  # and so for its next runs
    assert run.outcomes["test_first"] == run.outcomes["test_last"] == {"outcome": "passed"}
    interrupted = run.outcomes["test_interrupts"]
    assert (interrupted["outcome"], interrupted["error"]) == ("failed", "Error")
    assert "past the harness" in interrupted["message"]


def test_a_worker_s_malformed_replies_are_not_taken():
    assert runner.clean_outcome({"outcome": "failed", "line": -3, "from_impl": 1, "x": 2}) == {
        "outcome": "failed",
        "line": 0,
        "from_impl": False,
    }
    assert runner.clean_outcome({"outcome": "won"})["error"] == "ProtocolError"
    assert runner.clean_outcome("passed")["outcome"] == "failed"
    loaded = runner.clean_load(
        {"cases": ["a", 3, "a"], "problems": [{"test": 1}, "x"], "error": None}
    )
    assert (loaded.cases, loaded.problems, loaded.error) == (
        ["a", ""],
        [{"test": "", "why": ""}],
        None,
    )
    assert runner.clean_load([]).error == "the worker sent a malformed answer"


def _runs(manager, source: str, times: int) -> list:
    """``times`` runs of ``source`` in one InWorker against ``double``: each run, with the
    files the worker runs case by case after it."""
    worker = runner.InWorker(manager)
    done = []
    try:
        for _ in range(times):
            run = worker.run(source, "test_mine.py", Dispatcher({"double": double}), ["double"])
            done.append((run, set(worker.one_by_one)))
    finally:
        worker.close()
    return done
