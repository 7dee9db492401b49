"""One grade per student: nbgrader's exported grades joined with the code exercises' results
(``descent gradebook merge``).

Merge inputs
  ``--grades``  the CSV that ``nbgrader export`` writes: one row per (assignment, student) with
                the columns ``assignment``, ``student_id``, ``score`` and ``max_score``.
  ``--code``    a folder of ``<student_id>.json`` files, each a ``descent.results/1`` document
                (``descent grade --results``); the student's code score is the first entry of
                ``implementations`` (``points`` of ``max_points``).

Components and weights
  Every nbgrader assignment is a component of its own, and ``code`` is one more. ``--component
  labs=lab*`` gathers the assignments matching the glob patterns (comma separated) into one
  component whose points and maximum are the sums. ``--weight labs=0.3`` sets a component's
  weight; without any --weight all components weigh the same, otherwise a component that gets
  no weight is reported but does not count. The total is the weighted mean of the components'
  percentages. A missing submission or results file counts as 0 points.
"""

from __future__ import annotations

import csv
import fnmatch
import math
from dataclasses import dataclass, field
from pathlib import Path

from .. import results, spreadsheet
from ..errors import DescentError

CODE = "code"


@dataclass
class Component:
    name: str
    patterns: list[str]
    weight: float = 1.0
    assignments: list[str] = field(default_factory=list)


def read_nbgrader_grades(
    path: str | Path, keep: frozenset[str] = frozenset()
) -> tuple[dict[tuple[str, str], tuple[float, float]], list[str]]:
    """``{(student_id, assignment): (score, max_score)}`` from ``nbgrader export``'s CSV, and
    notes. nbgrader exports every assignment of its database, released or not, with a row of 0
    points for each student who did not submit; an assignment that *nobody* submitted (every
    ``timestamp`` empty) is taken as not released yet and left out, unless it is in ``keep``."""
    grades, submitted = {}, set()
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"assignment", "student_id", "score", "max_score"} - set(reader.fieldnames or [])
        if missing:
            raise DescentError(
                f"{path} is not an nbgrader export (missing columns: {', '.join(sorted(missing))})"
            )
        for number, row in enumerate(reader, 2):
            where = f"{path} line {number} ({row.get('student_id')!r}, {row.get('assignment')!r})"
            grades[(row["student_id"], row["assignment"])] = checked_points(
                row["score"] or 0, row["max_score"] or 0, where
            )
            if (row.get("timestamp") or "").strip() or "timestamp" not in row:
                submitted.add(row["assignment"])
    left_out = sorted({a for _, a in grades} - submitted - set(keep))
    notes = [
        f"{a}: nobody submitted it (not released yet?); left out of the totals "
        f"(--keep {a} counts it as 0 for everyone)"
        for a in left_out
    ]
    return {k: v for k, v in grades.items() if k[1] not in left_out}, notes


def checked_points(points, top, where: str) -> tuple[float, float]:
    """``(points, max)`` as floats, or a clear error: both finite, the maximum not negative and
    the points within ``[0, max]`` (a results file or an export edited by hand, or written by
    anything but the grader, must not move a total)."""
    try:
        points, top = float(points), float(top)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: points {points!r} of {top!r} are not numbers") from None
    if not (math.isfinite(points) and math.isfinite(top)) or top < 0 or not 0 <= points <= top:
        raise ValueError(f"{where}: points {points:g} of {top:g} are not within [0, maximum]")
    return points, top


def read_code_results(folder: str | Path) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """``{student_id: (points, max_points)}`` from a folder of results files, and the problems
    found (a file that cannot be read is reported and counts as missing)."""
    scores, problems = {}, []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            block = results.load(path)["implementations"][0]
            scores[path.stem] = checked_points(block["points"], block["max_points"], path.name)
        except (ValueError, KeyError, IndexError, TypeError, OSError) as exc:
            problems.append(f"{path.name}: unreadable results file ({exc}); counted as missing")
    return scores, problems


def merge(
    grades: dict[tuple[str, str], tuple[float, float]],
    code: dict[str, tuple[float, float]] | None,
    components: dict[str, str] | None = None,
    weights: dict[str, float] | None = None,
    passes: dict[str, float] | None = None,
) -> tuple[list[str], list[dict], list[str]]:
    """Rows (one per student) of the merged gradebook, their columns, and notes."""
    notes: list[str] = []
    assignments = sorted({a for _, a in grades})
    comps: list[Component] = [
        Component(name, [p.strip() for p in pats.split(",") if p.strip()])
        for name, pats in (components or {}).items()
    ]
    for comp in comps:
        comp.assignments = [
            a for a in assignments if any(fnmatch.fnmatchcase(a, p) for p in comp.patterns)
        ]
        if not comp.assignments:
            notes.append(f"component {comp.name!r} matches no assignment in the grades file")
    grouped = {a for comp in comps for a in comp.assignments}
    comps += [Component(a, [a], assignments=[a]) for a in assignments if a not in grouped]
    if code is not None:
        comps.append(Component(CODE, []))
    names = {c.name for c in comps}
    for name in weights or {}:
        if name not in names:
            raise DescentError(
                f"--weight {name}: no such component (have: {', '.join(sorted(names))})"
            )
    for comp in comps:
        comp.weight = (weights or {}).get(comp.name, 0.0 if weights else 1.0)
    unweighted = [c.name for c in comps if c.weight == 0]
    if unweighted:
        notes.append(f"weight 0 (reported, not counted): {', '.join(unweighted)}")

    # The maximum of an assignment is the same for everyone; a missing row takes it from others.
    assignment_max = {a: max(m for (_, b), (_, m) in grades.items() if b == a) for a in assignments}
    code_max = max((m for _, m in (code or {}).values()), default=0.0)
    students = sorted({s for s, _ in grades} | set(code or {}))

    columns = ["student_id"]
    for comp in comps:
        columns += [f"{comp.name}_points", f"{comp.name}_max", f"{comp.name}_percent"]
    columns += [f"{a}_passed" for a in (passes or {})] + ["total_percent"]
    rows = []
    for student in students:
        row: dict = {"student_id": student}
        weighted = total_weight = 0.0
        for comp in comps:
            if comp.name == CODE and not comp.assignments and code is not None:
                if student not in code:
                    notes.append(f"{student}: no code results file; code counts 0")
                points, top = code.get(student, (0.0, code_max))
            else:
                points = sum(grades.get((student, a), (0.0, 0.0))[0] for a in comp.assignments)
                top = sum(assignment_max[a] for a in comp.assignments)
            percent = 100.0 * points / top if top else 0.0
            row.update(
                {
                    f"{comp.name}_points": round(points, 4),
                    f"{comp.name}_max": round(top, 4),
                    f"{comp.name}_percent": round(percent, 2),
                }
            )
            weighted += comp.weight * percent
            total_weight += comp.weight
        for assignment, fraction in (passes or {}).items():
            score, top = grades.get((student, assignment), (0.0, assignment_max.get(assignment, 0)))
            row[f"{assignment}_passed"] = "yes" if top and score >= fraction * top - 1e-9 else "no"
        row["total_percent"] = round(weighted / total_weight, 2) if total_weight else 0.0
        rows.append(row)
    return columns, rows, notes


def write_csv(path: str | Path, columns: list[str], rows: list[dict]) -> None:
    """Write ``rows`` under ``columns`` through :mod:`descent.spreadsheet` (no cell can become
    a formula), without a byte-order mark, as before; the folder is created when missing."""
    path = Path(path)
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
    table = [columns] + [[row.get(c, "") for c in columns] for row in rows]
    spreadsheet.write(path, spreadsheet.render(table), bom=False)
