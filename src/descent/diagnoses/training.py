"""Generic diagnoses of what a training run reports about itself: the loss history it returns
and the numbers it says it measured. The grader measures the run's result itself (the loss of
the returned parameters on each data set) and hands these readers the numbers.

- :func:`measured_on`: a number the call reports (a validation loss) that is the same measure
  taken on another argument of the call (the training set) and on no other.
- :func:`short_batch`: per-update losses right up to the update on the first batch shorter
  than the others and wrong from the next: that batch handled like a full one.
- :func:`climbing`: a loss history that rises from its first entry to its last at every
  epoch, far above where it started: the parameters move up the gradient.
"""

from __future__ import annotations

import math
from typing import Any

from .base import Diagnosis


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
