"""Student-style bugs of clipping.py: clipping loops over the gradients in torch and NumPy, each
with one genuine mistake (see ``descent.catalogue.student``).
"""

import numpy as np
import torch

from descent.catalogue import student


def _global_norm(grads, norm_type):
    if norm_type == float("inf"):
        return torch.stack([g.abs().max() for g in grads]).max()
    return sum((g.abs() ** norm_type).sum() for g in grads) ** (1.0 / norm_type)


clip_norm_scale_never_capped = student(
    "clip_norm_scale_never_capped",
    "clipping.clip_grad_norm",
    "multiplies by max_norm / (total + eps) without capping the scale at 1, so gradients below "
    "the threshold are scaled up to it",
    generic=("omitted", "factor"),
    wrong_on="ordinary",
)


@clip_norm_scale_never_capped.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    total = _global_norm(grads, norm_type)
    coef = max_norm / (total + eps)
    return [g * coef for g in grads], total


clip_norm_numpy_per_tensor = student(
    "clip_norm_numpy_per_tensor",
    "clipping.clip_grad_norm",
    "a NumPy loop that clips each gradient by its own norm instead of by one global norm",
    generic=("reduction", "factor"),
    wrong_on="ordinary",
)


@clip_norm_numpy_per_tensor.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    total = _global_norm(grads, norm_type)
    out = []
    for g in grads:
        a = g.detach().cpu().numpy()
        if norm_type == float("inf"):
            norm = np.abs(a).max()
        else:
            norm = (np.abs(a) ** norm_type).sum() ** (1.0 / norm_type)
        scale = min(1.0, max_norm / (norm + eps))
        out.append(torch.from_numpy(a * scale).to(dtype=g.dtype, device=g.device))
    return out, total


clip_value_where_loses_sign = student(
    "clip_value_where_loses_sign",
    "clipping.clip_grad_value",
    "replaces every element with |g| > clip_value by +clip_value, so large negative elements "
    "flip sign",
    generic=("sign", "branch"),
    wrong_on="ordinary",
)


@clip_value_where_loses_sign.replaces
def clip_grad_value(grads, clip_value):
    clipped = []
    for g in grads:
        clipped.append(torch.where(g.abs() > clip_value, torch.full_like(g, clip_value), g))
    return clipped
