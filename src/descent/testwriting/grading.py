"""Judging a student's test file: every wheat must pass it, each chaff it catches earns its weight.

:func:`judge` runs the file against every implementation of one write-the-tests exercise
(:class:`Subject`: a wheat or a chaff, its functions and its description in words) and keeps
what each of its cases did to each; the ``*_message`` functions turn that into what the graded
checks say. The rules:

* a case refused by the behaviour-only rule (:mod:`descent.testwriting.scan`), one that could
  not be collected, and one whose outcomes depend on which implementations ran before it does
  not count: it is listed. In a worker (a submission) the file runs twice, the implementations
  in an order drawn for the grading and then in the reverse order, and a case whose outcomes
  differ between the two is order-dependent (each run imports the file afresh, and the global
  settings a test can read back are reset before each test, but a test could still carry what
  it saw of one implementation to the next through state of the process: it would then judge
  an implementation by another's output, not by what it computes itself). The second pass
  runs every test again; the worker answers the calls it makes as the first pass made them
  from that pass's tape (:class:`~descent.testwriting.harness.Tape`). In this process (the
  student's own loop, the kit's own folders) the file runs once;
* a counted case that fails, errs or runs out of time on a wheat fails the file: the exercise
  scores 0 until it passes every wheat (the failure names the wheat in words, never its code);
* a chaff is caught when a counted case fails, errs or runs out of time on it;
* a case that still raises ``NotImplementedError`` (the template's) leaves the exercise not
  written yet.

A case that runs out of time is not run again on a later implementation: it counts as failing
everywhere (one slow test costs one time limit, not one per implementation).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from .declared import CHAFF, WHEAT, WrittenTests  # noqa: F401 - graders import the roles here
from .dispatch import Dispatcher
from .runner import InWorker, LeftOut, SuiteRun, in_process
from .scan import Scan, scan

FAILING = ("failed", "timeout", "crashed")


@dataclass(frozen=True)
class Subject:
    """One implementation the tests are run against: ``title`` completes "code that ..." (a
    chaff: its misconception) or "a correct version that ..." (a wheat)."""

    id: str
    kind: str
    title: str
    functions: dict[str, Callable]
    weight: float = 0.0


@dataclass
class Judgement:
    """What a file did to every subject. ``error``: the file cannot run at all; ``refused``:
    case or test name -> why it does not count; ``outcomes``: subject id -> case -> outcome."""

    exercise: WrittenTests
    filename: str
    error: str | None = None
    cases: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    not_written: list[str] = field(default_factory=list)
    outcomes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def counted(self) -> list[str]:
        return [c for c in self.cases if c not in self.refused]

    def failing(self, subject_id: str) -> list[str]:
        """The counted cases that fail on ``subject_id``."""
        mine = self.outcomes.get(subject_id, {})
        return [c for c in self.counted if mine.get(c, {}).get("outcome") in FAILING]


def judge(
    exercise: WrittenTests,
    source: str,
    filename: str,
    subjects: list[Subject],
    *,
    worker: InWorker | None = None,
    seconds: float = 10.0,
    order_seed: int = 0,
) -> Judgement:
    """Run ``source`` against every subject; with ``worker`` (confined), twice, the second
    time in the reverse order, else once in this process."""
    judged = Judgement(exercise, filename)
    found = scan(source, filename)
    if found.error:
        judged.error = found.error
        return judged
    order = list(subjects)
    random.Random(order_seed).shuffle(order)
    hung: dict[str, dict[str, Any]] = {}
    seen: dict[str, list] = {}  # subject id -> the calls its first run made
    first = {
        s.id: _run(exercise, source, filename, s, worker, seconds, found, hung, seen=seen, k=k)
        for k, s in enumerate(order)
    }
    if worker is None:  # the student's own process, or the kit's own folders: nothing to cheat
        return _settle(judged, found, first, first, hung)
    # The second pass runs every test again, in the other order; a call it makes as the first
    # pass made it is answered by the worker from that run's tape (harness.Tape)
    second = {
        s.id: _run(exercise, source, filename, s, worker, seconds, found, hung, replay=seen, k=k)
        for k, s in reversed(list(enumerate(order)))
    }
    return _settle(judged, found, first, second, hung)


def _run(
    exercise, source, filename, subject, worker, seconds, found, hung, *, k, seen=None, replay=None
) -> SuiteRun:
    """One run of the file against ``subject``, the ``k``-th of the first pass: that pass keeps
    its calls in ``seen`` and the worker records them as tape ``k``; the second (``replay``)
    answers from that tape."""
    own = replay.get(subject.id) if replay is not None else None
    dispatcher = Dispatcher(subject.functions, exercise.caches, replay=own)
    functions = list(exercise.functions)

    leave_out = left_out(found, hung)

    if worker is not None:
        tape = ["record", k] if replay is None else ["replay", k]
        run = worker.run(source, filename, dispatcher, functions, leave_out=leave_out, tape=tape)
        if seen is not None:
            seen[subject.id] = dispatcher.calls_seen
    else:
        run = in_process(
            source, filename, dispatcher, functions, seconds=seconds, leave_out=leave_out
        )
    for case, outcome in run.outcomes.items():
        if outcome["outcome"] in ("timeout", "crashed"):
            hung.setdefault(case, dict(outcome, message=_not_again(outcome)))
    return run


def left_out(found: Scan, hung: Collection[str]) -> LeftOut:
    """What a run leaves out, as data a worker applies too: what ``found.refused(case)``
    refuses (every case, for a finding outside the tests; a test function's cases, for one of
    its own), and the cases that hung on an earlier implementation."""
    return LeftOut(
        bool(found.file),
        frozenset(name for name, findings in found.tests.items() if findings),
        frozenset(hung),
    )


def _not_again(outcome: dict[str, Any]) -> str:
    return f"{outcome.get('message', '')} (on one implementation; not run again on the others)"


def _settle(judged, found, first, second, hung) -> Judgement:
    some = next(iter(first.values()), SuiteRun())
    judged.error = some.error
    judged.cases = list(some.cases)
    for case in judged.cases:
        own = [f for f in found.refused(case) if f not in found.file]
        reasons = [f"the file has {_findings(found.file)}"] if found.file else []
        reasons += [_findings(own)] if own else []
        if reasons:
            judged.refused[case] = "; and ".join(reasons)
    for problem in some.problems:
        judged.refused.setdefault(problem["test"], f"could not run: {problem['why']}")
    for subject_id, run in first.items():
        outcomes = dict(run.outcomes)
        for case, outcome in hung.items():
            outcomes[case] = outcome
        judged.outcomes[subject_id] = outcomes
        for case in _order_dependent(outcomes, second[subject_id].outcomes, hung):
            judged.refused.setdefault(
                case,
                "its outcome depends on which implementations ran before it (a test must judge "
                "each implementation by what it computes in that test)",
            )
    judged.not_written = sorted(
        {c for o in judged.outcomes.values() for c, v in o.items() if v["outcome"] == "not_written"}
    )
    return judged


def _findings(found: list) -> str:
    return "; ".join(f"{f.what} ({f.why}, line {f.line})" for f in found)


def _order_dependent(first: dict, second: dict, hung: dict) -> list[str]:
    return [
        case
        for case, outcome in first.items()
        if case not in hung and second.get(case, {}).get("outcome") != outcome["outcome"]
    ]


# -- what the checks say ----------------------------------------------------------------------------
def _case_text(case: str, outcome: dict[str, Any], show_message: bool) -> str:
    if outcome["outcome"] in ("timeout", "crashed"):
        return f"{case} ({outcome.get('message', outcome['outcome'])})"
    where = f"line {outcome['line']}" if outcome.get("line") else "in the file"
    source = f": `{outcome['source']}`" if outcome.get("source") else ""
    error = outcome.get("error", "an error")
    if outcome.get("from_impl"):
        said = f"{error} raised by the implementation: {outcome.get('message', '')}"
    elif error == "AssertionError" and not show_message:
        said = "an assertion failed"
    else:
        said = error + (
            f": {outcome['message']}" if show_message and outcome.get("message") else ""
        )
    return f"{case} ({where}{source}; {said})"


def wheat_message(judged: Judgement, wheat: Subject, *, show_message: bool) -> str | None:
    """Why the file fails the wheat, or None. ``show_message``: an assertion's own message may
    be shown (a public wheat); a hidden wheat's never is, since it may print the values the
    correct version computed on the test's inputs."""
    failing = judged.failing(wheat.id)
    if not failing:
        return None
    outcomes = judged.outcomes[wheat.id]
    listed = "; ".join(_case_text(c, outcomes[c], show_message) for c in failing[:3])
    more = f" and {len(failing) - 3} more" if len(failing) > 3 else ""
    return (
        f"your tests fail on a correct version that {wheat.title}: {listed}{more}. A test must "
        f"pass on every correct version: this exercise scores 0 until they all do"
    )


def chaff_message(judged: Judgement, chaff: Subject, wheats_failed: list[str]) -> str | None:
    """Why the chaff earns nothing (None when it is caught and every wheat passes)."""
    if wheats_failed:
        return (
            "not counted: your tests fail on a correct version (see "
            f"{wheats_failed[0]}); this exercise scores 0 until they pass every correct version"
        )
    if judged.failing(chaff.id):
        return None
    if not judged.counted:
        return "no test of yours ran (see why each was left out): nothing catches any mistake"
    return f"no test of yours catches code that {chaff.title}"


def behaviour_message(judged: Judgement) -> str | None:
    """The tests left out and why (refused by the behaviour-only rule, not collectable,
    depending on what ran before), or None when every test counted."""
    if not judged.refused:
        return None
    by_reason: dict[str, list[str]] = {}
    for case, why in judged.refused.items():
        by_reason.setdefault(why, []).append(case)
    groups = list(by_reason.items())
    listed = "; ".join(f"{', '.join(cases)}: {why}" for why, cases in groups[:6])
    more = f"; and {len(groups) - 6} more" if len(groups) > 6 else ""
    return (
        f"{len(judged.refused)} of your tests did not count. A test may tell implementations "
        f"apart only by what they compute (values, shapes, dtypes, exceptions, what they do to "
        f"their arguments and generators): {listed}{more}"
    )
