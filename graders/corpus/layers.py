"""Student-style bugs of layers.py: cs231n-style layer objects with a cache, NumPy networks,
explicit loops for the numerical gradient and the backward pass, each with one genuine mistake
(see ``descent.catalogue.student``).
"""

import numpy as np
import torch

from descent.catalogue import student


class Linear:
    """A cs231n-style affine layer: forward keeps what backward needs on the object."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.b

    def backward(self, dout):
        dx = dout @ self.W
        dW = dout.T @ self.x
        db = dout.mean(dim=0)  # a mean where the bias collects a sum
        return dx, dW, db


linear_layer_bias_grad_mean = student(
    "linear_layer_bias_grad_mean",
    "layers.linear",
    "a layer object whose backward averages dout over the batch for db instead of summing it",
    generic="sum-mean",
    wrong_on="ordinary",
)


@linear_layer_bias_grad_mean.replaces
def linear_forward(x, W, b):
    layer = Linear(W, b)
    return layer.forward(x), layer


@linear_layer_bias_grad_mean.replaces
def linear_backward(dy, cache):
    return cache.backward(dy)


# ------------------------------------------------------------------------------ two-layer network
two_layer_numpy_dW1_transposed = student(
    "two_layer_numpy_dW1_transposed",
    "layers.two_layer_net",
    "a NumPy two-layer net that computes dW1 = x.T @ dz1, laid out (D, H) instead of W1's (H, D)",
    generic="layout",
    wrong_on="ordinary",
)


@two_layer_numpy_dW1_transposed.replaces
def two_layer_net(params, x, y):
    def np_(t):
        return t.detach().cpu().numpy()

    W1, b1, W2, b2 = (np_(params[k]) for k in ("W1", "b1", "W2", "b2"))
    X, Y = np_(x), np_(y)
    n = X.shape[0]
    z1 = X @ W1.T + b1
    a1 = np.maximum(z1, 0)
    z2 = (a1 @ W2.T + b2)[:, 0]
    # stable binary cross-entropy from logits
    loss = np.mean(np.maximum(z2, 0) - z2 * Y + np.log1p(np.exp(-np.abs(z2))))
    p = np.where(
        z2 >= 0, 1 / (1 + np.exp(-np.abs(z2))), np.exp(-np.abs(z2)) / (1 + np.exp(-np.abs(z2)))
    )
    dz2 = ((p - Y) / n)[:, None]
    dW2 = dz2.T @ a1
    db2 = dz2.sum(axis=0)
    da1 = dz2 @ W2
    dz1 = da1 * (z1 > 0)
    dW1 = X.T @ dz1
    db1 = dz1.sum(axis=0)

    def back(a):
        return torch.from_numpy(np.asarray(a)).to(dtype=x.dtype, device=x.device)

    grads = {"W1": back(dW1), "b1": back(db1), "W2": back(dW2), "b2": back(db2)}
    return back(loss), grads


# ------------------------------------------------------------------------------------ MLP by hand
mlp_logit_gradient_not_averaged = student(
    "mlp_logit_gradient_not_averaged",
    "layers.mlp_loss_and_grads",
    "averages the loss over the batch but starts the backward pass from softmax - onehot "
    "without dividing by N",
    generic=("sum-mean", "factor"),
    wrong_on="ordinary",
)


def _act(name):
    """(forward, derivative from the pre-activation z and the output a) of a hidden layer."""

    def sig(z):
        e = torch.exp(-z.abs())
        return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))

    table = {
        "relu": (lambda z: torch.clamp(z, min=0), lambda z, a: (z > 0).to(z.dtype)),
        "leaky_relu": (
            lambda z: torch.where(z > 0, z, 0.01 * z),
            lambda z, a: torch.where(z > 0, torch.ones_like(z), torch.full_like(z, 0.01)),
        ),
        "tanh": (torch.tanh, lambda z, a: 1 - a * a),
        "sigmoid": (sig, lambda z, a: a * (1 - a)),
        "gelu": (
            lambda z: z * 0.5 * (1 + torch.erf(z / 2**0.5)),
            lambda z, a: (
                0.5 * (1 + torch.erf(z / 2**0.5))
                + z * torch.exp(-z * z / 2) / (2 * torch.pi) ** 0.5
            ),
        ),
        "silu": (lambda z: z * sig(z), lambda z, a: sig(z) * (1 + z * (1 - sig(z)))),
    }
    if name not in table:
        raise ValueError(f"unknown activation {name}")
    return table[name]


def _mlp(params, x, y, activation, average_logit_grad=True, tanh_derivative_of_z=False):
    act, dact = _act(activation)
    hs, zs = [x], []
    h = x
    for i, (W, b) in enumerate(params):
        z = h @ W.T + b
        zs.append(z)
        h = z if i == len(params) - 1 else act(z)
        hs.append(h)
    logits = hs[-1]
    n = logits.shape[0]
    shifted = logits - logits.max(dim=1, keepdim=True).values
    logp = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    loss = -logp[torch.arange(n), y].mean()
    dz = torch.exp(logp)
    dz[torch.arange(n), y] -= 1
    if average_logit_grad:
        dz = dz / n
    grads = []
    for i in reversed(range(len(params))):
        W, _ = params[i]
        grads.append((dz.T @ hs[i], dz.sum(0)))
        if i > 0:
            dh = dz @ W
            a = zs[i - 1] if tanh_derivative_of_z else hs[i]
            dz = dh * dact(zs[i - 1], a)
    return loss, grads[::-1]


@mlp_logit_gradient_not_averaged.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    return _mlp(params, x, y, activation, average_logit_grad=False)


mlp_log_of_softmax_loss = student(
    "mlp_log_of_softmax_loss",
    "layers.mlp_loss_and_grads",
    "computes the loss as the log of a softmax (log(p[y]) of exp(z - max) / sum): the gradients "
    "are right, but once the logits are large a true class's probability underflows to 0 and "
    "the loss is infinite, which the docstring rules out",
    generic="stability",
    wrong_on="ordinary",
)


@mlp_log_of_softmax_loss.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    _, grads = _mlp(params, x, y, activation)
    h = x
    act, _ = _act(activation)
    for i, (W, b) in enumerate(params):
        h = h @ W.T + b
        if i < len(params) - 1:
            h = act(h)
    e = torch.exp(h - h.max(dim=1, keepdim=True).values)
    p = e / e.sum(dim=1, keepdim=True)
    loss = -torch.log(p[torch.arange(len(y)), y]).mean()
    return loss, grads


mlp_tanh_derivative_of_pre_activation = student(
    "mlp_tanh_derivative_of_pre_activation",
    "layers.mlp_loss_and_grads",
    "with tanh, writes the derivative as 1 - z^2 with the pre-activation z where the output "
    "a = tanh(z) belongs",
    generic="argument",
    wrong_on="ordinary",
)


@mlp_tanh_derivative_of_pre_activation.replaces
def mlp_loss_and_grads(params, x, y, activation="relu"):
    return _mlp(params, x, y, activation, tanh_derivative_of_z=activation == "tanh")


# ---------------------------------------------------------------------------- numerical gradient
numgrad_loop_one_sided = student(
    "numgrad_loop_one_sided",
    "layers.numerical_gradient",
    "a loop over the entries that takes the one-sided difference (f(x + h) - f(x)) / h",
    generic="term",
    wrong_on="ordinary",
)


@numgrad_loop_one_sided.replaces
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    fx = float(f(x.clone()))
    flat = grad.reshape(-1)
    for i in range(x.numel()):
        xp = x.clone().reshape(-1)
        xp[i] += eps
        flat[i] = (float(f(xp.reshape(x.shape))) - fx) / eps
    return flat.reshape(x.shape)


numgrad_cs231n_edits_x = student(
    "numgrad_cs231n_edits_x",
    "layers.numerical_gradient",
    "nudges x[ix] itself (x[ix] += h, then -= 2h, then restores it), so f sees the caller's "
    "tensor change while it runs",
    generic="inplace",
    wrong_on="edge",
)


@numgrad_cs231n_edits_x.replaces
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    for ix in np.ndindex(*x.shape):
        old = x[ix].item()
        x[ix] = old + eps
        fxph = float(f(x))
        x[ix] = old - eps
        fxmh = float(f(x))
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * eps)
    return grad


# -------------------------------------------------------------------------------- relative error
relative_error_floor_1e8 = student(
    "relative_error_floor_1e8",
    "layers.relative_error",
    "floors the denominator at 1e-8 (as a well-known assignment's helper does) instead of "
    "1e-12, which shrinks the ratio of tiny values",
    generic="clamp",
    wrong_on="edge",
)


@relative_error_floor_1e8.replaces
def relative_error(a, b):
    x, y = a.detach().cpu().numpy(), b.detach().cpu().numpy()
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


# -------------------------------------------------------------------------------- residual block
class ResidualBlock:
    def __init__(self, W1, b1, W2, b2):
        self.W1, self.b1, self.W2, self.b2 = W1, b1, W2, b2

    def forward(self, x):
        if self.W2.shape[0] != x.shape[1] or self.b2.shape != (x.shape[1],):
            raise ValueError("W2 and b2 must map back to x's width")
        self.x = x
        self.z = x @ self.W1.T + self.b1
        self.a = torch.clamp(self.z, min=0)
        return x + self.a @ self.W2.T + self.b2

    def backward(self, dy):
        dW2 = dy.T @ self.a
        db2 = dy.sum(dim=1)  # summed over the features instead of the batch
        dz = (dy @ self.W2) * (self.z > 0)
        dW1 = dz.T @ self.x
        db1 = dz.sum(dim=0)
        return dy + dz @ self.W1, dW1, db1, dW2, db2


residual_object_db2_wrong_axis = student(
    "residual_object_db2_wrong_axis",
    "layers.residual_block",
    "a residual-block object that sums dy over the features (dim 1) for db2 instead of over "
    "the batch",
    generic=("reduction", "layout"),
    wrong_on="ordinary",
)


@residual_object_db2_wrong_axis.replaces
def residual_block_forward(x, W1, b1, W2, b2):
    block = ResidualBlock(W1, b1, W2, b2)
    return block.forward(x), block


@residual_object_db2_wrong_axis.replaces
def residual_block_backward(dy, cache):
    return cache.backward(dy)


# ------------------------------------------------------------------------- gradient checkpointing
checkpoint_count_floor = student(
    "checkpoint_count_floor",
    "layers.mlp_grads_checkpointed",
    "counts the checkpoints as L // segment (rounding down), one short when segment does not "
    "divide the depth",
    generic=("edge", "offset"),
    wrong_on="ordinary",
)


@checkpoint_count_floor.replaces
def mlp_grads_checkpointed(x, y, params, segment, activation="relu"):
    _act(activation)
    if isinstance(segment, bool) or not isinstance(segment, int) or segment < 1:
        raise ValueError("segment must be a positive int")
    if not params:
        raise ValueError("no layers")
    depth = len(params)
    # Forward pass keeping only every segment-th layer input, then one segment at a time.
    saved, h = [], x
    act, _ = _act(activation)
    for i, (W, b) in enumerate(params):
        if i % segment == 0:
            saved.append(h)
        z = h @ W.T + b
        h = z if i == depth - 1 else act(z)
    grads = [None] * depth
    loss = None
    dz_next = None
    for s in reversed(range(len(saved))):
        first, last = s * segment, min((s + 1) * segment, depth)
        seg_loss, seg_grads, dz_next = _segment_backward(
            saved[s], params, first, last, y, activation, dz_next
        )
        loss = seg_loss if loss is None else loss
        grads[first:last] = seg_grads
    return loss, grads, depth // segment


def _segment_backward(h, params, first, last, y, activation, dout):
    """Rebuild layers first..last-1 from their input h and backpropagate dout (the gradient of
    their output; None for the network's last segment, which ends in the loss)."""
    act, dact = _act(activation)
    inputs, zs = [], []
    depth = len(params)
    for i in range(first, last):
        W, b = params[i]
        inputs.append(h)
        z = h @ W.T + b
        zs.append(z)
        h = z if i == depth - 1 else act(z)
    loss = None
    if dout is None:
        n = h.shape[0]
        shifted = h - h.max(dim=1, keepdim=True).values
        logp = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
        loss = -logp[torch.arange(n), y].mean()
        dz = torch.exp(logp)
        dz[torch.arange(n), y] -= 1
        dz = dz / n
    else:
        z = zs[-1]
        dz = dout * dact(z, act(z))
    grads = []
    for k in reversed(range(last - first)):
        i = first + k
        W, _ = params[i]
        grads.append((dz.T @ inputs[k], dz.sum(0)))
        dh = dz @ W
        if k > 0:
            z = zs[k - 1]
            dz = dh * dact(z, act(z))
    return loss, grads[::-1], dh
