"""Catalogued variants of layers.py: realistic bugs (each must lose points) and alternative
correct implementations (each must keep full marks).

Reference cache of linear_forward: (x, W). The bugs are the slips students make most often with a
linear layer and ReLU (a transposed dW, db as a mean, dx through W.T, a ReLU mask taken from the
upstream gradient), the classic in-place finite-difference loop, and mistakes of our own.
"""

import math

import numpy as np
import torch

from descent.catalogue import alternative, bug


def _softplus(x):
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))


def _sigmoid(x):
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _log_softmax(z):
    s = z - z.amax(dim=1, keepdim=True)
    return s - torch.log(torch.exp(s).sum(dim=1, keepdim=True))


def _onehot(y, like):
    out = torch.zeros_like(like)
    out[torch.arange(like.shape[0], device=like.device), y] = 1.0
    return out


# Elementwise activations as (forward, derivative from the pre-activation z).
_ACT = {
    "relu": (lambda z: torch.clamp(z, min=0), lambda z: (z > 0).to(z.dtype)),
    "leaky_relu": (
        lambda z: torch.where(z > 0, z, 0.01 * z),
        lambda z: torch.where(z > 0, torch.ones_like(z), torch.full_like(z, 0.01)),
    ),
    "tanh": (torch.tanh, lambda z: 1 - torch.tanh(z) ** 2),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "gelu": (
        lambda z: z * 0.5 * (1 + torch.erf(z / math.sqrt(2))),
        lambda z: (
            0.5 * (1 + torch.erf(z / math.sqrt(2)))
            + z * torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        ),
    ),
    "silu": (lambda z: z * _sigmoid(z), lambda z: _sigmoid(z) * (1 + z * (1 - _sigmoid(z)))),
}


def _two_layer(
    params,
    x,
    y,
    *,
    mask="z",
    div_n=True,
    double_sigmoid=False,
    naive_loss=False,
    vector_logit=False,
):
    """The two-layer network with switchable mistakes (mask: 'z', 'ge0' or 'upstream')."""
    n = x.shape[0]
    z1 = x @ params["W1"].T + params["b1"]
    a1 = torch.clamp(z1, min=0)
    z2 = (a1 @ params["W2"].T + params["b2"])[:, 0]
    if naive_loss:
        p = 1 / (1 + torch.exp(-z2))
        loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    else:
        loss = (y * _softplus(-z2) + (1 - y) * _softplus(z2)).mean()
    p = _sigmoid(z2)
    dz2 = p - y
    if double_sigmoid:
        dz2 = dz2 * p * (1 - p)
    if div_n:
        dz2 = dz2 / n
    if vector_logit:  # dz2 stays (N,): dW2 comes out (H,) and db2 0-dim
        dW2, db2 = dz2 @ a1, dz2.sum()
        da1 = dz2[:, None] * params["W2"]
    else:
        dz2 = dz2[:, None]
        dW2, db2 = dz2.T @ a1, dz2.sum(0)
        da1 = dz2 @ params["W2"]
    keep = {"z": z1 > 0, "ge0": z1 >= 0, "upstream": da1 > 0}[mask]
    dz1 = torch.where(keep, da1, torch.zeros_like(da1))
    return loss, {"W1": dz1.T @ x, "b1": dz1.sum(0), "W2": dW2, "b2": db2}


def _mlp(
    params,
    x,
    y,
    activation="relu",
    *,
    mask_from_grad=False,
    act_after_last=False,
    reverse_grads=False,
    force_relu=False,
    naive_softmax=False,
    sum_loss=False,
):
    """The MLP with switchable mistakes."""
    name = "relu" if force_relu else activation
    act, dact = _ACT[name]
    hs, zs, h = [x], [], x
    last = len(params) - 1
    for i, (W, b) in enumerate(params):
        z = h @ W.T + b
        zs.append(z)
        h = act(z) if (i < last or act_after_last) else z
        hs.append(h)
    n = x.shape[0]
    if naive_softmax:
        e = torch.exp(h)
        logp = torch.log(e / e.sum(dim=1, keepdim=True))
    else:
        logp = _log_softmax(h)
    nll = -logp[torch.arange(n, device=x.device), y]
    loss = nll.sum() if sum_loss else nll.mean()
    d = torch.exp(logp) - _onehot(y, h)
    if not sum_loss:
        d = d / n
    grads = []
    for i in reversed(range(len(params))):
        if i < last or act_after_last:
            if mask_from_grad:
                d = d * (d > 0).to(d.dtype)
            else:
                d = d * dact(zs[i])
        W, _ = params[i]
        grads.append((d.T @ hs[i], d.sum(0)))
        d = d @ W
    if not reverse_grads:
        grads.reverse()
    return loss, grads


def _numgrad(f, x, eps, *, central=True, halve=True):
    grad = x.new_zeros(x.shape)
    flat = grad.view(-1)
    for i in range(x.numel()):
        step = x.new_zeros(x.numel())
        step[i] = eps
        step = step.view(x.shape)
        if central:
            flat[i] = (f(x + step) - f(x - step)) / (2 * eps if halve else eps)
        else:
            flat[i] = (f(x + step) - f(x)) / eps
    return grad


# ----------------------------------------------------------------------------------- linear
linear_column_vectors = bug(
    "linear_column_vectors",
    "layers.linear",
    "writes the textbook y = W x + b as W @ x.T + b[:, None], so y comes out (Dout, N)",
    hint="Here a batch is a stack of rows: x is (N, Din) and y must be "
    "(N, Dout), so y = x @ W.T + b.",
    generic="layout",
    wrong_on="ordinary",
)


@linear_column_vectors.replaces
def linear_forward(x, W, b):
    return W @ x.T + b[:, None], (x, W)


linear_dW_transposed = bug(
    "linear_dW_transposed",
    "layers.linear",
    "returns dW = x.T @ dy, laid out as (Din, Dout)",
    hint="dW must have W's shape (Dout, Din): dW = dy.T @ x.",
    generic="layout",
    wrong_on="ordinary",
)


@linear_dW_transposed.replaces
def linear_backward(dy, cache):
    x, W = cache
    return dy @ W, x.T @ dy, dy.sum(0)


linear_db_mean = bug(
    "linear_db_mean",
    "layers.linear",
    "averages the upstream gradient over the batch for db",
    hint="b is added to every row, so its gradient is the sum over the batch, not the mean.",
    generic="sum-mean",
    wrong_on="ordinary",
)


@linear_db_mean.replaces
def linear_backward(dy, cache):
    x, W = cache
    return dy @ W, dy.T @ x, dy.mean(0)


linear_db_not_reduced = bug(
    "linear_db_not_reduced",
    "layers.linear",
    "returns db = dy, one row per example, without reducing the batch",
    hint="db must have b's shape (Dout,): sum dy over the batch dimension.",
    generic="reduction",
    wrong_on="ordinary",
)


@linear_db_not_reduced.replaces
def linear_backward(dy, cache):
    x, W = cache
    return dy @ W, dy.T @ x, dy


linear_dx_uses_WT = bug(
    "linear_dx_uses_WT",
    "layers.linear",
    "computes dx = dy @ W.T, as if W were laid out (Din, Dout)",
    hint="With y = x @ W.T the input gradient is dx = dy @ W, of shape (N, Din).",
    generic="layout",
    wrong_on="ordinary",
)


@linear_dx_uses_WT.replaces
def linear_backward(dy, cache):
    x, W = cache
    return dy @ W.T, dy.T @ x, dy.sum(0)


linear_ignores_upstream_db = bug(
    "linear_ignores_upstream_db",
    "layers.linear",
    "counts the examples for db instead of summing dy",
    hint="db is the sum of dy over the batch; the local derivative "
    "1 must still be multiplied by the upstream gradient.",
    generic="factor",
    wrong_on="ordinary",
)


@linear_ignores_upstream_db.replaces
def linear_backward(dy, cache):
    x, W = cache
    return dy @ W, dy.T @ x, torch.ones_like(dy).sum(0)


# ------------------------------------------------------------------------- two-layer network
two_layer_relu_mask_from_upstream = bug(
    "two_layer_relu_mask_from_upstream",
    "layers.two_layer_net",
    "builds the ReLU mask from the sign of the upstream gradient instead of z1",
    hint="ReLU passes the gradient where its input z1 was positive in the forward pass; the "
    "sign of the incoming gradient does not matter.",
    wrong_on="ordinary",
)


@two_layer_relu_mask_from_upstream.replaces
def two_layer_net(params, x, y):
    return _two_layer(params, x, y, mask="upstream")


two_layer_relu_ge0 = bug(
    "two_layer_relu_ge0",
    "layers.two_layer_net",
    "lets the gradient through where z1 >= 0 (derivative 1 at exactly 0)",
    hint="ReLU's derivative at exactly 0 is 0: mask with z1 > 0.",
    generic="branch",
    wrong_on="edge",
)


@two_layer_relu_ge0.replaces
def two_layer_net(params, x, y):
    return _two_layer(params, x, y, mask="ge0")


two_layer_no_div_n = bug(
    "two_layer_no_div_n",
    "layers.two_layer_net",
    "averages the loss but returns the gradients of the summed loss",
    hint="The loss is a mean over N examples, so the logit gradient is (p - y) / N.",
    generic="sum-mean",
    wrong_on="ordinary",
)


@two_layer_no_div_n.replaces
def two_layer_net(params, x, y):
    return _two_layer(params, x, y, div_n=False)


two_layer_double_sigmoid = bug(
    "two_layer_double_sigmoid",
    "layers.two_layer_net",
    "multiplies p - y by the sigmoid derivative p*(1 - p) again",
    hint="p - y is already the gradient with respect to the logit: "
    "the sigmoid's derivative cancels against the BCE's.",
    wrong_on="ordinary",
)


@two_layer_double_sigmoid.replaces
def two_layer_net(params, x, y):
    return _two_layer(params, x, y, double_sigmoid=True)


two_layer_naive_bce = bug(
    "two_layer_naive_bce",
    "layers.two_layer_net",
    "computes log(sigmoid(z)) and log(1 - sigmoid(z)) directly",
    hint="For large logits sigmoid rounds to exactly 0 or 1 and the log "
    "is -inf: use softplus forms, log(p) = -softplus(-z).",
    generic="stability",
    wrong_on="ordinary",  # the docstring makes a finite loss at logits of 1000 its contract
)


@two_layer_naive_bce.replaces
def two_layer_net(params, x, y):
    return _two_layer(params, x, y, naive_loss=True)


two_layer_vector_logit_grads = bug(
    "two_layer_vector_logit_grads",
    "layers.two_layer_net",
    "keeps the logit gradient as a vector of shape (N,), so dW2 comes out (H,) and db2 0-dim",
    hint="W2 is (1, H) and b2 is (1,): turn dz2 into a column, dz2[:, None] of shape (N, 1), "
    "before dW2 = dz2.T @ a1 and db2 = dz2.sum(0).",
    generic="layout",
    wrong_on="ordinary",
)


@two_layer_vector_logit_grads.replaces
def two_layer_net(params, x, y):
    return _two_layer(params, x, y, vector_logit=True)


# -------------------------------------------------------------------------------------- MLP
mlp_relu_mask_from_grad = bug(
    "mlp_relu_mask_from_grad",
    "layers.mlp_loss_and_grads",
    "builds the ReLU mask from the sign of the upstream gradient",
    hint="The mask is where the layer's pre-activation z was "
    "positive in the forward pass; keep z in the cache.",
    wrong_on="ordinary",
)


@mlp_relu_mask_from_grad.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    return _mlp(params, x, y, activation, mask_from_grad=True)


mlp_activation_after_last = bug(
    "mlp_activation_after_last",
    "layers.mlp_loss_and_grads",
    "applies the activation after the last layer too",
    hint="The last layer produces the logits: no activation after "
    "it, cross-entropy reads them directly.",
    generic="branch",
    wrong_on="ordinary",
)


@mlp_activation_after_last.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    return _mlp(params, x, y, activation, act_after_last=True)


mlp_grads_last_first = bug(
    "mlp_grads_last_first",
    "layers.mlp_loss_and_grads",
    "returns the gradients in the order the backward pass found them, last layer first",
    hint="grads[i] must belong to params[i]: reverse the list built "
    "during the backward pass, or fill it by index.",
    generic="order",
    wrong_on="ordinary",
)


@mlp_grads_last_first.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    return _mlp(params, x, y, activation, reverse_grads=True)


mlp_ignores_activation = bug(
    "mlp_ignores_activation",
    "layers.mlp_loss_and_grads",
    "always uses ReLU whatever `activation` says",
    hint="Pick the forward and the derivative from the `activation` "
    "argument (relu, leaky_relu, tanh, sigmoid, gelu, silu).",
    generic="argument",
    wrong_on="ordinary",
)


@mlp_ignores_activation.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    return _mlp(params, x, y, activation, force_relu=True)


mlp_naive_softmax = bug(
    "mlp_naive_softmax",
    "layers.mlp_loss_and_grads",
    "exponentiates the logits without subtracting the row maximum",
    hint="exp overflows above ~709 in float64: subtract each row's maximum logit before exp.",
    generic="stability",
    wrong_on="ordinary",  # the docstring makes a finite loss at logits of ~1e3 its contract
)


@mlp_naive_softmax.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    return _mlp(params, x, y, activation, naive_softmax=True)


mlp_sum_over_batch = bug(
    "mlp_sum_over_batch",
    "layers.mlp_loss_and_grads",
    "sums the cross-entropy over the batch instead of averaging",
    hint="The loss is the mean over the N examples, and so are its gradients: divide by N.",
    generic="sum-mean",
    wrong_on="ordinary",
)


@mlp_sum_over_batch.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    return _mlp(params, x, y, activation, sum_loss=True)


# ------------------------------------------------------------------------ numerical gradient
numgrad_in_place = bug(
    "numgrad_in_place",
    "layers.numerical_gradient",
    "writes x[i] += eps into x, calls f(x), then restores x[i]",
    hint="x must never change, even briefly: f may read x while it runs. "
    "Evaluate f on a new tensor such as x + step.",
    generic="inplace",
    wrong_on="edge",
)


@numgrad_in_place.replaces
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    flat_x, flat_g = x.view(-1), grad.view(-1)
    for i in range(x.numel()):
        old = flat_x[i].item()
        flat_x[i] = old + eps
        plus = f(x)
        flat_x[i] = old - eps
        minus = f(x)
        flat_x[i] = old
        flat_g[i] = (plus - minus) / (2 * eps)
    return grad


numgrad_forward_difference = bug(
    "numgrad_forward_difference",
    "layers.numerical_gradient",
    "uses the one-sided difference (f(x + eps) - f(x)) / eps",
    hint="Use central differences (f(x + eps) - f(x - eps)) / "
    "(2 eps): their error is O(eps^2) instead of O(eps).",
    generic="term",
    wrong_on="ordinary",
)


@numgrad_forward_difference.replaces
def numerical_gradient(f, x, eps=1e-6):
    return _numgrad(f, x, eps, central=False)


numgrad_no_half = bug(
    "numgrad_no_half",
    "layers.numerical_gradient",
    "divides the central difference by eps instead of 2*eps",
    hint="x + eps and x - eps are 2*eps apart: divide by 2*eps.",
    generic="factor",
    wrong_on="ordinary",
)


@numgrad_no_half.replaces
def numerical_gradient(f, x, eps=1e-6):
    return _numgrad(f, x, eps, halve=False)


numgrad_default_eps_1e5 = bug(
    "numgrad_default_eps_1e5",
    "layers.numerical_gradient",
    "defaults eps to 1e-5 instead of 1e-6",
    hint="The default step is eps=1e-6.",
    wrong_on="ordinary",
)


@numgrad_default_eps_1e5.replaces
def numerical_gradient(f, x, eps=1e-5):
    return _numgrad(f, x, eps)


numgrad_first_dim_only = bug(
    "numgrad_first_dim_only",
    "layers.numerical_gradient",
    "loops over x[i] for i in range(len(x)), moving whole rows at once",
    hint="Perturb one element at a time: loop over x.numel() positions "
    "of a flattened view, not over the first dimension.",
    generic="broadcast",
    wrong_on="ordinary",
)


@numgrad_first_dim_only.replaces
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    for i in range(len(x)):
        plus, minus = x.clone(), x.clone()
        plus[i] += eps
        minus[i] -= eps
        grad[i] = (f(plus) - f(minus)) / (2 * eps)
    return grad


# ---------------------------------------------------------------------------- relative error
relerr_no_floor = bug(
    "relerr_no_floor",
    "layers.relative_error",
    "divides by |a| + |b| with no floor (0/0 = NaN where both are 0)",
    hint="Divide by max(1e-12, |a| + |b|) so that two zeros give 0.",
    generic="stability",
    wrong_on="edge",
)


@relerr_no_floor.replaces
def relative_error(a, b):
    return ((a - b).abs() / (a.abs() + b.abs())).max().item()


relerr_mean = bug(
    "relerr_mean",
    "layers.relative_error",
    "averages the elementwise ratios instead of taking the largest",
    hint="Report the worst element: the maximum of the ratios, not their mean.",
    generic="reduction",
    wrong_on="ordinary",
)


@relerr_mean.replaces
def relative_error(a, b):
    return ((a - b).abs() / torch.clamp(a.abs() + b.abs(), min=1e-12)).mean().item()


relerr_global = bug(
    "relerr_global",
    "layers.relative_error",
    "divides the largest difference by the largest |a| + |b|",
    hint="Form the ratio element by element first, then take the maximum; a "
    "global ratio hides errors in small entries.",
    wrong_on="ordinary",
)


@relerr_global.replaces
def relative_error(a, b):
    return ((a - b).abs().max() / torch.clamp((a.abs() + b.abs()).max(), min=1e-12)).item()


relerr_max_denominator = bug(
    "relerr_max_denominator",
    "layers.relative_error",
    "divides by max(|a|, |b|) instead of |a| + |b|",
    hint="The denominator is |a| + |b| (floored at 1e-12).",
    wrong_on="ordinary",
)


@relerr_max_denominator.replaces
def relative_error(a, b):
    return ((a - b).abs() / torch.clamp(torch.maximum(a.abs(), b.abs()), min=1e-12)).max().item()


relerr_returns_tensor = bug(
    "relerr_returns_tensor",
    "layers.relative_error",
    "returns a 0-dim tensor instead of a Python float",
    hint="Return a Python number: call .item() on the result.",
    generic="structure",
    wrong_on="ordinary",
)


@relerr_returns_tensor.replaces
def relative_error(a, b):
    return ((a - b).abs() / torch.clamp(a.abs() + b.abs(), min=1e-12)).max()


# ============================================================ alternative correct implementations
linear_einsum = alternative(
    "linear_einsum", "layers.linear", "uses einsum and keeps the cache in a dict"
)


@linear_einsum.replaces
def linear_forward(x, W, b):
    return torch.einsum("ni,oi->no", x, W) + b, {"x": x, "W": W}


@linear_einsum.replaces
def linear_backward(dy, cache):
    x, W = cache["x"], cache["W"]
    return (
        torch.einsum("no,oi->ni", dy, W),
        torch.einsum("no,ni->oi", dy, x),
        torch.einsum("no->o", dy),
    )


two_layer_explicit = alternative(
    "two_layer_explicit",
    "layers.two_layer_net",
    "writes every step inline, with the loss through logaddexp",
)


@two_layer_explicit.replaces
def two_layer_net(params, x, y):
    W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
    z1 = torch.addmm(b1, x, W1.T)
    a1 = z1 * (z1 > 0)
    z = (a1 @ W2.T).squeeze(1) + b2
    zero = torch.zeros_like(z)
    loss = torch.mean(y * torch.logaddexp(zero, -z) + (1 - y) * torch.logaddexp(zero, z))
    dz = (_sigmoid(z) - y) / x.shape[0]
    dW2 = (dz[:, None] * a1).sum(0, keepdim=True)
    db2 = dz.sum().reshape(1)
    dz1 = dz[:, None] * W2 * (z1 > 0)
    return loss, {"W2": dW2, "b2": db2, "W1": dz1.T @ x, "b1": dz1.sum(0)}


mlp_inline = alternative(
    "mlp_inline",
    "layers.mlp_loss_and_grads",
    "keeps activations in lists, a one-hot softmax gradient and its own activation table",
)


@mlp_inline.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    return _mlp(params, x, y, activation)


numgrad_identity_rows = alternative(
    "numgrad_identity_rows",
    "layers.numerical_gradient",
    "takes the steps from the rows of eps * identity",
)


@numgrad_identity_rows.replaces
def numerical_gradient(f, x, eps=1e-6):
    n = x.numel()
    steps = (torch.eye(n, dtype=x.dtype, device=x.device) * eps).reshape(n, *x.shape)
    values = [(f(x + s) - f(x - s)) / (2 * eps) for s in steps]
    return torch.stack(
        [torch.as_tensor(v, dtype=x.dtype, device=x.device) for v in values]
    ).reshape(x.shape)


relerr_where = alternative(
    "relerr_where",
    "layers.relative_error",
    "floors the denominator with torch.maximum and converts with float()",
)


@relerr_where.replaces
def relative_error(a, b):
    den = torch.maximum(a.abs() + b.abs(), torch.full_like(a, 1e-12))
    return float(torch.max(torch.abs(a - b) / den))


# ---------------------------------------------------------------------------- residual block
# Reference cache of residual_block_forward: ((x, W1), (z,), (a, W2)).
def _residual_parts(cache):
    (x, W1), (z,), (a, W2) = cache
    return x, W1, z, a, W2


def _check_branch(x, W2, b2):
    if W2.shape[0] != x.shape[1] or b2.shape != (x.shape[1],):
        raise ValueError("W2 and b2 must map back to x's width")


def _residual_grads(dy, x, W1, z, a, W2, *, skip=True, mask="z", reduce="sum", transposed=False):
    """The residual block's gradients with switchable mistakes."""
    da = dy @ W2
    keep = z > 0 if mask == "z" else z >= 0
    dz = torch.where(keep, da, torch.zeros_like(da))
    total = (lambda t: t.sum(0)) if reduce == "sum" else (lambda t: t.mean(0))
    dx = dz @ W1
    dW1, dW2 = (x.T @ dz, a.T @ dy) if transposed else (dz.T @ x, dy.T @ a)
    return (dy + dx if skip else dx), dW1, total(dz), dW2, total(dy)


residual_no_skip_grad = bug(
    "residual_backward_no_skip",
    "layers.residual_block",
    "backpropagates only through the branch and forgets the skip's dy in dx",
    hint="y = x + branch(x): x reaches y twice, so dx = dy (through the skip) + dz @ W1 "
    "(through the branch).",
    classic=True,
    generic=("term", "zero"),
    wrong_on="ordinary",
)


@residual_no_skip_grad.replaces
def residual_block_backward(dy, cache):
    return _residual_grads(dy, *_residual_parts(cache), skip=False)


residual_mask_ge0 = bug(
    "residual_relu_mask_ge0",
    "layers.residual_block",
    "lets the gradient through the ReLU where z >= 0, so a unit at exactly 0 still learns",
    hint="ReLU's derivative at exactly 0 is taken as 0: mask with z > 0.",
    generic="branch",
    wrong_on="edge",
)


@residual_mask_ge0.replaces
def residual_block_backward(dy, cache):
    return _residual_grads(dy, *_residual_parts(cache), mask="ge0")


residual_bias_mean = bug(
    "residual_bias_grad_mean",
    "layers.residual_block",
    "averages over the batch for db1 and db2 instead of summing",
    hint="each bias is added to every row, so its gradient is the sum of the upstream gradient "
    "over the batch.",
    generic="sum-mean",
    wrong_on="ordinary",
)


@residual_bias_mean.replaces
def residual_block_backward(dy, cache):
    return _residual_grads(dy, *_residual_parts(cache), reduce="mean")


residual_dW_transposed = bug(
    "residual_dW_transposed",
    "layers.residual_block",
    "computes dW1 = x.T @ dz and dW2 = a.T @ dy, laid out as the transposes of W1 and W2",
    hint="each weight gradient has its weight's shape: dW1 = dz.T @ x is (H, D) like W1 and "
    "dW2 = dy.T @ a is (D, H) like W2.",
    generic="layout",
    wrong_on="ordinary",
)


@residual_dW_transposed.replaces
def residual_block_backward(dy, cache):
    return _residual_grads(dy, *_residual_parts(cache), transposed=True)


residual_backward_in_place = bug(
    "residual_backward_adds_into_dy",
    "layers.residual_block",
    "adds the branch's gradient into dy in place (dy += dz @ W1) to form dx",
    hint="dy belongs to the caller: build dx = dy + dz @ W1 as a new tensor.",
    generic="inplace",
    wrong_on="ordinary",
)


@residual_backward_in_place.replaces
def residual_block_backward(dy, cache):
    x, W1, z, a, W2 = _residual_parts(cache)
    dx_branch, dW1, db1, dW2, db2 = _residual_grads(dy, x, W1, z, a, W2, skip=False)
    return dy.add_(dx_branch), dW1, db1, dW2, db2


residual_post_relu = bug(
    "residual_relu_after_the_sum",
    "layers.residual_block",
    "applies the ReLU after adding the skip, y = relu(x + W2 a + b2), as in the original ResNet",
    hint="here the block is y = x + relu(x @ W1.T + b1) @ W2.T + b2: the skip is added last "
    "and nothing follows it.",
    wrong_on="ordinary",
)


@residual_post_relu.replaces
def residual_block_forward(x, W1, b1, W2, b2):
    _check_branch(x, W2, b2)
    z = x @ W1.T + b1
    a = torch.clamp(z, min=0)
    s = x + a @ W2.T + b2
    return torch.clamp(s, min=0), ((x, W1), (z,), (a, W2), s)


@residual_post_relu.replaces
def residual_block_backward(dy, cache):
    *inner, s = cache
    return _residual_grads(torch.where(s > 0, dy, torch.zeros_like(dy)), *_residual_parts(inner))


residual_relu_on_output = bug(
    "residual_relu_on_branch_output",
    "layers.residual_block",
    "puts a ReLU after the branch's second layer too, y = x + relu(a @ W2.T + b2)",
    hint="only the hidden layer has a ReLU: the branch's output a @ W2.T + b2 is added to x as "
    "it is, negative entries included.",
    wrong_on="ordinary",
)


@residual_relu_on_output.replaces
def residual_block_forward(x, W1, b1, W2, b2):
    _check_branch(x, W2, b2)
    z = x @ W1.T + b1
    a = torch.clamp(z, min=0)
    out = a @ W2.T + b2
    return x + torch.clamp(out, min=0), ((x, W1), (z,), (a, W2), out)


@residual_relu_on_output.replaces
def residual_block_backward(dy, cache):
    *inner, out = cache
    dx_branch, dW1, db1, dW2, db2 = _residual_grads(
        torch.where(out > 0, dy, torch.zeros_like(dy)), *_residual_parts(inner), skip=False
    )
    return dy + dx_branch, dW1, db1, dW2, db2


residual_no_check = bug(
    "residual_no_shape_check",
    "layers.residual_block",
    "never checks that the branch maps back to x's width, so a (1, H) W2 broadcasts silently",
    hint="raise ValueError unless W2 is (D, H) and b2 is (D,) for x of shape (N, D).",
    generic="validation",
    wrong_on="edge",
)


@residual_no_check.replaces
def residual_block_forward(x, W1, b1, W2, b2):
    z = x @ W1.T + b1
    a = torch.clamp(z, min=0)
    return x + a @ W2.T + b2, ((x, W1), (z,), (a, W2))


def _residual_numpy(restore_dtype):
    """The residual block computed in NumPy float64, converted back to the inputs' device and,
    with ``restore_dtype``, to their dtype (torch.from_numpy alone keeps float64)."""

    def back(array, dtype, device):
        t = torch.from_numpy(np.ascontiguousarray(array)).to(device=device)
        return t.to(dtype) if restore_dtype else t

    def residual_block_forward(x, W1, b1, W2, b2):
        _check_branch(x, W2, b2)
        xn, W1n, b1n, W2n, b2n = (
            t.detach().cpu().numpy().astype(np.float64) for t in (x, W1, b1, W2, b2)
        )
        z = xn @ W1n.T + b1n
        a = np.maximum(z, 0)
        return back(xn + a @ W2n.T + b2n, x.dtype, x.device), (
            xn,
            W1n,
            z,
            a,
            W2n,
            x.dtype,
            x.device,
        )

    def residual_block_backward(dy, cache):
        xn, W1n, z, a, W2n, dtype, device = cache
        g = dy.detach().cpu().numpy().astype(np.float64)
        dz = np.where(z > 0, g @ W2n, 0.0)
        return tuple(
            back(t, dtype, device) for t in (g + dz @ W1n, dz.T @ xn, dz.sum(0), g.T @ a, g.sum(0))
        )

    return residual_block_forward, residual_block_backward


residual_numpy_float64 = bug(
    "residual_numpy_float64",
    "layers.residual_block",
    "computes in NumPy and converts back with torch.from_numpy alone, so float32 inputs give "
    "float64 results",
    hint="torch.from_numpy keeps NumPy's float64: convert back with .to(dtype=x.dtype, "
    "device=x.device).",
    generic="dtype",
    wrong_on="ordinary",
)
for _function in _residual_numpy(restore_dtype=False):
    residual_numpy_float64.replaces(_function)


residual_recompute = alternative(
    "residual_recompute_in_backward",
    "layers.residual_block",
    "keeps only the inputs and recomputes z in the backward",
)


@residual_recompute.replaces
def residual_block_forward(x, W1, b1, W2, b2):
    _check_branch(x, W2, b2)
    hidden = torch.relu(x @ W1.T + b1)
    return torch.addmm(b2, hidden, W2.T) + x, (x, W1, b1, W2)


@residual_recompute.replaces
def residual_block_backward(dy, cache):
    x, W1, b1, W2 = cache
    z = x @ W1.T + b1
    return _residual_grads(dy, x, W1, z, torch.relu(z), W2)


# -------------------------------------------------------------------- gradient checkpointing
def _segments(params, start, stop, activation, last, table=_ACT):
    """Layers start..stop-1 from their input: (output, [(input, pre-activation), ...]); the
    activation follows a layer i when ``i < last``."""
    act, _ = table[activation]

    def run(h):
        saved = []
        for i in range(start, stop):
            W, b = params[i]
            z = h @ W.T + b
            saved.append((h, z))
            h = act(z) if i < last(i, stop) else z
        return h, saved

    return run


def _gelu_tanh(z):
    u = math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)
    return 0.5 * z * (1 + torch.tanh(u))


def _gelu_tanh_derivative(z):
    t = torch.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3))
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * math.sqrt(2 / math.pi) * (
        1 + 3 * 0.044715 * z * z
    )


# The table of a student who took GELU's tanh approximation (GPT-2's form) for GELU itself.
_ACT_GELU_TANH = {**_ACT, "gelu": (_gelu_tanh, _gelu_tanh_derivative)}


def _checkpointed(
    x,
    y,
    params,
    segment,
    activation="relu",
    *,
    validate=True,
    segment_end_is_last=False,
    count=lambda depth, segment, stored: stored,
    reverse_grads=False,
    table=_ACT,
    unknown_is_relu=False,
    return_checkpoints=False,
):
    """Gradient checkpointing with switchable mistakes."""
    if unknown_is_relu and activation not in table:
        activation = "relu"
    if validate and (
        isinstance(segment, bool)
        or not isinstance(segment, int)
        or segment < 1
        or not params
        or activation not in table
    ):
        raise ValueError("segment must be an int >= 1, params non-empty, the activation known")
    depth = len(params)
    _, dact = table[activation]
    if segment_end_is_last:

        def last(i, stop):
            return stop - 1
    else:

        def last(i, stop):
            return depth - 1

    stored, h = [], x
    for start in range(0, depth, segment):
        stored.append(h)
        h, _ = _segments(params, start, min(start + segment, depth), activation, last, table)(h)
    n = x.shape[0]
    logp = _log_softmax(h)
    loss = -logp[torch.arange(n, device=x.device), y].mean()
    d = (torch.exp(logp) - _onehot(y, h)) / n
    grads = [None] * depth
    for k in reversed(range(len(stored))):
        start = k * segment
        stop = min(start + segment, depth)
        _, saved = _segments(params, start, stop, activation, last, table)(stored[k])
        for i in reversed(range(start, stop)):
            h_in, z = saved[i - start]
            if i < last(i, stop):
                d = d * dact(z)
            grads[i] = (d.T @ h_in, d.sum(0))
            d = d @ params[i][0]
    kept = stored if return_checkpoints else count(depth, segment, len(stored))
    return loss, grads[::-1] if reverse_grads else grads, kept


def _ckpt_bug(id, title, hint, generic=(), wrong_on="", **mistake):
    variant = bug(
        id, "layers.mlp_grads_checkpointed", title, hint=hint, generic=generic, wrong_on=wrong_on
    )

    def mlp_grads_checkpointed(x, y, params, segment, activation="relu"):
        return _checkpointed(x, y, params, segment, activation, **mistake)

    variant.replaces(mlp_grads_checkpointed)
    return variant


_ckpt_bug(
    "ckpt_segment_end_without_activation",
    "treats the last layer of every segment as the network's output layer (no activation after it)",
    "only the network's last layer has no activation: decide with the layer's index in the "
    "whole network (i < L - 1), not its place in the segment.",
    segment_end_is_last=True,
    wrong_on="ordinary",
)
_ckpt_bug(
    "ckpt_grads_last_layer_first",
    "appends each layer's gradients as the backward reaches it, so the list starts with "
    "the last layer",
    "return grads in the order of params, first layer first: fill grads[i] by index, or "
    "reverse the list at the end.",
    reverse_grads=True,
    generic="order",
    wrong_on="ordinary",
)
_ckpt_bug(
    "ckpt_counts_the_logits",
    "counts the logits as one more stored activation",
    "kept counts the checkpoints only, the layer inputs h_0 = x, h_segment, ...: "
    "ceil(L / segment).",
    count=lambda depth, segment, stored: stored + 1,
    generic="offset",
    wrong_on="ordinary",
)
_ckpt_bug(
    "ckpt_count_rounds_down",
    "reports L // segment checkpoints, forgetting the one of a shorter last segment",
    "a last segment shorter than the others still starts at a checkpoint: "
    "ceil(L / segment), and at least 1 (x itself) when segment > L.",
    count=lambda depth, segment, stored: depth // segment,
    generic=("edge", "offset"),  # a quotient rounded down: the last, shorter segment
    wrong_on="ordinary",
)
_ckpt_bug(
    "ckpt_counts_every_layer",
    "keeps (and counts) every layer's input, as an ordinary backward does",
    "store only h_0, h_segment, h_2segment, ... in the forward pass and rebuild the others "
    "from them in the backward: ceil(L / segment) kept, not L.",
    count=lambda depth, segment, stored: depth,
    generic="argument",
    wrong_on="ordinary",
)
_ckpt_bug(
    "ckpt_returns_the_checkpoints",
    "returns the list of stored checkpoints as kept instead of their number",
    "kept is a Python int, the number of checkpoints: len(checkpoints).",
    return_checkpoints=True,
    generic="structure",
    wrong_on="ordinary",
)
_ckpt_bug(
    "ckpt_gelu_tanh_approximation",
    "computes GELU with its tanh approximation, 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))",
    "the activations follow activations.py: GELU is the exact z * Phi(z) with Phi(z) = "
    "(1 + erf(z / sqrt(2))) / 2; reuse gelu_forward and gelu_backward.",
    table=_ACT_GELU_TANH,
    wrong_on="ordinary",
)
_ckpt_bug(
    "ckpt_unknown_activation_is_relu",
    "falls back to ReLU for an activation it does not know",
    "raise ValueError for a name mlp_loss_and_grads does not accept: a misspelt name "
    "would otherwise train another network without a word.",
    unknown_is_relu=True,
    generic="validation",
    wrong_on="edge",
)
_ckpt_bug(
    "ckpt_no_argument_check",
    "accepts any segment and an empty network without complaint",
    "raise ValueError unless segment is an int >= 1 and params has at least one layer.",
    validate=False,
    generic="validation",
    wrong_on="edge",
)


ckpt_lists = alternative(
    "ckpt_checkpoint_list",
    "layers.mlp_grads_checkpointed",
    "keeps the checkpoints in a list and backpropagates with derivatives from the pre-activations",
)


@ckpt_lists.replaces
def mlp_grads_checkpointed(x, y, params, segment, activation="relu"):
    if activation not in _ACT:
        raise ValueError(f"unknown activation {activation!r}")
    return _checkpointed(x, y, params, segment, activation)


# ============================================================ alternatives in other styles
# Object style, as many courses teach it: layer, activation and loss classes with forward and
# backward methods (the loss keeps self.softmax); the contract functions build and wrap them.
class Linear:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.b

    def backward(self, dy):
        self.dW, self.db = dy.T @ self.x, dy.sum(dim=0)
        return dy @ self.W


class Activation:
    def __init__(self, name):
        if name not in _ACT:
            raise ValueError(f"unknown activation {name!r}")
        self.fn, self.derivative = _ACT[name]

    def forward(self, z):
        self.z = z
        return self.fn(z)

    def backward(self, dy):
        return dy * self.derivative(self.z)


class SoftmaxCrossEntropy:
    def __init__(self):
        self.softmax = lambda z: torch.exp(_log_softmax(z))

    def forward(self, logits, y):
        self.logits, self.y = logits, y
        return -_log_softmax(logits)[torch.arange(len(y), device=y.device), y].mean()

    def backward(self):
        return (self.softmax(self.logits) - _onehot(self.y, self.logits)) / len(self.y)


linear_layer_object = alternative(
    "linear_layer_object",
    "layers.linear",
    "a Linear layer object whose backward method returns dx and "
    "keeps dW and db on the layer; the cache is the layer",
)


@linear_layer_object.replaces
def linear_forward(x, W, b):
    layer = Linear(W, b)
    return layer.forward(x), layer


@linear_layer_object.replaces
def linear_backward(dy, cache):
    dx = cache.backward(dy)
    return dx, cache.dW, cache.db


mlp_layer_objects = alternative(
    "mlp_layer_objects",
    "layers.mlp_loss_and_grads",
    "a list of Linear and Activation layer objects and a "
    "SoftmaxCrossEntropy loss object, each with forward/backward",
)


@mlp_layer_objects.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    Activation(activation)  # an unknown name fails before any work
    layers = []
    for i, (W, b) in enumerate(params):
        layers.append(Linear(W, b))
        if i < len(params) - 1:
            layers.append(Activation(activation))
    h = x
    for layer in layers:
        h = layer.forward(h)
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(h, y)
    d = loss_fn.backward()
    for layer in reversed(layers):
        d = layer.backward(d)
    return loss, [(layer.dW, layer.db) for layer in layers if isinstance(layer, Linear)]


# NumPy bridged to tensors: .numpy() in, torch.from_numpy out, dtype and device restored.
linear_numpy = alternative(
    "linear_numpy",
    "layers.linear",
    "computes in NumPy on the CPU and converts back to the inputs' dtype and device",
)


@linear_numpy.replaces
def linear_forward(x, W, b):
    xn, Wn, bn = (t.detach().cpu().numpy() for t in (x, W, b))
    y = torch.from_numpy(xn @ Wn.T + bn).to(dtype=x.dtype, device=x.device)
    return y, (xn, Wn, x.dtype, x.device)


@linear_numpy.replaces
def linear_backward(dy, cache):
    xn, Wn, dtype, device = cache
    g = dy.detach().cpu().numpy()
    return tuple(
        torch.from_numpy(np.ascontiguousarray(a)).to(dtype=dtype, device=device)
        for a in (g @ Wn, g.T @ xn, g.sum(axis=0))
    )


numgrad_numpy = alternative(
    "numgrad_numpy",
    "layers.numerical_gradient",
    "perturbs a NumPy copy of x (never x itself) and hands f tensors of x's dtype and device",
)


@numgrad_numpy.replaces
def numerical_gradient(f, x, eps=1e-6):
    base = x.detach().cpu().numpy().copy()
    grad = np.zeros(base.size, dtype=np.float64)
    for i in range(base.size):
        values = []
        for step in (eps, -eps):
            moved = base.copy().reshape(-1)
            moved[i] += step
            t = torch.from_numpy(moved.reshape(base.shape)).to(dtype=x.dtype, device=x.device)
            values.append(float(f(t)))
        grad[i] = (values[0] - values[1]) / (2 * eps)
    return torch.from_numpy(grad.reshape(base.shape)).to(dtype=x.dtype, device=x.device)


relerr_numpy = alternative(
    "relerr_numpy", "layers.relative_error", "computes in NumPy and returns a Python float"
)


@relerr_numpy.replaces
def relative_error(a, b):
    an, bn = a.detach().cpu().numpy(), b.detach().cpu().numpy()
    return float(np.max(np.abs(an - bn) / np.maximum(np.abs(an) + np.abs(bn), 1e-12)))


# Object style: a ResidualBlock built from the Linear and Activation objects above; the cache is
# the block, whose backward adds the skip's dy to the branch's gradient.
class ResidualBlock:
    def __init__(self, W1, b1, W2, b2):
        self.first, self.relu, self.second = Linear(W1, b1), Activation("relu"), Linear(W2, b2)

    def forward(self, x):
        _check_branch(x, self.second.W, self.second.b)
        return x + self.second.forward(self.relu.forward(self.first.forward(x)))

    def backward(self, dy):
        dx_branch = self.first.backward(self.relu.backward(self.second.backward(dy)))
        return dy + dx_branch


residual_block_object = alternative(
    "residual_block_object",
    "layers.residual_block",
    "a ResidualBlock object of Linear and Activation objects "
    "with forward/backward methods; the cache is the block",
)


@residual_block_object.replaces
def residual_block_forward(x, W1, b1, W2, b2):
    block = ResidualBlock(W1, b1, W2, b2)
    return block.forward(x), block


@residual_block_object.replaces
def residual_block_backward(dy, cache):
    dx = cache.backward(dy)
    return dx, cache.first.dW, cache.first.db, cache.second.dW, cache.second.db


residual_numpy = alternative(
    "residual_numpy",
    "layers.residual_block",
    "computes in NumPy float64 and converts back to the inputs' dtype and device",
)
for _function in _residual_numpy(restore_dtype=True):
    residual_numpy.replaces(_function)


# Object style: a checkpointed network that keeps only the segment inputs and rebuilds each
# segment as fresh Linear and Activation objects in its backward.
class CheckpointedMLP:
    def __init__(self, params, segment, activation="relu"):
        Activation(activation)  # an unknown name fails before any work
        if type(segment) is not int or segment < 1 or not params:
            raise ValueError("segment must be an int >= 1 and params non-empty")
        self.params, self.segment, self.activation = list(params), segment, activation
        self.starts = list(range(0, len(self.params), segment))

    def _segment(self, start):
        """The layer objects of the segment beginning at layer ``start``."""
        layers = []
        for i in range(start, min(start + self.segment, len(self.params))):
            layers.append(Linear(*self.params[i]))
            if i < len(self.params) - 1:
                layers.append(Activation(self.activation))
        return layers

    def forward(self, x):
        self.checkpoints, h = [], x
        for start in self.starts:
            self.checkpoints.append(h)
            for layer in self._segment(start):  # thrown away: only the checkpoint stays
                h = layer.forward(h)
        return h

    def backward(self, d):
        grads = [None] * len(self.params)
        for start, h in reversed(list(zip(self.starts, self.checkpoints))):
            layers = self._segment(start)
            for layer in layers:
                h = layer.forward(h)
            linears = [layer for layer in layers if isinstance(layer, Linear)]
            for layer in reversed(layers):
                d = layer.backward(d)
            for offset, layer in enumerate(linears):
                grads[start + offset] = (layer.dW, layer.db)
        return grads


ckpt_object = alternative(
    "ckpt_mlp_object",
    "layers.mlp_grads_checkpointed",
    "a CheckpointedMLP object that rebuilds each segment from Linear and "
    "Activation objects in its backward",
)


@ckpt_object.replaces
def mlp_grads_checkpointed(x, y, params, segment, activation="relu"):
    net = CheckpointedMLP(params, segment, activation)
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(net.forward(x), y)
    grads = net.backward(loss_fn.backward())
    return loss, grads, len(net.checkpoints)
