"""``descent audit --labelled`` without a grading run (``descent.authoring.audit_labelled``): what a
labelled folder must hold, and how each graded submission is counted (caught or a false fail) and
what its feedback did. (Graded for real: tests/commands/test_audit.py.)"""

from __future__ import annotations

import json

import pytest

from descent.authoring import audit_labelled as labelled
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
        "named": 1, "observed": 1, "other": 1, "silent": 1,
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
