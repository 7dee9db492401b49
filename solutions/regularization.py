"""Regularization: inverted dropout, L2 and L1 penalties, and early stopping.

Conventions for every function in this file:

* ``dropout_forward`` returns ``(y, cache)``; ``dropout_backward(dy, cache)`` returns ``dx`` with
  ``x``'s shape. ``cache`` is whatever your backward needs (only your backward reads it).
* Randomness comes only from ``generator`` (a ``torch.Generator`` on ``x``'s device) when one is
  given: the same generator state gives the same mask. With ``generator=None`` use PyTorch's
  global random state. Dropout is graded by its statistics on large tensors and by how forward
  and backward fit together, never by particular samples: any correct way of drawing the mask
  (``rand >= p``, ``rand < 1 - p``, ``torch.bernoulli``) passes.
* Penalties take ``params``, a list of tensors (any shapes), and return ``(loss, grads)``:
  ``loss`` a 0-dim tensor with the parameters' dtype and device, ``grads`` a list of tensors
  with exactly the parameters' shapes, in the same order.
* Never modify an argument in place; results keep the input's dtype and device.
* Allowed: elementary tensor operations and ``torch.Generator`` sampling (``torch.rand``,
  ``torch.bernoulli``). Not allowed here: ``torch.nn``, ``torch.nn.functional`` (``F.dropout``),
  ``torch.autograd`` and ``.backward()``. A tensor's ``.backward()`` is not allowed; a
  ``backward`` method of your own class (``drop.backward(dy)``) is fine.
"""

import torch


def dropout_forward(x, p, training=True, generator=None):
    """Inverted dropout: zero each entry of ``x`` independently with probability ``p``.

    ``p`` is the probability of **dropping** an entry (not of keeping it), 0 <= p <= 1. Kept
    entries are scaled by ``1 / (1 - p)`` so that the expected value of ``y`` equals ``x``:

        keep ~ Bernoulli(1 - p), one independent draw per entry of x (same shape as x)
        y    = x * keep / (1 - p)

    Special cases, all exact:

    * ``training=False``: the identity, ``y`` equals ``x`` (nothing is drawn or scaled).
    * ``p == 0``: the identity as well.
    * ``p == 1``: every entry is dropped and ``y`` is all zeros, with no NaN or inf (do not
      divide by ``1 - p = 0``).

    Returns ``(y, cache)`` with ``y`` of ``x``'s shape, dtype and device. The backward must use
    the very mask (and scale) that this forward call drew.
    """
    # BEGIN SOLUTION
    if not training or p == 0:
        return x.clone(), None
    if p == 1:
        return torch.zeros_like(x), torch.zeros_like(x)
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    mask = (u >= p).to(x.dtype) / (1 - p)
    return x * mask, mask
    # END SOLUTION


def dropout_backward(dy, cache):
    """Gradient of dropout: ``dx = dy * keep / (1 - p)`` with the forward's own mask.

    The forward is linear in ``x``, so the backward multiplies ``dy`` by the same scaled mask
    (no new random draw). In the identity cases (eval mode, ``p == 0``) ``dx`` equals ``dy``;
    for ``p == 1`` it is all zeros.
    """
    # BEGIN SOLUTION
    if cache is None:
        return dy.clone()
    return dy * cache
    # END SOLUTION


def l2_penalty(params, lam):
    """L2 penalty (weight decay as a loss term) over a list of parameter tensors.

        loss  = 0.5 * lam * sum over every tensor w of sum(w ** 2)
        grads = [lam * w for w in params]

    Note the factor 0.5: it makes the gradient exactly ``lam * w``. ``loss`` is a 0-dim tensor
    (dtype and device of the parameters); ``grads`` is a list with the parameters' shapes.
    """
    # BEGIN SOLUTION
    loss = 0.5 * lam * sum((w * w).sum() for w in params)
    return loss, [lam * w for w in params]
    # END SOLUTION


def l1_penalty(params, lam):
    """L1 penalty over a list of parameter tensors.

        loss  = lam * sum over every tensor w of sum(|w|)
        grads = [lam * sign(w) for w in params]

    |w| has no derivative at 0; use the subgradient ``sign(0) = 0``, so an entry that is exactly 0
    gets a gradient of exactly 0 (``w / |w|`` would give NaN there). ``loss`` is a 0-dim tensor;
    ``grads`` is a list with the parameters' shapes.
    """
    # BEGIN SOLUTION
    loss = lam * sum(w.abs().sum() for w in params)
    return loss, [lam * torch.sign(w) for w in params]
    # END SOLUTION


def early_stopping(val_losses, patience, min_delta=0.0):
    """When to stop training, given the validation loss of each epoch.

    ``val_losses`` is a non-empty sequence of numbers (a list of floats or a 1-D tensor), one per
    epoch; epochs are numbered from 0. ``patience`` is a positive int. Walk through the epochs in
    order, keeping ``best`` (the loss of the last improving epoch) and ``best_epoch``:

    * epoch 0 always improves;
    * a later epoch improves when its loss is strictly below ``best - min_delta`` (a tie, or a
      gain of ``min_delta`` or less, is not an improvement); then ``best`` becomes that loss and
      ``best_epoch`` that epoch;
    * training stops at the first epoch ``e`` with ``e - best_epoch == patience``, i.e. after
      ``patience`` epochs in a row without improvement.

    Returns ``(stop_epoch, best_epoch)`` as Python ints: ``stop_epoch`` is that first epoch
    (epochs after it are never looked at) or ``None`` if the sequence ends first; ``best_epoch``
    is the last improving epoch up to the stop (or up to the end when there is no stop).

    Example: losses (1.0, 0.8, 0.9, 0.85, 0.7) with patience 2 stop at epoch 3 with best epoch 1;
    with patience 3 there is no stop and the best epoch is 4.
    """
    # BEGIN SOLUTION
    losses = [float(v) for v in val_losses]
    best, best_epoch = losses[0], 0
    for epoch in range(1, len(losses)):
        if losses[epoch] < best - min_delta:
            best, best_epoch = losses[epoch], epoch
        elif epoch - best_epoch == patience:
            return epoch, best_epoch
    return None, best_epoch
    # END SOLUTION
