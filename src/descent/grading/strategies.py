"""Hypothesis strategies shared by the tests.

Tensors are drawn from a seed rather than element by element: hypothesis explores shapes, scales and
seeds, and shrinks toward small shapes and seed 0, while each example stays cheap to build. The
profiles (``ci``, ``dev``, ``thorough``) are in :mod:`descent.grading.hypothesis_profiles`.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from .inputs import Inputs


def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 6):
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(
        tuple
    )


@st.composite
def tensors(draw, shape=None, scale=None, device: str = "cpu", dtype: torch.dtype = torch.float64):
    """A float tensor of a drawn shape, standard normal times a drawn scale."""
    shape = draw(shape if shape is not None else shapes())
    scale = draw(scale if scale is not None else st.sampled_from([0.1, 1.0, 10.0]))
    seed = draw(st.integers(0, 2**31 - 1))
    return Inputs(seed, device, dtype).randn(*shape, scale=scale)


@st.composite
def classification(draw, max_batch: int = 6, max_classes: int = 7, scale=None, device: str = "cpu"):
    """``(logits (N, C), targets (N,))`` with N and C drawn, C >= 2."""
    n = draw(st.integers(1, max_batch))
    c = draw(st.integers(2, max_classes))
    scale = draw(scale if scale is not None else st.sampled_from([0.1, 1.0, 10.0]))
    inputs = Inputs(draw(st.integers(0, 2**31 - 1)), device)
    return inputs.randn(n, c, scale=scale), inputs.randint(c, n)
