"""``descent grade`` (``descent.commands.grade``): grading the solutions through the command line
and printing the results file again."""

from __future__ import annotations

from conftest import KIT

from descent.commands import main


def test_cli_grade_and_report(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(KIT)
    results = tmp_path / "r.json"
    code = main(["grade", "solutions", "--results", str(results), "-k", "mse"])
    out = capsys.readouterr().out
    assert code == 0 and "losses.mse" in out and "100%" in out
    assert main(["report", str(results)]) == 0
    assert "losses.mse" in capsys.readouterr().out
