"""Linear regression two ways: mini-batch gradient descent, and the closed form.

The model is ``pred = X @ w + b``: ``X`` is ``(N, D)`` (N examples of D features), ``w`` is
``(D,)`` and ``b`` a number. The loss is the mean squared error over the examples used.

Batch, mini-batch and stochastic gradient descent are one loop with three batch sizes: the
whole data set per update (``batch_size = N``), one example per update (``batch_size = 1``),
or anything between. ``minibatches`` draws the order of one epoch; ``train_linear_regression``
runs the loop; ``linear_regression_closed_form`` solves the same problem without iterating.

Conventions for every function in this file:

* Randomness comes only from the ``torch.Generator`` passed in; the same generator state gives
  the same result. Shuffles are graded by their statistics, never by particular samples.
* Never modify an argument in place (``X``, ``y``); results keep ``X``'s dtype and device.
* Allowed: elementary tensor operations, ``torch.randperm``/``torch.rand`` with the generator,
  and the factorizations of ``torch.linalg`` (``cholesky``, ``qr``, ``solve``,
  ``solve_triangular``). Not allowed here: ``torch.utils.data`` (``DataLoader``, samplers),
  ``torch.nn``, ``torch.optim``, ``torch.autograd``, and for the closed form any ready-made
  inverse or least-squares solver (``torch.linalg.inv``, ``torch.inverse``, ``.inverse()``,
  ``torch.linalg.pinv``, ``torch.linalg.lstsq``, and NumPy's and SciPy's ``linalg.inv``,
  ``pinv`` and ``lstsq``). A tensor's ``.backward()`` or ``.inverse()`` is not allowed; a method
  of your own class with that name is fine.
"""

import torch


def minibatches(n, batch_size, generator, drop_last=False):
    """One epoch of shuffled mini-batches: the indices 0 .. n-1, in random order, cut in pieces.

        order   = a uniformly random permutation of 0 .. n-1, drawn from ``generator``
        batches = [order[0:B], order[B:2B], order[2B:3B], ...]        (B = batch_size)

    Every index lands in exactly one batch. All batches hold ``B`` indices except the last,
    which holds the ``n % B`` left over when ``B`` does not divide ``n``; with
    ``drop_last=True`` that short batch is left out (its examples are skipped this epoch), so
    every batch has exactly ``B`` indices. ``B >= n`` gives a single batch of all ``n`` indices
    (or none with ``drop_last=True`` and ``B > n``); ``n = 0`` gives no batches: the empty list
    ``[]`` (not one empty batch, which is what ``torch.split`` of an empty order gives).

    Draw the whole order when called (``torch.randperm(n, generator=generator, device=...)``, or
    the ``argsort`` of ``torch.rand`` values): the generator has moved on when the function
    returns, so the next call (the next epoch) gets a fresh order, while a generator seeded
    alike gives the same batches again. Return a list, not a generator function with
    ``yield``: such a function draws nothing until it is iterated.

    Args:
        n: the number of examples, an int >= 0.
        batch_size: an int >= 1.
        generator: a ``torch.Generator``; the indices live on its device.
        drop_last: leave out the last batch when it is shorter than ``batch_size``.
    Returns:
        A list of 1-D ``torch.int64`` tensors on ``generator.device``, in the order drawn.
    Raises:
        ValueError: if ``n < 0`` or ``batch_size < 1``.
    """
    # BEGIN SOLUTION
    if n < 0 or batch_size < 1:
        raise ValueError(f"need n >= 0 and batch_size >= 1, got n={n}, batch_size={batch_size}")
    order = torch.randperm(n, generator=generator, device=generator.device)
    stop = n - n % batch_size if drop_last else n
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]
    # END SOLUTION


def train_linear_regression(X, y, lr, epochs, batch_size, generator):
    """Fit ``y ~ X @ w + b`` by mini-batch gradient descent on the mean squared error.

    Start from ``w = 0`` (shape ``(D,)``) and ``b = 0`` (a 0-dim tensor), both with ``X``'s dtype
    and device. Then, for each of ``epochs`` epochs:

        for idx in minibatches(N, batch_size, generator):     # one call per epoch, drop_last=False
            r    = X[idx] @ w + b - y[idx]                    # residuals of this batch, (B,)
            loss = mean(r ** 2)                               # logged before the update
            dw   = (2 / B) * X[idx].T @ r                     # gradient of loss with respect to w
            db   = (2 / B) * sum(r)                           # gradient of loss with respect to b
            w, b = w - lr * dw,  b - lr * db

    ``B = len(idx)`` is the size of *this* batch: the last batch of an epoch may be shorter than
    ``batch_size`` and is averaged over its own examples. ``batch_size = N`` is batch gradient
    descent (one update per epoch), ``batch_size = 1`` stochastic gradient descent.

    Call your own ``minibatches(N, batch_size, generator)`` exactly once at the start of every
    epoch and draw nothing else from ``generator``: the graders replay your run from the batches
    your ``minibatches`` gives for the same generator state (so do ``minibatches`` first).

    Args:
        X: ``(N, D)`` float tensor.
        y: ``(N,)`` tensor of targets, same dtype and device as ``X``.
        lr: the learning rate, a positive number.
        epochs: the number of passes over the data, an int >= 0.
        batch_size: an int >= 1.
        generator: a ``torch.Generator`` on ``X``'s device.
    Returns:
        ``(w, b, losses)``: ``w`` of shape ``(D,)``, ``b`` a 0-dim tensor, and ``losses`` a list
        of Python floats, the batch loss of every update in order (``epochs * ceil(N /
        batch_size)`` of them). With ``epochs = 0`` nothing is trained: ``w`` is zeros of shape
        ``(D,)``, ``b`` a 0-dim zero tensor (both in X's dtype, never a Python 0) and ``losses``
        is ``[]``.
    """
    # BEGIN SOLUTION
    n, d = X.shape
    w, b = X.new_zeros(d), X.new_zeros(())
    losses = []
    for _ in range(epochs):
        for idx in minibatches(n, batch_size, generator):
            xb = X[idx]
            r = xb @ w + b - y[idx]
            losses.append(float((r * r).mean()))
            scale = 2.0 / len(idx)
            w = w - lr * scale * (xb.T @ r)
            b = b - lr * scale * r.sum()
    return w, b, losses
    # END SOLUTION


def linear_regression_closed_form(X, y):
    """Least-squares weights in one step: the ``w`` minimizing ``||X @ w - y||^2``.

    Setting the gradient ``2 X^T (X w - y)`` to zero gives the normal equations

        (X^T X) w = X^T y

    Solve them by factorizing, never by forming an inverse: ``X^T X`` is symmetric positive
    definite, so a Cholesky factorization (``torch.linalg.cholesky`` then
    ``torch.cholesky_solve``) or ``torch.linalg.solve`` works; a QR factorization of ``X``
    itself (``X = Q R``, then ``R w = Q^T y`` with ``torch.linalg.solve_triangular``) is more
    accurate still, because it never forms ``X^T X``, whose condition number is that of ``X``
    squared.

    No bias is added. To fit an intercept, append a column of ones to ``X`` (``torch.cat([X,
    X.new_ones(N, 1)], dim=1)``); the last entry of ``w`` is then the bias ``b``, the point that
    ``train_linear_regression`` approaches.

    What the graders expect (in float64): on well-conditioned data, ``w`` equals a least-squares
    solve to a relative 1e-8. On an ill-conditioned ``X`` (condition number up to 1e7, so
    ``X^T X`` reaches 1e14) ``w`` itself is only determined to about ``cond(X)^2 * 1e-16`` by
    the normal equations and is not compared; instead the gradient must vanish to rounding:

        ||X^T (X w - y)|| <= 1e-12 * (||X||_2^2 * ||w|| + ||X^T y||)

    Any of the factorizations above meets this; multiplying by an explicit inverse of ``X^T X``
    does not, and neither does adding a small multiple of the identity "for stability" (that
    solves a different problem, ridge regression). float32 inputs give a float32 result.

    Args:
        X: ``(N, D)`` float tensor with ``N >= D`` and linearly independent columns.
        y: ``(N,)`` targets, or ``(N, K)`` for K targets at once, same dtype and device as ``X``.
    Returns:
        ``w`` of shape ``(D,)`` for ``y`` of shape ``(N,)``, ``(D, K)`` for ``(N, K)`` (``(D, 1)``
        for ``(N, 1)``: a 2-D ``y`` keeps its second axis); ``X``'s dtype and device.
    Raises:
        ValueError: if ``X`` is not 2-D, ``y`` is not 1-D or 2-D with ``N`` rows, or ``N < D``
        (fewer examples than features: ``X^T X`` is singular and the minimizer not unique).
        With ``N >= D`` but dependent columns the result is unspecified (a factorization may
        raise ``torch.linalg.LinAlgError``).
    """
    # BEGIN SOLUTION
    if X.dim() != 2 or y.dim() not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError(f"need X of shape (N, D) and y of shape (N,) or (N, K), got "
                         f"{tuple(X.shape)} and {tuple(y.shape)}")
    if X.shape[0] < X.shape[1]:
        raise ValueError(f"need at least as many examples as features, got X of shape "
                         f"{tuple(X.shape)}")
    rhs = X.T @ (y if y.dim() == 2 else y.unsqueeze(1))
    chol = torch.linalg.cholesky(X.T @ X)
    w = torch.cholesky_solve(rhs, chol)
    return w if y.dim() == 2 else w.squeeze(1)
    # END SOLUTION
