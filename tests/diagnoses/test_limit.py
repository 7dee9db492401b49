"""A general formula evaluated at an infinite argument (``descent.diagnoses.limit``): a result of 1
where a number of the call is infinite (``x ** (1 / p)`` at ``p = inf``); a finite argument, or
another result, names nothing."""

import math

import pytest
import torch

from descent.diagnoses.limit import at_infinity
from descent.diagnoses.values import Inputs

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_one_where_a_number_of_the_call_is_infinite():
    inputs = Inputs(numbers=[("norm_type", math.inf)])
    found = at_infinity(torch.tensor(2.5, dtype=torch.float64), torch.tensor(1.0), inputs)
    assert found.kind == "branch" and "`norm_type` is infinite" in found.text
    assert at_infinity(torch.tensor(2.5), torch.tensor(1.0), Inputs(numbers=[("p", 2.0)])) is None
    assert at_infinity(torch.tensor(2.5), torch.tensor(1.5), inputs) is None
