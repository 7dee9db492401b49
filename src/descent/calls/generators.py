"""The global random generators a student's code may draw from without a generator of its own.

Code written for a course draws from whichever global generator its course used: torch's
(``torch.rand``), NumPy's (``np.random.rand``, the CS231n habit) or Python's (``random.random``).
A grading must leave all three in the same state before the same test, whatever ran before it in
the same process, or the same code gets another grade on another day (a dropout mask drawn with
``np.random`` moved a real submission's points when the worker had served other files first).
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def seed_all(seed: int) -> None:
    """Seed torch's, NumPy's and Python's global generators with ``seed`` (any int)."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)  # NumPy's legacy seeding takes 0 <= seed < 2**32
    random.seed(seed)


def states() -> tuple[Any, Any, Any]:
    """The three generators' states, for :func:`restore`."""
    return torch.get_rng_state(), np.random.get_state(), random.getstate()


def restore(saved: tuple[Any, Any, Any]) -> None:
    """The three generators back to ``saved`` (from :func:`states`)."""
    torch_state, numpy_state, python_state = saved
    torch.set_rng_state(torch_state)
    np.random.set_state(numpy_state)
    random.setstate(python_state)
