"""A float32 check against the reference compares with the reference's float64 result cast down
(the exact value rounded once), so that a float32 result is held to its own rounding only."""

from __future__ import annotations

import math

import pytest
import torch

from descent.grading.checker import Checker
from descent.grading.compare import GradingFailure

from .diagnoses.test_parameter import _Reference

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _gelu(x):
    return x * 0.5 * (1 + torch.erf(x / math.sqrt(2))), None


def _wrong(x):
    return x * 0.25, None  # far from gelu: the check fails and keeps what it compared with


def _expected(reference, x):
    """What a failing check compared the student's result with."""
    student = _Reference(activations={"gelu_forward": _wrong})
    with pytest.raises(GradingFailure) as info:
        Checker(student, reference, "activations.gelu").matches(
            lambda m: m.activations.gelu_forward(x)[0], "gelu_forward"
        )
    return info.value.record.expected


def test_the_reference_runs_in_float64_and_its_result_is_cast_down():
    seen = []

    def gelu_forward(x):
        seen.append(x.dtype)
        return _gelu(x)

    x = torch.tensor([0.5, -2.0, 3.0])
    before = x.clone()
    expected = _expected(_Reference(activations={"gelu_forward": gelu_forward}), x)
    assert seen == [torch.float32, torch.float64]
    assert expected.dtype == torch.float32
    assert torch.equal(expected, _gelu(x.double())[0].float())
    assert x.dtype == torch.float32 and torch.equal(x, before)  # the inputs put back


def test_the_float32_result_stands_where_float64_computes_something_else():
    def gelu_forward(x):  # a constant that depends on the dtype, not only its rounding
        shift = 1.0 if x.dtype == torch.float64 else 0.0
        return _gelu(x)[0] + shift, None

    x = torch.tensor([0.5, -2.0, 3.0])
    expected = _expected(_Reference(activations={"gelu_forward": gelu_forward}), x)
    assert torch.equal(expected, _gelu(x)[0])


def test_float64_checks_run_the_reference_once():
    seen = []

    def gelu_forward(x):
        seen.append(x.dtype)
        return _gelu(x)

    _expected(_Reference(activations={"gelu_forward": gelu_forward}), torch.tensor([1.0]).double())
    assert seen == [torch.float64]
