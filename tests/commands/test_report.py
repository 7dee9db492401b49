"""``descent report`` (``descent.commands.report``): a results file printed again (every failing
check with ``-v``); a file that is not a results document, a missing argument or a gradebook
that cannot be read are answered with a message and exit 2, not a traceback."""

from __future__ import annotations

import json

import pytest
from conftest import KIT

from descent.commands import main


def test_cli_reports_bad_input_without_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(KIT)
    (tmp_path / "x.json").write_text(json.dumps({"schema": "other"}))
    assert main(["report", str(tmp_path / "x.json")]) == 2
    assert "not a descent.results/1 file" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, said",
    [
        ([], "give a results file, or --class GRADEBOOK"),
        (["r.json", "--assignment", "a1"], "--assignment goes with --class GRADEBOOK"),
    ],
)
def test_what_to_report_must_be_given(argv, said, capsys):
    assert main(["report", *argv]) == 2
    assert said in capsys.readouterr().out


def test_a_results_file_is_printed_again_with_every_failing_check_on_demand(results_file, capsys):
    path = results_file("ada", "bo", lost=("bo",))
    assert main(["report", str(path)]) == 0
    plain = capsys.readouterr().out
    assert "ada" in plain and "bo" in plain
    assert main(["report", str(path), "-v"]) == 0
    assert "test_value" in capsys.readouterr().out


def test_a_class_report_of_a_gradebook_that_cannot_be_read_is_exit_2(tmp_path, capsys):
    (tmp_path / "gradebook.sqlite").write_text("not a database")
    assert main(["report", "--class", str(tmp_path / "gradebook.sqlite")]) == 2
    assert "descent report:" in capsys.readouterr().out
