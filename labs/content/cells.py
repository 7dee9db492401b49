"""Cell builders for the course notebooks: each returns (cell_type, source, nbgrader metadata).

nbgrader's cell kinds, as the "Create Assignment" toolbar would set them:

* ``readonly``  locked text or code (instructions, data generation, setup);
* ``code``      ordinary code the student may edit (plots, experiments, quiz answers); never
                graded itself;
* ``answer``    autograded answer: the student's code, with ``### BEGIN SOLUTION`` regions that
                ``generate_assignment`` replaces by a stub;
* ``test``      autograder tests with points; ``### BEGIN HIDDEN TESTS`` regions are removed from
                the release and restored at autograde;
* ``writeup``   manually graded answer (markdown) with points; the source holds the rubric inside
                ``### BEGIN SOLUTION`` so that the release shows only a placeholder.
"""

from __future__ import annotations

import textwrap


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return meta


def _clean(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def md(text: str, grade_id: str | None = None):
    """Plain markdown (instructions); locked when it has an id."""
    return ("markdown", _clean(text), _meta(grade_id, locked=True) if grade_id else None)


def readonly(grade_id: str, source: str):
    return ("code", _clean(source), _meta(grade_id, locked=True))


def code(source: str, cell_id: str | None = None):
    """An ordinary cell; ``cell_id`` names it (nbformat's cell id) so tools can find it."""
    return ("code", _clean(source), None, cell_id)


def answer(grade_id: str, source: str):
    return ("code", _clean(source), _meta(grade_id, solution=True))


def test(grade_id: str, points: float, source: str):
    return ("code", _clean(source), _meta(grade_id, grade=True, locked=True, points=points))


def writeup(grade_id: str, points: float, rubric: str):
    """A manually graded answer; ``rubric`` is instructor-only text (stripped from the release)."""
    body = "### BEGIN SOLUTION\n" + _clean(rubric) + "\n### END SOLUTION"
    return ("markdown", body, _meta(grade_id, grade=True, solution=True, points=points))
