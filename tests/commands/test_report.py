"""``descent report`` (``descent.commands.report``): a file that is not a results document is
answered with a message and exit 2, not a traceback."""

from __future__ import annotations

import json

from conftest import KIT

from descent.commands import main


def test_cli_reports_bad_input_without_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(KIT)
    (tmp_path / "x.json").write_text(json.dumps({"schema": "other"}))
    assert main(["report", str(tmp_path / "x.json")]) == 2
    assert "not a descent.results/1 file" in capsys.readouterr().out
