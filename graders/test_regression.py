"""Hidden graders for starter/regression.py.

Mini-batches are random, so they are graded by what every correct shuffle satisfies (each index
once per epoch, the batch sizes, ``drop_last``), by the statistics of 2,000 successive epochs
drawn from one generator (the position of every example is uniform: a chi-square test at about
six standard deviations; every one of the n! orders equally likely, the same test on whole
orders), and by reproducibility under a seeded generator, never by particular
samples: ``torch.randperm``, the ``argsort`` of ``torch.rand`` and a correct Fisher-Yates loop
all pass. The training loop is replayed exactly from the batches the student's own
``minibatches`` gives for the same generator state, when those are what some correct draw gives
(else from the docstring's draw: a hollow ``minibatches`` is never the evidence that a loop is
right), and must reach the least-squares solution.
The closed form is compared with ``torch.linalg.lstsq`` and, on ill-conditioned data, must make
the gradient vanish to rounding.
"""

from __future__ import annotations

import collections
import itertools
import math

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from runs import trajectory

from descent.calls.callables import make
from descent.diagnoses import stat as stat_diagnoses
from descent.diagnoses import training as training_diagnoses
from descent.diagnoses.exception import ill_conditioned
from descent.grading.composite import drawn_batches, valid_epochs


def _gen(seed, device):
    return torch.Generator(device=device).manual_seed(seed)


def _type_name(value):
    """The class name of a result, also of an object left in a worker (a generator)."""
    return getattr(value, "descent_type_name", type(value).__name__)


def _outcome(fn, *args):
    """How a call ended, as text: "returned", or "raised <exception class>"."""
    try:
        fn(*args)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - which exception it was is the finding
        return f"raised {type(exc).__name__}"
    return "returned"


# ---------------------------------------------------------------------------------- minibatches
def _sizes(n, batch_size, drop_last):
    full, rest = divmod(n, batch_size)
    return [batch_size] * full + ([] if drop_last or not rest else [rest])


def _union(batches, device):
    """Every index the batches hold, sorted (duplicates kept)."""
    flat = [torch.as_tensor(b).reshape(-1).to(device) for b in batches]
    return (
        torch.sort(torch.cat(flat)).values
        if flat
        else torch.zeros(0, dtype=torch.int64, device=device)
    )


def _epochs(m, n, batch_size, seed, device, count, drop_last=False):
    """``count`` successive calls of minibatches on one generator."""
    advance = make("shared_generator", [n, batch_size], {"drop_last": drop_last}, seed, str(device))
    chain = trajectory(m.regression.minibatches, advance, count, stack=True)  # read only
    return [list(batches) for batches, _ in chain]


def _epoch_orders(check, n, batch_size, seed, device, count):
    """``count`` successive epochs of minibatches on one generator and the order of each, as a
    tuple of ints; fails unless every epoch is a permutation of 0 .. n-1."""
    epochs = _epochs(check.impl, n, batch_size, seed, device, count)
    # each batch read as one list, not element by element: thousands of epochs are read
    orders = [
        tuple(int(i) for b in batches for i in torch.as_tensor(b).reshape(-1).tolist())
        for batches in epochs
    ]
    check.that(
        all(sorted(o) == list(range(n)) for o in orders),
        f"one of {count} successive calls of minibatches({n}, {batch_size}, g) did not "
        f"return each of the {n} indices once",
        check="statistics",
        hint="every call is one epoch: a permutation of 0 .. n-1",
        # a repeat that only the last batch makes (it is filled up, or appended twice) is told
        # apart from indices drawn with replacement, whose repeats fall anywhere
        generic=lambda: (
            stat_diagnoses.repeated_in_last_batch(epochs)
            or next(
                (
                    found
                    for o in orders
                    if sorted(o) != list(range(n))
                    and (found := stat_diagnoses.duplicated(torch.tensor(o), "indices")) is not None
                ),
                None,
            )
        ),
    )
    return epochs, orders


def _chi2_limit(df):
    """About six standard deviations above a chi-square's mean: a correct shuffle stays below
    it for any seed, while the biased shuffles above land far over it."""
    return df + 6 * math.sqrt(2 * df)


COVER = [(10, 3), (12, 4), (7, 7), (5, 8), (23, 1), (1, 1), (0, 3)]
DROP = [(10, 3), (12, 4), (5, 8), (7, 7), (11, 2)]


# The generator's seed of the explicit example of test_drawn_sizes: any seed shows a dropped or
# refilled remainder; with this one a shuffled batch order also moves the short batch from the
# end (torch.randperm(5) gives [1, 3, 0, 4, 2]).
SHORT_LAST_SEED = 5


@pytest.mark.exercise("regression.minibatches")
class TestMinibatches:
    @pytest.mark.ordinary
    @pytest.mark.points(3)
    def test_covers_every_index_once(self, check, inputs):
        dev = inputs.device

        def recipe(m):
            out = []
            for k, (n, size) in enumerate(COVER):
                batches = list(m.regression.minibatches(n, size, _gen(inputs.seed + k, dev)))
                out.append((_union(batches, dev), [len(b) for b in batches]))
            return out

        expected = [(torch.arange(n, device=dev), _sizes(n, size, False)) for n, size in COVER]
        check.matches(
            recipe,
            f"minibatches for (n, batch_size) in {COVER}: (every index, sorted; the batch sizes)",
            expected=expected,
            rtol=0,
            atol=0,
            check_dtype=False,
            check="coverage",
            hint="shuffle 0 .. n-1 once (a permutation: no index twice), then cut it "
            "in consecutive pieces of batch_size; the last piece keeps the "
            "n % batch_size left over",
        )

    @pytest.mark.points(2)
    def test_drop_last(self, check, inputs):
        dev = inputs.device

        def recipe(m):
            out = []
            for k, (n, size) in enumerate(DROP):
                batches = list(
                    m.regression.minibatches(n, size, _gen(inputs.seed + k, dev), drop_last=True)
                )
                every = _union(batches, dev)
                distinct = int(torch.unique(every).numel())
                inside = bool(((every >= 0) & (every < n)).all())
                out.append(([len(b) for b in batches], distinct, inside))
            return out

        expected = [(_sizes(n, size, True), n - n % size, True) for n, size in DROP]
        check.matches(
            recipe,
            f"minibatches(..., drop_last=True) for (n, batch_size) in {DROP}: "
            "(batch sizes, distinct indices, all in range)",
            expected=expected,
            check="drop_last",
            hint="drop_last=True leaves out only a last batch shorter than "
            "batch_size; full batches stay, and no index repeats",
        )

    @pytest.mark.points(2)
    @given(
        n=st.integers(0, 60),
        size=st.integers(1, 70),
        drop_last=st.booleans(),
        seed=st.integers(0, 2**31 - 1),
    )
    # beside the drawn examples, on every grading: several full batches and a short last one
    # kept, where a dropped, refilled or moved remainder shows (8 drawn examples hold no such
    # case about one grading in three)
    @example(n=23, size=5, drop_last=False, seed=SHORT_LAST_SEED)
    def test_drawn_sizes(self, n, size, drop_last, seed, check):
        def recipe(m):
            batches = list(
                m.regression.minibatches(n, size, _gen(seed, "cpu"), drop_last=drop_last)
            )
            every = _union(batches, "cpu")
            return [len(b) for b in batches], int(torch.unique(every).numel()), every.numel()

        kept = sum(_sizes(n, size, drop_last))
        check.matches(
            recipe,
            f"minibatches({n}, {size}, g, drop_last={drop_last}): (batch "
            "sizes, distinct indices, indices in all)",
            expected=(_sizes(n, size, drop_last), kept, kept),
            check="coverage",
            hint="cut one permutation of 0 .. n-1 into pieces of batch_size; only "
            "drop_last=True removes the short last piece",
        )

    @pytest.mark.ordinary
    @pytest.mark.points(3)
    def test_order_is_uniform(self, check, inputs):
        n, size, count = 5, 2, 2000
        epochs, orders = _epoch_orders(check, n, size, inputs.seed, inputs.device, count)
        # example order[j] sits at position j (every order is a permutation: checked above)
        counts = torch.zeros(n, n, dtype=torch.float64).index_put_(
            (torch.tensor(orders).reshape(-1), torch.arange(n).repeat(count)),
            torch.ones(count * n, dtype=torch.float64),
            accumulate=True,
        )
        expect = count / n
        chi2 = float(((counts - expect) ** 2 / expect).sum())
        df = (n - 1) ** 2
        where = counts.sub(expect).abs().argmax()
        example, position = divmod(int(where), n)
        check.that(
            chi2 <= _chi2_limit(df),
            f"over {count} successive epochs from one generator (n={n}, batch_size="
            f"{size}) the examples' positions are not uniform: chi-square {chi2:.1f} on "
            f"{df} degrees of freedom (limit {_chi2_limit(df):.0f}); example {example} "
            f"was at position {position} {int(counts[example, position])} times, "
            f"{expect:.0f} expected",
            check="statistics",
            hint="draw a fresh uniform permutation of all n examples at every call, from "
            "the generator passed in (torch.randperm(n, generator=generator)); "
            "shuffling only the batch order, or swapping each place with any place, "
            "is not uniform",
            recipe=lambda m: _epochs(m, n, size, inputs.seed, inputs.device, 8),
            got=epochs[:8],
            generic=lambda: stat_diagnoses.orders(
                list(collections.Counter(orders).values()), math.factorial(n), n
            ),
        )

    @pytest.mark.ordinary
    @pytest.mark.points(2)
    def test_every_order_equally_likely(self, check, inputs):
        # Uniform positions are not enough: rotating 0 .. n-1 by a random offset puts every
        # example at every position equally often, yet only n of the n! orders ever occur.
        n, size, count = 4, 3, 1200
        epochs, orders = _epoch_orders(check, n, size, inputs.seed, inputs.device, count)
        every = list(itertools.permutations(range(n)))
        seen = collections.Counter(orders)
        expect = count / len(every)
        chi2 = sum((seen[o] - expect) ** 2 / expect for o in every)
        df = len(every) - 1
        check.that(
            chi2 <= _chi2_limit(df),
            f"over {count} successive epochs from one generator (n={n}, batch_size={size}) "
            f"the {len(every)} possible orders are not equally likely: {len(seen)} of them "
            f"occurred, the most frequent {max(seen.values())} times ({expect:.0f} "
            f"expected); chi-square {chi2:.1f} on {df} degrees of freedom (limit "
            f"{_chi2_limit(df):.0f})",
            check="statistics",
            hint="draw a uniform permutation of all n examples at every call "
            "(torch.randperm(n, generator=generator)); a random rotation or any other "
            "order built from one draw reaches only a few of the n! orders, so the "
            "same examples keep sharing a batch",
            recipe=lambda m: _epochs(m, n, size, inputs.seed, inputs.device, 8),
            got=epochs[:8],
            generic=lambda: stat_diagnoses.orders(list(seen.values()), len(every), n),
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting("test_covers_every_index_once", "test_order_is_uniform")
    @pytest.mark.points(2)
    def test_reproducible_from_the_generator(self, check, inputs):
        dev = inputs.device
        mb = check.impl.regression.minibatches
        first = list(mb(30, 7, _gen(inputs.seed, dev)))
        again = list(mb(30, 7, _gen(inputs.seed, dev)))
        same = len(first) == len(again) and all(
            torch.equal(torch.as_tensor(a), torch.as_tensor(b)) for a, b in zip(first, again)
        )
        check.that(
            same,
            "two calls with generators seeded alike gave different batches",
            check="reproducibility",
            hint="draw the order from `generator` only, never from torch's global random state",
        )
        others = [list(mb(30, 7, _gen(inputs.seed + k, dev))) for k in (1, 2, 3)]
        orders = {
            tuple(torch.cat([torch.as_tensor(b).reshape(-1) for b in o]).tolist())
            for o in [first] + others
        }
        check.that(
            len(orders) == 4,
            "generators with four different seeds gave only "
            f"{len(orders)} different orders of 30 examples",
            check="reproducibility",
            hint="the order must come from the generator passed in, not from a "
            "generator of your own with a fixed seed",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting("test_covers_every_index_once")
    def test_structure(self, check, inputs):
        dev = inputs.device
        check.matches(
            lambda m: _type_name(m.regression.minibatches(10, 4, _gen(inputs.seed, dev))),
            "the type of what minibatches returns",
            expected="list",
            check="shape and type",
            hint="build and return the list of batches; a function with `yield` draws "
            "nothing until it is iterated",
        )
        got = check.impl.regression.minibatches(10, 4, _gen(inputs.seed, dev))
        template = [torch.zeros(4, dtype=torch.int64, device=dev)] * 2 + [
            torch.zeros(2, dtype=torch.int64, device=dev)
        ]
        check.like(
            list(got),
            template,
            "minibatches(10, 4, g): 1-D int64 index tensors on the generator's device",
        )

    @pytest.mark.supporting()  # a function that always raises passes it
    @pytest.mark.parametrize("n,size", [(-1, 2), (5, 0), (5, -3)])
    def test_rejects_bad_arguments(self, n, size, check, inputs):
        check.matches(
            lambda m: _outcome(m.regression.minibatches, n, size, _gen(inputs.seed, inputs.device)),
            f"minibatches({n}, {size}, g)",
            expected="raised ValueError",
            check="errors",
            hint="check n >= 0 and batch_size >= 1 first and raise ValueError",
        )


# ----------------------------------------------------------------------- train_linear_regression
def _replay(X, y, lr, epoch_batches):
    """The update rule of the docstring on given batches (the trusted side's own loop)."""
    w, b, losses = X.new_zeros(X.shape[1]), X.new_zeros(()), []
    for batches in epoch_batches:
        for idx in batches:
            idx = torch.as_tensor(idx, device=X.device).long()
            xb = X[idx]
            r = xb @ w + b - y[idx]
            losses.append(float((r * r).mean()))
            w, b = w - lr * (2 / len(idx)) * (xb.T @ r), b - lr * (2 / len(idx)) * r.sum()
    return w, b, losses


def _trained(m, X, y, lr, epochs, size, seed):
    w, b, losses = m.regression.train_linear_regression(
        X, y, lr, epochs, size, _gen(seed, X.device)
    )
    return w, b, [float(v) for v in losses]


def _problem(inputs, n, d, noise=0.1):
    X = inputs.randn(n, d)
    w_true, b_true = inputs.randn(d), 0.7
    return X, X @ w_true + b_true + noise * inputs.randn(n), w_true, b_true


# The covariance X^T X / N of _conditioned_problem's data: fixed, so that how far full-batch
# descent gets in a fixed number of epochs is the same on every draw. At lr 0.2 its slowest
# direction (0.3) shrinks by 1 - 2 * 0.2 * 0.3 = 0.88 per epoch, 1e-11 in 200 epochs; a gradient
# half as large (a factor 2 dropped) shrinks it by 0.94, 4e-6 in 200 epochs, far from the
# solution's tolerance. Drawn data had a covariance near 1 on most draws, where half the rate
# converged too, and a smaller one on a few, where it did not.
COVARIANCE = (0.3, 1.0, 2.0)
FLOAT32_X = (0.06, 0.08, 0.1)  # the singular values of the closed form's float32 X


def _with_spectrum(inputs, n, singular_values, centred=False):
    """(X, u, vh): X = u diag(singular_values) vh of shape (n, d), u (n, d) with orthonormal
    columns and vh (d, d) orthogonal, both drawn; with ``centred``, X's columns sum to 0."""
    z = inputs.randn(n, len(singular_values))
    u, _, vh = torch.linalg.svd(z - z.mean(0) if centred else z, full_matrices=False)
    return (u * torch.tensor(singular_values, dtype=u.dtype, device=u.device)) @ vh, u, vh


def _conditioned_problem(inputs, n, noise):
    """(X, y): X of shape (n, len(COVARIANCE)) with centred columns (the intercept's direction
    apart from every other) and the covariance COVARIANCE along drawn directions; y = X w + 0.7
    + noise, w at least 0.5 along each of those directions (the slowest one included: its
    error is the one that lasts)."""
    X, _, vh = _with_spectrum(inputs, n, [math.sqrt(n * c) for c in COVARIANCE], centred=True)
    w = vh.T @ inputs.signed(len(COVARIANCE), 0.5, 1.5)
    return X, X @ w + 0.7 + noise * inputs.randn(n)


# (N, D, lr, epochs, batch_size, id)
RUNS = [
    (30, 4, 0.1, 12, 30, "batch"),
    (30, 4, 0.05, 4, 7, "mini-batch"),
    (9, 3, 0.02, 3, 1, "stochastic"),
]


@pytest.mark.exercise("regression.train_linear_regression")
class TestTrainLinearRegression:
    @pytest.mark.ordinary
    @pytest.mark.points(3)
    @pytest.mark.parametrize("n,d,lr,epochs,size", [pytest.param(*r[:5], id=r[5]) for r in RUNS])
    def test_replayed_from_your_batches(self, n, d, lr, epochs, size, check, inputs):
        X, y, _, _ = _problem(inputs, n, d)
        g = _gen(inputs.seed, inputs.device)
        batches = [list(check.impl.regression.minibatches(n, size, g)) for _ in range(epochs)]
        if not valid_epochs(batches, n, size):  # never the evidence: the docstring's draw
            g = _gen(inputs.seed, inputs.device)
            batches = [drawn_batches(n, size, g) for _ in range(epochs)]
        expected = _replay(X, y, lr, batches)
        check.matches(
            lambda m: _trained(m, X, y, lr, epochs, size, inputs.seed),
            f"train_linear_regression (N={n}, D={d}, lr={lr}, {epochs} epochs, "
            f"batch_size={size}): (w, b, losses)",
            expected=expected,
            rtol=1e-9,
            atol=1e-12,
            check="replay",
            hint="per batch: r = X[idx] @ w + b - y[idx], log mean(r^2), then "
            "w -= lr * 2/B * X[idx].T @ r and b -= lr * 2/B * sum(r), with B "
            "the size of this batch; one call of minibatches per epoch",
            generic=lambda got: training_diagnoses.short_batch(
                expected[2], got[2], [len(idx) for epoch in batches for idx in epoch]
            ),
        )

    @pytest.mark.ordinary
    @pytest.mark.points(2)
    def test_reaches_the_least_squares_solution(self, check, inputs):
        # Noiseless data: every batch's gradient vanishes at the solution, so constant-rate
        # mini-batch descent converges to it exactly, whatever the order of the batches.
        X, _, w_true, b_true = _problem(inputs, 48, 3)
        y = X @ w_true + b_true
        check.matches(
            lambda m: _trained(m, X, y, 0.05, 150, 8, inputs.seed)[:2],
            "(w, b) after 150 epochs of batch_size 8 on noiseless data",
            expected=(w_true, torch.tensor(b_true, dtype=X.dtype, device=X.device)),
            rtol=1e-6,
            atol=1e-6,
            check="convergence",
            hint="each update moves against the batch's gradient: w -= lr * dw",
        )
        Xn, yn = _conditioned_problem(inputs, 40, noise=0.3)
        A = torch.cat([Xn, Xn.new_ones(40, 1)], dim=1)
        sol = torch.linalg.lstsq(A.cpu(), yn.cpu().unsqueeze(1)).solution.squeeze(1).to(Xn.device)
        check.matches(
            lambda m: _trained(m, Xn, yn, 0.2, 200, 40, inputs.seed)[:2],
            "(w, b) after 200 full-batch epochs on noisy data, against the "
            "least-squares fit with an intercept",
            expected=(sol[:3], sol[3]),
            rtol=1e-8,
            atol=1e-9,
            check="convergence",
            hint="full-batch descent with a small enough rate converges to the "
            "closed-form solution; check the factor 2 and the mean over the batch",
        )

    @pytest.mark.supporting()  # zeros and an empty list are also what code that never trains gives
    def test_zero_epochs(self, check, inputs):
        X, y, _, _ = _problem(inputs, 6, 2)
        check.matches(
            lambda m: _trained(m, X, y, 0.1, 0, 3, inputs.seed),
            "train_linear_regression with epochs=0",
            expected=(X.new_zeros(2), X.new_zeros(()), []),
            rtol=0,
            atol=0,
            check="edge case",
            hint="w and b start at zero; no epoch, no update",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting("test_replayed_from_your_batches")
    def test_types_and_arguments(self, check, inputs):
        X, y, _, _ = _problem(inputs, 11, 3)
        X32, y32 = X.float(), y.float()
        with check.unmodified(X32, y32, who="train_linear_regression"):
            w, b, losses = check.impl.regression.train_linear_regression(
                X32, y32, 0.05, 2, 4, _gen(inputs.seed, inputs.device)
            )
        check.like(
            (w, b),
            (X32.new_zeros(3), X32.new_zeros(())),
            "train_linear_regression (w, b) for float32 inputs",
        )
        check.matches(
            lambda m: [
                type(v).__name__
                for v in m.regression.train_linear_regression(
                    X32, y32, 0.05, 2, 4, _gen(inputs.seed, inputs.device)
                )[2]
            ],
            "the types of the losses (2 epochs of 3 batches)",
            expected=["float"] * 6,
            check="shape and type",
            hint="append float(loss) once per update, every batch of every epoch",
        )


# ----------------------------------------------------------------- linear_regression_closed_form
def _lstsq(X, y):
    rhs = y if y.dim() == 2 else y.unsqueeze(1)
    sol = torch.linalg.lstsq(X.cpu().double(), rhs.cpu().double(), driver="gelsd").solution
    return (sol if y.dim() == 2 else sol.squeeze(1)).to(device=X.device, dtype=X.dtype)


def _conditioned(inputs, n, d, cond, scale=10.0):
    """A random (n, d) matrix with singular values from scale down to scale / cond."""
    u, _ = torch.linalg.qr(inputs.randn(n, d).cpu())
    v, _ = torch.linalg.qr(inputs.randn(d, d).cpu())
    s = torch.logspace(0, -math.log10(cond), d, dtype=torch.float64) * scale
    return ((u * s) @ v.T).to(inputs.device)


def _normal_residual(X, y, w):
    """||X^T (X w - y)|| / (||X||_2^2 ||w|| + ||X^T y||): 0 at the exact least-squares w."""
    X, y, w = X.cpu(), y.cpu(), torch.as_tensor(w).cpu().double()
    grad = X.T @ (X @ w - y)
    return float(grad.norm() / (torch.linalg.matrix_norm(X, 2) ** 2 * w.norm() + (X.T @ y).norm()))


@pytest.mark.exercise("regression.linear_regression_closed_form")
class TestClosedForm:
    @pytest.mark.ordinary
    @pytest.mark.points(3)
    def test_matches_least_squares(self, check, inputs):
        X1 = inputs.randn(30, 4)
        X2 = inputs.randn(50, 1, scale=0.2)
        X3 = inputs.randn(12, 12)
        X4 = torch.cat([inputs.randn(40, 3, scale=0.1), X1.new_ones(40, 1)], dim=1)
        X5 = inputs.randn(25, 3)
        cases = [
            (X1, inputs.randn(30)),
            (X2, inputs.randn(50)),
            (X3, inputs.randn(12)),
            (X4, X4[:, :3] @ inputs.randn(3) - 1.5 + 0.1 * inputs.randn(40)),
            (X5, inputs.randn(25, 2)),
        ]
        check.matches(
            lambda m: [m.regression.linear_regression_closed_form(X, y) for X, y in cases],
            "linear_regression_closed_form on five well-conditioned problems (one "
            "square, one with a column of ones, one with two targets)",
            expected=[_lstsq(X, y) for X, y in cases],
            rtol=1e-8,
            atol=1e-10,
            hint="solve (X^T X) w = X^T y as it stands: no added bias column, no "
            "term added to X^T X, and w shaped (D,) for y of shape (N,)",
        )

    # Collinear or polynomial features, which a course fits every day, make X^T X this badly
    # conditioned: a check of everyday inputs.
    @pytest.mark.ordinary
    @pytest.mark.points(3)
    def test_ill_conditioned(self, check, inputs):
        cond = 1e7
        for _ in range(4):
            X = _conditioned(inputs, 40, 5, cond)
            y = X @ inputs.randn(5) + 0.1 * inputs.randn(40)
            with check.unmodified(X, y, who="linear_regression_closed_form"):
                w = check.impl.regression.linear_regression_closed_form(X, y)
            check.like(w, y.new_zeros(5), "linear_regression_closed_form result")
            rel = _normal_residual(X, y, w)
            check.that(
                rel <= 1e-12,
                f"on an X of condition number {cond:.0e} the gradient X^T (X w - y) at "
                f"your w is {rel:.2e} relative to ||X||^2 ||w|| + ||X^T y|| (at most "
                "1e-12: the normal equations must hold to rounding)",
                check="stability",
                hint="factorize instead of inverting: torch.linalg.cholesky of X^T X and "
                "torch.cholesky_solve, torch.linalg.solve, or a QR of X; never "
                "multiply by an inverse, and add nothing to X^T X",
                recipe=lambda m, X=X, y=y: m.regression.linear_regression_closed_form(X, y),
                got=w,
                generic=lambda rel=rel: ill_conditioned(rel, 1e-12, cond),
            )

    def test_one_column_of_targets(self, check, inputs):
        # y of shape (N, 1) is one target given as a matrix: w keeps the matrix shape (D, 1)
        X, y = inputs.randn(20, 3), inputs.randn(20, 1)
        check.matches(
            lambda m: m.regression.linear_regression_closed_form(X, y),
            "linear_regression_closed_form with y of shape (20, 1)",
            expected=_lstsq(X, y),
            rtol=1e-8,
            atol=1e-10,
            hint="w has shape (D, K) for y of shape (N, K), K = 1 included: squeeze "
            "only the column you added to a 1-D y",
        )

    @pytest.mark.ordinary
    def test_float32(self, check, inputs):
        # small entries, so X^T X is small too: a "stabilizing" 1e-6 * I moves the solution
        # along each direction by 1e-6 / s^2 of its part there (s: FLOAT32_X, the singular
        # values; 1e-4 at the least), and y has a part of at least 0.5 along each direction.
        # Drawn X and y left the slowest direction short of that on some draws. X is well
        # conditioned, so a factorization's own float32 rounding stays far below 1e-5.
        X, u, _ = _with_spectrum(inputs, 8, FLOAT32_X)
        rest = inputs.randn(8)
        y = u @ inputs.signed(len(FLOAT32_X), 0.5, 1.5) + rest - u @ (u.T @ rest)
        X, y = X.float(), y.float()
        check.matches(
            lambda m: m.regression.linear_regression_closed_form(X, y),
            "linear_regression_closed_form for float32 inputs",
            expected=_lstsq(X.double(), y.double()).float(),
            rtol=1e-5,
            atol=1e-5,
            hint="keep X's dtype: work in float32 and return float32",
        )

    @pytest.mark.supporting()  # a function that always raises passes it
    @pytest.mark.parametrize("case", ["fewer-examples", "y-rows", "x-1d", "y-3d"])
    def test_rejects_bad_shapes(self, case, check, inputs):
        X, y = inputs.randn(6, 3), inputs.randn(6)
        X, y = {
            "fewer-examples": (inputs.randn(3, 5), inputs.randn(3)),
            "y-rows": (X, inputs.randn(5)),
            "x-1d": (inputs.randn(6), y),
            "y-3d": (X, inputs.randn(6, 2, 2)),
        }[case]
        check.matches(
            lambda m: _outcome(m.regression.linear_regression_closed_form, X, y),
            f"linear_regression_closed_form with X {tuple(X.shape)} and y {tuple(y.shape)}",
            expected="raised ValueError",
            check="errors",
            hint="check the shapes, and N >= D, before solving; raise ValueError naming them",
        )
