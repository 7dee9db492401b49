"""Hollow answers for every exercise: code of the right shape that computes nothing.

Each exercise whose results are tensors and numbers gets four, derived from the reference's result
so that structure, shapes, dtypes and devices are right and only the values are empty:

* ``zeros``    every tensor a zero tensor, every number 0;
* ``ones``     every tensor of ones, every number 1;
* ``random``   seeded uniform values of the right shape (the same on every call);
* ``input``    the input handed back: every tensor of the result is the first argument tensor
  of the same shape (``dy`` for a backward, the parameters for an optimizer step), every number
  the first number argument (``base_lr`` for a schedule).

The graders must give each exactly 0 points on its exercise (``descent audit``). Exercises whose
answers are not tensors and numbers have hand-written hollow variants in their own catalogue
file: the autograd ``Value`` class, the capstone's training loop, the loss-curve labels and the
gradient-descent regimes. A string in a derived answer becomes empty, so that no hollow answer
ever hands back the reference's own label.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from typing import Any

import torch

from descent.catalogue import hollow
from descent.exercises import EXERCISES

HANDWRITTEN = {
    "autograd.value",
    "train.train_classifier",
    "diagnostics.diagnose_loss_curve",
    "basics.gd_regime",
}
SEED = 20261122


def _leaves(value: Any) -> list:
    """Tensors and numbers in nested tuples, lists and dicts, in order."""
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, torch.Tensor) or (
        isinstance(value, (int, float)) and not isinstance(value, bool)
    ):
        return [value]
    return []


def _rebuild(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """``value`` with every tensor, number and bool replaced by ``leaf(it)``."""
    if isinstance(value, tuple):
        return (
            type(value)(*(_rebuild(v, leaf) for v in value))
            if hasattr(value, "_fields")
            else tuple(_rebuild(v, leaf) for v in value)
        )
    if isinstance(value, list):
        return [_rebuild(v, leaf) for v in value]
    if isinstance(value, dict):
        return {k: _rebuild(v, leaf) for k, v in value.items()}
    if isinstance(value, (torch.Tensor, int, float)):
        return leaf(value)
    return "" if isinstance(value, str) else value


def _constant(fill: float) -> Callable[[Any, list], Callable[[Any], Any]]:
    def make(result, args):
        def leaf(x):
            if isinstance(x, torch.Tensor):
                return torch.full_like(x, fill)
            return type(x)(fill)

        return leaf

    return make


def _uniform(result, args):
    gen = torch.Generator().manual_seed(SEED)
    rng = _random.Random(SEED)

    def leaf(x):
        if isinstance(x, torch.Tensor):
            if x.dtype == torch.bool:
                values = torch.rand(x.shape, generator=gen) < 0.5
            elif x.is_floating_point():
                values = torch.rand(x.shape, generator=gen, dtype=torch.float64)
            else:
                values = torch.randint(0, 10, x.shape, generator=gen)
            return values.to(dtype=x.dtype, device=x.device)
        if isinstance(x, bool):
            return rng.random() < 0.5
        return rng.randint(0, 9) if isinstance(x, int) else rng.random()

    return leaf


def _handed_back(result, args):
    given = _leaves(args)

    def leaf(x):
        if isinstance(x, torch.Tensor):
            same = [a for a in given if isinstance(a, torch.Tensor) and a.shape == x.shape]
            tensors = same or [a for a in given if isinstance(a, torch.Tensor)]
            return tensors[0] if tensors else torch.zeros_like(x)
        if isinstance(x, bool):
            return False
        numbers = [a for a in given if not isinstance(a, torch.Tensor)]
        return type(x)(numbers[0]) if numbers else type(x)(0)

    return leaf


TRANSFORMS = {
    "zeros": ("returns zeros of the right shape", _constant(0.0)),
    "ones": ("returns ones of the right shape", _constant(1.0)),
    "random": ("returns random values of the right shape", _uniform),
    "input": ("hands its input back unchanged", _handed_back),
}


def _deriver(make_leaf) -> Callable:
    def derive(base: Callable[[], Callable], name: str) -> Callable:
        def hollow_fn(*args, **kwargs):
            # The reference runs only to learn the result's structure; its values are discarded.
            try:
                result = base()(*args, **kwargs)
            except Exception:  # code that computes nothing validates nothing either
                return None
            return _rebuild(result, make_leaf(result, (args, kwargs)))

        hollow_fn.__name__ = hollow_fn.__qualname__ = name
        return hollow_fn

    return derive


for _exercise in EXERCISES.values():
    if _exercise.id in HANDWRITTEN:
        continue
    for _kind, (_title, _make) in TRANSFORMS.items():
        hollow(f"{_exercise.id}.{_kind}", _exercise.id, _title, derive=_deriver(_make))
