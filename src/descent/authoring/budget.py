"""The graders' cost budget: the work each module of ``graders/`` makes the reference solutions
do, counted, and the most it may make them do.

Seconds on a shared machine are noise; counts are not. :func:`measure` grades the solutions once
with the work counter (:mod:`descent.grading.work_count`): the kit's own ``solutions/`` in this process
(calls into their code, optimizer steps, examples run) and a copy of them through a worker
(round trips), one pytest run for both. :data:`BUDGET_FILE` (``graders/budget.toml``) keeps, per
grader module, what was measured when it was last recorded and the budget derived from it with
:func:`headroom`. The kit's test ``tests/test_budget.py`` fails when a module goes past one of
its budgets; ``descent budget`` prints the table and ``descent budget --record`` writes the file
again, for a deliberate increase (commit it with the change that needs it). Seconds per module
belong to the benchmark runner (``benchmarks/run.py``), which prints the same table in seconds.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import DescentError
from ..kit import PLUGINS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the backport has the same interface
    import tomli as tomllib

BUDGET_FILE = Path("graders") / "budget.toml"
RECORD = "descent budget --record"
# What is counted, in the order of the table; what each means is in descent.grading.work_count.
COUNTS = ("requests", "calls", "steps", "examples")
# A budget leaves room above what was measured: a quarter more, and at least this much more, so
# that one more small check (other branches add checks all the time) does not fail the suite,
# while a change that adds more than a quarter to a module's work, or a training run, does.
HEADROOM = 1.25
FLOOR = 20

Counts = dict[str, dict[str, int]]  # module -> count name -> value


def headroom(measured: int) -> int:
    """The budget recorded for a count measured at ``measured``."""
    return max(math.ceil(measured * HEADROOM), measured + FLOOR)


@dataclass(frozen=True)
class Overrun:
    """One count of one module past its budget."""

    module: str
    count: str
    measured: int
    budget: int

    def message(self) -> str:
        return (
            f"graders/test_{self.module}.py makes the solutions do {self.measured:,} "
            f"{self.count} (budget {self.budget:,}, {BUDGET_FILE}): a change took it past its "
            f"budget. Make the new work cheaper (share a run, batch calls, fewer examples), or, "
            f"for a deliberate increase, run `{RECORD}` and commit {BUDGET_FILE}."
        )


def over(measured: Counts, budgets: Counts) -> list[Overrun]:
    """Every count past its budget; a module with no budget yet has a budget of 0."""
    found = []
    for module in sorted(measured):
        for count in COUNTS:
            value = measured[module].get(count, 0)
            limit = budgets.get(module, {}).get(count, 0)
            if value > limit:
                found.append(Overrun(module, count, value, limit))
    return found


# -- the file --------------------------------------------------------------------------------------
_HEADER = f"""\
# The work each module of graders/ makes the reference solutions do, and the most it may make
# them do. Written by `{RECORD}`; tests/test_budget.py fails when a module
# goes past one of its budgets.
#
# requests  round trips to the confined worker (a copy of the solutions graded as a submission)
# calls     calls from the graders into the solutions' functions (the kit's solutions/ graded in
#           the grading process; calls the solutions make to each other are not counted)
# steps     optimizer steps (calls of an optim.py step function, one per parameter tensor),
#           whoever makes them: the optimizer scenarios or the capstone's training loop
# examples  runs of a test's body (hypothesis examples; 1 for a plain test)
#
# Each budget is a quarter above what was measured, and at least {FLOOR} above: other branches
# add checks all the time, and one small check should not fail the suite, but a change that adds
# more than a quarter to a module's work, or another training run, should. A deliberate
# increase: run `{RECORD}` and commit this file with the change. Seconds per
# module: benchmarks/run.py.
"""


def load(root: Path) -> tuple[Counts, Counts]:
    """``(budgets, measured)`` from the kit's budget file."""
    path = root / BUDGET_FILE
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise DescentError(f"no budget file {BUDGET_FILE}: run `{RECORD}`") from None
    except tomllib.TOMLDecodeError as exc:
        raise DescentError(f"{BUDGET_FILE} is not valid TOML ({exc}): run `{RECORD}`") from None
    budgets, measured = {}, {}
    for module, table in data.items():
        if not isinstance(table, dict) or not isinstance(table.get("budget"), dict):
            raise DescentError(f"{BUDGET_FILE}: [{module}] has no budget table; run `{RECORD}`")
        budgets[module] = {k: int(table["budget"].get(k, 0)) for k in COUNTS}
        measured[module] = {k: int(table.get("measured", {}).get(k, 0)) for k in COUNTS}
    return budgets, measured


def render(measured: Counts) -> str:
    """The budget file's text for these counts (each budget from :func:`headroom`)."""

    def inline(values: dict[str, int]) -> str:
        return "{ " + ", ".join(f"{k} = {values.get(k, 0)}" for k in COUNTS) + " }"

    parts = [_HEADER]
    for module in sorted(measured):
        counts = measured[module]
        parts.append(
            f"\n[{module}]\nmeasured = {inline(counts)}\n"
            f"budget = {inline({k: headroom(counts.get(k, 0)) for k in COUNTS})}\n"
        )
    return "".join(parts)


def record(root: Path, measured: Counts) -> Path:
    path = root / BUDGET_FILE
    path.write_text(render(measured))
    return path


# -- measuring -------------------------------------------------------------------------------------
def measure(root: Path, *, timeout: float = 1200.0) -> Counts:
    """Grade the solutions with the work counter and return the counts per grader module.

    One pytest run grades ``solutions/`` in this process and a copy of it through a worker
    (``--insecure``: the kit's own code, where the machine may lack confinement); both must get
    full marks, or the counts would be those of a failure."""
    with tempfile.TemporaryDirectory(prefix="descent-budget-") as tmp:
        copy = Path(tmp) / "solutions-copy"
        ignore = shutil.ignore_patterns("__init__.py", "__pycache__")
        shutil.copytree(root / "solutions", copy, ignore=ignore)
        work, results = Path(tmp) / "work.json", Path(tmp) / "results.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(root / "graders"),
            f"--rootdir={root}",
            *PLUGINS,
            "-p",
            "descent.grading.work_count",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:logging",
            "-q",
            "--no-header",
            "--tb=no",
            "--no-grade-summary",
            "--impl=solutions",
            f"--impl={copy}",
            "--insecure",
            "--test-processes=1",  # every count made in this process, where the counter runs
            f"--results={results}",
            f"--work-out={work}",
        ]
        done = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=timeout, check=False
        )
        if not work.is_file() or not results.is_file():
            raise DescentError(f"the counting run did not finish:\n{done.stdout[-2000:]}")
        _require_full_marks(json.loads(results.read_text()))
        return totals(json.loads(work.read_text())["tests"])


def totals(rows: list[dict]) -> Counts:
    """Per grader module: requests of the tests graded in a worker, the other counts of those
    graded in this process (each test of the graders runs once for each)."""
    out: Counts = {}
    for row in rows:
        counts = out.setdefault(row["module"], dict.fromkeys(COUNTS, 0))
        if row["isolated"]:
            counts["requests"] += int(row["requests"])
        else:
            for key in ("calls", "steps", "examples"):
                counts[key] += int(row.get(key, 0))
    return out


def _require_full_marks(doc: dict) -> None:
    short = [
        f"{block['name']}: {block['points']:g}/{block['max_points']:g}"
        for block in doc.get("implementations", [])
        if block["points"] != block["max_points"]
    ]
    if short or len(doc.get("implementations", [])) != 2:
        raise DescentError(
            "the solutions must keep full marks to be counted: " + "; ".join(short or ["no run"])
        )
