"""The table of the CSV's columns in docs/how-to/export.md (``descent.authoring.column_table``):
made from ``reports/export.py``'s ``COLUMNS``, the declaration the CSV is written from. (A column
added to the code failing ``descent docs --check`` until ``descent docs`` adds its row:
tests/commands/test_docs.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from descent.authoring import column_table
from descent.reports import export

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[2]


def test_the_kit_s_table_is_made_from_the_declared_columns():
    assert column_table.update(KIT, check=True) == [], "stale: run `descent docs`"
    rows = column_table.table().splitlines()[2:]
    assert [r.split("|")[1].strip(" `") for r in rows[:-1]] == list(export.COLUMNS)
    assert rows[-1].startswith("| one per exercise")
