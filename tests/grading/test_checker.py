"""The checker (``descent.grading.checker``) beyond what the diagnoses it calls decide (those are in
tests/diagnoses/):

- a float32 check against the reference compares with the reference's float64 result cast down
  (the exact value rounded once), so that a float32 result is held to its own rounding only;
- student code run again by a diagnosis (``timelimit.exploring``): a call that runs out of time
  there is capped, names nothing, escapes nowhere, and marks the diagnosis cut short.
"""

from __future__ import annotations

import math
import time

import pytest
import torch
from diagnoses.test_parameter import LOSSES, X, _Reference

from descent.calls import timelimit
from descent.grading.checker import Checker
from descent.grading.compare import GradingFailure

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


NOISE = torch.randn(4, 5, generator=torch.Generator().manual_seed(3), dtype=torch.float64)


def test_a_diagnosis_whose_re_run_runs_out_of_time_names_nothing_and_raises_nothing():
    calls = []

    def log_softmax_forward(x, dim=-1):
        calls.append(dim)
        if len(calls) > 1:  # the diagnosis runs it again: as if the changed input made it hang
            raise timelimit.CallTimeout("log_softmax_forward", 2.0)
        return x.log_softmax(dim) + 0.1 * NOISE, None  # wrong everywhere, in no readable way

    eps = 0.1  # a small float of the call: the first-order re-run halves it

    def recipe(m):
        return m.losses.log_softmax_forward(X * (1 + eps), dim=0)[0]

    student = _Reference(losses={"log_softmax_forward": log_softmax_forward})
    with pytest.raises(GradingFailure) as info:
        Checker(student, LOSSES, "losses.log_softmax").matches(recipe, "log_softmax output")
    failure = info.value.resolve()
    # the student's code was run again (and on the neighbouring input), and those runs timed out
    assert len(calls) == 3
    assert failure.diagnosis is None and "likely mistake" not in str(failure)


def _log_softmax_wrong(hangs_on_rerun: bool):
    """A log_softmax wrong everywhere in no readable way; with ``hangs_on_rerun`` it sleeps when
    run again (as if the diagnosis's changed input made it slow)."""
    calls = []

    def log_softmax_forward(x, dim=-1):
        calls.append(dim)
        if hangs_on_rerun and len(calls) > 1:
            time.sleep(5.0)
        return x.log_softmax(dim) + 0.1 * NOISE, None

    return log_softmax_forward


@pytest.mark.skipif(not timelimit.available(), reason="needs SIGALRM in the main thread")
@pytest.mark.parametrize("hangs", [True, False])
def test_a_re_run_out_of_time_marks_the_diagnosis_cut_short(monkeypatch, hangs):
    """The trace a time-out leaves: the failure (and so the results record,
    ``diagnosis_cut_short``) says its generic diagnosis stopped early, so that the pre-emption
    guard can tell a busy machine from a diagnosis that names something else."""
    monkeypatch.setattr(timelimit, "EXPLORING_S", 0.2)
    wrong = _log_softmax_wrong(hangs_on_rerun=hangs)
    eps = 0.1  # a small float of the call: the first-order re-run halves it

    def recipe(m):
        return m.losses.log_softmax_forward(X * (1 + eps), dim=0)[0]

    timed = timelimit.Guarded(30.0).wrap("losses", "log_softmax_forward", wrong)
    student = _Reference(losses={"log_softmax_forward": timed})
    with pytest.raises(GradingFailure) as info:
        Checker(student, LOSSES, "losses.log_softmax").matches(recipe, "log_softmax output")
    failure = info.value.resolve()
    assert failure.cut_short is hangs and failure.diagnosis is None


def test_a_diagnosis_whose_time_budget_is_spent_is_cut_short(monkeypatch):
    from descent.diagnoses import rerun  # the module whose budget is spent here

    monkeypatch.setattr(rerun, "_BUDGET_S", -1.0)
    a = 0.5

    def recipe(m):
        return X * a

    with timelimit.watching_cuts() as cut:
        assert rerun._slips(recipe, X * 0.25, lambda: recipe(None), X * a) == []
    assert cut()
    with timelimit.watching_cuts() as cut:
        pass
    assert not cut()


def test_every_catalogued_bug_that_gives_the_result_is_a_claim_the_first_named_first():
    """Two slips overflow alike on large logits (the log of a softmax, a softmax without its
    maximum subtracted): both are claims, for the exercise's other checks to tell apart; the
    first declared stays the one named on this check alone."""
    from pathlib import Path

    from descent import catalogue
    from descent.calls.impl import FolderImplementation

    kit = Path(__file__).resolve().parents[2]
    catalogue.load(kit / "graders" / "catalogue")
    reference = FolderImplementation(kit / "solutions", "reference")
    bugs = catalogue.variants(catalogue.BUG, "losses.cross_entropy")
    student = catalogue.named(catalogue.BUG, "ce_log_of_softmax").apply(reference)
    logits = torch.randn(6, 5, generator=torch.Generator().manual_seed(0)) * 1e3
    target = logits.argmin(dim=1)

    def recipe(m):
        return m.losses.cross_entropy_forward(logits, target)[0]

    checker = Checker(student, reference, "losses.cross_entropy", bugs)
    found = [b.id for b in checker.candidates(recipe, recipe(student))]
    assert found[:2] == ["ce_no_max_subtraction", "ce_log_of_softmax"]
    assert checker.diagnose(recipe, recipe(student)).id == "ce_no_max_subtraction"


def test_a_forward_computed_in_float32_is_named_where_a_gradient_check_blames_it():
    """(issue 57) A gradient check whose backward is right and whose forward is right to
    float32's precision gave a hint naming rounding or a step; a forward whose every value is a
    float32 (where the reference's are not) computes in float32: the likely mistake."""
    from descent.grading.checker import _computed_in_float32

    theirs = torch.linspace(-1.0, 1.0, 7, dtype=torch.float64) / 3
    found = _computed_in_float32(theirs.float().double(), theirs)
    assert found is not None and found.kind == "precision" and found.fact
    assert found.text.startswith("your forward's output agrees with the expected only to float32")
    # near misses: a forward off by a step (not float32's values), one in float64, the
    # reference's own values float32's, another shape
    assert _computed_in_float32(theirs + 1e-7, theirs) is None
    assert _computed_in_float32(theirs.clone(), theirs) is None
    halves = torch.tensor([0.5, -0.25, 1.0], dtype=torch.float64)
    assert _computed_in_float32(halves, halves) is None
    assert _computed_in_float32(theirs.float().double()[:3], theirs) is None


def test_a_saved_tensor_counts_as_unchanged_by_its_values_as_nan_to_num_reads_them():
    """The check that a recipe left its arguments alone (``_same``): equal values (decided
    first, without copies), NaN and infinities as nan_to_num reads them; not a new value, nor a
    new shape or dtype."""
    from descent.grading.checker import _same

    x = torch.tensor([1.0, float("nan"), float("inf")], dtype=torch.float64)
    assert _same(x, x.clone()) and _same(x.clone().requires_grad_(), x)
    assert _same(torch.tensor([float("nan")]), torch.tensor([0.0]))  # as before: NaN reads as 0
    assert not _same(x + 1, x)
    assert not _same(x.float(), x) and not _same(x[:2], x)


def test_a_backward_is_weighed_on_an_upstream_gradient_that_varies_entry_by_entry():
    """(held-out softmax and batch norm backwards) a constant upstream gradient is sent to 0 by
    a softmax's backward, so a backward that returns zeros (or the Jacobian with its sign
    flipped) gave the reference's gradient there and was told "your backward gives the
    expected gradient here": the probe's upstream varies, and the two differ."""
    from types import SimpleNamespace

    from descent.grading.checker import _gradient

    def softmax_forward(x):
        y = torch.softmax(x, dim=-1)
        return y, (y,)

    def softmax_backward(dy, cache):
        (y,) = cache
        return y * (dy - (dy * y).sum(dim=-1, keepdim=True))

    def zeros_backward(dy, cache):
        return torch.zeros_like(dy)

    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    right = SimpleNamespace(softmax_forward=softmax_forward, softmax_backward=softmax_backward)
    zeros = SimpleNamespace(softmax_forward=softmax_forward, softmax_backward=zeros_backward)
    theirs = _gradient(right, "softmax", [x], {}, None)
    assert not torch.allclose(theirs, _gradient(zeros, "softmax", [x], {}, None))
    assert torch.allclose(theirs, _gradient(right, "softmax", [x], {}, None))  # the same probe
