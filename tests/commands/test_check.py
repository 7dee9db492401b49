"""``descent check`` (``descent.commands.check``), the student's loop, with the public run
stood in for: the progress view after a run that completed, pytest's own code when it did not,
and never a silent pass when the run wrote no results."""

from __future__ import annotations

import pytest

from descent import results
from descent.commands import check, main

from .conftest import results_doc

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def public_run(tmp_path, monkeypatch):
    """In a student's folder: ``public_run(code, doc)`` makes the next public run return
    ``code``, after writing ``doc`` as its results when one is given."""
    for folder in ("exercises", "starter"):
        (tmp_path / folder).mkdir()
    monkeypatch.chdir(tmp_path)
    seen: dict = {}

    def arrange(code, doc=None):
        def run(suite, impls, *, device, results: object, root):
            seen.update(suite=suite, impls=impls, device=device, root=root, results=results)
            if doc is not None:
                write(doc, results)
            return code

        monkeypatch.setattr(check, "run_pytest", run)
        return seen

    write = results.write
    return arrange


def test_a_run_that_completed_shows_the_progress_and_keeps_pytests_code(public_run, capsys):
    seen = public_run(1, results_doc("starter", lost=("starter",)))
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "progress: starter" in out and "next: losses.mse" in out
    assert seen["suite"] == "exercises" and seen["impls"] == ["starter"]
    assert seen["results"] == seen["root"] / ".descent" / "results.json"
    public_run(0, results_doc("mine"))
    assert main(["check", "mine"]) == 0
    assert "every public test passes" in capsys.readouterr().out


def test_a_run_that_did_not_complete_says_so_with_its_code(public_run, capsys):
    public_run(4)
    assert main(["check"]) == 4
    assert "did not complete (pytest exit code 4)" in capsys.readouterr().out


def test_a_run_that_wrote_no_results_is_never_a_pass(public_run, capsys):
    public_run(0)
    assert main(["check"]) == 2
    assert "wrote no results" in capsys.readouterr().out


def test_a_failed_check_with_a_picture_is_drawn_beside_the_results(public_run, capsys):
    pytest.importorskip("matplotlib")
    doc = results_doc("starter", lost=("starter",))
    doc["tests"][0]["picture"] = {
        "kind": "line",
        "student": [0.0, 0.25, 0.5],
        "expected": [0.25, 0.5, 0.75],
        "wrong": [0, 1, 2],
        "hidden": False,
    }
    seen = public_run(1, doc)
    assert main(["check"]) == 1
    folder = seen["results"].parent
    assert [p.name for p in folder.glob("picture_*.png")] == ["picture_starter_01_losses.mse.png"]
    assert f"{folder}/picture_*.png" in capsys.readouterr().out.replace("\n", "")
