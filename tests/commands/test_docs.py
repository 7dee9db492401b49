"""``descent docs [--check]`` (``descent.commands.docs``) in a copy of the kit: ``--check`` exits 1
on stale tables and changes nothing; without it the tables are remade, then up to date. (That the
kit's own page is current: tests/test_docs.py.)"""

from __future__ import annotations

import pytest

from descent.commands import main

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_check_reports_stale_tables_and_the_command_remakes_them(kit_copy, capsys):
    page = kit_copy / "docs" / "exercises.md"
    assert main(["docs", "--check"]) == 0
    assert "tables up to date" in capsys.readouterr().out
    stale = page.read_text().replace("| `losses.mse` |", "| `losses.mse_old` |")
    page.write_text(stale)
    assert main(["docs", "--check"]) == 1
    assert "the exercise tables are stale; run `descent docs`" in capsys.readouterr().out
    assert page.read_text() == stale
    assert main(["docs"]) == 0 and "tables remade" in capsys.readouterr().out
    assert main(["docs", "--check"]) == 0
