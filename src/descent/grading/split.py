"""One grading's tests shared by two processes, one per CPU (``--test-processes``).

A grading of one submission through a worker keeps one CPU busy: the grading process and its
worker take turns on it (``IsolationManager.colocate``) while a second CPU sits idle. Once
collection is done, the grading process forks once, and the copy starts a worker of its own,
pinned beside it on the second CPU. Each process runs a fixed share of the grader files
(:func:`plan`), then takes the cheapest write-the-tests exercises one at a time, whichever is
free first (:class:`Claims`). The copy sends back what its tests reported: pytest's reports,
serialized as pytest-xdist does, and the grading plugin's records of each test (:class:`Side`).
The original replays the copy's reports and takes in its records, so that the results
document, the terminal and the exit code are those of one process that ran every test, in
collection order.

Why the results do not change:

- A grader file goes whole to one side, and files that share an exercise go to the same side:
  an exercise's failures are weighed against all of its checks (``descent.diagnoses.verified``)
  in the process that ran them. A file of :data:`_BY_EXERCISE` goes by exercise instead, each
  exercise's checks whole to one side.
- Hypothesis draws no constants from the loaded modules (``hypothesis_profiles``), so a test
  draws the same examples whichever tests ran before it in its process.
- Each side's worker starts from the submission's files, as a grading's first worker does;
  graders never depend on what an earlier file left in the student's modules.

What a submission keeps in its own modules between calls (a counter, a cache) does carry from
one file to the next in a worker; no grader relies on it, and the fixed shares keep it the same
in every run. A write-the-tests exercise meets none of it (the student's test file runs against
the kit's implementations, imported afresh for each run), so those go to whichever process asks
first. What one test file leaves in the tests worker beyond what the harness resets before each
case (a library function patched, say) does reach the exercises after it there, and which those
are then depends on timing; such a file is already judged in an order of implementations drawn
anew for each grading (docs/explanation/testwriting-grading.md), so it had no fixed grade to lose.

Nothing is lost: when the copy dies or sends nothing readable, the original runs the tests the
copy had (its share, and whatever of the tail it took) itself, one after the other, as without
the split.

The copy is the trusted grading process (fork duplicates it after collection; no student code
has run in it), its worker comes from the same fork server as every worker, confined alike,
and the channel between the two processes carries JSON only.
"""

from __future__ import annotations

import io
import json
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, NoReturn, Protocol

import pytest
from _pytest.config import create_terminal_writer  # a terminal writer on a buffer

# Seconds of each grader file's tests on the solutions through a worker: the medians of five
# gradings' test durations, each split between two processes as a grading is (2026-11-26, the
# 2-core development machine, quiet). They only balance the two sides: a stale figure makes the
# split slower, never different. A file missing here counts its tests. (The figures before these
# were measured in one process on a loaded machine; they put the capstone at 0.94 s against the
# 0.57 s it takes here, and one side ended about 0.4 s before the other. Paired, 8 gradings each:
# 0.96 of the wall time with these.)
_SECONDS = {
    # the write-the-tests checks, by exercise (test_written[EXERCISE]), measured in the same runs
    "test_written[losses.cross_entropy.tests]": 0.37,
    "test_written[regularization.dropout.tests]": 0.36,
    "test_written[normalization.batchnorm.tests]": 0.33,
    "test_written[optim.adam.tests]": 0.23,
    "test_written[clipping.clip_grad_norm.tests]": 0.18,
    "test_written[losses.mse.tests]": 0.17,
    "test_written[schedules.warmup_cosine_lr.tests]": 0.13,
    "test_written[layers.linear.tests]": 0.07,
    "test_train": 0.57,
    "test_data": 0.49,
    "test_optim": 0.43,
    "test_regression": 0.39,
    "test_diagnostics": 0.36,
    "test_layers": 0.36,
    "test_losses": 0.34,
    "test_activations": 0.30,
    "test_autograd": 0.23,
    "test_regularization": 0.22,
    "test_normalization": 0.19,
    "test_clipping": 0.17,
    "test_init": 0.13,
    "test_schedules": 0.12,
    "test_basics": 0.02,
}
_PER_TEST_S = 0.0007  # pytest's own work around one test, outside its measured duration
# The most of the measured cost, taken from the cheapest write-the-tests exercises, that the two
# processes take at run time instead of by the table: enough to absorb a side that runs late by
# a few tenths of a second (with fixed shares alone one side ended up to 0.2 s after the other
# on the quiet machine). With the table below: six of the eight exercises, 1.17 of 6.74 s.
TAIL_SHARE = 0.2
_MAX_TAIL = 1024  # groups in the tail: two bytes each, one atomic write to the claims pipe
# Files whose exercises may go to different sides: every check of one write-the-tests exercise
# reads one judgement of the student's file, made on first use in the process that runs the
# check (descent.testwriting.verdicts), and nothing else of the file is shared between its
# exercises. An exercise's tests there cost the figure of "STEM[EXERCISE]" in _SECONDS.
_BY_EXERCISE = frozenset({"test_written"})


class Side(Protocol):
    """The grading plugin's part in a split."""

    def pin(self, cpu: int) -> None:
        """In the original, once the copy is made: its workers and itself on ``cpu``."""

    def forked(self, cpu: int) -> None:
        """In the copy, before its first test: workers of its own, pinned to ``cpu``."""

    def export(self) -> dict[str, Any]:
        """In the copy, after its last test: its records, settled, as JSON data."""

    def absorb(self, records: dict[str, Any], order: Sequence[str]) -> None:
        """In the original: take the copy's records; ``order`` is every node id, collected."""

    def close(self) -> None:
        """In the copy, at its end: stop its own workers."""


@dataclass
class Plan:
    """Who runs what: each side's fixed share (in collection order), and the tail, the cheapest
    groups (costliest first), which the two processes take one at a time as each becomes free."""

    mine: list[pytest.Item]
    theirs: list[pytest.Item]
    tail: list[list[pytest.Item]]


def plan(
    items: Sequence[pytest.Item],
    exercise_of: Callable[[pytest.Item], str | None],
    tail_share: float = TAIL_SHARE,
) -> Plan:
    """Share ``items`` between the two processes. A file (in a file of :data:`_BY_EXERCISE`,
    each exercise's tests), and every file that shares an exercise with it, form one group,
    which one process runs whole. The cheapest groups of :data:`_BY_EXERCISE` files, up to
    ``tail_share`` of the measured cost, make the tail; the others go to the two sides by cost,
    the costliest first, each to the side with less so far. The fixed shares are the same in
    every run; the tail absorbs what the table does not foresee (a noisy machine, another
    submission's speed).

    Only those groups may go either way: each exercise's checks there run the student's test
    file against the kit's own implementations, the file imported afresh for each run and the
    global state a test can read back reset before each case (what a file changes beyond that
    is the module docstring's caveat). A grader file of the student's modules stays in a fixed
    share, so that what a submission keeps in its modules between calls meets the same files
    before it in every run."""
    groups = _groups(items, exercise_of)
    budget = tail_share * sum(cost for cost, _ in groups)
    fixed: list[tuple[float, list[pytest.Item]]] = []
    tail: list[list[pytest.Item]] = []
    for cost, members in reversed(groups):  # the cheapest first
        if (
            cost <= budget
            and len(tail) < _MAX_TAIL
            and len(groups) - len(tail) > 2  # each side keeps a group of its own
            and all(Path(str(item.path)).stem in _BY_EXERCISE for item in members)
        ):
            budget -= cost
            tail.insert(0, members)
        else:
            fixed.insert(0, (cost, members))
    sides: tuple[list[pytest.Item], list[pytest.Item]] = ([], [])
    loads = [0.0, 0.0]
    for cost, members in fixed:
        lighter = 0 if loads[0] <= loads[1] else 1
        sides[lighter].extend(members)
        loads[lighter] += cost
    position = {id(item): n for n, item in enumerate(items)}
    return Plan(
        sorted(sides[0], key=lambda item: position[id(item)]),
        sorted(sides[1], key=lambda item: position[id(item)]),
        tail,
    )


def _groups(
    items: Sequence[pytest.Item], exercise_of: Callable[[pytest.Item], str | None]
) -> list[tuple[float, list[pytest.Item]]]:
    """(cost, members) of each group of tests that one process runs whole, costliest first
    (ties by name), members in collection order."""
    owner: dict[str, str] = {}

    def root(unit: str) -> str:
        while owner[unit] != unit:
            unit = owner[unit]
        return unit

    first: dict[str, str] = {}
    units = [_unit(item, exercise_of(item)) for item in items]
    for item, unit in zip(items, units):
        owner.setdefault(unit, unit)
        exercise = exercise_of(item)
        if exercise is None:
            continue
        if exercise in first:
            owner[root(unit)] = root(first[exercise])
        else:
            first[exercise] = unit
    groups: dict[str, list[pytest.Item]] = {}
    costs: dict[str, float] = {}
    for item, unit in zip(items, units):
        groups.setdefault(root(unit), []).append(item)
        costs[root(unit)] = costs.get(root(unit), 0.0) + _PER_TEST_S
    for unit in set(units):  # each file, or each exercise of a file of _BY_EXERCISE, once
        costs[root(unit)] += _seconds(unit)
    ranked = sorted(groups, key=lambda key: (-costs[key], key))
    return [(costs[key], groups[key]) for key in ranked]


class Claims:
    """The tail's groups, handed out one at a time to whichever process asks first.

    A pipe made before the fork holds each group's index in two bytes, all written at once (at
    most :data:`_MAX_TAIL` groups, within the pipe's atomic size) before its write end closes;
    a read of two bytes then takes one index whole, since Linux holds the pipe's lock for the
    whole of a read, and an empty read says the tail is all taken."""

    def __init__(self, count: int):
        self.fd, writer = os.pipe()
        try:  # at most _MAX_TAIL groups: within PIPE_BUF, written whole at once
            os.write(writer, b"".join(i.to_bytes(2, "big") for i in range(count)))
        finally:
            os.close(writer)

    def take(self) -> int | None:
        data = os.read(self.fd, 2)
        return int.from_bytes(data, "big") if len(data) == 2 else None

    def items(self, tail: list[list[pytest.Item]]) -> Iterator[pytest.Item]:
        """The tests of each group this process takes, group after group, until none is left."""
        while (index := self.take()) is not None:
            yield from tail[index]

    def close(self) -> None:
        os.close(self.fd)


def _unit(item: pytest.Item, exercise: str | None) -> str:
    """What goes whole to one side: the item's file, or in a file of :data:`_BY_EXERCISE`
    its exercise's tests there (``PATH::EXERCISE``)."""
    path = str(item.path)
    if exercise is not None and Path(path).stem in _BY_EXERCISE:
        return f"{path}::{exercise}"
    return path


def _seconds(unit: str) -> float:
    """The measured seconds of a file, or of one exercise's tests in a file of _BY_EXERCISE."""
    path, _, exercise = unit.partition("::")
    stem = Path(path).stem
    return _SECONDS.get(f"{stem}[{exercise}]" if exercise else stem, 0.0)


def run(session: pytest.Session, items: Iterable[pytest.Item]) -> list[pytest.Item]:
    """pytest's own test loop over ``items``, read one ahead (each test is told the next, so
    that its teardown keeps what the next one shares); the tests it ran."""
    ran: list[pytest.Item] = []
    ahead = iter(items)
    item = next(ahead, None)
    while item is not None:
        nextitem = next(ahead, None)
        item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        ran.append(item)
        if session.shouldfail:
            raise session.Failed(session.shouldfail)
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)
        item = nextitem
    return ran


class Split:
    """Shares a session's tests between this process and a forked copy (registered by the
    grading plugin only where :func:`cpus` found two)."""

    def __init__(
        self,
        side: Side,
        cpus: tuple[int, int],
        exercise_of: Callable[[pytest.Item], str | None],
    ):
        self.side, self.cpus, self.exercise_of = side, cpus, exercise_of

    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        config = session.config
        if session.testsfailed or config.option.collectonly:
            return None  # pytest's own loop reports the collection errors, or lists the tests
        if config.option.usepdb or config.option.maxfail:
            return None  # a debugger needs the terminal; -x stops at the first failure of all
        shares = plan(session.items, self.exercise_of)
        if not shares.mine or not shares.theirs:
            return None
        claims = Claims(len(shares.tail))
        try:
            pid, reader = self._fork(session, chain(shares.theirs, claims.items(shares.tail)))
        except OSError:  # no process to spare: one process runs them all
            claims.close()
            return None
        try:
            try:
                self.side.pin(self.cpus[0])
                ran = run(session, chain(shares.mine, claims.items(shares.tail)))
                sent = _read(reader)
            except BaseException:
                os.kill(pid, signal.SIGKILL)  # the run stops here: so does the copy
                raise
            finally:
                os.close(reader)
                claims.close()
            self._take_back(session, _parse(sent), ran)
        finally:
            # reaped last: the copy stops its workers and exits while its reports replay here
            os.waitpid(pid, 0)
        return True

    def _fork(self, session: pytest.Session, items: Iterable[pytest.Item]) -> tuple[int, int]:
        """Start the copy on ``items``: its pid, and the pipe its results come back on."""
        reader, writer = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            raise
        if pid == 0:
            os.close(reader)
            _copy(session, items, self.side, self.cpus[1], writer)
        os.close(writer)
        return pid, reader

    def _take_back(
        self, session: pytest.Session, records: dict[str, Any] | None, ran: list[pytest.Item]
    ) -> None:
        """Take in what the copy sent; if it sent nothing readable, run here what it took."""
        if records is None:
            _say(
                session.config,
                "the second grading process ended without its results: its tests ran here",
            )
            done = {id(item) for item in ran}
            run(session, [item for item in session.items if id(item) not in done])
            return
        # the records first: the results stay whole even if the terminal fails (a closed pipe)
        self.side.absorb(records["records"], [item.nodeid for item in session.items])
        _replay(session.config, records["reports"])


def _copy(
    session: pytest.Session, items: Iterable[pytest.Item], side: Side, cpu: int, out: int
) -> NoReturn:
    """The forked copy: run ``items``, write what they reported to ``out``, exit."""
    code = 1
    try:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:  # the original shows these tests when it replays them
            reporter._tw = create_terminal_writer(session.config, io.StringIO())
        reports = _Reports(session.config)
        session.config.pluginmanager.register(reports, "descent-split-reports")
        side.forked(cpu)
        run(session, items)
        data = {"reports": reports.serialized, "records": side.export()}
        _write(out, json.dumps(data).encode())
        code = 0
    except BaseException:  # noqa: BLE001 - the original runs these tests again itself
        pass
    finally:
        try:
            side.close()
        finally:
            os._exit(code)


class _Reports:
    """The copy's test reports, serialized as pytest-xdist sends a worker's."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.serialized: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.serialized.append(
            self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        )


def _replay(config: pytest.Config, serialized: list[dict[str, Any]]) -> None:
    """Hand the copy's reports to this process's hooks, test by test, as if run here."""
    hook = config.hook
    started: str | None = None
    for data in serialized:
        report = hook.pytest_report_from_serializable(config=config, data=data)
        if report.nodeid != started:
            started = report.nodeid
            hook.pytest_runtest_logstart(nodeid=report.nodeid, location=report.location)
        hook.pytest_runtest_logreport(report=report)
        if report.when == "teardown":
            hook.pytest_runtest_logfinish(nodeid=report.nodeid, location=report.location)
            started = None


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.close(fd)


def _read(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(sent: bytes) -> dict[str, Any] | None:
    try:
        records = json.loads(sent) if sent else None
    except ValueError:
        return None
    if not isinstance(records, dict) or not {"reports", "records"} <= records.keys():
        return None
    return records


def _say(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"descent: {line}")


def cpus(option: str, one_submission: bool) -> tuple[int, int] | None:
    """The CPUs of the original and of the copy, or None for one process. ``option`` is
    ``--test-processes``: ``1``, ``2`` or ``auto`` (two when one submission is graded through
    a worker and this process may run on two CPUs or more)."""
    if option == "1" or not hasattr(os, "sched_getaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return (allowed[0], allowed[0]) if option == "2" else None
    if option == "auto" and not one_submission:
        return None
    here = _current_cpu(allowed)
    return here, next(cpu for cpu in allowed if cpu != here)


def _current_cpu(allowed: list[int]) -> int:
    # start-up: the isolation's machinery loads only for a grading that splits
    from ..isolation.manager import current_cpu

    cpu = current_cpu()
    return cpu if cpu in allowed else allowed[0]
