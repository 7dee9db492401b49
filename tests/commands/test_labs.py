"""``descent labs`` (``descent.commands.labs``) over a course folder, with nbgrader stood in for:
``autograde`` leaves out the submissions the preflight refused and says so, ``report`` exits 1
when it found problems, ``release-feedback`` releases through the exchange only what came through
it and lists the rest, ``rubrics`` says when there are none. (Against the real nbgrader:
tests/labs/test_labs_e2e.py, test_exchange.py, test_labs_nbgrader.py.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from descent.commands import labs, main
from descent.labs.submissions import REFUSED

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course folder with quiz1 released and submitted by ann and bo."""
    (tmp_path / "nbgrader_config.py").write_text("")
    (tmp_path / "release" / "quiz1").mkdir(parents=True)
    for student in ("ann", "bo"):
        (tmp_path / "submitted" / student / "quiz1").mkdir(parents=True)
    monkeypatch.setattr(labs, "nbgrader_command", lambda: (["nbgrader"], {}))
    return tmp_path


def test_autograde_leaves_out_what_the_preflight_refused(course, capsys, monkeypatch):
    graded = []
    monkeypatch.setattr(labs, "make_private", lambda c: ["keys: 0755 -> 0700"])
    monkeypatch.setattr(labs, "preflight", lambda c, a: {"bo": [f"{REFUSED}a link"]})
    monkeypatch.setattr(
        labs, "autograde",
        lambda nb, a, c, env, students, console, left_out: graded.append(students) or (0, []),
    )  # fmt: skip
    monkeypatch.setattr(labs, "save_rejections", lambda *a: None)
    monkeypatch.setattr(labs, "report", lambda c, a, console=None: {})
    assert main(["labs", "autograde", "quiz*", "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert graded == [["ann"]] and "refused before grading: bo" in out
    assert "made private to this account (1): keys: 0755 -> 0700" in out


@pytest.mark.parametrize(
    "found, code", [({"quiz1": {"ann": []}}, 0), ({"quiz1": {"bo": ["x"]}}, 1)]
)
def test_report_exits_1_when_it_found_problems(course, monkeypatch, found, code):
    monkeypatch.setattr(labs, "report", lambda c, a, console=None: found)
    assert main(["labs", "report", "quiz1", "--course", str(course)]) == code


def test_release_feedback_goes_through_the_exchange_only(course, capsys, monkeypatch):
    for student, files in (("ann", labs.EXCHANGE_FILES), ("bo", ())):
        page = course / "feedback" / student / "quiz1" / "quiz1.html"
        page.parent.mkdir(parents=True)
        page.write_text("<html>")
        for name in files:
            (page.parent / name).write_text("x")
    runs = []
    monkeypatch.setattr(
        labs.subprocess, "run",
        lambda command, **kw: runs.append(command) or SimpleNamespace(returncode=0, stderr=""),
    )  # fmt: skip
    assert main(["labs", "release-feedback", "quiz1", "--course", str(course)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert runs == [
        ["nbgrader", "release_feedback", "quiz1", "--CourseDirectory.student_id_exclude=bo"]
    ]
    assert "bo did not submit through the exchange" in out and "released to 1 student(s)" in out
    monkeypatch.setattr(
        labs.subprocess, "run", lambda command, **kw: SimpleNamespace(returncode=3, stderr="boom")
    )
    assert main(["labs", "release-feedback", "quiz1", "--course", str(course)]) == 3
    assert "nbgrader release_feedback failed" in capsys.readouterr().out


def test_rubrics_say_when_an_assignment_has_none(course, capsys, monkeypatch):
    monkeypatch.setattr(labs, "rubrics", lambda c, a: [])
    assert main(["labs", "rubrics", "quiz1", "--course", str(course)]) == 0
    assert "quiz1: no manually graded cells" in capsys.readouterr().out
    monkeypatch.setattr(labs, "rubrics", lambda c, a: [("w1", 2.0, "[b]explain[/b]")])
    assert main(["labs", "rubrics", "quiz1", "--course", str(course)]) == 0
    assert "[b]explain[/b]" in capsys.readouterr().out  # the write-up's text, not markup
