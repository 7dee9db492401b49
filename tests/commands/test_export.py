"""``descent export`` (``descent.commands.export``): results files to CSV or Gradescope, on
standard output or into a file, and every mix of options that cannot work refused with one line
and exit 2. (The formats: tests/reports/test_export.py; from a gradebook: tests/course/.)"""

from __future__ import annotations

import csv
import io
import json

import pytest

from descent.commands import main

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_results_files_become_one_csv(results_file, tmp_path, capsys):
    a = results_file("ada", path=tmp_path / "ada.json")
    b = results_file("bo", lost=("bo",), path=tmp_path / "bo.json")
    assert main(["export", str(a), str(b), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["student"], float(r["points"])) for r in rows] == [("ada", 10.0), ("bo", 0.0)]


def test_one_results_file_becomes_gradescopes_file(results_file, tmp_path):
    out = tmp_path / "gradescope.json"
    assert (
        main(["export", str(results_file("ada")), "--format", "gradescope", "--out", str(out)]) == 0
    )
    assert json.loads(out.read_text())["score"] == 10.0


@pytest.mark.parametrize(
    "argv, said",
    [
        (["--format", "gradescope", "A", "A"], "Gradescope takes one results file"),
        (["--format", "results", "A"], "results files export to gradescope or csv"),
        (["--format", "csv"], "results files export to gradescope or csv"),
        (["--format", "csv", "--assignment", "a1", "A"], "--assignment goes with --gradebook"),
        (["--format", "gradescope", "--gradebook", "gb.sqlite"], "--gradebook exports csv"),
        (["--format", "csv", "DIR"], "is a folder; give results JSON files"),
        (["--format", "csv", "BAD"], "not a results JSON file"),
    ],
)
def test_what_cannot_be_exported_is_refused_with_one_line(
    results_file, tmp_path, capsys, argv, said
):
    a = results_file("ada")
    (tmp_path / "bad.json").write_text("{")
    names = {"A": str(a), "DIR": str(tmp_path), "BAD": str(tmp_path / "bad.json")}
    assert main(["export", *[names.get(x, x) for x in argv]]) == 2
    out = capsys.readouterr().out
    assert out.startswith("descent export: ") and said in out
