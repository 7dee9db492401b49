"""The term part of ``descent demo`` (``descent.course.termdemo``), with the batch of the assignment
stood in for: one assignment of the sample plan released with only its modules, a class of three
(on time, late, late with an extension), and the Canvas file that follows from the plan's rules.
(The whole demo, graded for real, is CI's demo job.)"""

from __future__ import annotations

import csv
import io

import pytest
from rich.console import Console

from descent.course import assignbook, lateness, termdemo
from descent.course.gradebook import Gradebook

from .conftest import KIT

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def graded(monkeypatch):
    """The assignment's batch stood in for: it settles each student of the class as the real
    one would, from the manifest and the extensions, without grading (full marks each)."""
    seen = {}

    def run(opts, plan, item, kit, console):
        seen.update(folder=opts.submissions, plan=plan)
        manifest = lateness.read_manifest(opts.submissions, plan.timezone)
        extensions = lateness.read_extensions(plan.extensions, plan)
        rows = []
        for student in ("ana", "ben", "cy"):
            settled = lateness.settle(
                item,
                item.points,
                manifest[student],
                extensions.get((student, item.id)),
                plan.timezone,
            )
            rows.append(assignbook.Grade(
                student, item.id, None, student, manifest[student].at.isoformat(), "manifest",
                "graded", item.points, item.points, settled.penalty_percent, settled.penalty,
                settled.reason, settled.final, plan_hash=plan.digest,
            ))  # fmt: skip
        opts.out.mkdir(parents=True)
        with Gradebook(opts.out / "gradebook.sqlite") as book:
            assignbook.write(book, rows)
        return seen.get("code", 0)

    monkeypatch.setattr(termdemo, "run", run)
    return seen


def test_the_release_the_class_and_the_canvas_file(graded, tmp_path):
    out = io.StringIO()
    assert termdemo.run_term(KIT, tmp_path, Console(file=out, width=300)) == 0
    item = graded["plan"].item(termdemo.A1)
    shipped = sorted(p.stem for p in (tmp_path / "release-a1" / "starter").glob("*.py"))
    assert set(shipped) - {"__init__"} == set(item.modules)
    assert sorted(p.name for p in graded["folder"].iterdir()) == [
        "ana",
        "ben",
        "cy",
        "manifest.csv",
    ]
    rows = list(
        csv.reader(
            io.StringIO((tmp_path / "term-grading" / "canvas.csv").read_text(encoding="utf-8-sig"))
        )
    )
    students = [r[0] for r in rows[2:]]
    assert students == ["Lima, Ana", "Okafor, Ben", "Park, Cy"]
    a1 = rows[0].index(f"{item.id}: {item.title}")
    scores = {r[0]: float(r[a1]) for r in rows[2:]}
    # ben two days late loses what the plan says; cy, as late, is within his extension
    assert scores["Lima, Ana"] == scores["Park, Cy"] == item.points > scores["Okafor, Ben"]
    assert "Canvas import file" in out.getvalue()


def test_a_batch_that_fails_ends_the_term_part_with_its_code(graded, tmp_path):
    graded["code"] = 2
    assert termdemo.run_term(KIT, tmp_path, Console(file=io.StringIO())) == 2
    assert not (tmp_path / "term-grading" / "canvas.csv").exists()
