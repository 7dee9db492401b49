"""Public checks for starter/basics.py.

The worked example by hand, and one learning rate per regime. The hidden graders run other
quadratics and other losses, count the calls to ``grad_fn``, and test the regime boundaries.

Run with ``pytest exercises/test_basics.py``.
"""

import pytest

from . import python_numbers, refuses


@pytest.mark.exercise("basics.gradient_descent_1d")
class TestGradientDescent1D:
    def test_worked_example(self, check):
        # L(w) = (w - 3)^2, gradient 2 (w - 3), from 0 with lr 0.1:
        # 0 -> 0 - 0.1 * (-6) = 0.6 -> 0.6 - 0.1 * (-4.8) = 1.08 -> 1.08 - 0.1 * (-3.84) = 1.464
        check.matches(lambda m: m.basics.gradient_descent_1d(lambda w: 2 * (w - 3), 0.0, 0.1, 3),
                      "gradient_descent_1d on (w - 3)^2 from 0, lr 0.1, 3 steps",
                      expected=[0.0, 0.6, 1.08, 1.464], rtol=1e-12, atol=1e-12,
                      hint="w_next = w - lr * grad_fn(w): subtract, and keep w_0 first")

    @pytest.mark.supporting()  # [w0] is also what code that never moves returns
    def test_no_steps(self, check):
        check.matches(lambda m: m.basics.gradient_descent_1d(lambda w: 2 * (w - 3), 5, 0.1, 0),
                      "gradient_descent_1d with steps=0", expected=[5.0])


@pytest.mark.exercise("basics.gd_regime")
def test_one_learning_rate_per_regime(check):
    # a = 1: 2 a lr = 0.5 (converges), 1.5 (oscillates), 3 (diverges)
    check.matches(lambda m: [m.basics.gd_regime(1.0, lr) for lr in (0.25, 0.75, 1.5)],
                  "gd_regime(1, lr) for lr = 0.25, 0.75, 1.5",
                  expected=["converges", "oscillates", "diverges"],
                  hint="one step multiplies the distance to the minimum by r = 1 - 2 a lr")


@pytest.mark.exercise("basics.gradient_descent_1d")
class TestGradientDescentConventions:
    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_every_step_even_at_the_minimum(self, check):
        # from the minimum 3, every gradient is 0: still steps + 1 iterates, all 3.0
        check.matches(lambda m: m.basics.gradient_descent_1d(lambda w: 2 * (w - 3), 3, 0.1, 4),
                      "gradient_descent_1d from the minimum, 4 steps",
                      expected=[3.0] * 5, hint="no stopping rule: make all `steps` updates")

    @pytest.mark.supporting()  # code that never moves calls nothing and returns floats
    def test_one_gradient_per_step_and_python_floats(self, check):
        calls = []

        def grad_fn(w):
            calls.append(w)
            return 2 * (w - 3)

        got = check.impl.basics.gradient_descent_1d(grad_fn, 0, 0.1, 3)
        check.that(len(calls) == 3, f"grad_fn was called {len(calls)} times for 3 steps",
                   check="property",
                   hint="call grad_fn once per step on the current iterate, never at the last")
        python_numbers(check, got, "gradient_descent_1d's iterates (w0 = 0, an int)")


@pytest.mark.exercise("basics.gd_regime")
def test_regimes_depend_on_the_curvature_and_their_boundaries(check):
    # a = 2: 1 / (2a) = 0.25 converges (lands on c), 1 / a = 0.5 oscillates, 0.6 diverges
    check.matches(lambda m: [m.basics.gd_regime(2.0, lr) for lr in (0.25, 0.5, 0.6)],
                  "gd_regime(2, lr) for lr = 0.25, 0.5, 0.6",
                  expected=["converges", "oscillates", "diverges"],
                  hint="compare 2 * a * lr with 1 and 2; the boundaries belong to the regime "
                       "below them")


@pytest.mark.exercise("basics.gd_regime")
@pytest.mark.supporting()  # a function that always raises passes it
def test_regime_refuses_bad_arguments(check):
    for a, lr in ((0.0, 0.1), (1.0, -0.1)):
        refuses(check, lambda m, a=a, lr=lr: m.basics.gd_regime(a, lr), f"gd_regime({a}, {lr})",
                hint="a and lr must be > 0: raise ValueError")
