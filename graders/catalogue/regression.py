"""Catalogued variants of regression.py: mini-batches, the training loop and the closed form.

The bugs are the slips of a first data loader (no shuffle, a lost or kept last batch, sampling
with replacement, a shuffle of the batch order only, the swap-with-any-place shuffle, the global
or a private generator, a generator function), of a first regression loop (the factor 2, a sum
for a mean, the wrong batch size, the loss logged after the step, one shuffle for every epoch, a
bias never trained or started as a float, losses kept as tensors) and of the normal equations (an
explicit inverse, a ridge term "for stability", an intercept column added unasked, a column
vector returned, float64 handed back for float32).
"""

import numpy as np
import torch

from descent.catalogue import alternative, bug

_BAD_SIZES = "need n >= 0 and batch_size >= 1"


def _check(n, batch_size):
    if n < 0 or batch_size < 1:
        raise ValueError(_BAD_SIZES)


def _cut(order, batch_size, drop_last):
    n = order.numel()
    stop = n - n % batch_size if drop_last else n
    return [order[i : i + batch_size] for i in range(0, stop, batch_size)]


# -------------------------------------------------------------------------------- minibatches
def _ordered_by(draw):
    """minibatches whose order of the examples is ``draw(n, generator)``, cut as the reference
    cuts: the bugs of the draw itself."""

    def minibatches(n, batch_size, generator, drop_last=False):
        _check(n, batch_size)
        return _cut(draw(n, generator), batch_size, drop_last)

    return minibatches


def _swap_with_any(n, generator):
    order = list(range(n))
    for i in range(n):
        j = int(torch.randint(0, n, (1,), generator=generator, device=generator.device))
        order[i], order[j] = order[j], order[i]
    return torch.tensor(order, dtype=torch.int64, device=generator.device)


def _rotated(n, generator):
    shift = int(torch.randint(0, max(n, 1), (1,), generator=generator, device=generator.device))
    return torch.roll(torch.arange(n, device=generator.device), shift)


def _own_generator(n, generator):
    own = torch.Generator(device=generator.device).manual_seed(0)
    return torch.randperm(n, generator=own, device=generator.device)


for _id, _title, _hint, _draw, _classic in [
    (
        "mb_no_shuffle",
        "cuts 0 .. n-1 in order, without shuffling",
        "Draw a random permutation first: torch.randperm(n, generator=generator, "
        "device=generator.device).",
        lambda n, g: torch.arange(n, device=g.device),
        True,
    ),
    (
        "mb_with_replacement",
        "draws n indices with replacement (torch.randint), so some examples "
        "repeat and others are never seen",
        "An epoch is a permutation: every index exactly once. Use torch.randperm, not "
        "torch.randint.",
        lambda n, g: torch.randint(0, max(n, 1), (n,), generator=g, device=g.device),
        False,
    ),
    (
        "mb_swap_with_any",
        "shuffles by swapping each place with a place drawn from all n (not from "
        "the places not yet fixed), which favours some orders",
        "Fisher-Yates swaps place i with a place drawn from i .. n-1; simpler: "
        "torch.randperm(n, generator=generator).",
        _swap_with_any,
        False,
    ),
    (
        "mb_rotation",
        "shuffles by rotating 0 .. n-1 by one random offset, so every example "
        "visits every position but only n of the n! orders occur and neighbours always share a "
        "batch",
        "A rotation is one draw, not a shuffle: draw a whole uniform permutation, "
        "torch.randperm(n, generator=generator, device=generator.device).",
        _rotated,
        False,
    ),
    (
        "mb_global_rng",
        "shuffles with torch's global random state, ignoring the generator",
        "Pass the generator to every draw: torch.randperm(n, generator=generator, ...); the same "
        "seed must give the same epoch.",
        lambda n, g: torch.randperm(n).to(g.device),
        False,
    ),
    (
        "mb_fixed_seed",
        "shuffles with a generator of its own seeded 0, so every epoch has the same order",
        "Use the generator passed in: it moves on after each call, so each epoch gets a new order.",
        _own_generator,
        False,
    ),
]:
    bug(
        _id,
        "regression.minibatches",
        _title,
        hint=_hint,
        classic=_classic,
        generic="random"
        if _id in ("mb_no_shuffle", "mb_global_rng", "mb_fixed_seed")
        else "distribution"
        if _id in ("mb_with_replacement", "mb_swap_with_any", "mb_rotation")
        else (),
        wrong_on="ordinary",  # every one draws badly on every call
    ).replaces(_ordered_by(_draw))


mb_loses_last = bug(
    "mb_loses_last",
    "regression.minibatches",
    "loops over range(0, n - batch_size + 1, batch_size), losing the short last "
    "batch even with drop_last=False",
    hint="Without drop_last the n % batch_size left-over indices form one more, "
    "shorter batch: loop over range(0, n, batch_size).",
    classic=True,
    wrong_on="ordinary",
)


@mb_loses_last.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    _check(n, batch_size)
    order = torch.randperm(n, generator=generator, device=generator.device)
    return [order[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


mb_ignores_drop_last = bug(
    "mb_ignores_drop_last",
    "regression.minibatches",
    "keeps the short last batch even with drop_last=True",
    hint="drop_last=True leaves out a last batch shorter than batch_size.",
    generic=("step", "argument"),
    wrong_on="edge",
)


@mb_ignores_drop_last.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    _check(n, batch_size)
    return _cut(torch.randperm(n, generator=generator, device=generator.device), batch_size, False)


mb_shuffles_batch_order = bug(
    "mb_shuffles_batch_order",
    "regression.minibatches",
    "shuffles the order of fixed batches (0..B-1, B..2B-1, ...) instead "
    "of the examples, so the same examples always share a batch",
    hint="Shuffle the examples, then cut: the batches themselves must change from epoch to epoch.",
    generic=("order", "distribution"),
    wrong_on="ordinary",
)


@mb_shuffles_batch_order.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    _check(n, batch_size)
    fixed = _cut(torch.arange(n, device=generator.device), batch_size, drop_last)
    picks = torch.randperm(len(fixed), generator=generator, device=generator.device)
    return [fixed[int(i)] for i in picks]


mb_no_validation = bug(
    "mb_no_validation",
    "regression.minibatches",
    "accepts n < 0 or batch_size < 1 (a negative step gives no batches)",
    hint="Refuse impossible sizes with ValueError before drawing anything.",
    generic="validation",
    wrong_on="edge",
)


@mb_no_validation.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    order = torch.randperm(max(n, 0), generator=generator, device=generator.device)
    return _cut(order, batch_size, drop_last) if batch_size > 0 else []


mb_yields = bug(
    "mb_yields",
    "regression.minibatches",
    "is a generator function (yield), which draws nothing until it is iterated",
    hint="Return a list: draw the whole order when called, so the generator has "
    "moved on when the function returns.",
    generic="validation",
    wrong_on="ordinary",
)


@mb_yields.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    _check(n, batch_size)
    yield from _cut(
        torch.randperm(n, generator=generator, device=generator.device), batch_size, drop_last
    )


mb_argsort = alternative(
    "mb_argsort",
    "regression.minibatches",
    "orders the examples by the argsort of uniform draws and splits with torch.split",
)


@mb_argsort.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    if n < 0 or batch_size < 1:
        raise ValueError(f"bad sizes: n={n}, batch_size={batch_size}")
    keys = torch.rand(n, generator=generator, device=generator.device, dtype=torch.float64)
    # torch.split of an empty tensor gives one empty piece, not none
    pieces = list(torch.split(torch.argsort(keys), batch_size)) if n else []
    if drop_last and pieces and len(pieces[-1]) < batch_size:
        pieces.pop()
    return pieces


mb_fisher_yates = alternative(
    "mb_fisher_yates",
    "regression.minibatches",
    "a Fisher-Yates shuffle with one torch.randint draw per place",
)


@mb_fisher_yates.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    if n < 0 or batch_size < 1:
        raise ValueError("n must be >= 0 and batch_size >= 1")
    order = list(range(n))
    for i in range(n - 1):
        j = int(torch.randint(i, n, (1,), generator=generator, device=generator.device))
        order[i], order[j] = order[j], order[i]
    idx = torch.tensor(order, dtype=torch.int64, device=generator.device)
    batches = []
    for start in range(0, n, batch_size):
        if drop_last and start + batch_size > n:
            break
        batches.append(idx[start : start + batch_size])
    return batches


# -------------------------------------------------------------------- train_linear_regression
def _epoch(n, batch_size, generator):
    """The reference's draws: the bugs below differ from it only where their titles say."""
    return _cut(torch.randperm(n, generator=generator, device=generator.device), batch_size, False)


def _loop(update, *, draw_once=False, log_after=False):
    """A training loop with ``update(xb, r, w, b, lr, batch_size) -> (w, b)``; ``draw_once``
    shuffles once for all epochs, ``log_after`` logs the batch loss after the step."""

    def train_linear_regression(X, y, lr, epochs, batch_size, generator):
        n, d = X.shape
        w, b, losses = X.new_zeros(d), X.new_zeros(()), []
        order = _epoch(n, batch_size, generator) if draw_once and epochs else None
        for _ in range(epochs):
            for idx in order or _epoch(n, batch_size, generator):
                xb, yb = X[idx], y[idx]
                r = xb @ w + b - yb
                new_w, new_b = update(xb, r, w, b, lr, batch_size)
                if log_after:
                    r = xb @ new_w + new_b - yb
                losses.append(float((r * r).mean()))
                w, b = new_w, new_b
        return w, b, losses

    return train_linear_regression


def _step(xb, r, w, b, lr, batch_size):
    scale = 2.0 / len(r)
    return w - lr * scale * (xb.T @ r), b - lr * scale * r.sum()


def _no_two(xb, r, w, b, lr, batch_size):
    return w - lr * (xb.T @ r) / len(r), b - lr * r.mean()


def _summed(xb, r, w, b, lr, batch_size):
    return w - lr * 2 * (xb.T @ r), b - lr * 2 * r.sum()


def _by_batch_size(xb, r, w, b, lr, batch_size):
    scale = 2.0 / batch_size
    return w - lr * scale * (xb.T @ r), b - lr * scale * r.sum()


def _bias_frozen(xb, r, w, b, lr, batch_size):
    return w - lr * (2.0 / len(r)) * (xb.T @ r), b


def _loss_tensors(train):
    """``train`` logging each loss as the 0-dim tensor it computed, not as a float."""

    def train_linear_regression(X, y, lr, epochs, batch_size, generator):
        w, b, losses = train(X, y, lr, epochs, batch_size, generator)
        return w, b, [X.new_tensor(v) for v in losses]

    return train_linear_regression


def _bias_float(train):
    """``train`` starting from ``b = 0.0``: the bias is a tensor only after the first update."""

    def train_linear_regression(X, y, lr, epochs, batch_size, generator):
        w, b, losses = train(X, y, lr, epochs, batch_size, generator)
        return w, (b if losses else 0.0), losses

    return train_linear_regression


# The generic diagnoses that describe a bug of the table below (descent.diagnoses.order.KINDS).
_GENERIC: dict[str, str | tuple[str, ...]] = {
    "train_loss_after_step": "step",
    "train_no_factor_two": "factor",
    "train_grad_summed": "sum-mean",
    "train_bias_frozen": ("zero", "frozen"),  # b is never updated: it stays at its zero start
    "train_one_shuffle": "random",
    "train_divides_by_batch_size": "edge",
}

for _id, _title, _hint, _fn, _options, _classic in [
    (
        "train_no_factor_two",
        "drops the 2 of the derivative of r^2 (dw = X^T r / B)",
        "d/dw mean(r^2) = (2 / B) X^T r: keep the factor 2 in both gradients.",
        _no_two,
        {},
        True,
    ),
    (
        "train_grad_summed",
        "sums the batch gradient instead of averaging it (no division by B)",
        "The loss is a mean over the batch, so its gradient is divided by the batch size B.",
        _summed,
        {},
        True,
    ),
    (
        "train_divides_by_batch_size",
        "divides by batch_size even for a shorter last batch",
        "Average over the batch you have: B = len(idx), which is smaller for the last batch when "
        "batch_size does not divide N.",
        _by_batch_size,
        {},
        False,
    ),
    (
        "train_loss_after_step",
        "logs each batch's loss after the update instead of before it",
        "Log mean(r^2) with the parameters the gradient was computed at, then update.",
        _step,
        {"log_after": True},
        True,
    ),
    (
        "train_one_shuffle",
        "shuffles once before training and reuses that order every epoch",
        "Call minibatches(N, batch_size, generator) at the start of every epoch: each epoch gets "
        "its own order.",
        _step,
        {"draw_once": True},
        False,
    ),
    (
        "train_bias_frozen",
        "never updates the bias (b stays 0)",
        "The bias has its own gradient, (2 / B) * sum(r): update b as well as w.",
        _bias_frozen,
        {},
        False,
    ),
]:
    bug(
        _id,
        "regression.train_linear_regression",
        _title,
        hint=_hint,
        classic=_classic,
        generic=_GENERIC.get(_id, ()),
        wrong_on="ordinary",  # every one trains wrongly from the first epoch
    ).replaces(_loop(_fn, **_options))

bug(
    "train_loss_tensors",
    "regression.train_linear_regression",
    "logs the losses as 0-dim tensors instead of Python floats",
    hint="Append float(loss) (or loss.item()): losses is a list of Python floats.",
    generic="structure",
    wrong_on="ordinary",
).replaces(_loss_tensors(_loop(_step)))
bug(
    "train_bias_python_float",
    "regression.train_linear_regression",
    "starts from b = 0.0, a Python float, so with no update b is not a tensor",
    hint="Start from b = X.new_zeros(()): a 0-dim tensor with X's dtype and device.",
    generic="structure",
    wrong_on="edge",
).replaces(_bias_float(_loop(_step)))


train_augmented = alternative(
    "train_augmented",
    "regression.train_linear_regression",
    "one parameter vector (w, b) against X with a column of ones",
)


@train_augmented.replaces
def train_linear_regression(X, y, lr, epochs, batch_size, generator):
    A = torch.cat([X, X.new_ones(X.shape[0], 1)], dim=1)
    theta, losses = X.new_zeros(A.shape[1]), []
    for _ in range(epochs):
        for idx in _epoch(X.shape[0], batch_size, generator):
            residual = A[idx] @ theta - y[idx]
            losses.append((residual @ residual / len(idx)).item())
            theta = theta - lr * 2 * (A[idx].T @ residual) / len(idx)
    return theta[:-1].clone(), theta[-1].clone(), losses


# --------------------------------------------------------------- linear_regression_closed_form
def _shapes(X, y):
    if X.dim() != 2 or y.dim() not in (1, 2) or y.shape[0] != X.shape[0] or X.shape[0] < X.shape[1]:
        raise ValueError("need X (N, D) with N >= D and y (N,) or (N, K)")


def _normal(X, y, solve):
    """``solve(A, c)`` on the normal equations, ``c`` as a matrix, the result shaped like y's."""
    rhs = X.T @ (y if y.dim() == 2 else y.unsqueeze(1))
    w = solve(X.T @ X, rhs)
    return w if y.dim() == 2 else w.squeeze(1)


cf_explicit_inverse = bug(
    "cf_explicit_inverse",
    "regression.linear_regression_closed_form",
    "multiplies by the explicit inverse, inv(X^T X) @ X^T y",
    hint="An inverse loses accuracy when X is ill-conditioned: solve the "
    "system with a factorization (Cholesky, torch.linalg.solve, QR).",
    classic=True,
    generic="stability",
    wrong_on="ordinary",
)


@cf_explicit_inverse.replaces
def linear_regression_closed_form(X, y):
    _shapes(X, y)
    return _normal(X, y, lambda A, c: torch.linalg.inv(A) @ c)


cf_ridge_jitter = bug(
    "cf_ridge_jitter",
    "regression.linear_regression_closed_form",
    'adds 1e-6 * I to X^T X "for stability" (ridge regression, another answer)',
    hint="A term added to X^T X moves the minimizer; solve the normal equations "
    "as they are and let the factorization provide the stability.",
    generic="stability",
    wrong_on="ordinary",
)


@cf_ridge_jitter.replaces
def linear_regression_closed_form(X, y):
    _shapes(X, y)
    eye = torch.eye(X.shape[1], dtype=X.dtype, device=X.device)
    return _normal(X, y, lambda A, c: torch.linalg.solve(A + 1e-6 * eye, c))


cf_adds_bias = bug(
    "cf_adds_bias",
    "regression.linear_regression_closed_form",
    "appends a column of ones itself and returns D + 1 weights",
    hint="No bias is added: the caller appends a column of ones when an intercept "
    "is wanted. Return exactly D weights.",
    generic="structure",
    wrong_on="ordinary",
)


@cf_adds_bias.replaces
def linear_regression_closed_form(X, y):
    _shapes(X, y)
    A = torch.cat([X, X.new_ones(X.shape[0], 1)], dim=1)
    return _normal(A, y, torch.linalg.solve)


cf_column_vector = bug(
    "cf_column_vector",
    "regression.linear_regression_closed_form",
    "returns a (D, 1) column for a 1-D y",
    hint="For y of shape (N,) return w of shape (D,): squeeze the solved column.",
    wrong_on="ordinary",
)


@cf_column_vector.replaces
def linear_regression_closed_form(X, y):
    _shapes(X, y)
    rhs = X.T @ (y if y.dim() == 2 else y.unsqueeze(1))
    return torch.linalg.solve(X.T @ X, rhs)


cf_squeezes_last = bug(
    "cf_squeezes_last",
    "regression.linear_regression_closed_form",
    "solves for y as a matrix and squeezes the last axis whatever y's shape, "
    "so y of shape (N, 1) gives (D,) instead of (D, 1)",
    hint="Return (D, K) for y of shape (N, K), K = 1 included; squeeze only when y itself was 1-D.",
    generic="layout",
    wrong_on="edge",
)


@cf_squeezes_last.replaces
def linear_regression_closed_form(X, y):
    _shapes(X, y)
    rhs = X.T @ y.reshape(len(y), -1)
    return torch.linalg.solve(X.T @ X, rhs).squeeze(-1)


cf_no_validation = bug(
    "cf_no_validation",
    "regression.linear_regression_closed_form",
    "checks no shapes, so fewer examples than features fail deep inside a "
    "factorization (or not at all)",
    hint="Check X is (N, D) with N >= D and y has N rows first; raise "
    "ValueError naming the shapes.",
    generic="validation",
    wrong_on="edge",
)


@cf_no_validation.replaces
def linear_regression_closed_form(X, y):
    return _normal(X, y, lambda A, c: torch.cholesky_solve(c, torch.linalg.cholesky(A)))


cf_returns_float64 = bug(
    "cf_returns_float64",
    "regression.linear_regression_closed_form",
    "solves in float64 for accuracy and returns float64 for float32 inputs",
    hint="Keep X's dtype: cast the result back (or work in X's dtype).",
    generic="dtype",
    wrong_on="ordinary",
)


@cf_returns_float64.replaces
def linear_regression_closed_form(X, y):
    _shapes(X, y)
    return _normal(X.double(), y.double(), torch.linalg.solve)


cf_qr = alternative(
    "cf_qr",
    "regression.linear_regression_closed_form",
    "a QR factorization of X (never forms X^T X)",
)


@cf_qr.replaces
def linear_regression_closed_form(X, y):
    if X.ndim != 2 or y.ndim not in (1, 2) or len(y) != len(X) or len(X) < X.shape[1]:
        raise ValueError(f"bad shapes {tuple(X.shape)}, {tuple(y.shape)}")
    q, r = torch.linalg.qr(X)
    rhs = q.T @ y.reshape(len(y), -1)
    w = torch.linalg.solve_triangular(r, rhs, upper=True)
    return w.reshape(X.shape[1], *y.shape[1:])


cf_solve = alternative(
    "cf_solve",
    "regression.linear_regression_closed_form",
    "torch.linalg.solve on the normal equations (an LU factorization)",
)


@cf_solve.replaces
def linear_regression_closed_form(X, y):
    _shapes(X, y)
    return torch.linalg.solve(X.T @ X, X.T @ y)


# ============================================================ alternatives in other styles
# Object style: a model object with forward, backward and step methods, trained by a loop that
# the contract function wraps.
class LinearModel:
    def __init__(self, d, like):
        self.w, self.b = like.new_zeros(d), like.new_zeros(())

    def forward(self, xb):
        self.xb = xb
        return xb @ self.w + self.b

    def backward(self, dpred):
        self.dw, self.db = self.xb.T @ dpred, dpred.sum()

    def step(self, lr):
        self.w, self.b = self.w - lr * self.dw, self.b - lr * self.db


train_model_object = alternative(
    "train_model_object",
    "regression.train_linear_regression",
    "a LinearModel object with forward, backward and step methods",
)


@train_model_object.replaces
def train_linear_regression(X, y, lr, epochs, batch_size, generator):
    n, d = X.shape
    model, losses = LinearModel(d, X), []
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator, device=generator.device)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            r = model.forward(X[idx]) - y[idx]
            losses.append(float((r * r).mean()))
            model.backward(2.0 * r / len(idx))
            model.step(lr)
    return model.w, model.b, losses


# NumPy bridged to tensors: the normal equations solved through NumPy's Cholesky factor.
closed_form_numpy = alternative(
    "closed_form_numpy",
    "regression.linear_regression_closed_form",
    "solves the normal equations with np.linalg.cholesky and two "
    "triangular solves, and converts back",
)


@closed_form_numpy.replaces
def linear_regression_closed_form(X, y):
    _shapes(X, y)
    Xn, yn = X.detach().cpu().numpy(), y.detach().cpu().numpy()
    L = np.linalg.cholesky(Xn.T @ Xn)
    rhs = Xn.T @ (yn if yn.ndim == 2 else yn[:, None])
    w = np.linalg.solve(L.T, np.linalg.solve(L, rhs))
    w = w if yn.ndim == 2 else w[:, 0]
    return torch.from_numpy(np.ascontiguousarray(w)).to(dtype=X.dtype, device=X.device)


# Object style: a sampler object that holds the sizes and draws one epoch's batches.
class EpochSampler:
    def __init__(self, n, batch_size, drop_last):
        if n < 0 or batch_size < 1:
            raise ValueError(f"need n >= 0 and batch_size >= 1, got {n}, {batch_size}")
        self.n, self.batch_size, self.drop_last = n, batch_size, drop_last

    def epoch(self, generator):
        order = torch.randperm(self.n, generator=generator, device=generator.device)
        batches = []
        for start in range(0, self.n, self.batch_size):
            piece = order[start : start + self.batch_size]
            if len(piece) == self.batch_size or not self.drop_last:
                batches.append(piece)
        return batches


minibatches_sampler_object = alternative(
    "minibatches_sampler_object",
    "regression.minibatches",
    "an EpochSampler object whose epoch method draws and cuts the order",
)


@minibatches_sampler_object.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    return EpochSampler(n, batch_size, drop_last).epoch(generator)


# NumPy bridged: uniform keys drawn from the generator, ordered by np.argsort, cut with
# np.split, and handed back as int64 tensors on the generator's device.
minibatches_numpy = alternative(
    "minibatches_numpy",
    "regression.minibatches",
    "orders torch.rand keys with np.argsort and cuts with np.split",
)


@minibatches_numpy.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    if n < 0 or batch_size < 1:
        raise ValueError("need n >= 0 and batch_size >= 1")
    keys = torch.rand(n, generator=generator, device=generator.device, dtype=torch.float64)
    order = np.argsort(keys.cpu().numpy(), kind="stable").astype(np.int64)
    stop = n - n % batch_size if drop_last else n
    pieces = np.split(order[:stop], range(batch_size, stop, batch_size)) if stop else []
    return [torch.from_numpy(p.copy()).to(generator.device) for p in pieces]
