"""Student-style bugs of regularization.py: dropout layers with a stored mask, penalties summed
in loops, early stopping with counters, each with one genuine mistake (see
``descent.catalogue.student``).
"""

import torch

from descent.catalogue import student


class Dropout:
    """A MyTorch-style layer: the mask is kept on the object for the backward pass."""

    def __init__(self, p, normal_draw=False):
        self.p, self.normal_draw = p, normal_draw

    def forward(self, x, training, generator):
        if not training or self.p == 0:
            self.mask = torch.ones_like(x)
            return x.clone()
        if self.p == 1:
            self.mask = torch.zeros_like(x)
            return torch.zeros_like(x)
        draw = torch.randn if self.normal_draw else torch.rand
        r = draw(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        self.mask = (r > self.p).to(x.dtype) / (1 - self.p)
        return x * self.mask

    def backward(self, dy):
        return dy * self.mask


# -------------------------------------------------------------------------------------- dropout
dropout_layer_normal_mask = student(
    "dropout_layer_normal_mask",
    "regularization.dropout",
    "a dropout layer that draws its mask from a normal (torch.randn > p) instead of a uniform, "
    "so it keeps 1 - Phi(p) of the entries instead of 1 - p",
    generic="distribution",
    wrong_on="ordinary",
)


@dropout_layer_normal_mask.replaces
def dropout_forward(x, p, training=True, generator=None):
    layer = Dropout(p, normal_draw=True)
    return layer.forward(x, training, generator), layer


@dropout_layer_normal_mask.replaces
def dropout_backward(dy, cache):
    return cache.backward(dy)


dropout_keep_test_always_true = student(
    "dropout_keep_test_always_true",
    "regularization.dropout",
    "writes the mask as rand < q / q (meaning (rand < q) / q, q = 1 - p): the comparison is "
    "with 1, so nothing is dropped and every entry is scaled by 1 / q",
    generic=("swapped", "argument"),  # the threshold q read as q / q = 1
    wrong_on="ordinary",
)


@dropout_keep_test_always_true.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training or p == 0:
        return x.clone(), None
    if p == 1:
        return torch.zeros_like(x), torch.zeros_like(x)
    q = 1 - p  # the probability of keeping
    mask = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device) < q / q
    mask = mask.to(x.dtype) / q
    return x * mask, mask


@dropout_keep_test_always_true.replaces
def dropout_backward(dy, cache):
    return dy.clone() if cache is None else dy * cache


dropout_eval_scales_by_keep = student(
    "dropout_eval_scales_by_keep",
    "regularization.dropout",
    "scales the kept entries by 1 / (1 - p) in training and also multiplies by 1 - p in eval "
    "mode (mixing inverted and classic dropout), so eval is not the identity",
    generic=("mode", "factor"),
    wrong_on="ordinary",
)


@dropout_eval_scales_by_keep.replaces
def dropout_forward(x, p, training=True, generator=None):
    if not training:
        return x * (1 - p), torch.full_like(x, 1 - p)
    if p == 0:
        return x.clone(), torch.ones_like(x)
    if p == 1:
        return torch.zeros_like(x), torch.zeros_like(x)
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device) >= p
    scale = keep.to(x.dtype) / (1 - p)
    return x * scale, scale


@dropout_eval_scales_by_keep.replaces
def dropout_backward(dy, cache):
    return dy * cache


# ------------------------------------------------------------------------------------ penalties
l2_loop_overwrites_total = student(
    "l2_loop_overwrites_total",
    "regularization.l2_penalty",
    "the loop assigns each tensor's penalty to the total (loss = ...) instead of adding it, so "
    "only the last tensor counts in the loss",
    generic=("accumulate", "term"),
    wrong_on="ordinary",
)


@l2_loop_overwrites_total.replaces
def l2_penalty(params, lam):
    loss = torch.zeros((), dtype=params[0].dtype, device=params[0].device)
    grads = []
    for w in params:
        loss = 0.5 * lam * torch.sum(w * w)
        grads.append(lam * w)
    return loss, grads


l1_mean_per_tensor = student(
    "l1_mean_per_tensor",
    "regularization.l1_penalty",
    "averages |w| over each tensor (w.abs().mean()) in the loss instead of summing it",
    generic="sum-mean",
    wrong_on="ordinary",
)


@l1_mean_per_tensor.replaces
def l1_penalty(params, lam):
    loss = sum(w.abs().mean() for w in params) * lam
    return loss, [lam * w.sign() for w in params]


# ------------------------------------------------------------------------------- early stopping
early_stopping_best_never_updated = student(
    "early_stopping_best_never_updated",
    "regularization.early_stopping",
    "records the improving epoch but never lowers best, so every epoch is compared with the "
    "first epoch's loss",
    generic="frozen",
    wrong_on="ordinary",
)


@early_stopping_best_never_updated.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    losses = [float(v) for v in val_losses]
    best = losses[0]
    best_epoch = 0
    for epoch, loss in enumerate(losses):
        if epoch == 0:
            continue
        if loss < best - min_delta:
            best_epoch = epoch
        elif epoch - best_epoch == patience:
            return epoch, best_epoch
    return None, best_epoch


early_stopping_wait_never_reset = student(
    "early_stopping_wait_never_reset",
    "regularization.early_stopping",
    "counts the epochs without improvement in a counter that an improvement never sets back to "
    "0, so patience runs out over all the bad epochs of the run, not over those in a row",
    generic="frozen",
    wrong_on="ordinary",
)


@early_stopping_wait_never_reset.replaces
def early_stopping(val_losses, patience, min_delta=0.0):
    history = val_losses.tolist() if isinstance(val_losses, torch.Tensor) else list(val_losses)
    best_loss, best_at, bad_epochs = float(history[0]), 0, 0
    for epoch in range(1, len(history)):
        current = float(history[epoch])
        if current < best_loss - min_delta:
            best_loss, best_at = current, epoch  # the counter should go back to 0 here
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                return epoch, best_at
    return None, best_at
