"""Hidden graders for starter/clipping.py.

``clip_grad_norm`` against ``torch.nn.utils.clip_grad_norm_`` run on clones, always with several
tensors of different shapes (a per-tensor norm or a sum of norms cannot pass), above and below the
threshold, for the 2-, 1-, 3- and inf-norms, with small norms (where eps matters) and all-zero
gradients; the returned norm is the one before clipping. ``clip_grad_value`` against
``clip_grad_value_``. Inputs must be left unchanged. Hypothesis properties: the clipped global norm
is at most max_norm, and gradients below the threshold come back unchanged.
"""

from __future__ import annotations

import math

import pytest
import torch
from expect import arguments_unchanged
from hypothesis import example, given
from hypothesis import strategies as st

from descent.grading.inputs import Inputs

F64 = dict(rtol=1e-7, atol=1e-9)
F32 = dict(rtol=1e-5, atol=1e-7)
SHAPES = [(4, 3), (5,), (2, 3, 2)]


def _grads(inputs, scale=1.0, dtype=None):
    return [inputs.randn(*s, scale=scale, dtype=dtype) for s in SHAPES]


def torch_clip_norm(grads, max_norm, norm_type=2.0):
    params = [torch.nn.Parameter(g.detach().clone()) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.detach().clone()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return [p.grad for p in params], total


def torch_clip_value(grads, clip_value):
    params = [torch.nn.Parameter(g.detach().clone()) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.detach().clone()
    torch.nn.utils.clip_grad_value_(params, clip_value)
    return [p.grad for p in params]


@st.composite
def gradient_lists(draw):
    """1 to 4 tensors of different shapes, from one seed (cheap to shrink)."""
    count = draw(st.integers(1, 4))
    scale = draw(st.sampled_from([0.01, 1.0, 30.0]))
    inputs = Inputs(draw(st.integers(0, 2**31 - 1)))
    return [inputs.randn(*shape, scale=scale) for shape in [(3, 4), (5,), (2, 1, 3), (1,)][:count]]


def _several_tensors():
    """Three tensors of similar norms, signs mixed: their global norm is well below the sum of
    their norms, in the 2-norm and the inf-norm alike."""
    return [
        torch.linspace(-1.0, 1.2, 12, dtype=torch.float64).reshape(3, 4),
        torch.linspace(0.9, -1.1, 5, dtype=torch.float64),
        torch.linspace(-0.8, 1.0, 6, dtype=torch.float64).reshape(2, 1, 3),
    ]


MODIFIED = "arguments edited in place"


def call(m, name, grads, *args, **kwargs):
    """Run ``m.clipping.<name>`` on clones of ``grads``.

    Returns the string MODIFIED when the call edited the clones in place: the comparison then
    fails and names the in-place variant of the catalogue, whose numbers are otherwise right (so
    it must not be taken for a near miss). The clones keep the test's own tensors intact while
    the checker runs catalogued variants.
    """
    fresh = [g.clone() for g in grads]
    out = getattr(m.clipping, name)(fresh, *args, **kwargs)
    if not all(torch.equal(torch.nan_to_num(f), torch.nan_to_num(g)) for f, g in zip(fresh, grads)):
        return MODIFIED
    return out


def part(out, i):
    return out if isinstance(out, str) else out[i]


def _global_norm(grads, p=2.0):
    if p == math.inf:
        return max(float(g.abs().max()) for g in grads)
    return sum(float((g.abs() ** p).sum()) for g in grads) ** (1 / p)


# (case name, gradient scale, max_norm as a fraction of the global norm, norm_type). The 2-norm
# cases are everyday ones (ordinary); other norm types are a rare mode.
EVERYDAY = pytest.mark.ordinary
NORM_CASES = [
    pytest.param("l2-above", 1.0, 0.3, 2.0, id="l2-above", marks=[pytest.mark.points(2), EVERYDAY]),
    pytest.param("l2-below", 1.0, 1.7, 2.0, id="l2-below", marks=EVERYDAY),
    pytest.param("inf-above", 1.0, 0.4, math.inf, id="inf-above", marks=pytest.mark.points(2)),
    pytest.param("inf-below", 1.0, 1.5, math.inf, id="inf-below"),
    pytest.param("l1-above", 1.0, 0.5, 1.0, id="l1-above"),
    pytest.param("l3-above", 1.0, 0.5, 3.0, id="l3-above"),
    pytest.param("small-norm", 0.01, 0.2, 2.0, id="small-norm", marks=EVERYDAY),
]


@pytest.mark.exercise("clipping.clip_grad_norm")
class TestClipGradNorm:
    @pytest.mark.parametrize("name,scale,fraction,norm_type", NORM_CASES)
    def test_against_torch(self, name, scale, fraction, norm_type, check, inputs):
        grads = _grads(inputs, scale)
        max_norm = fraction * _global_norm(grads, norm_type)
        clipped, total = torch_clip_norm(grads, max_norm, norm_type)
        what = f"({name}: 3 tensors of shapes {SHAPES}, norm_type={norm_type})"
        check.matches(
            lambda m: part(call(m, "clip_grad_norm", grads, max_norm, norm_type), 1),
            f"returned total_norm {what}",
            expected=total,
            **F64,
            hint="return the global norm of all gradients together, measured "
            "before clipping, as a 0-dim tensor",
        )
        check.matches(
            lambda m: part(call(m, "clip_grad_norm", grads, max_norm, norm_type), 0),
            f"clipped gradients {what}",
            expected=clipped,
            **F64,
            hint="one scale min(1, max_norm / (total + eps)) for every tensor",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # code that computes nothing edits nothing
    def test_arguments_unchanged(self, check, inputs):
        grads = _grads(inputs)
        max_norm = 0.2 * _global_norm(grads)
        arguments_unchanged(
            check, lambda m: m.clipping.clip_grad_norm(grads, max_norm), "clip_grad_norm"
        )

    @pytest.mark.supporting()  # zeros, or the input handed back, pass it
    def test_zero_gradients(self, check, inputs):
        grads = [torch.zeros_like(g) for g in _grads(inputs)]
        check.matches(
            lambda m: call(m, "clip_grad_norm", grads, 1.0),
            "clip_grad_norm of all-zero gradients",
            expected=(grads, grads[0].new_tensor(0.0)),
            check="zero gradients",
            **F64,
            hint="zero gradients have norm 0 and stay zero: keep eps in the division (0/0 is NaN)",
        )

    def test_custom_eps(self, check, inputs):
        grads = _grads(inputs, 0.02)
        max_norm = 0.5 * _global_norm(grads)
        check.matches(
            lambda m: call(m, "clip_grad_norm", grads, max_norm, eps=1e-3),
            "clip_grad_norm with eps=1e-3",
            **F64,
            hint="the scale is min(1, max_norm / (total + eps)) with the given eps",
        )

    @pytest.mark.ordinary
    def test_float32(self, check, inputs):
        grads = _grads(inputs, 3.0, dtype=torch.float32)
        max_norm = 0.25 * _global_norm(grads)
        check.matches(
            lambda m: call(m, "clip_grad_norm", grads, max_norm),
            "clip_grad_norm on float32 gradients",
            expected=torch_clip_norm(grads, max_norm),
            **F32,
            hint="keep the gradients' dtype for the clipped tensors and the norm",
        )

    # Every norm on every draw (a mistake in one norm shows only there), each with its examples.
    @pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf], ids=["2", "1", "inf"])
    @pytest.mark.points(1 / 3)
    @given(grads=gradient_lists(), max_norm=st.sampled_from([1e-3, 0.1, 1.0, 5.0]))
    @pytest.mark.supporting()  # zeros pass the bound; the bound being reached is checked too
    def test_clipped_norm_at_most_max_norm(self, norm_type, grads, max_norm, check):
        clipped, _ = check.impl.clipping.clip_grad_norm(grads, max_norm, norm_type)
        after = _global_norm(clipped, norm_type)
        check.that(
            after <= max_norm * (1 + 1e-9),
            f"after clipping {len(grads)} tensors the global {norm_type}-norm is "
            f"{after:.6g}, above max_norm={max_norm}",
            hint="measure one norm over all tensors and scale every tensor by the same "
            "factor min(1, max_norm / (total + eps))",
        )
        before = _global_norm(grads, norm_type)
        reached = max_norm * before / (before + 1e-6) if before > max_norm else before
        check.that(
            after >= reached * (1 - 1e-7),
            f"after clipping {len(grads)} tensors the global {norm_type}-norm is "
            f"{after:.6g}, below {reached:.6g}: clipping scales the gradients down to "
            "max_norm, not further",
            check="property",
            hint="the scale is min(1, max_norm / (total + eps)); nothing else shrinks them",
        )

    @pytest.mark.parametrize("norm_type", [2.0, math.inf], ids=["2", "inf"])
    @pytest.mark.points(0.5)
    @given(grads=gradient_lists(), factor=st.sampled_from([1.01, 2.0, 50.0]))
    # beside the drawn examples, on every grading: several tensors just below max_norm, where a
    # sum of per-tensor norms (above the global norm) clips what it must leave alone; 8 drawn
    # examples hold no such list one grading in ten
    @example(grads=_several_tensors(), factor=1.01)
    @pytest.mark.supporting()  # the input handed back passes it
    def test_unchanged_below_threshold(self, norm_type, grads, factor, check):
        max_norm = _global_norm(grads, norm_type) * factor + 1e-5
        clipped, _ = check.impl.clipping.clip_grad_norm(grads, max_norm, norm_type)
        same = len(clipped) == len(grads) and all(
            c.shape == g.shape and torch.allclose(c, g, rtol=1e-12, atol=0)
            for c, g in zip(clipped, grads)
        )
        check.that(
            same,
            f"gradients whose global norm is below max_norm (factor {factor}) came back changed",
            check="property",
            hint="the scale is min(1, ...): never amplify or shrink gradients that are "
            "already small enough",
        )


CLIP_VALUE_CASES = [
    pytest.param(0.5, id="0.5", marks=pytest.mark.points(2)),
    pytest.param(1.3, id="1.3"),
]


@pytest.mark.exercise("clipping.clip_grad_value")
@pytest.mark.ordinary  # every check here uses everyday gradients
class TestClipGradValue:
    @pytest.mark.parametrize("clip_value", CLIP_VALUE_CASES)
    def test_against_torch(self, clip_value, check, inputs):
        # gradients on the scale of the bound: several entries beyond it on either side in every
        # tensor (so a mistake there shows in more than one entry), and the bound itself
        grads = _grads(inputs, scale=2 * clip_value)
        grads[1] = torch.cat([grads[1][:3], grads[1].new_tensor([clip_value, -clip_value])])
        check.matches(
            lambda m: call(m, "clip_grad_value", grads, clip_value),
            f"clip_grad_value with clip_value={clip_value} (3 tensors)",
            expected=torch_clip_value(grads, clip_value),
            **F64,
            hint="clamp every element to [-clip_value, clip_value], keeping signs",
        )

    @pytest.mark.supporting()  # code that computes nothing edits nothing
    def test_arguments_unchanged(self, check, inputs):
        grads = _grads(inputs)
        arguments_unchanged(
            check, lambda m: m.clipping.clip_grad_value(grads, 0.4), "clip_grad_value"
        )

    def test_float32(self, check, inputs):
        grads = _grads(inputs, dtype=torch.float32)
        check.matches(
            lambda m: call(m, "clip_grad_value", grads, 0.7),
            "clip_grad_value on float32 gradients",
            expected=torch_clip_value(grads, 0.7),
            **F32,
            hint="keep the gradients' dtype and device",
        )
