"""Student-style bugs of activations.py: activation objects with forward and backward methods,
NumPy rewrites and textbook formulas, each with one genuine mistake (see
``descent.catalogue.student``).
"""

import numpy as np
import torch

from descent.catalogue import student


class Sigmoid:
    def forward(self, x):
        # the textbook form e^x / (1 + e^x): inf / inf once x is large
        self.out = torch.exp(x) / (1 + torch.exp(x))
        return self.out

    def backward(self, dy):
        return dy * self.out * (1 - self.out)


sigmoid_object_exp_ratio = student(
    "sigmoid_object_exp_ratio",
    "activations.sigmoid",
    "an activation object computing exp(x) / (1 + exp(x)), which overflows to NaN for large x",
    generic="stability",
    wrong_on="edge",
)


@sigmoid_object_exp_ratio.replaces
def sigmoid_forward(x):
    act = Sigmoid()
    return act.forward(x), act


@sigmoid_object_exp_ratio.replaces
def sigmoid_backward(dy, cache):
    return cache.backward(dy)


class Tanh:
    def forward(self, x):
        self.out = torch.tanh(x)
        return self.out

    def backward(self, dy):
        return dy * (1 - self.out)  # the square of the output is missing


tanh_object_backward_one_minus_y = student(
    "tanh_object_backward_one_minus_y",
    "activations.tanh",
    "an activation object whose backward multiplies by 1 - y instead of 1 - y^2",
    generic="term",
    wrong_on="ordinary",
)


@tanh_object_backward_one_minus_y.replaces
def tanh_forward(x):
    act = Tanh()
    return act.forward(x), act


@tanh_object_backward_one_minus_y.replaces
def tanh_backward(dy, cache):
    return cache.backward(dy)


relu_backward_gated_on_upstream = student(
    "relu_backward_gated_on_upstream",
    "activations.relu",
    "lets the gradient through where the upstream gradient is positive (dy > 0) instead of "
    "where the input was",
    generic="gate",
    wrong_on="ordinary",
)


@relu_backward_gated_on_upstream.replaces
def relu_forward(x):
    out = x.clone()
    out[out < 0] = 0
    return out, x


@relu_backward_gated_on_upstream.replaces
def relu_backward(dy, cache):
    dx = dy.clone()
    dx[dy <= 0] = 0
    return dx


leaky_relu_backward_branches_swapped = student(
    "leaky_relu_backward_branches_swapped",
    "activations.leaky_relu",
    "the backward gives the slope to the positive inputs and 1 to the negative ones",
    generic=("swapped", "branch"),
    wrong_on="ordinary",
)


@leaky_relu_backward_branches_swapped.replaces
def leaky_relu_forward(x, negative_slope=0.01):
    return torch.where(x > 0, x, x * negative_slope), (x, negative_slope)


@leaky_relu_backward_branches_swapped.replaces
def leaky_relu_backward(dy, cache):
    x, slope = cache
    local = torch.where(x > 0, torch.full_like(x, slope), torch.ones_like(x))
    return dy * local


class SiLU:
    def forward(self, x):
        e = torch.exp(-x.abs())
        self.s = torch.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return x * self.s

    def backward(self, dy):
        return dy * self.s  # the product rule's x * s * (1 - s) is missing


silu_object_backward_sigmoid_only = student(
    "silu_object_backward_sigmoid_only",
    "activations.silu",
    "an activation object that differentiates x * sigmoid(x) as sigmoid(x) alone, dropping "
    "the product rule's second term",
    generic=("term", "omitted"),
    wrong_on="ordinary",
)


@silu_object_backward_sigmoid_only.replaces
def silu_forward(x):
    act = SiLU()
    return act.forward(x), act


@silu_object_backward_sigmoid_only.replaces
def silu_backward(dy, cache):
    return cache.backward(dy)


softmax_numpy_last_axis_only = student(
    "softmax_numpy_last_axis_only",
    "activations.softmax",
    "a NumPy softmax that always normalizes the last axis (axis=-1), whatever dim says",
    generic=("argument", "reduction", "broadcast"),
    wrong_on="edge",
)


@softmax_numpy_last_axis_only.replaces
def softmax_forward(x, dim=-1):
    a = x.detach().cpu().numpy()
    e = np.exp(a - np.max(a, axis=-1, keepdims=True))
    y = torch.from_numpy(e / np.sum(e, axis=-1, keepdims=True)).to(dtype=x.dtype, device=x.device)
    return y, (y, dim)


@softmax_numpy_last_axis_only.replaces
def softmax_backward(dy, cache):
    y, dim = cache
    return y * (dy - (dy * y).sum(dim=-1, keepdim=True))
