"""Checks of a student's notebook folder before nbgrader grades it (``descent.labs.submissions``):
links out of the folder, a notebook that is the instructor's source, and malformed metadata are
refused with the reason. (Against hostile folders through the preflight: test_instructor.py.)"""

from __future__ import annotations

import os

import pytest

from descent.labs import submissions

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _cell(gid, text, solution=True):
    return {"metadata": {"nbgrader": {"grade_id": gid, "solution": solution}}, "source": text}


SOURCE = {
    "cells": [
        _cell("q1", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
        _cell("q1_test", "assert x == 1", solution=False),
    ]
}


def test_symbolic_links_and_files_linked_from_outside_are_refused(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "mine.ipynb").write_text("{}")
    os.link(sub / "mine.ipynb", sub / "again.ipynb")  # both names inside: fine
    (tmp_path / "source.ipynb").write_text("{}")
    os.link(tmp_path / "source.ipynb", sub / "linked.ipynb")
    (sub / "data").symlink_to(tmp_path)
    found = submissions.links(sub)
    assert found == [
        f"{submissions.REFUSED}data is a symbolic link (to {tmp_path})",
        f"{submissions.REFUSED}linked.ipynb is a hard link to a file outside the submission",
    ]
    assert submissions.refused(found) and not submissions.refused(["a note"])


def test_a_copy_of_the_source_notebook_is_refused_and_an_answer_is_not():
    copy = {"cells": [dict(c) for c in SOURCE["cells"]]}
    answered = {"cells": [_cell("q1", "x = 1"), SOURCE["cells"][1]]}
    assert submissions.copies_source(copy, SOURCE)
    assert not submissions.copies_source(answered, SOURCE)
    [line] = submissions.notebook_problems("lab1.ipynb", copy, SOURCE)
    assert line.startswith(
        submissions.REFUSED + "lab1.ipynb: its solution cells are the instructor"
    )
    assert submissions.notebook_problems("lab1.ipynb", answered, SOURCE) == []
    assert submissions.notebook_problems("lab1.ipynb", copy, None) == []  # no source to compare


def test_malformed_metadata_is_refused_with_the_first_few_reasons():
    bad = {"cells": [{"metadata": {"nbgrader": {"grade_id": [n]}}} for n in range(7)]}
    [line] = submissions.notebook_problems("lab1.ipynb", bad, SOURCE)
    assert line.startswith(f"{submissions.REFUSED}lab1.ipynb: malformed nbgrader metadata (cell 1:")
    assert line.count("grade_id is a list") == 5 and line.endswith("; ...)")
