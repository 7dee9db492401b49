"""Activation functions, each as a forward/backward pair.

Conventions for every function in this file:

* ``*_forward(x, ...)`` returns ``(y, cache)`` with ``y`` of the shape, dtype and device of ``x``.
* ``*_backward(dy, cache)`` returns ``dx`` with the shape of ``x``: the upstream gradient ``dy``
  times the local derivative, elementwise (softmax mixes a whole row; see there).
* Every forward stays finite for inputs of magnitude 1e4 in float32: no ``exp`` of a large
  positive number.
* Never modify an argument in place.
* Allowed: elementary operations (``exp``, ``log1p``, ``tanh``, ``erf``, ``sqrt``, ``where``,
  ``maximum``, reductions). Not allowed here: ``torch.nn``, ``torch.nn.functional``,
  ``torch.sigmoid``, ``torch.softmax``, ``torch.log_softmax``, ``torch.logsumexp``,
  ``torch.autograd`` and ``.backward()``. Only the library's own operations count: a tensor's
  ``x.sigmoid()`` or ``loss.backward()`` is not allowed; a ``forward``, ``backward`` or
  ``sigmoid`` method of your own class (``Sigmoid().backward(dy)``) is fine.
"""

import math

import torch


# BEGIN SOLUTION
def _sigmoid(x):
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))
# END SOLUTION


def sigmoid_forward(x):
    """Logistic sigmoid: y = 1 / (1 + exp(-x)).

    Stability: for very negative x, exp(-x) overflows; for very positive x, exp(x) does. With
    e = exp(-|x|), which never overflows, use y = 1 / (1 + e) where x >= 0 and e / (1 + e) where
    x < 0. The textbook form exp(x) / (1 + exp(x)) gives inf/inf = NaN at x = 1000.
    """
    # BEGIN SOLUTION
    y = _sigmoid(x)
    return y, (y,)
    # END SOLUTION


def sigmoid_backward(dy, cache):
    """dx = dy * y * (1 - y), with y the forward's output (not its input)."""
    # BEGIN SOLUTION
    (y,) = cache
    return dy * y * (1 - y)
    # END SOLUTION


def tanh_forward(x):
    """Hyperbolic tangent; ``torch.tanh`` may be used for the forward."""
    # BEGIN SOLUTION
    y = torch.tanh(x)
    return y, (y,)
    # END SOLUTION


def tanh_backward(dy, cache):
    """dx = dy * (1 - y^2), with y = tanh(x). (Not 1 - y.)"""
    # BEGIN SOLUTION
    (y,) = cache
    return dy * (1 - y * y)
    # END SOLUTION


def relu_forward(x):
    """y = max(x, 0) elementwise."""
    # BEGIN SOLUTION
    return torch.where(x > 0, x, torch.zeros_like(x)), (x,)
    # END SOLUTION


def relu_backward(dy, cache):
    """dx = dy where x > 0, else 0. The derivative at exactly x = 0 is taken as 0."""
    # BEGIN SOLUTION
    (x,) = cache
    return torch.where(x > 0, dy, torch.zeros_like(dy))
    # END SOLUTION


def leaky_relu_forward(x, negative_slope=0.01):
    """y = x where x > 0, else negative_slope * x. Default slope 0.01 (PyTorch's)."""
    # BEGIN SOLUTION
    return torch.where(x > 0, x, negative_slope * x), (x, negative_slope)
    # END SOLUTION


def leaky_relu_backward(dy, cache):
    """dx = dy where x > 0, else negative_slope * dy (at exactly x = 0: negative_slope * dy)."""
    # BEGIN SOLUTION
    x, slope = cache
    return torch.where(x > 0, dy, slope * dy)
    # END SOLUTION


def gelu_forward(x):
    """Exact GELU: y = x * Phi(x), Phi(x) = 0.5 * (1 + erf(x / sqrt(2))), the standard normal CDF.

    Use ``torch.erf``; the tanh approximation differs by up to about 5e-4 and fails the checks.
    """
    # BEGIN SOLUTION
    cdf = (x / math.sqrt(2)).erf_().add_(1).mul_(0.5)
    return x * cdf, (x, cdf)
    # END SOLUTION


def gelu_backward(dy, cache):
    """dx = dy * (Phi(x) + x * phi(x)), phi(x) = exp(-x^2 / 2) / sqrt(2 * pi), the normal density.

    Both terms matter: the product rule on x * Phi(x).
    """
    # BEGIN SOLUTION
    x, cdf = cache
    # exp(-x^2 / 2), then cdf + x * phi(x) with phi's constant folded in, each step in place.
    t = (x * x).mul_(-0.5).exp_()
    return torch.addcmul(cdf, t, x, value=1 / math.sqrt(2 * math.pi), out=t).mul_(dy)
    # END SOLUTION


def silu_forward(x):
    """SiLU (swish): y = x * sigmoid(x), with a stable sigmoid (see :func:`sigmoid_forward`)."""
    # BEGIN SOLUTION
    s = _sigmoid(x)
    return x * s, (x, s)
    # END SOLUTION


def silu_backward(dy, cache):
    """dx = dy * sigmoid(x) * (1 + x * (1 - sigmoid(x))) (the product rule, not sigmoid alone)."""
    # BEGIN SOLUTION
    x, s = cache
    return dy * s * (1 + x * (1 - s))
    # END SOLUTION


def softmax_forward(x, dim=-1):
    """Softmax along ``dim``: y = exp(x) / sum(exp(x), dim, keepdim=True).

    Subtract the maximum along ``dim`` first (softmax is unchanged by a shift), so inputs of
    magnitude 1e4 do not overflow. ``dim`` may be any dimension, 0 included, of an input of any
    rank.
    """
    # BEGIN SOLUTION
    e = (x - x.amax(dim=dim, keepdim=True)).exp_()
    y = e.div_(e.sum(dim=dim, keepdim=True))
    return y, (y, dim)
    # END SOLUTION


def softmax_backward(dy, cache):
    """dx = y * (dy - sum(dy * y, dim, keepdim=True)).

    Every output of a row depends on every input of that row, so the Jacobian is not diagonal:
    y * (1 - y) alone is wrong.
    """
    # BEGIN SOLUTION
    y, dim = cache
    return (dy - (dy * y).sum(dim=dim, keepdim=True)).mul_(y)
    # END SOLUTION
