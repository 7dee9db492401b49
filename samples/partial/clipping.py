"""Gradient clipping over a list of gradient tensors.

Conventions for every function in this file:

* ``grads`` is a non-empty list (or tuple) of gradient tensors, one per parameter, of any shapes,
  all with the same dtype and on the same device.
* Pure functions: return new tensors, in the same order and with the same shapes as ``grads``.
  Never modify the given tensors (no ``mul_``, ``clamp_``, ``*=``): PyTorch's in-place
  ``clip_grad_norm_`` and ``clip_grad_value_`` edit ``.grad``; these versions do not.
* Allowed: elementary tensor operations (``abs``, ``sqrt``, ``amax``, ``sum``, ``clamp``,
  ``minimum``...). Not allowed here: ``torch.nn.utils`` (which holds the answers) and the rest of
  ``torch.nn``.
"""

import math

import torch


def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    """Rescale all gradients together so that their global norm is at most ``max_norm``.

    Like PyTorch's ``torch.nn.utils.clip_grad_norm_``:

    1. One *global* norm over every element of every tensor, as if they were concatenated into a
       single vector (not one norm per tensor, and not the sum of the per-tensor norms):
       ``total = (sum over all elements of |g| ** norm_type) ** (1 / norm_type)``, and for
       ``norm_type = inf`` (``float('inf')`` or ``math.inf``) the largest ``|g|`` of all.
    2. One scale for all tensors: ``scale = min(1, max_norm / (total + eps))``.
    3. Every tensor is multiplied by that same scale.

    The scale never exceeds 1, so gradients already below the threshold are returned unchanged
    (never amplified). Thanks to ``eps`` an all-zero gradient gives zeros, not NaN.

    Args:
        grads: non-empty list of tensors.
        max_norm: float > 0, the largest global norm allowed.
        norm_type: the p of the p-norm (default 2.0); ``inf`` for the max-norm.
        eps: added to the norm before dividing (default 1e-6, as in PyTorch).
    Returns:
        ``(clipped, total_norm)``: ``clipped`` a list of new tensors with the shapes of
        ``grads``; ``total_norm`` the global norm *before* clipping, a 0-dim tensor with the
        gradients' dtype and device.
    """
    raise NotImplementedError("clipping.clip_grad_norm: clip_grad_norm is not implemented yet (starter/clipping.py)")


def clip_grad_value(grads, clip_value):
    """Clip every gradient element to the interval [-clip_value, clip_value].

    Like PyTorch's ``torch.nn.utils.clip_grad_value_``, but returning new tensors. Elements
    inside the interval are kept as they are, larger ones become ``clip_value`` and smaller ones
    ``-clip_value``, keeping their sign. Each element is clipped on its own: directions are not
    preserved (that is what :func:`clip_grad_norm` is for).

    Args:
        grads: non-empty list of tensors.
        clip_value: float > 0.
    Returns:
        A list of new tensors with the shapes, dtype and device of ``grads``.
    """
    raise NotImplementedError("clipping.clip_grad_value: clip_grad_value is not implemented yet (starter/clipping.py)")
