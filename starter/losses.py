"""Loss functions, each as a forward/backward pair.

Conventions for every function in this file:

* ``*_forward(...)`` returns ``(loss, cache)``. ``loss`` is a 0-dim tensor with the input's dtype
  and device. ``cache`` is anything your backward needs; only your own backward reads it.
* ``*_backward(dloss, cache)`` receives the upstream gradient ``dloss`` (a 0-dim tensor, not
  necessarily 1) and returns the gradient with respect to the first argument of the forward,
  with exactly that argument's shape. Multiply by ``dloss``.
* Reductions are means, and each function's docstring says over what: over every element for
  MSE, MAE, Huber, binary cross-entropy and focal loss (an (N, C) input divides by N*C); over
  the batch, the N rows, for cross-entropy and KL divergence.
* Never modify an argument in place. Work in the input's dtype and on its device.
* Allowed: elementary tensor operations (``exp``, ``log``, ``log1p``, ``abs``, ``where``,
  ``maximum``, ``clamp``, reductions, indexing, ``gather``, ``scatter``). Not allowed here:
  ``torch.nn``, ``torch.nn.functional``, ``torch.softmax``, ``torch.log_softmax``,
  ``torch.logsumexp``, ``torch.sigmoid``, ``torch.autograd`` and ``.backward()``. Only the
  library's own operations count: a tensor's ``x.softmax()`` or ``loss.backward()`` is not
  allowed; a method of your own class with that name (``self.softmax(z)``,
  ``loss_fn.backward()`` on your own loss object) is fine.
"""

import torch


def mse_forward(pred, target):
    """Mean squared error.

    loss = mean over every element of (pred - target)^2

    Args:
        pred: tensor of any shape, for example (N,) or (N, D).
        target: tensor of the same shape as ``pred``.
    Returns:
        (loss, cache) with ``loss`` a 0-dim tensor. The mean divides by ``pred.numel()``, not by
        the batch size: with (N, D) inputs that is N*D.
    """
    raise NotImplementedError("losses.mse: mse_forward is not implemented yet (starter/losses.py)")


def mse_backward(dloss, cache):
    """Gradient of :func:`mse_forward` with respect to ``pred``.

    d loss / d pred = 2 * (pred - target) / numel, times ``dloss``.

    Returns:
        dpred with the shape of ``pred``.
    """
    raise NotImplementedError("losses.mse: mse_backward is not implemented yet (starter/losses.py)")


def mae_forward(pred, target):
    """Mean absolute error: mean over every element of |pred - target|.

    Args:
        pred, target: tensors of the same shape.
    Returns:
        (loss, cache) with a 0-dim ``loss``.
    """
    raise NotImplementedError("losses.mae: mae_forward is not implemented yet (starter/losses.py)")


def mae_backward(dloss, cache):
    """Gradient of :func:`mae_forward` with respect to ``pred``.

    d loss / d pred = sign(pred - target) / numel, times ``dloss``. Where ``pred == target``
    exactly, |d| has no derivative; use the subgradient 0 there (what ``torch.sign`` gives).
    Never divide by |d|: that is 0/0 = NaN at a tie.
    """
    raise NotImplementedError("losses.mae: mae_backward is not implemented yet (starter/losses.py)")


def huber_forward(pred, target, delta=1.0):
    """Huber loss (PyTorch ``HuberLoss``), averaged over every element.

    With d = pred - target, each element contributes
        0.5 * d^2                      if |d| <= delta
        delta * (|d| - 0.5 * delta)    otherwise.
    The two pieces meet with equal value and slope at |d| = delta. This is *not* SmoothL1 (which
    divides the whole thing by delta); the two agree only when delta = 1.

    Example, delta = 2: d = 1.5 lies inside (|d| <= delta), so it costs 0.5 * 1.5^2 = 1.125; a
    boundary wrongly at 1 would charge it linearly, 2 * (1.5 - 1) = 1. d = -3 lies outside and
    costs 2 * (3 - 0.5 * 2) = 4.

    Args:
        pred, target: tensors of the same shape.
        delta: positive float, where the quadratic part becomes linear (default 1.0).
    Returns:
        (loss, cache) with a 0-dim ``loss``.
    """
    raise NotImplementedError("losses.huber: huber_forward is not implemented yet (starter/losses.py)")


def huber_backward(dloss, cache):
    """Gradient of :func:`huber_forward` with respect to ``pred``.

    Per element: d inside the quadratic zone (|d| <= delta), delta * sign(d) outside it; then
    divided by numel and multiplied by ``dloss``.
    """
    raise NotImplementedError("losses.huber: huber_backward is not implemented yet (starter/losses.py)")


def bce_with_logits_forward(logits, target, pos_weight=None):
    """Binary cross-entropy computed from logits (PyTorch ``BCEWithLogitsLoss``), mean over elements.

    With p = sigmoid(z) for a logit z and a target t in [0, 1], each element contributes
        -( pos_weight * t * log(p) + (1 - t) * log(1 - p) ).
    ``pos_weight`` (default: 1) multiplies the positive term only; use it to up-weight a rare
    positive class (for example negatives/positives). It broadcasts against the last dimension of
    ``logits``: a float, a 0-dim tensor or a tensor of shape (C,).

    Stability: never form sigmoid(z) and then take its log. Use
        log(p) = -softplus(-z),  log(1 - p) = -softplus(z),
        softplus(x) = max(x, 0) + log1p(exp(-|x|)),
    which stays finite and exact for any logit (z = +-1e4 included).

    Args:
        logits: (N,) or (N, C) raw scores.
        target: same shape, values in [0, 1].
        pos_weight: optional weight of the positive term.
    Returns:
        (loss, cache) with a 0-dim ``loss``.
    """
    raise NotImplementedError("losses.bce_with_logits: bce_with_logits_forward is not implemented yet (starter/losses.py)")


def bce_with_logits_backward(dloss, cache):
    """Gradient of :func:`bce_with_logits_forward` with respect to ``logits``.

    Per element: -pos_weight * t * sigmoid(-z) + (1 - t) * sigmoid(z); with pos_weight = 1 this
    is sigmoid(z) - t. Divide by numel, multiply by ``dloss``. Compute sigmoid stably (no
    ``torch.sigmoid``): for z >= 0 use 1 / (1 + e^-z), for z < 0 use e^z / (1 + e^z).
    """
    raise NotImplementedError("losses.bce_with_logits: bce_with_logits_backward is not implemented yet (starter/losses.py)")


def log_softmax_forward(x, dim=-1):
    """Log-softmax along ``dim``: y = x - log(sum(exp(x), dim)).

    Subtract the maximum along ``dim`` before exponentiating (it cancels in the result), so that
    logits of any size, 1e4 in float32 included, give finite values. Taking ``log`` of a softmax
    instead gives -inf as soon as one probability underflows to 0.

    Args:
        x: tensor of any shape.
        dim: the dimension that sums to one after exp (default: the last).
    Returns:
        (y, cache) with ``y`` of the shape of ``x``.
    """
    raise NotImplementedError("losses.log_softmax: log_softmax_forward is not implemented yet (starter/losses.py)")


def log_softmax_backward(dy, cache):
    """Gradient of :func:`log_softmax_forward`: dx = dy - softmax(x) * sum(dy, dim, keepdim).

    ``dy`` has the shape of ``y``; return dx with the shape of ``x``. softmax(x) = exp(y).
    """
    raise NotImplementedError("losses.log_softmax: log_softmax_backward is not implemented yet (starter/losses.py)")


def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    """Softmax cross-entropy with integer targets (PyTorch ``F.cross_entropy``).

    Args:
        logits: (N, C) raw scores.
        target: (N,) integer class indices in [0, C).
        weight: optional (C,) tensor, a weight per class (default: all ones).
        label_smoothing: eps in [0, 1]. The target distribution of row i is
            q[i, c] = (1 - eps) * [c == target[i]] + eps / C
            (eps / C on every class, the true one included; not eps / (C - 1)).
    Returns:
        (loss, cache) with a 0-dim ``loss``:
            loss = -sum_{i,c} weight[c] * q[i, c] * log_softmax(logits)[i, c] / W
        where W = sum_i weight[target[i]]. Without weights W = N, so the loss is the mean over
        the batch (never the sum). With weights it is the weighted mean PyTorch uses.

    Compute log-softmax stably (subtract the row maximum); do not take log of a softmax.
    """
    raise NotImplementedError("losses.cross_entropy: cross_entropy_forward is not implemented yet (starter/losses.py)")


def cross_entropy_backward(dloss, cache):
    """Gradient of :func:`cross_entropy_forward` with respect to ``logits``, shape (N, C).

    With a[i, c] = weight[c] * q[i, c] / W (so that loss = -sum a * log_softmax):
        dlogits[i, c] = softmax(logits)[i, c] * sum_k a[i, k] - a[i, c]
    Without weights and smoothing this is (softmax - onehot) / N. Multiply by ``dloss``.
    """
    raise NotImplementedError("losses.cross_entropy: cross_entropy_backward is not implemented yet (starter/losses.py)")


def focal_loss_forward(logits, target, alpha=0.25, gamma=2.0):
    """Binary focal loss from logits, mean over every element.

    With p = sigmoid(z) and a target t in {0, 1}:
        p_t = p,      alpha_t = alpha       where t = 1
        p_t = 1 - p,  alpha_t = 1 - alpha   where t = 0
        loss per element = -alpha_t * (1 - p_t)^gamma * log(p_t)
    gamma = 0 and alpha = 0.5 give half the plain binary cross-entropy. The factor (1 - p_t)^gamma
    shrinks the loss of examples that are already classified well.

    Stability: with s = 2t - 1, p_t = sigmoid(s*z), 1 - p_t = sigmoid(-s*z) and
    -log(p_t) = softplus(-s*z); use these forms so logits of +-1e4 stay finite.

    Args:
        logits: (N,) or (N, C).
        target: same shape, values 0 or 1.
        alpha: weight of the positive class (default 0.25).
        gamma: focusing exponent >= 0 (default 2.0).
    Returns:
        (loss, cache) with a 0-dim ``loss``.
    """
    raise NotImplementedError("losses.focal_loss: focal_loss_forward is not implemented yet (starter/losses.py)")


def focal_loss_backward(dloss, cache):
    """Gradient of :func:`focal_loss_forward` with respect to ``logits``.

    With u = s*z (see the forward) the per-element loss is alpha_t * sigmoid(-u)^gamma *
    softplus(-u), whose derivative in u is
        -alpha_t * sigmoid(-u)^gamma * (gamma * sigmoid(u) * softplus(-u) + sigmoid(-u)),
    and d/dz = s * d/du. Divide by numel and multiply by ``dloss``.
    """
    raise NotImplementedError("losses.focal_loss: focal_loss_backward is not implemented yet (starter/losses.py)")


def kl_div_forward(log_q, p):
    """KL divergence KL(p || q) from log-probabilities (PyTorch ``kl_div(..., 'batchmean')``).

        loss = sum over all elements of p * (log p - log_q), divided by N = log_q.shape[0]

    Note the argument order: the first argument is the model's log-probabilities ``log_q``, the
    second the target probabilities ``p``; the divergence is of p from q, not of q from p. Entries
    with p == 0 contribute exactly 0 (the limit of p*log p), not NaN.

    Args:
        log_q: (N, C) log-probabilities.
        p: (N, C) probabilities (rows usually sum to 1; zeros allowed).
    Returns:
        (loss, cache) with a 0-dim ``loss``.
    """
    raise NotImplementedError("losses.kl_div: kl_div_forward is not implemented yet (starter/losses.py)")


def kl_div_backward(dloss, cache):
    """Gradient of :func:`kl_div_forward` with respect to ``log_q``: -p / N, times ``dloss``."""
    raise NotImplementedError("losses.kl_div: kl_div_backward is not implemented yet (starter/losses.py)")
