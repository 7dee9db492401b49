"""Helpers of the command-line tests: a results document as a grading run writes one, and a
folder laid out as the kit (graders/ and solutions/), for a command to run in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from toykit import record

from descent import results
from descent.results import FAILED, PASSED

KIT = Path(__file__).resolve().parents[2]

# A course plan of one code assignment, due 2027-01-08 23:59 UTC.
PLAN = """
[course]
name = "A small term"
timezone = "UTC"
time_source = "manifest"

[categories.code]
weight = 100

[[assignment]]
id = "a1"
title = "Losses"
exercises = ["losses.mse"]
points = 10
category = "code"
release = 2027-01-01T09:00:00
due = 2027-01-08T23:59:00
"""


def results_doc(*names: str, lost: tuple[str, ...] = ()) -> dict:
    """A results document of ``losses.mse`` graded for each of ``names``: full marks, or none
    for those in ``lost``."""
    tests = [record("test_value", FAILED if n in lost else PASSED, impl=n) for n in names]
    results.assign_points(tests, {"losses.mse": 10.0})
    return results.build(
        tests,
        implementations=[{"name": n, "kind": "folder"} for n in names],
        titles={"losses.mse": "Mean squared error"},
        suite="graders",
        started_at="2027-01-08T12:00:00+00:00",
        duration_s=1.0,
        devices=["cpu"],
        environment={},
    )


@pytest.fixture
def results_file(tmp_path):
    """``results_file(*names, lost=...)``: :func:`results_doc` written to a file."""

    def write(*names: str, lost: tuple[str, ...] = (), path: Path | None = None) -> Path:
        return results.write(results_doc(*names, lost=lost), path or tmp_path / "results.json")

    return write


@pytest.fixture
def kit_copy(tmp_path, monkeypatch):
    """A copy of the kit's solutions, starter, the docs pages ``descent docs`` writes, the
    diagnoses (whose declared list ``descent docs`` reads) and registry.py (whose table of parts
    it writes), with an empty graders/, as the working folder (so that ``kit_root()`` is this
    copy)."""
    root = tmp_path / "kit"
    for folder in ("solutions", "starter", "src/descent/diagnoses"):
        shutil.copytree(KIT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "graders").mkdir()
    from descent.authoring import column_table, diagnosis_table, exercise_table
    from descent.commands.docs import reference

    made = (exercise_table.PAGE, diagnosis_table.PAGE, column_table.PAGE)
    for page in made + tuple(reference()):
        (root / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(KIT / page, root / page)
    shutil.copy(KIT / "src/descent/registry.py", root / "src/descent/registry.py")  # its PARTS
    monkeypatch.chdir(root)
    return root


@pytest.fixture(autouse=True)
def one_line_per_message(monkeypatch):
    """The console as wide as a long message: a line naming a temporary path is not folded, so
    that a test reads each message whole (the kit's console is 140 columns in a pipe)."""
    from descent.terminal import console

    monkeypatch.setattr(console, "width", 1000)
