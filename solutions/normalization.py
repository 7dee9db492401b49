"""Normalization layers as forward/backward pairs: batch norm, layer norm and RMS norm.

Conventions for every function in this file:

* ``*_forward`` returns the output first and the ``cache`` last; ``cache`` is anything your own
  backward needs (only your backward reads it). ``batchnorm_forward`` also returns the new running
  statistics in between.
* ``*_backward(dy, cache)`` receives the upstream gradient ``dy`` (the output's shape, not all
  ones) and returns the gradients in the order of the differentiable inputs, each with exactly its
  input's shape: ``dx`` like ``x`` and ``dgamma``/``dbeta`` of shape ``(D,)``, summed over every
  other dimension. (An autograd check would quietly sum an unreduced ``(N, D)`` gradient for you;
  the graders look at the raw shapes first.)
* Variances are **biased** (divide by the number of values, not that number minus one) whenever
  they are used to normalize. ``eps`` goes inside the square root: ``1 / sqrt(var + eps)``.
* Never modify an argument in place: batch norm returns new running-statistics tensors and leaves
  the ones it was given untouched. Results keep the input's dtype and device.
* Allowed: elementary tensor operations (``mean``, ``sum``, ``sqrt``, ``rsqrt``, broadcasting).
  Not allowed here: ``torch.nn``, ``torch.nn.functional`` (``F.batch_norm``, ``F.layer_norm``,
  ``F.rms_norm``), ``torch.autograd`` and ``.backward()``. A tensor's ``.backward()`` is not
  allowed; a ``backward`` method of your own class (``bn.backward(dy)``) is fine.
"""

import torch


# BEGIN SOLUTION
def _column_sums(t):
    # The sum over every leading dimension of a (..., D) tensor, shape (D,), as one
    # matrix-vector product: on CPU about twice as fast as t.sum(dim=0), equal up to rounding.
    rows = t.reshape(-1, t.shape[-1])
    return rows.new_ones(rows.shape[0]) @ rows


# In place on the tensors made here: on CPU a fresh buffer the size of x costs about as much as an
# elementwise pass over it.
# END SOLUTION


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1,
                      eps=1e-5):
    """Batch normalization of ``x`` of shape ``(N, D)``: statistics per feature, over the batch.

    Arguments: ``gamma`` and ``beta`` of shape ``(D,)`` (scale and shift), ``running_mean`` and
    ``running_var`` of shape ``(D,)`` (the running statistics so far), ``training`` a bool.

    Training mode (``training=True``, needs N >= 2):

        mu    = mean of x over the batch                   (D,)
        var   = mean of (x - mu)^2 over the batch          (D,)  biased: divide by N
        y     = gamma * (x - mu) / sqrt(var + eps) + beta
        new_running_mean = (1 - momentum) * running_mean + momentum * mu
        new_running_var  = (1 - momentum) * running_var  + momentum * var * N / (N - 1)

    The running variance is updated with the **unbiased** batch variance (times N / (N - 1)),
    while the output is normalized with the biased one: PyTorch's semantics. ``momentum`` is the
    weight of the new batch (0.1 by default), not of the old running value.

    Eval mode (``training=False``): normalize with the running statistics instead,

        y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta

    and return the running statistics unchanged (copies of the given tensors, or the tensors
    themselves: either is fine, as long as nothing is modified); the batch statistics play no part.

    Returns ``(y, new_running_mean, new_running_var, cache)``: ``y`` of shape ``(N, D)``, the two
    running statistics of shape ``(D,)``. The input tensors are never modified.
    """
    # BEGIN SOLUTION
    if training:
        n = x.shape[0]
        mu = _column_sums(x) / n
        xc = x - mu
        y = xc * xc                                   # a scratch buffer until y is computed
        var = _column_sums(y) / n
        inv_std = torch.rsqrt(var + eps)
        new_mean = (1 - momentum) * running_mean + momentum * mu
        new_var = (1 - momentum) * running_var + momentum * var * (n / (n - 1))
    else:
        xc = x - running_mean
        y = torch.empty_like(xc)
        inv_std = torch.rsqrt(running_var + eps)
        new_mean, new_var = running_mean.clone(), running_var.clone()
    xhat = xc.mul_(inv_std)
    torch.addcmul(beta, gamma, xhat, out=y)
    return y, new_mean, new_var, (xhat, gamma, inv_std, bool(training))
    # END SOLUTION


def batchnorm_backward(dy, cache):
    """Gradients of batch norm: returns ``(dx, dgamma, dbeta)``.

    With ``xhat = (x - mu) / sqrt(var + eps)`` (the normalized input) and ``g = dy * gamma``:

        dbeta  = sum of dy over the batch              (D,)
        dgamma = sum of dy * xhat over the batch       (D,)

    In training mode mu and var depend on every row of ``x``, so ``dx`` has three terms:

        dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps)     (means over the batch)

    In eval mode the statistics are constants and ``dx = g / sqrt(running_var + eps)``.
    """
    # BEGIN SOLUTION
    xhat, gamma, inv_std, training = cache
    n = dy.shape[0]
    dbeta = _column_sums(dy)
    t = dy * xhat
    dgamma = _column_sums(t)
    g = torch.mul(dy, gamma, out=t)
    if training:
        # The batch means of g and of g * xhat are gamma times those of dy and of dy * xhat.
        dx = g.sub_(gamma * dbeta / n).addcmul_(xhat, gamma * dgamma / n, value=-1)
        dx.mul_(inv_std)
    else:
        dx = g.mul_(inv_std)
    return dx, dgamma, dbeta
    # END SOLUTION


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalization of ``x`` of shape ``(*, D)``: statistics per row, over the last dim.

        mu  = mean of x over the last dimension        (*, 1)
        var = mean of (x - mu)^2 over the last dim     (*, 1)  biased: divide by D
        y   = gamma * (x - mu) / sqrt(var + eps) + beta

    ``gamma`` and ``beta`` have shape ``(D,)``; ``x`` may have any number of leading dimensions
    (``(N, D)``, ``(B, T, D)``, ...). No running statistics: training and eval are the same.
    Returns ``(y, cache)`` with ``y`` of ``x``'s shape.
    """
    # BEGIN SOLUTION
    mu = x.mean(dim=-1, keepdim=True)
    xc = x - mu
    y = xc * xc                         # a scratch buffer until y is computed
    inv_std = torch.rsqrt(y.mean(dim=-1, keepdim=True) + eps)
    xhat = xc.mul_(inv_std)
    torch.addcmul(beta, gamma, xhat, out=y)
    return y, (xhat, gamma, inv_std)
    # END SOLUTION


def layernorm_backward(dy, cache):
    """Gradients of layer norm: returns ``(dx, dgamma, dbeta)``.

    ``dgamma = sum of dy * xhat`` and ``dbeta = sum of dy``, both summed over **every** leading
    dimension (shape ``(D,)`` even when ``x`` is 3-D). With ``g = dy * gamma``, per row:

        dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps)     (means over the last dim)
    """
    # BEGIN SOLUTION
    xhat, gamma, inv_std = cache
    d = xhat.shape[-1]
    dbeta = _column_sums(dy)
    t = dy * xhat
    dgamma = _column_sums(t)
    # The row means of g = dy * gamma and of g * xhat, as matrix-vector products with gamma.
    mean_g = (dy @ gamma).unsqueeze(-1) / d
    mean_gx = (t @ gamma).unsqueeze(-1) / d
    g = torch.mul(dy, gamma, out=t)
    dx = g.sub_(mean_g).addcmul_(xhat, mean_gx, value=-1).mul_(inv_std)
    return dx, dgamma, dbeta
    # END SOLUTION


def rmsnorm_forward(x, gamma, eps=1e-6):
    """RMS normalization of ``x`` of shape ``(*, D)`` over the last dimension, without centring.

        rms = sqrt(mean of x^2 over the last dimension + eps)        (*, 1)
        y   = x / rms * gamma

    The mean is **not** subtracted and there is no shift ``beta``. ``gamma`` has shape ``(D,)``.
    The default ``eps`` is 1e-6 (PyTorch's ``F.rms_norm`` picks a dtype-dependent default
    instead; here it is always 1e-6 unless given). Returns ``(y, cache)``.
    """
    # BEGIN SOLUTION
    inv_rms = torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + eps)
    xhat = x * inv_rms
    return xhat * gamma, (xhat, gamma, inv_rms)
    # END SOLUTION


def rmsnorm_backward(dy, cache):
    """Gradients of RMS norm: returns ``(dx, dgamma)``.

    With ``xhat = x / rms`` and ``g = dy * gamma``:

        dgamma = sum of dy * xhat over every leading dimension        (D,)
        dx     = (g - xhat * mean(g * xhat)) / rms                      (mean over the last dim)

    The second term comes from rms depending on every entry of the row.
    """
    # BEGIN SOLUTION
    xhat, gamma, inv_rms = cache
    dgamma = (dy * xhat).reshape(-1, xhat.shape[-1]).sum(dim=0)
    g = dy * gamma
    dx = (g - xhat * (g * xhat).mean(dim=-1, keepdim=True)) * inv_rms
    return dx, dgamma
    # END SOLUTION
