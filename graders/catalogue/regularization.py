"""Catalogued variants of regularization.py: realistic bugs and alternative correct implementations.

Reference dropout cache: the scaled mask keep / (1 - p) (None in the identity cases).
"""

import numpy as np
import torch

from descent.catalogue import alternative, bug


def _rand(x, generator):
    return torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)


def _ref_backward(dy, cache):
    return dy.clone() if cache is None else dy * cache


# ------------------------------------------------------------------------------------ dropout
dropout_no_rescale = bug(
    "dropout_no_rescale",
    "regularization.dropout",
    "zeroes entries but does not scale the kept ones by 1 / (1 - p)",
    hint="Inverted dropout divides the kept entries by 1 - p so the expected output equals x.",
    generic=("factor", "omitted"),
    wrong_on="ordinary",
)


@dropout_no_rescale.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), None
    mask = (_rand(x, generator) >= p).to(x.dtype)
    return x * mask, mask


dropout_p_is_keep_prob = bug(
    "dropout_p_is_keep_prob",
    "regularization.dropout",
    "treats p as the probability of keeping an entry (the CS231n convention)",
    hint="Here p is the probability of dropping: keep with probability 1 - p and scale by "
    "1 / (1 - p).",
    generic="argument",
    wrong_on="ordinary",
)


@dropout_p_is_keep_prob.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), None
    mask = (_rand(x, generator) < p).to(x.dtype) / p
    return x * mask, mask


dropout_active_in_eval = bug(
    "dropout_active_in_eval",
    "regularization.dropout",
    "keeps dropping entries when training=False",
    hint="At evaluation time dropout is the identity: return x when training is False.",
    generic=("argument", "mode"),
    wrong_on="ordinary",
)


@dropout_active_in_eval.replaces
def dropout_forward(x, p, training=True, generator=None):
    if p == 0:
        return x.clone(), None
    if p == 1:
        return torch.zeros_like(x), torch.zeros_like(x)
    mask = (_rand(x, generator) >= p).to(x.dtype) / (1 - p)
    return x * mask, mask


dropout_backward_unscaled = bug(
    "dropout_backward_unscaled",
    "regularization.dropout",
    "scales in the forward but multiplies dy by the bare 0/1 mask in the backward",
    hint="The backward of y = x * keep / (1 - p) is dx = dy * keep / (1 - p): the same scale.",
    wrong_on="ordinary",
)


@dropout_backward_unscaled.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), None
    if p == 1:
        return torch.zeros_like(x), torch.zeros_like(x)
    keep = (_rand(x, generator) >= p).to(x.dtype)
    return x * keep / (1 - p), keep


@dropout_backward_unscaled.replaces
def dropout_backward(dy, cache):
    return dy.clone() if cache is None else dy * cache


dropout_backward_new_mask = bug(
    "dropout_backward_new_mask",
    "regularization.dropout",
    "draws a fresh mask in the backward pass instead of reusing the forward's",
    hint="Keep the forward's scaled mask in the cache and multiply dy by it; a new draw "
    "drops different entries.",
    generic="random",
    wrong_on="ordinary",
)


@dropout_backward_new_mask.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), None
    if p == 1:
        return torch.zeros_like(x), 1.0
    mask = (_rand(x, generator) >= p).to(x.dtype) / (1 - p)
    return x * mask, p


@dropout_backward_new_mask.replaces
def dropout_backward(dy, cache):
    if cache is None:
        return dy.clone()
    p = cache
    if p == 1:
        return torch.zeros_like(dy)
    return dy * (torch.rand_like(dy) >= p).to(dy.dtype) / (1 - p)


dropout_p1_divzero = bug(
    "dropout_p1_divzero",
    "regularization.dropout",
    "divides by 1 - p even when p == 1, so 0 * inf gives NaN",
    hint="Handle p == 1 separately: every entry is dropped, so return zeros.",
    generic="stability",
    wrong_on="edge",
)


@dropout_p1_divzero.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), None
    mask = (_rand(x, generator) >= p).to(x.dtype) / (1 - p)  # p == 1: 0 / 0.0 = NaN
    return x * mask, mask


dropout_shared_mask = bug(
    "dropout_shared_mask",
    "regularization.dropout",
    "draws one mask of shape x.shape[1:] and reuses it for every example in the batch",
    hint="Draw an independent number for every entry: the mask has x's full shape.",
    generic="random",
    wrong_on="ordinary",
)


@dropout_shared_mask.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), None
    if p == 1:
        return torch.zeros_like(x), torch.zeros_like(x)
    u = torch.rand(x.shape[1:], generator=generator, dtype=x.dtype, device=x.device)
    mask = (u >= p).to(x.dtype) / (1 - p) * torch.ones_like(x)
    return x * mask, mask


dropout_scale_by_keep = bug(
    "dropout_scale_by_keep",
    "regularization.dropout",
    "multiplies the kept entries by 1 - p (test-time scaling of classic dropout) instead of "
    "dividing",
    hint="Inverted dropout divides by 1 - p during training so nothing changes at test time.",
    generic="factor",
    wrong_on="ordinary",
)


@dropout_scale_by_keep.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), None
    mask = (_rand(x, generator) >= p).to(x.dtype) * (1 - p)
    return x * mask, mask


dropout_randn_mask = bug(
    "dropout_randn_mask",
    "regularization.dropout",
    "compares a normal draw (torch.randn) with p, so the drop rate is Phi(p), not p",
    hint="Use a uniform draw on [0, 1): torch.rand, whose P(u < p) is exactly p.",
    generic="distribution",
    wrong_on="ordinary",
)


@dropout_randn_mask.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), None
    if p == 1:
        return torch.zeros_like(x), torch.zeros_like(x)
    u = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    mask = (u >= p).to(x.dtype) / (1 - p)
    return x * mask, mask


dropout_ignores_generator = bug(
    "dropout_ignores_generator",
    "regularization.dropout",
    "draws the mask from the global random state, ignoring generator",
    hint="Pass generator=generator to torch.rand so a seeded generator reproduces the mask.",
    generic="random",
    wrong_on="ordinary",
)


@dropout_ignores_generator.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), None
    if p == 1:
        return torch.zeros_like(x), torch.zeros_like(x)
    mask = (_rand(x, None) >= p).to(x.dtype) / (1 - p)
    return x * mask, mask


dropout_mutates_input = bug(
    "dropout_mutates_input",
    "regularization.dropout",
    "applies the mask in place (x.mul_(mask))",
    hint="Never write into x: compute y = x * mask as a new tensor.",
    generic="inplace",
    wrong_on="ordinary",
)


@dropout_mutates_input.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), None
    if p == 1:
        return torch.zeros_like(x), torch.zeros_like(x)
    mask = (_rand(x, generator) >= p).to(x.dtype) / (1 - p)
    return x.mul_(mask), mask


dropout_backward_ignores_identity = bug(
    "dropout_backward_ignores_identity",
    "regularization.dropout",
    "returns cache None in the identity cases (eval, p = 0) but always multiplies dy by the cache",
    hint="The backward must handle every cache the forward can return: when nothing was "
    "dropped (training=False or p == 0), dx is dy itself.",
    generic="branch",
    wrong_on="edge",
)


@dropout_backward_ignores_identity.replaces
def dropout_backward(dy, cache):  # with the reference forward, whose identity cache is None
    return dy * cache


# -------------------------------------------------------------------------------- penalties
l2_grad_factor_mismatch = bug(
    "l2_grad_factor_mismatch",
    "regularization.l2_penalty",
    "keeps the 0.5 in the loss but returns 2 * lam * w as the gradient",
    hint="The derivative of 0.5 * lam * w^2 is lam * w: the 0.5 cancels the 2.",
    generic="factor",
    wrong_on="ordinary",
)


@l2_grad_factor_mismatch.replaces
def l2_penalty(params, lam):
    return 0.5 * lam * sum((w * w).sum() for w in params), [2 * lam * w for w in params]


l2_no_half = bug(
    "l2_no_half",
    "regularization.l2_penalty",
    "uses lam * ||w||^2 for the loss while returning lam * w as the gradient",
    hint="The loss has a factor 0.5: 0.5 * lam * sum(w^2), whose gradient is lam * w.",
    generic="factor",
    wrong_on="ordinary",
)


@l2_no_half.replaces
def l2_penalty(params, lam):
    return lam * sum((w * w).sum() for w in params), [lam * w for w in params]


l2_mean_not_sum = bug(
    "l2_mean_not_sum",
    "regularization.l2_penalty",
    "averages w^2 over each tensor instead of summing",
    hint="The penalty sums the squares of every entry of every tensor; no mean.",
    generic="sum-mean",
    wrong_on="ordinary",
)


@l2_mean_not_sum.replaces
def l2_penalty(params, lam):
    return 0.5 * lam * sum((w * w).mean() for w in params), [lam * w for w in params]


l2_first_param_only = bug(
    "l2_first_param_only",
    "regularization.l2_penalty",
    "returns from inside the loop, so only the first tensor is penalized",
    hint="Accumulate over every tensor in params before returning.",
    generic="term",
    wrong_on="ordinary",
)


@l2_first_param_only.replaces
def l2_penalty(params, lam):
    for w in params:
        return 0.5 * lam * (w * w).sum(), [lam * v for v in params]


# Declared before l2_grads_in_place: the misconception matcher tries the bugs in order on the
# test's own tensors, and that bug overwrites the parameters.
l2_loss_from_zeros_1 = bug(
    "l2_loss_from_zeros_1",
    "regularization.l2_penalty",
    "accumulates the loss into torch.zeros(1), which gives a float32 tensor of shape (1,)",
    hint="The loss is a 0-dim tensor with the parameters' dtype and device: start the sum from "
    "params[0].new_zeros(()) or use sum(...) over 0-dim terms.",
    # its shape is named on the CPU; on a GPU the CPU tensor it builds is named first
    generic=("layout", "dtype"),
    wrong_on="ordinary",
)


@l2_loss_from_zeros_1.replaces
def l2_penalty(params, lam):
    loss = torch.zeros(1)
    for w in params:
        loss = loss + 0.5 * lam * (w * w).sum()
    return loss, [lam * w for w in params]


l2_grads_in_place = bug(
    "l2_grads_in_place",
    "regularization.l2_penalty",
    "builds the gradients with w.mul_(lam), overwriting the parameters",
    hint="lam * w creates a new tensor; w.mul_(lam) or w *= lam changes the parameter itself.",
    generic="inplace",
    wrong_on="ordinary",
)


@l2_grads_in_place.replaces
def l2_penalty(params, lam):
    loss = 0.5 * lam * sum((w * w).sum() for w in params)
    return loss, [w.mul_(lam) for w in params]


l1_grad_nan_at_zero = bug(
    "l1_grad_nan_at_zero",
    "regularization.l1_penalty",
    "computes the subgradient as w / |w|, which is NaN at w = 0",
    hint="Use torch.sign(w): it gives exactly 0 at w = 0.",
    generic="stability",
    wrong_on="edge",
)


@l1_grad_nan_at_zero.replaces
def l1_penalty(params, lam):
    return lam * sum(w.abs().sum() for w in params), [lam * w / w.abs() for w in params]


l1_sign_zero_is_one = bug(
    "l1_sign_zero_is_one",
    "regularization.l1_penalty",
    "uses where(w >= 0, 1, -1), so sign(0) = 1",
    hint="The subgradient convention here is sign(0) = 0: use torch.sign(w).",
    generic="branch",
    wrong_on="edge",
)


@l1_sign_zero_is_one.replaces
def l1_penalty(params, lam):
    return (
        lam * sum(w.abs().sum() for w in params),
        [lam * torch.where(w >= 0, torch.ones_like(w), -torch.ones_like(w)) for w in params],
    )


l1_grad_not_scaled = bug(
    "l1_grad_not_scaled",
    "regularization.l1_penalty",
    "returns sign(w) without the factor lam",
    hint="The gradient of lam * |w| is lam * sign(w).",
    generic="factor",
    wrong_on="ordinary",
)


@l1_grad_not_scaled.replaces
def l1_penalty(params, lam):
    return lam * sum(w.abs().sum() for w in params), [torch.sign(w) for w in params]


l1_half_factor = bug(
    "l1_half_factor",
    "regularization.l1_penalty",
    "copies the 0.5 of the L2 penalty into the L1 loss",
    hint="The L1 penalty is lam * sum(|w|), without 0.5.",
    generic="factor",
    wrong_on="ordinary",
)


@l1_half_factor.replaces
def l1_penalty(params, lam):
    return 0.5 * lam * sum(w.abs().sum() for w in params), [lam * torch.sign(w) for w in params]


l1_loss_as_float = bug(
    "l1_loss_as_float",
    "regularization.l1_penalty",
    "adds up the loss with .item(), returning a Python float instead of a 0-dim tensor",
    hint="Keep the loss a tensor: lam * sum(w.abs().sum() for w in params) is 0-dim, with the "
    "parameters' dtype and device.",
    generic="structure",
    wrong_on="ordinary",
)


@l1_loss_as_float.replaces
def l1_penalty(params, lam):
    total = 0.0
    for w in params:
        total += w.abs().sum().item()
    return lam * total, [lam * torch.sign(w) for w in params]


# --------------------------------------------------------------------------- early stopping
def _es(
    val_losses,
    patience,
    min_delta=0.0,
    *,
    late=False,
    ties=False,
    delta_sign=-1,
    running_min=False,
    stop_first=False,
    one_based=False,
    last_if_none=False,
    never_reset=False,
):
    losses = [float(v) for v in val_losses]
    best, best_epoch, bad = losses[0], 0, 0
    for e in range(1, len(losses)):
        if stop_first and e - best_epoch == patience:
            return e, best_epoch
        threshold = best + delta_sign * min_delta
        improved = losses[e] <= threshold if ties else losses[e] < threshold
        if improved:
            best, best_epoch = losses[e], e
            continue
        if running_min:
            best = min(best, losses[e])
        bad += 1  # every bad epoch of the run, for never_reset
        if never_reset and bad == patience:
            return e, best_epoch
        if not never_reset and e - best_epoch == patience + (1 if late else 0):
            return (e + 1, best_epoch + 1) if one_based else (e, best_epoch)
    stop = len(losses) - 1 if last_if_none else None
    return stop, best_epoch + 1 if one_based else best_epoch


es_stop_one_late = bug(
    "es_stop_one_late",
    "regularization.early_stopping",
    "waits one epoch too many (stops when e - best_epoch > patience)",
    hint="Stop at the first epoch where e - best_epoch == patience.",
    generic="step",
    wrong_on="ordinary",
)


@es_stop_one_late.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    return _es(val_losses, patience, min_delta, late=True)


es_ties_improve = bug(
    "es_ties_improve",
    "regularization.early_stopping",
    "counts a loss equal to best - min_delta as an improvement (<= instead of <)",
    hint="An improvement must be strictly below best - min_delta; a tie resets nothing.",
    generic="branch",
    wrong_on="edge",
)


@es_ties_improve.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    return _es(val_losses, patience, min_delta, ties=True)


es_wait_never_reset = bug(
    "es_wait_never_reset",
    "regularization.early_stopping",
    "counts the epochs without improvement in a counter that an improvement never resets",
    hint="patience counts the bad epochs in a row: set the counter back to 0 whenever an epoch "
    "improves (or stop at e - best_epoch == patience).",
    wrong_on="ordinary",
)


@es_wait_never_reset.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    return _es(val_losses, patience, min_delta, never_reset=True)


es_ignores_min_delta = bug(
    "es_ignores_min_delta",
    "regularization.early_stopping",
    "ignores min_delta (any decrease counts as an improvement)",
    hint="A later epoch improves only when loss < best - min_delta.",
    generic="argument",
    wrong_on="ordinary",
)


@es_ignores_min_delta.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    return _es(val_losses, patience, 0.0)


es_min_delta_wrong_sign = bug(
    "es_min_delta_wrong_sign",
    "regularization.early_stopping",
    "compares with best + min_delta, so slightly worse losses count as improvements",
    hint="The loss must beat the best by more than min_delta: loss < best - min_delta.",
    generic="sign",
    wrong_on="ordinary",
)


@es_min_delta_wrong_sign.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    return _es(val_losses, patience, min_delta, delta_sign=1)


es_best_is_running_min = bug(
    "es_best_is_running_min",
    "regularization.early_stopping",
    "lowers best to every smaller loss, even ones that did not improve by min_delta",
    hint="best is the loss of the last improving epoch; a smaller loss that misses the "
    "min_delta margin does not change it.",
    wrong_on="ordinary",
)


@es_best_is_running_min.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    return _es(val_losses, patience, min_delta, running_min=True)


es_stop_checked_first = bug(
    "es_stop_checked_first",
    "regularization.early_stopping",
    "checks the stopping rule before looking at the epoch's loss",
    hint="An epoch that improves resets the count even when it falls exactly patience epochs "
    "after the best: test for improvement first.",
    wrong_on="ordinary",  # an improvement on the patience-th epoch: the docstring's own example
)


@es_stop_checked_first.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    return _es(val_losses, patience, min_delta, stop_first=True)


es_best_epoch_global = bug(
    "es_best_epoch_global",
    "regularization.early_stopping",
    "reports the epoch of the lowest loss over the whole sequence as best_epoch",
    hint="Epochs after the stop are never seen; and with min_delta the best epoch is the last "
    "improving one, not the argmin.",
    wrong_on="ordinary",
)


@es_best_epoch_global.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    stop, _ = _es(val_losses, patience, min_delta)
    losses = [float(v) for v in val_losses]
    return stop, min(range(len(losses)), key=losses.__getitem__)


es_best_is_stop = bug(
    "es_best_is_stop",
    "regularization.early_stopping",
    "reports the stop epoch as best_epoch",
    hint="best_epoch is the last epoch that improved; the stop epoch comes patience epochs "
    "after it and did not improve.",
    wrong_on="ordinary",
    classic=True,
)


@es_best_is_stop.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    stop, best_epoch = _es(val_losses, patience, min_delta)
    return stop, best_epoch if stop is None else stop


es_one_based = bug(
    "es_one_based",
    "regularization.early_stopping",
    "numbers the epochs from 1",
    hint="Epochs are numbered from 0: the first loss is epoch 0.",
    generic="offset",
    wrong_on="ordinary",
)


@es_one_based.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    return _es(val_losses, patience, min_delta, one_based=True)


es_no_stop_returns_last = bug(
    "es_no_stop_returns_last",
    "regularization.early_stopping",
    "returns the last epoch instead of None when patience never runs out",
    hint="When the sequence ends before patience runs out, stop_epoch is None.",
    generic="structure",
    wrong_on="ordinary",
)


@es_no_stop_returns_last.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    return _es(val_losses, patience, min_delta, last_if_none=True)


es_pops_the_list = bug(
    "es_pops_the_list",
    "regularization.early_stopping",
    "walks the epochs with val_losses.pop(0), emptying the caller's list",
    hint="Never change an argument: read the losses by index (or copy them with list(...) "
    "first); the caller still needs its list.",
    generic="inplace",
    wrong_on="ordinary",
)


@es_pops_the_list.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    # a tensor is turned into a new list, but a list is used (and consumed) as it is
    losses = val_losses.tolist() if isinstance(val_losses, torch.Tensor) else val_losses
    best, best_epoch, epoch = float(losses.pop(0)), 0, 0
    while losses:
        epoch += 1
        loss = float(losses.pop(0))
        if loss < best - min_delta:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch == patience:
            return epoch, best_epoch
    return None, best_epoch


# ------------------------------------------------------------------------------ alternatives
alt_dropout_keep_below = alternative(
    "alt_dropout_keep_below",
    "regularization.dropout",
    "keeps entries where rand < 1 - p and caches the boolean mask, scaling in the backward",
)


@alt_dropout_keep_below.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), (None, 1.0)
    if p >= 1:
        return torch.zeros_like(x), (torch.zeros_like(x, dtype=torch.bool), 0.0)
    keep = _rand(x, generator) < 1 - p
    scale = 1.0 / (1.0 - p)
    return torch.where(keep, x * scale, torch.zeros_like(x)), (keep, scale)


@alt_dropout_keep_below.replaces
def dropout_backward(dy, cache):
    keep, scale = cache
    if keep is None:
        return dy.clone()
    return torch.where(keep, dy * scale, torch.zeros_like(dy))


alt_dropout_bernoulli = alternative(
    "alt_dropout_bernoulli", "regularization.dropout", "draws the mask with torch.bernoulli(1 - p)"
)


@alt_dropout_bernoulli.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training:
        return x * 1, None
    keep_prob = torch.full_like(x, 1.0 - p)
    keep = torch.bernoulli(keep_prob, generator=generator)
    mask = keep / (1.0 - p) if p < 1 else keep
    return x * mask, mask


@alt_dropout_bernoulli.replaces
def dropout_backward(dy, cache):
    return dy * 1 if cache is None else dy * cache


alt_penalties_flat = alternative(
    "alt_l2_flat",
    "regularization.l2_penalty",
    "flattens every tensor into one vector and uses a dot product",
)


@alt_penalties_flat.replaces
def l2_penalty(params, lam):
    flat = torch.cat([w.reshape(-1) for w in params])
    return 0.5 * lam * torch.dot(flat, flat), [w * lam for w in params]


alt_l1_where = alternative(
    "alt_l1_where",
    "regularization.l1_penalty",
    "builds the subgradient with where and a running sum of norms",
)


@alt_l1_where.replaces
def l1_penalty(params, lam):
    total = params[0].new_zeros(())
    grads = []
    for w in params:
        total = total + w.abs().sum()
        grads.append(lam * torch.where(w > 0, 1.0, torch.where(w < 0, -1.0, 0.0)).to(w))
    return lam * total, grads


alt_es_counter = alternative(
    "alt_es_counter",
    "regularization.early_stopping",
    "a wait counter reset on every improvement, stopping when it reaches patience",
)


@alt_es_counter.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch, wait = None, None, 0
    for epoch, loss in enumerate(val_losses):
        loss = float(loss)
        if best is None or loss < best - min_delta:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return None, best_epoch


# ============================================================ alternatives in other styles
# Object style: a Dropout layer object (p and the generator on the layer, the mask kept by
# forward for backward); the contract functions wrap it and the cache is the layer.
class Dropout:
    def __init__(self, p, generator=None):
        self.p, self.generator = p, generator

    def forward(self, x, training=True):
        if not training or self.p == 0:
            self.mask = torch.ones_like(x)
        elif self.p == 1:
            self.mask = torch.zeros_like(x)
        else:
            u = torch.rand(x.shape, generator=self.generator, dtype=x.dtype, device=x.device)
            self.mask = (u >= self.p).to(x.dtype) / (1 - self.p)
        return x * self.mask

    def backward(self, dy):
        return dy * self.mask


dropout_layer_object = alternative(
    "dropout_layer_object",
    "regularization.dropout",
    "a Dropout layer object with forward and backward methods "
    "(a mask of ones when not training); the cache is the layer",
)


@dropout_layer_object.replaces
def dropout_forward(x, p, training=True, generator=None):
    layer = Dropout(p, generator)
    return layer.forward(x, training), layer


@dropout_layer_object.replaces
def dropout_backward(dy, cache):
    return cache.backward(dy)


# NumPy bridged to tensors: .numpy() in, torch.from_numpy out, dtype and device restored.
l2_numpy = alternative(
    "l2_numpy",
    "regularization.l2_penalty",
    "computes the penalty and the gradients in NumPy and converts back",
)


@l2_numpy.replaces
def l2_penalty(params, lam):
    arrays = [w.detach().cpu().numpy() for w in params]
    loss = 0.5 * lam * sum(float(np.sum(a * a)) for a in arrays)
    like = params[0]
    grads = [
        torch.from_numpy(lam * a).to(dtype=w.dtype, device=w.device) for a, w in zip(arrays, params)
    ]
    return torch.tensor(loss, dtype=like.dtype, device=like.device), grads


l1_numpy = alternative(
    "l1_numpy",
    "regularization.l1_penalty",
    "computes the penalty and np.sign gradients in NumPy and converts back",
)


@l1_numpy.replaces
def l1_penalty(params, lam):
    arrays = [w.detach().cpu().numpy() for w in params]
    loss = lam * sum(float(np.abs(a).sum()) for a in arrays)
    like = params[0]
    grads = [
        torch.from_numpy(lam * np.sign(a)).to(dtype=w.dtype, device=w.device)
        for a, w in zip(arrays, params)
    ]
    return torch.tensor(loss, dtype=like.dtype, device=like.device), grads
