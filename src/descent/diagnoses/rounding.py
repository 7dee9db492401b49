"""A reader for a check of counts that are quotients rounded one way: ``ceil(a / b)`` pieces of
``b`` that cover ``a`` items (segments, batches, checkpoints), or ``a // b`` whole pieces.

A count rounded the other way is right whenever ``b`` divides ``a`` and one off otherwise, so a
check that compares several such counts (a grader's ``generic=`` reader, given the ``(a, b)``
pairs its call used) names it when the student's counts are every pair's quotient rounded the
other way and differ from the right ones somewhere (kind ``edge``: the last, shorter piece).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .base import Diagnosis


def rounded(pairs: Sequence[tuple[int, int]]) -> Callable[[Any], Diagnosis | None]:
    """The reader of a check whose counts are quotients of ``pairs`` ``(a, b)`` rounded one
    way: it names counts that are every quotient rounded down (``a // b``) or every one rounded
    up (``ceil(a / b)``) when the two roundings differ on some pair."""
    down = [a // b for a, b in pairs]
    up = [-(-a // b) for a, b in pairs]

    def read(got: Any) -> Diagnosis | None:
        try:
            counts = [int(v) for v in got]
        except (TypeError, ValueError):
            return None
        if down == up or counts != down and counts != up:
            return None
        if counts == down:
            return Diagnosis(
                "edge",
                "your counts are the quotients rounded down (a // b) where the expected round "
                "up: when the pieces do not divide the items evenly, the last, shorter piece "
                "is not counted",
            )
        return Diagnosis(
            "edge",
            "your counts are the quotients rounded up (ceil(a / b)) where the expected round "
            "down: when the pieces do not divide the items evenly, a last, partial piece is "
            "counted",
        )

    return read
