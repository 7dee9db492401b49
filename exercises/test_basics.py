"""Public checks for starter/basics.py.

The worked example by hand, and one learning rate per regime. The hidden graders run other
quadratics and other losses, count the calls to ``grad_fn``, and test the regime boundaries.

Run with ``pytest exercises/test_basics.py``.
"""

import pytest


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
