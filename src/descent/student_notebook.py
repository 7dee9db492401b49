"""What the course notebooks import (see docs/how-to/labs.md): the visible checks, and partial
credit.

* Partial credit. ``nbgrader`` gives a test cell full marks when it shows no error, zero when it
  shows an error *or anything on stderr*, and a partial grade when its last expression is a
  number. :class:`Parts` runs each part of a question in a ``with`` block that catches the part's
  failure, silences warnings and stderr, prints one line per part and returns the points earned,
  so a question with three parts can score 2 of 3 and a stray PyTorch warning never zeroes it.
  The trusted checks use the same class when they score a cell.
* Visible checks. :func:`check_choice` and :func:`check_number` only check the form of an
  answer, so students can run them before submitting.
* Hidden checks. They do not run in the notebook: a hidden test cell only names its check,
  ``hidden_checks("quiz1_loss", "q3_test")``, and the course's confined executor
  (``descent.labs.execute``) runs that check outside the notebook, against keys and references
  the notebook never sees. Run in an ordinary kernel, :func:`hidden_checks` fails the cell, so a
  notebook graded without the course's configuration never earns points silently.

This module holds no answer key and no check of correctness; students have it too.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Iterator
from typing import Any

CHOICES = ("A", "B", "C", "D")


class Parts:
    """Score the parts of one autograded question; end the test cell with ``parts.score()``.

    >>> parts = Parts()
    >>> with parts.part("returns a tensor", 1):
    ...     assert True
    >>> with parts.part("matches the reference", 2):
    ...     assert False, "off by a factor of two"
    >>> parts.score()
    1.0
    """

    def __init__(self) -> None:
        self.earned = 0.0
        self.possible = 0.0
        self.lines: list[str] = []

    @contextlib.contextmanager
    def part(self, label: str, points: float) -> Iterator[None]:
        self.possible += points
        sink = io.StringIO()
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(sink):
                warnings.simplefilter("ignore")
                yield
        except Exception as exc:  # noqa: BLE001 - any failure of student code loses this part only
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if isinstance(exc, NotImplementedError):
                reason = "not answered yet"
            elif not isinstance(exc, AssertionError):
                reason = f"{type(exc).__name__}: {reason}"
            print(f"  [ 0/{points:g}] {label}: {reason}")
        else:
            self.earned += points
            print(f"  [{points:g}/{points:g}] {label}")

    def score(self) -> float:
        """Points earned; as the cell's last expression nbgrader reads it as a partial grade."""
        print(f"{self.earned:g} of {self.possible:g} points")
        return float(self.earned)


def check_choice(name: str, value: Any) -> None:
    """Visible check: the answer is one of the four option letters."""
    if not isinstance(value, str) or value.strip().upper() not in CHOICES:
        raise AssertionError(
            f'{name}: answer with one letter, "A", "B", "C" or "D" (got {value!r})'
        )
    print(f"{name}: answer recorded ({value.strip().upper()})")


def check_number(name: str, value: Any) -> None:
    """Visible check: the answer is a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AssertionError(f"{name}: answer with a number (got {value!r})")
    print(f"{name}: answer recorded ({value:g})")


def hidden_checks(assignment: str, cell: str) -> None:
    """Stands for the trusted checks of ``cell``: they run outside the notebook, in the grader
    configured by the course's ``nbgrader_config.py``. Reached in a notebook, it fails the
    cell (the notebook is being graded without that configuration)."""
    raise AssertionError(
        f"{assignment}/{cell}: the hidden checks run only when the course "
        "grades this notebook (nbgrader autograde with the course's "
        "nbgrader_config.py); nothing was checked here"
    )
