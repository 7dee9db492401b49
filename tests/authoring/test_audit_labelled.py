"""``descent audit --labelled`` without a grading run (``descent.authoring.audit_labelled``): what a
labelled folder must hold, and how each graded submission is counted (caught or a false fail) and
what its feedback did. (Graded for real: tests/commands/test_audit.py.)"""

from __future__ import annotations

import json
import os

import pytest

from descent.authoring import audit_labelled as labelled
from descent.authoring.audit_draws import draw_secrets
from descent.errors import DescentError

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _folder(tmp_path, entries, folders=None):
    (tmp_path / "EXPECTED.json").write_text(json.dumps({"submissions": entries}))
    for sid in entries if folders is None else folders:
        (tmp_path / "subs" / sid).mkdir(parents=True)
    return tmp_path


BUGGY = {"target": "losses.mse", "label": "BUGGY", "named_pattern": "sum|mean"}


def test_a_labelled_folder_is_read_and_filtered_by_module(tmp_path):
    folder = _folder(
        tmp_path,
        {"b": BUGGY, "a": {"target": "optim.sgd", "label": "CORRECT", "named_pattern": "x"}},
    )
    subs = labelled.load(folder)
    assert [(s.id, s.module, s.buggy, s.pattern) for s in subs] == [
        ("a", "optim", False, None),
        ("b", "losses", True, "sum|mean"),
    ]
    assert [s.id for s in labelled.load(folder, ["losses"])] == ["b"]


@pytest.mark.parametrize(
    "entry, said",
    [
        ({**BUGGY, "target": "losses.nothing"}, "is no exercise of the kit"),
        ({**BUGGY, "label": "MAYBE"}, "is not one of BUGGY, CORRECT"),
        ({**BUGGY, "named_pattern": "("}, "named_pattern is no regular expression"),
        ({**BUGGY, "named_pattern": ""}, "a BUGGY submission needs a named_pattern"),
        ("BUGGY", "its labels must be an object"),
    ],
)
def test_a_bad_label_is_named_with_its_submission(tmp_path, entry, said):
    with pytest.raises(DescentError, match=said) as raised:
        labelled.load(_folder(tmp_path, {"s1": entry}))
    assert "submission 's1'" in str(raised.value)


def test_a_folder_of_another_layout_says_what_is_missing(tmp_path):
    with pytest.raises(DescentError, match="no EXPECTED.json"):
        labelled.load(tmp_path)
    (tmp_path / "EXPECTED.json").write_text("[]")
    with pytest.raises(DescentError, match="not a labelled set"):
        labelled.load(tmp_path)
    with pytest.raises(DescentError, match="no folder"):
        labelled.load(_folder(tmp_path, {"s1": BUGGY}, folders=[]))


def _doc(sid, exercises, tests):
    return {
        "implementations": [
            {
                "name": f"/x/subs/{sid}",
                "exercises": [
                    {"id": i, "points": p, "max_points": 10.0, "misconceptions": m}
                    for i, p, m in exercises
                ],
            }  # fmt: skip
        ],
        "tests": [
            {
                "implementation": f"/x/subs/{sid}",
                "exercise": "losses.mse",
                "points": 0.0,
                "max_points": 5.0,
                "message": message,
            }  # fmt: skip
            for message in tests
        ],
    }


def _sub(tmp_path, sid, buggy=True, pattern="sum|mean"):
    return labelled.Labelled(sid, tmp_path / sid, "losses.mse", buggy, pattern if buggy else None)


def test_each_submission_is_counted_by_what_its_feedback_did(tmp_path):
    cases = {
        "named": ([("losses.mse", 0.0, ["sums instead of averaging"])], []),
        "other": ([("losses.mse", 0.0, [])], ["wrong\nlikely mistake: a sign flipped"]),
        "observed": ([("losses.mse", 5.0, [])], ["observed: twice the expected value"]),
        "silent": ([("losses.mse", 5.0, [])], ["expected 1.0, got 2.0"]),
        "missed": ([("losses.mse", 10.0, [])], []),
    }
    subs = [_sub(tmp_path, sid) for sid in cases]
    subs.append(_sub(tmp_path, "right", buggy=False))
    rows = []
    for sub in subs:
        exercises, tests = cases.get(
            sub.id, ([("losses.mse", 10.0, []), ("losses.mae", 4.0, [])], [])
        )
        rows += labelled.measure([sub], {"losses": _doc(sub.id, exercises, tests)})
    by_id = {r["id"]: r for r in rows}
    assert {sid: by_id[sid]["feedback"] for sid in cases} == {
        "named": "named", "other": "other", "observed": "observed", "silent": "silent",
        "missed": "",
    }  # fmt: skip
    assert by_id["missed"]["caught"] is False and by_id["right"]["false_fail"] is True
    assert labelled.figures(rows) == {
        "buggy": 5, "correct": 1, "caught": 4, "false_fails": 1,
        "named": 1, "observed": 1, "other": 1, "silent": 1, "menu": 0, "wrong": 1, "moved": 0,
    }  # fmt: skip
    line = labelled.summary_line(rows, tmp_path)
    assert "caught 4/5 real bugs, false fails 1/1 correct; named 1/5 (20%)" in line
    # a module whose run did not complete leaves its submissions out
    assert labelled.measure([_sub(tmp_path, "named")], {"losses": None}) == []


@pytest.mark.parametrize("sid", ["/tmp/elsewhere", "a/b", "..", "."])
def test_an_id_that_is_a_path_is_refused(tmp_path, sid):
    """An entry given by absolute path was graded from that folder and then missing from the
    figures without a word (its results are found by the folder's name)."""
    (tmp_path / "EXPECTED.json").write_text(json.dumps({"submissions": {sid: BUGGY}}))
    with pytest.raises(DescentError, match="is the name of its folder in .*subs .not a path."):
        labelled.load(tmp_path)


def test_a_submission_its_module_run_has_no_result_for_is_named(tmp_path):
    subs = [_sub(tmp_path, "named"), _sub(tmp_path, "gone")]
    doc = _doc("named", [("losses.mse", 0.0, ["sums"])], [])
    assert labelled.not_graded(subs, {"losses": doc}) == ["gone"]
    assert labelled.not_graded(subs, {"losses": None}) == []  # said as a run not completed


def test_a_pattern_that_backtracks_without_end_is_refused_in_seconds(tmp_path):
    """(a+)+$ on a run of a's backtracks for a time that doubles with each letter (a line of 40
    holds the audit for days); it is stopped after MATCH_SECONDS and named. With 27 letters,
    about half a minute here, the search ends by itself, so the old code finished and passed
    the pattern as a plain no-match."""
    sub = _sub(tmp_path, "slow", pattern="(a+)+$")
    doc = _doc("slow", [("losses.mse", 0.0, [])], ["a" * 27 + "!"])
    with pytest.raises(DescentError, match="submission 'slow': its named_pattern .* ran past"):
        labelled.measure([sub], {"losses": doc})


def _lost(message, misconception=None, diagnosis=None):
    return {
        "implementation": "/x/subs/s",
        "exercise": "losses.mse",
        "points": 0.0,
        "max_points": 5.0,
        "message": message,
        "misconception": misconception,
        "diagnosis": diagnosis,
    }


def _graded(sid, tests, points=0.0):
    doc = _doc(sid, [("losses.mse", points, [])], [])
    doc["tests"] = [{**t, "implementation": f"/x/subs/{sid}"} for t in tests]
    misconceptions = [t["misconception"] for t in tests if t.get("misconception")]
    doc["implementations"][0]["exercises"][0]["misconceptions"] = misconceptions
    return doc


RIGHT = _lost("wrong\nlikely mistake: a sum where the mean belongs.", diagnosis="sum-mean")
WRONG = _lost("wrong\nlikely mistake: a sign flipped.\nhint: look", diagnosis="sign")
MENU = _lost(
    "wrong\nlikely mistake: several explanations fit equally well: a sum; or a sign flipped.",
    diagnosis="ambiguous",
)


@pytest.mark.parametrize(
    "tests, feedback, wrong",
    [
        ([RIGHT], "named", []),
        # named on one check, and a wrong cause told on another: named, and a wrong cause
        ([RIGHT, WRONG], "named", ["likely mistake: a sign flipped."]),
        ([WRONG], "other", ["likely mistake: a sign flipped."]),
        # a catalogued misconception the label does not describe is a cause too
        (
            [_lost("wrong\nlikely mistake: the bias left out.", "mse_no_bias")],
            "other",
            ["mse_no_bias\nlikely mistake: the bias left out."],
        ),
        # a menu names no cause: neither named (though it holds the words) nor wrong
        ([MENU], "menu", []),
        # nor does a check's hint, said whatever the mistake
        ([_lost("wrong\nobserved: 2x.\nhint: a sum is not a mean")], "observed", []),
        ([_lost("wrong\nobserved: twice the expected value.")], "observed", []),
    ],
)
def test_each_cause_the_pattern_does_not_match_is_a_wrong_cause(tmp_path, tests, feedback, wrong):
    """(issue 57) A stated cause that is not the labelled mistake was counted only as "another
    cause" (wrong, or right in other words) and only when nothing else matched; a menu that held
    the pattern's words counted as named."""
    sub = _sub(tmp_path, "s")
    (row,) = labelled.measure([sub], {"losses": _graded("s", tests)})
    assert (row["feedback"], row["wrong"]) == (feedback, wrong)
    assert bool(labelled.problems([row])) == bool(wrong)
    if wrong:
        assert labelled.problems([row]) == [
            f"s (losses.mse): a wrong cause: {' / '.join(wrong[0].splitlines())}"
        ]
    assert labelled.figures([row])["wrong"] == bool(wrong)


def test_a_bug_missed_and_correct_code_failed_are_problems(tmp_path):
    missed = labelled.measure([_sub(tmp_path, "m")], {"losses": _graded("m", [], points=10.0)})
    failed = labelled.measure(
        [_sub(tmp_path, "c", buggy=False)], {"losses": _graded("c", [WRONG], points=5.0)}
    )
    assert labelled.problems(missed + failed) == [
        "m (losses.mse): a real bug kept every point of its exercise",
        "c (losses.mse): correct code lost points",
    ]


def test_a_cause_named_on_one_draw_and_not_another_is_a_problem(tmp_path):
    """(issue 57) A diagnosis counts only when it holds on every draw of the inputs."""
    sub = _sub(tmp_path, "s")
    first = labelled.measure([sub], {"losses": _graded("s", [RIGHT])})
    second = labelled.measure([sub], {"losses": _graded("s", [MENU])})
    (row,) = labelled.across([first, second])
    assert row["feedback"] == "menu" and row["caught"] is True
    assert labelled.figures([row])["named"] == 0 and labelled.figures([row])["moved"] == 1
    assert labelled.problems([row]) == [
        "s (losses.mse): its points or causes differ between draws (draw 1: caught, named, "
        "sum-mean; draw 2: caught, not named, no cause)"
    ]
    (same,) = labelled.across([first, first])
    assert same["feedback"] == "named" and labelled.problems([same]) == []


def test_the_report_grades_each_draw_under_its_secret_and_fails_on_a_problem(tmp_path, monkeypatch):
    """``descent audit --labelled DIR [--draws K]``: exit 1 on a wrong cause or a cause that
    moves between the draws, 0 when every cause is the labelled one on every draw."""
    import io

    from rich.console import Console

    from descent.grading import input_seed

    secrets = []

    def graded(subs, *, device, results, draw=0):
        secrets.append(os.environ.get(input_seed.ENV))
        tests = tested[min(draw, len(tested)) - 1 if draw else 0]
        return {"losses": _graded("s", tests)}

    monkeypatch.setattr(labelled, "grade", graded)
    sub = _sub(tmp_path, "s")

    def report(draws):
        out = io.StringIO()
        code = labelled.report(
            [sub], tmp_path, draws=draws, device="cpu", results=tmp_path / "r.json",
            console=Console(file=out, width=300),
        )  # fmt: skip
        return code, out.getvalue()

    tested = [[RIGHT]]
    assert report(1)[0] == 0
    tested = [[RIGHT, WRONG]]
    code, out = report(1)
    assert code == 1 and "a wrong cause in 1" in out
    assert "labelled: s (losses.mse): a wrong cause: likely mistake: a sign flipped." in out
    secrets.clear()
    tested = [[RIGHT], [RIGHT], [MENU]]
    code, out = report(3)
    assert secrets == draw_secrets(3)
    assert code == 1 and "named 0/1" in out and "1 whose points or causes differ" in out
    tested = [[RIGHT], [RIGHT]]
    assert report(2)[0] == 0


def test_a_cause_right_beside_the_labelled_mistake_is_no_wrong_cause(tmp_path):
    """A submission that makes a second mistake (or breaks a stated convention) is told it
    rightly: its label's also_pattern admits that cause, which is then neither wrong nor named."""
    entry = {**BUGGY, "named_pattern": "a sum", "also_pattern": "sign"}
    (sub,) = labelled.load(_folder(tmp_path, {"s": entry}))
    assert sub.also == "sign"
    (row,) = labelled.measure([sub], {"losses": _graded("s", [RIGHT, WRONG])})
    assert (row["feedback"], row["wrong"]) == ("named", [])
    (row,) = labelled.measure([sub], {"losses": _graded("s", [WRONG])})
    assert (row["feedback"], row["wrong"]) == ("other", [])
    (tmp_path / "bad").mkdir()
    with pytest.raises(DescentError, match="also_pattern is no regular expression"):
        labelled.load(_folder(tmp_path / "bad", {"s": {**entry, "also_pattern": "("}}))
