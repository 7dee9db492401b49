"""Helpers that the nbgrader test cells of the labs and quizzes call (see docs/labs.md).

Two problems of plain nbgrader test cells are handled here:

* Partial credit. ``nbgrader`` gives a test cell full marks when it shows no error, zero when it
  shows an error *or anything on stderr*, and a partial grade when its last expression is a
  number. :class:`Parts` runs each part of a question in a ``with`` block that catches the part's
  failure, silences warnings and stderr, prints one line per part and returns the points earned,
  so a question with three parts can score 2 of 3 and a stray PyTorch warning never zeroes it.
* Answer keys. Quiz keys never sit in a notebook: :func:`grade_choice` reads them from
  ``keys/<assignment>.json`` in the course folder (the one holding ``nbgrader_config.py``), which
  is never released. The hidden test cell that calls it, and which nbgrader writes back into the
  feedback, holds only the question id. Feedback says whether the student was right and shows an
  explanation that does not name the right option.

Students import this module too: the visible checks (:func:`check_choice`, :func:`check_number`)
only check the form of an answer, so they can run before submitting.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import warnings
from pathlib import Path
from typing import Any, Iterator

CHOICES = ("A", "B", "C", "D")
KEYS_ENV = "DESCENT_LABS_KEYS"


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
        raise AssertionError(f"{name}: answer with one letter, \"A\", \"B\", \"C\" or \"D\" "
                             f"(got {value!r})")
    print(f"{name}: answer recorded ({value.strip().upper()})")


def check_number(name: str, value: Any) -> None:
    """Visible check: the answer is a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AssertionError(f"{name}: answer with a number (got {value!r})")
    print(f"{name}: answer recorded ({value:g})")


def keys_dir(start: str | Path | None = None) -> Path:
    """The folder holding the answer keys: ``$DESCENT_LABS_KEYS``, or ``keys/`` beside the first
    ``nbgrader_config.py`` found walking up from ``start`` (default: the working directory, which
    is the submission's folder while nbgrader autogrades)."""
    if os.environ.get(KEYS_ENV):
        return Path(os.environ[KEYS_ENV])
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "keys").is_dir():
            return folder / "keys"
    raise RuntimeError("answer keys not found: autograde from the course folder (the one with "
                       f"nbgrader_config.py and keys/), or set {KEYS_ENV}")


def load_key(assignment: str, start: str | Path | None = None) -> dict[str, Any]:
    path = keys_dir(start) / f"{assignment}.json"
    if not path.is_file():
        raise RuntimeError(f"no answer key for {assignment!r} in {path.parent}")
    return json.loads(path.read_text())


def grade_choice(assignment: str, question: str, value: Any) -> None:
    """Hidden check of a multiple-choice, label or numeric answer against the key kept outside the
    notebook. Raises ``AssertionError`` (the cell scores 0) with the explanation for a wrong
    answer; prints the explanation for a right one."""
    entry = load_key(assignment)["questions"][question]
    if entry["kind"] == "number":
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
              and math.isfinite(value) and abs(value - entry["answer"]) <= entry["tolerance"])
    elif entry["kind"] == "label":  # a name from a list given in the notebook
        ok = isinstance(value, str) and value.strip().lower() == entry["answer"]
    else:
        ok = isinstance(value, str) and value.strip().upper() == entry["answer"]
    if not ok:
        raise AssertionError(f"{question}: not this one. {entry['wrong']}")
    print(f"{question}: correct. {entry['right']}")
