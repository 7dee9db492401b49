"""Catalogued variants give the same results through the worker as in-process.

Every buggy and alternative variant of the losses and activations exercises is graded twice by
the hidden graders: in-process (the kit's normal mode) and with ``--isolation worker`` (the
variant applied inside a confined worker). Per test, the outcome, the points and the named
misconception must be identical. (The full catalogue is compared the same way by running
``pytest graders --impl 'bug:*' --impl 'alternative:*'`` with and without ``--isolation worker``;
here two topics keep the kit's suite short.) Hollow answers are compared over every exercise: they
fail fast, and each must score 0 in a worker as in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from descent.isolation import confinement

KIT = Path(__file__).resolve().parents[2]
SUITES = ["graders/test_losses.py", "graders/test_activations.py"]

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine")


def _grade(tmp: Path, name: str, *extra: str) -> dict:
    results = tmp / f"{name}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *SUITES, "-q", "-p", "no:cacheprovider",
         "--impl=bug:*", "--impl=alternative:*", f"--results={results}", "--no-grade-summary",
         *extra], cwd=KIT, capture_output=True, text=True, env=env, timeout=1500)
    assert results.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(results.read_text())


def _key(doc: dict) -> dict:
    return {(t["implementation"], t["name"]): (t["outcome"], t["points"], t["misconception"])
            for t in doc["tests"]}


def test_variants_identical_in_process_and_in_a_worker(tmp_path):
    local = _grade(tmp_path, "in-process")
    worker = _grade(tmp_path, "worker", "--isolation=worker")
    assert worker["environment"]["isolation"] == "worker"
    a, b = _key(local), _key(worker)
    assert set(a) == set(b)
    differ = [f"{k}: in-process {a[k]} / worker {b[k]}" for k in sorted(a) if a[k] != b[k]]
    assert not differ, "\n".join(differ[:40])
    assert len(a) > 200


def test_hollow_answers_score_zero_in_a_worker(tmp_path, catalogue_run):
    """Every hollow answer of every exercise, applied inside a confined worker, scores 0 and
    gets per test the same outcome, points and named misconception as in-process."""
    results = tmp_path / "hollow.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "graders", "-q", "-p", "no:cacheprovider",
         "--impl=hollow:*", "--isolation=worker", f"--results={results}", "--no-grade-summary"],
        cwd=KIT, capture_output=True, text=True, env=env, timeout=1500)
    assert results.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    worker = json.loads(results.read_text())
    assert worker["environment"]["isolation"] == "worker"
    earned = [f"{b['name']}: {b['points']}" for b in worker["implementations"] if b["points"]]
    assert not earned, "\n".join(earned)
    local = {k: v for k, v in _key(catalogue_run.results).items() if k[0].startswith("hollow:")}
    assert local == _key(worker)
