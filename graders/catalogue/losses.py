"""Catalogued variants of losses.py: realistic bugs (each must lose points) and alternative
correct implementations (each must keep full marks).

A variant replaces functions of the reference solution; a replaced backward receives the cache of
the reference forward unless the variant replaces the forward as well. The bugs are the
classic mistakes of loss code: a sum for a mean, an unstable log or exp, a target's convention
misread.
"""

import numpy as np
import torch

from descent.catalogue import alternative, bug


def _softplus(x):
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))


def _sigmoid(x):
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


# ---------------------------------------------------------------------------------------- MSE
mse_sum = bug(
    "mse_sum",
    "losses.mse",
    "sums the squared errors instead of averaging them",
    hint="The loss is the mean over every element: divide the sum by pred.numel().",
    generic="sum-mean",
    wrong_on="ordinary",
)


@mse_sum.replaces
def mse_forward(pred, target):
    diff = pred - target
    return (diff * diff).sum(), (diff,)


@mse_sum.replaces
def mse_backward(dloss, cache):
    (diff,) = cache
    return dloss * 2 * diff


mse_mean_over_rows = bug(
    "mse_mean_over_rows",
    "losses.mse",
    "divides the sum of squared errors by the number of rows N instead of by every element N*D "
    "(its backward consistent with it)",
    hint="The mean is over every element: divide by pred.numel(), forward and backward.",
    generic="sum-mean",
    wrong_on="ordinary",
)


@mse_mean_over_rows.replaces
def mse_forward(pred, target):
    diff = pred - target
    return (diff * diff).sum() / diff.shape[0], (diff,)


@mse_mean_over_rows.replaces
def mse_backward(dloss, cache):
    (diff,) = cache
    return dloss * 2 * diff / diff.shape[0]


mse_grad_no_2 = bug(
    "mse_grad_no_2",
    "losses.mse",
    "drops the factor 2 of d/dx x^2 in the backward",
    hint="The derivative of d^2 is 2d: the gradient is 2*(pred - target)/numel.",
    generic="factor",
    wrong_on="ordinary",
)


@mse_grad_no_2.replaces
def mse_backward(dloss, cache):
    (diff,) = cache
    return dloss * diff / diff.numel()


mse_grad_div_batch = bug(
    "mse_grad_div_batch",
    "losses.mse",
    "divides the gradient by the batch size N instead of by every element",
    hint="The forward averages over all N*D elements, so the backward "
    "divides by pred.numel(), not by pred.shape[0].",
    generic="sum-mean",
    wrong_on="ordinary",
)


@mse_grad_div_batch.replaces
def mse_backward(dloss, cache):
    (diff,) = cache
    return dloss * 2 * diff / diff.shape[0]


mse_ignores_upstream = bug(
    "mse_ignores_upstream",
    "losses.mse",
    "returns the local derivative without multiplying by the upstream gradient",
    hint="Multiply the local derivative by dloss: the chain rule needs the gradient that flows in.",
    generic="factor",
    wrong_on="ordinary",
)


@mse_ignores_upstream.replaces
def mse_backward(dloss, cache):
    (diff,) = cache
    return 2 * diff / diff.numel()


mse_float32 = bug(
    "mse_float32",
    "losses.mse",
    "builds its result in a hard-coded float32",
    hint="Keep the input's dtype: no dtype=torch.float32 or .float() in your code.",
    generic=("precision", "dtype"),
    wrong_on="ordinary",
)


@mse_float32.replaces
def mse_forward(pred, target):
    diff = pred.float() - target.float()
    return (diff * diff).mean(), (diff,)


@mse_float32.replaces
def mse_backward(dloss, cache):
    (diff,) = cache
    return dloss.float() * 2 * diff / diff.numel()


# ---------------------------------------------------------------------------------------- MAE
mae_grad_nan_at_tie = bug(
    "mae_grad_nan_at_tie",
    "losses.mae",
    "computes the sign as d/|d|, which is NaN where pred == target",
    hint="Use torch.sign (0 at 0) rather than d / d.abs(), which divides 0 by 0 at a tie.",
    generic="stability",
    wrong_on="edge",
)


@mae_grad_nan_at_tie.replaces
def mae_backward(dloss, cache):
    (diff,) = cache
    return dloss * (diff / diff.abs()) / diff.numel()


mae_grad_one_at_tie = bug(
    "mae_grad_one_at_tie",
    "losses.mae",
    "takes the subgradient at a tie as +1 (d >= 0)",
    hint="At pred == target the subgradient is 0 by convention, not 1.",
    generic="branch",
    wrong_on="edge",
)


@mae_grad_one_at_tie.replaces
def mae_backward(dloss, cache):
    (diff,) = cache
    return dloss * torch.where(diff >= 0, 1.0, -1.0).to(diff.dtype) / diff.numel()


mae_mean_over_batch = bug(
    "mae_mean_over_batch",
    "losses.mae",
    "divides the summed absolute errors by the batch size N instead of by every element",
    hint="The mean is over all N*D elements: divide by "
    "pred.numel() in the forward and the backward.",
    generic="sum-mean",
    wrong_on="ordinary",
)


@mae_mean_over_batch.replaces
def mae_forward(pred, target):
    diff = pred - target
    return diff.abs().sum() / diff.shape[0], (diff,)


@mae_mean_over_batch.replaces
def mae_backward(dloss, cache):
    (diff,) = cache
    return dloss * torch.sign(diff) / diff.shape[0]


mae_grad_no_mean = bug(
    "mae_grad_no_mean",
    "losses.mae",
    "returns dloss * sign(d), forgetting the 1/numel of the mean",
    hint="The forward is a mean, so every element's gradient carries 1/pred.numel().",
    generic="sum-mean",
    wrong_on="ordinary",
)


@mae_grad_no_mean.replaces
def mae_backward(dloss, cache):
    (diff,) = cache
    return dloss * torch.sign(diff)


mae_sign_from_python_floats = bug(
    "mae_sign_from_python_floats",
    "losses.mae",
    "builds the sign with torch.where(d > 0, 1.0, ...) on Python numbers, which makes a "
    "float32 gradient for float64 inputs",
    hint="torch.where on Python numbers gives the default dtype (float32): use torch.sign(d), "
    "or convert with .to(d.dtype).",
    generic=("precision", "dtype"),
    wrong_on="ordinary",
)


@mae_sign_from_python_floats.replaces
def mae_backward(dloss, cache):
    (diff,) = cache
    sign = torch.where(diff > 0, 1.0, torch.where(diff < 0, -1.0, 0.0))
    return dloss * sign / diff.numel()


# -------------------------------------------------------------------------------------- Huber
huber_missing_offset = bug(
    "huber_missing_offset",
    "losses.huber",
    "uses delta*|d| on the linear branch, without the -0.5*delta^2 offset",
    hint="Outside the quadratic zone the loss is delta*(|d| - 0.5*delta) "
    "so that both pieces meet at |d| = delta.",
    generic=("branch", "offset", "term"),
    wrong_on="ordinary",
)


@huber_missing_offset.replaces
def huber_forward(pred, target, delta=1.0):
    diff = pred - target
    per = torch.where(diff.abs() <= delta, 0.5 * diff * diff, delta * diff.abs())
    return per.mean(), (diff, delta)


huber_is_smoothl1 = bug(
    "huber_is_smoothl1",
    "losses.huber",
    "implements SmoothL1 (Huber divided by delta) instead of Huber",
    hint="SmoothL1 divides by delta; Huber does not. They agree only for "
    "delta = 1: test your code with another delta.",
    generic="factor",
    wrong_on="ordinary",
)


@huber_is_smoothl1.replaces
def huber_forward(pred, target, delta=1.0):
    diff = pred - target
    per = torch.where(diff.abs() < delta, 0.5 * diff * diff / delta, diff.abs() - 0.5 * delta)
    return per.mean(), (diff, delta)


@huber_is_smoothl1.replaces
def huber_backward(dloss, cache):
    diff, delta = cache
    return dloss * torch.where(diff.abs() < delta, diff / delta, torch.sign(diff)) / diff.numel()


huber_backward_ignores_delta = bug(
    "huber_backward_ignores_delta",
    "losses.huber",
    "uses sign(d) instead of delta*sign(d) on the linear branch of the backward",
    hint="The slope of delta*(|d| - delta/2) is delta*sign(d).",
    generic="branch",
    wrong_on="ordinary",
)


@huber_backward_ignores_delta.replaces
def huber_backward(dloss, cache):
    diff, delta = cache
    return dloss * torch.where(diff.abs() <= delta, diff, torch.sign(diff)) / diff.numel()


huber_backward_grad_per_argument = bug(
    "huber_backward_grad_per_argument",
    "losses.huber",
    "returns (dpred, None, None), one gradient per forward argument as in torch.autograd.Function",
    hint="Return the gradient with respect to pred alone: target and delta get no gradient slot.",
    generic="structure",
    wrong_on="ordinary",
)


@huber_backward_grad_per_argument.replaces
def huber_backward(dloss, cache):
    diff, delta = cache
    grad = torch.where(diff.abs() <= delta, diff, delta * torch.sign(diff))
    return dloss * grad / diff.numel(), None, None


# ------------------------------------------------------------------------------ BCE (logits)
bce_naive_log_sigmoid = bug(
    "bce_naive_log_sigmoid",
    "losses.bce_with_logits",
    "takes log(sigmoid(z)) and log(1 - sigmoid(z)) directly",
    hint="sigmoid saturates to exactly 0 or 1 in float32 for |z| of a "
    "few tens, and log(0) = -inf: use softplus forms instead.",
    generic="stability",
    wrong_on="edge",
)


@bce_naive_log_sigmoid.replaces
def bce_with_logits_forward(logits, target, pos_weight=None):
    pw = 1.0 if pos_weight is None else pos_weight
    p = 1 / (1 + torch.exp(-logits))
    per = -(pw * target * torch.log(p) + (1 - target) * torch.log(1 - p))
    return per.mean(), (logits, target, pw)


bce_clamped_probs = bug(
    "bce_clamped_probs",
    "losses.bce_with_logits",
    "clamps the probabilities to [1e-7, 1 - 1e-7] before the log",
    hint="Clamping caps the loss (about 16) where the true value is much "
    "larger; the softplus form needs no clamp.",
    wrong_on="edge",
)


@bce_clamped_probs.replaces
def bce_with_logits_forward(logits, target, pos_weight=None):
    pw = 1.0 if pos_weight is None else pos_weight
    p = _sigmoid(logits).clamp(1e-7, 1 - 1e-7)
    per = -(pw * target * torch.log(p) + (1 - target) * torch.log(1 - p))
    return per.mean(), (logits, target, pw)


bce_pos_weight_on_negatives = bug(
    "bce_pos_weight_on_negatives",
    "losses.bce_with_logits",
    "multiplies both terms of the loss by pos_weight",
    hint="pos_weight scales only the positive term t*log(p); the (1-t)*log(1-p) term keeps "
    "weight 1.",
    generic="branch",
    wrong_on="ordinary",
)


@bce_pos_weight_on_negatives.replaces
def bce_with_logits_forward(logits, target, pos_weight=None):
    pw = 1.0 if pos_weight is None else pos_weight
    per = pw * (target * _softplus(-logits) + (1 - target) * _softplus(logits))
    return per.mean(), (logits, target, pw)


@bce_pos_weight_on_negatives.replaces
def bce_with_logits_backward(dloss, cache):
    logits, target, pw = cache
    return dloss * pw * (_sigmoid(logits) - target) / logits.numel()


bce_grad_ignores_pos_weight = bug(
    "bce_grad_ignores_pos_weight",
    "losses.bce_with_logits",
    "returns sigmoid(z) - t as the gradient even when pos_weight is given",
    hint="With pos_weight the gradient is -pos_weight*t*sigmoid(-z) + (1-t)*sigmoid(z).",
    generic="branch",
    wrong_on="ordinary",
)


@bce_grad_ignores_pos_weight.replaces
def bce_with_logits_backward(dloss, cache):
    logits, target, _ = cache
    return dloss * (_sigmoid(logits) - target) / logits.numel()


bce_grad_no_mean = bug(
    "bce_grad_no_mean",
    "losses.bce_with_logits",
    "returns the per-element gradient without the 1/numel of the mean",
    hint="The loss averages over every element, so the gradient is "
    "(sigmoid(z) - t) / logits.numel() (with pos_weight as documented).",
    generic="sum-mean",
    wrong_on="ordinary",
)


@bce_grad_no_mean.replaces
def bce_with_logits_backward(dloss, cache):
    logits, target, pw = cache
    return dloss * (-pw * target * _sigmoid(-logits) + (1 - target) * _sigmoid(logits))


bce_backward_grad_per_argument = bug(
    "bce_backward_grad_per_argument",
    "losses.bce_with_logits",
    "returns (dlogits, None, None), one gradient per forward argument as in "
    "torch.autograd.Function",
    hint="Return the gradient with respect to logits alone, not "
    "a tuple with slots for target and pos_weight.",
    generic="structure",
    wrong_on="ordinary",
)


@bce_backward_grad_per_argument.replaces
def bce_with_logits_backward(dloss, cache):
    logits, target, pw = cache
    grad = -pw * target * _sigmoid(-logits) + (1 - target) * _sigmoid(logits)
    return dloss * grad / logits.numel(), None, None


# -------------------------------------------------------------------------------- log-softmax
logsoftmax_naive = bug(
    "logsoftmax_naive",
    "losses.log_softmax",
    "computes log(exp(x) / sum(exp(x))) without subtracting the maximum",
    hint="Subtract the maximum along dim first; exp of a large logit overflows to inf.",
    classic=True,
    generic="stability",
    wrong_on="edge",
)


@logsoftmax_naive.replaces
def log_softmax_forward(x, dim=-1):
    y = torch.log(torch.exp(x) / torch.exp(x).sum(dim=dim, keepdim=True))
    return y, (y, dim)


logsoftmax_backward_no_sum = bug(
    "logsoftmax_backward_no_sum",
    "losses.log_softmax",
    "returns dy - softmax * dy, forgetting that each output depends on the whole row",
    hint="The backward is dy - softmax(x) * sum(dy, dim, keepdim=True): sum the upstream "
    "gradient over the row.",
    generic="term",
    wrong_on="ordinary",
)


@logsoftmax_backward_no_sum.replaces
def log_softmax_backward(dy, cache):
    y, dim = cache
    return dy - torch.exp(y) * dy


logsoftmax_last_dim_only = bug(
    "logsoftmax_last_dim_only",
    "losses.log_softmax",
    "ignores `dim` and always normalizes the last dimension",
    hint="Pass dim to every reduction (amax, sum) instead of -1.",
    generic=("argument", "reduction"),
    wrong_on="edge",
)


@logsoftmax_last_dim_only.replaces
def log_softmax_forward(x, dim=-1):
    shifted = x - x.amax(dim=-1, keepdim=True)
    y = shifted - torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True))
    return y, (y, -1)


logsoftmax_backward_grad_per_argument = bug(
    "logsoftmax_backward_grad_per_argument",
    "losses.log_softmax",
    "returns (dx, None), a gradient slot for dim as torch.autograd.Function asks",
    hint="Only x is differentiable: return dx alone.",
    generic="structure",
    wrong_on="ordinary",
)


@logsoftmax_backward_grad_per_argument.replaces
def log_softmax_backward(dy, cache):
    y, dim = cache
    return dy - torch.exp(y) * dy.sum(dim=dim, keepdim=True), None


# ------------------------------------------------------------------------------ cross-entropy
def _ce_parts(logits, target, weight, label_smoothing, smooth_den):
    n, c = logits.shape
    shifted = logits - logits.amax(dim=1, keepdim=True)
    logp = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    w = logits.new_ones(c) if weight is None else weight
    q = torch.full_like(logits, label_smoothing / smooth_den)
    rows = torch.arange(n, device=logits.device)
    q[rows, target] = 1 - label_smoothing + (label_smoothing / c if smooth_den == c else 0.0)
    return logp, w, q


ce_no_max_subtraction = bug(
    "ce_no_max_subtraction",
    "losses.cross_entropy",
    "computes the softmax without subtracting the row maximum",
    hint="exp(1000) overflows: subtract each row's maximum before exp (it cancels in the result).",
    classic=True,
    generic="stability",
    wrong_on="edge",
)


@ce_no_max_subtraction.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    n, c = logits.shape
    logp = logits - torch.log(torch.exp(logits).sum(dim=1, keepdim=True))
    w = logits.new_ones(c) if weight is None else weight
    q = torch.full_like(logits, label_smoothing / c)
    q[torch.arange(n, device=logits.device), target] += 1 - label_smoothing
    a = w * q / w[target].sum()
    return -(a * logp).sum(), (logp, a)


ce_log_of_softmax = bug(
    "ce_log_of_softmax",
    "losses.cross_entropy",
    "takes log(softmax(x)), which is -inf once a probability underflows",
    hint="Compute log-softmax directly as (x - max) - log(sum(exp(x - max))) "
    "instead of taking the log of a softmax.",
    generic="stability",
    wrong_on="edge",
)


@ce_log_of_softmax.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    n, c = logits.shape
    e = torch.exp(logits - logits.amax(dim=1, keepdim=True))
    logp = torch.log(e / e.sum(dim=1, keepdim=True))
    w = logits.new_ones(c) if weight is None else weight
    q = torch.full_like(logits, label_smoothing / c)
    q[torch.arange(n, device=logits.device), target] += 1 - label_smoothing
    a = w * q / w[target].sum()
    return -(a * logp).sum(), (logp, a)


ce_sum_over_batch = bug(
    "ce_sum_over_batch",
    "losses.cross_entropy",
    "sums the per-example losses instead of averaging them",
    hint="Divide by the batch size (or by the sum of the targets' weights when weight is given).",
    generic=("sum-mean", "factor"),
    wrong_on="ordinary",
)


@ce_sum_over_batch.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    logp, w, q = _ce_parts(logits, target, weight, label_smoothing, logits.shape[1])
    a = w * q
    return -(a * logp).sum(), (logp, a)


ce_grad_no_div_n = bug(
    "ce_grad_no_div_n",
    "losses.cross_entropy",
    "forgets to divide the gradient by N",
    hint="The loss is a mean over the batch, so its gradient carries 1/N (softmax - onehot)/N.",
    generic="sum-mean",
    wrong_on="ordinary",
)


@ce_grad_no_div_n.replaces
def cross_entropy_backward(dloss, cache):
    logp, a = cache
    n = logp.shape[0]
    return dloss * (torch.exp(logp) * a.sum(dim=1, keepdim=True) - a) * n


ce_grad_sign = bug(
    "ce_grad_sign",
    "losses.cross_entropy",
    "returns onehot - softmax (the sign is flipped)",
    hint="d loss / d logits = softmax - onehot: gradient descent must lower the true class's loss.",
    generic="sign",
    wrong_on="ordinary",
)


@ce_grad_sign.replaces
def cross_entropy_backward(dloss, cache):
    logp, a = cache
    return -dloss * (torch.exp(logp) * a.sum(dim=1, keepdim=True) - a)


ce_label_smoothing_c_minus_1 = bug(
    "ce_label_smoothing_c_minus_1",
    "losses.cross_entropy",
    "spreads eps/(C-1) over the wrong classes and gives the true class 1 - eps",
    hint="PyTorch's smoothing puts eps/C on every class, the true one included: "
    "q = (1-eps)*onehot + eps/C.",
    generic="factor",
    wrong_on="ordinary",
)


@ce_label_smoothing_c_minus_1.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    logp, w, q = _ce_parts(logits, target, weight, label_smoothing, logits.shape[1] - 1)
    a = w * q / w[target].sum()
    return -(a * logp).sum(), (logp, a)


ce_label_smoothing_no_uniform = bug(
    "ce_label_smoothing_no_uniform",
    "losses.cross_entropy",
    "only scales the one-hot target by (1 - eps) and adds nothing to the other classes",
    hint="Smoothing moves eps of the probability mass to a uniform eps/C over all classes.",
    generic="term",
    wrong_on="ordinary",
)


@ce_label_smoothing_no_uniform.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    logp, w, q = _ce_parts(logits, target, weight, 0.0, logits.shape[1])
    a = w * q * (1 - label_smoothing) / w[target].sum()
    return -(a * logp).sum(), (logp, a)


ce_weighted_mean_over_n = bug(
    "ce_weighted_mean_over_n",
    "losses.cross_entropy",
    "divides the weighted loss by N instead of by the sum of the targets' weights",
    hint="With class weights PyTorch divides by sum_i weight[target[i]], not by N.",
    generic="factor",
    wrong_on="ordinary",
)


@ce_weighted_mean_over_n.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    logp, w, q = _ce_parts(logits, target, weight, label_smoothing, logits.shape[1])
    a = w * q / logits.shape[0]
    return -(a * logp).sum(), (logp, a)


ce_backward_grad_per_argument = bug(
    "ce_backward_grad_per_argument",
    "losses.cross_entropy",
    "returns (dlogits, None, None, None), one gradient per forward argument as in "
    "torch.autograd.Function",
    hint="Return the gradient with respect to logits alone: the "
    "integer targets, weight and label_smoothing get no slot.",
    generic="structure",
    wrong_on="ordinary",
)


@ce_backward_grad_per_argument.replaces
def cross_entropy_backward(dloss, cache):
    logp, a = cache
    return dloss * (torch.exp(logp) * a.sum(dim=1, keepdim=True) - a), None, None, None


# ------------------------------------------------------------------------------------ focal
focal_alpha_swapped = bug(
    "focal_alpha_swapped",
    "losses.focal_loss",
    "gives alpha to the negatives and 1 - alpha to the positives",
    hint="alpha_t is alpha where the target is 1 and 1 - alpha where it is 0.",
    generic="argument",
    wrong_on="ordinary",
)


@focal_alpha_swapped.replaces
def focal_loss_forward(logits, target, alpha=0.25, gamma=2.0):
    s = 2 * target - 1
    u = s * logits
    alpha_t = torch.where(target > 0.5, 1 - alpha, alpha).to(logits.dtype)
    return (alpha_t * _sigmoid(-u) ** gamma * _softplus(-u)).mean(), (u, s, alpha_t, gamma)


focal_modulates_with_p_t = bug(
    "focal_modulates_with_p_t",
    "losses.focal_loss",
    "uses p_t^gamma instead of (1 - p_t)^gamma",
    hint="The factor (1 - p_t)^gamma shrinks the loss of confident, "
    "correct predictions; p_t^gamma does the opposite.",
    wrong_on="ordinary",
)


@focal_modulates_with_p_t.replaces
def focal_loss_forward(logits, target, alpha=0.25, gamma=2.0):
    s = 2 * target - 1
    u = s * logits
    alpha_t = torch.where(target > 0.5, alpha, 1 - alpha).to(logits.dtype)
    return (alpha_t * _sigmoid(u) ** gamma * _softplus(-u)).mean(), (u, s, alpha_t, gamma)


focal_naive_log = bug(
    "focal_naive_log",
    "losses.focal_loss",
    "computes log(p_t) from a saturating sigmoid",
    hint="log(sigmoid(u)) is -inf once sigmoid rounds to 0: use -softplus(-u) instead.",
    generic="stability",
    wrong_on="edge",
)


@focal_naive_log.replaces
def focal_loss_forward(logits, target, alpha=0.25, gamma=2.0):
    s = 2 * target - 1
    u = s * logits
    p_t = 1 / (1 + torch.exp(-u))
    alpha_t = torch.where(target > 0.5, alpha, 1 - alpha).to(logits.dtype)
    return (-alpha_t * (1 - p_t) ** gamma * torch.log(p_t)).mean(), (u, s, alpha_t, gamma)


focal_backward_constant_factor = bug(
    "focal_backward_constant_factor",
    "losses.focal_loss",
    "treats (1 - p_t)^gamma as a constant in the backward",
    hint="The modulating factor depends on the logit too: apply the product rule to "
    "(1 - p_t)^gamma * (-log p_t).",
    generic="term",
    wrong_on="ordinary",
)


@focal_backward_constant_factor.replaces
def focal_loss_backward(dloss, cache):
    u, s, alpha_t, gamma = cache
    neg = _sigmoid(-u)
    return dloss * s * (-alpha_t * neg**gamma * neg) / u.numel()


focal_backward_grad_per_argument = bug(
    "focal_backward_grad_per_argument",
    "losses.focal_loss",
    "returns (dlogits, None, None, None), one gradient per forward argument as in "
    "torch.autograd.Function",
    hint="Return the gradient with respect to logits alone, not "
    "a tuple with slots for target, alpha and gamma.",
    generic="structure",
    wrong_on="ordinary",
)


@focal_backward_grad_per_argument.replaces
def focal_loss_backward(dloss, cache):
    u, s, alpha_t, gamma = cache
    neg = _sigmoid(-u)
    du = -alpha_t * neg**gamma * (gamma * _sigmoid(u) * _softplus(-u) + neg)
    return dloss * s * du / u.numel(), None, None, None


# --------------------------------------------------------------------------------------- KL
kl_reversed = bug(
    "kl_reversed",
    "losses.kl_div",
    "computes KL(q || p) instead of KL(p || q)",
    hint="kl_div(log_q, p) is sum p*(log p - log q): the target p weights the sum.",
    wrong_on="ordinary",
)


@kl_reversed.replaces
def kl_div_forward(log_q, p):
    q = torch.exp(log_q)
    return (q * (log_q - torch.log(p))).sum() / log_q.shape[0], (p, log_q, log_q.shape[0])


@kl_reversed.replaces
def kl_div_backward(dloss, cache):
    p, log_q, n = cache
    q = torch.exp(log_q)
    return dloss * q * (log_q - torch.log(p) + 1) / n


kl_mean_over_elements = bug(
    "kl_mean_over_elements",
    "losses.kl_div",
    "divides by N*C (reduction 'mean') instead of by the batch size N",
    hint="'batchmean' divides the total by N = log_q.shape[0] only.",
    generic="sum-mean",
    wrong_on="ordinary",
)


@kl_mean_over_elements.replaces
def kl_div_forward(log_q, p):
    plogp = torch.where(
        p > 0, p * torch.log(torch.where(p > 0, p, torch.ones_like(p))), torch.zeros_like(p)
    )
    return (plogp - p * log_q).mean(), (p, log_q.numel())


kl_nan_at_zero_target = bug(
    "kl_nan_at_zero_target",
    "losses.kl_div",
    "computes p*log(p) directly, which is 0*(-inf) = NaN where p = 0",
    hint="Entries with p = 0 contribute 0: use torch.where or torch.xlogy(p, p).",
    generic="stability",
    wrong_on="edge",
)


@kl_nan_at_zero_target.replaces
def kl_div_forward(log_q, p):
    return (p * torch.log(p) - p * log_q).sum() / log_q.shape[0], (p, log_q.shape[0])


kl_grad_wrt_q = bug(
    "kl_grad_wrt_q",
    "losses.kl_div",
    "differentiates with respect to q instead of log_q, returning -p / q / N",
    hint="The argument is log_q: d(-p * log_q)/d(log_q) = -p, so the gradient "
    "is -p / N (no division by q).",
    generic="factor",
    wrong_on="ordinary",
)


def kl_div_forward(log_q, p):
    """The reference forward, keeping log_q in the cache for the two backward variants below."""
    plogp = torch.where(
        p > 0, p * torch.log(torch.where(p > 0, p, torch.ones_like(p))), torch.zeros_like(p)
    )
    return (plogp - p * log_q).sum() / log_q.shape[0], (p, log_q, log_q.shape[0])


kl_grad_wrt_q.replaces(kl_div_forward)


@kl_grad_wrt_q.replaces
def kl_div_backward(dloss, cache):
    p, log_q, n = cache
    return -dloss * p / torch.exp(log_q) / n


kl_backward_also_dp = bug(
    "kl_backward_also_dp",
    "losses.kl_div",
    "also returns the gradient with respect to the target p, (dlog_q, dp)",
    hint="Only log_q gets a gradient: return -dloss * p / N alone.",
    generic="structure",
    wrong_on="ordinary",
)


kl_backward_also_dp.replaces(kl_div_forward)


@kl_backward_also_dp.replaces
def kl_div_backward(dloss, cache):
    p, log_q, n = cache
    dp = torch.where(p > 0, torch.log(torch.where(p > 0, p, torch.ones_like(p))) + 1, 0.0)
    return -dloss * p / n, dloss * (dp - log_q) / n


# ============================================================ alternative correct implementations
mse_via_pow = alternative("mse_via_pow", "losses.mse", "uses pow and divides the sum by numel")


@mse_via_pow.replaces
def mse_forward(pred, target):
    return torch.sum((pred - target) ** 2) / pred.numel(), (pred, target)


@mse_via_pow.replaces
def mse_backward(dloss, cache):
    pred, target = cache
    scale = 2.0 / pred.numel()
    return (pred - target) * scale * dloss


mae_where_grad = alternative("mae_where_grad", "losses.mae", "builds the subgradient with where")


@mae_where_grad.replaces
def mae_backward(dloss, cache):
    (diff,) = cache
    zero = torch.zeros_like(diff)
    sign = torch.where(diff > 0, torch.ones_like(diff), torch.where(diff < 0, -1 + zero, zero))
    return sign * (dloss / diff.numel())


huber_via_clamp = alternative(
    "huber_via_clamp", "losses.huber", "splits |d| into a clamped part and the rest"
)


@huber_via_clamp.replaces
def huber_forward(pred, target, delta=1.0):
    a = (pred - target).abs()
    inner = a.clamp(max=delta)
    return (0.5 * inner * inner + delta * (a - inner)).mean(), (pred - target, delta)


@huber_via_clamp.replaces
def huber_backward(dloss, cache):
    diff, delta = cache
    return dloss * diff.clamp(-delta, delta) / diff.numel()


bce_softplus_other_form = alternative(
    "bce_softplus_other_form",
    "losses.bce_with_logits",
    "writes the loss as (1 - t)*z + (1 + (pw - 1)*t)*softplus(-z), PyTorch's form",
)


@bce_softplus_other_form.replaces
def bce_with_logits_forward(logits, target, pos_weight=None):
    pw = 1.0 if pos_weight is None else pos_weight
    log_weight = 1 + (pw - 1) * target
    sp = torch.log1p(torch.exp(-logits.abs())) + torch.clamp(-logits, min=0)
    return ((1 - target) * logits + log_weight * sp).mean(), (logits, target, pw)


ce_via_gather = alternative(
    "ce_via_gather",
    "losses.cross_entropy",
    "uses a logsumexp written by hand, gather for the true class, and a separate smoothing term",
)


@ce_via_gather.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    n, c = logits.shape
    m = logits.max(dim=1, keepdim=True).values
    lse = m + torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))
    logp = logits - lse
    w = torch.ones(c, dtype=logits.dtype, device=logits.device) if weight is None else weight
    wt = w.gather(0, target)
    nll = -(wt * logp.gather(1, target[:, None]).squeeze(1)).sum()
    smooth = -(logp * w).sum()
    loss = ((1 - label_smoothing) * nll + label_smoothing / c * smooth) / wt.sum()
    return loss, (logp, target, w, wt.sum(), label_smoothing)


@ce_via_gather.replaces
def cross_entropy_backward(dloss, cache):
    logp, target, w, total, eps = cache
    n, c = logp.shape
    onehot = torch.zeros_like(logp).scatter(1, target[:, None], 1.0)
    q = (1 - eps) * onehot + eps / c
    a = q * w / total
    return (torch.exp(logp) * a.sum(1, keepdim=True) - a) * dloss


kl_via_xlogy = alternative("kl_via_xlogy", "losses.kl_div", "uses torch.xlogy for p*log p")


@kl_via_xlogy.replaces
def kl_div_forward(log_q, p):
    n = log_q.shape[0]
    return (torch.xlogy(p, p) - p * log_q).sum() / n, (p, n)


focal_via_logsigmoid_pieces = alternative(
    "focal_via_logsigmoid_pieces",
    "losses.focal_loss",
    "computes the positive and negative branches separately and selects with where",
)


@focal_via_logsigmoid_pieces.replaces
def focal_loss_forward(logits, target, alpha=0.25, gamma=2.0):
    log_p = -_softplus(-logits)
    log_1mp = -_softplus(logits)
    p, q = torch.exp(log_p), torch.exp(log_1mp)
    pos = -alpha * q**gamma * log_p
    neg = -(1 - alpha) * p**gamma * log_1mp
    loss = torch.where(target > 0.5, pos, neg).mean()
    return loss, (logits, target, alpha, gamma)


@focal_via_logsigmoid_pieces.replaces
def focal_loss_backward(dloss, cache):
    logits, target, alpha, gamma = cache
    log_p, log_1mp = -_softplus(-logits), -_softplus(logits)
    p, q = torch.exp(log_p), torch.exp(log_1mp)
    # d/dz of -(1-p)^g log p  =  g (1-p)^g p log p - (1-p)^(g+1)
    dpos = alpha * (gamma * q**gamma * p * log_p - q ** (gamma + 1))
    # d/dz of -p^g log(1-p)   = -g p^g (1-p) log(1-p) + p^(g+1)
    dneg = (1 - alpha) * (-gamma * p**gamma * q * log_1mp + p ** (gamma + 1))
    return dloss * torch.where(target > 0.5, dpos, dneg) / logits.numel()


# ============================================================ alternatives in other styles
# Object style: a loss object keeps a softmax helper (self.softmax = ...), its own log_softmax
# method, and forward/backward; the contract functions wrap it and the cache is the object.
class _Softmax:
    def __call__(self, z):
        e = torch.exp(z - z.amax(dim=1, keepdim=True))
        return e / e.sum(dim=1, keepdim=True)


class CrossEntropyLoss:
    def __init__(self, weight=None, label_smoothing=0.0):
        self.weight, self.label_smoothing = weight, label_smoothing
        self.softmax = _Softmax()

    def log_softmax(self, z):
        shifted = z - z.amax(dim=1, keepdim=True)
        return shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))

    def forward(self, logits, target):
        n, c = logits.shape
        w = logits.new_ones(c) if self.weight is None else self.weight.to(logits.dtype)
        eps = self.label_smoothing
        onehot = torch.zeros_like(logits).scatter(1, target[:, None], 1.0)
        self.a = w * ((1 - eps) * onehot + eps / c) / w[target].sum()
        self.logits = logits
        return -(self.a * self.log_softmax(logits)).sum()

    def backward(self, dloss=1.0):
        return dloss * (self.softmax(self.logits) * self.a.sum(dim=1, keepdim=True) - self.a)


ce_loss_object = alternative(
    "ce_loss_object",
    "losses.cross_entropy",
    "a CrossEntropyLoss object with self.softmax, its own log_softmax "
    "method, forward and backward; the cache is the object",
)


@ce_loss_object.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    loss_fn = CrossEntropyLoss(weight, label_smoothing)
    return loss_fn.forward(logits, target), loss_fn


@ce_loss_object.replaces
def cross_entropy_backward(dloss, cache):
    return cache.backward(dloss)


class MSELoss:
    def forward(self, pred, target):
        self.diff = pred - target
        return (self.diff**2).mean()

    def backward(self, dloss=1.0):
        return dloss * 2 * self.diff / self.diff.numel()


mse_loss_object = alternative(
    "mse_loss_object", "losses.mse", "an MSELoss object with forward and backward methods"
)


@mse_loss_object.replaces
def mse_forward(pred, target):
    loss_fn = MSELoss()
    return loss_fn.forward(pred, target), loss_fn


@mse_loss_object.replaces
def mse_backward(dloss, cache):
    return cache.backward(dloss)


# NumPy bridged to tensors: .numpy() in, torch.from_numpy out, dtype and device restored.
mse_numpy = alternative(
    "mse_numpy",
    "losses.mse",
    "computes in NumPy on the CPU and converts back to the input's dtype and device",
)


@mse_numpy.replaces
def mse_forward(pred, target):
    diff = pred.detach().cpu().numpy() - target.detach().cpu().numpy()
    loss = torch.from_numpy(np.asarray(np.mean(diff * diff)))
    return loss.to(dtype=pred.dtype, device=pred.device), (diff, pred.dtype, pred.device)


@mse_numpy.replaces
def mse_backward(dloss, cache):
    diff, dtype, device = cache
    g = float(dloss) * 2 * diff / diff.size
    return torch.from_numpy(g).to(dtype=dtype, device=device)


bce_numpy = alternative(
    "bce_numpy", "losses.bce_with_logits", "computes with np.logaddexp in NumPy and converts back"
)


@bce_numpy.replaces
def bce_with_logits_forward(logits, target, pos_weight=None):
    z, t = logits.detach().cpu().numpy(), target.detach().cpu().numpy()
    pw = (
        1.0
        if pos_weight is None
        else (pos_weight.detach().cpu().numpy() if torch.is_tensor(pos_weight) else pos_weight)
    )
    per = pw * t * np.logaddexp(0, -z) + (1 - t) * np.logaddexp(0, z)
    loss = torch.from_numpy(np.asarray(per.mean())).to(dtype=logits.dtype, device=logits.device)
    return loss, (z, t, pw, logits.dtype, logits.device)


@bce_numpy.replaces
def bce_with_logits_backward(dloss, cache):
    z, t, pw, dtype, device = cache
    sig = np.exp(-np.logaddexp(0, -z))  # sigmoid(z), stable both ways
    grad = -pw * t * (1 - sig) + (1 - t) * sig
    return torch.from_numpy(float(dloss) * grad / z.size).to(dtype=dtype, device=device)
