"""Public checks for starter/regression.py.

Mini-batches by hand-checkable sizes and coverage; one full-batch training step worked on paper;
the training loop against the least-squares fit; the closed form on a system solvable by hand and
on an ill-conditioned matrix. The hidden graders also test the statistics of the shuffle over
thousands of epochs, replay your training loop exactly from your own batches, and try other
shapes and dtypes.

Run with ``pytest exercises/test_regression.py``; add ``-k minibatches`` to focus on one exercise.
"""

import math

import pytest
import torch

from descent.grading.composite import drawn_batches, valid_epochs

from . import T, follows_the_generator, python_numbers, refuses


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _order(batches):
    return torch.cat([b.reshape(-1) for b in batches]) if batches else torch.zeros(0)


@pytest.mark.exercise("regression.minibatches")
class TestMinibatches:
    def test_ten_examples_in_threes(self, check):
        # 10 = 3 + 3 + 3 + 1: the last batch keeps the one example left over
        check.matches(lambda m: (lambda b: ([len(x) for x in b], sorted(_order(b).tolist())))(
                          list(m.regression.minibatches(10, 3, _gen()))),
                      "minibatches(10, 3, g): (batch sizes, every index sorted)",
                      expected=([3, 3, 3, 1], list(range(10))),
                      hint="shuffle 0 .. 9 once, cut in pieces of 3; the last piece is shorter")

    def test_drop_last(self, check):
        # the short last batch is left out: 9 distinct examples in three batches of 3
        check.matches(lambda m: (lambda b: ([len(x) for x in b], len(set(_order(b).tolist()))))(
                          list(m.regression.minibatches(10, 3, _gen(), drop_last=True))),
                      "minibatches(10, 3, g, drop_last=True): (batch sizes, distinct indices)",
                      expected=([3, 3, 3], 9))

    def test_drop_last_keeps_a_full_last_batch(self, check):
        # 9 = 3 + 3 + 3: no batch is short, so drop_last leaves every one in
        check.matches(lambda m: (lambda b: ([len(x) for x in b], len(set(_order(b).tolist()))))(
                          list(m.regression.minibatches(9, 3, _gen(), drop_last=True))),
                      "minibatches(9, 3, g, drop_last=True): (batch sizes, distinct indices)",
                      expected=([3, 3, 3], 9),
                      hint="drop_last leaves out only a last batch shorter than batch_size: "
                           "stop at n - n % batch_size")

    @pytest.mark.supporting()  # any order but 0 .. 19 passes, so it counts beside a value check
    def test_shuffled_and_new_each_epoch(self, check):
        g = _gen(1)
        first = _order(list(check.impl.regression.minibatches(20, 5, g)))
        second = _order(list(check.impl.regression.minibatches(20, 5, g)))
        check.that(not torch.equal(first, torch.arange(20)),
                   "minibatches(20, 5, g) kept the examples in order 0 .. 19",
                   hint="draw a permutation from the generator first",
                   recipe=lambda m: _order(list(m.regression.minibatches(20, 5, _gen(1)))),
                   got=first)
        check.that(not torch.equal(first, second),
                   "two successive calls on one generator (two epochs) gave the same order",
                   hint="use the generator passed in: it moves on after each draw")


@pytest.mark.exercise("regression.train_linear_regression")
class TestTrainLinearRegression:
    def test_one_full_batch_step(self, check):
        # X = [1, 2, 3] (one feature), y = [1, 2, 2], lr 0.1, one epoch of one batch of 3:
        # r = 0 - y = [-1, -2, -2], loss = (1 + 4 + 4) / 3 = 3
        # dw = 2/3 * (1*-1 + 2*-2 + 3*-2) = -22/3, db = 2/3 * (-5) = -10/3
        # w = 0.1 * 22/3 = 11/15, b = 0.1 * 10/3 = 1/3
        X, y = T([1.0], [2.0], [3.0]), T(1.0, 2.0, 2.0)
        check.matches(lambda m: m.regression.train_linear_regression(X, y, 0.1, 1, 3, _gen()),
                      "train_linear_regression, one full-batch step: (w, b, losses)",
                      expected=(T(11 / 15), torch.tensor(1 / 3, dtype=torch.float64), [3.0]),
                      rtol=1e-12, atol=1e-12,
                      hint="dw = (2/B) X^T r and db = (2/B) sum(r); log mean(r^2) before the "
                           "update")

    def test_reaches_the_least_squares_fit(self, check):
        # Full-batch descent with a small rate converges to the closed-form fit with intercept.
        g = _gen(2)
        X = torch.randn(30, 2, generator=g, dtype=torch.float64)
        y = X @ T(2.0, -1.0) + 0.5 + 0.1 * torch.randn(30, generator=g, dtype=torch.float64)
        A = torch.cat([X, torch.ones(30, 1, dtype=torch.float64)], dim=1)
        fit = torch.linalg.lstsq(A, y.unsqueeze(1)).solution.squeeze(1)
        check.matches(lambda m: m.regression.train_linear_regression(X, y, 0.2, 150, 30,
                                                                     _gen())[:2],
                      "(w, b) after 150 full-batch epochs", expected=(fit[:2], fit[2]),
                      rtol=1e-8, atol=1e-9)


def _ill_conditioned(seed, n=30, d=4, cond=1e7):
    g = _gen(seed)
    u, _ = torch.linalg.qr(torch.randn(n, d, generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    s = torch.logspace(0, -math.log10(cond), d, dtype=torch.float64) * 10
    X = (u * s) @ v.T
    return X, X @ torch.randn(d, generator=g, dtype=torch.float64) + 0.1 * torch.randn(
        n, generator=g, dtype=torch.float64)


@pytest.mark.exercise("regression.linear_regression_closed_form")
class TestClosedForm:
    def test_solvable_by_hand(self, check):
        # X^T X = [[2, 1], [1, 2]], X^T y = [4, 5]: w = [1, 2] fits all three rows exactly
        X, y = T([1.0, 0.0], [0.0, 1.0], [1.0, 1.0]), T(1.0, 2.0, 3.0)
        check.matches(lambda m: m.regression.linear_regression_closed_form(X, y),
                      "linear_regression_closed_form on a 3 x 2 system", expected=T(1.0, 2.0),
                      rtol=1e-12, atol=1e-12,
                      hint="solve (X^T X) w = X^T y; no bias column is added")

    def test_ill_conditioned(self, check):
        # cond(X) = 1e7, so cond(X^T X) = 1e14: w is not well determined, but the gradient
        # X^T (X w - y) must still vanish to rounding at the w you return.
        for seed in (3, 4):
            X, y = _ill_conditioned(seed)
            w = check.impl.regression.linear_regression_closed_form(X, y)
            grad = X.T @ (X @ w - y)
            rel = float(grad.norm() / (torch.linalg.matrix_norm(X, 2) ** 2 * w.norm()
                                       + (X.T @ y).norm()))
            check.that(rel <= 1e-12, f"on an ill-conditioned X the gradient at your w is {rel:.1e} "
                       "relative (at most 1e-12)",
                       hint="factorize (torch.linalg.cholesky and torch.cholesky_solve, "
                            "torch.linalg.solve, or QR) instead of multiplying by an inverse",
                       recipe=lambda m, X=X, y=y: m.regression.linear_regression_closed_form(X, y),
                       got=w)


@pytest.mark.exercise("regression.minibatches")
class TestMinibatchesConventions:
    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_no_examples_no_batches(self, check):
        check.matches(lambda m: len(list(m.regression.minibatches(0, 4, _gen()))),
                      "the number of batches of minibatches(0, 4, g)", expected=0,
                      hint="n = 0 gives the empty list []; torch.split of an empty order gives "
                           "one empty batch instead")

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_bad_arguments_are_refused(self, check):
        for args in ((-1, 2), (5, 0)):
            refuses(check, lambda m, args=args: m.regression.minibatches(*args, _gen()),
                    f"minibatches(n={args[0]}, batch_size={args[1]}, g)",
                    hint="raise ValueError for n < 0 or batch_size < 1")

    @pytest.mark.supporting()  # a constant order passes half of it
    def test_draws_from_the_generator(self, check):
        follows_the_generator(check, lambda m, g: _order(m.regression.minibatches(30, 7, g)),
                              "minibatches(30, 7, g)")

    # everyday use (a list drawn at the call, as the hidden graders require): failing it caps
    # the exercise at half; supporting, since an empty list is a list too
    @pytest.mark.ordinary
    @pytest.mark.supporting()
    def test_returns_a_list(self, check):
        check.that(isinstance(check.impl.regression.minibatches(5, 2, _gen()), list),
                   "minibatches must return a list", check="shape and type",
                   hint="build the list at once: a function with yield draws nothing until it "
                        "is iterated")

    @pytest.mark.supporting()  # a fixed shuffle passes it
    def test_every_order_is_possible(self, check):
        # Each of the 6 orders of 3 examples must come up: rotating or swapping with any place
        # reaches only some of them, or not equally often.
        g = _gen(3)
        seen = {tuple(_order(check.impl.regression.minibatches(3, 3, g)).tolist())
                for _ in range(200)}
        check.that(len(seen) == 6, f"200 shuffles of 3 examples gave {len(seen)} of the 6 orders",
                   check="statistics",
                   hint="draw a uniformly random permutation (torch.randperm with the generator)")


@pytest.mark.exercise("regression.train_linear_regression")
class TestTrainConventions:
    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_no_epochs(self, check):
        X, y = T([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]), T(1.0, 2.0, 3.0)
        w, b, losses = check.impl.regression.train_linear_regression(X, y, 0.1, 0, 2, _gen())
        check.that(isinstance(b, torch.Tensor) and b.shape == () and b.dtype == X.dtype,
                   f"with epochs=0, b must be a 0-dim tensor in X's dtype, got {b!r}",
                   check="shape and type",
                   hint="start from b = X.new_zeros(()) and return it, even untrained")
        check.matches(lambda m: m.regression.train_linear_regression(X, y, 0.1, 0, 2, _gen()),
                      "train_linear_regression with epochs=0",
                      expected=(T(0.0, 0.0), torch.tensor(0.0, dtype=torch.float64), []))

    def test_a_short_last_batch_and_a_new_order_every_epoch(self, check):
        # 5 examples in batches of 2 (2 + 2 + 1) for 2 epochs, replayed from your own batches
        g = _gen(4)
        X = torch.randn(5, 2, generator=g, dtype=torch.float64)
        y = torch.randn(5, generator=g, dtype=torch.float64)

        def replay(minibatches):
            gen, w, b, losses = _gen(7), X.new_zeros(2), X.new_zeros(()), []
            for _ in range(2):
                for idx in minibatches(5, 2, gen):
                    r = X[idx] @ w + b - y[idx]
                    losses.append(float((r * r).mean()))
                    w, b = w - 0.1 * 2 / len(idx) * (X[idx].T @ r), b - 0.1 * 2 / len(idx) * r.sum()
            return w, b, losses

        # replayed from your own minibatches when they draw as a correct one can (else as its
        # docstring says); a loop that is right with the kit's own minibatches in place of
        # yours is charged to minibatches, not here
        gen = _gen(7)
        yours = [list(check.impl.regression.minibatches(5, 2, gen)) for _ in range(2)]
        draw = check.impl.regression.minibatches if valid_epochs(yours, 5, 2) else drawn_batches
        check.matches(lambda m: m.regression.train_linear_regression(X, y, 0.1, 2, 2, _gen(7)),
                      "train_linear_regression(5 examples, batch_size=2, 2 epochs)",
                      expected=replay(draw),
                      hint="call minibatches once per epoch and average each batch over its own "
                           "size len(idx) (the last batch has 1 example)")
        python_numbers(check, check.impl.regression.train_linear_regression(
            X, y, 0.1, 2, 2, _gen(7))[2], "train_linear_regression's losses")


@pytest.mark.exercise("regression.linear_regression_closed_form")
class TestClosedFormConventions:
    def test_float32_and_a_column_of_targets(self, check):
        X, y = T([1.0, 0.0], [0.0, 1.0], [1.0, 1.0]).float(), T(1.0, 2.0, 3.0).float()
        check.matches(lambda m: m.regression.linear_regression_closed_form(X, y),
                      "linear_regression_closed_form in float32", expected=torch.tensor([1.0, 2.0]),
                      rtol=1e-5, atol=1e-5, hint="solve in X's dtype and return w of shape (D,)")
        check.matches(lambda m: m.regression.linear_regression_closed_form(X, y[:, None]),
                      "linear_regression_closed_form with y of shape (3, 1)",
                      expected=torch.tensor([[1.0], [2.0]]), rtol=1e-5, atol=1e-5,
                      hint="y of shape (N, K) gives w of shape (D, K), K = 1 included: squeeze "
                           "only when y itself is 1-D")

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_too_few_examples_are_refused(self, check):
        refuses(check, lambda m: m.regression.linear_regression_closed_form(T([1.0, 2.0, 3.0]),
                                                                           T(1.0)),
                "linear_regression_closed_form with 1 example and 3 features",
                hint="check the shapes first: X (N, D) with N >= D, y (N,); raise ValueError")
