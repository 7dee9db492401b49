"""Every exercise's docstring formula typed literally, and the common rewrites of each.

A student who reads a docstring and types its formula as written, in the plainest way (no
in-place tricks, the obvious constants, ``math.sqrt(2)`` where the docstring writes sqrt(2)),
must keep full marks, publicly and hidden, in float32 as in float64: each exercise has one such
alternative (``literal=True``; tests/test_grading_outcomes.py checks that every exercise does).
Beside them, the equivalent rewrites students write most often: a reciprocal multiply, erfc or
ndtr for the normal CDF, a float64 detour cast back, log-sum-exp forms, loops instead of
vectorized code. ``descent audit`` grades them all: a check that refuses one is a check to mend.
"""

import math

import torch

from descent.catalogue import alternative


def _softplus(x):
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-torch.abs(x)))


def _stable_sigmoid(z):
    # the docstrings' own form: 1 / (1 + e^-z) for z >= 0, e^z / (1 + e^z) for z < 0
    return torch.where(z >= 0, 1 / (1 + torch.exp(-z)), torch.exp(z) / (1 + torch.exp(z)))


# ===================================================================================== basics
gd_literal = alternative(
    "gd_literal",
    "basics.gradient_descent_1d",
    "w_{k+1} = w_k - lr * grad_fn(w_k) in a for loop over the steps, as the docstring writes it",
    literal=True,
)


@gd_literal.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    w = float(w0)
    ws = [w]
    for _ in range(steps):
        w = w - lr * grad_fn(w)
        ws.append(w)
    return ws


regime_literal = alternative(
    "regime_literal",
    "basics.gd_regime",
    "compares 2 * a * lr with 1 and 2, as the docstring says",
    literal=True,
)


@regime_literal.replaces
def gd_regime(a, lr):
    if a <= 0 or lr <= 0:
        raise ValueError("a and lr must be positive")
    if 2 * a * lr <= 1:
        return "converges"
    if 2 * a * lr <= 2:
        return "oscillates"
    return "diverges"


# ===================================================================================== losses
mse_literal = alternative(
    "mse_literal",
    "losses.mse",
    "((pred - target) ** 2).mean() and 2 * (pred - target) / numel * dloss",
    literal=True,
)


@mse_literal.replaces
def mse_forward(pred, target):
    loss = ((pred - target) ** 2).mean()
    return loss, (pred, target)


@mse_literal.replaces
def mse_backward(dloss, cache):
    pred, target = cache
    return 2 * (pred - target) / pred.numel() * dloss


mse_loop = alternative(
    "mse_loop",
    "losses.mse",
    "sums the squared errors element by element in a Python loop over a flattened view",
)


@mse_loop.replaces
def mse_forward(pred, target):
    d = (pred - target).reshape(-1)
    total = d.new_zeros(())
    for i in range(d.numel()):
        total = total + d[i] * d[i]
    return total / d.numel(), (pred - target,)


@mse_loop.replaces
def mse_backward(dloss, cache):
    (d,) = cache
    return dloss * 2 * d / d.numel()


mae_literal = alternative(
    "mae_literal",
    "losses.mae",
    "(pred - target).abs().mean() and torch.sign(pred - target) / numel * dloss",
    literal=True,
)


@mae_literal.replaces
def mae_forward(pred, target):
    return torch.abs(pred - target).mean(), (pred, target)


@mae_literal.replaces
def mae_backward(dloss, cache):
    pred, target = cache
    return torch.sign(pred - target) / pred.numel() * dloss


huber_literal = alternative(
    "huber_literal",
    "losses.huber",
    "the two pieces with torch.where on |d| <= delta, as the docstring writes them",
    literal=True,
)


@huber_literal.replaces
def huber_forward(pred, target, delta=1.0):
    d = pred - target
    per = torch.where(torch.abs(d) <= delta, 0.5 * d**2, delta * (torch.abs(d) - 0.5 * delta))
    return per.mean(), (d, delta)


@huber_literal.replaces
def huber_backward(dloss, cache):
    d, delta = cache
    grad = torch.where(torch.abs(d) <= delta, d, delta * torch.sign(d))
    return grad / d.numel() * dloss


bce_literal = alternative(
    "bce_literal",
    "losses.bce_with_logits",
    "log(p) = -softplus(-z) and log(1 - p) = -softplus(z) put into the docstring's sum, "
    "pos_weight 1 when None",
    literal=True,
)


@bce_literal.replaces
def bce_with_logits_forward(logits, target, pos_weight=None):
    if pos_weight is None:
        pos_weight = 1.0
    log_p = -_softplus(-logits)
    log_1mp = -_softplus(logits)
    per = -(pos_weight * target * log_p + (1 - target) * log_1mp)
    return per.mean(), (logits, target, pos_weight)


@bce_literal.replaces
def bce_with_logits_backward(dloss, cache):
    z, t, pos_weight = cache
    grad = -pos_weight * t * _stable_sigmoid(-z) + (1 - t) * _stable_sigmoid(z)
    return grad / z.numel() * dloss


log_softmax_literal = alternative(
    "log_softmax_literal",
    "losses.log_softmax",
    "x - m - log(sum(exp(x - m))) with m the maximum along dim; dx = dy - exp(y) * sum(dy)",
    literal=True,
)


@log_softmax_literal.replaces
def log_softmax_forward(x, dim=-1):
    m = x.amax(dim=dim, keepdim=True)
    y = x - m - torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))
    return y, (y, dim)


@log_softmax_literal.replaces
def log_softmax_backward(dy, cache):
    y, dim = cache
    return dy - torch.exp(y) * dy.sum(dim=dim, keepdim=True)


log_softmax_logsumexp = alternative(
    "log_softmax_logsumexp",
    "losses.log_softmax",
    "a hand-written logsumexp, m + log(sum(exp(x - m))), subtracted from x",
)


@log_softmax_logsumexp.replaces
def log_softmax_forward(x, dim=-1):
    m = x.amax(dim=dim, keepdim=True)
    lse = m + torch.log(torch.sum(torch.exp(x - m), dim=dim, keepdim=True))
    y = x - lse
    return y, (torch.exp(y), dim)


@log_softmax_logsumexp.replaces
def log_softmax_backward(dy, cache):
    softmax, dim = cache
    return dy - softmax * torch.sum(dy, dim=dim, keepdim=True)


ce_literal = alternative(
    "ce_literal",
    "losses.cross_entropy",
    "q, W and -sum(weight * q * log_softmax) / W as the docstring defines them",
    literal=True,
)


@ce_literal.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    n, c = logits.shape
    if weight is None:
        weight = torch.ones(c, dtype=logits.dtype, device=logits.device)
    eps = label_smoothing
    onehot = (torch.arange(c, device=logits.device) == target[:, None]).to(logits.dtype)
    q = (1 - eps) * onehot + eps / c
    m = logits.amax(dim=1, keepdim=True)
    log_softmax = logits - m - torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))
    W = weight[target].sum()
    loss = -(weight * q * log_softmax).sum() / W
    a = weight * q / W
    return loss, (torch.exp(log_softmax), a)


@ce_literal.replaces
def cross_entropy_backward(dloss, cache):
    softmax, a = cache
    return (softmax * a.sum(dim=1, keepdim=True) - a) * dloss


ce_row_loop = alternative(
    "ce_row_loop",
    "losses.cross_entropy",
    "loops over the rows of the batch, each row's log-softmax from its own maximum",
)


@ce_row_loop.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    n, c = logits.shape
    w = weight if weight is not None else logits.new_ones(c)
    total, W = logits.new_zeros(()), logits.new_zeros(())
    rows = []
    for i in range(n):
        z = logits[i]
        logp = z - z.max() - torch.log(torch.exp(z - z.max()).sum())
        q = torch.full_like(z, label_smoothing / c)
        q[int(target[i])] += 1 - label_smoothing
        total = total - (w * q * logp).sum()
        W = W + w[int(target[i])]
        rows.append((torch.exp(logp), w * q))
    return total / W, (rows, W)


@ce_row_loop.replaces
def cross_entropy_backward(dloss, cache):
    rows, W = cache
    out = []
    for softmax, wq in rows:
        out.append((softmax * wq.sum() - wq) / W)
    return torch.stack(out) * dloss


focal_literal = alternative(
    "focal_literal",
    "losses.focal_loss",
    "s = 2t - 1, u = s*z, alpha_t * sigmoid(-u)^gamma * softplus(-u) and the docstring's "
    "derivative",
    literal=True,
)


@focal_literal.replaces
def focal_loss_forward(logits, target, alpha=0.25, gamma=2.0):
    s = 2 * target - 1
    u = s * logits
    alpha_t = torch.where(target == 1, alpha, 1 - alpha)
    per = alpha_t * _stable_sigmoid(-u) ** gamma * _softplus(-u)
    return per.mean(), (u, s, alpha_t, gamma)


@focal_literal.replaces
def focal_loss_backward(dloss, cache):
    u, s, alpha_t, gamma = cache
    du = (
        -alpha_t
        * _stable_sigmoid(-u) ** gamma
        * (gamma * _stable_sigmoid(u) * _softplus(-u) + _stable_sigmoid(-u))
    )
    return s * du / u.numel() * dloss


kl_literal = alternative(
    "kl_literal",
    "losses.kl_div",
    "sum of p * (log p - log_q) where p > 0, 0 elsewhere, divided by N",
    literal=True,
)


@kl_literal.replaces
def kl_div_forward(log_q, p):
    n = log_q.shape[0]
    terms = torch.where(p > 0, p * (torch.log(p) - log_q), torch.zeros_like(p))
    return terms.sum() / n, (p, n)


@kl_literal.replaces
def kl_div_backward(dloss, cache):
    p, n = cache
    return -p / n * dloss


# ================================================================================ activations
sigmoid_literal = alternative(
    "sigmoid_literal",
    "activations.sigmoid",
    "e = exp(-|x|), 1 / (1 + e) where x >= 0 and e / (1 + e) elsewhere; dx = dy * y * (1 - y)",
    literal=True,
)


@sigmoid_literal.replaces
def sigmoid_forward(x):
    e = torch.exp(-torch.abs(x))
    y = torch.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return y, (y,)


@sigmoid_literal.replaces
def sigmoid_backward(dy, cache):
    (y,) = cache
    return dy * y * (1 - y)


tanh_literal = alternative(
    "tanh_literal", "activations.tanh", "torch.tanh and dy * (1 - y**2)", literal=True
)


@tanh_literal.replaces
def tanh_forward(x):
    y = torch.tanh(x)
    return y, (y,)


@tanh_literal.replaces
def tanh_backward(dy, cache):
    (y,) = cache
    return dy * (1 - y**2)


relu_literal = alternative(
    "relu_literal",
    "activations.relu",
    "torch.maximum(x, 0) and dy where x > 0, else 0",
    literal=True,
)


@relu_literal.replaces
def relu_forward(x):
    return torch.maximum(x, torch.zeros_like(x)), (x,)


@relu_literal.replaces
def relu_backward(dy, cache):
    (x,) = cache
    return torch.where(x > 0, dy, torch.zeros_like(dy))


leaky_literal = alternative(
    "leaky_literal",
    "activations.leaky_relu",
    "x where x > 0, else negative_slope * x; the gradient likewise (slope at exactly 0)",
    literal=True,
)


@leaky_literal.replaces
def leaky_relu_forward(x, negative_slope=0.01):
    return torch.where(x > 0, x, negative_slope * x), (x, negative_slope)


@leaky_literal.replaces
def leaky_relu_backward(dy, cache):
    x, negative_slope = cache
    return torch.where(x > 0, dy, negative_slope * dy)


def _gelu_backward(dy, cache):
    x, cdf = cache
    pdf = torch.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    return dy * (cdf + x * pdf)


gelu_literal = alternative(
    "gelu_literal",
    "activations.gelu",
    "x * 0.5 * (1 + erf(x / sqrt(2))) and dy * (Phi(x) + x * phi(x)), as the docstring writes them",
    literal=True,
)


@gelu_literal.replaces
def gelu_forward(x):
    cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    return x * cdf, (x, cdf)


@gelu_literal.replaces
def gelu_backward(dy, cache):
    return _gelu_backward(dy, cache)


gelu_times_reciprocal = alternative(
    "gelu_times_reciprocal",
    "activations.gelu",
    "multiplies x by 1 / sqrt(2) instead of dividing by sqrt(2)",
)


@gelu_times_reciprocal.replaces
def gelu_forward(x):
    cdf = 0.5 * (1 + torch.erf(x * (1 / math.sqrt(2))))
    return x * cdf, (x, cdf)


@gelu_times_reciprocal.replaces
def gelu_backward(dy, cache):
    return _gelu_backward(dy, cache)


gelu_ndtr = alternative(
    "gelu_ndtr", "activations.gelu", "takes Phi from torch.special.ndtr, the normal CDF itself"
)


@gelu_ndtr.replaces
def gelu_forward(x):
    cdf = torch.special.ndtr(x)
    return x * cdf, (x, cdf)


@gelu_ndtr.replaces
def gelu_backward(dy, cache):
    return _gelu_backward(dy, cache)


gelu_float64_detour = alternative(
    "gelu_float64_detour",
    "activations.gelu",
    "computes in float64 and casts the result back to the input's dtype",
)


@gelu_float64_detour.replaces
def gelu_forward(x):
    w = x.double()
    cdf = 0.5 * (1 + torch.erf(w / math.sqrt(2)))
    return (w * cdf).to(x.dtype), (x, cdf.to(x.dtype))


@gelu_float64_detour.replaces
def gelu_backward(dy, cache):
    x, cdf = cache
    w = x.double()
    pdf = torch.exp(-(w**2) / 2) / math.sqrt(2 * math.pi)
    return (dy.double() * (cdf.double() + w * pdf)).to(dy.dtype)


silu_literal = alternative(
    "silu_literal",
    "activations.silu",
    "x * sigmoid(x) with the stable sigmoid; dy * s * (1 + x * (1 - s))",
    literal=True,
)


@silu_literal.replaces
def silu_forward(x):
    s = _stable_sigmoid(x)
    return x * s, (x, s)


@silu_literal.replaces
def silu_backward(dy, cache):
    x, s = cache
    return dy * s * (1 + x * (1 - s))


softmax_literal = alternative(
    "softmax_literal",
    "activations.softmax",
    "exp(x - max) / sum(exp(x - max)) along dim; dx = y * (dy - sum(dy * y))",
    literal=True,
)


@softmax_literal.replaces
def softmax_forward(x, dim=-1):
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))
    y = e / e.sum(dim=dim, keepdim=True)
    return y, (y, dim)


@softmax_literal.replaces
def softmax_backward(dy, cache):
    y, dim = cache
    return y * (dy - (dy * y).sum(dim=dim, keepdim=True))


softmax_row_loop = alternative(
    "softmax_row_loop",
    "activations.softmax",
    "moves dim last and normalizes one row at a time in a Python loop",
)


@softmax_row_loop.replaces
def softmax_forward(x, dim=-1):
    rows = x.movedim(dim, -1).reshape(-1, x.shape[dim])
    out = []
    for row in rows:
        e = torch.exp(row - row.max())
        out.append(e / e.sum())
    y = torch.stack(out).reshape(x.movedim(dim, -1).shape).movedim(-1, dim)
    return y, (y, dim)


@softmax_row_loop.replaces
def softmax_backward(dy, cache):
    y, dim = cache
    return y * (dy - (dy * y).sum(dim=dim, keepdim=True))


# ===================================================================================== layers
# The hidden activations the networks accept, each as (forward, derivative from z), with the
# conventions of activations.py (relu's derivative 0 at 0, leaky_relu's slope 0.01 at 0, the
# exact GELU).
def _phi(z):
    return 0.5 * (1 + torch.erf(z / math.sqrt(2)))


_ACTIVATIONS = {
    "relu": (
        lambda z: torch.maximum(z, torch.zeros_like(z)),
        lambda z: torch.where(z > 0, torch.ones_like(z), torch.zeros_like(z)),
    ),
    "leaky_relu": (
        lambda z: torch.where(z > 0, z, 0.01 * z),
        lambda z: torch.where(z > 0, torch.ones_like(z), 0.01 * torch.ones_like(z)),
    ),
    "tanh": (torch.tanh, lambda z: 1 - torch.tanh(z) ** 2),
    "sigmoid": (_stable_sigmoid, lambda z: _stable_sigmoid(z) * (1 - _stable_sigmoid(z))),
    "gelu": (
        lambda z: z * _phi(z),
        lambda z: _phi(z) + z * torch.exp(-(z**2) / 2) / math.sqrt(2 * math.pi),
    ),
    "silu": (
        lambda z: z * _stable_sigmoid(z),
        lambda z: _stable_sigmoid(z) * (1 + z * (1 - _stable_sigmoid(z))),
    ),
}


def _activation(name):
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}")
    return _ACTIVATIONS[name]


def _ce_loss_and_dlogits(logits, y):
    """Mean cross-entropy of integer targets and its gradient (softmax - onehot) / N."""
    n, c = logits.shape
    m = logits.amax(dim=1, keepdim=True)
    log_softmax = logits - m - torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))
    onehot = (torch.arange(c, device=logits.device) == y[:, None]).to(logits.dtype)
    loss = -(onehot * log_softmax).sum() / n
    return loss, (torch.exp(log_softmax) - onehot) / n


linear_literal = alternative(
    "linear_literal",
    "layers.linear",
    "x @ W.T + b; dx = dy @ W, dW = dy.T @ x, db = dy.sum(dim=0)",
    literal=True,
)


@linear_literal.replaces
def linear_forward(x, W, b):
    return x @ W.T + b, (x, W)


@linear_literal.replaces
def linear_backward(dy, cache):
    x, W = cache
    dx = dy @ W
    dW = dy.T @ x
    db = dy.sum(dim=0)
    return dx, dW, db


linear_row_loop = alternative(
    "linear_row_loop",
    "layers.linear",
    "computes each example's output and accumulates dW and db example by example in loops",
)


@linear_row_loop.replaces
def linear_forward(x, W, b):
    return torch.stack([W @ x[i] + b for i in range(x.shape[0])]), (x, W)


@linear_row_loop.replaces
def linear_backward(dy, cache):
    x, W = cache
    dW = torch.zeros_like(W)
    db = torch.zeros_like(W[:, 0])
    for i in range(x.shape[0]):
        dW = dW + torch.outer(dy[i], x[i])
        db = db + dy[i]
    return dy @ W, dW, db


two_layer_literal = alternative(
    "two_layer_literal",
    "layers.two_layer_net",
    "the docstring's z1, a1, z2, p and loss line by line, the loss through softplus and the "
    "logit gradient (p - y) / N",
    literal=True,
)


@two_layer_literal.replaces
def two_layer_net(params, x, y):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = x.shape[0]
    z1 = x @ W1.T + b1
    a1 = torch.maximum(z1, torch.zeros_like(z1))
    z2 = (a1 @ W2.T + b2)[:, 0]
    # -(y log p + (1 - y) log(1 - p)) with log p = -softplus(-z2), log(1 - p) = -softplus(z2)
    loss = (y * _softplus(-z2) + (1 - y) * _softplus(z2)).mean()
    p = _stable_sigmoid(z2)
    dz2 = ((p - y) / n)[:, None]
    dW2 = dz2.T @ a1
    db2 = dz2.sum(dim=0)
    da1 = dz2 @ W2
    dz1 = torch.where(z1 > 0, da1, torch.zeros_like(da1))
    dW1 = dz1.T @ x
    db1 = dz1.sum(dim=0)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


mlp_literal = alternative(
    "mlp_literal",
    "layers.mlp_loss_and_grads",
    "z_l and h_l in a loop as the docstring writes them, keeping every z and h, then the "
    "backward pass over the layers in reverse",
    literal=True,
)


@mlp_literal.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    act, dact = _activation(activation)
    L = len(params)
    hs, zs = [x], []
    h = x
    for l in range(L):
        W, b = params[l]
        z = h @ W.T + b
        zs.append(z)
        h = act(z) if l < L - 1 else z
        hs.append(h)
    loss, dz = _ce_loss_and_dlogits(zs[-1], y)
    grads = [None] * L
    for l in reversed(range(L)):
        W, b = params[l]
        grads[l] = (dz.T @ hs[l], dz.sum(dim=0))
        if l > 0:
            dz = (dz @ W) * dact(zs[l - 1])
    return loss, grads


numgrad_literal = alternative(
    "numgrad_literal",
    "layers.numerical_gradient",
    "(f(x + eps*e_i) - f(x - eps*e_i)) / (2*eps) for every i, e_i built as a one-hot tensor",
    literal=True,
)


@numgrad_literal.replaces
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    flat = grad.reshape(-1)
    for i in range(x.numel()):
        e_i = torch.zeros(x.numel(), dtype=x.dtype, device=x.device)
        e_i[i] = 1.0
        e_i = e_i.reshape(x.shape)
        flat[i] = (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps)
    return flat.reshape(x.shape)


relerr_literal = alternative(
    "relerr_literal",
    "layers.relative_error",
    "max of |a - b| / max(1e-12, |a| + |b|), with .item()",
    literal=True,
)


@relerr_literal.replaces
def relative_error(a, b):
    denominator = torch.clamp(torch.abs(a) + torch.abs(b), min=1e-12)
    return (torch.abs(a - b) / denominator).max().item()


residual_literal = alternative(
    "residual_literal",
    "layers.residual_block",
    "z, a and y = x + a @ W2.T + b2 line by line; the docstring's six gradients",
    literal=True,
)


@residual_literal.replaces
def residual_block_forward(x, W1, b1, W2, b2):
    if W2.shape[0] != x.shape[1] or b2.shape != (x.shape[1],):
        raise ValueError("W2 and b2 must map back to x's width")
    z = x @ W1.T + b1
    a = torch.maximum(z, torch.zeros_like(z))
    y = x + a @ W2.T + b2
    return y, (x, W1, W2, z, a)


@residual_literal.replaces
def residual_block_backward(dy, cache):
    x, W1, W2, z, a = cache
    dW2 = dy.T @ a
    db2 = dy.sum(dim=0)
    da = dy @ W2
    dz = torch.where(z > 0, da, torch.zeros_like(da))
    dW1 = dz.T @ x
    db1 = dz.sum(dim=0)
    dx = dy + dz @ W1
    return dx, dW1, db1, dW2, db2


ckpt_literal = alternative(
    "ckpt_literal",
    "layers.mlp_grads_checkpointed",
    "keeps the inputs of layers 1, 1 + segment, ...; rebuilds each segment forward from its "
    "checkpoint and backpropagates through it, last segment first",
    literal=True,
)


@ckpt_literal.replaces
def mlp_grads_checkpointed(x, y, params, segment, activation="relu"):
    if not isinstance(segment, int) or isinstance(segment, bool) or segment < 1:
        raise ValueError("segment must be an int >= 1")
    if len(params) == 0:
        raise ValueError("params is empty")
    act, dact = _activation(activation)
    L = len(params)
    checkpoints = {}  # first layer of a segment -> that layer's input
    h = x
    for l in range(L):
        if l % segment == 0:
            checkpoints[l] = h
        W, b = params[l]
        z = h @ W.T + b
        h = act(z) if l < L - 1 else z
    loss, dh = _ce_loss_and_dlogits(h, y)  # dh: the gradient of the last layer's output
    grads = [None] * L
    for start in sorted(checkpoints, reverse=True):
        stop = min(start + segment, L)
        inputs, zs = [], []
        h = checkpoints[start]
        for l in range(start, stop):  # the segment again, from its checkpoint
            W, b = params[l]
            inputs.append(h)
            zs.append(h @ W.T + b)
            h = act(zs[-1]) if l < L - 1 else zs[-1]
        for l in reversed(range(start, stop)):
            W, b = params[l]
            dz = dh * dact(zs[l - start]) if l < L - 1 else dh
            grads[l] = (dz.T @ inputs[l - start], dz.sum(dim=0))
            dh = dz @ W
    return loss, grads, len(checkpoints)


# =================================================================================== autograd
value_literal = alternative(
    "value_literal",
    "autograd.value",
    "each operation stores its inputs and the docstring's local derivatives; backward orders "
    "the graph with an explicit stack and adds local derivative times grad into each input",
    literal=True,
)


@value_literal.replaces
class Value:
    def __init__(self, data, _parents=(), _local=None):
        self.data = float(data)
        self.grad = 0.0
        self._parents = _parents
        self._local = _local  # () -> the local derivative for each parent

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), lambda: (1.0, 1.0))

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data - other.data, (self, other), lambda: (1.0, -1.0))

    def __rsub__(self, other):
        return Value(other) - self

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), lambda: (other.data, self.data))

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        a, b = self.data, other.data
        return Value(a / b, (self, other), lambda: (1 / b, -a / b**2))

    def __rtruediv__(self, other):
        return Value(other) / self

    def __pow__(self, k):
        a = self.data
        return Value(a**k, (self,), lambda: (k * a ** (k - 1),))

    def __neg__(self):
        return Value(-self.data, (self,), lambda: (-1.0,))

    def exp(self):
        y = math.exp(self.data)
        return Value(y, (self,), lambda: (y,))

    def log(self):
        a = self.data
        return Value(math.log(a), (self,), lambda: (1 / a,))

    def tanh(self):
        y = math.tanh(self.data)
        return Value(y, (self,), lambda: (1 - y**2,))

    def relu(self):
        a = self.data
        return Value(a if a > 0 else 0.0, (self,), lambda: (1.0 if a > 0 else 0.0,))

    def sigmoid(self):
        a = self.data
        e = math.exp(-abs(a))
        y = 1 / (1 + e) if a >= 0 else e / (1 + e)
        return Value(y, (self,), lambda: (y * (1 - y),))

    def backward(self):
        # reverse topological order: a node after every node that uses it (explicit stack)
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for parent in node._parents:
                if id(parent) not in seen:
                    stack.append((parent, False))
        self.grad = 1.0
        for node in reversed(order):
            if node._local is None:
                continue
            for parent, local in zip(node._parents, node._local()):
                parent.grad += local * node.grad


# ======================================================================================= init
_GAIN_ONE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def _gain(nonlinearity, param=None):
    if nonlinearity in _GAIN_ONE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param!r} is not a number")
        return math.sqrt(2 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def _fans(shape):
    if len(shape) < 2:
        raise ValueError("a shape with at least 2 dimensions is needed")
    receptive_field = 1
    for k in shape[2:]:
        receptive_field = receptive_field * k
    return shape[1] * receptive_field, shape[0] * receptive_field


gain_literal = alternative(
    "gain_literal",
    "init.calculate_gain",
    "the docstring's table as an if chain, negative_slope 0.01 when param is None",
    literal=True,
)


@gain_literal.replaces
def calculate_gain(nonlinearity, param=None):
    return _gain(nonlinearity, param)


fans_literal = alternative(
    "fans_literal",
    "init.fans",
    "multiplies the kernel sizes into receptive_field, then shape[1] and shape[0] by it",
    literal=True,
)


@fans_literal.replaces
def fans(shape):
    return _fans(shape)


xavier_literal = alternative(
    "xavier_literal",
    "init.xavier",
    "std = gain * sqrt(2 / (fan_in + fan_out)), a = sqrt(3) * std; uniform_(-a, a) and "
    "normal_(0, std) on a new tensor",
    literal=True,
)


@xavier_literal.replaces
def xavier_uniform(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fan_in, fan_out = _fans(shape)
    std = gain * math.sqrt(2 / (fan_in + fan_out))
    a = math.sqrt(3) * std
    return torch.empty(tuple(shape), dtype=dtype, device=device).uniform_(
        -a, a, generator=generator
    )


@xavier_literal.replaces
def xavier_normal(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fan_in, fan_out = _fans(shape)
    std = gain * math.sqrt(2 / (fan_in + fan_out))
    return torch.empty(tuple(shape), dtype=dtype, device=device).normal_(
        0, std, generator=generator
    )


def _kaiming_std(shape, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', not {mode!r}")
    fan_in, fan_out = _fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    gain = _gain(nonlinearity, a)
    return gain / math.sqrt(fan)


kaiming_literal = alternative(
    "kaiming_literal",
    "init.kaiming",
    "fan by mode, gain = calculate_gain(nonlinearity, a), std = gain / sqrt(fan); randn * std "
    "and (2 * rand - 1) * sqrt(3) * std",
    literal=True,
)


@kaiming_literal.replaces
def kaiming_normal(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    std = _kaiming_std(shape, a, mode, nonlinearity)
    return torch.randn(tuple(shape), generator=generator, dtype=dtype, device=device) * std


@kaiming_literal.replaces
def kaiming_uniform(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    bound = math.sqrt(3) * _kaiming_std(shape, a, mode, nonlinearity)
    u = torch.rand(tuple(shape), generator=generator, dtype=dtype, device=device)
    return (2 * u - 1) * bound


# ============================================================================== normalization
bn_literal = alternative(
    "bn_literal",
    "normalization.batchnorm",
    "mu, var, y and the running statistics line by line as the docstring writes them; the "
    "three-term dx",
    literal=True,
)


@bn_literal.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        n = x.shape[0]
        mu = x.mean(dim=0)
        var = ((x - mu) ** 2).mean(dim=0)
        xhat = (x - mu) / torch.sqrt(var + eps)
        y = gamma * xhat + beta
        new_running_mean = (1 - momentum) * running_mean + momentum * mu
        new_running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
        return y, new_running_mean, new_running_var, (xhat, gamma, var + eps, True)
    xhat = (x - running_mean) / torch.sqrt(running_var + eps)
    y = gamma * xhat + beta
    return y, running_mean, running_var, (xhat, gamma, running_var + eps, False)


@bn_literal.replaces
def batchnorm_backward(dy, cache):
    xhat, gamma, var_eps, training = cache
    g = dy * gamma
    dbeta = dy.sum(dim=0)
    dgamma = (dy * xhat).sum(dim=0)
    if training:
        dx = (g - g.mean(dim=0) - xhat * (g * xhat).mean(dim=0)) / torch.sqrt(var_eps)
    else:
        dx = g / torch.sqrt(var_eps)
    return dx, dgamma, dbeta


bn_times_rsqrt = alternative(
    "bn_times_rsqrt",
    "normalization.batchnorm",
    "multiplies by torch.rsqrt(var + eps) instead of dividing by a square root",
)


@bn_times_rsqrt.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        n = x.shape[0]
        mu = x.mean(dim=0)
        var = ((x - mu) ** 2).mean(dim=0)
        inv_std = torch.rsqrt(var + eps)
        new_mean = (1 - momentum) * running_mean + momentum * mu
        new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mu, inv_std = running_mean, torch.rsqrt(running_var + eps)
        new_mean, new_var = running_mean, running_var
    xhat = (x - mu) * inv_std
    return gamma * xhat + beta, new_mean, new_var, (xhat, gamma, inv_std, training)


@bn_times_rsqrt.replaces
def batchnorm_backward(dy, cache):
    xhat, gamma, inv_std, training = cache
    g = dy * gamma
    if training:
        g = g - g.mean(dim=0) - xhat * (g * xhat).mean(dim=0)
    return g * inv_std, (dy * xhat).sum(dim=0), dy.sum(dim=0)


ln_literal = alternative(
    "ln_literal",
    "normalization.layernorm",
    "mu, var and y over the last dim as the docstring writes them; dgamma and dbeta summed over "
    "the rows of a (-1, D) view",
    literal=True,
)


@ln_literal.replaces
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(dim=-1, keepdim=True)
    var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)
    xhat = (x - mu) / torch.sqrt(var + eps)
    y = gamma * xhat + beta
    return y, (xhat, gamma, var + eps)


@ln_literal.replaces
def layernorm_backward(dy, cache):
    xhat, gamma, var_eps = cache
    d = xhat.shape[-1]
    dbeta = dy.reshape(-1, d).sum(dim=0)
    dgamma = (dy * xhat).reshape(-1, d).sum(dim=0)
    g = dy * gamma
    mean_g = g.mean(dim=-1, keepdim=True)
    mean_gx = (g * xhat).mean(dim=-1, keepdim=True)
    dx = (g - mean_g - xhat * mean_gx) / torch.sqrt(var_eps)
    return dx, dgamma, dbeta


rms_literal = alternative(
    "rms_literal",
    "normalization.rmsnorm",
    "rms = sqrt(mean(x^2) + eps), y = x / rms * gamma; dx = (g - xhat * mean(g * xhat)) / rms",
    literal=True,
)


@rms_literal.replaces
def rmsnorm_forward(x, gamma, eps=1e-6):
    rms = torch.sqrt((x**2).mean(dim=-1, keepdim=True) + eps)
    y = x / rms * gamma
    return y, (x / rms, gamma, rms)


@rms_literal.replaces
def rmsnorm_backward(dy, cache):
    xhat, gamma, rms = cache
    d = xhat.shape[-1]
    dgamma = (dy * xhat).reshape(-1, d).sum(dim=0)
    g = dy * gamma
    dx = (g - xhat * (g * xhat).mean(dim=-1, keepdim=True)) / rms
    return dx, dgamma


rms_times_rsqrt = alternative(
    "rms_times_rsqrt",
    "normalization.rmsnorm",
    "multiplies by torch.rsqrt(mean(x^2) + eps) instead of dividing by rms",
)


@rms_times_rsqrt.replaces
def rmsnorm_forward(x, gamma, eps=1e-6):
    inv_rms = torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
    xhat = x * inv_rms
    return xhat * gamma, (xhat, gamma, inv_rms)


@rms_times_rsqrt.replaces
def rmsnorm_backward(dy, cache):
    xhat, gamma, inv_rms = cache
    g = dy * gamma
    dx = (g - xhat * (g * xhat).mean(dim=-1, keepdim=True)) * inv_rms
    return dx, (dy * xhat).reshape(-1, xhat.shape[-1]).sum(dim=0)


# ============================================================================= regularization
dropout_literal = alternative(
    "dropout_literal",
    "regularization.dropout",
    "keep = rand >= p, y = x * keep / (1 - p), with the docstring's special cases as ifs",
    literal=True,
)


@dropout_literal.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), (None, p)
    if p == 1:
        return torch.zeros_like(x), (torch.zeros_like(x), p)
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device) >= p
    y = x * keep / (1 - p)
    return y, (keep, p)


@dropout_literal.replaces
def dropout_backward(dy, cache):
    keep, p = cache
    if keep is None:
        return dy.clone()
    if p == 1:
        return torch.zeros_like(dy)
    return dy * keep / (1 - p)


l2_literal = alternative(
    "l2_literal",
    "regularization.l2_penalty",
    "0.5 * lam * sum of sum(w ** 2), grads lam * w",
    literal=True,
)


@l2_literal.replaces
def l2_penalty(params, lam):
    loss = 0.5 * lam * sum((w**2).sum() for w in params)
    grads = [lam * w for w in params]
    return loss, grads


l1_literal = alternative(
    "l1_literal",
    "regularization.l1_penalty",
    "lam * sum of sum(|w|), grads lam * sign(w)",
    literal=True,
)


@l1_literal.replaces
def l1_penalty(params, lam):
    loss = lam * sum(torch.abs(w).sum() for w in params)
    grads = [lam * torch.sign(w) for w in params]
    return loss, grads


es_literal = alternative(
    "es_literal",
    "regularization.early_stopping",
    "walks the epochs keeping best and best_epoch, stopping when e - best_epoch == patience",
    literal=True,
)


@es_literal.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch = None, None
    for e, loss in enumerate(val_losses):
        loss = float(loss)
        if e == 0 or loss < best - min_delta:
            best, best_epoch = loss, e
        elif e - best_epoch == patience:
            return e, best_epoch
    return None, best_epoch


# ====================================================================================== optim
sgd_literal = alternative(
    "sgd_literal",
    "optim.sgd",
    "g = grad + weight_decay * param; b = g the first time, then momentum * b + (1 - dampening) "
    "* g; d = g + momentum * b (nesterov) or b",
    literal=True,
)


@sgd_literal.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    g = grad + weight_decay * param
    if momentum == 0:
        return param - lr * g, {}
    if "momentum_buffer" not in state:
        b = g.clone()
    else:
        b = momentum * state["momentum_buffer"] + (1 - dampening) * g
    if nesterov:
        d = g + momentum * b
    else:
        d = b
    new_state = dict(state)
    new_state["momentum_buffer"] = b
    return param - lr * d, new_state


adagrad_literal = alternative(
    "adagrad_literal",
    "optim.adagrad",
    "s = s_old + g * g, param - lr * g / (sqrt(s) + eps)",
    literal=True,
)


@adagrad_literal.replaces
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = grad + weight_decay * param
    s_old = state.get("sum", torch.zeros_like(param))
    s = s_old + g * g
    new_param = param - lr * g / (torch.sqrt(s) + eps)
    return new_param, {"step": state.get("step", 0) + 1, "sum": s}


rmsprop_literal = alternative(
    "rmsprop_literal",
    "optim.rmsprop",
    "v = alpha * v_old + (1 - alpha) * g * g, param - lr * g / (sqrt(v) + eps)",
    literal=True,
)


@rmsprop_literal.replaces
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    g = grad + weight_decay * param
    v_old = state.get("square_avg", torch.zeros_like(param))
    v = alpha * v_old + (1 - alpha) * g * g
    new_param = param - lr * g / (torch.sqrt(v) + eps)
    return new_param, {"step": state.get("step", 0) + 1, "square_avg": v}


def _adam_moments(g, state, betas):
    beta1, beta2 = betas
    t = state.get("step", 0) + 1
    m_old = state.get("exp_avg", torch.zeros_like(g))
    v_old = state.get("exp_avg_sq", torch.zeros_like(g))
    m = beta1 * m_old + (1 - beta1) * g
    v = beta2 * v_old + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return m_hat, v_hat, {"step": t, "exp_avg": m, "exp_avg_sq": v}


adam_literal = alternative(
    "adam_literal",
    "optim.adam",
    "m, v, m_hat, v_hat and the update line by line as the docstring writes them",
    literal=True,
)


@adam_literal.replaces
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    g = grad + weight_decay * param
    m_hat, v_hat, new_state = _adam_moments(g, state, betas)
    return param - lr * m_hat / (torch.sqrt(v_hat) + eps), new_state


adamw_literal = alternative(
    "adamw_literal",
    "optim.adamw",
    "p = param * (1 - lr * weight_decay), then the Adam update of p with the raw grad",
    literal=True,
)


@adamw_literal.replaces
def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    p = param * (1 - lr * weight_decay)
    m_hat, v_hat, new_state = _adam_moments(grad, state, betas)
    return p - lr * m_hat / (torch.sqrt(v_hat) + eps), new_state


# ================================================================================== schedules
step_lr_literal = alternative(
    "step_lr_literal",
    "schedules.step_lr",
    "base_lr * gamma ** (step // step_size)",
    literal=True,
)


@step_lr_literal.replaces
def step_lr(step, base_lr, step_size, gamma=0.1):
    return float(base_lr * gamma ** (step // step_size))


exponential_lr_literal = alternative(
    "exponential_lr_literal", "schedules.exponential_lr", "base_lr * gamma ** step", literal=True
)


@exponential_lr_literal.replaces
def exponential_lr(step, base_lr, gamma):
    return float(base_lr * gamma**step)


def _cosine(step, base_lr, total_steps, min_lr=0.0):
    if step > total_steps:
        return float(min_lr)
    return float(min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps)) / 2)


cosine_lr_literal = alternative(
    "cosine_lr_literal",
    "schedules.cosine_lr",
    "min_lr + (base_lr - min_lr) * (1 + cos(pi * step / total_steps)) / 2, min_lr past the end",
    literal=True,
)


@cosine_lr_literal.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    return _cosine(step, base_lr, total_steps, min_lr)


warmup_cosine_literal = alternative(
    "warmup_cosine_literal",
    "schedules.warmup_cosine_lr",
    "base_lr * (step + 1) / warmup_steps, then cosine_lr(step - warmup_steps, ...) as the "
    "docstring writes it",
    literal=True,
)


@warmup_cosine_literal.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return float(base_lr * (step + 1) / warmup_steps)
    return _cosine(step - warmup_steps, base_lr, total_steps - warmup_steps, min_lr)


one_cycle_literal = alternative(
    "one_cycle_literal",
    "schedules.one_cycle_lr",
    "initial, final and peak as the docstring defines them, f by anneal, the two phases split "
    "at peak",
    literal=True,
)


@one_cycle_literal.replaces
def one_cycle_lr(
    step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, anneal="cos"
):
    if step < 0 or step > total_steps - 1:
        raise ValueError("step outside 0 .. total_steps - 1")
    if anneal not in ("cos", "linear"):
        raise ValueError("anneal must be 'cos' or 'linear'")
    if not 1 < pct_start * total_steps < total_steps:
        raise ValueError("each phase needs a length")

    def f(start, end, pct):
        if anneal == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
        return start + (end - start) * pct

    initial = max_lr / div_factor
    final = initial / final_div_factor
    peak = pct_start * total_steps - 1
    if step <= peak:
        return float(f(initial, max_lr, step / peak))
    return float(f(max_lr, final, (step - peak) / (total_steps - 1 - peak)))


plateau_literal = alternative(
    "plateau_literal",
    "schedules.reduce_on_plateau_step",
    "the docstring's three steps in order: improvement by the bar of its table, cooldown, "
    "reduction",
    literal=True,
)


@plateau_literal.replaces
def reduce_on_plateau_step(
    metric,
    state,
    factor=0.1,
    patience=10,
    threshold=1e-4,
    mode="min",
    cooldown=0,
    min_lr=0.0,
    threshold_mode="rel",
    eps=1e-8,
):
    if mode not in ("min", "max"):
        raise ValueError("mode must be 'min' or 'max'")
    if threshold_mode not in ("rel", "abs"):
        raise ValueError("threshold_mode must be 'rel' or 'abs'")
    if factor >= 1:
        raise ValueError("factor must be < 1")
    metric = float(metric)
    lr = float(state["lr"])
    best = state.get("best", math.inf if mode == "min" else -math.inf)
    num_bad_epochs = state.get("num_bad_epochs", 0)
    cooldown_counter = state.get("cooldown_counter", 0)
    # 1. improvement
    if threshold_mode == "rel" and mode == "min":
        improved = metric < best * (1 - threshold)
    elif threshold_mode == "rel":
        improved = metric > best * (1 + threshold)
    elif mode == "min":
        improved = metric < best - threshold
    else:
        improved = metric > best + threshold
    if improved:
        best = float(metric)
        num_bad_epochs = 0
    else:
        num_bad_epochs += 1
    # 2. cooldown
    if cooldown_counter > 0:
        cooldown_counter -= 1
        num_bad_epochs = 0
    # 3. reduction
    if num_bad_epochs > patience:
        candidate = max(lr * factor, min_lr)
        if lr - candidate > eps:
            lr = candidate
        cooldown_counter = cooldown
        num_bad_epochs = 0
    new_state = {
        "lr": float(lr),
        "best": float(best),
        "num_bad_epochs": num_bad_epochs,
        "cooldown_counter": cooldown_counter,
    }
    return float(lr), new_state


# =================================================================================== clipping
clip_norm_literal = alternative(
    "clip_norm_literal",
    "clipping.clip_grad_norm",
    "total = (sum of |g| ** p) ** (1 / p) (the largest |g| for inf), scale = min(1, max_norm / "
    "(total + eps))",
    literal=True,
)


@clip_norm_literal.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    if norm_type == math.inf:
        total = torch.stack([torch.abs(g).max() for g in grads]).max()
    else:
        total = sum((torch.abs(g) ** norm_type).sum() for g in grads) ** (1 / norm_type)
    scale = torch.clamp(max_norm / (total + eps), max=1.0)
    return [g * scale for g in grads], total


clip_value_literal = alternative(
    "clip_value_literal",
    "clipping.clip_grad_value",
    "torch.clamp(g, -clip_value, clip_value) for every tensor",
    literal=True,
)


@clip_value_literal.replaces
def clip_grad_value(grads, clip_value):
    return [torch.clamp(g, -clip_value, clip_value) for g in grads]


# ================================================================================ diagnostics
eil_literal = alternative(
    "eil_literal", "diagnostics.expected_initial_loss", "math.log(num_classes)", literal=True
)


@eil_literal.replaces
def expected_initial_loss(num_classes):
    return math.log(num_classes)


lgn_literal = alternative(
    "lgn_literal",
    "diagnostics.layer_gradient_norms",
    "the docstring's draws, forward pass and loss line by line, then loss.backward()",
    literal=True,
)


@lgn_literal.replaces
def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64, residual=False):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, width, generator=g, dtype=torch.float64)
    if init == "small":
        s = 0.01
    elif init == "xavier":
        s = math.sqrt(2 / (width + width))
    else:
        s = math.sqrt(2 / width)
    Ws = []
    for _ in range(depth):
        W = torch.randn(width, width, generator=g, dtype=torch.float64) * s
        Ws.append(W.requires_grad_(True))
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    h = x
    for W in Ws:
        if residual:
            h = h + act(h @ W.T)
        else:
            h = act(h @ W.T)
    loss = 0.5 * (h**2).mean()
    loss.backward()
    return [W.grad.abs().mean().item() for W in Ws]


drf_literal = alternative(
    "drf_literal",
    "diagnostics.dead_relu_fraction",
    "counts the columns whose every value is <= 0 and divides by H",
    literal=True,
)


@drf_literal.replaces
def dead_relu_fraction(pre_activations):
    dead = (pre_activations <= 0).all(dim=0)
    return dead.sum().item() / pre_activations.shape[1]


dlc_literal = alternative(
    "dlc_literal",
    "diagnostics.diagnose_loss_curve",
    "the seven rules in order, each written as the docstring states it",
    literal=True,
)


@dlc_literal.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    t = [float(value) for value in train_losses]
    v = [float(value) for value in val_losses] if val_losses is not None else None
    n = len(t)
    k = max(1, n // 5)
    # 1. diverged
    if any(not math.isfinite(value) for value in t) or t[n - 1] > t[0]:
        return "diverged"
    if v is not None and any(not math.isfinite(value) for value in v):
        return "diverged"
    # 2. spike
    for i in range(1, n):
        if t[i] > 3 * t[i - 1] and any(t[j] <= 2 * t[i - 1] for j in range(i + 1, min(i + 6, n))):
            return "spike"
    # 3. lr_too_high
    ups = sum(1 for i in range(1, n) if t[i] > 1.01 * t[i - 1])
    if ups >= 0.4 * (n - 1) and sum(t[n - k :]) / k > 0.5 * (sum(t[:k]) / k):
        return "lr_too_high"
    # 4. stuck
    if abs(t[n - 1] - t[0]) <= 0.01 * abs(t[0]):
        return "stuck"
    # 5. overfitting
    if v is not None and t[n - 1] < t[n - 1 - k] and v[n - 1] >= 1.1 * min(v):
        return "overfitting"

    # 6. underfitting
    def flat(curve):
        last = curve[len(curve) - (k + 1) :]
        return max(last) - min(last) <= 0.05 * max(last)

    if flat(t) and (v is None or flat(v)) and t[n - 1] > 0.5 * t[0]:
        return "underfitting"
    return "healthy"


# ======================================================================================= data
mixup_literal = alternative(
    "mixup_literal",
    "data.mixup",
    "the docstring's draws in order, then x_mixed and y_mixed row by row as written",
    literal=True,
)


@mixup_literal.replaces
def mixup(x, y_onehot, alpha, generator=None):
    if alpha <= 0:
        raise ValueError("alpha must be > 0")
    if y_onehot.dim() != 2 or not y_onehot.is_floating_point():
        raise ValueError("y_onehot must be a 2-D floating tensor")
    if x.shape[0] != y_onehot.shape[0]:
        raise ValueError("x and y_onehot must have the same batch size")
    n = x.shape[0]
    c = torch.full((n,), alpha, dtype=torch.float64, device=x.device)
    g1 = torch._standard_gamma(c, generator=generator)
    g2 = torch._standard_gamma(c, generator=generator)
    lam = g1 / (g1 + g2)
    perm = torch.randperm(n, generator=generator, device=x.device)
    x_mixed = torch.empty_like(x)
    y_mixed = torch.empty_like(y_onehot)
    for i in range(n):
        lam_x, lam_y = lam[i].to(x.dtype), lam[i].to(y_onehot.dtype)
        x_mixed[i] = lam_x * x[i] + (1 - lam_x) * x[perm[i]]
        y_mixed[i] = lam_y * y_onehot[i] + (1 - lam_y) * y_onehot[perm[i]]
    return x_mixed, y_mixed


augment_literal = alternative(
    "augment_literal",
    "data.augment_points",
    "theta and e drawn as the docstring says; the two coordinates written out as its formulas",
    literal=True,
)


@augment_literal.replaces
def augment_points(x, generator=None, max_angle=0.2, noise_std=0.05):
    if x.dim() != 2 or x.shape[1] != 2:
        raise ValueError("x must have shape (N, 2)")
    if max_angle < 0 or noise_std < 0:
        raise ValueError("max_angle and noise_std must be >= 0")
    n = x.shape[0]
    theta = (2 * torch.rand(n, generator=generator, dtype=x.dtype, device=x.device) - 1) * max_angle
    e = torch.randn(n, 2, generator=generator, dtype=x.dtype, device=x.device) * noise_std
    x0 = torch.cos(theta) * x[:, 0] - torch.sin(theta) * x[:, 1] + e[:, 0]
    x1 = torch.sin(theta) * x[:, 0] + torch.cos(theta) * x[:, 1] + e[:, 1]
    return torch.stack([x0, x1], dim=1)


kfold_literal = alternative(
    "kfold_literal",
    "data.kfold_indices",
    "order from randperm (or arange), fold sizes n // k + 1 for the first n % k folds, each "
    "fold's chunk as validation and the rest, sorted, as training",
    literal=True,
)


@kfold_literal.replaces
def kfold_indices(n, k, generator=None, shuffle=True):
    if (
        not isinstance(n, int)
        or isinstance(n, bool)
        or not isinstance(k, int)
        or isinstance(k, bool)
    ):
        raise ValueError("n and k must be ints")
    if k < 2 or k > n:
        raise ValueError("need 2 <= k <= n")
    if shuffle:
        order = torch.randperm(n, generator=generator)
    else:
        order = torch.arange(n)
    folds = []
    start = 0
    for f in range(k):
        size = n // k + 1 if f < n % k else n // k
        val_idx = order[start : start + size]
        train_idx = torch.cat([order[:start], order[start + size :]])
        folds.append((torch.sort(train_idx).values, torch.sort(val_idx).values))
        start = start + size
    return folds


# ================================================================================= regression
def _minibatches(n, batch_size, generator, drop_last=False):
    if n < 0 or batch_size < 1:
        raise ValueError("need n >= 0 and batch_size >= 1")
    order = torch.randperm(n, generator=generator, device=generator.device)
    batches = []
    for start in range(0, n, batch_size):
        batch = order[start : start + batch_size]
        if drop_last and len(batch) < batch_size:
            break
        batches.append(batch)
    return batches


minibatches_literal = alternative(
    "minibatches_literal",
    "regression.minibatches",
    "order = randperm(n), then order[0:B], order[B:2B], ... in a loop, the short last batch "
    "left out with drop_last",
    literal=True,
)


@minibatches_literal.replaces
def minibatches(n, batch_size, generator, drop_last=False):
    return _minibatches(n, batch_size, generator, drop_last)


train_lr_literal = alternative(
    "train_lr_literal",
    "regression.train_linear_regression",
    "the docstring's loop line by line: r, loss, dw, db and the update per batch",
    literal=True,
)


@train_lr_literal.replaces
def train_linear_regression(X, y, lr, epochs, batch_size, generator):
    N, D = X.shape
    w = torch.zeros(D, dtype=X.dtype, device=X.device)
    b = torch.zeros((), dtype=X.dtype, device=X.device)
    losses = []
    for _ in range(epochs):
        for idx in _minibatches(N, batch_size, generator):
            B = len(idx)
            r = X[idx] @ w + b - y[idx]
            loss = (r**2).mean()
            losses.append(loss.item())
            dw = (2 / B) * X[idx].T @ r
            db = (2 / B) * r.sum()
            w, b = w - lr * dw, b - lr * db
    return w, b, losses


closed_form_literal = alternative(
    "closed_form_literal",
    "regression.linear_regression_closed_form",
    "torch.linalg.cholesky of X^T X, then torch.cholesky_solve with X^T y, as the docstring "
    "suggests",
    literal=True,
)


@closed_form_literal.replaces
def linear_regression_closed_form(X, y):
    if X.dim() != 2 or y.dim() not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError("need X of shape (N, D) and y of shape (N,) or (N, K)")
    if X.shape[0] < X.shape[1]:
        raise ValueError("need at least as many examples as features")
    Y = y if y.dim() == 2 else y.unsqueeze(1)
    L = torch.linalg.cholesky(X.T @ X)
    w = torch.cholesky_solve(X.T @ Y, L)
    return w if y.dim() == 2 else w.squeeze(1)


# ====================================================================================== train
train_literal = alternative(
    "train_literal",
    "train.train_classifier",
    "a plain loop: Kaiming-uniform init, shuffled mini-batches, the MLP's loss and gradients by "
    "hand, Adam steps at a constant rate",
    literal=True,
)


@train_literal.replaces
def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    g = torch.Generator().manual_seed(seed)
    n, d = x_train.shape
    classes = max(int(y_train.max()), int(y_val.max())) + 1
    sizes = [d, 64, 64, classes]
    dtype, device = x_train.dtype, x_train.device
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = math.sqrt(3) * math.sqrt(2 / fan_in)
        W = (2 * torch.rand(fan_out, fan_in, generator=g, dtype=dtype) - 1) * bound
        params.append((W.to(device), torch.zeros(fan_out, dtype=dtype, device=device)))
    states = [[{}, {}] for _ in params]
    train_loss, val_loss = [], []
    epochs = max(25, -(-100 // -(-n // 32)))
    for _ in range(epochs):
        batch_losses = []
        for idx in _minibatches(n, 32, g):
            idx = idx.to(device)
            loss, grads = mlp_loss_and_grads(params, x_train[idx], y_train[idx])
            new_params = []
            for i, ((W, b), (dW, db)) in enumerate(zip(params, grads)):
                W, states[i][0] = adam_step(W, dW, states[i][0], lr=1e-2)
                b, states[i][1] = adam_step(b, db, states[i][1], lr=1e-2)
                new_params.append((W, b))
            params = new_params
            batch_losses.append(loss.item())
        train_loss.append(sum(batch_losses) / len(batch_losses))
        val_loss.append(mlp_loss_and_grads(params, x_val, y_val)[0].item())
    return {"params": params, "train_loss": train_loss, "val_loss": val_loss}
