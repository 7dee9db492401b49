"""Tampering the grader can see in a notebook (``descent.labs.findings``): student cells that
rebind or reassign a grading name, under any alias, but not the restored test cells; what the
worker reports after the last cell; and the findings as report lines."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from descent.labs import findings

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _nb(*sources, tests=()):
    cells = [SimpleNamespace(cell_type="code", source=s, metadata={}, get=None) for s in sources]
    # cellmeta reads cells as dicts (as nbformat's are)
    cells = [
        {"cell_type": "code", "source": s, "metadata": {"nbgrader": {"grade_id": f"c{n}"}}}
        for n, s in enumerate(sources, 1)
    ]
    return SimpleNamespace(cells=[_Cell(c) for c in cells])


class _Cell(dict):
    @property
    def cell_type(self):
        return self["cell_type"]


def test_each_way_of_rebinding_a_grading_name_is_found_in_its_cell():
    nb = _nb(
        "from descent.labs_grading import Parts, check_number\nx = 1",  # the release's import
        "def check_choice(name, value):\n    pass",
        "import descent.labs_grading as g\ng.hidden_checks = print",
        "Parts = dict",
        "from math import sqrt as check_number",
        "setattr(labs_grading, 'Parts', None)",
    )
    assert findings.rebound_names(nb, tests={}) == [
        "cell 2: defines check_choice",
        "cell 3: assigns g.hidden_checks",
        "cell 4: assigns Parts",
        "cell 5: imports sqrt as check_number",
        "cell 6: calls setattr(labs_grading, 'Parts', None)",
    ]


def test_the_restored_test_cells_and_cells_that_cannot_run_are_passed_over():
    nb = _nb("Parts = dict", "def broken(:\n", "x = 2")
    assert findings.rebound_names(nb, tests={"c1": "restored"}) == []


def test_what_the_worker_reports_is_kept_short_and_an_odd_answer_is_named():
    kernel = SimpleNamespace(eval=lambda code: ["Parts", "descent.student_notebook.check_number"])
    assert findings.patched_at_runtime(kernel) == [
        "after the last cell, Parts is not descent's own",
        "after the last cell, descent.student_notebook.check_number is not descent's own",
    ]
    assert findings.patched_at_runtime(SimpleNamespace(eval=lambda code: {"Parts": 1})) == [
        "the notebook's worker answered the name check with something odd"
    ]

    def broken(code):
        raise RuntimeError("worker gone")

    [line] = findings.patched_at_runtime(SimpleNamespace(eval=broken))
    assert line.startswith("could not inspect the notebook's names") and "worker gone" in line


def test_the_findings_read_as_report_lines():
    found = {
        "forged_metadata": ["cell 3: grade_id"],
        "rebound": ["cell 2: assigns Parts"],
        "budget_spent": "cell 9",
        "restarts": 2,
    }
    assert findings.lines(found) == [
        "forged nbgrader metadata: cell 3: grade_id",
        "redefined grading name: cell 2: assigns Parts",
        "the notebook's time budget was spent at cell 9: the cells after it did not run and "
        "its test cells after it scored 0",
        "the notebook's worker was killed and restarted 2 time(s) (time, memory or a crash)",
    ]
    assert findings.lines({}) == []
