"""The audit's verdicts and figures (``descent.authoring.audit``): pure functions on hand-built
results documents. A hollow answer that earns anything fails; each bug is held to the points its
tag allows; generic names are scored against the bugs' labels; the figures for the catalogue and
the student-style corpus are reported apart. (A real audit of one module's corpus, through the
command line: tests/commands/test_audit.py.)"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from descent.authoring import audit, audit_public, completeness

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _block(name: str, points: float, diagnoses: list, max_points: float = 10.0) -> dict:
    """A variant's block and its tests: one failed test per diagnosis (none: it passed; a
    string starting "observed" is a failure that shows that observation and names nothing)."""
    tests = [
        {
            "nodeid": f"graders/test_losses.py::test_mse[{name}]",
            "implementation": name,
            "exercise": "losses.mse",
            "counted": True,
            "max_points": 1.0,
            "drawn": True,  # its inputs drawn: no share of points on fixed inputs
            "outcome": "failed",
            "message": "[reference value] x" + (f"\n{d}" if d and d.startswith("observed") else ""),
            "misconception": None,
            "diagnosis": None if d and d.startswith("observed") else d,
        }
        for d in diagnoses
    ] or [
        {
            "nodeid": f"graders/test_losses.py::test_mse[{name}]",
            "implementation": name,
            "exercise": "losses.mse",
            "counted": True,
            "max_points": 1.0,
            "drawn": True,  # its inputs drawn: no share of points on fixed inputs
            "outcome": "passed",
            "message": "",
            "misconception": None,
        }
    ]
    return {"name": name, "points": points, "max_points": max_points}, tests


def _doc(*variants: tuple[str, float, list]) -> dict:
    blocks, tests = zip(*(_block(*v) for v in variants))
    return {"implementations": list(blocks), "tests": [t for ts in tests for t in ts]}


LABELS = {
    "a": ("sum-mean",),
    "b": ("factor",),
    "s1": ("omitted",),
    "s2": ("eps",),
    "s3": ("clamp",),
    "s4": ("factor",),
}
WRONG_ON = {
    "a": "ordinary",
    "b": "edge",
    "s1": "ordinary",
    "s2": "ordinary",
    "s3": "edge",
    "s4": "ordinary",
}


@pytest.fixture
def rows():
    doc = _doc(
        ("bug:a", 2.0, ["sum-mean"]),  # named rightly
        ("bug:b", 9.0, ["sign"]),  # misnamed
        ("student:s1", 1.0, ["omitted"]),  # named rightly
        ("student:s2", 6.0, ["factor", "eps"]),  # named rightly, and misnamed too
        ("student:s3", 10.0, []),  # kept full marks: missed
        ("student:s4", 4.0, ["observed: your result is twice the expected."]),  # observed only
        ("alternative:c", 10.0, []),
    )
    return audit.summarize(doc, LABELS, WRONG_ON)


def test_a_student_style_bug_is_judged_as_a_bug(rows):
    by_id = {r["id"]: r for r in rows}
    assert by_id["s1"]["ok"] and not by_id["s3"]["ok"]  # a bug that loses nothing is missed
    assert by_id["s2"]["generic_named"] and by_id["s2"]["generic_wrong"] == ["factor"]
    assert by_id["s3"]["wrong_on"] == "edge" and by_id["c"]["wrong_on"] == ""


def test_the_figures_count_each_set_apart(rows):
    assert audit.figures(rows) == {
        "bugs": 2,
        "catalogue": 0,
        "generic": 1,
        "both": 1,
        "misnamed": 1,
        "observed": 0,
        "alternatives_named": 0,
    }
    student = audit.figures(rows, "student")
    assert (student["bugs"], student["generic"], student["misnamed"]) == (4, 2, 1)
    assert student["observed"] == 1  # (issue 50) named / observed only / wrong, on every set


def test_points_kept_by_ordinary_and_edge_bugs_mean_and_worst(rows):
    kept = audit.points_kept(rows, "student")
    assert kept["ordinary"]["bugs"] == 3 and kept["ordinary"]["worst_id"] == "s2"
    assert kept["edge"] == {"bugs": 1, "mean": 1.0, "worst": 1.0, "worst_id": "s3"}
    assert audit.points_kept(rows)["edge"]["worst_id"] == "b"


def test_the_summary_reports_the_catalogue_and_the_corpus_apart(rows):
    catalogue_named, catalogue_kept, corpus_named, corpus_kept = audit.summary_lines(rows)
    assert catalogue_named.startswith(
        "catalogue: named generically (the catalogue's names "
        "hidden): 1 of 2 bugs (50%); observed only (what the values show, no cause): 0 (0%); "
        "misnamed (a wrong cause): 1"
    )
    assert "alternatives given a generic name: 0" in catalogue_named
    assert corpus_named.startswith("student-style corpus: named generically")
    assert "2 of 4 bugs (50%)" in corpus_named and "alternatives" not in corpus_named
    assert "observed only (what the values show, no cause): 1 (25%)" in corpus_named
    assert corpus_kept == (
        "student-style corpus, points kept: ordinary bugs (3) keep 37% on average, 60% at worst "
        "(s2); edge bugs (1) keep 100% on average, 100% at worst (s3); "
        "2 of 3 ordinary bugs keep at most half; 1 of 1 edge bugs keep more than half"
    )
    assert "ordinary bugs (1) keep 20%" in catalogue_kept
    only_corpus = [r for r in rows if r["kind"] == "student"]
    assert [line.split(":")[0] for line in audit.summary_lines(only_corpus)] == [
        "student-style corpus",
        "student-style corpus, points kept",
    ]


def _variant_doc(kind: str, points: float) -> dict:
    name = f"{kind}:x"
    return {
        "implementations": [{"name": name, "points": points, "max_points": 10.0}],
        "tests": [
            {
                "implementation": name,
                "exercise": "losses.mse",
                "counted": True,
                "outcome": "passed" if points else "failed",
                "message": "",
                "misconception": None,
            }
        ],
    }


def test_the_audit_fails_a_hollow_answer_that_earns_anything():
    [earns] = audit.summarize(_variant_doc("hollow", 0.5))
    [nothing] = audit.summarize(_variant_doc("hollow", 0.0))
    assert not earns["ok"] and nothing["ok"]


def _bug_doc(vid: str, diagnoses: list, misconception=None) -> dict:
    name = f"bug:{vid}"
    return {
        "implementations": [{"name": name, "points": 0.0, "max_points": 10.0}],
        "tests": [
            {
                "implementation": name,
                "exercise": "losses.mse",
                "counted": True,
                "outcome": "failed",
                "message": "[reference value] x",
                "misconception": misconception,
                "diagnosis": d,
            }
            for d in diagnoses
        ],
    }


def test_the_audit_scores_generic_names_against_the_bugs_labels():
    labels = {"a": ("sum-mean",), "b": ("sum-mean",), "c": ("sign",), "d": ()}
    rows = (
        audit.summarize(_bug_doc("a", ["sum-mean", None]), labels)  # named rightly
        + audit.summarize(_bug_doc("b", ["factor"], "b"), labels)  # misnamed, catalogued
        + audit.summarize(_bug_doc("c", ["ambiguous"]), labels)  # says nothing
        + audit.summarize(_bug_doc("d", []), labels)
    )  # unnamed
    assert audit.figures(rows) == {
        "bugs": 4,
        "catalogue": 1,
        "generic": 1,
        "both": 2,
        "misnamed": 1,
        "observed": 0,
        "alternatives_named": 0,
    }


def test_a_label_no_diagnosis_confirms_is_a_problem_of_the_audit():
    """A bug labelled with a kind its failures are never diagnosed with passed the audit with 0
    problems (issue 83): the label claimed a measurement that did not happen."""
    labels = {"a": ("sum-mean",), "c": ("sign",), "d": (), "e": ("sign",)}
    tags = dict.fromkeys(labels, "ordinary")
    rows = (
        audit.summarize(_bug_doc("a", ["sum-mean"]), labels, tags)  # confirmed
        + audit.summarize(_bug_doc("c", ["factor"]), labels, tags)  # another kind only
        + audit.summarize(_bug_doc("d", [None]), labels, tags)  # no label, no claim
        + audit.summarize(_bug_doc("e", [None]), labels, tags)  # nothing at all
    )
    audit.judge_points(rows)
    assert [r["ok"] for r in rows] == [True, False, True, False]
    assert rows[1]["label_problem"] == "labelled sign, but the diagnoses name factor"
    assert rows[3]["label_problem"] == "labelled sign, but the diagnoses name nothing"


def _kept(vid: str, points: float, kind: str = "bug") -> dict:
    doc = _bug_doc(vid, [None])
    doc["implementations"][0].update(name=f"{kind}:{vid}", points=points)
    doc["tests"][0]["implementation"] = f"{kind}:{vid}"
    return doc


def test_the_audit_holds_each_bug_to_the_points_its_tag_allows():
    tags = {"every_day": "ordinary", "rare": "edge", "untagged": ""}
    cases = [
        ("every_day", 5.0, "bug"),
        ("every_day", 5.5, "bug"),
        ("rare", 5.5, "bug"),
        ("rare", 5.0, "student"),
        ("untagged", 2.0, "bug"),
    ]
    rows = [row for c in cases for row in audit.summarize(_kept(*c), wrong_on=tags)]
    audit.judge_points(rows)
    problems = [r["points_problem"] for r in rows]
    assert [r["ok"] for r in rows] == [True, False, True, False, False]
    assert "at most half" in problems[1] and "more than half" in problems[3]
    assert "no wrong_on tag" in problems[4]
    assert audit._rule_text(rows, "bug") == (
        "1 of 2 ordinary bugs keep at most half; 1 of 1 edge bugs keep more than half"
    )


def test_a_bug_is_held_on_a_gpu_to_the_tag_it_declares_there():
    from descent.variants import BUG, Variant

    moves = Variant("ignores_device", "init.kaiming", "t", BUG, wrong_on="edge")
    moves.wrong_on_cuda = "ordinary"
    stays = Variant("hardcodes_float32", "init.kaiming", "t", BUG, wrong_on="edge")
    assert [audit.where_wrong(moves, d) for d in ("cpu", "cuda", "all")] == [
        "edge",
        "ordinary",
        audit.MIXED,
    ]
    assert {audit.where_wrong(stays, d) for d in ("cpu", "cuda", "all")} == {"edge"}
    # a GPU run where it keeps half passes as ordinary; the same points under its CPU tag fail
    assert audit.points_problem(5.0, 10.0, "ordinary") == ""
    assert "more than half" in audit.points_problem(5.0, 10.0, "edge")
    assert audit.points_problem(5.0, 10.0, audit.MIXED) == ""


def test_what_the_catalogue_lacks_is_a_problem_of_the_audit(tmp_path, monkeypatch):
    """An exercise without its literal alternative failed the kit's suite while the audit said
    "0 problems": the audit now checks what the suite checks (descent.authoring.completeness)."""
    results = tmp_path / "results.json"
    monkeypatch.setattr(audit, "run_pytest", lambda *a, **k: 0)  # the grading: promises kept
    monkeypatch.setattr(audit.results_mod, "load", lambda path: _doc(("alternative:c", 10.0, [])))
    monkeypatch.setattr(audit_public, "audit", lambda **kwargs: 0)
    lacks = "losses.smooth_l1: no alternative with literal=True, its docstring's formula"
    for held, code in (([], 0), ([lacks], 1)):
        monkeypatch.setattr(completeness, "problems", lambda kit, modules, held=held: held)
        shown = io.StringIO()
        console = Console(file=shown, width=300)
        assert audit.audit(device="cpu", console=console, results=results) == code
        said = shown.getvalue()
        assert f"{len(held)} problems" in said and (lacks in said) == bool(held)
