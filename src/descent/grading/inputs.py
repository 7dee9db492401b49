"""Seeded input builders for tests.

Every test gets an :class:`Inputs` seeded from its own node id (and, in a grading of a
submission, that grading's secret: :mod:`.input_seed`), so two tests never share a stream and
the kit's own runs are reproducible. Values are drawn on the CPU in float64 and then moved, so
the CPU and CUDA variants of a test see identical numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch

from .input_seed import seed_for

__all__ = ["Inputs", "seed_for"]


class Inputs:
    """Builders of a test's inputs from its seed. ``draws`` counts what was drawn (values, the
    seed or the generator handed out): a test that drew nothing ran on the inputs written into
    it, which come back on every grading (the results record it: ``drawn``)."""

    def __init__(
        self,
        seed: int,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float64,
        keyed: Callable[[str], int] | None = None,
    ):
        self._seed = seed
        self.device = torch.device(device)
        self.dtype = dtype
        self._generator = torch.Generator().manual_seed(seed)
        self._keyed = keyed  # the seed of another key in the same grading (for_key)
        self.draws = 0

    def for_key(self, key: str) -> Inputs:
        """Inputs drawn for ``key`` rather than for this test: the same in every test of this
        grading that asks for that key (data several tests read from one run made once, such
        as the capstone's training), and, like a test's own, keyed to the code graded."""
        if self._keyed is None:
            raise RuntimeError("these inputs were not made by the grading plugin: no other key")
        self.draws += 1
        return Inputs(self._keyed(key), self.device, self.dtype, self._keyed)

    @property
    def seed(self) -> int:
        self.draws += 1
        return self._seed

    @property
    def generator(self) -> torch.Generator:
        self.draws += 1
        return self._generator

    def _place(self, t: torch.Tensor, dtype: torch.dtype | None) -> torch.Tensor:
        return t.to(device=self.device, dtype=dtype or self.dtype)

    def randn(self, *shape: int, scale: float = 1.0, dtype: torch.dtype | None = None):
        t = torch.randn(*shape, generator=self.generator, dtype=torch.float64) * scale
        return self._place(t, dtype)

    def uniform(
        self, *shape: int, low: float = 0.0, high: float = 1.0, dtype: torch.dtype | None = None
    ):
        t = torch.rand(*shape, generator=self.generator, dtype=torch.float64) * (high - low) + low
        return self._place(t, dtype)

    def signed(self, n: int, low: float, high: float, dtype: torch.dtype | None = None):
        """n values whose sizes are drawn uniformly from [low, high) and signs at random: kept
        clear of 0, where a draw near it would decide a check on some draws only."""
        signs = torch.where(
            torch.rand(n, generator=self.generator, dtype=torch.float64) < 0.5, -1.0, 1.0
        )
        return signs.to(self.device, dtype or self.dtype) * self.uniform(
            n, low=low, high=high, dtype=dtype
        )

    def randint(self, high: int, *shape: int) -> torch.Tensor:
        return torch.randint(high, shape, generator=self.generator).to(self.device)

    # Plain Python numbers, for the arguments of scalar functions (a schedule's step, a rate).
    def number(self, low: float, high: float) -> float:
        """A float drawn uniformly from [low, high)."""
        return low + (high - low) * float(
            torch.rand((), generator=self.generator, dtype=torch.float64)
        )

    def log_number(self, low: float, high: float) -> float:
        """A float drawn uniformly on a log scale from [low, high) (0 < low < high)."""
        return math.exp(self.number(math.log(low), math.log(high)))

    def integer(self, low: int, high: int) -> int:
        """An int drawn uniformly from low .. high, both included."""
        return low + int(torch.randint(high - low + 1, (), generator=self.generator))

    def choice(self, options):
        """One of ``options``, drawn uniformly."""
        options = list(options)
        return options[self.integer(0, len(options) - 1)]

    def permutation(self, items):
        """``items`` in a drawn order (a list)."""
        items = list(items)
        return [items[i] for i in torch.randperm(len(items), generator=self.generator).tolist()]

    def probabilities(
        self, *shape: int, dim: int = -1, zeros: float = 0.0, dtype: torch.dtype | None = None
    ) -> torch.Tensor:
        """Rows that sum to 1 along ``dim``; a fraction ``zeros`` of entries is exactly 0."""
        w = torch.rand(*shape, generator=self.generator, dtype=torch.float64) + 0.05
        if zeros:
            drop = torch.rand(*shape, generator=self.generator) < zeros
            keep_one = torch.nn.functional.one_hot(w.argmax(dim=dim), w.shape[dim]).bool()
            if dim not in (-1, w.dim() - 1):
                keep_one = keep_one.movedim(-1, dim)
            w = torch.where(drop & ~keep_one, torch.zeros_like(w), w)
        return self._place(w / w.sum(dim=dim, keepdim=True), dtype)

    def tensor(self, data, dtype: torch.dtype | None = None) -> torch.Tensor:
        return self._place(torch.as_tensor(data, dtype=torch.float64), dtype)

    def away_from(
        self, x: torch.Tensor, points: Iterable[float] = (0.0,), margin: float = 0.05
    ) -> torch.Tensor:
        """Move entries within ``margin`` of a kink to ``margin`` away from it.

        Finite differences across a kink (ReLU at 0, |x| at 0, Huber at +-delta) are meaningless,
        so gradient checks use inputs kept clear of them.
        """
        out = x.clone()
        for p in points:
            close = (out - p).abs() < margin
            direction = torch.where(out >= p, 1.0, -1.0).to(out.dtype)
            out = torch.where(close, p + margin * direction, out)
        return out
