"""The trusted checks of the course notebooks (``descent.labs.hidden_checks``), with a stand-in
for the notebook's worker: a quiz answer compared with its key (a wrong one gets the key's
sentence, never the key), a course grader's parts scored and held to the cell's points, and a
test cell with no trusted check refused. (The course's real keys and notebooks:
test_labs_build.py.)"""

from __future__ import annotations

import json
import textwrap

import pytest

from descent.labs import hidden_checks as hc
from descent.labs.kernel import NotData

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KEY = {
    "q1": {"kind": "choice", "answer": "B", "right": "Yes: B.", "wrong": "Reread the loss."},
    "q2": {"kind": "number", "answer": 0.5, "tolerance": 0.01, "right": "Yes.", "wrong": "No."},
    "q3": {"kind": "label", "answer": "adam", "right": "Yes.", "wrong": "Not that one."},
}


class Notebook:
    """Stands in for the notebook's kernel: plain data by name, NotData for anything else."""

    def __init__(self, **values):
        self.values = values

    def value(self, name):
        found = self.values.get(name)
        if isinstance(found, Exception):
            raise found
        return found


@pytest.fixture
def course(tmp_path, monkeypatch):
    monkeypatch.delenv(hc.KEYS_ENV, raising=False)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "quiz1.json").write_text(json.dumps({"questions": KEY}))
    (tmp_path / "graders").mkdir()
    (tmp_path / "graders" / "lab1.py").write_text(
        textwrap.dedent(
            """
            from descent.labs.hidden_checks import number

            def loss_test(nb, parts, key):
                with parts.part("a number", 1):
                    number(nb.value("loss"), "loss")
                with parts.part("small", 2):
                    assert nb.value("loss") < 0.1, "loss is too large"
            """
        )
    )
    return hc.Course(tmp_path)


@pytest.mark.parametrize(
    "values, right, said",
    [
        ({"q1": " b "}, True, "q1: correct. Yes: B."),
        ({"q1": "C"}, False, "q1: not this one. Reread the loss."),
        ({"q1": "E"}, False, 'q1: answer with one letter, "A", "B", "C" or "D"'),
        ({"q2": 0.505}, True, "q2: correct."),
        ({"q2": True}, False, "q2: answer with a number"),
        ({"q3": "Adam "}, True, "q3: correct."),
        ({"q3": ""}, False, "q3: answer with one of the names listed"),
        ({"q1": NotData("an object of the notebook's own class")}, False, "q1: an object"),
    ],
)
def test_a_quiz_answer_is_compared_with_its_key_and_never_shows_it(course, values, right, said):
    question = next(iter(values))
    shown, points = hc.grade_cell(course, "quiz1", f"{question}_test", Notebook(**values), 2.0)
    assert shown.startswith(said) and points == (2.0 if right else 0.0)
    assert right or str(KEY[question]["answer"]) not in shown.replace(said, "")


def test_a_course_graders_parts_are_scored_and_held_to_the_cells_points(course):
    shown, points = hc.grade_cell(course, "lab1", "loss_test", Notebook(loss=0.5), 3.0)
    assert points == 1.0 and "loss is too large" in shown and "1 of 3 points" in shown
    with pytest.raises(RuntimeError, match="loss_test scores 3 points, the cell is worth 5"):
        hc.grade_cell(course, "lab1", "loss_test", Notebook(loss=0.01), 5.0)


def test_a_test_cell_without_a_trusted_check_is_refused(course):
    with pytest.raises(LookupError, match="no trusted check for test cell q9_test of quiz1"):
        hc.grade_cell(course, "quiz1", "q9_test", Notebook(), 1.0)


def test_the_keys_may_live_elsewhere(tmp_path, monkeypatch):
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "quiz1.json").write_text(json.dumps({"questions": {"q1": KEY["q1"]}}))
    monkeypatch.setenv(hc.KEYS_ENV, str(tmp_path / "secret"))
    assert hc.Course(tmp_path / "course").key("quiz1") == {"q1": KEY["q1"]}
    assert hc.Course(tmp_path / "course").key("quiz2") == {}


def test_the_graders_helpers_name_what_they_expected():
    assert hc.number(3, "w") == 3.0 and hc.close(1.0, 1.05, 0.1)
    with pytest.raises(AssertionError, match=r"w should be a finite Python number \(got nan\)"):
        hc.number(float("nan"), "w")
    torch = pytest.importorskip("torch")
    assert hc.scalar(torch.tensor([2.5]), "w") == 2.5
    with pytest.raises(AssertionError, match=r"w should be a tensor \(got list\)"):
        hc.tensor([1.0], "w")
