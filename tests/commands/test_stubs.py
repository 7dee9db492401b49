"""``descent stubs`` (``descent.commands.stubs``): ``--check`` says the kit's starter matches its
solutions."""

from __future__ import annotations

from conftest import KIT

from descent.commands import main


def test_cli_stubs_check(capsys, monkeypatch):
    monkeypatch.chdir(KIT)
    assert main(["stubs", "--check"]) == 0
    assert "matches" in capsys.readouterr().out
