"""One course grade per student (``descent.course.coursegrade``) on hand-built inputs, in the plan
of test_term.py (code 70% dropping its lowest, labs 30%): each item's cell in the order the rules
give (excused, not due, graded or needs attention, missing), the late policy applied to the
times as they are now, a dropped entry left out, and the categories' means. (Whole terms checked
against tables worked out by hand: test_term_scripted.py, test_term_nbgrader.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from descent.course import coursegrade as cg
from descent.course import lateness
from descent.course import plan as plan_mod
from descent.course.assignbook import Grade, Override

from .test_term import DUE, write_plan

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

AFTER = datetime(2027, 3, 1, tzinfo=timezone.utc)  # every item is due


@pytest.fixture
def plan(tmp_path):
    return plan_mod.load(write_plan(tmp_path))


def _row(student, item, raw, most, at=DUE, status="graded", content="h"):
    return Grade(student, item, 1, content, at.isoformat() if at else "", lateness.MANIFEST,
                 status, raw, most, 0.0, 0.0, "", raw)  # fmt: skip


def test_each_cell_follows_the_rules_in_their_order(plan):
    inputs = cg.Inputs(
        code={
            ("ann", "a1"): _row("ann", "a1", 20, 20),
            ("ann", "a2"): _row("ann", "a2", 50, 50, status="timed_out"),
        },
        extensions={("ann", "a3"): lateness.Extension(None, "illness", excused=True)},
    )
    [ann] = cg.compute(plan, inputs, at=AFTER)
    labels = {item: cell.label for item, cell in ann.cells.items()}
    assert labels == {"a1": cg.GRADED, "a2": cg.ATTENTION, "a3": cg.EXCUSED, "lab1": cg.MISSING}
    assert ann.cells["a2"].percent is None and ann.cells["lab1"].percent == 0.0
    assert ann.flags == ["a2: needs attention (grading timed out)"]


def test_work_not_yet_due_is_left_out_and_an_extension_running_is_said(plan):
    extended = lateness.Extension(DUE + timedelta(days=3), "illness")
    inputs = cg.Inputs(
        code={("ann", "a1"): _row("ann", "a1", 20, 20)}, extensions={("bo", "a1"): extended}
    )
    ann, bo = cg.compute(plan, inputs, ["ann", "bo"], at=DUE + timedelta(days=1))
    assert ann.cells["a1"].status == cg.GRADED and ann.cells["a2"].status == cg.NOT_DUE
    assert bo.cells["a1"].status == cg.NOT_DUE
    assert bo.cells["a1"].label.startswith("extension running (until 2027-01-11")


def test_the_late_policy_applies_to_the_time_as_it_is_now(plan):
    late = _row("ann", "a1", 20, 20, at=DUE + timedelta(days=1, hours=2))
    inputs = cg.Inputs(code={("ann", "a1"): late})
    [ann] = cg.compute(plan, inputs, at=AFTER)
    assert ann.cells["a1"].points == 16.0 and ann.cells["a1"].penalty == 4.0
    inputs.overrides = {("ann", "a1"): Override(DUE.isoformat(), "outage", "2027-01-10", "h")}
    [ann] = cg.compute(plan, inputs, at=AFTER)
    assert ann.cells["a1"].points == 20.0
    inputs.overrides = {("ann", "a1"): Override(DUE.isoformat(), "outage", "2027-01-10", "old")}
    [ann] = cg.compute(plan, inputs, at=AFTER)
    assert ann.cells["a1"].points == 16.0 and "it lapsed" in ann.cells["a1"].flag


def test_an_unknown_time_keeps_the_raw_score_and_is_flagged(plan):
    inputs = cg.Inputs(code={("ann", "a1"): _row("ann", "a1", 12, 20, at=None)})
    [ann] = cg.compute(plan, inputs, at=AFTER)
    assert ann.cells["a1"].points == 12.0 and ann.cells["a1"].flag


def test_categories_drop_their_lowest_and_the_total_weighs_them(plan):
    inputs = cg.Inputs(
        code={("ann", "a1"): _row("ann", "a1", 20, 20), ("ann", "a2"): _row("ann", "a2", 25, 50)},
        labs={("ann", "lab1"): cg.LabRow(8.0, 10.0, datetime(2027, 1, 20, 12))},
    )
    [ann] = cg.compute(plan, inputs, at=AFTER)
    # a3 is missing (0%) and dropped, the lowest of code; a1 100% and a2 50% weigh 1 each
    assert ann.cells["a3"].dropped and not ann.cells["a2"].dropped
    assert ann.categories == {"code": 75.0, "labs": 80.0}
    assert ann.total == pytest.approx(0.7 * 75 + 0.3 * 80)


def test_a_dropped_entry_is_as_if_nothing_had_come_in(plan):
    inputs = cg.Inputs(
        code={("zz", "a1"): _row("zz", "a1", 20, 20), ("ann", "a1"): _row("ann", "a1", 20, 20)},
        dropped={("zz", "a1"): "nobody's folder"},
    )
    assert inputs.students() == ["ann"]
    [zz] = cg.compute(plan, inputs, ["zz"], at=AFTER)
    assert zz.cells["a1"].status == cg.MISSING
