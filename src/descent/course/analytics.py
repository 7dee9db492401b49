"""The class report (``descent report --class GRADEBOOK``): which exercises the class struggled
with and which named mistakes it made, from every student's current submission, or with
``--assignment ID`` from the gradings of that assignment of the course plan.

Per exercise: how many students were graded on it, the mean points, the pass rate (the share of
students with full marks) and the most frequent named misconceptions with the number of students
whose submission showed each. With matplotlib (the ``labs`` extra) it also draws a histogram of
the students' totals and the pass rate per exercise, as PNG files.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import registry


@dataclass
class ExerciseStats:
    id: str
    title: str
    students: int = 0
    mean_points: float = 0.0
    max_points: float = 0.0
    pass_rate: float = 0.0
    misconceptions: list[tuple[str, int]] = field(default_factory=list)  # (name, students)


@dataclass
class ClassStats:
    students: int
    graded: int
    totals: list[float]  # each graded student's share of the maximum, in %
    exercises: list[ExerciseStats]


def compute(book, rows: list[dict] | None = None) -> ClassStats:
    """The statistics of ``rows`` (gradebook rows, default each student's current one)."""
    rows = book.current() if rows is None else rows
    graded = [r for r in rows if r["status"] == "graded" and r["max_points"]]
    totals = [100 * r["points"] / r["max_points"] for r in graded]
    ids = [r["id"] for r in graded]
    raw = book.db.execute(
        "SELECT e.exercise, e.title, e.points, e.max_points, e.status, e.misconceptions "
        f"FROM exercise_results e WHERE e.submission IN ({', '.join('?' * len(ids))})",
        ids,
    ).fetchall()
    by_id: dict[str, list] = {}
    for row in raw:
        by_id.setdefault(row[0], []).append(row)
    order = {ex_id: i for i, ex_id in enumerate(registry.EXERCISES)}
    stats = []
    for ex_id in sorted(by_id, key=lambda e: (order.get(e, len(order)), e)):
        mine = by_id[ex_id]
        seen = Counter(name for row in mine for name in set(json.loads(row[5])))
        stats.append(
            ExerciseStats(
                ex_id,
                mine[0][1],
                len(mine),
                sum(r[2] for r in mine) / len(mine),
                max(r[3] for r in mine),
                sum(r[4] == "passed" for r in mine) / len(mine),
                seen.most_common(),
            )
        )
    return ClassStats(len(rows), len(graded), totals, stats)


def render(stats: ClassStats, console: Console, *, top: int = 3) -> None:
    table = Table(
        title=f"class report: {stats.graded} of {stats.students} students graded",
        title_justify="left",
    )
    for column, justify in (
        ("exercise", "left"),
        ("mean", "right"),
        ("pass rate", "right"),
        ("most frequent named mistakes (students)", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")
    for ex in stats.exercises:
        mistakes = ", ".join(f"{name} ({n})" for name, n in ex.misconceptions[:top])
        style = "red" if ex.pass_rate < 0.5 else ""
        table.add_row(
            ex.id,
            f"{ex.mean_points:.1f}/{ex.max_points:g}",
            f"[{style}]{100 * ex.pass_rate:.0f}%[/{style}]"
            if style
            else f"{100 * ex.pass_rate:.0f}%",
            escape(mistakes),
        )
    console.print(table)
    ranked = sorted(
        ((n, name, ex.id) for ex in stats.exercises for name, n in ex.misconceptions), reverse=True
    )
    if ranked:
        console.print(
            "most frequent named mistakes across the class: "
            + "; ".join(
                f"{name} in {ex_id} ({n} student{'s' if n != 1 else ''})"
                for n, name, ex_id in ranked[:5]
            )
        )


def write(stats: ClassStats, folder: Path) -> list[Path]:
    """``class.json`` and, with matplotlib, ``points_histogram.png`` and ``pass_rate.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "class.json"
    data.write_text(json.dumps(asdict(stats), indent=2))
    written = [data]
    try:
        # optional: matplotlib comes with the labs extra
        import matplotlib

        matplotlib.use("Agg")
        # optional, as above; pyplot after the backend is chosen
        import matplotlib.pyplot as plt
    except ImportError:
        return written
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.hist(stats.totals, bins=range(0, 101, 10), color="#24405f", edgecolor="white")
    ax.set_xlabel("total points (% of the maximum)")
    ax.set_ylabel("students")
    ax.set_title(f"points of {stats.graded} students")
    fig.tight_layout()
    fig.savefig(folder / "points_histogram.png")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.22 * max(1, len(stats.exercises))), dpi=100)
    ids = [ex.id for ex in stats.exercises][::-1]
    rates = [100 * ex.pass_rate for ex in stats.exercises][::-1]
    ax.barh(ids, rates, color=["#c62828" if r < 50 else "#2e7d32" for r in rates])
    ax.set_xlim(0, 100)
    ax.set_xlabel("students with full marks (%)")
    ax.set_title("pass rate per exercise")
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(folder / "pass_rate.png")
    plt.close(fig)
    return written + [folder / "points_histogram.png", folder / "pass_rate.png"]
