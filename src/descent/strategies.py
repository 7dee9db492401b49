"""Hypothesis strategies and profiles shared by the tests.

Tensors are drawn from a seed rather than element by element: hypothesis explores shapes, scales and
seeds, and shrinks toward small shapes and seed 0, while each example stays cheap to build.

Profiles (pick one with ``--hypothesis-profile``): ``ci`` (the default, a few examples per
property), ``dev`` and ``thorough`` (many examples, for checking graders before a release). All are
derandomized, so every student is graded on the same examples, and have no deadline, because a
first call into torch can take far longer than hypothesis's default 200 ms. Two health checks are
off on purpose: fixtures such as ``check`` are per test but hold no state between examples, and
one test method runs under many parametrized instances (devices, implementations), which
hypothesis flags as "differing executors" only because it could confuse its example database,
which these profiles do not use.
"""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from .inputs import Inputs

_COMMON = dict(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.differing_executors,
    ],
)
# Grading never shows a falsifying example (the inputs are hidden), so the grading profiles skip
# hypothesis's shrink phase: a failing student (or a stub) is reported from its first failing
# example instead of being re-run dozens of times. ``dev`` keeps shrinking for grader authors.
_GRADING_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
settings.register_profile("ci", max_examples=8, phases=_GRADING_PHASES, **_COMMON)
settings.register_profile("dev", max_examples=30, **_COMMON)
settings.register_profile("thorough", max_examples=300, phases=_GRADING_PHASES, **_COMMON)
settings.load_profile("ci")


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
