"""``descent demo`` (``descent.commands.demo``) with its four parts stood in for: exit 0 only when
the solutions keep full marks and the class and the term went through, pytest's code when the
grading did not complete. (The whole demo, for real, is run by CI's demo job.)"""

from __future__ import annotations

import pytest

from descent import results
from descent.commands import demo, main

from .conftest import results_doc

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def parts(tmp_path, monkeypatch):
    """The demo's parts, each doing nothing but say how it went (``outcome`` sets them)."""
    outcome = {"grading": 1, "lost": (), "batch": 0, "term": 0, "stale": []}

    def bundle(root, out):
        out.mkdir(parents=True)
        return out

    def grading(suite, impls, *, device, results: object):
        results_mod.write(results_doc("solutions", "partial", lost=outcome["lost"]), results)
        return outcome["grading"]

    results_mod = results
    monkeypatch.setattr(demo, "build_student_bundle", bundle)
    monkeypatch.setattr(demo, "stale_starter", lambda root: outcome["stale"])
    monkeypatch.setattr(demo, "run_pytest", grading)
    monkeypatch.setattr(demo, "grade_class", lambda *a, **k: outcome["batch"])
    monkeypatch.setattr(demo, "run_term", lambda *a, **k: outcome["term"])
    monkeypatch.setattr(demo.tempfile, "mkdtemp", lambda prefix: str(tmp_path / "demo"))
    return outcome


def test_every_part_going_through_is_exit_0(parts, tmp_path, capsys):
    assert main(["demo", "--results", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    for title in ("1. student bundle", "2. hidden graders", "3. a whole class", "4. a term"):
        assert title in out
    assert "solutions: 10/10" in out


@pytest.mark.parametrize(
    "change",
    [{"lost": ("solutions",)}, {"batch": 1}, {"term": 2}],
    ids=["solutions", "batch", "term"],
)
def test_any_part_failing_is_exit_1(parts, tmp_path, change):
    parts.update(change)
    assert main(["demo", "--results", str(tmp_path / "r.json")]) == 1


def test_a_grading_that_did_not_complete_stops_the_demo_with_its_code(parts, tmp_path, capsys):
    parts["grading"] = 3
    assert main(["demo", "--results", str(tmp_path / "r.json")]) == 3
    out = capsys.readouterr().out
    assert "grading did not complete (pytest exit code 3)" in out and "3. a whole class" not in out
