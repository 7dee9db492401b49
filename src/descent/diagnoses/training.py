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
- :func:`rising`: a loss history that ends well above where it started, though not at every
  epoch: updates that climb (a step of the wrong sign, or one too large that overshoots).
- :func:`flat`: a loss history that barely moves over the whole run (at chance level, ln C,
  when it is there): the parameters do not change.
- :func:`diverged`: a loss history that turns NaN or infinite.
- :func:`standardized`: returned parameters that give the reported loss on inputs standardized
  with the training set's statistics, and another on the raw inputs: the standardization left
  out of the returned parameters.
- :func:`from_epoch`: returned parameters whose loss is the one reported for an earlier epoch:
  the parameters of that epoch returned with the history of the last.
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


def _finite_history(losses: Any, least: int = 5) -> list[float] | None:
    if not isinstance(losses, (list, tuple)) or len(losses) < least:
        return None
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in losses):
        return None
    return [float(v) for v in losses]


def rising(losses: Any, what: str = "training loss") -> Diagnosis | None:
    """A history of at least 5 finite positive losses whose last entry is at least 1.5 times its
    first, and whose later half lies above its start throughout, rising though not at every
    epoch (:func:`climbing` reads a steady climb): the updates climb the loss. A step of the
    wrong sign and one too large (overshooting, oscillating upwards) both do: none is chosen."""
    h = _finite_history(losses)
    if h is None or not h[0] > 0 or h[-1] < 1.5 * h[0]:
        return None
    if any(v <= h[0] for v in h[len(h) // 2 :]):
        return None
    return Diagnosis(
        "ambiguous",
        f"your reported {what} ends at {h[-1]:.4g}, {h[-1] / h[0]:.3g} times where it started "
        f"({h[0]:.4g}), and stays above its start over the later epochs: the updates climb the "
        "loss, either with the wrong sign (p + lr * g for p - lr * g) or with a step too large "
        "that overshoots (a learning rate too large for this loss, or a schedule that never "
        "lowers it)",
    )


def flat(losses: Any, classes: int | None = None, what: str = "training loss") -> Diagnosis | None:
    """A history of at least 5 finite losses whose last third averages within 3% of its first
    third (each epoch's mean still moves with how its batches fall): the parameters barely move
    over the whole run; at chance level (within 3% of ln C, the loss of uniform predictions)
    when ``classes`` says so."""
    h = _finite_history(losses)
    if h is None:
        return None
    third = max(1, len(h) // 3)
    start, end = sum(h[:third]) / third, sum(h[-third:]) / third
    if not start > 0 or abs(end - start) > 0.03 * start:
        return None
    where = ""
    if classes is not None and classes > 1 and abs(start - math.log(classes)) <= 0.03 * start:
        where = f", ln {classes} = {math.log(classes):.4g}, the loss of uniform predictions"
    return Diagnosis(
        "frozen",
        f"your reported {what} stays near {start:.4g}{where}, from the first epochs to the "
        f"last ({len(h)} epochs, within 3%): the parameters barely move (a learning rate far too "
        "small, updates made to copies that are not kept, a gradient that never reaches the "
        "parameters, or a step computed and not applied)",
    )


def diverged(losses: Any, what: str = "training loss") -> Diagnosis | None:
    """A history whose entries turn NaN or infinite at some epoch after finite ones."""
    if not isinstance(losses, (list, tuple)) or not losses:
        return None
    values = [v for v in losses if isinstance(v, (int, float))]
    if len(values) != len(losses):
        return None
    first = next((k for k, v in enumerate(values) if not math.isfinite(v)), None)
    if first is None or first == 0:
        return None
    return Diagnosis(
        "stability",
        f"your reported {what} is finite for {first} epoch(s) and then "
        f"{'NaN' if math.isnan(values[first]) else 'infinite'}: the training diverged (a "
        "learning rate too large, no gradient clipping where the loss is steep) or the loss "
        "overflows (the log of a softmax, exp of a large logit)",
    )


def standardized(reported: float, on_standardized: float, on_raw: float) -> Diagnosis | None:
    """The returned parameters give ``reported`` (to 1e-3 relative) on inputs standardized with
    the training set's mean and standard deviation, and a loss at least twice as large on the
    raw inputs the graders pass: the network was trained on standardized inputs and returned
    without folding the standardization in. What the check measured itself (``witnessed``)."""
    values = (reported, on_standardized, on_raw)
    if not all(isinstance(v, float) and math.isfinite(v) for v in values):
        return None
    if abs(on_standardized - reported) > 1e-3 * max(reported, 1e-6) or on_raw < 2 * reported:
        return None
    return Diagnosis(
        "argument",
        f"your returned parameters give your reported loss ({reported:.4g}) on inputs "
        f"standardized with x_train's mean and standard deviation, and {on_raw:.4g} on the raw "
        "inputs they are graded on: the network was trained on standardized inputs and "
        "returned as it was; fold the standardization into the first layer (W / std, and "
        "b - (W / std) @ mean) or train on the raw inputs",
        witnessed=True,
    )


def from_epoch(actual: float, reported: Any) -> Diagnosis | None:
    """The loss of the returned parameters is the loss reported for one earlier epoch (to 1e-4
    relative, and for that one only), not the last: the parameters of that epoch returned with
    the history of the whole run."""
    h = _finite_history(reported, least=2)
    if h is None or not math.isfinite(actual):
        return None
    close = [k for k, v in enumerate(h) if abs(v - actual) <= 1e-4 * max(abs(actual), 1e-12)]
    if len(close) != 1 or close[0] == len(h) - 1:
        return None
    k = close[0]
    return Diagnosis(
        "step",
        f"the loss of your returned parameters ({actual:.4g}) is the one you reported for epoch "
        f"{k} of {len(h)}: you return the parameters of epoch {k} (a copy kept from then, the "
        "best epoch's parameters) with the history of the whole run",
        witnessed=True,
    )
