"""The executor's cap on a notebook's output: 1500 cells that each print as much as a worker
sends back (64K characters per stream) made a 197 MB autograded notebook. The executor runs with
a stand-in for the confined worker, so the cap is checked without 1500 real cells."""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")

from test_labs_caps import CELLS, NOISE, _printing_notebook  # noqa: E402 - beside this file

from descent.labs import caps, execute  # noqa: E402


class PrintingKernel:
    """Stands in for :class:`descent.labs.kernel.Kernel`: every cell prints as much as a
    worker sends back, on both streams."""

    def __init__(self, *args, **kwargs):
        self.restarts, self.timeout = 0, 0.0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def mode(self) -> str:
        return "stand-in"

    def run(self, source: str) -> dict:
        return {"stdout": NOISE, "stderr": NOISE, "result": None, "error": None, "refused": []}

    def eval(self, expression: str):
        return []


def _output_chars(nb) -> int:
    return sum(caps._size(c) - len(c.source) for c in nb.cells)


def test_a_notebook_keeps_a_bounded_output_however_many_cells_print(monkeypatch):
    monkeypatch.setattr(execute, "Kernel", PrintingKernel)
    monkeypatch.setattr(execute, "_trusted_cells", lambda info: ({}, set()))
    executor = execute.ConfinedExecute()
    resources = {"nbgrader": {"assignment": "lab", "notebook": "lab", "db_url": ""}}
    nb, _ = executor.preprocess(_printing_notebook(), resources)
    kept = _output_chars(nb)
    # every cell still ran and says why its output is missing; the whole stays near the cap
    assert all(c.outputs for c in nb.cells)
    assert kept < executor.max_notebook_output + CELLS * 400, kept
    assert "ConfinedExecute.max_notebook_output" in nb.cells[-1].outputs[0].text
    assert nb.cells[0].outputs[0].text == NOISE  # the first cells are whole
