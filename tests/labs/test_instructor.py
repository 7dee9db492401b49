"""The labs' preflight and report against hostile submission folders, without running nbgrader.

Each student's folder holds one attack: a symbolic or hard link to the instructor's
source notebook, a copy of it, a ``grade_id`` that is a list, and rich markup in a student id
and in a path the sandbox refused. The preflight must refuse the first four with the reason
against the right student, and the report must print every student string as text.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from descent.labs import instructor, submissions

nbformat = pytest.importorskip("nbformat")

LABS = Path(__file__).resolve().parents[2] / "labs"
LAB = "lab1_loss_consultant"
MARKUP = "[blink]eve"  # a student id (no slash: it is a folder name)
REFUSED_PATH = "/tmp/[/red][bold]keys.json"  # a path the sandbox refused


def _strip_markers(nb):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "\n".join(
                line
                for line in cell.source.splitlines()
                if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
            )
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("preflight")
    shutil.copy(LABS / "nbgrader_config.py", root)
    source = root / "source" / LAB / f"{LAB}.ipynb"
    source.parent.mkdir(parents=True)
    shutil.copy(LABS / "source" / LAB / f"{LAB}.ipynb", source)
    release = root / "release" / LAB / f"{LAB}.ipynb"
    release.parent.mkdir(parents=True)
    nbformat.write(_strip_markers(nbformat.read(source, as_version=4)), release)

    def folder(student: str) -> Path:
        path = root / "submitted" / student / LAB
        path.mkdir(parents=True)
        return path / f"{LAB}.ipynb"

    shutil.copy(release, folder("honest"))
    os.symlink(source, folder("linker"))
    os.link(source, folder("hardlinker"))
    shutil.copy(source, folder("copier"))
    listed = nbformat.read(release, as_version=4)
    next(
        c for c in listed.cells if c.metadata.get("nbgrader", {}).get("solution")
    ).metadata.nbgrader["grade_id"] = ["task1_answer", "x"]
    nbformat.write(listed, folder("listid"))
    shutil.copy(release, folder(MARKUP))
    graded = root / "autograded" / MARKUP / LAB / f"{LAB}.ipynb"
    graded.parent.mkdir(parents=True)
    nb = nbformat.read(release, as_version=4)
    nb.metadata["descent"] = {"refused": [f"cell 2: {REFUSED_PATH}"]}
    nbformat.write(nb, graded)
    return root


def test_links_copies_and_malformed_metadata_are_refused_against_the_right_student(course):
    found = instructor.preflight(course, LAB)
    assert found["honest"] == [] and found[MARKUP] == []
    for student, reason in (
        ("linker", "is a symbolic link"),
        ("hardlinker", "hard link to a file outside the submission"),
        ("copier", "instructor's source notebook"),
        ("listid", "grade_id is a list"),
    ):
        assert submissions.refused(found[student]), (student, found[student])
        assert reason in " ".join(found[student]), (student, found[student])
    assert not any(submissions.refused(found[s]) for s in ("honest", MARKUP))


def test_the_report_prints_student_strings_as_text(course):
    console = Console(record=True, width=250, force_terminal=False)
    found = instructor.report(course, [LAB], console=console)
    shown = console.export_text()
    assert MARKUP in shown and REFUSED_PATH in shown
    assert "refused" in shown and "grade_id is a list" in shown
    assert f"confinement refused: cell 2: {REFUSED_PATH}" in " ".join(found[LAB][MARKUP])


def test_malformed_metadata_of_any_shape_is_named_not_raised():
    from descent.labs import cellmeta

    shapes = [
        {"cells": "x"},
        {"cells": [3]},
        {"cells": [{"metadata": []}]},
        {"cells": [{"metadata": {"nbgrader": "x"}}]},
        {"cells": [{"metadata": {"nbgrader": {"grade_id": {"a": 1}, "points": "9"}}}]},
        {"cells": [{"metadata": {"nbgrader": {"grade": 1, "locked": None}}, "source": {"x": 1}}]},
    ]
    for nb in shapes:
        assert cellmeta.malformed(nb), json.dumps(nb)
        for cell in nb["cells"] if isinstance(nb["cells"], list) else []:
            assert cellmeta.grade_id(cell) is None and isinstance(cellmeta.source(cell), str)
    assert (
        cellmeta.malformed(
            {
                "cells": [
                    {
                        "metadata": {"nbgrader": {"grade_id": "a", "points": 2, "grade": True}},
                        "source": ["x", "y"],
                    }
                ]
            }
        )
        == []
    )


def test_rejections_go_to_the_student_whose_traceback_it_is():
    log = [
        "[AutogradeApp | ERROR] There was an error processing assignment: /c/submitted/alice/quiz",
        "[AutogradeApp | ERROR] Traceback (most recent call last):",
        '  File "x.py", line 1, in f',
        "ValueError: alice's reason",
        "[AutogradeApp | ERROR] There was an error processing assignment: /c/submitted/bob/quiz",
        "[AutogradeApp | ERROR] Traceback (most recent call last):",
        "KeyError: bob's reason",
        "[AutogradeApp | WARNING] There was an error processing assignment 'quiz' for student "
        "'alice'",
        "[AutogradeApp | WARNING] There was an error processing assignment 'quiz' for student "
        "'bob'",
    ]
    assert instructor.rejections(log) == {
        "alice": "ValueError: alice's reason",
        "bob": "KeyError: bob's reason",
    }


def test_a_deep_attribute_chain_is_named_not_a_crash():
    from descent.labs import findings

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("labs_grading" + ".b" * 1200 + " = 1"),
        nbformat.v4.new_code_cell("check_choice = print"),
    ]
    assert findings.rebound_names(nb, {}) == [
        "cell 1: nested too deeply to scan for rebound grading names",
        "cell 2: assigns check_choice",
    ]


def test_the_notebook_time_budget_caps_each_cell_and_scores_what_is_left_zero():
    import time

    from descent.labs.execute import Budget

    assert Budget(0).limit(180) == 180  # no budget: the per-cell limit alone
    budget = Budget(0.3)
    assert 0 < budget.limit(180) <= 0.3
    time.sleep(0.35)
    assert budget.limit(180) <= 0
    test_cell = budget.spent_output(4, test=True)
    assert test_cell[-1]["data"]["text/plain"] == "0" and "time budget" in test_cell[0]["text"]
    assert budget.spent_output(5, test=False)[0]["output_type"] == "error"


def test_student_html_and_bare_addresses_render_without_a_live_link():
    from nbconvert.filters.markdown import markdown2html

    from descent.labs.execute import inert_markdown

    for text in (
        '<a href="https://phish.example/login">your real grade</a>',
        "see https://phish.example/a, www.phish.example or me@phish.example",
        "[click](https://phish.example)",
        "![x](https://phish.example/t.png)",
    ):
        shown = markdown2html(inert_markdown(text))
        assert "<a " not in shown and "<img" not in shown and "phish.example" in shown, shown
