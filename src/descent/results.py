"""The results schema: one JSON document per grading run, written by the grading plugin.

Schema ``descent.results/1`` (every exporter and report reads only this)::

    {
      "schema": "descent.results/1",
      "suite": "graders" | "exercises" | ...,     # the test folders that ran
      "started_at": "2026-11-21T13:30:00+00:00", "duration_s": 4.2,
      "devices": ["cpu"],
      "environment": {"python": "3.11.7", "torch": "2.13.0", "cuda": false,
                      "isolation": "in-process",
                      "test_processes": 1,           # 2: two processes shared the tests
                      "input_seed": "course:3f0c..."}, # what the hidden inputs were drawn
                                                    # from: the course's secret (its fingerprint),
                                                    # an --input-seed, or "fixed"
      "interrupted": false,                         # true: the run was stopped (Ctrl-C) early;
                                                    # tests cut short are errors, never passed
      "implementations": [                          # one per implementation graded
        {"name": "starter", "kind": "folder", "points": 0.0, "max_points": 52.0,
         "exercises": [
           {"id": "losses.mse", "title": "Mean squared error", "points": 0.0,
            "max_points": 6.0, "status": "not_implemented",
            "passed": 0, "failed": 0, "not_implemented": 5, "errors": 0, "skipped": 0,
            "first_failure": "mse_forward: not implemented yet", "misconceptions": []}]}],
      "tests": [
        {"nodeid": "...", "implementation": "starter", "exercise": "losses.mse",
         "name": "TestMSE::test_forward_reference[cpu]", "device": "cpu",
         "weight": 2.0, "points": 0.0, "max_points": 1.25, "counted": true,
         "outcome": "passed" | "failed" | "not_implemented" | "error" | "skipped",
         "message": "...", "misconception": null | "mse_sum",
         "diagnosis": null | "sum-mean",             # the generic diagnosis's kind
         "diagnosis_cut_short": false,               # true: that diagnosis ran out of time
                                                    # (a busier machine may name another kind)
         "duration_s": 0.01,
         "drawn": true,                             # its inputs were drawn (the ``inputs``
                                                    # fixture, hypothesis), not written into it
         "picture": null}]                          # a failed check's values as a line or a
                                                    # histogram (descent.grading.pictures)
    }

Every exercise is worth a fixed number of points (10 unless the registry says otherwise), split
over its counted tests in proportion to each test's weight (its ``points`` marker), so adding a
check refines an exercise's grade without changing its worth.

Supporting checks (shapes and dtypes, arguments left unchanged, a gradient check against the
submission's own forward, properties that a constant satisfies) earn their points only when at
least one of the checks they support passed for the same implementation and exercise (a value
check, or named supporting checks that are themselves vouched for): code that computes nothing
passes them but no value check, and so earns nothing. A supporting
check that passed without such a value check keeps ``outcome: "passed"``, scores 0, and says why
in its ``message``.

Checks of an exercise's everyday use (marked ``ordinary``: typical inputs, the defaults and the
options the exercise is about) decide how much wrong code can keep: an implementation that fails
one of them keeps at most half of the exercise's points, its passed checks scaled down together
(each says so in its ``message``). Code wrong on the inputs a course uses every day is mostly
wrong, however many boundary, stability or type checks it passes.

Exercise status is ``passed`` (all points), ``partial``, ``failed`` (no points),
``not_implemented`` (no points, and every lost test stopped at ``NotImplementedError``) or
``error`` (no points, and the code could not be loaded or crashed). Tests skipped because the
hardware is absent (CUDA on a CPU machine) have ``counted: false`` and add nothing to either total;
any other skip scores 0 out of its points.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from copy import deepcopy
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

SCHEMA = "descent.results/1"

# A write-the-tests check is named `...[<exercise>.tests-<role>-<subject>]` (one test function
# parametrized by descent.testwriting.verdicts.checks), its role one of these: whether the
# student's tests counted, one check per correct version, one per catalogued mistake. Its subject
# names a version of the course's hidden set, and its weight how much that mistake counts:
# neither is shown to a student (:func:`shown_name`).
WRITTEN_ROLES = ("behaviour", "wheat", "chaff")
_WRITTEN_CHECK = re.compile(r"\[[\w.]+\.tests-(?P<role>behaviour|wheat|chaff)-[^\]]*\]$")
_SHOWN_ROLE = {
    "chaff": "a mistake no test of yours catches",
    "wheat": "a correct version a test of yours fails",
    "behaviour": "tests of yours that did not count",
}


def written_check(name: str) -> bool:
    """Whether a test record's ``name`` is a write-the-tests check's."""
    return _WRITTEN_CHECK.search(name) is not None


def shown_name(name: str) -> str:
    """A check's name as a student's report shows it: a write-the-tests check's says which kind
    of check it is (its message says which mistake or correct version, in words); any other
    check's is its own."""
    found = _WRITTEN_CHECK.search(name)
    return _SHOWN_ROLE[found["role"]] if found else name


PASSED, FAILED, NOT_IMPLEMENTED, ERROR, SKIPPED = (
    "passed",
    "failed",
    "not_implemented",
    "error",
    "skipped",
)


@dataclass
class TestResult:
    nodeid: str
    implementation: str
    exercise: str
    name: str
    device: str | None
    weight: float  # the test's share within its exercise (points marker)
    max_points: float = 0.0  # weight scaled so the exercise's counted tests sum to its points
    outcome: str = PASSED
    points: float = 0.0
    counted: bool = True
    message: str = ""
    misconception: str | None = None
    diagnosis: str | None = None  # kind of the generic diagnosis (descent.diagnoses.order.KINDS)
    diagnosis_cut_short: bool = False  # that diagnosis stopped early (out of time): machine-bound
    duration_s: float = 0.0
    drawn: bool = False  # its inputs were drawn (keyed to the code), not written into the test
    picture: dict | None = None  # a failed check's values to draw (descent.grading.pictures)

    def as_dict(self) -> dict[str, Any]:
        """Its fields as a dict, in their order: ``dataclasses.asdict`` without the deep copy
        its fields, plain numbers and text, never need (a fifteenth of the time, for the
        hundreds of records of a grading's results); only a picture, the one field that holds
        lists, is copied, and only a failed check has one."""
        out = {name: getattr(self, name) for name in _TEST_FIELDS}
        if self.picture is not None:
            out["picture"] = deepcopy(self.picture)
        return out


_TEST_FIELDS = tuple(f.name for f in fields(TestResult))


@dataclass
class ExerciseResult:
    id: str
    title: str
    points: float = 0.0
    max_points: float = 0.0
    status: str = PASSED
    passed: int = 0
    failed: int = 0
    not_implemented: int = 0
    errors: int = 0
    skipped: int = 0
    first_failure: str = ""
    misconceptions: list[str] = field(default_factory=list)


def summarize_exercises(
    tests: list[TestResult], titles: dict[str, str], supporting: Collection[str] = ()
) -> list[ExerciseResult]:
    """Per-exercise totals, in the order exercises first appear in ``tests``. The first failure
    named is the most basic one: a value check's (not one of the node ids in ``supporting``)
    before a supporting check's, so a wrong forward is shown before the gradient check that
    its right backward fails against it."""
    by_id: dict[str, ExerciseResult] = {}
    tests_basic_first = sorted(tests, key=lambda t: t.nodeid in supporting)
    for t in tests_basic_first:
        ex = by_id.setdefault(t.exercise, ExerciseResult(t.exercise, titles.get(t.exercise, "")))
        if t.counted and t.outcome != PASSED and not ex.first_failure:
            ex.first_failure = t.message.splitlines()[0] if t.message else t.outcome
    by_id = {t.exercise: by_id[t.exercise] for t in tests}  # back in the order of the run
    for t in tests:
        ex = by_id.setdefault(t.exercise, ExerciseResult(t.exercise, titles.get(t.exercise, "")))
        if not t.counted:
            continue
        ex.points += t.points
        ex.max_points += t.max_points
        counter = {
            PASSED: "passed",
            FAILED: "failed",
            NOT_IMPLEMENTED: "not_implemented",
            ERROR: "errors",
            SKIPPED: "skipped",
        }[t.outcome]
        setattr(ex, counter, getattr(ex, counter) + 1)
        if t.misconception and t.misconception not in ex.misconceptions:
            ex.misconceptions.append(t.misconception)
    for t in tests:  # a supporting check that passed unsupported is the only loss left to name
        ex = by_id[t.exercise]
        if t.counted and t.points < t.max_points and t.message and not ex.first_failure:
            ex.first_failure = t.message
    for t in tests:  # an exercise none of whose tests counted says why
        ex = by_id[t.exercise]
        if not ex.first_failure and not t.counted and t.message:
            ex.first_failure = t.message.splitlines()[0]
    for ex in by_id.values():
        ex.points, ex.max_points = round(ex.points, 6), round(ex.max_points, 6)
        ex.status = _status(ex)
    return list(by_id.values())


def _status(ex: ExerciseResult) -> str:
    lost = ex.failed + ex.not_implemented + ex.errors + ex.skipped
    if ex.passed + lost == 0:  # no test counted (CUDA only on a CPU machine, a selection)
        return SKIPPED
    if lost == 0:
        return PASSED if ex.points >= ex.max_points else "partial" if ex.points > 0 else FAILED
    if ex.passed and ex.points > 0:
        return "partial"
    if ex.not_implemented == lost:
        return NOT_IMPLEMENTED
    if ex.errors == lost:
        return ERROR
    return FAILED


def test_function(nodeid: str) -> str:
    """The test function's name in a node id: ``test_forward`` for ``f.py::C::test_forward[cpu]``."""
    return nodeid.split("[", 1)[0].rsplit("::", 1)[-1]


def assign_points(
    tests: list[TestResult],
    exercise_points: dict[str, float],
    default: float = 10.0,
    supporting: dict[str, tuple[str, ...]] | None = None,
    ordinary: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Split each exercise's points over its counted tests in proportion to their weights.

    An exercise is worth the same whatever the number of its tests; a test's ``max_points`` is
    its share. Tests that are not counted (CUDA without a GPU) get no share. ``supporting`` maps
    the node id of each supporting check to the test functions it names; a passed supporting
    check scores only if it is vouched for (:func:`_vouched`). ``ordinary`` holds the node ids of
    the checks of everyday inputs: failing one caps the exercise at half (:func:`_cap_at_half`).
    """
    supporting = supporting or {}
    weights: dict[tuple[str, str], list[float]] = {}
    for t in tests:
        if t.counted:
            weights.setdefault((t.implementation, t.exercise), []).append(t.weight)
    # fsum: a sum that does not depend on the order the tests ran in, so neither do the points
    totals = {key: math.fsum(w) for key, w in weights.items()}
    for t in tests:
        total = totals.get((t.implementation, t.exercise), 0.0)
        share = (
            exercise_points.get(t.exercise, default) * t.weight / total
            if t.counted and total
            else 0.0
        )
        t.max_points = share
        t.points = t.max_points if t.outcome == PASSED else 0.0
    vouched = _vouched(tests, supporting)
    for t in tests:
        if t.nodeid in supporting and t.outcome == PASSED and t.nodeid not in vouched:
            t.points = 0.0
            t.message = t.message or (
                "passed, but this supporting check counts only once a value check of the "
                f"exercise ({', '.join(supporting[t.nodeid]) or 'any'}) passes too"
            )
    _cap_at_half(tests, ordinary)


def _cap_at_half(tests: list[TestResult], ordinary: set[str] | frozenset[str]) -> None:
    """Per implementation and exercise: when a counted check in ``ordinary`` did not pass, scale
    the points of the passed checks down so that together they are at most half of the
    exercise's points."""
    groups: dict[tuple[str, str], list[TestResult]] = {}
    for t in tests:
        if t.counted:
            groups.setdefault((t.implementation, t.exercise), []).append(t)
    for group in groups.values():
        failed = next((t for t in group if t.nodeid in ordinary and t.outcome != PASSED), None)
        kept = math.fsum(t.points for t in group)
        half = math.fsum(t.max_points for t in group) / 2
        if failed is None or kept <= half:
            continue
        for t in group:
            if t.points > 0:
                t.points *= half / kept
                t.message = t.message or (
                    f"passed, but counted at {100 * half / kept:.0f}%: the exercise fails a check "
                    f"of everyday inputs ({test_function(failed.nodeid)}), and code that is wrong "
                    "there keeps at most half of the exercise's points"
                )


def _vouched(tests: list[TestResult], supporting: dict[str, tuple[str, ...]]) -> set[str]:
    """Node ids of the passed tests that count.

    A value check (not supporting) that passed counts. A supporting check that passed counts
    when another test of the same implementation and exercise counts and is one it names (by
    test function), or, if it names none, is a value check. Supporting checks may name one
    another (each label of a classifier vouched for by the others): the largest set that
    satisfies the rule counts, found by dropping unsupported checks until none is left.
    """
    passed = [t for t in tests if t.outcome == PASSED and t.counted]
    counts = {t.nodeid for t in passed}
    peers: dict[tuple[str, str], list[TestResult]] = {}  # same implementation and exercise
    for t in passed:
        peers.setdefault((t.implementation, t.exercise), []).append(t)
    changed = True
    while changed:
        changed = False
        for t in passed:
            if t.nodeid not in supporting or t.nodeid not in counts:
                continue
            names = supporting[t.nodeid]
            if not any(
                o.nodeid != t.nodeid
                and o.nodeid in counts
                and (test_function(o.nodeid) in names if names else o.nodeid not in supporting)
                for o in peers[(t.implementation, t.exercise)]
            ):
                counts.discard(t.nodeid)
                changed = True
    return counts


def build(
    tests: list[TestResult],
    *,
    implementations: list[dict[str, str]],
    titles: dict[str, str],
    suite: str,
    started_at: str,
    duration_s: float,
    devices: list[str],
    environment: dict[str, Any],
    supporting: Collection[str] = (),
) -> dict[str, Any]:
    """The results document; ``supporting`` holds the node ids of the supporting checks."""
    blocks = []
    for impl in implementations:
        mine = [t for t in tests if t.implementation == impl["name"]]
        exercises = summarize_exercises(mine, titles, supporting)
        blocks.append(
            {
                "name": impl["name"],
                "kind": impl["kind"],
                "points": round(sum(e.points for e in exercises), 6),
                "max_points": round(sum(e.max_points for e in exercises), 6),
                "exercises": [asdict(e) for e in exercises],
            }
        )
    return {
        "schema": SCHEMA,
        "suite": suite,
        "started_at": started_at,
        "duration_s": round(duration_s, 3),
        "devices": devices,
        "environment": environment,
        "implementations": blocks,
        "tests": [t.as_dict() for t in tests],
    }


def write(results: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(results, indent=2))
    tmp.replace(path)  # never leave a half-written file behind
    return path


def load(path: str | Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text())
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema != SCHEMA:
        raise ValueError(f"{path}: not a {SCHEMA} file (schema={schema!r})")
    return data
