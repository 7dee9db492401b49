"""A slipped forward paired with a backward that differentiates it
(``descent.diagnoses.differentiated``): a student who leaves the square root out of RMS norm and
derives the backward of the formula they wrote is named on both halves of the exercise."""

from __future__ import annotations

import pytest
import torch

from descent.calls.impl import FolderImplementation, PatchedImplementation
from descent.diagnoses.base import NotApplicable
from descent.diagnoses.differentiated import differentiated
from descent.diagnoses.ledger import Ledger
from descent.diagnoses.verified import settle
from descent.grading.checker import Checker
from descent.grading.compare import GradingFailure
from descent.kit import kit_root

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

REFERENCE = FolderImplementation(kit_root() / "solutions", "reference")
GEN = torch.Generator().manual_seed(5)


def _t(*shape):
    return torch.randn(*shape, generator=GEN, dtype=torch.float64)


def rmsnorm_forward(x, gamma, eps=1e-6):
    ms = (x * x).mean(-1, keepdim=True) + eps  # the square root left out
    return x / ms * gamma, (x, gamma, ms)


def rmsnorm_backward(dy, cache):  # right for the forward above
    x, gamma, ms = cache
    g = dy * gamma
    dx = g / ms - x * (g * x).sum(-1, keepdim=True) * 2 / (x.shape[-1] * ms**2)
    return dx, (dy * x / ms).reshape(-1, x.shape[-1]).sum(0)


def _recipes():
    def forward(n, d):
        x, gamma = _t(n, d), _t(d)
        return lambda m: m.normalization.rmsnorm_forward(x, gamma)[0]

    def backward(n, d):
        x, gamma, dy = _t(n, d), _t(d), _t(n, d)

        def recipe(m):
            _, cache = m.normalization.rmsnorm_forward(x, gamma)
            return m.normalization.rmsnorm_backward(dy, cache)

        return recipe

    return [forward(4, 5), forward(3, 6), backward(4, 5), backward(3, 6)]


def test_a_forward_slip_and_the_backward_of_that_forward_are_named_as_one_slip():
    impl = PatchedImplementation(
        REFERENCE,
        "student",
        {
            ("normalization", "rmsnorm_forward"): rmsnorm_forward,
            ("normalization", "rmsnorm_backward"): rmsnorm_backward,
        },
    )
    book, failures = Ledger("normalization.rmsnorm"), []
    for recipe in _recipes():
        try:
            Checker(impl, REFERENCE, "normalization.rmsnorm", ledger=book).matches(recipe, "it")
        except GradingFailure as failure:
            book.reported(failure.resolve(), None)
            failures.append(failure)
    settle({("student", "normalization.rmsnorm"): book}, REFERENCE)
    assert len(failures) == 4
    assert {f.diagnosis for f in failures} == {"omitted"}
    assert all("a backward that differentiates that forward" in str(f) for f in failures)


def test_the_pair_follows_the_backwards_contract_or_says_nothing():
    ref = REFERENCE.module("normalization")
    pair = differentiated(rmsnorm_forward, ref.rmsnorm_forward, ref.rmsnorm_backward)
    x, gamma, dy = _t(3, 4), _t(4), _t(3, 4)
    dx, dgamma = pair["backward"](dy, pair["forward"](x, gamma)[1])
    want_dx, want_dgamma = rmsnorm_backward(dy, rmsnorm_forward(x, gamma)[1])
    assert torch.allclose(dx, want_dx) and torch.allclose(dgamma, want_dgamma)

    def backward_of_another_contract(dy, cache):  # its gradients in the other order
        return tuple(reversed(ref.rmsnorm_backward(dy, cache)))

    odd = differentiated(rmsnorm_forward, ref.rmsnorm_forward, backward_of_another_contract)
    with pytest.raises(NotApplicable):
        odd["backward"](dy, odd["forward"](x, gamma)[1])
    with pytest.raises(NotApplicable):  # a cache the slipped forward did not make
        pair["backward"](dy, ref.rmsnorm_forward(x, gamma)[1])
