"""The table of the CSV's columns in docs/course.md (``descent.authoring.column_table``): made
from ``reports/export.py``'s ``COLUMNS``, the declaration the CSV is written from; a column added
to the code makes ``descent docs --check`` exit 1 until ``descent docs`` adds its row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from descent.authoring import column_table
from descent.commands import main
from descent.reports import export

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[2]


def test_the_kit_s_table_is_made_from_the_declared_columns():
    assert column_table.update(KIT, check=True) == [], "stale: run `descent docs`"
    rows = column_table.table().splitlines()[2:]
    assert [r.split("|")[1].strip(" `") for r in rows[:-1]] == list(export.COLUMNS)
    assert rows[-1].startswith("| one per exercise")


@pytest.fixture
def kit(tmp_path, monkeypatch):
    """A copy of what ``descent docs`` reads and writes, as the kit it runs in."""
    for folder in ("docs", "solutions", "src/descent/diagnoses"):
        shutil.copytree(KIT / folder, tmp_path / folder)
    (tmp_path / "graders").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_new_column_in_the_code_is_a_stale_table_until_descent_docs(kit, monkeypatch, capsys):
    monkeypatch.setattr(export, "COLUMNS", {**export.COLUMNS, "graded_at": "when it was graded"})
    assert main(["docs", "--check"]) == 1
    assert "docs/course.md: stale" in capsys.readouterr().out
    assert main(["docs"]) == 0
    page = (kit / "docs" / "course.md").read_text()
    assert "| `graded_at` | when it was graded |" in page
    assert main(["docs", "--check"]) == 0
