"""Catalogued variants of clipping.py: realistic bugs (each must lose points) and alternative
correct implementations (each must keep full marks).

The bugs are the usual slips of gradient clipping (a per-tensor instead of a global norm, the
clip coefficient, the norm returned before or after clipping), plus the inf norm, in-place edits,
eps and signs.
"""

import math

import numpy as np
import torch

from descent.catalogue import alternative, bug


def _total(grads, norm_type=2.0):
    if norm_type == math.inf:
        return torch.stack([g.abs().amax() for g in grads]).amax()
    return torch.stack([(g.abs() ** norm_type).sum() for g in grads]).sum() ** (1.0 / norm_type)


def _scale(max_norm, total, eps=1e-6):
    return torch.clamp(max_norm / (total + eps), max=1.0)


# ------------------------------------------------------------------------------ clip_grad_norm
clip_per_tensor = bug(
    "clip_per_tensor",
    "clipping.clip_grad_norm",
    "clips each tensor by its own norm instead of one global norm",
    hint="Compute one norm over all tensors together (as if concatenated) and scale every tensor "
    "by the same factor.",
    classic=True,
    wrong_on="ordinary",
)


@clip_per_tensor.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    totals = [_total([g], norm_type) for g in grads]
    clipped = [g * _scale(max_norm, t, eps) for g, t in zip(grads, totals)]
    return clipped, _total(grads, norm_type)


clip_always_rescales = bug(
    "clip_always_rescales",
    "clipping.clip_grad_norm",
    "always rescales to max_norm, amplifying gradients below the threshold",
    hint="The scale is min(1, max_norm / (total + eps)): gradients already below max_norm are "
    "left as they are.",
    generic="factor",
    wrong_on="ordinary",
)


@clip_always_rescales.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    total = _total(grads, norm_type)
    return [g * (max_norm / (total + eps)) for g in grads], total


clip_returns_post_norm = bug(
    "clip_returns_post_norm",
    "clipping.clip_grad_norm",
    "returns the norm after clipping instead of before",
    hint="Return the total norm measured before clipping (what you compared with max_norm).",
    generic="order",
    wrong_on="ordinary",
)


@clip_returns_post_norm.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    total = _total(grads, norm_type)
    clipped = [g * _scale(max_norm, total, eps) for g in grads]
    return clipped, _total(clipped, norm_type)


clip_sum_of_norms = bug(
    "clip_sum_of_norms",
    "clipping.clip_grad_norm",
    "adds up the per-tensor norms instead of taking the norm of all elements",
    hint="The global 2-norm is sqrt(sum of all squares), which is smaller than the sum of the "
    "per-tensor norms.",
    generic="factor",
    wrong_on="ordinary",
)


@clip_sum_of_norms.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    total = torch.stack([_total([g], norm_type) for g in grads]).sum()
    return [g * _scale(max_norm, total, eps) for g in grads], total


clip_ignores_norm_type = bug(
    "clip_ignores_norm_type",
    "clipping.clip_grad_norm",
    "always measures the 2-norm, whatever norm_type is (the inf norm included)",
    hint="Use norm_type: the p-norm is (sum |g|^p)^(1/p), and for p = inf the largest |g|.",
    generic="argument",
    wrong_on="edge",
)


@clip_ignores_norm_type.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    total = _total(grads, 2.0)
    return [g * _scale(max_norm, total, eps) for g in grads], total


clip_inf_by_formula = bug(
    "clip_inf_by_formula",
    "clipping.clip_grad_norm",
    "feeds norm_type = inf into the p-norm formula instead of taking the largest |g|",
    hint="(sum |g|^p)^(1/p) breaks down for p = inf (inf^0 or 0^0): handle inf separately as "
    "the largest absolute value.",
    generic="branch",
    wrong_on="edge",
)


@clip_inf_by_formula.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    total = torch.stack([(g.abs() ** norm_type).sum() for g in grads]).sum() ** (1.0 / norm_type)
    return [g * _scale(max_norm, total, eps) for g in grads], total


clip_norm_in_place = bug(
    "clip_norm_in_place",
    "clipping.clip_grad_norm",
    "scales the given gradient tensors in place (g.mul_(scale)) and returns them",
    hint="Return new tensors (g * scale); the inputs must stay unchanged.",
    generic="inplace",
    wrong_on="ordinary",
)


@clip_norm_in_place.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    total = _total(grads, norm_type).clone()
    scale = _scale(max_norm, total, eps)
    return [g.mul_(scale) for g in grads], total


clip_no_eps = bug(
    "clip_no_eps",
    "clipping.clip_grad_norm",
    "divides max_norm by the norm without eps",
    hint="The scale is max_norm / (total + eps); without eps the result differs for small norms "
    "and is undefined for zero gradients.",
    generic=("factor", "argument", "eps"),
    wrong_on="ordinary",
)


@clip_no_eps.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    total = _total(grads, norm_type)
    return [g * torch.clamp(max_norm / total, max=1.0) for g in grads], total


clip_squared_norm = bug(
    "clip_squared_norm",
    "clipping.clip_grad_norm",
    "compares the sum of squares (no square root) with max_norm",
    hint="The 2-norm is the square root of the sum of squares.",
    generic=("factor", "omitted"),
    wrong_on="ordinary",
)


@clip_squared_norm.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    if norm_type == math.inf:
        total = _total(grads, norm_type)
    else:
        total = torch.stack([(g.abs() ** norm_type).sum() for g in grads]).sum()
    return [g * _scale(max_norm, total, eps) for g in grads], total


clip_returns_float = bug(
    "clip_returns_float",
    "clipping.clip_grad_norm",
    "returns the total norm as a Python float (.item()) instead of a 0-dim tensor",
    hint="total_norm is a 0-dim tensor with the gradients' dtype and device; do not call .item().",
    generic="structure",
    wrong_on="ordinary",
)


@clip_returns_float.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    total = _total(grads, norm_type)
    return [g * _scale(max_norm, total, eps) for g in grads], total.item()


# ----------------------------------------------------------------------------- clip_grad_value
clip_value_one_sided = bug(
    "clip_value_one_sided",
    "clipping.clip_grad_value",
    "only caps the positive side (min(g, clip_value))",
    hint="Clip both sides: every element goes into [-clip_value, clip_value].",
    generic="branch",
    wrong_on="ordinary",
)


@clip_value_one_sided.replaces
def clip_grad_value(grads, clip_value):
    return [torch.clamp(g, max=clip_value) for g in grads]


clip_value_loses_sign = bug(
    "clip_value_loses_sign",
    "clipping.clip_grad_value",
    "replaces every large |g| by +clip_value, losing the sign of negative elements",
    hint="A large negative element becomes -clip_value: keep the sign (clamp to both bounds).",
    generic=("branch", "sign"),
    wrong_on="ordinary",
)


@clip_value_loses_sign.replaces
def clip_grad_value(grads, clip_value):
    return [torch.where(g.abs() > clip_value, torch.full_like(g, clip_value), g) for g in grads]


clip_value_in_place = bug(
    "clip_value_in_place",
    "clipping.clip_grad_value",
    "clamps the given tensors in place (clamp_) and returns them",
    hint="Return new tensors (torch.clamp(g, ...)); the inputs must stay unchanged.",
    generic="inplace",
    wrong_on="ordinary",
)


@clip_value_in_place.replaces
def clip_grad_value(grads, clip_value):
    return [g.clamp_(-clip_value, clip_value) for g in grads]


# ------------------------------------------------------------------------------- alternatives
clip_norm_of_norms = alternative(
    "clip_norm_of_norms",
    "clipping.clip_grad_norm",
    "takes the norm of the per-tensor norms with torch.linalg.vector_norm (PyTorch's way)",
)


@clip_norm_of_norms.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    norms = torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads])
    total = torch.linalg.vector_norm(norms, norm_type)
    coef = (max_norm / (total + eps)).clamp(max=1.0)
    return [g * coef for g in grads], total


clip_norm_concatenated = alternative(
    "clip_norm_concatenated",
    "clipping.clip_grad_norm",
    "flattens and concatenates every gradient into one vector, then uses minimum for the scale",
)


@clip_norm_concatenated.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    flat = torch.cat([g.reshape(-1) for g in grads]).abs()
    if math.isinf(norm_type):
        total = flat.max()
    else:
        total = flat.pow(norm_type).sum().pow(1.0 / norm_type)
    scale = torch.minimum(max_norm / (total + eps), torch.ones_like(total))
    return [g * scale for g in grads], total


clip_value_where = alternative(
    "clip_value_where",
    "clipping.clip_grad_value",
    "clips with maximum and minimum against constant tensors",
)


@clip_value_where.replaces
def clip_grad_value(grads, clip_value):
    out = []
    for g in grads:
        hi = torch.full_like(g, clip_value)
        out.append(torch.maximum(torch.minimum(g, hi), -hi))
    return out


# ============================================================ alternatives in other styles
# Object style: a clipper object, configured once, whose clip method returns the clipped
# gradients and keeps the total norm it measured.
class NormClipper:
    def __init__(self, max_norm, norm_type=2.0, eps=1e-6):
        self.max_norm, self.norm_type, self.eps = max_norm, norm_type, eps

    def norm(self, grads):
        if self.norm_type == math.inf:
            return torch.stack([g.abs().max() for g in grads]).max()
        p = self.norm_type
        return sum((g.abs() ** p).sum() for g in grads) ** (1.0 / p)

    def clip(self, grads):
        self.total = self.norm(grads)
        factor = self.max_norm / (self.total + self.eps)
        return [g * factor if factor < 1 else g.clone() for g in grads]


clip_norm_object = alternative(
    "clip_norm_object",
    "clipping.clip_grad_norm",
    "a NormClipper object whose clip method keeps the total norm",
)


@clip_norm_object.replaces
def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    clipper = NormClipper(max_norm, norm_type, eps)
    clipped = clipper.clip(grads)
    return clipped, clipper.total


# NumPy bridged to tensors: .numpy() in, torch.from_numpy out, dtype and device restored.
clip_value_numpy = alternative(
    "clip_value_numpy", "clipping.clip_grad_value", "clips with np.clip and converts back"
)


@clip_value_numpy.replaces
def clip_grad_value(grads, clip_value):
    return [
        torch.from_numpy(np.clip(g.detach().cpu().numpy(), -clip_value, clip_value)).to(
            dtype=g.dtype, device=g.device
        )
        for g in grads
    ]
