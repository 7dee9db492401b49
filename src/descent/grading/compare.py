"""A failed check, as every test raises it: :class:`GradingFailure`, :func:`assert_close` and
:func:`assert_like`.

The comparison itself is :func:`descent.comparison.compare` (values, shapes, dtypes and devices,
with the tolerance float32 allows), beneath the diagnoses, which weigh causes with it too.
``assert_close`` raises a
:class:`GradingFailure` with the :class:`~descent.comparison.Mismatch`'s description; it never
prints whole tensors (hidden inputs stay hidden).
"""

from __future__ import annotations

import os
from typing import Any

import torch

from ..calls import timelimit
from ..comparison import compare, structure
from ..diagnoses.base import Diagnosis, observed, witnessed
from ..diagnoses.values import mistyped

# Read once: a grader author's switch (see GradingFailure), never set in a grading run.
_GENERIC_ONLY = os.environ.get("DESCENT_GENERIC_ONLY") == "1"


class GradingFailure(AssertionError):
    """A check failed. ``str()`` is the full student-facing message.

    ``diagnosis`` (optional) is called once, when the message is first read, and returns the
    catalogued misconception the failing result matches on this check, or ``None``. Deferring it
    means a property test that hypothesis shrinks through dozens of failing examples pays for
    matching against the catalogue only for the example finally reported.

    ``generic`` (optional, deferred the same way) returns a :class:`descent.diagnoses.base.Diagnosis`
    from how the result relates to the expected one, and ``neighbour`` the same comparison on a
    neighbouring input. Both are only *claims*: a grading run names a cause once
    :mod:`descent.diagnoses.verified` has confirmed it on every failing check of the exercise
    (``record`` is this check's comparison) and calls :meth:`show`. Until then the message shows
    what the check witnessed itself (``diagnoses.base.FACTS``) as the likely mistake and any other
    reading as an observation. A results record keeps both names (``misconception`` and
    ``diagnosis``, the generic kind) once verified, so ``descent audit`` can measure each alone;
    the message shows the catalogued mistake when there is one, else the generic one. With
    ``DESCENT_GENERIC_ONLY=1`` in the environment the message shows the generic one even then
    (the catalogue's name is still recorded): how a grader author reads what a bug no catalogue
    knows would be told. ``cut_short`` says whether the generic diagnosis stopped early (a re-run
    of student code out of time, a time budget spent: :func:`descent.calls.timelimit.cut_short`):
    its kind may then differ on a faster or slower machine. ``picture`` holds the values a
    picture of the failure is made from (:func:`descent.grading.pictures.record`), or None.
    """

    def __init__(
        self,
        message: str,
        *,
        check: str = "",
        hint: str | None = None,
        misconception: str | None = None,
        diagnosis=None,
        generic=None,
        record=None,
        neighbour=None,
        picture: tuple | None = None,
    ):
        super().__init__(message)
        self.picture = picture
        self.message = message
        self.check = check
        self.hint = self._own_hint = hint
        # the catalogued bug named: one the raiser states itself, or one verified
        self._stated = misconception
        self.misconception: str | None = misconception
        self.diagnosis: str | None = None  # the generic diagnosis's kind, once verified
        self.variant = None  # the catalogued bug (or Mistake) matching this check's result
        self.other_variants: list = []  # others that match it too, for the exercise to tell
        self.found: Diagnosis | None = None  # the generic diagnosis of this check's result
        self.record = record  # this check's comparison (descent.diagnoses.ledger.Record)
        self.neighbour = None  # the same comparison on a neighbouring input, once resolved
        self.cut_short = False  # whether a claim's search stopped early, once resolved
        self._diagnosis = diagnosis
        self._generic = generic
        self._neighbour = neighbour
        self._rendered: str | None = None

    def resolve(self) -> GradingFailure:
        """Find the claims (catalogued bug, generic diagnosis, neighbour) once, and render the
        message as it stands before any verification."""
        if self._rendered is None:
            if self._diagnosis is not None:
                diagnosis, self._diagnosis = self._diagnosis, None
                found = diagnosis()  # one bug, or every bug that matches (Checker.candidates)
                found = found if isinstance(found, list) else [] if found is None else [found]
                self.variant, self.other_variants = (found or [None])[0], found[1:]
            if self._generic is not None:
                generic, self._generic = self._generic, None
                with timelimit.watching_cuts() as cut:
                    try:
                        self.found = generic()
                    except Exception:  # noqa: BLE001 - a reading that breaks names nothing
                        self.found = None  # (as a stage of Checker._diagnosed that breaks)
                self.cut_short = cut()
            if self._neighbour is not None:
                neighbour, self._neighbour = self._neighbour, None
                with timelimit.watching_cuts() as cut:
                    self.neighbour = neighbour()
                self.cut_short = self.cut_short or cut()
            found = self.found
            fact = witnessed(found, self.check)
            self.show(
                cause=found.text if fact else None,
                generic=found.text if fact else None,
                kind=found.kind if fact else None,
                observation=None if fact or found is None else observed(found),
            )
        return self

    def show(
        self,
        *,
        cause: str | None = None,
        generic: str | None = None,
        kind: str | None = None,
        misconception: str | None = None,
        hint: str | None = None,
        elsewhere: list[str] | None = None,
        observation: str | None = None,
        partial: bool = False,
        unweighed: bool = False,
    ) -> None:
        """Render the message: ``cause`` (a verified catalogued or generic mistake; ``generic``
        is the generic one's text, shown instead under ``DESCENT_GENERIC_ONLY``), the causes
        ``elsewhere`` that explain the exercise's other failing checks (``partial``: ``cause``
        explains this check and others, not all of the exercise's failing checks; ``unweighed``:
        this check's result is a marker no cause can be weighed on), or else an
        ``observation``; ``hint`` replaces the check's own (a catalogued bug's)."""
        self.misconception, self.diagnosis = misconception or self._stated, kind
        shown = generic if _GENERIC_ONLY and misconception is not None else cause
        lines = [self.message]
        if shown:
            lines.append(f"likely mistake: {shown}.")
            if partial and not elsewhere:
                lines.append(
                    "it does not explain every failing check of this exercise: something else "
                    "is wrong too."
                )
            if elsewhere:
                lines.append(
                    "other checks of this exercise fail for another reason: "
                    + "; or ".join(elsewhere)
                    + "."
                )
        elif observation:
            lines.append(f"observed: {observation}.")
        if not shown and elsewhere:
            lines.append(
                "other checks of this exercise fail for a reason found: "
                + "; or ".join(elsewhere)
                + (
                    "; this check's result holds no values to tell whether it comes from it too."
                    if unweighed
                    else "; this one does not come from it."
                )
            )
        self.hint = hint if hint and not (_GENERIC_ONLY and shown == generic) else self._own_hint
        if self.hint:
            lines.append(f"hint: {self.hint}")
        self._rendered = "\n".join(lines)
        self.args = (self._rendered,)

    def __str__(self) -> str:
        return self.resolve()._rendered


def assert_close(
    got: Any,
    expected: Any,
    *,
    what: str,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    check_dtype: bool = True,
    hint: str | None = None,
    check: str = "",
) -> None:
    """Raise :class:`GradingFailure` naming ``what`` unless ``got`` matches ``expected``."""
    found = compare(got, expected, rtol=rtol, atol=atol, check_dtype=check_dtype)
    if found is None:
        return
    raise GradingFailure(found.describe(what), check=check, hint=found.hint_over(hint, check))


def assert_like(got: Any, template: Any, *, what: str) -> None:
    """Raw structure check: same nesting, shapes, dtypes and devices as ``template``; values free."""
    found = structure(got, template)
    if found:
        raise GradingFailure(
            f"[shape and type] {found.describe(what)}",
            check="shape and type",
            hint=found.hint,
            generic=lambda: _generic_structure(got, template),
        )


def _generic_structure(got: Any, template: Any):
    """The generic diagnosis of a raw structure mismatch: only a dtype or a device differing is
    named, and a NumPy array where a tensor belongs (the values are free here, so no value
    hypothesis applies)."""
    if isinstance(got, torch.Tensor) and isinstance(template, torch.Tensor):
        return mistyped(template, got)
    if isinstance(template, torch.Tensor) and type(got).__module__ == "numpy":
        return Diagnosis(
            "structure",
            f"your result is a NumPy {type(got).__name__} where the docstring asks for a "
            "tensor: convert it (torch.from_numpy, with the dtype and device asked for) or "
            "build it with torch",
        )
    if isinstance(got, (tuple, list)) and isinstance(template, (tuple, list)):
        return next(
            (d for g, t in zip(got, template) if (d := _generic_structure(g, t)) is not None), None
        )
    return None
