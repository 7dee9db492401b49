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


# BEGIN SOLUTION
def _softplus(x):
    # log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))


def _sigmoid(x):
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _log_softmax(x, dim):
    # In-place steps on tensors made here: on CPU a fresh buffer the size of x costs about as
    # much as an elementwise pass over it.
    shifted = x - x.amax(dim=dim, keepdim=True)
    return shifted.sub_(torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True)))
# END SOLUTION


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
    # BEGIN SOLUTION
    diff = pred - target
    return (diff * diff).mean(), (diff,)
    # END SOLUTION


def mse_backward(dloss, cache):
    """Gradient of :func:`mse_forward` with respect to ``pred``.

    d loss / d pred = 2 * (pred - target) / numel, times ``dloss``.

    Returns:
        dpred with the shape of ``pred``.
    """
    # BEGIN SOLUTION
    (diff,) = cache
    return dloss * 2 * diff / diff.numel()
    # END SOLUTION


def mae_forward(pred, target):
    """Mean absolute error: mean over every element of |pred - target|.

    Args:
        pred, target: tensors of the same shape.
    Returns:
        (loss, cache) with a 0-dim ``loss``.
    """
    # BEGIN SOLUTION
    diff = pred - target
    return diff.abs().mean(), (diff,)
    # END SOLUTION


def mae_backward(dloss, cache):
    """Gradient of :func:`mae_forward` with respect to ``pred``.

    d loss / d pred = sign(pred - target) / numel, times ``dloss``. Where ``pred == target``
    exactly, |d| has no derivative; use the subgradient 0 there (what ``torch.sign`` gives).
    Never divide by |d|: that is 0/0 = NaN at a tie.
    """
    # BEGIN SOLUTION
    (diff,) = cache
    return dloss * torch.sign(diff) / diff.numel()
    # END SOLUTION


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
    # BEGIN SOLUTION
    diff = pred - target
    small = diff.abs() <= delta
    per = torch.where(small, 0.5 * diff * diff, delta * (diff.abs() - 0.5 * delta))
    return per.mean(), (diff, delta)
    # END SOLUTION


def huber_backward(dloss, cache):
    """Gradient of :func:`huber_forward` with respect to ``pred``.

    Per element: d inside the quadratic zone (|d| <= delta), delta * sign(d) outside it; then
    divided by numel and multiplied by ``dloss``.
    """
    # BEGIN SOLUTION
    diff, delta = cache
    grad = torch.where(diff.abs() <= delta, diff, delta * torch.sign(diff))
    return dloss * grad / diff.numel()
    # END SOLUTION


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
    # BEGIN SOLUTION
    pw = 1.0 if pos_weight is None else pos_weight
    per = pw * target * _softplus(-logits) + (1 - target) * _softplus(logits)
    return per.mean(), (logits, target, pw)
    # END SOLUTION


def bce_with_logits_backward(dloss, cache):
    """Gradient of :func:`bce_with_logits_forward` with respect to ``logits``.

    Per element: -pos_weight * t * sigmoid(-z) + (1 - t) * sigmoid(z); with pos_weight = 1 this
    is sigmoid(z) - t. Divide by numel, multiply by ``dloss``. Compute sigmoid stably (no
    ``torch.sigmoid``): for z >= 0 use 1 / (1 + e^-z), for z < 0 use e^z / (1 + e^z).
    """
    # BEGIN SOLUTION
    logits, target, pw = cache
    grad = -pw * target * _sigmoid(-logits) + (1 - target) * _sigmoid(logits)
    return dloss * grad / logits.numel()
    # END SOLUTION


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
    # BEGIN SOLUTION
    y = _log_softmax(x, dim)
    return y, (y, dim)
    # END SOLUTION


def log_softmax_backward(dy, cache):
    """Gradient of :func:`log_softmax_forward`: dx = dy - softmax(x) * sum(dy, dim, keepdim).

    ``dy`` has the shape of ``y``; return dx with the shape of ``x``. softmax(x) = exp(y).
    """
    # BEGIN SOLUTION
    y, dim = cache
    t = torch.exp(y).mul_(dy.sum(dim=dim, keepdim=True))
    return torch.sub(dy, t, out=t)
    # END SOLUTION


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
    # BEGIN SOLUTION
    n, c = logits.shape
    logp = _log_softmax(logits, dim=1)
    w = logits.new_ones(c) if weight is None else weight.to(logits.dtype)
    a = torch.full_like(logits, label_smoothing / c)                  # q, then w * q / W
    a[torch.arange(n, device=logits.device), target] += 1 - label_smoothing
    if weight is not None:
        a.mul_(w)
    a.div_(w[target].sum())
    # sum(a * logp) as one dot product: no (N, C) product is stored.
    return -torch.dot(a.reshape(-1), logp.reshape(-1)), (logp, a)
    # END SOLUTION


def cross_entropy_backward(dloss, cache):
    """Gradient of :func:`cross_entropy_forward` with respect to ``logits``, shape (N, C).

    With a[i, c] = weight[c] * q[i, c] / W (so that loss = -sum a * log_softmax):
        dlogits[i, c] = softmax(logits)[i, c] * sum_k a[i, k] - a[i, c]
    Without weights and smoothing this is (softmax - onehot) / N. Multiply by ``dloss``.
    """
    # BEGIN SOLUTION
    logp, a = cache
    return torch.exp(logp).mul_(a.sum(dim=1, keepdim=True)).sub_(a).mul_(dloss)
    # END SOLUTION


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
    # BEGIN SOLUTION
    s = 2 * target - 1
    u = s * logits
    alpha_t = torch.where(target > 0.5, alpha, 1 - alpha).to(logits.dtype)
    per = alpha_t * _sigmoid(-u) ** gamma * _softplus(-u)
    return per.mean(), (u, s, alpha_t, gamma)
    # END SOLUTION


def focal_loss_backward(dloss, cache):
    """Gradient of :func:`focal_loss_forward` with respect to ``logits``.

    With u = s*z (see the forward) the per-element loss is alpha_t * sigmoid(-u)^gamma *
    softplus(-u), whose derivative in u is
        -alpha_t * sigmoid(-u)^gamma * (gamma * sigmoid(u) * softplus(-u) + sigmoid(-u)),
    and d/dz = s * d/du. Divide by numel and multiply by ``dloss``.
    """
    # BEGIN SOLUTION
    u, s, alpha_t, gamma = cache
    neg = _sigmoid(-u)
    du = -alpha_t * neg ** gamma * (gamma * _sigmoid(u) * _softplus(-u) + neg)
    return dloss * s * du / u.numel()
    # END SOLUTION


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
    # BEGIN SOLUTION
    plogp = torch.where(p > 0, p * torch.log(torch.where(p > 0, p, torch.ones_like(p))),
                        torch.zeros_like(p))
    return (plogp - p * log_q).sum() / log_q.shape[0], (p, log_q.shape[0])
    # END SOLUTION


def kl_div_backward(dloss, cache):
    """Gradient of :func:`kl_div_forward` with respect to ``log_q``: -p / N, times ``dloss``."""
    # BEGIN SOLUTION
    p, n = cache
    return -dloss * p / n
    # END SOLUTION
