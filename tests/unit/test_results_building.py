"""The results document (``descent.results/1``) that every report and exporter reads: built from
records (``results.build``), written and read back (``results.write``/``load``). (As the plugin
builds it at the end of a run: tests/grading/test_plugin.py.)"""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from toykit import record

from descent import results
from descent.results import ERROR, FAILED, PASSED, SKIPPED

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def build(tests, implementations=("ada", "bo")) -> dict:
    results.assign_points(tests, {"losses.mse": 10.0, "losses.mae": 6.0})
    return results.build(
        tests,
        implementations=[{"name": n, "kind": "folder"} for n in implementations],
        titles={"losses.mse": "Mean squared error"},
        suite="graders",
        started_at="2026-11-21T13:30:00+00:00",
        duration_s=4.23456,
        devices=["cpu", "cuda"],
        environment={"python": "3.11.7"},
    )


def test_one_block_per_implementation_with_its_own_totals():
    doc = build(
        [
            record("test_a", impl="ada"),
            record("test_b", FAILED, impl="ada"),
            record("test_a", impl="bo", exercise="losses.mae"),
            record("test_b", impl="bo"),
        ]
    )
    ada, bo = doc["implementations"]
    assert (ada["name"], ada["kind"]) == ("ada", "folder")
    assert (ada["points"], ada["max_points"]) == (5.0, 10.0)
    assert (bo["name"], bo["points"], bo["max_points"]) == ("bo", 16.0, 16.0)
    assert [e["id"] for e in bo["exercises"]] == ["losses.mae", "losses.mse"]
    assert ada["exercises"][0] == {
        "id": "losses.mse",
        "title": "Mean squared error",
        "points": 5.0,
        "max_points": 10.0,
        "status": "partial",
        "passed": 1,
        "failed": 1,
        "not_implemented": 0,
        "errors": 0,
        "skipped": 0,
        "first_failure": "failed",
        "misconceptions": [],
    }


def test_the_document_carries_the_run_and_every_test_record():
    tests = [record("test_a", impl="ada"), record("test_b", ERROR, impl="ada", message="boom")]
    doc = build(tests, implementations=("ada",))
    assert doc["schema"] == results.SCHEMA == "descent.results/1"
    assert {k: doc[k] for k in ("suite", "started_at", "duration_s", "devices", "environment")} == {
        "suite": "graders",
        "started_at": "2026-11-21T13:30:00+00:00",
        "duration_s": 4.235,
        "devices": ["cpu", "cuda"],
        "environment": {"python": "3.11.7"},
    }
    assert [set(t) for t in doc["tests"]] == [{f.name for f in fields(results.TestResult)}] * 2
    assert [(t["outcome"], t["points"], t["message"]) for t in doc["tests"]] == [
        (PASSED, 5.0, ""),
        (ERROR, 0.0, "boom"),
    ]


def test_an_uncounted_test_is_listed_but_adds_to_neither_total():
    doc = build(
        [
            record("test_a[cpu]", impl="ada"),
            record("test_a[cuda]", SKIPPED, impl="ada", counted=False),
        ],
        ("ada",),
    )
    [block] = doc["implementations"]
    assert (block["points"], block["max_points"]) == (10.0, 10.0)
    assert block["exercises"][0]["skipped"] == 0
    assert [(t["name"], t["counted"]) for t in doc["tests"]] == [
        ("T::test_a[cpu]", True),
        ("T::test_a[cuda]", False),
    ]


def test_an_implementation_without_tests_has_an_empty_block():
    doc = build([record("test_a", impl="ada")], ("ada", "bo"))
    assert doc["implementations"][1] == {
        "name": "bo",
        "kind": "folder",
        "points": 0.0,
        "max_points": 0.0,
        "exercises": [],
    }


def test_written_results_read_back_unchanged(tmp_path):
    doc = build([record("test_a", impl="ada")], ("ada",))
    path = results.write(doc, tmp_path / "new" / "folder" / "results.json")
    assert results.load(path) == doc
    results.write(build([record("test_a", FAILED, impl="ada")], ("ada",)), path)
    assert results.load(path)["implementations"][0]["points"] == 0.0
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]  # no .tmp left behind


def test_only_a_results_document_is_read(tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "descent.results/0", "tests": []}))
    with pytest.raises(ValueError, match=r"other\.json: not a descent\.results/1 file"):
        results.load(other)
    other.write_text("{}")
    with pytest.raises(ValueError, match="not a descent.results/1 file"):
        results.load(other)
