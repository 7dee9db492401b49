"""What a failed check's picture holds: plain data, kept in the check's results record.

A picture is recorded for a failed check of an exercise in :data:`PICTURED` when its result is a
sequence of numbers (a schedule's rates, a gradient norm per layer, batch sizes: a **line**, the
student's values and the expected ones by position) or a sample of random draws (an
initializer's weights, mix-up's weights, augmentation's angles: a **histogram** of the student's
draws beside the distribution the check asked for). A scalar result, a passing check and an
exercise outside :data:`PICTURED` get none. :mod:`descent.reports.pictures` draws the records;
nothing here imports matplotlib, so grading never depends on it.

A public check may instead draw the **curves** it hands to the student's code (the loss curves
``diagnose_loss_curve`` labels): its input is in the student's own test file; a hidden check's
input is never drawn.

Record layout (``TestResult.picture``), every number a float or None (a gap)::

    {"kind": "line", "student": [...], "expected": [...], "wrong": [i, ...], "hidden": bool}
    {"kind": "histogram", "edges": [...], "student": [counts], "expected": [counts],
     "expected_label": "Beta(0.2, 0.2)", "hidden": bool}
    {"kind": "curves", "series": {"training loss": [...], ...}, "hidden": false}

What a picture may show follows what the check's message may show (docs: grading.md, "hidden
tests must not leak their inputs or the reference"):

* A public check (``exercises/``: its inputs and expected values are in the student's own test
  file) shows both series in full.
* A hidden check's message names the shape, the entry it reports (the first or the worst that
  differs) with its expected and got values, and every argument of the call for the exercises of
  :data:`PICTURED`, so the student can rerun that call themselves. Its line picture shows the
  student's own values (what that call of their code returns), marks the positions that differ
  (no value), and shows an expected value only at the one entry the message names: no other
  value of the reference appears. Its histogram shows the student's draws and a sample of the
  distribution the message names with its parameters (``Beta(alpha, alpha)``, the std asked
  for), drawn by the grader, never the reference solution's output.
"""

from __future__ import annotations

import math
import re
from numbers import Number
from typing import Any

import torch

# Exercises whose checks return a sequence or a sample and print every argument of their call,
# and diagnose_loss_curve, whose public checks show the curve they hand over.
PICTURED = frozenset(
    {
        "schedules.step_lr",
        "schedules.exponential_lr",
        "schedules.cosine_lr",
        "schedules.warmup_cosine_lr",
        "schedules.one_cycle_lr",
        "schedules.reduce_on_plateau_step",
        "diagnostics.layer_gradient_norms",
        "diagnostics.diagnose_loss_curve",
        "regression.minibatches",
        "data.kfold_indices",
        "init.xavier",
        "init.kaiming",
        "data.mixup",
        "data.augment_points",
    }
)
MIN_LENGTH = 3  # shorter sequences say all there is in the message
MAX_LENGTH = 2_000  # longer ones are not pictured (a results document stays small)
MIN_SAMPLE = 20
BINS = 30

_STEP = re.compile(r"\[(-?\d+|'[^']*')\]")
_WORST = re.compile(r"at index \((\d+),\)")


def record(source: tuple | None, exercise: str, *, hidden: bool) -> dict | None:
    """The picture record of a failed check whose :class:`GradingFailure` holds ``source``
    (``("line", got, expected, mismatch, rtol, atol)``, ``("curves", {name: values})`` or ``("histogram", sample, reference, label)``);
    None when the exercise or the values have no picture."""
    if source is None or exercise not in PICTURED:
        return None
    try:
        if source[0] == "line":
            return line(*source[1:], hidden=hidden)
        if source[0] == "histogram":
            return histogram(*source[1:], hidden=hidden)
        if source[0] == "curves":
            return curves(source[1], hidden=hidden)
    except Exception:  # noqa: BLE001 - a picture is never worth a grading's error
        return None
    return None


def line(
    got: Any, expected: Any, mismatch: Any, rtol: float, atol: float, *, hidden: bool
) -> dict | None:
    """The line record of ``got`` against ``expected`` where ``mismatch`` (a
    :class:`descent.comparison.Mismatch`) found them differing, the positions outside the
    check's tolerance (``rtol``, ``atol``) marked wrong: the first numeric sequence on its path,
    or None when there is none there."""
    found = _sequences(got, expected, mismatch.path)
    if found is None:
        return None
    student, reference, rest = found
    wrong = [
        i
        for i in range(max(len(student), len(reference)))
        if i >= len(student)
        or i >= len(reference)
        or not _close(student[i], reference[i], rtol, atol)
    ]
    if hidden:
        named = _named_index(rest, mismatch.reason)
        reference = [v if i == named else None for i, v in enumerate(reference)]
    return {
        "kind": "line",
        "student": student,
        "expected": reference,
        "wrong": wrong,
        "hidden": hidden,
    }


def histogram(sample: Any, reference: Any, label: str, *, hidden: bool) -> dict | None:
    """The histogram record of the student's ``sample`` beside ``reference``, draws of the
    distribution ``label`` names (or a function that makes them: :func:`normal`), scaled to as many draws as the student's; None for fewer than
    :data:`MIN_SAMPLE` finite values on either side."""
    mine = _finite(sample)
    theirs = _finite(reference() if callable(reference) else reference)
    if mine.numel() < MIN_SAMPLE or theirs.numel() < MIN_SAMPLE:
        return None
    low = float(min(mine.min(), theirs.min()))
    high = float(max(mine.max(), theirs.max()))
    if not high > low:
        high = low + 1.0
    edges = torch.linspace(low, high, BINS + 1, dtype=torch.float64)
    scale = mine.numel() / theirs.numel()
    return {
        "kind": "histogram",
        "edges": [round(float(e), 9) for e in edges],
        "student": [float(c) for c in torch.histc(mine, BINS, low, high)],
        "expected": [round(float(c) * scale, 3) for c in torch.histc(theirs, BINS, low, high)],
        "expected_label": label,
        "hidden": hidden,
    }


def normal(std: float, n: int = 20_000):
    """Draws of N(0, std^2) for a histogram's expected side, made only when a picture is
    (a generator of its own: the global random state, which checks read, is left alone)."""
    return lambda: torch.randn(n, generator=_generator(), dtype=torch.float64) * std


def uniform(low: float, high: float, n: int = 20_000):
    """Draws of U(low, high), as :func:`normal`'s."""
    return lambda: low + (high - low) * torch.rand(n, generator=_generator(), dtype=torch.float64)


def _generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def curves(series: dict[str, Any], *, hidden: bool) -> dict | None:
    """The record of the curves a check handed to the student's code (a loss curve to
    diagnose), each a run of numbers or None; none for a hidden check, whose inputs stay
    hidden."""
    if hidden:
        return None
    shown = {name: _numbers(values) for name, values in series.items() if values is not None}
    shown = {name: values for name, values in shown.items() if values is not None}
    return {"kind": "curves", "series": shown, "hidden": False} if shown else None


def _finite(values: Any) -> torch.Tensor:
    t = torch.as_tensor(values).detach().to("cpu", torch.float64).flatten()
    return t[torch.isfinite(t)]


def _sequences(got: Any, expected: Any, path: str) -> tuple[list, list, list] | None:
    """Walk ``path`` down both values to the first numeric sequence of ``expected``: (student's
    values, expected values, the steps of the path below it)."""
    steps = [s.strip("'") if s.startswith("'") else int(s) for s in _STEP.findall(path)]
    for depth in range(len(steps) + 1):
        reference = _numbers(expected)
        if reference is not None:
            student = _numbers(got)
            if student is None:
                return None
            return student, reference, steps[depth:]
        if depth == len(steps):
            return None
        try:
            got, expected = got[steps[depth]], expected[steps[depth]]
        except (IndexError, KeyError, TypeError):
            return None
    return None


def _numbers(value: Any) -> list[float | None] | None:
    """A 1-D run of numbers as floats (None where not finite or not a number), or None."""
    if isinstance(value, torch.Tensor):
        if value.dim() != 1 or value.is_complex():
            return None
        items = value.detach().to("cpu", torch.float64).tolist()
    elif isinstance(value, (list, tuple)) and all(_scalar(v) for v in value):
        items = [float(v) for v in value]
    else:
        return None
    if not MIN_LENGTH <= len(items) <= MAX_LENGTH:
        return None
    return [v if math.isfinite(v) else None for v in items]


def _scalar(v: Any) -> bool:
    if isinstance(v, torch.Tensor):
        return v.dim() == 0 and not v.is_complex()
    return isinstance(v, Number) and not isinstance(v, (bool, complex))


def _close(a: float | None, b: float | None, rtol: float, atol: float) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= atol + rtol * abs(b)


def _named_index(rest: list, reason: str) -> int | None:
    """The position the message names: the path's index into a list, or a tensor's worst."""
    if rest and isinstance(rest[0], int):
        return rest[0]
    found = _WORST.search(reason)
    return int(found.group(1)) if found else None
