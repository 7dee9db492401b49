"""The pre-emption guard (``descent.authoring.generic_names``, ``descent audit --check-generic``
and ``--record-generic``): the record's format, the comparison and the command, on small made-up
rows and results documents. (The guard over the whole catalogue: tests/test_generic_names.py.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from descent.authoring import audit, generic_names
from descent.authoring.generic_cache import Inputs
from descent.authoring.generic_names import Record
from descent.errors import DescentError

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

MODULES = {"bug:mse_sum": "losses", "bug:ce_off": "losses", "bug:sgd_sign": "optim"}


def _row(key: str, generic: list[str], cut_short: bool = False) -> dict:
    kind, _, vid = key.partition(":")
    return {"kind": kind, "id": vid, "generic": generic, "generic_cut_short": cut_short}


def _record(**names: list[str]) -> Record:
    rows = [_row(f"bug:{vid}", kinds) for vid, kinds in names.items()]
    return generic_names.from_rows(rows, MODULES)


def test_the_record_is_sorted_one_variant_a_line_and_reads_back(tmp_path):
    record = generic_names.from_rows(
        [_row("bug:sgd_sign", ["sign"]), _row("bug:mse_sum", ["term", "factor"], True)], MODULES
    )
    text = generic_names.dumps(record)
    assert json.loads(text)["names"] == {
        "losses": {"bug:mse_sum": ["factor", "term"]},
        "optim": {"bug:sgd_sign": ["sign"]},
    }
    assert '      "bug:mse_sum": ["factor", "term"]\n' in text  # one line: a diff shows it
    assert text.index('"losses"') < text.index('"optim"')
    path = tmp_path / "names.json"
    path.write_text(text)
    assert generic_names.load(path) == record
    assert generic_names.load(path).cut_short == {"bug:mse_sum"}


def test_a_variant_of_no_module_is_refused():
    with pytest.raises(DescentError, match="bug:unknown"):
        generic_names.from_rows([_row("bug:unknown", [])], MODULES)


def test_identical_names_pass():
    comparison = generic_names.compare(_record(mse_sum=["factor"]), _record(mse_sum=["factor"]))
    assert comparison.changed == [] and comparison.skipped == []
    assert generic_names.report(comparison) == "the generic names are those recorded"


def test_a_name_taken_away_fails_with_before_and_after():
    before = _record(mse_sum=["factor"], sgd_sign=["sign"])
    after = _record(mse_sum=["term"], sgd_sign=[])
    comparison = generic_names.compare(before, after)
    assert comparison.changed == [
        "bug:mse_sum (losses): factor -> term",
        "bug:sgd_sign (optim): sign -> (no generic name)",
    ]
    text = generic_names.report(comparison)
    assert "2 variant(s) moved (before -> after)" in text
    assert "descent audit --record-generic" in text and "--module NAME --record-generic" in text


def test_a_new_variant_is_reported_with_how_to_record_it_and_passes():
    comparison = generic_names.compare(
        _record(mse_sum=["factor"]), _record(mse_sum=["factor"], ce_off=["factor"])
    )
    assert comparison.new == ["bug:ce_off (losses): factor"]
    assert comparison.changed == [] and comparison.gone == [] and not comparison.fails
    text = generic_names.report(comparison)
    assert "1 new variant(s), not recorded yet" in text
    # the command that records exactly the modules of the new variants
    assert "descent audit --module losses --record-generic" in text
    assert "moved" not in text


def test_a_recorded_variant_gone_from_the_run_fails_as_a_stale_record():
    comparison = generic_names.compare(
        _record(mse_sum=["factor"], ce_off=["term"]), _record(mse_sum=["factor"])
    )
    assert comparison.gone == ["bug:ce_off (losses): term"]
    assert comparison.changed == [] and comparison.new == [] and comparison.fails
    text = generic_names.report(comparison)
    assert "1 recorded variant(s) not in this run" in text
    assert "descent audit --module losses --record-generic" in text


def test_new_gone_and_moved_are_told_apart():
    before = _record(mse_sum=["factor"], sgd_sign=["sign"])
    after = _record(mse_sum=["term"], ce_off=[])
    comparison = generic_names.compare(before, after)
    assert comparison.changed == ["bug:mse_sum (losses): factor -> term"]
    assert comparison.new == ["bug:ce_off (losses): (no generic name)"]
    assert comparison.gone == ["bug:sgd_sign (optim): sign"]
    text = generic_names.report(comparison)
    assert "1 variant(s) moved" in text and "1 new variant(s)" in text
    assert "1 recorded variant(s) not in this run" in text


def test_a_variant_cut_short_is_still_new_or_gone():
    """A time limit changes names, never which variants ran: presence is always compared."""
    before = generic_names.from_rows([_row("bug:mse_sum", ["factor"], True)], MODULES)
    after = generic_names.from_rows([_row("bug:ce_off", [], True)], MODULES)
    comparison = generic_names.compare(before, after)
    assert comparison.gone == ["bug:mse_sum (losses): factor"]
    assert comparison.new == ["bug:ce_off (losses): (no generic name)"]
    assert comparison.skipped == []


def test_only_a_diagnosis_cut_short_is_skipped_and_reported():
    before = _record(mse_sum=["factor"], sgd_sign=["sign"])
    after = generic_names.from_rows(
        [_row("bug:mse_sum", [], cut_short=True), _row("bug:sgd_sign", [])], MODULES
    )
    comparison = generic_names.compare(before, after)
    assert comparison.changed == ["bug:sgd_sign (optim): sign -> (no generic name)"]
    assert comparison.skipped == [
        "bug:mse_sum (losses): factor -> (no generic name) (its diagnosis was cut short by a "
        "time limit)"
    ]
    assert "not compared, 1 variant(s) whose diagnosis ran out of time" in (
        generic_names.report(comparison)
    )
    # cut short when recorded: the record's name is the machine's, not the code's
    recorded_short = Record(before.names, {"bug:sgd_sign"})
    assert generic_names.compare(recorded_short, after).changed == []


def test_one_modules_comparison_and_record_leave_the_others_alone():
    before = _record(mse_sum=["factor"], sgd_sign=["sign"])
    run = _record(mse_sum=["term"])  # a run of the losses graders only
    assert generic_names.compare(before, run, ["losses"]).changed == [
        "bug:mse_sum (losses): factor -> term"
    ]
    before.cut_short = {"bug:mse_sum", "bug:sgd_sign"}
    merged = generic_names.merged(before, run, ["losses"])
    assert merged.names == {
        "losses": {"bug:mse_sum": ["term"]},
        "optim": {"bug:sgd_sign": ["sign"]},
    }
    assert merged.cut_short == {"bug:sgd_sign"}
    assert generic_names.merged(before, run, []) == run  # a whole record replaces everything


def _inputs(**hashes: str) -> Inputs:
    return Inputs({"graders": {"graders/test_losses.py": hashes.get("graders", "a")},
                   "environment": {"package torch": hashes.get("environment", "2.5")}})  # fmt: skip


def test_a_stamp_holds_for_its_inputs_and_its_entries_only(tmp_path):
    """A module's stamp (issue 83: a fresh clone regrades only what changed): it reads back
    with the record, holds for exactly the inputs and the entries it was written with, says
    which parts differ, and follows its module through a merge of one module's record."""
    record = _record(mse_sum=["factor"], sgd_sign=["sign"])
    generic_names.stamp(record, "losses", _inputs())
    path = tmp_path / "names.json"
    path.write_text(generic_names.dumps(record))
    back = generic_names.load(path)
    assert back == record and back.inputs["losses"]["key"] == _inputs().key
    assert generic_names.made_from(back, "losses", _inputs())
    assert not generic_names.made_from(back, "optim", _inputs())  # never stamped
    why = generic_names.why_not_made_from(back, "losses", _inputs(environment="2.6"))
    assert why == "its inputs differ from those graders/generic_names.json stamps (environment)"
    assert "no stamp" in generic_names.why_not_made_from(back, "optim", _inputs())
    back.names["losses"]["bug:mse_sum"] = ["term"]  # an entry edited by hand, or merged
    assert not generic_names.made_from(back, "losses", _inputs())
    assert "not those stamped" in generic_names.why_not_made_from(back, "losses", _inputs())
    back.cut_short.add("bug:mse_sum")  # so is a variant newly marked cut short
    assert not generic_names.made_from(back, "losses", _inputs())
    run = _record(sgd_sign=["step"])
    generic_names.stamp(run, "optim", _inputs(graders="b"))
    merged = generic_names.merged(record, run, ["optim"])
    assert merged.inputs == {"losses": record.inputs["losses"], "optim": run.inputs["optim"]}
    assert generic_names.made_from(merged, "optim", _inputs(graders="b"))
    legacy = json.loads(path.read_text())
    del legacy["inputs"]  # a record written before the stamps: read, nothing taken as checked
    path.write_text(json.dumps(legacy))
    assert generic_names.load(path).inputs == {}


def test_a_missing_or_foreign_record_says_how_to_make_one(tmp_path):
    with pytest.raises(DescentError, match="descent audit --record-generic"):
        generic_names.load(tmp_path / "none.json")
    (tmp_path / "other.json").write_text('{"schema": "descent.results/1"}')
    with pytest.raises(DescentError, match="not a record of generic names"):
        generic_names.load(tmp_path / "other.json")


def _doc(diagnosis: str | None, cut_short: bool = False) -> dict:
    """A results document: bug:mse_sum loses one test, diagnosed ``diagnosis``."""
    test = {
        "implementation": "bug:mse_sum",
        "exercise": "losses.mse",
        "counted": True,
        "outcome": "failed",
        "message": "[reference value] x",
        "diagnosis": diagnosis,
        "diagnosis_cut_short": cut_short,
    }
    block = {"name": "bug:mse_sum", "points": 0.0, "max_points": 10.0}
    return {"schema": "descent.results/1", "implementations": [block], "tests": [test]}


def test_the_audit_rows_carry_a_diagnosis_cut_short():
    assert [r["generic_cut_short"] for r in audit.summarize(_doc(None, True))] == [True]
    assert [r["generic_cut_short"] for r in audit.summarize(_doc(None, False))] == [False]


# -- the command ---------------------------------------------------------------------------------


def _kit(tmp_path: Path, record: Record | None) -> Path:
    (tmp_path / "graders").mkdir()
    (tmp_path / "solutions").mkdir()
    (tmp_path / "graders" / "test_losses.py").write_text("")
    if record is not None:
        (tmp_path / generic_names.RECORD).write_text(generic_names.dumps(record))
    return tmp_path


def _graded(monkeypatch, kit: Path, diagnosis: str | None) -> None:
    """The command's grading run, made up (:func:`_doc`)."""

    def run(root, runs, *, device, jobs):
        assert [suites for suites, _, _ in runs] == [["graders/test_losses.py"]]
        for _, _, results in runs:
            results.write_text(json.dumps(_doc(diagnosis)))
        return [1 for _ in runs]

    monkeypatch.setattr(audit, "kit_root", lambda: kit)
    monkeypatch.setattr(audit.generic_jobs, "run", run)
    monkeypatch.setattr(audit, "variant_modules", lambda: MODULES)


def _guard(tmp_path: Path, record: bool, regrade: bool = True) -> tuple[int, str]:
    """The guard on the made-up kit; ``regrade`` by default, since each made-up grading below
    gives other names for the same inputs, which no real grading does (a replay is what the
    guard's cache gives otherwise: tests/authoring/test_generic_cache.py)."""
    console = Console(record=True, width=200)
    code = audit.generic_guard(
        record=record,
        device="cpu",
        console=console,
        results=tmp_path / "results.json",
        modules=["losses"],
        regrade=regrade,
    )
    return code, console.export_text()


def test_the_check_fails_on_a_moved_name_and_passes_on_the_recorded_one(tmp_path, monkeypatch):
    kit = _kit(tmp_path, _record(mse_sum=["factor"], sgd_sign=["sign"]))
    _graded(monkeypatch, kit, "term")
    code, out = _guard(tmp_path, record=False)
    assert code == 1 and "bug:mse_sum (losses): factor -> term" in out, out
    assert "sgd_sign" not in out  # another module's entry is not this run's business
    _graded(monkeypatch, kit, "factor")
    code, out = _guard(tmp_path, record=False)
    assert code == 0 and "the generic names are those recorded" in out, out


def test_a_check_with_nothing_changed_replays_the_last_grading_and_says_so(tmp_path, monkeypatch):
    kit = _kit(tmp_path, _record(mse_sum=["factor"]))
    _graded(monkeypatch, kit, "term")
    code, out = _guard(tmp_path, record=False, regrade=False)
    assert code == 1 and "grading losses: not graded here before" in out, out
    _graded(monkeypatch, kit, "factor")  # would pass, were it graded: it is not
    code, again = _guard(tmp_path, record=False, regrade=False)
    assert code == 1 and "replayed from .descent/generic-names-cache" in again, again
    assert "bug:mse_sum (losses): factor -> term" in again
    (kit / "graders" / "test_losses.py").write_text("# edited\n")
    code, out = _guard(tmp_path, record=False, regrade=False)
    assert code == 0 and "grading losses: graders (graders/test_losses.py)" in out, out


def test_the_check_passes_a_new_variant_with_a_note(tmp_path, monkeypatch):
    kit = _kit(tmp_path, _record(sgd_sign=["sign"]))  # losses has no entry yet: a new exercise
    _graded(monkeypatch, kit, "term")
    code, out = _guard(tmp_path, record=False)
    assert code == 0, out
    assert "1 new variant(s), not recorded yet" in out and "bug:mse_sum (losses): term" in out
    assert "descent audit --module losses --record-generic" in out, out


def test_recording_one_module_rewrites_its_entries_only(tmp_path, monkeypatch):
    kit = _kit(tmp_path, _record(mse_sum=["factor"], ce_off=["term"], sgd_sign=["sign"]))
    _graded(monkeypatch, kit, "term")
    code, out = _guard(tmp_path, record=True)
    assert code == 0 and "recorded the generic names of 1 variants" in out, out
    assert generic_names.load(kit / generic_names.RECORD).names == {
        "losses": {"bug:mse_sum": ["term"]},
        "optim": {"bug:sgd_sign": ["sign"]},
    }


def test_a_fresh_clone_takes_a_stamped_module_as_checked_and_grades_an_edited_one(
    tmp_path, monkeypatch
):
    """The record's stamps stand in for the cache a fresh clone lacks (issue 83): a module
    recorded with its inputs is taken as checked without grading; once its graders are edited
    it is graded, with the reason, and the check names the command that renews its stamp."""
    kit = _kit(tmp_path, _record(mse_sum=["factor"]))
    _graded(monkeypatch, kit, "factor")
    assert _guard(tmp_path, record=True, regrade=False)[0] == 0
    shutil.rmtree(kit / ".descent")  # a fresh clone: no cache
    monkeypatch.setattr(audit.generic_jobs, "run", lambda *a, **k: pytest.fail("graded"))
    code, out = _guard(tmp_path, record=False, regrade=False)
    assert code == 0 and "stamps their names as made from their inputs now): losses" in out, out
    assert "the generic names are those recorded" in out and "renews" not in out
    (kit / "graders" / "test_losses.py").write_text("# edited\n")
    _graded(monkeypatch, kit, "factor")
    code, out = _guard(tmp_path, record=False, regrade=False)
    out = " ".join(out.split())
    assert code == 0, out
    assert "grading losses: not graded here before, and its inputs differ from those " \
        "graders/generic_names.json stamps (graders)" in out  # fmt: skip
    assert "`descent audit --module losses --record-generic` renews them" in out, out


def test_the_command_refuses_a_missing_record_before_grading(tmp_path):
    kit = _kit(tmp_path, None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "descent", "audit", "--module", "losses", "--check-generic"],
        cwd=kit,
        env={**env, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = " ".join((proc.stdout + proc.stderr).split())  # the console may wrap a long path
    assert proc.returncode == 2, out
    assert "no record of generic names" in out and "descent audit --record-generic" in out, out
    assert "passed" not in out and "failed" not in out  # nothing was graded


def test_a_record_cut_down_to_the_variants_a_run_graded():
    """The default lane compares its sample of the catalogue with the record's entries for the
    same variants: the others are not gone, a sampled one missing from the run still is."""
    record = generic_names.Record(
        {"losses": {"bug:a": ["sum-mean"], "bug:b": []}, "optim": {"bug:c": ["step"]}},
        {"bug:b", "bug:c"},
    )
    cut = record.only({"bug:a", "bug:b"})
    assert cut.names == {"losses": {"bug:a": ["sum-mean"], "bug:b": []}} and cut.cut_short == {
        "bug:b"
    }
    run = generic_names.Record({"losses": {"bug:a": ["sum-mean"]}})
    assert generic_names.compare(cut, run).gone == ["bug:b (losses): (no generic name)"]
