"""The standard battery of hidden checks for forward/backward pairs.

A topic file declares one :class:`PairSpec` per exercise (how to build characteristic inputs,
the PyTorch oracle, which arguments are differentiable) and gets, per exercise and case:

* ``test_forward``   the forward against the oracle in float64, arguments left unmodified;
* ``test_backward``  the backward, fed a non-unit upstream gradient, against autograd of the oracle;
* ``test_raw_grads`` the raw gradients' count, shapes, dtypes and devices (autograd would hide a
  gradient that was not reduced over the batch); supporting: counts once a backward case passes;
* ``test_gradcheck`` ``torch.autograd.gradcheck`` of the student's pair, inputs clear of kinks;
  supporting: it compares the backward with the student's own forward, so it counts once a
  forward case passes;
* ``test_stable``    float32 inputs of magnitude 1e3 to 1e4: finite, and equal to the float64
  oracle (only for specs that declare stability cases).

Every check but ``test_stable`` is marked ``ordinary`` (a check of everyday inputs: failing it
caps the exercise at half its points), except the cases declared ``Case(..., ordinary=False)``.

Sizes are chosen so a transposed or unreduced result cannot pass: N >= 3 and every dimension
different. Inputs are seeded per test and hidden: messages show only the worst element.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch

from descent.calls.impl import call_then

Build = Callable[[Any], tuple[tuple, dict]]  # inputs -> (args, kwargs)

F64 = dict(rtol=1e-7, atol=1e-9)
# float32 against a float64 oracle: relative 1e-5, absolute a few ulp of a 1e4 input.
F32_LARGE = dict(rtol=1e-5, atol=4 * torch.finfo(torch.float32).eps * 1e4)


@dataclass
class Case:
    name: str
    build: Build
    points: float = 1.0
    # Everyday inputs (docs/authoring.md, "ordinary checks"): failing the case caps the exercise
    # at half its points. False for a boundary, an extreme or a rare mode (ties, dim=0, ...).
    ordinary: bool = True


@dataclass
class PairSpec:
    """One forward/backward exercise. The forward returns ``(out, ..., cache)``: the output first,
    the cache last (batch norm returns running statistics in between)."""

    exercise: str  # "losses.mse": functions mse_forward / mse_backward
    oracle: Callable[..., torch.Tensor]
    cases: list[Case]
    smooth: Build  # gradcheck inputs (float64, away from kinks)
    wrt: tuple[int, ...] = (0,)
    stable: list[Case] = field(default_factory=list)

    @property
    def module(self) -> str:
        return self.exercise.split(".")[0]

    @property
    def name(self) -> str:
        return self.exercise.split(".")[1]

    def forward(self, m):
        return getattr(getattr(m, self.module), f"{self.name}_forward")

    def backward(self, m):
        return getattr(getattr(m, self.module), f"{self.name}_backward")

    def backward_of_forward(self, m, args, kwargs, dout):
        """``backward(dout, forward(*args, **kwargs)[-1])``, one request through a worker."""
        return call_then(self.forward(m), args, self.backward(m), [dout], kwargs=kwargs)


def _oracle_grads(spec: PairSpec, args: tuple, kwargs: dict, dout: torch.Tensor):
    leaves = list(args)
    for i in spec.wrt:
        leaves[i] = args[i].detach().clone().requires_grad_(True)
    out = spec.oracle(*leaves, **kwargs)
    # The gradient of sum(out * dout) is the vector-Jacobian product with dout, bit for bit (the
    # sum hands back ones, the product ones * dout). Handing dout to autograd.grad instead makes
    # PyTorch import sympy to compare the shapes, a quarter of a CPU-second of every grading.
    grads = torch.autograd.grad((out * dout).sum(), [leaves[i] for i in spec.wrt])
    return grads[0] if len(spec.wrt) == 1 else tuple(grads)


def _upstream(inputs, out: torch.Tensor) -> torch.Tensor:
    # Never 1: a backward that ignores its upstream gradient must fail.
    if out.dim() == 0:
        return out.new_tensor(1.7)
    return inputs.uniform(*out.shape, low=0.5, high=1.5).to(out.dtype) * torch.where(
        inputs.uniform(*out.shape) < 0.5, -1.0, 1.0
    ).to(out.device, out.dtype)


def _tensors(args) -> list[torch.Tensor]:
    return [a for a in args if isinstance(a, torch.Tensor)]


def _params(specs: list[PairSpec], attr: str) -> list:
    return [
        pytest.param(
            spec,
            case,
            id=f"{spec.name}-{case.name}",
            marks=[pytest.mark.exercise(spec.exercise), pytest.mark.points(case.points)]
            + ([pytest.mark.ordinary] if case.ordinary and attr == "cases" else []),
        )
        for spec in specs
        for case in getattr(spec, attr)
    ]


def battery(specs: list[PairSpec]) -> type:
    """A test class running the standard checks on every spec; assign it to a ``Test*`` name."""
    cases = _params(specs, "cases")
    stable = _params(specs, "stable")
    single = [
        pytest.param(spec, id=spec.name, marks=[pytest.mark.exercise(spec.exercise)])
        for spec in specs
    ]

    class Battery:
        @pytest.mark.parametrize("spec,case", cases)
        def test_forward(self, spec, case, check, inputs):
            args, kwargs = case.build(inputs)
            with check.unmodified(*_tensors(args), who=f"{spec.name}_forward"):
                check.matches(
                    lambda m: spec.forward(m)(*args, **kwargs)[0],
                    f"{spec.name}_forward output ({case.name})",
                    expected=spec.oracle(*args, **kwargs),
                    **F64,
                )

        @pytest.mark.parametrize("spec,case", cases)
        def test_backward(self, spec, case, check, inputs):
            args, kwargs = case.build(inputs)
            dout = _upstream(inputs, spec.oracle(*args, **kwargs))
            check.matches(
                lambda m: spec.backward_of_forward(m, args, kwargs, dout),
                f"{spec.name}_backward gradient ({case.name})",
                expected=_oracle_grads(spec, args, kwargs, dout),
                **F64,
            )

        @pytest.mark.ordinary
        @pytest.mark.supporting("test_backward")  # zeros of the right shape pass it
        @pytest.mark.parametrize("spec", single)
        def test_raw_grads(self, spec, check, inputs):
            args, kwargs = spec.cases[0].build(inputs)
            dout = _upstream(inputs, spec.oracle(*args, **kwargs))
            got = spec.backward_of_forward(check.impl, args, kwargs, dout)
            template = args[spec.wrt[0]] if len(spec.wrt) == 1 else tuple(args[i] for i in spec.wrt)
            check.like(got, template, f"{spec.name}_backward result")

        @pytest.mark.ordinary
        @pytest.mark.supporting("test_forward")  # self-consistency: right only if the forward is
        @pytest.mark.parametrize("spec", single)
        def test_gradcheck(self, spec, check, inputs):
            args, kwargs = spec.smooth(inputs)
            check.gradcheck(spec.exercise, args, spec.wrt, kwargs=kwargs)

        # Weight 3 (docs/authoring.md, "Stability"): a result that is NaN or inf on large
        # inputs is a real defect, not a rounding detail, so it costs about a quarter of the
        # exercise even though every other check passes.
        @pytest.mark.points(3)
        @pytest.mark.parametrize("spec,case", stable)
        def test_stable(self, spec, case, check, inputs):
            args, kwargs = case.build(inputs)
            wide = tuple(
                a.double() if isinstance(a, torch.Tensor) and a.is_floating_point() else a
                for a in args
            )
            expected = spec.oracle(*wide, **kwargs)
            dout = _upstream(inputs, expected)
            with check.unmodified(*_tensors(args), who=f"{spec.name}_forward"):
                check.matches(
                    lambda m: spec.forward(m)(*args, **kwargs)[0],
                    f"{spec.name}_forward output on large float32 inputs ({case.name})",
                    expected=expected.float(),
                    check="stability",
                    **F32_LARGE,
                )
            grads = _oracle_grads(spec, wide, kwargs, dout)
            check.matches(
                lambda m: spec.backward_of_forward(m, args, kwargs, dout.float()),
                f"{spec.name}_backward gradient on large float32 inputs ({case.name})",
                expected=grads.float()
                if isinstance(grads, torch.Tensor)
                else tuple(g.float() for g in grads),
                check="stability",
                **F32_LARGE,
            )

    if not stable:  # no stability cases: no empty, skipped test either
        del Battery.test_stable
    return Battery
