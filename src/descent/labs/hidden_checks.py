"""The trusted checks of the course notebooks: answer keys, the course's graders, and the scoring
of one test cell. Runs in the grading process only; nothing here is ever sent to a notebook.

* Answer keys: ``keys/<assignment>.json`` in the course folder (or ``$DESCENT_LABS_KEYS``).
  A quiz test cell ``qN_test`` compares the notebook's value of ``qN`` with the key's entry.
* Graders: ``graders/<assignment>.py`` in the course folder holds one function per test cell,
  named by its grade id, ``task2_test(nb, parts, key)``: ``nb`` is the student's
  :class:`~descent.labs.kernel.Kernel`, ``parts`` a :class:`descent.student_notebook.Parts`, ``key``
  the assignment's key entries. The reference code and the thresholds live there, never in a
  notebook.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import math
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from ..isolation.errors import WorkerFailure
from ..student_notebook import Parts, check_choice, check_number
from .kernel import Kernel, NotData

KEYS_ENV = "DESCENT_LABS_KEYS"
MAX_SENTENCE = 2000  # characters of a quiz answer's sentence (a visible check quotes the value)


class Course:
    """The trusted folders of a course: ``keys/`` and ``graders/`` beside nbgrader_config.py."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.keys = Path(os.environ.get(KEYS_ENV) or self.root / "keys")
        self._modules: dict[str, ModuleType | None] = {}

    def key(self, assignment: str) -> dict[str, Any]:
        path = self.keys / f"{assignment}.json"
        return json.loads(path.read_text())["questions"] if path.is_file() else {}

    def graders(self, assignment: str) -> ModuleType | None:
        if assignment not in self._modules:
            path = self.root / "graders" / f"{assignment}.py"
            module = None
            if path.is_file():
                spec = importlib.util.spec_from_file_location(f"_course_graders_{assignment}", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            self._modules[assignment] = module
        return self._modules[assignment]


def grade_cell(
    course: Course, assignment: str, grade_id: str, nb: Kernel, points: float
) -> tuple[str, float]:
    """Score one test cell: ``(text shown under the cell, points earned)``."""
    key = course.key(assignment)
    check = getattr(course.graders(assignment), grade_id, None)
    if check is not None:
        parts, shown = Parts(), io.StringIO()
        with contextlib.redirect_stdout(shown):
            check(nb, parts, key)
            earned = parts.score()
        if not math.isclose(parts.possible, points):
            raise RuntimeError(
                f"graders/{assignment}.py: {grade_id} scores {parts.possible:g} "
                f"points, the cell is worth {points:g}"
            )
        return shown.getvalue(), earned
    question = grade_id.removesuffix("_test")
    if question in key:
        ok, text = answer(nb, question, key[question])
        return text + "\n", points if ok else 0.0
    raise LookupError(
        f"no trusted check for test cell {grade_id} of {assignment} (expected "
        f"graders/{assignment}.py or an entry {question!r} in its key)"
    )


def answer(nb: Kernel, question: str, entry: dict) -> tuple[bool, str]:
    """Compare the notebook's ``question`` variable with its key entry: ``(right, sentence)``.
    A wrong answer gets the entry's feedback sentence, never the key."""
    try:
        value = nb.value(question)
        with contextlib.redirect_stdout(io.StringIO()):
            (
                check_number
                if entry["kind"] == "number"
                else check_choice
                if entry["kind"] == "choice"
                else _check_label
            )(question, value)
    except (NotData, AssertionError, WorkerFailure) as exc:
        text = str(exc)[:MAX_SENTENCE]  # it may quote the notebook's value
        return False, text if text.startswith(f"{question}:") else f"{question}: {text}"
    return (
        (True, f"{question}: correct. {entry['right']}")
        if matches(entry, value)
        else (False, f"{question}: not this one. {entry['wrong']}")
    )


def _check_label(question: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise AssertionError(
            f"{question}: answer with one of the names listed (got {_shown(value)})"
        )


def matches(entry: dict, value: Any) -> bool:
    """Whether ``value`` (plain data) is the key's answer."""
    if entry["kind"] == "number":
        return (
            type(value) in (int, float)
            and math.isfinite(value)
            and abs(value - entry["answer"]) <= entry["tolerance"]
        )
    if type(value) is not str:
        return False
    if entry["kind"] == "label":  # a name from a list given in the notebook
        return value.strip().lower() == entry["answer"]
    return value.strip().upper() == entry["answer"]


# -- helpers for graders/<assignment>.py -----------------------------------------------------------
def number(value: Any, what: str) -> float:
    """``value`` as a Python float, or AssertionError naming what was expected."""
    if type(value) not in (int, float) or not math.isfinite(value):
        raise AssertionError(f"{what} should be a finite Python number (got {_shown(value)})")
    return float(value)


def scalar(value: Any, what: str) -> float:
    """A Python number or a one-element tensor, as a float (the visible checks accept both)."""
    # start-up: a notebook's checks load torch only when a value needs it
    import torch

    if type(value) is torch.Tensor and value.numel() == 1 and not value.is_complex():
        value = value.item()
    return number(value, what)


def tensor(value: Any, what: str) -> Any:
    """``value`` if it is a tensor, or AssertionError."""
    # start-up: a notebook's checks load torch only when a value needs it
    import torch

    if type(value) is not torch.Tensor:
        raise AssertionError(f"{what} should be a tensor (got {_shown(value)})")
    return value


def close(got: float, want: float, tol: float) -> bool:
    return abs(got - want) <= tol


def _shown(value: Any) -> str:
    text = (
        repr(value) if type(value) in (int, float, str, bool, type(None)) else type(value).__name__
    )
    return text[:80]
