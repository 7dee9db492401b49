"""How much of a notebook grading keeps: a 206 KB notebook of 1500 printing cells became a
197 MB autograded notebook and a 198 MB feedback page, with output capped per cell only. Here
the feedback page's cap and the course config; the executor's own cap is checked in
test_execute.py (it loads torch)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")

from descent.isolation.cells import MAX_OUTPUT  # noqa: E402
from descent.labs import caps  # noqa: E402

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

LABS = Path(__file__).resolve().parents[2] / "labs"
CELLS = 1500
NOISE = "x" * MAX_OUTPUT  # what one cell's stdout (and stderr) may bring back


def _printing_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"print('x' * {MAX_OUTPUT})") for _ in range(CELLS)]
    return nb


def test_the_feedback_page_shows_a_bounded_part_of_the_notebook_and_every_score():
    nb = _printing_notebook()
    for cell in nb.cells:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=NOISE)]
    test_cell = nbformat.v4.new_code_cell("check()")
    test_cell.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 2}
    test_cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="2 of 2 points")]
    nb.cells.append(test_cell)
    cap = caps.CapFeedback(max_chars=100_000)
    nb, _ = cap.preprocess(nb, {})
    shown = sum(caps._size(c) for c in nb.cells[:-1])
    assert shown < 100_000 + CELLS * 80, shown
    assert "CapFeedback.max_chars" in nb.cells[1].source
    assert nb.cells[-2].source == f"[cell {CELLS}: not shown (CapFeedback.max_chars)]"
    assert nb.cells[-1].outputs[0].text == "2 of 2 points"  # the score is always shown


def test_the_course_config_sets_both_caps(tmp_path):
    from traitlets.config import Config

    config = Config()
    namespace = {"get_config": lambda: config, "c": config}
    namespace["__file__"] = str(tmp_path / "nbgrader_config.py")
    exec((LABS / "nbgrader_config.py").read_text(), namespace)
    assert config.ConfinedExecute.max_notebook_output == 1_000_000
    assert "descent.labs.caps.CapFeedback" in config.GenerateFeedback.preprocessors
    assert config.CapFeedback.max_chars == 2_000_000
    unlimited = caps.OutputBudget(0).take({"stdout": NOISE, "stderr": "", "result": None})
    assert unlimited["stdout"] == NOISE
