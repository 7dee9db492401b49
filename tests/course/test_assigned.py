"""Settling one assignment's gradings (``descent.course.assigned``), without a batch: points scaled
to the assignment, the late policy and an extension applied to the time the plan's source gave (or
the one set by hand, the source's kept beside it), a grading that did not complete never a score,
another assignment's files noted, and what the instructor must still settle. (A batch of one
assignment, graded for real: test_term.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from descent.course import assignbook, assigned, lateness
from descent.course import plan as plan_mod

from .test_term import DUE, write_plan

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def plan(tmp_path):
    return plan_mod.load(write_plan(tmp_path))


def _settled(plan, when, status="graded", extension=None, **kw):
    a1 = plan.item("a1")  # 20 points; 10% a started day after 15 minutes of grace
    return assigned.grade(a1, "ann", 7, "h1", status, 15.0, 20.0, when, extension, plan, **kw)


def test_on_time_the_score_is_the_gradings_scaled_to_the_assignment(plan):
    g = _settled(plan, lateness.Submitted(DUE - timedelta(hours=1), lateness.MANIFEST))
    assert (g.raw, g.penalty, g.final, g.max_points) == (15.0, 0.0, 15.0, 20.0)
    assert g.plan_hash == plan.digest and g.submitted_at == (DUE - timedelta(hours=1)).isoformat()
    assert (
        assigned.scaled(15.0, 20.0, plan.item("a3")) == 22.5
        and assigned.scaled(1, 0, plan.item("a1")) == 0
    )


def test_late_work_loses_what_the_policy_says_unless_an_extension_covers_it(plan):
    late = lateness.Submitted(DUE + timedelta(days=1, hours=2), lateness.MANIFEST)
    g = _settled(plan, late)
    assert g.penalty_percent == 20.0 and g.final == 12.0 and g.reason
    covered = lateness.Extension(DUE + timedelta(days=3), "illness")
    g = _settled(plan, late, extension=covered)
    assert g.final == 15.0 and g.extension.endswith(": illness")
    excused = _settled(plan, late, extension=lateness.Extension(None, "bereavement", excused=True))
    assert excused.extension == "excused: bereavement"


def test_a_time_set_by_hand_is_used_and_the_sources_is_kept_beside_it(plan):
    source = lateness.Submitted(DUE + timedelta(days=2), lateness.MANIFEST)
    override = assignbook.Override(
        (DUE - timedelta(minutes=5)).isoformat(), "server outage", "2027-01-10"
    )
    g = _settled(plan, assigned.by_hand(override), source=source)
    assert g.final == 15.0 and g.time_source == f"{lateness.SET_BY_HAND}: server outage"
    assert (g.source_at, g.source) == (source.at.isoformat(), lateness.MANIFEST)


def test_a_grading_that_did_not_complete_is_never_a_score_and_needs_attention(plan):
    g = _settled(plan, lateness.unknown("no manifest row"), status="timed_out")
    assert g.raw == 0.0 and g.submitted_at == ""
    assert assigned.why(g).startswith("timed out: needs attention")
    lines = assigned.attention([g])
    assert "time unknown (no penalty applied) for ann" in lines[0]
    assert "needs attention, not counted in course grades: ann (timed out)" in lines[1]
    assert assigned.notes_for(g, plan)[0] == "Submitted unknown (time unknown: no manifest row)."


def test_an_entry_of_another_assignments_modules_is_noted(plan, tmp_path):
    entry = tmp_path / "subs" / "ann"
    entry.mkdir(parents=True)
    (entry / "regression.py").write_text("x = 1\n")
    note = assigned.foreign_modules(SimpleNamespace(path=entry), plan.item("a1"), plan)
    assert "none of a1's modules (basics.py) was handed in" in note and "regression.py (a3)" in note
    (entry / "basics.py").write_text("x = 1\n")
    assert assigned.foreign_modules(SimpleNamespace(path=entry), plan.item("a1"), plan) == ""
    assert assigned.entry_root(entry / "inner" / "basics.py", tmp_path / "subs") == entry


def test_the_selection_is_the_assignments_and_a_k_expression_narrows_it(plan):
    a1 = plan.item("a1")
    assert assigned.selection(a1) == a1.selection
    assert assigned.selection(a1, "not backward") == f"({a1.selection}) and (not backward)"
    assert datetime.fromisoformat(_settled(plan, lateness.Submitted(DUE, "m")).submitted_at) == DUE
