"""``descent docs [--check]`` (``descent.commands.docs``) in a copy of the kit: ``--check`` exits 1
on a stale exercise table, or a CSV column the code declares and docs/how-to/export.md lacks, and
changes nothing; without it the tables are remade, and then current.
(That the kit's own pages are current: tests/test_docs.py.)"""

from __future__ import annotations

import pytest

from descent.commands import main

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_check_reports_stale_tables_and_the_command_remakes_them(kit_copy, capsys):
    page = kit_copy / "docs" / "reference" / "exercises.md"
    assert main(["docs", "--check"]) == 0
    capsys.readouterr()
    stale = page.read_text().replace("| `losses.mse` |", "| `losses.mse_old` |")
    page.write_text(stale)
    assert main(["docs", "--check"]) == 1
    out = capsys.readouterr().out
    assert "docs/reference/exercises.md" in out and "stale" in out and "run `descent docs`" in out
    assert page.read_text() == stale
    assert main(["docs"]) == 0 and "docs/reference/exercises.md" in capsys.readouterr().out
    assert "| `losses.mse` |" in page.read_text() and "losses.mse_old" not in page.read_text()
    assert main(["docs", "--check"]) == 0


def test_a_new_csv_column_in_the_code_is_stale_docs_until_descent_docs(
    kit_copy, capsys, monkeypatch
):
    from descent.reports import export

    monkeypatch.setattr(export, "COLUMNS", {**export.COLUMNS, "graded_at": "when it was graded"})
    assert main(["docs", "--check"]) == 1
    assert "docs/how-to/export.md: stale" in capsys.readouterr().out
    assert main(["docs"]) == 0
    page = (kit_copy / "docs" / "how-to" / "export.md").read_text()
    assert "| `graded_at` | when it was graded |" in page
    assert main(["docs", "--check"]) == 0
