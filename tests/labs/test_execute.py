"""The executor's cap on a notebook's output: 1500 cells that each print as much as a worker
sends back (64K characters per stream) made a 197 MB autograded notebook. The executor runs with
a stand-in for the confined worker, so the cap is checked without 1500 real cells."""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")

from descent.labs import caps, execute  # noqa: E402
from descent.labs.kernel import Kernel  # noqa: E402

from .test_caps import CELLS, NOISE, _printing_notebook  # noqa: E402 - beside this file


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


class FloodConnection:
    """What a worker sends once a notebook's first cell has replaced its cell runner: every
    later cell answers with a 1 MB exception type and 3 MB of "refused" paths."""

    test_failure = None

    def request(self, header: dict, timeout: float | None = None) -> dict:
        return {
            "stdout": "",
            "stderr": "",
            "result": {"not": "text"},
            "error": {"type": "E" * 1_000_000, "msg": "m" * 1_000_000},
            "refused": ["read /" + "p" * 994] * 3000,
        }

    def close(self) -> None:
        pass


class FloodedKernel(Kernel):
    """The real :class:`descent.labs.kernel.Kernel` (its ``run``, ``define`` and ``eval``) over
    a flooding worker."""

    def __init__(self, *args, **kwargs):
        self.conn, self.done, self.restarts, self.stopped = FloodConnection(), [], 0, None
        self.timeout = 0.0

    def mode(self) -> str:
        return "stand-in"


def test_a_replaced_cell_runner_cannot_grow_the_notebook_past_its_budget(monkeypatch):
    """20 such cells turned a 10 KB notebook into a 100 MB autograded one (624 MB peak): the
    type and the paths were written into the cells' outputs and the notebook's metadata
    uncapped."""
    monkeypatch.setattr(execute, "Kernel", FloodedKernel)
    monkeypatch.setattr(execute, "_trusted_cells", lambda info: ({}, set()))
    executor = execute.ConfinedExecute(max_notebook_output=50_000)
    resources = {"nbgrader": {"assignment": "lab", "notebook": "lab", "db_url": ""}}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("pass") for _ in range(20)]
    nb, _ = executor.preprocess(nb, resources)
    size = len(nbformat.writes(nb))
    # an error's message is written twice (its value and its one-line traceback)
    assert size < 2 * executor.max_notebook_output + 20 * 1000, size
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert len(errors) == 20 and all(len(o.ename) <= 100 for o in errors)
    assert errors[-1].ename == "(not kept)"  # the budget was spent on the first cells
    assert all(len(line) <= 320 for line in nb.metadata["descent"]["refused"])
    assert all(len(line) <= 300 for line in nb.metadata["descent"]["rebound"])
