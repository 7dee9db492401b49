"""The course's nbgrader side that needs nbgrader loaded or the notebooks rebuilt (slow, so
apart from test_labs_build.py, which is in the fast lane): the generated files are current, the
course config keeps stderr from zeroing a cell, and the rubrics of the write-ups are listed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from descent import commands as cli

nbformat = pytest.importorskip("nbformat")

LABS = Path(__file__).resolve().parents[2] / "labs"


def test_generated_files_are_up_to_date():
    run = subprocess.run(
        [sys.executable, str(LABS / "build_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_config_keeps_stderr_from_zeroing_a_cell(tmp_path):
    """The course config turns on nbgrader's IgnorePattern with a pattern matching any stderr;
    run the real preprocessor and grading function on a test cell that printed to stderr."""
    from nbgrader.preprocessors import IgnorePattern
    from nbgrader.utils import determine_grade
    from traitlets.config import Config

    config = Config()
    config.IgnorePattern = Config()
    # traitlets gives a config file its own path; this one puts its private exchange beside it
    namespace = {
        "get_config": lambda: config,
        "c": config,
        "__file__": str(tmp_path / "nbgrader_config.py"),
    }
    exec((LABS / "nbgrader_config.py").read_text(), namespace)
    cell = nbformat.v4.new_code_cell("parts.score()")
    cell.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "locked": True,
        "points": 3,
        "grade_id": "t",
        "schema_version": 3,
        "task": False,
    }
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: something\n"),
        nbformat.v4.new_output("stream", name="stdout", text="2 of 3 points\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "2.0"}, execution_count=1),
    ]
    assert determine_grade(cell)[0] == 0  # what nbgrader does without the setting
    pre = IgnorePattern(config=config)
    assert pre.enabled
    cell, _ = pre.preprocess_cell(cell, {}, 0)
    assert determine_grade(cell) == (2.0, 3.0)


def test_rubrics_lists_every_writeup(capsys):
    assert cli.main(["labs", "rubrics", "lab1_loss_consultant", "--course", str(LABS)]) == 0
    text = capsys.readouterr().out
    for grade_id in ("w1", "w2", "w3"):
        assert grade_id in text
    assert "Rubric (4 points)" in text and "BEGIN SOLUTION" not in text
