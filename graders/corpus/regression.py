"""Student-style bugs of regression.py: batching loops, training loops and closed forms as
learners write them, each with one genuine mistake (see ``descent.catalogue.student``).
"""

import numpy as np
import torch

from descent.catalogue import student

minibatches_global_shuffle = student(
    "minibatches_global_shuffle",
    "regression.minibatches",
    "shuffles with torch.randperm(n) from the global random state, ignoring the generator",
    generic="random",
    wrong_on="ordinary",
)


@minibatches_global_shuffle.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    if n < 0 or batch_size < 1:
        raise ValueError("n must be >= 0 and batch_size >= 1")
    perm = torch.randperm(n).to(generator.device)
    batches = []
    for start in range(0, n, batch_size):
        batch = perm[start : start + batch_size]
        if drop_last and len(batch) < batch_size:
            break
        batches.append(batch)
    return batches


minibatches_last_batch_filled_from_the_end = student(
    "minibatches_last_batch_filled_from_the_end",
    "regression.minibatches",
    "fills a short last batch up to batch_size with the last indices of the shuffled order "
    "(order[n - batch_size:]), so it repeats indices of the batch before it",
    generic=("edge", "distribution"),
    wrong_on="ordinary",
)


@minibatches_last_batch_filled_from_the_end.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    if n < 0 or batch_size < 1:
        raise ValueError("n must be >= 0 and batch_size >= 1")
    shuffled = torch.randperm(n, generator=generator, device=generator.device)
    out = []
    start = 0
    while start < n:
        stop = start + batch_size
        if stop > n:  # a short batch: keep every batch full by taking the last batch_size
            if drop_last:
                break
            out.append(shuffled[max(n - batch_size, 0) :])
        else:
            out.append(shuffled[start:stop])
        start = stop
    return out


minibatches_always_drops_remainder = student(
    "minibatches_always_drops_remainder",
    "regression.minibatches",
    "stops the loop at n - batch_size + 1, so the short last batch is lost even with "
    "drop_last=False",
    generic=("edge", "step", "argument"),
    wrong_on="ordinary",
)


@minibatches_always_drops_remainder.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    if n < 0 or batch_size < 1:
        raise ValueError("n must be >= 0 and batch_size >= 1")
    idx = torch.randperm(n, generator=generator, device=generator.device)
    if batch_size >= n:
        return [] if drop_last and batch_size > n else ([idx] if n else [])
    return [idx[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


def _minibatches(n, batch_size, generator):
    order = torch.randperm(n, generator=generator, device=generator.device)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


train_lr_divides_by_batch_size = student(
    "train_lr_divides_by_batch_size",
    "regression.train_linear_regression",
    "averages every batch's gradient over batch_size, the short last batch included, instead "
    "of over that batch's own length",
    generic="edge",
    wrong_on="ordinary",
)


@train_lr_divides_by_batch_size.replaces
def train_linear_regression(X, y, lr, epochs, batch_size, generator):
    n, d = X.shape
    w = torch.zeros(d, dtype=X.dtype, device=X.device)
    b = torch.zeros((), dtype=X.dtype, device=X.device)
    losses = []
    for _ in range(epochs):
        for idx in _minibatches(n, batch_size, generator):
            xb, yb = X[idx], y[idx]
            err = xb @ w + b - yb
            losses.append(float((err**2).mean()))
            w = w - lr * (2 / batch_size) * (xb.T @ err)
            b = b - lr * (2 / batch_size) * err.sum()
    return w, b, losses


closed_form_numpy_inverse = student(
    "closed_form_numpy_inverse",
    "regression.linear_regression_closed_form",
    "solves the normal equations with an explicit inverse, np.linalg.inv(X^T X) @ X^T y, which "
    "loses digits on an ill-conditioned X",
    generic="stability",
    wrong_on="ordinary",
)


@closed_form_numpy_inverse.replaces
def linear_regression_closed_form(X, y):
    if X.dim() != 2 or y.dim() not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError("X must be (N, D) and y (N,) or (N, K)")
    if X.shape[0] < X.shape[1]:
        raise ValueError("need N >= D")
    A = X.detach().cpu().numpy()
    b = y.detach().cpu().numpy()
    w = np.linalg.inv(A.T @ A) @ A.T @ b
    return torch.from_numpy(np.ascontiguousarray(w)).to(dtype=X.dtype, device=X.device)
