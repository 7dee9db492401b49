"""Hidden graders for starter/basics.py.

Gradient descent: exact iterates on several quadratics (converging, oscillating, diverging) and
on a non-quadratic loss, a run that reaches the minimum (no early stop), the calls made to
``grad_fn``, integer starts, zero steps. Regimes: each
of the three on generated curvatures, with the boundaries 2 a lr = 1 and 2 a lr = 2 exactly, and
the refusal of non-positive arguments.
"""

from __future__ import annotations

import pytest
from runs import independent_calls

from descent.diagnoses import Diagnosis, diagnose
from descent.exception_diagnoses import typed

EXACT = dict(rtol=0.0, atol=0.0)


def descend(grad_fn, w0, lr, steps):
    w, out = float(w0), [float(w0)]
    for _ in range(steps):
        w = w - lr * grad_fn(w)
        out.append(w)
    return out


class Quadratic:
    """The gradient of L(w) = a (w - c)^2, as a callable object."""

    def __init__(self, a, c):
        self.a, self.c = a, c

    def __call__(self, w):
        return 2 * self.a * (w - self.c)


# (a, c, w0, lr, steps, id)
RUNS = [
    (1.0, 3.0, 0.0, 0.1, 12, "worked-example"),
    (0.5, -2.0, 4.0, 0.3, 25, "slow"),
    (4.0, 1.5, -1.0, 0.2, 9, "oscillating"),
    (2.0, 0.0, 1.0, 0.6, 6, "diverging"),
]


@pytest.mark.exercise("basics.gradient_descent_1d")
class TestGradientDescent1D:
    @pytest.mark.ordinary
    @pytest.mark.points(2)
    @pytest.mark.parametrize("a,c,w0,lr,steps", [pytest.param(*r[:5], id=r[5]) for r in RUNS])
    def test_iterates(self, a, c, w0, lr, steps, check):
        grad = Quadratic(a, c)
        check.matches(
            lambda m: m.basics.gradient_descent_1d(grad, w0, lr, steps),
            f"gradient_descent_1d on {a:g} (w - {c:g})^2 from {w0:g}, lr {lr:g}, {steps} steps",
            expected=descend(grad, w0, lr, steps),
            **EXACT,
            hint="w_next = w - lr * grad_fn(w), once per step; the list starts with "
            "w0 and has steps + 1 entries",
        )

    @pytest.mark.ordinary
    def test_any_loss(self, check):
        def grad(w):  # L(w) = w^4 / 4 - w^2 / 2
            return w**3 - w

        check.matches(
            lambda m: m.basics.gradient_descent_1d(grad, 1.7, 0.05, 15),
            "gradient_descent_1d on w^4/4 - w^2/2 from 1.7",
            expected=descend(grad, 1.7, 0.05, 15),
            **EXACT,
            hint="nothing may assume a quadratic: use grad_fn's value at each iterate",
        )

    @pytest.mark.ordinary  # the docstring's own example starts from the int 0
    def test_integer_start(self, check):
        grad = Quadratic(1.0, 3.0)
        got = check.matches(
            lambda m: m.basics.gradient_descent_1d(grad, 0, 0.1, 4),
            "gradient_descent_1d from the int 0",
            expected=descend(grad, 0, 0.1, 4),
            **EXACT,
        )
        check.that(
            all(type(w) is float for w in got),
            "every iterate must be a Python float (float(w0) first)",
            check="shape and type",
            generic=lambda: typed(["float"] * len(got), [type(w).__name__ for w in got]),
        )

    def test_keeps_stepping_at_the_minimum(self, check):
        # 2 a lr = 1: the first step lands exactly on the minimum 3, where the gradient is 0.
        # steps counts updates, not progress: the list still has steps + 1 entries.
        grad = Quadratic(1.0, 3.0)
        check.matches(
            lambda m: m.basics.gradient_descent_1d(grad, -1.0, 0.5, 6),
            "gradient_descent_1d on (w - 3)^2 from -1, lr 0.5, 6 steps (the first "
            "step reaches the minimum)",
            expected=descend(grad, -1.0, 0.5, 6),
            **EXACT,
            hint="make exactly `steps` updates, even once the gradient is 0: there is "
            "no stopping rule",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # the reference's calls, whatever it returns
    def test_calls_grad_once_per_step(self, check):
        seen = []

        def grad(w):
            seen.append(w)
            return 2 * (w - 3)

        got = check.impl.basics.gradient_descent_1d(grad, 0.0, 0.1, 5)
        expected = descend(lambda w: 2 * (w - 3), 0.0, 0.1, 5)
        check.that(
            seen == expected[:-1],
            f"grad_fn was called {len(seen)} times; it must be called once per step, on "
            "the current iterate (5 calls here, none at the last iterate)",
            check="calls",
            hint="call grad_fn(w) inside the loop, once, before updating w",
            recipe=lambda m: m.basics.gradient_descent_1d(lambda w: 2 * (w - 3), 0.0, 0.1, 5),
            got=got,
            generic=lambda: _called_at(diagnose(expected[:-1], seen)),
        )

    @pytest.mark.supporting()  # [w0] is what code that never moves returns too
    def test_zero_steps(self, check):
        check.matches(
            lambda m: m.basics.gradient_descent_1d(Quadratic(1.0, 3.0), 2.5, 0.1, 0),
            "gradient_descent_1d with steps=0",
            expected=[2.5],
            **EXACT,
        )


def _called_at(found: Diagnosis | None) -> Diagnosis | None:
    """A generic diagnosis of the points grad_fn was called at, said of those points."""
    if found is None:
        return None
    return Diagnosis(
        found.kind,
        found.text.replace("your sequence", "the list of points your code calls grad_fn at", 1),
    )


# Curvatures that are powers of two keep 1 / (2a) and 1 / a exact in binary.
EXACT_A = [0.25, 0.5, 2.0, 8.0]
OTHER_A = [0.3, 1.7, 3.0, 12.5]

# The label each test expects: one label returned for every input earns nothing, so each test
# counts once a test of another regime passes too.
EXPECTS = {
    "test_converges": "converges",
    "test_oscillates": "oscillates",
    "test_diverges": "diverges",
}


def _not_constant(label):
    return pytest.mark.supporting(*(t for t, other in EXPECTS.items() if other != label))


def _everyday_regime(label):
    """A regime test: everyday inputs (ordinary), counted once another regime's test passes."""

    def mark(test):
        return pytest.mark.ordinary(_not_constant(label)(test))

    return mark


def _regimes(check, factors, label, hint):
    """gd_regime(a, f / (2a)) for every curvature and factor f = 2 a lr."""
    cases = [(a, f / (2 * a)) for a in OTHER_A for f in factors]
    check.matches(
        lambda m: independent_calls(m.basics.gd_regime, cases),
        f"gd_regime on {len(cases)} curvatures and learning rates with 2 a lr in "
        f"{sorted(set(factors))}",
        expected=[label] * len(cases),
        hint=hint,
    )


@pytest.mark.exercise("basics.gd_regime")
class TestGdRegime:
    @_everyday_regime("converges")
    def test_converges(self, check):
        _regimes(
            check,
            [0.05, 0.5, 0.9],
            "converges",
            "with 0 < 2 a lr < 1 the factor 1 - 2 a lr lies in (0, 1): steady approach",
        )

    @_everyday_regime("oscillates")
    def test_oscillates(self, check):
        _regimes(
            check,
            [1.1, 1.5, 1.95],
            "oscillates",
            "with 1 < 2 a lr < 2 the factor 1 - 2 a lr lies in (-1, 0): every step jumps "
            "over the minimum, and the jumps shrink",
        )

    @_everyday_regime("diverges")
    def test_diverges(self, check):
        _regimes(
            check,
            [2.05, 3.0, 40.0],
            "diverges",
            "with 2 a lr > 2 the factor 1 - 2 a lr is below -1: every jump grows",
        )

    @pytest.mark.points(2)
    def test_boundaries(self, check):
        cases = [(a, 1 / (2 * a)) for a in EXACT_A] + [(a, 1 / a) for a in EXACT_A]
        expected = ["converges"] * len(EXACT_A) + ["oscillates"] * len(EXACT_A)
        check.matches(
            lambda m: independent_calls(m.basics.gd_regime, cases),
            "gd_regime exactly at lr = 1 / (2a) and lr = 1 / a",
            expected=expected,
            hint="lr = 1 / (2a) lands on the minimum in one step (converges); lr = 1 / a "
            "bounces between two points forever (oscillates, not diverges)",
        )

    # A function that always raises passes it; it counts beside the regimes (not the boundary
    # cases alone, which code right everywhere but exactly at 2 a lr = 1 or 2 fails).
    @pytest.mark.supporting(*EXPECTS)
    @pytest.mark.parametrize("a,lr", [(0.0, 0.1), (-1.0, 0.1), (1.0, 0.0), (1.0, -0.5)])
    def test_rejects_non_positive(self, a, lr, check):
        try:
            got = check.impl.basics.gd_regime(a, lr)
        except ValueError:
            return
        check.fail(
            f"gd_regime({a}, {lr}) returned {got!r} instead of raising ValueError",
            check="errors",
            hint="a and lr must both be > 0",
        )
