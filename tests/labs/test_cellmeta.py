"""A notebook cell's nbgrader metadata read as untrusted data (``descent.labs.cellmeta``): the
readers never raise on a shape a student wrote, and ``malformed`` names each wrong shape by its
cell. (Through the preflight of a real submission folder: test_instructor.py.)"""

from __future__ import annotations

import pytest

from descent.labs import cellmeta

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

GOOD = {
    "cell_type": "code",
    "metadata": {"nbgrader": {"grade_id": "q1", "grade": False, "solution": True, "points": 0}},
    "source": ["x = 1\n", "y = 2\n"],
}


def test_a_well_formed_cell_is_read_as_nbgrader_wrote_it():
    assert cellmeta.grade_id(GOOD) == "q1" and cellmeta.nbgrader(GOOD)["solution"] is True
    assert cellmeta.source(GOOD) == "x = 1\ny = 2\n"
    assert cellmeta.malformed({"cells": [GOOD, {"source": "plain", "metadata": {}}]}) == []


@pytest.mark.parametrize(
    "cell",
    [
        7,
        "a cell",
        {"metadata": "nbgrader"},
        {"metadata": {"nbgrader": ["grade_id", "q1"]}},
        {"metadata": {"nbgrader": {"grade_id": ["q1"]}}, "source": {"x": 1}},
    ],
)
def test_the_readers_never_raise_on_a_shape_a_student_wrote(cell):
    assert cellmeta.grade_id(cell) is None
    assert isinstance(cellmeta.nbgrader(cell), dict) and isinstance(cellmeta.source(cell), str)


def test_each_wrong_shape_is_named_by_its_cell():
    nb = {
        "cells": [
            GOOD,
            5,
            {"metadata": []},
            {"metadata": {"nbgrader": "yes"}},
            {"metadata": {"nbgrader": {"grade_id": ["q1"], "points": True, "grade": 1}}},
            {"metadata": {}, "source": [1, 2]},
        ]
    }
    assert cellmeta.malformed(nb) == [
        "cell 2 is a int, not a cell",
        "cell 3: metadata is a list, not a mapping",
        "cell 4: nbgrader metadata is a str, not a mapping",
        "cell 5: nbgrader grade_id is a list, not a str",
        "cell 5: nbgrader grade is a int, not a bool",
        "cell 5: nbgrader points is a bool, not a int or float",
        "cell 6: its source is a list, not text",
    ]
    assert cellmeta.malformed({"cells": {"0": GOOD}}) == ["its cells are a dict, not a list"]
