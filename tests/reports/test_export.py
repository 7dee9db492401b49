"""Exporters read only the results document."""

import csv
import io

import pytest

from descent.reports import export
from descent.reports.export import to_csv, to_gradescope

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _doc(*blocks):
    return {
        "schema": "descent.results/1",
        "duration_s": 1.5,
        "devices": ["cpu"],
        "environment": {"isolation": "in-process"},
        "implementations": list(blocks),
        "tests": [],
    }


def _block(name, mse, kl):
    return {
        "name": name,
        "kind": "folder",
        "points": mse + kl,
        "max_points": 20.0,
        "exercises": [
            {
                "id": "losses.mse",
                "title": "Mean squared error",
                "points": mse,
                "max_points": 10.0,
                "status": "passed" if mse == 10 else "partial",
                "first_failure": ""
                if mse == 10
                else "[reference value] mse_forward output: expected 1, got 2",
                "misconceptions": [] if mse == 10 else ["mse_sum"],
            },
            {
                "id": "losses.kl_div",
                "title": "KL",
                "points": kl,
                "max_points": 10.0,
                "status": "passed",
                "first_failure": "",
                "misconceptions": [],
            },
        ],
    }


def test_gradescope_one_entry_per_exercise():
    out = to_gradescope(_doc(_block("alice", 5.0, 10.0)))
    assert out["score"] == 15.0
    mse, kl = out["tests"]
    assert mse["score"] == 5.0 and mse["max_score"] == 10.0 and mse["status"] == "failed"
    assert "Likely mistake: mse_sum" in mse["output"]
    assert kl["status"] == "passed"


def test_gradescope_needs_one_implementation():
    with pytest.raises(ValueError, match="choose one implementation"):
        to_gradescope(_doc(_block("alice", 5.0, 10.0), _block("bob", 10.0, 10.0)))
    assert to_gradescope(_doc(_block("a", 5.0, 10.0), _block("b", 10.0, 10.0)), "b")["score"] == 20


def test_csv_one_row_per_student_across_files():
    text = to_csv([_doc(_block("alice", 5.0, 10.0)), _doc(_block("bob", 10.0, 0.0))])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["student"] for r in rows] == ["alice", "bob"]
    assert rows[0]["percent"] == "75.0" and rows[1]["losses.kl_div"] == "0.0"


def test_the_csv_s_columns_are_the_declared_ones_in_order():
    """docs/how-to/export.md's table of the columns is made from export.COLUMNS (descent docs): a
    column the code writes without declaring it there is refused, so the table cannot fall
    behind."""
    text = to_csv([_doc(_block("alice", 5.0, 10.0))])
    header = next(csv.reader(io.StringIO(text)))
    fixed = [c for c in export.COLUMNS if c not in export.SETTLED]
    assert header == fixed + ["losses.mse", "losses.kl_div"]
    doc = _doc(_block("alice", 5.0, 10.0))
    doc["implementations"][0].update(raw=4.0, penalty=1.0, final=3.0)
    settled = next(csv.reader(io.StringIO(to_csv([doc]))))
    assert settled[: len(export.COLUMNS)] == list(export.COLUMNS)


def test_a_column_the_code_writes_without_declaring_it_is_refused(monkeypatch):
    declared = {k: v for k, v in export.COLUMNS.items() if k != "percent"}
    monkeypatch.setattr(export, "COLUMNS", declared)  # a new dict: the kit's keeps its order
    with pytest.raises(ValueError, match="declare percent in export.COLUMNS"):
        to_csv([_doc(_block("alice", 5.0, 10.0))])
