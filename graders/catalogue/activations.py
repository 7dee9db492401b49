"""Catalogued variants of activations.py: realistic bugs and alternative correct implementations.

Reference caches: sigmoid/tanh keep (y,), relu keeps (x,), leaky_relu (x, slope), gelu (x, cdf),
silu (x, sigmoid(x)), softmax (y, dim).
"""

import math

import numpy as np
import torch

from descent.catalogue import alternative, bug


def _sigmoid(x):
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


# ------------------------------------------------------------------------------------ sigmoid
sigmoid_exp_over_1p_exp = bug(
    "sigmoid_exp_over_1p_exp",
    "activations.sigmoid",
    "computes exp(x) / (1 + exp(x)), which is inf/inf = NaN for large x",
    hint="Use e = exp(-|x|): 1/(1+e) for x >= 0 and e/(1+e) for x < 0.",
    generic="stability",
    wrong_on="edge",
)


@sigmoid_exp_over_1p_exp.replaces
def sigmoid_forward(x):
    y = torch.exp(x) / (1 + torch.exp(x))
    return y, (y,)


sigmoid_backward_uses_input = bug(
    "sigmoid_backward_uses_input",
    "activations.sigmoid",
    "uses the input x instead of the output y in x*(1 - x)",
    hint="The derivative is y*(1 - y) with y = sigmoid(x): keep the output in the cache.",
    generic="argument",
    wrong_on="ordinary",
)


@sigmoid_backward_uses_input.replaces
def sigmoid_forward(x):
    return _sigmoid(x), (x,)


@sigmoid_backward_uses_input.replaces
def sigmoid_backward(dy, cache):
    (x,) = cache
    return dy * x * (1 - x)


sigmoid_mutates_input = bug(
    "sigmoid_mutates_input",
    "activations.sigmoid",
    "clamps its input in place (x.clamp_) to dodge overflow",
    hint="Never write into an argument (x.clamp_, x -= ..., x[...] = ...): "
    "the caller still needs it. Use out-of-place operations.",
    generic="inplace",
    wrong_on="edge",
)


@sigmoid_mutates_input.replaces
def sigmoid_forward(x):
    x.clamp_(-60, 60)
    y = 1 / (1 + torch.exp(-x))
    return y, (y,)


sigmoid_clamps_input = bug(
    "sigmoid_clamps_input",
    "activations.sigmoid",
    "clamps x to [-10, 10] before exponentiating so that exp cannot overflow",
    hint="A clamp changes the answer: sigmoid(30) is not sigmoid(10). Use "
    "e = exp(-|x|), which never overflows: 1/(1+e) for x >= 0 and "
    "e/(1+e) for x < 0.",
    wrong_on="edge",
)


@sigmoid_clamps_input.replaces
def sigmoid_forward(x):
    y = 1 / (1 + torch.exp(-x.clamp(-10.0, 10.0)))
    return y, (y,)


sigmoid_swapped_branches = bug(
    "sigmoid_swapped_branches",
    "activations.sigmoid",
    "swaps the two branches of the stable form, computing sigmoid(-x)",
    hint="With e = exp(-|x|): 1/(1+e) where x >= 0 (the result is "
    "above 1/2) and e/(1+e) where x < 0; sigmoid(1) is 0.73.",
    generic=("sign", "branch"),
    wrong_on="ordinary",
)


@sigmoid_swapped_branches.replaces
def sigmoid_forward(x):
    e = torch.exp(-x.abs())
    y = torch.where(x >= 0, e / (1 + e), 1 / (1 + e))
    return y, (y,)


sigmoid_backward_returns_tuple = bug(
    "sigmoid_backward_returns_tuple",
    "activations.sigmoid",
    "ends its return with a comma, returning the tuple (dx,)",
    hint="Return the gradient itself (return dx), not a "
    "one-element tuple: a trailing comma makes a tuple.",
    generic="structure",
    wrong_on="ordinary",
)


@sigmoid_backward_returns_tuple.replaces
def sigmoid_backward(dy, cache):
    (y,) = cache
    return (dy * y * (1 - y),)


# --------------------------------------------------------------------------------------- tanh
tanh_backward_1_minus_y = bug(
    "tanh_backward_1_minus_y",
    "activations.tanh",
    "writes the derivative as 1 - y instead of 1 - y^2",
    hint="d tanh(x)/dx = 1 - tanh(x)^2.",
    generic="term",
    wrong_on="ordinary",
)


@tanh_backward_1_minus_y.replaces
def tanh_backward(dy, cache):
    (y,) = cache
    return dy * (1 - y)


tanh_ignores_upstream = bug(
    "tanh_ignores_upstream",
    "activations.tanh",
    "returns the local derivative without the upstream gradient",
    hint="Multiply by dy: dx = dy * (1 - y^2).",
    generic="factor",
    wrong_on="ordinary",
)


@tanh_ignores_upstream.replaces
def tanh_backward(dy, cache):
    (y,) = cache
    return 1 - y * y


tanh_as_2sigmoid_minus_1 = bug(
    "tanh_as_2sigmoid_minus_1",
    "activations.tanh",
    "computes 2*sigmoid(x) - 1, which is tanh(x/2), not tanh(x)",
    hint="The identity is tanh(x) = 2*sigmoid(2x) - 1 (the argument "
    "is doubled); or simply use torch.tanh.",
    generic="argument",
    wrong_on="ordinary",
)


@tanh_as_2sigmoid_minus_1.replaces
def tanh_forward(x):
    y = 2 * _sigmoid(x) - 1
    return y, (y,)


tanh_backward_returns_list = bug(
    "tanh_backward_returns_list",
    "activations.tanh",
    "returns its gradient inside a list, [dx]",
    hint="A backward with one differentiable input returns that "
    "gradient as a tensor, not wrapped in a list.",
    generic="structure",
    wrong_on="ordinary",
)


@tanh_backward_returns_list.replaces
def tanh_backward(dy, cache):
    (y,) = cache
    return [dy * (1 - y * y)]


# --------------------------------------------------------------------------------------- ReLU
relu_backward_ge0 = bug(
    "relu_backward_ge0",
    "activations.relu",
    "passes the gradient where x >= 0, so the derivative at 0 is 1",
    hint="By convention the derivative at exactly 0 is 0: use x > 0.",
    generic="branch",
    wrong_on="edge",
    classic=True,
)


@relu_backward_ge0.replaces
def relu_backward(dy, cache):
    (x,) = cache
    return torch.where(x >= 0, dy, torch.zeros_like(dy))


relu_backward_returns_mask = bug(
    "relu_backward_returns_mask",
    "activations.relu",
    "returns the 0/1 mask instead of the masked upstream gradient",
    hint="dx = dy * (x > 0): the mask selects entries of dy.",
    generic=("branch", "factor"),
    wrong_on="ordinary",
)


@relu_backward_returns_mask.replaces
def relu_backward(dy, cache):
    (x,) = cache
    return (x > 0).to(dy.dtype)


relu_zeroes_input_in_place = bug(
    "relu_zeroes_input_in_place",
    "activations.relu",
    "zeroes the negative entries of its input in place (x[x < 0] = 0) and returns x",
    hint="Never write into an argument: build a new tensor, e.g. "
    "torch.where(x > 0, x, torch.zeros_like(x)).",
    generic="inplace",
    wrong_on="ordinary",
)


@relu_zeroes_input_in_place.replaces
def relu_forward(x):
    x[x < 0] = 0
    return x, (x,)


relu_backward_boolean_index = bug(
    "relu_backward_boolean_index",
    "activations.relu",
    "returns dy[x > 0], which selects the kept entries into a 1-D "
    "tensor instead of zeroing the others",
    hint="Boolean indexing picks elements out (a flat tensor); to "
    "keep the shape, mask: torch.where(x > 0, dy, 0) or "
    "dy * (x > 0).",
    generic="layout",
    wrong_on="ordinary",
)


@relu_backward_boolean_index.replaces
def relu_backward(dy, cache):
    (x,) = cache
    return dy[x > 0]


# --------------------------------------------------------------------------------- leaky ReLU
leaky_backward_as_relu = bug(
    "leaky_backward_as_relu",
    "activations.leaky_relu",
    "uses 0 instead of negative_slope as the derivative for x < 0",
    hint="For x <= 0 the slope is negative_slope, so dx = negative_slope * dy there.",
    generic="branch",
    wrong_on="ordinary",
)


@leaky_backward_as_relu.replaces
def leaky_relu_backward(dy, cache):
    x, _ = cache
    return torch.where(x > 0, dy, torch.zeros_like(dy))


leaky_backward_ge0 = bug(
    "leaky_backward_ge0",
    "activations.leaky_relu",
    "passes the whole gradient where x >= 0, so the derivative at exactly 0 is 1",
    hint="At exactly x = 0 the gradient is negative_slope * dy: test x > 0.",
    generic="branch",
    wrong_on="edge",
)


@leaky_backward_ge0.replaces
def leaky_relu_backward(dy, cache):
    x, slope = cache
    return torch.where(x >= 0, dy, slope * dy)


leaky_slope_02 = bug(
    "leaky_slope_02",
    "activations.leaky_relu",
    "defaults negative_slope to 0.2 (a Keras habit) instead of 0.01",
    hint="The default negative_slope is 0.01.",
    generic="branch",
    wrong_on="ordinary",
)


@leaky_slope_02.replaces
def leaky_relu_forward(x, negative_slope=0.2):
    return torch.where(x > 0, x, negative_slope * x), (x, negative_slope)


leaky_backward_grad_per_argument = bug(
    "leaky_backward_grad_per_argument",
    "activations.leaky_relu",
    "returns (dx, None), one gradient per forward argument as in torch.autograd.Function",
    hint="Only x is differentiable here: return dx alone, not a tuple with a slot for "
    "negative_slope.",
    generic="structure",
    wrong_on="ordinary",
)


@leaky_backward_grad_per_argument.replaces
def leaky_relu_backward(dy, cache):
    x, slope = cache
    return torch.where(x > 0, dy, slope * dy), None


# --------------------------------------------------------------------------------------- GELU
gelu_tanh_approx = bug(
    "gelu_tanh_approx",
    "activations.gelu",
    "uses the tanh approximation instead of the exact erf form",
    hint="The exercise asks for x * 0.5 * (1 + erf(x / sqrt(2))); the tanh "
    "formula is off by up to about 5e-4 near |x| = 2.7.",
    wrong_on="ordinary",
)


@gelu_tanh_approx.replaces
def gelu_forward(x):
    inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    cdf = 0.5 * (1 + torch.tanh(inner))
    return x * cdf, (x, cdf)


gelu_backward_no_pdf_term = bug(
    "gelu_backward_no_pdf_term",
    "activations.gelu",
    "returns Phi(x) alone, missing the x*phi(x) term",
    hint="Apply the product rule to x*Phi(x): Phi(x) + x*phi(x).",
    generic="term",
    wrong_on="ordinary",
)


@gelu_backward_no_pdf_term.replaces
def gelu_backward(dy, cache):
    x, cdf = cache
    return dy * cdf


gelu_upcasts_to_float64 = bug(
    "gelu_upcasts_to_float64",
    "activations.gelu",
    "computes in float64 for accuracy (x.double()) and returns float64 for float32 inputs",
    hint="Results keep the input's dtype: float32 in, float32 out. "
    "erf is accurate in float32; no .double() is needed.",
    generic="dtype",
    wrong_on="ordinary",
)


@gelu_upcasts_to_float64.replaces
def gelu_forward(x):
    x = x.double()
    cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    return x * cdf, (x, cdf)


@gelu_upcasts_to_float64.replaces
def gelu_backward(dy, cache):
    x, cdf = cache
    pdf = torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return dy.double() * (cdf + x * pdf)


gelu_backward_returns_tuple = bug(
    "gelu_backward_returns_tuple",
    "activations.gelu",
    "returns its gradient as the one-element tuple (dx,)",
    hint="Return the gradient tensor itself: a backward with one "
    "differentiable input returns one tensor.",
    generic="structure",
    wrong_on="ordinary",
)


@gelu_backward_returns_tuple.replaces
def gelu_backward(dy, cache):
    x, cdf = cache
    pdf = torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return (dy * (cdf + x * pdf),)


# --------------------------------------------------------------------------------------- SiLU
silu_backward_sigmoid_only = bug(
    "silu_backward_sigmoid_only",
    "activations.silu",
    "uses sigmoid(x) as the derivative of x*sigmoid(x)",
    hint="Product rule: s + x*s*(1 - s) with s = sigmoid(x).",
    generic="term",
    wrong_on="ordinary",
)


@silu_backward_sigmoid_only.replaces
def silu_backward(dy, cache):
    x, s = cache
    return dy * s


silu_naive_sigmoid = bug(
    "silu_naive_sigmoid",
    "activations.silu",
    "computes x / (1 + exp(-x)), which overflows for very negative x",
    hint="exp(-x) is inf at x = -1e4 and inf*0 makes NaN in the backward; use the stable sigmoid.",
    generic="stability",
    wrong_on="edge",
)


@silu_naive_sigmoid.replaces
def silu_forward(x):
    s = 1 / (1 + torch.exp(-x))
    return x * s, (x, s)


@silu_naive_sigmoid.replaces
def silu_backward(dy, cache):
    x, s = cache
    e = torch.exp(-x)
    return dy * (1 + e + x * e) / (1 + e) ** 2


silu_backward_returns_tuple = bug(
    "silu_backward_returns_tuple",
    "activations.silu",
    "returns its gradient as a one-element tuple, copying the "
    "(dx, dW, db) habit of linear_backward",
    hint="A backward with one differentiable input returns that one "
    "gradient as a tensor, not a tuple.",
    generic="structure",
    wrong_on="ordinary",
)


@silu_backward_returns_tuple.replaces
def silu_backward(dy, cache):
    x, s = cache
    return (dy * s * (1 + x * (1 - s)),)


silu_sign_slip = bug(
    "silu_sign_slip",
    "activations.silu",
    "computes x / (1 + exp(x)), dropping the minus sign of exp(-x)",
    hint="sigmoid(x) = 1 / (1 + exp(-x)); silu(2) is about 1.76, not 0.24.",
    generic="sign",
    wrong_on="ordinary",
)


@silu_sign_slip.replaces
def silu_forward(x):
    s = 1 / (1 + torch.exp(x))
    return x * s, (x, s)


# ------------------------------------------------------------------------------------ softmax
softmax_backward_diag_only = bug(
    "softmax_backward_diag_only",
    "activations.softmax",
    "uses only the diagonal y*(1 - y) of the Jacobian",
    hint="Each output depends on every input of its row: "
    "dx = y * (dy - sum(dy * y, dim, keepdim=True)).",
    generic="term",
    wrong_on="ordinary",
)


@softmax_backward_diag_only.replaces
def softmax_backward(dy, cache):
    y, _ = cache
    return dy * y * (1 - y)


softmax_hardcoded_last_dim = bug(
    "softmax_hardcoded_last_dim",
    "activations.softmax",
    "ignores `dim` and always normalizes the last dimension",
    hint="Use dim in every reduction (amax, sum), not -1.",
    generic=("broadcast", "reduction", "argument"),
    wrong_on="edge",
)


@softmax_hardcoded_last_dim.replaces
def softmax_forward(x, dim=-1):
    e = torch.exp(x - x.amax(dim=-1, keepdim=True))
    y = e / e.sum(dim=-1, keepdim=True)
    return y, (y, -1)


softmax_no_max_subtraction = bug(
    "softmax_no_max_subtraction",
    "activations.softmax",
    "exponentiates without subtracting the maximum",
    hint="exp overflows for inputs above ~88 in float32: subtract the maximum along dim first.",
    classic=True,
    generic="stability",
    wrong_on="edge",
)


@softmax_no_max_subtraction.replaces
def softmax_forward(x, dim=-1):
    e = torch.exp(x)
    y = e / e.sum(dim=dim, keepdim=True)
    return y, (y, dim)


softmax_vector_as_row = bug(
    "softmax_vector_as_row",
    "activations.softmax",
    "turns a 1-D input into a (1, C) row and never gives the result the vector's shape back",
    hint="A vector in gives a vector out: reshape the result back to the input's shape.",
    generic="layout",
    wrong_on="edge",
)


@softmax_vector_as_row.replaces
def softmax_forward(x, dim=-1):
    rows, dim = (x.unsqueeze(0), -1) if x.dim() == 1 else (x, dim)
    e = torch.exp(rows - rows.amax(dim=dim, keepdim=True))
    y = e / e.sum(dim=dim, keepdim=True)
    return y, (y, dim)


softmax_jacobian_row_kept = bug(
    "softmax_jacobian_row_kept",
    "activations.softmax",
    "multiplies dy by the full Jacobian (dy @ J) and keeps the row dimension that unsqueeze added",
    hint="dy.unsqueeze(-2) @ J has shape (..., 1, C): squeeze it "
    "back, or skip the Jacobian with "
    "y * (dy - sum(dy * y, dim, keepdim=True)).",
    generic="layout",
    wrong_on="ordinary",
)


@softmax_jacobian_row_kept.replaces
def softmax_backward(dy, cache):
    y, dim = cache
    y_t, dy_t = y.movedim(dim, -1), dy.movedim(dim, -1)
    jac = torch.diag_embed(y_t) - y_t.unsqueeze(-1) * y_t.unsqueeze(-2)
    return (dy_t.unsqueeze(-2) @ jac).movedim(-1, dim)


# ============================================================ alternative correct implementations
sigmoid_via_tanh = alternative(
    "sigmoid_via_tanh", "activations.sigmoid", "computes sigmoid as 0.5 * (1 + tanh(x / 2))"
)


@sigmoid_via_tanh.replaces
def sigmoid_forward(x):
    y = 0.5 * (1 + torch.tanh(0.5 * x))
    return y, (x,)


@sigmoid_via_tanh.replaces
def sigmoid_backward(dy, cache):
    (x,) = cache
    t = torch.tanh(0.5 * x)
    return dy * 0.25 * (1 - t * t)


tanh_via_sigmoid = alternative(
    "tanh_via_sigmoid",
    "activations.tanh",
    "computes tanh as 2*sigmoid(2x) - 1 with a stable sigmoid",
)


@tanh_via_sigmoid.replaces
def tanh_forward(x):
    y = 2 * _sigmoid(2 * x) - 1
    return y, (y,)


relu_mask_from_output = alternative(
    "relu_mask_from_output", "activations.relu", "keeps the output and builds the mask from y > 0"
)


@relu_mask_from_output.replaces
def relu_forward(x):
    y = torch.clamp(x, min=0)
    return y, (y,)


@relu_mask_from_output.replaces
def relu_backward(dy, cache):
    (y,) = cache
    return dy * (y > 0).to(dy.dtype)


leaky_via_maximum = alternative(
    "leaky_via_maximum",
    "activations.leaky_relu",
    "uses max(x, slope*x), valid for slopes in [0, 1)",
)


@leaky_via_maximum.replaces
def leaky_relu_forward(x, negative_slope=0.01):
    return torch.maximum(x, negative_slope * x), (x > 0, negative_slope)


@leaky_via_maximum.replaces
def leaky_relu_backward(dy, cache):
    positive, slope = cache
    scale = torch.full_like(dy, slope)
    scale[positive] = 1.0
    return dy * scale


gelu_via_erfc = alternative(
    "gelu_via_erfc", "activations.gelu", "writes Phi(x) as 0.5 * erfc(-x / sqrt(2))"
)


@gelu_via_erfc.replaces
def gelu_forward(x):
    return 0.5 * x * torch.erfc(-x * math.sqrt(0.5)), (x,)


@gelu_via_erfc.replaces
def gelu_backward(dy, cache):
    (x,) = cache
    cdf = 0.5 * torch.erfc(-x * math.sqrt(0.5))
    pdf = torch.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
    return dy * cdf + dy * x * pdf


silu_recomputes = alternative(
    "silu_recomputes",
    "activations.silu",
    "caches only x and recomputes the sigmoid in the backward",
)


@silu_recomputes.replaces
def silu_forward(x):
    return x * _sigmoid(x), (x,)


@silu_recomputes.replaces
def silu_backward(dy, cache):
    (x,) = cache
    s = _sigmoid(x)
    return dy * (s + x * s * (1 - s))


softmax_via_logsumexp = alternative(
    "softmax_via_logsumexp",
    "activations.softmax",
    "computes exp(x - logsumexp(x)) with a hand-written logsumexp",
)


@softmax_via_logsumexp.replaces
def softmax_forward(x, dim=-1):
    m = x.max(dim=dim, keepdim=True).values
    lse = m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))
    y = torch.exp(x - lse)
    return y, (y, dim)


@softmax_via_logsumexp.replaces
def softmax_backward(dy, cache):
    y, dim = cache
    return y * dy - y * (y * dy).sum(dim=dim, keepdim=True)


# ============================================================ alternatives in other styles
# Object style: a layer object with forward/backward (and a method named like the torch
# operation); the contract functions wrap it and the cache is the layer itself.
class Sigmoid:
    def sigmoid(self, x):
        e = torch.exp(-x.abs())
        return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def forward(self, x):
        self.out = self.sigmoid(x)
        return self.out

    def backward(self, dy):
        return dy * self.out * (1 - self.out)


sigmoid_layer_object = alternative(
    "sigmoid_layer_object",
    "activations.sigmoid",
    "a Sigmoid layer object with its own sigmoid, forward and "
    "backward methods; the cache is the layer",
)


@sigmoid_layer_object.replaces
def sigmoid_forward(x):
    layer = Sigmoid()
    return layer.forward(x), layer


@sigmoid_layer_object.replaces
def sigmoid_backward(dy, cache):
    return cache.backward(dy)


class Softmax:
    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        e = torch.exp(x - x.amax(dim=self.dim, keepdim=True))
        self.y = e / e.sum(dim=self.dim, keepdim=True)
        return self.y

    def backward(self, dy):
        return self.y * (dy - (dy * self.y).sum(dim=self.dim, keepdim=True))


softmax_layer_object = alternative(
    "softmax_layer_object",
    "activations.softmax",
    "a Softmax layer object (dim kept on the layer) whose "
    "backward method the contract's backward calls",
)


@softmax_layer_object.replaces
def softmax_forward(x, dim=-1):
    layer = Softmax(dim)
    return layer.forward(x), layer


@softmax_layer_object.replaces
def softmax_backward(dy, cache):
    return cache.backward(dy)


# NumPy bridged to tensors: .numpy() in, torch.from_numpy out, dtype and device restored.
softmax_numpy = alternative(
    "softmax_numpy",
    "activations.softmax",
    "computes in NumPy on the CPU and converts back to the input's dtype and device",
)


@softmax_numpy.replaces
def softmax_forward(x, dim=-1):
    a = x.detach().cpu().numpy()
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    y = torch.from_numpy(e / e.sum(axis=dim, keepdims=True)).to(dtype=x.dtype, device=x.device)
    return y, (y, dim)


@softmax_numpy.replaces
def softmax_backward(dy, cache):
    y, dim = cache
    yn, g = y.detach().cpu().numpy(), dy.detach().cpu().numpy()
    dx = yn * (g - (g * yn).sum(axis=dim, keepdims=True))
    return torch.from_numpy(dx).to(dtype=dy.dtype, device=dy.device)


gelu_numpy = alternative(
    "gelu_numpy", "activations.gelu", "computes in NumPy (math.erf per element) and converts back"
)


@gelu_numpy.replaces
def gelu_forward(x):
    a = x.detach().cpu().numpy()
    cdf = 0.5 * (1 + np.vectorize(math.erf, otypes=[a.dtype])(a / math.sqrt(2)))
    y = torch.from_numpy(a * cdf).to(dtype=x.dtype, device=x.device)
    return y, (x, cdf)


@gelu_numpy.replaces
def gelu_backward(dy, cache):
    x, cdf = cache
    a = x.detach().cpu().numpy()
    pdf = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    g = dy.detach().cpu().numpy() * (cdf + a * pdf)
    return torch.from_numpy(g).to(dtype=dy.dtype, device=dy.device)
