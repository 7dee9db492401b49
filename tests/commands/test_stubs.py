"""``descent stubs`` (``descent.commands.stubs``): ``--check`` says the kit's starter matches its
solutions."""

from __future__ import annotations

from conftest import KIT

from descent.commands import main


def test_cli_stubs_check(capsys, monkeypatch):
    monkeypatch.chdir(KIT)
    assert main(["stubs", "--check"]) == 0
    assert "matches" in capsys.readouterr().out


def test_a_starter_behind_its_solutions_is_named_and_own_code_is_kept(kit_copy, capsys):
    stub = kit_copy / "starter" / "losses.py"
    stub.write_text(stub.read_text() + "\n\ndef my_helper():\n    return 42\n")
    assert main(["stubs", "--check"]) == 1
    assert "starter/ is out of date: losses.py" in capsys.readouterr().out
    assert main(["stubs"]) == 1
    out = capsys.readouterr().out
    assert "kept, because they hold your own code: losses.py" in out
    assert "my_helper" in stub.read_text() and (kit_copy / "starter" / "losses.py.new").is_file()
    assert main(["stubs", "--force"]) == 0 and "my_helper" not in stub.read_text()
