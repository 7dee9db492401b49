"""The new generic kinds (issue 38): a slip written into the reference's own code
(``descent.diagnoses.mutant``), a log floored at a constant (a slip of the same module), a
gradient gated on the wrong band of its input (``descent.diagnoses.gate``), and the parameter
re-runs that read a mode flag or an eps. Each student below writes the whole function in their
own way with one mistake; the checks are two inputs, and the cause is named once verified on
both (``descent.diagnoses.verified``)."""

from __future__ import annotations

import math

import pytest
import torch

from descent import catalogue
from descent.calls.impl import FolderImplementation, PatchedImplementation
from descent.diagnoses import mutant as mutant_diagnoses
from descent.diagnoses.gate import gated_on_wrong_region
from descent.diagnoses.ledger import Ledger
from descent.diagnoses.values import Inputs
from descent.diagnoses.verified import settle
from descent.grading.checker import Checker
from descent.grading.compare import GradingFailure
from descent.kit import kit_root

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

REFERENCE = FolderImplementation(kit_root() / "solutions", "reference")
GEN = torch.Generator().manual_seed(11)


def _t(*shape):
    return torch.randn(*shape, generator=GEN, dtype=torch.float64)


def _named(exercise: str, function: str | dict, student, recipes) -> list[GradingFailure]:
    """Grade ``student`` (the exercise's ``function``; or a dict of functions by name, with no
    ``student``) on ``recipes``, then settle."""
    module = exercise.split(".")[0]
    functions = function if isinstance(function, dict) else {function: student}
    impl = PatchedImplementation(
        REFERENCE, "student", {(module, name): f for name, f in functions.items()}
    )
    book, failures = Ledger(exercise), []
    for recipe in recipes:
        try:
            Checker(impl, REFERENCE, exercise, ledger=book).matches(recipe, "the result")
        except GradingFailure as failure:
            book.reported(failure.resolve(), None)
            failures.append(failure)
    settle({("student", exercise): book}, REFERENCE)
    assert failures, "the student's code passed"
    return failures


def _steps(name, **hyper):
    """Recipes: four steps of an optimizer from two starts (parameters and gradients)."""

    def make(p0, grads):
        def recipe(m):
            p, state, out = p0, {}, []
            for g in grads:
                p, state = getattr(m.optim, name)(p, g, state, **hyper)
                out.append(p)
            return out

        return recipe

    return [make(_t(3, 4), [_t(3, 4) for _ in range(4)]) for _ in range(2)]


def _kinds(failures):
    return {f.diagnosis for f in failures}


def test_a_gradient_gated_between_zero_and_one_is_read_as_a_gate():
    x = torch.linspace(-2, 2, 12, dtype=torch.float64).reshape(3, 4)
    dy = torch.full_like(x, 1.5)
    expected = torch.where(x > 0, dy, torch.zeros_like(dy))
    got = torch.where(x > 1, dy, torch.zeros_like(dy))
    found = gated_on_wrong_region(expected, got, Inputs(tensors=[("x", x)]))
    assert found.kind == "gate" and "zero exactly where `x` is between 0 and 1" in found.text
    assert gated_on_wrong_region(expected, expected * 2, Inputs(tensors=[("x", x)])) is None


def test_texts_quote_only_what_the_students_stub_shows():
    texts = [m.text for m in mutant_diagnoses.mutants(REFERENCE, "optim.adam")]
    assert any("`beta1 ** t`" in t for t in texts)  # in adam_step's docstring
    assert not any("bias1" in t or "denom" in t for t in texts)  # the reference's own names
    assert math.isfinite(len(texts)) and len(texts) <= mutant_diagnoses.MAX_MUTANTS


def _backward_cases(name, forward_args):
    """Recipes: the backward of ``name`` on two inputs, through the student's own forward."""

    def make(x, dy):
        def recipe(m):
            module = m.activations
            _, cache = getattr(module, f"{name}_forward")(x, *forward_args)
            return getattr(module, f"{name}_backward")(dy, cache)

        return recipe

    return [make(_t(4, 5), _t(4, 5)), make(_t(3, 6), _t(3, 6))]


X_ONE, DY_ONE = _t(4, 5), _t(4, 5)  # module globals: a recipe over them has no neighbour


def test_a_slip_of_a_general_kind_needs_two_inputs_and_a_specific_one_is_named_on_one():
    def leaky_relu_backward(dy, cache):
        x, slope = cache
        return torch.where(x > 0, slope * dy, dy)  # the branches exchanged: kind branch

    def one(m):
        _, cache = m.activations.leaky_relu_forward(X_ONE, 0.1)
        return m.activations.leaky_relu_backward(DY_ONE, cache)

    alone = _named("activations.leaky_relu", "leaky_relu_backward", leaky_relu_backward, [one])
    assert _kinds(alone) == {None}  # one input: exchanged branches or some other slip
    both = _named(
        "activations.leaky_relu",
        "leaky_relu_backward",
        leaky_relu_backward,
        _backward_cases("leaky_relu", (0.1,)),
    )
    assert _kinds(both) == {"branch"}

    def relu_backward(dy, cache):
        return torch.where(dy > 0, dy, torch.zeros_like(dy))  # gated on dy: kind gate

    def once(m):
        _, cache = m.activations.relu_forward(X_ONE)
        return m.activations.relu_backward(DY_ONE, cache)

    assert _kinds(_named("activations.relu", "relu_backward", relu_backward, [once])) == {"gate"}


# -- slips written into correct code of another form (the exercise's catalogued alternatives) ---
def _graded(exercise: str, functions: dict, recipes) -> list[GradingFailure]:
    """``_named`` for a student who replaces several functions (``{name: object}``), with the
    catalogue loaded (its alternatives are where these slips are written)."""
    catalogue.load(kit_root() / "graders" / "catalogue")
    return _named(exercise, functions, None, recipes)


def test_slips_written_into_an_alternative_leave_the_alternative_as_catalogued():
    # the alternative's source carries its @variant.replaces lines: compiled again with a slip,
    # they would register the slipped copy as the alternative (which then failed its own tests)
    catalogue.load(kit_root() / "graders" / "catalogue")
    variant = catalogue.get("relu_mask_from_output")
    before = dict(variant.functions)
    written = list(mutant_diagnoses._written(variant.apply(REFERENCE), "activations.relu", True))
    assert written, "no slip written into the alternative: the test checks nothing"
    assert variant.functions == before
