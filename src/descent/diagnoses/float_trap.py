"""Where a float first went wrong in the student's own code: the line of the log that took 0,
the exp that overflowed, found by running a failing check again with NumPy's float errors
raised (:meth:`Implementation.strict_floats`, in the worker for a submission).

Asked by :mod:`descent.diagnoses.verified` for an exercise no repair was found for, on the
comparisons whose result has NaN or inf where the expected is finite: a log of a probability a
function was handed (``-np.log(y_hat[y])``) has no small edit that repairs it, and its line is
still the place to look. The line is told only where every such comparison re-run (three at
most) stops on the same line, in NumPy's words for what happened there; code that computes in
torch raises nothing and is told nothing. An overflow is raised only on a second run, where
the first stops on no float error: the exp of a sigmoid's ``1 / (1 + np.exp(-x))`` overflows
harmlessly, while a ``np.log(np.sum(np.exp(x)))`` that overflows computes no NaN after it to
stop on.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .. import registry
from ..calls.timelimit import CallTimeout
from .ledger import Ledger, Record

RUNS = 3  # failing comparisons re-run at most
# NumPy's words for a float error -> what the line did, in the kit's words
_WHAT = (
    ("divide by zero encountered in log", "takes the log of 0 on this input"),
    ("invalid value encountered in log", "takes the log of a negative number or NaN on this input"),
    ("overflow encountered in exp", "takes the exp of a number past the float's range (inf)"),
    ("divide by zero encountered in", "divides by 0 on this input"),
    (
        "invalid value encountered in",
        "computes NaN on this input (0 / 0, inf - inf, 0 * inf, inf / inf)",
    ),
    ("overflow encountered in", "overflows to inf on this input"),
)
_FRAME = re.compile(r"(?P<file>[\w.\-]+\.py):(?P<line>\d+) in (?P<fn>[\w.<>]+)")


@dataclass(frozen=True)
class Trap:
    """The line a float error first stopped the student's code on, in words, and the failing
    comparisons it stopped on."""

    text: str
    records: tuple[Record, ...]
    code: str = ""  # the line's code, as the student wrote it


def located(book: Ledger, impl: Any) -> Trap | None:
    """The line every failing comparison of ``book`` with a non-finite result stops on when
    run with float errors raised; ``None`` where they stop on different lines, on none, or in
    no code of the student's."""
    exercise = registry.EXERCISES.get(book.exercise or "")
    if exercise is None or impl is None or not hasattr(impl, "strict_floats"):
        return None
    source = impl.source(exercise.module)
    if not source:
        return None  # a catalogued variant: the kit's own code
    failing = [r for r in book.records if r.failed and r.recipe and _breaks(r)][:RUNS]
    file = f"{exercise.module}.py"
    stops = {id(r): _stop(r, impl, file, _raised(r)) for r in failing}
    if not any(stops.values()):  # no NaN, no log of 0: an inf came from an overflow (second)
        stops = {id(r): _stop(r, impl, file, (*_raised(r), "over")) for r in failing}
    if not failing or None in stops.values() or len(set(stops.values())) != 1:
        return None
    line, function, what = next(iter(stops.values()))  # type: ignore[misc]
    code = " ".join(source.splitlines()[line - 1].split()) if line <= source.count("\n") + 1 else ""
    if not code or "where(" in code:  # both branches of a where are computed: one may be unused
        return None
    quoted = code if len(code) <= 60 else code[:57] + "..."
    return Trap(f"line {line} (in `{function}`): `{quoted}` {what}", tuple(failing), code)


def _breaks(record: Record) -> bool:
    """The result has NaN or inf where the expected is all finite."""
    try:
        got, expected = torch.as_tensor(record.got), torch.as_tensor(record.expected)
    except (TypeError, ValueError, RuntimeError):
        return False
    if not (got.is_floating_point() and expected.is_floating_point()):
        return False
    return bool(torch.isfinite(expected).all()) and not bool(torch.isfinite(got).all())


def _raised(record: Record) -> tuple[str, ...]:
    """The float errors that can have made ``record``'s result: a NaN comes from 0 / 0, inf -
    inf or a log of a negative number, an inf alone from a log of 0 or a division by 0. An inf
    alone is never a NaN's doing (a NaN stays NaN), so a NaN the student's code replaces (a
    softmax's NaN caught by `np.isnan` and computed again) is not where its inf came from."""
    got = torch.as_tensor(record.got)
    return ("divide", "invalid") if bool(torch.isnan(got).any()) else ("divide",)


def _stop(
    record: Record, impl: Any, file: str, raised: tuple[str, ...]
) -> tuple[int, str, str] | None:
    """(line, function, what) where ``record``'s recipe stops on a float error of ``raised`` in
    ``file``."""
    record.restore()
    try:
        with impl.strict_floats(raised):
            record.recipe(impl)  # type: ignore[misc]
    except FloatingPointError as exc:
        return _where(exc, file)
    except (Exception, CallTimeout):  # noqa: BLE001 - stopped otherwise: nothing of floats
        return None
    finally:
        record.restore()
    return None


def _where(exc: FloatingPointError, file: str) -> tuple[int, str, str] | None:
    """The deepest frame of ``exc`` in the student's ``file`` and NumPy's words made the kit's:
    a worker's exception carries its frames as text, one raised here its traceback."""
    frames = list(getattr(exc, "remote_where", None) or [])
    if not frames:
        frames = [
            f"{Path(f.filename).name}:{f.lineno} in {f.name}"
            for f in traceback.extract_tb(exc.__traceback__)
        ]
    mine = [m for m in map(_FRAME.search, frames) if m is not None and m["file"] == file]
    message = str(exc.args[0] if exc.args else "")
    what = next((words for said, words in _WHAT if said in message), None)
    if not mine or what is None:
        return None
    return int(mine[-1]["line"]), mine[-1]["fn"], what
