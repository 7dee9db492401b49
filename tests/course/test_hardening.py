"""Grading a class, hardened: a module that hangs at import costs one time limit, exit
codes that keep a student's result apart from a batch failure, options checked before anything
starts, clear messages instead of tracebacks, exports that keep every status, and the small
things an instructor meets (a mis-named file, a removed submission). (The ETA is tested with
the batch, the temporary folders and CPU locks with the runner: test_batch.py, test_runner.py.)
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import time
from types import SimpleNamespace

import pytest
import yaml
from rich.console import Console

from descent import commands as cli
from descent.course import batch, handback, html_report
from descent.course.gradebook import KEPT_TIMEOUT, Gradebook
from descent.course.submissions import Listing, graded_folder
from descent.reports.export import to_gradescope

from .conftest import KIT, copy_modules, run_batch
from .test_handback import _outcome, book_path  # noqa: F401 - a fixture

HANG = "\n# an endless loop at import time\nwhile True:\n    pass\n"
SOME = "(test_activations and (relu or tanh)) or (test_losses and mse)"


# ------------------------------------------------------------------ 1. a hang at import


def test_a_module_that_hangs_at_import_is_tried_twice_and_the_rest_is_graded(tmp_path):
    subs = tmp_path / "subs"
    hal = copy_modules(KIT / "solutions", subs / "hal", modules=("losses", "activations"))
    with open(hal / "activations.py", "a") as fh:
        fh.write(HANG)
    result = run_batch(subs, tmp_path / "out", "-k", SOME, "--call-timeout", "2", timeout=300)
    assert result.code == 0, result.output
    ((status, duration, doc),) = result.rows("SELECT status, duration_s, results FROM submissions")
    assert status == "graded" and duration < 60, (status, duration)
    block = json.loads(doc)["implementations"][0]
    by_id = {ex["id"]: ex for ex in block["exercises"]}
    assert by_id["losses.mse"]["points"] == by_id["losses.mse"]["max_points"] > 0
    for ex in ("activations.relu", "activations.tanh"):
        assert by_id[ex]["points"] == 0
        assert re.search(
            r"the import did not finish within 2 s .*\(activations\.py line \d+\)",
            by_id[ex]["first_failure"],
        ), by_id[ex]["first_failure"]
    # the worker stopped the import itself, once, and refused the module after: no worker was
    # stopped from outside (it was twice: the import once, and once more as any limit hit is)
    assert not [e for e in block.get("worker_events", []) if e["kind"] == "timeout"]
    report = (result.out / "reports" / "hal.html").read_text()
    assert "the import of activations.py never finished" in report


# ------------------------------------------------------------------ 2, 3. exit codes, time-outs


def test_a_time_out_is_the_students_result_retried_once_then_kept(
    tmp_path, reference_losses, monkeypatch
):
    out = tmp_path / "out"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # what the batch and its gradings leave there
    # A student whose mse never returns, with a per-call limit longer than the whole
    # submission's: the submission's limit is what ends the grading, however fast the machine.
    with (reference_losses / "ada" / "losses.py").open("a") as module:
        module.write("\n\ndef mse_forward(pred, target):\n    while True:\n        pass\n")
    first = run_batch(
        reference_losses,
        out,
        "-k",
        "test_losses and mse",
        "--timeout",
        "8",
        "--call-timeout",
        "120",
    )
    assert first.code == 0, first.output  # the student's result, not a failed batch
    assert first.rows("SELECT status FROM submissions") == [("timed_out",)]
    left = [p.name for p in scratch.iterdir() if not p.name.startswith("descent-locks-")]
    assert left == [], left  # no copy of the student's code outlives its grading
    second = run_batch(
        reference_losses,
        out,
        "-k",
        "test_losses and mse",
        "--timeout",
        "1",
        "--call-timeout",
        "120",
    )
    assert second.code == 0 and "grading 1 submission(s)" in second.output, second.output
    ((message,),) = second.rows("SELECT message FROM submissions")
    assert message.endswith(KEPT_TIMEOUT) and message.count("longer than") == 1
    third = run_batch(
        reference_losses,
        out,
        "-k",
        "test_losses and mse",
        "--timeout",
        "1",
        "--call-timeout",
        "120",
    )
    assert third.code == 0 and "1 submission(s) already graded" in third.output


def test_the_instructor_workflow_saves_its_gradebook_whatever_the_batch_returns():
    steps = yaml.safe_load((KIT / "workflows" / "instructor.yml").read_text())["jobs"]["grade"][
        "steps"
    ]
    names = [s.get("uses", "") for s in steps]
    save = steps[next(i for i, n in enumerate(names) if n.startswith("actions/cache/save"))]
    grade = next(i for i, s in enumerate(steps) if " batch " in s.get("run", ""))
    assert save["if"] == "always()" and steps.index(save) > grade
    assert save["with"]["path"] == "descent-grading/gradebook.sqlite"
    assert not any(n.startswith("actions/cache@") for n in names)  # restore-only before


@pytest.mark.parametrize(
    "flags, complaint",
    [
        (["--timeout", "-5"], "positive number of seconds"),
        (["--timeout", "nan"], "positive number of seconds"),
        (["--call-timeout", "0"], "positive number of seconds"),
        (["--jobs", "-1"], "give 1 or more"),
        (["--scheduler", "notaurl"], "not a Dask scheduler address"),
        (["-k", "test_losses and ("], "not a pytest -k expression"),
    ],
)
def test_a_bad_option_is_refused_at_once_with_exit_2(tmp_path, capsys, flags, complaint):
    start = time.monotonic()
    with pytest.raises(SystemExit) as stop:
        cli.main(["batch", str(KIT / "samples" / "class"), "--out", str(tmp_path / "o"), *flags])
    assert stop.value.code == 2 and complaint in capsys.readouterr().err
    assert time.monotonic() - start < 5 and not (tmp_path / "o").exists()


# ------------------------------------------------------------------ 4. messages, not tracebacks


def test_export_and_gradescope_answer_bad_input_with_a_message(tmp_path, capsys, book_path):  # noqa: F811 - the imported fixture
    foreign = tmp_path / "foreign.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    (tmp_path / "corrupt.sqlite").write_bytes(b"not a database at all" * 100)
    (tmp_path / "folder").mkdir()
    (tmp_path / "a-file").write_text("x")
    cases = [
        (
            ["export", "--gradebook", str(tmp_path / "none.sqlite"), "--format", "csv"],
            "no such gradebook",
        ),
        (
            ["export", "--gradebook", str(tmp_path / "corrupt.sqlite"), "--format", "csv"],
            "not a Descent gradebook",
        ),
        (["export", "--gradebook", str(foreign), "--format", "csv"], "not a Descent gradebook"),
        (["export", str(tmp_path / "folder"), "--format", "csv"], "is a folder"),
        (
            [
                "export",
                "--gradebook",
                str(book_path),
                "--format",
                "csv",
                "--out",
                str(tmp_path / "folder"),
            ],
            "Is a directory",
        ),
        (
            [
                "export",
                "--gradebook",
                str(book_path),
                "--format",
                "feedback",
                "--out",
                str(tmp_path / "a-file"),
            ],
            "File exists",
        ),
        (["gradescope", str(tmp_path / "folder")], "is a folder"),
        (["gradescope", str(tmp_path / "a-file" / "ag.zip")], "cannot write"),
    ]
    for argv, complaint in cases:
        code = cli.main(argv)
        text = capsys.readouterr()
        said = " ".join((text.out + text.err).split())  # the console wraps long paths
        assert code == 2 and complaint in said, (argv, text)
        assert "Traceback" not in text.out + text.err


# ------------------------------------------------------------------ 6. exports keep the status


def test_every_export_carries_the_status_and_the_reason(tmp_path, book_path, capsys):  # noqa: F811
    out = tmp_path / "grades.csv"
    assert (
        cli.main(["export", "--gradebook", str(book_path), "--format", "csv", "--out", str(out)])
        == 0
    )
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheets need for non-ASCII names
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))}
    dee = rows["dee"]
    assert dee["status"] == "timed_out" and "too slow" in dee["note"]
    assert dee["losses.mse"] == dee["losses.kl_div"] == "0.0"  # no blank cells
    assert rows["ada"]["status"] == "graded" and dee["max_points"] == "20.0"
    with Gradebook(book_path, writable=False) as book:
        handback.write_results(book, tmp_path / "results")
        # the summary lists the students of the folder graded: here, this gradebook's students
        listing = Listing(
            entries=[SimpleNamespace(student=row["student"]) for row in book.current()],
            unrecognised=[],
        )
        batch.summarize(
            book, batch.Tally(), listing, Console(file=(summary := io.StringIO()), width=200)
        )
    text = to_gradescope(json.loads((tmp_path / "results" / "dee.json").read_text()))
    assert text["score"] == 0 and "did not complete (timed out): too slow" in text["output"]
    assert "Graded on ;" not in text["output"]
    dee_line = next(line for line in summary.getvalue().splitlines() if "dee" in line)
    assert "0/20" in dee_line  # as in the CSV, not 0/0


# ------------------------------------------------------------------ 5. Gradescope


def test_gradescope_finds_the_modules_in_the_folder_it_unzipped(tmp_path):
    submission = tmp_path / "submission"
    copy_modules(KIT / "solutions", submission / "hw1")
    (submission / "__MACOSX").mkdir()
    assert graded_folder(submission) == submission / "hw1"
    copy_modules(KIT / "solutions", tmp_path / "deep" / "hw1" / "starter")
    assert graded_folder(tmp_path / "deep") == tmp_path / "deep" / "hw1" / "starter"
    copy_modules(KIT / "solutions", tmp_path / "two" / "a")
    (tmp_path / "two" / "b").mkdir()
    assert graded_folder(tmp_path / "two") == tmp_path / "two"  # which one? neither


# ------------------------------------------------------------------ 7. the hand-back JSON


def test_the_feedback_json_holds_what_the_report_shows(tmp_path):
    doc = _outcome("bo", {"losses.mse": (5, "partial", ["mse_sum"])}).results
    test = {
        "implementation": "bo",
        "exercise": "losses.mse",
        "outcome": "passed",
        "points": 1.0,
        "max_points": 1.0,
        "counted": True,
        "message": "",
        "misconception": None,
        "duration_s": 0.1,
    }
    doc["tests"] = [
        dict(test, nodeid=f"graders/test_losses.py::t[{i}-seed=7]", name=f"t[{i}]")
        for i in range(50)
    ]
    doc["tests"][3].update(outcome="failed", points=0.0, message="expected 1, got 2\ninputs: x")
    view = handback.student_view(doc)
    (lost,) = view["tests"]
    assert lost["name"] == "t[3]" and lost["message"] == "expected 1, got 2"
    assert "nodeid" not in lost and "seed=7" not in json.dumps(view)


# ------------------------------------------------------------------ 8. the rest


def _row(**kw):
    return dict(dict(superseded=[], status="graded", message="", source="x"), **kw)


def test_a_misnamed_single_file_and_a_removed_submission_are_noted(tmp_path):
    doc = _outcome("al", {}).results
    doc["implementations"][0]["intake"]["taken"] = ["al.py"]
    assert any(
        "no exercise modules found" in n and "al.py" in n for n in html_report.notes(_row(), doc)
    )
    # test files of a write-the-tests exercise are what it handed in: nothing to note
    doc["implementations"][0]["intake"].update(
        taken=[], ignored=[{"path": "test_mse.py", "reason": "extra test file"}]
    )
    assert not any("no exercise modules" in n for n in html_report.notes(_row(), doc))
    with Gradebook(tmp_path / "g.sqlite") as book:
        for student in ("bo", "cy"):
            book.record(_outcome(student, {}), source=student, submitted=1.0, superseded=[])
        assert all(row["present"] for row in book.current())  # no batch said otherwise
        book.set_present(["cy"])  # bo's entry was removed from the submissions folder
        rows = {row["student"]: row for row in book.current()}
        gone = "not in the submissions folder of the last batch"
        assert any(gone in n for n in html_report.notes(rows["bo"], None))
        assert not any("last batch" in n for n in html_report.notes(rows["cy"], None))
        csv_rows = {r["student"]: r for r in csv.DictReader(io.StringIO(handback.to_csv(book)))}
    assert gone in csv_rows["bo"]["note"]


def test_the_timed_out_report_says_its_message_once():
    row = _row(status="timed_out", message="grading took longer than 5 s and was stopped")
    text = html_report.page(
        "dee",
        None,
        status=row["status"],
        message=row["message"],
        notes=html_report.notes(row, None),
    )
    assert text.count("took longer than 5 s") == 1
