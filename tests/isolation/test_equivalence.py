"""Catalogued variants give the same results through the worker as in-process.

Every buggy and alternative variant of the losses and activations exercises is graded twice by
the hidden graders: in-process (the session's catalogue run, which the outcome tests also read)
and inside confined workers (the session's worker run, which also grades every alternative).
Per test of graders/test_losses.py and graders/test_activations.py, the outcome, the points and
the named misconception must be identical. (The full catalogue is compared the same way by
running ``pytest graders --impl 'bug:*' --impl 'alternative:*'`` with and without
``--isolation worker``; here two topics keep the kit's suite short.) Hollow answers are compared
over every exercise: they fail fast, and each must score 0 in a worker as in-process.
"""

from __future__ import annotations

import pytest

from descent.isolation import confinement

SUITES = ["graders/test_losses.py", "graders/test_activations.py"]

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)


def _key(doc: dict, keep=lambda test: True) -> dict:
    return {
        (t["implementation"], t["name"]): (t["outcome"], t["points"], t["misconception"])
        for t in doc["tests"]
        if keep(t)
    }


def _variants_in_suites(doc: dict) -> dict:
    """_key of the bug and alternative variants' tests in SUITES."""
    return _key(
        doc,
        lambda t: (
            t["nodeid"].startswith(tuple(SUITES))
            and t["implementation"].split(":")[0] in ("bug", "alternative")
        ),
    )


def test_variants_identical_in_process_and_in_a_worker(variants_worker_run, catalogue_run):
    worker = variants_worker_run.results
    assert worker["environment"]["isolation"] == "worker"
    a, b = _variants_in_suites(catalogue_run.results), _variants_in_suites(worker)
    assert set(a) == set(b)
    differ = [f"{k}: in-process {a[k]} / worker {b[k]}" for k in sorted(a) if a[k] != b[k]]
    assert not differ, "\n".join(differ[:40])
    assert len(a) > 200


def test_hollow_answers_score_zero_in_a_worker(variants_worker_run, catalogue_run):
    """Every hollow answer of every exercise, applied inside a confined worker, scores 0 and
    gets per test the same outcome, points and named misconception as in-process."""
    worker = variants_worker_run.results
    assert worker["environment"]["isolation"] == "worker"
    hollow = [b for b in worker["implementations"] if b["name"].startswith("hollow:")]
    earned = [f"{b['name']}: {b['points']}" for b in hollow if b["points"]]
    assert hollow and not earned, "\n".join(earned)

    def of_hollows(doc):
        return _key(doc, lambda t: t["implementation"].startswith("hollow:"))

    assert of_hollows(catalogue_run.results) == of_hollows(worker)
