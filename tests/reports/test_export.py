"""Exporters read only the results document."""

import csv
import io

import pytest

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
