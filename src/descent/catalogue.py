"""Catalogued variants of the reference solution: known bugs and alternative correct versions.

A variant is the reference solution with a few functions replaced. Buggy variants are realistic
student mistakes; the graders must fail each on at least one check, and when a student's output
equals a buggy variant's output the failure message names that mistake. Alternative variants are
different correct implementations; the graders must give them full marks.

Declaring one (in ``graders/catalogue/<topic>.py``)::

    mse_sum = bug("mse_sum", "losses.mse", "sums the squared errors instead of averaging",
                  hint="The loss is the mean over every element: divide by pred.numel().")

    @mse_sum.replaces
    def mse_forward(pred, target): ...

The replaced function is the one named like the decorated function, in the exercise's module.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import exercises
from .impl import Implementation, PatchedImplementation

BUG = "bug"
ALTERNATIVE = "alternative"

_REGISTRY: dict[str, "Variant"] = {}


@dataclass
class Variant:
    id: str
    exercise: str
    title: str
    kind: str
    hint: str = ""
    functions: dict[str, Callable] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return exercises.get(self.exercise).module

    def replaces(self, fn: Callable) -> Callable:
        name = fn.__name__
        owner = exercises.exercise_of(self.module, name)
        if owner is None:
            raise ValueError(f"variant {self.id}: {self.module}.{name} is not an exercise function")
        self.functions[name] = fn
        return fn

    def apply(self, base: Implementation) -> PatchedImplementation:
        overrides = {(self.module, name): fn for name, fn in self.functions.items()}
        return PatchedImplementation(base, f"{self.kind}:{self.id}", overrides)


def _declare(kind: str, id: str, exercise: str, title: str, hint: str) -> Variant:
    exercises.get(exercise)  # fail early on a typo
    if id in _REGISTRY:
        raise ValueError(f"variant id {id!r} is declared twice")
    variant = Variant(id, exercise, title, kind, hint)
    _REGISTRY[id] = variant
    return variant


def bug(id: str, exercise: str, title: str, *, hint: str) -> Variant:
    """Declare a realistic buggy variant; ``hint`` is what a student should do about it."""
    return _declare(BUG, id, exercise, title, hint)


def alternative(id: str, exercise: str, title: str) -> Variant:
    """Declare a different but correct implementation (must keep full marks)."""
    return _declare(ALTERNATIVE, id, exercise, title, "")


def load(folder: str | Path) -> dict[str, Variant]:
    """Import every ``*.py`` in a catalogue folder (trusted instructor code) and return the registry."""
    folder = Path(folder)
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"_descent_catalogue_{path.stem}"
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return dict(_REGISTRY)


def variants(kind: str | None = None, exercise: str | None = None) -> list[Variant]:
    return [v for v in _REGISTRY.values()
            if (kind is None or v.kind == kind) and (exercise is None or v.exercise == exercise)]


def get(id: str) -> Variant:
    try:
        return _REGISTRY[id]
    except KeyError:
        raise KeyError(f"no catalogued variant {id!r}") from None
