"""Hidden graders for starter/basics.py.

Gradient descent: exact iterates on drawn quadratics (converging, oscillating, diverging) and
on a non-quadratic loss, a run that reaches the minimum exactly (no early stop), the calls made
to ``grad_fn``, integer starts, zero steps. Regimes: each of the three on drawn curvatures below
and above 1, with the boundaries 2 a lr = 1 and 2 a lr = 2 exactly (powers of two), and the
refusal of non-positive arguments. Every input is drawn (``inputs``).
"""

from __future__ import annotations

import pytest
from runs import independent_calls

from descent.diagnoses.exception import typed
from descent.diagnoses.values import Diagnosis, diagnose

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


# The regimes of the iterates' runs: the bounds of 2 a lr (a step multiplies the distance to
# the minimum by 1 - 2 a lr), and of the number of steps. Every run stays at least 1e-6 of its
# start's distance from the minimum: reaching it exactly is an edge of its own
# (test_keeps_stepping_at_the_minimum), not something a draw may stumble on.
RUNS = {
    "converging": ((0.05, 0.6), (8, 12)),
    "oscillating": ((1.3, 1.9), (6, 10)),
    "diverging": ((2.1, 3.0), (4, 8)),
}


def _run(inputs, factors, steps):
    """A drawn quadratic a (w - c)^2, a start 1 to 5 away from its minimum, a rate with 2 a lr
    within ``factors``, and a number of steps."""
    a, c = inputs.log_number(0.2, 5.0), inputs.number(-3.0, 3.0)
    w0 = c + inputs.choice((-1, 1)) * inputs.number(1.0, 5.0)
    return a, c, w0, inputs.number(*factors) / (2 * a), inputs.integer(*steps)


def _dyadic(inputs, low: int, high: int) -> float:
    """A multiple of 1/8 between low/8 and high/8: exact in binary, so iterates that land on
    the minimum land on it exactly."""
    return inputs.integer(low, high) / 8


@pytest.mark.exercise("basics.gradient_descent_1d")
class TestGradientDescent1D:
    @pytest.mark.ordinary
    @pytest.mark.points(2)
    @pytest.mark.parametrize("regime", list(RUNS))
    def test_iterates(self, regime, check, inputs):
        a, c, w0, lr, steps = _run(inputs, *RUNS[regime])
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
    def test_any_loss(self, check, inputs):
        def grad(w):  # L(w) = w^4 / 4 - w^2 / 2
            return w**3 - w

        w0, lr, steps = inputs.number(1.2, 2.0), inputs.number(0.02, 0.08), inputs.integer(10, 20)
        check.matches(
            lambda m: m.basics.gradient_descent_1d(grad, w0, lr, steps),
            f"gradient_descent_1d on w^4/4 - w^2/2 from {w0:g}, lr {lr:g}, {steps} steps",
            expected=descend(grad, w0, lr, steps),
            **EXACT,
            hint="nothing may assume a quadratic: use grad_fn's value at each iterate",
        )

    @pytest.mark.ordinary  # the docstring's own example starts from the int 0
    def test_integer_start(self, check, inputs):
        a, c, _, lr, steps = _run(inputs, *RUNS["converging"])
        w0 = inputs.integer(-4, 4)
        grad = Quadratic(a, c)
        got = check.matches(
            lambda m: m.basics.gradient_descent_1d(grad, w0, lr, steps),
            f"gradient_descent_1d from the int {w0}",
            expected=descend(grad, w0, lr, steps),
            **EXACT,
        )
        check.that(
            all(type(w) is float for w in got),
            "every iterate must be a Python float (float(w0) first)",
            check="shape and type",
            generic=lambda: typed(["float"] * len(got), [type(w).__name__ for w in got]),
        )

    def test_keeps_stepping_at_the_minimum(self, check, inputs):
        # 2 a lr = 1: the first step lands exactly on the minimum c, where the gradient is 0
        # (a power of two and multiples of 1/8 keep every step exact). steps counts updates,
        # not progress: the list still has steps + 1 entries.
        a = 2.0 ** inputs.integer(-2, 3)
        c, w0, steps = _dyadic(inputs, -24, 24), _dyadic(inputs, -40, 40), inputs.integer(4, 8)
        grad = Quadratic(a, c)
        check.matches(
            lambda m: m.basics.gradient_descent_1d(grad, w0, 1 / (2 * a), steps),
            f"gradient_descent_1d on {a:g} (w - {c:g})^2 from {w0:g}, lr {1 / (2 * a):g}, "
            f"{steps} steps (the first step reaches the minimum)",
            expected=descend(grad, w0, 1 / (2 * a), steps),
            **EXACT,
            hint="make exactly `steps` updates, even once the gradient is 0: there is "
            "no stopping rule",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # the reference's calls, whatever it returns
    def test_calls_grad_once_per_step(self, check, inputs):
        a, c, w0, lr, steps = _run(inputs, *RUNS["converging"])
        seen = []

        def grad(w):
            seen.append(w)
            return 2 * a * (w - c)

        got = check.impl.basics.gradient_descent_1d(grad, w0, lr, steps)
        expected = descend(Quadratic(a, c), w0, lr, steps)
        check.that(
            seen == expected[:-1],
            f"grad_fn was called {len(seen)} times; it must be called once per step, on "
            f"the current iterate ({steps} calls here, none at the last iterate)",
            check="calls",
            hint="call grad_fn(w) inside the loop, once, before updating w",
            recipe=lambda m: m.basics.gradient_descent_1d(Quadratic(a, c), w0, lr, steps),
            got=got,
            generic=lambda: _called_at(diagnose(expected[:-1], seen)),
        )

    @pytest.mark.supporting()  # [w0] is what code that never moves returns too
    def test_zero_steps(self, check, inputs):
        w0 = inputs.number(-5.0, 5.0)
        check.matches(
            lambda m: m.basics.gradient_descent_1d(Quadratic(1.0, 3.0), w0, 0.1, 0),
            "gradient_descent_1d with steps=0",
            expected=[w0],
            **EXACT,
        )


def _signed(inputs, sign: str) -> float:
    """0.0, or a drawn number of that sign."""
    return 0.0 if sign == "0" else (1 if sign == "+" else -1) * inputs.log_number(0.01, 10.0)


def _called_at(found: Diagnosis | None) -> Diagnosis | None:
    """A generic diagnosis of the points grad_fn was called at, said of those points."""
    if found is None:
        return None
    return Diagnosis(
        found.kind,
        found.text.replace("your sequence", "the list of points your code calls grad_fn at", 1),
    )


# Curvatures drawn on both sides of 1 in every draw: a rule that keeps the thresholds of the
# a = 1 example is wrong for each of them.
CURVATURES = ((0.1, 0.4), (0.6, 0.9), (1.5, 4.0), (6.0, 25.0))


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


def _regimes(check, inputs, bands, label, hint):
    """gd_regime(a, f / (2a)) for drawn curvatures and a factor f = 2 a lr drawn from each of
    ``bands`` (each band in every draw: a rule wrong on part of the regime is always seen)."""
    curvatures = [inputs.number(*band) for band in CURVATURES]
    cases = [(a, inputs.number(*band) / (2 * a)) for a in curvatures for band in bands]
    check.matches(
        lambda m: independent_calls(m.basics.gd_regime, cases),
        f"gd_regime on {len(cases)} curvatures and learning rates with 2 a lr in "
        f"({bands[0][0]:g}, {bands[-1][1]:g})",
        expected=[label] * len(cases),
        hint=hint,
    )


@pytest.mark.exercise("basics.gd_regime")
class TestGdRegime:
    @_everyday_regime("converges")
    def test_converges(self, check, inputs):
        _regimes(
            check,
            inputs,
            [(0.03, 0.35), (0.35, 0.65), (0.65, 0.97)],
            "converges",
            "with 0 < 2 a lr < 1 the factor 1 - 2 a lr lies in (0, 1): steady approach",
        )

    @_everyday_regime("oscillates")
    def test_oscillates(self, check, inputs):
        _regimes(
            check,
            inputs,
            [(1.03, 1.35), (1.35, 1.65), (1.65, 1.97)],
            "oscillates",
            "with 1 < 2 a lr < 2 the factor 1 - 2 a lr lies in (-1, 0): every step jumps "
            "over the minimum, and the jumps shrink",
        )

    @_everyday_regime("diverges")
    def test_diverges(self, check, inputs):
        _regimes(
            check,
            inputs,
            # below 4 too, where a factor of a lr without its 2 still says "oscillates"
            [(2.03, 3.9), (4.1, 8.0), (8.0, 40.0)],
            "diverges",
            "with 2 a lr > 2 the factor 1 - 2 a lr is below -1: every jump grows",
        )

    @pytest.mark.points(2)
    def test_boundaries(self, check, inputs):
        # Curvatures that are powers of two keep 1 / (2a) and 1 / a exact in binary: one
        # below 1 and one above in every draw, and two more.
        exact = [2.0 ** inputs.integer(-4, -1), 2.0 ** inputs.integer(1, 4)]
        exact += [2.0 ** inputs.integer(-4, 4) for _ in range(2)]
        cases = [(a, 1 / (2 * a)) for a in exact] + [(a, 1 / a) for a in exact]
        expected = ["converges"] * len(exact) + ["oscillates"] * len(exact)
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
    @pytest.mark.parametrize("a,lr", [("0", "+"), ("-", "+"), ("+", "0"), ("+", "-")])
    def test_rejects_non_positive(self, a, lr, check, inputs):
        a, lr = (_signed(inputs, sign) for sign in (a, lr))
        try:
            got = check.impl.basics.gd_regime(a, lr)
        except ValueError:
            return
        check.fail(
            f"gd_regime({a}, {lr}) returned {got!r} instead of raising ValueError",
            check="errors",
            hint="a and lr must both be > 0",
        )
