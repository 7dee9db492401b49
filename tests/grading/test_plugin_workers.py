"""The message of a borrowed library call says what it borrows where the name tells (issue 50:
the closed form through numpy.linalg.inv is an explicit inverse, as torch.linalg.inv is)."""

from __future__ import annotations

import types

import pytest

from descent.grading import plugin_workers

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _flagged(used: str) -> str:
    exercise = "regression.linear_regression_closed_form"
    impl = types.SimpleNamespace(name="sub", hits={}, scan={exercise: [used]})
    test = types.SimpleNamespace(
        implementation="sub", exercise=exercise, counted=True, points=2.5, outcome="passed"
    )
    plugin_workers.apply_flags([test], [impl])
    assert test.points == 0.0
    return test.message


def test_an_inverse_borrowed_through_numpy_is_named_as_one():
    message = _flagged("numpy.linalg.inv (regression.py line 7)")
    assert "[library use]" in message and "what it borrows: an explicit inverse" in message
    assert "least-squares solver" in _flagged("scipy.linalg.lstsq (regression.py line 3)")
    assert "what it borrows" not in _flagged("torch.nn.functional.mse_loss (losses.py line 2)")
