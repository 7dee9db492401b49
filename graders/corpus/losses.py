"""Student-style bugs of losses.py: losses written the way learners write them (softmax then
log, loops over the batch, loss objects with forward and backward, NumPy), each with one genuine
mistake (see ``descent.catalogue.student``).
"""

import numpy as np
import torch

from descent.catalogue import student


def _softmax(z):
    e = torch.exp(z - z.max(dim=1, keepdim=True).values)
    return e / e.sum(dim=1, keepdim=True)


def _targets(logits, target, weight, label_smoothing):
    """The per-class weights of each row, a[i, c] = weight[c] * q[i, c], and their total W."""
    n, c = logits.shape
    q = torch.full_like(logits, label_smoothing / c)
    q[torch.arange(n), target] += 1 - label_smoothing
    w = torch.ones(c, dtype=logits.dtype, device=logits.device) if weight is None else weight
    return q * w, w[target].sum()


# -------------------------------------------------------------------------------- cross-entropy
ce_log_of_clamped_softmax = student(
    "ce_log_of_clamped_softmax",
    "losses.cross_entropy",
    "takes the log of a softmax clamped at 1e-10 (log(clamp(p, 1e-10))) instead of a "
    "log-softmax, so a probability below 1e-10 gives a loss capped at about 23",
    generic="clamp",
    wrong_on="edge",
)


@ce_log_of_clamped_softmax.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    probs = _softmax(logits)
    a, total = _targets(logits, target, weight, label_smoothing)
    loss = -(a * torch.log(torch.clamp(probs, min=1e-10))).sum() / total
    return loss, (probs, a / total)


@ce_log_of_clamped_softmax.replaces
def cross_entropy_backward(dloss, cache):
    probs, a = cache
    return dloss * (probs * a.sum(dim=1, keepdim=True) - a)


ce_log_of_softmax_plus_tiny = student(
    "ce_log_of_softmax_plus_tiny",
    "losses.cross_entropy",
    "takes log(p + 1e-12) of the softmax's true-class probability to keep it finite, so the loss "
    "stops near 27.6 once that probability underflows, and every value moves a little",
    generic="clamp",
    wrong_on="edge",
)


@ce_log_of_softmax_plus_tiny.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    probs = _softmax(logits)
    a, total = _targets(logits, target, weight, label_smoothing)
    loss = -(a * torch.log(probs + 1e-12)).sum() / total
    return loss, (probs, a / total)


@ce_log_of_softmax_plus_tiny.replaces
def cross_entropy_backward(dloss, cache):
    probs, a = cache
    return dloss * (probs * a.sum(dim=1, keepdim=True) - a)


ce_shift_by_batch_max = student(
    "ce_shift_by_batch_max",
    "losses.cross_entropy",
    "subtracts the largest logit of the whole batch (logits.max()) instead of each row's own, "
    "so a row far below the batch's maximum underflows to exp = 0 and its loss is infinite",
    generic="stability",
    wrong_on="edge",
)


@ce_shift_by_batch_max.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    z = logits - logits.max()  # one number for the whole batch
    logp = z - torch.log(torch.exp(z).sum(dim=1, keepdim=True))
    a, total = _targets(logits, target, weight, label_smoothing)
    return -(a * logp).sum() / total, (torch.exp(logp), a / total)


@ce_shift_by_batch_max.replaces
def cross_entropy_backward(dloss, cache):
    probs, a = cache
    return dloss * (probs * a.sum(dim=1, keepdim=True) - a)


ce_loop_sums_over_batch = student(
    "ce_loop_sums_over_batch",
    "losses.cross_entropy",
    "loops over the examples and adds up their losses without dividing by the batch (or the "
    "total weight)",
    generic=("sum-mean", "factor"),
    wrong_on="ordinary",
)


@ce_loop_sums_over_batch.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    n, c = logits.shape
    loss = logits.new_zeros(())
    rows = []
    for i in range(n):
        z = logits[i] - logits[i].max()
        log_p = z - torch.log(torch.exp(z).sum())
        q = torch.full_like(z, label_smoothing / c)
        q[target[i]] += 1 - label_smoothing
        if weight is not None:
            q = q * weight
        loss = loss - (q * log_p).sum()
        rows.append((torch.exp(log_p), q))
    return loss, rows


@ce_loop_sums_over_batch.replaces
def cross_entropy_backward(dloss, cache):
    grads = [p * q.sum() - q for p, q in cache]
    return dloss * torch.stack(grads)


ce_weighted_mean_over_batch = student(
    "ce_weighted_mean_over_batch",
    "losses.cross_entropy",
    "with class weights, divides the weighted sum by the batch size instead of by the sum of "
    "the targets' weights",
    generic="factor",
    wrong_on="ordinary",
)


@ce_weighted_mean_over_batch.replaces
def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    n = logits.shape[0]
    shifted = logits - logits.amax(dim=1, keepdim=True)
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    a, _ = _targets(logits, target, weight, label_smoothing)
    a = a / n
    return -(a * log_probs).sum(), (log_probs, a)


@ce_weighted_mean_over_batch.replaces
def cross_entropy_backward(dloss, cache):
    log_probs, a = cache
    return dloss * (torch.exp(log_probs) * a.sum(dim=1, keepdim=True) - a)


# ------------------------------------------------------------------------------ BCE with logits
bce_log_of_sigmoid = student(
    "bce_log_of_sigmoid",
    "losses.bce_with_logits",
    "computes p = 1 / (1 + exp(-z)) and then log(p) and log(1 - p): infinite or NaN once a "
    "logit is large",
    generic="stability",
    wrong_on="edge",
)


@bce_log_of_sigmoid.replaces
def bce_with_logits_forward(logits, target, pos_weight=None):
    pw = 1.0 if pos_weight is None else pos_weight
    p = 1 / (1 + torch.exp(-logits))
    loss = -(pw * target * torch.log(p) + (1 - target) * torch.log(1 - p))
    return loss.mean(), (p, target, pw)


@bce_log_of_sigmoid.replaces
def bce_with_logits_backward(dloss, cache):
    p, target, pw = cache
    grad = -pw * target * (1 - p) + (1 - target) * p
    return dloss * grad / p.numel()


# ------------------------------------------------------------------------------------------ MSE
class MSELoss:
    """A loss object with forward and backward; the contract's cache is the object."""

    def forward(self, pred, target):
        self.diff = pred - target
        return (self.diff**2).mean()

    def backward(self, dloss):
        return dloss * self.diff / self.diff.numel()


mse_object_backward_without_two = student(
    "mse_object_backward_without_two",
    "losses.mse",
    "a loss object whose backward leaves out the factor 2 of d(d^2)/dd",
    generic=("factor", "omitted"),
    wrong_on="ordinary",
)


@mse_object_backward_without_two.replaces
def mse_forward(pred, target):
    loss_fn = MSELoss()
    return loss_fn.forward(pred, target), loss_fn


@mse_object_backward_without_two.replaces
def mse_backward(dloss, cache):
    return cache.backward(dloss)


# ---------------------------------------------------------------------------------------- Huber
huber_linear_gradient_without_delta = student(
    "huber_linear_gradient_without_delta",
    "losses.huber",
    "gives the linear zone the gradient sign(d) instead of delta * sign(d) (the same only for "
    "delta = 1)",
    generic=("omitted", "branch"),
    wrong_on="ordinary",
)


@huber_linear_gradient_without_delta.replaces
def huber_forward(pred, target, delta=1.0):
    d = pred - target
    quadratic = 0.5 * d**2
    linear = delta * (d.abs() - 0.5 * delta)
    return torch.where(d.abs() <= delta, quadratic, linear).mean(), (d, delta)


@huber_linear_gradient_without_delta.replaces
def huber_backward(dloss, cache):
    d, delta = cache
    g = torch.where(d.abs() <= delta, d, torch.sign(d))
    return dloss * g / d.numel()


# ------------------------------------------------------------------------------------------ MAE
mae_numpy_sign_of_tie = student(
    "mae_numpy_sign_of_tie",
    "losses.mae",
    "a NumPy backward that writes the sign as where(d > 0, 1, -1), so a tie (pred == target) "
    "gets the gradient -1 instead of 0",
    generic="branch",
    wrong_on="edge",
)


@mae_numpy_sign_of_tie.replaces
def mae_forward(pred, target):
    d = pred.detach().cpu().numpy() - target.detach().cpu().numpy()
    loss = torch.tensor(np.abs(d).mean(), dtype=pred.dtype, device=pred.device)
    return loss, (d, pred.dtype, pred.device)


@mae_numpy_sign_of_tie.replaces
def mae_backward(dloss, cache):
    d, dtype, device = cache
    grad = np.where(d > 0, 1.0, -1.0) / d.size
    return float(dloss) * torch.from_numpy(grad).to(dtype=dtype, device=device)


# ----------------------------------------------------------------------------------- KL divergence
kl_direction_reversed = student(
    "kl_direction_reversed",
    "losses.kl_div",
    "computes KL(q || p), sum of q * (log q - log p) with q = exp(log_q), instead of KL(p || q)",
    generic=("swapped", "argument"),
    wrong_on="ordinary",
)


@kl_direction_reversed.replaces
def kl_div_forward(log_q, p):
    q = torch.exp(log_q)
    n = log_q.shape[0]
    terms = q * (log_q - torch.log(p))
    return terms.sum() / n, (q, log_q, p, n)


@kl_direction_reversed.replaces
def kl_div_backward(dloss, cache):
    q, log_q, p, n = cache
    return dloss * q * (log_q - torch.log(p) + 1) / n


# ------------------------------------------------------------------------------------ focal loss
focal_modulation_on_pt = student(
    "focal_modulation_on_pt",
    "losses.focal_loss",
    "modulates by p_t ** gamma instead of (1 - p_t) ** gamma, so easy examples are weighted up",
    generic="swapped",
    wrong_on="ordinary",
)


@focal_modulation_on_pt.replaces
def focal_loss_forward(logits, target, alpha=0.25, gamma=2.0):
    s = 2 * target - 1
    u = s * logits
    e = torch.exp(-u.abs())
    p_t = torch.where(u >= 0, 1 / (1 + e), e / (1 + e))
    alpha_t = torch.where(target > 0.5, alpha, 1 - alpha).to(logits.dtype)
    nll = torch.clamp(-u, min=0) + torch.log1p(e)
    loss = alpha_t * p_t**gamma * nll
    return loss.mean(), (u, s, p_t, alpha_t, gamma, nll)


@focal_modulation_on_pt.replaces
def focal_loss_backward(dloss, cache):
    u, s, p_t, alpha_t, gamma, nll = cache
    # d/du of p_t^gamma * nll, with dp_t/du = p_t (1 - p_t) and dnll/du = -(1 - p_t)
    du = alpha_t * (gamma * p_t**gamma * (1 - p_t) * nll - p_t**gamma * (1 - p_t))
    return dloss * s * du / u.numel()


# ----------------------------------------------------------------------------------- log-softmax
log_softmax_backward_diagonal = student(
    "log_softmax_backward_diagonal",
    "losses.log_softmax",
    "the backward multiplies softmax by dy entry by entry (dy - softmax * dy) instead of by the "
    "row's sum of dy",
    generic=("omitted", "reduction", "term"),
    wrong_on="ordinary",
)


@log_softmax_backward_diagonal.replaces
def log_softmax_forward(x, dim=-1):
    m = x.max(dim=dim, keepdim=True).values
    y = x - m - torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))
    return y, (y, dim)


@log_softmax_backward_diagonal.replaces
def log_softmax_backward(dy, cache):
    y, dim = cache
    return dy - torch.exp(y) * dy
