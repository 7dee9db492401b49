"""Generic diagnoses of what a training run reports about itself: the loss history it returns
and the numbers it says it measured. The grader measures the run's result itself (the loss of
the returned parameters on each data set) and hands these readers the numbers.

- :func:`measured_on`: a number the call reports (a validation loss) that is the same measure
  taken on another argument of the call (the training set) and on no other.
- :func:`short_batch`: per-update losses right up to the update on the first batch shorter
  than the others and wrong from the next: that batch handled like a full one.
- :func:`climbing`: a loss history that rises from its first entry to its last at every
  epoch, far above where it started: the parameters move up the gradient.
- :func:`zero_weights`: returned parameters whose every weight matrix is exactly zero: weights
  started at zero, whose units all get the same (zero) gradient and never move.
- :func:`per_batch`: a training history with a whole number of entries (more than one) for
  each entry of the validation history: one loss per mini-batch where one mean per epoch belongs.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .base import Diagnosis, leaves


def measured_on(
    reported: float, asked: str, others: dict[str, float], what: str = "value"
) -> Diagnosis | None:
    """A number the call reports (a validation loss) that is the same measure taken on another
    argument of the call (``others``: the measure on each, by the arguments' names), on one only,
    to four significant digits: the measure was taken on the wrong data (``asked`` names the
    arguments it belongs to)."""
    fits = [
        name
        for name, value in others.items()
        if math.isfinite(value) and abs(reported - value) <= 1e-4 * max(abs(value), 1e-12)
    ]
    if len(fits) != 1:
        return None
    return Diagnosis(
        "argument",
        f"your reported {what} is the same measure taken on {fits[0]}: it is computed on "
        f"another argument than {asked} (the wrong data set passed, or a variable of the "
        "training loop reused)",
    )


def climbing(losses: Any, what: str = "training loss") -> Diagnosis | None:
    """A history of at least 5 finite losses that never falls from one entry to the next and
    ends at least 10 times above its start: every update climbs the loss (a learning rate too
    large oscillates or overflows to inf/NaN rather than rising smoothly and steadily)."""
    if not isinstance(losses, (list, tuple)) or len(losses) < 5:
        return None
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in losses):
        return None
    steady = all(b >= a for a, b in zip(losses, losses[1:]))
    if not steady or not losses[0] > 0 or losses[-1] < 10 * losses[0]:
        return None
    return Diagnosis(
        "sign",
        f"your reported {what} rises at every epoch, from the first on, to many times where it "
        "started: each update climbs the loss instead of descending it (the step added to the "
        "parameters where it is subtracted, p + lr * g for p - lr * g)",
    )


def short_batch(expected: Any, got: Any, sizes: list[int]) -> Diagnosis | None:
    """Per-update losses (``sizes``: the size of each update's batch) that agree with the
    expected up to and including the update on the first batch shorter than the others, and
    differ from the very next one: that shorter batch was handled like a full one."""
    if not (
        isinstance(expected, (list, tuple))
        and isinstance(got, (list, tuple))
        and len(expected) == len(got) == len(sizes)
    ):
        return None
    full = max(sizes, default=0)
    short = next((t for t, n in enumerate(sizes) if n < full), None)
    wrong = next(
        (t for t, (e, g) in enumerate(zip(expected, got)) if not math.isclose(e, g, rel_tol=1e-9)),
        None,
    )
    if short is None or wrong is None or wrong != short + 1:
        return None
    return Diagnosis(
        "edge",
        "your losses are right up to the update made on the first batch shorter than the others, "
        "and wrong from the next step on: that shorter batch (the last of an epoch) is handled "
        "like a full one (averaged over the full batch size rather than its own size)",
    )


def zero_weights(params: Any) -> Diagnosis | None:
    """Parameters (tensors, in lists or tuples) whose weight matrices (the 2-D tensors, one at
    least) are all exactly zero after training: every unit of a layer started alike at zero, gets
    the same gradient, and a zero weight passes no gradient back, so they never move."""
    matrices = [t for t in leaves(params) if isinstance(t, torch.Tensor) and t.dim() == 2]
    if not matrices or any(bool(m.any()) for m in matrices):
        return None
    # witnessed: the check saw the zeros itself, and no training moves weights off a zero start
    return Diagnosis(
        "zero",
        "every weight matrix you return is all zeros: weights that start at zero give every unit "
        "of a layer the same (zero) gradient, so they never move; start them from small random "
        "values drawn from the generator (biases may start at zero)",
        witnessed=True,
    )


def per_batch(train: Any, val: Any) -> Diagnosis | None:
    """A training history with k > 1 entries for each entry of the validation history (one per
    epoch): a loss recorded for every mini-batch where the epoch's mean belongs."""
    if not isinstance(train, (list, tuple)) or not isinstance(val, (list, tuple)) or not val:
        return None
    per_epoch, left = divmod(len(train), len(val))
    if per_epoch < 2 or left:
        return None
    # witnessed: the check counted the entries itself; the fix (one mean per epoch) holds
    # whatever made the extra entries
    return Diagnosis(
        "reduction",
        f"your training history has {per_epoch} entries for each validation loss, where one per "
        "epoch belongs: record the mean of the epoch's batch losses once per epoch (a loss "
        "appended for every mini-batch leaves that mean out)",
        witnessed=True,
    )
