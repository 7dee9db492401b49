"""The course notebooks: well formed and graded the way we claim (that they are up to date with
labs/content, and what needs nbgrader loaded, is in test_labs_nbgrader.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

nbformat = pytest.importorskip("nbformat")

LABS = Path(__file__).resolve().parents[2] / "labs"
NOTEBOOKS = sorted((LABS / "source").glob("*/*.ipynb"))


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_every_assignment_exists():
    names = {p.parent.name for p in NOTEBOOKS}
    assert names == {
        "quiz1_loss",
        "quiz2_backprop",
        "quiz3_activations",
        "quiz4_optimizers",
        "module_test",
        "chapter_checks",
        "lab1_loss_consultant",
        "lab2_backprop_debugger",
        "lab3_activation_review",
        "lab4_optimizer_strategy",
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_notebook_structure(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ids = [meta(c)["grade_id"] for c in nb.cells if meta(c)]
    assert len(ids) == len(set(ids)), "duplicate grade ids"
    tests = [c for c in nb.cells if meta(c).get("grade") and not meta(c).get("solution")]
    assert tests, "no autograded test"
    for c in tests:
        assert c.cell_type == "code" and meta(c)["locked"] and meta(c)["points"] > 0
        if path.parent.name.startswith("lab"):
            # partial credit: a lab test ends with the score, and hides at least one part
            assert c.source.rstrip().endswith("parts.score()"), meta(c)["grade_id"]
            assert "### BEGIN HIDDEN TESTS" in c.source, meta(c)["grade_id"]
    writeups = [c for c in nb.cells if meta(c).get("grade") and meta(c).get("solution")]
    if path.parent.name.startswith("lab"):
        assert 2 <= len(writeups) <= 4 and 2 <= len(tests) <= 4
        for c in writeups:  # every write-up carries an instructor-only rubric
            assert c.cell_type == "markdown" and "Rubric" in c.source
            assert c.source.startswith("### BEGIN SOLUTION") and c.source.endswith(
                "### END SOLUTION"
            )


def test_quiz_keys_match_notebooks_and_stay_out_of_them():
    counts = {
        "quiz1_loss": 5,
        "quiz2_backprop": 5,
        "quiz3_activations": 5,
        "quiz4_optimizers": 5,
        "module_test": 15,
        "chapter_checks": 18,
    }
    for name, n in counts.items():
        key = json.loads((LABS / "keys" / f"{name}.json").read_text())["questions"]
        assert len(key) == n
        text = (LABS / "source" / name / f"{name}.ipynb").read_text()
        for qid, entry in key.items():
            assert f'hidden_checks(\\"{name}\\", \\"{qid}_test\\")' in text
            assert entry["right"][:50] not in text and entry["wrong"][:50] not in text
        letters = [e["answer"] for e in key.values() if e["kind"] == "choice"]
        assert len(set(letters)) >= 3, f"{name}: the shuffled keys should not all be one letter"


def test_hidden_test_cells_hold_no_reference_code():
    """Every hidden region is one call naming its trusted check (and the check exists)."""
    from descent.labs.hidden_checks import Course

    course = Course(LABS)
    for path in NOTEBOOKS:
        assignment = path.parent.name
        key = course.key(assignment)
        for cell in nbformat.read(path, as_version=4).cells:
            if "### BEGIN HIDDEN TESTS" not in cell.source:
                continue
            hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
            lines = [
                ln
                for ln in hidden.strip().splitlines()
                if not ln.startswith("from descent.labs_grading import hidden_checks")
            ]
            gid = meta(cell)["grade_id"]
            assert lines == [
                f'hidden_checks("{assignment}", "{gid}")  # checked outside the notebook'
            ], (assignment, gid, lines)
            graders = course.graders(assignment)
            assert hasattr(graders, gid) or gid.removesuffix("_test") in key, (assignment, gid)


def test_keys_and_checks_compare_on_the_trusted_side(tmp_path, monkeypatch):
    from descent.labs.hidden_checks import KEYS_ENV, Course, matches

    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "q.json").write_text(
        json.dumps(
            {
                "questions": {
                    "q1": {"kind": "choice", "answer": "C", "right": "yes", "wrong": "no"},
                    "q2": {
                        "kind": "number",
                        "answer": 2.3026,
                        "tolerance": 0.01,
                        "right": "y",
                        "wrong": "n",
                    },
                    "r": {"kind": "label", "answer": "dead_units", "right": "y", "wrong": "n"},
                }
            }
        )
    )
    monkeypatch.delenv(KEYS_ENV, raising=False)
    key = Course(tmp_path).key("q")
    assert matches(key["q1"], " c ") and matches(key["q2"], 2.30)
    assert matches(key["r"], "Dead_Units")
    for question, value in (
        ("q1", "B"),
        ("q2", 2.4),
        ("q2", "2.3026"),
        ("r", "detached"),
        ("q2", True),
        ("q1", None),
    ):
        assert not matches(key[question], value), (question, value)
    assert Course(tmp_path).key("unknown") == {}
